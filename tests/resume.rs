//! Interrupted runs and `--resume`: an audit stopped at a known point (the site holds one page
//! until told) and resumed ends with the rows of an uninterrupted audit, and no URL is asked
//! twice across both runs (except the held one, which never answered the first time).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use authwall::Exit;
use authwall::cli::{Cli, Command};
use authwall::config::Config;
use authwall::demo::Server;
use authwall::model::StopCause;
use authwall::progress::Progress;
use authwall::report::row::AuditRow;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use clap::Parser;
use tokio::sync::Notify;

/// The held page: answers only once `release` is set; `arrived` fires when it is asked.
#[derive(Clone, Default)]
struct Hold {
    release: Arc<AtomicBool>,
    arrived: Arc<Notify>,
}

fn page(title: &str, links: &[&str]) -> Html<String> {
    let links: String = links
        .iter()
        .map(|l| format!(r#"<a href="{l}">{l}</a> "#))
        .collect();
    Html(format!(
        "<!doctype html><title>{title}</title><p>Some words about {title}.</p>{links}"
    ))
}

/// A small site with every kind of answer that the resume journal must carry: robots.txt with
/// a sitemap, pages at several depths with two equally short ways to one of them, a redirect,
/// a 401 area, a leaking private page (which sends catch-all calibration requests) and a title
/// built to hurt a spreadsheet.
fn site(hold: Hold) -> Router {
    Router::new()
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n" }),
        )
        .route(
            "/sitemap.xml",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/xml")],
                    // A relative <loc> is an invalid_url row: replayed like any answer.
                    r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                    <url><loc>/listed</loc></url></urlset>"#,
                )
            }),
        )
        .route(
            "/",
            get(|| async {
                page(
                    "=HYPERLINK(\"http://evil\",\"x\"), \"quoted\"\nnext line",
                    &["/a", "/b", "/c", "/hold", "/members/1", "/admin/"],
                )
            }),
        )
        // /a answers late: /shared is met through /b first, yet /a must be its referrer.
        .route(
            "/a",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                page("a", &["/shared", "/a1"])
            }),
        )
        .route("/b", get(|| async { page("b", &["/shared", "/b1"]) }))
        // /c answers later still: /deep is met at depth 3 (through /shared) before its
        // depth-2 way (through /c-target) is known, if levels are not kept apart.
        .route(
            "/c",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                Redirect::permanent("/c-target")
            }),
        )
        .route("/c-target", get(|| async { page("c target", &["/deep"]) }))
        .route("/shared", get(|| async { page("shared", &["/deep"]) }))
        .route("/a1", get(|| async { page("a1", &[]) }))
        .route("/b1", get(|| async { page("b1", &[]) }))
        .route("/deep", get(|| async { page("deep", &["/deeper"]) }))
        .route("/deeper", get(|| async { page("deeper", &[]) }))
        .route(
            "/after-hold",
            get(|| async { page("after hold", &["/shared"]) }),
        )
        .route(
            "/members/{id}",
            get(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Basic realm=\"members\"")],
                    "sign in",
                )
            }),
        )
        .route(
            "/admin/",
            get(|| async { page("Admin dashboard", &["/admin/users"]) }),
        )
        .route(
            "/admin/users",
            get(|| async { page("Users: alice, bob, carol", &[]) }),
        )
        .route("/hold", get(held))
        .with_state(hold)
}

async fn held(State(hold): State<Hold>) -> Response {
    hold.arrived.notify_one();
    while !hold.release.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    page("held", &["/after-hold"]).into_response()
}

