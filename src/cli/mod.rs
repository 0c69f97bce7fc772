//! The command line, as clap sees it. Raw input only: [`crate::config`] validates it into the
//! [`crate::config::Config`] that the engine uses, so the engine never sees clap.
//!
//! House style: long options in kebab-case, a short flag only for the most used ones (`-o`,
//! `-q`), a `value_name` for every value, durations in humantime (`500ms`, `20s`, `2h`).

use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::config::{RenderScope, RowFormat, SummaryFormat};

pub mod config_file;
pub(crate) mod validate;

pub use validate::parse_start_url;

/// `authwall/<version> (+<repository>)`: a user agent that says who we are and where to read why.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "authwall/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

#[derive(Debug, Parser)]
#[command(name = "authwall", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl a site and write the audit CSV and a summary.
    Audit(Box<AuditArgs>),
    /// Re-check a list of URLs (a Search Console export, a text file) without crawling:
    /// which are still walled off.
    Check(Box<CheckArgs>),
    /// Audit a small built-in demo site served on 127.0.0.1 (no setup, no network).
    Demo(DemoArgs),
    /// Test robots.txt rules: print whether each URL is allowed, and the rule that decided.
    Robots(RobotsArgs),
    /// Write a commented starter authwall.toml.
    Init(InitArgs),
    /// Compare two audit CSVs offline: what is new, fixed, still there; status changes.
    Diff(DiffArgs),
    /// Accept a finding the team has decided to live with: add an `[[accept]]` entry to
    /// authwall.toml (comments kept). It stays in the CSV and leaves the exit code.
    Accept(AcceptArgs),
    /// Audit many sites in one run, each with its own politeness, files and baseline, and
    /// write one overview of them all.
    Batch(BatchArgs),
    /// Combine the overviews of `batch --shard` runs into one.
    Merge(MergeArgs),
}

#[derive(Debug, Args, Clone)]
// The audit's options, without its start URL (the list gives the URLs) and with check's
// default file name.
#[command(
    mut_arg("url", |a| a.hide(true)),
    mut_arg("output", |a| a.help("CSV output file; `-` for stdout. Default: authwall-check-<LIST name>.csv"))
)]
pub struct CheckArgs {
    /// The list: one URL per line; a CSV or TSV whose URL column is found by its header
    /// (`URL`, `Address`, `Top pages` …), as Search Console exports it; its .xlsx download, or
    /// the .zip export (its Table.csv); `-` reads stdin.
    #[arg(value_name = "LIST")]
    pub list: std::path::PathBuf,

    /// The audit options apply (politeness, private patterns, --baseline, --report …);
    /// the URLs come from LIST, so no start URL is given. Sitemaps and probes are off.
    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, Args, Clone)]
pub struct BatchArgs {
    /// A file with one start URL per line (blank lines and `#` comments skipped). Without
    /// it, the `[[site]]` tables of authwall.toml (or --config FILE).
    #[arg(value_name = "SITES")]
    pub sites: Option<std::path::PathBuf>,

    /// Where everything goes: each site in DIR/<host>[-port]/latest/ (its CSV, run record,
    /// findings file, report and summary), copied to baseline/ after a complete run and
    /// compared with it next time; the overview in DIR/index.html, overview.md and
    /// overview.json.
    #[arg(long, value_name = "DIR")]
    pub out_dir: std::path::PathBuf,

    /// Sites audited at once. Sites on one IP address (shared hosting) are audited one at a
    /// time whatever this says.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub sites_parallel: u32,

    /// Audit one shard of the sites: K/N (0 <= K < N) takes the sites whose SHA-256 of the
    /// origin falls in shard K; `auto/N` reads K from JOB_COMPLETION_INDEX (a Kubernetes
    /// Indexed Job). `authwall merge DIR` then writes the one overview.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// The config file whose options apply to every site and whose `[[site]]` tables list
    /// the sites (default: ./authwall.toml when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Ignore ./authwall.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// No line per finished site on stderr, and no overview when every site is clean.
    #[arg(short, long)]
    pub quiet: bool,

    /// Also write each site's Excel workbook, as latest/audit.xlsx (see `audit --xlsx`).
    #[arg(long)]
    pub xlsx: bool,

