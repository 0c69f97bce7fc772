//! The `authwall` binary: parse the command line, run the library, map the result to an exit
//! code. Everything else lives in the library (see `lib.rs` for the architecture).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = authwall::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("authwall: cannot start the async runtime: {e}");
            return ExitCode::from(authwall::Exit::CouldNotRun.code());
        }
    };
    match runtime.block_on(authwall::run(cli)) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("authwall: {e:#}");
            ExitCode::from(authwall::Exit::CouldNotRun.code())
        }
    }
}
