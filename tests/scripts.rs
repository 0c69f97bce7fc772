//! Pages that scripts build: an app shell is not a leak, and with `--render` (a real headless
//! Chromium) what the scripts show decides: a sign-in protects, content or an API that answers
//! anyone leaks, a script-drawn wall on a public page is a finding. Every request the browser
//! makes goes through authwall; another origin is never contacted.

use authwall::audit::{Finding, Verdict};
use authwall::demo::Server;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::util::{Run, audit_site, chromium, requested};

/// A real generated shell: Vite's index.html of a React app.
const VITE_SHELL: &str = include_str!("data/shells/shells/vite-react.html");

fn js(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/javascript")], body).into_response()
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn findings(run: &Run, path: &str) -> Vec<Finding> {
    run.row(path)
        .finding
        .split(';')
        .filter_map(Finding::from_label)
        .collect()
}

/// Three private admins built as single-page apps, a public story hidden by a script, a page
/// whose links exist only once rendered, and a script that reaches for another origin
/// (`elsewhere`, whose server must log nothing).
fn site(elsewhere: String) -> Router {
    let home = r#"<html><head><title>Shop</title></head><body>
        <p><a href="/news/story">Our story</a> <a href="/widgets">Widgets</a>
        <a href="/beacon">Beacon</a></p></body></html>"#;
    let beacon = format!(
        r#"<html><head><title>Beacon</title><link rel="preconnect" href="{elsewhere}/">
        </head><body><p>A page of content that phones home in every way a script can, which
        authwall must never let through to the other origin.</p>
        <img src="{elsewhere}/pixel.gif">
        <script>
          fetch("{elsewhere}/collect", {{method: "POST", body: "x"}}).catch(() => {{}});
          fetch("{elsewhere}/get").catch(() => {{}});
          navigator.sendBeacon("{elsewhere}/beacon", "x");
          try {{ new WebSocket("{ws}/socket"); }} catch (e) {{}}
          if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js").catch(() => {{}});
        </script></body></html>"#,
        ws = elsewhere.replacen("http", "ws", 1)
    );
    Router::new()
        .route("/", get(move || async move { Html(home) }))
        // Decap-like: a static admin page whose script draws a login button, nothing else.
        .route("/admin", get(|| async {
            Html(r#"<!doctype html><html><head><title>Content Manager</title>
            <script src="/admin/cms.js"></script></head><body></body></html>"#)
        }))
        .route("/admin/cms.js", get(|| async {
            js(r#"document.addEventListener("DOMContentLoaded", () => {
                document.body.innerHTML = '<button>Login with Netlify Identity</button>';
            });"#)
        }))
        // React-like: the real Vite shell; its bundle asks /api/me (401) and goes to /login.
        .route("/dashboard", get(|| async { Html(VITE_SHELL) }))
        .route("/assets/index-CwOdOtxP.js", get(|| async {
            js(r#"fetch("/api/me").then((r) => {
                if (r.status === 401) location.href = "/login?next=/dashboard";
                else document.getElementById("root").textContent = "Welcome back";
            });"#)
        }))
        .route("/api/me", get(|| async { json(StatusCode::UNAUTHORIZED, r#"{"error":"sign in"}"#) }))
        .route("/login", get(|| async {
            Html(r#"<html><head><title>Sign in</title></head><body><form method="post">
            <input name="u"><input name="p" type="password"></form></body></html>"#)
        }))
        // A private SPA whose API answers anyone: the true leak, named on the API URL.
        .route("/account", get(|| async {
            Html(r#"<!doctype html><html><head><title>Account</title>
            <script src="/account/app.js"></script></head><body><div id="app"></div></body></html>"#)
        }))
        .route("/account/app.js", get(|| async {
            js(r#"fetch("/v1/users").then((r) => r.json()).then((users) => {
                document.getElementById("app").innerHTML = "<h1>Users</h1><ul>" +
                  users.map((u) => "<li>" + u.name + " " + u.email + "</li>").join("") + "</ul>";
            });"#)
        }))
        .route("/v1/users", get(|| async {
            json(StatusCode::OK, r#"[{"name":"Ada Lovelace","email":"ada@example.com"},
                {"name":"Alan Turing","email":"alan@example.com"}]"#)
        }))
        // A public story whose script hides the text behind "Sign in".
        .route("/news/story", get(|| async {
            Html(r#"<html><head><title>Our story</title></head><body><article>
            <h1>Our story</h1><p>We started in a garage with three people, one soldering iron
            and a strong opinion about how shops should treat the people who make things. Ten
            years later we still answer every email ourselves.</p></article>
            <script src="/news/paywall.js"></script></body></html>"#)
        }))
        .route("/news/paywall.js", get(|| async {
            js(r#"document.querySelector("article").innerHTML =
                '<p>Sign in to keep reading.</p><a href="/login?next=/news/story">Sign in</a>';"#)
        }))
        // Links only a browser sees.
        .route("/widgets", get(|| async {
            Html(r#"<html><head><title>Widgets</title></head><body><p>Our widgets are built
            to last, tested for years and repaired for free when they break; the list below is
            drawn by a script from the catalogue.</p><ul id="list"></ul>
            <script>document.getElementById("list").innerHTML =
              '<li><a href="/widgets/blue">Blue</a></li>';</script></body></html>"#)
        }))
        .route("/widgets/blue", get(|| async { Html("<title>Blue</title><p>A blue widget.</p>") }))
        .route("/beacon", get(move || async move { Html(beacon) }))
        .route("/sw.js", get(|| async { js("self.addEventListener('fetch', () => {});") }))
        // A shell to look at, but its data is in the HTML (Next.js's __NEXT_DATA__): a leak.
        .route("/settings", get(|| async { Html(next_data_page()) }))
}

/// A Next.js-style page that renders nothing before its script runs, with user records in
/// `__NEXT_DATA__`.
fn next_data_page() -> String {
    let users: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"id":{i},"name":"User {i}","email":"user{i}@example.com"}}"#))
        .collect();
    format!(
        r#"<!DOCTYPE html><html><head><title>Settings</title></head><body><div id="__next"></div>
        <script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{{"users":[{}]}}}}}}</script>
        <script src="/_next/static/chunks/main.js" defer></script></body></html>"#,
        users.join(",")
    )
}

async fn servers() -> (Server, Server) {
    let elsewhere = Server::start(Router::new().fallback(|| async { "hello" }))
        .await
        .unwrap();
    let site = Server::start(site(elsewhere.url(""))).await.unwrap();
    (site, elsewhere)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_browser_app_shells_are_noted_and_nothing_is_critical() {
    let (server, _elsewhere) = servers().await;
    let run = audit_site(&server, "/", &[]).await;
    for admin in ["/admin", "/dashboard", "/account"] {
        assert_eq!(run.row(admin).verdict, Some(Verdict::AppShell), "{admin}");
        assert_eq!(findings(&run, admin), [Finding::AppShell], "{admin}");
    }
    let critical: Vec<&str> = run
        .rows
        .iter()
        .filter(|r| r.severity == Some(authwall::audit::Severity::Critical))
        .map(|r| r.url.as_str())
        .collect();
    assert_eq!(
        critical.len(),
        1,
        "only the page with its data inline: {critical:?}"
    );
    // Its data in the HTML: no shell, a leak.
    assert_eq!(run.row("/settings").verdict, Some(Verdict::Leak));
    assert!(findings(&run, "/settings").contains(&Finding::PrivateLeak));
    // A script-drawn wall is invisible without a browser.
    assert_eq!(run.row("/news/story").verdict, Some(Verdict::Ok));
    assert!(!run.has_row("/widgets/blue"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_pages_are_judged_by_what_their_scripts_show() {
    let Some(browser) = chromium() else { return };
    let browser = browser.to_str().unwrap().to_string();
    let (server, elsewhere) = servers().await;
    let args = [
        "--render",
        "all",
        "--browser",
        &browser,
        "--browser-no-sandbox",
    ];
    let run = audit_site(&server, "/", &args).await;
    let summary = &run.result.summary;
    // The Decap-like admin draws a login button; the React-like one goes to /login after its
    // API said 401: both protected.
    assert_eq!(
        run.row("/admin").verdict,
        Some(Verdict::Protected),
        "{summary}"
    );
    assert_eq!(run.row("/admin").rendered_sign_in, Some(true));
    let dashboard = run.row("/dashboard");
    assert_eq!(dashboard.verdict, Some(Verdict::Protected), "{dashboard:?}");
    assert!(
        dashboard.rendered_url.contains("/login?next="),
        "{dashboard:?}"
    );
    assert!(dashboard.api_calls.contains("401 /api/me"), "{dashboard:?}");
    // The SPA whose API answers anyone: the page leaks, and its API is named.
    let account = run.row("/account");
    assert_eq!(account.verdict, Some(Verdict::Leak), "{account:?}");
    assert!(account.note.contains("rendered"), "{account:?}");
    let api = run.row("/v1/users");
    assert_eq!(
        findings(&run, "/v1/users"),
        [Finding::PrivateApiLeak],
        "{api:?}"
    );
    assert_eq!(api.discovered_via, authwall::model::DiscoveredVia::Render);
    assert!(api.referrer.ends_with("/account"), "{api:?}");
    // The public story hidden by a script: a wall for search engines.
    let story = run.row("/news/story");
    assert_eq!(
        findings(&run, "/news/story"),
        [Finding::PublicScriptWall],
        "{story:?}"
    );
    // A link only the browser sees is crawled.
    assert_eq!(run.row("/widgets/blue").status, Some(200));
    // Nothing ever reached the other origin; the run record counts the browser's requests.
    assert!(elsewhere.hits().is_empty(), "{:?}", elsewhere.hits());
    let rendered = run.result.facts.rendered.expect("render facts");
    assert!(rendered.pages >= 6 && rendered.requests > 0, "{rendered:?}");
    // No request but GETs, and the POST beacon was never sent anywhere.
    assert!(server.hits().iter().all(|h| h.method == "GET"));
    assert!(!requested(&server).contains(&"/sw.js".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_browser_stops_the_audit_before_any_request() {
    let (server, _elsewhere) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    let argv = [
        "authwall",
        "audit",
        &server.url("/"),
        "-o",
        csv.to_str().unwrap(),
        "--render",
        "--browser",
        "/nonexistent/chromium",
    ];
    let args = authwall::cli::audit_args(&argv).unwrap();
    let config = authwall::config::Config::from_args(&args).unwrap();
    let err = authwall::audit(
        &config,
        authwall::progress::Progress::hidden(),
        std::future::pending(),
    )
    .await
    .err()
    .expect("a missing browser is an error");
    assert!(
        format!("{err:#}").contains("apt-get install chromium"),
        "{err:#}"
    );
    assert!(
        server.hits().is_empty(),
        "no request before the browser is found"
    );
    assert!(!csv.exists(), "no file either");
}
