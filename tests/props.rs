//! Property tests for the parsers of untrusted input: robots.txt, sitemaps, HTML link
//! extraction and URL normalisation. They mirror the invariants of the libFuzzer targets in
//! `fuzz/fuzz_targets/` so that plain `cargo test` proves, on a bounded number of generated
//! inputs, that no parser panics and that their basic promises hold.
//!
//! Case counts are fixed and nothing is persisted, so a run is bounded in time and writes no
//! files. A failure prints its shrunk input: keep it as a plain `#[test]` next to the property.

use std::io::Write;

use authwall::crawl::extract::{Page, PageParser, extract};
use authwall::crawl::robots::{Robots, product_token};
use authwall::crawl::sitemap::parse;
use authwall::crawl::urlnorm::{normalize, parse_http};
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use url::Url;

/// The URL cap of the fuzz target: small, so a generated document can reach it.
const SITEMAP_MAX_URLS: usize = 1000;
/// The byte cap of the fuzz target (uncompressed).
const SITEMAP_MAX_BYTES: usize = 1 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Concatenates 0..max pieces drawn from `piece`.
fn soup(piece: impl Strategy<Value = Vec<u8>>, max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece, 0..max).prop_map(|parts| parts.concat())
}

/// One of `fragments`, as bytes.
fn fragment(fragments: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(fragments).prop_map(<[u8]>::to_vec)
}

/// A short run of arbitrary bytes (non-UTF-8 included), to break up the fragments.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..4)
}

// ---------------------------------------------------------------------------------------------
// robots.txt

const ROBOTS_FRAGMENTS: &[&[u8]] = &[
    b"User-agent:",
    b"user-agent: ",
    b"useragent ",
    b"User agent:",
    b"Allow:",
    b"allow: ",
    b"Disallow:",
    b"disallow: ",
    b"Disalow:",
    b"Sitemap:",
    b"site-map: ",
    b"Crawl-delay:",
    b"crawl-delay: ",
    b"*",
    b"$",
    b"/",
    b"/private",
    b"/robots.txt",
    b"%2F",
    b"%2f",
    b"%",
    b"%zz",
    b"?",
    b"#",
    b"#comment",
    b":",
    b" ",
    b"\t",
    b"\r\n",
    b"\n",
    b"\r",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"\xC3",
    b"\xC3\xA9",
    b"\x00",
    b"authwall",
    b"AuthWall/0.1",
    b"Googlebot",
    b"FOO BAR",
    b"1.5",
    b"-1",
    b"NaN",
    b"inf",
    b"1e309",
    b"https://example.com/sitemap.xml",
];

const ROBOTS_KEYS: &[&[u8]] = &[
    b"User-agent",
    b"user-agent",
    b"USERAGENT",
    b"User agent",
    b"Allow",
    b"allow",
    b"Disallow",
    b"DISALLOW",
    b"Dissallow",
    b"Sitemap",
    b"Crawl-delay",
    b"Host",
    b"",
];

/// Whole values for `key: value` lines, so that generated groups and rules often apply.
const ROBOTS_VALUES: &[&[u8]] = &[
    b"*",
    b"authwall",
    b"Googlebot",
    b"",
    b"/",
    b"/*",
    b"/$",
    b"/private",
    b"/private/",
    b"/private/*",
    b"/*?y=",
    b"/*.php$",
    b"*x$",
    b"/robots.txt",
    b"/%2F",
    b"/%2f*",
    b"/\xC3\xA9",
    b"/%C3%A9",
    b"/\xFF",
    b"5",
    b"0.5",
    b"https://example.com/sitemap.xml",
];

/// A value: usually a whole realistic one, sometimes a mix of fragments and arbitrary bytes.
fn robots_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => fragment(ROBOTS_VALUES),
        1 => soup(prop_oneof![6 => fragment(ROBOTS_FRAGMENTS), 1 => noise()], 6),
    ]
}

