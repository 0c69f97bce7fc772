//! Shared helpers: run an audit in-process against a local server and read its CSV back.

use std::path::PathBuf;

use authwall::cli::{Cli, Command};
use authwall::config::Config;
use authwall::demo::Server;
use authwall::model::StopCause;
use authwall::progress::Progress;
use authwall::report::row::AuditRow;
use authwall::{AuditResult, audit};
use clap::Parser;

pub struct Run {
    pub rows: Vec<AuditRow>,
    pub result: AuditResult,
    /// The CSV file the audit wrote.
    #[allow(dead_code, reason = "not every test reads the file itself")]
    pub csv: PathBuf,
    /// `http://127.0.0.1:PORT` of the audited server.
    pub origin: String,
    _dir: tempfile::TempDir,
}

impl Run {
    /// The row of `url` (a full URL, or a path on the audited server); panics with the URLs seen.
    pub fn row(&self, url: &str) -> &AuditRow {
        self.rows
            .iter()
            .find(|r| r.url == url || r.url == format!("{}{url}", self.origin))
            .unwrap_or_else(|| {
                let urls: Vec<&str> = self.rows.iter().map(|r| r.url.as_str()).collect();
                panic!("no row for {url}; rows: {urls:#?}")
            })
    }

    pub fn has_row(&self, url: &str) -> bool {
        let full = format!("{}{url}", self.origin);
        self.rows.iter().any(|r| r.url == url || r.url == full)
    }
}

/// Audit `path` on `server` with fast test settings (no delay, short timeout, no retries)
/// plus `extra` arguments, which win.
pub async fn audit_site(server: &Server, path: &str, extra: &[&str]) -> Run {
    audit_url(&server.url(path), extra).await
}

/// Audit `url` with the fast test settings plus `extra` arguments.
pub async fn audit_url(url: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("audit.csv");
    let url = url.to_string();
    let mut argv: Vec<String> = ["authwall", "audit", &url, "-o", csv.to_str().unwrap()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (flag, value) in [
        ("--delay", "0"),
        ("--timeout", "1s"),
        ("--retries", "0"),
        ("--backoff", "50ms"),
    ] {
        if !extra.contains(&flag) {
            argv.push(flag.into());
            argv.push(value.into());
        }
    }
    argv.extend(extra.iter().map(|s| s.to_string()));
    let Command::Audit(args) = Cli::try_parse_from(&argv).unwrap().command else {
        unreachable!()
    };
    let config = Config::from_args(&args).unwrap();
    let result = audit(
        &config,
        Progress::hidden(),
        std::future::pending::<StopCause>(),
    )
    .await
    .unwrap();
    let rows = authwall::report::format::read_rows(&csv).unwrap();
    Run {
        rows,
        result,
        csv,
        origin: url::Url::parse(&url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default(),
        _dir: dir,
    }
}

/// Paths requested from `server`, in order.
pub fn requested(server: &Server) -> Vec<String> {
    server.hits().into_iter().map(|h| h.target).collect()
}

/// Debian's Chromium, or None (and a note) where it is not installed and this is not CI.
pub fn chromium() -> Option<PathBuf> {
    const CHROMIUM: &str = "/usr/bin/chromium";
    if std::path::Path::new(CHROMIUM).exists() {
        return Some(PathBuf::from(CHROMIUM));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but Chromium is missing: .ci/run must install it"
    );
    eprintln!("skipped: Chromium not installed (apt-get install chromium)");
    None
}
