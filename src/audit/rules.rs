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
use super::signals::{is_app_shell, is_login_page_url, is_login_url, is_logout_url};
use super::values::{Finding, Severity, Verdict, Visibility};
use crate::model::{
    CatchAll, Context, DiscoveredVia, ErrorKind, Kind, MemberView, Record, Rendered, ShellSignals,
    SkipReason,
};

/// What the rules concluded about one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub visibility: Visibility,
    pub verdict: Verdict,
    /// In the order the list declares them, each at most once.
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
    // An ambiguous built-in path (`/user/alice`) that the site itself offers to anyone and
    // that serves content is a public profile, not a private area.
    let assumed_public = in_scope && f.private && f.ambiguous && !f.private_api && offered(r);
    let visibility = if !in_scope {
        Visibility::Unknown
    } else if (f.private && !assumed_public) || f.private_api || members_only(r) {
        Visibility::Private
    } else if f.exposed || assumed_public {
        Visibility::Public
    } else {
        Visibility::Unknown
    };
    let mut out = judge(r, visibility, in_scope);
    if in_scope && matches!(out.verdict, Verdict::Ok | Verdict::Leak) {
        signed(r, &mut out);
    }
    if assumed_public && out.verdict == Verdict::Ok {
        out.findings.push(Finding::AssumedPublic);
        out.note
            .get_or_insert_with(|| NOTE_ASSUMED_PUBLIC.to_string());
    }
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

/// The member crawl reached it and the anonymous crawl did not (`discovered_via=member`), or
/// only as a wall (401/403, a move to a login page, a login form): the site keeps it for
/// members, whatever its path says.
fn members_only(r: &Record) -> bool {
    let f = &r.context;
    if r.found.via == DiscoveredVia::Member || r.member.is_some() {
        return true;
    }
    let own = r.status();
    let served = own.is_some_and(|s| (200..300).contains(&s)) && r.hops.is_empty();
    // A 2xx page of its own (no login form) is public: the member saw it like anyone.
    let walled = !served || f.login_form;
    f.member_reached && r.skip.is_none() && own.is_some() && walled
}

