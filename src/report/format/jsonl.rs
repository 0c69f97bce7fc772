//! JSON Lines: one JSON object per row, values exactly as the site sent them (a pipeline
//! needs no spreadsheet safety, and JSON escapes what it must).

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::WriteRow;
use super::csv::check_schema;
use crate::report::row::AuditRow;

pub(super) struct JsonRows {
    out: Box<dyn Write + Send>,
}

impl JsonRows {
    pub(super) fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out }
    }
}

impl WriteRow for JsonRows {
    fn write_row(&mut self, row: AuditRow) -> Result<()> {
        serde_json::to_writer(&mut self.out, &row).context("cannot write a JSON line")?;
        self.out
            .write_all(b"\n")
            .context("cannot write a JSON line")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// JSON Lines as written by authwall; a trailing partial line (a killed process) is dropped.
pub(super) fn read(file: std::fs::File, path: &Path) -> Result<Vec<AuditRow>> {
    let text = std::io::read_to_string(file)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rows = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<AuditRow>(line) {
            Ok(row) => {
                check_schema(row.schema, path)?;
                rows.push(row);
            }
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("{} line {}: not an authwall row", path.display(), i + 1)
                });
            }
        }
    }
    Ok(rows)
}
