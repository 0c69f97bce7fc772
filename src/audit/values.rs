//! The closed value lists of the audit columns: `visibility`, `verdict`, `finding`, `severity`.
//!
//! Their CSV spellings are the serde names; a test pins each list, because people filter and
//! diff on these words. New members go at the end of a list and into the changelog.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::model::{Label, closed_list};

/// Read a value-list member back from its CSV spelling (`"public_401"` -> `Public401`).
///
/// Every row's `finding` cell is read this way, and most are empty: through serde's plain
/// string deserializer with an error that keeps no message, a word that is no member costs a
/// few comparisons instead of an allocated value and a formatted "expected one of …" error.
fn from_label<T: for<'de> Deserialize<'de>>(text: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    let words: serde::de::value::StrDeserializer<'_, NoMember> = text.trim().into_deserializer();
    T::deserialize(words).ok()
}

/// [`from_label`]'s error: the text is no member of the list (nothing more to say).
#[derive(Debug)]
struct NoMember;

impl fmt::Display for NoMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a member of the list")
    }
}

impl std::error::Error for NoMember {}

impl serde::de::Error for NoMember {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NoMember
    }
}

closed_list! {
    /// Whose URL this is, as far as the audit can tell.
    pub enum Visibility {
        /// The site exposes it (start URL, sitemap, link from a public page, redirect target of a
        /// public URL) and it matches no private pattern: search engines are meant to index it.
        Public,
        /// It matches a private pattern (`--private`, `--private-file`, the built-in defaults).
        Private,
        /// Neither: off-scope, found only from private pages, or a pure redirect hop.
        Unknown,
    }
}

closed_list! {
    /// What the audit concluded about one row: exactly one per row.
    ///
    /// A verdict labels the row; findings (if any) are separate. Most verdicts carry no finding
    /// (`ok`, `protected`, `catch_all`, `bot_challenge`, `unverified`, `private_login_page`,
    /// `login_page`, `not_checked`, `redirect`), but static sitemap/link findings may ride along.
    pub enum Verdict {
        /// It answered 2xx itself (no redirect) and no access rule applies to it.
        Ok,
        /// A public URL that search engines cannot read: it answers 401 or 403 (directly or at the
        /// end of its redirect chain), redirects to a login page, or serves a login form as content.
        Walled,
        /// A private or unknown URL that refuses anonymous visitors: 401 or 403 (private also
        /// 404/410), directly or at the end of its chain, or a redirect to a login page. Correct.
        Protected,
        /// A private URL that answers 2xx with real content to an anonymous client.
        Leak,
        /// A private 200 that looks like the site's answer to a random non-existent root path:
        /// the site answers 200 to anything, so this 200 proves nothing.
        CatchAll,
        /// A 403/429/503 (own or at the end of the chain) carrying a bot-protection challenge:
        /// the wall is in front of us, it says nothing about the site's auth.
        BotChallenge,
        /// We could not see the site's real answer: no response, 429/503 to the end (also at the
        /// end of its chain), or answered during a refusal storm.
        Unverified,
        /// A private URL that answers 2xx with a login page (password form, or a login-like URL).
        PrivateLoginPage,
        /// The site's own login page or login entry point, no finding: a public/unknown URL
        /// answering 2xx with a password form that is not listed or linked as content, or whose
        /// final page is a login-redirect target; or a login-like URL (path or identity-provider
        /// host) that answers 2xx, 401 or 403 or redirects to a login page.
        LoginPage,
        /// A redirect with no access problem: its chain ends at 2xx, or at a target that was not
        /// requested (another host, robots.txt, …), or it leads out of the private area (the
        /// target's own row is judged).
        Redirect,
        /// Not requested (`skip_reason` is set: robots.txt, out of scope, budget, …).
        NotChecked,
        /// Answered, but not fine and not an access problem: 3xx without a usable chain, redirect
        /// loops, other 4xx (404, 410 on public URLs), 5xx other than 503; robots.txt or sitemap
        /// documents that could not be used.
        Error,
        /// A 2xx page whose own HTML is an app shell: nearly no visible text, scripts that draw
        /// the page. What an anonymous visitor sees depends on those scripts (`--render`).
        AppShell,
        /// A members-only URL (reached by the member crawl) that shows an anonymous visitor a
        /// shorter page asking to sign in: a preview, which search engines may index. Fine.
        Preview,
    }
}

