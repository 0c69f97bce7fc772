//! `authwall batch SITES --out-dir DIR`: many sites in one process, each audited exactly as
//! `authwall audit` would (its own politeness, robots.txt, files and baseline), a few at a
//! time; then one overview. `authwall merge` combines the overviews of `--shard` runs.
//!
//! Each site is one ordinary audit command line: the config file's options, then the site's
//! own (`[[site]]`), then those after `--`, then the files batch names. Memory is bounded by
//! the sites in flight: a finished site leaves one overview line behind.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use tokio::sync::{Semaphore, watch};

use crate::Exit;
use crate::audit::Severity;
use crate::cli::config_file::{self, Site};
use crate::cli::validate::parse_start_url;
use crate::cli::{BatchArgs, Cli, Command, MergeArgs};
use crate::config::Config;
use crate::model::StopCause;
use crate::progress::Progress;
use crate::report::overview::{Overview, SiteLine, SiteState};

use super::audit::audit;

/// The files of one site, in DIR/<host>[-port]/latest/.
const CSV: &str = "audit.csv";
const REPORT: &str = "report.html";
const SUMMARY: &str = "summary.txt";
const XLSX: &str = "audit.xlsx";

pub async fn run(args: &BatchArgs) -> Result<Exit> {
    let started = SystemTime::now();
    let config = match (&args.config, args.no_config) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => None,
        (None, false) => Some(PathBuf::from(config_file::DEFAULT_FILE)).filter(|p| p.exists()),
    };
    check_passthrough(&args.audit)?;
    let mut sites = match (&args.sites, &config) {
        (Some(file), _) => read_sites(file)?,
        (None, Some(config)) => config_file::sites(config)?,
        (None, None) => bail!(
            "no sites: give a file with one start URL per line, or [[site]] tables in authwall.toml"
        ),
    };
    anyhow::ensure!(!sites.is_empty(), "no sites to audit: the list is empty");
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    if let Some(shard) = &shard {
        sites.retain(|s| shard.takes(&s.url));
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create --out-dir {}", args.out_dir.display()))?;

    let (stop_tx, stop_rx) = watch::channel(None);
    let signal = tokio::spawn(async move {
        let cause = super::wait_for_signal().await;
        let _ = stop_tx.send(Some(cause));
    });
    let plan = Plan {
        out_dir: args.out_dir.clone(),
        config,
        passthrough: args.audit.clone(),
        xlsx: args.xlsx,
        per_ip: Mutex::default(),
        stop: stop_rx.clone(),
    };
    let total = sites.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let lines: Vec<SiteLine> = futures::stream::iter(sites)
        .map(|site| {
            let (plan, done) = (&plan, &done);
            async move {
                let line = plan.run_site(&site).await;
                let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if !args.quiet {
                    eprintln!("[{k}/{total}] {}: {}", line.site, progress_words(&line));
                }
                line
            }
        })
        .buffer_unordered(args.sites_parallel as usize)
        .collect()
        .await;
    signal.abort();

    let mut overview = Overview {
        tool: "authwall".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: humantime::format_rfc3339_seconds(started).to_string(),
        ended_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        shard: shard.as_ref().map(Shard::label).unwrap_or_default(),
        sites: lines,
    };
    overview.sort();
    let name = shard.as_ref().map(Shard::file_name);
    overview.write(&args.out_dir, name.as_deref())?;
    let stopped = *stop_rx.borrow();
    let exit = match stopped {
        Some(StopCause::Interrupt) => Exit::Interrupted,
        Some(StopCause::Terminate) => Exit::Terminated,
        _ => exit_of(&overview),
    };
    present(&overview, exit, args.quiet, &args.out_dir, name.as_deref());
    Ok(exit)
}

/// `authwall merge DIR…`: the shards' overviews as one.
pub fn merge(args: &MergeArgs) -> Result<Exit> {
    let out = args.out_dir.clone().unwrap_or_else(|| args.dirs[0].clone());
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create --out-dir {}", out.display()))?;
    let mut merged = Overview::default();
    let mut seen = BTreeSet::new();
    for dir in &args.dirs {
        let shards = shard_overviews(dir)?;
        anyhow::ensure!(
            !shards.is_empty(),
            "{} holds no overview-shard-*.json: run `authwall batch --shard K/N --out-dir {}` first",
            dir.display(),
            dir.display()
        );
        for path in shards {
            let part = Overview::read(&path)?;
            if merged.started_at.is_empty() || part.started_at < merged.started_at {
                merged.started_at = part.started_at.clone();
            }
            merged.ended_at = merged.ended_at.max(part.ended_at.clone());
            merged.tool = part.tool;
            merged.version = part.version;
            for mut line in part.sites {
                // A site audited by two shards (overlapping runs) counts once.
                if !seen.insert(line.site.clone()) {
                    continue;
                }
                line.report = line
                    .report
                    .map(|r| relative_to(&dir.join(r), &out).display().to_string());
                merged.sites.push(line);
            }
        }
    }
    merged.sort();
    merged.write(&out, None)?;
    let exit = exit_of(&merged);
    present(&merged, exit, args.quiet, &out, None);
    Ok(exit)
}

