//! Plain text: the summary for a terminal or a cron mail, and the "since last run" block
//! (also `authwall diff`'s output). Text from the site is written as it is: a terminal shows
//! it, nothing interprets it.

use std::fmt::Write as _;

use super::Summary;
use crate::audit::Severity;
use crate::model::{SkipReason, label};
use crate::report::diff::{
    CHANGES, Change, Comparison, FIRST_RUN, STATUS_CHANGES_LISTED, StatusChange, capped,
};
use crate::report::summary::RunReport;
use crate::report::{EXAMPLES_PER_FINDING, Example};

/// The plain-text format.
pub struct Text;

impl Summary for Text {
    fn run(&self, r: &RunReport<'_>) -> String {
        let (f, t) = (r.facts, r.tally);
        let mut s = String::new();
        let _ = writeln!(s, "authwall {} — {}", r.subject(), r.verdict());
        if let Some(line) = r.walled_line() {
            let _ = writeln!(s, "  {line}");
        }
        for line in r.certificate_lines() {
            let _ = writeln!(s, "  !! {line}");
        }
        since_last_run(r, &mut s);
        if r.config.crawl.authenticated() {
            let _ = writeln!(
                s,
                "  !! credentials were sent (--header / --basic-auth-env / --basic-auth-file): this audit does NOT see \
                 what search engines see; walls they meet may be open to it"
            );
        }
        findings(r, &mut s);
        for (i, line) in r.acceptance_lines().iter().enumerate() {
            let indent = if i == 0 { "  " } else { "    " };
            let _ = writeln!(s, "{indent}{line}");
        }
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
        if r.config.crawl.use_sitemaps {
            let _ = writeln!(
                s,
                "  sitemaps         {} read, {} URLs listed",
                f.sitemaps_read, f.sitemap_urls
            );
            for note in &f.sitemap_notes {
                let _ = writeln!(s, "                   {note}");
            }
        }
        if let Some(r) = &f.rendered {
            let _ = writeln!(
                s,
                "  rendered         {} page{} in Chromium ({} requests sent for them, {} refused)",
                r.pages,
                if r.pages == 1 { "" } else { "s" },
                r.requests,
                r.refused
            );
        }
        if let Some(line) = r.member_line() {
            let _ = writeln!(s, "  as a member      {line}");
        }
        let secs = f.elapsed.as_secs_f64();
        // A resumed run replays what the interrupted one was answered: not requests of its own.
        let mut replayed = match f.replayed {
            0 => String::new(),
            n => format!(" (and {n} answers replayed from the journal)"),
        };
        if let Some(m) = &f.member {
            // The time is the whole run's, the member crawl's included.
            replayed.push_str(&format!(" + {} as a member", m.requests));
        }
        let fetched_now = t.pages_fetched.saturating_sub(f.replayed);
        let _ = writeln!(
            s,
            "  time             {:.1} s, {} requests{replayed}, {:.1} pages/s",
            secs,
            f.requests,
            if secs > 0.0 {
                fetched_now as f64 / secs
            } else {
                0.0
            }
        );
        if let Some(path) = r.csv {
            let _ = writeln!(s, "  CSV              {}", path.display());
            let findings = crate::report::format::findings::path_beside(path);
            let _ = writeln!(
                s,
                "  findings         {} (one row per finding, for a spreadsheet)",
                findings.display()
            );
        }
        if let Some(path) = &r.config.report.report {
            let _ = writeln!(s, "  report           {}", path.display());
        }
        if let (Some(path), Some(_)) = (&r.config.report.xlsx, r.csv) {
            let _ = writeln!(s, "  workbook         {}", path.display());
        }
        s
    }

