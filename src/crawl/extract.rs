//! Everything the crawl needs from one HTML page: links (resolved and
//! normalised), title, meta robots, canonical, meta refresh and password
//! forms.
//!
//! Pages are parsed as they stream in, chunk by chunk, by the tokenizer in
//! [`super::html`]: no document tree is built and no body is kept; memory per
//! page in flight is the attribute values kept, and time is linear in the
//! input whatever the nesting. Values are kept as bytes and decoded at the end,
//! once the page's encoding is known (a `<meta charset>` may come after the
//! first links). URLs are resolved at the end too, because the first
//! `<base href>` applies to the whole document, including links before it.
//!
//! Character references are expanded here (`htmlize`, the WHATWG rules,
//! attribute mode for attributes).
//!
//! Not seen, as in a browser with scripting enabled:
//! - comments and `<script>`/`<style>` bodies are text, never elements;
//! - `<noscript>` content is raw text, so links inside it are not found;
//! - `<template>` content is inert (not rendered, not in `document.links`).

use std::borrow::Cow;

use encoding_rs::Encoding;
use url::Url;

use super::html::{Name, Namespace, Sink, Tag, Tokenizer};
use super::urlnorm::{is_http, normalize};

/// Bytes of the first `<title>` kept (as written); a longer title is cut there.
const MAX_TITLE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LinkKind {
    Anchor,
    Area,
    Canonical,
    Alternate,
}

/// A followable link: resolved, normalised (`urlnorm::normalize`), http/https only, as the
/// string `Url` serialises to (the crawl looks most links up by it and parses only new ones).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub url: String,
    pub kind: LinkKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page {
    /// First HTML `<title>`, ASCII whitespace collapsed and trimmed; None if missing/empty.
    pub title: Option<String>,
    /// Contents of every `<meta name="robots">` (name case-insensitive), joined with ", ".
    pub meta_robots: Option<String>,
    /// href of the first `<link rel="canonical">`, resolved against the base
    /// URL but otherwise as written (fragment kept, not normalised: this is
    /// for reporting; the normalised form is among `links`). Raw value if it
    /// does not resolve.
    pub canonical: Option<String>,
    /// Target of the first valid `<meta http-equiv="refresh">`, resolved and
    /// normalised; None if it has no URL (refreshes itself) or a non-http(s) one.
    pub meta_refresh: Option<Url>,
    /// `<a>`, `<area>`, `<link rel=canonical|alternate>` in document order, duplicates kept.
    pub links: Vec<Link>,
    /// hrefs of those elements that `Url::join` rejected (or longer than the tokenizer keeps).
    pub invalid_links: usize,
    /// An `<input type=password>` anywhere (outside `<template>`).
    pub has_password_input: bool,
    /// For each `<form>` holding a password input, in document order: its
    /// action resolved against the base URL (the page URL when missing or
    /// empty), not normalised; raw value if it does not resolve.
    pub password_form_actions: Vec<String>,
    /// Why the parse stopped before the end of the body, if it did.
    pub parse_error: Option<String>,
}

/// Parse a whole page at once (tests, fuzzing, small bodies). `page_url` is the URL the body
/// was served from (after redirects).
pub fn extract(html: &str, page_url: &Url) -> Page {
    let mut parser = PageParser::new(page_url.clone(), None);
    parser.write(html.as_bytes());
    parser.finish()
}

/// A page parsed as its body arrives: [`PageParser::write`] each chunk, then
/// [`PageParser::finish`].
pub struct PageParser {
    tokenizer: Tokenizer,
    raw: Raw,
    page_url: Url,
    /// From the Content-Type's charset parameter.
    declared: Option<&'static Encoding>,
    /// The body's first bytes, for a byte order mark.
    head: Vec<u8>,
}

impl PageParser {
    /// `charset` is the Content-Type's charset parameter, if any. As in browsers, a UTF-8 byte
    /// order mark wins over it, and it wins over a `<meta charset>` in the page. Unknown labels
    /// and encodings that are not ASCII-compatible (UTF-16) fall back to UTF-8, decoded lossily.
    pub fn new(page_url: Url, charset: Option<&str>) -> Self {
        Self {
            tokenizer: Tokenizer::new(),
            raw: Raw::default(),
            page_url,
            declared: charset.and_then(encoding),
            head: Vec::new(),
        }
    }

    pub fn write(&mut self, chunk: &[u8]) {
        if self.head.len() < 3 {
            let take = chunk.len().min(3 - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.tokenizer.feed(chunk, &mut self.raw);
    }

    pub fn finish(mut self) -> Page {
        self.tokenizer.finish(&mut self.raw);
        let encoding = if self.head == b"\xEF\xBB\xBF" {
            encoding_rs::UTF_8
        } else {
            self.declared
                .or(self.raw.meta_charset)
                .unwrap_or(encoding_rs::UTF_8)
        };
        let mut page = self.raw.resolve(&self.page_url, encoding);
        page.parse_error = self.tokenizer.error().map(str::to_owned);
        page
    }
}

/// The encoding a label names, if the tokenizer can read it (ASCII-compatible).
fn encoding(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label_no_replacement(label.trim_ascii().as_bytes())
        .filter(|e| e.is_ascii_compatible())
}

/// Bytes as text in the page's encoding (lossy), character references expanded.
fn decode<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Cow<'a, str> {
    if encoding == encoding_rs::UTF_8 {
        String::from_utf8_lossy(bytes)
    } else {
        encoding.decode_without_bom_handling(bytes).0
    }
}

/// An attribute value as text: decoded, character references expanded.
fn attr_text<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Cow<'a, str> {
    match decode(bytes, encoding) {
        Cow::Borrowed(s) => htmlize::unescape_attribute(s),
        Cow::Owned(s) => match htmlize::unescape_attribute(s.as_str()) {
            Cow::Borrowed(_) => Cow::Owned(s),
            Cow::Owned(expanded) => Cow::Owned(expanded),
        },
    }
}