/// The site offers the URL to anyone (links or lists it, or its login page links it) and the
/// URL answers 2xx with a page of its own: no redirect, no login form.
fn offered(r: &Record) -> bool {
    let f = &r.context;
    let own = r.status().is_some_and(|s| (200..300).contains(&s));
    (f.exposed || f.linked_from_login)
        && r.skip.is_none()
        && r.hops.is_empty()
        && own
        && !f.login_form
        && !r.url.url().is_some_and(is_login_page_url)
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
    let served = own.is_some_and(|s| (200..300).contains(&s));
    // One form is one finding, on the URL that stands for it (`/login`, not each `?next=`).
    if !f.login_form_elsewhere && (f.form_posts_http || (http && f.login_form && served)) {
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
const NOTE_PRIVATE_SHELL: &str = "an app shell: its scripts draw the page, the HTML holds no \
                                  private data; --render shows what an anonymous visitor gets";
const NOTE_PUBLIC_SHELL: &str = "an app shell: its scripts draw the page; --render shows what \
                                 visitors and search engines get";
const NOTE_RENDERED_LEAK: &str = "rendered: its scripts show the content to an anonymous visitor";
const NOTE_NO_SITEMAP: &str = "no sitemap: robots.txt names none, and this usual address \
                               holds none (a guess, not an error)";
const NOTE_SOFT_WALL: &str = "a sign-in prompt that links to the login and back here: a login \
                              wall without a form";
const NOTE_ASSUMED_PUBLIC: &str = "public: a built-in private path (like /user/…), but the site \
                                   links or lists it; if it should be private, add it with \
                                   --private";
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
    if f.private_api && !a.redirects && a.end_success() {
        // Whatever its path: a private page's data, served to anyone.
        return Out::new(Verdict::Leak).with(&[Finding::PrivateApiLeak]);
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
    // Listing or linking an ambiguous path (`/user/alice`) is what sites with public profiles
    // do; and login pages are meant to be linked ("Staff login", "Log out").
    let advertised = private && !f.ambiguous;
    if in_sitemap && advertised {
        out.findings.push(Finding::SitemapPrivate);
    }
    if in_sitemap && f.index_disallowed {
        out.findings.push(Finding::SitemapDisallowed);
    }
    if advertised && f.linked_from_public && !session_door(r) {
        out.findings.push(Finding::PrivateLinkedPublicly);
    }
}

/// A way in or out of a session: a login or logout URL, or a page holding or leading to a
/// login form.
fn session_door(r: &Record) -> bool {
    let f = &r.context;
    r.url
        .url()
        .is_some_and(|u| is_login_page_url(u) || is_logout_url(u))
        || f.login_form
        || f.final_login_form
        || f.final_is_login_target
        || r.final_url().is_some_and(is_login_url)
}

/// robots.txt and sitemap documents: usable or not. robots.txt answering 4xx is fine
/// (RFC 9309: no restrictions); a sitemap must answer 2xx and parse.
fn document(r: &Record, a: &Answer<'_>) -> Out {
    if r.context.absent_guess {
        return Out::new(Verdict::Ok).note(NOTE_NO_SITEMAP);
    }
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
fn private(r: &Record, a: &Answer<'_>) -> Out {
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
        Some(200..=299) => private_content(r, a),
        _ => Out::new(Verdict::Error),
    }
}

/// A private URL that answers 2xx itself.
fn private_content(r: &Record, a: &Answer<'_>) -> Out {
    let f = &r.context;
    if f.final_login_form || f.final_is_login_target || a.is_login_entry() {
        return Out::new(Verdict::PrivateLoginPage);
    }
    if let Some(member) = &r.member
        && f.catch_all != CatchAll::MatchesRoot
        && let Some(out) = compared(member)
    {
        return out;
    }
    if soft_wall(r) {
        return Out::new(Verdict::Protected).note(NOTE_SOFT_WALL);
    }
    if let Some(view) = &r.rendered {
        match seen(r, view) {
            Seen::SignIn(why) => {
                return Out::new(Verdict::Protected).note(format!("rendered: {why}"));
            }
            Seen::Content => {
                let mut out = Out::new(Verdict::Leak).with(&[Finding::PrivateLeak]);
                if !f.noindex && !f.index_disallowed {
                    out.findings.push(Finding::PrivateIndexable);
                }
                return out.note(NOTE_RENDERED_LEAK);
            }
            Seen::Nothing => {}
        }
    }
    // The page holds no private data itself: what its scripts show is for `--render` to say.
    if shell(r) {
        return Out::new(Verdict::AppShell)
            .with(&[Finding::AppShell])
            .note(NOTE_PRIVATE_SHELL);
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

/// A members-only URL answered the stranger 2xx: how much of the member's page it shows.
/// `None` when the two answers could not be compared (the rules for private pages decide).
fn compared(m: &MemberView) -> Option<Out> {
    if let Some(same) = m.same_file {
        return Some(if same {
            Out::new(Verdict::Leak)
                .with(&[Finding::MemberContentLeak])
                .note("the same file as the member's (size and first bytes)")
        } else {
            Out::new(Verdict::Ok).note("a different file than the member's")
        });
    }
    let share = m.contained?;
    let percent = (share * 100.0).round();
    // The member's title only with --member-titles (it may be private itself).
    let theirs = match m.title.as_str() {
        "" => String::new(),
        title => format!(" (the member's page: {title:?})"),
    };
    let holds = format!("the anonymous page holds {percent}% of the member page's text{theirs}");
    Some(if share >= MEMBER_LEAK {
        Out::new(Verdict::Leak)
            .with(&[Finding::MemberContentLeak])
            .note(holds)
    } else if share < MEMBER_PREVIEW && m.sign_in_prompt {
        Out::new(Verdict::Preview).note(format!("{holds}, and asks to sign in: a preview"))
    } else if share < MEMBER_UNRELATED {
        Out::new(Verdict::Ok).note(format!("{holds}: another page, no sign-in prompt"))
    } else {
        let prompt = if m.sign_in_prompt {
            ""
        } else {
            ", without a sign-in prompt"
        };
        Out::new(Verdict::Leak)
            .with(&[Finding::MemberPartialLeak])
            .note(format!("{holds}{prompt}"))
    })
}

/// A signed URL that answers 2xx lets in whoever holds it, by design: not a leak of the page
/// (the signature is the key), a `capability_url` to know about.
fn signed(r: &Record, out: &mut Out) {
    let signed = r.url.url().is_some_and(super::is_capability_url);
    if !signed || r.kind != Kind::Page || !r.status().is_some_and(|s| (200..300).contains(&s)) {
        return;
    }
    out.verdict = Verdict::Ok;
    out.findings.retain(|f| {
        !matches!(
            f,
            Finding::PrivateLeak
                | Finding::PrivateIndexable
                | Finding::MemberContentLeak
                | Finding::MemberPartialLeak
        )
    });
    out.findings.push(Finding::CapabilityUrl);
    out.note = Some(NOTE_SIGNED.to_string());
}

const NOTE_SIGNED: &str = "a signed URL: it answers whoever holds it, by design (its query is \
                           redacted in every output)";

/// A members-only page served whole: this much of the member's text on the stranger's page.
const MEMBER_LEAK: f32 = 0.8;
/// A preview shows less than this, and asks to sign in.
const MEMBER_PREVIEW: f32 = 0.5;
/// Below this, the stranger's page is another page altogether (a generic page at that URL).
const MEMBER_UNRELATED: f32 = 0.2;

/// A public URL (`public`) or one the site does not expose (`!public`).
fn open(r: &Record, a: &Answer<'_>, public: bool) -> Out {
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
        if let Some(view) = &r.rendered
            && let Seen::SignIn(why) = seen(r, view)
        {
            if !public {
                return Out::new(Verdict::Protected).note(format!("rendered: {why}"));
            }
            // A script-drawn sign-in where the HTML had content (or drew everything): search
            // engines see the sign-in, not the page. A page that never had more is not walled.
            if html_content(r) || shell(r) || navigated(r, view) {
                return Out::new(Verdict::Walled)
                    .with(&[Finding::PublicScriptWall])
                    .note(format!("rendered: {why}"));
            }
        }
        if shell(r) && r.rendered.is_none() {
            return Out::new(Verdict::AppShell).note(NOTE_PUBLIC_SHELL);
        }
        return Out::new(Verdict::Ok);
    }
    Out::new(Verdict::Error)
}

/// What a browser showed an anonymous visitor.
enum Seen {
    /// A sign-in, in these words.
    SignIn(String),
    /// The page's content.
    Content,
    /// Nothing to judge by (a blank page, a render that failed).
    Nothing,
}

/// Characters of visible text below which a page with a sign-in link or button is a sign-in
/// prompt (a navigation bar with "Log in" on a page of content is not): the demo's paywall
/// shows 54, Decap's login 27; the demo's home page, a list of links with "Sign in", 337.
const PROMPT_MAX_TEXT: u32 = 300;
/// The same for a visible password form: a login screen has little else, a page of content
/// with a sign-in box in its sidebar has more.
const FORM_MAX_TEXT: u32 = 600;
/// Characters of visible text from which a rendered page shows content of its own.
const CONTENT_MIN_TEXT: u32 = 200;

fn seen(r: &Record, view: &Rendered) -> Seen {
    if let Some(why) = sign_in_shown(r.url.url(), view) {
        return Seen::SignIn(why);
    }
    let data = view
        .api
        .iter()
        .any(|c| c.json && c.status.is_some_and(|s| (200..300).contains(&s)));
    if view.text_chars >= CONTENT_MIN_TEXT || data {
        Seen::Content
    } else {
        Seen::Nothing
    }
}

/// Whether a browser's view of the page at `url` asks the visitor to sign in, and how (for a
/// note): a password form, a script that sends it to a login page, a sign-in prompt on a page
/// with little else, or an API it depends on that answers 401/403.
pub fn sign_in_shown(url: Option<&Url>, view: &Rendered) -> Option<String> {
    if view.password_input && view.text_chars < FORM_MAX_TEXT {
        return Some("the page shows a password form".to_string());
    }
    if let Some(to) = &view.final_url
        && Some(to) != url
        && is_login_url(to)
    {
        return Some(format!("the page's script sends the visitor to {to}"));
    }
    if view.sign_in && view.text_chars < PROMPT_MAX_TEXT {
        return Some("the page shows a sign-in prompt instead of its content".to_string());
    }
    let walled: Vec<&str> = view
        .api
        .iter()
        .filter(|call| call.status.is_some_and(|s| s == 401 || s == 403))
        .map(|call| call.url.path())
        .collect();
    if !walled.is_empty() {
        return Some(format!(
            "the API it depends on answers 401/403 ({})",
            walled.join(", ")
        ));
    }
    None
}

/// Words outside `nav`, `header` and `footer` below which a page whose sign-in link brings the
/// visitor back to it is a sign-in prompt ("You need to be logged in to see this page"); many
/// templates put such a link in the navigation of every page, so a page of content is not.
const SOFT_WALL_MAX_WORDS: u32 = 80;

/// A "please log in" page without a form: little to say, and a sign-in link back to itself.
fn soft_wall(r: &Record) -> bool {
    let page = r.fetched.as_ref().and_then(|f| f.page.as_ref());
    page.is_some_and(|p| p.sign_in_back && p.main_words < SOFT_WALL_MAX_WORDS)
}

/// The URL's own HTML has words enough to be content (more than an app shell holds).
fn html_content(r: &Record) -> bool {
    let page = r.fetched.as_ref().and_then(|f| f.page.as_ref());
    page.is_some_and(|p| p.shell.words >= ShellSignals::WORDS_COUNTED)
}

/// The page's script sent the visitor elsewhere.
fn navigated(r: &Record, view: &Rendered) -> bool {
    view.final_url.is_some() && view.final_url.as_ref() != r.url.url()
}

/// The URL's own HTML is an app shell.
fn shell(r: &Record) -> bool {
    let page = r.fetched.as_ref().and_then(|f| f.page.as_ref());
    page.is_some_and(|p| is_app_shell(&p.shell))
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
mod tests;