    /// The "since last run" block, as plain text lines for the summary (and `authwall diff`).
    fn comparison(&self, c: &Comparison) -> String {
        let mut s = String::from("Since last run\n");
        if c.old_rows == 0 {
            let _ = writeln!(s, "  {FIRST_RUN}");
        }
        let arrow = |(l, o, n): &(String, u64, u64)| format!("{l}: {o} → {n}");
        let counts: Vec<String> = c.counts().iter().map(arrow).collect();
        let parts = [&counts[..5], &counts[5..7], &counts[7..]];
        s.extend(parts.map(|part| format!("  {}\n", part.join(" · "))));
        let count = |(change, name, _)| format!("{} {name}", c.count(change, Severity::Info));
        // Reclassification only happens across versions: named only when it did.
        let shown = CHANGES.into_iter().filter(|&(change, _, _)| {
            change != Change::Reclassified || c.count(change, Severity::Info) > 0
        });
        let counts: Vec<String> = shown.map(count).collect();
        let _ = writeln!(s, "  findings: {}", counts.join(" · "));
        for (change, name, listed) in CHANGES {
            for (finding, severity, n, urls) in c.groups(change, listed) {
                let _ = writeln!(s, "    {name} {finding} ({severity}): {n}");
                s.extend(urls.iter().map(|url| format!("      {url}\n")));
            }
        }
        let _ = writeln!(s, "  status changes: {}", c.status_changes.len());
        let lines = status_lines(c);
        s.extend(lines.iter().map(|l| format!("    {l}\n")));
        s
    }
}

/// The "since last run" block, first thing after the verdict line.
fn since_last_run(r: &RunReport<'_>, s: &mut String) {
    let Some(cmp) = r.comparison else { return };
    if r.first_run {
        let _ = writeln!(
            s,
            "  since last run   first run: no baseline yet, so every finding is new"
        );
        return;
    }
    for line in Text.comparison(cmp).lines() {
        let _ = writeln!(s, "  {line}");
    }
    if r.spiked {
        let _ = writeln!(
            s,
            "  !! 401 spike: {} → {} among URLs in both runs (--fail-on-spike {}%)",
            cmp.spike.old_401,
            cmp.spike.new_401,
            r.config.report.fail_on_spike.unwrap_or_default()
        );
    }
    let _ = writeln!(s);
}

/// URLs listed under a medium or low finding.
const MINOR_EXAMPLES: usize = 3;

/// The findings lead: counts, the worst URLs with where they were found, and what to do.
fn findings(r: &RunReport<'_>, s: &mut String) {
    let (t, threshold) = (r.tally, r.config.report.fail_on);
    let failing = t.at_or_above(threshold);
    if let Some(wall) = &t.start_wall {
        let _ = writeln!(s, "  {}", wall.sentence());
    }
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
    let order = r.findings_in_order();
    for (finding, count, severity) in order {
        let _ = writeln!(
            s,
            "  {:<8} {} × {count}: {}",
            label(&severity),
            label(&finding),
            finding.title()
        );
        // Every line says where: the worst findings and the info ones (what authwall assumed,
        // for the user to check) in full, the others by a few examples.
        let listed = if severity >= Severity::High || severity == Severity::Info {
            EXAMPLES_PER_FINDING
        } else {
            MINOR_EXAMPLES
        };
        let examples = t.examples.get(&(finding, severity)).into_iter().flatten();
        for Example { url, found, .. } in examples.take(listed) {
            let _ = writeln!(s, "             {url}  ({found})");
        }
        if count as usize > listed {
            let _ = writeln!(
                s,
                "             … {} more in the CSV (its finding column)",
                count as usize - listed
            );
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

/// The status changes, up to 20 then `… N more`.
fn status_lines(c: &Comparison) -> Vec<String> {
    let line = |change: &StatusChange| {
        format!(
            "{} → {}  {}",
            status(change.old),
            status(change.new),
            change.url
        )
    };
    let lines: Vec<String> = c.status_changes.iter().map(line).collect();
    capped(&lines, STATUS_CHANGES_LISTED)
}

/// A status, or that none came.
pub(super) fn status(s: Option<u16>) -> String {
    s.map_or("no response".to_string(), |s| s.to_string())
}
