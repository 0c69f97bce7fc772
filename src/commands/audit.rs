//! `authwall audit`: crawl the site, stream the rows, then the final pass, the comparison
//! with the baseline, the run record, the summary and the HTML report.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context, Result};
use futures::FutureExt;

use crate::Exit;
use crate::audit::{Severity, classify};
use crate::config::{Config, ExitPolicy, Output};
use crate::crawl::{self, Engine, RecordSink};
use crate::model::{CrawlFacts, Record, SkipReason, StopCause, label};
use crate::progress::Progress;
use crate::report::accept::{self, Acceptances};
use crate::report::baseline::{Baseline, WrittenBy};
use crate::report::diff::Change;
use crate::report::format::xlsx::Xlsx;
use crate::report::format::{Replacement, RowWriter};
use crate::report::row::AuditRow;
use crate::report::summary::RunReport;
use crate::report::{self, Tally};

/// The result of one audit: what the summary and the tests need.
pub struct AuditResult {
    pub exit: Exit,
    pub summary: String,
    pub tally: Tally,
    pub facts: CrawlFacts,
    pub incomplete: Vec<String>,
    /// Findings (new, fixed) since the `--baseline` run; `None` without one or on a first run.
    pub since_last_run: Option<(u64, u64)>,
}

/// Print the summary where it belongs: stdout, or stderr when the CSV goes to stdout;
/// nothing at all with `--quiet` when the run ends with exit 0.
pub fn present(config: &Config, result: &AuditResult) {
    if config.report.quiet && result.exit == Exit::Clean {
        return;
    }
    let text = &result.summary;
    let _ = match config.report.output {
        // An audit that could not run is an error: its one line goes with the errors.
        _ if result.exit == Exit::CouldNotRun => std::io::stderr().write_all(text.as_bytes()),
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
    // A browser that is not there must stop the run before any request or file.
    if let Some(render) = &config.crawl.render {
        crawl::check_browser(render)?;
    }
    let accepts = Acceptances::new(&config.report.accept, &accept::today())?;
    // Read the baseline first: a refused baseline must stop the run before any request.
    let baseline = config
        .report
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()?;
    if let (Some(b), Some(path)) = (&baseline, &config.report.baseline) {
        let this = config.crawl.start.origin().ascii_serialization();
        report::baseline::check_same_site(
            (path, &b.origin),
            ("this run", &this),
            config.report.allow_other_site,
        )?;
    }
    // An output that cannot be written is the user's to fix, named as they wrote it.
    if let Output::File(path) = &config.report.output {
        check_writable(path, "CSV")?;
    }
    if let Some(path) = &config.report.report {
        check_writable(path, "report")?;
    }
    if let Some(path) = &config.report.xlsx {
        // Its "All URLs" sheet is written in the final pass, which reads the CSV's file.
        let in_a_file = matches!(&config.report.output,
            Output::File(csv) if csv.is_file() || !csv.exists());
        anyhow::ensure!(
            in_a_file,
            "--xlsx needs the CSV written to a file (-o FILE): the workbook is made from it"
        );
        check_writable(path, "workbook")?;
    }
    // The member crawl comes first: a session that does not work stops the run before any
    // file is written, and the anonymous crawl asks what the member reached.
    let stop = stop.shared();
    let began = std::time::Instant::now();
    let mut crawl_config = config.crawl.clone();
    let mut member = None;
    if let Some(settings) = &config.crawl.member {
        progress.note(&format!(
            "crawling as a member ({})",
            settings.login.describe()
        ));
        let done = crawl::member::crawl(&config.crawl, settings, stop.clone()).await?;
        // --max-duration bounds the whole run, the member crawl included.
        crawl_config.max_duration = config
            .crawl
            .max_duration
            .map(|d| d.saturating_sub(began.elapsed()));
        crawl_config.members = Some(Arc::new(done.members));
        member = Some((done.facts, done.pacers));
    }
    // Likewise the journal to resume from: a refused one must not cost the old CSV.
    let journal_path = match &config.report.output {
        Output::File(path) if !path.exists() || path.is_file() => {
            Some(crawl::journal::path_for(path))
        }
        _ => None,
    };
    let journal = match (&journal_path, config.resume) {
        (Some(path), true) => {
            let replay = crawl::journal::Replay::open(path, config.crawl.start.as_str())?;
            crawl::Journal {
                writer: Some(crawl::journal::Writer::append_to(path)?),
                replay: Some(replay),
            }
        }
        (Some(path), false) => crawl::Journal {
            writer: Some(crawl::journal::Writer::create(
                path,
                config.crawl.start.as_str(),
            )?),
            replay: None,
        },
        (None, true) => anyhow::bail!("--resume needs the CSV written to a file (-o FILE)"),
        (None, false) => crawl::Journal::default(),
    };
    let csv = RowWriter::create(&config.report.output, config.report.format)?;
    // Without a final pass (stdout, a device such as /dev/null) the comparison needs the rows
    // as they stream.
    let final_pass = matches!(&config.report.output, Output::File(path) if path.is_file());
    let mut sink = AuditSink {
        csv,
        tally: Tally::default(),
        progress,
        rows: Vec::new(),
        keep_rows: baseline.is_some() && !final_pass,
        records: final_pass.then(Vec::new),
        accepts: &accepts,
    };
    let mut engine = Engine::new(Arc::new(crawl_config), &mut sink, journal)?;
    if let Some((_, pacers)) = &member {
        engine = engine.pace_with(pacers.clone());
    }
    let (mut facts, finished) = engine.run(stop).await?;
    if let Some((mut member, _)) = member {
        member.members_only = facts.members_only;
        facts.member = Some(member);
        // The run's time is the member crawl's and the anonymous one's.
        facts.elapsed = began.elapsed();
    }
    if facts.stopped.is_none()
        && let Some(path) = &journal_path
    {
        // A complete audit has nothing to resume.
        let _ = std::fs::remove_file(path);
    }
    sink.csv.flush()?;
    sink.progress.finish();
    if let Some(why) = facts.start_unreachable.clone() {
        return could_not_run(config, facts, sink.tally, why, started);
    }
    let mut tally = sink.tally;
    let mut rows = sink.rows;

    let csv_path = match &config.report.output {
        // A device such as /dev/null cannot be read back: no final pass there.
        Output::File(path) if !path.is_file() => None,
        Output::File(path) => Some(path.clone()),
        Output::Stdout => None,
    };
    // The final pass: inlinks and verdicts with everything the crawl learned, row by row from
    // the records as they streamed. The summary counts the final rows. The comparison with a
    // baseline needs every row first; without one, rows go straight to the file.
    let mut rewrite = match (&csv_path, &sink.records) {
        (Some(path), Some(_)) => Some(Replacement::new(path, config.report.format)?),
        _ => None,
    };
    let mut xlsx = match (&config.report.xlsx, &csv_path, &rewrite) {
        (Some(path), Some(csv), Some(_)) => Some(Xlsx::create(path, csv)?),
        _ => None,
    };
    if let (Some(file), Some(records)) = (&mut rewrite, sink.records.take()) {
        tally = Tally::default();
        // Each record is dropped as soon as its row is written: the pass needs no more memory
        // than the crawl held.
        for mut record in records {
            finished.refresh(&mut record);
            let mut row = AuditRow::new(&record, &classify(&record));
            let hits = accepts.apply(&mut row);
            if baseline.is_some() {
                rows.push(row);
            } else {
                tally.add(&row);
                file.write(&row)?;
                if let Some(book) = &mut xlsx {
                    book.row(&row)?;
                }
            }
            tally.add_hits(&hits);
        }
    }
    let comparison = baseline.as_ref().map(|b| {
        let this = WrittenBy::this();
        let rules = WrittenBy::rules(b.written_by.as_ref(), Some(&this));
        report::diff::compare(&b.rows, &b.origin, &rows, &facts.origin, rules)
    });
    if let Some(mut file) = rewrite {
        if let Some(cmp) = &comparison {
            for row in &mut rows {
                row.change = cmp.change_cell(row, &facts.origin);
                tally.add(row);
                file.write(row)?;
                if let Some(book) = &mut xlsx {
                    book.row(row)?;
                }
            }
        }
        file.commit()?;
    }
    drop(rows);
    let incomplete = incomplete_reasons(config, &facts, &tally);
    let first_run = baseline.as_ref().is_some_and(Baseline::first_run);
    // With --fail-on-new only new findings count: a weekly job alerts once per problem.
    let failing = match (&comparison, config.report.fail_on_new) {
        (Some(cmp), true) => cmp.count(report::diff::Change::New, config.report.fail_on) as u64,
        _ => tally.at_or_above(config.report.fail_on),
    };
    let spiked = match (&comparison, config.report.fail_on_spike) {
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
    let exit = match (config.report.exit_policy, exit) {
        (ExitPolicy::Demo { fail_on_findings }, Exit::Findings) if !fail_on_findings => Exit::Clean,
        (ExitPolicy::Demo { .. }, Exit::Incomplete) => Exit::Clean,
        _ => exit,
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
    let summary = report::format::summary(config.report.summary).run(&report);
    if let Some(path) = &csv_path {
        report::summary::write_record(&report::summary::record_path(path), &report.record())?;
        let beside = report::format::findings::path_beside(path);
        report::format::findings::write(&beside, &tally.notable)?;
    }
    if let Some(path) = &config.report.report {
        let change_lines = comparison.as_ref().map(html_changes);
        let (subject, walled) = (report.subject(), report.walled_line());
        let html = report::format::html::render(&report::format::html::HtmlReport {
            origin: &facts.origin,
            list: walled.as_deref().map(|w| (subject.as_str(), w)),
            verdict: &report.verdict(),
            exit_code: exit.code(),
            fail_on: config.report.fail_on,
            generated_at: &humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            rows: &tally.notable,
            tally: &tally,
            changes: change_lines.as_deref(),
            first_run,
            settings: &settings_table(config),
            incomplete: &incomplete,
            accepted: &report.acceptance_lines(),
            member: report.member_line().as_deref(),
        });
        std::fs::write(path, html)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    if let Some(book) = xlsx {
        book.finish(&tally.notable, &about_the_run(&report, exit, config))?;
    }
    let since_last_run = comparison.as_ref().filter(|_| !first_run).map(|c| {
        let count = |change| c.count(change, Severity::Info) as u64;
        (count(Change::New), count(Change::Fixed))
    });
    Ok(AuditResult {
        exit,
        summary,
        tally,
        facts,
        incomplete,
        since_last_run,
    })
}

/// The workbook's "About this run" sheet: what was audited, when, how the run ended, what it
/// found, and the settings in words.
fn about_the_run(report: &RunReport<'_>, exit: Exit, config: &Config) -> Vec<(String, String)> {
    let record = report.record();
    let findings: Vec<String> = report
        .findings_in_order()
        .iter()
        .map(|(finding, n, severity)| {
            format!("{} {finding} × {n}: {}", label(severity), finding.title())
        })
        .collect();
    let mut lines = vec![
        ("Site".to_string(), record.origin),
        ("Start URL".to_string(), record.start_url),
        (
            "Audited".to_string(),
            format!("{} to {}", record.started_at, record.ended_at),
        ),
        ("This run".to_string(), report.verdict()),
        ("Exit code".to_string(), exit.code().to_string()),
        ("URLs".to_string(), record.rows.to_string()),
        (
            "Findings".to_string(),
            if findings.is_empty() {
                "none".to_string()
            } else {
                findings.join("\n")
            },
        ),
        (
            "The audit CSV".to_string(),
            report
                .csv
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        (String::new(), String::new()),
        ("Settings".to_string(), String::new()),
    ];
    lines.extend(settings_table(config));
    lines
}

/// Whether a file can be written at `path` (its folder exists and takes new files), before
/// any request: the error names the file the user asked for and why.
fn check_writable(path: &std::path::Path, what: &str) -> Result<()> {
    if path.is_file() || !path.exists() {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => std::path::Path::new("."),
        };
        if !folder.is_dir() {
            anyhow::bail!(
                "cannot write the {what} {}: the folder {} does not exist",
                path.display(),
                folder.display()
            );
        }
        if let Err(e) = tempfile::NamedTempFile::new_in(folder) {
            let why = match e.kind() {
                std::io::ErrorKind::PermissionDenied => "is not writable".to_string(),
                _ => format!("does not take new files ({e})"),
            };
            anyhow::bail!(
                "cannot write the {what} {}: the folder {} {why}",
                path.display(),
                folder.display()
            );
        }
    }
    Ok(())
}

/// The start URL never answered: nothing was audited, so nothing may look like an audit. One
/// line for stderr; no CSV, no HTML report; a run record that says why (a scheduled job's
/// monitoring reads it).
fn could_not_run(
    config: &Config,
    facts: CrawlFacts,
    tally: Tally,
    why: String,
    started: SystemTime,
) -> Result<AuditResult> {
    let line = format!("authwall: cannot reach {}: {why}\n", facts.origin);
    let incomplete = vec![format!("the start URL is unreachable: {why}")];
    if let Output::File(path) = &config.report.output
        && path.is_file()
    {
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove the empty CSV {}", path.display()))?;
        let _ = std::fs::remove_file(crawl::journal::path_for(path));
        let report = RunReport {
            config,
            facts: &facts,
            tally: &tally,
            incomplete: &incomplete,
            csv: None,
            started,
            comparison: None,
            first_run: false,
            spiked: false,
        };
        report::summary::write_record(&report::summary::record_path(path), &report.record())?;
    }
    Ok(AuditResult {
        exit: Exit::CouldNotRun,
        summary: line,
        tally,
        facts,
        incomplete,
        since_last_run: None,
    })
}

/// The "since last run" lines of the HTML report.
fn html_changes(cmp: &report::diff::Comparison) -> Vec<report::format::html::ChangeLine> {
    use crate::model::label;
    let findings = cmp
        .findings
        .iter()
        .map(|f| report::format::html::ChangeLine {
            change: label(&f.change).to_string(),
            finding: label(&f.finding).to_string(),
            url: f.url.clone(),
            detail: label(&f.severity).to_string(),
        });
    let status = |s: Option<u16>| s.map_or("no response".to_string(), |s| s.to_string());
    let statuses = cmp
        .status_changes
        .iter()
        .map(|c| report::format::html::ChangeLine {
            change: "status".to_string(),
            finding: String::new(),
            url: c.url.clone(),
            detail: format!("{} → {}", status(c.old), status(c.new)),
        });
    // A huge site may change a lot: the report shows the first lines, the CSV has them all.
    findings
        .chain(statuses)
        .take(report::format::html::ROW_CAP)
        .collect()
}

/// The settings as (name, value) pairs for the report; secrets are never serialised.
fn settings_table(config: &Config) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(config) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(key, value)| {
            let text = match (key.as_str(), value.as_u64()) {
                // As the option takes it: 10 MiB, not 10485760.
                ("max_body", Some(bytes)) if bytes % (1 << 20) == 0 => {
                    format!("{} MiB", bytes >> 20)
                }
                _ => plain(&value),
            };
            (key.replace('_', " "), text)
        })
        .collect()
}

/// A setting in a person's words: `200ms`, not `{"nanos":200000000,"secs":0}`; `not set`,
/// not `null`; `none`, not `[]`; `yes`/`no`.
fn plain(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "not set".to_string(),
        Value::Bool(on) => if *on { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_string(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (map.get("secs"), map.get("nanos"), map.len()) {
            (Some(Value::Number(secs)), Some(Value::Number(nanos)), 2) => {
                let d = std::time::Duration::new(
                    secs.as_u64().unwrap_or(0),
                    u32::try_from(nanos.as_u64().unwrap_or(0)).unwrap_or(0),
                );
                humantime::format_duration(d).to_string()
            }
            _ => map
                .iter()
                .map(|(k, v)| format!("{}: {}", k.replace('_', " "), plain(v)))
                .collect::<Vec<_>>()
                .join(", "),
        },
    }
}

/// Why a finished run cannot vouch for the site (empty when it can).
fn incomplete_reasons(config: &Config, facts: &CrawlFacts, tally: &Tally) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(kind) = facts.certificate.as_ref().and_then(|c| c.fault)
        && !config.crawl.insecure
    {
        reasons.push(format!(
            "TLS certificate fault on the audited origin ({}); --insecure audits it anyway",
            crate::model::label(&kind)
        ));
    }
    for origin in &facts.unreachable_origins {
        reasons.push(format!(
            "no usable answer from {origin}; its URLs were not checked"
        ));
    }
    if let Some(member) = &facts.member
        && let Some(why) = &member.expired
    {
        reasons.push(format!(
            "the member session ended during the member crawl ({why}): {} URLs were not \
             checked as a member; log in again and rerun",
            member.not_checked
        ));
    }
    if facts.robots_unavailable && !config.crawl.is_list() {
        reasons.push(
            "robots.txt unavailable (5xx or unreachable), so nothing was crawled".to_string(),
        );
    }
    if facts.stopped == Some(StopCause::MaxDuration) {
        // The journal beside the CSV holds what was answered: say how to finish.
        let resume = match &config.report.output {
            Output::File(_) => {
                "; the same command with --resume finishes the audit without \
                                asking again"
            }
            Output::Stdout => "",
        };
        reasons.push(format!(
            "stopped by --max-duration {}{resume}",
            humantime::format_duration(config.crawl.max_duration.unwrap_or_default())
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
            config.crawl.max_pages
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

/// Where the engine's records go while the crawl runs: classified, counted, written.
struct AuditSink<'a> {
    csv: RowWriter,
    tally: Tally,
    progress: Progress,
    /// Rows as they streamed (the comparison needs them when there is no final pass).
    rows: Vec<AuditRow>,
    keep_rows: bool,
    /// Records as they streamed, for the final pass.
    records: Option<Vec<Record>>,
    accepts: &'a Acceptances,
}

impl RecordSink for AuditSink<'_> {
    fn record(&mut self, record: Record) -> Result<()> {
        let mut row = AuditRow::new(&record, &classify(&record));
        let hits = self.accepts.apply(&mut row);
        self.tally.add(&row);
        self.tally.add_hits(&hits);
        self.progress.settled(&self.tally);
        self.csv.write(&row)?;
        if self.keep_rows {
            self.rows.push(row);
        }
        if let Some(records) = &mut self.records {
            records.push(record);
        }
        Ok(())
    }

    fn tick(&mut self) -> Result<()> {
        self.csv.flush()
    }

    fn discovered(&mut self, total: usize) {
        self.progress.discovered(total);
    }

    fn sitemaps_read(&mut self) {
        self.progress.estimating();
    }
}
