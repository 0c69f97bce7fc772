//! The HTML report (`--report FILE.html`): one self-contained document, no external assets and
//! no JavaScript. Everything that came from the audited site goes through [`esc`]; only
//! `http:`/`https:` URLs become links (see [`link`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Tally;
use super::row::{AuditRow, DiscoveredVia, label};
use crate::audit::{Finding, Severity, Verdict};

/// Rows shown per table before the rest is left to the CSV.
pub const ROW_CAP: usize = 2_000;

/// One line of the "since last run" block, already worded by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeLine {
    /// `new`, `fixed`, `still`, `not_rechecked` or `status`.
    pub change: String,
    pub finding: String,
    pub url: String,
    pub detail: String,
}

/// Everything the report shows.
pub struct HtmlReport<'a> {
    pub origin: &'a str,
    /// e.g. `complete`, `INCOMPLETE: …`.
    pub verdict: &'a str,
    pub exit_code: u8,
    pub fail_on: Severity,
    /// RFC 3339.
    pub generated_at: &'a str,
    pub rows: &'a [AuditRow],
    pub tally: &'a Tally,
    /// `None`: no baseline given; `Some(empty)`: nothing changed.
    pub changes: Option<&'a [ChangeLine]>,
    /// A baseline was asked for but did not exist yet.
    pub first_run: bool,
    /// Audit settings, name -> value (no secrets: the caller filters).
    pub settings: &'a [(String, String)],
    pub incomplete: &'a [String],
}

