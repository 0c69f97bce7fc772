//! A streaming HTML tokenizer that reports start tags (with the attributes asked for), end
//! tags and the text of `<title>`-like elements, chunk by chunk, in constant memory.
//!
//! It follows the WHATWG tokenizer state by state where the states decide *which bytes are
//! markup*: comments (including `<!-->` and `--!>`), bogus comments, DOCTYPE, CDATA sections
//! (foreign content only), RCDATA (`<title>`, `<textarea>`), RAWTEXT (`<style>`, `<noscript>`
//! — scripting on, as in a browser —, `<iframe>`, `<xmp>`, `<noembed>`, `<noframes>`), script
//! data with its escaped and double-escaped states, PLAINTEXT, quoted and unquoted attribute
//! values, first-attribute-wins. Tag and attribute names are ASCII-lowercased.
//!
//! The tree builder is simulated only as far as the tokenizer and the audit need it: which
//! namespace an element is in (`<svg>`, `<math>`, their HTML integration points and the HTML
//! elements that break out of foreign content) and which elements switch the tokenizer to a
//! text state. No tree and no stack of HTML elements is kept, so time is linear in the input
//! and memory does not grow with nesting.
//!
//! Why not a crate: `lol_html` (what this replaced) is a rewriter: it runs a selector VM over a
//! stack of every open element and serialises the output. Measured on a 15 KB page with ~20
//! links it took ~70 µs per page, half of the crawler's CPU per page; this scanner takes a
//! fraction of that (issue 5's note has the figures). `html5gum` and `html5ever`'s tokenizer
//! pull from a complete input and cannot be fed chunks as they arrive.

use memchr::{memchr, memchr2};

/// Longest tag name the simulation needs to recognise (`annotation-xml`, 14 bytes). Longer
/// names are kept as a prefix and never match a known name.
const NAME_CAP: usize = 16;

/// Attribute bytes kept for one tag; a value beyond it is cut and flagged.
pub const MAX_TAG_BYTES: usize = 1024 * 1024;

/// svg/math nesting beyond this stops the parse (each level is a few bytes; real pages nest
/// a handful).
const MAX_FOREIGN_DEPTH: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Html,
    Svg,
    MathMl,
}

/// A tag name, ASCII-lowercased; names longer than [`NAME_CAP`] never equal a known one.
#[derive(Clone, Copy, Default)]
pub struct Name {
    bytes: [u8; NAME_CAP],
    len: u8,
    long: bool,
}

impl Name {
    fn clear(&mut self) {
        self.len = 0;
        self.long = false;
    }

