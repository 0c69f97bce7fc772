//! Weekly use: comparison with the previous run (`--baseline`, `diff`), alert once per problem.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use authwall::Exit;
use authwall::demo::Server;
use authwall::report::row::AuditRow;
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse};
use clap::Parser as _;

use crate::util::audit_site;

/// A site that can change between runs: when `broken`, the six product pages answer 401 and
/// the members page is fixed (it answers 401 until then).
fn changing_site(broken: Arc<AtomicBool>) -> Router {
    Router::new().fallback(move |uri: Uri| {
        let broken = broken.load(Ordering::SeqCst);
        async move {
            let walled = || {
                (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Basic realm=\"x\"")],
                    "no",
                )
                    .into_response()
            };
            match uri.path() {
                "/" => Html(
                    (1..=6)
                        .map(|i| format!(r#"<a href="/product/{i}">p</a>"#))
                        .collect::<String>()
                        + r#"<a href="/members">m</a>"#,
                )
                .into_response(),
                "/members" if !broken => walled(),
                p if p.starts_with("/product/") && broken => walled(),
                "/robots.txt" => (StatusCode::NOT_FOUND, "").into_response(),
                _ => Html("page").into_response(),
            }
        }
    })
}

fn change_of<'a>(rows: &'a [AuditRow], path: &str) -> &'a str {
    rows.iter()
        .find(|r| r.url.ends_with(path))
        .map(|r| r.change.as_str())
        .unwrap_or_else(|| panic!("no row for {path}"))
}

