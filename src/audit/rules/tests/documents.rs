//! Sitemap findings, skipped URLs, robots.txt and sitemap documents, visibility.

use super::*;

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
    use strum::VariantArray;
    for &reason in SkipReason::VARIANTS {
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
