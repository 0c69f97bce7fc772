//! The CSV contract: one [`AuditRow`] per URL, its column order and its closed value lists.
//!
//! Column order is field order. New columns go at the end (people build on this file); the
//! header line is pinned by a test. Values that came from the audited site are neutralised
//! against spreadsheet formula injection when written and restored when read back.

use serde::{Deserialize, Serialize};

use crate::audit::{self, Classification, Severity, Verdict, Visibility};
use url::Url;

use crate::model::Rendered;
use crate::model::{Address, DiscoveredVia, ErrorKind, Kind, Record, RobotsVerdict, SkipReason};

/// Bumped whenever a column is added, removed or changes meaning, or a value is added
/// (5: the `assumed_public` finding and the `accepted` column).
pub const SCHEMA_VERSION: u32 = 5;

/// One row of the audit CSV: everything recorded about one URL.
// Read by column name, so that a file of a later schema (columns added at the end, values
// added to a list) reads as far as this version understands it: a missing column is empty, an
// unknown value of a closed list is read as empty ([`member`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
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
    #[serde(deserialize_with = "member_or_default")]
    pub discovered_via: DiscoveredVia,
    pub in_sitemap: bool,
    /// The first page (or sitemap, or redirecting URL) that led to this URL.
    pub referrer: String,
    /// How many links to this URL the crawl saw (completed at the end of the run).
    pub inlinks: u32,
    #[serde(deserialize_with = "member")]
    pub robots: Option<RobotsVerdict>,
    #[serde(deserialize_with = "member")]
    pub skip_reason: Option<SkipReason>,
    #[serde(deserialize_with = "member")]
    pub error: Option<ErrorKind>,
    /// Time to the response headers of the last attempt.
    pub response_ms: Option<u64>,
    /// Body bytes read, or the declared `Content-Length` when the body was not needed.
    pub bytes: Option<u64>,
    pub title: String,
    /// Attempts beyond the first (429, 503, timeouts, connection errors).
    pub retries: u32,
    #[serde(deserialize_with = "member_or_default")]
    pub kind: Kind,
    /// Free text that explains the row: the error's detail, caps hit, sitemap counts.
    pub note: String,
    /// `public`, `private` or `unknown` (see the audit rules).
    #[serde(deserialize_with = "member")]
    pub visibility: Option<Visibility>,
    /// One label per row: what the audit concluded (closed list).
    #[serde(deserialize_with = "member")]
    pub verdict: Option<Verdict>,
    /// The findings, `;`-separated (empty when none).
    pub finding: String,
    /// The highest severity among the findings.
    #[serde(deserialize_with = "member")]
    pub severity: Option<Severity>,
    /// With `--baseline`: `new` or `still` for each finding, aligned with `finding`.
    pub change: String,
    /// The schema version of this file ([`SCHEMA_VERSION`]), on every row so that a file of
    /// another version is recognised whatever tool produced or cut it.
    pub schema: u32,
    /// With `--render`: where the page ended once its scripts ran (client-side navigation).
    pub rendered_url: String,
    /// With `--render`: the title the page showed.
    pub rendered_title: String,
    /// With `--render`: characters of visible text the page showed.
    pub rendered_text: Option<u32>,
    /// With `--render`: the page showed a sign-in (a password form, a sign-in prompt, a
    /// redirect to a login page by script).
    pub rendered_sign_in: Option<bool>,
    /// With `--render`: what the page's scripts asked of the site and got, `;`-separated
    /// (`401 /api/me;200 /api/users`); `refused` for requests authwall did not send.
    pub api_calls: String,
    /// The findings of `finding` that an `[[accept]]` entry in force accepts, `;`-separated:
    /// still reported, left out of the exit code.
    pub accepted: String,
}

/// API calls listed in a row; the rest are counted.
const API_CALLS_LISTED: usize = 10;

