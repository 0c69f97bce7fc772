//! Everything the run writes: the CSV (streamed), the run record next to it, and the summary
//! a person reads at the end.

pub mod accept;
pub mod baseline;
pub mod diff;
pub mod format;
pub mod overview;
pub mod row;
pub mod summary;

use std::collections::BTreeMap;

use row::AuditRow;

use crate::model::{DiscoveredVia, ErrorKind, SkipReason};

use crate::audit::{Finding, Severity, Verdict};

/// URLs listed per finding in the summary.
pub const EXAMPLES_PER_FINDING: usize = 10;

/// Counters kept as rows are written, for the summary and the progress bar.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub rows: u64,
    /// Rows whose finding walls a search engine off the page (a 401, 403, login redirect or
    /// login page, a script-drawn wall).
    pub walled: u64,
    /// Rows with a response, by status class (index 1 = 1xx … 5 = 5xx).
    pub classes: [u64; 6],
    pub status_401: u64,
    pub status_403: u64,
    pub no_response: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Pages requested (robots.txt and sitemaps excluded).
    pub pages_fetched: u64,
    /// Pages whose answer cannot be trusted: no response, or 429/503 to the end.
    pub unverified: u64,
    /// Rows per finding (a row with two findings counts in both).
    pub findings: BTreeMap<Finding, u64>,
    /// Rows per severity (their highest finding).
    pub severities: BTreeMap<Severity, u64>,
    pub verdicts: BTreeMap<Verdict, u64>,
    /// Up to [`EXAMPLES_PER_FINDING`] rows per finding, the most severe and shallowest
    /// first: whatever order the rows were written in, two runs over the same site list the
    /// same URLs (a weekly mail that changes for no reason teaches people to ignore it).
    pub examples: BTreeMap<(Finding, Severity), Vec<Example>>,
    /// Rows per finding and the severity it had there (public_401 is critical on the URLs a
    /// sitemap lists, high elsewhere): each summary line lists URLs of its own severity.
    pub by_severity: BTreeMap<(Finding, Severity), u64>,
    /// Probed private paths that robots.txt kept us from checking.
    pub probes_blocked_by_robots: Vec<String>,
    /// Rows worth showing a person (the HTML report): every row with a finding, and up to
    /// [`OTHER_ROWS_KEPT`] others whose verdict is not plain `ok`.
    pub notable: Vec<AuditRow>,
    other_notable: usize,
    /// URLs skipped by a crawler-trap guard, by reason and URL pattern: which pattern ate
    /// the budget.
    pub traps: BTreeMap<(SkipReason, String), u64>,
    /// The start URL itself is walled: the whole site is, for a search engine.
    pub start_wall: Option<StartWall>,
    /// Findings an `[[accept]]` entry in force accepts, by severity: reported, not counted.
    pub accepted: BTreeMap<Severity, u64>,
    /// Per `[[accept]]` entry (its index): findings it accepted, and findings it matched after
    /// its `until` (which count again).
    pub accept_hits: BTreeMap<usize, u64>,
    pub expired_hits: BTreeMap<usize, u64>,
}

/// How the start URL keeps everyone out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartWall {
    /// It redirects to a login page, at this URL (its return parameter dropped).
    Login(String),
    /// It answers this status (401 or 403).
    Status(u16),
}

impl StartWall {
    /// The sentence a summary leads with.
    pub fn sentence(&self) -> String {
        match self {
            StartWall::Login(at) => format!(
                "The whole site is behind a login at {at}: search engines see only that page. \
                 The findings below are what lies behind it."
            ),
            StartWall::Status(status) => format!(
                "The whole site answers {status} to anonymous visitors: search engines see \
                 nothing of it. The findings below are what lies behind it."
            ),
        }
    }
}

/// One URL listed under a finding in the summary.
#[derive(Debug, Clone)]
pub struct Example {
    pub severity: Severity,
    pub depth: u32,
    pub url: String,
    /// Where a person finds the URL (the sitemap or page that listed it, or our probe).
    pub found: String,
}

impl Example {
    fn key(&self) -> (std::cmp::Reverse<Severity>, u32, &str) {
        (std::cmp::Reverse(self.severity), self.depth, &self.url)
    }
}

/// Rows without findings kept for the report's "everything not ok" table.
pub const OTHER_ROWS_KEPT: usize = 2_000;