    fn push(&mut self, b: u8) {
        if usize::from(self.len) < NAME_CAP {
            self.bytes[usize::from(self.len)] = b.to_ascii_lowercase();
            self.len += 1;
        } else {
            self.long = true;
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn is(&self, name: &str) -> bool {
        !self.long && self.as_bytes() == name.as_bytes()
    }

    fn is_any(&self, names: &[&str]) -> bool {
        !self.long && names.iter().any(|n| self.as_bytes() == n.as_bytes())
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(self.as_bytes()))?;
        if self.long {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// A start tag as the sink sees it: the name, and the attributes if the sink asked for them.
pub struct Tag<'a> {
    pub name: &'a Name,
    pub ns: Namespace,
    /// Inside `<svg>` or `<math>` (including their HTML integration points).
    pub in_foreign: bool,
    pub self_closing: bool,
    attrs: &'a [Attr],
    buf: &'a [u8],
}

impl Tag<'_> {
    /// The first attribute of that (lowercase) name, raw bytes as written (character
    /// references not expanded). `Err(())` if its value was cut at [`MAX_TAG_BYTES`].
    pub fn attr(&self, name: &str) -> Option<Result<&[u8], ()>> {
        let a = self
            .attrs
            .iter()
            .find(|a| &self.buf[a.name.0..a.name.1] == name.as_bytes())?;
        Some(if a.cut {
            Err(())
        } else {
            Ok(&self.buf[a.value.0..a.value.1])
        })
    }

    pub fn has_attr(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }

    /// Every attribute: its name and the length of its value as kept (a cut value is at
    /// least [`MAX_TAG_BYTES`] long).
    pub fn attrs(&self) -> impl Iterator<Item = (&[u8], usize)> + '_ {
        self.attrs.iter().map(|a| {
            let len = if a.cut {
                MAX_TAG_BYTES
            } else {
                a.value.1 - a.value.0
            };
            (&self.buf[a.name.0..a.name.1], len)
        })
    }
}

/// What the tokenizer reports to.
pub trait Sink {
    /// Called once a start tag's name is read: whether to keep its attributes.
    fn wants_attrs(&mut self, name: &Name) -> bool;
    /// A start tag. Returns whether to report the text of the element, when it is one whose
    /// content is text (`<title>`, `<textarea>`, `<style>`, `<script>` …).
    fn start_tag(&mut self, tag: &Tag<'_>) -> bool;
    /// An end tag, with the namespace the tokenizer was in when it came.
    fn end_tag(&mut self, name: &Name, ns: Namespace);
    /// Text of the element whose `start_tag` returned true, in pieces; character references
    /// are not expanded.
    fn text(&mut self, text: &[u8]);
    /// The document's own text between tags (not inside script, style, title, textarea,
    /// noscript …), in pieces, character references not expanded. Returns whether to go on:
    /// once it says no, no more comes (what is not reported costs nothing).
    fn data(&mut self, _text: &[u8]) -> bool {
        false
    }
}

#[derive(Clone, Copy, Debug)]
struct Attr {
    name: (usize, usize),
    value: (usize, usize),
    cut: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Data,
    TagOpen,
    EndTagOpen,
    TagName,
    BeforeAttrName,
    AttrName,
    AfterAttrName,
    BeforeAttrValue,
    AttrValueQuoted(u8),
    AttrValueUnquoted,
    AfterAttrValueQuoted,
    SelfClosingStartTag,
    BogusComment,
    /// `<!` followed by this many bytes of `--`, `doctype` or `[CDATA[` (the u8 selects which).
    MarkupDeclaration(Decl, u8),
    CommentStart,
    CommentStartDash,
    Comment,
    CommentEndDash,
    CommentEnd,
    CommentEndBang,
    Doctype,
    CdataSection,
    CdataBracket,
    CdataEnd,
    /// RCDATA and RAWTEXT: the same states here, as character references are expanded by
    /// the sink.
    Text,
    TextLessThan,
    TextEndTagOpen,
    TextEndTagName,
    ScriptData,
    ScriptLessThan,
    ScriptEndTagOpen,
    ScriptEndTagName,
    ScriptEscapeStart,
    ScriptEscapeStartDash,
    ScriptEscaped,
    ScriptEscapedDash,
    ScriptEscapedDashDash,
    ScriptEscapedLessThan,
    ScriptEscapedEndTagOpen,
    ScriptEscapedEndTagName,
    ScriptDoubleEscapeStart,
    ScriptDoubleEscaped,
    ScriptDoubleEscapedDash,
    ScriptDoubleEscapedDashDash,
    ScriptDoubleEscapedLessThan,
    ScriptDoubleEscapeEnd,
    Plaintext,
    /// Stopped (foreign nesting beyond the cap).
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decl {
    Unknown,
    Comment,
    Doctype,
    Cdata,
}

/// An open element that changes the namespace of what follows: `<svg>`/`<math>` (and nested
/// ones, so their end tags pair up) or an HTML integration point inside them.
#[derive(Clone, Copy)]
struct Frame {
    opener: Name,
    inside: Namespace,
}

pub struct Tokenizer {
    state: State,
    /// The tag being read.
    name: Name,
    end: bool,
    self_closing: bool,
    collect: bool,
    attrs: Vec<Attr>,
    buf: Vec<u8>,
    /// A cut value: the rest of it is skipped.
    cutting: bool,
    /// In a text state: the element that ends it, whether its text is reported, and the
    /// candidate end tag name read so far (with the bytes as written, for the text).
    text_end: Name,
    text_report: bool,
    candidate: Name,
    candidate_raw: Vec<u8>,
    frames: Vec<Frame>,
    error: Option<String>,
    /// The sink still wants the document's text ([`Sink::data`]).
    data_report: bool,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

impl Tokenizer {
    pub fn new() -> Self {
        Self {
            state: State::Data,
            name: Name::default(),
            end: false,
            self_closing: false,
            collect: false,
            attrs: Vec::new(),
            buf: Vec::new(),
            cutting: false,
            text_end: Name::default(),
            text_report: false,
            candidate: Name::default(),
            candidate_raw: Vec::new(),
            frames: Vec::new(),
            error: None,
            data_report: true,
        }
    }

    /// Why tokenizing stopped before the end, if it did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn ns(&self) -> Namespace {
        self.frames.last().map_or(Namespace::Html, |f| f.inside)
    }

