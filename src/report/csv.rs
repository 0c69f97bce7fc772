//! Streaming the audit rows — CSV, or JSON Lines for pipelines — as URLs settle, flushed at
//! least every second, so a run killed half-way leaves a valid file of what was finished.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::config::{Output, RowFormat};
use crate::report::row::{AuditRow, SCHEMA_VERSION};

const FLUSH_EVERY: Duration = Duration::from_secs(1);

enum Writer {
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Jsonl(Box<dyn Write + Send>),
}

/// Writes rows as they come, flushing on a timer.
pub struct CsvSink {
    writer: Writer,
    last_flush: Instant,
    rows: u64,
}

impl CsvSink {
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
        let writer = match format {
            RowFormat::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(inner);
                // The header goes out even when the crawl writes no row at all.
                csv.write_record(super::row::header().split(','))?;
                Writer::Csv(Box::new(csv))
            }
            RowFormat::Jsonl => Writer::Jsonl(inner),
        };
        let mut sink = Self {
            writer,
            last_flush: Instant::now(),
            rows: 0,
        };
        sink.flush()?;
        Ok(sink)
    }

    pub fn write(&mut self, row: &AuditRow) -> Result<()> {
        let mut row = row.clone();
        row.schema = SCHEMA_VERSION;
        match &mut self.writer {
            Writer::Csv(csv) => {
                row.neutralise();
                // Header already written: serialise the record without another header line.
                csv.serialize(&row).context("cannot write a CSV row")?;
            }
            Writer::Jsonl(out) => {
                // JSON needs no neutralising: a pipeline gets the site's values unchanged.
                serde_json::to_writer(&mut *out, &row).context("cannot write a JSON line")?;
                out.write_all(b"\n").context("cannot write a JSON line")?;
            }
        }
        self.rows += 1;
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        let flushed = match &mut self.writer {
            Writer::Csv(csv) => csv.flush(),
            Writer::Jsonl(out) => out.flush(),
        };
        match flushed {
            // A closed pipe (`authwall audit … -o - | head`) is the reader's choice, not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot flush the CSV file"),
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// Read an audit CSV written by authwall, restoring neutralised cells. A trailing partial line
/// (a process killed mid-write) is dropped rather than failing the whole file.
pub fn read_rows(path: &Path) -> Result<Vec<AuditRow>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut first = [0u8; 1];
    let is_json = std::io::Read::read(&mut file, &mut first)? == 1 && first[0] == b'{';
    std::io::Seek::rewind(&mut file)?;
    if is_json {
        return read_jsonl(file, path);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let expected = super::row::header();
    let header = reader
        .headers()
        .with_context(|| format!("cannot read the header of {}", path.display()))?
        .iter()
        .collect::<Vec<_>>()
        .join(",");
    if header != expected {
        // Name the version when the file says it, so that the reader knows what to do.
        let schema_col = reader.headers()?.iter().position(|h| h == "schema");
        let version = schema_col.and_then(|col| {
            reader
                .records()
                .next()
                .and_then(|r| r.ok())
                .and_then(|r| r.get(col).map(str::to_string))
        });
        match version {
            Some(v) => anyhow::bail!(
                "{} was written with CSV schema {v}; this authwall reads schema {SCHEMA_VERSION} \
                 (re-run the audit to get a comparable file)",
                path.display()
            ),
            None => anyhow::bail!(
                "{} is not an authwall CSV of schema {SCHEMA_VERSION} (its header differs)",
                path.display()
            ),
        }
    }
    let columns = expected.split(',').count();
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
        if record.len() != columns && is_last {
            break;
        }
        let mut row: AuditRow = record
            .deserialize(None)
            .with_context(|| format!("malformed row in {}", path.display()))?;
        anyhow::ensure!(
            row.schema == SCHEMA_VERSION,
            "{} was written with CSV schema {}; this authwall reads schema {SCHEMA_VERSION} \
             (re-run the audit to get a comparable file)",
            path.display(),
            row.schema
        );
        row.restore();
        rows.push(row);
    }
    Ok(rows)
}

/// JSON Lines as written by authwall; a trailing partial line (a killed process) is dropped.
fn read_jsonl(file: File, path: &Path) -> Result<Vec<AuditRow>> {
    let text = std::io::read_to_string(file)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rows = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<AuditRow>(line) {
            Ok(row) if row.schema != SCHEMA_VERSION => anyhow::bail!(
                "{} was written with schema {}; this authwall reads schema {SCHEMA_VERSION}",
                path.display(),
                row.schema
            ),
            Ok(row) => rows.push(row),
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

/// Replace the file with `rows`, atomically (temp file + rename), so that a reader never sees
/// a half-written file. The final pass uses it once every row is complete.
pub fn replace(path: &Path, format: RowFormat, rows: &[AuditRow]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut sink = CsvSink::to_writer(Box::new(BufWriter::new(tmp.reopen()?)), format)?;
        for row in rows {
            sink.write(row)?;
        }
        sink.flush()?;
    }
    // The temporary file is created private (0600); the file keeps the mode it was made with.
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Flush periodically while idle too (the crawl may wait on a slow server for a while).
pub fn flush_interval() -> Duration {
    FLUSH_EVERY
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut sink = CsvSink::create(&Output::File(path.clone()), RowFormat::Csv).unwrap();
        for r in &rows {
            sink.write(r).unwrap();
        }
        sink.flush().unwrap();
        drop(sink);
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
        let mut sink = CsvSink::create(&Output::File(path.clone()), RowFormat::Csv).unwrap();
        sink.write(&row("https://a/1", "one")).unwrap();
        sink.write(&row("https://a/2", "two")).unwrap();
        sink.flush().unwrap();
        drop(sink);
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
        let mut sink = CsvSink::create(&Output::File(path.clone()), RowFormat::Csv).unwrap();
        sink.write(&row("https://a/1", "one")).unwrap();
        sink.flush().unwrap();
        drop(sink);
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
        let mut sink = CsvSink::create(&Output::File(path.clone()), RowFormat::Jsonl).unwrap();
        sink.write(&row).unwrap();
        sink.flush().unwrap();
        drop(sink);
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
