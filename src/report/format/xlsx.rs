//! `--xlsx FILE`: the workbook a consultant hands to a client. Three sheets: "Findings" (one
//! row per finding, the most severe first: the findings file's columns in plain words),
//! "All URLs" (the audit CSV's columns, numbers as numbers) and "About this run". The CSV
//! stays the machine contract; this is for people.
//!
//! Written with rust_xlsxwriter in its constant-memory mode: each row goes to a temporary
//! file beside the workbook as soon as the next one starts, so a million-row audit costs no
//! more memory than a small one. Rows are therefore written in order, once.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Color, CustomSerializeField, Format, FormatAlign, SerializeFieldOptions, Url, Workbook,
    Worksheet, XlsxError,
};

use crate::report::row::AuditRow;

use super::findings::{self, FindingRow};

/// Excel's rows per sheet.
pub const EXCEL_ROWS: u32 = 1_048_576;
/// Excel's characters (UTF-16 units) per cell.
const CELL_CHARS: usize = 32_767;
/// Excel's hyperlinks per sheet and characters per hyperlink: past them a URL is plain text.
const LINKS: u32 = 65_530;
const LINK_CHARS: usize = 2_079;

const FINDINGS: usize = 0;
const ALL: usize = 1;
const ABOUT: usize = 2;

/// A workbook being written: [`Xlsx::row`] for every row of the audit, in order, then
/// [`Xlsx::finish`].
pub struct Xlsx {
    book: Workbook,
    path: PathBuf,
    csv_name: String,
    /// The next row of "All URLs" (row 0 is the header).
    next: u32,
    /// Rows per sheet: Excel's, lower in tests.
    limit: u32,
    /// Rows of the audit past the limit, left to the CSV.
    overflow: u64,
}

impl Xlsx {
    /// Start the workbook at `path`; `csv` is named where "All URLs" runs out of rows.
    pub fn create(path: &Path, csv: &Path) -> Result<Xlsx> {
        Self::with_limit(path, csv, EXCEL_ROWS)
    }

    #[doc(hidden)]
    pub fn with_limit(path: &Path, csv: &Path, limit: u32) -> Result<Xlsx> {
        let start = || -> Result<Workbook, XlsxError> {
            let mut book = Workbook::new();
            // The rows wait in temporary files until the workbook is saved: next to it, since
            // /tmp is often memory.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                book.set_tempdir(dir)?;
            }
            book.add_worksheet_with_constant_memory()?
                .set_name("Findings")?;
            let all = book.add_worksheet_with_constant_memory()?;
            all.set_name("All URLs")?;
            let header = Format::new().set_bold();
            let widths = [
                ("url", 60.0),
                ("final_url", 40.0),
                ("redirect_chain", 30.0),
                ("title", 40.0),
                ("referrer", 40.0),
                ("note", 60.0),
                ("finding", 30.0),
            ];
            let mut options = SerializeFieldOptions::new().set_header_format(&header);
            let fields = widths
                .iter()
                .map(|(name, width)| CustomSerializeField::new(*name).set_column_width(*width));
            options = options.set_custom_headers(&fields.collect::<Vec<_>>());
            all.serialize_headers_with_options(0, 0, &AuditRow::default(), &options)?;
            all.set_freeze_panes(1, 0)?;
            book.add_worksheet_with_constant_memory()?
                .set_name("About this run")?;
            Ok(book)
        };
        let book =
            start().with_context(|| format!("cannot start the workbook {}", path.display()))?;
        Ok(Xlsx {
            book,
            path: path.to_path_buf(),
            csv_name: csv.file_name().map_or_else(
                || csv.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            next: 1,
            limit,
            overflow: 0,
        })
    }

    /// One row of the audit, as the CSV holds it (formula-like cells neutralised alike).
    pub fn row(&mut self, row: &AuditRow) -> Result<()> {
        // The last row of the sheet is kept for the note that says where the rest is.
        if self.next >= self.limit - 1 {
            self.overflow += 1;
            return Ok(());
        }
        let mut row = row.clone();
        // A text cell is never evaluated, but a client may save the sheet as CSV again.
        super::csv::neutralise(&mut row);
        for cell in row.site_text_mut() {
            fit_cell(cell);
        }
        self.sheet(ALL)?
            .serialize(&row)
            .with_context(|| format!("cannot write {} to the workbook", row.url))?;
        self.next += 1;
        Ok(())
    }

