//! `authwall check LIST`: a list of URLs (Search Console's export, a text file) re-checked
//! without crawling, across origins, with the audit's CSV, summary and exit codes.

use std::io::Write as _;
use std::path::Path;

use authwall::Exit;
use authwall::cli::{Cli, Command};
use authwall::commands::check::read_list;
use authwall::demo::Server;
use authwall::model::SkipReason;
use authwall::report::row::AuditRow;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use clap::Parser as _;

use crate::util::requested;

const FAST: [&str; 6] = ["--delay", "0", "--timeout", "1s", "--retries", "0"];

fn walled() -> axum::response::Response {
    (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Bearer")],
        "no",
    )
        .into_response()
}

fn shop() -> Router {
    Router::new()
        .route("/walled", get(|| async { walled() }))
        .route(
            "/fixed",
            get(|| async { Html(r#"<p>open now</p><a href="/elsewhere">more</a>"#) }),
        )
        .route("/moved", get(|| async { Redirect::permanent("/walled") }))
        .route("/elsewhere", get(|| async { Html("<p>never asked</p>") }))
}

async fn check(list: &Path, out: &Path, extra: &[&str]) -> (Exit, Vec<AuditRow>, String) {
    let mut argv = vec![
        "authwall",
        "check",
        list.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--no-config",
        "-q",
    ];
    argv.extend(FAST);
    argv.extend(extra);
    let exit = authwall::run(Cli::try_parse_from(argv).unwrap())
        .await
        .unwrap();
    let rows = authwall::report::format::read_rows(out).unwrap();
    let record = std::fs::read_to_string(out.with_extension("run.json")).unwrap();
    (exit, rows, record)
}

fn row<'a>(rows: &'a [AuditRow], url: &str) -> &'a AuditRow {
    rows.iter()
        .find(|r| r.url == url)
        .unwrap_or_else(|| panic!("no row for {url}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_console_export_is_rechecked_across_origins_without_crawling() {
    let (a, b) = (
        Server::start(shop()).await.unwrap(),
        Server::start(Router::new().route("/members", get(|| async { walled() })))
            .await
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("gsc.csv");
    // As Search Console exports it: a URL column among others; here also a repeat, a line
    // that is not a URL and a cloud metadata address.
    std::fs::write(
        &list,
        format!(
            "\u{feff}URL,Last crawled\n{},2026-11-30\n{},2026-11-30\n{},2026-11-29\n{},2026-11-28\n{},2026-11-28\n\
             not a url,2026-11-27\nhttp://169.254.169.254/latest/meta-data/,2026-11-27\n",
            a.url("/walled"),
            a.url("/fixed"),
            a.url("/moved"),
            b.url("/members"),
            a.url("/walled"),
        ),
    )
    .unwrap();
    let out = dir.path().join("check.csv");
    let (exit, rows, record) = check(&list, &out, &[]).await;
    assert_eq!(exit, Exit::Findings, "a listed URL is still walled");

    assert!(row(&rows, &a.url("/walled")).finding.contains("public_401"));
    assert!(
        row(&rows, &b.url("/members"))
            .finding
            .contains("public_401")
    );
    assert_eq!(row(&rows, &a.url("/fixed")).status, Some(200));
    assert_eq!(row(&rows, &a.url("/fixed")).finding, "");
    // The redirect is followed hop by hop, to the walled page.
    let moved = row(&rows, &a.url("/moved"));
    assert_eq!((moved.status, moved.final_status), (Some(308), Some(401)));
    // Nothing else is crawled: not the link on /fixed, not a sitemap, not a probe.
    let asked = requested(&a);
    assert!(!asked.iter().any(|p| p == "/elsewhere"), "{asked:?}");
    assert!(
        !asked
            .iter()
            .any(|p| p.contains("sitemap") || p.contains("admin")),
        "{asked:?}"
    );
    assert_eq!(
        asked.iter().filter(|p| *p == "/walled").count(),
        1,
        "the repeat is asked once"
    );
    // Each origin has its own robots.txt.
    assert!(requested(&b).iter().any(|p| p == "/robots.txt"));
    assert_eq!(
        row(&rows, "not a url").skip_reason,
        Some(SkipReason::InvalidUrl)
    );
    assert_eq!(
        row(&rows, "http://169.254.169.254/latest/meta-data/").skip_reason,
        Some(SkipReason::LinkLocal)
    );
    assert!(record.contains("\"column\": \"URL\""), "{record}");

    // A second run against the first as its baseline: the summary's first lines say what is
    // still walled and what changed.
    let next = dir.path().join("next.csv");
    let mut argv = vec![
        "authwall",
        "check",
        list.to_str().unwrap(),
        "-o",
        next.to_str().unwrap(),
        "--no-config",
        "--baseline",
        out.to_str().unwrap(),
    ];
    argv.extend(FAST);
    let Command::Check(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let (_, result) = authwall::commands::check::check(&args, std::future::pending())
        .await
        .unwrap();
    let summary = result.summary;
    assert!(
        summary.starts_with("authwall check of") && summary.contains("(5 URLs, 2 origins)"),
        "{summary}"
    );
    assert!(
        summary.contains("3 of the 5 listed URLs still wall a search engine off"),
        "{summary}"
    );
    assert!(summary.contains("Since last run"), "{summary}");
    // Each URL is where the list put it; a walled first URL is not "the whole site".
    assert!(
        summary.contains(&format!("{}  (in the list)", a.url("/walled"))),
        "{summary}"
    );
    assert!(
        !summary.contains("start URL") && !summary.contains("whole site"),
        "{summary}"
    );
    assert_eq!(
        row(
            &authwall::report::format::read_rows(&next).unwrap(),
            &b.url("/members")
        )
        .discovered_via,
        authwall::model::DiscoveredVia::List
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_cannot_be_reached_gives_its_rows_and_makes_the_run_incomplete() {
    let a = Server::start(shop()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(
        &list,
        format!("{}\nhttp://127.0.0.1:1/gone\n", a.url("/fixed")),
    )
    .unwrap();
    let out = dir.path().join("check.csv");
    let html = dir.path().join("check.html");
    let (exit, rows, record) = check(&list, &out, &["--report", html.to_str().unwrap()]).await;
    assert_eq!(exit, Exit::Incomplete);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains("<title>authwall check of "),
        "the report names the list"
    );
    assert!(html.contains("0 of the 2 listed URLs still wall a search engine off"));
    assert_eq!(row(&rows, &a.url("/fixed")).status, Some(200));
    let gone = row(&rows, "http://127.0.0.1:1/gone");
    assert_eq!(gone.status, None, "{gone:?}");
    assert!(
        record.contains("no usable answer from http://127.0.0.1:1"),
        "{record}"
    );
}

#[test]
fn search_consoles_xlsx_download_and_zip_export_are_read_by_their_url_column() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("gsc.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Reason").unwrap();
    sheet.write_string(0, 1, "URL").unwrap();
    sheet
        .write_string(1, 0, "Blocked due to unauthorized request (401)")
        .unwrap();
    sheet.write_string(1, 1, "https://a.test/1").unwrap();
    sheet.write_string(2, 1, "https://a.test/2").unwrap();
    book.save(&xlsx).unwrap();
    let list = read_list(&xlsx).unwrap();
    assert_eq!(list.lines, ["https://a.test/1", "https://a.test/2"]);
    assert_eq!(list.column.as_deref(), Some("URL"));

    let zip_path = dir.path().join("export.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("Chart.csv", options).unwrap();
    zip.write_all(b"Date,Pages\n2026-11-30,3\n").unwrap();
    zip.start_file("Table.csv", options).unwrap();
    zip.write_all(b"URL,Last crawled\nhttps://a.test/3,2026-11-30\n")
        .unwrap();
    zip.finish().unwrap();
    assert_eq!(read_list(&zip_path).unwrap().lines, ["https://a.test/3"]);
}
