//! `authwall robots FILE|URL URL…`: the crawler's own robots.txt matcher, for trying rules.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::Exit;
use crate::cli::RobotsArgs;
use crate::config::Config;
use crate::crawl::requests::robots_txt;
use crate::crawl::robots::{self, Reading};
use crate::model::label;

/// `authwall robots`: the crawler's own matcher, one tab-separated line per URL. A URL is
/// fetched and read as the crawl would (RFC 9309: a 4xx is no restrictions, a 5xx everything
/// disallowed); what its answer means goes to stderr.
pub async fn run(args: &RobotsArgs) -> Result<Exit> {
    let source = args.robots.trim();
    let robots = if source.starts_with("http://") || source.starts_with("https://") {
        let argv = [
            "authwall",
            "audit",
            source,
            "--user-agent",
            &args.user_agent,
        ];
        let config = Config::from_args(&crate::cli::audit_args(&argv)?)?;
        let (response, body) = robots_txt(&config.crawl, config.crawl.start.clone()).await?;
        if response.status.is_none()
            && let Some((kind, detail)) = &response.error
        {
            anyhow::bail!("cannot fetch {source}: {} ({detail})", label(kind));
        }
        let (robots, reading) = robots::interpret(response.status, &body);
        if !matches!(reading, Reading::Rules { .. }) {
            eprintln!("note: {source}: {}", reading.note(response.status, None));
        }
        robots
    } else {
        let body = std::fs::read(PathBuf::from(source))
            .with_context(|| format!("cannot read {source}"))?;
        robots::Robots::parse(&body)
    };
    let token = robots::product_token(&args.user_agent);
    let mut out = std::io::stdout().lock();
    for raw in &args.urls {
        let path = match url::Url::parse(raw) {
            Ok(u) => u[url::Position::BeforePath..url::Position::AfterQuery].to_string(),
            Err(_) => raw.clone(),
        };
        let decision = robots.check(token, &path);
        let verdict = if decision.allowed {
            "allowed"
        } else {
            "disallowed"
        };
        let (rule, line) = match &decision.rule {
            Some(r) => (
                format!(
                    "{}: {}",
                    if r.allow { "Allow" } else { "Disallow" },
                    r.pattern
                ),
                r.line.to_string(),
            ),
            None => (String::new(), String::new()),
        };
        writeln!(out, "{verdict}\t{raw}\t{rule}\t{line}")?;
    }
    Ok(Exit::Clean)
}