    /// Feed the next chunk of the document.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut impl Sink) {
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            // Each arm either consumes `b` (falls through to `i += 1`), or changes state
            // and `continue`s to reprocess it, or consumes a run of bytes itself.
            match self.state {
                State::Data => {
                    let at = memchr(b'<', &chunk[i..]);
                    if self.data_report {
                        let run = at.unwrap_or(chunk.len() - i);
                        if run > 0 {
                            self.data_report = sink.data(&chunk[i..i + run]);
                        }
                    }
                    match at {
                        Some(at) => {
                            i += at;
                            self.state = State::TagOpen;
                        }
                        None => return,
                    }
                }
                State::TagOpen => match b {
                    b'!' => self.state = State::MarkupDeclaration(Decl::Unknown, 0),
                    b'/' => self.state = State::EndTagOpen,
                    b'?' => self.state = State::BogusComment,
                    _ if b.is_ascii_alphabetic() => {
                        self.begin_tag(false);
                        self.state = State::TagName;
                        continue;
                    }
                    // `<` followed by anything else is text.
                    _ => {
                        self.state = State::Data;
                        continue;
                    }
                },
                State::EndTagOpen => match b {
                    _ if b.is_ascii_alphabetic() => {
                        self.begin_tag(true);
                        self.state = State::TagName;
                        continue;
                    }
                    b'>' => self.state = State::Data,
                    _ => {
                        self.state = State::BogusComment;
                        continue;
                    }
                },
                State::TagName => {
                    let run = chunk[i..]
                        .iter()
                        .position(|&c| is_ws(c) || c == b'/' || c == b'>')
                        .unwrap_or(chunk.len() - i);
                    for &c in &chunk[i..i + run] {
                        self.name.push(c);
                    }
                    i += run;
                    let Some(&c) = chunk.get(i) else { return };
                    if !self.end {
                        self.collect = sink.wants_attrs(&self.name) || self.needs_attrs();
                    }
                    match c {
                        b'/' => self.state = State::SelfClosingStartTag,
                        b'>' => self.emit(sink),
                        _ => self.state = State::BeforeAttrName,
                    }
                }
                State::BeforeAttrName => match b {
                    _ if is_ws(b) => {}
                    b'/' | b'>' => {
                        self.state = State::AfterAttrName;
                        continue;
                    }
                    // `=` here starts a name (a parse error browsers recover from).
                    _ => {
                        self.begin_attr();
                        self.attr_name_byte(b);
                        self.state = State::AttrName;
                    }
                },
                State::AttrName => {
                    let run = chunk[i..]
                        .iter()
                        .position(|&c| is_ws(c) || matches!(c, b'/' | b'>' | b'='))
                        .unwrap_or(chunk.len() - i);
                    if self.collect {
                        for &c in &chunk[i..i + run] {
                            self.attr_name_byte(c);
                        }
                    }
                    i += run;
                    let Some(&c) = chunk.get(i) else { return };
                    if c == b'=' {
                        self.begin_value();
                        self.state = State::BeforeAttrValue;
                    } else {
                        self.state = State::AfterAttrName;
                        continue;
                    }
                }
                State::AfterAttrName => match b {
                    _ if is_ws(b) => {}
                    b'/' => self.state = State::SelfClosingStartTag,
                    b'=' => {
                        self.begin_value();
                        self.state = State::BeforeAttrValue;
                    }
                    b'>' => self.emit(sink),
                    _ => {
                        self.begin_attr();
                        self.state = State::AttrName;
                        continue;
                    }
                },
                State::BeforeAttrValue => match b {
                    _ if is_ws(b) => {}
                    b'"' | b'\'' => self.state = State::AttrValueQuoted(b),
                    b'>' => self.emit(sink),
                    _ => {
                        self.state = State::AttrValueUnquoted;
                        continue;
                    }
                },
                State::AttrValueQuoted(quote) => {
                    let end = memchr(quote, &chunk[i..]);
                    let run = end.unwrap_or(chunk.len() - i);
                    self.value_bytes(&chunk[i..i + run]);
                    i += run;
                    if end.is_none() {
                        return;
                    }
                    self.end_value();
                    self.state = State::AfterAttrValueQuoted;
                }
                State::AttrValueUnquoted => {
                    let run = chunk[i..]
                        .iter()
                        .position(|&c| is_ws(c) || c == b'>')
                        .unwrap_or(chunk.len() - i);
                    self.value_bytes(&chunk[i..i + run]);
                    i += run;
                    let Some(&c) = chunk.get(i) else { return };
                    self.end_value();
                    if c == b'>' {
                        self.emit(sink);
                    } else {
                        self.state = State::BeforeAttrName;
                    }
                }
                State::AfterAttrValueQuoted => match b {
                    _ if is_ws(b) => self.state = State::BeforeAttrName,
                    b'/' => self.state = State::SelfClosingStartTag,
                    b'>' => self.emit(sink),
                    _ => {
                        self.state = State::BeforeAttrName;
                        continue;
                    }
                },
                State::SelfClosingStartTag => match b {
                    b'>' => {
                        self.self_closing = true;
                        self.emit(sink);
                    }
                    _ => {
                        self.state = State::BeforeAttrName;
                        continue;
                    }
                },
                State::BogusComment | State::Doctype => match memchr(b'>', &chunk[i..]) {
                    Some(at) => {
                        i += at;
                        self.state = State::Data;
                    }
                    None => return,
                },
                State::MarkupDeclaration(decl, n) => {
                    let cdata_ok = self.ns() != Namespace::Html;
                    let (decl, matched) = match decl {
                        Decl::Unknown => match b {
                            b'-' => (Decl::Comment, true),
                            b'd' | b'D' => (Decl::Doctype, true),
                            b'[' if cdata_ok => (Decl::Cdata, true),
                            _ => (Decl::Unknown, false),
                        },
                        Decl::Comment => (decl, b == b'-'),
                        Decl::Doctype => (decl, b.eq_ignore_ascii_case(&b"doctype"[n as usize])),
                        Decl::Cdata => (decl, b == b"[CDATA["[n as usize]),
                    };
                    if !matched {
                        // Not a declaration: a bogus comment, from this byte on.
                        self.state = State::BogusComment;
                        continue;
                    }
                    let n = n + 1;
                    let full = match decl {
                        Decl::Comment => 2,
                        Decl::Doctype => 7,
                        Decl::Cdata => 7,
                        Decl::Unknown => unreachable!("matched implies a kind"),
                    };
                    self.state = if n < full {
                        State::MarkupDeclaration(decl, n)
                    } else {
                        match decl {
                            Decl::Comment => State::CommentStart,
                            Decl::Doctype => State::Doctype,
                            _ => State::CdataSection,
                        }
                    };
                }
                State::CommentStart => match b {
                    b'-' => self.state = State::CommentStartDash,
                    b'>' => self.state = State::Data, // `<!-->`
                    _ => {
                        self.state = State::Comment;
                        continue;
                    }
                },
                State::CommentStartDash => match b {
                    b'-' => self.state = State::CommentEnd,
                    b'>' => self.state = State::Data, // `<!--->`
                    _ => {
                        self.state = State::Comment;
                        continue;
                    }
                },
                State::Comment => match memchr(b'-', &chunk[i..]) {
                    Some(at) => {
                        i += at;
                        self.state = State::CommentEndDash;
                    }
                    None => return,
                },
                State::CommentEndDash => match b {
                    b'-' => self.state = State::CommentEnd,
                    _ => {
                        self.state = State::Comment;
                        continue;
                    }
                },
                State::CommentEnd => match b {
                    b'>' => self.state = State::Data,
                    b'!' => self.state = State::CommentEndBang,
                    b'-' => {}
                    _ => {
                        self.state = State::Comment;
                        continue;
                    }
                },
                State::CommentEndBang => match b {
                    b'-' => self.state = State::CommentEndDash,
                    b'>' => self.state = State::Data, // `--!>`
                    _ => {
                        self.state = State::Comment;
                        continue;
                    }
                },
                State::CdataSection => match memchr(b']', &chunk[i..]) {
                    Some(at) => {
                        i += at;
                        self.state = State::CdataBracket;
                    }
                    None => return,
                },
                State::CdataBracket => match b {
                    b']' => self.state = State::CdataEnd,
                    _ => {
                        self.state = State::CdataSection;
                        continue;
                    }
                },
                State::CdataEnd => match b {
                    b']' => {}
                    b'>' => self.state = State::Data,
                    _ => {
                        self.state = State::CdataSection;
                        continue;
                    }
                },
                State::Text => {
                    let at = memchr(b'<', &chunk[i..]);
                    let run = at.unwrap_or(chunk.len() - i);
                    if self.text_report && run > 0 {
                        sink.text(&chunk[i..i + run]);
                    }
                    i += run;
                    if at.is_none() {
                        return;
                    }
                    self.state = State::TextLessThan;
                }
                State::TextLessThan => {
                    if b == b'/' {
                        self.candidate.clear();
                        self.candidate_raw.clear();
                        self.state = State::TextEndTagOpen;
                    } else {
                        self.report_text(sink, b"<");
                        self.state = State::Text;
                        continue;
                    }
                }
                State::TextEndTagOpen | State::TextEndTagName => {
                    if self.end_tag_name(sink, b) {
                        i += 1;
                        continue;
                    }
                    self.report_text(sink, b"</");
                    let raw = std::mem::take(&mut self.candidate_raw);
                    self.report_text(sink, &raw);
                    self.candidate_raw = raw;
                    self.state = State::Text;
                    continue;
                }
                State::ScriptData => {
                    let at = memchr(b'<', &chunk[i..]);
                    // A script's text, when the sink asked (the parts that can hide markup,
                    // the escaped states, are not reported).
                    let run = at.unwrap_or(chunk.len() - i);
                    if self.text_report && run > 0 {
                        sink.text(&chunk[i..i + run]);
                    }
                    match at {
                        Some(at) => {
                            i += at;
                            self.state = State::ScriptLessThan;
                        }
                        None => return,
                    }
                }
                State::ScriptLessThan => match b {
                    b'/' => {
                        self.candidate.clear();
                        self.state = State::ScriptEndTagOpen;
                    }
                    b'!' => self.state = State::ScriptEscapeStart,
                    _ => {
                        self.state = State::ScriptData;
                        continue;
                    }
                },
                State::ScriptEndTagOpen | State::ScriptEndTagName => {
                    if self.end_tag_name(sink, b) {
                        i += 1;
                        continue;
                    }
                    self.state = State::ScriptData;
                    continue;
                }
                State::ScriptEscapeStart => match b {
                    b'-' => self.state = State::ScriptEscapeStartDash,
                    _ => {
                        self.state = State::ScriptData;
                        continue;
                    }
                },
                State::ScriptEscapeStartDash => match b {
                    b'-' => self.state = State::ScriptEscapedDashDash,
                    _ => {
                        self.state = State::ScriptData;
                        continue;
                    }
                },
                State::ScriptEscaped => match memchr2(b'-', b'<', &chunk[i..]) {
                    Some(at) => {
                        i += at;
                        self.state = if chunk[i] == b'-' {
                            State::ScriptEscapedDash
                        } else {
                            State::ScriptEscapedLessThan
                        };
                    }
                    None => return,
                },
                State::ScriptEscapedDash => match b {
                    b'-' => self.state = State::ScriptEscapedDashDash,
                    b'<' => self.state = State::ScriptEscapedLessThan,
                    _ => {
                        self.state = State::ScriptEscaped;
                        continue;
                    }
                },
                State::ScriptEscapedDashDash => match b {
                    b'-' => {}
                    b'<' => self.state = State::ScriptEscapedLessThan,
                    b'>' => self.state = State::ScriptData,
                    _ => {
                        self.state = State::ScriptEscaped;
                        continue;
                    }
                },
                State::ScriptEscapedLessThan => match b {
                    b'/' => {
                        self.candidate.clear();
                        self.state = State::ScriptEscapedEndTagOpen;
                    }
                    _ if b.is_ascii_alphabetic() => {
                        self.candidate.clear();
                        self.state = State::ScriptDoubleEscapeStart;
                        continue;
                    }
                    _ => {
                        self.state = State::ScriptEscaped;
                        continue;
                    }
                },
                State::ScriptEscapedEndTagOpen | State::ScriptEscapedEndTagName => {
                    if self.end_tag_name(sink, b) {
                        i += 1;
                        continue;
                    }
                    self.state = State::ScriptEscaped;
                    continue;
                }
                State::ScriptDoubleEscapeStart | State::ScriptDoubleEscapeEnd => {
                    let start = self.state == State::ScriptDoubleEscapeStart;
                    if is_ws(b) || b == b'/' || b == b'>' {
                        let script = self.candidate.is("script");
                        self.state = match (start, script) {
                            (true, true) | (false, false) => State::ScriptDoubleEscaped,
                            (true, false) | (false, true) => State::ScriptEscaped,
                        };
                    } else if b.is_ascii_alphabetic() {
                        self.candidate.push(b);
                    } else {
                        self.state = if start {
                            State::ScriptEscaped
                        } else {
                            State::ScriptDoubleEscaped
                        };
                        continue;
                    }
                }
                State::ScriptDoubleEscaped => match memchr2(b'-', b'<', &chunk[i..]) {
                    Some(at) => {
                        i += at;
                        self.state = if chunk[i] == b'-' {
                            State::ScriptDoubleEscapedDash
                        } else {
                            State::ScriptDoubleEscapedLessThan
                        };
                    }
                    None => return,
                },
                State::ScriptDoubleEscapedDash => match b {
                    b'-' => self.state = State::ScriptDoubleEscapedDashDash,
                    b'<' => self.state = State::ScriptDoubleEscapedLessThan,
                    _ => {
                        self.state = State::ScriptDoubleEscaped;
                        continue;
                    }
                },
                State::ScriptDoubleEscapedDashDash => match b {
                    b'-' => {}
                    b'<' => self.state = State::ScriptDoubleEscapedLessThan,
                    b'>' => self.state = State::ScriptData,
                    _ => {
                        self.state = State::ScriptDoubleEscaped;
                        continue;
                    }
                },
                State::ScriptDoubleEscapedLessThan => match b {
                    b'/' => {
                        self.candidate.clear();
                        self.state = State::ScriptDoubleEscapeEnd;
                    }
                    _ => {
                        self.state = State::ScriptDoubleEscaped;
                        continue;
                    }
                },
                State::Plaintext | State::Stopped => return,
            }
            i += 1;
        }
    }

