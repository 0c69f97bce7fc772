//! The crawl engine against the demo site: discovery, records, redirects, politeness.

use std::collections::HashMap;

use authwall::Exit;
use authwall::demo::{Server, site};
use authwall::model::{DiscoveredVia, ErrorKind, Kind, RobotsVerdict, SkipReason};

use crate::util::{audit_site, requested};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_met_gets_exactly_one_row() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let mut seen = HashMap::new();
    for row in &run.rows {
        *seen.entry(row.url.clone()).or_insert(0) += 1;
    }
    let doubles: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubles.is_empty(), "URLs with several rows: {doubles:?}");
    for path in [
        "/robots.txt",
        "/sitemap_index.xml",
        "/",
        "/about",
        "/members/",
        "/forbidden",
        "/missing",
        "/broken",
        "/old-page",
        "/older-page",
        "/walled",
        "/slow",
        "/report.pdf",
        "/private-by-robots/page",
    ] {
        assert!(run.has_row(path), "no row for {path}");
    }
    assert!(run.has_row("https://elsewhere.example/partner"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_is_requested_first_and_disallowed_paths_never() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let paths = requested(&server);
    assert_eq!(paths.first().map(String::as_str), Some("/robots.txt"));
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/private-by-robots/") || p.starts_with("/no-authwall/")),
        "disallowed paths were requested: {paths:?}"
    );
    for path in ["/private-by-robots/page", "/no-authwall/page"] {
        let row = run.row(path);
        assert_eq!(row.skip_reason, Some(SkipReason::Robots), "{path}");
        assert_eq!(row.robots, Some(RobotsVerdict::Disallowed), "{path}");
        assert_eq!(row.status, None);
    }
    assert_eq!(run.row("/about").robots, Some(RobotsVerdict::Allowed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_robots_fetches_disallowed_urls_but_still_marks_them() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &["--ignore-robots"]).await;
    let row = run.row("/private-by-robots/page");
    assert_eq!(row.status, Some(200));
    assert_eq!(row.robots, Some(RobotsVerdict::Disallowed));
    assert_eq!(row.skip_reason, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_url_is_requested_twice_except_retries() {
    let server = Server::start(site()).await.unwrap();
    audit_site(&server, "/", &["--retries", "1"]).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for path in requested(&server) {
        *counts.entry(path).or_default() += 1;
    }
    // /flaky answers 429 once; /slow times out and is retried.
    let twice: Vec<_> = counts
        .iter()
        .filter(|(p, n)| **n > 1 && !matches!(p.as_str(), "/flaky" | "/slow"))
        .collect();
    assert!(twice.is_empty(), "requested more than once: {twice:?}");
    assert_eq!(counts.get("/flaky"), Some(&2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitemap_index_children_gzip_and_text_sitemaps_are_all_read() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    for (path, status) in [
        ("/only-in-sitemap", 200),
        ("/blog/post-1", 200),
        ("/from-text-sitemap", 200),
        ("/search?q=a&page=2", 200),
        ("/walled", 401),
    ] {
        let row = run.row(path);
        assert!(row.in_sitemap, "{path} should be in_sitemap");
        assert_eq!(row.status, Some(status), "{path}");
    }
    assert_eq!(
        run.row("/only-in-sitemap").discovered_via,
        DiscoveredVia::Sitemap
    );
    assert!(
        run.row("/").in_sitemap,
        "the start URL is listed in the sitemap"
    );
    assert!(!run.row("/about").in_sitemap);
    let gz = run.row("/sitemap-blog.xml.gz");
    assert_eq!(gz.kind, Kind::Sitemap);
    assert!(gz.note.contains("gzip"), "{}", gz.note);
    // Off-site and invalid <loc>s are recorded and never fetched.
    assert_eq!(
        run.row("https://elsewhere.example/listed").skip_reason,
        Some(SkipReason::OutOfScope)
    );
    assert!(run.row("https://elsewhere.example/listed").in_sitemap);
    assert_eq!(
        run.row("https://elsewhere.example/sitemap.xml").skip_reason,
        Some(SkipReason::OutOfScope)
    );
    assert_eq!(
        run.row("/relative-loc").skip_reason,
        Some(SkipReason::InvalidUrl)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sitemaps_reads_none() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps"]).await;
    assert!(!requested(&server).iter().any(|p| p.contains("sitemap")));
    assert!(!run.has_row("/only-in-sitemap"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_chain_301_301_401_is_recorded_on_every_hop() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let o = &run.origin;
    let first = run.row("/old-page");
    assert_eq!(first.status, Some(301));
    assert_eq!(first.final_status, Some(401));
    assert_eq!(first.final_url, format!("{o}/walled"));
    assert_eq!(
        first.redirect_chain,
        format!("301 {o}/older-page -> 301 {o}/walled")
    );
    let hop = run.row("/older-page");
    assert_eq!(hop.discovered_via, DiscoveredVia::Redirect);
    assert_eq!(hop.referrer, format!("{o}/old-page"));
    assert_eq!(hop.final_status, Some(401));
    // Each hop was requested once: the chain is built from responses already received.
    let walled = requested(&server)
        .iter()
        .filter(|p| *p == "/walled")
        .count();
    assert_eq!(walled, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_login_loops_and_off_site_are_recorded() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let o = &run.origin;
    let login = run.row("/account-redirect");
    assert_eq!((login.status, login.final_status), (Some(302), Some(200)));
    assert_eq!(login.final_url, format!("{o}/login?next=/account-redirect"));
    let looped = run.row("/loop-a");
    assert_eq!(looped.error, Some(ErrorKind::RedirectLoop));
    assert_eq!(
        looped.redirect_chain,
        format!("302 {o}/loop-b -> 302 {o}/loop-a")
    );
    let away = run.row("/goodbye");
    assert_eq!(away.final_url, "https://elsewhere.example/");
    assert!(away.note.contains("out_of_scope"), "{}", away.note);
    assert_eq!(
        run.row("https://elsewhere.example/").skip_reason,
        Some(SkipReason::OutOfScope)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_waited_out_and_the_retry_succeeds() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &["--retries", "2"]).await;
    let row = run.row("/flaky");
    assert_eq!(row.status, Some(200));
    assert_eq!(row.retries, 1);
    let hits: Vec<_> = server
        .hits()
        .into_iter()
        .filter(|h| h.target == "/flaky")
        .collect();
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap.as_millis() >= 900,
        "Retry-After: 1 not honoured: {gap:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_codes_and_headers_are_recorded() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let members = run.row("/members/");
    assert_eq!(members.status, Some(401));
    assert_eq!(members.www_authenticate, r#"Basic realm="members""#);
    let bare = run.row("/secret-nochallenge");
    assert_eq!(bare.status, Some(401));
    assert_eq!(bare.www_authenticate, "");
    assert_eq!(run.row("/forbidden").status, Some(403));
    assert_eq!(run.row("/missing").status, Some(404));
    assert_eq!(run.row("/broken").status, Some(500));
    let pdf = run.row("/report.pdf");
    assert_eq!(
        (pdf.status, pdf.content_type.as_str()),
        (Some(200), "application/pdf")
    );
    assert_eq!(run.row("/about").title, "About us");
    let slow = run.row("/slow");
    assert_eq!((slow.status, slow.error), (None, Some(ErrorKind::Timeout)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_dot_dot_and_base_href_links_resolve() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &["--no-sitemaps"]).await;
    let o = &run.origin;
    let reference = run.row("/docs/reference");
    assert_eq!(reference.referrer, format!("{o}/docs/guide/"));
    assert_eq!(reference.depth, 2);
    assert_eq!(run.row("/blog/post-1").referrer, format!("{o}/blog/"));
    assert_eq!(
        run.row("/about").inlinks,
        2,
        "from / (twice, one counted) and /blog/ via ../"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_encoding_variants_are_one_url_one_request() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let cafe: Vec<_> = run
        .rows
        .iter()
        .filter(|r| r.url.to_lowercase().contains("caf"))
        .collect();
    assert_eq!(cafe.len(), 1, "{cafe:?}");
    assert_eq!(cafe[0].status, Some(200));
    assert_eq!(
        requested(&server)
            .iter()
            .filter(|p| p.to_lowercase().starts_with("/caf"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_comments_scripts_and_other_schemes_are_not_followed() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    for url in ["/in-comment", "/in-script"] {
        assert!(!run.has_row(url), "{url} is not a link");
    }
    assert!(
        !run.rows
            .iter()
            .any(|r| r.url.starts_with("mailto:") || r.url.starts_with("javascript:"))
    );
    assert!(
        !run.rows.iter().any(|r| r.url.contains('#')),
        "fragments are dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_site_audit_is_complete_and_its_planted_findings_exit_1() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert_eq!(run.result.exit, Exit::Findings, "{}", run.result.summary);
    assert!(
        run.result.summary.contains("complete"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_refresh_counts_as_a_redirect_hop() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let row = run.row("/moved-by-meta");
    assert_eq!(row.status, Some(200));
    assert_eq!(row.redirect_chain, format!("meta {}/about", run.origin));
    assert_eq!(row.final_status, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirecting_sitemap_is_followed_and_read() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let moved = run.row("/old-sitemap.xml");
    assert_eq!((moved.status, moved.final_status), (Some(301), Some(200)));
    assert_eq!(run.row("/sitemap-moved.xml").kind, Kind::Sitemap);
    assert!(run.row("/from-moved-sitemap").in_sitemap);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_into_a_disallowed_path_is_not_followed() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let row = run.row("/to-hidden");
    assert_eq!(row.status, Some(302));
    assert_eq!(
        row.final_url,
        format!("{}/private-by-robots/page", run.origin)
    );
    assert_eq!(row.final_status, None);
    assert!(
        row.note.contains("redirect target not requested: robots"),
        "{}",
        row.note
    );
    assert!(
        !requested(&server)
            .iter()
            .any(|p| p.starts_with("/private-by-robots/"))
    );
}
