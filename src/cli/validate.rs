//! From what the user typed to what a run works with: [`Config::from_args`] validates the
//! `audit` arguments (URLs parsed, globs compiled, secrets read) into a [`Config`]. Every
//! error names the offending value and what to do.

use anyhow::{Context, Result, bail};
use globset::{GlobSet, GlobSetBuilder};
use url::Url;

use super::AuditArgs;
use crate::audit::PrivateMatcher;
use crate::config::{
    Acceptance, Config, CrawlConfig, ExitPolicy, MemberConfig, MemberLogin, Output, RenderConfig,
    ReportConfig, RowFormat, TrapLimits,
};
use crate::crawl::urlnorm;

impl Config {
    pub fn from_args(args: &AuditArgs) -> Result<Self> {
        let url = args.url.as_deref().context(
            "no start URL: give one (`authwall audit https://www.example.com/`) or set `url` in authwall.toml",
        )?;
        let start = parse_start_url(url)?;
        let output = match args.output.as_deref() {
            Some("-") => Output::Stdout,
            Some(path) => Output::File(path.into()),
            None => Output::File(default_output_name(&start, args.format).into()),
        };
        anyhow::ensure!(
            args.baseline.is_some() || (!args.fail_on_new && args.fail_on_spike.is_none()),
            "--fail-on-new and --fail-on-spike compare with an earlier run: give --baseline PREVIOUS.csv"
        );
        let mut private = args.private.clone();
        if let Some(path) = &args.private_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --private-file {}", path.display()))?;
            private.extend(PrivateMatcher::parse_file(&text));
        }
        let sitemaps = args
            .sitemaps
            .iter()
            .map(|s| {
                urlnorm::parse_http(s)
                    .or_else(|| start.join(s).ok())
                    .with_context(|| format!("--sitemap {s:?} is not a URL"))
            })
            .collect::<Result<Vec<_>>>()?;
        let member = member_config(args, &start)?;
        let crawl = CrawlConfig {
            start,
            concurrency: args.concurrency,
            delay: args.delay,
            max_pages: args.max_pages,
            max_depth: args.max_depth,
            max_duration: args.max_duration,
            timeout: args.timeout,
            retries: args.retries,
            backoff: args.backoff,
            user_agent: args.user_agent.clone(),
            ignore_robots: args.ignore_robots,
            sitemaps,
            use_sitemaps: !args.no_sitemaps,
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            include_set: if args.include.is_empty() {
                None
            } else {
                Some(glob_set("--include", &args.include)?)
            },
            exclude_set: glob_set("--exclude", &args.exclude)?,
            include_subdomains: args.include_subdomains,
            private_matcher: PrivateMatcher::new(!args.no_default_private, &private, &args.public)?,
            public: args.public.clone(),
            private,
            default_private: !args.no_default_private,
            probe: !args.no_probe,
            index_agent: args.index_agent.clone(),
            headers: args
                .headers
                .iter()
                .map(|h| parse_header(h))
                .collect::<Result<_>>()?,
            basic_auth_env: args.basic_auth_env.clone(),
            basic_auth_file: args.basic_auth_file.clone(),
            basic_auth: match (&args.basic_auth_env, &args.basic_auth_file) {
                (Some(var), _) => Some(basic_auth_from_env(var)?),
                (None, Some(path)) => Some(basic_auth_from_file(path)?),
                (None, None) => None,
            },
            insecure: args.insecure,
            ca_cert: args.ca_cert.clone(),
            ca_certs: match &args.ca_cert {
                Some(path) => read_ca_certs(path)?,
                None => Vec::new(),
            },
            resolve: args
                .resolve
                .iter()
                .map(|r| parse_resolve(r))
                .collect::<Result<_>>()?,
            max_body: args.max_body,
            render: args.render.map(|which| RenderConfig {
                which,
                browser: args.browser.clone(),
                no_sandbox: args.no_browser_sandbox,
                timeout: args.render_timeout,
                tabs: args.render_tabs,
            }),
            listed: Vec::new(),
            listed_invalid: Vec::new(),
            member,
            as_member: false,
            members: None,
            traps: TrapLimits {
                max_query_variants: args.max_query_variants,
                max_path_segments: args.max_path_segments,
                max_segment_repeats: args.max_segment_repeats,
                max_url_length: args.max_url_length,
            },
        };
        let report = ReportConfig {
            output,
            format: args.format,
            summary: args.summary,
            report: args.report.clone(),
            xlsx: args.xlsx.clone(),
            baseline: args.baseline.clone(),
            fail_on: args
                .fail_on
                .parse()
                .map_err(|e| anyhow::anyhow!("--fail-on {:?}: {e}", args.fail_on))?,
            fail_on_new: args.fail_on_new,
            fail_on_spike: args.fail_on_spike,
            quiet: args.quiet,
            accept: args
                .accept
                .iter()
                .map(|json| acceptance(json))
                .collect::<Result<_>>()?,
            exit_policy: ExitPolicy::Audit,
            allow_other_site: args.allow_other_site,
            list: None,
        };
        Ok(Self {
            crawl,
            report,
            resume: args.resume,
        })
    }
}

