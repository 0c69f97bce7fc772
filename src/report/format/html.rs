//! The HTML report (`--report FILE.html`): one self-contained document, no external assets and
//! no JavaScript. It is written with `maud::html!`, which escapes every value spliced into it;
//! text from outside the program (the audited site, the command line) goes in as [`Text`], and
//! only `http:`/`https:` URLs become links (see [`link`]). `PreEscaped` carries the style sheet
//! and nothing else.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use strum::VariantArray;

use crate::audit::{Finding, Severity, Verdict};
use crate::model::label;
use crate::report::Tally;
use crate::report::row::AuditRow;

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
    /// `authwall check`: what was checked (`check of gsc.csv (40 URLs, 1 origin)`) and how many
    /// listed URLs are still walled; `None` for an audit.
    pub list: Option<(&'a str, &'a str)>,
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
    /// What the `[[accept]]` entries did ([`crate::report::summary::RunReport::acceptance_lines`]).
    pub accepted: &'a [String],
    /// With a member session: what the member crawl did
    /// ([`crate::report::summary::RunReport::member_line`]).
    pub member: Option<&'a str>,
}

const STYLE: &str = "
:root{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;line-height:1.45}
body{max-width:72rem;margin:0 auto;padding:1rem 1.5rem}
h1{font-size:1.9rem;margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
.verdict{border-radius:8px;padding:1rem 1.25rem;border:3px solid}
.verdict p{margin:.25rem 0}
.new{background:#b42318;color:#fff;border-radius:4px;padding:0 .3rem;font-size:.8rem;font-weight:600}
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
.s-2xx{fill:#2da44e}.s-3xx{fill:#0969da}.s-4xx{fill:#d4a72c}.s-5xx{fill:#cf222e}.s-no-response,.s-1xx{fill:#8c959f}
.v-critical{fill:#a40e26}.v-high{fill:#cf222e}.v-medium{fill:#d4a72c}.v-low{fill:#0969da}.v-info{fill:#8c959f}
svg{max-width:100%;height:auto}p,li,h1,h3{overflow-wrap:anywhere}
@media (max-width:40rem){body{padding:.5rem}h1{font-size:1.4rem}table{display:block;overflow-x:auto}}
@media print{body{max-width:none}a{color:inherit}.verdict{background:none}details>*{display:block}}
";

/// Nothing loads from elsewhere; only the inline style sheet applies.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Text spliced into the report as text: maud's own escaping (`&`, `<`, `>`, `"`), and `'` as
/// `&#39;` as well, as the report always wrote it. maud quotes every attribute with `"`, so the
/// `'` is belt and braces; it also keeps the CSP reading `&#39;none&#39;`.
struct Text<'a>(&'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        for (i, part) in self.0.split('\'').enumerate() {
            if i > 0 {
                buffer.push_str("&#39;");
            }
            part.render_to(buffer);
        }
    }
}

/// A URL as a link when it is `http:`/`https:`, as plain text otherwise (`javascript:` …).
fn link(text: &str) -> Markup {
    match url::Url::parse(text.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            html! { a class="url" href=(Text(u.as_str())) { (Text(text)) } }
        }
        _ => html! { span class="url" { (Text(text)) } },
    }
}

/// Which colour the verdict banner gets: `fail`, `incomplete` or `clean`.
fn outcome(r: &HtmlReport<'_>) -> &'static str {
    match r.exit_code {
        1 => "fail",
        0 if r.tally.at_or_above(r.fail_on) > 0 => "fail",
        0 if r.incomplete.is_empty() => "clean",
        _ => "incomplete",
    }
}

fn exit_meaning(code: u8) -> &'static str {
    match code {
        0 => "done; nothing failed the run",
        1 => "findings at or above the --fail-on severity",
        2 => "the audit could not run",
        3 => "incomplete: the run cannot vouch for the site",
        130 => "stopped by Ctrl-C",
        143 => "stopped by SIGTERM",
        _ => "see the exit code table in README.md",
    }
}

/// The whole report: one self-contained HTML document.
pub fn render(r: &HtmlReport<'_>) -> String {
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(Text(CSP));
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                link rel="icon" href="data:,";
                @match r.list {
                    Some((subject, _)) => title { "authwall " (Text(subject)) },
                    None => title { "authwall audit of " (Text(r.origin)) },
                }
                style { (PreEscaped(STYLE)) }
            }
            body {
                "\n"
                (banner(r))
                // A weekly run reads what changed first.
                (changes(r))
                (charts(r))
                (findings(r))
                @if let Some((count, entries)) = r.accepted.split_first() {
                    section id="accepted" {
                        h2 { "Accepted by the team" }
                        p { (Text(count)) }
                        (list(entries.iter().map(|line| html! { (Text(line)) })))
                    }
                    "\n"
                }
                @if let Some(member) = r.member {
                    section id="member" {
                        h2 { "As a member" }
                        p { (Text(member)) }
                    }
                    "\n"
                }
                (not_checked(r))
                @if !r.incomplete.is_empty() {
                    section id="incomplete" {
                        h2 { "Why the run is incomplete" }
                        (list(r.incomplete.iter().map(|why| html! { (Text(why)) })))
                    }
                    "\n"
                }
                (settings(r))
                (all_rows(r))
            }
        }
        "\n"
    };
    page.into_string()
}