/// `key`, a separator, `value` and a line ending (sometimes none: the next line runs on).
fn robots_line(
    key: impl Strategy<Value = Vec<u8>>,
    value: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = Vec<u8>> {
    let sep = prop_oneof![
        6 => fragment(&[b":", b": ", b" : "]),
        1 => fragment(&[b" ", b"\t", b""]),
    ];
    let eol = prop_oneof![
        12 => fragment(&[b"\n", b"\r\n", b"\r", b" # comment\n"]),
        1 => fragment(&[b""]),
    ];
    (key, sep, value, eol).prop_map(|(k, s, v, e)| [k, s, v, e].concat())
}

/// A group: a run of user-agent lines, then rules and other lines.
fn robots_group() -> impl Strategy<Value = Vec<u8>> {
    let agent = prop_oneof![
        3 => fragment(&[b"*", b"authwall", b"AuthWall/1.0", b"Googlebot", b"FOO BAR", b"* x"]),
        1 => robots_value(),
    ];
    let agents = soup(
        robots_line(fragment(&[b"User-agent", b"user-agent"]), agent),
        3,
    );
    let key = prop_oneof![
        6 => fragment(&[b"Allow", b"Disallow", b"disallow", b"Disalow"]),
        2 => fragment(ROBOTS_KEYS),
        1 => noise(),
    ];
    let rules = soup(robots_line(key, robots_value()), 8);
    (agents, rules).prop_map(|(a, r)| [a, r].concat())
}

/// A robots.txt-like body: groups of realistic lines, or a free mix of fragments and
/// arbitrary bytes; with or without a BOM.
fn robots_body() -> impl Strategy<Value = Vec<u8>> {
    let free = soup(
        prop_oneof![4 => fragment(ROBOTS_FRAGMENTS), 1 => noise()],
        48,
    );
    let key = prop_oneof![4 => fragment(ROBOTS_KEYS), 1 => noise()];
    let lines = soup(robots_line(key, robots_value()), 16);
    let groups = soup(robots_group(), 4);
    (
        any::<bool>(),
        prop_oneof![3 => groups, 1 => lines, 1 => free],
    )
        .prop_map(|(bom, body)| {
            if bom {
                [b"\xEF\xBB\xBF".as_slice(), &body].concat()
            } else {
                body
            }
        })
}

/// User agents to ask about: products named in `ROBOTS_FRAGMENTS`, full header values, junk.
fn robots_agent() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&[
            "authwall",
            "authwall/0.1 (+https://example.com/bot)",
            "Googlebot",
            "FOO",
            "foo bar",
            "*",
            "",
            " ",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// Paths to check: plausible ones, ones built from the rule fragments, and arbitrary strings.
fn robots_path() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&[
            "",
            "/",
            "/private",
            "/private/x?y=1",
            "/robots.txt",
            "/robots.txt?x",
            "robots.txt",
            "/%2F",
            "/%2f$",
            "/é",
            "/#frag",
        ])
        .prop_map(str::to_owned),
        2 => soup(fragment(ROBOTS_FRAGMENTS), 8)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        1 => any::<String>(),
    ]
}

/// What the robots fuzz target checks, for one parsed file, agent and path.
fn check_robots(robots: &Robots, agent: &str, path: &str) -> Result<(), TestCaseError> {
    let token = product_token(agent);
    prop_assert!(agent.trim_start().starts_with(token));
    prop_assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );

    for (agent, path) in [
        (agent, path),
        (token, path),
        ("*", path),
        (agent, ""),
        (agent, "/robots.txt"),
        ("Googlebot", "/private/x?y=1"),
    ] {
        let decision = robots.check(agent, path);
        // A refusal always names its rule, and the rule agrees with the decision.
        match &decision.rule {
            Some(rule) => {
                prop_assert_eq!(rule.allow, decision.allowed);
                // Empty values make no rule; line 0 is only the implicit /robots.txt rule.
                prop_assert!(!rule.pattern.is_empty());
                prop_assert!(rule.line >= 1 || rule.pattern == "/robots.txt", "{rule:?}");
            }
            None => prop_assert!(decision.allowed),
        }
        if let Some(delay) = robots.crawl_delay(agent) {
            prop_assert!(delay.is_finite() && delay >= 0.0, "crawl-delay {delay}");
        }
    }
    // /robots.txt itself is always allowed (RFC 9309 2.2.2).
    prop_assert!(robots.check(agent, "/robots.txt").allowed);
    for sitemap in robots.sitemaps() {
        prop_assert!(!sitemap.is_empty());
    }
    prop_assert!(!robots.truncated());
    Ok(())
}