/// The overview-shard-*.json files of `dir`, in name order.
fn shard_overviews(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("overview-shard-") && n.ends_with(".json"))
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// 1 when a site has findings, else 3 when a site could not run or is incomplete, else 0.
fn exit_of(overview: &Overview) -> Exit {
    if overview.count(SiteState::Findings) > 0 {
        Exit::Findings
    } else if overview.count(SiteState::CouldNotRun) + overview.count(SiteState::Incomplete) > 0 {
        Exit::Incomplete
    } else {
        Exit::Clean
    }
}

fn present(overview: &Overview, exit: Exit, quiet: bool, dir: &Path, name: Option<&str>) {
    if quiet && exit == Exit::Clean {
        return;
    }
    let index = name.map_or_else(|| "index.html".to_string(), |n| format!("{n}.html"));
    print!("{}", overview.text());
    println!("\nOverview: {}", dir.join(index).display());
}

fn progress_words(line: &SiteLine) -> String {
    let mut words = match line.state {
        SiteState::Findings => format!(
            "findings (critical {}, high {}, medium {}, low {})",
            line.critical, line.high, line.medium, line.low
        ),
        SiteState::CouldNotRun => format!("could not run: {}", line.why),
        SiteState::Incomplete => format!("incomplete: {}", line.why),
        SiteState::Clean => "clean".to_string(),
    };
    if let Some(new) = line.new.filter(|n| *n > 0) {
        words.push_str(&format!(", {new} new since last run"));
    }
    words
}

/// The sites of a list file: one start URL per line; blank lines, `#` comments and repeats
/// are skipped.
fn read_sites(path: &Path) -> Result<Vec<Site>> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read the sites from stdin")?
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the list of sites {}", path.display()))?
    };
    let mut seen = BTreeSet::new();
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| seen.insert(l.to_string()))
        .map(|l| Site {
            url: l.to_string(),
            args: Vec::new(),
        })
        .collect())
}

/// Options after `--` that batch must name itself.
fn check_passthrough(args: &[String]) -> Result<()> {
    let mut argv = vec!["authwall", "audit", "http://site.invalid/"];
    argv.extend(args.iter().map(String::as_str));
    let parsed = <Cli as clap::Parser>::try_parse_from(&argv)
        .map_err(|e| anyhow::anyhow!("the audit options after `--`: {e}"))?;
    let Command::Audit(audit) = parsed.command else {
        bail!("the audit options after `--` are not audit options");
    };
    for (given, what) in [
        (audit.output.is_some(), "-o/--output"),
        (audit.report.is_some(), "--report"),
        (audit.baseline.is_some(), "--baseline"),
        (audit.resume, "--resume"),
        (audit.xlsx.is_some(), "--xlsx"),
    ] {
        if given {
            bail!(
                "{what} is batch's to choose: each site's files go to --out-dir DIR/<host>/latest/ \
                 (`batch --xlsx` adds each site's workbook there)"
            );
        }
    }
    Ok(())
}

struct Plan {
    out_dir: PathBuf,
    config: Option<PathBuf>,
    passthrough: Vec<String>,
    /// `--xlsx`: each site's workbook in latest/.
    xlsx: bool,
    /// One audit at a time per IP address: shared hosting serves many sites from one server.
    per_ip: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
    stop: watch::Receiver<Option<StopCause>>,
}

impl Plan {
    async fn run_site(&self, site: &Site) -> SiteLine {
        let mut line = SiteLine {
            site: site.url.clone(),
            state: SiteState::CouldNotRun,
            why: String::new(),
            critical: 0,
            high: 0,
            medium: 0,
            low: 0,
            new: None,
            fixed: None,
            dir: String::new(),
            report: None,
        };
        if self.stop.borrow().is_some() {
            line.state = SiteState::Incomplete;
            line.why = "not audited: the batch was stopped".into();
            return line;
        }
        if let Err(e) = self.audit_site(site, &mut line).await {
            line.state = SiteState::CouldNotRun;
            line.why = format!("{e:#}");
        }
        line
    }

