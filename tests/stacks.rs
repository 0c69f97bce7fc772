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