    /// The input ended. A text element's end tag cut short by the end is text (the WHATWG
    /// "anything else" steps: `<title>a</ti` has the title `a</ti`).
    pub fn finish(&mut self, sink: &mut impl Sink) {
        match self.state {
            State::TextLessThan => self.report_text(sink, b"<"),
            State::TextEndTagOpen | State::TextEndTagName => {
                self.report_text(sink, b"</");
                self.report_text(sink, &self.candidate_raw);
            }
            _ => {}
        }
        self.state = State::Stopped;
    }

    /// In a text state's end tag: `b` continues the candidate name (true), or ends it. An
    /// appropriate end tag (the text element's own) becomes a real end tag and the state moves
    /// on (true); anything else is text, and the caller reprocesses `b` (false).
    fn end_tag_name(&mut self, sink: &mut impl Sink, b: u8) -> bool {
        if b.is_ascii_alphabetic() {
            self.candidate.push(b);
            // Only a reported text needs the bytes as written; a candidate this long is not
            // an end tag anyway, and the text is cut there.
            if self.text_report && self.candidate_raw.len() < 1024 {
                self.candidate_raw.push(b);
            }
            self.state = match self.state {
                State::TextEndTagOpen | State::TextEndTagName => State::TextEndTagName,
                State::ScriptEndTagOpen | State::ScriptEndTagName => State::ScriptEndTagName,
                _ => State::ScriptEscapedEndTagName,
            };
            return true;
        }
        let named = matches!(
            self.state,
            State::TextEndTagName | State::ScriptEndTagName | State::ScriptEscapedEndTagName
        );
        let appropriate =
            named && !self.candidate.long && self.candidate.as_bytes() == self.text_end.as_bytes();
        if !appropriate || !(is_ws(b) || b == b'/' || b == b'>') {
            return false;
        }
        self.begin_tag(true);
        self.name = self.candidate;
        self.text_report = false;
        match b {
            b'/' => self.state = State::SelfClosingStartTag,
            b'>' => self.emit(sink),
            _ => self.state = State::BeforeAttrName,
        }
        true
    }