/// A line that declares no Allow/Disallow rule: user-agent, sitemap, crawl-delay, comment,
/// blank, an empty Allow/Disallow (RFC 9309: it allows nothing away), or an unknown key.
fn ruleless_line() -> impl Strategy<Value = String> {
    let value = "[ -~&&[^#]]{0,20}";
    let unknown_key = "[a-zA-Z-]{1,12}".prop_filter("not a rule key", |k| {
        !matches!(
            k.to_ascii_lowercase().as_str(),
            "allow" | "disallow" | "dissallow" | "dissalow" | "disalow" | "diasllow" | "disallaw"
        )
    });
    prop_oneof![
        value.prop_map(|v| format!("User-agent: {v}")),
        prop::sample::select(&["*", "authwall", "Googlebot", "FOO BAR"])
            .prop_map(|v| format!("user-agent:{v}")),
        value.prop_map(|v| format!("Sitemap: {v}")),
        "[0-9.]{0,6}".prop_map(|v| format!("Crawl-delay: {v}")),
        value.prop_map(|v| format!("# {v}")),
        prop::sample::select(&[
            "",
            " ",
            "\t",
            "Allow:",
            "Disallow:",
            "Disallow: # /x",
            "allow:\t"
        ])
        .prop_map(str::to_owned),
        (unknown_key, value).prop_map(|(k, v)| format!("{k}: {v}")),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn robots_parser_never_panics_and_answers_every_path(
        body in prop_oneof![robots_body(), prop::collection::vec(any::<u8>(), 0..512)],
        agent in robots_agent(),
        path in robots_path(),
    ) {
        let robots = Robots::parse(&body);
        check_robots(&robots, &agent, &path)?;
    }

    #[test]
    fn robots_file_without_rules_allows_everything(
        lines in prop::collection::vec(ruleless_line(), 0..16),
        eol in prop::sample::select(&["\n", "\r\n", "\r"]),
        bom in any::<bool>(),
        agent in robots_agent(),
        path in robots_path(),
    ) {
        let body = format!("{}{}", if bom { "\u{FEFF}" } else { "" }, lines.join(eol));
        let robots = Robots::parse(body.as_bytes());
        check_robots(&robots, &agent, &path)?;
        for agent in [agent.as_str(), "*", "authwall", "Googlebot"] {
            let decision = robots.check(agent, &path);
            prop_assert!(decision.allowed, "{agent:?} {path:?} in {body:?}: {decision:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// sitemaps

const SITEMAP_FRAGMENTS: &[&[u8]] = &[
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    b"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">",
    b"<urlset>",
    b"</urlset>",
    b"<sitemapindex>",
    b"</sitemapindex>",
    b"<url>",
    b"</url>",
    b"<sitemap>",
    b"</sitemap>",
    b"<loc>",
    b"</loc>",
    b"<loc/>",
    b"<LOC>",
    b"<image:image><image:loc>",
    b"</image:loc></image:image>",
    b"<lastmod>2024-01-01</lastmod>",
    b"<![CDATA[",
    b"]]>",
    b"<!-- x -->",
    b"<",
    b">",
    b"/>",
    b"</",
    b"&amp;",
    b"&",
    b"&#38;",
    b"&#x33;",
    b"&#0;",
    b"&#xD800;",
    b"&lt;",
    b"&nbsp;",
    b"https://a.io/",
    b"http://a.io/x?y=1&z=2",
    b"HTTPS://A.IO/%41",
    b"https://a.io/a#frag",
    b"ftp://a.io/",
    b"javascript:alert(1)",
    b"/relative",
    b"http://",
    b"http://[::1",
    b" ",
    b"\n",
    b"\r\n",
    b"\t",
    b"\xEF\xBB\xBF",
    b"\x1f\x8b",
    b"\xFF",
    b"\xC3\xA9",
    b"\x00",
];

/// Whole `<loc>` contents (or text lines): valid, invalid and escaped URLs.
const SITEMAP_LOCS: &[&[u8]] = &[
    b"https://a.io/",
    b"http://a.io/x?y=1&amp;z=2",
    b"https://a.io/?raw=1&x=2",
    b"\n   https://a.io/p#frag\n ",
    b"<![CDATA[https://a.io/c?d&e]]>",
    b"https://a.io/&#x33;&lt;&#38;",
    b"HTTPS://A.IO/%41",
    b"https://a.io/\xC3\xA9",
    b"https://a.io/\xFF",
    b"ftp://a.io/",
    b"/relative",
    b"",
    b"http://[::1",
    b"https://a.io/&unknown;",
];

/// Text that may sit inside a `<loc>`: usually a whole loc, sometimes a mix of fragments
/// (entities, CDATA, stray markup) and arbitrary bytes.
fn loc_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => fragment(SITEMAP_LOCS),
        1 => soup(prop_oneof![6 => fragment(SITEMAP_FRAGMENTS), 1 => noise()], 4),
    ]
}

/// A urlset or sitemapindex whose entries hold near-URLs, with optional stray fragments
/// between the entries.
fn sitemap_xml() -> impl Strategy<Value = Vec<u8>> {
    let entry = (any::<bool>(), loc_text(), loc_text()).prop_map(|(index, before, loc)| {
        let name: &[u8] = if index { b"sitemap" } else { b"url" };
        [
            b"<",
            name,
            b">",
            &before,
            b"<loc>",
            &loc,
            b"</loc></",
            name,
            b">\n",
        ]
        .concat()
    });
    let item = prop_oneof![4 => entry, 1 => loc_text()];
    (
        fragment(&[
            b"",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            b"\xEF\xBB\xBF  ",
        ]),
        prop::sample::select(&["urlset", "sitemapindex", "URLSET", "html"]),
        soup(item, 12),
        any::<bool>(),
    )
        .prop_map(|(prolog, root, items, closed)| {
            let close = if closed {
                format!("</{root}>")
            } else {
                String::new()
            };
            [
                prolog,
                format!("<{root}>").into_bytes(),
                items,
                close.into_bytes(),
            ]
            .concat()
        })
}

/// A plain-text sitemap: one near-URL a line.
fn sitemap_text() -> impl Strategy<Value = Vec<u8>> {
    let line = (loc_text(), fragment(&[b"\n", b"\r\n", b""])).prop_map(|(l, e)| [l, e].concat());
    soup(line, 12)
}

/// A sitemap-like body: structured XML, plain text, or a free mix of XML and text fragments
/// with arbitrary bytes.
fn sitemap_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => sitemap_xml(),
        1 => sitemap_text(),
        2 => soup(prop_oneof![6 => fragment(SITEMAP_FRAGMENTS), 1 => noise()], 64),
    ]
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(data).expect("write to Vec");
    enc.finish().expect("finish gzip")
}

/// A string field as `str`, whichever string type holds it (`&str`, `Cow<str>`, `String`).
fn as_str(s: &impl AsRef<str>) -> &str {
    s.as_ref()
}

/// What the sitemap fuzz target checks, for one body and cap.
fn check_sitemap(body: &[u8], max_urls: usize, max_bytes: usize) -> Result<(), TestCaseError> {
    let sitemap = parse(body, max_urls, max_bytes);
    prop_assert!(sitemap.entries.len() <= max_urls);
    prop_assert_eq!(sitemap.gzipped, body.starts_with(&GZIP_MAGIC));
    for url in &sitemap.entries {
        prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        prop_assert!(url.fragment().is_none(), "{url}");
    }
    for invalid in &sitemap.invalid {
        prop_assert!(invalid.raw.len() <= 2048);
        let reason = as_str(&invalid.reason);
        prop_assert!(
            matches!(reason, "empty" | "relative" | "scheme" | "unparsable"),
            "{reason}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sitemap_parser_never_panics_and_returns_only_http_urls(
        body in prop_oneof![
            sitemap_body(),
            prop::collection::vec(any::<u8>(), 0..512),
            // Gzip magic followed by garbage: a broken stream.
            noise().prop_map(|tail| [GZIP_MAGIC.as_slice(), &tail].concat()),
            sitemap_body().prop_map(|b| [GZIP_MAGIC.as_slice(), &b].concat()),
        ],
    ) {
        check_sitemap(&body, SITEMAP_MAX_URLS, SITEMAP_MAX_BYTES)?;
    }

    #[test]
    fn sitemap_parser_respects_tiny_caps(
        body in sitemap_body(),
        gzipped in any::<bool>(),
        max_urls in 0..4usize,
        max_bytes in 0..256usize,
    ) {
        let body = if gzipped { gzip(&body) } else { body };
        check_sitemap(&body, max_urls, max_bytes)?;
    }

    #[test]
    fn sitemap_gzipped_parses_like_plain(
        body in sitemap_body().prop_filter("not gzip itself", |b| !b.starts_with(&GZIP_MAGIC)),
        max_urls in prop_oneof![Just(SITEMAP_MAX_URLS), 0..4usize],
        max_bytes in prop_oneof![Just(SITEMAP_MAX_BYTES), 0..256usize],
    ) {
        // The caps apply to the uncompressed document, so compression changes nothing but
        // the `gzipped` flag.
        let plain = parse(&body, max_urls, max_bytes);
        let gz = parse(&gzip(&body), max_urls, max_bytes);
        prop_assert!(gz.gzipped && !plain.gzipped);
        prop_assert_eq!(gz.kind, plain.kind);
        prop_assert_eq!(&gz.entries, &plain.entries);
        prop_assert_eq!(&gz.invalid, &plain.invalid);
        prop_assert_eq!(gz.url_cap_hit, plain.url_cap_hit);
        prop_assert_eq!(gz.byte_cap_hit, plain.byte_cap_hit);
        prop_assert_eq!(&gz.error, &plain.error);
    }

    #[test]
    fn sitemap_parser_never_panics_on_gzipped_and_truncated_gzip(
        body in sitemap_body(),
        cut in any::<prop::sample::Index>(),
    ) {
        let compressed = gzip(&body);
        check_sitemap(&compressed, SITEMAP_MAX_URLS, SITEMAP_MAX_BYTES)?;
        // A stream cut anywhere after its magic bytes: still gzip, never a panic.
        let end = 2 + cut.index(compressed.len() - 1);
        check_sitemap(&compressed[..end], SITEMAP_MAX_URLS, SITEMAP_MAX_BYTES)?;
    }
}

// ---------------------------------------------------------------------------------------------
// HTML extraction

const HTML_FRAGMENTS: &[&[u8]] = &[
    b"<a href=",
    b"<a href=\"",
    b"<A HREF='",
    b"<a>",
    b"</a>",
    b"<area href=",
    b"<base href=",
    b"<base href=\"https://other.org/b/\">",
    b"<link rel=canonical href=",
    b"<link rel=\"alternate\" href=",
    b"<form action=",
    b"<form>",
    b"</form>",
    b"<input type=password>",
    b"<input type=\"PassWord\">",
    b"<template>",
    b"</template>",
    b"<svg>",
    b"</svg>",
    b"<math>",
    b"<svg/>",
    b"<title>",
    b"</title>",
    b"<meta name=robots content=",
    b"<meta http-equiv=refresh content=\"0;url=",
    b"<meta charset=windows-1252>",
    b"<meta charset=\"utf-8\">",
    b"<script>",
    b"</script>",
    b"<style>",
    b"<noscript>",
    b"<textarea>",
    b"<plaintext>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE html>",
    b"<p>",
    b"<div>",
    b"<br/>",
    b"<",
    b"</",
    b">",
    b"/>",
    b"=",
    b"\"",
    b"'",
    b"&amp;",
    b"&",
    b"&#x41;",
    b"&#0;",
    b"&nbsp;",
    b"&lt",
    b" ",
    b"\n",
    b"\t",
    b"\r\n",
    b"https://example.com/a",
    b"HTTP://Example.COM:80/%7e/./../b",
    b"//other.org/x",
    b"/path",
    b"../up",
    b"?q=1&r=%zz",
    b"#frag",
    b"#",
    b"javascript:alert(1)",
    b"mailto:x@y.z",
    b"data:text/html,x",
    b"http://[::1",
    b"%41%2f%",
    b"\xC3\xA9",
    b"\xE6\x97\xA5",
    b"\xC2\xA0",
    b"\xFF",
    b"\x00",
];

/// Tag soup: HTML fragments mixed with arbitrary bytes (not necessarily UTF-8).
fn tag_soup() -> impl Strategy<Value = Vec<u8>> {
    soup(prop_oneof![8 => fragment(HTML_FRAGMENTS), 1 => noise()], 96)
}

/// Tag soup or arbitrary text, as a UTF-8 string (lossily, as the fuzz target does).
fn html_text() -> impl Strategy<Value = String> {
    prop_oneof![
        tag_soup().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        any::<String>(),
    ]
}

fn page_url() -> Url {
    Url::parse("https://example.com/dir/page").expect("static URL")
}

/// Parses `bytes` with the streaming parser, cut at `cuts` (byte offsets, in any order,
/// possibly inside a UTF-8 sequence or a tag, possibly repeated: empty chunks are written too).
fn parse_in_chunks(bytes: &[u8], cuts: &[prop::sample::Index]) -> Page {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    at.sort_unstable();
    let mut parser = PageParser::new(page_url(), None).counting_main_words();
    let mut start = 0;
    for end in at {
        parser.write(&bytes[start..end]);
        start = end;
    }
    parser.write(&bytes[start..]);
    parser.finish()
}

/// What the extract fuzz target checks, plus the documented shape of the title and forms.
fn check_page(page: &Page) -> Result<(), TestCaseError> {
    // Links are followable: http(s), resolved and already in normal form.
    for link in &page.links {
        prop_assert!(
            link.url.starts_with("http://") || link.url.starts_with("https://"),
            "{}",
            link.url
        );
        let mut again = url::Url::parse(&link.url).expect("a link parses");
        normalize(&mut again);
        prop_assert_eq!(again.as_str(), link.url.as_str());
    }
    if let Some(refresh) = &page.meta_refresh {
        prop_assert!(matches!(refresh.scheme(), "http" | "https"), "{refresh}");
        let mut again = refresh.clone();
        normalize(&mut again);
        prop_assert_eq!(again.as_str(), refresh.as_str());
    }
    if let Some(title) = &page.title {
        prop_assert!(
            !title.is_empty() && title.trim_ascii() == title,
            "{title:?}"
        );
        // ASCII whitespace is collapsed to single spaces.
        prop_assert!(
            !title.contains(['\t', '\n', '\x0C', '\r']) && !title.contains("  "),
            "{title:?}"
        );
    }
    // A form is only listed for the password input it holds.
    prop_assert!(page.password_form_actions.is_empty() || page.has_password_input);
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn extract_never_panics_and_links_are_normalised_http(html in html_text()) {
        let page = extract(&html, &page_url());
        check_page(&page)?;
    }

    #[test]
    fn page_parser_never_panics_on_non_utf8_bytes(bytes in prop_oneof![
        tag_soup(),
        prop::collection::vec(any::<u8>(), 0..512),
    ]) {
        let mut parser = PageParser::new(page_url(), None);
        parser.write(&bytes);
        check_page(&parser.finish())?;
    }

    #[test]
    fn page_parser_in_chunks_gives_the_same_page_as_extract(
        bytes in tag_soup(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let chunked = parse_in_chunks(&bytes, &cuts);
        let mut whole = PageParser::new(page_url(), None).counting_main_words();
        whole.write(&bytes);
        let whole = whole.finish();
        prop_assert_eq!(&chunked, &whole, "cuts {:?}", cuts);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            prop_assert_eq!(&chunked, &extract(text, &page_url()));
        }
        check_page(&chunked)?;
    }

    #[test]
    fn page_parser_in_chunks_of_utf8_text_gives_the_same_page_as_extract(
        html in html_text(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let chunked = parse_in_chunks(html.as_bytes(), &cuts);
        prop_assert_eq!(&chunked, &extract(&html, &page_url()), "cuts {:?}", cuts);
    }
}

// ---------------------------------------------------------------------------------------------
// URL normalisation

/// The checks of the urlnorm fuzz target; an input `parse_http` rejects passes trivially.
fn check_parse_http(input: &str) -> Result<(), TestCaseError> {
    let Some(once) = parse_http(input) else {
        return Ok(());
    };
    prop_assert!(matches!(once.scheme(), "http" | "https"));
    prop_assert!(once.fragment().is_none());

    let mut twice = once.clone();
    normalize(&mut twice);
    prop_assert_eq!(
        twice.as_str(),
        once.as_str(),
        "normalize is not idempotent on {:?}",
        input
    );
    let reparsed = Url::parse(once.as_str());
    prop_assert!(reparsed.is_ok(), "{once} does not re-parse");
    prop_assert_eq!(
        reparsed.as_ref().map(Url::as_str).ok(),
        Some(once.as_str()),
        "re-parse changed {:?}",
        input
    );
    let again = parse_http(once.as_str());
    prop_assert_eq!(
        again.as_ref().map(Url::as_str),
        Some(once.as_str()),
        "parse_http not idempotent on {:?}",
        input
    );
    Ok(())
}

const URL_PARTS: &[&str] = &[
    "a",
    "B",
    "~",
    "-",
    "_",
    ".",
    "..",
    "/",
    "//",
    "%2e",
    "%2E%2e",
    "%41",
    "%7e",
    "%7E",
    "%2F",
    "%2f",
    "%3F",
    "%23",
    "%25",
    "%zz",
    "%",
    "%%41",
    "%4",
    "%C3%A9",
    "%c3%a9",
    "%FF",
    "é",
    "日本",
    "\u{1F600}",
    " ",
    "\t",
    "\n",
    "\\",
    "?",
    "#",
    "&",
    "=",
    "+",
    ";",
    "@",
    ":",
    "[",
    "]",
    "|",
    "\"",
    "<",
    ">",
    "`",
    "{",
    "}",
    "^",
    "\u{0}",
];

/// An http(s) URL assembled from host, port, path, query and fragment parts full of
/// percent-escapes, dot segments, spaces and non-ASCII.
fn generated_url() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(&["http", "https", "HTTP", "hTtPs"]);
    let host = prop::sample::select(&[
        "example.com",
        "EXAMPLE.com.",
        "bücher.de",
        "xn--bcher-kva.de",
        "127.0.0.1",
        "0x7f.1",
        "[::1]",
        "user:pw@example.com",
        "ex%41mple.com",
        "日本.jp",
    ]);
    let port = prop::sample::select(&["", ":80", ":443", ":8080", ":0"]);
    let part = || prop::collection::vec(prop::sample::select(URL_PARTS), 0..10);
    (scheme, host, port, part(), part(), part()).prop_map(
        |(scheme, host, port, path, query, fragment)| {
            format!(
                "{scheme}://{host}{port}/{}?{}#{}",
                path.concat(),
                query.concat(),
                fragment.concat()
            )
        },
    )
}

/// Arbitrary text, or a run of the URL parts above.
fn url_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(URL_PARTS), 0..16).prop_map(|p| p.concat()),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn urlnorm_is_idempotent_on_arbitrary_paths(tail in any::<String>()) {
        let input = format!("http://example.com/{tail}");
        // Anything after the host is a path, query or fragment: the property is never vacuous.
        prop_assert!(parse_http(&input).is_some(), "{input:?}");
        check_parse_http(&input)?;
    }

    #[test]
    fn urlnorm_is_idempotent_on_generated_urls(input in generated_url()) {
        prop_assert!(parse_http(&input).is_some(), "{input:?}");
        check_parse_http(&input)?;
    }

    #[test]
    fn urlnorm_never_panics_on_arbitrary_strings(input in url_text()) {
        check_parse_http(&input)?;
    }

    #[test]
    fn normalize_is_idempotent_for_any_scheme(
        scheme in prop::sample::select(&[
            "http://h/", "https://h/", "ftp://h/", "file:///", "foo://h/", "foo:", "mailto:",
            "data:",
        ]),
        tail in url_text(),
    ) {
        let Ok(mut once) = Url::parse(&format!("{scheme}{tail}")) else {
            return Ok(());
        };
        normalize(&mut once);
        prop_assert!(once.fragment().is_none());
        let mut twice = once.clone();
        normalize(&mut twice);
        prop_assert_eq!(twice.as_str(), once.as_str());
    }
}
