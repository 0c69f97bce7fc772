//! Tests of [`super`]: table-driven, one behaviour each. The builder is here; the private,
//! document and invariant tests are in the files beside it.

mod documents;
mod invariants;
mod private;
mod rendered;

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
    record.fetched = Some(Box::new(Fetched {
        status,
        ..Fetched::default()
    }));
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
    /// Private only by an ambiguous built-in pattern (`/user`, `/profile` …).
    fn ambiguous(mut self) -> Self {
        self.ctx().private = true;
        self.ctx().ambiguous = true;
        self
    }
    /// Linked from a login page.
    fn linked_by_login(mut self) -> Self {
        self.ctx().linked_from_login = true;
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
        self.record.found.referrer = Some(abs(from).into());
        self.ctx().exposed = true;
        self
    }
    /// A redirect target, passed as not exposed.
    fn hop(mut self, from: &str) -> Self {
        self.record.found.via = DiscoveredVia::Redirect;
        self.record.found.referrer = Some(abs(from).into());
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
    let idp =
        "https://idp.example/oauth2/authorize?client_id=x&redirect_uri=https%3A%2F%2Fex.com%2Fcb";
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