/// Text whose `backticked` parts are code (option names, header values): shown as code.
fn with_code(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 {
                code { (part) }
            } @else {
                (part)
            }
        }
    }
}

fn banner(r: &HtmlReport<'_>) -> Markup {
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
    html! {
        header id="verdict" class={ "verdict outcome-" (class) } data-exit=(r.exit_code) {
            h1 { (headline) }
            p { strong { "This run:" } " " (Text(r.verdict)) }
            @match r.list {
                Some((subject, walled)) => {
                    p { strong { "Checked:" } " " (Text(subject)) }
                    p { strong { "Listed URLs:" } " " (Text(walled)) }
                }
                None => p { strong { "Site:" } " " (link(r.origin)) },
            }
            @if let Some(lines) = r.changes {
                @let count = |what: &str| lines.iter().filter(|l| l.change == what).count();
                p class="since" {
                    strong { "Since last run:" } " "
                    (count("new")) " new · " (count("fixed")) " fixed · "
                    (count("reclassified")) " reclassified findings"
                }
            }
            p { strong { "Generated:" } " " time { (Text(r.generated_at)) } }
            p { strong { "Exit code " (r.exit_code) ":" } " " (exit_meaning(r.exit_code)) }
        }
        "\n"
    }
}

/// A horizontal bar chart: label, bar, number (readable without colour).
fn bar_chart(id: &str, title: &str, class: &str, bars: &[(String, u64)]) -> Markup {
    const ROW: usize = 26;
    const LABEL_W: u64 = 100;
    const BAR_W: u64 = 280;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let height = bars.len() * ROW + 4;
    html! {
        figure {
            svg id=(id) role="img" aria-labelledby={ (id) "-title" } width="440" height=(height)
                viewBox={ "0 0 440 " (height) } {
                title id={ (id) "-title" } { (title) }
                @for (i, (name, count)) in bars.iter().enumerate() {
                    @let (y, width) = (i * ROW, (count * BAR_W).div_ceil(max));
                    g class="bar" data-label=(name) data-count=(count) {
                        text x="0" y=(y + 17) { (name) }
                        rect class={ (class) "-" (name.replace(' ', "-")) } x=(LABEL_W) y=(y + 3)
                            width=(width) height="18" {}
                        text x=(LABEL_W + width + 6) y=(y + 17) { (count) }
                    }
                }
            }
            figcaption { (title) }
        }
    }
}

fn charts(r: &HtmlReport<'_>) -> Markup {
    let t = r.tally;
    let classes = ["1xx", "2xx", "3xx", "4xx", "5xx"]
        .into_iter()
        .zip(t.classes[1..].iter());
    let classes = classes.filter(|(name, n)| *name != "1xx" || **n > 0);
    let mut status: Vec<(String, u64)> = classes.map(|(name, n)| (name.into(), *n)).collect();
    status.push(("no response".into(), t.no_response));
    let severity: Vec<(String, u64)> = (Severity::VARIANTS.iter().rev())
        .map(|v| {
            (
                label(v).to_string(),
                t.severities.get(v).copied().unwrap_or(0),
            )
        })
        .collect();
    html! {
        section id="charts" {
            h2 { "Overview" }
            div class="charts" {
                (bar_chart("chart-status", "URLs by status class", "s", &status))
                (bar_chart("chart-severity", "URLs by highest finding severity", "v", &severity))
            }
        }
        "\n"
    }
}

