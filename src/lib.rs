//! authwall: a polite crawler that audits a website for SEO-harmful 401s and for private
//! paths that leak.
//!
//! # Architecture
//!
//! Components, in data-flow order:
//!
//! 1. **Config** ([`config`]): the command line, validated (URLs parsed, globs compiled).
//! 2. **Engine** ([`crawl::Engine`]): one coordinator that owns all crawl state.
//!    - seeds: the start URL, robots.txt `Sitemap:` lines (or `/sitemap.xml`), `--sitemap`;
//!    - the gatekeeper ([`crawl::scope`], `Engine::gate`): in scope? trap? budget? Every "no"
//!      is a named skip reason that becomes a row;
//!    - the frontier ([`crawl::frontier`]): each normalised URL once, with depth and referrer;
//!    - robots.txt per origin ([`crawl::robots`], RFC 9309), fetched before anything else;
//!    - the per-host pacer ([`crawl::pacer`]): every request waits for its slot;
//!    - the downloader ([`crawl::fetch`]): one hop per request, retries, body cap;
//!    - the parsers ([`crawl::extract`] for HTML, [`crawl::sitemap`]): new URLs go back to
//!      the frontier; redirect hops become URLs of their own.
//! 3. **Report** ([`report`]): one [`report::row::AuditRow`] per URL, streamed to CSV and
//!    flushed every second; the summary and the run record at the end.
//!
//! `main.rs` only parses the command line, runs [`run`] and maps the result to an exit code.
//!
//! URLs are compared in one normalised form, so each is requested and recorded once:
//!
//! ```
//! use authwall::crawl::urlnorm::parse_http;
//! let url = parse_http("HTTP://Example.COM:80/caf%c3%a9#top").unwrap();
//! assert_eq!(url.as_str(), "http://example.com/caf%C3%A9");
//! ```

#![deny(unsafe_code)]
#![warn(
    rust_2018_idioms,
    clippy::dbg_macro,
    clippy::todo,
    clippy::unimplemented
)]
// A crawler meets hostile input: outside tests, failing is a row or an error, never a panic.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crawl;
pub mod demo;
pub mod model;
pub mod progress;
pub mod report;

pub use commands::audit::{AuditResult, audit, present};
pub use commands::{run, wait_for_signal};

/// Exit codes: one table, documented in README.md and pinned by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, nothing at or above the fail threshold.
    Clean = 0,
    /// Findings at or above the fail threshold.
    Findings = 1,
    /// The audit could not run (bad arguments, start URL unreachable).
    CouldNotRun = 2,
    /// The run finished but cannot vouch for the site.
    Incomplete = 3,
    /// Stopped by Ctrl-C.
    Interrupted = 130,
    /// Stopped by SIGTERM.
    Terminated = 143,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}
