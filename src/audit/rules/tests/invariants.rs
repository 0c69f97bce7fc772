//! Odd and ordinary inputs: no panic, and the invariants that make the columns trustworthy.

use super::*;

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
        r.fetched = Some(Box::new(Fetched {
            status,
            www_authenticate: ["", "Basic"][next(2)].to_string(),
            page: Some(PageFacts {
                meta_robots: meta_robots.clone(),
                ..PageFacts::default()
            }),
            ..Fetched::default()
        }));
        r.final_status = statuses[next(statuses.len())];
        r.hops = chains[next(chains.len())]
            .split(" -> ")
            .filter_map(|hop| hop.parse().ok())
            .collect();
        r.error = errors[next(errors.len())];
        r.skip = skips[next(skips.len())];
        r.context = Context {
            private: next(2) == 1,
            ambiguous: next(3) == 0,
            exposed: next(2) == 1,
            linked_from_public: next(2) == 1,
            linked_from_login: next(4) == 0,
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
            login_form_elsewhere: next(8) == 0,
            links_http_login: next(4) == 0,
            private_api: next(8) == 0,
            absent_guess: next(16) == 0,
            member_reached: next(4) == 0,
        };
        if next(4) == 0 {
            r.member = Some(Box::new(crate::model::MemberView {
                status: 200,
                html: next(2) == 0,
                contained: [None, Some(0.1), Some(0.6), Some(0.95)][next(4)],
                same_file: [None, Some(false), Some(true)][next(3)],
                sign_in_prompt: next(2) == 0,
                ..crate::model::MemberView::default()
            }));
        }
        if next(3) == 0 {
            r.rendered = Some(Box::new(crate::model::Rendered {
                final_url: Url::parse(urls[next(urls.len())]).ok(),
                text_chars: [0, 100, 5000][next(3)],
                password_input: next(4) == 0,
                sign_in: next(3) == 0,
                ..crate::model::Rendered::default()
            }));
        }
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
            AppShell => {
                assert_eq!(c.verdict, Verdict::AppShell, "{}", ctx());
                assert_eq!(c.visibility, Visibility::Private, "{}", ctx());
            }
            PublicScriptWall => {
                assert_eq!(c.visibility, Visibility::Public, "{}", ctx());
                assert_eq!(c.verdict, Verdict::Walled, "{}", ctx());
            }
            PrivateApiLeak => assert_eq!(c.verdict, Verdict::Leak, "{}", ctx()),
            MemberContentLeak | MemberPartialLeak => {
                assert!(f.member.is_some(), "{}", ctx());
                assert_eq!(c.verdict, Verdict::Leak, "{}", ctx());
            }
            CapabilityUrl => assert!(f.url.as_str().contains('?'), "{}", ctx()),
            AssumedPublic => {
                assert!(f.context.ambiguous, "{}", ctx());
                assert_eq!(c.visibility, Visibility::Public, "{}", ctx());
                assert_eq!(c.verdict, Verdict::Ok, "{}", ctx());
            }
        }
    }
    if c.verdict == Verdict::Leak {
        assert_eq!(c.visibility, Visibility::Private, "{}", ctx());
    }
}
