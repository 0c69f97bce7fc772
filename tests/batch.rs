//! `authwall batch` and `authwall merge`: several sites on several local ports, audited in one
//! run, each with its own files and baseline, summed up in one overview.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use authwall::Exit;
use authwall::cli::Cli;
use authwall::demo::Server;
use authwall::report::overview::{Overview, SiteState};
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse};
use clap::Parser as _;

/// Fast and strict: these sites answer at once.
const FAST: [&str; 7] = [
    "--delay",
    "0",
    "--timeout",
    "2s",
    "--retries",
    "0",
    "--no-probe",
];

/// A small site: a home page linking to three pages, one of them walled when `walled`.
fn small_site(walled: Arc<AtomicBool>) -> Router {
    Router::new().fallback(move |uri: Uri| {
        let walled = walled.load(Ordering::SeqCst);
        async move {
            match uri.path() {
                "/" => Html(r#"<a href="/a">a</a> <a href="/b">b</a> <a href="/c">c</a>"#)
                    .into_response(),
                "/b" if walled => (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Basic realm=\"x\"")],
                    "no",
                )
                    .into_response(),
                "/a" | "/b" | "/c" => Html("<p>page</p>").into_response(),
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }
    })
}

/// A site whose pages take 300 ms each and link on and on: stopped by `--max-duration`.
fn slow_site() -> Router {
    Router::new().fallback(|uri: Uri| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let n: u32 = uri.path().trim_start_matches("/p").parse().unwrap_or(0);
        Html(format!(
            r#"<a href="/p{}">next</a> <a href="/p{}">other</a>"#,
            n + 1,
            n + 100
        ))
    })
}

async fn batch(argv: &[&str]) -> Exit {
    let mut all = vec!["authwall", "batch"];
    all.extend(argv);
    authwall::run(Cli::try_parse_from(all).unwrap())
        .await
        .unwrap()
}

