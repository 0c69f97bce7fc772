//! `authwall check LIST`: re-check a list of URLs without crawling. Search Console lists the
//! URLs it could not index ("Blocked due to unauthorized request (401)"); after a fix, this
//! says which are still walled off before anyone presses "Validate fix".
//!
//! The list becomes an ordinary audit whose engine requests the listed URLs (redirects
//! followed hop by hop) and nothing else, each origin with its own robots.txt and pacing: the
//! same CSV, run record, summary, report and exit codes.

use std::io::Read;
use std::path::Path;

use crate::Exit;
use crate::cli::CheckArgs;
use crate::config::{Config, ListFacts};
use crate::crawl::urlnorm;
use crate::model::StopCause;
use crate::progress::Progress;
use anyhow::{Context, Result, bail};

use super::audit::{AuditResult, audit, present};

/// The most a list unpacked from a zip may hold.
const MAX_LIST_BYTES: u64 = 256 << 20;

/// Header cells that name the URL column (compared without case), best first.
const URL_COLUMNS: &[&str] = &[
    "url",
    "urls",
    "address",
    "page",
    "pages",
    "top pages",
    "page url",
    "landing page",
    "loc",
    "link",
];

pub async fn run(args: &CheckArgs) -> Result<Exit> {
    let (config, result) = check(args, super::wait_for_signal()).await?;
    present(&config, &result);
    Ok(result.exit)
}

/// Check the list; stop early when `stop` resolves.
pub async fn check(
    args: &CheckArgs,
    stop: impl Future<Output = StopCause>,
) -> Result<(Config, AuditResult)> {
    anyhow::ensure!(
        args.audit.url.is_none(),
        "check takes its URLs from the list, not a start URL: `authwall check LIST [options]`"
    );
    let list = read_list(&args.list)?;
    let (mut urls, mut invalid) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for line in &list.lines {
        match urlnorm::parse_http(line).filter(|u| u.host_str().is_some_and(|h| !h.is_empty())) {
            Some(mut url) => {
                urlnorm::normalize(&mut url);
                if seen.insert(url.to_string()) {
                    urls.push(url);
                }
            }
            None => invalid.push(line.clone()),
        }
    }
    let Some(first) = urls.first() else {
        bail!(
            "{}: no http(s) URL in it{}",
            args.list.display(),
            list.column
                .as_ref()
                .map(|c| format!(" (read from the column `{c}`)"))
                .unwrap_or_default()
        );
    };
    let mut audit_args = args.audit.clone();
    audit_args.url = Some(first.to_string());
    audit_args.no_sitemaps = true;
    audit_args.no_probe = true;
    if audit_args.output.is_none() {
        let stem = match args.list.file_stem() {
            Some(stem) if args.list != Path::new("-") => stem.to_string_lossy().into_owned(),
            _ => "stdin".to_string(),
        };
        audit_args.output = Some(format!("authwall-check-{stem}.csv"));
    }
    let mut config = Config::from_args(&audit_args)?;
    let mut origins: Vec<String> = Vec::new();
    // The origins asked (a link-local address gets its row, never a request).
    for url in urls
        .iter()
        .filter(|u| !crate::crawl::scope::is_link_local(u))
    {
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    config.report.list = Some(ListFacts {
        source: args.list.display().to_string(),
        column: list.column.clone(),
        urls: urls.len(),
        invalid: invalid.len(),
        origins,
    });
    config.crawl.listed = urls;
    config.crawl.listed_invalid = invalid;
    let progress = Progress::new(!config.report.quiet);
    let result = audit(&config, progress, stop).await?;
    Ok((config, result))
}

/// The lines of a list, and the column they came from when it is a table.
#[derive(Debug, Default, PartialEq)]
pub struct List {
    pub lines: Vec<String>,
    pub column: Option<String>,
}

/// Read a list: text (one URL per line, `#` comments), CSV/TSV with a URL column, an .xlsx
/// workbook (its first sheet) or a .zip export (its Table.csv, else its first .csv).
pub fn read_list(path: &Path) -> Result<List> {
    let name = path.display();
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the list from stdin")?;
        return parse_text(&text);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the list {name}"))?;
    parse_list(&bytes).with_context(|| format!("the list {name}"))
}

/// A list's bytes, whatever their format (see [`read_list`]).
pub fn parse_list(bytes: &[u8]) -> Result<List> {
    // A zip: an .xlsx workbook or Search Console's zip export (told apart by their parts).
    if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .context("not a readable zip or .xlsx file")?;
        if zip.by_name("xl/workbook.xml").is_ok() {
            return read_xlsx(bytes).context("not a readable workbook");
        }
        let names: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect();
        let table = names
            .iter()
            .find(|n| {
                n.rsplit('/')
                    .next()
                    .is_some_and(|f| f.eq_ignore_ascii_case("table.csv"))
            })
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.to_ascii_lowercase().ends_with(".csv"))
            })
            .context("no Table.csv (nor any .csv) in the zip")?
            .clone();
        // A zip bomb stops here: a list of URLs is never this big.
        let mut text = String::new();
        zip.by_name(&table)?
            .take(MAX_LIST_BYTES + 1)
            .read_to_string(&mut text)
            .with_context(|| format!("{table} in the zip is not UTF-8 text"))?;
        anyhow::ensure!(
            text.len() as u64 <= MAX_LIST_BYTES,
            "{table} in the zip is over {} MiB",
            MAX_LIST_BYTES >> 20
        );
        return parse_text(&text);
    }
    let text = String::from_utf8(bytes.to_vec()).or_else(|e| {
        // Excel's "CSV" may be UTF-16 with a BOM.
        let bytes = e.into_bytes();
        let (text, _, bad) = encoding_rs::UTF_16LE.decode(&bytes);
        if bytes.starts_with(&[0xFF, 0xFE]) && !bad {
            Ok(text.into_owned())
        } else {
            Err(anyhow::anyhow!("not text (UTF-8), .xlsx or .zip"))
        }
    })?;
    parse_text(&text)
}

