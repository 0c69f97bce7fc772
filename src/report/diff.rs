//! Comparison with the previous run (`--baseline`, `authwall diff`) and 401 spikes (issues 4, 7).
//!
//! A finding is keyed by (URL key, finding). The key is the URL's path + query relative to its own
//! run's origin (the full URL when off-origin), so a run on another port or scheme does not make
//! everything new. When two rows of one run have the same key, the first is kept and the later
//! ones are ignored: their findings are not compared and their `change` values are empty.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use url::{Position, Url};

use super::EXAMPLES_PER_FINDING;
use crate::audit::{Finding, Severity, Verdict};
use crate::model::{closed_list, label};
use crate::report::row::AuditRow;
use Change::*;

pub(crate) const STATUS_CHANGES_LISTED: usize = 20; // in the "since last run" block
pub(crate) const FIRST_RUN: &str =
    "First run: no previous run to compare with, so every finding is new.";

closed_list! {
    /// How a finding moved between the older and the newer run.
    pub enum Change {
        /// Only in the newer run.
        New,
        /// In both runs.
        Still,
        /// Gone, and the newer run re-requested the URL and saw its real answer.
        Fixed,
        /// Gone, but the newer run did not see the URL's real answer (not reached, skipped, no
        /// response, `unverified`, `bot_challenge`): it may or may not be fixed.
        NotRechecked,
        /// Runs of two versions of authwall: the URL answered the same (status, final URL, bytes)
        /// but the newer rules judge it differently. Neither new nor fixed: nothing changed on the
        /// site. (A value of the CSV's `change` column from schema 4 on, the first schema after
        /// the rule.)
        Reclassified,
    }
}

/// Whether the two runs were judged by the same rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// Written by the same version of authwall.
    Same,
    /// Written by two versions: a finding that appears or goes on an unchanged answer is
    /// [`Change::Reclassified`].
    Changed,
}

/// The order of the summary's sections: change, human name, URLs listed per finding.
pub(crate) const CHANGES: [(Change, &str, usize); 5] = [
    (New, "new", EXAMPLES_PER_FINDING),
    (Fixed, "fixed", EXAMPLES_PER_FINDING),
    (Reclassified, "reclassified", EXAMPLES_PER_FINDING),
    (NotRechecked, "not rechecked", 0),
    (Still, "still", 0),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingChange {
    /// Path + query relative to the origin, or the full URL when off-origin.
    pub key: String,
    /// The URL in the newer run, else the older.
    pub url: String,
    pub finding: Finding,
    pub change: Change,
    /// On the newer row for `new`/`still`, on the older row for `fixed`/`not_rechecked`.
    pub severity: Severity,
    /// The newer row's `[[accept]]` entries accept it: it does not count toward the exit code.
    #[serde(default)]
    pub accepted: bool,
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
    /// Growth in percent: 0 when there were none and are none, infinite from none to some.
    pub pct: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    /// Sorted: change (new first), severity (worst first), key, finding.
    pub findings: Vec<FindingChange>,
    /// URLs requested in both runs whose `status` differs, sorted by key.
    pub status_changes: Vec<StatusChange>,
    pub spike: Spike,
    /// Requested rows by status class (index 1 = 1xx … 5 = 5xx), as the run's tally counts them.
    pub old_classes: [u64; 6],
    pub new_classes: [u64; 6],
    /// All 401 and 403 answers of each run, `[401, 403]` (not only the common URLs).
    pub old_401_403: [u64; 2],
    pub new_401_403: [u64; 2],
    /// Rows of each run; an older run without rows means this is the first run.
    pub old_rows: u64,
    pub new_rows: u64,
    /// (key, finding) -> position in `findings`.
    #[serde(skip)]
    index: HashMap<(String, Finding), usize>,
}

/// Path + query when `url` is on `origin` (`scheme://host[:port]`, compared as the URL standard
/// serialises origins: default port dropped, lowercase), else the full URL.
fn key(url: &str, origin: &str) -> String {
    let origin = Url::parse(origin).map(|o| o.origin());
    match Url::parse(url) {
        Ok(u) if Ok(u.origin()) == origin => u[Position::BeforePath..Position::AfterQuery].into(),
        _ => url.to_string(),
    }
}

/// The row's findings (unknown labels dropped).
fn findings_of(row: &AuditRow) -> BTreeSet<Finding> {
    let labels = row.finding.split(';');
    labels.filter_map(Finding::from_label).collect()
}

/// The same answer judged differently: the same status, final URL and size, but another
/// verdict or other findings.
fn judged_differently(before: &AuditRow, after: &AuditRow, origins: (&str, &str)) -> bool {
    let same_answer = before.status == after.status
        && before.bytes == after.bytes
        && key(&before.final_url, origins.0) == key(&after.final_url, origins.1);
    same_answer && (before.verdict != after.verdict || findings_of(before) != findings_of(after))
}

fn requested(row: &AuditRow) -> bool {
    row.skip_reason.is_none()
}

/// Whether the row shows the site's real answer, so that a missing finding is fixed.
fn rechecked(row: &AuditRow) -> bool {
    let unseen = [Some(Verdict::Unverified), Some(Verdict::BotChallenge)];
    requested(row) && row.status.is_some() && !unseen.contains(&row.verdict)
}

/// The first row of each key, in key order.
fn by_key<'a>(rows: &'a [AuditRow], origin: &str) -> BTreeMap<String, &'a AuditRow> {
    let mut map = BTreeMap::new();
    for row in rows {
        map.entry(key(&row.url, origin)).or_insert(row);
    }
    map
}