fn overview(dir: &Path, name: &str) -> Overview {
    Overview::read(&dir.join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_audits_each_site_alone_and_sums_them_up_in_one_overview() {
    let walled = Server::start(small_site(Arc::new(AtomicBool::new(true))))
        .await
        .unwrap();
    let clean = Server::start(small_site(Arc::new(AtomicBool::new(false))))
        .await
        .unwrap();
    let slow = Server::start(slow_site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The slow site's own time limit comes from its [[site]] table; the rest from `--`.
    let config = dir.path().join("authwall.toml");
    std::fs::write(
        &config,
        format!(
            "[[site]]\nurl = \"{}\"\n\n[[site]]\nurl = \"{}\"\n\n[[site]]\nurl = \"{}\"\nmax-duration = \"1s\"\n\n\
             [[site]]\nurl = \"http://127.0.0.1:1/\"\n\n[[site]]\nurl = \"not a url\"\n",
            walled.url("/"),
            clean.url("/"),
            slow.url("/"),
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut argv = vec![
        "--config",
        config.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--sites-parallel",
        "3",
        "--xlsx",
        "--",
    ];
    argv.extend(FAST);
    let exit = batch(&argv).await;
    assert_eq!(exit, Exit::Findings, "a site has findings at or above high");

    let view = overview(&out, "overview.json");
    assert_eq!(view.sites.len(), 5);
    let line = |site: &str| {
        view.sites
            .iter()
            .find(|l| l.site == site)
            .unwrap_or_else(|| panic!("{site} in {view:#?}"))
    };
    let w = line(&walled.url("/"));
    assert_eq!((w.state, w.critical + w.high), (SiteState::Findings, 1));
    assert_eq!(w.new, None, "a first run has nothing to compare with");
    assert_eq!(line(&clean.url("/")).state, SiteState::Clean);
    let s = line(&slow.url("/"));
    assert_eq!(s.state, SiteState::Incomplete, "{s:?}");
    assert!(s.why.contains("max-duration"), "{}", s.why);
    let down = line("http://127.0.0.1:1/");
    assert_eq!(down.state, SiteState::CouldNotRun);
    assert!(down.why.contains("connection refused"), "{}", down.why);
    assert_eq!(line("not a url").state, SiteState::CouldNotRun);
    // Worst first: findings, could not run, incomplete, clean.
    assert_eq!(view.sites[0].site, walled.url("/"));
    assert_eq!(view.sites[4].site, clean.url("/"));

    // Each site's files, and a baseline only for the complete runs.
    let port = |s: &Server| {
        s.url("/")
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string()
    };
    let site_dir = |s: &Server| out.join(format!("127.0.0.1-{}", port(s)));
    for file in [
        "audit.csv",
        "audit.run.json",
        "audit.findings.csv",
        "report.html",
        "summary.txt",
        "audit.xlsx",
    ] {
        assert!(
            site_dir(&walled).join("latest").join(file).is_file(),
            "{file}"
        );
    }
    assert!(site_dir(&walled).join("baseline/audit.csv").is_file());
    assert!(site_dir(&clean).join("baseline/audit.csv").is_file());
    assert!(
        !site_dir(&slow).join("baseline").exists(),
        "an incomplete run is no baseline"
    );
    assert!(site_dir(&slow).join("latest/audit.csv").is_file());

    // The index links to every report that exists, relative to itself.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for l in &view.sites {
        if let Some(report) = &l.report {
            assert!(out.join(report).is_file(), "{report}");
            assert!(index.contains(&format!("href=\"{report}\"")), "{report}");
        }
    }
    assert!(index.contains("5 sites: 1 with findings, 2 could not run, 1 incomplete"));
    let md = std::fs::read_to_string(out.join("overview.md")).unwrap();
    assert!(md.contains("| could not run: "), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_weekly_batch_says_what_is_new_and_fixed_per_site() {
    let (a_walled, b_walled) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(true)),
    );
    let a = Server::start(small_site(a_walled.clone())).await.unwrap();
    let b = Server::start(small_site(b_walled.clone())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("sites.txt");
    std::fs::write(
        &list,
        format!(
            "# clients\n{}\n\n{}\n{}\n",
            a.url("/"),
            b.url("/"),
            a.url("/")
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut argv = vec![
        list.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--no-config",
        "-q",
        "--",
        "--fail-on-new",
    ];
    argv.extend(FAST);
    // First week: b's 401 is there; with no baseline yet, every finding is news (as for
    // `audit --fail-on-new`), but there is no "since last run" count.
    assert_eq!(batch(&argv).await, Exit::Findings);
    let first = overview(&out, "overview.json");
    assert!(first.sites.iter().all(|l| l.new.is_none()));
    assert_eq!(
        overview(&out, "overview.json").sites.len(),
        2,
        "the repeat is skipped"
    );
    // Second week: a breaks, b is fixed.
    a_walled.store(true, Ordering::SeqCst);
    b_walled.store(false, Ordering::SeqCst);
    assert_eq!(
        batch(&argv).await,
        Exit::Findings,
        "a new finding fails the week"
    );
    let view = overview(&out, "overview.json");
    let line = |s: &Server| view.sites.iter().find(|l| l.site == s.url("/")).unwrap();
    // public_401 and basic_auth_over_http (a Basic challenge over http) on /b.
    assert_eq!((line(&a).new, line(&a).fixed), (Some(2), Some(0)));
    assert_eq!((line(&b).new, line(&b).fixed), (Some(0), Some(2)));
    assert_eq!(line(&a).state, SiteState::Findings);
    assert_eq!(line(&b).state, SiteState::Clean);
    // Third week: nothing changed, so nothing is new: quiet again.
    assert_eq!(batch(&argv).await, Exit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_cover_every_site_once_and_their_merge_equals_one_run() {
    let mut servers = Vec::new();
    for i in 0..6 {
        let walled = Arc::new(AtomicBool::new(i % 2 == 0));
        servers.push(Server::start(small_site(walled)).await.unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("sites.txt");
    let urls: Vec<String> = servers.iter().map(|s| s.url("/")).collect();
    std::fs::write(&list, urls.join("\n")).unwrap();
    let run = |out: std::path::PathBuf, shard: Option<String>| {
        let list = list.clone();
        async move {
            let mut argv: Vec<String> = vec![
                list.to_str().unwrap().into(),
                "--out-dir".into(),
                out.to_str().unwrap().into(),
                "--no-config".into(),
                "-q".into(),
            ];
            if let Some(shard) = shard {
                argv.extend(["--shard".into(), shard]);
            }
            argv.push("--".into());
            argv.extend(FAST.iter().map(|s| s.to_string()));
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            batch(&argv).await
        }
    };
    let whole = dir.path().join("whole");
    assert_eq!(run(whole.clone(), None).await, Exit::Findings);
    let sharded = dir.path().join("sharded");
    let mut per_shard = Vec::new();
    for k in 0..3 {
        run(sharded.clone(), Some(format!("{k}/3"))).await;
        let part = overview(&sharded, &format!("overview-shard-{k}-of-3.json"));
        assert_eq!(part.shard, format!("{k}/3"));
        per_shard.extend(part.sites.into_iter().map(|l| l.site));
    }
    per_shard.sort();
    let mut expected = urls.clone();
    expected.sort();
    assert_eq!(per_shard, expected, "every site in exactly one shard");

    let merged_dir = dir.path().join("merged");
    let exit = authwall::run(
        Cli::try_parse_from([
            "authwall",
            "merge",
            sharded.to_str().unwrap(),
            "--out-dir",
            merged_dir.to_str().unwrap(),
            "-q",
        ])
        .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(exit, Exit::Findings);
    let (merged, one) = (
        overview(&merged_dir, "overview.json"),
        overview(&whole, "overview.json"),
    );
    let table = |o: &Overview| -> Vec<String> {
        o.sites
            .iter()
            .map(|l| {
                format!(
                    "{} {:?} {} {} {}",
                    l.site, l.state, l.critical, l.high, l.why
                )
            })
            .collect()
    };
    assert_eq!(table(&merged), table(&one));
    // The merged index links into the shards' folder.
    for l in &merged.sites {
        let report = l.report.as_ref().unwrap();
        assert!(report.starts_with("../sharded/"), "{report}");
        assert!(merged_dir.join(report).is_file(), "{report}");
    }
}

#[tokio::test]
async fn batch_names_the_files_itself() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("sites.txt");
    std::fs::write(&list, "http://127.0.0.1:1/\n").unwrap();
    let argv = Cli::try_parse_from([
        "authwall",
        "batch",
        list.to_str().unwrap(),
        "--out-dir",
        dir.path().to_str().unwrap(),
        "--",
        "-o",
        "x.csv",
    ])
    .unwrap();
    let err = authwall::run(argv).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("-o/--output is batch's to choose"),
        "{err:#}"
    );
}

/// Every `authwall …` command line in a YAML document: strings that start a command, and
/// command arrays (`["authwall", "merge", "/audits"]`).
fn commands_in(yaml: &yaml_rust2::Yaml, found: &mut Vec<String>) {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::String(s) => {
            for (i, _) in s.match_indices("authwall ") {
                let rest = &s[i..];
                let end = ["||", ";", "&&", "\n"]
                    .iter()
                    .filter_map(|t| rest.find(t))
                    .min()
                    .unwrap_or(rest.len());
                let command = rest[..end].trim();
                if command.starts_with("authwall batch") || command.starts_with("authwall merge") {
                    found.push(command.to_string());
                }
            }
        }
        Yaml::Array(items) => {
            let words: Vec<&str> = items.iter().filter_map(Yaml::as_str).collect();
            if words.len() == items.len() && words.first() == Some(&"authwall") {
                found.push(words.join(" "));
            } else {
                items.iter().for_each(|i| commands_in(i, found));
            }
        }
        Yaml::Hash(map) => map.values().for_each(|v| commands_in(v, found)),
        _ => {}
    }
}

#[test]
fn the_scheduler_examples_run_batch_and_merge_with_flags_that_exist() {
    for file in ["kubernetes-batch.yaml", "github-actions-batch.yml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        let mut found = Vec::new();
        docs.iter().for_each(|d| commands_in(d, &mut found));
        assert!(
            found.iter().any(|c| c.starts_with("authwall batch")),
            "{file}: {found:?}"
        );
        assert!(
            found.iter().any(|c| c.starts_with("authwall merge")),
            "{file}: {found:?}"
        );
        for command in &found {
            let command = command.replace("${{ matrix.shard }}", "0");
            let argv: Vec<&str> = command.split_whitespace().collect();
            let parsed = Cli::try_parse_from(&argv);
            assert!(parsed.is_ok(), "{file}: {command}: {}", parsed.unwrap_err());
            // The audit options after `--` must be audit's.
            if let Some(at) = argv.iter().position(|a| *a == "--") {
                let mut audit = vec!["authwall", "audit", "https://example.com/"];
                audit.extend(&argv[at + 1..]);
                let parsed = Cli::try_parse_from(&audit);
                assert!(parsed.is_ok(), "{file}: {command}: {}", parsed.unwrap_err());
            }
        }
    }
}