impl AuditRow {
    /// The row of a record and what the rules concluded about it: the only way from the
    /// crawl's typed record to the CSV's text.
    pub fn new(record: &Record, verdict: &Classification) -> Self {
        let fetched = record.fetched.as_deref();
        let rendered = record.rendered.as_deref();
        let page = fetched.and_then(|f| f.page.as_ref());
        let text = |value: Option<&String>| value.cloned().unwrap_or_default();
        let mut note = record.note.clone();
        // The rules' note, unless the crawl's already says it.
        if let Some(rules) = verdict.note.as_deref().filter(|n| !note.contains(n)) {
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str(rules);
        }
        // A signed URL's query is a password while it lasts: never written.
        let url = audit::redact_signed;
        let chain: Vec<String> = record
            .hops
            .iter()
            .map(|hop| match hop.status {
                Some(status) => format!("{status} {}", url(&hop.target)),
                None => format!("meta {}", url(&hop.target)),
            })
            .collect();
        AuditRow {
            url: match &record.url {
                Address::Url(u) => url(u),
                Address::Invalid(text) => text.clone(),
            },
            status: record.status(),
            final_url: record.final_url().map(url).unwrap_or_default(),
            final_status: record.final_status,
            redirect_chain: chain.join(" -> "),
            content_type: text(fetched.map(|f| &f.content_type)),
            www_authenticate: text(fetched.map(|f| &f.www_authenticate)),
            x_robots_tag: text(fetched.map(|f| &f.x_robots_tag)),
            meta_robots: text(page.map(|p| &p.meta_robots)),
            canonical: text(page.map(|p| &p.canonical)),
            depth: record.found.depth,
            discovered_via: record.found.via,
            in_sitemap: record.found.in_sitemap,
            referrer: record
                .found
                .referrer
                .as_deref()
                .map(|text| match Url::parse(text) {
                    Ok(u) if text.contains('?') => url(&u),
                    _ => text.to_string(),
                })
                .unwrap_or_default(),
            inlinks: record.found.inlinks,
            robots: record.robots,
            skip_reason: record.skip,
            error: record.error,
            response_ms: fetched.and_then(|f| f.response_ms),
            bytes: fetched.and_then(|f| f.bytes),
            title: text(page.map(|p| &p.title)),
            retries: fetched.map_or(0, |f| f.retries),
            kind: record.kind,
            note,
            visibility: Some(verdict.visibility),
            verdict: Some(verdict.verdict),
            finding: verdict.findings_cell(),
            severity: verdict.severity,
            change: String::new(),
            schema: SCHEMA_VERSION,
            rendered_url: text(
                rendered
                    .and_then(|v| v.final_url.as_ref())
                    .map(Url::to_string)
                    .as_ref(),
            ),
            rendered_title: text(rendered.map(|v| &v.title)),
            rendered_text: rendered.map(|v| v.text_chars),
            rendered_sign_in: rendered.map(|v| v.password_input || v.sign_in),
            api_calls: rendered.map(api_calls).unwrap_or_default(),
            accepted: String::new(),
        }
    }

    /// The cells whose text can come from the audited site (spreadsheets must not take them
    /// for formulas).
    pub fn site_text_mut(&mut self) -> [&mut String; 14] {
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
            &mut self.rendered_url,
            &mut self.rendered_title,
            &mut self.api_calls,
        ]
    }
}

/// The `api_calls` cell: what each call got, and its path (the URL when on another origin).
fn api_calls(view: &Rendered) -> String {
    let origin = view.final_url.as_ref().map(Url::origin);
    let mut cells: Vec<String> = view
        .api
        .iter()
        .take(API_CALLS_LISTED)
        .map(|call| {
            let got = call.status.map_or("refused".to_string(), |s| s.to_string());
            let on_site = origin.as_ref() == Some(&call.url.origin());
            let url = if on_site {
                &call.url[url::Position::BeforePath..]
            } else {
                call.url.as_str()
            };
            format!("{got} {url}")
        })
        .collect();
    if view.api.len() > API_CALLS_LISTED {
        cells.push(format!("… {} more", view.api.len() - API_CALLS_LISTED));
    }
    cells.join(";")
}

/// A member of a closed list; `None` when the cell is empty or holds a value this version
/// does not know (a later schema's).
fn member<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    use serde::de::IntoDeserializer;
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let words: serde::de::value::StringDeserializer<serde::de::value::Error> =
        text.into_deserializer();
    Ok(T::deserialize(words).ok())
}

/// [`member`] of a list that always has a value: the default when unknown.
fn member_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(member(d)?.unwrap_or_default())
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
             finding,severity,change,schema,rendered_url,rendered_title,rendered_text,\
             rendered_sign_in,api_calls,accepted"
        );
    }
}