/// The findings each row carries, in the order of the CSV.
fn row_findings(row: &AuditRow) -> impl Iterator<Item = Finding> + '_ {
    row.finding.split(';').filter_map(Finding::from_label)
}

fn status_cell(row: &AuditRow) -> Markup {
    let code = |c: Option<u16>| c.map_or("—".to_string(), |c| c.to_string());
    let status = match (row.status, row.error, row.skip_reason) {
        (None, Some(e), _) => html! { (label(&e)) },
        (None, None, Some(why)) => html! { "not requested (" (label(&why)) ")" },
        (status, ..) => html! { (code(status)) },
    };
    html! {
        (status)
        @if !row.final_url.is_empty() && row.final_url != row.url {
            " → " (code(row.final_status)) br; small class="url" { (Text(&row.final_url)) }
        }
    }
}

fn where_found(row: &AuditRow) -> Markup {
    match crate::report::where_found(row) {
        (phrase, Some(page)) => html! { (phrase) " " (link(page)) },
        (phrase, None) => html! { (phrase) },
    }
}

/// URL (and page title), status → final status, where found, note.
fn finding_cells(row: &AuditRow, finding: Finding) -> [Markup; 4] {
    // With a baseline, `change` holds one word per finding, in the order of `finding`.
    let new = row
        .finding
        .split(';')
        .zip(row.change.split(';'))
        .any(|(f, change)| Finding::from_label(f) == Some(finding) && change == "new");
    let page = html! {
        @if new {
            span class="new" { "new" } " "
        }
        (link(&row.url))
        @if !row.title.is_empty() {
            br; small { (Text(&row.title)) }
        }
    };
    let note = match row.error {
        Some(e) if !row.note.is_empty() => format!("{}: {}", label(&e), row.note),
        Some(e) => label(&e).to_string(),
        None => row.note.clone(),
    };
    [
        page,
        status_cell(row),
        where_found(row),
        html! { (Text(&note)) },
    ]
}

fn findings(r: &HtmlReport<'_>) -> Markup {
    // One table per finding and severity, as the text summary splits them: a public 401 in a
    // sitemap (critical) and one only linked (high) are not listed under one heading.
    let mut groups: BTreeMap<(Finding, Severity), Vec<&AuditRow>> = BTreeMap::new();
    for row in r.rows {
        for f in row_findings(row) {
            groups
                .entry((f, f.severity(row.in_sitemap)))
                .or_default()
                .push(row);
        }
    }
    let mut order: Vec<_> = groups.into_iter().collect();
    order.sort_by(|((fa, sa), _), ((fb, sb), _)| sb.cmp(sa).then(fa.cmp(fb)));
    html! {
        section id="findings" {
            h2 { "Findings" }
            @if order.is_empty() {
                p { "No findings." }
            }
            @for ((finding, severity), rows) in &order {
                @let (name, sev) = (label(finding), label(severity));
                h3 id={ "h-" (name) "-" (sev) } {
                    (sev) " · " (name) " × " (rows.len()) ": " (finding.title())
                }
                p class="advice" { "Fix: " (with_code(finding.advice())) }
                table id={ "findings-" (name) "-" (sev) } class="findings" data-finding=(name)
                    data-severity=(sev) {
                    (finding_table(rows, *finding))
                }
                (capped_note(rows.len()))
            }
        }
        "\n"
    }
}

/// The rows of one findings table; the Note column only when a row has a note.
fn finding_table(rows: &[&AuditRow], finding: Finding) -> Markup {
    let shown = || rows.iter().take(ROW_CAP).map(|r| finding_cells(r, finding));
    let columns = ["URL", "Status → final status", "Where found"];
    if rows
        .iter()
        .take(ROW_CAP)
        .any(|r| r.error.is_some() || !r.note.is_empty())
    {
        let [a, b, c] = columns;
        table_parts([a, b, c, "Note"], shown())
    } else {
        table_parts(columns, shown().map(|[a, b, c, _]| [a, b, c]))
    }
}

