//! A synthetic website for benchmarks: N pages generated on the fly from their number (no disk),
//! served on 127.0.0.1 in its own process so that it does not share the crawler's runtime.
//!
//! ```sh
//! cargo run --release --example synth_site -- --pages 100000 [--port 0] [--threads 1]
//! ```
//! The first line on stdout is `listening on http://127.0.0.1:PORT` (with `--port 0`, the default,
//! the OS picks a free port), so a script can read it.
//!
//! The site:
//! - `/` is page 0 and `/page/{i}` page i for 1 ≤ i < N. Each page is ~15 KB of HTML: a head with
//!   title, meta description, robots and canonical; a nav block of 8 links repeated on every page;
//!   12 content links to other pages chosen deterministically from i (two of them, 2i+1 and 2i+2,
//!   form a binary tree so every page is reachable from `/` within log2(N) hops); paragraphs of
//!   filler text built once at start-up.
//! - `/robots.txt` allows everything and names `/sitemap_index.xml`, a sitemap index whose child
//!   sitemaps `/sitemap-{k}.xml` list at most 50,000 page URLs each.
//! - `/members/{i}` answers 401 with `WWW-Authenticate: Basic` (linked from every 1000th page,
//!   i ≡ 3 mod 1000, so 10 links at 10k pages).
//! - `/admin/` and `/admin/users` answer 200 (a private area leaking publicly; linked from page 1
//!   only).
//! - Anything else answers 404.
//!
//! With `--spa` every page is instead a single-page app: the same small shell at every path
//! (`<div id="root">` and `/app.js`), whose script asks `/api/page/{i}` for the page's title,
//! text and links and draws them. A crawler without a browser sees a shell and no links;
//! `authwall audit --render all` renders each page and crawls the links the script draws.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// URLs per child sitemap (the sitemaps.org limit).
const SITEMAP_CHUNK: u64 = 50_000;
/// Paragraphs of filler text built once; each page shows all of them, rotated by its number.
const PARAGRAPHS: usize = 16;

struct Site {
    pages: u64,
    /// Pages are app shells drawn by a script (see the module docs).
    spa: bool,
    base: String,
    /// Pre-rendered `<p>…</p>` blocks (~820 bytes each).
    filler: Vec<String>,
    /// The nav block, identical on every page.
    nav: String,
}

fn usage() -> ! {
    eprintln!("usage: synth_site [--pages N] [--port P] [--host IP] [--threads T] [--spa]");
    eprintln!("  --pages N    number of pages (default 10000; e.g. 10000, 100000, 1000000)");
    eprintln!("  --port P     port (default 0: a free port)");
    eprintln!("  --host IP    a loopback address to listen on (default 127.0.0.1; 127.0.0.2 …");
    eprintln!("               give sites addresses of their own, as for benches/batch.sh)");
    eprintln!("  --threads T  tokio worker threads (default 1)");
    eprintln!("  --spa        pages are app shells drawn by a script from a JSON API");
    std::process::exit(2)
}

fn parse_args() -> (u64, u16, usize, bool, std::net::Ipv4Addr) {
    let (mut pages, mut port, mut threads, mut spa) = (10_000u64, 0u16, 1usize, false);
    let mut host = std::net::Ipv4Addr::LOCALHOST;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => usage(),
            "--spa" => {
                spa = true;
                continue;
            }
            "--pages" | "--port" | "--threads" | "--host" => args.next().unwrap_or_else(|| usage()),
            _ => {
                eprintln!("synth_site: unknown argument {arg:?}");
                usage()
            }
        };
        let bad = || -> ! {
            eprintln!("synth_site: bad value {value:?} for {arg}");
            usage()
        };
        match arg.as_str() {
            "--pages" => pages = value.replace('_', "").parse().unwrap_or_else(|_| bad()),
            "--port" => port = value.parse().unwrap_or_else(|_| bad()),
            "--host" => {
                host = value.parse().unwrap_or_else(|_| bad());
                if !host.is_loopback() {
                    bad()
                }
            }
            _ => threads = value.parse().unwrap_or_else(|_| bad()),
        }
    }
    if pages < 2 || threads == 0 {
        usage()
    }
    (pages, port, threads, spa, host)
}

/// The shell every path of the single-page app answers with.
const SPA_SHELL: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
    <title>Synthetic app</title>\n<script type=\"module\" src=\"/app.js\"></script>\n\
    </head><body><div id=\"root\"></div></body></html>\n";

/// The app: ask the API for the page at this path, draw its title, text and links.
const SPA_APP: &str = "const path = location.pathname === '/' ? '/page/0' : location.pathname;\n\
    fetch('/api' + path).then((r) => r.json()).then((page) => {\n\
      document.title = page.title;\n\
      const root = document.getElementById('root');\n\
      root.innerHTML = '<h1>' + page.title + '</h1><p>' + page.text + '</p><ul>' +\n\
        page.links.map((l) => '<li><a href=\"' + l + '\">' + l + '</a></li>').join('') + '</ul>';\n\
    });\n";