closed_list! {
    /// How badly a finding hurts. Ordered: `Info < Low < Medium < High < Critical`.
    pub enum Severity {
        Info,
        Low,
        Medium,
        High,
        Critical,
    }
}

closed_list! {
    /// A problem a site owner can act on. A row may carry several.
    pub enum Finding {
        /// A public URL answers 401, directly or at the end of its redirect chain.
        #[serde(rename = "public_401")]
        #[strum(serialize = "public_401")]
        Public401,
        /// A public URL answers 403 without a bot-challenge signature.
        #[serde(rename = "public_403")]
        #[strum(serialize = "public_403")]
        Public403,
        /// A public URL redirects (HTTP or meta refresh) to a login page or identity provider.
        #[serde(rename = "public_login_redirect")]
        #[strum(serialize = "public_login_redirect")]
        PublicLoginRedirect,
        /// A public URL listed in a sitemap or linked as content serves a login form.
        #[serde(rename = "public_login_page")]
        #[strum(serialize = "public_login_page")]
        PublicLoginPage,
        /// A 401 without a `WWW-Authenticate` header (RFC 9110 §15.5.2 requires one).
        #[serde(rename = "missing_www_authenticate")]
        #[strum(serialize = "missing_www_authenticate")]
        MissingWwwAuthenticate,
        /// A private URL answers 2xx with real content to an anonymous client.
        #[serde(rename = "private_leak")]
        #[strum(serialize = "private_leak")]
        PrivateLeak,
        /// A leaking private URL that search engines may index (no noindex, not disallowed).
        #[serde(rename = "private_indexable")]
        #[strum(serialize = "private_indexable")]
        PrivateIndexable,
        /// A private URL is linked from a public page.
        #[serde(rename = "private_linked_publicly")]
        #[strum(serialize = "private_linked_publicly")]
        PrivateLinkedPublicly,
        /// A sitemap lists a URL whose final status is not 200.
        #[serde(rename = "sitemap_non_200")]
        #[strum(serialize = "sitemap_non_200")]
        SitemapNonOk,
        /// A sitemap lists a URL that redirects.
        #[serde(rename = "sitemap_redirect")]
        #[strum(serialize = "sitemap_redirect")]
        SitemapRedirect,
        /// A sitemap lists a private URL.
        #[serde(rename = "sitemap_private")]
        #[strum(serialize = "sitemap_private")]
        SitemapPrivate,
        /// A sitemap lists a URL that robots.txt disallows for the index agent.
        #[serde(rename = "sitemap_disallowed")]
        #[strum(serialize = "sitemap_disallowed")]
        SitemapDisallowed,
        /// A page served over `http://` holds a password form, or a password form posts to an
        /// `http://` action: credentials travel in clear.
        #[serde(rename = "login_over_http")]
        #[strum(serialize = "login_over_http")]
        LoginOverHttp,
        /// A 401 with a `Basic` challenge served over `http://`: the password would travel in
        /// clear (Base64 is no encryption).
        #[serde(rename = "basic_auth_over_http")]
        #[strum(serialize = "basic_auth_over_http")]
        BasicAuthOverHttp,
        /// An `https://` page redirects to `http://`, or links a login page over `http://`.
        #[serde(rename = "https_downgrade")]
        #[strum(serialize = "https_downgrade")]
        HttpsDowngrade,
        /// A private URL answers 2xx with an app shell: no private data in the HTML, but its
        /// scripts decide what an anonymous visitor sees.
        #[serde(rename = "app_shell")]
        #[strum(serialize = "app_shell")]
        AppShell,
        /// A public page whose scripts, once run, show a sign-in instead of its content or send
        /// the visitor to a login page (`--render`): search engines run scripts too.
        #[serde(rename = "public_script_wall")]
        #[strum(serialize = "public_script_wall")]
        PublicScriptWall,
        /// A URL a private page's scripts asked answers anyone with 2xx JSON, while the page
        /// showed no sign-in (`--render`): the private data itself.
        #[serde(rename = "private_api_leak")]
        #[strum(serialize = "private_api_leak")]
        PrivateApiLeak,
        /// A URL under an ambiguous built-in private path (`/user`, `/profile` …) that the
        /// site itself links or lists and that answers with content: taken as public (info).
        #[serde(rename = "assumed_public")]
        #[strum(serialize = "assumed_public")]
        AssumedPublic,
        /// A members-only URL (reached by the member crawl) serves the member's page to an
        /// anonymous visitor: at least 80% of its own text, or the same file.
        MemberContentLeak,
        /// A members-only URL shows an anonymous visitor a good part of the member's page
        /// (50–80% of its text, or less without any sign-in prompt).
        MemberPartialLeak,
        /// A signed URL (`?sig=…&expires=`, `X-Amz-Signature`, `token=`): it answers anyone
        /// who holds it, by design (info); its query is redacted in every output.
        CapabilityUrl,
    }
}

