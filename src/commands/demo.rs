//! `authwall demo`: serve the built-in demo site on 127.0.0.1 and audit it like any other.

use std::time::Duration;

use anyhow::Result;

use crate::Exit;
use crate::cli::DemoArgs;
use crate::config::{Config, ExitPolicy, Output};
use crate::demo::{Server, site};
use crate::progress::Progress;

/// `authwall demo`: serve the demo site and audit it like any other.
pub async fn run(args: DemoArgs) -> Result<Exit> {
    let server = Server::start(site()).await?;
    // The demo's member cookie, as a browser would export it (a temporary file).
    let cookies = args.member.then(|| member_cookies(&server)).transpose()?;
    let audit = crate::cli::AuditArgs {
        url: Some(server.url("/")),
        output: Some(args.output.clone()),
        concurrency: 4,
        // Our own loopback server: no need to be gentle, but keep the run short.
        delay: Duration::ZERO,
        timeout: Duration::from_secs(1),
        retries: 1,
        backoff: Duration::from_millis(200),
        quiet: args.quiet,
        report: Some(args.report.clone()),
        xlsx: args.xlsx.clone(),
        fail_on: args.fail_on.clone().unwrap_or_else(|| "high".to_string()),
        render: args.render,
        browser: args.browser.clone(),
        no_browser_sandbox: args.no_browser_sandbox,
        member_cookies: cookies.as_ref().map(|file| file.path().to_path_buf()),
        ..default_audit_args()
    };
    let mut config = Config::from_args(&audit)?;
    if args.output == "-" {
        config.report.output = Output::Stdout;
    }
    // The findings are the point of a demo: only a failure to run is an error, unless the
    // user asked for a threshold. The audit applies it, so the report states the same code.
    config.report.exit_policy = ExitPolicy::Demo {
        fail_on_findings: args.fail_on.is_some(),
    };
    let result = super::audit::audit(
        &config,
        Progress::new(!args.quiet),
        super::wait_for_signal(),
    )
    .await?;
    // The findings are the point of a demo: --quiet silences it whenever it ran.
    if !args.quiet || result.exit == Exit::CouldNotRun {
        super::audit::present(&config, &result);
    }
    Ok(result.exit)
}

/// A Netscape cookies.txt that holds the demo club's member session.
fn member_cookies(server: &Server) -> Result<tempfile::NamedTempFile> {
    use std::io::Write as _;
    let mut file = tempfile::Builder::new()
        .prefix("authwall-demo-member-")
        .suffix(".cookies.txt")
        .tempfile()?;
    writeln!(file, "# Netscape HTTP Cookie File")?;
    writeln!(
        file,
        "{}\tFALSE\t/\tFALSE\t0\t{}\t{}",
        server.addr.ip(),
        crate::demo::club::COOKIE,
        crate::demo::club::DEMO_COOKIE
    )?;
    file.flush()?;
    Ok(file)
}

/// The `audit` defaults, as clap would fill them in.
pub fn default_audit_args() -> crate::cli::AuditArgs {
    crate::cli::audit_args(&["authwall", "audit", "http://127.0.0.1/"])
        .unwrap_or_else(|e| unreachable!("the defaults parse: {e}"))
}