    /// Options for every site's audit, as `authwall audit` takes them, after `--` (e.g.
    /// `-- --max-pages 5000 --fail-on-new`). The output files are batch's to name.
    #[arg(last = true, value_name = "AUDIT OPTIONS")]
    pub audit: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// Folders that `batch --shard` runs wrote (their overview-shard-*.json files are read).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<std::path::PathBuf>,

    /// Where the merged overview goes (default: the first DIR).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<std::path::PathBuf>,

    /// Print the overview only when a site needs a person.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args, Clone)]
// A config file's values come first on the command line; a later flag wins over them.
#[command(args_override_self = true)]
pub struct AuditArgs {
    /// Start URL. Its scheme, host and port define the scope; a bare host means https://HOST/.
    /// May come from the config file's `url` instead.
    #[arg(value_name = "URL")]
    pub url: Option<String>,

    /// CSV output file; `-` for stdout. Default: authwall-<host>.csv
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    /// Requests in flight per host (1 whenever robots.txt sets a Crawl-delay).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,

    /// Minimum interval between two requests to one host: a duration (`500ms`, `2s`); a bare
    /// number is milliseconds.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "250ms",
        value_parser = parse_delay,
        allow_hyphen_values = true
    )]
    pub delay: Duration,

    /// Most pages to request (robots.txt and sitemaps do not count).
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub max_pages: u64,

    /// Follow links at most this many hops from the seeds (start URL, sitemap entries).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Stop cleanly after this long (e.g. `30m`, `2h`); the run is then incomplete.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_duration: Option<Duration>,

    /// Continue an audit that stopped early (Ctrl-C, SIGTERM, --max-duration, kill -9) from the
    /// journal it left next to its CSV (`OUTPUT.journal`): URLs already answered are not asked
    /// again, and the CSV is written whole, as an uninterrupted run would have written it. Use
    /// the same URL, `-o` and options as the interrupted run.
    #[arg(long)]
    pub resume: bool,

    /// Give up on a response (headers and body) after this long.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Retries for connection errors, timeouts, 429 and 503.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries: u32,

    /// First wait before a retry when the server sends no Retry-After; doubles each time.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub backoff: Duration,

    /// User-Agent header; its product token (before the `/`) selects the robots.txt group.
    #[arg(long, value_name = "UA", default_value = DEFAULT_USER_AGENT)]
    pub user_agent: String,

    /// Fetch URLs that robots.txt disallows anyway (they are still marked `disallowed`).
    #[arg(long, overrides_with = "no_ignore_robots")]
    pub ignore_robots: bool,

    /// Obey robots.txt (undoes `--ignore-robots` or `ignore-robots = true` in the config file).
    #[arg(long, overrides_with = "ignore_robots")]
    pub no_ignore_robots: bool,

    /// A sitemap to read besides those robots.txt names (repeatable).
    #[arg(long = "sitemap", value_name = "URL")]
    pub sitemaps: Vec<String>,

    /// Read no sitemap at all.
    #[arg(long, overrides_with = "read_sitemaps")]
    pub no_sitemaps: bool,

    /// Read sitemaps (undoes `--no-sitemaps`).
    #[arg(long = "sitemaps", overrides_with = "no_sitemaps")]
    pub read_sitemaps: bool,

    /// Crawl only URL paths matching this glob (repeatable; `*` stays within a segment, `**` spans).
    #[arg(long = "include", value_name = "GLOB")]
    pub include: Vec<String>,

    /// Do not request URL paths matching this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Treat subdomains of the start host as in scope.
    #[arg(long, overrides_with = "no_include_subdomains")]
    pub include_subdomains: bool,

    /// Keep subdomains out of scope (undoes `--include-subdomains`).
    #[arg(long, overrides_with = "include_subdomains")]
    pub no_include_subdomains: bool,

    /// A private URL-path pattern (repeatable), e.g. `/internal/**`, `/staff-*`; its literal
    /// prefix is probed when it ends at a whole segment.
    #[arg(long = "private", value_name = "GLOB")]
    pub private: Vec<String>,

    /// A public URL-path pattern (repeatable), written like `--private`: paths that a built-in
    /// private pattern matches but that are public on this site (`/user/**` for public
    /// profiles). A `--private` pattern still wins.
    #[arg(long = "public", value_name = "GLOB")]
    pub public: Vec<String>,

    /// A file of private patterns, one glob per line (`#` comments).
    #[arg(long, value_name = "FILE")]
    pub private_file: Option<std::path::PathBuf>,

    /// Do not treat the built-in admin/account paths as private.
    #[arg(long, overrides_with = "default_private")]
    pub no_default_private: bool,

    /// Use the built-in private paths (undoes `--no-default-private`).
    #[arg(long, overrides_with = "no_default_private")]
    pub default_private: bool,

    /// Do not request the private paths that no page links to.
    #[arg(long, overrides_with = "probe")]
    pub no_probe: bool,

    /// Probe private paths (undoes `--no-probe`).
    #[arg(long, overrides_with = "no_probe")]
    pub probe: bool,

    /// The search engine whose robots.txt group decides what may be indexed.
    #[arg(long, value_name = "UA", default_value = "Googlebot")]
    pub index_agent: String,

    /// Exit 1 when a finding is at least this severe (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,

    /// Send this header with every request (repeatable), e.g. `"X-Staging-Key: …"`. Values are
    /// never written to any output.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// HTTP Basic credentials (`user:password`) from this environment variable, for a staging
    /// site behind Basic auth. Never written to any output.
    #[arg(long, value_name = "VAR", conflicts_with = "basic_auth_file")]
    pub basic_auth_env: Option<String>,

    /// HTTP Basic credentials (`user:password`, first line) from this file (e.g. a secret
    /// mounted by the CI system). Never written to any output.
    #[arg(long, value_name = "FILE")]
    pub basic_auth_file: Option<std::path::PathBuf>,

    /// Audit as a member too, with the cookies of this file (a Netscape cookies.txt exported
    /// from a browser): every page the member reaches and a stranger should not is asked
    /// again without them. Cookies of other sites are dropped; none is ever written out.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["member_header_env", "login_url"])]
    pub member_cookies: Option<std::path::PathBuf>,

    /// Audit as a member too, sending this whole header (`Cookie: …`, `Authorization: Bearer
    /// …`), read from this environment variable, with the member's requests only.
    #[arg(long, value_name = "VAR", conflicts_with = "login_url")]
    pub member_header_env: Option<String>,

    /// Audit as a member too, after logging in with the password form of this page (POSTed
    /// once, to the audited origin only). Needs --login-user-env and --login-password-env.
    #[arg(long, value_name = "URL", requires_all = ["login_user_env", "login_password_env"])]
    pub login_url: Option<String>,

    /// The member's user name, from this environment variable (--login-url).
    #[arg(long, value_name = "VAR", requires = "login_url")]
    pub login_user_env: Option<String>,

    /// The member's password, from this environment variable (--login-url).
    #[arg(long, value_name = "VAR", requires = "login_url")]
    pub login_password_env: Option<String>,

    /// A page that answers a logged-in member 2xx (not a login form): checked before the
    /// member crawl and every 200 member requests, to notice an expired session. Default:
    /// where the login form sent the member.
    #[arg(long, value_name = "URL")]
    pub member_check: Option<String>,

    /// URLs (path glob) the member crawl never asks, besides logouts and actions (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub member_exclude: Vec<String>,

    /// The member crawl's page budget [default: --max-pages].
    #[arg(long, value_name = "N")]
    pub member_max_pages: Option<u64>,

    /// Name the member's title of each members-only page in its note (a title may itself be
    /// private: "Invoice for J. Smith"); by default every output shows only what a stranger
    /// sees.
    #[arg(long, overrides_with = "no_member_titles")]
    pub member_titles: bool,

    /// Keep the member's titles out of the CSV (undoes `--member-titles`).
    #[arg(long, overrides_with = "member_titles")]
    pub no_member_titles: bool,

    /// Allow the login form to be sent over plain http (a test server).
    #[arg(long, overrides_with = "no_allow_login_over_http")]
    pub allow_login_over_http: bool,

    /// Refuse to send the login form over plain http (undoes `--allow-login-over-http`).
    #[arg(long, overrides_with = "allow_login_over_http")]
    pub no_allow_login_over_http: bool,

    /// Trust this CA certificate (PEM file) too, for a staging site with a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<std::path::PathBuf>,

    /// Accept invalid TLS certificates (self-signed staging servers).
    #[arg(long, overrides_with = "no_insecure")]
    pub insecure: bool,

    /// Check TLS certificates (undoes `--insecure`).
    #[arg(long, overrides_with = "insecure")]
    pub no_insecure: bool,

    /// Connect to IP for HOST instead of asking DNS (repeatable): audit a new server under its
    /// production name before DNS moves, or a staging host.
    #[arg(long = "resolve", value_name = "HOST:IP")]
    pub resolve: Vec<String>,

    /// No output at all when the run ends with exit code 0 (for cron).
    #[arg(short, long, overrides_with = "no_quiet")]
    pub quiet: bool,

    /// Print the summary (undoes `--quiet` or `quiet = true` in the config file).
    #[arg(long, overrides_with = "quiet")]
    pub no_quiet: bool,

    /// Row format: `csv` (spreadsheet-safe) or `jsonl` (one JSON object per line, raw values).
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = one_of::<RowFormat>())]
    pub format: RowFormat,

    /// Compare with an earlier run's CSV (a complete run; a file that does not exist yet is
    /// the first run). Adds the `change` column and a "since last run" block.
    #[arg(long, value_name = "PREVIOUS.csv")]
    pub baseline: Option<std::path::PathBuf>,

    /// Exit 1 only for findings that are new since the baseline (at or above --fail-on), so a
    /// weekly job alerts once per problem.
    #[arg(long, overrides_with = "no_fail_on_new")]
    pub fail_on_new: bool,

    /// Exit 1 for every finding at or above --fail-on (undoes `--fail-on-new`).
    #[arg(long, overrides_with = "fail_on_new")]
    pub no_fail_on_new: bool,

    /// Exit 1 when the 401s among URLs present in both runs grow by more than PCT percent (and
    /// by at least 5 URLs) since the baseline.
    #[arg(long, value_name = "PCT")]
    pub fail_on_spike: Option<f64>,

    /// A finding the team has accepted, as JSON (`{"url": GLOB, "finding": …, "reason": …,
    /// "until": "YYYY-MM-DD"}`): how the config file's `[[accept]]` entries reach the audit
    /// (`authwall accept` writes them).
    #[arg(long, value_name = "JSON", hide = true)]
    pub accept: Vec<String>,

    /// Compare with a --baseline of another site anyway (by path).
    #[arg(long, overrides_with = "no_allow_other_site")]
    pub allow_other_site: bool,

    /// Refuse a --baseline of another site (undoes `--allow-other-site`).
    #[arg(long, overrides_with = "allow_other_site")]
    pub no_allow_other_site: bool,

    /// Also write a self-contained HTML report (verdict, charts, findings tables) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,

    /// Also write an Excel workbook to FILE, for a client: the findings sorted by severity,
    /// every URL, and what the run was. Needs the CSV in a file (-o FILE).
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<std::path::PathBuf>,

    /// How the end-of-run summary is written: `text` for a terminal or a cron mail,
    /// `markdown` for a ticket or a CI job summary.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = one_of::<SummaryFormat>())]
    pub summary: SummaryFormat,

    /// Read options from this TOML file (default: ./authwall.toml when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Ignore ./authwall.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Largest body read from one response; the rest is ignored and the row says so.
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = parse_size)]
    pub max_body: u64,

    /// Crawler-trap guard: distinct query strings followed per path.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub max_query_variants: u32,

    /// Crawler-trap guard: path segments in a URL.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub max_path_segments: u32,

    /// Crawler-trap guard: consecutive repeats of a run of path segments (`/a/b/a/b/a/b` is 3).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_segment_repeats: u32,

    /// Also show pages in a headless Chromium (Debian's `chromium`), to see what their scripts
    /// show an anonymous visitor: `needed` (the default) renders private pages that answered 2xx
    /// without a password form and app shells; `all` renders every HTML page, as a search
    /// engine does, and follows the links that only appear then.
    #[arg(
        long,
        value_name = "WHICH",
        num_args = 0..=1,
        default_missing_value = "needed",
        value_parser = one_of::<RenderScope>()
    )]
    pub render: Option<RenderScope>,

    /// The Chromium binary for --render (default: `chromium` on PATH).
    #[arg(long, value_name = "PATH")]
    pub browser: Option<std::path::PathBuf>,

    /// Run Chromium without its sandbox, which running as root needs (containers, CI).
    #[arg(
        long = "no-browser-sandbox",
        visible_alias = "browser-no-sandbox",
        overrides_with = "browser_sandbox"
    )]
    pub no_browser_sandbox: bool,

    /// Run Chromium in its sandbox, the default (undoes `--browser-no-sandbox`).
    #[arg(long, overrides_with = "no_browser_sandbox")]
    pub browser_sandbox: bool,

    /// Longest one page may take to render.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub render_timeout: Duration,

    /// Pages rendered at once, one browser tab each.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub render_tabs: u32,

    /// Crawler-trap guard: characters in a URL.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub max_url_length: u32,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier audit (a complete run, as its run record says).
    #[arg(value_name = "OLD.csv")]
    pub old: std::path::PathBuf,

    /// The later audit.
    #[arg(value_name = "NEW.csv")]
    pub new: std::path::PathBuf,

    /// Exit 1 when a new finding is at least this severe.
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,

    /// `text` or `markdown`.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = one_of::<SummaryFormat>())]
    pub summary: SummaryFormat,

    /// Compare audits of two different sites anyway (by path).
    #[arg(long)]
    pub allow_other_site: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(value_name = "FILE", default_value = "authwall.toml")]
    pub path: std::path::PathBuf,

    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,

    /// The site to audit: written as the file's live `url` line, so that `authwall audit`
    /// runs as it is. Without it the line is left for you to fill in.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The URL as the CSV shows it, a path (`/legacy/report`) or a glob (`/legacy/**`).
    #[arg(value_name = "URL")]
    pub url: String,

    /// The finding to accept there (`public_401`, `private_linked_publicly` …).
    #[arg(value_name = "FINDING")]
    pub finding: String,

    /// Why the team accepts it (required: the next person to read the file will ask).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// The last day it holds (UTC, inclusive); after it the finding counts again.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,

    /// The config file to add it to.
    #[arg(long, value_name = "FILE", default_value = "authwall.toml")]
    pub config: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// CSV output file; `-` for stdout.
    #[arg(
        short = 'o',
        long,
        value_name = "FILE",
        default_value = "authwall-demo.csv"
    )]
    pub output: String,

    /// HTML report file.
    #[arg(long, value_name = "FILE", default_value = "authwall-demo.html")]
    pub report: std::path::PathBuf,

    /// Also write the Excel workbook a consultant hands over (see `audit --xlsx`).
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<std::path::PathBuf>,

    /// Print nothing (the exit code still says whether it ran).
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit 1 when a finding is at least this severe (by default the demo exits 0: its
    /// findings are planted).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    /// Also show pages in a headless Chromium, as `audit --render` does: the demo's billing
    /// app and its paywalled story are judged by what their scripts show.
    #[arg(
        long,
        value_name = "WHICH",
        num_args = 0..=1,
        default_missing_value = "needed",
        value_parser = one_of::<RenderScope>()
    )]
    pub render: Option<RenderScope>,

    /// The Chromium binary for --render (default: `chromium` on PATH).
    #[arg(long, value_name = "PATH")]
    pub browser: Option<std::path::PathBuf>,

    /// Run Chromium without its sandbox, which running as root needs.
    #[arg(long = "no-browser-sandbox", visible_alias = "browser-no-sandbox")]
    pub no_browser_sandbox: bool,

    /// Also audit as a member of the demo's club, with the demo's own member cookie (as
    /// `audit --member-cookies` does): its members-only pages are asked again anonymously.
    #[arg(long)]
    pub member: bool,
}

