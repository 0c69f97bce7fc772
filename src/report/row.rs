//! The CSV contract: one [`AuditRow`] per URL, its column order and its closed value lists.
//!
//! Column order is field order. New columns go at the end (people build on this file); the
//! header line is pinned by a test. Values that came from the audited site are neutralised
//! against spreadsheet formula injection when written and restored when read back.

use serde::{Deserialize, Serialize};

use crate::audit::{Severity, Verdict, Visibility};

/// The CSV spelling of a value-list member (`SkipReason::OutOfScope` -> `out_of_scope`).
pub fn label<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Bumped whenever a column is added, removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 3;

/// How the crawl first met a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveredVia {
    /// The start URL, robots.txt, a sitemap named by robots.txt or `--sitemap`.
    #[default]
    Seed,
    /// Listed in a sitemap (or a child sitemap of an index).
    Sitemap,
    /// Linked from a page (`<a>`, `<area>`, canonical, alternate).
    Link,
    /// The target of a redirect hop (HTTP 3xx or `<meta http-equiv=refresh>`).
    Redirect,
    /// Requested because it is a conventional private path (audit rules).
    Probe,
}

/// What kind of resource the row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Page,
    RobotsTxt,
    Sitemap,
}

/// robots.txt's verdict for our user agent; empty when it does not apply (off-scope, invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotsVerdict {
    Allowed,
    Disallowed,
}

/// Why a URL that the crawl met was not requested. A closed list: README.md documents each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// robots.txt disallows it for our user agent.
    Robots,
    /// Another scheme, host or port than the audited origin.
    OutOfScope,
    /// Not a usable URL (a sitemap `<loc>` that is relative, `javascript:` …).
    InvalidUrl,
    /// Filtered out by `--include` / `--exclude`.
    Excluded,
    /// The `--max-pages` budget was spent.
    MaxPages,
    /// Deeper than `--max-depth` links from the seeds.
    MaxDepth,
    /// Its path already had `--max-query-variants` distinct query strings.
    TrapQuery,
    /// More than `--max-path-segments` path segments.
    TrapDepth,
    /// A run of path segments repeats (`/a/b/a/b/a/b`).
    TrapRepeat,
    /// Longer than `--max-url-length`.
    TrapLength,
    /// Reached through more than 10 redirect hops.
    RedirectLimit,
    /// `--max-duration` ran out before it was requested.
    MaxDuration,
    /// The run was interrupted (Ctrl-C, SIGTERM) before it was requested.
    Interrupted,
    /// The site kept refusing us (429/503 storm) and the crawl stopped before this URL.
    Refused,
    /// It looks like a logout link: following it could end a session (never followed).
    Logout,
}

/// Why a request did not produce a usable response. A closed list: README.md documents each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No complete response within `--timeout` (headers and body).
    Timeout,
    /// The connection could not be made (refused, reset, DNS).
    Connect,
    /// The TLS handshake failed (certificate or protocol).
    Tls,
    /// The body was cut off by the server or the connection.
    BodyRead,
    /// The body exceeded `--max-body`; the part read was used.
    BodyTruncated,
    /// A redirect chain of more than 10 hops.
    TooManyRedirects,
    /// A redirect chain that comes back to a URL already in it.
    RedirectLoop,
    /// A 3xx without a usable `Location` header.
    InvalidRedirect,
    /// 429 or 503 still answered after `--retries` retries.
    RetriesExhausted,
    /// A sitemap that could not be parsed (malformed XML, bad gzip, not a sitemap).
    InvalidSitemap,
    /// Any other HTTP-level failure.
    Http,
    /// The server's certificate has expired.
    TlsExpired,
    /// The server's certificate is not valid yet.
    TlsNotYetValid,
    /// The server's certificate was issued for another name.
    TlsNameMismatch,
    /// The server's certificate is self-signed or chained to an unknown root.
    TlsUntrusted,
}

/// One row of the audit CSV: everything recorded about one URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// The normalised URL (as requested).
    pub url: String,
    /// Status of the first response of the last attempt; empty when no response came.
    pub status: Option<u16>,
    /// Where the redirect chain ends (the URL itself when it does not redirect).
    pub final_url: String,
    /// Status at `final_url`; empty when that URL was not fetched.
    pub final_status: Option<u16>,
    /// Each hop: `301 https://… -> 302 https://…`; `meta` for a meta refresh.
    pub redirect_chain: String,
    pub content_type: String,
    pub www_authenticate: String,
    pub x_robots_tag: String,
    pub meta_robots: String,
    pub canonical: String,
    /// Shortest link distance from a seed (start URL, sitemap entries).
    pub depth: u32,
    pub discovered_via: DiscoveredVia,
    pub in_sitemap: bool,
    /// The first page (or sitemap, or redirecting URL) that led to this URL.
    pub referrer: String,
    /// How many links to this URL the crawl saw (completed at the end of the run).
    pub inlinks: u32,
    pub robots: Option<RobotsVerdict>,
    pub skip_reason: Option<SkipReason>,
    pub error: Option<ErrorKind>,
    /// Time to the response headers of the last attempt.
    pub response_ms: Option<u64>,
    /// Body bytes read, or the declared `Content-Length` when the body was not needed.
    pub bytes: Option<u64>,
    pub title: String,
    /// Attempts beyond the first (429, 503, timeouts, connection errors).
    pub retries: u32,
    pub kind: Kind,
    /// Free text that explains the row: the error's detail, caps hit, sitemap counts.
    pub note: String,
    /// `public`, `private` or `unknown` (see the audit rules).
    pub visibility: Option<Visibility>,
    /// One label per row: what the audit concluded (closed list).
    pub verdict: Option<Verdict>,
    /// The findings, `;`-separated (empty when none).
    pub finding: String,
    /// The highest severity among the findings.
    pub severity: Option<Severity>,
    /// With `--baseline`: `new` or `still` for each finding, aligned with `finding`.
    pub change: String,
    /// The schema version of this file ([`SCHEMA_VERSION`]), on every row so that a file of
    /// another version is recognised whatever tool produced or cut it.
    pub schema: u32,
}

/// Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection"),
/// plus our own escape character so that neutralising is exactly reversible.
const FORMULA_TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

impl AuditRow {
    /// The cells whose text can come from the audited site.
    fn text_cells_mut(&mut self) -> [&mut String; 11] {
        [
            &mut self.url,
            &mut self.final_url,
            &mut self.redirect_chain,
            &mut self.content_type,
            &mut self.www_authenticate,
            &mut self.x_robots_tag,
            &mut self.meta_robots,
            &mut self.canonical,
            &mut self.referrer,
            &mut self.title,
            &mut self.note,
        ]
    }

    /// Prefix formula-like cells with `'` so that spreadsheets show them as text.
    pub fn neutralise(&mut self) {
        for cell in self.text_cells_mut() {
            if cell.starts_with(FORMULA_TRIGGERS) {
                cell.insert(0, '\'');
            }
        }
    }

    /// Undo [`AuditRow::neutralise`]: readers of our own CSV get the site's text back.
    pub fn restore(&mut self) {
        for cell in self.text_cells_mut() {
            if cell.starts_with('\'') && cell[1..].starts_with(FORMULA_TRIGGERS) {
                cell.remove(0);
            }
        }
    }
}

/// The header line, derived from the struct so it cannot drift from the rows.
pub fn header() -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Serialising a row writes the header first; keep only that line.
    if writer.serialize(AuditRow::default()).is_err() {
        return String::new();
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_line_is_pinned() {
        assert_eq!(
            header(),
            "url,status,final_url,final_status,redirect_chain,content_type,www_authenticate,\
             x_robots_tag,meta_robots,canonical,depth,discovered_via,in_sitemap,referrer,inlinks,\
             robots,skip_reason,error,response_ms,bytes,title,retries,kind,note,visibility,verdict,\
             finding,severity,change,schema"
        );
    }

    fn serialized<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn skip_reason_list_is_pinned() {
        use SkipReason::*;
        let all = [
            Robots,
            OutOfScope,
            InvalidUrl,
            Excluded,
            MaxPages,
            MaxDepth,
            TrapQuery,
            TrapDepth,
            TrapRepeat,
            TrapLength,
            RedirectLimit,
            MaxDuration,
            Interrupted,
            Refused,
            Logout,
        ];
        assert_eq!(
            serialized(&all).join(","),
            "robots,out_of_scope,invalid_url,excluded,max_pages,max_depth,trap_query,trap_depth,\
             trap_repeat,trap_length,redirect_limit,max_duration,interrupted,refused,logout"
        );
    }

    #[test]
    fn error_list_is_pinned() {
        use ErrorKind::*;
        let all = [
            Timeout,
            Connect,
            Tls,
            BodyRead,
            BodyTruncated,
            TooManyRedirects,
            RedirectLoop,
            InvalidRedirect,
            RetriesExhausted,
            InvalidSitemap,
            Http,
            TlsExpired,
            TlsNotYetValid,
            TlsNameMismatch,
            TlsUntrusted,
        ];
        assert_eq!(
            serialized(&all).join(","),
            "timeout,connect,tls,body_read,body_truncated,too_many_redirects,redirect_loop,\
             invalid_redirect,retries_exhausted,invalid_sitemap,http,tls_expired,tls_not_yet_valid,\
             tls_name_mismatch,tls_untrusted"
        );
    }

    #[test]
    fn neutralise_then_restore_round_trips_hostile_text() {
        let hostile = [
            "=HYPERLINK(\"http://evil\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'=already quoted",
            "'plain quote",
            "normal",
            "",
        ];
        for text in hostile {
            let mut row = AuditRow {
                title: text.to_string(),
                www_authenticate: text.to_string(),
                ..AuditRow::default()
            };
            row.neutralise();
            assert!(
                !row.title.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{text:?} stayed a formula: {:?}",
                row.title
            );
            row.restore();
            assert_eq!(row.title, text);
            assert_eq!(row.www_authenticate, text);
        }
    }
}