    async fn audit_site(&self, site: &Site, line: &mut SiteLine) -> Result<()> {
        let start = parse_start_url(&site.url)?;
        let name = folder_name(&start);
        let dir = self.out_dir.join(&name);
        let (latest, baseline) = (dir.join("latest"), dir.join("baseline"));
        // A fresh latest/: nothing of an earlier run may pass for this one's.
        if latest.exists() {
            std::fs::remove_dir_all(&latest)
                .with_context(|| format!("cannot clear {}", latest.display()))?;
        }
        std::fs::create_dir_all(&latest)
            .with_context(|| format!("cannot create {}", latest.display()))?;
        line.dir = name.clone();

        let mut argv: Vec<OsString> = vec!["authwall".into(), "audit".into()];
        match &self.config {
            Some(path) => argv.extend(["--config".into(), path.clone().into_os_string()]),
            None => argv.push("--no-config".into()),
        }
        argv.extend(site.args.iter().cloned());
        argv.extend(self.passthrough.iter().map(OsString::from));
        argv.push(start.as_str().into());
        for (flag, path) in [
            ("-o", latest.join(CSV)),
            ("--report", latest.join(REPORT)),
            ("--baseline", baseline.join(CSV)),
        ] {
            argv.push(flag.into());
            argv.push(path.into_os_string());
        }
        if self.xlsx {
            argv.push("--xlsx".into());
            argv.push(latest.join(XLSX).into_os_string());
        }
        argv.push("--quiet".into());
        let argv = config_file::apply(argv)?;
        let Command::Audit(args) = <Cli as clap::Parser>::try_parse_from(&argv)?.command else {
            bail!("not an audit command line");
        };
        let config = Config::from_args(&args)?;

        let _one_per_ip = match resolve(&start).await {
            Some(ip) => {
                let lock = self
                    .per_ip
                    .lock()
                    .map_err(|_| anyhow::anyhow!("the per-IP locks are poisoned"))?
                    .entry(ip)
                    .or_insert_with(|| Arc::new(Semaphore::new(1)))
                    .clone();
                Some(lock.acquire_owned().await?)
            }
            None => None,
        };
        let mut stop = self.stop.clone();
        let stopped = async move {
            loop {
                if let Some(cause) = *stop.borrow_and_update() {
                    return cause;
                }
                if stop.changed().await.is_err() {
                    return std::future::pending().await;
                }
            }
        };
        let result = audit(&config, Progress::new(false), stopped).await?;
        std::fs::write(latest.join(SUMMARY), &result.summary)
            .with_context(|| format!("cannot write {}", latest.join(SUMMARY).display()))?;

        let severities = &result.tally.severities;
        let count = |s| severities.get(&s).copied().unwrap_or(0);
        (line.critical, line.high, line.medium, line.low) = (
            count(Severity::Critical),
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low),
        );
        (line.new, line.fixed) = match result.since_last_run {
            Some((new, fixed)) => (Some(new), Some(fixed)),
            None => (None, None),
        };
        if latest.join(REPORT).exists() {
            line.report = Some(format!("{name}/latest/{REPORT}"));
        }
        let complete = result.incomplete.is_empty() && result.facts.stopped.is_none();
        line.state = match result.exit {
            Exit::CouldNotRun => SiteState::CouldNotRun,
            Exit::Findings => SiteState::Findings,
            _ if !complete => SiteState::Incomplete,
            _ => SiteState::Clean,
        };
        if line.state == SiteState::CouldNotRun {
            let why = result.summary.trim();
            line.why = why.strip_prefix("authwall: ").unwrap_or(why).to_string();
        } else if !complete {
            // Each batch run starts its sites afresh: an audit's advice to --resume does not
            // apply here.
            let reasons = result.incomplete.iter().flat_map(|r| r.split("; "));
            line.why = reasons
                .filter(|part| !part.contains("--resume"))
                .collect::<Vec<_>>()
                .join("; ");
        }
        if complete && result.exit != Exit::CouldNotRun {
            promote(&latest, &baseline)?;
        }
        Ok(())
    }
}