/// What the app's API says about page i: its title, some text, its content links.
fn spa_page(site: &Site, i: u64) -> String {
    let text = &site.filler[i as usize % PARAGRAPHS];
    let text = text
        .trim_start_matches("<p>")
        .trim_end()
        .trim_end_matches("</p>");
    let links: Vec<String> = content_links(i, site.pages)
        .iter()
        .map(|&t| format!("\"{}\"", page_path(t)))
        .collect();
    format!(
        "{{\"title\":\"Page {i}\",\"text\":\"{text}\",\"links\":[{}]}}",
        links.join(",")
    )
}

/// Deterministic pseudo-random words (xorshift), so every run serves the same bytes.
fn build_filler() -> Vec<String> {
    const WORDS: [&str; 48] = [
        "access",
        "account",
        "archive",
        "audit",
        "browser",
        "cache",
        "catalogue",
        "client",
        "content",
        "cookie",
        "crawler",
        "customer",
        "delivery",
        "document",
        "domain",
        "editor",
        "feature",
        "gateway",
        "header",
        "index",
        "invoice",
        "library",
        "link",
        "login",
        "manual",
        "member",
        "network",
        "order",
        "package",
        "partner",
        "policy",
        "portal",
        "product",
        "profile",
        "release",
        "report",
        "request",
        "resource",
        "search",
        "section",
        "server",
        "session",
        "settings",
        "support",
        "team",
        "update",
        "version",
        "workflow",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..PARAGRAPHS)
        .map(|_| {
            let mut p = String::with_capacity(900);
            p.push_str("<p>");
            let mut sentence_start = true;
            while p.len() < 800 {
                let word = WORDS[(next() % WORDS.len() as u64) as usize];
                if sentence_start {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        p.push(first.to_ascii_uppercase());
                        p.push_str(chars.as_str());
                    }
                    sentence_start = false;
                } else {
                    p.push_str(word);
                }
                if next() % 9 == 0 {
                    p.push_str(". ");
                    sentence_start = true;
                } else {
                    p.push(' ');
                }
            }
            p.truncate(p.trim_end().len());
            p.push_str(".</p>\n");
            p
        })
        .collect()
}

fn page_path(i: u64) -> String {
    if i == 0 {
        "/".to_string()
    } else {
        format!("/page/{i}")
    }
}

fn build_nav(pages: u64) -> String {
    let mut nav = String::with_capacity(1024);
    nav.push_str("<nav class=\"site-nav\"><ul>\n");
    let labels = [
        "Home", "Products", "Docs", "Blog", "Support", "Pricing", "About", "Contact",
    ];
    for (k, label) in labels.iter().enumerate() {
        // Home, then pages spread over the site (always < pages).
        let target = if k == 0 {
            0
        } else {
            (k as u64 * pages / 9).max(1)
        };
        let _ = writeln!(
            nav,
            "<li><a href=\"{}\">{label}</a></li>",
            page_path(target)
        );
    }
    nav.push_str("</ul></nav>\n");
    nav
}

/// The 12 content links of page i (2i+1 and 2i+2 make every page reachable from `/`).
fn content_links(i: u64, n: u64) -> [u64; 12] {
    [
        (2 * i + 1) % n,
        (2 * i + 2) % n,
        (i * 7 + 1) % n,
        (i * 13 + 5) % n,
        (i * 31 + 17) % n,
        (i * 101 + 3) % n,
        (i + 1) % n,
        (i + n - 1) % n,
        (i * i + 11) % n,
        (i / 2 + 7) % n,
        (i * 997 + 29) % n,
        (i * 4099 + 41) % n,
    ]
}

fn render_page(site: &Site, i: u64) -> String {
    let mut html = String::with_capacity(16 * 1024);
    let path = page_path(i);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Page {i} – Synthetic Site</title>\n\
         <meta name=\"description\" content=\"Synthetic page number {i} of {n} for crawler benchmarks.\">\n\
         <meta name=\"robots\" content=\"index, follow\">\n\
         <link rel=\"canonical\" href=\"{base}{path}\">\n\
         </head>\n<body>\n\
         <header><a class=\"logo\" href=\"/\">Synthetic Site</a></header>\n",
        n = site.pages,
        base = site.base,
    );
    html.push_str(&site.nav);
    let _ = write!(html, "<main>\n<article>\n<h1>Page {i}</h1>\n");
    let links = content_links(i, site.pages);
    // Filler paragraphs, rotated by page number, with the content links between them.
    for k in 0..PARAGRAPHS {
        html.push_str(&site.filler[(i as usize + k) % PARAGRAPHS]);
        if k < links.len() {
            let t = links[k];
            let _ = writeln!(
                html,
                "<p>See also <a href=\"{}\">related page {t}</a>.</p>",
                page_path(t)
            );
        }
    }
    if i % 1000 == 3 {
        let _ = writeln!(
            html,
            "<p><a href=\"/members/{i}\">Members-only version of this page</a></p>"
        );
    }
    if i == 1 {
        html.push_str("<p><a href=\"/admin/\">Administration</a></p>\n");
    }
    html.push_str(
        "</article>\n</main>\n<footer><p>&copy; Synthetic Site. \
         <a href=\"/\">Home</a></p></footer>\n</body>\n</html>\n",
    );
    html
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

