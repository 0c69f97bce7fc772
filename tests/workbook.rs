//! `--xlsx`: the workbook read back with calamine, and opened by LibreOffice (Debian's
//! `libreoffice-calc-nogui`, headless) as a consultant's client would. On CI (`CI=true`) a
//! missing LibreOffice fails the test instead of skipping it.

use std::path::Path;
use std::process::Command;

use authwall::demo::{Server, site};
use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::util::audit_site;

fn sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbook_holds_the_findings_worst_first_every_url_and_the_run() {
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("client.xlsx");
    let run = audit_site(&server, "/", &["--xlsx", xlsx.to_str().unwrap()]).await;
    assert!(
        run.result
            .summary
            .contains(&format!("workbook         {}", xlsx.display())),
        "the summary says where the workbook is"
    );
    let book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Findings", "All URLs", "About this run"],
        "the findings open first"
    );

    // "Findings": the findings file's rows, in its order, headed in plain words.
    let findings = sheet(&xlsx, "Findings");
    assert_eq!(
        findings[0],
        [
            "Severity",
            "Finding",
            "What it means",
            "URL",
            "Status",
            "Where found",
            "What to do",
            "Accepted"
        ]
    );
    let file = std::fs::read_to_string(run.csv.with_file_name("audit.findings.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(file.trim_start_matches('\u{feff}').as_bytes());
    let listed: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert!(listed.len() > 5, "the demo site has findings");
    assert_eq!(findings.len(), listed.len() + 1);
    for (sheet_row, file_row) in findings[1..].iter().zip(&listed) {
        // severity, finding, what, url, status, where found, what to do, accepted
        assert_eq!(sheet_row, file_row);
    }
    assert_eq!(findings[1][0], "critical");
    assert!(
        !findings.iter().flatten().any(|c| c.contains('`')),
        "no Markdown in a spreadsheet"
    );

    // "All URLs": every row of the CSV, its columns, numbers as numbers.
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let all = book.worksheet_range("All URLs").unwrap();
    let rows: Vec<&[Data]> = all.rows().collect();
    assert_eq!(rows.len(), run.rows.len() + 1);
    let header: Vec<String> = rows[0].iter().map(Data::to_string).collect();
    let csv_header = std::fs::read_to_string(&run.csv).unwrap();
    assert_eq!(header.join(","), csv_header.lines().next().unwrap());
    let status = header.iter().position(|h| h == "status").unwrap();
    let walled = rows
        .iter()
        .find(|r| r[0].to_string().ends_with("/walled"))
        .unwrap();
    assert_eq!(walled[status], Data::Float(401.0));

    // "About this run": what a reader needs to trust the rest.
    let about = sheet(&xlsx, "About this run");
    let value = |label: &str| {
        about
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("no {label} in {about:?}"))
    };
    assert_eq!(value("Site"), run.origin);
    assert_eq!(value("Exit code"), run.result.exit.code().to_string());
    assert_eq!(value("This run"), "complete");
    assert_eq!(value("URLs"), run.rows.len().to_string());
    assert!(value("Findings").contains("critical private_leak × 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libreoffice_opens_the_workbook_and_reads_every_sheet() {
    let Ok(soffice) = which("soffice") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but LibreOffice is missing: .ci/run must install libreoffice-calc-nogui"
        );
        eprintln!("skipped: LibreOffice not installed (apt-get install libreoffice-calc-nogui)");
        return;
    };
    let server = Server::start(site()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("client.xlsx");
    let run = audit_site(&server, "/", &["--xlsx", xlsx.to_str().unwrap()]).await;
    // Each sheet to its own CSV (the last filter token, -1); a profile of its own, so that
    // tests running at once do not share one.
    let profile = format!("file://{}", dir.path().join("profile").display());
    let out = dir.path().join("out");
    let status = Command::new(soffice)
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--convert-to"])
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1")
        .arg("--outdir")
        .arg(&out)
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let read = |name: &str| std::fs::read_to_string(out.join(format!("client-{name}.csv")));
    let findings = read("Findings").unwrap();
    assert!(findings.starts_with("Severity,Finding,What it means,URL"));
    assert!(findings.contains(&format!("{}/dashboard", run.origin)));
    let all = read("All URLs").unwrap();
    assert_eq!(all.lines().count(), run.rows.len() + 1);
    assert!(read("About this run").unwrap().contains("Exit code"));
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}
