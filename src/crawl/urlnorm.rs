//! URL normalisation: the one canonical form in which a URL is deduplicated,
//! requested and recorded.
//!
//! The `url` crate already lowercases scheme and host (punycode for IDN),
//! drops default ports, gives special URLs a `/` path, resolves dot segments
//! and percent-encodes non-ASCII as UTF-8. This module adds what it leaves
//! alone: fragments, and percent-encoding case/choice in path and query.

use url::Url;

/// The form in which a URL is deduplicated, requested and recorded.
///
/// Drops the fragment and normalises percent-encoding in path and query:
/// hex digits upper-cased, escapes of unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) decoded, all other escapes kept (so `%2F`, `%3F`,
/// `%26`, `%3D` keep their meaning). A `%` that does not start a valid escape
/// becomes `%25`: WHATWG percent-decoding already reads it as a literal `%`,
/// `%25` is its only RFC 3986 spelling, and leaving it bare would break
/// idempotence (`%%41` would become `%A`, which the next pass reads as an
/// escape). The query keeps its parameter order. Idempotent; never panics.
pub fn normalize(url: &mut Url) {
    url.set_fragment(None);
    if let Some(path) = normalize_percent(url.path()) {
        url.set_path(&path);
    }
    if let Some(query) = url.query().and_then(normalize_percent) {
        url.set_query(Some(&query));
    }
}

/// Parse an absolute URL string and normalise it; None for unparsable or non-http(s) input.
pub fn parse_http(s: &str) -> Option<Url> {
    let mut url = Url::parse(s).ok()?;
    if !is_http(&url) {
        return None;
    }
    normalize(&mut url);
    Some(url)
}

/// Parse again a URL string that was serialised from a [`Url`] (a frontier URL, a row's URL).
///
/// Parsing the host is most of the parser's work (IDNA mapping; an IP address is parsed and
/// printed again), and the crawl parses its own URLs several times per page. When `s` lies on
/// `base`'s origin, the rest is resolved against `base` as an absolute path, which copies
/// the origin as it is. Anything else (another origin, a path starting `//` or `/\` that
/// would read as an authority) goes through the full parser. For a serialised URL both give
/// the same `Url`: `reparse_agrees_with_the_parser` checks it.
pub fn reparse(base: &Url, s: &str) -> Option<Url> {
    let origin = &base[..url::Position::BeforePath];
    match s.strip_prefix(origin) {
        Some(rest)
            if rest.starts_with('/') && !rest.starts_with("//") && !rest.starts_with("/\\") =>
        {
            base.join(rest).ok()
        }
        _ => Url::parse(s).ok(),
    }
}

