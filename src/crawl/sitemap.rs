//! Sitemap parsing (sitemaps.org protocol): turns one fetched sitemap body, XML
//! `<urlset>`, XML `<sitemapindex>` or plain text, gzipped or not, into absolute
//! http(s) URLs. This module owns format detection, decompression, the protocol's
//! size caps and loc validation; it does no I/O beyond reading the given bytes,
//! and never panics: a hostile or broken body yields a partial result plus `error`.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use url::Url;

/// Sitemap protocol limits, enforced as reported caps.
pub const MAX_SITEMAP_URLS: usize = 50_000;
pub const MAX_SITEMAP_BYTES: usize = 50 * 1024 * 1024; // uncompressed

/// Invalid locs are kept for reporting only, so a megabyte-long garbage line is clipped.
const MAX_RAW_LEN: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SitemapKind {
    UrlSet,
    Index,
    Text,
}

/// A `<loc>` (or text line) that could not be used; `reason` is one of
/// "empty", "relative", "scheme", "unparsable". `raw` is trimmed and clipped to 2 KiB.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvalidLoc {
    pub raw: String,
    pub reason: Cow<'static, str>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sitemap {
    /// For a body that turns out not to be a sitemap this is a best guess; `error` says why.
    pub kind: SitemapKind,
    /// Absolute http/https URLs in document order (for Index: the child sitemap URLs), fragments removed.
    pub entries: Vec<Url>,
    /// `<loc>`s that were not usable, kept so the caller can record them.
    pub invalid: Vec<InvalidLoc>,
    /// More than max_urls entries: the rest were ignored.
    pub url_cap_hit: bool,
    /// The uncompressed document exceeded max_bytes: parsing stopped there.
    pub byte_cap_hit: bool,
    /// The body started with the gzip magic bytes 1f 8b.
    pub gzipped: bool,
    /// Malformed XML / bad gzip / not a sitemap; entries parsed before the error are still returned.
    pub error: Option<String>,
    /// The body is no sitemap at all: XML (or HTML) whose root is not a sitemap's, or no
    /// root element. A sitemap that breaks halfway is not this.
    #[serde(default)]
    pub not_a_sitemap: bool,
}

/// Parse a sitemap body. Never panics; the decompressed document is streamed through a
/// reader that stops after `max_bytes`, so a gzip bomb costs at most that much work and
/// memory is bounded by the largest single line or XML event, not by the document.
pub fn parse(body: &[u8], max_urls: usize, max_bytes: usize) -> Sitemap {
    let gzipped = body.starts_with(&[0x1f, 0x8b]);
    let mut out = Sitemap {
        kind: SitemapKind::Text,
        entries: Vec::new(),
        invalid: Vec::new(),
        url_cap_hit: false,
        byte_cap_hit: false,
        gzipped,
        error: None,
        not_a_sitemap: false,
    };
    // Servers mislabel gzip both ways, so the magic bytes are the only signal trusted.
    let source: Box<dyn Read + '_> = if gzipped {
        Box::new(MultiGzDecoder::new(body))
    } else {
        Box::new(body)
    };
    let mut input = BufReader::new(Capped {
        inner: source,
        left: max_bytes,
        hit: false,
    });
    match skip_preamble(&mut input) {
        Ok(Some(b'<')) => parse_xml(&mut input, max_urls, &mut out),
        Ok(_) => parse_text(&mut input, max_urls, &mut out),
        Err(e) => out.error = Some(io_error(&e)),
    }
    out.byte_cap_hit = input.get_ref().hit;
    out
}

/// Yields at most `left` bytes of `inner`, then EOF, remembering whether anything was cut.
struct Capped<R> {
    inner: R,
    left: usize,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte so that a document of exactly max_bytes is not reported as capped.
            if !self.hit && !buf.is_empty() {
                self.hit = self.inner.read(&mut [0u8; 1])? > 0;
            }
            return Ok(0);
        }
        let n = buf.len().min(self.left);
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got.min(self.left);
        Ok(got)
    }
}

