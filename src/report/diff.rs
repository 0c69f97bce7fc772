//! Comparison with the previous run (`--baseline`, `authwall diff`) and 401 spikes.
//!
//! A finding is keyed by (URL key, finding), where the key is the URL's path + query relative to
//! its own run's origin (the full URL when off-origin), so a run on another port or scheme does
//! not make everything new. When two rows of one run have the same key, the first is kept and the
//! later ones are ignored (their `change` cell holds empty values).

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use url::{Position, Url};

use super::EXAMPLES_PER_FINDING;
use super::row::{AuditRow, label};
use crate::audit::{Finding, Severity, Verdict};

/// Status changes listed in the "since last run" block.
const STATUS_CHANGES_LISTED: usize = 20;

/// How a finding moved between the older and the newer run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the newer run.
    New,
    /// In both runs.
    Still,
    /// Gone, and the newer run re-requested the URL and saw its real answer.
    Fixed,
    /// Gone from the newer run, but it did not see the URL (not reached, skipped, no response,
    /// `unverified` or `bot_challenge`): we cannot tell whether it is fixed.
    NotRechecked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingChange {
    /// Path + query relative to the origin, or the full URL when off-origin.
    pub key: String,
    /// The URL in the newer run, else the older.
    pub url: String,
    pub finding: Finding,
    pub change: Change,
    /// From the newer row for `new`/`still`, the older row for `fixed`/`not_rechecked`.
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub key: String,
    pub url: String,
    pub old: Option<u16>,
    pub new: Option<u16>,
}

/// 401s among the URLs requested in both runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    pub old_401: u64,
    pub new_401: u64,
    pub common_urls: u64,
    /// Growth in percent; infinite when there were none and now are some.
    pub pct: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    /// Sorted: change (new first), severity (worst first), key, finding.
    pub findings: Vec<FindingChange>,
    /// URLs requested in both runs whose `status` differs, sorted by key.
    pub status_changes: Vec<StatusChange>,
    pub spike: Spike,
    /// Requested rows by status class (index 1 = 1xx … 5 = 5xx), as the run's own tally counts.
    pub old_classes: [u64; 6],
    pub new_classes: [u64; 6],
    /// All 401 / 403 answers of each run (not only common URLs).
    pub old_401: u64,
    pub new_401: u64,
    pub old_403: u64,
    pub new_403: u64,
    /// Rows of each run; an older run without rows means this is the first run.
    pub old_rows: u64,
    pub new_rows: u64,
    /// (key, finding) -> position in `findings`.
    #[serde(skip)]
    index: HashMap<(String, Finding), usize>,
}

/// `scheme://host[:port]` as the URL standard serialises it (default port dropped, lowercase).
fn normalise_origin(origin: &str) -> String {
    match Url::parse(origin) {
        Ok(url) if url.origin().is_tuple() => url.origin().ascii_serialization(),
        _ => origin.trim_end_matches('/').to_string(),
    }
}

/// The key of `url` in a run whose (normalised) origin is `origin`.
fn key(url: &str, origin: &str) -> String {
    match Url::parse(url) {
        Ok(u) if u.origin().is_tuple() && u.origin().ascii_serialization() == origin => {
            u[Position::BeforePath..Position::AfterQuery].to_string()
        }
        _ => url.to_string(),
    }
}

/// The row's findings in cell order (unknown labels dropped, duplicates once).
fn findings_of(row: &AuditRow) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for f in row.finding.split(';').filter_map(Finding::from_label) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

fn requested(row: &AuditRow) -> bool {
    row.skip_reason.is_none()
}

/// Whether the row shows the site's real answer, so that a missing finding means it is fixed.
fn rechecked(row: &AuditRow) -> bool {
    requested(row)
        && row.status.is_some()
        && !matches!(
            row.verdict,
            Some(Verdict::Unverified | Verdict::BotChallenge)
        )
}

/// First row per key.
fn by_key<'a>(rows: &'a [AuditRow], origin: &str) -> HashMap<String, &'a AuditRow> {
    let origin = normalise_origin(origin);
    let mut map = HashMap::new();
    for row in rows {
        map.entry(key(&row.url, &origin)).or_insert(row);
    }
    map
}