/// (classes, [401s, 403s]) over the requested rows, as [`super::Tally`] counts them.
fn tally(rows: &[AuditRow]) -> ([u64; 6], [u64; 2]) {
    let (mut classes, mut auth) = ([0; 6], [0; 2]);
    let requested = rows.iter().filter(|r| requested(r));
    for status in requested.filter_map(|r| r.status) {
        classes[usize::from(status / 100).min(5)] += 1;
        auth[0] += u64::from(status == 401);
        auth[1] += u64::from(status == 403);
    }
    (classes, auth)
}

/// Compare an older run with a newer one. Origins are `scheme://host[:port]` of each run; the key
/// is the URL with its own run's origin stripped (so another port or scheme does not make
/// everything new).
pub fn compare(
    old: &[AuditRow],
    old_origin: &str,
    new: &[AuditRow],
    new_origin: &str,
    rules: Rules,
) -> Comparison {
    let reclassified = |before: &AuditRow, after: &AuditRow| {
        rules == Rules::Changed && judged_differently(before, after, (old_origin, new_origin))
    };
    let (old_map, new_map) = (by_key(old, old_origin), by_key(new, new_origin));
    let mut c = Comparison::default();
    (c.old_rows, c.new_rows) = (old.len() as u64, new.len() as u64);
    (c.old_classes, c.old_401_403) = tally(old);
    (c.new_classes, c.new_401_403) = tally(new);
    let mut push = |key: &String, url: &String, finding: Finding, change, row: &AuditRow| {
        let (key, url, severity) = (key.clone(), url.clone(), finding.severity(row.in_sitemap));
        let accepted = row
            .accepted
            .split(';')
            .any(|a| Finding::from_label(a) == Some(finding));
        c.findings.push(FindingChange {
            key,
            url,
            finding,
            change,
            severity,
            accepted,
        });
    };
    for (key, row) in &new_map {
        let before = old_map.get(key).copied();
        let had = before.map(findings_of).unwrap_or_default();
        let moved = before.is_some_and(|b| reclassified(b, row));
        for f in findings_of(row) {
            let change = match (had.contains(&f), moved) {
                (true, _) => Still,
                (false, true) => Reclassified,
                (false, false) => New,
            };
            push(key, &row.url, f, change, row);
        }
        if let Some(before) = before.filter(|b| requested(b) && requested(row)) {
            c.spike.common_urls += 1;
            c.spike.old_401 += u64::from(before.status == Some(401));
            c.spike.new_401 += u64::from(row.status == Some(401));
            let (old, new) = (before.status, row.status);
            if old != new {
                let (key, url) = (key.clone(), row.url.clone());
                c.status_changes.push(StatusChange { key, url, old, new });
            }
        }
    }
    for (key, row) in &old_map {
        let after = new_map.get(key).copied();
        let has = after.map(findings_of).unwrap_or_default();
        let seen = after.is_some_and(rechecked);
        let change = match after {
            Some(after) if reclassified(row, after) => Reclassified,
            _ if seen => Fixed,
            _ => NotRechecked,
        };
        for f in findings_of(row).into_iter().filter(|f| !has.contains(f)) {
            push(key, &after.unwrap_or(row).url, f, change, row);
        }
    }
    c.findings.sort_by(|a, b| {
        (a.change, b.severity, &a.key, a.finding).cmp(&(b.change, a.severity, &b.key, b.finding))
    });
    for (i, f) in c.findings.iter().enumerate() {
        c.index.insert((f.key.clone(), f.finding), i);
    }
    let (o, n) = (c.spike.old_401 as f64, c.spike.new_401 as f64);
    c.spike.pct = if n == o { 0.0 } else { (n - o) * 100.0 / o }; // from none: infinite
    c
}