/// Attribute values that are only compared (names, types, rel): ASCII in practice, so UTF-8
/// is as good as the page's encoding for them.
fn attr_is(tag: &Tag<'_>, name: &str, want: impl Fn(&str) -> bool) -> bool {
    match tag.attr(name) {
        Some(Ok(v)) => want(&attr_text(v, encoding_rs::UTF_8)),
        _ => false,
    }
}

/// A kept attribute value, or None if missing or cut.
fn attr_bytes(tag: &Tag<'_>, name: &str) -> Option<Vec<u8>> {
    tag.attr(name)?.ok().map(<[u8]>::to_vec)
}

/// `rel` is a space-separated, ASCII case-insensitive token list.
fn has_rel(tag: &Tag<'_>, token: &str) -> bool {
    attr_is(tag, "rel", |rel| {
        rel.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case(token))
    })
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum TitleState {
    #[default]
    Before,
    Open,
    Done,
}

/// What the tokenizer reported, as bytes still to decode and resolve.
#[derive(Default)]
struct Raw {
    title_state: TitleState,
    /// The first title's text as written (references expanded at the end).
    title_text: Vec<u8>,
    base: Option<Vec<u8>>,
    robots: Vec<Vec<u8>>,
    canonical: Option<Vec<u8>>,
    /// `content` of each `<meta http-equiv=refresh>`, in order.
    refresh: Vec<Vec<u8>>,
    /// All hrefs end to end in `hrefs`; each link is its end offset and kind.
    hrefs: Vec<u8>,
    links: Vec<(usize, LinkKind)>,
    /// Links whose href was longer than the tokenizer keeps.
    cut_links: usize,
    has_password_input: bool,
    /// `action` attributes of forms holding a password input.
    password_forms: Vec<Option<Vec<u8>>>,
    /// The open form's action and whether it already holds a password input.
    open_form: Option<(Option<Vec<u8>>, bool)>,
    /// Open `<template>` elements around the cursor.
    template_depth: u32,
    /// The first `<meta charset>` (or http-equiv content-type charset) the page declares.
    meta_charset: Option<&'static Encoding>,
}

impl Sink for Raw {
    fn wants_attrs(&mut self, name: &Name) -> bool {
        matches!(
            name.as_bytes(),
            b"a" | b"area" | b"link" | b"base" | b"meta" | b"form" | b"input"
        )
    }

    fn start_tag(&mut self, tag: &Tag<'_>) -> bool {
        let html = tag.ns == Namespace::Html;
        let name = tag.name.as_bytes();
        if html && tag.name.is("template") {
            // `<template/>` opens one too: self-closing is ignored on HTML elements.
            self.template_depth += 1;
            return false;
        }
        if self.template_depth > 0 {
            return false;
        }
        match name {
            // `<a>` counts in SVG too (not in MathML, which has no link element).
            b"a" if html || tag.ns == Namespace::Svg => self.push_link(tag, LinkKind::Anchor),
            _ if !html => {}
            b"area" => self.push_link(tag, LinkKind::Area),
            b"link" if tag.has_attr("href") => {
                if has_rel(tag, "canonical") {
                    if self.canonical.is_none() {
                        self.canonical = attr_bytes(tag, "href");
                    }
                    self.push_link(tag, LinkKind::Canonical);
                } else if has_rel(tag, "alternate") {
                    self.push_link(tag, LinkKind::Alternate);
                }
            }
            b"base" if self.base.is_none() => self.base = attr_bytes(tag, "href"),
            b"title" if !tag.in_foreign && self.title_state == TitleState::Before => {
                // The first HTML <title> only; its text arrives through `text`.
                self.title_state = TitleState::Open;
                return true;
            }
            b"meta" => self.meta(tag),
            // The parser's form element pointer: a <form> inside an open one is ignored.
            b"form" if self.open_form.is_none() => {
                self.open_form = Some((attr_bytes(tag, "action"), false));
            }
            b"input" if attr_is(tag, "type", |t| t.eq_ignore_ascii_case("password")) => {
                self.has_password_input = true;
                if let Some((action, holds)) = &mut self.open_form
                    && !*holds
                {
                    *holds = true;
                    self.password_forms.push(action.clone());
                }
            }
            _ => {}
        }
        false
    }

    fn end_tag(&mut self, name: &Name, ns: Namespace) {
        if ns != Namespace::Html {
            return;
        }
        if name.is("template") {
            self.template_depth = self.template_depth.saturating_sub(1);
        } else if self.template_depth > 0 {
        } else if name.is("form") {
            self.open_form = None;
        } else if name.is("title") && self.title_state == TitleState::Open {
            self.title_state = TitleState::Done;
        }
    }

    fn text(&mut self, text: &[u8]) {
        if self.title_state == TitleState::Open {
            let room = MAX_TITLE_BYTES.saturating_sub(self.title_text.len());
            self.title_text
                .extend_from_slice(&text[..text.len().min(room)]);
        }
    }
}

impl Raw {
    fn push_link(&mut self, tag: &Tag<'_>, kind: LinkKind) {
        match tag.attr("href") {
            Some(Ok(href)) => {
                self.hrefs.extend_from_slice(href);
                self.links.push((self.hrefs.len(), kind));
            }
            Some(Err(())) => self.cut_links += 1,
            None => {}
        }
    }

