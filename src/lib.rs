//! authwall: a polite crawler that audits a website for SEO-harmful 401s and for private
//! paths that leak.
//!
//! # Architecture
//!
//! Components, in data-flow order:
//!
//! 1. **Config** ([`config`]): the command line, validated (URLs parsed, globs compiled).
//! 2. **Engine** ([`crawl::Engine`]): one coordinator that owns all crawl state.
//!    - seeds: the start URL, robots.txt `Sitemap:` lines (or `/sitemap.xml`), `--sitemap`;
//!    - the gatekeeper ([`crawl::scope`], `Engine::gate`): in scope? trap? budget? Every "no"
//!      is a named skip reason that becomes a row;
//!    - the frontier ([`crawl::frontier`]): each normalised URL once, with depth and referrer;
//!    - robots.txt per origin ([`crawl::robots`], RFC 9309), fetched before anything else;
//!    - the per-host pacer ([`crawl::pacer`]): every request waits for its slot;
//!    - the downloader ([`crawl::fetch`]): one hop per request, retries, body cap;
//!    - the parsers ([`crawl::extract`] for HTML, [`crawl::sitemap`]): new URLs go back to
//!      the frontier; redirect hops become URLs of their own.
//! 3. **Report** ([`report`]): one [`report::row::AuditRow`] per URL, streamed to CSV and
//!    flushed every second; the summary and the run record at the end.
//!
//! `main.rs` only parses the command line, runs [`run`] and maps the result to an exit code.
//!
//! URLs are compared in one normalised form, so each is requested and recorded once:
//!
//! ```
//! use authwall::crawl::urlnorm::parse_http;
//! let url = parse_http("HTTP://Example.COM:80/caf%c3%a9#top").unwrap();
//! assert_eq!(url.as_str(), "http://example.com/caf%C3%A9");
//! ```

pub mod audit;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod crawl;
pub mod demo;
pub mod model;
pub mod progress;
pub mod report;

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context, Result};

use cli::{Cli, Command, RobotsArgs};
use config::Config;
use crawl::{CrawlFacts, Engine, RowSink, StopCause};
use model::SkipReason;
use progress::Progress;
use report::Tally;
use report::csv::{CsvSink, Output};
use report::row::AuditRow;
use report::summary::RunReport;

/// Exit codes: one table, documented in README.md and pinned by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, nothing at or above the fail threshold.
    Clean = 0,
    /// Findings at or above the fail threshold.
    Findings = 1,
    /// The audit could not run (bad arguments, start URL unreachable).
    CouldNotRun = 2,
    /// The run finished but cannot vouch for the site.
    Incomplete = 3,
    /// Stopped by Ctrl-C.
    Interrupted = 130,
    /// Stopped by SIGTERM.
    Terminated = 143,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The result of one audit: what the summary and the tests need.
pub struct AuditResult {
    pub exit: Exit,
    pub summary: String,
    pub tally: Tally,
    pub facts: CrawlFacts,
    pub incomplete: Vec<String>,
}

/// Run a parsed command line to its end.
pub async fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Audit(args) => {
            let config = Config::from_args(&args)?;
            let result = audit(&config, Progress::new(!config.quiet), wait_for_signal()).await?;
            present(&config, &result);
            Ok(result.exit)
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Robots(args) => robots_command(&args).await,
        Command::Diff(args) => diff_command(&args),
        Command::Init(args) => {
            if args.path.exists() && !args.force {
                anyhow::bail!("{} exists; use --force to replace it", args.path.display());
            }
            std::fs::write(&args.path, config_file::starter())
                .with_context(|| format!("cannot write {}", args.path.display()))?;
            println!(
                "wrote {}: edit it, then run `authwall audit`",
                args.path.display()
            );
            Ok(Exit::Clean)
        }
    }
}

/// Print the summary where it belongs: stdout, or stderr when the CSV goes to stdout;
/// nothing at all with `--quiet` when the run ends with exit 0.
pub fn present(config: &Config, result: &AuditResult) {
    if config.quiet && result.exit == Exit::Clean {
        return;
    }
    let text = &result.summary;
    let _ = match config.output {
        Output::Stdout => std::io::stderr().write_all(text.as_bytes()),
        Output::File(_) => std::io::stdout().write_all(text.as_bytes()),
    };
}

