//! The baseline of a weekly run: an earlier complete audit to compare with (`--baseline`,
//! `authwall diff`), read from its CSV and its run record.

use std::path::Path;

use anyhow::{Context, Result};

use super::csv::read_rows;
use super::row::AuditRow;
use super::summary::{RunRecord, record_path};

/// An earlier run to compare with.
pub struct Baseline {
    pub rows: Vec<AuditRow>,
    pub origin: String,
}

impl Baseline {
    /// The baseline must be a complete run, as its run record says. No file at all is the
    /// first run of a weekly job: everything is new.
    pub fn load(path: &Path) -> Result<Baseline> {
        if !path.exists() {
            return Ok(Baseline {
                rows: Vec::new(),
                origin: String::new(),
            });
        }
        let record = RunRecord::read_beside(path).with_context(|| {
            format!(
                "baseline {}: its run record {} is missing or unreadable, so nothing says the \
                 run was complete; refusing to compare with it",
                path.display(),
                record_path(path).display()
            )
        })?;
        if !record.complete {
            let reasons = record.incomplete_reasons.join("; ");
            anyhow::bail!(
                "baseline {} is from an incomplete run ({}); compare with a complete run",
                path.display(),
                if reasons.is_empty() {
                    "interrupted or could not run"
                } else {
                    &reasons
                }
            );
        }
        let rows = read_rows(path)
            .with_context(|| format!("cannot use the baseline {}", path.display()))?;
        let origin = Baseline::origin_of(path, &rows);
        Ok(Baseline { rows, origin })
    }

    /// The audited origin: from the run record, else from the first row.
    pub fn origin_of(path: &Path, rows: &[AuditRow]) -> String {
        if let Some(record) = RunRecord::read_beside(path).filter(|r| !r.origin.is_empty()) {
            return record.origin;
        }
        rows.first()
            .and_then(|r| url::Url::parse(&r.url).ok())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    pub fn first_run(&self) -> bool {
        self.rows.is_empty()
    }
}
