//! `authwall init [FILE]`: write a commented starter authwall.toml.

use anyhow::{Context, Result};

use crate::Exit;
use crate::cli::{InitArgs, config_file};

pub fn run(args: &InitArgs) -> Result<Exit> {
    if args.path.exists() && !args.force {
        anyhow::bail!("{} exists; use --force to replace it", args.path.display());
    }
    std::fs::write(&args.path, config_file::starter(args.url.as_deref()))
        .with_context(|| format!("cannot write {}", args.path.display()))?;
    match &args.url {
        Some(_) => println!(
            "wrote {}: `authwall audit` runs it as it is; edit it for more",
            args.path.display()
        ),
        None => println!(
            "wrote {}: set its `url` line (or give the URL to `authwall audit`), then run \
             `authwall audit`",
            args.path.display()
        ),
    }
    Ok(Exit::Clean)
}
