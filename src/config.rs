//! Validated settings: what a run works with, built from the command line (and authwall.toml)
//! by [`crate::cli`]. Two parts: [`CrawlConfig`], all the engine sees, and [`ReportConfig`],
//! what the outputs and the exit code need.

use std::path::PathBuf;
use std::time::Duration;

use globset::GlobSet;
use serde::Serialize;
use strum::{EnumString, VariantNames};
use url::Url;

use crate::audit::{Finding, PrivateMatcher, Severity};

/// Redirect hops followed from one URL (Google's limit too).
pub const MAX_REDIRECTS: usize = 10;
/// robots.txt redirects followed (RFC 9309 asks for at least five).
pub const MAX_ROBOTS_REDIRECTS: usize = 5;
/// Longest Crawl-delay honoured: a larger value would stall an audit for hours.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);
/// Longest Retry-After honoured before a retry.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Sitemap files may be up to 50 MB uncompressed (the protocol's limit), so they get their
/// own body cap rather than `--max-body`.
pub const MAX_SITEMAP_BODY: u64 = 50 * 1024 * 1024;

/// Everything one audit runs on.
#[derive(Debug, Clone)]
pub struct Config {
    pub crawl: CrawlConfig,
    pub report: ReportConfig,
    /// Replay the journal of an interrupted run (`--resume`).
    pub resume: bool,
}

/// What the crawl needs: where to go, how politely, and what is private.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// The start URL, normalised.
    pub start: Url,
    pub concurrency: u32,
    pub delay: Duration,
    pub max_pages: u64,
    pub max_depth: Option<u32>,
    pub max_duration: Option<Duration>,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub user_agent: String,
    pub ignore_robots: bool,
    pub sitemaps: Vec<Url>,
    pub use_sitemaps: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub include_set: Option<GlobSet>,
    pub exclude_set: GlobSet,
    pub include_subdomains: bool,
    /// User private patterns (`--private` and `--private-file`).
    pub private: Vec<String>,
    /// User public patterns (`--public`).
    pub public: Vec<String>,
    pub default_private: bool,
    pub private_matcher: PrivateMatcher,
    pub probe: bool,
    pub index_agent: String,
    /// `--header`: (name, value). The values may be secrets: never serialised.
    pub headers: Vec<(String, String)>,
    /// `--basic-auth-env`: the variable's name (serialised) and the credentials (never).
    pub basic_auth_env: Option<String>,
    /// `--basic-auth-file`: the file's path (serialised), never its content.
    pub basic_auth_file: Option<PathBuf>,
    pub basic_auth: Option<(String, String)>,
    pub insecure: bool,
    pub ca_cert: Option<PathBuf>,
    /// The certificates of `--ca-cert`.
    pub ca_certs: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// `--resolve`: host names answered without DNS.
    pub resolve: Vec<(String, std::net::IpAddr)>,
    pub max_body: u64,
    pub traps: TrapLimits,
    /// `--render`: pages shown in a headless browser too.
    pub render: Option<RenderConfig>,
    /// `authwall check`: the listed URLs (the first is `start`). Each is requested, redirects
    /// are followed, nothing else is crawled; empty for a crawl.
    pub listed: Vec<Url>,
    /// `authwall check`: the lines of the list that are not http(s) URLs (an `invalid_url` row
    /// each).
    pub listed_invalid: Vec<String>,
    /// The member vs stranger audit's settings (`--member-cookies`, `--login-url` …).
    pub member: Option<MemberConfig>,
    /// This crawl is the member's: every 2xx is kept for the comparison.
    pub as_member: bool,
    /// What the member crawl reached: the anonymous crawl asks the URLs it did not reach
    /// itself, last, and compares.
    pub members: Option<std::sync::Arc<crate::model::Members>>,
}

/// How the member logs in, and the member crawl's bounds.
#[derive(Debug, Clone)]
pub struct MemberConfig {
    pub login: MemberLogin,
    /// `--member-check`: a URL that answers a member with 2xx and no password form; asked
    /// after the login and every [`MEMBER_CHECK_EVERY`] member requests.
    pub check: Option<Url>,
    /// `--member-exclude`: URLs the member crawl never asks, besides actions and logouts.
    pub exclude: Vec<String>,
    pub exclude_set: GlobSet,
    /// `--member-max-pages`.
    pub max_pages: u64,
    /// `--member-titles`: the member's titles may be written (they may be private).
    pub titles: bool,
    /// `--allow-login-over-http`.
    pub allow_login_over_http: bool,
}

/// Member requests between two session checks.
pub const MEMBER_CHECK_EVERY: u64 = 200;

