//! `authwall robots FILE|URL URL…`: the crawler's own robots.txt matcher, for trying rules.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::Exit;
use crate::cli::RobotsArgs;
use crate::crawl;

/// `authwall robots`: the crawler's own matcher, one tab-separated line per URL.
pub async fn run(args: &RobotsArgs) -> Result<Exit> {
    let source = args.robots.trim();
    let body = if source.starts_with("http://") || source.starts_with("https://") {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(&args.user_agent)
            .timeout(std::time::Duration::from_secs(20))
            .build()?;
        let response = client
            .get(source)
            .send()
            .await
            .with_context(|| format!("cannot fetch {source}"))?;
        let status = response.status();
        // The crawler's reading of the status (RFC 9309): 4xx means no restrictions,
        // 5xx (and 429) means everything is disallowed, whatever the body says.
        if status.is_server_error() || status.as_u16() == 429 {
            eprintln!("note: {source} answered {status}: everything is disallowed");
            b"User-agent: *\nDisallow: /\n".to_vec()
        } else if status.is_client_error() {
            eprintln!("note: {source} answered {status}: no restrictions");
            Vec::new()
        } else {
            response.bytes().await?.to_vec()
        }
    } else {
        std::fs::read(PathBuf::from(source)).with_context(|| format!("cannot read {source}"))?
    };
    let robots = crawl::robots::Robots::parse(&body);
    let token = crawl::robots::product_token(&args.user_agent);
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