/// Skips a UTF-8 BOM and leading whitespace; returns the first significant byte, if any.
fn skip_preamble(r: &mut impl BufRead) -> io::Result<Option<u8>> {
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    loop {
        let buf = r.fill_buf()?;
        let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let first = buf.get(skip).copied();
        r.consume(skip);
        // Stop at a significant byte or at EOF (an empty buffer skips nothing).
        if first.is_some() || skip == 0 {
            return Ok(first);
        }
    }
}

fn io_error(e: &io::Error) -> String {
    // The body is an in-memory slice, so the decompressor is the only thing that can fail.
    format!("bad gzip stream: {e}")
}

/// Plain-text sitemap: one URL per non-empty line.
fn parse_text<R: Read>(r: &mut BufReader<Capped<R>>, max_urls: usize, out: &mut Sitemap) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => return out.error = Some(io_error(&e)),
        }
        // A last line without newline after the byte cap is a cut-off URL, not a real one.
        if !line.ends_with(b"\n") && r.get_ref().hit {
            return;
        }
        let text = String::from_utf8_lossy(&line);
        if !text.trim().is_empty() && !push_loc(out, &text, max_urls) {
            return;
        }
    }
}

/// XML sitemap: only a direct `<loc>` child of a direct `<url>`/`<sitemap>` child of the root
/// counts, so extension locs such as `<image:image><image:loc>` are ignored. Names are matched
/// by local name only, because wrong or missing namespaces are common in the wild.
fn parse_xml<R: Read>(r: &mut BufReader<Capped<R>>, max_urls: usize, out: &mut Sitemap) {
    out.kind = SitemapKind::UrlSet;
    let mut xml = Reader::from_reader(r);
    // Raw `&` in query strings is the most common sitemap bug; keep it as text instead of failing.
    xml.config_mut().allow_dangling_amp = true;
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut entry_name = "url";
    let mut in_entry = false; // inside a direct child of the root named `entry_name`
    let mut loc: Option<String> = None; // Some while inside a counted <loc>
    let mut saw_root = false;
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(quick_xml::Error::Io(e)) => break out.error = Some(io_error(&e)),
            Err(e) => break out.error = Some(format!("malformed XML: {e}")),
        };
        let (start, empty) = match &event {
            Event::Start(s) => (Some(s), false),
            Event::Empty(s) => (Some(s), true),
            _ => (None, false),
        };
        if let Some(s) = start {
            depth += 1;
            let local = s.local_name();
            let name = local.as_ref();
            match depth {
                1 => {
                    saw_root = true;
                    if name.eq_ignore_ascii_case("sitemapindex") {
                        out.kind = SitemapKind::Index;
                        entry_name = "sitemap";
                    } else if !name.eq_ignore_ascii_case("urlset") {
                        let shown: String = name.chars().take(64).collect();
                        out.not_a_sitemap = true;
                        return out.error = Some(format!("not a sitemap: root element <{shown}>"));
                    }
                }
                2 => in_entry = name.eq_ignore_ascii_case(entry_name),
                3 if in_entry && name.eq_ignore_ascii_case("loc") => loc = Some(String::new()),
                _ => {}
            }
            if empty {
                // `<loc/>` is an explicit but empty loc; an empty root or entry simply ends.
                if let Some(text) = loc.take() {
                    push_loc(out, &text, max_urls);
                }
                if depth == 2 {
                    in_entry = false;
                }
                depth -= 1;
            }
            continue;
        }
        match event {
            Event::End(_) => {
                if depth == 3 {
                    if loc
                        .take()
                        .is_some_and(|text| !push_loc(out, &text, max_urls))
                    {
                        return;
                    }
                } else if depth == 2 {
                    in_entry = false;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 3 => append(&mut loc, &t.xml10_content()),
            Event::CData(c) if depth == 3 => append(&mut loc, &c.xml10_content()),
            Event::GeneralRef(g) if depth == 3 => match g.resolve_char_ref() {
                Ok(Some(ch)) => append(&mut loc, ch.encode_utf8(&mut [0u8; 4])),
                // Unknown named entities stay literal; the URL check decides what that means.
                _ => match resolve_predefined_entity(&g) {
                    Some(s) => append(&mut loc, s),
                    None => append(&mut loc, &format!("&{};", &*g)),
                },
            },
            Event::Eof => {
                if !saw_root {
                    out.not_a_sitemap = true;
                    out.error = Some("malformed XML: no root element".to_owned());
                } else if depth > 0 {
                    out.error =
                        Some("malformed XML: document ends inside an open element".to_owned());
                }
                break;
            }
            _ => {}
        }
    }
    // Errors past the byte cap come from the truncation itself; byte_cap_hit already reports it.
    if xml.get_ref().get_ref().hit {
        out.error = None;
    }
}