/// Where the member's session comes from. The secrets are read when the run starts and are
/// never printed: `Debug` names only the file or the variable.
#[derive(Clone)]
pub enum MemberLogin {
    /// `--member-cookies FILE`: a Netscape cookies.txt exported from a browser.
    Cookies(PathBuf),
    /// `--member-header-env VAR`: a whole header (`Cookie: …`, `Authorization: Bearer …`).
    Header {
        var: String,
        name: String,
        value: String,
    },
    /// `--login-url` with `--login-user-env` and `--login-password-env`.
    Form {
        url: Url,
        user_env: String,
        password_env: String,
        user: String,
        password: String,
    },
}

impl std::fmt::Debug for MemberLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl MemberLogin {
    /// How the member logs in, in words that hold no secret.
    pub fn describe(&self) -> String {
        match self {
            MemberLogin::Cookies(path) => format!("cookie file {}", path.display()),
            MemberLogin::Header { var, name, .. } => format!("{name} header from ${var}"),
            MemberLogin::Form {
                url,
                user_env,
                password_env,
                ..
            } => format!("form login at {url} (${user_env}, ${password_env})"),
        }
    }
}

impl CrawlConfig {
    /// `authwall check`: a list of URLs, no crawl.
    pub fn is_list(&self) -> bool {
        !self.listed.is_empty()
    }
}

/// `--render` and the browser's bounds.
#[derive(Debug, Clone, Serialize)]
pub struct RenderConfig {
    pub which: RenderScope,
    /// `--browser`: the Chromium binary; `None`: `chromium` on PATH.
    pub browser: Option<PathBuf>,
    /// `--browser-no-sandbox`: Chromium without its sandbox (as root).
    pub no_sandbox: bool,
    pub timeout: Duration,
    /// Pages rendered at once, one tab each.
    pub tabs: u32,
}

/// Which pages `--render` shows in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RenderScope {
    /// Private pages that answered 2xx without a password form, and app shells: the pages
    /// whose verdict depends on what their scripts show.
    Needed,
    /// Every HTML page, as a search engine renders them; links that only appear once the
    /// scripts ran are followed too.
    All,
}

/// What the outputs and the exit code need.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub output: Output,
    pub format: RowFormat,
    pub summary: SummaryFormat,
    pub report: Option<PathBuf>,
    /// `--xlsx`: the workbook for people, written beside the CSV.
    pub xlsx: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub fail_on: Severity,
    pub fail_on_new: bool,
    pub fail_on_spike: Option<f64>,
    pub quiet: bool,
    /// Findings the team has accepted (`[[accept]]` in authwall.toml).
    pub accept: Vec<Acceptance>,
    /// What the exit code says (the reports state the same code).
    pub exit_policy: ExitPolicy,
    /// Compare with a baseline of another site anyway.
    pub allow_other_site: bool,
    /// `authwall check`: what the list was.
    pub list: Option<ListFacts>,
}

/// `authwall check`: the list the URLs came from, for the summary and the run record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListFacts {
    /// The file as the user named it (`-` for stdin).
    pub source: String,
    /// The column the URLs were read from, when the list is a table.
    pub column: Option<String>,
    /// Distinct http(s) URLs listed.
    pub urls: usize,
    /// Lines that are not http(s) URLs.
    pub invalid: usize,
    /// The origins of the URLs, in the order met.
    pub origins: Vec<String>,
}

/// How a run's outcome becomes its exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExitPolicy {
    /// `authwall audit`: findings at or above `--fail-on` exit 1, an incomplete run 3.
    #[default]
    Audit,
    /// `authwall demo`: findings and an incomplete run are what it shows (exit 0), unless the
    /// user asked for a threshold (`fail_on_findings`).
    Demo { fail_on_findings: bool },
}

/// One `[[accept]]` entry: a finding the team has decided to live with, on the URLs a glob
/// matches, for a reason, maybe until a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// A path glob (`/staging/**`, matched against the path, and the query when the glob has
    /// a `?`) or a whole-URL glob (`https://a.example/x*`). `*` stays within a segment.
    pub url: String,
    pub finding: Finding,
    pub reason: String,
    /// The last day it holds (inclusive, UTC), `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct TrapLimits {
    pub max_query_variants: u32,
    pub max_path_segments: u32,
    pub max_segment_repeats: u32,
    pub max_url_length: u32,
}

/// Where the rows go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

/// The file format of the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, EnumString, VariantNames)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RowFormat {
    /// One row per URL, spreadsheet-safe (formula-like cells neutralised).
    #[default]
    Csv,
    /// One JSON object per line, values exactly as the site sent them.
    Jsonl,
}

