//! Markdown: the summary for a ticket or a CI job summary, and the "since last run" block as
//! tables. Text from the site goes through [`escape`], the one Markdown escaper; our own text
//! (titles, advice, labels in code spans) is written as it is.

use std::fmt::Write as _;

use super::Summary;
use super::text::status;
use crate::model::label;
use crate::report::Example;
use crate::report::diff::{
    CHANGES, Comparison, FIRST_RUN, STATUS_CHANGES_LISTED, StatusChange, capped,
};
use crate::report::summary::RunReport;

/// The Markdown format.
pub struct Markdown;

impl Summary for Markdown {
    /// The summary as Markdown, for a ticket or a CI job summary.
    fn run(&self, r: &RunReport<'_>) -> String {
        let (f, t) = (r.facts, r.tally);
        let mut s = String::new();
        let _ = writeln!(s, "## authwall {}\n", escape(&r.subject()));
        if let Some(line) = r.walled_line() {
            let _ = writeln!(s, "{}\n", escape(&line));
        }
        let _ = writeln!(s, "**{}**\n", escape(&r.verdict()));
        for line in r.certificate_lines() {
            let _ = writeln!(s, "> **{}**\n", escape(&line));
        }
        if let Some(line) = r.member_line() {
            let _ = writeln!(s, "> As a member: {}.\n", escape(&line));
        }
        if r.config.crawl.authenticated() {
            let _ = writeln!(
                s,
                "> **Credentials were sent** (`--header` / `--basic-auth-env` / `--basic-auth-file`): this audit does \
                 not see what search engines see.\n"
            );
        }
        if let (true, Some(cmp)) = (r.spiked, r.comparison) {
            let _ = writeln!(
                s,
                "> **401 spike**: {} → {} among URLs in both runs (`--fail-on-spike {}%`).\n",
                cmp.spike.old_401,
                cmp.spike.new_401,
                r.config.report.fail_on_spike.unwrap_or_default()
            );
        }
        match r.comparison {
            Some(_) if r.first_run => {
                let _ = writeln!(s, "First run: no baseline yet, so every finding is new.\n");
            }
            Some(cmp) => {
                let _ = writeln!(s, "{}", Markdown.comparison(cmp));
            }
            None => {}
        }
        if let Some(wall) = &r.tally.start_wall {
            let _ = writeln!(s, "**{}**\n", escape(&wall.sentence()));
        }
        let order = r.findings_in_order();
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
                    finding.title(),
                    finding.advice()
                );
            }
            let _ = writeln!(s);
            // Where each line's URLs are: folded, so that the ticket stays short.
            for (finding, _, severity) in &order {
                let _ = writeln!(
                    s,
                    "<details><summary><code>{}</code> ({})</summary>\n",
                    label(finding),
                    label(severity)
                );
                for Example { url, found, .. } in
                    t.examples.get(&(*finding, *severity)).into_iter().flatten()
                {
                    let _ = writeln!(s, "- {} ({})", escape(url), escape(found));
                }
                let _ = writeln!(s, "\n</details>\n");
            }
        }
        let accepted = r.acceptance_lines();
        if let Some((first, rest)) = accepted.split_first() {
            let _ = writeln!(s, "**Accepted:** {}\n", escape(first));
            for line in rest {
                let _ = writeln!(s, "- {}", escape(line));
            }
            let _ = writeln!(s);
        }
        if !t.probes_blocked_by_robots.is_empty() {
            let _ = writeln!(
                s,
                "Not checked (robots.txt): {} — on a site you own, re-run with `--ignore-robots`.\n",
                escape(&t.probes_blocked_by_robots.join(", "))
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

    /// The same block as Markdown (a heading, tables).
    fn comparison(&self, c: &Comparison) -> String {
        let mut s = String::from("## Since last run\n\n");
        if c.old_rows == 0 {
            let _ = writeln!(s, "_{FIRST_RUN}_\n");
        }
        s.push_str("| | Before | Now |\n|---|---:|---:|\n");
        for (label, o, n) in c.counts() {
            let _ = writeln!(s, "| {label} | {o} | {n} |");
        }
        if !c.findings.is_empty() {
            s.push_str("\n| Change | Finding | Severity | Count | URLs |\n");
            s.push_str("|---|---|---|---:|---|\n");
        }
        for (change, name, listed) in CHANGES {
            for (finding, severity, n, urls) in c.groups(change, listed) {
                let urls: Vec<String> = urls.iter().map(|url| escape(url)).collect();
                let urls = urls.join("<br>");
                let _ = writeln!(s, "| {name} | `{finding}` | {severity} | {n} | {urls} |");
            }
        }
        if !c.status_changes.is_empty() {
            s.push_str("\n| Status changed | Before | Now |\n|---|---:|---:|\n");
            let lines = status_lines(c);
            s.extend(lines.iter().map(|l| format!("| {l} |\n")));
        }
        s
    }
}

/// Text from the site, made inert in Markdown: every character that could start formatting,
/// a link, HTML or a table cell is backslash-escaped, and line breaks become spaces (a table
/// row is one line).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The status changes as table cells, up to 20 then `… N more`.
fn status_lines(c: &Comparison) -> Vec<String> {
    let line = |change: &StatusChange| {
        let (old, new) = (status(change.old), status(change.new));
        format!("{} | {old} | {new}", escape(&change.url))
    };
    let lines: Vec<String> = c.status_changes.iter().map(line).collect();
    capped(&lines, STATUS_CHANGES_LISTED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Finding;
    use strum::VariantArray;

    #[test]
    fn site_text_is_inert_and_stays_on_one_line() {
        assert_eq!(
            escape("a_b|c <script>[x](y) *z* `q` #h \\\n"),
            "a\\_b\\|c \\<script\\>\\[x\\](y) \\*z\\* \\`q\\` \\#h \\\\ "
        );
    }

    #[test]
    fn our_own_titles_and_advice_need_no_escaping_in_a_table() {
        for finding in Finding::VARIANTS {
            for text in [finding.title(), finding.advice()] {
                assert!(
                    !text.contains(['|', '<', '>', '\n', '\\']),
                    "{finding:?}: {text}"
                );
            }
        }
    }
}
