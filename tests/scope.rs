//! The crawl never leaves the audited origin: a second local server that the audited site
//! points at in every way it can must receive no request at all.

use authwall::demo::Server;
use authwall::model::SkipReason;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::util::{audit_site, requested};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_pointed_at_every_way_receives_no_request() {
    // Another origin on this machine: same host, another port.
    let other = Server::start(Router::new().fallback(|| async { Html("other") }))
        .await
        .unwrap();
    let o = other.url("");
    let host = o.trim_start_matches("http:");
    let audited = Router::new()
        .route(
            "/robots.txt",
            get({
                let o = o.clone();
                move || async move { format!("User-agent: *\nAllow: /\nSitemap: {o}/robots-sitemap.xml\n") }
            }),
        )
        .route(
            "/",
            get({
                let (o, host) = (o.clone(), host.to_string());
                move || async move {
                    Html(format!(
                        r#"<html><head>
                        <link rel="canonical" href="{o}/canonical">
                        <link rel="alternate" hreflang="de" href="{o}/de/">
                        </head><body>
                        <a href="{o}/link">link</a>
                        <a href="{host}/protocol-relative">protocol-relative</a>
                        <a href="/redirect">redirect</a> <a href="/refresh">refresh</a>
                        <a href="/based">based</a>
                        </body></html>"#
                    ))
                }
            }),
        )
        .route(
            "/redirect",
            get({
                let o = o.clone();
                move || async move { (StatusCode::FOUND, [("location", format!("{o}/redirected"))]).into_response() }
            }),
        )
        .route(
            "/refresh",
            get({
                let o = o.clone();
                move || async move {
                    Html(format!(r#"<meta http-equiv="refresh" content="0; url={o}/refreshed">"#))
                }
            }),
        )
        .route(
            "/based",
            get({
                let o = o.clone();
                move || async move { Html(format!(r#"<base href="{o}/base/"><a href="relative">r</a>"#)) }
            }),
        )
        .route(
            "/sitemap_index.xml",
            get({
                let o = o.clone();
                move |headers: HeaderMap| async move {
                    let me = headers["host"].to_str().unwrap().to_string();
                    format!(
                        r#"<sitemapindex><sitemap><loc>http://{me}/urls.xml</loc></sitemap><sitemap><loc>{o}/child.xml</loc></sitemap></sitemapindex>"#
                    )
                }
            }),
        )
        .route(
            "/urls.xml",
            get({
                let o = o.clone();
                move || async move { format!(r#"<urlset><url><loc>{o}/listed</loc></url></urlset>"#) }
            }),
        );
    let server = Server::start(audited).await.unwrap();
    let run = audit_site(&server, "/", &["--sitemap", "/sitemap_index.xml"]).await;

    assert!(
        other.hits().is_empty(),
        "the other origin was requested: {:?}",
        other.hits()
    );
    for path in [
        "/robots-sitemap.xml",
        "/canonical",
        "/de/",
        "/link",
        "/protocol-relative",
        "/redirected",
        "/refreshed",
        "/base/relative",
        "/child.xml",
        "/listed",
    ] {
        let row = run.row(&format!("{o}{path}"));
        assert_eq!(row.skip_reason, Some(SkipReason::OutOfScope), "{path}");
        assert_eq!(row.status, None, "{path}");
    }
    // GET only: HEAD never stands in for GET, and nothing is posted.
    assert!(
        server.hits().iter().all(|h| h.method == "GET"),
        "{:?}",
        requested(&server)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_that_perform_actions_are_recorded_and_never_requested() {
    // WordPress's trash link, a "delete my account" GET link, an unsubscribe link, a DokuWiki
    // action; beside them pages whose words only look like verbs.
    let home = r#"<a href="/wp-admin/post.php?post=1&amp;action=trash&amp;_wpnonce=ab12">trash</a>
        <a href="/account/delete">delete my account</a>
        <a href="/newsletter/unsubscribe?id=3">unsubscribe</a>
        <a href="/doku.php?id=start&amp;do=revisions">history</a>
        <a href="/blog/how-to-cancel-a-subscription">how to cancel</a>
        <a href="/removed-products">removed products</a>"#;
    let site = Router::new()
        .route("/", get(move || async move { Html(home) }))
        .fallback(|| async { (StatusCode::OK, Html("<p>done</p>")) });
    let server = Server::start(site).await.unwrap();
    let run = audit_site(&server, "/", &["--no-probe", "--no-sitemaps"]).await;
    let asked = requested(&server);
    for action in [
        "/wp-admin/post.php?post=1&action=trash&_wpnonce=ab12",
        "/account/delete",
        "/newsletter/unsubscribe?id=3",
        "/doku.php?id=start&do=revisions",
    ] {
        assert_eq!(
            run.row(action).skip_reason,
            Some(SkipReason::Action),
            "{action}"
        );
        assert!(!asked.iter().any(|p| p == action), "{action} was requested");
    }
    for page in ["/blog/how-to-cancel-a-subscription", "/removed-products"] {
        assert_eq!(run.row(page).status, Some(200), "{page}");
    }
}
