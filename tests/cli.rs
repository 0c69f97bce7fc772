//! The binary as users and cron run it: exit codes, signals, where output goes, `robots`.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use authwall::demo::{Server, site};
use axum::Router;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

const BIN: &str = env!("CARGO_BIN_EXE_authwall");

/// Run the binary off the test's runtime threads so the local server keeps serving.
async fn authwall(args: Vec<String>, dir: &std::path::Path) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn clean_site() -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/",
            get(|| async { Html("<title>Home</title><a href=/a>a</a>") }),
        )
        .route("/a", get(|| async { Html("<title>A</title>") }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_site_exits_0_and_writes_csv_and_run_record() {
    let server = Server::start(clean_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(
        args(&["audit", &server.url("/"), "--delay", "0"]),
        dir.path(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = format!("authwall-127.0.0.1-{}", server.addr.port());
    let csv = std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap();
    assert!(csv.starts_with(&authwall::report::row::header()));
    assert_eq!(
        csv.lines().count(),
        1 + 4 + authwall::audit::DEFAULT_PRIVATE.len() + authwall::audit::DEFAULT_AMBIGUOUS.len(),
        "robots.txt, /, /a, the default /sitemap.xml and one probe per default private path"
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("{name}.run.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(record["complete"], true);
    assert_eq!(
        record["schema_version"],
        authwall::report::row::SCHEMA_VERSION
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("complete"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_run_that_exits_0_prints_nothing() {
    let server = Server::start(clean_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(
        args(&["audit", &server.url("/"), "--delay", "0", "--quiet"]),
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_to_stdout_moves_the_summary_to_stderr() {
    let server = Server::start(clean_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(
        args(&["audit", &server.url("/"), "--delay", "0", "-o", "-"]),
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("url,status,"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("authwall audit of"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_start_url_exits_2() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let out = authwall(
        args(&["audit", &url, "--retries", "0", "--delay", "0"]),
        dir.path(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // One clear line on stderr, nothing that looks like an audit: no findings, no robots.txt
    // advice, no CSV; the run record says why.
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(stdout, "");
    let line = format!("authwall: cannot reach http://127.0.0.1:{port}: connection refused");
    assert!(stderr.contains(&line), "{stderr}");
    assert!(!stderr.contains("--ignore-robots") && !stderr.contains("findings"));
    let name = format!("authwall-127.0.0.1-{port}");
    assert!(!dir.path().join(format!("{name}.csv")).exists());
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("{name}.run.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(record["complete"], false);
    assert!(
        record["incomplete_reasons"][0]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_url_that_never_answers_says_so_on_stderr() {
    // Accepts connections, never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(3));
        drop(held);
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let out = authwall(
        args(&[
            "audit",
            &url,
            "--retries",
            "0",
            "--delay",
            "0",
            "--timeout",
            "300ms",
        ]),
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no answer within 300ms"), "{stderr}");
    drop(hold);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(args(&["audit", "ftp://example.com/"]), dir.path()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an http(s) URL"));
    let out = authwall(args(&["audit", "x", "--timeout", "soon"]), dir.path()).await;
    assert_eq!(out.status.code(), Some(2));
}

/// Start an audit of an endlessly busy site, send `signal` mid-crawl, return its output and rows.
async fn interrupt_with(signal: &str) -> (Output, Vec<authwall::report::row::AuditRow>) {
    // Every page is slow and links to ten more: the crawl is still busy when the signal comes.
    let site = Router::new().fallback(|uri: axum::http::Uri| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let base = uri.path().trim_end_matches('/').to_string();
        Html(
            (0..10)
                .map(|i| format!(r#"<a href="{base}/{i}">x</a>"#))
                .collect::<String>(),
        )
    });
    let server = Server::start(site).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let url = server.url("/");
    let child = Command::new(BIN)
        .args([
            "audit",
            &url,
            "--delay",
            "0",
            "--no-sitemaps",
            "-o",
            csv.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = child.id().to_string();
    Command::new("kill").args([signal, &pid]).status().unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let rows = authwall::report::format::read_rows(&csv).unwrap();
    (out, rows)
}

fn assert_interrupted_cleanly(out: &Output, rows: &[authwall::report::row::AuditRow]) {
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("INTERRUPTED"),
        "{out:?}"
    );
    assert!(
        rows.iter().any(|r| r.status == Some(200)),
        "finished rows are kept"
    );
    assert!(
        rows.iter()
            .any(|r| r.skip_reason == Some(authwall::model::SkipReason::Interrupted)),
        "queued URLs are recorded as interrupted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_flushes_a_valid_csv_and_exits_143() {
    let (out, rows) = interrupt_with("-TERM").await;
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_interrupted_cleanly(&out, &rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_flushes_a_valid_csv_and_exits_130() {
    let (out, rows) = interrupt_with("-INT").await;
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_interrupted_cleanly(&out, &rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_command_prints_verdict_rule_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("robots.txt");
    std::fs::write(
        &file,
        "User-agent: *\nDisallow: /private/\nAllow: /private/ok\n",
    )
    .unwrap();
    let out = authwall(
        args(&[
            "robots",
            file.to_str().unwrap(),
            "https://example.com/private/x",
            "https://example.com/private/ok",
            "/public",
        ]),
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "disallowed\thttps://example.com/private/x\tDisallow: /private/\t2\n\
         allowed\thttps://example.com/private/ok\tAllow: /private/ok\t3\n\
         allowed\t/public\t\t\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_command_reads_a_url() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(
        args(&[
            "robots",
            &server.url("/robots.txt"),
            "/no-authwall/page",
            "/about",
        ]),
        dir.path(),
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("disallowed\t/no-authwall/page\tDisallow: /no-authwall/\t"),
        "{text}"
    );
    assert!(text.contains("allowed\t/about\t\t\n"), "{text}");
}

/// `authwall robots URL` reads the answer as the crawl does (RFC 9309), not as a browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_command_reads_a_5xx_as_everything_disallowed_and_says_so() {
    let router = Router::new().route(
        "/robots.txt",
        get(|| async {
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "User-agent: *\nAllow: /\n",
            )
        }),
    );
    let server = Server::start(router).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/robots.txt");
    let out = authwall(args(&["robots", &url, "/about"]), dir.path()).await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("disallowed\t/about\tDisallow: /\t"),
        "{text}"
    );
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.contains("503: robots.txt unavailable, so everything is disallowed"),
        "{note}"
    );
    let refused = authwall(
        args(&["robots", "http://127.0.0.1:1/robots.txt", "/about"]),
        dir.path(),
    )
    .await;
    assert_eq!(
        refused.status.code(),
        Some(2),
        "nothing listening: an error"
    );
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(
        error.contains("cannot fetch http://127.0.0.1:1/robots.txt"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_with_no_setup_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(args(&["demo"]), dir.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("authwall-demo.csv").exists());
    let html = std::fs::read_to_string(dir.path().join("authwall-demo.html")).unwrap();
    assert!(html.contains("data-finding=\"public_401\""));
    // The report states the exit code the run really had.
    assert!(
        html.contains("data-exit=\"0\""),
        "the banner says another exit code"
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("401: 4"), "{summary}");
    assert!(summary.contains("public_401"), "{summary}");
    let strict = authwall(args(&["demo", "-q", "--fail-on", "critical"]), dir.path()).await;
    assert_eq!(
        strict.status.code(),
        Some(1),
        "--fail-on makes the demo's findings count"
    );
    let html = std::fs::read_to_string(dir.path().join("authwall-demo.html")).unwrap();
    assert!(html.contains("data-exit=\"1\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_starter_that_audit_reads_from_the_working_directory() {
    let server = Server::start(clean_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = authwall(args(&["init"]), dir.path()).await;
    assert_eq!(out.status.code(), Some(0));
    let starter = std::fs::read_to_string(dir.path().join("authwall.toml")).unwrap();
    assert!(starter.contains("# max-pages = 50000"), "{starter}");
    // A second init does not overwrite the file.
    assert_eq!(
        authwall(args(&["init"]), dir.path()).await.status.code(),
        Some(2)
    );
    // `--url` makes the starter ready to run: its `url` line is live.
    let out = authwall(
        args(&["init", "--force", "--url", &server.url("/")]),
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let mut config = std::fs::read_to_string(dir.path().join("authwall.toml")).unwrap();
    assert!(
        config.contains(&format!("\nurl = \"{}\"\n", server.url("/"))),
        "{config}"
    );
    config.push_str("delay = 0\noutput = \"weekly.csv\"\nprobe = false\n");
    std::fs::write(dir.path().join("authwall.toml"), config).unwrap();
    let out = authwall(args(&["audit"]), dir.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("weekly.csv").exists());
    assert!(
        !server.hits().iter().any(|h| h.target == "/admin"),
        "probe = false"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_with_an_unknown_key_exits_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("authwall.toml"),
        "url = \"http://127.0.0.1:9/\"\nmax-pagez = 3\n",
    )
    .unwrap();
    let out = authwall(args(&["audit"]), dir.path()).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`max-pagez`") && err.contains("authwall.toml line 2"),
        "{err}"
    );
    assert!(err.contains("did you mean `max-pages`?"), "{err}");
    // A value the option refuses names the file, the line and the key, not `--max-pages`.
    std::fs::write(
        dir.path().join("authwall.toml"),
        "url = \"http://127.0.0.1:9/\"\n# how many\nmax-pages = \"twenty\"\n",
    )
    .unwrap();
    let out = authwall(args(&["audit"]), dir.path()).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`max-pages` in authwall.toml line 3: \"twenty\""),
        "{err}"
    );
    assert!(!err.contains("--max-pages"), "{err}");
    std::fs::write(dir.path().join("authwall.toml"), "max_pages = 20\n").unwrap();
    let err =
        String::from_utf8_lossy(&authwall(args(&["audit"]), dir.path()).await.stderr).to_string();
    assert!(err.contains("did you mean `max-pages`?"), "{err}");
    std::fs::write(
        dir.path().join("authwall.toml"),
        "url = \"http://127.0.0.1:9/\"\n",
    )
    .unwrap();
    // demo ignores any config file.
    let out = authwall(args(&["demo", "-q"]), dir.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_credentials_are_sent_but_never_written_and_logout_is_never_followed() {
    // A staging site behind Basic auth that also wants a header; it links a logout URL.
    let site = Router::new().fallback(
        |headers: axum::http::HeaderMap, uri: axum::http::Uri| async move {
            let basic = headers.get("authorization").and_then(|v| v.to_str().ok());
            let key = headers.get("x-staging-key").and_then(|v| v.to_str().ok());
            if basic != Some("Basic dXNlcjpzM2NyM3QtcGFzcw==") || key != Some("k3y-s3cr3t") {
                return (
                    axum::http::StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Basic realm=\"staging\"")],
                    "no",
                )
                    .into_response();
            }
            match uri.path() {
                "/" => Html(r#"<a href="/about">about</a> <a href="/logout">log out</a>"#)
                    .into_response(),
                _ => Html("page").into_response(),
            }
        },
    );
    let server = Server::start(site).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/");
    let run_dir = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args([
                "audit",
                &url,
                "--delay",
                "0",
                "-o",
                "staging.csv",
                "--report",
                "staging.html",
            ])
            .args([
                "--basic-auth-env",
                "AUTHWALL_TEST_BASIC",
                "--header",
                "X-Staging-Key: k3y-s3cr3t",
            ])
            .env("AUTHWALL_TEST_BASIC", "user:s3cr3t-pass")
            .current_dir(run_dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("credentials were sent"), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("staging.csv")).unwrap();
    let record = std::fs::read_to_string(dir.path().join("staging.run.json")).unwrap();
    for (name, text) in [
        ("csv", csv.as_str()),
        ("run record", record.as_str()),
        (
            "report",
            &std::fs::read_to_string(dir.path().join("staging.html")).unwrap(),
        ),
        ("stdout", stdout.as_str()),
        ("stderr", &String::from_utf8_lossy(&out.stderr)),
    ] {
        assert!(
            !text.contains("s3cr3t"),
            "a secret leaked into the {name}:\n{text}"
        );
    }
    let rows = authwall::report::format::read_rows(&dir.path().join("staging.csv")).unwrap();
    let about = rows.iter().find(|r| r.url.ends_with("/about")).unwrap();
    assert_eq!(about.status, Some(200), "credentials were sent");
    let logout = rows.iter().find(|r| r.url.ends_with("/logout")).unwrap();
    assert_eq!(
        logout.skip_reason,
        Some(authwall::model::SkipReason::Logout)
    );
    assert!(!server.hits().iter().any(|h| h.target == "/logout"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_leaves_a_csv_of_whole_rows() {
    // A busy endless site; the process gets SIGKILL (no chance to flush or clean up).
    let site = Router::new().fallback(|uri: axum::http::Uri| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let base = uri.path().trim_end_matches('/').to_string();
        Html(
            (0..10)
                .map(|i| format!(r#"<a href="{base}/{i}">x</a>"#))
                .collect::<String>(),
        )
    });
    let server = Server::start(site).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let url = server.url("/");
    let mut child = Command::new(BIN)
        .args([
            "audit",
            &url,
            "--delay",
            "0",
            "--no-sitemaps",
            "--max-path-segments",
            "50",
        ])
        .args(["-o", csv.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let rows = authwall::report::format::read_rows(&csv).expect("the streamed CSV stays readable");
    assert!(
        rows.len() > 5,
        "rows were streamed before the kill: {}",
        rows.len()
    );
    assert!(
        rows.iter().all(|r| r.url.starts_with("http://")),
        "only whole rows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_writes_an_entry_that_the_next_audit_honours_keeping_the_files_comments() {
    let site = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/",
            get(|| async { Html("<a href=/legacy>Legacy report</a>") }),
        )
        .route(
            "/legacy",
            get(|| async {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer")],
                    "",
                )
            }),
        );
    let server = Server::start(site).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = format!(
        "# the weekly check of the shop, owned by the web team\nurl = \"{}\"\ndelay = 0\n\
         output = \"weekly.csv\"\nprobe = false # no probes on this host\n",
        server.url("/")
    );
    std::fs::write(dir.path().join("authwall.toml"), &file).unwrap();
    assert_eq!(
        authwall(args(&["audit", "-q"]), dir.path())
            .await
            .status
            .code(),
        Some(1)
    );
    let bad = authwall(
        args(&["accept", "/legacy", "public_4o1", "--reason", "x"]),
        dir.path(),
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("public_4o1"));
    let out = authwall(
        args(&[
            "accept",
            "/legacy",
            "public_401",
            "--reason",
            "retired with the old portal in March",
            "--until",
            "2999-03-31",
        ]),
        dir.path(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let edited = std::fs::read_to_string(dir.path().join("authwall.toml")).unwrap();
    assert!(
        edited.starts_with(&file),
        "comments and order kept:\n{edited}"
    );
    let out = authwall(args(&["audit"]), dir.path()).await;
    let summary = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{summary}");
    assert!(summary.contains("1 accepted (0 critical)"), "{summary}");
    assert!(
        summary.contains("retired with the old portal in March"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_in_a_missing_folder_is_named_before_any_request() {
    let server = Server::start(clean_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (flag, file) in [
        ("-o", "no-such-folder/weekly.csv"),
        ("--report", "gone/r.html"),
    ] {
        let out = authwall(args(&["audit", &server.url("/"), flag, file]), dir.path()).await;
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(file), "names the file asked for: {stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(!stderr.contains("journal"), "{stderr}");
    }
    assert!(server.hits().is_empty(), "no request was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_takes_a_duration_like_the_other_options_and_refuses_a_negative_one() {
    let server = Server::start(clean_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for delay in ["10ms", "10", "0.01s"] {
        let out = authwall(
            args(&[
                "audit",
                &server.url("/"),
                "-q",
                "--no-probe",
                "--delay",
                delay,
            ]),
            dir.path(),
        )
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "--delay {delay}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = authwall(
        args(&["audit", &server.url("/"), "--delay", "-5"]),
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot be negative") && !stderr.contains("-- -5"),
        "{stderr}"
    );
}
