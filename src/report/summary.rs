//! The one-screen summary and the run record (`<csv stem>.run.json`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{EXAMPLES_PER_FINDING, Tally};
use crate::audit::{Finding, Severity};
use crate::config::Config;
use crate::model::{Certificate, CrawlFacts, StopCause};
use crate::model::{SkipReason, label};
use crate::report::row::SCHEMA_VERSION;

/// Everything the summary and the run record say about one run.
pub struct RunReport<'a> {
    pub config: &'a Config,
    pub facts: &'a CrawlFacts,
    pub tally: &'a Tally,
    pub incomplete: &'a [String],
    pub csv: Option<&'a Path>,
    pub started: SystemTime,
    /// With `--baseline`: the comparison with the earlier run.
    pub comparison: Option<&'a crate::report::diff::Comparison>,
    /// `--baseline` named a file that does not exist yet.
    pub first_run: bool,
    /// `--fail-on-spike` fired.
    pub spiked: bool,
}

impl RunReport<'_> {
    pub fn verdict(&self) -> String {
        if let Some(why) = &self.facts.start_unreachable {
            return format!("COULD NOT RUN: the start URL is unreachable ({why})");
        }
        match self.facts.stopped {
            Some(StopCause::Interrupt | StopCause::Terminate) => {
                return match self.csv {
                    Some(_) => "INTERRUPTED: the CSV holds what was finished; the same command \
                                with --resume finishes the audit without asking again"
                        .to_string(),
                    None => "INTERRUPTED: the CSV holds what was finished".to_string(),
                };
            }
            _ if !self.incomplete.is_empty() => {
                return format!("INCOMPLETE: {}", self.incomplete.join("; "));
            }
            _ => {}
        }
        "complete".to_string()
    }

    /// A TLS fault leads the summary (no page is reachable); an expiry within two weeks is
    /// what a weekly job must catch before visitors do.
    fn certificate_lines(&self) -> Vec<String> {
        let Some(cert) = &self.facts.certificate else {
            return Vec::new();
        };
        let mut lines: Vec<String> = cert.fault_line().into_iter().collect();
        if cert.fault.is_none() && cert.days_left < crate::model::EXPIRY_WARNING_DAYS {
            lines.push(format!(
                "TLS certificate expires in {} day{} ({}; subject {}, issuer {})",
                cert.days_left,
                if cert.days_left == 1 { "" } else { "s" },
                cert.not_after,
                cert.subject,
                cert.issuer
            ));
        }
        lines
    }

    /// The "since last run" block, first thing after the verdict line.
    fn since_last_run(&self, s: &mut String) {
        let Some(cmp) = self.comparison else { return };
        if self.first_run {
            let _ = writeln!(
                s,
                "  since last run   first run: no baseline yet, so every finding is new"
            );
            return;
        }
        for line in cmp.text().lines() {
            let _ = writeln!(s, "  {line}");
        }
        if self.spiked {
            let _ = writeln!(
                s,
                "  !! 401 spike: {} → {} among URLs in both runs (--fail-on-spike {}%)",
                cmp.spike.old_401,
                cmp.spike.new_401,
                self.config.report.fail_on_spike.unwrap_or_default()
            );
        }
        let _ = writeln!(s);
    }

    /// Findings with their count and severity, the most severe first.
    fn findings_in_order(&self) -> Vec<(Finding, u64, Severity)> {
        let t = self.tally;
        let mut order: Vec<(Finding, u64, Severity)> = t
            .findings
            .iter()
            .map(|(f, n)| {
                let severity = t.finding_severity.get(f).copied().unwrap_or(Severity::Info);
                (*f, *n, severity)
            })
            .collect();
        order.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        order
    }

    /// The summary as Markdown, for a ticket or a CI job summary.
    pub fn markdown(&self) -> String {
        let (f, t) = (self.facts, self.tally);
        let mut s = String::new();
        let _ = writeln!(s, "## authwall audit of {}\n", md(&f.origin));
        let _ = writeln!(s, "**{}**\n", md(&self.verdict()));
        for line in self.certificate_lines() {
            let _ = writeln!(s, "> **{}**\n", md(&line));
        }
        if self.config.crawl.authenticated() {
            let _ = writeln!(
                s,
                "> **Credentials were sent** (`--header` / `--basic-auth-env` / `--basic-auth-file`): this audit does \
                 not see what search engines see.\n"
            );
        }
        if let (true, Some(cmp)) = (self.spiked, self.comparison) {
            let _ = writeln!(
                s,
                "> **401 spike**: {} → {} among URLs in both runs (`--fail-on-spike {}%`).\n",
                cmp.spike.old_401,
                cmp.spike.new_401,
                self.config.report.fail_on_spike.unwrap_or_default()
            );
        }
        match self.comparison {
            Some(_) if self.first_run => {
                let _ = writeln!(s, "First run: no baseline yet, so every finding is new.\n");
            }
            Some(cmp) => {
                let _ = writeln!(s, "{}", cmp.markdown());
            }
            None => {}
        }
        let order = self.findings_in_order();
        if order.is_empty() {
            let _ = writeln!(s, "No findings.\n");
        } else {
            let _ = writeln!(
                s,
                "| severity | finding | URLs | what to do |\n|---|---|---:|---|"
            );
            for (finding, count, severity) in &order {
                let _ = writeln!(
                    s,
                    "| {} | `{}` {} | {count} | {} |",
                    label(severity),
                    label(finding),
                    md(finding.title()),
                    md(finding.advice())
                );
            }
            let _ = writeln!(s);
            for (finding, _, severity) in &order {
                if *severity < Severity::High {
                    continue;
                }
                let _ = writeln!(
                    s,
                    "<details><summary><code>{}</code></summary>\n",
                    label(finding)
                );
                for super::Example { url, found, .. } in
                    t.examples.get(finding).into_iter().flatten()
                {
                    let _ = writeln!(s, "- {} ({})", md(url), md(found));
                }
                let _ = writeln!(s, "\n</details>\n");
            }
        }
        if !t.probes_blocked_by_robots.is_empty() {
            let _ = writeln!(
                s,
                "Not checked (robots.txt): {} — on a site you own, re-run with `--ignore-robots`.\n",
                md(&t.probes_blocked_by_robots.join(", "))
            );
        }
        let c = &t.classes;
        let _ = writeln!(
            s,
            "| URLs | 2xx | 3xx | 4xx | 401 | 403 | 5xx | no response | time |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
            t.rows,
            c[2],
            c[3],
            c[4],
            t.status_401,
            t.status_403,
            c[5],
            t.no_response,
            f.elapsed.as_secs_f64()
        );
        s
    }

    /// The findings lead: counts, the worst URLs with where they were found, and what to do.
    fn findings(&self, s: &mut String) {
        let (t, threshold) = (self.tally, self.config.report.fail_on);
        let failing = t.at_or_above(threshold);
        if t.findings.is_empty() {
            let _ = writeln!(s, "  No findings.");
        } else if failing == 0 {
            let _ = writeln!(
                s,
                "  No findings at or above {} (--fail-on).",
                label(&threshold)
            );
        } else {
            let _ = writeln!(
                s,
                "  {failing} URL{} with findings at or above {} (--fail-on):",
                if failing == 1 { "" } else { "s" },
                label(&threshold)
            );
        }
        let order = self.findings_in_order();
        for (finding, count, severity) in order {
            let _ = writeln!(
                s,
                "  {:<8} {} × {count}: {}",
                label(&severity),
                label(&finding),
                finding.title()
            );
            if severity >= Severity::High {
                for super::Example { url, found, .. } in
                    t.examples.get(&finding).into_iter().flatten()
                {
                    let _ = writeln!(s, "             {url}  ({found})");
                }
                if count as usize > EXAMPLES_PER_FINDING {
                    let _ = writeln!(
                        s,
                        "             … {} more in the CSV",
                        count as usize - EXAMPLES_PER_FINDING
                    );
                }
            }
            let _ = writeln!(s, "             fix: {}", finding.advice());
        }
        if !t.probes_blocked_by_robots.is_empty() {
            let _ = writeln!(
                s,
                "  not checked (robots.txt): {} — robots.txt keeps us out; on a site you own, \
                 re-run with --ignore-robots to check them",
                t.probes_blocked_by_robots.join(", ")
            );
        }
        let _ = writeln!(s);
    }

    pub fn text(&self) -> String {
        let (f, t) = (self.facts, self.tally);
        let mut s = String::new();
        let _ = writeln!(s, "authwall audit of {} — {}", f.origin, self.verdict());
        for line in self.certificate_lines() {
            let _ = writeln!(s, "  !! {line}");
        }
        self.since_last_run(&mut s);
        if self.config.crawl.authenticated() {
            let _ = writeln!(
                s,
                "  !! credentials were sent (--header / --basic-auth-env / --basic-auth-file): this audit does NOT see \
                 what search engines see; walls they meet may be open to it"
            );
        }
        self.findings(&mut s);
        if let Some((from, to)) = &f.scope_moved {
            let _ = writeln!(
                s,
                "  scope moved      {from} -> {to} (the start URL redirects there)"
            );
        }
        let _ = writeln!(s, "  robots.txt       {}", f.robots);
        let delay = match f.crawl_delay {
            Some(d) => format!(
                " (Crawl-delay {} honoured, so 1 at a time)",
                humantime::format_duration(d)
            ),
            None => String::new(),
        };
        let interval = if f.interval.is_zero() {
            "no delay between requests".to_string()
        } else {
            format!(
                "1 request per {} per host",
                humantime::format_duration(f.interval)
            )
        };
        let _ = writeln!(
            s,
            "  pacing           {interval}, up to {} in flight{delay}",
            f.concurrency
        );
        let skipped: u64 = t.skipped.values().sum();
        let _ = writeln!(
            s,
            "  URLs recorded    {} ({} requested, {} not requested)",
            t.rows,
            t.rows - skipped,
            skipped
        );
        let c = &t.classes;
        let _ = writeln!(
            s,
            "  status           2xx {} · 3xx {} · 4xx {} (401: {}, 403: {}) · 5xx {} · no response {}",
            c[2], c[3], c[4], t.status_401, t.status_403, c[5], t.no_response
        );
        if !t.skipped.is_empty() {
            let list: Vec<String> = t
                .skipped
                .iter()
                .map(|(k, n)| format!("{} {n}", label(k)))
                .collect();
            let _ = writeln!(s, "  not requested    {}", list.join(" · "));
        }
        if !t.traps.is_empty() {
            // Which URL shapes ate the budget: the places to exclude or fix on the site.
            let mut top: Vec<(&(SkipReason, String), &u64)> = t.traps.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1));
            let list: Vec<String> = top
                .iter()
                .take(3)
                .map(|((reason, pattern), n)| format!("{pattern} ({} {n})", label(reason)))
                .collect();
            let _ = writeln!(s, "  cut off most     {}", list.join(" · "));
        }
        if !t.errors.is_empty() {
            let list: Vec<String> = t
                .errors
                .iter()
                .map(|(k, n)| format!("{} {n}", label(k)))
                .collect();
            let _ = writeln!(s, "  errors           {}", list.join(" · "));
        }
        if self.config.crawl.use_sitemaps {
            let _ = writeln!(
                s,
                "  sitemaps         {} read, {} URLs listed",
                f.sitemaps_read, f.sitemap_urls
            );
            for note in &f.sitemap_notes {
                let _ = writeln!(s, "                   {note}");
            }
        }
        let secs = f.elapsed.as_secs_f64();
        let _ = writeln!(
            s,
            "  time             {:.1} s, {} requests, {:.1} pages/s",
            secs,
            f.requests,
            if secs > 0.0 {
                t.pages_fetched as f64 / secs
            } else {
                0.0
            }
        );
        if let Some(path) = self.csv {
            let _ = writeln!(s, "  CSV              {}", path.display());
        }
        if let Some(path) = &self.config.report.report {
            let _ = writeln!(s, "  report           {}", path.display());
        }
        s
    }

    pub fn record(&self) -> RunRecord<&Config> {
        RunRecord {
            tool: "authwall".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            schema_version: SCHEMA_VERSION,
            origin: self.facts.origin.clone(),
            start_url: self.config.crawl.start.to_string(),
            started_at: humantime::format_rfc3339_seconds(self.started).to_string(),
            ended_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            elapsed_s: self.facts.elapsed.as_secs_f64(),
            complete: self.incomplete.is_empty()
                && self.facts.stopped.is_none()
                && self.facts.start_unreachable.is_none(),
            incomplete_reasons: self.incomplete.to_vec(),
            interrupted: matches!(
                self.facts.stopped,
                Some(StopCause::Interrupt | StopCause::Terminate)
            ),
            robots: self.facts.robots.clone(),
            certificate: self.facts.certificate.clone(),
            rows: self.tally.rows,
            settings: self.config,
        }
    }
}