#[derive(Debug, Args)]
pub struct RobotsArgs {
    /// User agent whose group applies (its product token is matched).
    #[arg(long, value_name = "UA", default_value = DEFAULT_USER_AGENT)]
    pub user_agent: String,

    /// A robots.txt file, or the http(s) URL of one.
    #[arg(value_name = "ROBOTS_FILE_OR_URL")]
    pub robots: String,

    /// URLs (or paths) to test.
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
}

/// Parse an argument list as the command line would be (authwall.toml aside).
pub fn parse_args<I, T>(argv: I) -> anyhow::Result<Cli>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Ok(Cli::try_parse_from(argv)?)
}

/// The `audit` arguments of an argument list that starts with `authwall audit`.
pub fn audit_args(argv: &[&str]) -> anyhow::Result<AuditArgs> {
    match parse_args(argv)?.command {
        Command::Audit(args) => Ok(*args),
        _ => anyhow::bail!("{argv:?} is not an audit command line"),
    }
}

/// A value from a closed list (strum's names), with the list in `--help` and in errors.
fn one_of<T>() -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + strum::VariantNames + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(T::VARIANTS).map(|s| {
        s.parse::<T>()
            .unwrap_or_else(|_| unreachable!("{s:?} is one of the possible values"))
    })
}

