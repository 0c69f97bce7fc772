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
use progress::Progress;
use report::Tally;
use report::csv::{CsvSink, Output};
use report::row::{AuditRow, SkipReason};
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
    let mut sink = AuditSink {
        csv: CsvSink::create(&config.output, config.format)?,
        tally: Tally::default(),
        progress,
    };
    let engine = Engine::new(Arc::new(config.clone()), &mut sink)?;
    let (facts, finished) = engine.run(stop).await?;
    sink.csv.flush()?;
    sink.progress.finish();
    let mut tally = sink.tally;

    let csv_path = match &config.output {
        // A device such as /dev/null cannot be read back: no final pass there.
        Output::File(path) if !path.is_file() => None,
        Output::File(path) => {
            // The final pass: inlinks and verdicts with everything the crawl learned. The
            // summary counts the final rows.
            let mut final_tally = Tally::default();
            report::csv::rewrite(path, config.format, |row| {
                finished.finalize(row);
                final_tally.add(row);
            })?;
            tally = final_tally;
            Some(path.clone())
        }
        Output::Stdout => None,
    };
    let incomplete = incomplete_reasons(config, &facts, &tally);
    let failing = tally.at_or_above(config.fail_on);
    let exit = if facts.start_unreachable.is_some() {
        Exit::CouldNotRun
    } else {
        match facts.stopped {
            Some(StopCause::Interrupt) => Exit::Interrupted,
            Some(StopCause::Terminate) => Exit::Terminated,
            // Problems found are worth acting on even when the run is incomplete.
            _ if failing > 0 => Exit::Findings,
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
    };
    let summary = match config.summary {
        cli::SummaryFormat::Text => report.text(),
        cli::SummaryFormat::Markdown => report.markdown(),
    };
    if let Some(path) = &csv_path {
        report::summary::write_record(&report::summary::record_path(path), &report.record())?;
    }
    if let Some(path) = &config.report {
        let html = report::html::render(&report::html::HtmlReport {
            origin: &facts.origin,
            verdict: &report.verdict(),
            exit_code: exit.code(),
            fail_on: config.fail_on,
            generated_at: &humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            rows: &tally.notable,
            tally: &tally,
            changes: None,
            first_run: false,
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
}

impl RowSink for AuditSink {
    fn row(&mut self, row: &AuditRow) -> Result<()> {
        self.tally.add(row);
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