/// Text from the site, made safe for a Markdown table cell.
fn md(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The run record: a small JSON file next to the CSV that says whether the CSV can be
/// trusted as a complete picture of the site. Written with the run's settings; read back (as a
/// baseline's record) without them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct RunRecord<S = IgnoredAny> {
    pub tool: String,
    pub version: String,
    pub schema_version: u32,
    pub origin: String,
    pub start_url: String,
    pub started_at: String,
    pub ended_at: String,
    pub elapsed_s: f64,
    /// Absent in a damaged record: then the run is not known to be complete.
    pub complete: bool,
    pub incomplete_reasons: Vec<String>,
    pub interrupted: bool,
    pub robots: String,
    /// The audited origin's certificate: subject, issuer, validity, days left, fault.
    pub certificate: Option<Certificate>,
    pub rows: u64,
    pub settings: S,
}

impl<S: Default> Default for RunRecord<S> {
    fn default() -> Self {
        Self {
            tool: String::new(),
            version: String::new(),
            schema_version: 0,
            origin: String::new(),
            start_url: String::new(),
            started_at: String::new(),
            ended_at: String::new(),
            elapsed_s: 0.0,
            complete: false,
            incomplete_reasons: Vec::new(),
            interrupted: false,
            robots: String::new(),
            certificate: None,
            rows: 0,
            settings: S::default(),
        }
    }
}

impl RunRecord {
    /// The run record next to the CSV at `csv`, if there is one that parses.
    pub fn read_beside(csv: &Path) -> Option<RunRecord> {
        let text = std::fs::read_to_string(record_path(csv)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// `site.csv` -> `site.run.json`.
pub fn record_path(csv: &Path) -> PathBuf {
    csv.with_extension("run.json")
}

pub fn write_record(path: &Path, record: &RunRecord<&Config>) -> Result<()> {
    let json = serde_json::to_string_pretty(record)?;
    std::fs::write(path, json + "\n")
        .with_context(|| format!("cannot write the run record {}", path.display()))
}