/// A bare host (`example.com`, `example.com/blog`) means https.
pub fn parse_start_url(text: &str) -> Result<Url> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let url = urlnorm::parse_http(&with_scheme)
        .with_context(|| format!("{text:?} is not an http(s) URL or host name"))?;
    if url.host_str().is_none_or(str::is_empty) {
        bail!("{text:?} has no host");
    }
    Ok(url)
}

/// The certificates of a PEM file.
fn read_ca_certs(
    path: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let pem =
        std::fs::read(path).with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--ca-cert {}: {e}", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "--ca-cert {}: no certificate in it",
        path.display()
    );
    Ok(certs)
}

/// `Name: value`.
fn parse_header(text: &str) -> Result<(String, String)> {
    let (name, value) = text
        .split_once(':')
        .with_context(|| format!("--header {:?}: expected `Name: value`", redact(text)))?;
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok(),
        "--header: {name:?} is not a header name"
    );
    anyhow::ensure!(
        reqwest::header::HeaderValue::from_str(value.trim()).is_ok(),
        "--header {name}: the value is not a valid header value"
    );
    Ok((name.to_string(), value.trim().to_string()))
}

/// Only the name of a `Name: value` header: the value may be a secret.
fn redact(text: &str) -> String {
    match text.split_once(':') {
        Some((name, _)) => format!("{name}: …"),
        None => "…".to_string(),
    }
}

fn basic_auth_from_file(path: &std::path::Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --basic-auth-file {}", path.display()))?;
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    let (user, password) = line.split_once(':').with_context(|| {
        format!(
            "--basic-auth-file {}: expected `user:password` on the first line",
            path.display()
        )
    })?;
    Ok((user.to_string(), password.to_string()))
}

/// The member vs stranger audit: how the member logs in (secrets read from the environment or
/// a file, never from the command line), and the member crawl's bounds.
fn member_config(args: &AuditArgs, start: &Url) -> Result<Option<MemberConfig>> {
    let env = |flag: &str, var: &str| {
        std::env::var(var).with_context(|| format!("{flag} {var}: the variable is not set"))
    };
    let login = match (
        &args.member_cookies,
        &args.member_header_env,
        &args.login_url,
    ) {
        (Some(path), _, _) => MemberLogin::Cookies(path.clone()),
        (None, Some(var), _) => {
            let text = env("--member-header-env", var)?;
            let (name, value) = text.split_once(':').with_context(|| {
                format!("--member-header-env {var}: expected `Name: value` in it")
            })?;
            let name = name.trim();
            anyhow::ensure!(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                    && reqwest::header::HeaderValue::from_str(value.trim()).is_ok(),
                "--member-header-env {var}: expected `Name: value` in it"
            );
            MemberLogin::Header {
                var: var.clone(),
                name: name.to_string(),
                value: value.trim().to_string(),
            }
        }
        (None, None, Some(url)) => {
            let (Some(user_env), Some(password_env)) =
                (&args.login_user_env, &args.login_password_env)
            else {
                bail!("--login-url needs --login-user-env and --login-password-env");
            };
            MemberLogin::Form {
                url: start
                    .join(url)
                    .with_context(|| format!("--login-url {url:?} is not a URL"))?,
                user: env("--login-user-env", user_env)?,
                password: env("--login-password-env", password_env)?,
                user_env: user_env.clone(),
                password_env: password_env.clone(),
            }
        }
        (None, None, None) => {
            anyhow::ensure!(
                args.member_check.is_none()
                    && args.member_exclude.is_empty()
                    && args.member_max_pages.is_none()
                    && !args.member_titles,
                "the --member-… options need a member session: --member-cookies FILE, \
                 --member-header-env VAR or --login-url URL"
            );
            return Ok(None);
        }
    };
    let check = args
        .member_check
        .as_deref()
        .map(|url| {
            start
                .join(url)
                .with_context(|| format!("--member-check {url:?} is not a URL"))
        })
        .transpose()?;
    Ok(Some(MemberConfig {
        login,
        check,
        exclude: args.member_exclude.clone(),
        exclude_set: glob_set("--member-exclude", &args.member_exclude)?,
        max_pages: args.member_max_pages.unwrap_or(args.max_pages),
        titles: args.member_titles,
        allow_login_over_http: args.allow_login_over_http,
    }))
}

