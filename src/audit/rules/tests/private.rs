//! Private URLs: kept out, login pages, leaks, and what rides along.

use super::*;
use crate::model::ShellSignals;

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
fn an_app_shell_is_never_a_leak_on_its_html_alone() {
    let shell = |words, scripts, inline_data| ShellSignals {
        words,
        scripts,
        mount_point: false,
        inline_data,
    };
    let with = |g: Given, signals: ShellSignals| {
        let mut g = g;
        let fetched = g.record.fetched.get_or_insert_default();
        fetched.page.get_or_insert_default().shell = signals;
        g
    };
    check(vec![
        (
            "private shell",
            with(get("/admin/", 200).private(), shell(0, 1, 0)),
            Verdict::AppShell,
            &[AppShell],
        ),
        (
            "private shell listed in a sitemap keeps the static findings",
            with(get("/admin/", 200).private().sitemap(), shell(0, 1, 0)),
            Verdict::AppShell,
            &[SitemapPrivate, AppShell],
        ),
        (
            "public shell: noted, no finding",
            with(get("/app", 200).linked(), shell(3, 2, 0)),
            Verdict::AppShell,
            &[],
        ),
        (
            "its data in the HTML: a leak",
            with(get("/admin/", 200).private(), shell(0, 1, 4096)),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "text of its own: a leak",
            with(get("/admin/", 200).private(), shell(40, 1, 0)),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "no script, no mount point: a leak (a nearly empty page is still served)",
            with(get("/admin/", 200).private(), shell(2, 0, 0)),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "a shell with a password form is a login page",
            with(get("/admin/", 200).private().form(), shell(0, 1, 0)),
            Verdict::PrivateLoginPage,
            &[],
        ),
    ]);
    let note = with(get("/admin/", 200).private(), shell(0, 1, 0))
        .run()
        .note;
    assert!(note.is_some_and(|n| n.contains("--render")));
}

#[test]
fn an_ambiguous_path_the_site_offers_with_content_is_public() {
    check(vec![
        (
            "an author page linked from posts",
            get("/user/alice/", 200).ambiguous().linked(),
            Verdict::Ok,
            &[AssumedPublic],
        ),
        (
            "a profile listed in the sitemap",
            get("/profile/bob", 200).ambiguous().sitemap(),
            Verdict::Ok,
            &[AssumedPublic],
        ),
        (
            "Django's reset form, linked from its login page",
            get("/accounts/password/reset/", 200)
                .ambiguous()
                .linked_by_login(),
            Verdict::Ok,
            &[AssumedPublic],
        ),
        (
            "probed but unlinked: checked as today",
            get("/user", 200).ambiguous().probe(),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "linked but walled: protected, and the link is no finding",
            get("/user/alice/", 401).ambiguous().linked().www(REALM),
            Verdict::Protected,
            &[],
        ),
        (
            "linked, redirecting to a login: protected",
            chain(
                "/user/alice/",
                &[(Some(302), "/login?next=/user/alice/")],
                Some(200),
            )
            .ambiguous()
            .linked(),
            Verdict::Protected,
            &[],
        ),
        (
            "linked, a login form: a login page",
            get("/user/login", 200).ambiguous().linked().form(),
            Verdict::PrivateLoginPage,
            &[],
        ),
        (
            "a confident private path linked with content is still a leak",
            get("/admin/", 200).private().linked(),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable, PrivateLinkedPublicly],
        ),
    ]);
    let note = get("/user/alice/", 200).ambiguous().linked().run().note;
    assert!(note.is_some_and(|n| n.contains("--private")));
}

#[test]
fn links_to_login_and_logout_pages_are_not_private_links() {
    check(vec![
        (
            "a footer's staff login",
            get("/admin/login/", 200).private().linked().form(),
            Verdict::PrivateLoginPage,
            &[],
        ),
        (
            "a log-out link under a private area",
            chain("/account/logout", &[(Some(302), "/")], Some(200))
                .private()
                .linked(),
            Verdict::Redirect,
            &[],
        ),
        (
            "a link into the admin that redirects to its login",
            chain(
                "/admin/",
                &[(Some(302), "/admin/login/?next=/admin/")],
                Some(200),
            )
            .private()
            .linked(),
            Verdict::Protected,
            &[],
        ),
        (
            "a link to a private page that is no door stays a finding",
            get("/admin/reports", 401).private().linked().www(REALM),
            Verdict::Protected,
            &[PrivateLinkedPublicly],
        ),
    ]);
}

#[test]
fn a_short_sign_in_prompt_that_links_back_is_a_login_wall() {
    let prompt = |words: u32| {
        let mut g = get("/account/orders", 200).private().probe();
        let page = g
            .record
            .fetched
            .get_or_insert_default()
            .page
            .get_or_insert_default();
        page.sign_in_back = true;
        page.main_words = words;
        g
    };
    check(vec![
        (
            "a prompt of a few words",
            prompt(12),
            Verdict::Protected,
            &[],
        ),
        (
            "content with the same link in its navigation",
            prompt(80),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
    ]);
}
