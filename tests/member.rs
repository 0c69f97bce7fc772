//! The member vs stranger audit against the demo's club, a site area with real sessions: a
//! login form with a CSRF token, a session cookie, a logout link and a "delete my account"
//! GET link; members-only pages that are protected, leak, preview, and a leaking PDF.

use std::process::{Command, Output};

use authwall::audit::Verdict;
use authwall::demo::club::{self, Club};
use authwall::demo::{Server, site, site_with};
use authwall::model::DiscoveredVia;
use authwall::report::row::AuditRow;

use crate::util::{Run, audit_site};

const BIN: &str = env!("CARGO_BIN_EXE_authwall");

/// A cookies.txt as a browser exports it: the club's session, and a cookie of another site.
fn cookie_file(dir: &std::path::Path, server: &Server) -> std::path::PathBuf {
    let path = dir.join("cookies.txt");
    let lines = format!(
        "# Netscape HTTP Cookie File\n\
         {ip}\tFALSE\t/\tFALSE\t0\t{name}\t{value}\n\
         .other.example\tTRUE\t/\tFALSE\t0\ttheirs\tother-site-s3ssion\n\
         {ip}\tFALSE\t/\tFALSE\t1000\told\texpired-s3ssion\n",
        ip = server.addr.ip(),
        name = club::COOKIE,
        value = club::DEMO_COOKIE,
    );
    std::fs::write(&path, lines).unwrap();
    path
}

/// The row's first finding, as the CSV names it ("" for none).
fn finding(row: &AuditRow) -> &str {
    row.finding.split(';').next().unwrap_or_default().trim()
}