fn xml(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        )],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html><html><head><title>Not found</title></head><body><h1>Not found</h1></body></html>\n"
            .to_string(),
    )
}

fn sitemap_index(site: &Site) -> String {
    let chunks = site.pages.div_ceil(SITEMAP_CHUNK);
    let mut s = String::with_capacity(128 + chunks as usize * 96);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for k in 0..chunks {
        let _ = writeln!(
            s,
            "<sitemap><loc>{}/sitemap-{k}.xml</loc></sitemap>",
            site.base
        );
    }
    s.push_str("</sitemapindex>\n");
    s
}

fn sitemap(site: &Site, k: u64) -> Option<String> {
    let start = k.checked_mul(SITEMAP_CHUNK)?;
    if start >= site.pages {
        return None;
    }
    let end = (start + SITEMAP_CHUNK).min(site.pages);
    let mut s = String::with_capacity(128 + (end - start) as usize * 64);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for i in start..end {
        let _ = writeln!(s, "<url><loc>{}{}</loc></url>", site.base, page_path(i));
    }
    s.push_str("</urlset>\n");
    Some(s)
}

async fn handle(State(site): State<Arc<Site>>, uri: Uri) -> Response {
    let path = uri.path();
    if site.spa {
        if let Some(rest) = path.strip_prefix("/api/page/") {
            return match rest.parse::<u64>() {
                Ok(i) if i < site.pages => (
                    [(header::CONTENT_TYPE, "application/json")],
                    spa_page(&site, i),
                )
                    .into_response(),
                _ => not_found(),
            };
        }
        match path {
            "/app.js" => {
                return ([(header::CONTENT_TYPE, "text/javascript")], SPA_APP).into_response();
            }
            "/" => return html(StatusCode::OK, SPA_SHELL.to_string()),
            p if p.starts_with("/page/") => return html(StatusCode::OK, SPA_SHELL.to_string()),
            _ => {}
        }
    }
    if path == "/" {
        return html(StatusCode::OK, render_page(&site, 0));
    }
    if let Some(rest) = path.strip_prefix("/page/") {
        return match rest.parse::<u64>() {
            // Only the canonical spelling (no leading zeros or sign) exists.
            Ok(i) if i >= 1 && i < site.pages && rest == i.to_string() => {
                html(StatusCode::OK, render_page(&site, i))
            }
            _ => not_found(),
        };
    }
    match path {
        "/robots.txt" => {
            let body = format!(
                "User-agent: *\nAllow: /\n\nSitemap: {}/sitemap_index.xml\n",
                site.base
            );
            return ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
        }
        "/sitemap_index.xml" => return xml(sitemap_index(&site)),
        "/admin/" | "/admin/users" => {
            return html(
                StatusCode::OK,
                "<!DOCTYPE html>\n<html><head><title>Admin console</title></head><body>\n\
                 <h1>Administration</h1>\n<ul><li><a href=\"/admin/users\">Users</a></li>\n\
                 <li><a href=\"/\">Back to the site</a></li></ul>\n</body></html>\n"
                    .to_string(),
            );
        }
        _ => {}
    }
    if path.starts_with("/members/") {
        return (
            StatusCode::UNAUTHORIZED,
            [
                (header::WWW_AUTHENTICATE, "Basic realm=\"members\", charset=\"UTF-8\""),
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            ],
            "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Members only</h1></body></html>\n",
        )
            .into_response();
    }
    if let Some(k) = path
        .strip_prefix("/sitemap-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .and_then(|k| k.parse::<u64>().ok())
        && let Some(body) = sitemap(&site, k)
    {
        return xml(body);
    }
    not_found()
}

fn main() -> std::io::Result<()> {
    let (pages, port, threads, spa, host) = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{host}:{}", addr.port());
        let site = Arc::new(Site {
            pages,
            spa,
            base: base.clone(),
            filler: build_filler(),
            nav: build_nav(pages),
        });
        let app = Router::new().fallback(handle).with_state(site);
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {base}")?;
            out.flush()?;
        }
        eprintln!("synth_site: {pages} pages, {threads} worker thread(s); stop with Ctrl-C");
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}