/// (classes, 401s, 403s) over the requested rows, as [`super::Tally`] counts them.
fn tally(rows: &[AuditRow]) -> ([u64; 6], u64, u64) {
    let (mut classes, mut s401, mut s403) = ([0; 6], 0, 0);
    for status in rows.iter().filter(|r| requested(r)).filter_map(|r| r.status) {
        classes[usize::from(status / 100).min(5)] += 1;
        s401 += u64::from(status == 401);
        s403 += u64::from(status == 403);
    }
    (classes, s401, s403)
}

/// Compare an older run with a newer one. Origins are `scheme://host[:port]` of each run; the key
/// is the URL with its own run's origin stripped (so another port or scheme does not make
/// everything new).
pub fn compare(old: &[AuditRow], old_origin: &str, new: &[AuditRow], new_origin: &str) -> Comparison {
    let (old_map, new_map) = (by_key(old, old_origin), by_key(new, new_origin));
    let mut findings = Vec::new();
    let mut push = |key: &str, url: &str, finding: Finding, change, severity| {
        let (key, url) = (key.to_string(), url.to_string());
        findings.push(FindingChange { key, url, finding, change, severity });
    };
    let (mut status_changes, mut spike) = (Vec::new(), Spike::default());
    for (key, row) in &new_map {
        let before = old_map.get(key).copied();
        let old_findings = before.map(findings_of).unwrap_or_default();
        for f in findings_of(row) {
            let change = if old_findings.contains(&f) { Change::Still } else { Change::New };
            push(key, &row.url, f, change, f.severity(row.in_sitemap));
        }
        if let Some(before) = before.filter(|b| requested(b) && requested(row)) {
            spike.common_urls += 1;
            spike.old_401 += u64::from(before.status == Some(401));
            spike.new_401 += u64::from(row.status == Some(401));
            if before.status != row.status {
                let (key, url) = (key.clone(), row.url.clone());
                status_changes.push(StatusChange { key, url, old: before.status, new: row.status });
            }
        }
    }
    for (key, row) in &old_map {
        let after = new_map.get(key).copied();
        let new_findings = after.map(findings_of).unwrap_or_default();
        let change = if after.is_some_and(rechecked) { Change::Fixed } else { Change::NotRechecked };
        let url = after.map_or(&row.url, |a| &a.url);
        for f in findings_of(row).into_iter().filter(|f| !new_findings.contains(f)) {
            push(key, url, f, change, f.severity(row.in_sitemap));
        }
    }
    findings.sort_by(|a, b| {
        (a.change, b.severity, &a.key, a.finding).cmp(&(b.change, a.severity, &b.key, b.finding))
    });
    status_changes.sort_by(|a, b| a.key.cmp(&b.key));
    spike.pct = match (spike.old_401, spike.new_401) {
        (0, 0) => 0.0,
        (0, _) => f64::INFINITY,
        (o, n) => (n as f64 - o as f64) * 100.0 / o as f64,
    };
    let index = findings.iter().enumerate().map(|(i, f)| ((f.key.clone(), f.finding), i)).collect();
    let ((old_classes, old_401, old_403), (new_classes, new_401, new_403)) = (tally(old), tally(new));
    Comparison {
        findings,
        status_changes,
        spike,
        old_classes,
        new_classes,
        old_401,
        new_401,
        old_403,
        new_403,
        old_rows: old.len() as u64,
        new_rows: new.len() as u64,
        index,
    }
}

/// A finding's rows of one change, worst severity first: (finding, worst severity, changes).
type Group<'a> = (Finding, Severity, Vec<&'a FindingChange>);

fn status_text(status: Option<u16>) -> String {
    status.map_or_else(|| "no response".to_string(), |s| s.to_string())
}

/// Escape Markdown syntax in text that came from the site.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>|#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const CHANGES: [(Change, &str); 4] = [
    (Change::New, "new"),
    (Change::Fixed, "fixed"),
    (Change::NotRechecked, "not rechecked"),
    (Change::Still, "still"),
];