/// `authwall audit` as a process, with the member's secrets in its environment.
async fn authwall(
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    dir: &std::path::Path,
) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .envs(env)
            .current_dir(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `authwall audit` of `server` with fast test settings, writing `club.csv`, plus `extra`.
fn audit_args(server: &Server, extra: &[&str]) -> Vec<String> {
    audit_args_for(&server.url("/"), extra)
}

/// The same for the site at `url`.
fn audit_args_for(url: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = vec!["audit", url, "-o", "club.csv"];
    for (flag, value) in [("--delay", "0"), ("--timeout", "1s"), ("--retries", "0")] {
        // The caller's own value wins.
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend(extra);
    args.iter().map(|s| s.to_string()).collect()
}

fn login_args(server: &Server, password_env: &str) -> Vec<String> {
    audit_args(
        server,
        &[
            "--report",
            "club.html",
            "--login-url",
            "/club/login",
            "--login-user-env",
            "CLUB_USER",
            "--login-password-env",
            password_env,
            "--allow-login-over-http",
        ],
    )
}

/// `authwall audit` of `server` with the club's form login and `password`, plus `extra`.
async fn login_run(server: &Server, password: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = login_args(server, "CLUB_PASSWORD");
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = authwall(args, member_env(password), dir.path()).await;
    (out, dir)
}

/// The member's user name and `password`, as the login flags read them.
fn member_env(password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CLUB_USER", club::USER.to_string()),
        ("CLUB_PASSWORD", password.to_string()),
    ]
}

/// The row of `path` in the `club.csv` a run wrote in `dir`.
fn club_row(dir: &std::path::Path, path: &str) -> AuditRow {
    let rows = authwall::report::format::read_rows(&dir.join("club.csv")).unwrap();
    rows.into_iter()
        .find(|r| r.url.ends_with(path))
        .unwrap_or_else(|| panic!("no row for {path}"))
}

/// The session the site set, as the member crawl sent it.
fn sent_session(server: &Server) -> String {
    server
        .hits()
        .iter()
        .find_map(|h| {
            h.cookie
                .split("; ")
                .find_map(|c| c.strip_prefix("club_session="))
                .map(String::from)
        })
        .expect("the member crawl sent the session")
}

fn hits_of(server: &Server, path: &str) -> usize {
    server.hits().iter().filter(|h| h.target == path).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_only_pages_are_asked_anonymously_and_compared() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cookies = cookie_file(dir.path(), &server);
    let run: Run = audit_site(
        &server,
        "/",
        &["--member-cookies", cookies.to_str().unwrap()],
    )
    .await;

    // The page that never checks the session, the short profile page with the member's name,
    // and the PDF: served to anyone.
    for path in ["/club/prices", "/club/profile", "/club/reports/q3.pdf"] {
        let row = run.row(path);
        assert_eq!(finding(row), "member_content_leak", "{path}: {row:?}");
        assert_eq!(row.discovered_via, DiscoveredVia::Member, "{path}");
        assert_eq!(row.status, Some(200));
    }
    assert!(
        run.row("/club/prices").note.contains("100%"),
        "the note says how much"
    );
    // Protected: the stranger is sent to the login page.
    let minutes = run.row("/club/minutes");
    assert_eq!(minutes.status, Some(302));
    assert_eq!(finding(minutes), "", "{minutes:?}");
    assert_eq!(minutes.verdict, Some(Verdict::Protected));
    // A teaser with a sign-in link: the preview that is good for search.
    let story = run.row("/club/story");
    assert_eq!(finding(story), "", "{story:?}");
    assert_eq!(story.verdict, Some(Verdict::Preview), "{story:?}");
    // Half of the member's text, and no sign-in prompt: partly served to anyone.
    let newsletter = run.row("/club/newsletter");
    assert_eq!(finding(newsletter), "member_partial_leak", "{newsletter:?}");
    // The CSV shows what a stranger sees; the member's title stays out.
    assert!(
        !run.rows
            .iter()
            .any(|r| r.title.contains("Welcome back") || r.title.contains("Ann's club home"))
    );

    // A signed link answers anyone by design: known, not a leak, and its signature unwritten.
    let signed = run
        .rows
        .iter()
        .find(|r| r.url.contains("/club/download"))
        .expect("the signed link's row");
    assert_eq!(finding(signed), "capability_url", "{signed:?}");
    assert!(
        signed.url.contains("sig=…") && !signed.url.contains("9f2c1e7ab3d4"),
        "{}",
        signed.url
    );
    let csv_text = std::fs::read_to_string(&run.csv).unwrap();
    assert!(!csv_text.contains("9f2c1e7ab3d4"));
    // The member's titles stay out of the notes unless asked for.
    assert!(
        !run.rows
            .iter()
            .any(|r| r.note.contains("the member's page"))
    );

    // Actions are never asked, by either crawl.
    assert_eq!(hits_of(&server, "/club/logout"), 0);
    assert_eq!(hits_of(&server, "/club/account/delete"), 0);
    // Every member request carried the session and nothing else of the file; no anonymous
    // request carried any cookie: the requests with one are exactly the member crawl's.
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.csv.with_extension("run.json")).unwrap())
            .unwrap();
    let member_requests = record["member"]["requests"].as_u64().unwrap();
    let with_cookie: Vec<_> = server
        .hits()
        .into_iter()
        .filter(|h| !h.cookie.is_empty())
        .collect();
    assert_eq!(
        with_cookie.len() as u64,
        member_requests,
        "{with_cookie:#?}"
    );
    assert!(
        with_cookie
            .iter()
            .all(|h| h.cookie == format!("{}={}", club::COOKIE, club::DEMO_COOKIE))
    );
    assert!(
        record["member"]["members_only"].as_u64().unwrap() >= 5,
        "{record}"
    );
    // The session's value is in no output.
    for file in [run.csv.clone(), run.csv.with_extension("run.json")] {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains(club::DEMO_COOKIE), "{}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_member_session_a_members_only_page_is_never_asked() {
    let server = Server::start(site()).await.unwrap();
    let run = audit_site(&server, "/", &[]).await;
    assert!(!run.has_row("/club/prices"), "only a member reaches it");
    assert!(!server.hits().iter().any(|h| !h.cookie.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_login_is_posted_once_and_its_secrets_are_in_no_output() {
    let server = Server::start(site()).await.unwrap();
    let (out, dir) = login_run(&server, club::PASSWORD, &[]).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(1), "critical leaks: {stderr}");
    assert!(stdout.contains("member_content_leak"), "{stdout}");
    let posts: Vec<_> = server
        .hits()
        .into_iter()
        .filter(|h| h.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "the login is sent once: {posts:?}");
    assert_eq!(posts[0].target, "/club/login");
    assert_eq!(hits_of(&server, "/club/logout"), 0);
    assert_eq!(hits_of(&server, "/club/account/delete"), 0);
    // The session the site set, as the member crawl sent it.
    let session = sent_session(&server);
    let report = std::fs::read_to_string(dir.path().join("club.html")).unwrap();
    assert!(
        report.contains("As a member"),
        "the report says what the member crawl did"
    );
    let prices = club_row(dir.path(), "/club/prices");
    assert_eq!(finding(&prices), "member_content_leak");
    for (name, text) in [
        (
            "csv",
            std::fs::read_to_string(dir.path().join("club.csv")).unwrap(),
        ),
        (
            "run record",
            std::fs::read_to_string(dir.path().join("club.run.json")).unwrap(),
        ),
        (
            "report",
            std::fs::read_to_string(dir.path().join("club.html")).unwrap(),
        ),
        ("stdout", stdout.clone()),
        ("stderr", stderr.clone()),
    ] {
        assert!(
            !text.contains(club::PASSWORD),
            "the password leaked into the {name}"
        );
        assert!(
            !text.contains(&session),
            "the session cookie leaked into the {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_stops_before_the_crawl_with_exit_2() {
    let server = Server::start(site()).await.unwrap();
    let (out, dir) = login_run(&server, "not-the-password", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("login") && stderr.contains("failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password"));
    let targets: Vec<String> = server
        .hits()
        .into_iter()
        .map(|h| format!("{} {}", h.method, h.target))
        .collect();
    assert_eq!(
        targets,
        ["GET /club/login", "POST /club/login"],
        "nothing crawled"
    );
    assert!(
        !dir.path().join("club.csv").exists(),
        "no CSV for a run that did not start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_mid_crawl_is_reported_and_its_pages_not_trusted() {
    // Each session ends after a few requests: the member crawl meets the login page.
    let server = Server::start(site_with(Club::expiring(3))).await.unwrap();
    let (out, dir) = login_run(&server, club::PASSWORD, &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the session ended during the member crawl"),
        "{stdout}"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("club.run.json")).unwrap())
            .unwrap();
    assert_eq!(record["complete"], false);
    assert!(
        record["member"]["expired"]
            .as_str()
            .unwrap()
            .contains("/club/"),
        "{record}"
    );
    assert!(
        record["member"]["not_checked"].as_u64().unwrap() > 0,
        "{record}"
    );
    let reasons = record["incomplete_reasons"].to_string();
    assert!(reasons.contains("member session ended"), "{reasons}");
    // What the member saw after the session ended (a teaser) is not taken for the member's.
    let rows = authwall::report::format::read_rows(&dir.path().join("club.csv")).unwrap();
    assert!(
        !rows
            .iter()
            .any(|r| r.url.ends_with("/club/story") && !r.finding.is_empty()),
        "a teaser compared with itself is no leak"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_header_from_the_environment_opens_the_club_and_titles_show_when_asked() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let header = format!("Cookie: {}={}", club::COOKIE, club::DEMO_COOKIE);
    let args = audit_args(
        &server,
        &[
            "--member-header-env",
            "CLUB_HEADER",
            "--member-titles",
            "--member-exclude",
            "/club/story",
        ],
    );
    let out = authwall(args, vec![("CLUB_HEADER", header)], dir.path()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(club::DEMO_COOKIE), "{stdout}");
    let prices = club_row(dir.path(), "/club/prices");
    assert_eq!(finding(&prices), "member_content_leak");
    assert!(
        prices.note.contains("the member's page: \"Member prices\""),
        "{}",
        prices.note
    );
    // --member-exclude: the member crawl never asked it, so nobody compared it.
    assert_eq!(hits_of(&server, "/club/story"), 0);
    let record = std::fs::read_to_string(dir.path().join("club.run.json")).unwrap();
    assert!(
        record.contains("Cookie header from $CLUB_HEADER"),
        "{record}"
    );
    assert!(!record.contains(club::DEMO_COOKIE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_file_without_a_cookie_for_the_site_is_an_error_before_any_request() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cookies.txt"),
        ".other.example\tTRUE\t/\tFALSE\t0\ttheirs\tother-site-s3ssion\nnot a cookie line\n",
    )
    .unwrap();
    let args = audit_args(&server, &["--member-cookies", "cookies.txt"]);
    let out = authwall(args, Vec::new(), dir.path()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds no cookie for 127.0.0.1"), "{stderr}");
    assert!(!stderr.contains("other-site-s3ssion"));
    assert!(server.hits().is_empty(), "nothing asked");
}

/// The venv `.ci/run` installs Django into, or None (and a note) where it is missing and this
/// is not CI.
fn django_python() -> Option<std::path::PathBuf> {
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/django-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but Django is missing: .ci/run must install it"
    );
    eprintln!(
        "skipped: no Django venv (python3 -m venv target/django-venv && target/django-venv/bin/pip install django)"
    );
    None
}

/// A real Django site (tests/data/django/app.py) on a free port, stopped when dropped.
struct Django {
    child: std::process::Child,
    port: u16,
}

impl Django {
    fn start(python: &std::path::Path) -> Django {
        use std::io::BufRead as _;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/django");
        let mut child = Command::new(python)
            .arg("app.py")
            .arg(port.to_string())
            .env("CLUB_PASSWORD", club::PASSWORD)
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the Django app did not start");
        Django { child, port }
    }
}

impl Drop for Django {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_django_site_logs_the_member_in_with_its_csrf_token_and_its_leaks_are_found() {
    let Some(python) = django_python() else {
        return;
    };
    let django = tokio::task::spawn_blocking(move || Django::start(&python))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/", django.port);
    // Django hashes the password on purpose slowly: the login takes its time.
    let login = [
        "--timeout",
        "10s",
        "--login-url",
        "/accounts/login/",
        "--login-user-env",
        "CLUB_USER",
        "--login-password-env",
        "CLUB_PASSWORD",
        "--allow-login-over-http",
    ];
    let out = authwall(
        audit_args_for(&url, &login),
        member_env(club::PASSWORD),
        dir.path(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = authwall::report::format::read_rows(&dir.path().join("club.csv")).unwrap();
    let row = |path: &str| {
        rows.iter()
            .find(|r| r.url == format!("http://127.0.0.1:{}{path}", django.port))
            .unwrap_or_else(|| panic!("no row for {path}: {stdout}"))
    };
    for leak in ["/members/prices/", "/members/report.pdf"] {
        assert_eq!(
            finding(row(leak)),
            "member_content_leak",
            "{leak}: {:?}",
            row(leak)
        );
        assert_eq!(row(leak).discovered_via, DiscoveredVia::Member);
    }
    for walled in ["/members/", "/members/minutes/"] {
        assert_eq!(
            row(walled).verdict,
            Some(Verdict::Protected),
            "{walled}: {:?}",
            row(walled)
        );
        assert_eq!(finding(row(walled)), "");
    }
    let record = std::fs::read_to_string(dir.path().join("club.run.json")).unwrap();
    assert!(record.contains("\"expired\": null"), "{record}");
    // The member's home links the GET that deletes the account: the member crawl never asked
    // it, so the account still logs in (a deleted one would stop the next run with exit 2).
    let args = audit_args_for(&url, &[&login[..], &["--max-pages", "1"]].concat());
    let again = authwall(args, member_env(club::PASSWORD), dir.path()).await;
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_ne!(again.status.code(), Some(2), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_goes_only_to_the_audited_origin_and_over_https_unless_allowed() {
    // Over plain http without --allow-login-over-http: refused before any request.
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut args = login_args(&server, "CLUB_PASSWORD");
    args.retain(|a| a != "--allow-login-over-http");
    let out = authwall(args, member_env(club::PASSWORD), dir.path()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-login-over-http"), "{stderr}");
    assert!(server.hits().is_empty());

    // A login form whose action is another origin: the password is never sent.
    let thief = Server::start(axum::Router::new()).await.unwrap();
    let action = thief.url("/steal");
    let form = format!(
        r#"<form method=post action="{action}"><input name=user><input type=password name=pw></form>"#
    );
    let phishy = axum::Router::new().route(
        "/club/login",
        axum::routing::get(move || async move { axum::response::Html(form) }),
    );
    let server = Server::start(phishy).await.unwrap();
    let out = authwall(
        login_args(&server, "CLUB_PASSWORD"),
        member_env(club::PASSWORD),
        dir.path(),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("outside the audited site"), "{stderr}");
    assert!(thief.hits().is_empty(), "nothing sent to the other origin");
    assert!(!server.hits().iter().any(|h| h.method == "POST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_only_pages_are_asked_again_after_the_anonymous_page_budget_is_spent() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cookies = cookie_file(dir.path(), &server);
    let cookies = cookies.to_str().unwrap();
    let budget = ["--max-pages", "3", "--member-max-pages", "60"];
    let run = audit_site(
        &server,
        "/",
        &[&budget[..], &["--member-cookies", cookies]].concat(),
    )
    .await;
    // The member crawl has its own budget; its findings are not cut by the stranger's.
    let prices = run.row("/club/prices");
    assert_eq!(finding(prices), "member_content_leak", "{prices:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_session_is_checked_on_a_page_that_shows_a_logout_link() {
    // No --member-check: the club's home page, which links "Log out", tells when the session
    // from the cookie file has ended.
    let server = Server::start(site_with(Club::expiring(4))).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cookies = cookie_file(dir.path(), &server);
    let run = audit_site(
        &server,
        "/",
        &["--member-cookies", cookies.to_str().unwrap()],
    )
    .await;
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.csv.with_extension("run.json")).unwrap())
            .unwrap();
    let expired = record["member"]["expired"].as_str().unwrap_or_default();
    assert!(expired.contains("/club/"), "{record}");
    assert!(!run.result.incomplete.is_empty());
    // What the member fetched after the session ended is nobody's leak.
    assert!(
        !run.rows.iter().any(|r| r.finding.contains("member_")),
        "{:#?}",
        run.rows
            .iter()
            .filter(|r| !r.finding.is_empty())
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_member_audit_leaves_a_journal_without_secrets_or_member_text() {
    // --max-duration stops the run (the demo's slow page outlasts it): the journal stays.
    let server = Server::start(site()).await.unwrap();
    let (out, dir) = login_run(&server, club::PASSWORD, &["--max-duration", "1s"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let journal = dir.path().join("club.csv.journal");
    let text = std::fs::read_to_string(&journal).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert!(text.lines().count() > 1, "answers were journaled");
    let session = sent_session(&server);
    assert!(!text.contains(club::PASSWORD) && !text.contains(&session));
    // The member's titles and text stay out of it too.
    assert!(!text.contains("Welcome back") && !text.contains("Ann's club home"));
    assert!(!text.contains("walnut desk"));
}