    fn report_text(&self, sink: &mut impl Sink, text: &[u8]) {
        if self.text_report && !text.is_empty() {
            sink.text(text);
        }
    }

    fn begin_tag(&mut self, end: bool) {
        self.name.clear();
        self.end = end;
        self.self_closing = false;
        self.collect = false;
        self.attrs.clear();
        self.buf.clear();
        self.cutting = false;
    }

    /// Attributes the namespace simulation itself reads.
    fn needs_attrs(&self) -> bool {
        self.name.is("font") || self.name.is("annotation-xml")
    }

    fn begin_attr(&mut self) {
        if self.collect {
            let at = self.buf.len();
            self.attrs.push(Attr {
                name: (at, at),
                value: (at, at),
                cut: false,
            });
        }
    }

    fn attr_name_byte(&mut self, b: u8) {
        if self.collect && self.buf.len() < MAX_TAG_BYTES {
            self.buf.push(b.to_ascii_lowercase());
            if let Some(a) = self.attrs.last_mut() {
                a.name.1 = self.buf.len();
                a.value = (self.buf.len(), self.buf.len());
            }
        }
    }

    fn begin_value(&mut self) {
        self.cutting = false;
        if let Some(a) = self.attrs.last_mut() {
            a.value = (self.buf.len(), self.buf.len());
        }
    }

