//! The overview of many sites (`authwall batch`, `authwall merge`): one line per site (how its
//! run ended, its URLs by worst severity, what is new since its last run) as text for a
//! terminal or a cron mail, Markdown for a ticket, an HTML index that links to each site's
//! report, and JSON that `authwall merge` reads back to combine shards.

use std::path::Path;

use anyhow::{Context, Result};
use maud::{DOCTYPE, PreEscaped, html};
use serde::{Deserialize, Serialize};

use crate::report::format::markdown::escape as md;

/// How one site's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteState {
    /// Findings at or above the site's `--fail-on` (or new ones with `--fail-on-new`).
    Findings,
    /// The audit could not run: the start URL is unreachable, or its options are wrong.
    CouldNotRun,
    /// The run ended early (a time limit, unverified pages …): it cannot vouch for the site.
    Incomplete,
    /// Done, nothing at or above the threshold.
    Clean,
}

impl SiteState {
    fn word(self) -> &'static str {
        match self {
            SiteState::Findings => "findings",
            SiteState::CouldNotRun => "could not run",
            SiteState::Incomplete => "incomplete",
            SiteState::Clean => "clean",
        }
    }
}

/// One site's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteLine {
    /// The start URL as listed.
    pub site: String,
    pub state: SiteState,
    /// Why it could not run or is incomplete; empty otherwise.
    #[serde(default)]
    pub why: String,
    /// URLs by their worst finding: critical, high, medium, low.
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    /// Findings new and fixed since the site's last complete run; `None` on its first run.
    pub new: Option<u64>,
    pub fixed: Option<u64>,
    /// The site's folder, relative to the overview's (`host-port`); empty when nothing was
    /// written.
    pub dir: String,
    /// The site's HTML report, relative to the overview's folder.
    pub report: Option<String>,
}

/// Every site of a batch (or of merged shards), worst first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub tool: String,
    pub version: String,
    pub started_at: String,
    pub ended_at: String,
    /// `K/N` for one shard of a portfolio; empty for a whole one.
    #[serde(default)]
    pub shard: String,
    pub sites: Vec<SiteLine>,
}

impl Overview {
    /// Sites with findings first, then those that could not run, incomplete, clean; within
    /// each, the most critical first, then by site.
    pub fn sort(&mut self) {
        self.sites.sort_by(|a, b| {
            a.state
                .cmp(&b.state)
                .then(b.critical.cmp(&a.critical))
                .then(b.high.cmp(&a.high))
                .then(a.site.cmp(&b.site))
        });
    }

    pub fn count(&self, state: SiteState) -> usize {
        self.sites.iter().filter(|s| s.state == state).count()
    }

    /// The headline: how many sites, and how many of each state that needs a person.
    pub fn headline(&self) -> String {
        let n = self.sites.len();
        let mut parts = Vec::new();
        for (state, what) in [
            (SiteState::Findings, "with findings"),
            (SiteState::CouldNotRun, "could not run"),
            (SiteState::Incomplete, "incomplete"),
        ] {
            let k = self.count(state);
            if k > 0 {
                parts.push(format!("{k} {what}"));
            }
        }
        let sites = if n == 1 { "site" } else { "sites" };
        if parts.is_empty() {
            format!("{n} {sites}, all clean")
        } else {
            format!("{n} {sites}: {}", parts.join(", "))
        }
    }