async fn run(
    url: &str,
    csv: &Path,
    extra: &[&str],
    stop: Option<Arc<Notify>>,
) -> authwall::AuditResult {
    let mut argv: Vec<String> = ["authwall", "audit", url, "-o", csv.to_str().unwrap()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // A long timeout: the held page must still be in flight when the run is stopped.
    for flag in ["--delay", "0", "--timeout", "30s", "--retries", "0"] {
        argv.push(flag.to_string());
    }
    argv.extend(extra.iter().map(|s| s.to_string()));
    let Command::Audit(args) = Cli::try_parse_from(&argv).unwrap().command else {
        unreachable!()
    };
    let config = Config::from_args(&args).unwrap();
    let stop = async move {
        match stop {
            Some(notify) => {
                notify.notified().await;
                StopCause::Interrupt
            }
            None => std::future::pending().await,
        }
    };
    authwall::audit(&config, Progress::hidden(), stop)
        .await
        .unwrap()
}

/// Rows keyed by path, without timing and with the server's origin taken out.
fn comparable(csv: &Path, origin: &str) -> Vec<String> {
    let mut rows: Vec<String> = authwall::report::format::read_rows(csv)
        .unwrap()
        .into_iter()
        .map(|mut row: AuditRow| {
            row.response_ms = None;
            serde_json::to_string(&row)
                .unwrap()
                .replace(origin, "ORIGIN")
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_audit_ends_with_the_rows_of_an_uninterrupted_one_and_asks_nothing_twice() {
    let hold = Hold::default();
    let server = Server::start(site(hold.clone())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("audit.csv");
    let journal = dir.path().join("audit.csv.journal");
    let url = server.url("/");

    // 1. Interrupted while /hold is in flight: the pages one level deeper wait for it.
    let first = run(&url, &csv, &[], Some(hold.arrived.clone())).await;
    assert_eq!(first.exit, Exit::Interrupted);
    assert!(journal.is_file(), "an interrupted run leaves its journal");
    let interrupted = authwall::report::format::read_rows(&csv).unwrap();
    assert!(
        interrupted
            .iter()
            .any(|r| r.url.ends_with("/hold") && r.status.is_none()),
        "the held page is not settled in the first run"
    );
    let asked_first = server.hits().len();

    // 2. Resumed, with the page released.
    hold.release.store(true, Ordering::SeqCst);
    let second = run(&url, &csv, &["--resume"], None).await;
    assert_eq!(second.exit, Exit::Findings, "{}", second.summary);
    assert!(!journal.exists(), "a completed run deletes its journal");

    let mut asked: HashMap<String, u32> = HashMap::new();
    for hit in server.hits() {
        *asked.entry(hit.target).or_default() += 1;
    }
    let twice: Vec<_> = asked
        .iter()
        .filter(|(path, n)| **n > 1 && path.as_str() != "/hold")
        .collect();
    assert!(twice.is_empty(), "asked again after --resume: {twice:?}");
    assert_eq!(asked.get("/hold"), Some(&2));
    assert!(server.hits().len() > asked_first, "the resumed run went on");
    // Its summary counts the requests it sent, not the answers it replayed.
    let sent = server.hits().len() - asked_first;
    let said = format!(" {sent} requests (and ");
    assert!(second.summary.contains(&said), "{said}: {}", second.summary);
    assert!(second.summary.contains("answers replayed from the journal"));

    // 3. The same site, uninterrupted.
    let reference_server = Server::start(site(Hold {
        release: Arc::new(AtomicBool::new(true)),
        arrived: Arc::new(Notify::new()),
    }))
    .await
    .unwrap();
    let reference_csv = dir.path().join("reference.csv");
    let reference = run(&reference_server.url("/"), &reference_csv, &[], None).await;
    assert_eq!(reference.exit, Exit::Findings);
    // Calibration paths are random: their rows do not exist, but their verdicts do.
    let resumed = comparable(&csv, &server.url(""));
    let expected = comparable(&reference_csv, &reference_server.url(""));
    let only_resumed: Vec<_> = resumed.iter().filter(|r| !expected.contains(r)).collect();
    let only_expected: Vec<_> = expected.iter().filter(|r| !resumed.contains(r)).collect();
    assert!(
        only_resumed.is_empty() && only_expected.is_empty() && resumed.len() == expected.len(),
        "resumed rows differ:\n{only_resumed:#?}\nuninterrupted:\n{only_expected:#?}"
    );

    // Depth is the shortest distance; the referrer among equals is the first-sorting URL.
    let rows = authwall::report::format::read_rows(&csv).unwrap();
    let shared = rows.iter().find(|r| r.url.ends_with("/shared")).unwrap();
    assert_eq!(shared.depth, 2);
    assert_eq!(shared.referrer, server.url("/a"));
    let depth = |path: &str| {
        rows.iter()
            .find(|r| r.url == server.url(path))
            .unwrap()
            .depth
    };
    assert_eq!((depth("/deep"), depth("/deeper")), (2, 3));
    let title = rows
        .iter()
        .find(|r| r.url == server.url("/"))
        .map(|r| r.title.clone());
    assert_eq!(
        title.as_deref(),
        Some("=HYPERLINK(\"http://evil\",\"x\"), \"quoted\" next line"),
        "hostile values come back unchanged through the journal"
    );
}

#[tokio::test]
async fn resume_without_a_journal_is_refused_and_keeps_the_csv() {
    let server = Server::start(site(Hold::default())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("audit.csv");
    std::fs::write(&csv, "kept").unwrap();
    let argv = [
        "authwall",
        "audit",
        &server.url("/"),
        "-o",
        csv.to_str().unwrap(),
        "--resume",
    ];
    let Command::Audit(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let config = Config::from_args(&args).unwrap();
    let err = authwall::audit(&config, Progress::hidden(), std::future::pending())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("nothing to resume"), "{err}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "kept");
    assert!(server.hits().is_empty(), "nothing was requested");
}

/// A page fetched ahead (depth 2 through a link) turns out to be depth 1 (a slow redirect at
/// depth 1 leads to it) while its answer waits for the level to end: it is handled at depth 1,
/// and the audit ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_fetched_ahead_that_a_redirect_makes_shallower_is_handled_at_its_new_depth() {
    let router = Router::new()
        .route(
            "/",
            get(|| async { page("home", &["/slow-redirect", "/parent"]) }),
        )
        .route(
            "/slow-redirect",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                Redirect::permanent("/x")
            }),
        )
        .route("/parent", get(|| async { page("parent", &["/x"]) }))
        .route("/x", get(|| async { page("x", &[]) }));
    let server = Server::start(router).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("audit.csv");
    // Guards against a hang only; it asserts no duration.
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        run(&server.url("/"), &csv, &["--no-probe"], None),
    )
    .await
    .expect("the audit ends");
    assert_eq!(result.exit, Exit::Clean, "{}", result.summary);
    let rows = authwall::report::format::read_rows(&csv).unwrap();
    let x = rows.iter().find(|r| r.url == server.url("/x")).unwrap();
    assert_eq!(x.status, Some(200));
    assert_eq!(
        (x.depth, x.referrer.as_str()),
        (1, server.url("/slow-redirect").as_str())
    );
    assert_eq!(server.hits().iter().filter(|h| h.target == "/x").count(), 1);
}