/// `latest/` becomes `baseline/` (a copy: latest stays for people to read).
fn promote(latest: &Path, baseline: &Path) -> Result<()> {
    let next = baseline.with_extension("next");
    if next.exists() {
        std::fs::remove_dir_all(&next)?;
    }
    std::fs::create_dir_all(&next)?;
    for entry in std::fs::read_dir(latest)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), next.join(entry.file_name()))?;
        }
    }
    // The old baseline goes only once the new one is whole.
    if baseline.exists() {
        std::fs::remove_dir_all(baseline)?;
    }
    std::fs::rename(&next, baseline)
        .with_context(|| format!("cannot keep {} as the baseline", latest.display()))
}

/// `host` or `host-port` (a port other than the scheme's).
fn folder_name(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("site").trim_matches(['[', ']']);
    let host = host.replace(':', "_");
    match url.port() {
        Some(port) => format!("{host}-{port}"),
        None => host,
    }
}

/// The site's first address, for the per-IP limit (None when it does not resolve: the audit
/// then says why).
async fn resolve(url: &url::Url) -> Option<IpAddr> {
    let host = url.host_str()?.trim_matches(['[', ']']).to_string();
    let port = url.port_or_known_default()?;
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let mut addrs = tokio::time::timeout(Duration::from_secs(5), lookup)
        .await
        .ok()?
        .ok()?;
    addrs.next().map(|a| a.ip())
}

/// `--shard K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard> {
        let (k, n) = text
            .split_once('/')
            .with_context(|| format!("--shard {text:?}: give K/N, e.g. 0/4, or auto/N"))?;
        let count: u64 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| format!("--shard {text:?}: N must be a number above 0"))?;
        let k = match k.trim() {
            "auto" => std::env::var("JOB_COMPLETION_INDEX").with_context(|| {
                format!("--shard {text}: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it)")
            })?,
            k => k.to_string(),
        };
        let index: u64 = k
            .trim()
            .parse()
            .ok()
            .filter(|k| *k < count)
            .with_context(|| {
                format!(
                    "--shard {text:?}: K must be a number from 0 to {}",
                    count - 1
                )
            })?;
        Ok(Shard { index, count })
    }

    /// Whether this shard audits `site`: SHA-256 of its origin (`https://example.com`; a line
    /// that is not a URL, as written), the first 8 bytes as a number, modulo N.
    pub fn takes(&self, site: &str) -> bool {
        let key = parse_start_url(site)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| site.trim().to_string());
        let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_ref()[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }

    fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }

    fn file_name(&self) -> String {
        format!("overview-shard-{}-of-{}", self.index, self.count)
    }
}

/// `path` as seen from `base` (both made absolute): `../a/b`.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let absolute = |p: &Path| -> Vec<OsString> {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .components()
            .map(|c| c.as_os_str().to_os_string())
            .collect()
    };
    let (path, base) = (absolute(path), absolute(base));
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for part in &path[common..] {
        out.push(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_falls_in_exactly_one_shard() {
        let sites: Vec<String> = (0..200).map(|i| format!("https://site{i}.test/")).collect();
        for n in [1, 3, 7] {
            let mut taken = vec![0; sites.len()];
            for k in 0..n {
                let shard = Shard { index: k, count: n };
                for (i, site) in sites.iter().enumerate() {
                    taken[i] += usize::from(shard.takes(site));
                }
            }
            assert!(taken.iter().all(|t| *t == 1), "n = {n}");
        }
        // The origin decides, not how the line is written.
        let shard = |s| {
            (0..5).find(|k| {
                Shard {
                    index: *k,
                    count: 5,
                }
                .takes(s)
            })
        };
        assert_eq!(shard("example.com"), shard("https://example.com/blog"));
    }

    #[test]
    fn a_shard_is_k_of_n_or_auto_from_the_job_index() {
        assert_eq!(Shard::parse("1/3").unwrap(), Shard { index: 1, count: 3 });
        for bad in ["3/3", "1", "a/3", "1/0", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn report_paths_are_rebased_onto_the_merged_folder() {
        assert_eq!(
            relative_to(
                Path::new("/o/shard-1/a-80/latest/report.html"),
                Path::new("/o")
            ),
            PathBuf::from("shard-1/a-80/latest/report.html")
        );
        assert_eq!(
            relative_to(Path::new("/o/s1/a/r.html"), Path::new("/o/merged")),
            PathBuf::from("../s1/a/r.html")
        );
    }

    #[test]
    fn a_sites_folder_is_its_host_and_any_port() {
        let name = |u: &str| folder_name(&url::Url::parse(u).unwrap());
        assert_eq!(name("https://example.com/"), "example.com");
        assert_eq!(name("http://127.0.0.1:8080/"), "127.0.0.1-8080");
        assert_eq!(name("http://[::1]:81/"), "__1-81");
    }
}
