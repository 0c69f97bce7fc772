//! Tests of [`super`]: table-driven, one behaviour each.

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
    let p =
        ex(r#"<base href="https://b.example/d/"><meta http-equiv="refresh" content="0;url=n">"#);
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
        let mut parser = PageParser::new(page_url(), None).counting_main_words();
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

/// The real generated shells and content pages in `tests/data/shells` (their README says where
/// each comes from) fall on the right side of the line.
#[test]
fn real_app_shells_are_shells_and_real_content_pages_are_not() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shells");
    let url = Url::parse("https://example.com/admin/").expect("url");
    let read = |dir: &str| {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("fixtures")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let html = std::fs::read_to_string(&p).expect("fixture");
                (p, extract(&html, &url).shell)
            })
            .collect::<Vec<_>>()
    };
    let shells = read("shells");
    assert!(shells.len() >= 8, "{shells:?}");
    for (path, signals) in shells {
        assert!(
            crate::audit::is_app_shell(&signals),
            "{}: {signals:?}",
            path.display()
        );
    }
    let pages = read("pages");
    assert!(pages.len() >= 6, "{pages:?}");
    for (path, signals) in pages {
        assert!(
            !crate::audit::is_app_shell(&signals),
            "{}: {signals:?}",
            path.display()
        );
    }
}

#[test]
fn data_handed_to_scripts_is_measured_and_code_is_not_data() {
    let url = Url::parse("https://a/").expect("url");
    let shell = |html: &str| extract(html, &url).shell;
    let json = r#"<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{"users":[1,2,3]}</script><script src="/main.js"></script>"#;
    let s = shell(json);
    assert_eq!((s.words, s.scripts, s.mount_point), (0, 1, true));
    assert_eq!(s.inline_data, 17, "the JSON's bytes");
    let nuxt =
        r#"<div id="__nuxt"></div><script>window.__NUXT__=(function(a){return {a:a}}(1))</script>"#;
    assert!(
        shell(nuxt).inline_data > 0,
        "server state in a classic script"
    );
    let code = r#"<div id="app"></div><script>import("/app.js")</script>"#;
    let s = shell(code);
    assert_eq!(
        (s.scripts, s.inline_data),
        (1, 0),
        "an inline script that runs code"
    );
    let props = r#"<div data-react-class="App" data-react-props="{&quot;u&quot;:1}"></div>"#;
    assert!(shell(props).inline_data > 0, "props in data-*-props");
    let ld =
        r#"<script type="application/ld+json">{"@type":"Article"}</script><div id="root"></div>"#;
    assert_eq!(
        shell(ld).inline_data,
        0,
        "structured data for search engines is not app data"
    );
}

#[test]
fn main_words_leave_out_the_page_chrome_and_stop_at_the_cap() {
    let nav = "<header><nav>Home Blog About Contact Log in</nav></header>";
    let foot = "<footer>© Example · Terms · Privacy</footer>";
    let p = ex(&format!(
        "{nav}<main><p>You need to be logged in to see this page.</p></main>{foot}"
    ));
    assert_eq!(p.main_words, 10);
    let long = "word ".repeat(500);
    let p = ex(&format!("{nav}<main>{long}</main>{foot}"));
    assert_eq!(p.main_words, MAIN_WORDS_COUNTED);
    // Still read past the shell's count: twenty words of chrome first do not stop it.
    let chrome = "menu ".repeat(40);
    let p = ex(&format!("<nav>{chrome}</nav><p>Please sign in</p>"));
    assert_eq!(p.main_words, 3);
    assert_eq!(p.shell.words, ShellSignals::WORDS_COUNTED);
}

#[test]
fn the_kept_text_is_the_same_however_the_page_arrives() {
    let html = "<nav>Home Log out</nav><main><h1>Member prices</h1><p>The walnut desk costs \
                forty euros<br>for members</p></main><footer>Club</footer>";
    let kept = |size: usize| {
        let mut parser = PageParser::new(page_url(), None).keeping_text(1000);
        for chunk in html.as_bytes().chunks(size) {
            parser.write(chunk);
        }
        parser.finish().text
    };
    let whole = kept(html.len());
    for size in [1, 3, 7] {
        assert_eq!(kept(size), whole, "chunks of {size} bytes");
    }
    // Words end at tags, not inside them; the chrome is left out.
    let words: Vec<&str> = whole.split_whitespace().collect();
    assert_eq!(
        words,
        [
            "Member", "prices", "The", "walnut", "desk", "costs", "forty", "euros", "for",
            "members"
        ]
    );
}