/// Crawl the site, stream the CSV, write the run record; stop early when `stop` resolves.
pub async fn audit(
    config: &Config,
    progress: Progress,
    stop: impl Future<Output = StopCause>,
) -> Result<AuditResult> {
    let started = SystemTime::now();
    // Read the baseline first: a refused baseline must stop the run before any request.
    let baseline = config.baseline.as_deref().map(Baseline::load).transpose()?;
    // Likewise the journal to resume from: a refused one must not cost the old CSV.
    let journal_path = match &config.output {
        Output::File(path) if !path.exists() || path.is_file() => {
            Some(crawl::journal::path_for(path))
        }
        _ => None,
    };
    let journal = match (&journal_path, config.resume) {
        (Some(path), true) => {
            let replay = crawl::journal::Replay::open(path, config.start.as_str())?;
            crawl::Journal {
                writer: Some(crawl::journal::Writer::append_to(path)?),
                replay: Some(replay),
            }
        }
        (Some(path), false) => crawl::Journal {
            writer: Some(crawl::journal::Writer::create(path, config.start.as_str())?),
            replay: None,
        },
        (None, true) => anyhow::bail!("--resume needs the CSV written to a file (-o FILE)"),
        (None, false) => crawl::Journal::default(),
    };
    let csv = CsvSink::create(&config.output, config.format)?;
    // Without a final pass (stdout, a device such as /dev/null) the comparison needs the rows
    // as they stream.
    let final_pass = matches!(&config.output, Output::File(path) if path.is_file());
    let mut sink = AuditSink {
        csv,
        tally: Tally::default(),
        progress,
        kept: Vec::new(),
        keep: baseline.is_some() && !final_pass,
    };
    let engine = Engine::new(Arc::new(config.clone()), &mut sink, journal)?;
    let (facts, finished) = engine.run(stop).await?;
    if facts.stopped.is_none()
        && let Some(path) = &journal_path
    {
        // A complete audit has nothing to resume.
        let _ = std::fs::remove_file(path);
    }
    sink.csv.flush()?;
    sink.progress.finish();
    let mut tally = sink.tally;
    let mut rows = sink.kept;

    let csv_path = match &config.output {
        // A device such as /dev/null cannot be read back: no final pass there.
        Output::File(path) if !path.is_file() => None,
        Output::File(path) => {
            // The final pass: inlinks and verdicts with everything the crawl learned. The
            // summary counts the final rows.
            rows = report::csv::read_rows(path)?;
            for row in &mut rows {
                finished.finalize(row);
            }
            Some(path.clone())
        }
        Output::Stdout => None,
    };
    let comparison = baseline
        .as_ref()
        .map(|b| report::diff::compare(&b.rows, &b.origin, &rows, &facts.origin));
    if let Some(path) = &csv_path {
        if let Some(cmp) = &comparison {
            for row in &mut rows {
                row.change = cmp.change_cell(row, &facts.origin);
            }
        }
        tally = Tally::default();
        for row in &rows {
            tally.add(row);
        }
        report::csv::replace(path, config.format, &rows)?;
    }
    drop(rows);
    let incomplete = incomplete_reasons(config, &facts, &tally);
    let first_run = baseline.as_ref().is_some_and(Baseline::first_run);
    // With --fail-on-new only new findings count: a weekly job alerts once per problem.
    let failing = match (&comparison, config.fail_on_new) {
        (Some(cmp), true) => cmp.count(report::diff::Change::New, config.fail_on) as u64,
        _ => tally.at_or_above(config.fail_on),
    };
    let spiked = match (&comparison, config.fail_on_spike) {
        (Some(cmp), Some(pct)) => !first_run && cmp.spiked(pct),
        _ => false,
    };
    let exit = if facts.start_unreachable.is_some() {
        Exit::CouldNotRun
    } else {
        match facts.stopped {
            Some(StopCause::Interrupt) => Exit::Interrupted,
            Some(StopCause::Terminate) => Exit::Terminated,
            // Problems found are worth acting on even when the run is incomplete.
            _ if failing > 0 || spiked => Exit::Findings,
            _ if !incomplete.is_empty() => Exit::Incomplete,
            _ => Exit::Clean,
        }
    };
    let report = RunReport {
        config,
        facts: &facts,
        tally: &tally,
        incomplete: &incomplete,
        csv: csv_path.as_deref(),
        started,
        comparison: comparison.as_ref(),
        first_run,
        spiked,
    };
    let summary = match config.summary {
        cli::SummaryFormat::Text => report.text(),
        cli::SummaryFormat::Markdown => report.markdown(),
    };
    if let Some(path) = &csv_path {
        report::summary::write_record(&report::summary::record_path(path), &report.record())?;
    }
    if let Some(path) = &config.report {
        let change_lines = comparison.as_ref().map(html_changes);
        let html = report::html::render(&report::html::HtmlReport {
            origin: &facts.origin,
            verdict: &report.verdict(),
            exit_code: exit.code(),
            fail_on: config.fail_on,
            generated_at: &humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            rows: &tally.notable,
            tally: &tally,
            changes: change_lines.as_deref(),
            first_run,
            settings: &settings_table(config),
            incomplete: &incomplete,
        });
        std::fs::write(path, html)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(AuditResult {
        exit,
        summary,
        tally,
        facts,
        incomplete,
    })
}

/// The "since last run" lines of the HTML report.
fn html_changes(cmp: &report::diff::Comparison) -> Vec<report::html::ChangeLine> {
    use model::label;
    let findings = cmp.findings.iter().map(|f| report::html::ChangeLine {
        change: label(&f.change).to_string(),
        finding: label(&f.finding).to_string(),
        url: f.url.clone(),
        detail: label(&f.severity).to_string(),
    });
    let status = |s: Option<u16>| s.map_or("no response".to_string(), |s| s.to_string());
    let statuses = cmp.status_changes.iter().map(|c| report::html::ChangeLine {
        change: "status".to_string(),
        finding: String::new(),
        url: c.url.clone(),
        detail: format!("{} → {}", status(c.old), status(c.new)),
    });
    // A huge site may change a lot: the report shows the first lines, the CSV has them all.
    findings
        .chain(statuses)
        .take(report::html::ROW_CAP)
        .collect()
}

/// The settings as (name, value) pairs for the report; secrets are never serialised.
fn settings_table(config: &Config) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(config) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (key, text)
        })
        .collect()
}