/// A text list: a table when its first line is a header with a URL column (comma, tab or
/// semicolon separated); else one URL per line.
fn parse_text(text: &str) -> Result<List> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = [b'\t', b',', b';']
        .into_iter()
        .find(|d| first.as_bytes().contains(d));
    if let Some(delimiter) = delimiter.filter(|_| !looks_like_url(first)) {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
        let column = url_column(&header).with_context(|| {
            format!(
                "the list's header has no URL column (looked for {}): it has {}",
                URL_COLUMNS.join(", "),
                header.join(", ")
            )
        })?;
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.context("a malformed line in the list")?;
            if let Some(cell) = record.get(column).map(str::trim).filter(|c| !c.is_empty()) {
                lines.push(cell.to_string());
            }
        }
        return Ok(List {
            lines,
            column: Some(header[column].clone()),
        });
    }
    let mut lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    // A one-column table: its header is one of the known names (`URL` …), not a URL.
    let header = lines
        .first()
        .filter(|h| URL_COLUMNS.contains(&h.to_ascii_lowercase().as_str()))
        .cloned();
    if header.is_some() {
        lines.remove(0);
    }
    Ok(List {
        lines,
        column: header,
    })
}

fn looks_like_url(line: &str) -> bool {
    let lower = line.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The URL column of a header: a known name, else the first header that mentions "url".
fn url_column(header: &[String]) -> Option<usize> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    URL_COLUMNS
        .iter()
        .find_map(|wanted| names.iter().position(|n| n == wanted))
        .or_else(|| names.iter().position(|n| n.contains("url")))
}

