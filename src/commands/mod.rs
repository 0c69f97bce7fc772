//! One file per subcommand: each turns its parsed arguments into work and an [`Exit`].

pub mod accept;
pub mod audit;
pub mod batch;
pub mod check;
pub mod demo;
pub mod diff;
pub mod init;
pub mod robots;

use crate::Exit;
use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::model::StopCause;
use crate::progress::Progress;

/// Run a parsed command line to its end.
pub async fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Audit(args) => {
            let config = Config::from_args(&args)?;
            let progress = Progress::new(!config.report.quiet);
            let result = audit::audit(&config, progress, wait_for_signal()).await?;
            audit::present(&config, &result);
            Ok(result.exit)
        }
        Command::Check(args) => check::run(&args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Robots(args) => robots::run(&args).await,
        Command::Diff(args) => diff::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Accept(args) => accept::run(&args),
        Command::Batch(args) => batch::run(&args).await,
        Command::Merge(args) => batch::merge(&args),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn wait_for_signal() -> StopCause {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return StopCause::Interrupt;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => StopCause::Interrupt,
            _ = term.recv() => StopCause::Terminate,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        StopCause::Interrupt
    }
}