/// Up to `max` items, then `… N more` (nothing when `max` is 0).
pub(crate) fn capped(items: &[impl std::fmt::Display], max: usize) -> Vec<String> {
    let mut out: Vec<String> = items.iter().take(max).map(ToString::to_string).collect();
    if items.len() > max && max > 0 {
        out.push(format!("… {} more", items.len() - max));
    }
    out
}

impl Comparison {
    /// The `change` cell of a row of the newer run: one value per finding, aligned with its
    /// `finding` cell (`new;still`), empty when it has none. A row the comparison ignored (a
    /// later duplicate key) or an unknown finding label gets empty values in place.
    pub fn change_cell(&self, row: &AuditRow, origin: &str) -> String {
        let key = key(&row.url, origin);
        let value = |text: &str| {
            let i = Finding::from_label(text).and_then(|f| self.index.get(&(key.clone(), f)));
            let c = i.map(|&i| &self.findings[i]);
            let c =
                c.filter(|c| c.url == row.url && matches!(c.change, New | Still | Reclassified));
            c.map_or("", |c| label(&c.change))
        };
        let values: Vec<&str> = row.finding.split(';').map(value).collect();
        values.join(";")
    }

    /// Findings with this change whose severity is at least `at_least`.
    pub fn count(&self, change: Change, at_least: Severity) -> usize {
        let hit = |f: &&FindingChange| f.change == change && f.severity >= at_least && !f.accepted;
        self.findings.iter().filter(hit).count()
    }

    /// Whether the 401 count grew by more than `pct` percent and by at least 5 URLs (issue 7's
    /// `--fail-on-spike`), among the URLs requested in both runs.
    pub fn spiked(&self, pct: f64) -> bool {
        self.spike.new_401 >= self.spike.old_401 + 5 && self.spike.pct > pct
    }

    /// Per finding with this change, worst first: (finding, worst severity, count, up to `max`
    /// of its URLs).
    pub(crate) fn groups(
        &self,
        change: Change,
        max: usize,
    ) -> Vec<(Finding, Severity, usize, Vec<String>)> {
        let mut groups: BTreeMap<Finding, (Severity, Vec<&str>)> = BTreeMap::new();
        for f in self.findings.iter().filter(|f| f.change == change) {
            let group = groups.entry(f.finding).or_insert((f.severity, Vec::new()));
            group.0 = group.0.max(f.severity);
            group.1.push(&f.url);
        }
        let group = |(f, (sev, urls)): (_, (_, Vec<_>))| (f, sev, urls.len(), capped(&urls, max));
        let mut groups: Vec<_> = groups.into_iter().map(group).collect();
        groups.sort_by_key(|g| (Reverse(g.1), g.0));
        groups
    }