const STYLE: &str = "
:root{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;line-height:1.45}
body{max-width:72rem;margin:0 auto;padding:1rem 1.5rem}
h1{font-size:1.9rem;margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
.verdict{border-radius:8px;padding:1rem 1.25rem;border:3px solid}
.verdict p{margin:.25rem 0}
.outcome-fail{background:#fde8e8;border-color:#b42318}.outcome-fail h1{color:#b42318}
.outcome-incomplete{background:#fff4d6;border-color:#b54708}.outcome-incomplete h1{color:#93370d}
.outcome-clean{background:#e3f7e8;border-color:#067647}.outcome-clean h1{color:#067647}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td{overflow-wrap:anywhere}
.url{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
small{color:#57606a}.advice{color:#3d444d;max-width:60rem}
.charts{display:flex;flex-wrap:wrap;gap:2rem}figure{margin:0}
svg text{font-size:13px;fill:#1f2328}
.s-2xx{fill:#2da44e}.s-3xx{fill:#0969da}.s-4xx{fill:#d4a72c}.s-5xx{fill:#cf222e}.s-none,.s-1xx{fill:#8c959f}
.v-critical{fill:#a40e26}.v-high{fill:#cf222e}.v-medium{fill:#d4a72c}.v-low{fill:#0969da}.v-info{fill:#8c959f}
@media print{body{max-width:none}a{color:inherit}.verdict{background:none}details>*{display:block}}
";

/// HTML-escape text for element content and attribute values: the one helper for all of it.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL as a link when it is `http:`/`https:`, as plain text otherwise (`javascript:` …).
fn link(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            format!(r#"<a class="url" href="{}">{}</a>"#, esc(u.as_str()), esc(text))
        }
        _ => format!(r#"<span class="url">{}</span>"#, esc(text)),
    }
}

/// Which colour the verdict banner gets: `fail`, `incomplete` or `clean`.
fn outcome(r: &HtmlReport) -> &'static str {
    match r.exit_code {
        1 => "fail",
        0 if r.tally.at_or_above(r.fail_on) > 0 => "fail",
        0 if r.incomplete.is_empty() => "clean",
        _ => "incomplete",
    }
}

fn exit_meaning(code: u8, fail_on: Severity) -> String {
    match code {
        0 => "done; nothing failed the run".to_string(),
        1 => format!("findings at or above {} (--fail-on)", label(&fail_on)),
        2 => "the audit could not run".to_string(),
        3 => "incomplete: the run cannot vouch for the site".to_string(),
        130 => "stopped by Ctrl-C".to_string(),
        143 => "stopped by SIGTERM".to_string(),
        _ => "see the exit code table in README.md".to_string(),
    }
}

/// The whole report: one self-contained HTML document.
pub fn render(r: &HtmlReport) -> String {
    let mut s = String::with_capacity(16 * 1024 + r.rows.len() * 200);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; \
         style-src &#39;unsafe-inline&#39;; img-src data:\">\
         <meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">\
         <link rel=\"icon\" href=\"data:,\">\
         <title>authwall audit of {}</title><style>{STYLE}</style></head><body>\n",
        esc(r.origin)
    );
    banner(&mut s, r);
    charts(&mut s, r);
    findings(&mut s, r);
    changes(&mut s, r);
    not_checked(&mut s, r);
    if !r.incomplete.is_empty() {
        s.push_str("<section id=\"incomplete\"><h2>Why the run is incomplete</h2><ul>");
        for why in r.incomplete {
            let _ = write!(s, "<li>{}</li>", esc(why));
        }
        s.push_str("</ul></section>\n");
    }
    settings(&mut s, r);
    all_rows(&mut s, r);
    s.push_str("</body></html>\n");
    s
}

fn banner(s: &mut String, r: &HtmlReport) {
    let failing = r.tally.at_or_above(r.fail_on);
    let class = outcome(r);
    let headline = match class {
        "fail" => format!(
            "{failing} URL{} with findings at or above {}",
            if failing == 1 { "" } else { "s" },
            label(&r.fail_on)
        ),
        "clean" => format!("No findings at or above {}", label(&r.fail_on)),
        _ => "Incomplete: this audit cannot vouch for the site".to_string(),
    };
    let _ = write!(
        s,
        "<header id=\"verdict\" class=\"verdict outcome-{class}\" data-exit=\"{}\">\
         <h1>{}</h1><p><strong>Verdict:</strong> {}</p><p><strong>Site:</strong> {}</p>\
         <p><strong>Generated:</strong> <time>{}</time></p>\
         <p><strong>Exit code {}:</strong> {}</p></header>\n",
        r.exit_code,
        esc(&headline),
        esc(r.verdict),
        link(r.origin),
        esc(r.generated_at),
        r.exit_code,
        esc(&exit_meaning(r.exit_code, r.fail_on)),
    );
}

/// A horizontal bar chart: label, bar, number (readable without colour).
fn bar_chart(s: &mut String, id: &str, title: &str, bars: &[(&str, u64, &str)]) {
    const ROW: usize = 26;
    const LABEL_W: u64 = 100;
    const BAR_W: u64 = 280;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let height = bars.len() * ROW + 4;
    let _ = write!(
        s,
        "<figure><svg id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-title\" width=\"440\" \
         height=\"{height}\" viewBox=\"0 0 440 {height}\"><title id=\"{id}-title\">{}</title>",
        esc(title)
    );
    for (i, (name, count, class)) in bars.iter().enumerate() {
        let y = i * ROW;
        let width = if *count == 0 { 0 } else { (*count * BAR_W / max).max(2) };
        let _ = write!(
            s,
            "<g class=\"bar\" data-label=\"{n}\" data-count=\"{count}\">\
             <text x=\"0\" y=\"{ty}\">{n}</text>\
             <rect class=\"{c}\" x=\"{LABEL_W}\" y=\"{ry}\" width=\"{width}\" height=\"18\"/>\
             <text x=\"{nx}\" y=\"{ty}\">{count}</text></g>",
            n = esc(name),
            c = esc(class),
            ty = y + 17,
            ry = y + 3,
            nx = LABEL_W + width + 6,
        );
    }
    let _ = write!(s, "</svg><figcaption>{}</figcaption></figure>", esc(title));
}

fn charts(s: &mut String, r: &HtmlReport) {
    let t = r.tally;
    let mut status = vec![
        ("2xx", t.classes[2], "s-2xx"),
        ("3xx", t.classes[3], "s-3xx"),
        ("4xx", t.classes[4], "s-4xx"),
        ("5xx", t.classes[5], "s-5xx"),
        ("no response", t.no_response, "s-none"),
    ];
    if t.classes[1] > 0 {
        status.insert(0, ("1xx", t.classes[1], "s-1xx"));
    }
    let severity: Vec<(&str, u64, &str)> = [
        (Severity::Critical, "critical", "v-critical"),
        (Severity::High, "high", "v-high"),
        (Severity::Medium, "medium", "v-medium"),
        (Severity::Low, "low", "v-low"),
        (Severity::Info, "info", "v-info"),
    ]
    .into_iter()
    .map(|(v, n, c)| (n, t.severities.get(&v).copied().unwrap_or(0), c))
    .collect();
    s.push_str("<section id=\"charts\"><h2>Overview</h2><div class=\"charts\">");
    bar_chart(s, "chart-status", "URLs by status class", &status);
    bar_chart(s, "chart-severity", "URLs by highest finding severity", &severity);
    s.push_str("</div></section>\n");
}

/// The findings each row carries, in the order of the CSV.
fn row_findings(row: &AuditRow) -> impl Iterator<Item = Finding> + '_ {
    row.finding.split(';').filter_map(Finding::from_label)
}

fn status_cell(row: &AuditRow) -> String {
    let code = |c: Option<u16>| c.map_or("—".to_string(), |c| c.to_string());
    let mut out = match (row.status, row.error) {
        (None, Some(e)) => esc(&label(&e)),
        (None, None) if row.skip_reason.is_some() => "not requested".to_string(),
        (status, _) => code(status),
    };
    if !row.final_url.is_empty() && row.final_url != row.url {
        let _ = write!(
            out,
            " → {}<br><small class=\"url\">{}</small>",
            code(row.final_status),
            esc(&row.final_url)
        );
    }
    out
}

fn where_found(row: &AuditRow) -> String {
    let from = |prefix: &str| match row.referrer.is_empty() {
        true => esc(prefix.trim_end_matches([' ', ';'])),
        false => format!("{}{}", esc(prefix), link(&row.referrer)),
    };
    match row.discovered_via {
        DiscoveredVia::Probe => from("probe; linked from "),
        DiscoveredVia::Sitemap => from("sitemap "),
        DiscoveredVia::Seed if row.referrer.is_empty() => "start URL".to_string(),
        DiscoveredVia::Redirect => from("redirect from "),
        _ if row.in_sitemap => from("sitemap; linked from "),
        _ => from("linked from "),
    }
}

fn findings(s: &mut String, r: &HtmlReport) {
    let mut by_finding: BTreeMap<Finding, (Severity, Vec<&AuditRow>)> = BTreeMap::new();
    for row in r.rows {
        for f in row_findings(row) {
            let entry = by_finding.entry(f).or_insert((Severity::Info, Vec::new()));
            entry.0 = entry.0.max(f.severity(row.in_sitemap));
            entry.1.push(row);
        }
    }
    let mut order: Vec<_> = by_finding.into_iter().collect();
    order.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    s.push_str("<section id=\"findings\"><h2>Findings</h2>");
    if order.is_empty() {
        s.push_str("<p>No findings.</p>");
    }
    for (finding, (severity, rows)) in order {
        let name = esc(&label(&finding));
        let _ = write!(
            s,
            "<h3 id=\"h-{name}\">{} · {name} × {}: {}</h3><p class=\"advice\">Fix: {}</p>\
             <table id=\"findings-{name}\" class=\"findings\" data-finding=\"{name}\" \
             data-severity=\"{}\"><thead><tr><th scope=\"col\">URL</th>\
             <th scope=\"col\">Status → final status</th><th scope=\"col\">Where found</th>\
             <th scope=\"col\">Note</th></tr></thead><tbody>",
            esc(&label(&severity)),
            rows.len(),
            esc(finding.title()),
            esc(finding.advice()),
            esc(&label(&severity)),
        );
        for row in rows.iter().take(ROW_CAP) {
            let title = match row.title.is_empty() {
                true => String::new(),
                false => format!("<br><small>{}</small>", esc(&row.title)),
            };
            let note = match row.error {
                Some(e) if !row.note.is_empty() => format!("{}: {}", label(&e), row.note),
                _ => row.note.clone(),
            };
            let _ = write!(
                s,
                "<tr><td>{}{title}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                link(&row.url),
                status_cell(row),
                where_found(row),
                esc(&note)
            );
        }
        s.push_str("</tbody></table>");
        capped_note(s, rows.len());
    }
    s.push_str("</section>\n");
}

fn capped_note(s: &mut String, total: usize) {
    if total > ROW_CAP {
        let _ = write!(
            s,
            "<p class=\"capped\">Showing the first {ROW_CAP} of {total} rows; the CSV has all \
             of them.</p>"
        );
    }
}

fn changes(s: &mut String, r: &HtmlReport) {
    if r.first_run {
        s.push_str(
            "<section id=\"changes\"><h2>Since last run</h2><p>First run: no baseline yet. \
             The next run compares against this one.</p></section>\n",
        );
        return;
    }
    let Some(lines) = r.changes else { return };
    s.push_str("<section id=\"changes\"><h2>Since last run</h2>");
    if lines.is_empty() {
        s.push_str("<p>Nothing changed since the last run.</p></section>\n");
        return;
    }
    s.push_str(
        "<table id=\"changes-table\"><thead><tr><th scope=\"col\">Change</th>\
         <th scope=\"col\">Finding</th><th scope=\"col\">URL</th><th scope=\"col\">Detail</th>\
         </tr></thead><tbody>",
    );
    for c in lines {
        let _ = write!(
            s,
            "<tr><td><strong>{}</strong></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.change),
            esc(&c.finding),
            link(&c.url),
            esc(&c.detail)
        );
    }
    s.push_str("</tbody></table></section>\n");
}

fn not_checked(s: &mut String, r: &HtmlReport) {
    let probes = &r.tally.probes_blocked_by_robots;
    if probes.is_empty() {
        return;
    }
    s.push_str(
        "<section id=\"not-checked\"><h2>Private paths not checked</h2><p>robots.txt keeps \
         authwall out of these conventional private paths, so it cannot tell whether they leak. \
         On a site you own, re-run with <code>--ignore-robots</code> to check them.</p><ul>",
    );
    for url in probes {
        let _ = write!(s, "<li>{}</li>", link(url));
    }
    s.push_str("</ul></section>\n");
}

fn settings(s: &mut String, r: &HtmlReport) {
    s.push_str(
        "<section id=\"settings-section\"><h2>Audit settings</h2><table id=\"settings\">\
         <thead><tr><th scope=\"col\">Setting</th><th scope=\"col\">Value</th></tr></thead><tbody>",
    );
    for (name, value) in r.settings {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"url\">{}</td></tr>",
            esc(name),
            esc(value)
        );
    }
    s.push_str("</tbody></table></section>\n");
}

fn all_rows(s: &mut String, r: &HtmlReport) {
    let rows: Vec<(&AuditRow, Verdict)> = r
        .rows
        .iter()
        .filter_map(|row| row.verdict.filter(|v| *v != Verdict::Ok).map(|v| (row, v)))
        .collect();
    let _ = write!(
        s,
        "<details id=\"all-rows\"><summary>All {} rows with a verdict other than ok</summary>\
         <table id=\"rows\"><thead><tr><th scope=\"col\">URL</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Verdict</th></tr></thead><tbody>",
        rows.len()
    );
    for (row, verdict) in rows.iter().take(ROW_CAP) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            link(&row.url),
            status_cell(row),
            esc(&label(verdict))
        );
    }
    s.push_str("</tbody></table>");
    capped_note(s, rows.len());
    s.push_str("</details>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(url: &str, status: u16, finding: &str) -> AuditRow {
        AuditRow {
            url: url.to_string(),
            status: Some(status),
            final_url: url.to_string(),
            final_status: Some(status),
            discovered_via: DiscoveredVia::Link,
            referrer: "https://site.test/".to_string(),
            verdict: Some(if finding.is_empty() { Verdict::Ok } else { Verdict::Walled }),
            severity: finding
                .split(';')
                .filter_map(Finding::from_label)
                .map(|f| f.severity(false))
                .max(),
            finding: finding.to_string(),
            ..AuditRow::default()
        }
    }

    fn render_rows(rows: &[AuditRow], exit_code: u8, incomplete: &[String]) -> String {
        let mut tally = Tally::default();
        rows.iter().for_each(|r| tally.add(r));
        render(&HtmlReport {
            origin: "https://site.test",
            verdict: "complete",
            exit_code,
            fail_on: Severity::High,
            generated_at: "2025-01-01T00:00:00Z",
            rows,
            tally: &tally,
            changes: None,
            first_run: false,
            settings: &[],
            incomplete,
        })
    }

    /// Every `href="…"` / `src="…"` value in the document.
    fn attr_values(html: &str, attr: &str) -> Vec<String> {
        let needle = format!("{attr}=\"");
        html.match_indices(&needle)
            .map(|(i, _)| {
                let rest = &html[i + needle.len()..];
                rest[..rest.find('"').unwrap()].to_string()
            })
            .collect()
    }

    /// The `<table>` element whose `data-finding` is `finding`.
    fn finding_table<'h>(html: &'h str, finding: &str) -> &'h str {
        let start = html
            .find(&format!("data-finding=\"{finding}\""))
            .unwrap_or_else(|| panic!("no table for {finding}"));
        let end = start + html[start..].find("</table>").unwrap();
        &html[start..end]
    }

    #[test]
    fn hostile_values_in_every_field_render_as_text() {
        let evil = "https://site.test/a\"><script>alert(1)</script>";
        let mut r = row(evil, 401, "public_401");
        r.title = "<script>alert(1)</script>".to_string();
        r.note = "a & b <img src=x onerror=alert(1)>".to_string();
        r.referrer = "javascript:alert(1)".to_string();
        r.final_url = "JavaScript:alert(2)".to_string();
        r.verdict = Some(Verdict::Walled);
        let mut probe = row("javascript:alert(3)", 200, "private_leak");
        probe.discovered_via = DiscoveredVia::Probe;
        probe.skip_reason = Some(crate::report::row::SkipReason::Robots);
        let rows = [r, probe];
        let mut tally = Tally::default();
        rows.iter().for_each(|r| tally.add(r));
        let changes = [ChangeLine {
            change: "<b>new</b>".into(),
            finding: "'\"".into(),
            url: " javascript:alert(4)".into(),
            detail: "<script>".into(),
        }];
        let settings = [("<script>".to_string(), "x\"onmouseover='y'".to_string())];
        let incomplete = ["<script>alert(5)</script>".to_string()];
        let html = render(&HtmlReport {
            origin: "https://site.test/<script>",
            verdict: "<SCRIPT>alert(6)</SCRIPT>",
            exit_code: 1,
            fail_on: Severity::High,
            generated_at: "<script>",
            rows: &rows,
            tally: &tally,
            changes: Some(&changes),
            first_run: false,
            settings: &settings,
            incomplete: &incomplete,
        });
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>new"));
        for href in attr_values(&html, "href") {
            assert!(href == "data:," || href.starts_with("https://site.test/"), "{href}");
            assert!(!href.to_lowercase().contains("script:"), "{href}");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("https://site.test/a&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("a &amp; b &lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("x&quot;onmouseover=&#39;y&#39;"));
        assert!(html.contains(">javascript:alert(1)</span>"));
        assert!(html.contains(">javascript:alert(3)</span>"));
    }

    #[test]
    fn only_http_and_https_urls_become_links() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<b>x</b>",
            "vbscript:x",
            "/relative",
            "",
        ] {
            assert!(!link(bad).contains("href"), "{bad:?}: {}", link(bad));
        }
        assert_eq!(
            link("https://site.test/?a=1&b=\"2\""),
            "<a class=\"url\" href=\"https://site.test/?a=1&amp;b=%222%22\">\
             https://site.test/?a=1&amp;b=&quot;2&quot;</a>"
        );
        assert!(link("HTTP://Site.test/").contains("href=\"http://site.test/\""));
    }

    #[test]
    fn findings_tables_list_exactly_the_rows_that_carry_each_finding() {
        let rows = [
            row("https://site.test/a", 401, "public_401;missing_www_authenticate"),
            row("https://site.test/b", 200, ""),
            row("https://site.test/c", 401, "public_401"),
            row("https://site.test/d", 403, "public_403"),
        ];
        let html = render_rows(&rows, 1, &[]);
        let urls_in = |finding: &str| -> Vec<String> {
            attr_values(finding_table(&html, finding), "href")
                .into_iter()
                .filter(|h| h != "https://site.test/")
                .collect()
        };
        assert_eq!(
            urls_in("public_401"),
            ["https://site.test/a", "https://site.test/c"]
        );
        assert_eq!(urls_in("missing_www_authenticate"), ["https://site.test/a"]);
        assert_eq!(urls_in("public_403"), ["https://site.test/d"]);
        assert_eq!(html.matches("<table id=\"findings-").count(), 3);
        assert_eq!(html.matches("class=\"findings\"").count(), 3);
        assert!(!html.contains("data-finding=\"private_leak\""));
        assert!(finding_table(&html, "public_401").contains("<th scope=\"col\">URL</th>"));
    }

    #[test]
    fn findings_tables_are_ordered_by_severity_highest_first() {
        let mut in_sitemap = row("https://site.test/s", 401, "public_401");
        in_sitemap.in_sitemap = true;
        let rows = [
            row("https://site.test/r", 301, "sitemap_redirect"),
            row("https://site.test/m", 401, "missing_www_authenticate"),
            in_sitemap,
            row("https://site.test/l", 200, "private_leak"),
        ];
        let html = render_rows(&rows, 1, &[]);
        let pos = |f: &str| html.find(&format!("data-finding=\"{f}\"")).unwrap();
        assert!(pos("public_401") < pos("private_leak"), "critical, then by finding order");
        assert!(pos("private_leak") < pos("missing_www_authenticate"));
        assert!(pos("missing_www_authenticate") < pos("sitemap_redirect"));
        assert!(finding_table(&html, "public_401").contains("data-severity=\"critical\""));
    }

    #[test]
    fn verdict_banner_class_depends_on_exit_code() {
        let walled = [row("https://site.test/a", 401, "public_401")];
        let clean = [row("https://site.test/b", 200, "")];
        let why = ["--max-duration stopped the run".to_string()];
        let class = |html: &str| {
            let start = html.find("class=\"verdict outcome-").unwrap() + 23;
            html[start..start + html[start..].find('"').unwrap()].to_string()
        };
        assert_eq!(class(&render_rows(&walled, 1, &[])), "fail");
        assert_eq!(class(&render_rows(&clean, 0, &[])), "clean");
        assert_eq!(class(&render_rows(&clean, 3, &why)), "incomplete");
        assert_eq!(class(&render_rows(&clean, 130, &[])), "incomplete");
        // The demo exits 0 with findings: they still show red.
        assert_eq!(class(&render_rows(&walled, 0, &[])), "fail");
        let html = render_rows(&walled, 1, &[]);
        assert!(html.contains("Exit code 1:</strong> findings at or above high"));
        assert!(html.contains("1 URL with findings at or above high"));
    }

    #[test]
    fn charts_have_a_bar_per_status_class_and_severity_with_counts() {
        let mut gone = row("https://site.test/x", 0, "");
        gone.status = None;
        let rows = [
            row("https://site.test/1", 200, ""),
            row("https://site.test/2", 200, ""),
            row("https://site.test/3", 301, ""),
            row("https://site.test/4", 401, "public_401"),
            row("https://site.test/5", 503, ""),
            gone,
        ];
        let html = render_rows(&rows, 1, &[]);
        for (name, n) in [("2xx", 2), ("3xx", 1), ("4xx", 1), ("5xx", 1), ("no response", 1)] {
            let bar = format!("data-label=\"{name}\" data-count=\"{n}\"><text x=\"0\" y=");
            assert!(html.contains(&bar), "{name}");
            assert!(html.contains(&format!(">{name}</text>")), "{name}");
        }
        assert!(!html.contains("data-label=\"1xx\""));
        assert!(html.contains("data-label=\"high\" data-count=\"1\""));
        assert!(html.contains("data-label=\"critical\" data-count=\"0\""));
        assert_eq!(html.matches("<g class=\"bar\"").count(), 10);
        assert_eq!(html.matches("<svg ").count(), 2);
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere() {
        let rows = [row("https://site.test/a", 401, "public_401")];
        let html = render_rows(&rows, 1, &[]);
        assert!(attr_values(&html, "src").is_empty() && !html.contains("src="));
        for href in attr_values(&html, "href") {
            assert!(href == "data:," || href.starts_with("https://site.test/"), "{href}");
        }
        for banned in ["<script", "@import", "url(", "stylesheet", "<iframe", "<img", "xlink"] {
            assert!(!html.to_lowercase().contains(banned), "{banned}");
        }
        assert!(html.contains("default-src &#39;none&#39;"));
    }

    #[test]
    fn empty_audit_renders_without_panicking() {
        let html = render_rows(&[], 0, &[]);
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert!(html.contains("No findings.") && html.contains("All 0 rows"));
        assert!(html.contains("outcome-clean"));
        assert!(!html.contains("id=\"changes\""), "no baseline, no block");
    }

    #[test]
    fn changes_block_shows_first_run_nothing_or_the_lines() {
        let tally = Tally::default();
        let lines = [ChangeLine {
            change: "fixed".into(),
            finding: "public_401".into(),
            url: "https://site.test/w".into(),
            detail: "401 -> 200".into(),
        }];
        let with = |changes, first_run| {
            render(&HtmlReport {
                origin: "https://site.test",
                verdict: "complete",
                exit_code: 0,
                fail_on: Severity::High,
                generated_at: "",
                rows: &[],
                tally: &tally,
                changes,
                first_run,
                settings: &[("fail_on".into(), "high".into())],
                incomplete: &[],
            })
        };
        assert!(with(None, true).contains("First run: no baseline yet"));
        assert!(with(Some(&[]), false).contains("Nothing changed since the last run"));
        let html = with(Some(&lines), false);
        assert!(html.contains("<td><strong>fixed</strong></td><td>public_401</td>"));
        assert!(html.contains("href=\"https://site.test/w\"") && html.contains("401 -&gt; 200"));
        assert!(html.contains("<td>fail_on</td><td class=\"url\">high</td>"));
    }

    #[test]
    fn blocked_probes_and_incomplete_reasons_are_listed() {
        let mut probe = row("https://site.test/admin", 0, "");
        (probe.status, probe.verdict) = (None, Some(Verdict::NotChecked));
        probe.discovered_via = DiscoveredVia::Probe;
        probe.skip_reason = Some(crate::report::row::SkipReason::Robots);
        let why = ["the site kept refusing".to_string()];
        let html = render_rows(&[probe], 3, &why);
        assert!(html.contains("--ignore-robots") && html.contains("href=\"https://site.test/admin\""));
        assert!(html.contains("<li>the site kept refusing</li>"));
        assert!(html.contains("<td>not requested</td><td>not_checked</td>"));
    }

    #[test]
    fn long_row_lists_are_capped_with_a_note() {
        let rows: Vec<AuditRow> = (0..ROW_CAP + 5)
            .map(|i| row(&format!("https://site.test/{i}"), 401, "public_401"))
            .collect();
        let html = render_rows(&rows, 1, &[]);
        assert_eq!(html.matches("Showing the first 2000 of 2005 rows").count(), 2);
        assert!(html.contains("All 2005 rows with a verdict other than ok"));
        assert!(!html.contains("href=\"https://site.test/2004\""));
    }
}
