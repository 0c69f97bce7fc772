//! One file per output format. The rows stream as CSV ([`csv`]) or JSON Lines ([`jsonl`]);
//! a person reads the summary as text ([`text`]) or Markdown ([`markdown`]), and the HTML
//! report ([`html`]). Each format owns its escaping: CSV neutralises formula-like
//! cells, Markdown escapes its syntax, HTML escapes by construction, text and JSON need none.

pub mod csv;
pub mod findings;
pub mod html;
pub mod jsonl;
pub mod markdown;
pub mod text;
pub mod xlsx;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::config::{Output, RowFormat, SummaryFormat};
use crate::report::diff::Comparison;
use crate::report::row::{AuditRow, SCHEMA_VERSION};
use crate::report::summary::RunReport;

/// A document for a person: the summary of a run, or two runs compared (`authwall diff`).
pub trait Summary {
    fn run(&self, run: &RunReport<'_>) -> String;
    fn comparison(&self, comparison: &Comparison) -> String;
}

/// The summary format the user asked for.
pub fn summary(format: SummaryFormat) -> &'static dyn Summary {
    match format {
        SummaryFormat::Text => &text::Text,
        SummaryFormat::Markdown => &markdown::Markdown,
    }
}

const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// A format of the rows, written one at a time.
pub trait WriteRow: Send {
    fn write_row(&mut self, row: AuditRow) -> Result<()>;
    fn flush(&mut self) -> io::Result<()>;
}

/// The rows as URLs settle, flushed at least every second, so a run killed half-way leaves a
/// valid file of what was finished.
pub struct RowWriter {
    format: Box<dyn WriteRow>,
    last_flush: Instant,
    rows: u64,
}

impl RowWriter {
    pub fn create(output: &Output, format: RowFormat) -> Result<Self> {
        let inner: Box<dyn Write + Send> = match output {
            Output::Stdout => Box::new(BufWriter::new(io::stdout())),
            Output::File(path) => {
                // Rows stream out 64 KiB at a time (the flush on each progress tick keeps the
                // file current for readers).
                let file = File::create(path)
                    .with_context(|| format!("cannot create the CSV file {}", path.display()))?;
                Box::new(BufWriter::with_capacity(64 * 1024, file))
            }
        };
        Self::to_writer(inner, format)
    }

    fn to_writer(inner: Box<dyn Write + Send>, format: RowFormat) -> Result<Self> {
        let format: Box<dyn WriteRow> = match format {
            RowFormat::Csv => Box::new(csv::CsvRows::new(inner)?),
            RowFormat::Jsonl => Box::new(jsonl::JsonRows::new(inner)),
        };
        let mut writer = Self {
            format,
            last_flush: Instant::now(),
            rows: 0,
        };
        writer.flush()?;
        Ok(writer)
    }

    pub fn write(&mut self, row: &AuditRow) -> Result<()> {
        let mut row = row.clone();
        row.schema = SCHEMA_VERSION;
        self.format.write_row(row)?;
        self.rows += 1;
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        match self.format.flush() {
            // A closed pipe (`authwall audit … -o - | head`) is the reader's choice, not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot flush the CSV file"),
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// Read the rows of an audit written by authwall, CSV or JSON Lines (told apart by their first
/// byte).
pub fn read_rows(path: &Path) -> Result<Vec<AuditRow>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut first = [0u8; 1];
    let is_json = std::io::Read::read(&mut file, &mut first)? == 1 && first[0] == b'{';
    std::io::Seek::rewind(&mut file)?;
    if is_json {
        jsonl::read(file, path)
    } else {
        csv::read(file, path)
    }
}

/// A file rewritten whole and atomically (temporary file + rename), so that a reader never
/// sees it half-written: the final pass writes its rows here, then [`Replacement::commit`].
pub struct Replacement {
    path: std::path::PathBuf,
    tmp: tempfile::NamedTempFile,
    rows: RowWriter,
}

impl Replacement {
    pub fn new(path: &Path, format: RowFormat) -> Result<Self> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        let rows = RowWriter::to_writer(Box::new(BufWriter::new(tmp.reopen()?)), format)?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
            rows,
        })
    }

    pub fn write(&mut self, row: &AuditRow) -> Result<()> {
        self.rows.write(row)
    }

    /// Put the new file in place of the old one.
    pub fn commit(mut self) -> Result<()> {
        self.rows.flush()?;
        drop(self.rows);
        // The temporary file is created private (0600); the file keeps the mode it was made
        // with.
        if let Ok(meta) = std::fs::metadata(&self.path) {
            self.tmp.as_file().set_permissions(meta.permissions())?;
        }
        self.tmp
            .persist(&self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        Ok(())
    }
}

