//! The rules: everything known about one URL (a [`Record`]) -> visibility, verdict, findings and
//! severity ([`Classification`]).
//!
//! Order of the checks, first match wins for the verdict:
//! 1. not requested (`skip_reason`) -> `not_checked`; only the findings that need no answer
//!    (`sitemap_private`, `sitemap_disallowed`, `private_linked_publicly`) may apply;
//! 2. answered during a refusal storm -> `unverified`, no finding;
//! 3. a challenge signature on a 403/429/503 (own or at the end of the chain) ->
//!    `bot_challenge`, no finding;
//! 4. no response, 429/503 to the end (own or at the end of the chain) -> `unverified`,
//!    no finding;
//! 5. robots.txt and sitemap documents -> `ok` or `error`, no finding;
//! 6. pages: the private, public or unknown rules below, then `missing_www_authenticate`,
//!    the sitemap findings and `private_linked_publicly`.
//!
//! Findings go on the URL the site exposes, once: a row that is public only because a public
//! URL redirects to it carries no `public_*` finding (its source does), and a private URL
//! that redirects is judged by where it lands — the landing URL has its own row, so a leak is
//! reported there and not again on every hop.

use url::Url;

#[cfg(test)]
use super::signals::is_noindex;
use super::signals::{is_login_page_url, is_login_url};
use super::values::{Finding, Severity, Verdict, Visibility};
use crate::model::{CatchAll, Context, DiscoveredVia, ErrorKind, Kind, Record, SkipReason};

/// What the rules concluded about one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub visibility: Visibility,
    pub verdict: Verdict,
    /// In [`Finding::VARIANTS`] order, each at most once.
    pub findings: Vec<Finding>,
    /// The highest severity of the findings; `None` when there is none.
    pub severity: Option<Severity>,
    /// A short explanation for the row's `note` column, when the verdict needs one.
    pub note: Option<String>,
}