impl Tally {
    pub fn add(&mut self, row: &AuditRow) {
        self.rows += 1;
        self.add_verdict(row);
        if !row.finding.is_empty()
            && row
                .finding
                .split(';')
                .filter_map(Finding::from_label)
                .any(Finding::walls_off)
        {
            self.walled += 1;
        }
        if let Some(reason) = row.skip_reason {
            *self.skipped.entry(reason).or_default() += 1;
            if matches!(
                reason,
                SkipReason::TrapQuery
                    | SkipReason::TrapDepth
                    | SkipReason::TrapRepeat
                    | SkipReason::TrapLength
                    | SkipReason::MaxPages
            ) {
                *self
                    .traps
                    .entry((reason, url_pattern(&row.url)))
                    .or_default() += 1;
            }
            return;
        }
        if let Some(error) = row.error {
            *self.errors.entry(error).or_default() += 1;
        }
        let page = row.kind == crate::model::Kind::Page;
        if page {
            self.pages_fetched += 1;
        }
        match row.status {
            Some(status) => {
                self.classes[usize::from(status / 100).min(5)] += 1;
                self.status_401 += u64::from(status == 401);
                self.status_403 += u64::from(status == 403);
                if page && row.error == Some(ErrorKind::RetriesExhausted) {
                    self.unverified += 1;
                }
            }
            None => {
                self.no_response += 1;
                if page {
                    self.unverified += 1;
                }
            }
        }
    }
}

impl Tally {
    fn add_verdict(&mut self, row: &AuditRow) {
        let start = row.depth == 0
            && row.discovered_via == DiscoveredVia::Seed
            && row.kind == crate::model::Kind::Page;
        if start && row.verdict == Some(Verdict::Walled) {
            let findings: Vec<Finding> = row
                .finding
                .split(';')
                .filter_map(Finding::from_label)
                .collect();
            self.start_wall = if findings.contains(&Finding::PublicLoginRedirect) {
                let at = url::Url::parse(&row.final_url)
                    .map(|u| crate::audit::without_return(&u).to_string())
                    .unwrap_or_else(|_| row.final_url.clone());
                Some(StartWall::Login(at))
            } else {
                row.final_status.map(StartWall::Status)
            };
        }
        let plain = matches!(row.verdict, None | Some(Verdict::Ok))
            || row.skip_reason == Some(SkipReason::OutOfScope);
        if !row.finding.is_empty() {
            self.notable.push(row.clone());
        } else if !plain && self.other_notable < OTHER_ROWS_KEPT {
            self.other_notable += 1;
            self.notable.push(row.clone());
        }
        if let Some(verdict) = row.verdict {
            *self.verdicts.entry(verdict).or_default() += 1;
        }
        let accepted: Vec<Finding> = row
            .accepted
            .split(';')
            .filter_map(Finding::from_label)
            .collect();
        // The row counts by its worst finding that is not accepted.
        let counted = row
            .finding
            .split(';')
            .filter_map(Finding::from_label)
            .filter(|f| !accepted.contains(f))
            .map(|f| f.severity(row.in_sitemap))
            .max();
        if let Some(severity) = counted {
            *self.severities.entry(severity).or_default() += 1;
        }
        for finding in &accepted {
            *self
                .accepted
                .entry(finding.severity(row.in_sitemap))
                .or_default() += 1;
        }
        if row.discovered_via == DiscoveredVia::Probe && row.skip_reason == Some(SkipReason::Robots)
        {
            self.probes_blocked_by_robots.push(row.url.clone());
        }
        for finding in row.finding.split(';').filter_map(Finding::from_label) {
            if accepted.contains(&finding) {
                continue;
            }
            *self.findings.entry(finding).or_default() += 1;
            let severity = finding.severity(row.in_sitemap);
            *self.by_severity.entry((finding, severity)).or_default() += 1;
            let examples = self.examples.entry((finding, severity)).or_default();
            let key = (std::cmp::Reverse(severity), row.depth, row.url.as_str());
            let at = examples.partition_point(|e| e.key() <= key);
            if at < EXAMPLES_PER_FINDING {
                examples.truncate(EXAMPLES_PER_FINDING - 1);
                examples.insert(
                    at,
                    Example {
                        severity,
                        depth: row.depth,
                        url: row.url.clone(),
                        found: where_found_text(row),
                    },
                );
            }
        }
    }