/// A delay: a duration, or a bare number of milliseconds (what `--delay` always took).
pub fn parse_delay(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(format!(
            "{text:?}: a delay cannot be negative (examples: 0, 500ms, 2s)"
        ));
    }
    match text.parse::<u64>() {
        Ok(ms) => Ok(Duration::from_millis(ms)),
        Err(_) => parse_duration(text),
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e} (examples: 500ms, 20s, 2h)"))
}

/// `10MiB`, `512KB`, `2000000`: binary and decimal units, case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (examples: 10MiB, 512KB, 2000000)"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use KB, KiB, MB, MiB, GB, GiB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(args: &[&str]) -> AuditArgs {
        let mut argv = vec!["authwall", "audit"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Audit(a) => *a,
            other => panic!("not audit: {other:?}"),
        }
    }

    #[test]
    fn documented_defaults_hold() {
        let a = audit(&["example.com"]);
        assert_eq!(a.concurrency, 4);
        assert_eq!(a.delay, Duration::from_millis(250));
        assert_eq!(a.max_pages, 50_000);
        assert_eq!(a.timeout, Duration::from_secs(20));
        assert_eq!(a.retries, 2);
        assert_eq!(a.max_body, 10 << 20);
        assert_eq!(a.max_query_variants, 25);
        assert_eq!(a.max_path_segments, 15);
        assert_eq!(a.max_url_length, 2000);
        assert!(a.user_agent.starts_with("authwall/"));
        assert_eq!(a.index_agent, "Googlebot");
        assert_eq!(a.fail_on, "high");
        assert!(!a.no_probe && !a.no_default_private);
        assert!(!a.ignore_robots && !a.no_sitemaps && !a.quiet);
    }

    #[test]
    fn timeout_accepts_milliseconds() {
        assert_eq!(
            audit(&["x", "--timeout", "500ms"]).timeout,
            Duration::from_millis(500)
        );
    }

    #[test]
    fn repeatable_options_accumulate() {
        let a = audit(&[
            "x",
            "--exclude",
            "/a/*",
            "--exclude",
            "/b/**",
            "--sitemap",
            "u",
        ]);
        assert_eq!(a.exclude, ["/a/*", "/b/**"]);
        assert_eq!(a.sitemaps, ["u"]);
    }

    #[test]
    fn resolve_is_repeatable() {
        let a = audit(&[
            "x",
            "--resolve",
            "a.test:127.0.0.1",
            "--resolve",
            "b.test:::1",
        ]);
        assert_eq!(a.resolve, ["a.test:127.0.0.1", "b.test:::1"]);
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512kb"), Ok(512_000));
        assert_eq!(parse_size("42"), Ok(42));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("1XB").is_err());
    }

    #[test]
    fn zero_concurrency_is_refused() {
        assert!(Cli::try_parse_from(["authwall", "audit", "x", "--concurrency", "0"]).is_err());
    }
}