fn copy_run(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    std::fs::copy(
        from.with_extension("run.json"),
        to.with_extension("run.json"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_weekly_run_has_no_baseline_yet_and_everything_is_new() {
    let broken = Arc::new(AtomicBool::new(false));
    let server = Server::start(changing_site(broken)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let last = dir.path().join("last.csv");
    let run = audit_site(
        &server,
        "/",
        &["--baseline", last.to_str().unwrap(), "--fail-on-new"],
    )
    .await;
    assert!(
        run.result.summary.contains("first run"),
        "{}",
        run.result.summary
    );
    assert_eq!(
        change_of(&run.rows, "/members"),
        "new;new",
        "public_401;basic_auth_over_http"
    );
    assert_eq!(
        run.result.exit,
        Exit::Findings,
        "a new high finding on the first run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_run_alerts_once_per_problem_and_lists_what_changed() {
    let broken = Arc::new(AtomicBool::new(false));
    let server = Server::start(changing_site(broken.clone())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let last = dir.path().join("last.csv");

    let week1 = audit_site(&server, "/", &[]).await;
    copy_run(&week1.csv, &last);
    // Week 2: nothing changed. The finding is still there, and --fail-on-new stays quiet.
    let week2 = audit_site(
        &server,
        "/",
        &["--baseline", last.to_str().unwrap(), "--fail-on-new"],
    )
    .await;
    assert_eq!(change_of(&week2.rows, "/members"), "still;still");
    assert_eq!(week2.result.exit, Exit::Clean, "{}", week2.result.summary);
    // Without --fail-on-new the standing finding still fails the run.
    let plain = audit_site(&server, "/", &["--baseline", last.to_str().unwrap()]).await;
    assert_eq!(plain.result.exit, Exit::Findings);

    // Week 3: the products get walled, the members page is fixed.
    broken.store(true, Ordering::SeqCst);
    let week3 = audit_site(
        &server,
        "/",
        &["--baseline", last.to_str().unwrap(), "--fail-on-new"],
    )
    .await;
    assert_eq!(change_of(&week3.rows, "/product/1"), "new;new");
    assert_eq!(
        change_of(&week3.rows, "/members"),
        "",
        "fixed: no finding left on the row"
    );
    let summary = &week3.result.summary;
    assert!(summary.contains("Since last run"), "{summary}");
    assert!(summary.contains("fixed"), "{summary}");
    assert!(summary.contains("200 → 401"), "{summary}");
    assert_eq!(week3.result.exit, Exit::Findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_of_new_401s_is_a_spike() {
    let broken = Arc::new(AtomicBool::new(false));
    let server = Server::start(changing_site(broken.clone())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let last = dir.path().join("last.csv");
    let week1 = audit_site(&server, "/", &[]).await;
    copy_run(&week1.csv, &last);
    broken.store(true, Ordering::SeqCst);
    let week2 = audit_site(
        &server,
        "/",
        &[
            "--baseline",
            last.to_str().unwrap(),
            "--fail-on-spike",
            "50",
            "--fail-on",
            "critical",
        ],
    )
    .await;
    assert!(
        week2.result.summary.contains("401 spike"),
        "{}",
        week2.result.summary
    );
    assert_eq!(
        week2.result.exit,
        Exit::Findings,
        "the spike alone fails the run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_or_unknown_baseline_is_refused() {
    let broken = Arc::new(AtomicBool::new(false));
    let server = Server::start(changing_site(broken)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let partial = audit_site(&server, "/", &["--max-pages", "1"]).await;
    assert!(
        !partial.result.incomplete.is_empty(),
        "--max-pages 1 leaves the run incomplete"
    );
    let last = dir.path().join("partial.csv");
    copy_run(&partial.csv, &last);
    let config = config_for(&server, &["--baseline", last.to_str().unwrap()]);
    let err = authwall::audit(
        &config,
        authwall::progress::Progress::hidden(),
        std::future::pending(),
    )
    .await
    .err()
    .expect("an incomplete baseline is refused");
    assert!(err.to_string().contains("incomplete run"), "{err:#}");

    let bare = dir.path().join("bare.csv");
    std::fs::copy(&partial.csv, &bare).unwrap();
    let config = config_for(&server, &["--baseline", bare.to_str().unwrap()]);
    let err = authwall::audit(
        &config,
        authwall::progress::Progress::hidden(),
        std::future::pending(),
    )
    .await
    .err()
    .expect("a baseline without its run record is refused");
    assert!(err.to_string().contains("run record"), "{err:#}");
}

#[test]
fn a_later_schema_is_read_as_far_as_known_and_an_earlier_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.csv");
    let header = authwall::report::row::header();
    let row = |schema: u32, verdict: &str| {
        let schema = schema.to_string();
        let cells: Vec<&str> = header
            .split(',')
            .map(|column| match column {
                "url" => "https://a/",
                "verdict" => verdict,
                "depth" | "inlinks" | "retries" => "0",
                "in_sitemap" => "false",
                "schema" => schema.as_str(),
                _ => "",
            })
            .collect();
        cells.join(",")
    };
    // A later version: a column added at the end, a value this version does not know.
    let later = format!(
        "{header},future_column\n{},Hello\n{},\n",
        row(9, "ok"),
        row(9, "a_verdict_of_schema_9")
    );
    std::fs::write(&file, later).unwrap();
    let rows = authwall::report::format::read_rows(&file).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].verdict, Some(authwall::audit::Verdict::Ok));
    assert_eq!(rows[1].verdict, None, "an unknown value reads as empty");
    assert!(rows.iter().all(|r| r.url == "https://a/" && r.schema == 9));
    // An earlier one says what to do.
    std::fs::write(&file, format!("{header}\n{}\n", row(2, "ok"))).unwrap();
    let err = authwall::report::format::read_rows(&file)
        .unwrap_err()
        .to_string();
    assert!(err.contains("schema 2") && err.contains("re-run"), "{err}");
    std::fs::write(&file, "url,status\nhttps://a/,200\n").unwrap();
    let err = authwall::report::format::read_rows(&file)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an authwall CSV"), "{err}");
}

/// Weekly users upgrade between two runs: every earlier version's CSV stays a baseline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baselines_from_earlier_schemas_still_work() {
    // What the demo site gained after each fixture was written: new findings on the same site.
    for (schema, gained) in [("schema3", &["/billing"][..]), ("schema4", &[][..])] {
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(schema);
        let dir = tempfile::tempdir().unwrap();
        for name in ["demo.csv", "demo.run.json"] {
            std::fs::copy(data.join(name), dir.path().join(name)).unwrap();
        }
        let baseline = dir.path().join("demo.csv");
        let server = Server::start(authwall::demo::site()).await.unwrap();
        let run = audit_site(&server, "/", &["--baseline", baseline.to_str().unwrap()]).await;
        let text = &run.result.summary;
        assert!(text.contains("Since last run"), "{schema}: {text}");
        // The same site on another port, judged by newer rules: nothing it found is fixed or
        // gone unchecked (what newer rules judge differently is `reclassified`).
        assert!(text.contains(" 0 fixed · "), "{schema}: {text}");
        assert!(text.contains(" 0 not rechecked · "), "{schema}: {text}");
        let new: Vec<&str> = run
            .rows
            .iter()
            .filter(|r| r.change.contains("new"))
            .map(|r| r.url.trim_start_matches(&run.origin))
            .collect();
        assert_eq!(new, gained, "{schema}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_compares_two_runs_offline_even_across_ports() {
    let broken = Arc::new(AtomicBool::new(false));
    let first = Server::start(changing_site(broken.clone())).await.unwrap();
    let second = Server::start(changing_site(broken.clone())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.csv"), dir.path().join("new.csv"));
    copy_run(&audit_site(&first, "/", &[]).await.csv, &old);
    copy_run(&audit_site(&second, "/", &[]).await.csv, &new);
    let diff = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_authwall"))
            .arg("diff")
            .args(args)
            .output()
            .unwrap()
    };
    let out = diff(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "same site on another port: nothing new\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    broken.store(true, Ordering::SeqCst);
    copy_run(&audit_site(&second, "/", &[]).await.csv, &new);
    let out = diff(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("public_401"));
    let out = diff(&[old.to_str().unwrap(), "/nonexistent.csv"]);
    assert_eq!(out.status.code(), Some(2));
}

fn config_for(server: &Server, extra: &[&str]) -> authwall::config::Config {
    let url = server.url("/");
    let mut argv = vec![
        "authwall",
        "audit",
        url.as_str(),
        "--delay",
        "0",
        "-o",
        "/dev/null",
    ];
    argv.extend_from_slice(extra);
    let authwall::cli::Command::Audit(args) =
        <authwall::cli::Cli as clap::Parser>::try_parse_from(argv)
            .unwrap()
            .command
    else {
        unreachable!()
    };
    authwall::config::Config::from_args(&args).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audits_of_two_different_sites_are_not_compared_unless_asked() {
    let server = Server::start(authwall::demo::site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.csv"), dir.path().join("new.csv"));
    // The same server under two host names: to authwall, two sites.
    copy_run(&audit_site(&server, "/", &[]).await.csv, &old);
    let other = format!("http://localhost:{}/", server.addr.port());
    copy_run(&crate::util::audit_url(&other, &[]).await.csv, &new);
    let diff = authwall::cli::Cli::try_parse_from([
        "authwall",
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ])
    .unwrap();
    let err = authwall::commands::run(diff).await.unwrap_err().to_string();
    assert!(
        err.contains("different sites") && err.contains("old.csv"),
        "{err}"
    );
    assert!(err.contains("--allow-other-site"), "{err}");
    let allowed = authwall::cli::Cli::try_parse_from([
        "authwall",
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--allow-other-site",
    ])
    .unwrap();
    assert!(authwall::commands::run(allowed).await.is_ok());
    // A CSV that is not authwall's says so, whatever else is missing beside it.
    let foreign = dir.path().join("export.csv");
    std::fs::write(&foreign, "name,visits\nhome,3\n").unwrap();
    let diff = authwall::cli::Cli::try_parse_from([
        "authwall",
        "diff",
        foreign.to_str().unwrap(),
        new.to_str().unwrap(),
    ])
    .unwrap();
    let err = format!("{:#}", authwall::commands::run(diff).await.unwrap_err());
    assert!(err.contains("export.csv is not an authwall CSV"), "{err}");
    // As a baseline, before any request.
    let before = server.hits().len();
    let argv = [
        "authwall",
        "audit",
        &other,
        "--baseline",
        old.to_str().unwrap(),
    ];
    let authwall::cli::Command::Audit(args) =
        authwall::cli::Cli::try_parse_from(argv).unwrap().command
    else {
        unreachable!()
    };
    let config = authwall::config::Config::from_args(&args).unwrap();
    let refused = authwall::audit(
        &config,
        authwall::progress::Progress::hidden(),
        std::future::pending::<authwall::model::StopCause>(),
    )
    .await;
    assert!(refused.is_err_and(|e| e.to_string().contains("different sites")));
    assert_eq!(server.hits().len(), before, "no request was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_report_leads_with_what_changed_and_marks_the_new_rows() {
    let broken = Arc::new(AtomicBool::new(false));
    let server = Server::start(changing_site(broken.clone())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let last = dir.path().join("last.csv");
    copy_run(&audit_site(&server, "/", &[]).await.csv, &last);
    broken.store(true, Ordering::SeqCst);
    let html = dir.path().join("week.html");
    audit_site(
        &server,
        "/",
        &[
            "--baseline",
            last.to_str().unwrap(),
            "--report",
            html.to_str().unwrap(),
        ],
    )
    .await;
    let html = std::fs::read_to_string(&html).unwrap();
    // Six products each got public_401 and basic_auth_over_http; /members lost both.
    assert!(
        html.contains("Since last run:</strong> 12 new · 2 fixed · 0 reclassified findings"),
        "counts in the banner"
    );
    let (changes, findings) = (
        html.find("id=\"changes\"").unwrap(),
        html.find("id=\"findings\"").unwrap(),
    );
    assert!(changes < findings, "what changed comes first");
    let public_401 = &html[html.find("id=\"findings-public_401-high\"").unwrap()..];
    let table = &public_401[..public_401.find("</table>").unwrap()];
    assert_eq!(
        table.matches("<span class=\"new\">new</span>").count(),
        6,
        "{table}"
    );
}