    fn meta(&mut self, tag: &Tag<'_>) {
        if self.meta_charset.is_none() {
            if let Some(Ok(label)) = tag.attr("charset") {
                self.meta_charset = encoding(&String::from_utf8_lossy(label));
            } else if attr_is(tag, "http-equiv", |v| {
                v.trim_ascii().eq_ignore_ascii_case("content-type")
            }) && let Some(Ok(content)) = tag.attr("content")
            {
                self.meta_charset =
                    charset_in_content(&String::from_utf8_lossy(content)).and_then(encoding);
            }
        }
        let Some(content) = attr_bytes(tag, "content") else {
            return;
        };
        if attr_is(tag, "name", |n| {
            n.trim_ascii().eq_ignore_ascii_case("robots")
        }) {
            self.robots.push(content.clone());
        }
        if attr_is(tag, "http-equiv", |n| {
            n.trim_ascii().eq_ignore_ascii_case("refresh")
        }) {
            self.refresh.push(content);
        }
    }

    fn resolve(self, page_url: &Url, encoding: &'static Encoding) -> Page {
        let text = |bytes: &[u8]| attr_text(bytes, encoding).into_owned();
        // An unparsable or non-http(s) base is ignored, as browsers block
        // e.g. `data:`/`javascript:` bases.
        let base = self
            .base
            .and_then(|b| page_url.join(text(&b).trim_ascii()).ok())
            .filter(is_http)
            .unwrap_or_else(|| page_url.clone());
        // The page's own normalised URL, needed only for `#fragment` links.
        let page_norm = std::cell::OnceCell::new();
        let page_norm = || {
            page_norm.get_or_init(|| {
                let mut url = page_url.clone();
                normalize(&mut url);
                url
            })
        };
        let origin = &base[..url::Position::BeforePath];

        let mut links = Vec::with_capacity(self.links.len());
        let mut invalid_links = self.cut_links;
        let mut from = 0;
        for &(to, kind) in &self.links {
            let href = attr_text(&self.hrefs[from..to], encoding);
            from = to;
            let href = href.trim_ascii();
            if href.is_empty() {
                continue;
            }
            if let Some(url) = simple_path_link(origin, href) {
                links.push(Link { url, kind });
                continue;
            }
            let Ok(mut url) = base.join(href) else {
                invalid_links += 1;
                continue;
            };
            if !is_http(&url) {
                continue;
            }
            normalize(&mut url);
            // `#top` points back into this page; under a foreign <base> it
            // does not, and then it is a real link.
            if href.starts_with('#') && url == *page_norm() {
                continue;
            }
            links.push(Link {
                url: url.into(),
                kind,
            });
        }

        let resolve_or_raw = |bytes: &[u8]| {
            let s = text(bytes);
            base.join(s.trim_ascii()).map_or(s, String::from)
        };
        let title = htmlize::unescape(decode(&self.title_text, encoding))
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let robots: Vec<String> = self
            .robots
            .iter()
            .map(|c| text(c).trim_ascii().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let refresh: Vec<Option<String>> = self
            .refresh
            .iter()
            .filter_map(|c| refresh_target(&text(c)).map(|t| t.map(str::to_owned)))
            .collect();

        Page {
            title: (!title.is_empty()).then_some(title),
            meta_robots: (!robots.is_empty()).then(|| robots.join(", ")),
            canonical: self.canonical.as_deref().map(resolve_or_raw),
            meta_refresh: first_refresh(&refresh, &base),
            links,
            invalid_links,
            has_password_input: self.has_password_input,
            password_form_actions: self
                .password_forms
                .iter()
                .map(|action| match action.as_deref() {
                    Some(a) if !text(a).trim_ascii().is_empty() => resolve_or_raw(a),
                    _ => page_url.to_string(),
                })
                .collect(),
            parse_error: None,
        }
    }
}

/// The charset in a `<meta http-equiv=content-type content=…>` (the WHATWG "extracting a
/// character encoding from a meta element" steps): `charset`, optional spaces, `=`, then a
/// quoted value (which must be closed) or one up to a space or `;`.
fn charset_in_content(content: &str) -> Option<&str> {
    let lower = content.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let at = from + lower[from..].find("charset")?;
        let rest = content[at + 7..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let Some(value) = rest.strip_prefix('=') else {
            from = at + 7;
            continue;
        };
        let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
        return match value.chars().next()? {
            quote @ ('"' | '\'') => {
                let inner = &value[1..];
                inner.find(quote).map(|end| &inner[..end])
            }
            _ => {
                let end = value
                    .find(|c: char| c.is_ascii_whitespace() || c == ';')
                    .unwrap_or(value.len());
                Some(&value[..end])
            }
        };
    }
}

/// Most links of most sites are plain absolute paths (`/docs/page?id=2`). For those the
/// resolved, normalised URL is the base's origin followed by the href as written, so the URL
/// parser (about a tenth of a crawl's CPU when it resolved every link) is skipped. Anything
/// the parser could change is left to it: `//`, dot segments, `%`, `#`, `\`, quotes,
/// spaces, controls and non-ASCII. `simple_links_resolve_like_the_parser` checks the claim.
fn simple_path_link(origin: &str, href: &str) -> Option<String> {
    let bytes = href.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
        return None;
    }
    let plain = bytes
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/?".contains(&b));
    let path = href.split('?').next().unwrap_or(href);
    if !plain || path.contains("/.") {
        return None;
    }
    let mut url = String::with_capacity(origin.len() + href.len());
    url.push_str(origin);
    url.push_str(href);
    Some(url)
}

