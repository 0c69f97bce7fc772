//! Hostile servers (issue 6): slow bodies, huge bodies, broken encodings. Each becomes a
//! truthful row, never a hang or a lost row.

use std::time::Duration;

use authwall::demo::Server;
use authwall::model::ErrorKind;
use axum::Router;
use axum::body::Body;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::util::audit_site;

fn home(links: &'static str) -> Router {
    Router::new().route("/", get(move || async move { Html(links) }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_fed_body_times_out_as_a_whole() {
    // Headers come at once; the body arrives a byte every 100 ms, for ever.
    let site = home(r#"<a href="/drip">drip</a>"#).route(
        "/drip",
        get(|| async {
            let stream = futures_stream();
            (
                [(header::CONTENT_TYPE, "text/html")],
                Body::from_stream(stream),
            )
                .into_response()
        }),
    );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &["--timeout", "700ms", "--no-sitemaps", "--no-probe"],
    )
    .await;
    let row = run.row("/drip");
    assert_eq!(row.error, Some(ErrorKind::Timeout), "{row:?}");
}

/// An endless body, one byte every 100 ms.
fn futures_stream() -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    struct Drip(Option<std::pin::Pin<Box<tokio::time::Sleep>>>);
    impl futures_core::Stream for Drip {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            let sleep = self
                .0
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(100))));
            match sleep.as_mut().poll(cx) {
                std::task::Poll::Ready(()) => {
                    self.0 = None;
                    std::task::Poll::Ready(Some(Ok(b"<".to_vec())))
                }
                std::task::Poll::Pending => std::task::Poll::Pending,
            }
        }
    }
    use std::future::Future as _;
    Drip(None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_cap_is_truncated_and_the_row_says_so() {
    let site = home(r#"<a href="/huge">huge</a>"#).route(
        "/huge",
        get(|| async {
            let mut page = String::from("<html><head><title>Huge</title></head><body>");
            page.push_str(&"<p>filler</p>".repeat(20_000));
            page.push_str(r#"<a href="/after-the-cap">late link</a></body></html>"#);
            Html(page)
        }),
    );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(
        &server,
        "/",
        &["--max-body", "64KiB", "--no-sitemaps", "--no-probe"],
    )
    .await;
    let row = run.row("/huge");
    assert_eq!(row.status, Some(200));
    assert_eq!(row.error, Some(ErrorKind::BodyTruncated), "{row:?}");
    assert_eq!(row.bytes, Some(64 * 1024));
    assert_eq!(row.title, "Huge", "the part read is still used");
    assert!(
        !run.has_row("/after-the-cap"),
        "links past the cap are not seen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_and_a_lying_charset_still_give_a_row_and_links() {
    let site = home(r#"<a href="/latin1">l</a>"#)
        .route(
            "/latin1",
            get(|| async {
                let mut body = b"<html><head><title>Caf".to_vec();
                body.push(0xE9); // Latin-1 e-acute, invalid as UTF-8
                body.extend_from_slice(
                    b"</title></head><body><a href=\"/next\">n</a>\xff\xfe</body></html>",
                );
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
            }),
        )
        .route("/next", get(|| async { Html("next") }));
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps", "--no-probe"]).await;
    let row = run.row("/latin1");
    assert_eq!(row.status, Some(200));
    assert!(row.title.starts_with("Caf"), "{:?}", row.title);
    assert_eq!(
        run.row("/next").status,
        Some(200),
        "links after bad bytes are followed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_served_as_octet_stream_is_still_read_and_a_real_binary_is_not() {
    let site = home(r#"<a href="/mislabelled">m</a> <a href="/download.bin">d</a>"#)
        .route(
            "/mislabelled",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    r#"<!doctype html><title>Really HTML</title><a href="/behind">b</a>"#,
                )
            }),
        )
        .route(
            "/download.bin",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    vec![0u8; 100_000],
                )
            }),
        )
        .route("/behind", get(|| async { Html("behind") }));
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps", "--no-probe"]).await;
    assert_eq!(run.row("/mislabelled").title, "Really HTML");
    assert_eq!(
        run.row("/behind").status,
        Some(200),
        "its links are followed"
    );
    let bin = run.row("/download.bin");
    assert_eq!((bin.status, bin.title.as_str()), (Some(200), ""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_redirects_and_redirects_to_other_hosts_are_recorded_never_followed_off_site() {
    let site = home(r#"<a href="/r/0">r</a> <a href="/meta-data">m</a> <a href="/alias">a</a>"#)
        .route(
            "/r/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    (
                        axum::http::StatusCode::FOUND,
                        [(header::LOCATION, format!("/r/{}", n + 1))],
                    )
                },
            ),
        )
        .route(
            "/meta-data",
            get(|| async {
                (
                    axum::http::StatusCode::FOUND,
                    [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")],
                )
            }),
        )
        .route(
            "/alias",
            get(|headers: axum::http::HeaderMap| async move {
                // The same server under another name: another origin all the same.
                let port = headers["host"]
                    .to_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_string();
                (
                    axum::http::StatusCode::FOUND,
                    [(header::LOCATION, format!("http://localhost:{port}/"))],
                )
            }),
        );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps", "--no-probe"]).await;
    assert_eq!(run.row("/r/0").error, Some(ErrorKind::TooManyRedirects));
    assert!(
        run.rows
            .iter()
            .any(|r| r.skip_reason == Some(authwall::model::SkipReason::RedirectLimit))
    );
    let hops = crate::util::requested(&server)
        .iter()
        .filter(|p| p.starts_with("/r/"))
        .count();
    assert_eq!(
        hops, 11,
        "the start of the chain and its first 10 hops, then no more"
    );
    assert_eq!(
        run.row("http://169.254.169.254/latest/meta-data/")
            .skip_reason,
        Some(authwall::model::SkipReason::OutOfScope)
    );
    let alias = format!("http://localhost:{}/", server.addr.port());
    assert_eq!(
        run.row(&alias).skip_reason,
        Some(authwall::model::SkipReason::OutOfScope)
    );
    assert!(
        server
            .hits()
            .iter()
            .all(|h| !h.host.starts_with("localhost")),
        "the alias was never requested"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_like_values_from_every_source_are_neutralised_and_read_back_unchanged() {
    let formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    let site = home(r#"<a href="/walled">w</a> <a href="/moved">m</a>"#)
        .route(
            "/walled",
            get(move || async move {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "=cmd|' /C calc'!A0")],
                    Html(format!("<title>{formula}</title>")),
                )
            }),
        )
        .route(
            "/moved",
            get(|| async {
                (
                    axum::http::StatusCode::FOUND,
                    [(header::LOCATION, "@SUM(1+1)")],
                )
            }),
        )
        .route(
            "/sitemap.xml",
            get(|| async {
                "<urlset><url><loc>-2+3</loc></url><url><loc>+cmd</loc></url></urlset>"
            }),
        );
    let server = Server::start(site).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("audit.xlsx");
    let run = audit_site(
        &server,
        "/",
        &["--no-probe", "--xlsx", xlsx.to_str().unwrap()],
    )
    .await;
    // The workbook holds the same neutralised text: no cell of any sheet is a formula.
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let mut cells = Vec::new();
    for name in calamine::Reader::sheet_names(&book) {
        let range = calamine::Reader::worksheet_range(&mut book, &name).unwrap();
        cells.extend(range.used_cells().map(|(_, _, c)| c.to_string()));
        let formulas = calamine::Reader::worksheet_formula(&mut book, &name).unwrap();
        assert_eq!(formulas.used_cells().count(), 0, "a formula in {name}");
    }
    for cell in ["'=HYPERLINK", "'=cmd", "'-2+3", "'+cmd"] {
        assert!(
            cells.iter().any(|c| c.starts_with(cell)),
            "{cell} in the workbook"
        );
    }
    assert!(!cells.iter().any(|c| c.starts_with(['=', '+', '@'])));
    let raw = std::fs::read_to_string(&run.csv).unwrap();
    // In the file, every such cell starts with a quote, so spreadsheets show it as text.
    for cell in ["'=HYPERLINK", "'=cmd", "'-2+3", "'+cmd"] {
        assert!(raw.contains(cell), "{cell} not neutralised in:\n{raw}");
    }
    for line in raw.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a live formula cell: {cell}"
            );
        }
    }
    // authwall's own reader gives the site's values back.
    assert_eq!(run.row("/walled").title, formula);
    assert_eq!(run.row("/walled").www_authenticate, "=cmd|' /C calc'!A0");
    assert_eq!(
        run.row("-2+3").skip_reason,
        Some(authwall::model::SkipReason::InvalidUrl)
    );
    // JSON Lines keeps the raw value.
    let jsonl = audit_site(&server, "/", &["--no-probe", "--format", "jsonl"]).await;
    let text = std::fs::read_to_string(&jsonl.csv).unwrap();
    assert!(
        text.contains(r#""www_authenticate":"=cmd|' /C calc'!A0""#),
        "{text}"
    );
}