/// A table's `<thead>` (`<th scope="col">` headers) and `<tbody>`, for the caller's `<table>`.
fn table_parts<const N: usize>(
    columns: [&str; N],
    rows: impl IntoIterator<Item = [Markup; N]>,
) -> Markup {
    html! {
        thead {
            tr {
                @for column in columns {
                    th scope="col" { (column) }
                }
            }
        }
        tbody {
            @for cells in rows {
                tr {
                    @for cell in cells {
                        td { (cell) }
                    }
                }
            }
        }
    }
}

/// A bulleted list.
fn list(items: impl IntoIterator<Item = Markup>) -> Markup {
    html! {
        ul {
            @for item in items {
                li { (item) }
            }
        }
    }
}

fn capped_note(total: usize) -> Markup {
    html! {
        @if total > ROW_CAP {
            p class="capped" {
                "Showing the first " (ROW_CAP) " of " (total) " rows; the CSV has all of them."
            }
        }
    }
}

fn changes(r: &HtmlReport<'_>) -> Markup {
    if r.first_run {
        return html! {
            section id="changes" {
                h2 { "Since last run" }
                p { "First run: no baseline yet. The next run compares against this one." }
            }
            "\n"
        };
    }
    let Some(lines) = r.changes else {
        return html! {};
    };
    let cells = lines.iter().map(|c| {
        [
            html! { strong { (Text(&c.change)) } },
            html! { (Text(&c.finding)) },
            link(&c.url),
            html! { (Text(&c.detail)) },
        ]
    });
    html! {
        section id="changes" {
            h2 { "Since last run" }
            @if lines.is_empty() {
                p { "Nothing changed since the last run." }
            } @else {
                table id="changes-table" {
                    (table_parts(["Change", "Finding", "URL", "Detail"], cells))
                }
            }
        }
        "\n"
    }
}

fn not_checked(r: &HtmlReport<'_>) -> Markup {
    let probes = &r.tally.probes_blocked_by_robots;
    if probes.is_empty() {
        return html! {};
    }
    html! {
        section id="not-checked" {
            h2 { "Private paths not checked" }
            p {
                "robots.txt keeps authwall out of these conventional private paths, so it cannot \
                 tell whether they leak. On a site you own, re-run with "
                code { "--ignore-robots" }
                " to check them."
            }
            (list(probes.iter().map(|url| link(url))))
        }
        "\n"
    }
}

fn settings(r: &HtmlReport<'_>) -> Markup {
    let cells =
        (r.settings.iter()).map(|(name, value)| [html! { (Text(name)) }, html! { (Text(value)) }]);
    html! {
        section id="settings-section" {
            h2 { "Audit settings" }
            table id="settings" {
                (table_parts(["Setting", "Value"], cells))
            }
        }
        "\n"
    }
}