    /// Write the findings (of `rows`, the notable rows of the audit) and `about` (label,
    /// value) lines, and save.
    pub fn finish(mut self, rows: &[AuditRow], about: &[(String, String)]) -> Result<()> {
        let path = self.path.clone();
        self.write_rest(rows, about)
            .and_then(|()| Ok(self.book.save(&path)?))
            .with_context(|| format!("cannot write the workbook {}", path.display()))
    }

    fn write_rest(&mut self, rows: &[AuditRow], about: &[(String, String)]) -> Result<()> {
        let (next, overflow, limit) = (self.next, self.overflow, self.limit);
        let csv_name = self.csv_name.clone();
        // The CSV's columns, counted from its header (derived from the row struct).
        let last_column = crate::report::row::header()
            .split(',')
            .count()
            .saturating_sub(1);
        let last_column = u16::try_from(last_column).unwrap_or(u16::MAX);
        let all = self.sheet(ALL)?;
        all.autofilter(0, 0, next.saturating_sub(1).max(1), last_column)?;
        if overflow > 0 {
            let note = format!(
                "{overflow} more rows are in {csv_name}: a sheet holds {limit} rows at most"
            );
            all.write_string_with_format(next, 0, note, &Format::new().set_bold())?;
        }
        write_findings(self.sheet(FINDINGS)?, &findings::rows(rows), limit)?;
        write_about(self.sheet(ABOUT)?, about)?;
        Ok(())
    }

    fn sheet(&mut self, index: usize) -> Result<&mut Worksheet, XlsxError> {
        self.book.worksheet_from_index(index)
    }
}

const FINDING_COLUMNS: [(&str, f64); 8] = [
    ("Severity", 10.0),
    ("Finding", 24.0),
    ("What it means", 40.0),
    ("URL", 60.0),
    ("Status", 11.0),
    ("Where found", 40.0),
    ("What to do", 70.0),
    ("Accepted", 10.0),
];

fn write_findings(sheet: &mut Worksheet, rows: &[FindingRow], limit: u32) -> Result<()> {
    let header = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let top = Format::new().set_align(FormatAlign::Top);
    for (col, (name, width)) in (0u16..).zip(FINDING_COLUMNS) {
        sheet.set_column_width(col, width)?;
        sheet.write_string_with_format(0, col, name, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut links = 0;
    let mut r = 1u32;
    for finding in rows {
        if r >= limit - 1 {
            let note = format!(
                "{} more findings are in the findings CSV",
                rows.len() as u64 - u64::from(r - 1)
            );
            sheet.write_string_with_format(r, 0, note, &header)?;
            break;
        }
        let severity = severity_format(&finding.severity);
        sheet.write_string_with_format(r, 0, &finding.severity, &severity)?;
        sheet.write_string_with_format(r, 1, &finding.finding, &top)?;
        sheet.write_string_with_format(r, 2, fitted(&finding.what), &wrap)?;
        // A URL one can click, within Excel's limits; plain text past them.
        if links < LINKS && finding.url.len() <= LINK_CHARS && finding.url.starts_with("http") {
            sheet.write_url_with_format(r, 3, Url::new(&finding.url), &top)?;
            links += 1;
        } else {
            sheet.write_string_with_format(r, 3, fitted(&finding.url), &top)?;
        }
        sheet.write_string_with_format(r, 4, &finding.status, &top)?;
        sheet.write_string_with_format(r, 5, fitted(&finding.where_found), &wrap)?;
        sheet.write_string_with_format(r, 6, fitted(&finding.what_to_do), &wrap)?;
        sheet.write_string_with_format(r, 7, &finding.accepted, &top)?;
        r += 1;
    }
    sheet.autofilter(0, 0, (r - 1).max(1), 7)?;
    Ok(())
}

fn severity_format(severity: &str) -> Format {
    let format = Format::new().set_align(FormatAlign::Top);
    match severity {
        "critical" => format.set_bold().set_font_color(Color::RGB(0xB0_0020)),
        "high" => format.set_font_color(Color::RGB(0xB0_4000)),
        _ => format,
    }
}

fn write_about(sheet: &mut Worksheet, about: &[(String, String)]) -> Result<()> {
    let bold = Format::new().set_bold().set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap();
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 100)?;
    for (r, (label, value)) in (0u32..).zip(about) {
        sheet.write_string_with_format(r, 0, label, &bold)?;
        sheet.write_string_with_format(r, 1, fitted(value), &wrap)?;
    }
    Ok(())
}

/// Cut a cell to Excel's limit, saying so at its end.
fn fit_cell(cell: &mut String) {
    if cell.len() <= CELL_CHARS {
        return; // fewer bytes than the limit: fewer UTF-16 units too
    }
    const MARK: &str = " […]";
    let mut units = 0;
    let keep = cell
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > CELL_CHARS - MARK.len()
        })
        .map_or(cell.len(), |(i, _)| i);
    if keep < cell.len() {
        cell.truncate(keep);
        cell.push_str(MARK);
    }
}

