//! The typed record of one URL: what the crawl met, asked and learned about it. The engine
//! hands one on per URL once it is settled; the audit rules read it
//! ([`crate::audit::classify`]) and the report turns it into a row
//! ([`crate::report::row::AuditRow::new`]).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use super::{DiscoveredVia, ErrorKind, Kind, RobotsVerdict, SkipReason};

/// Everything known about one URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub url: Address,
    pub kind: Kind,
    pub found: Discovery,
    /// robots.txt's verdict for our user agent; `None` when it does not apply.
    pub robots: Option<RobotsVerdict>,
    /// Why it was not requested (then there is no observation).
    pub skip: Option<SkipReason>,
    /// The plain anonymous request: the observation every requested URL has. A view of the
    /// same URL through other eyes (rendered by a browser, asked as a member) is an
    /// observation of its own, next to this one.
    pub fetched: Option<Box<Fetched>>,
    /// The page as a browser showed it to an anonymous visitor, scripts run (`--render`).
    pub rendered: Option<Box<Rendered>>,
    /// What the member crawl saw at this URL (a members-only URL asked again anonymously),
    /// beside how the anonymous answer compares with it.
    pub member: Option<Box<MemberView>>,
    /// The redirect hops from this URL on (HTTP 3xx and meta refresh), in order; empty when
    /// it answered itself.
    pub hops: Vec<Hop>,
    /// The status where the chain ends (its own status when it does not redirect); `None`
    /// when the end was not requested or the chain broke.
    pub final_status: Option<u16>,
    /// Why the request or what it answered could not be used.
    pub error: Option<ErrorKind>,
    /// What the crawl has to say about this URL (an error's detail, caps hit, sitemap counts),
    /// `; `-separated.
    pub note: String,
    /// What the rest of the crawl says about this URL: refreshed when the run ends.
    pub context: Context,
}

impl Record {
    /// A URL met but not (yet) asked.
    pub fn new(url: Address, kind: Kind, found: Discovery) -> Self {
        Self {
            url,
            kind,
            found,
            robots: None,
            skip: None,
            fetched: None,
            rendered: None,
            member: None,
            hops: Vec::new(),
            final_status: None,
            error: None,
            note: String::new(),
            context: Context::default(),
        }
    }

    /// Its own status (of the last attempt); `None` when no response came or it was not asked.
    pub fn status(&self) -> Option<u16> {
        self.fetched.as_ref().and_then(|f| f.status)
    }

    /// Where the redirect chain ends: the last hop, else the URL itself; `None` when it was
    /// not requested.
    pub fn final_url(&self) -> Option<&Url> {
        if self.skip.is_some() {
            return None;
        }
        match self.hops.last() {
            Some(hop) => Some(&hop.target),
            None => self.url.url(),
        }
    }

    /// Add to the crawl's note.
    pub fn add_note(&mut self, note: &str) {
        if note.is_empty() {
            return;
        }
        if !self.note.is_empty() {
            self.note.push_str("; ");
        }
        self.note.push_str(note);
    }
}

/// A URL as met: parsed, or the text that is no usable URL (a sitemap's relative `<loc>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Url(Url),
    Invalid(String),
}

impl Address {
    pub fn url(&self) -> Option<&Url> {
        match self {
            Address::Url(url) => Some(url),
            Address::Invalid(_) => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Address::Url(url) => url.as_str(),
            Address::Invalid(text) => text,
        }
    }
}

/// How the crawl came to the URL. Final only once the run is over: a shorter way to it, or a
/// first-sorting referrer, may be found after its record was first handed on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    pub via: DiscoveredVia,
    /// Shortest link distance from a seed (start URL, sitemap entries).
    pub depth: u32,
    pub in_sitemap: bool,
    /// The first page (or sitemap, or redirecting URL) that led to this URL: the crawl's own
    /// text of that URL, shared (a record is kept until the run ends, for each URL met).
    pub referrer: Option<Arc<str>>,
    /// How many pages link to it.
    pub inlinks: u32,
}

/// What one request answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Status of the last attempt; `None` when no response came.
    pub status: Option<u16>,
    pub content_type: String,
    pub www_authenticate: String,
    pub x_robots_tag: String,
    /// Time to the response headers of the last attempt.
    pub response_ms: Option<u64>,
    /// Body bytes read, or the declared `Content-Length` when the body was not needed.
    pub bytes: Option<u64>,
    /// Attempts beyond the first.
    pub retries: u32,
    /// What the HTML page held; `None` for anything that is not an HTML page.
    pub page: Option<PageFacts>,
}