    /// Rows whose worst finding is at least `threshold`.
    /// Which `[[accept]]` entries a row matched (see [`accept::Acceptances::apply`]).
    pub fn add_hits(&mut self, hits: &accept::Hits) {
        for &i in &hits.active {
            *self.accept_hits.entry(i).or_default() += 1;
        }
        for &i in &hits.expired {
            *self.expired_hits.entry(i).or_default() += 1;
        }
    }

    /// Rows whose worst finding that is not accepted is at or above `threshold`.
    pub fn at_or_above(&self, threshold: Severity) -> u64 {
        self.severities.range(threshold..).map(|(_, n)| n).sum()
    }
}

/// A URL's shape, to group what a trap or the budget cut off: the first three path segments,
/// numbers replaced by `*`, and `?…` when it has a query (`/calendar/*/*/…?…`).
pub fn url_pattern(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let segments: Vec<&str> = parsed
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let mut pattern: String = segments
        .iter()
        .take(3)
        .map(|s| {
            if s.chars().any(|c| c.is_ascii_digit()) {
                "/*".to_string()
            } else {
                format!("/{s}")
            }
        })
        .collect();
    if segments.len() > 3 {
        pattern.push_str("/…");
    }
    if pattern.is_empty() {
        pattern.push('/');
    }
    if parsed.query().is_some() {
        pattern.push_str("?…");
    }
    pattern
}

/// Where a person finds the URL, in words, and the page those words point at: the sitemap or
/// page that listed it, the URL that redirects to it, or our probe. One wording for every
/// output (the text joins the two, the HTML report links the page).
pub fn where_found(row: &AuditRow) -> (&'static str, Option<&str>) {
    let referrer = (!row.referrer.is_empty()).then_some(row.referrer.as_str());
    let listed = row.in_sitemap;
    let phrase = match (row.discovered_via, referrer.is_some()) {
        (DiscoveredVia::Probe, false) => "probed (no page links to it)",
        (DiscoveredVia::Probe, true) => "probed; linked from",
        (DiscoveredVia::Seed, false) => "the start URL",
        (DiscoveredVia::List, _) => "in the list",
        (DiscoveredVia::Member, _) => "reached only by the member crawl",
        (DiscoveredVia::Sitemap, true) => "listed in",
        (DiscoveredVia::Sitemap, false) => "listed in a sitemap",
        (_, true) if listed => "in a sitemap; linked from",
        (DiscoveredVia::Redirect, true) => "redirect from",
        (DiscoveredVia::Redirect, false) => "a redirect target",
        (_, true) => "linked from",
        (_, false) if listed => "in a sitemap",
        (_, false) => "found by a link",
    };
    (phrase, referrer)
}

/// [`where_found`] as plain text.
pub(crate) fn where_found_text(row: &AuditRow) -> String {
    match where_found(row) {
        (phrase, Some(page)) => format!("{phrase} {page}"),
        (phrase, None) => phrase.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walled(path: &str, depth: u32, in_sitemap: bool) -> AuditRow {
        AuditRow {
            url: format!("https://ex.com{path}"),
            depth,
            in_sitemap,
            finding: "public_401".to_string(),
            ..AuditRow::default()
        }
    }

    #[test]
    fn summary_examples_do_not_depend_on_the_order_rows_were_written_in() {
        let mut rows: Vec<AuditRow> = (0..30)
            .map(|i| walled(&format!("/p/{i:02}"), 1 + i % 3, false))
            .collect();
        rows.push(walled("/listed", 4, true));
        let examples = |rows: &[AuditRow], severity| {
            let mut tally = Tally::default();
            rows.iter().for_each(|r| tally.add(r));
            tally.examples[&(Finding::Public401, severity)]
                .iter()
                .map(|e| e.url.clone())
                .collect::<Vec<_>>()
        };
        let forward = examples(&rows, Severity::High);
        rows.reverse();
        assert_eq!(examples(&rows, Severity::High), forward);
        assert_eq!(forward.len(), EXAMPLES_PER_FINDING);
        // The shallowest first; the one listed in a sitemap is critical, on a line of its own.
        assert_eq!(forward[0], "https://ex.com/p/00");
        assert_eq!(forward[1], "https://ex.com/p/03");
        assert_eq!(
            examples(&rows, Severity::Critical),
            ["https://ex.com/listed"]
        );
    }
}