fn append(loc: &mut Option<String>, s: &str) {
    if let Some(l) = loc {
        l.push_str(s);
    }
}

/// Records one loc; returns false when the URL cap says to stop reading.
fn push_loc(out: &mut Sitemap, raw: &str, max_urls: usize) -> bool {
    let raw = raw.trim();
    match check_loc(raw) {
        Ok(_) if out.entries.len() >= max_urls => {
            out.url_cap_hit = true;
            false
        }
        Ok(url) => {
            out.entries.push(url);
            true
        }
        Err(reason) => {
            let mut end = raw.len().min(MAX_RAW_LEN);
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            out.invalid.push(InvalidLoc {
                raw: raw.get(..end).unwrap_or_default().to_owned(),
                reason: Cow::Borrowed(reason),
            });
            true
        }
    }
}

fn check_loc(raw: &str) -> Result<Url, &'static str> {
    if raw.is_empty() {
        return Err("empty");
    }
    match Url::parse(raw) {
        Ok(mut url) if matches!(url.scheme(), "http" | "https") => {
            url.set_fragment(None);
            Ok(url)
        }
        Ok(_) => Err("scheme"),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err("relative"),
        Err(_) => Err("unparsable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).expect("write to Vec");
        enc.finish().expect("finish gzip")
    }

    fn p(body: &[u8]) -> Sitemap {
        parse(body, MAX_SITEMAP_URLS, MAX_SITEMAP_BYTES)
    }

    /// Entries joined by spaces, to keep assertions on one line.
    fn urls(s: &Sitemap) -> String {
        let each: Vec<&str> = s.entries.iter().map(Url::as_str).collect();
        each.join(" ")
    }

    /// Invalid locs as `raw=reason`, joined by spaces.
    fn invalid(s: &Sitemap) -> String {
        let each: Vec<String> = s
            .invalid
            .iter()
            .map(|i| i.raw.clone() + "=" + &i.reason)
            .collect();
        each.join(" ")
    }

    fn urlset(n: usize) -> String {
        let mut body = String::from("<urlset>");
        for i in 0..n {
            body += &format!("<url><loc>https://a.io/{i}</loc></url>");
        }
        body + "</urlset>"
    }

    const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://a.io/</loc><lastmod>2024-01-01</lastmod></url>
  <url><loc>https://a.io/a#frag</loc></url>
</urlset>"#;

    #[test]
    fn urlset_yields_locs_in_order_without_fragments() {
        let s = p(URLSET.as_bytes());
        assert_eq!(s.kind, SitemapKind::UrlSet);
        assert_eq!(urls(&s), "https://a.io/ https://a.io/a");
        assert!(s.error.is_none() && s.invalid.is_empty() && !s.gzipped);
        assert!(!s.url_cap_hit && !s.byte_cap_hit);
    }

    #[test]
    fn index_yields_child_sitemaps() {
        let body = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://a.io/1.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
            <sitemap><loc>https://a.io/2.xml.gz</loc></sitemap></sitemapindex>"#;
        let s = p(body.as_bytes());
        assert_eq!(s.kind, SitemapKind::Index);
        assert_eq!(urls(&s), "https://a.io/1.xml https://a.io/2.xml.gz");
        assert!(s.error.is_none());
    }

    #[test]
    fn gzipped_urlset_is_decompressed() {
        let s = p(&gzip(URLSET.as_bytes()));
        assert!(s.gzipped && s.error.is_none());
        assert_eq!(s.entries.len(), 2);
    }

    #[test]
    fn gzip_detection_uses_magic_bytes_not_content() {
        let s = p(&gzip(b"https://a.io/x\n"));
        assert!(s.gzipped);
        assert_eq!(s.kind, SitemapKind::Text);
        assert_eq!(urls(&s), "https://a.io/x");
    }

    #[test]
    fn text_sitemap_handles_crlf_and_blank_lines() {
        let s = p(b"\r\n  https://a.io/1\r\n\r\n   \nhttps://a.io/2\r\n/rel\nhttps://a.io/3");
        assert_eq!(s.kind, SitemapKind::Text);
        assert_eq!(urls(&s), "https://a.io/1 https://a.io/2 https://a.io/3");
        assert_eq!((invalid(&s), s.error), ("/rel=relative".into(), None));
    }

    #[test]
    fn loc_is_unescaped_and_trimmed() {
        let body = "<urlset><url><loc>\n   https://a.io/?a=1&amp;b=2&#38;c=&#x33;&lt;\n </loc></url>\
                    <url><loc>https://a.io/?raw=1&x=2</loc></url></urlset>";
        let s = p(body.as_bytes());
        assert_eq!(
            urls(&s),
            "https://a.io/?a=1&b=2&c=3%3C https://a.io/?raw=1&x=2"
        );
        assert!(s.error.is_none(), "{:?}", s.error);
    }

    #[test]
    fn cdata_loc_is_read() {
        let s = p(b"<urlset><url><loc> <![CDATA[https://a.io/?q=a&b]]> </loc></url></urlset>");
        assert_eq!(urls(&s), "https://a.io/?q=a&b");
    }

    #[test]
    fn image_loc_is_ignored() {
        let body = r#"<urlset xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"><url>
            <loc>https://a.io/page</loc>
            <image:image><image:loc>https://cdn.io/pic.jpg</image:loc></image:image>
            </url></urlset>"#;
        assert_eq!(urls(&p(body.as_bytes())), "https://a.io/page");
    }

    #[test]
    fn wrong_or_missing_namespace_and_prefixes_are_accepted() {
        for body in [
            r#"<urlset xmlns="http://wrong.example/0.84"><url><loc>https://a.io/</loc></url></urlset>"#,
            "<urlset><url><loc>https://a.io/</loc></url></urlset>",
            r#"<s:urlset xmlns:s="x"><s:url><s:loc>https://a.io/</s:loc></s:url></s:urlset>"#,
        ] {
            let s = p(body.as_bytes());
            assert_eq!(urls(&s), "https://a.io/", "{body}");
            assert_eq!(s.error, None, "{body}");
        }
    }

    #[test]
    fn relative_javascript_and_empty_locs_are_invalid() {
        let body = "<urlset><url><loc>/about</loc></url><url><loc>javascript:alert(1)</loc></url>\
                    <url><loc>mailto:a@b.c</loc></url><url><loc>  </loc></url><url><loc/></url>\
                    <url><loc>https://</loc></url><url><loc>https://ok.io/</loc></url></urlset>";
        let s = p(body.as_bytes());
        assert_eq!(urls(&s), "https://ok.io/");
        let want = "/about=relative javascript:alert(1)=scheme mailto:a@b.c=scheme \
                    =empty =empty https://=unparsable";
        assert_eq!(invalid(&s), want);
    }

    #[test]
    fn html_page_is_not_a_sitemap() {
        let s = p(b"\n<!DOCTYPE html><html><body><a href=\"https://a.io/\">x</a></body></html>");
        let want = "not a sitemap: root element <html>";
        assert_eq!(s.error.as_deref(), Some(want));
        assert!(s.entries.is_empty());
        assert!(s.not_a_sitemap);
        let broken = p(b"<urlset><url><loc>https://a.io/</loc></url><url><loc>");
        assert!(broken.error.is_some() && !broken.not_a_sitemap);
    }

    #[test]
    fn malformed_xml_keeps_earlier_entries_and_reports_error() {
        for tail in [
            "<url><loc>https://a.io/2</lo></url>",
            "<url>",
            "<<<\0\u{7f}&&;<!-",
        ] {
            let s = p(format!("<urlset><url><loc>https://a.io/1</loc></url>{tail}").as_bytes());
            assert_eq!(urls(&s), "https://a.io/1", "{tail}");
            assert!(s.error.is_some(), "{tail}");
        }
        let not_utf8 = p(b"<urlset><url><loc>https://a.io/\xff</loc></url></urlset>");
        assert!(not_utf8.error.is_some());
        assert!(p(b"<?xml version=\"1.0\"?>").error.is_some());
    }

    #[test]
    fn url_cap_keeps_first_max_urls_and_stops() {
        let body = urlset(10).replace("</urlset>", "<broken");
        let s = parse(body.as_bytes(), 3, MAX_SITEMAP_BYTES);
        assert_eq!(urls(&s), "https://a.io/0 https://a.io/1 https://a.io/2");
        assert!(s.url_cap_hit);
        assert!(s.error.is_none(), "reading stopped before the broken tail");
        let text = parse(b"https://a.io/0\nhttps://a.io/1\n", 1, MAX_SITEMAP_BYTES);
        assert!(text.url_cap_hit && urls(&text) == "https://a.io/0");
        assert!(!parse(URLSET.as_bytes(), 2, MAX_SITEMAP_BYTES).url_cap_hit);
    }

    #[test]
    fn gzip_bomb_stops_at_byte_cap_quickly() {
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        let started = std::time::Instant::now();
        let s = parse(&bomb, MAX_SITEMAP_URLS, 1024 * 1024);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(s.byte_cap_hit && s.gzipped);
        assert!(s.entries.is_empty() && s.invalid.is_empty());
        // An XML sitemap cut by the cap keeps what it had, without a truncation error.
        let mut xml = urlset(1).into_bytes();
        xml.resize(1024 * 1024, b' ');
        let s = parse(&gzip(&xml), MAX_SITEMAP_URLS, 64 * 1024);
        assert_eq!((s.entries.len(), s.byte_cap_hit, s.error), (1, true, None));
        // Exactly max_bytes is not over the cap.
        assert!(!parse(URLSET.as_bytes(), 10, URLSET.len()).byte_cap_hit);
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_panic() {
        let gz = gzip(urlset(2000).as_bytes());
        for cut in [2, 5, 12, gz.len() / 2, gz.len() - 4] {
            let s = p(&gz[..cut]);
            assert!(s.gzipped && s.error.is_some(), "cut at {cut}: {s:?}");
        }
    }

    #[test]
    fn bom_is_skipped() {
        let xml = p(format!("\u{feff}{URLSET}").as_bytes());
        assert_eq!(urls(&xml), "https://a.io/ https://a.io/a");
        assert!(xml.error.is_none());
        let text = p("\u{feff}https://a.io/\n".as_bytes());
        assert_eq!(urls(&text), "https://a.io/");
    }

    #[test]
    fn odd_inputs_and_zero_caps_never_panic() {
        let seeds: [&[u8]; 6] = [
            b"",
            b"<",
            b"\x1f\x8b",
            b"<urlset><url><loc>&#0;&#xFFFFFFFF;&bogus;</loc>",
            b"<a></b>",
            b"\xff\xfe<",
        ];
        for seed in seeds {
            for max in [0, 1, 3] {
                let _ = (parse(seed, max, max), p(seed));
            }
        }
    }
}
