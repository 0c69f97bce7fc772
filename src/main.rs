//! The `authwall` binary: parse the command line, run the library, map the result to an exit
//! code. Everything else lives in the library (see `lib.rs` for the architecture).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // authwall.toml comes first, as if its values were written before the user's flags.
    let cli = match authwall::config_file::apply(std::env::args_os().collect()) {
        Ok(argv) => authwall::cli::Cli::parse_from(argv),
        Err(e) => {
            eprintln!("authwall: {e:#}");
            return ExitCode::from(authwall::Exit::CouldNotRun.code());
        }
    };
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
