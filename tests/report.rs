//! The HTML report in a real browser: headless Chromium driven through WebDriver
//! (chromedriver). On CI (`CI=true`) a missing browser fails the test instead of skipping it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use authwall::demo::{Server, site};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::util::audit_site;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Option<Driver> {
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists()
        {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but Chromium or chromedriver is missing: .ci/run must install them"
            );
            eprintln!(
                "skipped: Chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // reqwest is built without a default crypto provider (authwall picks ring).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                .is_ok()
            {
                return Some(driver);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on {}", driver.base);
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).unwrap());
        }
        let reply = request.send().await.unwrap().bytes().await.unwrap();
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert!(reply["value"].get("error").is_none(), "{path}: {reply}");
        reply["value"].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_shows_the_findings_in_a_browser_and_escapes_the_site() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    // The demo site, plus a walled page whose title is a script, listed in a sitemap of ours.
    let hostile = site()
        .route(
            "/evil",
            get(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Basic realm=\"x\"")],
                    Html("<title><script>alert(1)</script></title>"),
                )
            }),
        )
        .route(
            "/evil-sitemap.txt",
            get(|headers: HeaderMap| async move {
                format!("http://{}/evil\n", headers["host"].to_str().unwrap())
            }),
        );
    let server = Server::start(hostile).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    audit_site(
        &server,
        "/",
        &[
            "--report",
            report.to_str().unwrap(),
            "--sitemap",
            "/evil-sitemap.txt",
        ],
    )
    .await;

    let profile = dir.path().join("chromium-profile");
    let session = driver
        .call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-background-networking", "--disable-component-update",
                             "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
                             "--window-size=1280,2000",
                             format!("--user-data-dir={}", profile.display())]
                }
            }}})),
        )
        .await;
    let id = session["sessionId"].as_str().unwrap().to_string();
    let s = |path: &str| format!("/session/{id}{path}");
    driver
        .call(
            reqwest::Method::POST,
            &s("/url"),
            Some(json!({"url": format!("file://{}", report.display())})),
        )
        .await;

    let find = |css: &str| {
        let (driver, path, css) = (&driver, s("/element"), css.to_string());
        async move {
            let found = driver
                .call(
                    reqwest::Method::POST,
                    &path,
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            found
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // One table per finding and severity: listed in a sitemap (critical), only linked (high).
    let mut text = String::new();
    for (severity, planted) in [
        ("critical", &["/walled", "/old-page", "/evil"][..]),
        ("high", &["/members/", "/secret-nochallenge"][..]),
    ] {
        let selector = format!("table[data-finding=public_401][data-severity={severity}]");
        let table = find(&selector).await;
        let displayed = driver
            .call(
                reqwest::Method::GET,
                &s(&format!("/element/{table}/displayed")),
                None,
            )
            .await;
        assert_eq!(displayed, json!(true), "{selector} is visible");
        let shown = driver
            .call(
                reqwest::Method::GET,
                &s(&format!("/element/{table}/text")),
                None,
            )
            .await;
        let shown = shown.as_str().unwrap();
        for url in planted {
            assert!(
                shown.contains(url),
                "{url} missing from {selector}:\n{shown}"
            );
        }
        text.push_str(shown);
    }
    // The hostile title is shown as text, and no script ran.
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    let alert = driver
        .http
        .get(format!("{}{}", driver.base, s("/alert/text")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let alert: Value = serde_json::from_slice(&alert).unwrap();
    assert!(
        alert["value"].get("error").is_some(),
        "an alert is open: {alert}"
    );
    let verdict = find("#verdict").await;
    let banner = driver
        .call(
            reqwest::Method::GET,
            &s(&format!("/element/{verdict}/text")),
            None,
        )
        .await;
    assert!(
        banner.as_str().unwrap().contains("at or above high"),
        "{banner}"
    );

    let log = driver
        .call(
            reqwest::Method::POST,
            &s("/se/log"),
            Some(json!({"type": "browser"})),
        )
        .await;
    let errors: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // At a desktop's and a phone's width: a screenshot a person can look at (kept as test
    // artifacts), and no sideways scrolling of the page.
    for (width, name) in [
        (1280, "authwall-report-1280.png"),
        (390, "authwall-report-390.png"),
    ] {
        driver
            .call(
                reqwest::Method::POST,
                &s("/window/rect"),
                Some(json!({"width": width, "height": 2000})),
            )
            .await;
        let fits = driver
            .call(
                reqwest::Method::POST,
                &s("/execute/sync"),
                Some(json!({
                    "script": "return [document.documentElement.scrollWidth, window.innerWidth];",
                    "args": []
                })),
            )
            .await;
        let (scroll, inner) = (fits[0].as_u64().unwrap(), fits[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "at {width} px the page scrolls sideways: {scroll} > {inner}"
        );
        let png = driver
            .call(reqwest::Method::GET, &s("/screenshot"), None)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&shot, &png).unwrap();
        eprintln!("screenshot: {}", shot.display());
        assert!(png.starts_with(b"\x89PNG"));
    }
    driver.call(reqwest::Method::DELETE, &s(""), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_findings_file_beside_the_csv_lists_one_row_per_finding_worst_first() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    let path = run.csv.with_file_name("audit.findings.csv");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "severity",
            "finding",
            "what",
            "url",
            "status",
            "where_found",
            "what_to_do",
            "accepted"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected: usize = run
        .rows
        .iter()
        .map(|r| r.finding.split(';').filter(|f| !f.is_empty()).count())
        .sum();
    assert_eq!(rows.len(), expected);
    assert_eq!(&rows[0][0], "critical");
    let rank = |s: &str| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
    };
    assert!(
        rows.windows(2).all(|w| rank(&w[0][0]) >= rank(&w[1][0])),
        "worst first"
    );
    let redirect = rows
        .iter()
        .find(|r| r[3].ends_with("/account-redirect"))
        .unwrap();
    assert!(redirect[4].contains('→'), "status → final: {redirect:?}");
    assert!(run.result.summary.contains("audit.findings.csv"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_settings_read_as_words_and_the_run_is_not_called_a_verdict() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    audit_site(&server, "/", &["--report", html.to_str().unwrap()]).await;
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("This run:</strong> complete"),
        "the run's state"
    );
    assert!(!html.contains("Verdict:"));
    for raw in ["nanos", ">null<", ">[]<", ">true<", ">false<"] {
        assert!(!html.contains(raw), "settings show {raw}");
    }
    assert!(html.contains(">1s<"), "a duration in words (--timeout 1s)");
    // Fix texts show code as code, not as backticks.
    assert!(html.contains("<code>noindex</code>"), "code in a fix text");
    assert!(!html.contains("`noindex`"));
}