impl Visibility {
    pub fn from_label(text: &str) -> Option<Self> {
        from_label(text)
    }
}

impl Verdict {
    pub fn from_label(text: &str) -> Option<Self> {
        from_label(text)
    }
}

impl Severity {
    pub fn from_label(text: &str) -> Option<Self> {
        from_label(text)
    }
}

impl Finding {
    pub fn from_label(text: &str) -> Option<Self> {
        from_label(text)
    }

    /// A public page a search engine cannot read: a 401 or 403, a move to a login page, a
    /// login form instead of content, a wall drawn by a script.
    pub fn walls_off(self) -> bool {
        matches!(
            self,
            Finding::Public401
                | Finding::Public403
                | Finding::PublicLoginRedirect
                | Finding::PublicLoginPage
                | Finding::PublicScriptWall
        )
    }

    /// The finding's severity on a row. Only `public_401` depends on the row: a walled page
    /// that the site itself submits for indexing (a sitemap entry) is the worst case.
    pub fn severity(self, in_sitemap: bool) -> Severity {
        match self {
            Finding::Public401 | Finding::PublicScriptWall if in_sitemap => Severity::Critical,
            Finding::PublicScriptWall => Severity::High,
            Finding::PrivateApiLeak => Severity::Critical,
            Finding::AssumedPublic | Finding::CapabilityUrl => Severity::Info,
            Finding::MemberContentLeak => Severity::Critical,
            Finding::MemberPartialLeak => Severity::High,
            Finding::Public401 | Finding::Public403 | Finding::PublicLoginRedirect => {
                Severity::High
            }
            Finding::PublicLoginPage | Finding::MissingWwwAuthenticate => Severity::Medium,
            Finding::PrivateLeak | Finding::PrivateIndexable => Severity::Critical,
            Finding::PrivateLinkedPublicly => Severity::Low,
            Finding::SitemapNonOk | Finding::SitemapPrivate | Finding::SitemapDisallowed => {
                Severity::Medium
            }
            Finding::SitemapRedirect => Severity::Low,
            Finding::LoginOverHttp | Finding::BasicAuthOverHttp => Severity::High,
            Finding::HttpsDowngrade => Severity::Medium,
            Finding::AppShell => Severity::Low,
        }
    }