    pub fn text(&self) -> String {
        let mut out = format!("authwall batch: {}\n\n", self.headline());
        let width = self
            .sites
            .iter()
            .map(|s| s.site.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        out.push_str(&format!(
            "{:width$}  {:13}  {:>4} {:>4} {:>4} {:>4}  {:>3}\n",
            "SITE", "RUN", "CRIT", "HIGH", "MED", "LOW", "NEW"
        ));
        for s in &self.sites {
            out.push_str(&format!(
                "{:width$}  {:13}  {:>4} {:>4} {:>4} {:>4}  {:>3}\n",
                s.site,
                s.state.word(),
                s.critical,
                s.high,
                s.medium,
                s.low,
                s.new.map_or("-".to_string(), |n| n.to_string()),
            ));
        }
        let troubled: Vec<&SiteLine> = self.sites.iter().filter(|s| !s.why.is_empty()).collect();
        if !troubled.is_empty() {
            out.push('\n');
            for s in troubled {
                out.push_str(&format!("{} {}: {}\n", s.site, s.state.word(), s.why));
            }
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("## authwall batch\n\n**{}**\n\n", md(&self.headline()));
        out.push_str("| Site | Run | Critical | High | Medium | Low | New |\n");
        out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for s in &self.sites {
            let run = if s.why.is_empty() {
                s.state.word().to_string()
            } else {
                format!("{}: {}", s.state.word(), md(&s.why))
            };
            out.push_str(&format!(
                "| {} | {run} | {} | {} | {} | {} | {} |\n",
                md(&s.site),
                s.critical,
                s.high,
                s.medium,
                s.low,
                s.new.map_or("–".to_string(), |n| n.to_string()),
            ));
        }
        out
    }

    pub fn html(&self) -> String {
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta http-equiv="Content-Security-Policy"
                        content="default-src 'none'; style-src 'unsafe-inline'";
                    title { "authwall batch: " (self.headline()) }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 { (self.headline()) }
                    p { "Audited " (self.started_at) " to " (self.ended_at)
                        @if !self.shard.is_empty() { " (shard " (self.shard) ")" } }
                    table {
                        thead { tr {
                            th scope="col" { "Site" } th scope="col" { "Run" }
                            th scope="col" title="URLs whose worst finding is critical" { "Crit." }
                            th scope="col" title="… high" { "High" }
                            th scope="col" title="… medium" { "Med." }
                            th scope="col" title="… low" { "Low" }
                            th scope="col" title="Findings new since the site's last complete run" { "New" }
                        } }
                        tbody {
                            @for s in &self.sites {
                                tr class={ "state-" (s.state.word().replace(' ', "-")) } {
                                    td {
                                        @match &s.report {
                                            Some(report) => a href=(report) { (s.site) },
                                            None => (s.site),
                                        }
                                    }
                                    td class="run" { (s.state.word()) }
                                    td class="n" { (s.critical) } td class="n" { (s.high) }
                                    td class="n" { (s.medium) } td class="n" { (s.low) }
                                    td class="n" { (s.new.map_or("–".to_string(), |n| n.to_string())) }
                                }
                                // Why, on a line of its own: readable on a phone too.
                                @if !s.why.is_empty() {
                                    tr class={ "why state-" (s.state.word().replace(' ', "-")) } {
                                        td colspan="7" { small { (s.why) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        markup.into_string()
    }

    /// `overview.json`, `overview.md` and `index.html` in `dir` (`name` replaces `overview`
    /// and `index` for one shard, so that shards can share a folder).
    pub fn write(&self, dir: &Path, name: Option<&str>) -> Result<()> {
        let (json, md, html) = match name {
            Some(name) => (
                format!("{name}.json"),
                format!("{name}.md"),
                format!("{name}.html"),
            ),
            None => (
                "overview.json".to_string(),
                "overview.md".to_string(),
                "index.html".to_string(),
            ),
        };
        let write = |file: &str, text: String| {
            let path = dir.join(file);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write the overview {}", path.display()))
        };
        write(&json, serde_json::to_string_pretty(self)?)?;
        write(&md, self.markdown())?;
        write(&html, self.html())
    }

    /// An overview written by [`Overview::write`].
    pub fn read(path: &Path) -> Result<Overview> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not an authwall overview", path.display()))
    }
}

const STYLE: &str = "
:root{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328}
body{max-width:72rem;margin:0 auto;padding:1rem 1.5rem}h1{font-size:1.6rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f4f6;white-space:nowrap}
td{overflow-wrap:anywhere}td:first-child{min-width:9rem}td.run{white-space:nowrap}
td.n{text-align:right;white-space:nowrap}tr.why td{border-top:none}
.state-findings td:first-child{border-left:4px solid #b42318}
.state-could-not-run td:first-child,.state-incomplete td:first-child{border-left:4px solid #b54708}
.state-clean td:first-child{border-left:4px solid #067647}small{color:#57606a}
@media (max-width:40rem){body{padding:.5rem}table{display:block;overflow-x:auto}}
";