/// What an HTML page says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    pub title: String,
    pub meta_robots: String,
    pub canonical: String,
    pub shell: ShellSignals,
    /// Words of visible text outside `nav`, `header` and `footer`, counted up to 80.
    pub main_words: u32,
    /// An `<a>` to a login URL that brings the visitor back here (`/login?next=<this path>`).
    pub sign_in_back: bool,
}

/// What an HTML page holds before any script runs: enough to tell an app shell (a page whose
/// scripts draw everything, its own text nearly empty) from a page with content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellSignals {
    /// Words of visible text (outside script, style, template, noscript), counted up to
    /// [`ShellSignals::WORDS_COUNTED`].
    pub words: u32,
    /// Scripts that can draw the page: `<script src>` and inline scripts that are not data.
    pub scripts: u32,
    /// An element an app mounts into: an `id` of `root`, `app`, `__next`, `__nuxt`,
    /// `___gatsby` …, or a custom element (`<app-root>`).
    pub mount_point: bool,
    /// Bytes of data the page carries for its scripts (`<script type="application/json">`,
    /// `__NEXT_DATA__`, `window.__NUXT__`, `data-*-props`): its content is in the HTML.
    pub inline_data: u32,
}

impl ShellSignals {
    /// Visible words are counted up to here: past it a page is not a shell, whatever follows.
    pub const WORDS_COUNTED: u32 = 20;
}

/// What a page looked like to an anonymous visitor once its scripts ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// Where the page ended, after client-side navigation.
    pub final_url: Option<Url>,
    pub title: String,
    /// Characters of visible text.
    pub text_chars: u32,
    /// A visible password input.
    pub password_input: bool,
    /// A visible link or button that asks to sign in (a login or identity-provider URL, a
    /// "Sign in" button).
    pub sign_in: bool,
    /// Same-origin requests its scripts made (fetch, XHR), with what they got.
    pub api: Vec<ApiCall>,
    /// Why the render did not finish (timeout, too many navigations, the browser crashed).
    pub error: Option<String>,
}

/// A URL as the member saw it (a 2xx of the member crawl), and, on the anonymous request's
/// record, how the stranger's answer compares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub status: u16,
    /// An HTML page (else a file: PDF, CSV, image …).
    pub html: bool,
    /// The member's title: kept only with `--member-titles` (it may itself be private).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Body bytes (the declared length of a file).
    pub bytes: Option<u64>,
    /// The member page's word pairs (hashed, sorted): what the comparison looks for in the
    /// stranger's page. Emptied once compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shingles: Vec<u64>,
    /// A file's first bytes, hashed (SHA-256, first 8 bytes).
    pub head_hash: Option<u64>,
    /// The share of the member page's own text (word pairs, minus the site's chrome) that the
    /// stranger's page holds, 0–1; `None` when not compared (no 2xx HTML on both sides).
    pub contained: Option<f32>,
    /// A file: the stranger got the same size and first bytes.
    pub same_file: Option<bool>,
    /// The stranger's page asks to sign in (links to a login page, or says "sign in").
    pub sign_in_prompt: bool,
    /// The member's page links to a logout URL: it shows a live session (a page to check the
    /// session with, when none is given).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub logout_link: bool,
}

/// One request a page's scripts made while it was rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCall {
    pub url: Url,
    /// `None`: refused (another origin, robots.txt, not a GET).
    pub status: Option<u16>,
    /// It answered JSON.
    pub json: bool,
}

/// One redirect hop: the status that sent us on (`None` for a meta refresh) and where to.
/// Written `301 https://…` (`meta https://…`), as in the CSV's `redirect_chain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub status: Option<u16>,
    pub target: Url,
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{status} {}", self.target),
            None => write!(f, "meta {}", self.target),
        }
    }
}

impl std::str::FromStr for Hop {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (status, target) = text
            .split_once(' ')
            .ok_or_else(|| format!("{text:?} is no redirect hop"))?;
        let status = match status {
            "meta" => None,
            s => Some(s.parse().map_err(|_| format!("{s:?} is no status"))?),
        };
        let target = Url::parse(target).map_err(|e| format!("{target:?}: {e}"))?;
        Ok(Hop { status, target })
    }
}