/// Why a finished run cannot vouch for the site (empty when it can).
fn incomplete_reasons(config: &Config, facts: &CrawlFacts, tally: &Tally) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(kind) = facts.certificate.as_ref().and_then(|c| c.fault)
        && !config.insecure
    {
        reasons.push(format!(
            "TLS certificate fault on the audited origin ({}); --insecure audits it anyway",
            model::label(&kind)
        ));
    }
    if facts.robots_unavailable {
        reasons.push(
            "robots.txt unavailable (5xx or unreachable), so nothing was crawled".to_string(),
        );
    }
    if facts.stopped == Some(StopCause::MaxDuration) {
        reasons.push(format!(
            "stopped by --max-duration {}",
            humantime::format_duration(config.max_duration.unwrap_or_default())
        ));
    }
    if facts.stopped == Some(StopCause::Refused) {
        reasons.push(format!(
            "the site kept refusing ({} pages in a row answered 403, or 429/503 after every \
             retry); stopped early, the rest is marked `refused` and the refusals `unverified`",
            crawl::REFUSAL_STORM
        ));
    }
    if let Some(n) = tally.skipped.get(&SkipReason::MaxPages) {
        reasons.push(format!(
            "page budget (--max-pages {}) exhausted, {n} URLs not requested",
            config.max_pages
        ));
    }
    if tally.pages_fetched > 0 && tally.unverified * 2 > tally.pages_fetched {
        reasons.push(format!(
            "{} of {} pages unverified (no response, or 429/503 to the end)",
            tally.unverified, tally.pages_fetched
        ));
    }
    reasons
}

struct AuditSink {
    csv: CsvSink,
    tally: Tally,
    progress: Progress,
    kept: Vec<AuditRow>,
    keep: bool,
}

