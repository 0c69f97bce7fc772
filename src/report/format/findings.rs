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
#[derive(Debug, Default, Serialize)]
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
        let rows = rows(audit_rows);
        if rows.is_empty() {
            // A header even when there is nothing to list: the struct's own field names (a
            // writer writes them before its first row, which is dropped here).
            let mut probe = ::csv::Writer::from_writer(Vec::new());
            probe.serialize(FindingRow::default())?;
            let bytes = probe.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            file.write_all(header)?;
            file.write_all(b"\n")?;
        }
        let mut csv = ::csv::Writer::from_writer(file);
        for row in rows {
            csv.serialize(row)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_findings_file_without_findings_still_has_the_rows_header() {
        let dir = tempfile::tempdir().unwrap();
        let (empty, full) = (dir.path().join("e.csv"), dir.path().join("f.csv"));
        write(&empty, &[]).unwrap();
        let row = AuditRow {
            url: "http://a.test/x".into(),
            status: Some(401),
            finding: "public_401".into(),
            ..AuditRow::default()
        };
        write(&full, &[row]).unwrap();
        let first = |p: &Path| {
            let text = std::fs::read_to_string(p).unwrap();
            text.lines().next().unwrap().to_string()
        };
        assert_eq!(first(&empty), first(&full));
        assert!(first(&empty).starts_with("\u{feff}severity,finding,what,url"));
        assert_eq!(std::fs::read_to_string(&empty).unwrap().lines().count(), 1);
    }
}