/// Replace the file with `rows` (see [`Replacement`]).
pub fn replace(path: &Path, format: RowFormat, rows: &[AuditRow]) -> Result<()> {
    let mut file = Replacement::new(path, format)?;
    for row in rows {
        file.write(row)?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Output, RowFormat};
    use crate::report::row::AuditRow;

    fn row(url: &str, title: &str) -> AuditRow {
        AuditRow {
            url: url.into(),
            title: title.into(),
            schema: SCHEMA_VERSION,
            ..AuditRow::default()
        }
    }

    #[test]
    fn written_rows_read_back_unchanged_including_hostile_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let rows = [
            row("https://a/1", "=cmd|' /C calc'!A0"),
            row("https://a/2", "comma, \"quote\" and\nnewline"),
            row("https://a/3", "-1+1"),
        ];
        let mut writer = RowWriter::create(&Output::File(path.clone()), RowFormat::Csv).unwrap();
        for r in &rows {
            writer.write(r).unwrap();
        }
        writer.flush().unwrap();
        drop(writer);
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(
            raw.contains(",'=cmd"),
            "formula cell not neutralised: {raw}"
        );
        assert_eq!(read_rows(&path).unwrap(), rows);
    }

    #[test]
    fn a_trailing_partial_row_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut writer = RowWriter::create(&Output::File(path.clone()), RowFormat::Csv).unwrap();
        writer.write(&row("https://a/1", "one")).unwrap();
        writer.write(&row("https://a/2", "two")).unwrap();
        writer.flush().unwrap();
        drop(writer);
        // A process killed mid-write leaves half a line.
        let raw = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &raw[..raw.len() - 30]).unwrap();
        let back = read_rows(&path).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].url, "https://a/1");
    }

    #[test]
    fn the_final_pass_rewrites_rows_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut writer = RowWriter::create(&Output::File(path.clone()), RowFormat::Csv).unwrap();
        writer.write(&row("https://a/1", "one")).unwrap();
        writer.flush().unwrap();
        drop(writer);
        let mut rows = read_rows(&path).unwrap();
        rows[0].inlinks = 7;
        replace(&path, RowFormat::Csv, &rows).unwrap();
        assert_eq!(read_rows(&path).unwrap()[0].inlinks, 7);
    }
}

#[cfg(test)]
mod jsonl_tests {
    use super::*;

    #[test]
    fn json_lines_keep_the_raw_values_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let row = AuditRow {
            url: "https://a/1".into(),
            title: "=HYPERLINK(\"x\")".into(),
            schema: SCHEMA_VERSION,
            ..AuditRow::default()
        };
        let mut writer = RowWriter::create(&Output::File(path.clone()), RowFormat::Jsonl).unwrap();
        writer.write(&row).unwrap();
        writer.flush().unwrap();
        drop(writer);
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(raw.contains(r#""title":"=HYPERLINK(\"x\")""#), "{raw}");
        assert_eq!(read_rows(&path).unwrap(), [row]);
        std::fs::write(&path, format!("{raw}{{\"url\":\"https://a/2")).unwrap();
        assert_eq!(
            read_rows(&path).unwrap().len(),
            1,
            "a partial last line is dropped"
        );
    }
}