fn basic_auth_from_env(var: &str) -> Result<(String, String)> {
    let value = std::env::var(var)
        .with_context(|| format!("--basic-auth-env {var}: the variable is not set"))?;
    let (user, password) = value
        .split_once(':')
        .with_context(|| format!("--basic-auth-env {var}: expected `user:password` in it"))?;
    Ok((user.to_string(), password.to_string()))
}

/// `HOST:IP`; the IP may be IPv6, with or without brackets (`host:::1`, `host:[::1]`).
fn parse_resolve(text: &str) -> Result<(String, std::net::IpAddr)> {
    let (host, ip) = text
        .split_once(':')
        .with_context(|| format!("--resolve {text:?}: expected HOST:IP"))?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let ip = ip
        .parse()
        .with_context(|| format!("--resolve {text:?}: {ip:?} is not an IP address"))?;
    anyhow::ensure!(!host.is_empty(), "--resolve {text:?}: no host name");
    Ok((host.to_ascii_lowercase(), ip))
}

fn default_output_name(start: &Url, format: RowFormat) -> String {
    let host = start.host_str().unwrap_or("site").replace(':', "_");
    let ext = match format {
        RowFormat::Csv => "csv",
        RowFormat::Jsonl => "jsonl",
    };
    match start.port() {
        Some(port) => format!("authwall-{host}-{port}.{ext}"),
        None => format!("authwall-{host}.{ext}"),
    }
}

fn glob_set(flag: &str, patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            // `*` stays inside one path segment, as in .gitignore; `**` crosses segments.
            .literal_separator(true)
            .build()
            .with_context(|| format!("{flag} {pattern:?} is not a valid glob"))?;
        builder.add(glob);
    }
    builder
        .build()
        .with_context(|| format!("{flag}: cannot compile the globs"))
}

