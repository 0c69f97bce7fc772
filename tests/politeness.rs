//! Pacing, robots.txt availability, budgets and crawler traps, on small sites built per test.

use std::time::Duration;

use authwall::Exit;
use authwall::demo::Server;
use authwall::model::SkipReason;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::util::{audit_site, requested};

/// `/` links to `/p/1` … `/p/n`, and each of those to the next one.
fn chain_site(n: u32, robots: &'static str) -> Router {
    Router::new()
        .route("/robots.txt", get(move || async move { robots }))
        .route(
            "/",
            get(move || async move {
                let links: String = (1..=n)
                    .map(|i| format!(r#"<a href="/p/{i}">{i}</a>"#))
                    .collect();
                Html(format!("<html><body>{links}</body></html>"))
            }),
        )
        .route(
            "/p/{i}",
            get(|Path(i): Path<u32>| async move {
                Html(format!(
                    r#"<html><body><a href="/p/{}">next</a></body></html>"#,
                    i + 1
                ))
            }),
        )
}

fn min_gap(server: &Server) -> Duration {
    let hits = server.hits();
    hits.windows(2)
        .map(|w| w[1].at - w[0].at)
        .min()
        .unwrap_or(Duration::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_requests_are_at_least_the_delay_apart() {
    let server = Server::start(chain_site(4, "User-agent: *\nAllow: /\n"))
        .await
        .unwrap();
    audit_site(
        &server,
        "/",
        &["--delay", "150", "--max-pages", "6", "--no-sitemaps"],
    )
    .await;
    assert!(server.hits().len() >= 6);
    // A lower bound from the server's receive times only (never an upper bound).
    let gap = min_gap(&server);
    let hits = server.hits();
    let t0 = hits[0].at;
    let log: Vec<String> = hits
        .iter()
        .map(|h| format!("{:?} {}", h.at - t0, h.target))
        .collect();
    // The pacer spaces departures exactly; arrival on the server's clock jitters by a few
    // milliseconds on a loaded machine (a new connection, a busy core). A lower bound with
    // that margin still proves the pacing: without it, requests arrive microseconds apart.
    assert!(
        gap >= Duration::from_millis(110),
        "requests {gap:?} apart with --delay 150: {log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_member_crawl_and_the_anonymous_one_share_each_origins_pacer() {
    let server = Server::start(chain_site(3, "User-agent: *\nAllow: /\n"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cookies = dir.path().join("cookies.txt");
    std::fs::write(&cookies, "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tm3mber\n").unwrap();
    let cookies = cookies.to_str().unwrap();
    let args = ["--delay", "150", "--max-pages", "4", "--no-sitemaps"];
    audit_site(
        &server,
        "/",
        &[&args[..], &["--member-cookies", cookies]].concat(),
    )
    .await;
    let hits = server.hits();
    let member = hits.iter().filter(|h| !h.cookie.is_empty()).count();
    assert!(
        member >= 4 && hits.len() >= member + 4,
        "both crawls ran: {hits:#?}"
    );
    // The politeness limits hold for the sum: no two requests closer than the delay, at the
    // switch from the member's crawl to the stranger's either (the same margin as above).
    let gap = min_gap(&server);
    assert!(gap >= Duration::from_millis(110), "requests {gap:?} apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_delay_is_honoured_one_request_at_a_time() {
    let server = Server::start(chain_site(2, "User-agent: *\nCrawl-delay: 1\n"))
        .await
        .unwrap();
    let run = audit_site(&server, "/", &["--max-pages", "3", "--no-sitemaps"]).await;
    let gap = min_gap(&server);
    assert!(
        gap >= Duration::from_millis(850),
        "Crawl-delay: 1 not honoured: {gap:?}"
    );
    assert!(
        run.result.summary.contains("Crawl-delay 1s"),
        "{}",
        run.result.summary
    );
    assert_eq!(run.result.facts.concurrency, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_5xx_disallows_everything_and_the_run_is_incomplete() {
    let site = Router::new()
        .route(
            "/robots.txt",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .route("/", get(|| async { Html("<a href=/a>a</a>") }));
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert_eq!(
        requested(&server),
        ["/robots.txt"],
        "nothing but robots.txt may be requested"
    );
    assert_eq!(run.row("/").skip_reason, Some(SkipReason::Robots));
    assert_eq!(run.result.exit, Exit::Incomplete);
    assert!(
        run.result.summary.contains("robots.txt unavailable"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_404_means_no_restrictions() {
    let site = Router::new()
        .route("/", get(|| async { Html("<a href=/a>a</a>") }))
        .route("/a", get(|| async { Html("ok") }));
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert_eq!(run.row("/a").status, Some(200));
    assert_eq!(run.result.exit, Exit::Clean, "{}", run.result.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_budget_marks_the_rest_and_the_run_is_incomplete() {
    let server = Server::start(chain_site(10, "")).await.unwrap();
    let run = audit_site(&server, "/", &["--max-pages", "4", "--no-sitemaps"]).await;
    let fetched = run
        .rows
        .iter()
        .filter(|r| r.status.is_some() && r.url.contains("/p/"))
        .count();
    assert_eq!(fetched, 3, "the start page plus 3 pages");
    assert!(
        run.rows
            .iter()
            .any(|r| r.skip_reason == Some(SkipReason::MaxPages))
    );
    assert_eq!(run.result.exit, Exit::Incomplete);
    assert!(
        run.result.summary.contains("--max-pages 4"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_depth_skips_deeper_links_with_a_reason() {
    let server = Server::start(chain_site(1, "")).await.unwrap();
    let run = audit_site(&server, "/", &["--max-depth", "2", "--no-sitemaps"]).await;
    assert_eq!(run.row("/p/2").status, Some(200));
    let deep = run.row("/p/3");
    assert_eq!(
        (deep.skip_reason, deep.depth),
        (Some(SkipReason::MaxDepth), 3)
    );
    assert!(!requested(&server).contains(&"/p/3".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_and_exclude_filter_paths() {
    let site = Router::new()
        .route(
            "/",
            get(|| async { Html("<a href=/blog/a>a</a><a href=/tag/x>x</a><a href=/shop>s</a>") }),
        )
        .fallback(|| async { Html("page") });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &[
            "--include",
            "/blog/**",
            "--include",
            "/tag/*",
            "--exclude",
            "/tag/*",
        ],
    )
    .await;
    assert_eq!(run.row("/blog/a").status, Some(200));
    assert_eq!(run.row("/tag/x").skip_reason, Some(SkipReason::Excluded));
    assert_eq!(run.row("/shop").skip_reason, Some(SkipReason::Excluded));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_calendar_is_capped_by_query_variants() {
    let site = Router::new().route(
        "/calendar",
        get(|q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
            let month: u32 = q.get("month").and_then(|m| m.parse().ok()).unwrap_or(0);
            Html(format!(
                r#"<a href="/calendar?month={}">next</a> <a href="/calendar?month={}">prev</a>"#,
                month + 1,
                month.saturating_sub(1)
            ))
        }),
    );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/calendar",
        &["--max-query-variants", "5", "--no-sitemaps"],
    )
    .await;
    assert_eq!(run.result.exit, Exit::Clean, "the crawl ends by itself");
    let fetched = requested(&server)
        .iter()
        .filter(|p| p.starts_with("/calendar?"))
        .count();
    assert_eq!(fetched, 5);
    assert!(
        run.rows
            .iter()
            .any(|r| r.skip_reason == Some(SkipReason::TrapQuery))
    );
    assert!(
        run.result
            .summary
            .contains("cut off most     /calendar?… (trap_query"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_links_that_grow_paths_are_stopped() {
    // Every page links to "more/" relative to itself: /more/, /more/more/, … forever.
    let site = Router::new()
        .fallback(|| async { Html(r#"<a href="more/">deeper</a> <a href="x/more/">x</a>"#) });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps"]).await;
    assert_eq!(run.result.exit, Exit::Clean);
    assert!(
        run.rows
            .iter()
            .any(|r| r.skip_reason == Some(SkipReason::TrapRepeat))
    );
    // Bounded: each probe two segments deep (`/accounts/profile`, `/users/edit` …) starts a
    // tree of its own (`/accounts/more/…`), each cut off by the same rule (about 400 in all).
    assert!(requested(&server).len() < 500, "the crawl must stay small");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_duration_stops_cleanly_and_the_run_is_incomplete() {
    let site = Router::new().fallback(|uri: axum::http::Uri| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let base = uri.path().trim_end_matches('/').to_string();
        Html(
            (0..5)
                .map(|i| format!(r#"<a href="{base}/{i}">x</a>"#))
                .collect::<String>(),
        )
    });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &[
            "--max-duration",
            "1s",
            "--no-sitemaps",
            "--max-path-segments",
            "50",
        ],
    )
    .await;
    assert_eq!(run.result.exit, Exit::Incomplete, "{}", run.result.summary);
    assert!(
        run.result.summary.contains("--max-duration"),
        "{}",
        run.result.summary
    );
    // … and how to finish it.
    assert!(
        run.result
            .summary
            .contains("with --resume finishes the audit"),
        "{}",
        run.result.summary
    );
    assert!(
        run.rows
            .iter()
            .any(|r| r.skip_reason == Some(SkipReason::MaxDuration))
    );
    assert!(run.rows.iter().any(|r| r.status == Some(200)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_storm_stops_the_crawl_and_marks_the_rest() {
    // Every page but the first answers 429: a site that has started refusing us.
    let site = Router::new()
        .route(
            "/",
            get(|| async {
                Html(
                    (0..30)
                        .map(|i| format!(r#"<a href="/p/{i}">{i}</a>"#))
                        .collect::<String>(),
                )
            }),
        )
        .route(
            "/p/{i}",
            get(|| async { (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "no") }),
        );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps", "--concurrency", "1"]).await;
    assert_eq!(run.result.exit, Exit::Incomplete, "{}", run.result.summary);
    let refused_requests = requested(&server)
        .iter()
        .filter(|p| p.starts_with("/p/"))
        .count();
    assert_eq!(refused_requests as u32, authwall::crawl::REFUSAL_STORM);
    assert!(
        run.rows
            .iter()
            .any(|r| r.skip_reason == Some(SkipReason::Refused))
    );
    assert_eq!(
        run.rows.iter().filter(|r| r.url.contains("/p/")).count(),
        30,
        "no row lost"
    );
    assert!(
        run.result.summary.contains("kept refusing"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_disallowed_pages_do_not_spend_the_page_budget() {
    let site = Router::new()
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nDisallow: /hidden/\n" }),
        )
        .route(
            "/",
            get(|| async {
                let hidden: String = (0..5)
                    .map(|i| format!(r#"<a href="/hidden/{i}">h</a>"#))
                    .collect();
                Html(format!(r#"{hidden}<a href="/a">a</a><a href="/b">b</a>"#))
            }),
        )
        .fallback(|| async { Html("page") });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps", "--max-pages", "3"]).await;
    assert_eq!(run.row("/a").status, Some(200));
    assert_eq!(run.row("/b").status, Some(200));
    assert_eq!(run.row("/hidden/0").skip_reason, Some(SkipReason::Robots));
    assert_eq!(run.result.exit, Exit::Clean, "{}", run.result.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitemap_entries_are_depth_0_even_when_the_start_page_links_them() {
    let site = Router::new()
        .route(
            "/",
            get(|| async { Html(r#"<a href="/listed">l</a><a href="/unlisted">u</a>"#) }),
        )
        .route(
            "/sitemap.xml",
            get(|headers: axum::http::HeaderMap| async move {
                let host = headers["host"].to_str().unwrap().to_string();
                format!("http://{host}/listed\n")
            }),
        )
        .fallback(|| async { Html("page") });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--max-depth", "0"]).await;
    let listed = run.row("/listed");
    assert_eq!(
        (listed.status, listed.depth, listed.in_sitemap),
        (Some(200), 0, true)
    );
    assert_eq!(run.row("/unlisted").skip_reason, Some(SkipReason::MaxDepth));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_follows_the_start_url_to_www_and_says_so() {
    // Two host names for one server, told apart by the Host header.
    let site = Router::new().fallback(
        |headers: axum::http::HeaderMap, uri: axum::http::Uri| async move {
            let host = headers["host"].to_str().unwrap().to_string();
            if host.starts_with("www.") {
                match uri.path() {
                    "/robots.txt" => "User-agent: *\nDisallow: /private/\n".into_response(),
                    "/" => {
                        Html(r#"<a href="/about">a</a><a href="/private/x">p</a>"#).into_response()
                    }
                    _ => Html("page").into_response(),
                }
            } else {
                let port = host.rsplit(':').next().unwrap().to_string();
                let target = format!("http://www.example.test:{port}{}", uri.path());
                (StatusCode::MOVED_PERMANENTLY, [("location", target)]).into_response()
            }
        },
    );
    let server = Server::start(site).await.unwrap();
    let port = server.addr.port();
    let start = format!("http://example.test:{port}/");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    let argv = [
        "authwall",
        "audit",
        &start,
        "-o",
        csv.to_str().unwrap(),
        "--delay",
        "0",
        "--no-sitemaps",
        "--resolve",
        "example.test:127.0.0.1",
        "--resolve",
        "www.example.test:127.0.0.1",
    ];
    let authwall::cli::Command::Audit(args) =
        <authwall::cli::Cli as clap::Parser>::try_parse_from(argv)
            .unwrap()
            .command
    else {
        unreachable!()
    };
    let config = authwall::config::Config::from_args(&args).unwrap();
    let result = authwall::audit(
        &config,
        authwall::progress::Progress::hidden(),
        std::future::pending(),
    )
    .await
    .unwrap();
    let www = format!("http://www.example.test:{port}");
    assert_eq!(
        result.facts.scope_moved,
        Some((format!("http://example.test:{port}"), www.clone()))
    );
    assert!(result.summary.contains("scope moved"), "{}", result.summary);
    let rows = authwall::report::format::read_rows(&csv).unwrap();
    let about = rows
        .iter()
        .find(|r| r.url == format!("{www}/about"))
        .expect("www pages are crawled");
    assert_eq!(about.status, Some(200));
    let private = rows
        .iter()
        .find(|r| r.url == format!("{www}/private/x"))
        .unwrap();
    assert_eq!(
        private.skip_reason,
        Some(SkipReason::Robots),
        "www's own robots.txt applies"
    );
    // robots.txt is the first request to each host name.
    let hits = server.hits();
    let first_www = hits.iter().find(|h| h.host.starts_with("www.")).unwrap();
    assert_eq!(first_www.target, "/robots.txt");
    assert_eq!(hits[0].target, "/robots.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_where_most_pages_get_no_answer_is_incomplete() {
    let site = Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route(
            "/",
            get(|| async { Html(r#"<a href="/a">a</a><a href="/b">b</a><a href="/c">c</a>"#) }),
        )
        .fallback(|| async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Html("too late")
        });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &["--no-sitemaps", "--no-probe", "--timeout", "200ms"],
    )
    .await;
    assert_eq!(
        run.row("/a").error,
        Some(authwall::model::ErrorKind::Timeout)
    );
    assert_eq!(run.result.exit, Exit::Incomplete, "{}", run.result.summary);
    assert!(
        run.result.summary.contains("3 of 4 pages unverified"),
        "{}",
        run.result.summary
    );
}
