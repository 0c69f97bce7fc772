//! CSV: one row per URL, spreadsheet-safe. Cells whose text came from the audited site are
//! neutralised against formula injection when written and restored when read back.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::WriteRow;
use crate::report::row::{AuditRow, SCHEMA_VERSION, header};

/// The first schema this version reads: the one that put `schema` on every row.
pub const OLDEST_SCHEMA: u32 = 3;

/// Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection"),
/// plus our own escape character so that neutralising is exactly reversible.
const FORMULA_TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Prefix formula-like cells with `'` so that spreadsheets show them as text.
pub fn neutralise(row: &mut AuditRow) {
    for cell in row.site_text_mut() {
        neutralise_cell(cell);
    }
}

/// [`neutralise`] for one cell.
pub fn neutralise_cell(cell: &mut String) {
    if cell.starts_with(FORMULA_TRIGGERS) {
        cell.insert(0, '\'');
    }
}

/// Undo [`neutralise`]: readers of our own CSV get the site's text back.
pub fn restore(row: &mut AuditRow) {
    for cell in row.site_text_mut() {
        if cell.starts_with('\'') && cell[1..].starts_with(FORMULA_TRIGGERS) {
            cell.remove(0);
        }
    }
}

pub(super) struct CsvRows {
    writer: csv::Writer<Box<dyn Write + Send>>,
}

impl CsvRows {
    pub(super) fn new(inner: Box<dyn Write + Send>) -> Result<Self> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(inner);
        // The header goes out even when the crawl writes no row at all.
        writer.write_record(header().split(','))?;
        Ok(Self { writer })
    }
}

impl WriteRow for CsvRows {
    fn write_row(&mut self, mut row: AuditRow) -> Result<()> {
        neutralise(&mut row);
        // Header already written: serialise the record without another header line.
        self.writer
            .serialize(&row)
            .context("cannot write a CSV row")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Read an audit CSV written by authwall (schema 3 or later), restoring neutralised cells.
/// Columns are read by name: a later schema's columns are left aside. A trailing partial line
/// (a process killed mid-write) is dropped rather than failing the whole file.
pub(super) fn read(file: std::fs::File, path: &Path) -> Result<Vec<AuditRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let columns = reader
        .headers()
        .with_context(|| format!("cannot read the header of {}", path.display()))?
        .clone();
    let has = |name: &str| columns.iter().any(|c| c == name);
    anyhow::ensure!(
        has("url") && has("schema"),
        "{} is not an authwall CSV (its header has no `url` and `schema` columns)",
        path.display()
    );
    let mut rows = Vec::new();
    let mut records = reader.records().peekable();
    while let Some(record) = records.next() {
        let is_last = records.peek().is_none();
        let record = match record {
            Ok(r) => r,
            Err(_) if is_last => break,
            Err(e) => {
                return Err(e).with_context(|| format!("malformed row in {}", path.display()));
            }
        };
        if record.len() != columns.len() && is_last {
            break;
        }
        let mut row: AuditRow = record
            .deserialize(Some(&columns))
            .with_context(|| format!("malformed row in {}", path.display()))?;
        check_schema(row.schema, path)?;
        restore(&mut row);
        rows.push(row);
    }
    Ok(rows)
}

/// Schema 3 and every later one is read; an older file is refused with what to do.
pub(super) fn check_schema(schema: u32, path: &Path) -> Result<()> {
    anyhow::ensure!(
        schema >= OLDEST_SCHEMA,
        "{} was written with CSV schema {schema}; this authwall reads schema {OLDEST_SCHEMA} to \
         {SCHEMA_VERSION} (re-run the audit to get a comparable file)",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralise_then_restore_round_trips_hostile_text() {
        let hostile = [
            "=HYPERLINK(\"http://evil\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'=already quoted",
            "'plain quote",
            "normal",
            "",
        ];
        for text in hostile {
            let mut row = AuditRow {
                title: text.to_string(),
                www_authenticate: text.to_string(),
                ..AuditRow::default()
            };
            neutralise(&mut row);
            assert!(
                !row.title.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{text:?} stayed a formula: {:?}",
                row.title
            );
            restore(&mut row);
            assert_eq!(row.title, text);
            assert_eq!(row.www_authenticate, text);
        }
    }
}
