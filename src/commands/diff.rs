//! `authwall diff OLD NEW`: compare two audits offline.

use anyhow::{Context, Result};

use crate::Exit;
use crate::audit::Severity;
use crate::cli::DiffArgs;
use crate::report;
use crate::report::baseline::{Baseline, WrittenBy, check_same_site};

/// `authwall diff OLD NEW`: the baseline comparison without crawling. Exit 0 when nothing
/// new is at or above --fail-on, 1 when something is; unreadable input is an error (exit 2).
pub fn run(args: &DiffArgs) -> Result<Exit> {
    let threshold: Severity = args
        .fail_on
        .parse()
        .map_err(|e| anyhow::anyhow!("--fail-on {:?}: {e}", args.fail_on))?;
    anyhow::ensure!(args.old.exists(), "{} does not exist", args.old.display());
    let old = Baseline::load(&args.old)?;
    let new_rows = report::format::read_rows(&args.new)
        .with_context(|| format!("cannot read {}", args.new.display()))?;
    let new_origin = Baseline::origin_of(&args.new, &new_rows);
    let new_file = args.new.display().to_string();
    check_same_site(
        (&args.old, &old.origin),
        (&new_file, &new_origin),
        args.allow_other_site,
    )?;
    let new_by = WrittenBy::of(&args.new, &new_rows);
    let rules = WrittenBy::rules(old.written_by.as_ref(), new_by.as_ref());
    let cmp = report::diff::compare(&old.rows, &old.origin, &new_rows, &new_origin, rules);
    let text = report::format::summary(args.summary).comparison(&cmp);
    print!("{text}");
    Ok(if cmp.count(report::diff::Change::New, threshold) > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