    /// A short human name for summaries.
    pub fn title(self) -> &'static str {
        match self {
            Finding::Public401 => "Public page answers 401",
            Finding::Public403 => "Public page answers 403",
            Finding::PublicLoginRedirect => "Public page redirects to a login",
            Finding::PublicLoginPage => "Public page serves a login form",
            Finding::MissingWwwAuthenticate => "401 without WWW-Authenticate",
            Finding::PrivateLeak => "Private page open to anyone",
            Finding::PrivateIndexable => "Leaking private page can be indexed",
            Finding::PrivateLinkedPublicly => "Private page linked from a public page",
            Finding::SitemapNonOk => "Sitemap lists a non-200 URL",
            Finding::SitemapRedirect => "Sitemap lists a redirecting URL",
            Finding::SitemapPrivate => "Sitemap lists a private URL",
            Finding::SitemapDisallowed => "Sitemap lists a URL robots.txt disallows",
            Finding::LoginOverHttp => "Password form over plain HTTP",
            Finding::BasicAuthOverHttp => "Basic auth challenge over plain HTTP",
            Finding::HttpsDowngrade => "HTTPS page downgrades to HTTP",
            Finding::AppShell => "Private path serves an app shell",
            Finding::PublicScriptWall => "Public page hidden by a script",
            Finding::PrivateApiLeak => "Private API answers anyone",
            Finding::AssumedPublic => "Public page under a built-in private path",
            Finding::MemberContentLeak => "Members-only page served to anyone",
            Finding::MemberPartialLeak => "Members-only page partly served to anyone",
            Finding::CapabilityUrl => "Signed URL that answers anyone",
        }
    }

    /// One line: what it means for search engines, and how to fix it.
    pub fn advice(self) -> &'static str {
        match self {
            Finding::Public401 => {
                "search engines never send credentials, so a 401 page is dropped from their \
                 index; remove the auth from this page, or take it out of the sitemap and links"
            }
            Finding::Public403 => {
                "search engines treat 403 as \"blocked\" and drop the page; serve it to anonymous \
                 visitors, or take it out of the sitemap and links (if a firewall blocks crawlers, \
                 allow-list verified search-engine bots)"
            }
            Finding::PublicLoginRedirect => {
                "search engines follow the redirect to a login page and index that instead of \
                 this page; serve the content anonymously, or take the URL out of the sitemap \
                 and links"
            }
            Finding::PublicLoginPage => {
                "search engines index the login form instead of content (a soft 404); serve the \
                 content anonymously, or stop listing and linking the URL as content"
            }
            Finding::MissingWwwAuthenticate => {
                "RFC 9110 requires a WWW-Authenticate header on every 401; clients and crawlers \
                 cannot tell how to authenticate; add the header (e.g. `Bearer` or `Basic realm=…`) \
                 or answer 403"
            }
            Finding::PrivateLeak => {
                "anyone (and any crawler) can read this private page without logging in; protect \
                 the private area with a 401/403 or a login redirect"
            }
            Finding::PrivateIndexable => {
                "the leaking private page can end up in search results; protect it first, and \
                 send `noindex` (meta robots or X-Robots-Tag) — robots.txt alone does not keep \
                 linked pages out of the index"
            }
            Finding::PrivateLinkedPublicly => {
                "a public page links into the private area, which advertises it to crawlers; \
                 remove the link from public pages or show it to logged-in users only"
            }
            Finding::SitemapNonOk => {
                "sitemaps should list only URLs that answer 200; fix the page or take it out of \
                 the sitemap"
            }
            Finding::SitemapRedirect => {
                "sitemaps should list final URLs; replace the entry with the redirect's target"
            }
            Finding::SitemapPrivate => {
                "the sitemap submits a private URL to search engines; take it out of the sitemap \
                 and protect it with 401/403 or a login redirect plus `noindex`"
            }
            Finding::SitemapDisallowed => {
                "the sitemap submits a URL that robots.txt forbids the search engine to crawl; \
                 take it out of the sitemap or allow it in robots.txt"
            }
            Finding::LoginOverHttp => {
                "passwords typed here travel in clear over the network; serve the page and the \
                 form's action over HTTPS only (and redirect HTTP to HTTPS)"
            }
            Finding::BasicAuthOverHttp => {
                "a Basic challenge over HTTP makes browsers send the password in clear; serve \
                 the protected area over HTTPS only"
            }
            Finding::HttpsDowngrade => {
                "an HTTPS page sends visitors to plain HTTP, where their session or password can \
                 be read; redirect and link to HTTPS URLs only"
            }
            Finding::AppShell => {
                "the page holds no private data itself, its scripts draw it; re-run with \
                 `--render` to see what they show an anonymous visitor, and make sure the API \
                 behind it answers 401 or 403 without a session"
            }
            Finding::PublicScriptWall => {
                "search engines run the page's scripts and see a sign-in instead of the content, \
                 as they would for a 401; serve the content to anonymous visitors (a preview is \
                 fine), or take the URL out of the sitemap and links"
            }
            Finding::PrivateApiLeak => {
                "the data behind a private page is served to anyone who asks its API; make the \
                 API answer 401 or 403 without a session, whatever the page shows"
            }
            Finding::AssumedPublic => {
                "paths like /user/… are public profiles on many sites, and this site links or \
                 lists this one, so it is taken as public; if it should be private, say so with \
                 `--private` (e.g. --private '/user/**') and authwall will call it a leak"
            }
            Finding::MemberContentLeak => {
                "a page only members reach is served whole to anyone who has its URL (and to \
                 any crawler that finds it); check the session on this URL too, not only on \
                 the pages that link to it"
            }
            Finding::MemberPartialLeak => {
                "an anonymous visitor sees much of what a member sees here; if it is meant as a \
                 preview, cut it to a teaser with a sign-in prompt, otherwise check the session \
                 on this URL"
            }
            Finding::CapabilityUrl => {
                "a signed URL lets whoever holds it in, by design; keep its lifetime short and \
                 never put it in public pages (authwall redacts its query in every output)"
            }
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a `--fail-on` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSeverity(pub String);

impl fmt::Display for UnknownSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown severity {:?} (expected critical, high, medium, low or info)",
            self.0
        )
    }
}