impl Comparison {
    /// The `change` cell of a row of the newer run: one value per finding, aligned with its
    /// `finding` cell (`new;still`), empty when it has none. A row the comparison ignored (a
    /// later duplicate key) or an unknown finding label gets an empty value in its place.
    pub fn change_cell(&self, row: &AuditRow, origin: &str) -> String {
        if row.finding.trim().is_empty() {
            return String::new();
        }
        let key = key(&row.url, &normalise_origin(origin));
        let cell = row.finding.split(';').map(|text| {
            Finding::from_label(text)
                .and_then(|f| self.index.get(&(key.clone(), f)))
                .map(|&i| &self.findings[i])
                .filter(|c| c.url == row.url && matches!(c.change, Change::New | Change::Still))
                .map_or(String::new(), |c| label(&c.change))
        });
        cell.collect::<Vec<_>>().join(";")
    }

    /// Findings with this change whose severity is at least `at_least`.
    pub fn count(&self, change: Change, at_least: Severity) -> usize {
        let hit = |f: &&FindingChange| f.change == change && f.severity >= at_least;
        self.findings.iter().filter(hit).count()
    }

    /// Whether the 401 count among common URLs grew by more than `pct` percent and by at least
    /// 5 URLs (issue 7's `--fail-on-spike`).
    pub fn spiked(&self, pct: f64) -> bool {
        self.spike.new_401 >= self.spike.old_401 + 5 && self.spike.pct > pct
    }