/// `authwall diff OLD NEW`: the baseline comparison without crawling. Exit 0 when nothing
/// new is at or above --fail-on, 1 when something is; unreadable input is an error (exit 2).
fn diff_command(args: &cli::DiffArgs) -> Result<Exit> {
    let threshold: audit::Severity = args
        .fail_on
        .parse()
        .map_err(|e| anyhow::anyhow!("--fail-on {:?}: {e}", args.fail_on))?;
    anyhow::ensure!(args.old.exists(), "{} does not exist", args.old.display());
    let old = Baseline::load(&args.old)?;
    let new_rows = report::csv::read_rows(&args.new)
        .with_context(|| format!("cannot read {}", args.new.display()))?;
    let new_origin = Baseline::origin_of(&args.new, &new_rows);
    let cmp = report::diff::compare(&old.rows, &old.origin, &new_rows, &new_origin);
    let text = match args.summary {
        cli::SummaryFormat::Text => cmp.text(),
        cli::SummaryFormat::Markdown => cmp.markdown(),
    };
    print!("{text}");
    Ok(if cmp.count(report::diff::Change::New, threshold) > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// An earlier run to compare with (`--baseline`).
struct Baseline {
    rows: Vec<AuditRow>,
    origin: String,
}

impl Baseline {
    /// The baseline must be a complete run, as its run record says. No file at all is the
    /// first run of a weekly job: everything is new.
    fn load(path: &std::path::Path) -> Result<Baseline> {
        if !path.exists() {
            return Ok(Baseline {
                rows: Vec::new(),
                origin: String::new(),
            });
        }
        let record_path = report::summary::record_path(path);
        let record: serde_json::Value = std::fs::read_to_string(&record_path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .with_context(|| {
                format!(
                    "baseline {}: its run record {} is missing or unreadable, so nothing says the \
                     run was complete; refusing to compare with it",
                    path.display(),
                    record_path.display()
                )
            })?;
        if record["complete"] != serde_json::Value::Bool(true) {
            let reasons = record["incomplete_reasons"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            anyhow::bail!(
                "baseline {} is from an incomplete run ({}); compare with a complete run",
                path.display(),
                if reasons.is_empty() {
                    "interrupted or could not run"
                } else {
                    &reasons
                }
            );
        }
        let rows = report::csv::read_rows(path)
            .with_context(|| format!("cannot use the baseline {}", path.display()))?;
        let origin = Baseline::origin_of(path, &rows);
        Ok(Baseline { rows, origin })
    }

    /// The audited origin: from the run record, else from the first row.
    fn origin_of(path: &std::path::Path, rows: &[AuditRow]) -> String {
        let record = std::fs::read_to_string(report::summary::record_path(path))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
        if let Some(origin) = record.as_ref().and_then(|r| r["origin"].as_str()) {
            return origin.to_string();
        }
        rows.first()
            .and_then(|r| url::Url::parse(&r.url).ok())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    fn first_run(&self) -> bool {
        self.rows.is_empty()
    }
}

impl RowSink for AuditSink {
    fn row(&mut self, row: &AuditRow) -> Result<()> {
        self.tally.add(row);
        if self.keep {
            self.kept.push(row.clone());
        }
        self.progress.settled(&self.tally);
        self.csv.write(row)
    }

    fn tick(&mut self) -> Result<()> {
        self.csv.flush()
    }

    fn discovered(&mut self, total: usize) {
        self.progress.discovered(total);
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn wait_for_signal() -> StopCause {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return StopCause::Interrupt;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => StopCause::Interrupt,
            _ = term.recv() => StopCause::Terminate,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        StopCause::Interrupt
    }
}

/// `authwall robots`: the crawler's own matcher, one tab-separated line per URL.
async fn robots_command(args: &RobotsArgs) -> Result<Exit> {
    let source = args.robots.trim();
    let body = if source.starts_with("http://") || source.starts_with("https://") {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(&args.user_agent)
            .timeout(std::time::Duration::from_secs(20))
            .build()?;
        let response = client
            .get(source)
            .send()
            .await
            .with_context(|| format!("cannot fetch {source}"))?;
        let status = response.status();
        // The crawler's reading of the status (RFC 9309): 4xx means no restrictions,
        // 5xx (and 429) means everything is disallowed, whatever the body says.
        if status.is_server_error() || status.as_u16() == 429 {
            eprintln!("note: {source} answered {status}: everything is disallowed");
            b"User-agent: *\nDisallow: /\n".to_vec()
        } else if status.is_client_error() {
            eprintln!("note: {source} answered {status}: no restrictions");
            Vec::new()
        } else {
            response.bytes().await?.to_vec()
        }
    } else {
        std::fs::read(PathBuf::from(source)).with_context(|| format!("cannot read {source}"))?
    };
    let robots = crawl::robots::Robots::parse(&body);
    let token = crawl::robots::product_token(&args.user_agent);
    let mut out = std::io::stdout().lock();
    for raw in &args.urls {
        let path = match url::Url::parse(raw) {
            Ok(u) => u[url::Position::BeforePath..url::Position::AfterQuery].to_string(),
            Err(_) => raw.clone(),
        };
        let decision = robots.check(token, &path);
        let verdict = if decision.allowed {
            "allowed"
        } else {
            "disallowed"
        };
        let (rule, line) = match &decision.rule {
            Some(r) => (
                format!(
                    "{}: {}",
                    if r.allow { "Allow" } else { "Disallow" },
                    r.pattern
                ),
                r.line.to_string(),
            ),
            None => (String::new(), String::new()),
        };
        writeln!(out, "{verdict}\t{raw}\t{rule}\t{line}")?;
    }
    Ok(Exit::Clean)
}