/// Browsers act on the first meta refresh whose URL parses and is not
/// `javascript:`; later ones are ignored.
fn first_refresh(candidates: &[Option<String>], base: &Url) -> Option<Url> {
    for candidate in candidates {
        let target = candidate.as_deref()?; // no URL: the page refreshes itself
        let Ok(mut url) = base.join(target) else {
            continue;
        };
        if url.scheme() == "javascript" {
            continue;
        }
        if !is_http(&url) {
            return None;
        }
        normalize(&mut url);
        return Some(url);
    }
    None
}

/// Parses a meta refresh `content` per the HTML "shared declarative refresh
/// steps": `<time>[;,]? [url=]['"]?<url>`. `None` = invalid (ignored by
/// browsers), `Some(None)` = valid but without a URL.
fn refresh_target(content: &str) -> Option<Option<&str>> {
    let ws = |c: char| c.is_ascii_whitespace();
    let s = content.trim_start_matches(ws);
    // The time: digits, optionally with a fraction; required.
    if !s.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let rest = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if rest.is_empty() {
        return Some(None);
    }
    if !rest.starts_with([';', ',']) && !rest.starts_with(ws) {
        return None; // e.g. "5x"
    }
    let rest = rest.trim_start_matches(ws);
    let rest = rest.strip_prefix([';', ',']).unwrap_or(rest);
    let rest = rest.trim_start_matches(ws);
    let mut url = rest;
    // Optional `url =` prefix; `get` keeps a multi-byte char from splitting.
    if rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("url")) {
        let after = rest[3..].trim_start_matches(ws);
        if let Some(after) = after.strip_prefix('=') {
            url = after.trim_start_matches(ws);
        }
    }
    if let Some(quote) = url.chars().next().filter(|c| matches!(c, '\'' | '"')) {
        let inner = &url[1..];
        url = inner.find(quote).map_or(inner, |end| &inner[..end]);
    }
    let url = url.trim_ascii();
    Some((!url.is_empty()).then_some(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_url() -> Url {
        Url::parse("https://example.com/dir/page.html").expect("literal URL")
    }

    fn ex(html: &str) -> Page {
        extract(html, &page_url())
    }

    fn urls(p: &Page) -> Vec<String> {
        p.links.iter().map(|l| l.url.clone()).collect()
    }

    fn link_urls(html: &str) -> Vec<String> {
        urls(&ex(html))
    }

    #[test]
    fn relative_links_resolve_against_page() {
        assert_eq!(
            link_urls(r#"<a href="other.html">x</a><a href="/root">y</a><a href="?q=1">z</a>"#),
            [
                "https://example.com/dir/other.html",
                "https://example.com/root",
                "https://example.com/dir/page.html?q=1",
            ]
        );
    }

    #[test]
    fn dot_dot_links_resolve() {
        assert_eq!(
            link_urls(r#"<a href="../up">a</a><a href="./sub/../../../../x">b</a>"#),
            ["https://example.com/up", "https://example.com/x"]
        );
    }

    #[test]
    fn base_href_applies_to_whole_document_first_one_wins() {
        let p = ex(r#"<a href="before">b</a>
            <head><base href="/base/dir/"><base href="https://ignored.example/"></head>
            <a href="after">a</a><a href="//cdn.example/x">c</a>"#);
        assert_eq!(
            urls(&p),
            [
                "https://example.com/base/dir/before",
                "https://example.com/base/dir/after",
                "https://cdn.example/x",
            ]
        );
    }

    #[test]
    fn base_without_href_is_skipped() {
        let p = ex(r#"<base target="_blank"><base href="https://b.example/d/"><a href="x">x</a>"#);
        assert_eq!(urls(&p), ["https://b.example/d/x"]);
    }

    #[test]
    fn invalid_or_non_http_base_is_ignored() {
        for base in [
            "http://[broken",
            "javascript:alert(1)",
            "data:text/html,x",
            "mailto:a@b",
        ] {
            let p = ex(&format!(r#"<base href="{base}"><a href="x">x</a>"#));
            assert_eq!(urls(&p), ["https://example.com/dir/x"], "base {base}");
        }
    }

    #[test]
    fn protocol_relative_links_take_page_scheme() {
        assert_eq!(
            link_urls(r#"<a href="//other.example/x">x</a>"#),
            ["https://other.example/x"]
        );
        let p = extract(
            r#"<a href="//other.example/x">x</a>"#,
            &Url::parse("http://example.com/").expect("literal URL"),
        );
        assert_eq!(urls(&p), ["http://other.example/x"]);
    }

    #[test]
    fn fragments_dropped_and_fragment_only_links_ignored() {
        let p = ex(
            r##"<a href="#top">t</a><a href="#">e</a><a href="page.html#s">s</a>
            <a href="/x#frag">x</a><a href="">empty</a><a href="   ">blank</a><a>none</a>"##,
        );
        // `page.html#s` is spelled as a path, so it stays (a self-link to count).
        assert_eq!(
            urls(&p),
            ["https://example.com/dir/page.html", "https://example.com/x"]
        );
        assert_eq!(p.invalid_links, 0);
    }

    #[test]
    fn fragment_only_link_under_foreign_base_is_a_real_link() {
        let p = ex(r##"<base href="https://other.example/doc"><a href="#top">t</a>"##);
        assert_eq!(urls(&p), ["https://other.example/doc"]);
    }

    #[test]
    fn mailto_tel_javascript_data_and_other_schemes_ignored() {
        let p = ex(
            r#"<a href="mailto:a@example.com">m</a><a href="tel:+123">t</a>
            <a href="javascript:void(0)">j</a><a href=" JavaScript:alert(1)">J</a>
            <a href="data:text/html,<a href=/x>">d</a><a href="ftp://example.com/f">f</a>
            <a href="file:///etc/passwd">file</a><a href="ws://example.com/">w</a>
            <a href="https://ok.example/">ok</a>"#,
        );
        assert_eq!(urls(&p), ["https://ok.example/"]);
        assert_eq!(p.invalid_links, 0);
    }

    #[test]
    fn unparsable_hrefs_are_counted() {
        let p = ex(r#"<a href="http://[::1">a</a><a href="https://">b</a>
            <a href="http://exa mple.com/">c</a><a href="/fine">ok</a>
            <link rel="canonical" href="http://:80/">"#);
        assert_eq!(urls(&p), ["https://example.com/fine"]);
        assert_eq!(p.invalid_links, 4);
    }

    #[test]
    fn hrefs_are_trimmed_and_normalised() {
        let p = ex(
            "<a href=\"\n\t /caf%c3%a9?a=%7e#x \n\">x</a><a href='HTTPS://EXAMPLE.com:443/caf\u{e9}?a=~'>y</a>",
        );
        assert_eq!(urls(&p), ["https://example.com/caf%C3%A9?a=~"; 2]);
    }

    #[test]
    fn links_in_document_order_with_duplicates_and_kinds() {
        let p = ex(
            r#"<html><head><link rel="alternate" href="/feed"></head><body>
            <a href="/a">1</a><map><area href="/area" alt=""></map><a href="/a">2</a>
            <svg><a href="/svg-link"><text>s</text></a></svg></body></html>"#,
        );
        let got: Vec<_> = p
            .links
            .iter()
            .map(|l| {
                (
                    Url::parse(&l.url).expect("link URL").path().to_owned(),
                    l.kind,
                )
            })
            .collect();
        let got: Vec<_> = got.iter().map(|(p, k)| (p.as_str(), *k)).collect();
        assert_eq!(
            got,
            [
                ("/feed", LinkKind::Alternate),
                ("/a", LinkKind::Anchor),
                ("/area", LinkKind::Area),
                ("/a", LinkKind::Anchor),
                ("/svg-link", LinkKind::Anchor),
            ]
        );
    }

    #[test]
    fn comment_links_ignored() {
        let p = ex(r#"<!-- <a href="/commented">x</a> --><a href="/real">r</a>
            <!-- unterminated <a href="/also-commented">"#);
        assert_eq!(urls(&p), ["https://example.com/real"]);
    }

    #[test]
    fn script_and_style_links_ignored() {
        let p = ex(
            r#"<script>document.write('<a href="/from-script">x</a>');</script>
            <style>/* <a href="/from-style"> */</style>
            <script type="text/template"><a href="/tpl">t</a></script><a href="/real">r</a>"#,
        );
        assert_eq!(urls(&p), ["https://example.com/real"]);
    }

    #[test]
    fn template_content_is_inert() {
        let p = ex(r#"<template><a href="/in-template">x</a><title>T</title>
            <form><input type=password></form></template><a href="/real">r</a>"#);
        assert_eq!(urls(&p), ["https://example.com/real"]);
        assert_eq!(p.title, None);
        assert!(!p.has_password_input);
    }

    #[test]
    fn noscript_content_is_raw_text_so_its_links_are_not_seen() {
        // html5ever parses with scripting enabled, like a browser: <noscript>
        // holds one text node, in <head> and <body> alike.
        let p = ex(
            r#"<head><noscript><link rel="canonical" href="/ns-canon"></noscript></head>
            <body><noscript><a href="/ns-link">x</a></noscript><a href="/real">r</a></body>"#,
        );
        assert_eq!(urls(&p), ["https://example.com/real"]);
        assert_eq!(p.canonical, None);
    }

    #[test]
    fn canonical_and_hreflang_alternates() {
        let p = ex(r#"<head>
            <link rel="CANONICAL" href="/canon#frag">
            <link rel="canonical" href="/second-canon">
            <link rel="alternate" hreflang="de" href="https://example.de/seite">
            <link rel="Alternate" hreflang="x-default" href="/">
            <link rel="alternate stylesheet" href="/alt.css">
            <link rel="stylesheet" href="/main.css"><link rel="icon" href="/f.ico">
            <link rel="preload canonical-ish" href="/nope">
            </head>"#);
        assert_eq!(
            p.canonical.as_deref(),
            Some("https://example.com/canon#frag")
        );
        let got: Vec<_> = p.links.iter().map(|l| (l.url.as_str(), l.kind)).collect();
        assert_eq!(
            got,
            [
                ("https://example.com/canon", LinkKind::Canonical),
                ("https://example.com/second-canon", LinkKind::Canonical),
                ("https://example.de/seite", LinkKind::Alternate),
                ("https://example.com/", LinkKind::Alternate),
                ("https://example.com/alt.css", LinkKind::Alternate),
            ]
        );
    }

    #[test]
    fn canonical_kept_raw_when_unresolvable() {
        let p = ex(r#"<link rel="canonical" href="http://[oops">"#);
        assert_eq!(p.canonical.as_deref(), Some("http://[oops"));
        assert!(p.links.is_empty());
        assert_eq!(p.invalid_links, 1);
    }

    #[test]
    fn meta_refresh_forms() {
        let cases = [
            ("5; url=/x", Some("https://example.com/x")),
            ("0;URL='/x'", Some("https://example.com/x")),
            ("0; Url = \"/x\" ", Some("https://example.com/x")),
            ("0;url='/a b'trailing", Some("https://example.com/a%20b")),
            (
                "0;url=\"/unterminated",
                Some("https://example.com/unterminated"),
            ),
            ("0;/x", Some("https://example.com/x")),
            ("0, next.html", Some("https://example.com/dir/next.html")),
            (
                "  3.5 ; 'quoted.html'",
                Some("https://example.com/dir/quoted.html"),
            ),
            (".5 url=/dot", Some("https://example.com/dot")),
            (
                "0; url=HTTP://Other.Example/y#f",
                Some("http://other.example/y"),
            ),
            ("0;url", Some("https://example.com/dir/url")),
            ("5", None),
            ("5;", None),
            ("0; url=", None),
            ("0; url=''", None),
            ("url=/x", None),
            ("soon; url=/x", None),
            ("5x; url=/x", None),
            ("0; url=mailto:a@b", None),
            ("0;url=\u{e9}", Some("https://example.com/dir/%C3%A9")),
            ("0;ur\u{e9}", Some("https://example.com/dir/ur%C3%A9")),
        ];
        for (content, want) in cases {
            let attr = content.replace('"', "&quot;");
            let p = ex(&format!(r#"<meta http-equiv="Refresh" content="{attr}">"#));
            assert_eq!(
                p.meta_refresh.as_ref().map(Url::as_str),
                want,
                "content {content:?}"
            );
        }
    }

    #[test]
    fn meta_refresh_first_valid_one_wins() {
        let p = ex(r#"<meta http-equiv="refresh" content="soon">
            <meta http-equiv="refresh" content="0;url=javascript:alert(1)">
            <meta http-equiv="refresh" content="0;url=http://[bad">
            <meta http-equiv="refresh" content="1;url=/winner">
            <meta http-equiv="refresh" content="2;url=/loser">"#);
        assert_eq!(
            p.meta_refresh.as_ref().map(Url::as_str),
            Some("https://example.com/winner")
        );
        // A valid refresh without URL (reload) also stops the search.
        let p = ex(
            r#"<meta http-equiv="refresh" content="30"><meta http-equiv="refresh" content="0;url=/x">"#,
        );
        assert_eq!(p.meta_refresh, None);
    }

    #[test]
    fn meta_refresh_honours_base() {
        let p = ex(
            r#"<base href="https://b.example/d/"><meta http-equiv="refresh" content="0;url=n">"#,
        );
        assert_eq!(
            p.meta_refresh.as_ref().map(Url::as_str),
            Some("https://b.example/d/n")
        );
    }

    #[test]
    fn title_whitespace_collapsed() {
        let p = ex("<title>\n  Hello \t  <b>wide</b>\r\n world  </title><title>second</title>");
        assert_eq!(p.title.as_deref(), Some("Hello <b>wide</b> world"));
        assert_eq!(
            ex("<title>Caf&eacute; &amp; co</title>").title.as_deref(),
            Some("Café & co")
        );
    }

    #[test]
    fn title_missing_or_empty_is_none() {
        assert_eq!(ex("<p>no title</p>").title, None);
        assert_eq!(ex("<title> \n </title><title>later</title>").title, None);
        // An inline SVG's <title> is not the document title.
        assert_eq!(ex("<svg><title>icon</title></svg>").title, None);
    }

    #[test]
    fn meta_robots_joined_case_insensitive() {
        let p = ex(
            r#"<meta name="ROBOTS" content="noindex"><meta name="description" content="d">
            <meta name=" robots " content=" nofollow ,noarchive "><meta name="robots">
            <meta name="robots" content="  "><meta name="googlebot" content="none">"#,
        );
        assert_eq!(
            p.meta_robots.as_deref(),
            Some("noindex, nofollow ,noarchive")
        );
        assert_eq!(ex("<p>x</p>").meta_robots, None);
    }

    #[test]
    fn password_forms_with_and_without_action() {
        let p = ex(
            r#"<form action="/login#f"><input name=u><input type="PassWord"><input type=password></form>
            <form action="/search"><input type=text></form>
            <form><input type=password></form>
            <form action=""><input type=password></form>
            <form action="https://sso.example/auth"><div><div><input type=password></div></div></form>
            <form action="http://[bad"><input type=password></form>"#,
        );
        assert!(p.has_password_input);
        assert_eq!(
            p.password_form_actions,
            [
                "https://example.com/login#f",
                "https://example.com/dir/page.html",
                "https://example.com/dir/page.html",
                "https://sso.example/auth",
                "http://[bad",
            ]
        );
    }

    #[test]
    fn password_form_action_uses_base_but_missing_action_uses_page() {
        let p = ex(
            r#"<base href="https://b.example/x/"><form action="go"><input type=password></form>
            <form><input type=password></form>"#,
        );
        assert_eq!(
            p.password_form_actions,
            [
                "https://b.example/x/go",
                "https://example.com/dir/page.html"
            ]
        );
    }

    #[test]
    fn password_input_outside_form() {
        let p = ex(r#"<form action="/f"></form><input type=password><input type="passwordx">"#);
        assert!(p.has_password_input);
        assert!(p.password_form_actions.is_empty());
        let p = ex(r#"<form><input type="text"></form><input type=" password">"#);
        assert!(!p.has_password_input);
    }

    #[test]
    fn malformed_html_still_yields_links() {
        let p = ex(r#"<html><head><title>Broken</title><body>
            <div><p><a href=/unquoted>u<a href='single'>s</a><table><tr><td><a href="/in-table">
            <b><i><a HREF="/UPPER"></b></i><a href=/no-close
            <li><form action=/f><input TYPE=PASSWORD>"#);
        assert_eq!(
            urls(&p),
            [
                "https://example.com/unquoted",
                "https://example.com/dir/single",
                "https://example.com/in-table",
                "https://example.com/UPPER",
                // `<li` became an attribute name of this unclosed <a>.
                "https://example.com/no-close",
            ]
        );
        assert!(p.has_password_input);
        assert_eq!(p.password_form_actions, ["https://example.com/f"]);
        // As in browsers, an unclosed <title> (RCDATA) swallows the rest.
        let p = ex(r#"<title>Broken <a href="/x">x</a>"#);
        assert_eq!(p.title.as_deref(), Some(r#"Broken <a href="/x">x</a>"#));
        assert!(p.links.is_empty());
    }

    /// 10,000 levels of `open`, a link and a password input at the bottom.
    fn assert_deep(open: &str, close: &str) {
        const DEPTH: usize = 10_000;
        let html = format!(
            "<title>deep</title><form action=/deep>{}<a href=/bottom>x</a><input type=password>{}<a href=/after>",
            open.repeat(DEPTH),
            close.repeat(DEPTH)
        );
        let p = ex(&html);
        assert_eq!(
            urls(&p),
            ["https://example.com/bottom", "https://example.com/after"],
            "{open}"
        );
        assert_eq!(p.title.as_deref(), Some("deep"));
        assert_eq!(p.password_form_actions, ["https://example.com/deep"]);
        assert_eq!(p.parse_error, None);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        assert_deep("<span>", "</span>");
        assert_deep("<b><i><u>", "");
        assert_deep("<table><tr><td>", "");
    }

    /// html5ever (scraper) was quadratic here (servo/html5ever#788); the tokenizer is linear.
    #[test]
    fn deep_block_nesting_does_not_overflow() {
        assert_deep("<div>", "</div>");
        assert_deep("<ul><li>", "");
    }

    #[test]
    fn many_links() {
        const N: usize = 100_000;
        let mut html = String::with_capacity(N * 32);
        html.push_str("<ul>");
        for i in 0..N {
            html.push_str(&format!("<li><a href=\"/p/{}\">{i}</a>", i % 1000));
        }
        let p = ex(&html);
        assert_eq!(p.links.len(), N);
        assert_eq!(p.links[N - 1].url, "https://example.com/p/999");
        assert_eq!(p.parse_error, None);
    }

    #[test]
    fn millions_of_open_tags_cost_nothing_and_later_links_are_found() {
        // No stack of open HTML elements is kept, so unclosed tags take no memory.
        let html = format!(
            "<a href=/first>x</a>{}<a href=/last>",
            "<b><li><div>".repeat(1_000_000)
        );
        let p = ex(&html);
        assert_eq!(
            urls(&p),
            ["https://example.com/first", "https://example.com/last"]
        );
        assert_eq!(p.parse_error, None);
    }

    #[test]
    fn svg_nested_beyond_the_cap_stops_the_parse_with_a_reason_and_keeps_earlier_links() {
        let html = format!(
            "<a href=/first>x</a>{}<a href=/never>",
            "<svg>".repeat(1_000_000)
        );
        let p = ex(&html);
        assert_eq!(urls(&p), ["https://example.com/first"]);
        assert!(
            p.parse_error
                .as_deref()
                .is_some_and(|e| e.contains("nested svg")),
            "{:?}",
            p.parse_error
        );
    }

    #[test]
    fn character_references_are_expanded_in_attributes_and_title() {
        let p = ex(r#"<title>Caf&eacute; &amp; co &#x2014; &lt;3</title>
            <a href="/search?q=a&amp;page=2">x</a><a href="/p&#47;q">y</a>
            <a href="/legacy?x=1&copy=2">z</a>
            <link rel="canonical" href="/c?a=1&amp;b=2">
            <meta name="ROBOTS" content="noindex&#44; nofollow">"#);
        assert_eq!(p.title.as_deref(), Some("Café & co — <3"));
        assert_eq!(
            urls(&p),
            [
                "https://example.com/search?q=a&page=2",
                "https://example.com/p/q",
                // In attributes a legacy reference followed by `=` stays as written.
                "https://example.com/legacy?x=1&copy=2",
                "https://example.com/c?a=1&b=2",
            ]
        );
        assert_eq!(
            p.canonical.as_deref(),
            Some("https://example.com/c?a=1&b=2")
        );
        assert_eq!(p.meta_robots.as_deref(), Some("noindex, nofollow"));
    }

    #[test]
    fn declared_charsets_decode_titles_and_links() {
        let latin1 = b"<title>Caf\xe9</title><a href=\"/\xe9t\xe9\">x</a>";
        let mut parser = PageParser::new(page_url(), Some("iso-8859-1"));
        parser.write(latin1);
        let p = parser.finish();
        assert_eq!(p.title.as_deref(), Some("Café"));
        assert_eq!(urls(&p), ["https://example.com/%C3%A9t%C3%A9"]);
        // A <meta charset> in the page overrides a missing or wrong header.
        let mut parser = PageParser::new(page_url(), None);
        parser.write(b"<meta charset=windows-1252><title>\x93Hi\x94</title>");
        assert_eq!(parser.finish().title.as_deref(), Some("\u{201c}Hi\u{201d}"));
        // Undeclared bytes that are not UTF-8 are replaced, never a panic.
        let p = ex(&String::from_utf8_lossy(b"<title>\xff\xfe</title>"));
        assert_eq!(p.title.as_deref(), Some("\u{fffd}\u{fffd}"));
    }

    #[test]
    fn encoding_is_bom_then_header_then_meta_and_applies_to_the_whole_page() {
        let parse = |header: Option<&str>, body: &[u8]| {
            let mut parser = PageParser::new(page_url(), header);
            parser.write(body);
            parser.finish()
        };
        // A <meta charset> after the first link still decodes it, as browsers re-decode.
        let p = parse(None, b"<a href=\"/\xe9\">x</a><meta charset=iso-8859-1>");
        assert_eq!(urls(&p), ["https://example.com/%C3%A9"]);
        // The Content-Type's charset wins over the page's.
        let p = parse(
            Some("utf-8"),
            b"<meta charset=iso-8859-1><title>\xc3\xa9</title>",
        );
        assert_eq!(p.title.as_deref(), Some("\u{e9}"));
        // http-equiv content-type declares one too.
        let p = parse(
            None,
            b"<meta http-equiv=Content-Type content='text/html; charset=\"windows-1252\"'><title>\x93</title>",
        );
        assert_eq!(p.title.as_deref(), Some("\u{201c}"));
        // A UTF-8 byte order mark wins over everything.
        let p = parse(Some("iso-8859-1"), b"\xef\xbb\xbf<title>\xc3\xa9</title>");
        assert_eq!(p.title.as_deref(), Some("\u{e9}"));
        // UTF-16 cannot be what the bytes of an HTML page read as ASCII are: UTF-8.
        let p = parse(None, b"<meta charset=utf-16><title>\xc3\xa9</title>");
        assert_eq!(p.title.as_deref(), Some("\u{e9}"));
    }

    #[test]
    fn first_title_counts_even_when_empty() {
        assert_eq!(ex("<title> </title><title>Second</title>").title, None);
    }

    #[test]
    fn an_unclosed_template_keeps_the_rest_of_the_page_inert() {
        // `</head>` does not close a <template>: only `</template>` does.
        let p = ex("<head><template><a href=/in></head><body><a href=/also-in>");
        assert!(p.links.is_empty());
    }

    #[test]
    fn a_second_form_while_one_is_open_is_not_a_form() {
        let p = ex("<form action=/first><form action=/second><input type=password>");
        assert_eq!(p.password_form_actions, ["https://example.com/first"]);
        let p = ex("<form action=/first></form><form action=/second><input type=password>");
        assert_eq!(p.password_form_actions, ["https://example.com/second"]);
    }

    #[test]
    fn chunk_boundaries_do_not_change_the_result() {
        let html = r#"<html><head><title>Split &amp; joined</title><base href="/b/">
            <meta name=robots content=noindex><link rel=canonical href="/canon"></head>
            <body><svg><title>icon</title><a href="svg-link">s</a></svg>
            <form action="/login"><input type=password></form>
            <a href="/a?x=1&amp;y=2">a</a><template><a href=/no></template><a href=/z>z</a>"#;
        let whole = ex(html);
        for size in [1, 2, 3, 7, 64] {
            let mut parser = PageParser::new(page_url(), None);
            for chunk in html.as_bytes().chunks(size) {
                parser.write(chunk);
            }
            assert_eq!(parser.finish(), whole, "chunks of {size} bytes");
        }
        assert_eq!(whole.title.as_deref(), Some("Split & joined"));
        assert_eq!(
            urls(&whole),
            [
                "https://example.com/canon",
                "https://example.com/b/svg-link",
                "https://example.com/a?x=1&y=2",
                "https://example.com/z"
            ]
        );
    }

    #[test]
    fn simple_links_resolve_like_the_parser() {
        let bases = [
            "https://example.com/dir/page.html",
            "http://user:pw@EXAMPLE.com:8080/a/b?q#f",
            "http://[::1]:9/",
            "https://xn--caf-dma.example/",
        ];
        let hrefs = [
            "/",
            "/a",
            "/a/b/",
            "/a?b=c&d=e",
            "/a?",
            "/a??b",
            "/a:b@c",
            "/a;x=1",
            "/a!$&()*+,=",
            "/~u/",
            "/a.b/c.d",
            "/a//b",
            "/.well-known/x",
            "/a/./b",
            "/a/../b",
            "/a/.",
            "/a/..",
            "//other/x",
            "/a%2Fb",
            "/a b",
            "/a#f",
            "/a\\b",
            "/a'b",
            "/a?x='y'",
            "/é",
            "/a\"b",
            "/a<b>",
            "/a`b",
            "/a{b}",
            "/a|b",
            "/a^b",
            "/a[b]",
        ];
        for base in bases {
            let base = Url::parse(base).expect("base");
            let origin = &base[..url::Position::BeforePath];
            for href in hrefs {
                let Some(fast) = simple_path_link(origin, href) else {
                    continue;
                };
                let mut slow = base.join(href).expect("joins");
                normalize(&mut slow);
                assert_eq!(fast, slow.as_str(), "{base} + {href}");
            }
        }
        assert!(simple_path_link("https://e.com", "/a/b?c=d").is_some());
        assert!(simple_path_link("https://e.com", "/a/./b").is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..Default::default()
        })]
        /// Any href the shortcut takes resolves to what the URL parser gives.
        #[test]
        fn simple_link_shortcut_agrees_with_the_parser(href in "/[a-zA-Z0-9./?=&%#:;@!$'()*+,~_ -]{0,24}") {
            let base = page_url();
            if let Some(fast) = simple_path_link(&base[..url::Position::BeforePath], &href) {
                let mut slow = base.join(&href).expect("joins");
                normalize(&mut slow);
                proptest::prop_assert_eq!(fast, slow.as_str());
            }
        }
    }

    #[test]
    fn refresh_target_parser() {
        assert_eq!(refresh_target("0; url=/x"), Some(Some("/x")));
        assert_eq!(refresh_target("0"), Some(None));
        assert_eq!(refresh_target(""), None);
        assert_eq!(refresh_target("0;\u{e9}\u{e9}"), Some(Some("\u{e9}\u{e9}")));
        assert_eq!(refresh_target("0;u\u{e9}"), Some(Some("u\u{e9}")));
    }
}