    fn groups(&self, change: Change) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = Vec::new();
        for f in self.findings.iter().filter(|f| f.change == change) {
            match groups.iter_mut().find(|g| g.0 == f.finding) {
                Some(g) => {
                    g.1 = g.1.max(f.severity);
                    g.2.push(f);
                }
                None => groups.push((f.finding, f.severity, vec![f])),
            }
        }
        groups.sort_by(|a, b| (b.1, a.0).cmp(&(a.1, b.0)));
        groups
    }

    fn spike_pct(&self) -> String {
        match self.spike.pct {
            p if p.is_infinite() => "from none".to_string(),
            p => format!("{p:+.0}%"),
        }
    }

    fn first_run_note(&self) -> Option<&'static str> {
        (self.old_rows == 0).then_some("first run: no previous run to compare with, so every finding is new")
    }

    /// The "since last run" block, as plain text lines for the summary (and `authwall diff`).
    pub fn text(&self) -> String {
        let mut s = String::from("Since last run\n");
        if let Some(note) = self.first_run_note() {
            let _ = writeln!(s, "  {note}");
        }
        let (o, n) = (&self.old_classes, &self.new_classes);
        let _ = writeln!(s, "  URLs recorded    {} → {}", self.old_rows, self.new_rows);
        let _ = writeln!(
            s,
            "  status           2xx {} → {} · 3xx {} → {} · 4xx {} → {} (401: {} → {}, 403: {} → {}) · 5xx {} → {}",
            o[2], n[2], o[3], n[3], o[4], n[4], self.old_401, self.new_401, self.old_403,
            self.new_403, o[5], n[5]
        );
        let sp = &self.spike;
        let _ = writeln!(
            s,
            "  401 in both runs {} → {} among {} URLs requested in both ({})",
            sp.old_401, sp.new_401, sp.common_urls, self.spike_pct()
        );
        let counts: Vec<String> = CHANGES
            .iter()
            .map(|(c, name)| format!("{} {name}", self.count(*c, Severity::Info)))
            .collect();
        let _ = writeln!(s, "  findings         {}", counts.join(" · "));
        for (change, name) in CHANGES {
            for (finding, severity, rows) in self.groups(change) {
                let _ = writeln!(s, "    {name} {finding} ({severity}): {}", rows.len());
                if matches!(change, Change::New | Change::Fixed) {
                    for row in rows.iter().take(EXAMPLES_PER_FINDING) {
                        let _ = writeln!(s, "      {}", row.url);
                    }
                    if rows.len() > EXAMPLES_PER_FINDING {
                        let _ = writeln!(s, "      … {} more", rows.len() - EXAMPLES_PER_FINDING);
                    }
                }
            }
        }
        let _ = writeln!(s, "  status changes   {}", self.status_changes.len());
        for c in self.status_changes.iter().take(STATUS_CHANGES_LISTED) {
            let _ = writeln!(s, "    {} → {}  {}", status_text(c.old), status_text(c.new), c.url);
        }
        if self.status_changes.len() > STATUS_CHANGES_LISTED {
            let _ = writeln!(s, "    … {} more", self.status_changes.len() - STATUS_CHANGES_LISTED);
        }
        s
    }

    /// The same block as Markdown (a heading, tables).
    pub fn markdown(&self) -> String {
        let mut s = String::from("## Since last run\n\n");
        if let Some(note) = self.first_run_note() {
            let _ = writeln!(s, "_{}_\n", md(note));
        }
        s.push_str("| | Before | Now |\n|---|---:|---:|\n");
        let _ = writeln!(s, "| URLs recorded | {} | {} |", self.old_rows, self.new_rows);
        for class in 2..=5 {
            let (o, n) = (self.old_classes[class], self.new_classes[class]);
            let _ = writeln!(s, "| {class}xx | {o} | {n} |");
        }
        let _ = writeln!(s, "| 401 | {} | {} |", self.old_401, self.new_401);
        let _ = writeln!(s, "| 403 | {} | {} |", self.old_403, self.new_403);
        let sp = &self.spike;
        let _ = writeln!(
            s,
            "| 401 among the {} URLs requested in both ({}) | {} | {} |",
            sp.common_urls, self.spike_pct(), sp.old_401, sp.new_401
        );
        if !self.findings.is_empty() {
            s.push_str("\n| Finding | Severity | New | Fixed | Not rechecked | Still |\n");
            s.push_str("|---|---|---:|---:|---:|---:|\n");
            let mut all: Vec<Group<'_>> = Vec::new();
            for (change, _) in CHANGES {
                for (f, sev, _) in self.groups(change) {
                    match all.iter_mut().find(|g| g.0 == f) {
                        Some(g) => g.1 = g.1.max(sev),
                        None => all.push((f, sev, Vec::new())),
                    }
                }
            }
            all.sort_by(|a, b| (b.1, a.0).cmp(&(a.1, b.0)));
            for (f, sev, _) in all {
                let n = |c| self.findings.iter().filter(|x| x.finding == f && x.change == c).count();
                let (new, fixed) = (n(Change::New), n(Change::Fixed));
                let (nr, still) = (n(Change::NotRechecked), n(Change::Still));
                let _ = writeln!(s, "| `{f}` | {sev} | {new} | {fixed} | {nr} | {still} |");
            }
        }
        for (change, title) in [(Change::New, "New findings"), (Change::Fixed, "Fixed findings")] {
            let groups = self.groups(change);
            if groups.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n### {title}\n");
            for (finding, severity, rows) in groups {
                let _ = writeln!(s, "**`{finding}`** ({severity}): {}\n", rows.len());
                for row in rows.iter().take(EXAMPLES_PER_FINDING) {
                    let _ = writeln!(s, "- {}", md(&row.url));
                }
                if rows.len() > EXAMPLES_PER_FINDING {
                    let _ = writeln!(s, "- … {} more", rows.len() - EXAMPLES_PER_FINDING);
                }
                s.push('\n');
            }
        }
        if !self.status_changes.is_empty() {
            s.push_str("\n### Status changes\n\n| URL | Before | Now |\n|---|---:|---:|\n");
            for c in self.status_changes.iter().take(STATUS_CHANGES_LISTED) {
                let (o, n) = (status_text(c.old), status_text(c.new));
                let _ = writeln!(s, "| {} | {o} | {n} |", md(&c.url));
            }
            if self.status_changes.len() > STATUS_CHANGES_LISTED {
                let more = self.status_changes.len() - STATUS_CHANGES_LISTED;
                let _ = writeln!(s, "| … {more} more | | |");
            }
        }
        s
    }
}
