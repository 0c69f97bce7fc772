//! authwall: a polite crawler that audits a website for SEO-harmful 401s and for private
//! paths that leak.
//!
//! # Architecture
//!
//! The data flow, and where each step lives:
//!
//! ```text
//! cli ─▶ config ─▶ crawl: discover ─▶ schedule ─▶ fetch ─▶ parse ─▶ Record ─▶ audit ─▶ report
//! ```
//!
//! 1. **Command line** ([`cli`]): the parsed arguments and `authwall.toml`;
//!    [`cli`]'s `validate` turns them into a [`config::Config`] (URLs parsed, globs compiled,
//!    secrets read): a [`config::CrawlConfig`], all the engine sees, and a
//!    [`config::ReportConfig`]. Nothing outside `cli/`, `commands/` and `main.rs` names the argument parser's types.
//! 2. **Commands** ([`commands`]): one file per subcommand (`audit`, `demo`, `diff`, `init`,
//!    `robots`), each from parsed arguments to an [`Exit`].
//! 3. **Crawl** ([`crawl`]): one coordinator, [`crawl::Engine`], owns the crawl state; its
//!    parts each own one step:
//!    - discover ([`crawl`]'s `discover.rs`, [`crawl::scope`], [`crawl::frontier`],
//!      [`crawl::urlnorm`]): seeds (start URL, sitemaps, probes), links, sitemap entries and
//!      redirect targets enter the frontier once, or are settled with a named skip reason;
//!    - schedule ([`crawl::Engine`], [`crawl::robots_cache`], [`crawl::pacer`]): robots.txt
//!      per origin first, sitemaps before pages, pages level by level;
//!    - fetch ([`crawl::requests`], [`crawl::fetch`], [`crawl::journal`]): every request paced
//!      per origin, one hop each, journaled for `--resume`;
//!    - parse ([`crawl::html`], [`crawl::extract`], [`crawl::sitemap`], [`crawl::robots`]):
//!      pages as they stream in, sitemaps and robots.txt whole;
//!    - settle ([`crawl`]'s `answers.rs`, [`crawl::hold`], [`crawl::evidence`],
//!      [`crawl::refusals`]): each answer becomes one [`model::Record`], held back until it is
//!      as final as it can be (sitemaps read, redirect chain resolved, catch-all calibration
//!      back, refusal streak over).
//!    - render (`--render`: [`crawl::render`], and `rendering.rs` for which pages and what a
//!      render adds): a page as headless Chromium shows it once its scripts ran (prompts,
//!      password inputs, links, the requests it made), every request answered by the crawl's
//!      own fetcher through [`crawl::render::Serve`]; a second observation on the record.
//! 4. **Model** ([`model`]): what the stages hand each other: the [`model::Record`] of a URL,
//!    the closed value lists, what the crawl knows of the run ([`model::CrawlFacts`]).
//! 5. **Audit** ([`mod@audit`]): pure rules, [`audit::classify`] over a record: visibility,
//!    verdict, findings, severity. No I/O.
//! 6. **Report** ([`report`]): [`report::row::AuditRow::new`] is the only way from a record to
//!    the CSV's text; [`report::format`] has one file per format (CSV, JSON Lines, text,
//!    Markdown) and [`report::format::html`] the HTML report; [`report::diff`] compares with a
//!    baseline, [`report::summary`] says what a run found and writes its run record.
//!
//! The layers only look back: `crawl` imports neither `audit`'s callers nor `report`, `audit`
//! and `report` never import `crawl`, `model` and `config` import none of them (CI checks it).
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