impl Classification {
    /// The `finding` cell: labels joined with `;` (empty when none).
    pub fn findings_cell(&self) -> String {
        self.findings
            .iter()
            .map(Finding::to_string)
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Apply the rules to one record. Total: any record, however odd, gets a classification.
pub fn classify(r: &Record) -> Classification {
    let f = &r.context;
    let in_scope = !matches!(
        r.skip,
        Some(SkipReason::OutOfScope | SkipReason::InvalidUrl)
    );
    // Private patterns and exposure describe the audited site; another origin's `/admin`
    // is neither ours to protect nor ours to expose.
    let visibility = if !in_scope {
        Visibility::Unknown
    } else if f.private {
        Visibility::Private
    } else if f.exposed {
        Visibility::Public
    } else {
        Visibility::Unknown
    };
    let mut out = judge(r, visibility, in_scope);
    let trusted = !matches!(out.verdict, Verdict::Unverified | Verdict::BotChallenge);
    let refused = f.refused || f.uncalibrated;
    if in_scope && r.kind == Kind::Page && r.skip.is_none() && !refused && trusted {
        in_clear(r, &mut out.findings);
    }
    out.findings.sort();
    out.findings.dedup();
    let severity = out
        .findings
        .iter()
        .map(|finding| finding.severity(r.found.in_sitemap))
        .max();
    Classification {
        visibility,
        verdict: out.verdict,
        findings: out.findings,
        severity,
        note: out.note,
    }
}

/// Credentials in clear (issue 7): independent of visibility, since a password sent over
/// plain HTTP is readable on the wire whoever is meant to see the page.
fn in_clear(r: &Record, findings: &mut Vec<Finding>) {
    let f = &r.context;
    let http = r.url.as_str().starts_with("http://");
    let own = r.status();
    let www_authenticate = r
        .fetched
        .as_ref()
        .map_or("", |x| x.www_authenticate.as_str());
    if f.form_posts_http || (http && f.login_form && own.is_some_and(|s| (200..300).contains(&s))) {
        findings.push(Finding::LoginOverHttp);
    }
    let basic = www_authenticate
        .split([',', '|'])
        .any(|c| c.trim_start().to_ascii_lowercase().starts_with("basic"));
    if http && own == Some(401) && basic {
        findings.push(Finding::BasicAuthOverHttp);
    }
    let first_hop_http = r
        .hops
        .first()
        .is_some_and(|hop| hop.target.scheme() == "http");
    if r.url.as_str().starts_with("https://") && (first_hop_http || f.links_http_login) {
        findings.push(Finding::HttpsDowngrade);
    }
}

/// The verdict under construction.
struct Out {
    verdict: Verdict,
    findings: Vec<Finding>,
    note: Option<String>,
}

impl Out {
    fn new(verdict: Verdict) -> Self {
        Self {
            verdict,
            findings: Vec::new(),
            note: None,
        }
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    fn with(mut self, findings: &[Finding]) -> Self {
        self.findings.extend_from_slice(findings);
        self
    }
}

/// What the record's response says, read once.
struct Answer<'a> {
    /// Status of the URL's own response.
    own: Option<u16>,
    /// Status where the chain ends (the own status when it does not redirect); `None` when
    /// the end was not requested or the chain broke.
    end: Option<u16>,
    /// HTTP or meta-refresh hops.
    redirects: bool,
    /// Where the chain ends (the URL itself when it does not redirect).
    final_url: Option<&'a Url>,
    url: Option<&'a Url>,
}

impl<'a> Answer<'a> {
    fn of(r: &'a Record) -> Self {
        let redirects = !r.hops.is_empty();
        let url = r.url.url();
        let (end, final_url) = if redirects {
            (r.final_status, r.final_url())
        } else {
            (r.final_status.or(r.status()), url)
        };
        Self {
            own: r.status(),
            end,
            redirects,
            final_url,
            url,
        }
    }

    fn end_in(&self, statuses: &[u16]) -> bool {
        self.end.is_some_and(|s| statuses.contains(&s))
    }

    fn end_success(&self) -> bool {
        self.end.is_some_and(|s| (200..300).contains(&s))
    }

    /// The chain lands on a login page: a login URL (off-site identity providers included,
    /// recognised without fetching them) or a fetched page holding a password form.
    fn lands_on_login(&self, f: &Context) -> bool {
        self.redirects && (self.final_url.is_some_and(is_login_url) || f.final_login_form)
    }

    /// The URL itself is a login page by its path or host.
    fn is_login_entry(&self) -> bool {
        self.url.is_some_and(is_login_page_url)
    }
}

/// Statuses a bot wall answers with.
const WALL: [u16; 3] = [403, 429, 503];
/// Statuses that mean "try again later"; the engine retries them, so one that remains is an
/// answer we could not get.
const LATER: [u16; 2] = [429, 503];
/// Statuses that keep a private page from anonymous visitors.
const KEPT_OUT: [u16; 4] = [401, 403, 404, 410];

const NOTE_ROBOTS: &str = "not checked (robots.txt): on a site you own, re-run with \
                           --ignore-robots to check this private path";
const NOTE_REFUSED: &str = "answered while the site was refusing us: not a finding, re-run later";
const NOTE_CHALLENGE: &str = "bot-protection challenge: says nothing about the site's auth \
                              (authwall never tries to get past it)";
const NOTE_CATCH_ALL: &str = "answers like a random path that cannot exist (the site answers \
                              200 to anything): this 200 proves nothing";
const NOTE_SIBLING: &str = "every path under this prefix answers the same page";
const NOTE_UNCALIBRATED: &str =
    "not judged: the catch-all check did not finish before the run stopped";

fn judge(r: &Record, visibility: Visibility, in_scope: bool) -> Out {
    let f = &r.context;
    if let Some(reason) = r.skip {
        let mut out = Out::new(Verdict::NotChecked);
        if in_scope && r.kind == Kind::Page {
            static_findings(r, visibility, &mut out);
        }
        if reason == SkipReason::Robots && visibility == Visibility::Private {
            out = out.note(NOTE_ROBOTS);
        }
        return out;
    }
    if f.refused {
        return Out::new(Verdict::Unverified).note(NOTE_REFUSED);
    }
    if f.uncalibrated {
        return Out::new(Verdict::Unverified).note(NOTE_UNCALIBRATED);
    }
    let a = Answer::of(r);
    let walled_by_bot =
        a.own.is_some_and(|s| WALL.contains(&s)) || (a.redirects && a.end_in(&WALL));
    if f.challenge && walled_by_bot {
        return Out::new(Verdict::BotChallenge).note(NOTE_CHALLENGE);
    }
    if a.own.is_none()
        || r.error == Some(ErrorKind::RetriesExhausted)
        || a.own.is_some_and(|s| LATER.contains(&s))
    {
        return Out::new(Verdict::Unverified);
    }
    if a.redirects && a.end_in(&LATER) {
        let end = a.end.unwrap_or_default();
        return Out::new(Verdict::Unverified).note(format!(
            "its redirect target answered {end} to the end: not verified"
        ));
    }
    match r.kind {
        Kind::RobotsTxt | Kind::Sitemap => return document(r, &a),
        Kind::Page => {}
    }
    let mut out = match visibility {
        Visibility::Private => private(r, &a),
        Visibility::Public => open(r, &a, true),
        Visibility::Unknown => open(r, &a, false),
    };
    // RFC 9110 §15.5.2: on the row whose own response was the 401 — a chain that ends at a
    // 401 elsewhere does not repeat it, the hop's own row carries it.
    let www_authenticate = r
        .fetched
        .as_ref()
        .map_or("", |x| x.www_authenticate.as_str());
    if a.own == Some(401) && www_authenticate.trim().is_empty() {
        out.findings.push(Finding::MissingWwwAuthenticate);
    }
    static_findings(r, visibility, &mut out);
    if r.found.in_sitemap {
        if a.redirects {
            out.findings.push(Finding::SitemapRedirect);
        }
        // A chain that broke (loop, too many hops) ends nowhere: not 200 either. A chain
        // whose end was not requested (another host, robots.txt) proves nothing.
        let broken = a.end.is_none()
            && matches!(
                r.error,
                Some(
                    ErrorKind::RedirectLoop
                        | ErrorKind::TooManyRedirects
                        | ErrorKind::InvalidRedirect
                )
            );
        if a.end.is_some_and(|s| s != 200) || broken {
            out.findings.push(Finding::SitemapNonOk);
        }
    }
    out
}

/// Findings that need no answer from the site: what its sitemap and links say.
fn static_findings(r: &Record, visibility: Visibility, out: &mut Out) {
    let (f, in_sitemap) = (&r.context, r.found.in_sitemap);
    let private = visibility == Visibility::Private;
    if in_sitemap && private {
        out.findings.push(Finding::SitemapPrivate);
    }
    if in_sitemap && f.index_disallowed {
        out.findings.push(Finding::SitemapDisallowed);
    }
    if private && f.linked_from_public {
        out.findings.push(Finding::PrivateLinkedPublicly);
    }
}

/// robots.txt and sitemap documents: usable or not. robots.txt answering 4xx is fine
/// (RFC 9309: no restrictions); a sitemap must answer 2xx and parse.
fn document(r: &Record, a: &Answer) -> Out {
    let parsed = r.error.is_none_or(|e| e == ErrorKind::BodyTruncated);
    let usable = match r.kind {
        Kind::RobotsTxt => a
            .end
            .is_some_and(|s| (200..500).contains(&s) && !(300..400).contains(&s)),
        _ => a.end_success(),
    };
    Out::new(if usable && parsed {
        Verdict::Ok
    } else {
        Verdict::Error
    })
}

/// A private URL: kept out, a login page, a leak, or a redirect judged where it lands.
fn private(r: &Record, a: &Answer) -> Out {
    let f = &r.context;
    if a.redirects {
        if a.lands_on_login(f) || a.end_in(&KEPT_OUT) {
            return Out::new(Verdict::Protected);
        }
        if a.end_success() {
            // `/admin` -> `/admin/` (private, judged on its own row) or -> `/` (the home page
            // of a site that sends unknown paths home: no private content served at all).
            let to = a.final_url.map_or("", Url::as_str);
            return Out::new(Verdict::Redirect)
                .note(format!("redirects to {to}: judged on that URL's own row"));
        }
        return after_redirect(r);
    }
    match a.end {
        Some(s) if KEPT_OUT.contains(&s) => Out::new(Verdict::Protected),
        // Nothing is served with 204/205.
        Some(204 | 205) => Out::new(Verdict::Ok),
        Some(200..=299) => private_content(f, a),
        _ => Out::new(Verdict::Error),
    }
}

/// A private URL that answers 2xx itself.
fn private_content(f: &Context, a: &Answer) -> Out {
    if f.final_login_form || f.final_is_login_target || a.is_login_entry() {
        return Out::new(Verdict::PrivateLoginPage);
    }
    let mut out = match f.catch_all {
        CatchAll::MatchesRoot => return Out::new(Verdict::CatchAll).note(NOTE_CATCH_ALL),
        CatchAll::MatchesSibling => Out::new(Verdict::Leak).note(NOTE_SIBLING),
        CatchAll::No => Out::new(Verdict::Leak),
    };
    out.findings.push(Finding::PrivateLeak);
    if !f.noindex && !f.index_disallowed {
        out.findings.push(Finding::PrivateIndexable);
    }
    out
}

/// A public URL (`public`) or one the site does not expose (`!public`).
fn open(r: &Record, a: &Answer, public: bool) -> Out {
    let f = &r.context;
    let in_sitemap = r.found.in_sitemap;
    // The site's own login entry points (`/login`, `/wp-login.php`, an IdP) are not content:
    // search engines are not expected to index them, whatever they answer.
    if a.is_login_entry()
        && if a.redirects {
            a.lands_on_login(f)
        } else {
            a.end_success() || a.end_in(&[401, 403])
        }
    {
        return Out::new(Verdict::LoginPage);
    }
    let mut walls = Vec::new();
    if a.end == Some(401) {
        walls.push(Finding::Public401);
    }
    if a.end == Some(403) {
        walls.push(Finding::Public403);
    }
    if a.lands_on_login(f) {
        walls.push(Finding::PublicLoginRedirect);
    }
    let login_form_as_content = public
        && !a.redirects
        && a.end_success()
        && f.final_login_form
        && !f.final_is_login_target
        && (in_sitemap || f.linked_from_public);
    if login_form_as_content {
        walls.push(Finding::PublicLoginPage);
    }
    if !walls.is_empty() {
        if !public {
            return Out::new(Verdict::Protected);
        }
        let hop_only =
            r.found.via == DiscoveredVia::Redirect && !in_sitemap && !f.linked_from_public;
        if hop_only {
            let from = match &r.found.referrer {
                Some(referrer) => referrer.to_string(),
                None => "a public URL".to_string(),
            };
            return Out::new(Verdict::Walled).note(format!(
                "redirect target of {from}: the finding is reported there"
            ));
        }
        return Out::new(Verdict::Walled).with(&walls);
    }
    if a.redirects {
        if a.end_success() || (a.end.is_none() && r.error.is_none()) {
            return Out::new(Verdict::Redirect);
        }
        return after_redirect(r);
    }
    if a.end_success() {
        if f.final_login_form || f.final_is_login_target {
            return Out::new(Verdict::LoginPage);
        }
        return Out::new(Verdict::Ok);
    }
    Out::new(Verdict::Error)
}

/// A chain that neither lands fine nor on a wall: broken or ending at another error. A
/// chain whose end was not requested (another host, robots.txt …) is only a redirect.
fn after_redirect(r: &Record) -> Out {
    if r.final_status.is_none() && r.error.is_none() {
        Out::new(Verdict::Redirect)
    } else {
        Out::new(Verdict::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Discovery, Fetched, Hop, PageFacts};
    use Finding::*;

    /// One record plus the engine's facts about it, built fluently.
    #[derive(Clone)]
    struct Given {
        record: Record,
    }

    const SITE: &str = "https://ex.com";

    fn abs(path: &str) -> String {
        if path.contains("://") {
            path.to_string()
        } else {
            format!("{SITE}{path}")
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a test URL")
    }

    /// A record of `url` answering `status` itself, found by a link.
    fn answered(url: &str, status: Option<u16>) -> Record {
        let mut record = Record::new(
            Address::Url(self::url(url)),
            Kind::Page,
            Discovery {
                via: DiscoveredVia::Link,
                ..Discovery::default()
            },
        );
        record.fetched = Some(Fetched {
            status,
            ..Fetched::default()
        });
        record.final_status = status;
        record
    }

    /// A URL answering `status` itself (no redirect), found by a link from a private page
    /// (so neither public nor linked until told).
    fn get(path: &str, status: u16) -> Given {
        Given {
            record: answered(&abs(path), Some(status)),
        }
    }

    /// A URL redirecting through `hops` (status, target) to an end answering `end`.
    fn chain(path: &str, hops: &[(Option<u16>, &str)], end: Option<u16>) -> Given {
        let mut g = get(path, hops[0].0.unwrap_or(200));
        g.record.hops = hops
            .iter()
            .map(|(status, target)| Hop {
                status: *status,
                target: url(&abs(target)),
            })
            .collect();
        g.record.final_status = end;
        g
    }

    impl Given {
        fn ctx(&mut self) -> &mut Context {
            &mut self.record.context
        }
        fn www_authenticate(&mut self) -> &mut String {
            &mut self.record.fetched.get_or_insert_default().www_authenticate
        }
        fn private(mut self) -> Self {
            self.ctx().private = true;
            self
        }
        /// Linked from a public page.
        fn linked(mut self) -> Self {
            self.ctx().linked_from_public = true;
            self.ctx().exposed = true;
            self
        }
        fn sitemap(mut self) -> Self {
            self.record.found.in_sitemap = true;
            self.record.found.via = DiscoveredVia::Sitemap;
            self.ctx().exposed = true;
            self
        }
        fn start(mut self) -> Self {
            self.record.found.via = DiscoveredVia::Seed;
            self.ctx().exposed = true;
            self
        }
        fn probe(mut self) -> Self {
            self.record.found.via = DiscoveredVia::Probe;
            self
        }
        /// A redirect target of a public URL, and nothing else.
        fn hop_of_public(mut self, from: &str) -> Self {
            self.record.found.via = DiscoveredVia::Redirect;
            self.record.found.referrer = Some(url(&abs(from)));
            self.ctx().exposed = true;
            self
        }
        /// A redirect target, passed as not exposed.
        fn hop(mut self, from: &str) -> Self {
            self.record.found.via = DiscoveredVia::Redirect;
            self.record.found.referrer = Some(url(&abs(from)));
            self
        }
        fn form(mut self) -> Self {
            self.ctx().final_login_form = true;
            self.ctx().login_form = true;
            self
        }
        fn login_target(mut self) -> Self {
            self.ctx().final_is_login_target = true;
            self
        }
        fn challenge(mut self) -> Self {
            self.ctx().challenge = true;
            self
        }
        fn catch_all(mut self, c: CatchAll) -> Self {
            self.ctx().catch_all = c;
            self
        }
        fn disallowed(mut self) -> Self {
            self.ctx().index_disallowed = true;
            self
        }
        fn refused(mut self) -> Self {
            self.ctx().refused = true;
            self
        }
        fn www(mut self, value: &str) -> Self {
            *self.www_authenticate() = value.to_string();
            self
        }
        fn meta(mut self, value: &str) -> Self {
            let fetched = self.record.fetched.get_or_insert_default();
            fetched.page.get_or_insert_default().meta_robots = value.to_string();
            self
        }
        fn xrt(mut self, value: &str) -> Self {
            self.record.fetched.get_or_insert_default().x_robots_tag = value.to_string();
            self
        }
        fn error(mut self, e: ErrorKind) -> Self {
            self.record.error = Some(e);
            self
        }
        fn no_response(mut self, e: ErrorKind) -> Self {
            self.record.fetched.get_or_insert_default().status = None;
            self.record.final_status = None;
            self.record.error = Some(e);
            self
        }
        fn skip(mut self, reason: SkipReason) -> Self {
            self.record.fetched = None;
            self.record.final_status = None;
            self.record.skip = Some(reason);
            self
        }
        fn kind(mut self, kind: Kind) -> Self {
            self.record.kind = kind;
            self
        }

        fn run(&self) -> Classification {
            // The engine reads noindex off the page; so do the tests.
            let mut record = self.record.clone();
            let fetched = record.fetched.clone().unwrap_or_default();
            let meta = fetched.page.map(|p| p.meta_robots).unwrap_or_default();
            record.context.noindex = is_noindex(&meta, &fetched.x_robots_tag);
            classify(&record)
        }
    }

    const REALM: &str = "Basic realm=\"site\"";

    fn check(table: Vec<(&str, Given, Verdict, &[Finding])>) {
        for (what, given, verdict, findings) in table {
            let c = given.run();
            assert_eq!(
                (c.verdict, c.findings.as_slice()),
                (verdict, findings),
                "{what}: {c:?}"
            );
        }
    }

    #[test]
    fn credentials_in_clear_and_their_look_alikes() {
        let page = |url: &str, status: u16| answered(url, Some(status));
        let run = |record: &Record, login_form, posts_http, links_http| {
            let mut record = record.clone();
            record.context = Context {
                exposed: true,
                linked_from_public: true,
                final_login_form: login_form,
                login_form,
                form_posts_http: posts_http,
                links_http_login: links_http,
                ..Context::default()
            };
            classify(&record).findings
        };
        let with_www = |mut record: Record, value: &str| {
            record.fetched.get_or_insert_default().www_authenticate = value.to_string();
            record
        };
        let with_hop = |mut record: Record, hop: &str| {
            record.hops = vec![hop.parse().expect("a hop")];
            record
        };
        // A login page over HTTP; the same over HTTPS is fine.
        assert!(run(&page("http://a/login", 200), true, false, false).contains(&LoginOverHttp));
        assert!(!run(&page("https://a/login", 200), true, false, false).contains(&LoginOverHttp));
        // An HTTPS page whose password form posts to an http:// action; an https action is fine.
        assert!(run(&page("https://a/x", 200), true, true, false).contains(&LoginOverHttp));
        // A Basic challenge over HTTP; a Bearer one, or Basic over HTTPS, is not.
        let basic = with_www(page("http://a/members", 401), r#"Basic realm="m""#);
        assert!(run(&basic, false, false, false).contains(&BasicAuthOverHttp));
        let basic = with_www(basic, r#"Bearer realm="m""#);
        assert!(!run(&basic, false, false, false).contains(&BasicAuthOverHttp));
        let secure = with_www(page("https://a/members", 401), "Basic realm=x");
        assert!(!run(&secure, false, false, false).contains(&BasicAuthOverHttp));
        // HTTPS redirecting to HTTP, or linking a login page over HTTP.
        let down = with_hop(page("https://a/x", 301), "301 http://a/x");
        assert!(run(&down, false, false, false).contains(&HttpsDowngrade));
        assert!(run(&page("https://a/y", 200), false, false, true).contains(&HttpsDowngrade));
        let up = with_hop(page("http://a/x", 301), "301 https://a/x");
        assert!(!run(&up, false, false, false).contains(&HttpsDowngrade));
    }

    #[test]
    fn public_access_rules_fire() {
        let idp = "https://idp.example/oauth2/authorize?client_id=x&redirect_uri=https%3A%2F%2Fex.com%2Fcb";
        check(vec![
            (
                "public 401",
                get("/docs", 401).linked().www(REALM),
                Verdict::Walled,
                &[Public401],
            ),
            (
                "public 401 without WWW-Authenticate",
                get("/docs", 401).linked(),
                Verdict::Walled,
                &[Public401, MissingWwwAuthenticate],
            ),
            (
                "public 401 in the sitemap",
                get("/docs", 401).sitemap().www(REALM),
                Verdict::Walled,
                &[Public401, SitemapNonOk],
            ),
            (
                "start URL 401",
                get("/", 401).start().www(REALM),
                Verdict::Walled,
                &[Public401],
            ),
            (
                "public 403",
                get("/docs", 403).linked(),
                Verdict::Walled,
                &[Public403],
            ),
            (
                "public 301 to a 403",
                chain("/a", &[(Some(301), "/b")], Some(403)).linked(),
                Verdict::Walled,
                &[Public403],
            ),
            (
                "public redirect to /login?next=",
                chain(
                    "/pricing",
                    &[(Some(302), "/login?next=/pricing")],
                    Some(200),
                )
                .linked()
                .form(),
                Verdict::Walled,
                &[PublicLoginRedirect],
            ),
            (
                "public meta refresh to a login page",
                chain("/pricing", &[(None, "/signin")], Some(200)).linked(),
                Verdict::Walled,
                &[PublicLoginRedirect],
            ),
            (
                "OAuth redirect to another host (not requested)",
                chain("/reports", &[(Some(302), idp)], None).linked(),
                Verdict::Walled,
                &[PublicLoginRedirect],
            ),
            (
                "redirect to an in-scope page holding a password form",
                chain("/reports", &[(Some(302), "/portal")], Some(200))
                    .linked()
                    .form(),
                Verdict::Walled,
                &[PublicLoginRedirect],
            ),
            (
                "linked page serving a login form",
                get("/members", 200).linked().form(),
                Verdict::Walled,
                &[PublicLoginPage],
            ),
            (
                "sitemap page serving a login form",
                get("/members", 200).sitemap().form(),
                Verdict::Walled,
                &[PublicLoginPage],
            ),
        ]);
    }

    #[test]
    fn public_look_alikes_carry_no_access_finding() {
        check(vec![
            ("public 200", get("/docs", 200).linked(), Verdict::Ok, &[]),
            (
                "the site's own /login page",
                get("/login", 200).linked().form(),
                Verdict::LoginPage,
                &[],
            ),
            (
                "a login-redirect target with another path",
                get("/portal", 200).linked().form().login_target(),
                Verdict::LoginPage,
                &[],
            ),
            (
                "a login form nobody lists or links as content",
                get("/", 200).start().form(),
                Verdict::LoginPage,
                &[],
            ),
            (
                "the site's sign-in link redirecting to its IdP",
                chain(
                    "/signin",
                    &[(
                        Some(302),
                        "https://idp.example/authorize?client_id=a&redirect_uri=b",
                    )],
                    None,
                )
                .linked(),
                Verdict::LoginPage,
                &[],
            ),
            (
                "a login page a firewall refuses",
                get("/wp-login.php", 403).linked(),
                Verdict::LoginPage,
                &[],
            ),
            (
                "a redirect that lands fine",
                chain("/old", &[(Some(301), "/new")], Some(200)).linked(),
                Verdict::Redirect,
                &[],
            ),
            (
                "a redirect to another site, not requested",
                chain("/out", &[(Some(302), "https://other.example/")], None).linked(),
                Verdict::Redirect,
                &[],
            ),
            (
                "a redirect to a page with a pagination cursor",
                chain("/feed", &[(Some(302), "/feed?next=2")], Some(200)).linked(),
                Verdict::Redirect,
                &[],
            ),
            (
                "public 404",
                get("/gone", 404).linked(),
                Verdict::Error,
                &[],
            ),
            (
                "public 500",
                get("/boom", 500).linked(),
                Verdict::Error,
                &[],
            ),
            (
                "public redirect loop",
                chain(
                    "/loop",
                    &[(Some(301), "/loop2"), (Some(301), "/loop")],
                    None,
                )
                .linked()
                .error(ErrorKind::RedirectLoop),
                Verdict::Error,
                &[],
            ),
            (
                "public 401 not exposed (found from a private page)",
                get("/internal-report", 401).www(REALM),
                Verdict::Protected,
                &[],
            ),
        ]);
    }

    #[test]
    fn bot_walls_and_unanswered_requests_are_never_findings() {
        check(vec![
            (
                "challenge 403 is bot_challenge",
                get("/docs", 403).linked().challenge(),
                Verdict::BotChallenge,
                &[],
            ),
            (
                "challenge 503",
                get("/docs", 503).sitemap().challenge(),
                Verdict::BotChallenge,
                &[],
            ),
            (
                "challenge at the end of a chain",
                chain("/a", &[(Some(301), "/b")], Some(403))
                    .linked()
                    .challenge(),
                Verdict::BotChallenge,
                &[],
            ),
            (
                "challenge on a private path",
                get("/admin", 403).private().probe().challenge(),
                Verdict::BotChallenge,
                &[],
            ),
            (
                "a challenge flag on a 200 changes nothing",
                get("/docs", 200).linked().challenge(),
                Verdict::Ok,
                &[],
            ),
            (
                "429 never cleared",
                get("/docs", 429)
                    .sitemap()
                    .error(ErrorKind::RetriesExhausted),
                Verdict::Unverified,
                &[],
            ),
            (
                "503 to the end",
                get("/docs", 503).linked(),
                Verdict::Unverified,
                &[],
            ),
            (
                "chain ending at a 503",
                chain("/a", &[(Some(301), "/b")], Some(503)).sitemap(),
                Verdict::Unverified,
                &[],
            ),
            (
                "no response",
                get("/docs", 200).linked().no_response(ErrorKind::Timeout),
                Verdict::Unverified,
                &[],
            ),
            (
                "refusal storm 403 on a public sitemap page",
                get("/docs", 403).sitemap().refused(),
                Verdict::Unverified,
                &[],
            ),
            (
                "refusal storm 200 on a private path",
                get("/admin", 200).private().linked().refused(),
                Verdict::Unverified,
                &[],
            ),
        ]);
    }

    #[test]
    fn chain_301_301_401_flags_only_the_first_url() {
        let first = chain("/a", &[(Some(301), "/b"), (Some(301), "/c")], Some(401)).linked();
        let middle = chain("/b", &[(Some(301), "/c")], Some(401)).hop_of_public("/a");
        let last = get("/c", 401).hop_of_public("/b");
        let last_unexposed = get("/c", 401).hop("/b");
        check(vec![
            ("first URL", first.clone(), Verdict::Walled, &[Public401]),
            ("middle hop", middle.clone(), Verdict::Walled, &[]),
            (
                "last hop: its own 401 lacks the header",
                last.clone(),
                Verdict::Walled,
                &[MissingWwwAuthenticate],
            ),
            (
                "last hop passed as not exposed",
                last_unexposed,
                Verdict::Protected,
                &[MissingWwwAuthenticate],
            ),
            (
                "a hop that is also linked carries its own finding",
                get("/c", 401).hop_of_public("/b").linked().www(REALM),
                Verdict::Walled,
                &[Public401],
            ),
        ]);
        assert_eq!(first.run().severity, Some(Severity::High));
        assert_eq!(first.run().visibility, Visibility::Public);
        let note = middle.run().note.unwrap_or_default();
        assert!(note.contains("https://ex.com/a"), "{note}");
    }

    #[test]
    fn private_rules_fire_and_spare_protected_paths() {
        check(vec![
            (
                "private 401 not flagged",
                get("/admin", 401).private().probe().www(REALM),
                Verdict::Protected,
                &[],
            ),
            (
                "private 401 without the header: only the protocol finding",
                get("/admin", 401).private().probe(),
                Verdict::Protected,
                &[MissingWwwAuthenticate],
            ),
            (
                "private 403",
                get("/admin", 403).private().probe(),
                Verdict::Protected,
                &[],
            ),
            (
                "private 404",
                get("/admin", 404).private().probe(),
                Verdict::Protected,
                &[],
            ),
            (
                "private 410",
                get("/admin", 410).private().probe(),
                Verdict::Protected,
                &[],
            ),
            (
                "private redirect to a login URL",
                chain("/admin", &[(Some(302), "/login?next=/admin")], Some(200))
                    .private()
                    .probe(),
                Verdict::Protected,
                &[],
            ),
            (
                "private redirect to a password form",
                chain("/admin", &[(Some(302), "/portal")], Some(200))
                    .private()
                    .probe()
                    .form(),
                Verdict::Protected,
                &[],
            ),
            (
                "private redirect to a 401",
                chain("/admin", &[(Some(301), "/admin/")], Some(401))
                    .private()
                    .probe(),
                Verdict::Protected,
                &[],
            ),
            (
                "private redirect to an off-site IdP",
                chain(
                    "/account",
                    &[(Some(302), "https://login.example.net/?SAMLRequest=x")],
                    None,
                )
                .private()
                .probe(),
                Verdict::Protected,
                &[],
            ),
            (
                "private 200 leaks and is indexable",
                get("/admin", 200).private().probe(),
                Verdict::Leak,
                &[PrivateLeak, PrivateIndexable],
            ),
            (
                "private 200 with meta noindex",
                get("/admin", 200)
                    .private()
                    .probe()
                    .meta("noindex, nofollow"),
                Verdict::Leak,
                &[PrivateLeak],
            ),
            (
                "private 200 with X-Robots-Tag none",
                get("/admin", 200).private().probe().xrt("none"),
                Verdict::Leak,
                &[PrivateLeak],
            ),
            (
                "private 200 with googlebot: noindex",
                get("/admin", 200)
                    .private()
                    .probe()
                    .xrt("googlebot: noindex"),
                Verdict::Leak,
                &[PrivateLeak],
            ),
            (
                "private 200 disallowed for the index agent",
                get("/admin", 200).private().probe().disallowed(),
                Verdict::Leak,
                &[PrivateLeak],
            ),
            (
                "login page with 200 is not a leak",
                get("/admin", 200).private().probe().form(),
                Verdict::PrivateLoginPage,
                &[],
            ),
            (
                "SSO-only login page at a login path is not a leak",
                get("/account/login", 200).private().probe(),
                Verdict::PrivateLoginPage,
                &[],
            ),
            (
                "catch-all root match is not a leak",
                get("/admin", 200)
                    .private()
                    .probe()
                    .catch_all(CatchAll::MatchesRoot),
                Verdict::CatchAll,
                &[],
            ),
            (
                "catch-all sibling match is still a leak",
                get("/admin/x", 200)
                    .private()
                    .probe()
                    .catch_all(CatchAll::MatchesSibling),
                Verdict::Leak,
                &[PrivateLeak, PrivateIndexable],
            ),
            (
                "private redirect to the home page is not a leak",
                chain("/dashboard", &[(Some(302), "/")], Some(200))
                    .private()
                    .probe(),
                Verdict::Redirect,
                &[],
            ),
            (
                "private redirect into the area is judged on the target's row",
                chain("/admin", &[(Some(301), "/admin/")], Some(200))
                    .private()
                    .probe(),
                Verdict::Redirect,
                &[],
            ),
            (
                "private 500",
                get("/admin", 500).private().probe(),
                Verdict::Error,
                &[],
            ),
            (
                "private 204",
                get("/api/private/ping", 204).private().probe(),
                Verdict::Ok,
                &[],
            ),
        ]);
    }

    #[test]
    fn private_link_and_sitemap_findings_ride_along() {
        check(vec![
            (
                "leak linked from a public page",
                get("/admin", 200).private().linked(),
                Verdict::Leak,
                &[PrivateLeak, PrivateIndexable, PrivateLinkedPublicly],
            ),
            (
                "protected but linked from a public page",
                get("/admin", 401).private().linked().www(REALM),
                Verdict::Protected,
                &[PrivateLinkedPublicly],
            ),
            (
                "protected, in the sitemap",
                get("/admin", 403).private().sitemap(),
                Verdict::Protected,
                &[SitemapNonOk, SitemapPrivate],
            ),
            (
                "leak in the sitemap",
                get("/admin", 200).private().sitemap(),
                Verdict::Leak,
                &[PrivateLeak, PrivateIndexable, SitemapPrivate],
            ),
        ]);
        let low = get("/admin", 401).private().linked().www(REALM).run();
        assert_eq!(low.severity, Some(Severity::Low));
        assert_eq!(low.visibility, Visibility::Private);
        let sibling = get("/admin/x", 200)
            .private()
            .catch_all(CatchAll::MatchesSibling)
            .run();
        assert_eq!(sibling.note.as_deref(), Some(NOTE_SIBLING));
        assert_eq!(sibling.severity, Some(Severity::Critical));
    }

    #[test]
    fn sitemap_rules_fire_and_spare_clean_entries() {
        check(vec![
            ("listed 200", get("/a", 200).sitemap(), Verdict::Ok, &[]),
            (
                "listed 404",
                get("/a", 404).sitemap(),
                Verdict::Error,
                &[SitemapNonOk],
            ),
            (
                "listed 500",
                get("/a", 500).sitemap(),
                Verdict::Error,
                &[SitemapNonOk],
            ),
            (
                "listed redirect to 200",
                chain("/a", &[(Some(301), "/b")], Some(200)).sitemap(),
                Verdict::Redirect,
                &[SitemapRedirect],
            ),
            (
                "listed redirect to 404",
                chain("/a", &[(Some(301), "/b")], Some(404)).sitemap(),
                Verdict::Error,
                &[SitemapNonOk, SitemapRedirect],
            ),
            (
                "listed redirect loop",
                chain("/a", &[(Some(301), "/b"), (Some(301), "/a")], None)
                    .sitemap()
                    .error(ErrorKind::RedirectLoop),
                Verdict::Error,
                &[SitemapNonOk, SitemapRedirect],
            ),
            (
                "listed redirect to another host, not requested",
                chain("/a", &[(Some(301), "https://other.example/a")], None).sitemap(),
                Verdict::Redirect,
                &[SitemapRedirect],
            ),
            (
                "listed 3xx without Location",
                get("/a", 302).sitemap().error(ErrorKind::InvalidRedirect),
                Verdict::Error,
                &[SitemapNonOk],
            ),
            (
                "listed but disallowed for the index agent",
                get("/a", 200).sitemap().disallowed(),
                Verdict::Ok,
                &[SitemapDisallowed],
            ),
            (
                "disallowed but not listed",
                get("/a", 200).linked().disallowed(),
                Verdict::Ok,
                &[],
            ),
            (
                "listed 503 is unverified",
                get("/a", 503).sitemap(),
                Verdict::Unverified,
                &[],
            ),
        ]);
        assert_eq!(
            get("/a", 404).sitemap().run().severity,
            Some(Severity::Medium)
        );
        assert_eq!(
            chain("/a", &[(Some(301), "/b")], Some(200))
                .sitemap()
                .run()
                .severity,
            Some(Severity::Low)
        );
    }

    #[test]
    fn skipped_rows_are_not_checked_and_keep_only_static_findings() {
        check(vec![
            (
                "private sitemap entry behind robots.txt",
                get("/admin", 200)
                    .private()
                    .sitemap()
                    .skip(SkipReason::Robots),
                Verdict::NotChecked,
                &[SitemapPrivate],
            ),
            (
                "disallowed sitemap entry behind robots.txt",
                get("/a", 200)
                    .sitemap()
                    .disallowed()
                    .skip(SkipReason::Robots),
                Verdict::NotChecked,
                &[SitemapDisallowed],
            ),
            (
                "linked private page over budget",
                get("/admin", 200)
                    .private()
                    .linked()
                    .skip(SkipReason::MaxPages),
                Verdict::NotChecked,
                &[PrivateLinkedPublicly],
            ),
            (
                "public sitemap entry over budget: no sitemap_non_200",
                get("/a", 200).sitemap().skip(SkipReason::MaxPages),
                Verdict::NotChecked,
                &[],
            ),
            (
                "another origin's /admin listed in the sitemap",
                get("https://other.example/admin", 200)
                    .private()
                    .sitemap()
                    .disallowed()
                    .skip(SkipReason::OutOfScope),
                Verdict::NotChecked,
                &[],
            ),
            (
                "refused skip",
                get("/a", 200).sitemap().skip(SkipReason::Refused),
                Verdict::NotChecked,
                &[],
            ),
        ]);
        let blocked = get("/admin", 200)
            .private()
            .probe()
            .skip(SkipReason::Robots)
            .run();
        assert!(blocked.note.unwrap_or_default().contains("--ignore-robots"));
        let offsite = get("https://other.example/admin", 200)
            .private()
            .linked()
            .skip(SkipReason::OutOfScope)
            .run();
        assert_eq!(offsite.visibility, Visibility::Unknown);
    }

    #[test]
    fn every_skip_reason_is_not_checked() {
        use SkipReason::*;
        for reason in [
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
        ] {
            let c = get("/a", 200).linked().skip(reason).run();
            assert_eq!(c.verdict, Verdict::NotChecked, "{reason:?}");
        }
    }

    #[test]
    fn robots_and_sitemap_documents_get_no_page_findings() {
        check(vec![
            (
                "robots.txt 200",
                get("/robots.txt", 200).start().kind(Kind::RobotsTxt),
                Verdict::Ok,
                &[],
            ),
            (
                "robots.txt 404",
                get("/robots.txt", 404).start().kind(Kind::RobotsTxt),
                Verdict::Ok,
                &[],
            ),
            (
                "robots.txt 401 without header",
                get("/robots.txt", 401).start().kind(Kind::RobotsTxt),
                Verdict::Ok,
                &[],
            ),
            (
                "robots.txt 500",
                get("/robots.txt", 500).start().kind(Kind::RobotsTxt),
                Verdict::Error,
                &[],
            ),
            (
                "sitemap 200",
                get("/sitemap.xml", 200).start().kind(Kind::Sitemap),
                Verdict::Ok,
                &[],
            ),
            (
                "child sitemap 404 listed in an index",
                get("/s2.xml", 404).sitemap().kind(Kind::Sitemap),
                Verdict::Error,
                &[],
            ),
            (
                "sitemap that does not parse",
                get("/sitemap.xml", 200)
                    .start()
                    .kind(Kind::Sitemap)
                    .error(ErrorKind::InvalidSitemap),
                Verdict::Error,
                &[],
            ),
            (
                "sitemap redirected to a 200",
                chain(
                    "/sitemap.xml",
                    &[(Some(301), "/sitemap_index.xml")],
                    Some(200),
                )
                .start()
                .kind(Kind::Sitemap),
                Verdict::Ok,
                &[],
            ),
            (
                "sitemap behind robots.txt",
                get("/sitemap.xml", 200)
                    .kind(Kind::Sitemap)
                    .skip(SkipReason::Robots),
                Verdict::NotChecked,
                &[],
            ),
        ]);
    }

    #[test]
    fn visibility_private_beats_exposed_beats_unknown() {
        assert_eq!(
            get("/admin", 200).private().linked().run().visibility,
            Visibility::Private
        );
        assert_eq!(get("/a", 200).linked().run().visibility, Visibility::Public);
        assert_eq!(get("/a", 200).start().run().visibility, Visibility::Public);
        assert_eq!(get("/a", 200).run().visibility, Visibility::Unknown);
        assert_eq!(get("/a", 200).probe().run().visibility, Visibility::Unknown);
    }

    #[test]
    fn findings_cell_joins_labels_with_semicolons() {
        let c = get("/docs", 401).sitemap().run();
        assert_eq!(
            c.findings_cell(),
            "public_401;missing_www_authenticate;sitemap_non_200"
        );
        assert_eq!(c.severity, Some(Severity::Critical));
        assert_eq!(get("/docs", 200).linked().run().findings_cell(), "");
        assert_eq!(get("/docs", 200).linked().run().severity, None);
    }

    /// Pseudo-random combinations of odd and ordinary inputs: no panic, and the invariants
    /// that make the columns trustworthy hold.
    #[test]
    fn invariants_hold_on_odd_and_ordinary_inputs() {
        let statuses = [
            None,
            Some(0),
            Some(200),
            Some(204),
            Some(301),
            Some(401),
            Some(403),
            Some(404),
            Some(410),
            Some(429),
            Some(503),
            Some(999),
        ];
        let urls = [
            "https://ex.com/admin",
            "not a url",
            "",
            "https://ex.com/login?next=/x",
            "https://idp.example/oauth2/authorize?client_id=a&redirect_uri=b",
        ];
        // Hops that do not parse are left out (a record only holds real URLs).
        let chains = [
            "",
            "301 https://ex.com/login",
            "meta https://ex.com/",
            "302 https://ex.com/a -> 302 https://ex.com/a",
        ];
        let errors = [
            None,
            Some(ErrorKind::RetriesExhausted),
            Some(ErrorKind::RedirectLoop),
            Some(ErrorKind::Timeout),
        ];
        let skips = [
            None,
            None,
            None,
            Some(SkipReason::Robots),
            Some(SkipReason::OutOfScope),
        ];
        let vias = [
            DiscoveredVia::Seed,
            DiscoveredVia::Link,
            DiscoveredVia::Redirect,
            DiscoveredVia::Probe,
            DiscoveredVia::Sitemap,
        ];
        let kinds = [Kind::Page, Kind::Page, Kind::RobotsTxt, Kind::Sitemap];
        let catch = [
            CatchAll::No,
            CatchAll::MatchesRoot,
            CatchAll::MatchesSibling,
        ];
        // xorshift64: deterministic, no dependency.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let status = statuses[next(statuses.len())];
            let text = urls[next(urls.len())];
            let mut r = Record::new(
                match Url::parse(text) {
                    Ok(url) => Address::Url(url),
                    Err(_) => Address::Invalid(text.to_string()),
                },
                kinds[next(kinds.len())],
                Discovery {
                    via: vias[next(vias.len())],
                    in_sitemap: next(2) == 1,
                    ..Discovery::default()
                },
            );
            let meta_robots = ["", "noindex"][next(2)].to_string();
            r.fetched = Some(Fetched {
                status,
                www_authenticate: ["", "Basic"][next(2)].to_string(),
                page: Some(PageFacts {
                    meta_robots: meta_robots.clone(),
                    ..PageFacts::default()
                }),
                ..Fetched::default()
            });
            r.final_status = statuses[next(statuses.len())];
            r.hops = chains[next(chains.len())]
                .split(" -> ")
                .filter_map(|hop| hop.parse().ok())
                .collect();
            r.error = errors[next(errors.len())];
            r.skip = skips[next(skips.len())];
            r.context = Context {
                private: next(2) == 1,
                exposed: next(2) == 1,
                linked_from_public: next(2) == 1,
                final_login_form: next(2) == 1,
                final_is_login_target: next(2) == 1,
                challenge: next(2) == 1,
                catch_all: catch[next(catch.len())],
                index_disallowed: next(2) == 1,
                refused: next(8) == 0,
                uncalibrated: next(16) == 0,
                noindex: is_noindex(&meta_robots, ""),
                login_form: next(2) == 1,
                form_posts_http: next(4) == 0,
                links_http_login: next(4) == 0,
            };
            let f = r;
            assert_invariants(&f, &classify(&f));
        }
    }

    fn assert_invariants(f: &Record, c: &Classification) {
        let ctx = || format!("{:?} -> {c:?}", f);
        assert_eq!(
            c.severity,
            c.findings
                .iter()
                .map(|x| x.severity(f.found.in_sitemap))
                .max(),
            "{}",
            ctx()
        );
        assert_eq!(
            c.verdict == Verdict::NotChecked,
            f.skip.is_some(),
            "{}",
            ctx()
        );
        let document = f.kind != Kind::Page;
        let refused = (f.context.refused || f.context.uncalibrated) && f.skip.is_none();
        if document || refused || matches!(c.verdict, Verdict::Unverified | Verdict::BotChallenge) {
            assert!(c.findings.is_empty(), "{}", ctx());
        }
        for finding in &c.findings {
            match finding {
                Public401 | Public403 | PublicLoginRedirect | PublicLoginPage => {
                    assert_eq!(c.visibility, Visibility::Public, "{}", ctx());
                    assert_eq!(c.verdict, Verdict::Walled, "{}", ctx());
                }
                PrivateLeak | PrivateIndexable => {
                    assert_eq!(c.verdict, Verdict::Leak, "{}", ctx());
                }
                PrivateLinkedPublicly => assert_eq!(c.visibility, Visibility::Private, "{}", ctx()),
                SitemapNonOk | SitemapRedirect | SitemapPrivate | SitemapDisallowed => {
                    assert!(f.found.in_sitemap, "{}", ctx());
                }
                MissingWwwAuthenticate => assert_eq!(f.status(), Some(401), "{}", ctx()),
                LoginOverHttp | BasicAuthOverHttp | HttpsDowngrade => {
                    assert_eq!(f.kind, Kind::Page, "{}", ctx());
                }
            }
        }
        if c.verdict == Verdict::Leak {
            assert_eq!(c.visibility, Visibility::Private, "{}", ctx());
        }
    }
}
