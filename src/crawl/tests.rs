//! The coordinator against small local sites: the order it hands records on in, and what a
//! record holds when it is handed on.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use super::*;
use crate::demo::Server;

/// Collects what the engine hands on.
#[derive(Default)]
struct Collect {
    records: Vec<Record>,
}

impl RecordSink for Collect {
    fn record(&mut self, record: Record) -> Result<()> {
        self.records.push(record);
        Ok(())
    }

    fn tick(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Collect {
    fn path(&self, path: &str) -> &Record {
        self.records
            .iter()
            .find(|r| r.url.url().is_some_and(|u| u.path() == path))
            .unwrap_or_else(|| panic!("no record of {path}"))
    }

    fn position(&self, path: &str) -> usize {
        self.records
            .iter()
            .position(|r| r.url.url().is_some_and(|u| u.path() == path))
            .unwrap_or_else(|| panic!("no record of {path}"))
    }
}

fn config(server: &Server, extra: &[&str]) -> Arc<CrawlConfig> {
    let url = server.url("/");
    let mut argv = vec!["authwall", "audit", url.as_str(), "--delay", "0"];
    argv.extend_from_slice(extra);
    let args = crate::cli::audit_args(&argv).expect("audit arguments");
    Arc::new(
        crate::config::Config::from_args(&args)
            .expect("config")
            .crawl,
    )
}

async fn crawl(router: Router, extra: &[&str]) -> (Collect, CrawlFacts) {
    let server = Server::start(router).await.expect("server");
    let mut sink = Collect::default();
    let engine =
        Engine::new(config(&server, extra), &mut sink, Journal::default()).expect("engine");
    let (facts, _) = engine.run(std::future::pending()).await.expect("crawl");
    (sink, facts)
}

fn html(body: &'static str) -> Html<&'static str> {
    Html(body)
}

#[tokio::test]
async fn robots_txt_comes_first_and_page_records_wait_for_the_sitemaps() {
    let site = Router::new()
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nDisallow: /no\n" }),
        )
        .route(
            "/",
            get(|| async { html(r#"<a href="/listed">l</a> <a href="/no">n</a>"#) }),
        )
        .route(
            "/sitemap.xml",
            get(|headers: axum::http::HeaderMap| async move {
                let host = headers[header::HOST].to_str().unwrap().to_string();
                format!("<urlset><url><loc>http://{host}/listed</loc></url></urlset>")
            }),
        )
        .route("/listed", get(|| async { html("listed") }));
    let (got, _) = crawl(site, &["--no-probe"]).await;
    assert_eq!(got.records[0].kind, Kind::RobotsTxt);
    // The start page was answered before the sitemap was read, but its record waited.
    assert!(got.position("/sitemap.xml") < got.position("/"));
    let listed = got.path("/listed");
    assert!(listed.found.in_sitemap);
    assert_eq!(
        listed.found.via,
        DiscoveredVia::Sitemap,
        "a sitemap beats a link"
    );
    assert_eq!(got.path("/no").skip, Some(SkipReason::Robots));
}

#[tokio::test]
async fn a_redirect_record_waits_for_the_end_of_its_chain() {
    let site = Router::new()
        .route("/", get(|| async { html(r#"<a href="/a">a</a>"#) }))
        .route(
            "/a",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/b")]) }),
        )
        .route(
            "/b",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/end")]) }),
        )
        .route(
            "/end",
            get(|| async {
                // The end answers last: the chain's first record must wait for it.
                tokio::time::sleep(Duration::from_millis(200)).await;
                (StatusCode::UNAUTHORIZED, "no").into_response()
            }),
        );
    let (got, _) = crawl(site, &["--no-probe", "--no-sitemaps"]).await;
    let a = got.path("/a");
    let hops: Vec<String> = a.hops.iter().map(|h| h.to_string()).collect();
    assert_eq!(hops.len(), 2, "{hops:?}");
    assert!(
        hops[0].starts_with("301 ") && hops[0].ends_with("/b"),
        "{hops:?}"
    );
    assert!(
        hops[1].starts_with("302 ") && hops[1].ends_with("/end"),
        "{hops:?}"
    );
    assert_eq!(a.final_status, Some(401));
    assert_eq!(a.final_url().map(|u| u.path()), Some("/end"));
    assert!(got.position("/end") < got.position("/a"));
}

#[tokio::test]
async fn depth_and_referrer_do_not_depend_on_which_answer_came_first() {
    // /z links /deep at once; /a links it too but answers slowly. Both are depth 1, so /deep
    // is depth 2 and its referrer is the first-sorting of them: /a, whatever came first.
    let site = Router::new()
        .route(
            "/",
            get(|| async { html(r#"<a href="/z">z</a> <a href="/a">a</a>"#) }),
        )
        .route("/z", get(|| async { html(r#"<a href="/deep">d</a>"#) }))
        .route(
            "/a",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                html(r#"<a href="/deep">d</a>"#)
            }),
        )
        .route("/deep", get(|| async { html("deep") }));
    let (got, _) = crawl(site, &["--no-probe", "--no-sitemaps"]).await;
    let deep = got.path("/deep");
    assert_eq!(deep.found.depth, 2);
    assert!(
        deep.found
            .referrer
            .as_deref()
            .is_some_and(|u| u.ends_with("/a"))
    );
    assert_eq!(deep.found.inlinks, 2);
}

#[tokio::test]
async fn every_url_met_gets_one_record_with_its_requests_counted() {
    let site = Router::new()
        .route(
            "/",
            get(|| async { html(r#"<a href="/x">x</a> <a href="/x">again</a> <a href="https://elsewhere.example/">e</a>"#) }),
        )
        .route("/x", get(|| async { html("x") }));
    let (got, facts) = crawl(site, &["--no-probe", "--no-sitemaps"]).await;
    let mut urls: Vec<&str> = got.records.iter().map(|r| r.url.as_str()).collect();
    urls.sort_unstable();
    let before = urls.len();
    urls.dedup();
    assert_eq!(urls.len(), before, "one record per URL");
    assert_eq!(got.records.len(), 4, "robots.txt, /, /x, the other origin");
    assert_eq!(
        facts.requests, 3,
        "robots.txt, / and /x: never the other origin"
    );
    let elsewhere = got
        .records
        .iter()
        .find(|r| r.url.as_str().starts_with("https://elsewhere"))
        .expect("a record of the off-site link");
    assert_eq!(elsewhere.skip, Some(SkipReason::OutOfScope));
    assert!(elsewhere.fetched.is_none());
}
