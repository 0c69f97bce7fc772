//! The audit rules end to end: the planted problems are found, their look-alikes are not.

use authwall::Exit;
use authwall::audit::{Finding, Verdict, Visibility};
use authwall::demo::{Server, site};
use authwall::report::row::AuditRow;
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::util::{Run, audit_site, requested};

fn findings(row: &AuditRow) -> Vec<Finding> {
    row.finding
        .split(';')
        .filter_map(Finding::from_label)
        .collect()
}

fn has(run: &Run, path: &str, finding: Finding) -> bool {
    findings(run.row(path)).contains(&finding)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_site_yields_exactly_its_planted_findings() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let mut found: Vec<(String, String)> = run
        .rows
        .iter()
        .filter(|r| !r.finding.is_empty())
        .map(|r| {
            (
                r.url.trim_start_matches(&run.origin).to_string(),
                r.finding.clone(),
            )
        })
        .collect();
    found.sort();
    // The demo is served over plain HTTP, so its login forms and Basic challenges are also
    // credentials in clear (issue 7).
    let expected = [
        ("/account", "basic_auth_over_http"),
        ("/account-redirect", "public_login_redirect"),
        ("/billing", "app_shell"),
        (
            "/dashboard",
            "private_leak;private_indexable;private_linked_publicly;sitemap_private",
        ),
        ("/forbidden", "public_403"),
        ("/gone-from-site", "sitemap_non_200"),
        // One form, one finding: its `?next=` variants are the same login page.
        ("/login", "login_over_http"),
        ("/members-area", "public_login_page;login_over_http"),
        ("/members/", "public_401;basic_auth_over_http"),
        ("/oauth-wall", "public_login_redirect"),
        ("/old-page", "public_401;sitemap_non_200;sitemap_redirect"),
        ("/private-by-robots/listed", "sitemap_disallowed"),
        ("/secret-nochallenge", "public_401;missing_www_authenticate"),
        ("/settings", "login_over_http"),
        ("/walled", "public_401;sitemap_non_200"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(u, f)| (u.to_string(), f.to_string()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(run.result.exit, Exit::Findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_401_in_the_sitemap_is_critical_and_a_linked_one_high() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let severity = |p: &str| authwall::model::label(&run.row(p).severity);
    assert_eq!(severity("/walled"), "critical");
    assert_eq!(severity("/members/"), "high");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_chain_to_401_is_a_finding_on_the_linked_url_only() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert!(has(&run, "/old-page", Finding::Public401));
    let hop = run.row("/older-page");
    assert!(findings(hop).is_empty(), "{hop:?}");
    assert_eq!(hop.visibility, Some(Visibility::Public));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_private_paths_and_login_pages_carry_no_finding() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    // 401, a redirect to the login page, a 404 from a probe.
    for path in ["/account", "/admin", "/wp-admin"] {
        let row = run.row(path);
        assert_eq!(row.verdict, Some(Verdict::Protected), "{path}: {row:?}");
        // No access finding; over plain HTTP a Basic challenge is still credentials in clear.
        assert!(
            findings(row)
                .iter()
                .all(|f| *f == Finding::BasicAuthOverHttp),
            "{path}: {row:?}"
        );
    }
    let settings = run.row("/settings");
    assert_eq!(settings.verdict, Some(Verdict::PrivateLoginPage));
    assert_eq!(
        findings(settings),
        [Finding::LoginOverHttp],
        "served over HTTP"
    );
    let login = run.row("/login");
    assert_eq!(login.verdict, Some(Verdict::LoginPage));
    assert_eq!(
        findings(login),
        [Finding::LoginOverHttp],
        "served over HTTP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alikes_of_private_paths_are_public() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    for path in ["/settings.html", "/users-guide"] {
        assert_eq!(run.row(path).visibility, Some(Visibility::Public), "{path}");
    }
    assert_eq!(run.row("/dashboard").visibility, Some(Visibility::Private));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_403_is_bot_protection_not_a_finding() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let row = run.row("/challenge");
    assert_eq!(row.verdict, Some(Verdict::BotChallenge));
    assert!(row.finding.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_go_first_and_do_not_spend_the_page_budget() {
    let server = Server::start(site()).await.unwrap();
    // One request at a time, so that the server's receive order is the dispatch order.
    let run = audit_site(
        &server,
        "/",
        &["--max-pages", "2", "--no-sitemaps", "--concurrency", "1"],
    )
    .await;
    for path in authwall::audit::DEFAULT_PRIVATE {
        // Each is requested; /dashboard is also linked from the home page, which is how it
        // was met first.
        assert!(run.row(path).status.is_some(), "{path} was not requested");
    }
    assert_eq!(
        run.row("/wp-admin").discovered_via,
        authwall::model::DiscoveredVia::Probe
    );
    // robots.txt, the start URL, then the probes before any link.
    let paths = requested(&server);
    let first_link = paths
        .iter()
        .position(|p| p == "/about")
        .unwrap_or(paths.len());
    let last_probe = paths.iter().rposition(|p| p == "/api/private").unwrap();
    assert!(last_probe < first_link, "{paths:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_probe_requests_no_private_path_nobody_links() {
    let server = Server::start(site()).await.unwrap();
    audit_site(&server, "/", &["--no-probe"]).await;
    assert!(!requested(&server).contains(&"/wp-admin".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_pattern_is_private_and_its_literal_prefix_is_probed() {
    let site = Router::new()
        .route(
            "/internal/",
            get(|| async { Html("<h1>Quarterly numbers</h1><p>Revenue up.</p>") }),
        )
        .route("/staff-room", get(|| async { Html("<p>Coffee rota</p>") }))
        .route(
            "/",
            get(|| async { Html(r#"<a href="/staff-room">staff</a>"#) }),
        );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &[
            "--private",
            "/internal/**",
            "--private",
            "/staff-*",
            "--no-default-private",
        ],
    )
    .await;
    assert!(has(&run, "/internal/", Finding::PrivateLeak));
    assert!(has(&run, "/staff-room", Finding::PrivateLeak));
    assert!(has(&run, "/staff-room", Finding::PrivateLinkedPublicly));
    assert!(requested(&server).contains(&"/internal/".to_string()));
    assert!(
        !requested(&server).iter().any(|p| p == "/staff-"),
        "partial segments are not probed"
    );
    assert!(
        !requested(&server).contains(&"/admin".to_string()),
        "defaults are off"
    );
}

/// A site that answers 200 with the same page for any path.
fn catch_all_site() -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .fallback(|uri: Uri| async move {
            Html(format!(
                "<html><head><title>Shop</title></head><body><nav><a href=/>Home</a> \
                 <a href=/shop>Shop</a></nav><p>Sorry, nothing at {} — try the shop.</p>\
                 <footer>© Shop</footer></body></html>",
                uri.path()
            ))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_all_site_produces_no_leaks() {
    let server = Server::start(catch_all_site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let leaks: Vec<&str> = run
        .rows
        .iter()
        .filter(|r| r.finding.contains("private_leak"))
        .map(|r| r.url.as_str())
        .collect();
    assert!(leaks.is_empty(), "false leaks: {leaks:?}");
    assert_eq!(run.row("/admin").verdict, Some(Verdict::CatchAll));
    assert_eq!(run.result.exit, Exit::Clean, "{}", run.result.summary);
    // Calibration requests are paced like the rest but get no row.
    let calibrations: Vec<String> = requested(&server)
        .into_iter()
        .filter(|p| p.contains("authwall-"))
        .collect();
    assert!(!calibrations.is_empty());
    assert!(calibrations.iter().all(|p| !run.has_row(p)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_app_that_answers_every_admin_path_is_still_a_leak() {
    // The root 404s properly; /admin/* always shows the dashboard.
    let site = Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route("/", get(|| async { Html(r#"<a href="/about">about</a>"#) }))
        .route("/about", get(|| async { Html("about us") }))
        .route("/admin", get(dashboard))
        .route("/admin/{*rest}", get(dashboard))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") });
    async fn dashboard() -> impl IntoResponse {
        Html("<h1>Admin</h1><table><tr><td>user 1</td><td>ada@example.com</td></tr></table>")
    }
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let admin = run.row("/admin");
    assert!(findings(admin).contains(&Finding::PrivateLeak), "{admin:?}");
    assert!(
        !admin.note.is_empty(),
        "the note explains the in-area match"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_path_closed_by_robots_is_reported_not_checked() {
    let site = Router::new()
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nDisallow: /admin\n" }),
        )
        .route("/", get(|| async { Html("home") }));
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert!(!requested(&server).contains(&"/admin".to_string()));
    let summary = &run.result.summary;
    assert!(summary.contains("not checked (robots.txt)"), "{summary}");
    assert!(summary.contains("--ignore-robots"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_sets_the_threshold_of_exit_1() {
    // Only a medium finding: a 401 without WWW-Authenticate on a private path.
    let site = Router::new()
        .route("/", get(|| async { Html("home") }))
        .route(
            "/account",
            get(|| async { (StatusCode::UNAUTHORIZED, "no") }),
        );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert!(has(&run, "/account", Finding::MissingWwwAuthenticate));
    assert_eq!(
        run.result.exit,
        Exit::Clean,
        "medium is below the default high"
    );
    let run = audit_site(&server, "/", &["--fail-on", "medium"]).await;
    assert_eq!(run.result.exit, Exit::Findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firewall_ban_mid_crawl_stops_without_a_flood_of_false_findings() {
    // The first pages answer; then the site blocks us: 403 on every path.
    let served = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let site = Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .fallback(move |uri: Uri| {
            let served = served.clone();
            async move {
                if served.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 3 {
                    let links: String = ["a", "b", "c", "d", "e", "f"]
                        .iter()
                        .flat_map(|area| {
                            (0..5).map(move |i| format!(r#"<a href="/{area}/{i}">x</a>"#))
                        })
                        .collect();
                    Html(format!("{} {links}", uri.path())).into_response()
                } else {
                    (StatusCode::FORBIDDEN, "blocked").into_response()
                }
            }
        });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &["--no-probe", "--no-sitemaps", "--concurrency", "1"],
    )
    .await;
    let public_403 = run
        .rows
        .iter()
        .filter(|r| r.finding.contains("public_403"))
        .count();
    assert_eq!(public_403, 0, "{}", run.result.summary);
    assert!(
        run.rows
            .iter()
            .any(|r| r.verdict == Some(Verdict::Unverified))
    );
    assert_eq!(run.result.exit, Exit::Incomplete, "{}", run.result.summary);
    assert!(
        run.result.summary.contains("kept refusing"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_can_be_markdown_for_a_ticket() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &["--summary", "markdown"]).await;
    let md = &run.result.summary;
    assert!(
        md.starts_with("## authwall audit of http://127.0.0.1:"),
        "{md}"
    );
    assert!(
        md.contains("| critical | `public_401` Public page answers 401 | 2 |")
            && md.contains("| high | `public_401` Public page answers 401 | 2 |"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary><code>public_401</code> (critical)</summary>"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noindex_for_the_index_agent_keeps_a_leak_out_of_private_indexable() {
    let site = Router::new()
        .route("/", get(|| async { Html("home") }))
        .route(
            "/dashboard",
            get(|| async {
                Html(r#"<meta name="robots" content="bingbot: noindex"><h1>Orders</h1><p>#1041 Ada</p>"#)
            }),
        );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert!(
        has(&run, "/dashboard", Finding::PrivateIndexable),
        "noindex for Bing only"
    );
    let run = audit_site(&server, "/", &["--index-agent", "bingbot"]).await;
    assert!(has(&run, "/dashboard", Finding::PrivateLeak));
    assert!(!has(&run, "/dashboard", Finding::PrivateIndexable));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_carry_the_same_rows_for_pipelines() {
    let server = Server::start(site()).await.unwrap();
    let csv = audit_site(&server, "/", &[]).await;
    let jsonl = audit_site(&server, "/", &["--format", "jsonl"]).await;
    let text = std::fs::read_to_string(&jsonl.csv).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(
        first["url"].as_str().unwrap().ends_with("/robots.txt"),
        "{first}"
    );
    assert_eq!(jsonl.rows.len(), csv.rows.len());
    assert_eq!(
        findings(jsonl.row("/walled")),
        vec![Finding::Public401, Finding::SitemapNonOk]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_summary_line_lists_urls_of_its_own_severity_and_every_line_says_where() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let text = &run.result.summary;
    // The URLs listed under a line, up to its fix.
    let under = |heading: &str| -> Vec<String> {
        let start = text
            .find(heading)
            .unwrap_or_else(|| panic!("{heading}: {text}"));
        text[start..]
            .lines()
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with("fix:"))
            .map(str::to_string)
            .collect()
    };
    let critical = under("critical public_401 × 2");
    assert!(
        !critical.is_empty() && critical.iter().all(|l| l.contains("(listed in")),
        "{text}"
    );
    let high = under("high     public_401 × 2");
    assert!(high.iter().all(|l| !l.contains("(listed in")), "{text}");
    let medium = under("medium   sitemap_non_200 × 3");
    assert_eq!(
        medium.len(),
        3,
        "a medium finding lists its URLs too: {text}"
    );
}