/// A raw HTTP/1.1 server: `/truncated` sends half a chunked body and hangs up, `/reset`
/// closes the connection without a word.
async fn raw_server() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = tcp.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply: &[u8] = match path.as_str() {
                    "/" => b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52\r\nConnection: close\r\n\r\n<a href=\"/truncated\">t</a><a href=\"/reset\">r</a>   ",
                    "/truncated" => b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<html\r\n",
                    "/reset" => b"",
                    _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                };
                let _ = tcp.write_all(reply).await;
                // Hang up: a truncated body, or no answer at all.
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_bodies_and_reset_connections_become_rows() {
    let port = raw_server().await;
    let run = crate::util::audit_url(
        &format!("http://127.0.0.1:{port}/"),
        &["--no-sitemaps", "--no-probe"],
    )
    .await;
    let truncated = run.row("/truncated");
    assert_eq!(truncated.status, Some(200));
    assert_eq!(truncated.error, Some(ErrorKind::BodyRead), "{truncated:?}");
    let reset = run.row("/reset");
    assert_eq!(reset.status, None);
    assert!(reset.error.is_some(), "{reset:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sitemap_index_that_lists_itself_is_read_once() {
    let site = home("home").route(
        "/sitemap.xml",
        get(|headers: axum::http::HeaderMap| async move {
            let me = headers["host"].to_str().unwrap().to_string();
            format!(
                "<sitemapindex><sitemap><loc>http://{me}/sitemap.xml</loc></sitemap>\
                 <sitemap><loc>http://{me}/sitemap.xml?again=1</loc></sitemap></sitemapindex>"
            )
        }),
    );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-probe"]).await;
    let fetched = crate::util::requested(&server)
        .iter()
        .filter(|p| p.starts_with("/sitemap.xml"))
        .count();
    assert_eq!(
        fetched, 2,
        "each sitemap URL once: the index and its ?again=1 twin"
    );
    assert_eq!(
        run.result.exit,
        authwall::Exit::Clean,
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn svg_nested_past_the_parser_cap_is_noted_on_the_row_and_earlier_links_followed() {
    let site = home(r#"<a href="/nested">nested</a>"#).route(
        "/nested",
        get(|| async {
            let mut page = String::from(r#"<html><body><a href="/before">before</a>"#);
            page.push_str(&"<svg>".repeat(20_000));
            page.push_str(r#"<a href="/never">after</a></body></html>"#);
            Html(page)
        }),
    );
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps", "--no-probe"]).await;
    let row = run.row("/nested");
    assert_eq!(row.status, Some(200));
    assert!(
        row.note.contains("HTML parsing stopped early") && row.note.contains("nested svg"),
        "{row:?}"
    );
    assert!(run.has_row("/before"));
    assert!(!run.has_row("/never"));
}