/// True for the schemes the crawler fetches.
pub fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Rewrites the percent-escapes of `s`; None when nothing changes, which
/// spares the `set_path`/`set_query` re-serialisation on the common path.
fn normalize_percent(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    let mut copied = 0; // bytes of `s` before this index are already in `out`
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        // `i` indexes an ASCII '%', so slicing here stays on a char boundary.
        out.push_str(&s[copied..i]);
        let hi = bytes.get(i + 1).and_then(|b| hex_val(*b));
        let lo = bytes.get(i + 2).and_then(|b| hex_val(*b));
        if let (Some(hi), Some(lo)) = (hi, lo) {
            let byte = hi << 4 | lo;
            if is_unreserved(byte) {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push(char::from(HEX[usize::from(hi)]));
                out.push(char::from(HEX[usize::from(lo)]));
            }
            i += 3;
        } else {
            out.push_str("%25");
            i += 1;
        }
        copied = i;
    }
    out.push_str(&s[copied..]);
    (out != s).then_some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 3986 §2.3 unreserved characters: decoding these never changes meaning.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        parse_http(s).map(String::from).unwrap_or_default()
    }

    #[test]
    fn reparse_agrees_with_the_parser() {
        let bases = [
            "http://127.0.0.1:8080/start",
            "https://example.com/",
            "http://u:p@example.com/a?b#c",
            "https://[::1]:8443/x/y",
        ];
        let mut inputs: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
        for base in bases {
            let origin = &base[..base[8..].find('/').map_or(base.len(), |i| i + 8)];
            for rest in [
                "/",
                "/a/b?c=d",
                "//evil.example/x",
                "/\\evil.example/x",
                "/%2e%2E/a/./b",
                "/caf%C3%A9?%41#frag",
                "/a b?c d",
                ":9/x",
                "x/y",
                "",
                "?q",
                "#f",
            ] {
                inputs.push(format!("{origin}{rest}"));
            }
        }
        for base in bases {
            let base = Url::parse(base).expect("base parses");
            for input in &inputs {
                // What the crawl reparses are serialisations; garbage must not panic either.
                let _ = reparse(&base, input);
                let Ok(url) = Url::parse(input) else {
                    continue;
                };
                for s in [url.as_str().to_string(), {
                    let mut n = url.clone();
                    normalize(&mut n);
                    n.into()
                }] {
                    assert_eq!(reparse(&base, &s), Url::parse(&s).ok(), "{s} on {base}");
                }
            }
        }
    }

    #[test]
    fn cafe_spellings_are_one_url() {
        let a = norm("http://example.com/café");
        assert_eq!(a, "http://example.com/caf%C3%A9");
        assert_eq!(norm("http://example.com/caf%c3%a9"), a);
        assert_eq!(norm("http://example.com/caf%C3%A9"), a);
    }

    #[test]
    fn unreserved_escapes_are_decoded() {
        assert_eq!(norm("http://x/%7euser"), "http://x/~user");
        assert_eq!(norm("http://x/%41%62%2D%5f%2e%30"), "http://x/Ab-_.0");
        assert_eq!(norm("http://x/p?q=%7e%41"), "http://x/p?q=~A");
    }

    #[test]
    fn reserved_escapes_stay_encoded_upper_case() {
        assert_eq!(norm("http://x/a%2fb"), "http://x/a%2Fb");
        assert_eq!(
            norm("http://x/a?b=%3f%26%3d%2f"),
            "http://x/a?b=%3F%26%3D%2F"
        );
        // %2F must not become a path separator.
        assert_ne!(norm("http://x/a%2Fb"), norm("http://x/a/b"));
    }

    #[test]
    fn invalid_percent_becomes_percent_25() {
        assert_eq!(norm("http://x/%zz"), "http://x/%25zz");
        assert_eq!(norm("http://x/a%"), "http://x/a%25");
        assert_eq!(norm("http://x/a%4"), "http://x/a%254");
        assert_eq!(norm("http://x/?q=%"), "http://x/?q=%25");
        // Would re-form an escape if the stray % were left bare.
        assert_eq!(norm("http://x/%%41"), "http://x/%25A");
    }

    #[test]
    fn idn_host_becomes_punycode() {
        assert_eq!(
            norm("http://BÜCHER.example/"),
            "http://xn--bcher-kva.example/"
        );
    }

    #[test]
    fn scheme_host_lowercased_default_port_dropped_empty_path_slash() {
        assert_eq!(norm("HTTP://Example.COM:80"), "http://example.com/");
        assert_eq!(norm("https://Example.com:443?a"), "https://example.com/?a");
        assert_eq!(norm("http://example.com:8080"), "http://example.com:8080/");
    }

    #[test]
    fn dot_segments_resolved_and_fragment_dropped() {
        assert_eq!(norm("https://x:443/a/./b/../c#frag"), "https://x/a/c");
        assert_eq!(norm("http://x/a/%2e/b/%2E%2e/c"), "http://x/a/c");
    }

    #[test]
    fn query_order_kept() {
        assert_eq!(norm("http://x/?b=2&a=1&b=1"), "http://x/?b=2&a=1&b=1");
    }

    #[test]
    fn spaces_in_path_are_encoded() {
        assert_eq!(norm("http://x/a b/c d"), "http://x/a%20b/c%20d");
        assert_eq!(norm("http://x/a%20b/c%20d"), "http://x/a%20b/c%20d");
    }

    #[test]
    fn non_http_and_garbage_rejected() {
        for s in [
            "mailto:a@b",
            "ftp://x/",
            "javascript:alert(1)",
            "data:text/plain,hi",
            "/relative",
            "",
            "http://",
            "http://[::1",
            "not a url",
        ] {
            assert_eq!(parse_http(s), None, "{s}");
        }
    }

    #[test]
    fn very_long_url() {
        let long = format!(
            "http://x/{}?{}",
            "%7e%zz%C3%a9".repeat(20_000),
            "a=%41".repeat(20_000)
        );
        let u = parse_http(&long).expect("long URL parses");
        assert!(u.path().starts_with("/~%25zz%C3%A9~"));
        assert!(u.query().is_some_and(|q| q.starts_with("a=Aa=A")));
        let mut again = u.clone();
        normalize(&mut again);
        assert_eq!(again, u);
    }

    const TRICKY: &[&str] = &[
        "http://x/%%41",
        "http://x/%4%31",
        "http://x/%%%",
        "http://x/%25%32%35",
        "http://x/%2525",
        "http://x/a%2e%2E/b/.%2e/c",
        "http://x/%2e%2E%2e",
        "http://x/%2F%2f/%3F?%23=%3d#%41",
        "http://x/a b?c d#e f",
        "http://x/ü?ü#ü",
        "http://x/\\a\\b",
        "http://x/%5C",
        "http://x/?",
        "http://x/?%",
        "http://x/#",
        "http://u:p%41@x/",
        "https://[::1]:443/a",
        "http://192.168.0.1.:80/",
        "http://x/a'b\"c<d>e`f{g}h|i^j",
        "http://x/?a'b\"c<d>e`f{g}h|i^j",
        "http://x/%00%1f%7f%ff",
        "http://x/%C3%28",
    ];

    fn assert_idempotent(u: &Url) {
        let mut once = u.clone();
        normalize(&mut once);
        let mut twice = once.clone();
        normalize(&mut twice);
        assert_eq!(once.as_str(), twice.as_str(), "from {u}");
        // Reparsing the serialisation must not change it either.
        assert_eq!(
            parse_http(once.as_str()).as_ref(),
            Some(&once),
            "reparse of {once}"
        );
    }

    #[test]
    fn idempotent_on_tricky_inputs() {
        for s in TRICKY {
            let u = Url::parse(s).expect("tricky inputs are valid URLs");
            assert_idempotent(&u);
        }
    }

    #[test]
    fn non_http_urls_do_not_panic() {
        for s in [
            "mailto:%7e%zz@x",
            "data:,%41%",
            "foo://h/%2e%2E/%7e",
            "file:///C:/%7e",
        ] {
            let u = Url::parse(s).expect("valid URL");
            let mut once = u.clone();
            normalize(&mut once);
            let mut twice = once.clone();
            normalize(&mut twice);
            assert_eq!(once, twice, "from {s}");
        }
    }

    #[test]
    fn idempotent_on_generated_inputs() {
        // Deterministic xorshift over an alphabet of troublemakers.
        const ALPHABET: &[&str] = &[
            "%", "2", "e", "E", "f", "4", "1", "z", ".", "/", "?", "#", "&", "=", " ", "é", "\\",
            "~", "%2", "%2e", "%2F", "%7e", "%25",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let mut s = String::from("http://x/");
            for _ in 0..(next() % 16) {
                s.push_str(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
            }
            if let Ok(u) = Url::parse(&s) {
                assert_idempotent(&u);
            }
        }
    }
}
