//! The demo site's routes. Each route is one behaviour; the comment says what the audit must
//! record for it.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::club::Club;

/// `http://HOST` of the request, so that sitemaps and robots.txt can give absolute URLs.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"
    ))
}

fn redirect(status: StatusCode, location: &str) -> Response {
    (status, [(header::LOCATION, location.to_string())]).into_response()
}

pub fn site() -> Router {
    site_with(Club::default())
}

/// The demo site with `club`'s sessions (a club whose sessions expire, for a test).
pub fn site_with(club: Club) -> Router {
    let flaky = Arc::new(AtomicU32::new(0));
    let member = club.clone();
    Router::new()
        .merge(super::club::routes(club))
        .route("/robots.txt", get(robots))
        .route("/sitemap_index.xml", get(sitemap_index))
        .route("/sitemap-pages.xml", get(sitemap_pages))
        .route("/sitemap-blog.xml.gz", get(sitemap_blog_gz))
        .route("/sitemap.txt", get(sitemap_text))
        // A sitemap that moved: the redirect target is read as a sitemap.
        .route("/old-sitemap.xml", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/sitemap-moved.xml") }))
        .route("/sitemap-moved.xml", get(|headers: HeaderMap| async move {
            let o = origin(&headers);
            xml(format!(
                r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{o}/from-moved-sitemap</loc></url></urlset>"#
            ))
        }))
        .route("/from-moved-sitemap", get(|| async { page("From a moved sitemap", "") }))
        .route("/", get(move |headers: HeaderMap| async move { home(member.is_member(&headers)) }))
        .route("/about", get(|| async { page("About us", "<p>We sell things.</p>") }))
        .route("/only-in-sitemap", get(|| async { page("Only in the sitemap", "<p>No page links here.</p>") }))
        .route("/from-text-sitemap", get(|| async { page("From the text sitemap", "") }))
        .route("/blog/", get(|| async {
            page("Blog", r#"<a href="post-1">First post</a> <a href="../about">About</a>"#)
        }))
        .route("/blog/post-1", get(|| async { page("First post", r#"<a href="/blog/">Back</a>"#) }))
        .route("/docs/guide/", get(|| async {
            // <base href> changes what relative links resolve against.
            Html(r#"<html><head><base href="/docs/"><title>Guide</title></head>
                <body><a href="reference">Reference</a></body></html>"#)
        }))
        .route("/docs/reference", get(|| async { page("Reference", "") }))
        // Routes match the percent-encoded path, as sent on the wire.
        .route("/caf%C3%A9", get(|| async { page("Café", "<p>One URL, however it is encoded.</p>") }))
        .route("/search", get(|| async { page("Search", "") }))
        // 401 with a challenge: the page exists but is walled.
        .route("/members/", get(|| async {
            (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, r#"Basic realm="members""#)], page("Members", ""))
        }))
        // 401 without the WWW-Authenticate header RFC 9110 requires.
        .route("/secret-nochallenge", get(|| async { (StatusCode::UNAUTHORIZED, "no") }))
        .route("/forbidden", get(|| async { (StatusCode::FORBIDDEN, page("Forbidden", "")) }))
        .route("/broken", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }))
        // A chain that ends walled: 301 -> 301 -> 401.
        .route("/old-page", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/older-page") }))
        .route("/older-page", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/walled") }))
        .route("/walled", get(|| async {
            (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, r#"Bearer realm="api""#)], "walled")
        }))
        // A redirect to a login page.
        .route("/account-redirect", get(|| async {
            redirect(StatusCode::FOUND, "/login?next=/account-redirect")
        }))
        .route("/login", get(|| async {
            page("Sign in", r#"<form method="post" action="/login"><input name="user"><input type="password" name="pw"></form>"#)
        }))
        // A redirect loop.
        .route("/loop-a", get(|| async { redirect(StatusCode::FOUND, "/loop-b") }))
        .route("/loop-b", get(|| async { redirect(StatusCode::FOUND, "/loop-a") }))
        // Each hop is checked against robots.txt: this target must never be requested.
        .route("/to-hidden", get(|| async { redirect(StatusCode::FOUND, "/private-by-robots/page") }))
        // A meta refresh is a redirect hop too.
        .route("/moved-by-meta", get(|| async {
            Html(r#"<html><head><meta http-equiv="refresh" content="0; url=/about"><title>Moved</title></head></html>"#)
        }))
        // A redirect off-site: recorded, never followed.
        .route("/goodbye", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "https://elsewhere.example/") }))
        // 429 with Retry-After once, then fine.
        .route("/flaky", get(move || {
            let flaky = flaky.clone();
            async move {
                if flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "slow down").into_response()
                } else {
                    page("Flaky", "<p>Fine now.</p>").into_response()
                }
            }
        }))
        // Slower than the demo's timeout.
        .route("/slow", get(|| async {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            page("Slow", "")
        }))
        .route("/report.pdf", get(|| async {
            ([(header::CONTENT_TYPE, "application/pdf")], b"%PDF-1.4 demo".to_vec())
        }))
        .route("/private-by-robots/page", get(|| async { page("Should never be fetched", "") }))
        // ---- the private side: what an anonymous visitor must not get ----
        // A dashboard that answers anyone with real content: a leak, and indexable.
        .route("/dashboard", get(|| async {
            page("Dashboard", "<h1>Orders today</h1><table><tr><td>#1041</td><td>Ada Lovelace</td><td>€120</td></tr></table>")
        }))
        // Protected correctly: 401, and a redirect to the login page.
        .route("/account", get(|| async {
            (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, r#"Basic realm="account""#)], "sign in")
        }))
        .route("/admin", get(|| async { redirect(StatusCode::FOUND, "/login?next=/admin") }))
        // A billing app built with Vite and React (its generated index.html): the server answers
        // anyone with the shell, the script asks the API, which answers 401, and draws a sign-in
        // form. Without a browser: an app shell (no private data in the HTML); with --render:
        // protected.
        .route("/billing", get(|| async { Html(BILLING_SHELL) }))
        .route("/billing/{*rest}", get(|| async { Html(BILLING_SHELL) }))
        .route("/assets/index-CwOdOtxP.js", get(|| async { script(BILLING_APP) }))
        .route("/api/billing/me", get(|| async {
            (StatusCode::UNAUTHORIZED, [(header::CONTENT_TYPE, "application/json")], r#"{"error":"sign in"}"#)
        }))
        // A private path that shows a login form with 200: not a leak.
        .route("/settings", get(|| async {
            page("Sign in to change settings", r#"<form action="/settings" method="post"><input type="password" name="pw"></form>"#)
        }))
        // Look-alikes of private paths that are public pages.
        .route("/settings.html", get(|| async { page("Settings explained", "<p>How to use settings.</p>") }))
        .route("/users-guide", get(|| async { page("Users' guide", "<p>Read me.</p>") }))
        // ---- the public side: walls that keep search engines out ----
        // A Cloudflare-style challenge: bot protection, not the site's own auth.
        .route("/challenge", get(|| async {
            (StatusCode::FORBIDDEN, [("cf-mitigated", "challenge")], Html("<title>Just a moment...</title>"))
        }))
        // A redirect to an identity provider on another host.
        .route("/oauth-wall", get(|| async {
            redirect(StatusCode::FOUND, "https://idp.elsewhere.example/oauth2/authorize?client_id=shop&redirect_uri=https%3A%2F%2Fshop%2Fcb")
        }))
        // A public story whose script hides the text behind "Sign in to keep reading": search
        // engines run scripts, so for them this is a login page. Found with --render.
        .route("/news/members-story", get(|| async {
            page(
                "How we price our shop",
                "<article><h1>How we price our shop</h1><p>Every price in the shop starts with \
                 what the maker asks, plus shipping, plus a small margin that keeps the lights \
                 on. We publish the margin for every product, because customers asked us to, \
                 and because it keeps us honest about what we add.</p></article>\
                 <script src=\"/assets/paywall.js\"></script>",
            )
        }))
        .route("/assets/paywall.js", get(|| async { script(PAYWALL) }))
        // Content replaced by a login form, at a path that does not look like a login page.
        .route("/members-area", get(|| async {
            page("Members", r#"<form action="/session" method="post"><input name="u"><input type="password" name="p"></form>"#)
        }))
        .route("/no-authwall/page", get(|| async { page("Should never be fetched", "") }))
        .fallback(|| async { (StatusCode::NOT_FOUND, page("Not found", "")) })
}

async fn robots(headers: HeaderMap) -> String {
    format!(
        "# The demo shop\n\
         User-agent: *\n\
         Disallow: /private-by-robots/\n\
         \n\
         User-agent: authwall\n\
         Disallow: /private-by-robots/\n\
         Disallow: /no-authwall/\n\
         \n\
         Sitemap: {}/sitemap_index.xml\n",
        origin(&headers)
    )
}

/// The demo's billing app: Vite's generated index.html for a React app.
const BILLING_SHELL: &str = include_str!("../../tests/data/shells/shells/vite-react.html");

/// What the billing app's bundle does for an anonymous visitor: ask who is signed in, and
/// draw a sign-in form when the API says nobody.
const BILLING_APP: &str = r#"
fetch("/api/billing/me").then(async (r) => {
  const root = document.getElementById("root");
  if (r.status === 401 || r.status === 403) {
    root.innerHTML = '<h1>Sign in to billing</h1><form action="/api/billing/session" method="post">' +
      '<input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>';
    return;
  }
  const me = await r.json();
  root.innerHTML = "<h1>Invoices of " + me.name + "</h1>";
});
"#;

/// The public story's paywall: the text is replaced by a sign-in prompt.
const PAYWALL: &str = r#"
document.querySelector("article").innerHTML =
  '<h1>How we price our shop</h1><p>Sign in to keep reading.</p><a href="/login?next=/news/members-story">Sign in</a>';
"#;

fn script(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/javascript")], body).into_response()
}

/// An XML document (a sitemap).
fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

async fn sitemap_index(headers: HeaderMap) -> impl IntoResponse {
    let o = origin(&headers);
    xml(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{o}/sitemap-pages.xml</loc></sitemap>
  <sitemap><loc>{o}/sitemap-blog.xml.gz</loc></sitemap>
  <sitemap><loc>{o}/sitemap.txt</loc></sitemap>
  <sitemap><loc>{o}/old-sitemap.xml</loc></sitemap>
  <sitemap><loc>https://elsewhere.example/sitemap.xml</loc></sitemap>
</sitemapindex>"#
    ))
}

async fn sitemap_pages(headers: HeaderMap) -> impl IntoResponse {
    let o = origin(&headers);
    xml(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{o}/</loc></url>
  <url><loc>   {o}/only-in-sitemap
  </loc></url>
  <url><loc>{o}/search?q=a&amp;page=2</loc></url>
  <url><loc>{o}/walled</loc></url>
  <url><loc>{o}/old-page</loc></url>
  <url><loc>{o}/gone-from-site</loc></url>
  <url><loc>{o}/dashboard</loc></url>
  <url><loc>{o}/private-by-robots/listed</loc></url>
  <url><loc>/relative-loc</loc></url>
  <url><loc>https://elsewhere.example/listed</loc></url>
</urlset>"#
    ))
}

async fn sitemap_blog_gz(headers: HeaderMap) -> impl IntoResponse {
    let xml = format!(
        r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{}/blog/post-1</loc></url></urlset>"#,
        origin(&headers)
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = gz.write_all(xml.as_bytes());
    // Served as a generic binary: gzip must be recognised by its magic bytes.
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        gz.finish().unwrap_or_default(),
    )
}

async fn sitemap_text(headers: HeaderMap) -> String {
    format!("{}/from-text-sitemap\r\n\r\n", origin(&headers))
}

/// The shop's home; a member's shows the way to the club.
fn home(member: bool) -> Html<String> {
    let club = if member {
        r#"<li><a href="/club/">Members' club</a></li>"#
    } else {
        ""
    };
    let page = HOME.replace("<!--club-->", club);
    Html(page)
}

const HOME: &str = r#"<!doctype html>
<html><head><title>Demo shop</title>
<link rel="canonical" href="/">
<link rel="alternate" hreflang="de" href="https://de.elsewhere.example/">
</head><body>
<nav><a href="/about">About</a> <a href="/about#team">Team</a> <a href="/blog/">Blog</a>
<a href="/docs/guide/">Docs</a> <a href="/report.pdf">Report (PDF)</a></nav>
<ul>
<li><a href="/members/">Members</a></li>
<li><a href="/secret-nochallenge">Secret</a></li>
<li><a href="/forbidden">Forbidden</a></li>
<li><a href="/missing">Missing</a></li>
<li><a href="/broken">Broken</a></li>
<li><a href="/old-page">Old page</a></li>
<li><a href="/account-redirect">My account</a></li>
<li><a href="/loop-a">Loop</a></li>
<li><a href="/moved-by-meta">Moved</a></li>
<li><a href="/to-hidden">Members' corner</a></li>
<li><a href="/dashboard">Dashboard</a> <a href="/settings.html">Settings explained</a> <a href="/users-guide">Guide</a></li>
<li><a href="/challenge">Protected by a CDN</a> <a href="/oauth-wall">Partner portal</a> <a href="/members-area">Members area</a></li>
<li><a href="/login">Sign in</a> <a href="/news/members-story">How we price</a></li><!--club-->
<li><a href="/goodbye">Goodbye</a></li>
<li><a href="/flaky">Flaky</a></li>
<li><a href="/slow">Slow</a></li>
<li><a href="/café">Café</a> <a href="/caf%c3%a9">Café again</a> <a href="/caf%C3%A9">and again</a></li>
<li><a href="/private-by-robots/page">Hidden by robots.txt</a></li>
<li><a href="/no-authwall/page">Hidden from authwall</a></li>
<li><a href="https://elsewhere.example/partner">Partner</a></li>
<li><a href="mailto:shop@example.com">Mail</a> <a href="javascript:void(0)">JS</a></li>
</ul>
<!-- <a href="/in-comment">not a link</a> -->
<script>document.write('<a href="/in-script">not a link</a>');</script>
</body></html>"#;