    fn value_bytes(&mut self, bytes: &[u8]) {
        if !self.collect || self.cutting || bytes.is_empty() {
            return;
        }
        let room = MAX_TAG_BYTES.saturating_sub(self.buf.len());
        let Some(a) = self.attrs.last_mut() else {
            return;
        };
        if bytes.len() > room {
            a.cut = true;
            self.cutting = true;
            return;
        }
        self.buf.extend_from_slice(bytes);
        a.value.1 = self.buf.len();
    }

    fn end_value(&mut self) {
        self.cutting = false;
    }

    /// A tag is complete: the tree-builder simulation, the sink, and the next state.
    fn emit(&mut self, sink: &mut impl Sink) {
        self.state = State::Data;
        if self.end {
            let ns = self.ns();
            self.close(ns);
            sink.end_tag(&self.name, ns);
            return;
        }
        let ns = self.open();
        let tag = Tag {
            name: &self.name,
            ns,
            in_foreign: !self.frames.is_empty(),
            self_closing: self.self_closing,
            attrs: &self.attrs,
            buf: &self.buf,
        };
        let report = sink.start_tag(&tag);
        if ns != Namespace::Html {
            return;
        }
        // The HTML elements whose content the tokenizer reads as text: RCDATA (title,
        // textarea) and RAWTEXT, script data, and plaintext (the rest of the input).
        const TEXT: &[&str] = &[
            "title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
        ];
        if self.name.is("script") {
            self.text_end = self.name;
            self.text_report = report;
            self.state = State::ScriptData;
            return;
        }
        if self.name.is("plaintext") {
            self.state = State::Plaintext;
            return;
        }
        if !self.name.is_any(TEXT) {
            return;
        }
        self.text_end = self.name;
        self.text_report = report;
        self.state = State::Text;
    }

    /// A start tag: the namespace its element is in, with the frames it opens or closes.
    fn open(&mut self) -> Namespace {
        let mut ns = self.ns();
        if ns != Namespace::Html && self.breaks_out() {
            // An HTML element in foreign content closes the foreign elements around it.
            while self
                .frames
                .last()
                .is_some_and(|f| f.inside != Namespace::Html)
            {
                self.frames.pop();
            }
            ns = self.ns();
        }
        let name = self.name;
        let (element, inside) = match ns {
            Namespace::Html | Namespace::Svg if name.is("svg") => {
                (Namespace::Svg, Some(Namespace::Svg))
            }
            Namespace::Html if name.is("math") => (Namespace::MathMl, Some(Namespace::MathMl)),
            Namespace::Html => {
                // Inside a MathML text integration point, mglyph and malignmark stay MathML.
                let parent_math = self
                    .frames
                    .last()
                    .is_some_and(|f| f.opener.is_any(&["mi", "mo", "mn", "ms", "mtext"]));
                if parent_math && name.is_any(&["mglyph", "malignmark"]) {
                    (Namespace::MathMl, None)
                } else {
                    (Namespace::Html, None)
                }
            }
            Namespace::Svg => {
                let integration = name.is_any(&["foreignobject", "desc", "title"]);
                (Namespace::Svg, integration.then_some(Namespace::Html))
            }
            Namespace::MathMl => {
                if name.is("svg")
                    && self
                        .frames
                        .last()
                        .is_some_and(|f| f.opener.is("annotation-xml"))
                {
                    (Namespace::Svg, Some(Namespace::Svg))
                } else if name.is("math") {
                    (Namespace::MathMl, Some(Namespace::MathMl))
                } else if name.is_any(&["mi", "mo", "mn", "ms", "mtext"]) {
                    (Namespace::MathMl, Some(Namespace::Html))
                } else if name.is("annotation-xml") {
                    let html = self.tag_attr("encoding").is_some_and(|e| {
                        e.eq_ignore_ascii_case(b"text/html")
                            || e.eq_ignore_ascii_case(b"application/xhtml+xml")
                    });
                    let inside = if html {
                        Namespace::Html
                    } else {
                        Namespace::MathMl
                    };
                    (Namespace::MathMl, Some(inside))
                } else {
                    (Namespace::MathMl, None)
                }
            }
        };
        // Self-closing is honoured in foreign content (`<svg/>` has no content); on HTML
        // elements it is ignored, but no HTML element opens a frame.
        if let Some(inside) = inside
            && !(self.self_closing && element != Namespace::Html)
        {
            if self.frames.len() >= MAX_FOREIGN_DEPTH {
                self.error = Some(format!(
                    "more than {MAX_FOREIGN_DEPTH} nested svg/math elements"
                ));
                self.state = State::Stopped;
            } else {
                self.frames.push(Frame {
                    opener: name,
                    inside,
                });
            }
        }
        element
    }