impl Serialize for Hop {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The chain of hops as the CSV writes it: `301 https://… -> 302 https://…`.
pub fn chain_text(hops: &[Hop]) -> String {
    let mut text = String::new();
    for (i, hop) in hops.iter().enumerate() {
        if i > 0 {
            text.push_str(" -> ");
        }
        text.push_str(&hop.to_string());
    }
    text
}

/// How a private 200 compares with the site's answers to paths that cannot exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatchAll {
    /// No calibration answered 200 with a similar page: the 200 is real.
    #[default]
    No,
    /// Near-identical to the answer for a random path at the root: the site answers 200 to
    /// anything, so this 200 proves nothing.
    MatchesRoot,
    /// Near-identical only to a random path inside the same private prefix: an app that
    /// serves its (private) page for any path below it. Still a leak.
    MatchesSibling,
}

/// What the crawl knows about a URL beyond its own answer, from the rest of the site: the
/// evidence the audit rules weigh besides the record's own facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// The URL matches a private pattern.
    pub private: bool,
    /// Only an ambiguous built-in pattern makes it private (`/user`, `/profile` …): public
    /// where the site itself offers it to anyone and it answers with content.
    pub ambiguous: bool,
    /// The site exposes it publicly: the start URL, listed in a sitemap, linked from a public
    /// page, or a redirect target of a public URL. A record that is exposed only as a
    /// redirect target (`via = redirect`, not in a sitemap, not linked from a public page) is
    /// `public` but carries no `public_*` finding: its source does.
    pub exposed: bool,
    /// Some public page links to it (`<a>`, `<area>`; not only canonical).
    pub linked_from_public: bool,
    /// Some login page links to it.
    pub linked_from_login: bool,
    /// The page at the end of its chain (the URL itself when it does not redirect) holds a
    /// password input.
    pub final_login_form: bool,
    /// The final page is the target of some login redirect seen on the site (so it is the
    /// site's own login page).
    pub final_is_login_target: bool,
    /// A bot-challenge signature was seen on its response or at the end of its chain.
    pub challenge: bool,
    /// Catch-all calibration of a private 200.
    pub catch_all: CatchAll,
    /// A private 200 whose catch-all calibration never came back (the run was stopped).
    pub uncalibrated: bool,
    /// robots.txt disallows it for the index agent (`--index-agent`, default Googlebot).
    pub index_disallowed: bool,
    /// Answered during a refusal storm (a firewall ban): never a finding.
    pub refused: bool,
    /// `noindex` for the index agent (meta robots or X-Robots-Tag, unscoped or scoped to it).
    pub noindex: bool,
    /// The URL's own page holds a password input.
    pub login_form: bool,
    /// A password form on the page posts to an `http://` action.
    pub form_posts_http: bool,
    /// Its login form is the same as another URL's (`/login?next=/a` and `/login`), and
    /// that URL carries the form's findings.
    pub login_form_elsewhere: bool,
    /// The page (served over https) links a login page over `http://`.
    pub links_http_login: bool,
    /// A private page's scripts asked this URL and got 2xx JSON while the page showed no
    /// sign-in: the data behind the page, served to anyone.
    pub private_api: bool,
    /// Requested only because such a URL usually exists (`/sitemap.xml` when robots.txt names
    /// no sitemap), and nothing is there: a 4xx, or a page that is no sitemap at all (a
    /// catch-all's HTML). No error: the site has no sitemap.
    pub absent_guess: bool,
    /// The member crawl reached it with a 2xx: if it keeps an anonymous visitor out, it is
    /// members-only, not a public page behind a wall.
    pub member_reached: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_read_back_as_they_are_written() {
        for text in ["301 https://a.example/x?y=1", "meta http://a.example/"] {
            let hop: Hop = text.parse().unwrap();
            assert_eq!(hop.to_string(), text);
            let json = serde_json::to_string(&hop).unwrap();
            assert_eq!(serde_json::from_str::<Hop>(&json).unwrap(), hop);
        }
        assert!("301".parse::<Hop>().is_err());
        assert!("abc https://a/".parse::<Hop>().is_err());
    }

    #[test]
    fn final_url_is_the_last_hop_or_the_url_and_none_when_skipped() {
        let url = Url::parse("https://a.example/x").unwrap();
        let mut record = Record::new(Address::Url(url.clone()), Kind::Page, Discovery::default());
        assert_eq!(record.final_url(), Some(&url));
        record
            .hops
            .push("302 https://a.example/login".parse().unwrap());
        assert_eq!(record.final_url().unwrap().path(), "/login");
        assert_eq!(
            chain_text(&record.hops),
            "302 https://a.example/login".to_string()
        );
        record.skip = Some(SkipReason::Robots);
        assert_eq!(record.final_url(), None);
    }
}