/// How the end-of-run summary is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, EnumString, VariantNames)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SummaryFormat {
    /// For a terminal or a cron mail.
    Text,
    /// For a ticket or a CI job summary.
    Markdown,
}

impl CrawlConfig {
    /// Whether `--include`/`--exclude` let this URL path through.
    pub fn path_selected(&self, path: &str) -> bool {
        let included = self
            .include_set
            .as_ref()
            .is_none_or(|set| set.is_match(path));
        included && !self.exclude_set.is_match(path)
    }

    /// Whether the audit sends credentials, so that it no longer sees what search engines see.
    pub fn authenticated(&self) -> bool {
        self.basic_auth.is_some()
            || self.headers.iter().any(|(name, _)| {
                let name = name.to_ascii_lowercase();
                name == "authorization"
                    || name == "cookie"
                    || name.contains("token")
                    || name.contains("key")
            })
    }
}

/// The settings as the run record states them (secrets never; the order is the record's).
#[derive(Serialize)]
struct Settings<'a> {
    start: &'a Url,
    concurrency: u32,
    delay: Duration,
    max_pages: u64,
    max_depth: Option<u32>,
    max_duration: Option<Duration>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    user_agent: &'a str,
    ignore_robots: bool,
    sitemaps: &'a [Url],
    use_sitemaps: bool,
    include: &'a [String],
    exclude: &'a [String],
    include_subdomains: bool,
    private: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    public: &'a [String],
    default_private: bool,
    probe: bool,
    index_agent: &'a str,
    fail_on: Severity,
    summary: SummaryFormat,
    format: RowFormat,
    report: Option<&'a PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xlsx: Option<&'a PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<&'a ListFacts>,
    baseline: Option<&'a PathBuf>,
    fail_on_new: bool,
    resume: bool,
    fail_on_spike: Option<f64>,
    #[serde(skip_serializing_if = "<[Acceptance]>::is_empty")]
    accept: &'a [Acceptance],
    /// Header names only: the values may be secrets.
    headers: Vec<String>,
    basic_auth_env: Option<&'a str>,
    basic_auth_file: Option<&'a PathBuf>,
    insecure: bool,
    ca_cert: Option<&'a PathBuf>,
    resolve: &'a [(String, std::net::IpAddr)],
    quiet: bool,
    max_body: u64,
    traps: TrapLimits,
    render: Option<&'a RenderConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<MemberSettings<'a>>,
}

/// The member audit's settings as the run record shows them: how the member logged in, in
/// words (a file, a variable's name), never a cookie, a header value or a password.
#[derive(Serialize)]
struct MemberSettings<'a> {
    session: String,
    check: Option<&'a Url>,
    exclude: &'a [String],
    max_pages: u64,
    titles: bool,
}

impl Serialize for Config {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, r) = (&self.crawl, &self.report);
        Settings {
            start: &c.start,
            concurrency: c.concurrency,
            delay: c.delay,
            max_pages: c.max_pages,
            max_depth: c.max_depth,
            max_duration: c.max_duration,
            timeout: c.timeout,
            retries: c.retries,
            backoff: c.backoff,
            user_agent: &c.user_agent,
            ignore_robots: c.ignore_robots,
            sitemaps: &c.sitemaps,
            use_sitemaps: c.use_sitemaps,
            include: &c.include,
            exclude: &c.exclude,
            include_subdomains: c.include_subdomains,
            private: &c.private,
            public: &c.public,
            default_private: c.default_private,
            probe: c.probe,
            index_agent: &c.index_agent,
            fail_on: r.fail_on,
            summary: r.summary,
            format: r.format,
            report: r.report.as_ref(),
            xlsx: r.xlsx.as_ref(),
            list: r.list.as_ref(),
            baseline: r.baseline.as_ref(),
            fail_on_new: r.fail_on_new,
            resume: self.resume,
            fail_on_spike: r.fail_on_spike,
            accept: &r.accept,
            headers: c
                .headers
                .iter()
                .map(|(name, _)| format!("{name}: (hidden)"))
                .collect(),
            basic_auth_env: c.basic_auth_env.as_deref(),
            basic_auth_file: c.basic_auth_file.as_ref(),
            insecure: c.insecure,
            ca_cert: c.ca_cert.as_ref(),
            resolve: &c.resolve,
            quiet: r.quiet,
            max_body: c.max_body,
            traps: c.traps,
            render: c.render.as_ref(),
            member: c.member.as_ref().map(|m| MemberSettings {
                session: m.login.describe(),
                check: m.check.as_ref(),
                exclude: &m.exclude,
                max_pages: m.max_pages,
                titles: m.titles,
            }),
        }
        .serialize(s)
    }
}
