//! What the summary says about a run ([`RunReport`], written by the formats in
//! [`super::format`]) and the run record (`<csv stem>.run.json`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::Tally;
use crate::audit::{Finding, Severity};
use crate::config::{Acceptance, Config};
use crate::model::{Certificate, CrawlFacts, MemberFacts, RenderFacts, StopCause};
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
    /// What was audited: `audit of https://example.com`, or for a list `check of gsc.csv (40
    /// URLs, 2 origins)`.
    pub fn subject(&self) -> String {
        match &self.config.report.list {
            Some(list) => {
                let origins = match list.origins.len() {
                    1 => "1 origin".to_string(),
                    n => format!("{n} origins"),
                };
                format!("check of {} ({} URLs, {origins})", list.source, list.urls)
            }
            None => format!("audit of {}", self.facts.origin),
        }
    }

    /// For a list: how many listed URLs still wall a search engine off.
    pub fn walled_line(&self) -> Option<String> {
        let list = self.config.report.list.as_ref()?;
        let column = list
            .column
            .as_ref()
            .map(|c| format!("; URLs read from the column `{c}`"))
            .unwrap_or_default();
        let invalid = match list.invalid {
            0 => String::new(),
            1 => "; 1 line is not a URL".to_string(),
            n => format!("; {n} lines are not URLs"),
        };
        Some(format!(
            "{} of the {} listed URLs still wall a search engine off (401, 403, login){column}{invalid}",
            self.tally.walled, list.urls
        ))
    }

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

    /// What the `[[accept]]` entries did, when there are any: a count line ("N accepted (k
    /// critical)"), one line per entry that accepted something (with its reason), one per
    /// entry past its `until` that matched (counted again), and one per entry that matched
    /// nothing (stale; said on complete runs only, where "nothing" is sure).
    pub fn acceptance_lines(&self) -> Vec<String> {
        let entries = &self.config.report.accept;
        if entries.is_empty() {
            return Vec::new();
        }
        let t = self.tally;
        let total: u64 = t.accepted.values().sum();
        let critical = t.accepted.get(&Severity::Critical).copied().unwrap_or(0);
        let mut lines = vec![format!(
            "{total} accepted ({critical} critical): reported, not counted in the exit code"
        )];
        let until = |e: &Acceptance| {
            e.until
                .as_deref()
                .map(|d| format!(" (until {d})"))
                .unwrap_or_default()
        };
        for (i, entry) in entries.iter().enumerate() {
            let (hits, expired) = (t.accept_hits.get(&i), t.expired_hits.get(&i));
            if let Some(n) = hits {
                lines.push(format!(
                    "accepted {} on {} × {n}: \"{}\"{}",
                    entry.finding,
                    entry.url,
                    entry.reason,
                    until(entry)
                ));
            }
            if let Some(n) = expired {
                lines.push(format!(
                    "!! acceptance expired: {} on {} × {n} counts again (\"{}\"{})",
                    entry.finding,
                    entry.url,
                    entry.reason,
                    until(entry)
                ));
            }
            let complete = self.incomplete.is_empty() && self.facts.stopped.is_none();
            if hits.is_none() && expired.is_none() && complete {
                lines.push(format!(
                    "stale acceptance: {} on {} matches nothing; remove it from authwall.toml",
                    entry.finding, entry.url
                ));
            }
        }
        lines
    }

    /// With a member session: what the member crawl reached and what was asked again.
    pub fn member_line(&self) -> Option<String> {
        let m = self.facts.member.as_ref()?;
        let mut line = format!(
            "{} URL{} reached ({}), {} members-only asked again anonymously",
            m.reached,
            if m.reached == 1 { "" } else { "s" },
            m.session,
            m.members_only
        );
        if let Some(why) = &m.expired {
            line.push_str(&format!(
                "; the session ended during the member crawl: {why}; {} URLs not checked as a \
                 member",
                m.not_checked
            ));
        }
        Some(line)
    }

    /// A TLS fault leads the summary (no page is reachable); an expiry within two weeks is
    /// what a weekly job must catch before visitors do.
    pub fn certificate_lines(&self) -> Vec<String> {
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

    /// Findings with their count and severity, the most severe first.
    pub fn findings_in_order(&self) -> Vec<(Finding, u64, Severity)> {
        let t = self.tally;
        let mut order: Vec<(Finding, u64, Severity)> = t
            .by_severity
            .iter()
            .map(|((f, severity), n)| (*f, *n, *severity))
            .collect();
        order.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        order
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
            rendered: self.facts.rendered,
            member: self.facts.member.clone(),
        }
    }
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
    /// With `--render`: pages rendered, the requests they made that were sent or refused.
    pub rendered: Option<RenderFacts>,
    /// With a member session: what the member crawl did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberFacts>,
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
            rendered: None,
            member: None,
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