impl std::error::Error for UnknownSeverity {}

/// `--fail-on`: `critical|high|medium|low|info`, case-insensitive.
impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::from_label(&s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::label;
    use crate::model::tests::pinned as labels;
    use strum::VariantArray;

    #[test]
    fn visibility_list_is_pinned() {
        assert_eq!(labels(Visibility::VARIANTS), "public,private,unknown");
    }

    #[test]
    fn verdict_list_is_pinned() {
        assert_eq!(
            labels(Verdict::VARIANTS),
            "ok,walled,protected,leak,catch_all,bot_challenge,unverified,private_login_page,\
             login_page,redirect,not_checked,error,app_shell,preview"
        );
    }

    #[test]
    fn finding_list_is_pinned() {
        assert_eq!(
            labels(Finding::VARIANTS),
            "public_401,public_403,public_login_redirect,public_login_page,\
             missing_www_authenticate,private_leak,private_indexable,private_linked_publicly,\
             sitemap_non_200,sitemap_redirect,sitemap_private,sitemap_disallowed,\
             login_over_http,basic_auth_over_http,https_downgrade,app_shell,\
             public_script_wall,private_api_leak,assumed_public,member_content_leak,\
             member_partial_leak,capability_url"
        );
    }

    #[test]
    fn severity_list_is_pinned_and_ordered() {
        assert_eq!(labels(Severity::VARIANTS), "info,low,medium,high,critical");
        assert!(Severity::VARIANTS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn labels_read_back() {
        for &f in Finding::VARIANTS {
            assert_eq!(Finding::from_label(label(&f)), Some(f));
            assert_eq!(f.to_string(), label(&f));
        }
        for &v in Verdict::VARIANTS {
            assert_eq!(Verdict::from_label(label(&v)), Some(v));
        }
        for &v in Visibility::VARIANTS {
            assert_eq!(Visibility::from_label(label(&v)), Some(v));
        }
        assert_eq!(Finding::from_label(""), None);
        assert_eq!(Finding::from_label("Public401"), None);
    }

    #[test]
    fn fail_on_parses_every_severity_and_refuses_others() {
        for &s in Severity::VARIANTS {
            assert_eq!(label(&s).parse::<Severity>(), Ok(s));
        }
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!(" medium ".parse::<Severity>(), Ok(Severity::Medium));
        let err = "severe".parse::<Severity>().unwrap_err();
        assert!(err.to_string().contains("severe"), "{err}");
        assert!("".parse::<Severity>().is_err());
    }

    #[test]
    fn only_the_public_walls_depend_on_the_sitemap() {
        let walls = [Finding::Public401, Finding::PublicScriptWall];
        for &f in Finding::VARIANTS {
            if !walls.contains(&f) {
                assert_eq!(f.severity(true), f.severity(false), "{f}");
            }
        }
        for wall in walls {
            assert_eq!(wall.severity(false), Severity::High);
            assert_eq!(wall.severity(true), Severity::Critical);
        }
    }

    #[test]
    fn every_finding_has_one_line_of_advice_and_a_title() {
        for &f in Finding::VARIANTS {
            assert!(!f.advice().contains('\n') && f.advice().len() > 40, "{f}");
            assert!(!f.title().is_empty() && f.title().len() < 50, "{f}");
        }
    }
}
