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
use crate::model::ShellSignals;

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
    /// What tells an app shell from content.
    pub shell: ShellSignals,
    /// Words of visible text outside `nav`, `header` and `footer`, counted up to
    /// [`MAIN_WORDS_COUNTED`]: how much the page says beyond its template's chrome. Counted
    /// only when asked ([`PageParser::counting_main_words`]), else 0.
    #[serde(default)]
    pub main_words: u32,
    /// The visible text outside `nav`, `header` and `footer`, up to the cap asked for
    /// ([`PageParser::keeping_text`]; empty otherwise): what a member page and the anonymous
    /// answer are compared by. Never journaled.
    #[serde(skip)]
    pub text: String,
}

/// Words outside the page chrome are counted up to here: a sign-in prompt says less.
pub const MAIN_WORDS_COUNTED: u32 = 80;

/// Parse a whole page at once (tests, fuzzing, small bodies). `page_url` is the URL the body
/// was served from (after redirects).
pub fn extract(html: &str, page_url: &Url) -> Page {
    let mut parser = PageParser::new(page_url.clone(), None).counting_main_words();
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

    /// Also count the words outside `nav`, `header` and `footer` ([`Page::main_words`]): the
    /// rest of the page is then read further than an app-shell check needs.
    pub fn counting_main_words(mut self) -> Self {
        self.raw.count_main = true;
        self
    }

    /// Also keep up to `cap` bytes of the visible text outside the chrome ([`Page::text`]).
    pub fn keeping_text(mut self, cap: usize) -> Self {
        self.raw.keep_text = cap;
        self
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
    shell: ShellSignals,
    /// Open `nav`, `header` and `footer` elements around the cursor.
    chrome_depth: u32,
    /// Whether words outside the chrome are counted (private pages: reading further costs).
    count_main: bool,
    main_words: u32,
    /// Bytes of text outside the chrome to keep (0: none), and what is kept.
    keep_text: usize,
    main_text: Vec<u8>,
    /// The document's text so far ends inside a word (a tag ends a word, a chunk does not).
    in_word: bool,
    /// The inline script whose text is being read: its bytes so far, and whether it is data.
    script: Option<(u32, bool)>,
    /// The last bytes of the inline script's text, so a marker cut by a chunk is still found.
    script_tail: Vec<u8>,
}

impl Sink for Raw {
    fn wants_attrs(&mut self, name: &Name) -> bool {
        match name.as_bytes() {
            b"a" | b"area" | b"link" | b"base" | b"meta" | b"form" | b"input" | b"script" => true,
            // Mount points and data attributes matter only while the page may be a shell.
            b"div" | b"body" | b"main" | b"section" => self.may_be_shell(),
            _ => false,
        }
    }

    fn start_tag(&mut self, tag: &Tag<'_>) -> bool {
        self.in_word = false;
        self.end_kept_word();
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
            b"script" => return self.script(tag),
            b"nav" | b"header" | b"footer" => self.chrome_depth += 1,
            b"div" | b"body" | b"main" | b"section" if self.may_be_shell() => self.mount(tag),
            _ if self.may_be_shell() && name.contains(&b'-') => self.shell.mount_point = true,
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
        self.in_word = false;
        self.end_kept_word();
        if ns != Namespace::Html {
            return;
        }
        if name.is("template") {
            self.template_depth = self.template_depth.saturating_sub(1);
        } else if self.template_depth > 0 {
        } else if name.is("form") {
            self.open_form = None;
        } else if name.is("nav") || name.is("header") || name.is("footer") {
            self.chrome_depth = self.chrome_depth.saturating_sub(1);
        } else if name.is("title") && self.title_state == TitleState::Open {
            self.title_state = TitleState::Done;
        } else if name.is("script")
            && let Some((bytes, data)) = self.script.take()
        {
            if data {
                self.shell.inline_data = self.shell.inline_data.saturating_add(bytes);
            } else if bytes > 0 {
                self.shell.scripts += 1;
            }
        }
    }

    fn data(&mut self, text: &[u8]) -> bool {
        if self.template_depth == 0
            && self.chrome_depth == 0
            && self.main_text.len() < self.keep_text
        {
            let room = self.keep_text - self.main_text.len();
            self.main_text
                .extend_from_slice(&text[..text.len().min(room)]);
        }
        if self.template_depth == 0 {
            for &b in text {
                let in_word = !b.is_ascii_whitespace();
                if in_word && !self.in_word {
                    if self.may_be_shell() {
                        self.shell.words += 1;
                    }
                    if self.count_main
                        && self.chrome_depth == 0
                        && self.main_words < MAIN_WORDS_COUNTED
                    {
                        self.main_words += 1;
                    }
                    if !self.wants_words() {
                        // Enough: the rest of the page is not read for this.
                        return false;
                    }
                }
                self.in_word = in_word;
            }
        }
        self.wants_words()
    }

    fn text(&mut self, text: &[u8]) {
        if let Some((bytes, data)) = &mut self.script {
            let seen = *bytes as usize;
            let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
            *bytes = bytes.saturating_add(len);
            // Server state handed to the app in a classic script starts it
            // (`window.__NUXT__=…`): only the first bytes are looked at.
            if !*data && seen < MARKER_WINDOW {
                let tail = &mut self.script_tail;
                tail.extend_from_slice(&text[..text.len().min(MARKER_WINDOW - seen)]);
                *data = DATA_MARKERS
                    .iter()
                    .any(|m| memchr::memmem::find(tail, m.as_bytes()).is_some());
            }
            return;
        }
        if self.title_state == TitleState::Open {
            let room = MAX_TITLE_BYTES.saturating_sub(self.title_text.len());
            self.title_text
                .extend_from_slice(&text[..text.len().min(room)]);
        }
    }
}

/// `id`s apps mount into.
const MOUNT_IDS: [&str; 10] = [
    "root",
    "app",
    "__next",
    "__nuxt",
    "___gatsby",
    "svelte",
    "q-app",
    "main-app",
    "strapi",
    "ember-app",
];

/// Names of the server state a script hands to the app, in inline scripts.
/// Bytes at the start of an inline script where the server state it hands the app is named.
const MARKER_WINDOW: usize = 64;

const DATA_MARKERS: [&str; 6] = [
    "__NUXT__",
    "__NEXT_DATA__",
    "__INITIAL_STATE__",
    "__APOLLO_STATE__",
    "__PRELOADED_STATE__",
    "__remixContext",
];

impl Raw {
    /// Whether the page may still be an app shell: fewer visible words than are counted.
    fn may_be_shell(&self) -> bool {
        self.shell.words < ShellSignals::WORDS_COUNTED
    }

    /// A tag between two texts ends a word; the end of a network chunk does not (the member's
    /// page and the stranger's arrive in different chunks, and must read the same).
    fn end_kept_word(&mut self) {
        if self.main_text.last().is_some_and(|b| *b != b' ')
            && self.main_text.len() < self.keep_text
        {
            self.main_text.push(b' ');
        }
    }

    /// Whether words are still counted (for the shell or outside the chrome).
    fn wants_words(&self) -> bool {
        self.may_be_shell()
            || (self.count_main && self.main_words < MAIN_WORDS_COUNTED)
            || self.main_text.len() < self.keep_text
    }

    /// A `<script>`: one that loads a file draws the page; an inline one is read to tell
    /// data (JSON, server state) from code. Returns whether to read its text.
    fn script(&mut self, tag: &Tag<'_>) -> bool {
        self.script_tail.clear();
        if tag.has_attr("src") {
            self.shell.scripts += 1;
            return false;
        }
        let json = attr_is(tag, "type", |t| {
            let t = t.trim_ascii().to_ascii_lowercase();
            t.ends_with("json") && t != "application/ld+json"
        });
        let named = attr_is(tag, "id", |id| {
            id.contains("__NEXT_DATA__") || id.contains("__NUXT")
        });
        self.script = Some((0, json || named));
        true
    }

    /// An element an app may mount into, or that carries its props.
    fn mount(&mut self, tag: &Tag<'_>) {
        if attr_is(tag, "id", |id| MOUNT_IDS.contains(&id.trim_ascii())) {
            self.shell.mount_point = true;
        }
        for (name, len) in tag.attrs() {
            if name.starts_with(b"data-") && name.ends_with(b"-props") {
                let len = u32::try_from(len).unwrap_or(u32::MAX);
                self.shell.inline_data = self.shell.inline_data.saturating_add(len);
            }
        }
    }

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
            shell: self.shell,
            main_words: self.main_words,
            text: decode(&self.main_text, encoding).into_owned(),
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
mod tests;
