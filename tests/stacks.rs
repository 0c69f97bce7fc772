//! Accuracy on real stacks (issue 17): the false alarms and gaps found by auditing real
//! applications — soft-404 pages that print request ids, public profile paths, soft login
//! walls, login pages and their links, a whole site behind a login.

use std::sync::atomic::{AtomicU64, Ordering};

use authwall::Exit;
use authwall::audit::{Finding, Verdict};
use authwall::demo::Server;
use authwall::report::row::AuditRow;
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use axum::routing::get;

use crate::util::{Run, audit_site};

fn findings(row: &AuditRow) -> Vec<Finding> {
    row.finding
        .split(';')
        .filter_map(Finding::from_label)
        .collect()
}

fn flagged(run: &Run) -> Vec<(String, String)> {
    run.rows
        .iter()
        .filter(|r| !r.finding.is_empty())
        .map(|r| {
            (
                r.url.trim_start_matches(&run.origin).to_string(),
                r.finding.clone(),
            )
        })
        .collect()
}

/// A UUID and a clock time that change on every response, as AWS, Azure and Rails error
/// pages print them.
fn stamp() -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N
        .fetch_add(1, Ordering::Relaxed)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        "Request id: {:08x}-{:04x}-4{:03x}-8{:03x}-{:012x} · {:02}:{:02}:{:02}",
        n >> 32,
        (n >> 16) & 0xffff,
        n & 0xfff,
        (n >> 20) & 0xfff,
        n & 0xffff_ffff_ffff,
        n % 24,
        (n >> 8) % 60,
        (n >> 16) % 60
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_all_that_prints_a_request_id_is_still_a_catch_all() {
    let site = Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route(
            "/",
            get(|| async { Html(r#"<h1>Shop</h1><a href="/about">About</a>"#) }),
        )
        .route(
            "/about",
            get(|| async { Html("<h1>About</h1><p>We sell tea.</p>") }),
        )
        .route(
            "/admin",
            get(|| async {
                Html(
                    "<h1>Admin</h1><table><tr><td>order 1001</td><td>ada@example.com</td>\
                     <td>42.00</td></tr></table>",
                )
            }),
        )
        .fallback(|uri: Uri| async move {
            Html(format!(
                "<html><head><title>Page not found</title></head><body><nav><a href=/>Home</a>\
                 </nav><h1>Page not found</h1><p>We could not find {}. It may have moved, or \
                 the link you followed may be broken. Check the address or start again from \
                 the home page.</p><p>If you think this is a mistake, contact support and \
                 quote this line:</p><p><small>{}</small></p></body></html>",
                uri.path(),
                stamp()
            ))
        });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let flagged = flagged(&run);
    assert_eq!(
        run.row("/account").verdict,
        Some(Verdict::CatchAll),
        "{flagged:?}"
    );
    assert_eq!(run.row("/wp-admin").verdict, Some(Verdict::CatchAll));
    // The real leak on the same site is still found, and is the only finding.
    assert!(findings(run.row("/admin")).contains(&Finding::PrivateLeak));
    assert!(
        flagged.iter().all(|(path, _)| path == "/admin"),
        "false alarms: {flagged:?}"
    );
    assert_eq!(run.result.exit, Exit::Findings);
}

/// A site whose robots.txt names no sitemap, with `/sitemap.xml` answered by `sitemap`.
async fn audit_without_sitemap(sitemap: Router) -> Run {
    let site = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route("/", get(|| async { Html("<h1>Home</h1>") }))
        .merge(sitemap)
        .fallback(|| async {
            Html("<html><body><h1>Page not found</h1><p>Try the home page.</p></body></html>")
        });
    let server = Server::start(site).await.unwrap();
    audit_site(&server, "/", &["--no-default-private"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_sitemap_that_is_not_there_is_no_error() {
    // Answered by the catch-all's HTML, then by a plain 404.
    for sitemap in [
        Router::new(),
        Router::new().route("/sitemap.xml", get(|| async { StatusCode::NOT_FOUND })),
    ] {
        let run = audit_without_sitemap(sitemap).await;
        let row = run.row("/sitemap.xml");
        assert_eq!(row.verdict, Some(Verdict::Ok), "{row:?}");
        assert!(row.error.is_none(), "{row:?}");
        assert!(row.note.contains("no sitemap"), "{row:?}");
        let summary = &run.result.summary;
        assert!(!summary.contains("errors"), "{summary}");
        assert!(summary.contains("none: robots.txt names none"), "{summary}");
        assert_eq!(run.result.exit, Exit::Clean, "{summary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_sitemap_at_the_usual_address_is_still_an_error() {
    let broken = Router::new().route(
        "/sitemap.xml",
        get(|| async {
            "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
             <url><loc>/relative</loc></url><url><loc>"
        }),
    );
    let run = audit_without_sitemap(broken).await;
    let row = run.row("/sitemap.xml");
    assert_eq!(row.verdict, Some(Verdict::Error), "{row:?}");
}

/// A Django-style blog: posts link their author's public page under `/user/<name>/`, the
/// footer links the admin's login, and `/user/` itself is an unlinked settings page that leaks.
fn django_blog() -> Router {
    const LOGIN_FORM: &str = "<form method=post><input name=username>\
                              <input type=password name=password><button>Log in</button></form>";
    Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/",
            get(|| async {
                Html(
                    "<h1>Blog</h1><a href=/posts/tea/>Tea</a> <a href=/posts/cake/>Cake</a>\
                     <footer><a href=/admin/login/>Staff login</a></footer>",
                )
            }),
        )
        .route(
            "/posts/{slug}/",
            get(|| async {
                Html(
                    "<h1>A post</h1><p>By <a href=/user/alice/>Alice</a> and \
                     <a href=/user/bob/>Bob</a>.</p><p>Long text about tea and cake.</p>",
                )
            }),
        )
        .route(
            "/user/{name}/",
            get(|| async {
                Html(
                    "<h1>Author</h1><p>Alice writes about tea, gardens and the cakes of \
                     her grandmother's village, every week since 2019.</p>",
                )
            }),
        )
        .route(
            "/user",
            get(|| async {
                Html(
                    "<h1>Your settings</h1><form><input name=email value=ada@example.com>\
                     <input name=phone value=555-0100></form>",
                )
            }),
        )
        .route("/admin/login/", get(|| async { Html(LOGIN_FORM) }))
        // Django's APPEND_SLASH.
        .route(
            "/accounts/profile",
            get(|| async { axum::response::Redirect::permanent("/accounts/profile/") }),
        )
        .route(
            "/accounts/profile/",
            get(|| async { Html("<h1>Profile</h1><p>ada@example.com · order history</p>") }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_author_pages_are_public_while_an_unlinked_settings_page_still_leaks() {
    let server = Server::start(django_blog()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let alice = run.row("/user/alice/");
    assert_eq!(alice.verdict, Some(Verdict::Ok), "{alice:?}");
    assert_eq!(findings(alice), [Finding::AssumedPublic]);
    assert!(alice.note.contains("--private"), "{alice:?}");
    // Probed, unlinked, and full of someone's data: a leak as before.
    assert!(findings(run.row("/user")).contains(&Finding::PrivateLeak));
    // Django's default landing page after login, a new built-in probe.
    assert!(findings(run.row("/accounts/profile/")).contains(&Finding::PrivateLeak));
    // The footer's staff login is a login page, meant to be linked.
    let staff = run.row("/admin/login/");
    assert!(
        findings(staff).iter().all(|f| *f == Finding::LoginOverHttp),
        "{staff:?}"
    );
    let serious: Vec<(String, String)> = flagged(&run)
        .into_iter()
        .filter(|(path, finding)| {
            !matches!(path.as_str(), "/user" | "/accounts/profile/")
                && finding != "assumed_public"
                && finding != "login_over_http"
        })
        .collect();
    assert!(serious.is_empty(), "false alarms: {serious:?}");
    let summary = &run.result.summary;
    assert!(summary.contains("info     assumed_public × 2"), "{summary}");
    assert!(
        summary.contains("/user/alice/  (linked from"),
        "the assumption is shown: {summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_patterns_override_the_built_in_ones_but_not_the_users_own() {
    let server = Server::start(django_blog()).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &["--public", "/user/**", "--private", "/user/bob/**"],
    )
    .await;
    assert!(findings(run.row("/user/alice/")).is_empty());
    assert!(!run.has_row("/user"), "a path marked public is not probed");
    // The user's own private pattern wins over their public one.
    let bob = run.row("/user/bob/");
    assert!(findings(bob).contains(&Finding::PrivateLeak), "{bob:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_please_log_in_page_without_a_form_is_a_login_wall_but_a_page_of_content_is_not() {
    // Flask-Login's `unauthorized` message page, and a leaking page in the same template.
    fn layout(path: &str, main: &str) -> String {
        format!(
            "<html><body><header><nav><a href=/>Home</a> <a href=/blog>Blog</a> \
             <a href=\"/login?next={path}\">Log in</a></nav></header><main>{main}</main>\
             <footer>© Example Ltd · Terms · Privacy · Cookies</footer></body></html>"
        )
    }
    let site = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route("/", get(|| async { Html(layout("/", "<h1>Home</h1>")) }))
        .route(
            "/account",
            get(|| async {
                Html(layout(
                    "/account",
                    "<p>You need to be logged in to see this page.</p>",
                ))
            }),
        )
        .route(
            "/settings",
            get(|| async {
                let rows: String = (1..=30)
                    .map(|i| format!("<tr><td>customer {i}</td><td>c{i}@example.com</td></tr>"))
                    .collect();
                Html(layout(
                    "/settings",
                    &format!("<h1>Team settings</h1><table>{rows}</table>"),
                ))
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let account = run.row("/account");
    assert_eq!(account.verdict, Some(Verdict::Protected), "{account:?}");
    assert!(account.note.contains("sign-in prompt"), "{account:?}");
    let settings = run.row("/settings");
    assert!(
        findings(settings).contains(&Finding::PrivateLeak),
        "{settings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_site_behind_a_login_is_said_once_up_front() {
    // JupyterLab without a token: every path redirects to the login page, whose logo and
    // links lead back into the app.
    let site = Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route(
            "/login",
            get(|| async {
                Html(
                    "<a href=/lab><img alt=Jupyter></a><h1>Log in</h1><form method=post>\
                     <input type=password name=password><button>Log in</button></form>\
                     <a href=/tree>Classic view</a>",
                )
            }),
        )
        .fallback(|uri: Uri| async move {
            axum::response::Redirect::to(&format!("/login?next={}", uri.path()))
        });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let summary = &run.result.summary;
    let lead = format!(
        "The whole site is behind a login at {}/login: search engines see only that page.",
        run.origin
    );
    assert!(summary.contains(&lead), "{summary}");
    let flagged = flagged(&run);
    let walls: Vec<&str> = flagged
        .iter()
        .filter(|(_, f)| f.contains("public_login_redirect"))
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(
        walls,
        ["/"],
        "the login page's links are not public pages: {flagged:?}"
    );
    let in_clear = flagged
        .iter()
        .filter(|(_, f)| f.contains("login_over_http"))
        .count();
    assert_eq!(in_clear, 1, "one login form, one finding: {flagged:?}");
}

/// A site with two findings a team may decide to live with: a legacy page that answers 401
/// and a staging link on the home page.
fn site_with_accepted_problems() -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route(
            "/",
            get(|| async {
                Html("<h1>Home</h1><a href=/legacy/report>Report</a> <a href=/admin/staging>Staging</a>")
            }),
        )
        .route(
            "/legacy/report",
            get(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer")],
                    "sign in",
                )
            }),
        )
        .route(
            "/admin/staging",
            get(|| async { (StatusCode::FORBIDDEN, [("x", "y")], "no") }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
}

fn accept(url: &str, finding: &str, until: Option<&str>) -> String {
    let until = until
        .map(|d| format!(r#","until":"{d}""#))
        .unwrap_or_default();
    format!(
        r#"{{"url":"{url}","finding":"{finding}","reason":"decided in the weekly review"{until}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_findings_are_reported_but_do_not_fail_the_run() {
    let server = Server::start(site_with_accepted_problems()).await.unwrap();
    let (legacy, link) = (
        accept("/legacy/**", "public_401", Some("2999-12-31")),
        accept("/admin/**", "private_linked_publicly", None),
    );
    let stale = accept("/old/**", "public_403", None);
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let run = audit_site(
        &server,
        "/",
        &[
            "--accept",
            &legacy,
            "--accept",
            &link,
            "--accept",
            &stale,
            "--report",
            html.to_str().unwrap(),
        ],
    )
    .await;
    let report = std::fs::read_to_string(&html).unwrap();
    assert!(report.contains("Accepted by the team"), "{report}");
    assert!(report.contains("decided in the weekly review"));
    let summary = &run.result.summary;
    assert_eq!(run.result.exit, Exit::Clean, "{summary}");
    let row = run.row("/legacy/report");
    assert_eq!(row.finding, "public_401", "still a finding: {row:?}");
    assert_eq!(row.accepted, "public_401");
    assert_eq!(
        run.row("/admin/staging").accepted,
        "private_linked_publicly"
    );
    assert!(summary.contains("2 accepted (0 critical)"), "{summary}");
    assert!(
        summary.contains("decided in the weekly review"),
        "{summary}"
    );
    assert!(
        summary.contains("stale acceptance: public_403 on /old/**"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acceptance_past_its_day_counts_again() {
    let server = Server::start(site_with_accepted_problems()).await.unwrap();
    let expired = accept("/legacy/**", "public_401", Some("2000-01-01"));
    let run = audit_site(&server, "/", &["--accept", &expired]).await;
    let summary = &run.result.summary;
    assert_eq!(run.result.exit, Exit::Findings, "{summary}");
    assert_eq!(run.row("/legacy/report").accepted, "");
    assert!(
        summary.contains("!! acceptance expired: public_401 on /legacy/**"),
        "{summary}"
    );
    assert!(summary.contains("0 accepted (0 critical)"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acceptance_is_called_stale_only_when_the_run_saw_everything() {
    let server = Server::start(site_with_accepted_problems()).await.unwrap();
    let stale = accept("/old/**", "public_403", None);
    // A page budget of 1 leaves the run incomplete: "matches nothing" would not be sure.
    let run = audit_site(&server, "/", &["--accept", &stale, "--max-pages", "1"]).await;
    let summary = &run.result.summary;
    assert!(summary.contains("INCOMPLETE"), "{summary}");
    assert!(summary.contains("0 accepted (0 critical)"), "{summary}");
    assert!(!summary.contains("stale acceptance"), "{summary}");
}