    /// (label, before, now) for the counts that open the block.
    pub(crate) fn counts(&self) -> Vec<(String, u64, u64)> {
        let (o, n, sp) = (&self.old_classes, &self.new_classes, &self.spike);
        let mut counts = vec![("URLs recorded".to_string(), self.old_rows, self.new_rows)];
        counts.extend((2..=5).map(|c| (format!("{c}xx"), o[c], n[c])));
        counts.push(("401".to_string(), self.old_401_403[0], self.new_401_403[0]));
        counts.push(("403".to_string(), self.old_401_403[1], self.new_401_403[1]));
        let pct = format!("{:+.0}%", sp.pct).replace("inf", "∞");
        let common = format!("401 among {} URLs in both runs ({pct})", sp.common_urls);
        counts.push((common, sp.old_401, sp.new_401));
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SkipReason;
    use crate::report::format::Summary;
    use crate::report::format::markdown::Markdown;
    use crate::report::format::text::Text;

    const SHOP: &str = "https://shop.test";

    /// Comma-separated rows: `URL-or-path status|-|skip finding-cell|- [sitemap|verdict]`.
    fn run(spec: &str) -> Vec<AuditRow> {
        let row = |line: &str| {
            let w: Vec<&str> = line.split_whitespace().collect();
            let flag = w.get(3).copied().unwrap_or("ok");
            AuditRow {
                url: format!("{}{}", if w[0].starts_with('/') { SHOP } else { "" }, w[0]),
                status: w[1].parse().ok(),
                skip_reason: (w[1] == "skip").then_some(SkipReason::MaxPages),
                finding: w[2].trim_matches('-').to_string(),
                in_sitemap: flag == "sitemap",
                verdict: Verdict::from_label(flag).or(Some(Verdict::Ok)),
                ..AuditRow::default()
            }
        };
        spec.split(',').map(row).collect()
    }

    fn changes(c: &Comparison) -> String {
        let line = |f: &FindingChange| format!("{} {} {}", f.key, f.finding, label(&f.change));
        c.findings.iter().map(line).collect::<Vec<_>>().join(", ")
    }

    #[test]
    fn new_still_fixed_and_not_rechecked_in_text() {
        let old = "/a 401 public_401 sitemap, /b 200 private_leak, /c 200 private_leak, /d 200 -, \
                   /e 401 public_401, /t 200 private_leak, /u 200 private_leak, /w 200 private_leak";
        // Not rechecked: /c gone, /e skipped, /t no response, /u unverified, /w bot challenge.
        let new = "/a 401 public_401 sitemap, /b 403 -, /d 401 public_401;missing_www_authenticate, \
                   /e skip -, /t - -, /u 503 - unverified, /w 403 - bot_challenge";
        let c = compare(&run(old), SHOP, &run(new), SHOP, Rules::Same);
        let want = "/d public_401 new, /d missing_www_authenticate new, /a public_401 still, \
                    /b private_leak fixed, /c private_leak not_rechecked, /t private_leak not_rechecked, \
                    /u private_leak not_rechecked, /w private_leak not_rechecked, /e public_401 not_rechecked";
        assert_eq!(changes(&c), want);
        let (high, critical) = (Severity::High, Severity::Critical);
        assert_eq!((c.count(New, high), c.count(Still, critical)), (1, 1));
        let want = "Since last run
  URLs recorded: 8 → 7 · 2xx: 6 → 0 · 3xx: 0 → 0 · 4xx: 2 → 4 · 5xx: 0 → 1
  401: 2 → 2 · 403: 0 → 2
  401 among 6 URLs in both runs (+100%): 1 → 2
  findings: 2 new · 1 fixed · 5 not rechecked · 1 still
    new public_401 (high): 1
      https://shop.test/d
    new missing_www_authenticate (medium): 1
      https://shop.test/d
    fixed private_leak (critical): 1
      https://shop.test/b
    not rechecked private_leak (critical): 4
    not rechecked public_401 (high): 1
    still public_401 (critical): 1
  status changes: 5
    200 → 403  https://shop.test/b
    200 → 401  https://shop.test/d
    200 → no response  https://shop.test/t
    200 → 503  https://shop.test/u
    200 → 403  https://shop.test/w
";
        assert_eq!(Text.comparison(&c), want);
    }

    #[test]
    fn the_same_site_on_another_port_matches_keys() {
        let rows = "http://127.0.0.1:8080/a?x=1 401 public_401, https://cdn.test/x 403 public_403";
        let (old, new) = (run(rows), run(&rows.replace("8080", "9090")));
        let (o, n) = ("http://127.0.0.1:8080/", "http://127.0.0.1:9090");
        let c = compare(&old, o, &new, n, Rules::Same);
        let want = "/a?x=1 public_401 still, https://cdn.test/x public_403 still";
        assert_eq!((changes(&c).as_str(), c.status_changes.len()), (want, 0));
        assert_eq!(c.findings[0].url, "http://127.0.0.1:9090/a?x=1");
        let shop = run("https://shop.test/ 200 -");
        let c = compare(&shop, "https://SHOP.test:443", &shop, SHOP, Rules::Same);
        assert_eq!(c.spike.common_urls, 1, "default port, host case");
    }

    #[test]
    fn status_changes_of_urls_requested_in_both_runs_are_listed_by_key() {
        let old = "/z 200 -, /a 200 -, /same 404 -, /skip skip -, /slow 200 -";
        let new = "/z 401 -, /a 401 -, /same 404 -, /skip 401 -, /slow - -, /only-new 401 -";
        let text = Text.comparison(&compare(&run(old), SHOP, &run(new), SHOP, Rules::Same));
        let want = "  status changes: 3\n    200 → 401  https://shop.test/a\n    \
                    200 → no response  https://shop.test/slow\n    200 → 401  https://shop.test/z\n";
        assert!(text.ends_with(want), "{text}");
    }

    #[test]
    fn change_cell_is_aligned_with_the_finding_cell() {
        let old = run("/a 401 missing_www_authenticate, /b 401 -");
        let new = run("/a 401 public_401;missing_www_authenticate, /b 200 -, \
                       /c 401 missing_www_authenticate;bogus, https://shop.test:443/c 401 public_401");
        let c = compare(&old, SHOP, &new, SHOP, Rules::Same);
        let cells: Vec<String> = new.iter().map(|r| c.change_cell(r, SHOP)).collect();
        let want = ["new;still", "", "new;", ""];
        assert_eq!(cells, want, "unknown label, later duplicate key: empty");
    }

    /// 45 URLs in both runs, the first `old`/`new` of them 401; 60 more 401s in one run only.
    fn wave(old: usize, new: usize) -> Comparison {
        let rows = |n: usize, only: &str| {
            let common = (0..45).map(|i| format!("/p{i} {} -", if i < n { 401 } else { 200 }));
            let only = (0..60).map(|i| format!("/{only}{i} 401 public_401"));
            common.chain(only).collect::<Vec<_>>().join(",")
        };
        compare(
            &run(&rows(old, "old")),
            SHOP,
            &run(&rows(new, "new")),
            SHOP,
            Rules::Same,
        )
    }

    #[test]
    fn a_spike_counts_401s_among_urls_requested_in_both_runs() {
        let c = wave(3, 40);
        let sp = &c.spike;
        assert_eq!((sp.old_401, sp.new_401, sp.common_urls), (3, 40, 45));
        assert!(c.spiked(50.0) && !c.spiked(2000.0));
        let text = Text.comparison(&c);
        let counts = text.contains("401: 63 → 100 ·") && text.contains("runs (+1233%): 3 → 40\n");
        assert!(counts, "all 401s, then those among common URLs: {text}");
        assert!(text.contains("      … 50 more\n") && text.contains("    … 17 more\n"));
        assert!(!wave(3, 6).spiked(50.0), "fewer than 5 more");
        assert!(wave(3, 8).spiked(50.0) && !wave(10, 14).spiked(0.0) && !wave(40, 3).spiked(-99.0));
        assert!(wave(0, 5).spiked(1e9) && Text.comparison(&wave(0, 5)).contains("(+∞%): 0 → 5"));
    }

    #[test]
    fn empty_runs_and_a_first_run() {
        let c = compare(&[], SHOP, &[], SHOP, Rules::Same);
        assert!(c.findings.is_empty() && c.status_changes.is_empty() && !c.spiked(0.0));
        let none = "\n  findings: 0 new · 0 fixed · 0 not rechecked · 0 still\n";
        assert!(Text.comparison(&c).contains(none));
        let new = run("/a 401 public_401, /admin 200 private_leak");
        let c = compare(&[], SHOP, &new, SHOP, Rules::Same);
        assert_eq!(changes(&c), "/admin private_leak new, /a public_401 new");
        assert_eq!(c.change_cell(&new[0], SHOP), "new");
        let first = "Since last run\n  First run: no previous run to compare with";
        assert!(Text.comparison(&c).starts_with(first));
    }

    #[test]
    fn markdown_has_a_heading_and_tables_and_escapes_urls() {
        let (old, new) = (
            "/a 200 private_leak, /b 200 -",
            "/a 401 -, /b_|x 401 public_401",
        );
        let md = Markdown.comparison(&compare(&run(old), SHOP, &run(new), SHOP, Rules::Same));
        let want = [
            "## Since last run\n\n| | Before | Now |\n|---|---:|---:|\n| URLs recorded | 2 | 2 |\n",
            "\n| 401 among 1 URLs in both runs (+∞%) | 0 | 1 |\n",
            "\n| new | `public_401` | high | 1 | https://shop.test/b\\_\\|x |\n",
            "\n| fixed | `private_leak` | critical | 1 | https://shop.test/a |\n",
            "|---|---:|---:|\n| https://shop.test/a | 200 | 401 |\n",
        ];
        assert!(want.iter().all(|w| md.contains(w)), "{md}");
    }

    #[test]
    fn an_unchanged_answer_judged_by_new_rules_is_reclassified_not_new_or_fixed() {
        // /admin answered 200 with the same bytes both times; the newer version no longer
        // calls it a leak and finds something else. /b really changed on the site.
        let old = "/admin 200 private_leak;private_indexable leak, /b 200 -";
        let new = "/admin 200 missing_www_authenticate walled, /b 401 public_401 walled";
        let (old, new) = (run(old), run(new));
        let c = compare(&old, SHOP, &new, SHOP, Rules::Changed);
        assert_eq!(
            changes(&c),
            "/b public_401 new, /admin private_leak reclassified, \
             /admin private_indexable reclassified, /admin missing_www_authenticate reclassified"
        );
        assert_eq!(
            c.count(New, Severity::Info),
            1,
            "--fail-on-new sees only /b"
        );
        assert_eq!(c.change_cell(&new[0], SHOP), "reclassified");
        let text = Text.comparison(&c);
        assert!(text.contains("0 fixed · 3 reclassified"), "{text}");
        // The same runs by one version: the site's change, and the finding's.
        let same = compare(&old, SHOP, &new, SHOP, Rules::Same);
        assert_eq!(same.count(Reclassified, Severity::Info), 0);
        assert_eq!(same.count(Fixed, Severity::Info), 2);
        assert!(!Text.comparison(&same).contains("reclassified"));
    }
}