fn all_rows(r: &HtmlReport<'_>) -> Markup {
    let rows: Vec<(&AuditRow, Verdict)> = r
        .rows
        .iter()
        .filter_map(|row| row.verdict.filter(|v| *v != Verdict::Ok).map(|v| (row, v)))
        .collect();
    let cells = rows.iter().take(ROW_CAP);
    let cells = cells.map(|(row, v)| [link(&row.url), status_cell(row), html! { (label(v)) }]);
    html! {
        details id="all-rows" {
            summary { "All " (rows.len()) " rows with a verdict other than ok" }
            table id="rows" {
                (table_parts(["URL", "Status", "Verdict"], cells))
            }
            (capped_note(rows.len()))
        }
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DiscoveredVia, SkipReason};

    const SITE: &str = "https://site.test/";

    /// [`super::link`] as the HTML it renders to (it returns maud `Markup` now).
    fn link(text: &str) -> String {
        super::link(text).into_string()
    }

    /// A row for `https://site.test/{path}` carrying `finding` (`;`-separated, may be empty).
    fn row(path: &str, status: u16, finding: &str) -> AuditRow {
        let url = format!("{SITE}{path}");
        let findings = finding.split(';').filter_map(Finding::from_label);
        AuditRow {
            final_url: url.clone(),
            url,
            status: Some(status),
            final_status: Some(status),
            discovered_via: DiscoveredVia::Link,
            referrer: SITE.into(),
            verdict: Some([Verdict::Walled, Verdict::Ok][usize::from(finding.is_empty())]),
            severity: findings.map(|f| f.severity(false)).max(),
            finding: finding.into(),
            ..AuditRow::default()
        }
    }

    fn probe_blocked_by_robots(path: &str) -> AuditRow {
        let mut probe = row(path, 0, "");
        (probe.status, probe.verdict) = (None, Some(Verdict::NotChecked));
        (probe.discovered_via, probe.skip_reason) =
            (DiscoveredVia::Probe, Some(SkipReason::Robots));
        probe
    }

    /// A report of `rows` (tally leaked: tests only) that a test adjusts before rendering.
    fn report(rows: &[AuditRow]) -> HtmlReport<'_> {
        let tally: &'static mut Tally = Box::leak(Box::default());
        rows.iter().for_each(|r| tally.add(r));
        HtmlReport {
            origin: "https://site.test",
            list: None,
            verdict: "complete",
            exit_code: 0,
            fail_on: Severity::High,
            generated_at: "2025-01-01T00:00:00Z",
            rows,
            tally,
            changes: None,
            first_run: false,
            settings: &[],
            incomplete: &[],
            accepted: &[],
            member: None,
        }
    }

    fn render_exit(rows: &[AuditRow], exit_code: u8) -> String {
        render(&HtmlReport {
            exit_code,
            ..report(rows)
        })
    }

    /// Every `attr="…"` value in the document.
    fn attr_values(html: &str, attr: &str) -> Vec<String> {
        let needle = format!(" {attr}=\"");
        let values = html
            .match_indices(&needle)
            .map(|(i, _)| &html[i + needle.len()..]);
        values
            .map(|v| v[..v.find('"').unwrap()].to_string())
            .collect()
    }

    /// The `<table>` whose `data-finding` is `finding`.
    fn finding_table<'h>(html: &'h str, finding: &str) -> &'h str {
        let start = html
            .find(&format!("data-finding=\"{finding}\""))
            .expect(finding);
        &html[start..start + html[start..].find("</table>").unwrap()]
    }

    fn assert_only_audited_links(html: &str) {
        for href in attr_values(html, "href") {
            assert!(href == "data:," || href.starts_with(SITE), "{href}");
        }
    }

    #[test]
    fn hostile_values_in_every_field_render_as_text() {
        let mut walled = row("a\"><script>x</script>", 401, "public_401");
        walled.title = "<script>alert(1)</script>".into();
        walled.note = "a & b <img src=x onerror=alert(1)>".into();
        walled.referrer = "javascript:alert(1)".into();
        walled.final_url = "JavaScript:alert(2)".into();
        let mut probe = probe_blocked_by_robots("");
        probe.url = "javascript:alert(3)".into();
        let rows = [walled, probe];
        let changes = [ChangeLine {
            change: "<b>new</b>".into(),
            finding: "'\"".into(),
            url: " javascript:alert(4)".into(),
            detail: "<script>".into(),
        }];
        let html = render(&HtmlReport {
            origin: "https://site.test/<script>",
            verdict: "<SCRIPT>alert(6)</SCRIPT>",
            generated_at: "<script>",
            changes: Some(&changes),
            settings: &[("<script>".into(), "x\"onmouseover='y'".into())],
            incomplete: &["<script>alert(5)</script>".into()],
            ..report(&rows)
        });
        for banned in ["<script", "<img", "<b>new", "href=\"javascript"] {
            assert!(!html.to_lowercase().contains(banned), "{banned} in {html}");
        }
        assert_only_audited_links(&html);
        for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "https://site.test/a&quot;&gt;&lt;script&gt;x&lt;/script&gt;</a>",
            "a &amp; b &lt;img src=x onerror=alert(1)&gt;",
            "x&quot;onmouseover=&#39;y&#39;",
            "&lt;SCRIPT&gt;alert(6)&lt;/SCRIPT&gt;",
            "<span class=\"url\">javascript:alert(1)</span>",
            "<li><span class=\"url\">javascript:alert(3)</span></li>",
            "<span class=\"url\"> javascript:alert(4)</span>",
        ] {
            assert!(html.contains(escaped), "{escaped}");
        }
    }

    #[test]
    fn only_http_and_https_urls_become_links() {
        let bad = [
            "javascript:x",
            "JavaScript:x",
            "java\tscript:x",
            "data:text/html,x",
            "/a",
            "",
        ];
        for url in bad {
            assert!(!link(url).contains("href"), "{url:?}: {}", link(url));
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
            row("a", 401, "public_401;missing_www_authenticate"),
            row("b", 200, ""),
            row("c", 401, "public_401"),
            row("d", 403, "public_403"),
        ];
        let html = render_exit(&rows, 1);
        let urls_in = |finding| -> Vec<String> {
            let hrefs = attr_values(finding_table(&html, finding), "href").into_iter();
            hrefs
                .filter(|h| h != SITE)
                .map(|h| h.replace(SITE, ""))
                .collect()
        };
        assert_eq!(urls_in("public_401"), ["a", "c"]);
        assert_eq!(urls_in("missing_www_authenticate"), ["a"]);
        assert_eq!(urls_in("public_403"), ["d"]);
        assert_eq!(html.matches("<table id=\"findings-").count(), 3);
        assert_eq!(html.matches("class=\"findings\"").count(), 3);
        assert!(finding_table(&html, "public_401").contains("<th scope=\"col\">URL</th>"));
    }

    #[test]
    fn a_finding_at_two_severities_gets_a_table_for_each_and_an_empty_note_column_goes() {
        let mut listed = row("in-map", 401, "public_401");
        listed.in_sitemap = true;
        let mut noted = row("with-note", 401, "public_401");
        noted.note = "behind a challenge".into();
        let rows = [listed, noted, row("by-link", 401, "public_401")];
        let html = render_exit(&rows, 1);
        let table = |severity: &str| {
            let start = html
                .find(&format!(
                    "data-finding=\"public_401\" data-severity=\"{severity}\""
                ))
                .expect(severity);
            &html[start..start + html[start..].find("</table>").unwrap()]
        };
        assert!(table("critical").contains("in-map") && !table("critical").contains("by-link"));
        assert!(table("high").contains("by-link") && table("high").contains("with-note"));
        assert!(html.contains("critical · public_401 × 1"));
        assert!(html.contains("high · public_401 × 2"));
        assert!(!table("critical").contains(">Note<"), "no note, no column");
        assert!(table("high").contains(">Note<"));
    }

    #[test]
    fn findings_tables_are_ordered_by_severity_highest_first() {
        let mut in_sitemap = row("s", 401, "public_401");
        in_sitemap.in_sitemap = true;
        let rows = [
            row("r", 301, "sitemap_redirect"),
            row("m", 401, "missing_www_authenticate"),
            in_sitemap,
            row("l", 200, "private_leak"),
        ];
        let html = render_exit(&rows, 1);
        let pos = |f: &&str| html.find(&format!("data-finding=\"{f}\"")).unwrap();
        let order = [
            "public_401",
            "private_leak",
            "missing_www_authenticate",
            "sitemap_redirect",
        ];
        assert!(order.is_sorted_by_key(pos));
        assert!(finding_table(&html, "public_401").contains("data-severity=\"critical\""));
    }

    #[test]
    fn verdict_banner_class_depends_on_exit_code() {
        let (walled, clean) = ([row("a", 401, "public_401")], [row("b", 200, "")]);
        let class = |html: String| {
            let start = html.find("class=\"verdict outcome-").unwrap() + 23;
            html[start..start + html[start..].find('"').unwrap()].to_string()
        };
        assert_eq!(class(render_exit(&walled, 1)), "fail");
        assert_eq!(class(render_exit(&clean, 0)), "clean");
        assert_eq!(class(render_exit(&clean, 3)), "incomplete");
        assert_eq!(class(render_exit(&clean, 130)), "incomplete");
        // The demo exits 0 with findings: they still show red.
        assert_eq!(class(render_exit(&walled, 0)), "fail");
        let html = render_exit(&walled, 1);
        assert!(html.contains("Exit code 1:</strong> findings at or above the --fail-on"));
        assert!(html.contains("<h1>1 URL with findings at or above high</h1>"));
    }

    #[test]
    fn charts_have_a_bar_per_status_class_and_severity_with_counts() {
        let mut rows = [200, 200, 301, 401, 503].map(|s| row("", s, "")).to_vec();
        rows.extend([probe_blocked_by_robots("p"), row("w", 401, "public_401")]);
        rows[0].status = None;
        let html = render_exit(&rows, 1);
        let bars = [
            ("2xx", 1),
            ("3xx", 1),
            ("4xx", 2),
            ("5xx", 1),
            ("no response", 1),
        ];
        for (name, n) in bars.into_iter().chain([("critical", 0), ("high", 1)]) {
            let bar = format!("data-label=\"{name}\" data-count=\"{n}\"><text x=\"0\" y=");
            assert!(html.contains(&bar), "{name}");
            assert!(html.contains(&format!(">{name}</text>")), "{name}");
        }
        assert!(!html.contains("data-label=\"1xx\""));
        assert_eq!(html.matches("<g class=\"bar\"").count(), 10);
        assert_eq!(html.matches("<svg ").count(), 2);
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere() {
        let html = render_exit(&[row("a", 401, "public_401")], 1).to_lowercase();
        assert!(attr_values(&html, "src").is_empty() && !html.contains("src="));
        assert_only_audited_links(&html);
        for banned in [
            "<script",
            "@import",
            "url(",
            "stylesheet",
            "<iframe",
            "<img",
            "xlink",
        ] {
            assert!(!html.contains(banned), "{banned}");
        }
        assert!(html.contains("default-src &#39;none&#39;"));
    }

    #[test]
    fn empty_audit_renders_without_panicking() {
        let html = render_exit(&[], 0);
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert!(html.contains("No findings.") && html.contains("All 0 rows"));
        assert!(html.contains("outcome-clean"));
        assert!(!html.contains("id=\"changes\""), "no baseline, no block");
    }

    #[test]
    fn changes_block_shows_first_run_nothing_or_the_lines() {
        let first = render(&HtmlReport {
            first_run: true,
            ..report(&[])
        });
        assert!(first.contains("First run: no baseline yet"));
        let none = render(&HtmlReport {
            changes: Some(&[]),
            ..report(&[])
        });
        assert!(none.contains("Nothing changed since the last run"));
        let lines = [ChangeLine {
            change: "fixed".into(),
            finding: "public_401".into(),
            url: "https://site.test/w".into(),
            detail: "401 -> 200".into(),
        }];
        let settings = [("fail_on".into(), "high".into())];
        let html = render(&HtmlReport {
            changes: Some(&lines),
            settings: &settings,
            ..report(&[])
        });
        assert!(html.contains("<td><strong>fixed</strong></td><td>public_401</td>"));
        assert!(html.contains("href=\"https://site.test/w\"") && html.contains("401 -&gt; 200"));
        assert!(html.contains("<td>fail_on</td><td>high</td>"));
    }

    #[test]
    fn blocked_probes_and_incomplete_reasons_are_listed() {
        let (rows, why) = (
            [probe_blocked_by_robots("admin")],
            ["kept refusing".to_string()],
        );
        let html = render(&HtmlReport {
            exit_code: 3,
            incomplete: &why,
            ..report(&rows)
        });
        assert!(html.contains("--ignore-robots") && html.contains("\"https://site.test/admin\""));
        assert!(html.contains("<li>kept refusing</li>"));
        assert!(html.contains("<td>not requested (robots)</td><td>not_checked</td>"));
    }

    #[test]
    fn long_row_lists_are_capped_with_a_note() {
        let rows: Vec<AuditRow> = (0..ROW_CAP + 5)
            .map(|i| row(&i.to_string(), 401, "public_401"))
            .collect();
        let html = render_exit(&rows, 1);
        assert_eq!(
            html.matches("Showing the first 2000 of 2005 rows").count(),
            2
        );
        assert!(html.contains("All 2005 rows with a verdict other than ok"));
        assert!(!html.contains("href=\"https://site.test/2004\""));
    }
}
