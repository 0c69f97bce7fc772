//! `authwall-<host>.findings.csv`: one row per finding, for people who filter in a
//! spreadsheet. The audit CSV stays the machine contract (baselines are read from it); this
//! file is written beside it, UTF-8 with a byte order mark so that Excel shows non-ASCII
//! titles right, formula-like cells neutralised as in the audit CSV.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::audit::{Finding, Severity};
use crate::model::label;
use crate::report::row::AuditRow;
use crate::report::where_found_text;

/// One finding on one URL.
#[derive(Debug, Serialize)]
pub struct FindingRow {
    pub severity: String,
    pub finding: String,
    /// The finding in plain words.
    pub what: String,
    pub url: String,
    /// `401`, or `302 → 200` when it redirects.
    pub status: String,
    pub where_found: String,
    pub what_to_do: String,
    /// `accepted` when an `[[accept]]` entry in force accepts it.
    pub accepted: String,
}

/// Where the findings file goes: `x.csv` -> `x.findings.csv`.
pub fn path_beside(csv: &Path) -> PathBuf {
    let stem = csv
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    csv.with_file_name(format!("{stem}.findings.csv"))
}

/// The rows of the findings file, the most severe first, then by URL.
pub fn rows(audit_rows: &[AuditRow]) -> Vec<FindingRow> {
    let mut out: Vec<(Severity, FindingRow)> = Vec::new();
    for row in audit_rows {
        let accepted: Vec<Finding> = row
            .accepted
            .split(';')
            .filter_map(Finding::from_label)
            .collect();
        for finding in row.finding.split(';').filter_map(Finding::from_label) {
            let severity = finding.severity(row.in_sitemap);
            let status = match (row.status, row.final_status, row.redirect_chain.is_empty()) {
                (Some(s), Some(f), false) => format!("{s} → {f}"),
                (Some(s), _, _) => s.to_string(),
                (None, _, _) => String::new(),
            };
            out.push((
                severity,
                FindingRow {
                    severity: label(&severity).to_string(),
                    finding: finding.to_string(),
                    what: finding.title().to_string(),
                    url: neutral(&row.url),
                    status,
                    where_found: neutral(&where_found_text(row)),
                    // A spreadsheet shows no code font: the Markdown backticks go.
                    what_to_do: finding.advice().replace('`', ""),
                    accepted: if accepted.contains(&finding) {
                        "accepted"
                    } else {
                        ""
                    }
                    .to_string(),
                },
            ));
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.url.cmp(&b.1.url)));
    out.into_iter().map(|(_, row)| row).collect()
}

/// Write the findings of `audit_rows` to `path`.
pub fn write(path: &Path, audit_rows: &[AuditRow]) -> Result<()> {
    let write = || -> Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        // Excel reads a CSV as the local code page unless it starts with a BOM.
        file.write_all("\u{feff}".as_bytes())?;
        let mut csv = ::csv::Writer::from_writer(file);
        for row in rows(audit_rows) {
            csv.serialize(row)?;
        }
        if audit_rows.iter().all(|r| r.finding.is_empty()) {
            // A header even when there is nothing to list.
            csv.write_record([
                "severity",
                "finding",
                "what",
                "url",
                "status",
                "where_found",
                "what_to_do",
                "accepted",
            ])?;
        }
        csv.flush()?;
        Ok(())
    };
    write().with_context(|| format!("cannot write the findings file {}", path.display()))
}

/// A cell from the site, as the audit CSV neutralises it.
fn neutral(text: &str) -> String {
    let mut cell = text.to_string();
    super::csv::neutralise_cell(&mut cell);
    cell
}