/// One `[[accept]]` entry, checked: a finding authwall knows, a reason, a glob that compiles
/// and a real day.
pub(crate) fn acceptance(json: &str) -> Result<Acceptance> {
    let entry: Acceptance = serde_json::from_str(json).map_err(|e| {
        anyhow::anyhow!(
            "[[accept]] entry {json}: {e} (it needs url, finding and reason; until is optional)"
        )
    })?;
    let name = || format!("[[accept]] entry for {} {}", entry.url, entry.finding);
    if entry.reason.trim().is_empty() {
        bail!("{}: the reason must say why it is accepted", name());
    }
    globset::Glob::new(&entry.url).with_context(|| format!("{}: not a valid glob", name()))?;
    if let Some(until) = &entry.until {
        let day =
            until.len() == 10 && humantime::parse_rfc3339(&format!("{until}T00:00:00Z")).is_ok();
        if !day {
            bail!("{}: until {until:?} is not a day (YYYY-MM-DD)", name());
        }
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Severity;
    use clap::Parser;

    fn config(args: &[&str]) -> Result<Config> {
        let mut argv = vec!["authwall", "audit"];
        argv.extend_from_slice(args);
        match super::super::Cli::try_parse_from(argv)?.command {
            super::super::Command::Audit(a) => Config::from_args(&a),
            _ => unreachable!(),
        }
    }

    #[test]
    fn bare_host_means_https_root() {
        assert_eq!(
            config(&["Example.COM"]).unwrap().crawl.start.as_str(),
            "https://example.com/"
        );
    }

    #[test]
    fn default_output_is_named_after_the_host() {
        let c = config(&["http://127.0.0.1:8080/x"]).unwrap();
        assert_eq!(
            c.report.output,
            Output::File("authwall-127.0.0.1-8080.csv".into())
        );
        assert_eq!(
            config(&["a.example", "-o", "-"]).unwrap().report.output,
            Output::Stdout
        );
    }

    #[test]
    fn non_http_start_url_is_refused() {
        let err = config(&["ftp://example.com/"]).unwrap_err().to_string();
        assert!(err.contains("not an http(s) URL"), "{err}");
    }

    #[test]
    fn globs_match_whole_segments_with_single_star() {
        let c = config(&["x", "--exclude", "/tag/*", "--include", "/blog/**"]).unwrap();
        assert!(c.crawl.path_selected("/blog/a/b"));
        assert!(!c.crawl.path_selected("/tag/rust"));
        assert!(!c.crawl.path_selected("/about"));
        let c = config(&["x", "--exclude", "/tag/*"]).unwrap();
        assert!(
            c.crawl.path_selected("/tag/rust/page/2"),
            "* must not cross /"
        );
    }

    #[test]
    fn resolve_takes_ipv4_and_ipv6() {
        let c = config(&[
            "x",
            "--resolve",
            "A.test:127.0.0.1",
            "--resolve",
            "b.test:[::1]",
        ])
        .unwrap();
        assert_eq!(
            c.crawl.resolve[0],
            ("a.test".to_string(), "127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            c.crawl.resolve[1].1,
            "::1".parse::<std::net::IpAddr>().unwrap()
        );
        assert!(config(&["x", "--resolve", "a.test"]).is_err());
        assert!(config(&["x", "--resolve", "a.test:nope"]).is_err());
    }

    #[test]
    fn private_patterns_come_from_flags_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("private.txt");
        std::fs::write(&file, "# staff\n/staff-*\n\n/internal/**\n").unwrap();
        let c = config(&[
            "x",
            "--private",
            "/ops/**",
            "--private-file",
            file.to_str().unwrap(),
        ])
        .unwrap();
        assert_eq!(c.crawl.private, ["/ops/**", "/staff-*", "/internal/**"]);
        assert!(c.crawl.private_matcher.is_private("/staff-room"));
        assert!(c.crawl.private_matcher.is_private("/admin"));
        let c = config(&["x", "--no-default-private"]).unwrap();
        assert!(!c.crawl.private_matcher.is_private("/admin"));
    }

    #[test]
    fn fail_on_takes_a_severity() {
        assert_eq!(
            config(&["x", "--fail-on", "medium"])
                .unwrap()
                .report
                .fail_on,
            Severity::Medium
        );
        let err = config(&["x", "--fail-on", "loud"]).unwrap_err().to_string();
        assert!(err.contains("--fail-on"), "{err}");
    }

    #[test]
    fn basic_auth_comes_from_a_file_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("auth");
        std::fs::write(&file, "preview:s3cr3t\n").unwrap();
        let c = config(&["x", "--basic-auth-file", file.to_str().unwrap()]).unwrap();
        assert_eq!(
            c.crawl.basic_auth,
            Some(("preview".into(), "s3cr3t".into()))
        );
        assert!(!serde_json::to_string(&c).unwrap().contains("s3cr3t"));
        std::fs::write(&file, "no colon\n").unwrap();
        let err = config(&["x", "--basic-auth-file", file.to_str().unwrap()]).unwrap_err();
        assert!(
            !err.to_string().contains("no colon"),
            "the content is never echoed: {err}"
        );
    }

    #[test]
    fn bad_glob_is_named_in_the_error() {
        let err = config(&["x", "--exclude", "/a/[b"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--exclude \"/a/[b\""), "{err}");
    }
}