fn fitted(text: &str) -> String {
    let mut cell = text.to_string();
    fit_cell(&mut cell);
    cell
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx as Read, open_workbook};

    use super::*;
    use crate::audit::Verdict;

    fn row(path: &str, status: u16, finding: &str) -> AuditRow {
        AuditRow {
            url: format!("http://127.0.0.1:8080{path}"),
            status: Some(status),
            final_status: Some(status),
            finding: finding.to_string(),
            verdict: Some(Verdict::Ok),
            schema: crate::report::row::SCHEMA_VERSION,
            ..AuditRow::default()
        }
    }

    fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
        let mut book: Read<_> = open_workbook(path).unwrap();
        let range = book.worksheet_range(name).unwrap();
        range.rows().map(<[Data]>::to_vec).collect()
    }

    fn text(cell: &Data) -> String {
        cell.to_string()
    }

    #[test]
    fn rows_past_the_sheets_limit_are_counted_in_a_note_that_names_the_csv() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.xlsx");
        let mut book = Xlsx::with_limit(&path, Path::new("/x/audit.csv"), 5).unwrap();
        for i in 0..10 {
            book.row(&row(&format!("/p{i}"), 200, "")).unwrap();
        }
        book.finish(&[], &[]).unwrap();
        let all = sheet(&path, "All URLs");
        // The header, three rows, and the note in the sheet's last row.
        assert_eq!(all.len(), 5);
        assert_eq!(text(&all[0][0]), "url");
        assert_eq!(text(&all[3][0]), "http://127.0.0.1:8080/p2");
        assert_eq!(
            text(&all[4][0]),
            "7 more rows are in audit.csv: a sheet holds 5 rows at most"
        );
        // The status is a number one can sort and filter by.
        assert!(
            matches!(all[1][1], Data::Float(f) if f == 200.0),
            "{:?}",
            all[1][1]
        );
    }

    #[test]
    fn a_cell_longer_than_excel_takes_is_cut_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.xlsx");
        let mut book = Xlsx::create(&path, Path::new("audit.csv")).unwrap();
        let mut long = row("/long", 200, "");
        // Two UTF-16 units per character: the limit is in units, not characters or bytes.
        long.title = "😀".repeat(20_000);
        long.note = "n".repeat(40_000);
        book.row(&long).unwrap();
        book.finish(&[], &[]).unwrap();
        let all = sheet(&path, "All URLs");
        let column = |name: &str| all[0].iter().position(|c| text(c) == name).unwrap();
        let title = text(&all[1][column("title")]);
        let note = text(&all[1][column("note")]);
        for cell in [&title, &note] {
            assert!(cell.encode_utf16().count() <= CELL_CHARS, "{}", cell.len());
            assert!(cell.ends_with(" […]"));
        }
        assert!(title.starts_with("😀😀"));
        assert!(note.len() > 32_000);
    }

    #[test]
    fn the_findings_sheet_has_a_frozen_header_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.xlsx");
        let mut book = Xlsx::create(&path, Path::new("audit.csv")).unwrap();
        let rows = [row("/a", 401, "public_401"), row("/b", 200, "private_leak")];
        for r in &rows {
            book.row(r).unwrap();
        }
        let about = [("Site".to_string(), "http://127.0.0.1:8080".to_string())];
        book.finish(&rows, &about).unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        for (name, columns) in [
            ("xl/worksheets/sheet1.xml", "A1:H"),
            ("xl/worksheets/sheet2.xml", "A1:AJ"),
        ] {
            let xml = std::io::read_to_string(zip.by_name(name).unwrap()).unwrap();
            assert!(xml.contains(r#"state="frozen""#), "{name}: {xml}");
            // The filters span every column: 8 findings columns, the CSV's 36.
            assert!(
                xml.contains(&format!("<autoFilter ref=\"{columns}")),
                "{name}: {xml}"
            );
        }
        let findings = sheet(&path, "Findings");
        assert_eq!(text(&findings[0][0]), "Severity");
        assert_eq!(findings.len(), 3);
        let about = sheet(&path, "About this run");
        assert_eq!(text(&about[0][1]), "http://127.0.0.1:8080");
    }
}
