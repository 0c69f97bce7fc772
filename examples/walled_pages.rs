//! Use authwall as a library: audit a site and list the URLs that answer 401 or 403.
//!
//! ```sh
//! cargo run --example walled_pages -- http://127.0.0.1:8080/
//! ```
//! Without an argument it serves the built-in demo site on 127.0.0.1 and audits that.

use authwall::cli::{Cli, Command};
use authwall::config::Config;
use authwall::demo::{Server, site};
use authwall::progress::Progress;
use authwall::report::format::read_rows;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let demo = Server::start(site()).await?;
    let url = std::env::args().nth(1).unwrap_or_else(|| demo.url("/"));
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("audit.csv");
    let argv = [
        "authwall",
        "audit",
        &url,
        "--delay",
        "0",
        "--timeout",
        "2s",
        "-o",
    ];
    let Command::Audit(args) = Cli::try_parse_from(
        argv.iter()
            .copied()
            .chain([csv.to_str().unwrap_or("audit.csv")]),
    )?
    .command
    else {
        unreachable!("audit parses to audit")
    };
    let config = Config::from_args(&args)?;
    let result = authwall::audit(&config, Progress::hidden(), authwall::wait_for_signal()).await?;
    for row in read_rows(&csv)? {
        if matches!(row.final_status, Some(401 | 403)) {
            println!(
                "{} {}\t{}",
                row.final_status.unwrap_or(0),
                row.url,
                row.www_authenticate
            );
        }
    }
    eprintln!("exit code would be {}", result.exit.code());
    Ok(())
}