    /// Start tags that are HTML even inside `<svg>`/`<math>` (the spec's breakout list).
    fn breaks_out(&self) -> bool {
        const BREAKOUT: &[&str] = &[
            "b",
            "big",
            "blockquote",
            "body",
            "br",
            "center",
            "code",
            "dd",
            "div",
            "dl",
            "dt",
            "em",
            "embed",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "head",
            "hr",
            "i",
            "img",
            "li",
            "listing",
            "menu",
            "meta",
            "nobr",
            "ol",
            "p",
            "pre",
            "ruby",
            "s",
            "small",
            "span",
            "strong",
            "strike",
            "sub",
            "sup",
            "table",
            "tt",
            "u",
            "ul",
            "var",
        ];
        self.name.is_any(BREAKOUT)
            || (self.name.is("font")
                && ["color", "face", "size"]
                    .iter()
                    .any(|a| self.tag_attr(a).is_some()))
    }

    fn tag_attr(&self, name: &str) -> Option<&[u8]> {
        self.attrs
            .iter()
            .find(|a| &self.buf[a.name.0..a.name.1] == name.as_bytes())
            .map(|a| &self.buf[a.value.0..a.value.1])
    }

    /// An end tag: closes the innermost frame its name opened, if any (`</p>` and `</br>`
    /// in foreign content break out of it, as their start tags do).
    fn close(&mut self, ns: Namespace) {
        if ns != Namespace::Html && self.name.is_any(&["p", "br"]) {
            while self
                .frames
                .last()
                .is_some_and(|f| f.inside != Namespace::Html)
            {
                self.frames.pop();
            }
            return;
        }
        if self.name.long {
            return;
        }
        if let Some(at) = self
            .frames
            .iter()
            .rposition(|f| f.opener.as_bytes() == self.name.as_bytes())
        {
            self.frames.truncate(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the tokenizer reports: `<name ns>` for start tags (with `href` if any),
    /// `</name>` for end tags, and the text of `<title>`/`<textarea>` as `"…"`.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl Sink for Log {
        fn wants_attrs(&mut self, _: &Name) -> bool {
            true
        }
        fn start_tag(&mut self, tag: &Tag<'_>) -> bool {
            let ns = match tag.ns {
                Namespace::Html => "",
                Namespace::Svg => " svg",
                Namespace::MathMl => " math",
            };
            let href = match tag.attr("href") {
                Some(Ok(v)) => format!(" href={}", String::from_utf8_lossy(v)),
                Some(Err(())) => " href=(cut)".to_owned(),
                None => String::new(),
            };
            self.0.push(format!("<{:?}{ns}{href}>", tag.name));
            true
        }
        fn end_tag(&mut self, name: &Name, _: Namespace) {
            self.0.push(format!("</{name:?}>"));
        }
        fn text(&mut self, text: &[u8]) {
            match self.0.last_mut() {
                Some(last) if last.starts_with('"') => {
                    last.pop();
                    last.push_str(&String::from_utf8_lossy(text));
                    last.push('"');
                }
                _ => self
                    .0
                    .push(format!("\"{}\"", String::from_utf8_lossy(text))),
            }
        }
    }

    fn whole(html: &str) -> Vec<String> {
        let mut log = Log::default();
        let mut tokenizer = Tokenizer::new();
        tokenizer.feed(html.as_bytes(), &mut log);
        tokenizer.finish(&mut log);
        log.0
    }

    fn tokens(html: &str) -> Vec<String> {
        let log = Log(whole(html));
        // Every split in two chunks gives the same tokens.
        for cut in 1..html.len() {
            let mut split = Log::default();
            let mut tokenizer = Tokenizer::new();
            tokenizer.feed(&html.as_bytes()[..cut], &mut split);
            tokenizer.feed(&html.as_bytes()[cut..], &mut split);
            tokenizer.finish(&mut split);
            assert_eq!(split.0, log.0, "cut at {cut} of {html:?}");
        }
        log.0
    }

    fn hrefs(html: &str) -> Vec<String> {
        tokens(html)
            .into_iter()
            .filter_map(|t| {
                let (_, href) = t.strip_prefix('<')?.split_once(" href=")?;
                Some(href.trim_end_matches('>').to_owned())
            })
            .collect()
    }

    #[test]
    fn comments_end_at_the_first_dash_dash_gt_or_dash_dash_bang_gt() {
        assert_eq!(
            hrefs(
                "<!--><a href=1><!---><a href=2><!-- <a href=no> --!><a href=3><!-- -- --><a href=4>"
            ),
            ["1", "2", "3", "4"]
        );
        assert_eq!(hrefs("<!-- <!-- nested --> <a href=1> -->"), ["1"]);
        assert!(hrefs("<!-- unterminated <a href=no>").is_empty());
    }

    #[test]
    fn bogus_comments_and_doctype_end_at_the_first_gt() {
        // A `>` ends a DOCTYPE even inside quotes: `"><a href=1>` is text, then a tag.
        assert_eq!(
            hrefs(r#"<!DOCTYPE html PUBLIC "a>"><a href=1><?php x ?><a href=2><!x <a href=3>"#),
            ["1", "2"]
        );
        assert_eq!(
            hrefs(r#"<!doctype html><a href=1></x y><a href=2>"#),
            ["1", "2"]
        );
    }

    #[test]
    fn cdata_sections_exist_only_in_foreign_content() {
        // In HTML `<![CDATA[` is a bogus comment, ended by the first `>`.
        assert_eq!(hrefs("<![CDATA[<a href=no>]]><a href=1>"), ["1"]);
        assert_eq!(
            hrefs("<svg><![CDATA[ <a href=no> ]] ]]]><a href=1></svg>"),
            ["1"]
        );
    }

    #[test]
    fn text_elements_hide_markup_until_their_own_end_tag() {
        assert_eq!(
            tokens("<title>a <b> </titles> &amp; </TITLE ><a href=1>"),
            [
                "<title>",
                "\"a <b> </titles> &amp; \"",
                "</title>",
                "<a href=1>"
            ]
        );
        for name in [
            "textarea", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
        ] {
            assert_eq!(
                hrefs(&format!("<{name}><a href=no></{name}><a href=1>")),
                ["1"],
                "{name}"
            );
        }
        assert!(hrefs("<plaintext></plaintext><a href=no>").is_empty());
        // Cut short by the end of the input, a would-be end tag is text.
        assert_eq!(tokens("<title>a</ti"), ["<title>", "\"a</ti\""]);
        assert_eq!(tokens("<title>a<"), ["<title>", "\"a<\""]);
    }

    #[test]
    fn script_escapes_hide_a_nested_script_end_tag() {
        // `<!--<script>` double-escapes: the first `</script>` does not end the script.
        assert_eq!(
            hrefs("<script><!--<script></script><a href=no></script>--><a href=1>"),
            ["1"]
        );
        assert_eq!(hrefs("<script>x='<a href=no>'</script><a href=1>"), ["1"]);
        assert_eq!(hrefs("<script><!-- x --></script><a href=1>"), ["1"]);
        assert_eq!(hrefs("<script><!-- </script><a href=1>"), ["1"]);
        assert!(hrefs("<script><a href=no>").is_empty());
    }

    #[test]
    fn attributes_first_wins_quotes_hide_gt_and_names_are_lowercased() {
        assert_eq!(hrefs("<a HREF=1 href=2>"), ["1"]);
        assert_eq!(hrefs(r#"<a title="x>y" href='2'>"#), ["2"]);
        assert_eq!(
            hrefs("<a href = 3 ><a href=4/><a href=\"\">"),
            ["3", "4/", ""]
        );
        assert_eq!(tokens("<A HrEf=x>"), ["<a href=x>"]);
        // `<` inside a tag is part of a name or value, not a new tag.
        assert_eq!(hrefs("<a<b href=1>"), ["1"]);
    }

    #[test]
    fn oversized_values_are_flagged_not_kept() {
        let huge = "x".repeat(MAX_TAG_BYTES + 1);
        assert_eq!(
            whole(&format!("<a href={huge}><a href=1>"))[..],
            ["<a href=(cut)>", "<a href=1>"]
        );
    }

    #[test]
    fn namespaces_follow_svg_math_integration_points_and_breakouts() {
        assert_eq!(
            tokens(
                "<svg><a href=1><title>t</title><foreignObject><p><title>h</title></foreignObject><g/></svg><a>"
            ),
            [
                "<svg svg>",
                "<a svg href=1>",
                "<title svg>",
                "</title>",
                "<foreignobject svg>",
                "<p>",
                "<title>",
                "\"h\"",
                "</title>",
                "</foreignobject>",
                "<g svg>",
                "</svg>",
                "<a>"
            ]
        );
        // An HTML element in foreign content closes it; `<font>` only with these attributes.
        assert_eq!(
            tokens("<svg><font><p><a>"),
            ["<svg svg>", "<font svg>", "<p>", "<a>"]
        );
        assert_eq!(
            tokens("<svg><font size=1><a>"),
            ["<svg svg>", "<font>", "<a>"]
        );
        // Self-closing foreign elements have no content.
        assert_eq!(tokens("<svg/><a>"), ["<svg svg>", "<a>"]);
        // Nested <svg> pairs with its own end tag.
        assert_eq!(
            tokens("<svg><svg></svg><a></svg><a>"),
            [
                "<svg svg>",
                "<svg svg>",
                "</svg>",
                "<a svg>",
                "</svg>",
                "<a>"
            ]
        );
        // MathML: text integration points hold HTML, except mglyph; annotation-xml by encoding.
        assert_eq!(
            tokens(
                "<math><a><mi><a><mglyph></mi><annotation-xml encoding=text/html><a></annotation-xml><annotation-xml><svg></math><a>"
            ),
            [
                "<math math>",
                "<a math>",
                "<mi math>",
                "<a>",
                "<mglyph math>",
                "</mi>",
                "<annotation-xml math>",
                "<a>",
                "</annotation-xml>",
                "<annotation-xml math>",
                "<svg svg>",
                "</math>",
                "<a>"
            ]
        );
    }

    #[test]
    fn text_elements_in_foreign_content_are_ordinary() {
        assert_eq!(hrefs("<svg><style><a href=1></style></svg>"), ["1"]);
        assert_eq!(hrefs("<svg><script><a href=1></script></svg>"), ["1"]);
    }

    #[test]
    fn deep_foreign_nesting_stops_with_a_reason() {
        let mut tokenizer = Tokenizer::new();
        let mut log = Log::default();
        tokenizer.feed("<svg>".repeat(MAX_FOREIGN_DEPTH + 5).as_bytes(), &mut log);
        assert_eq!(log.0.len(), MAX_FOREIGN_DEPTH + 1);
        assert!(tokenizer.error().is_some_and(|e| e.contains("nested svg")));
    }
}