/// The first sheet of a workbook, as a table with a header row.
fn read_xlsx(bytes: &[u8]) -> Result<List> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))?;
    let range = book
        .worksheet_range_at(0)
        .context("the workbook has no sheet")??;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let column = url_column(&header).with_context(|| {
        format!(
            "the first sheet's header has no URL column: it has {}",
            header.join(", ")
        )
    })?;
    let lines = rows
        .filter_map(|r| r.get(column).map(ToString::to_string))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    Ok(List {
        lines,
        column: Some(header[column].clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_list_skips_blank_lines_and_comments() {
        let list = parse_text("# from GSC\nhttps://a.test/x\n\n  https://a.test/y  \n").unwrap();
        assert_eq!(list.lines, ["https://a.test/x", "https://a.test/y"]);
        assert_eq!(list.column, None);
    }

    #[test]
    fn a_table_is_read_from_its_url_column_whatever_its_name() {
        let gsc =
            "\u{feff}URL,Last crawled\nhttps://a.test/1,2026-11-30\nhttps://a.test/2,2026-11-29\n";
        let list = parse_text(gsc).unwrap();
        assert_eq!(list.lines, ["https://a.test/1", "https://a.test/2"]);
        assert_eq!(list.column.as_deref(), Some("URL"));
        let tsv = "Top pages\tClicks\nhttps://a.test/3\t10\n";
        assert_eq!(
            parse_text(tsv).unwrap().column.as_deref(),
            Some("Top pages")
        );
        let sf = "\"Address\";\"Status Code\"\n\"https://a.test/4\";\"401\"\n";
        assert_eq!(parse_text(sf).unwrap().lines, ["https://a.test/4"]);
        let named = "Page URL (canonical),Reason\nhttps://a.test/5,401\n";
        assert_eq!(parse_text(named).unwrap().lines, ["https://a.test/5"]);
        let err = parse_text("Reason,Clicks\n401,3\n").unwrap_err();
        assert!(err.to_string().contains("has Reason, Clicks"), "{err}");
    }

    #[test]
    fn a_one_column_table_keeps_its_header_out_of_the_urls() {
        let list = parse_text("URL\nhttps://a.test/1\n").unwrap();
        assert_eq!(list.lines, ["https://a.test/1"]);
        assert_eq!(list.column.as_deref(), Some("URL"));
    }

    proptest::proptest! {
        /// Any bytes give a list or an error, never a panic; lines come trimmed, never empty.
        #[test]
        fn any_bytes_give_a_list_or_an_error(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            text in "(URL|url|Address|https://a\\.test/[a-z]{0,5}|[,;\t\"\n #]|\\PC){0,40}",
        ) {
            for input in [bytes.as_slice(), text.as_bytes()] {
                if let Ok(list) = parse_list(input) {
                    for line in &list.lines {
                        proptest::prop_assert!(!line.is_empty() && line.trim() == line);
                    }
                }
            }
            // A zip that is not one.
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(&bytes);
            let _ = parse_list(&zip);
        }
    }

    #[test]
    fn a_damaged_workbook_or_zip_is_an_error() {
        use std::io::Write;
        let zip = |files: &[(&str, &[u8])]| {
            let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for (name, body) in files {
                out.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                out.write_all(body).unwrap();
            }
            out.finish().unwrap().into_inner()
        };
        let workbook = zip(&[("xl/workbook.xml", b"<workbook><sheets><sheet")]);
        assert!(parse_list(&workbook).is_err());
        let empty = zip(&[("notes.txt", b"hello")]);
        let err = parse_list(&empty).unwrap_err();
        assert!(err.to_string().contains("no Table.csv"), "{err}");
        let binary = zip(&[("Table.csv", b"\xff\xfe\x00bad")]);
        assert!(parse_list(&binary).is_err());
    }

    #[test]
    fn a_list_of_urls_with_commas_is_not_a_table() {
        let list = parse_text("https://a.test/?a=1,2\nhttps://a.test/b\n").unwrap();
        assert_eq!(list.lines.len(), 2);
        assert_eq!(list.column, None);
    }
}
