//! What the crawl knows about the run as a whole, beyond its records: the audited origin, its
//! robots.txt and certificate, pacing, sitemaps, requests made and why it stopped.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ErrorKind;

/// Why a run stopped before its frontier was empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    Interrupt,
    Terminate,
    MaxDuration,
    /// The site kept refusing us ([`crate::crawl::REFUSAL_STORM`] pages in a row answered 429/503 to the
    /// end, or 403 across several areas after some 2xx): hammering on would be rude and every
    /// further answer meaningless.
    Refused,
}

/// What the crawl itself knows at the end, beyond the rows.
#[derive(Debug, Clone, Default)]
pub struct CrawlFacts {
    pub origin: String,
    /// `from -> to` when the start URL moved the scope.
    pub scope_moved: Option<(String, String)>,
    /// robots.txt of the audited origin: what it answered and what that means.
    pub robots: String,
    pub robots_unavailable: bool,
    pub crawl_delay: Option<Duration>,
    pub interval: Duration,
    pub concurrency: u32,
    pub sitemaps_read: u32,
    pub sitemap_urls: u64,
    pub sitemap_notes: Vec<String>,
    /// Requests this run sent, retries included.
    pub requests: u64,
    /// Answers taken from the journal of an interrupted run (`--resume`): not requests.
    pub replayed: u64,
    pub stopped: Option<StopCause>,
    /// The audited origin's certificate (https only).
    pub certificate: Option<Certificate>,
    /// The start URL could not be reached at all (connection, DNS, TLS): the audit did not run.
    pub start_unreachable: Option<String>,
    /// `authwall check`: origins whose robots.txt got no usable answer (their URLs were not
    /// checked), each with why: `http://host:port: connection refused …`.
    pub unreachable_origins: Vec<String>,
    /// With `--render`: what the browser did.
    pub rendered: Option<RenderFacts>,
    /// With a member session: what the member crawl did.
    pub member: Option<MemberFacts>,
    /// URLs only the member crawl reached, asked anonymously at the end.
    pub members_only: u64,
    pub elapsed: Duration,
}

/// What the member crawl reached: each URL that answered the member 2xx, with what the
/// member saw (its text's word pairs without the site's chrome).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members {
    pub pages: std::collections::HashMap<String, super::MemberView>,
}

/// What the member crawl did (`--member-cookies`, `--member-header-env`, `--login-url`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberFacts {
    /// How the member logged in, in words (never a secret): "cookie file cookies.txt".
    pub session: String,
    /// Requests the member crawl sent (the login and session checks included).
    pub requests: u64,
    /// URLs the member reached with a 2xx.
    pub reached: u64,
    /// Of those, the ones the anonymous crawl did not reach (or only as 401/403/login),
    /// asked again without the session.
    pub members_only: u64,
    /// The session ended during the member crawl: what was seen, and when.
    pub expired: Option<String>,
    /// URLs the member crawl met but did not ask (budget, session expired, stopped).
    pub not_checked: u64,
}

/// What the browser did (`--render`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderFacts {
    /// Pages shown in the browser.
    pub pages: u64,
    /// Requests the pages made that authwall sent for them (retries included).
    pub requests: u64,
    /// Requests the pages made that authwall refused: another origin, robots.txt, not a GET.
    pub refused: u64,
    /// Browsers started (1, plus one per restart).
    pub browsers: u32,
}

/// A certificate that expires sooner than this is announced in the summary.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// What the certificate of the audited origin says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    /// What the platform's verifier said, when it refused the chain.
    pub fault: Option<ErrorKind>,
    pub fault_detail: Option<String>,
}

impl Certificate {
    /// One line for the summary: what is wrong and what it means.
    pub fn fault_line(&self) -> Option<String> {
        let kind = self.fault?;
        let what = match kind {
            ErrorKind::TlsExpired => format!("certificate expired on {}", self.not_after),
            ErrorKind::TlsNotYetValid => {
                format!("certificate not valid before {}", self.not_before)
            }
            ErrorKind::TlsNameMismatch => "certificate issued for another name".to_string(),
            ErrorKind::TlsUntrusted => {
                "certificate not trusted (self-signed or unknown root)".to_string()
            }
            _ => "the TLS handshake fails".to_string(),
        };
        Some(format!(
            "TLS: {what} (subject {}, issuer {}, valid {} to {}): browsers and search engines \
             reach no page of this origin",
            self.subject, self.issuer, self.not_before, self.not_after
        ))
    }
}
