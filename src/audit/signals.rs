//! Signals read from one response without any I/O: login URLs, `noindex`, bot challenges.

use url::Url;

use crate::model::ShellSignals;

/// Last path segments (up to the first `.`) that name a login page.
const LOGIN_STEMS: &[&str] = &[
    "login", "log-in", "log_in", "signin", "sign-in", "sign_in", "logon", "log-on", "log_on",
    "signon", "sign-on", "sign_on", "wp-login", "sso", "saml",
];

/// Last path segments of a logout URL.
const LOGOUT_STEMS: &[&str] = &[
    "logout", "log-out", "log_out", "signout", "sign-out", "sign_out", "logoff", "log-off",
    "log_off",
];

/// Query keys that carry "where to go after logging in", compared lower-cased with `_` and
/// `-` removed (`return_to`, `returnTo`, `ReturnUrl` …).
const RETURN_KEYS: &[&str] = &[
    "next",
    "returnto",
    "returnurl",
    "redirect",
    "redirectto",
    "redirecturl",
    "continue",
    "camefrom",
    "goto",
];

/// First host labels that identity providers use (`login.microsoftonline.com`, `sso.corp…`).
const IDP_HOST_LABELS: &[&str] = &["login", "signin", "sso", "idp"];

/// Query keys that sign a URL, compared lower-cased: whoever holds the URL is let in (S3 and
/// GCS presigned URLs, signed CDN links `?sig=…&expires=…`, `?token=…` links in e-mails).
const SIGNATURE_KEYS: &[&str] = &[
    "x-amz-signature",
    "x-goog-signature",
    "signature",
    "sig",
    "token",
    "access_token",
    "auth_token",
];

/// A signed URL (a capability): it answers anyone who has it, by design.
pub fn is_capability_url(url: &Url) -> bool {
    url.query().is_some()
        && url.query_pairs().any(|(key, value)| {
            !value.is_empty() && SIGNATURE_KEYS.contains(&&*key.to_ascii_lowercase())
        })
}

/// `url` with every query value replaced by `…` when it is a signed URL ([`is_capability_url`]):
/// the signature is a password while it lasts. Other URLs are written as they are.
pub fn redact_signed(url: &Url) -> String {
    if !is_capability_url(url) {
        return url.to_string();
    }
    let query: Vec<String> = url
        .query_pairs()
        .map(|(key, _)| {
            let key: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
            format!("{key}=…")
        })
        .collect();
    // Written by hand: `Url::set_query` would percent-encode the ellipsis.
    format!("{}?{}", &url[..url::Position::AfterPath], query.join("&"))
}

/// A login URL: where a redirect sends a visitor who must log in first.
///
/// Any of:
/// - a login-like path ([`is_login_page_url`]);
/// - a return-address parameter (`next`, `return_to`, `returnTo`, `redirect`, `redirect_to`,
///   `return_url`, `returnUrl`, `continue`, `came_from`, `goto`) whose value is a path or URL —
///   a pagination cursor such as `?next=2` is not a return address;
/// - identity-provider parameters recognised without fetching: `client_id` with
///   `redirect_uri` (OAuth/OIDC), `SAMLRequest`, `service=` on a `/cas/` or login path.
pub fn is_login_url(url: &Url) -> bool {
    if is_login_page_url(url) {
        return true;
    }
    let mut client_id = false;
    let mut redirect_uri = false;
    let mut service = false;
    for (key, value) in url.query_pairs() {
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "client_id" => client_id = true,
            "redirect_uri" => redirect_uri = true,
            "samlrequest" => return true,
            "service" => service = true,
            _ => {}
        }
        if RETURN_KEYS.contains(&squash(&key).as_str()) && is_address(&value) {
            return true;
        }
    }
    (client_id && redirect_uri) || (service && segments(url).iter().any(|s| s == "cas"))
}

/// The URL *is* a login page by its path or host alone (parameters not considered):
/// - its last path segment (the one before a trailing `index.*`/`default.*`), up to the
///   first `.`, is `login`, `log-in`, `signin`, `sign-in`, `sign_in`, `logon`, `signon`,
///   `wp-login`, `sso`, `saml` (and their `-`/`_` spellings), or it ends in
///   `session(s)/new`: `/login`, `/cas/login`, `/users/sign_in`, `/auth/login`,
///   `/wp-login.php`, `/login/index.php`, `/Account/Login.aspx`;
/// - an identity-provider endpoint: a segment starting with `oauth` followed later by
///   `authorize` or `auth` (`/oauth2/authorize`, `/oauth2/v2.0/authorize`, `/o/oauth2/auth`),
///   `/openid-connect/auth`, a `saml2` segment, `/adfs/ls`;
/// - a host whose first label is `login`, `signin`, `sso` or `idp`, or `accounts.google.com`.
///
/// Only the last segment counts for login words because pages *about* logging in live below
/// such words (`/login/help`, `/sso/overview`) and are content.
pub fn is_login_page_url(url: &Url) -> bool {
    let segs = segments(url);
    let strs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let mut last = strs.len();
    if last >= 2 && matches!(stem(strs[last - 1]), "index" | "default") {
        last -= 1;
    }
    let login_word = last >= 1 && LOGIN_STEMS.contains(&stem(strs[last - 1]));
    let new_session =
        last >= 2 && strs[last - 1] == "new" && matches!(strs[last - 2], "session" | "sessions");
    let oauth = strs
        .iter()
        .position(|s| s.starts_with("oauth"))
        .is_some_and(|i| {
            strs[i + 1..]
                .iter()
                .any(|s| matches!(*s, "authorize" | "auth"))
        });
    let pair = |a: &str, b: &str| strs.windows(2).any(|w| w[0] == a && w[1] == b);
    let idp_path = oauth || pair("openid-connect", "auth") || pair("adfs", "ls");
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let idp_host = host == "accounts.google.com"
        || host
            .split('.')
            .next()
            .is_some_and(|label| IDP_HOST_LABELS.contains(&label) && host.contains('.'));
    login_word || new_session || idp_path || strs.contains(&"saml2") || idp_host
}

/// The URL ends a session by its path (`/logout`, `/accounts/logout/`, `/sign_out`).
pub fn is_logout_url(url: &Url) -> bool {
    segments(url)
        .last()
        .is_some_and(|last| LOGOUT_STEMS.contains(&stem(last)))
}

/// Non-empty path segments, lower-cased.
fn segments(url: &Url) -> Vec<String> {
    url.path_segments()
        .map(|s| {
            s.filter(|s| !s.is_empty())
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// A segment up to its first `.` (`login.php` -> `login`).
fn stem(segment: &str) -> &str {
    segment.split('.').next().unwrap_or_default()
}

/// A return address: a path or an absolute URL, not a page number or cursor.
/// `link` is a sign-in link that brings the visitor back to `page` afterwards: a login page
/// (by its path) whose return parameter (`next`, `returnTo` …) names the page's path
/// (`/login?next=/a/b`).
pub fn is_sign_in_back_to(link: &Url, page: &Url) -> bool {
    if !is_login_page_url(link) {
        return false;
    }
    link.query_pairs().any(|(key, value)| {
        RETURN_KEYS.contains(&squash(&key).as_str())
            && page.join(value.trim()).is_ok_and(|back| {
                back.path().trim_end_matches('/') == page.path().trim_end_matches('/')
            })
    })
}

/// The URL without its return parameters (`next`, `returnTo` …): what tells one login page
/// from another (`/login?next=/a` and `/login?next=/b` are the same page).
pub fn without_return(url: &Url) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| !RETURN_KEYS.contains(&squash(key).as_str()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    out.set_fragment(None);
    if kept.is_empty() {
        out.set_query(None);
    } else if kept.len() != url.query_pairs().count() {
        out.query_pairs_mut().clear().extend_pairs(kept);
    }
    out
}

/// A query key compared with [`RETURN_KEYS`]: lower-cased, `_` and `-` removed.
fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_address(value: &str) -> bool {
    let value = value.trim();
    value.starts_with('/') || value.contains("://")
}

/// `noindex` or `none` in a meta robots content or an `X-Robots-Tag` value, for Googlebot
/// (the default index agent): unscoped directives and those scoped `googlebot:` count,
/// those for another agent (`bingbot: noindex`) do not. Case-insensitive.
pub fn is_noindex(meta_robots: &str, x_robots_tag: &str) -> bool {
    is_noindex_for(meta_robots, x_robots_tag, "googlebot")
}

/// [`is_noindex`] for another index agent's product token (`bingbot`).
pub fn is_noindex_for(meta_robots: &str, x_robots_tag: &str, agent: &str) -> bool {
    directives_noindex(meta_robots, agent) || directives_noindex(x_robots_tag, agent)
}

/// Google's grammar: comma-separated directives, optionally opened by `agent:`, which then
/// scopes the directives that follow it (`googlebot: noindex, nofollow`). Directives that
/// take a value (`unavailable_after: …`, `max-snippet: …`) are not agents.
fn directives_noindex(value: &str, agent: &str) -> bool {
    const VALUED: &[&str] = &[
        "unavailable_after",
        "max-snippet",
        "max-image-preview",
        "max-video-preview",
    ];
    let mut scope: Option<String> = None;
    for part in value.split(',') {
        let mut directives = part.trim();
        if let Some((head, rest)) = directives.split_once(':') {
            let head = head.trim().to_ascii_lowercase();
            if VALUED.contains(&head.as_str()) {
                continue;
            }
            if !head.is_empty() && !head.contains(char::is_whitespace) {
                scope = Some(head);
                directives = rest;
            }
        }
        let applies = scope
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(agent) || s == "*");
        if applies
            && directives
                .split_whitespace()
                .any(|d| d.eq_ignore_ascii_case("noindex") || d.eq_ignore_ascii_case("none"))
        {
            return true;
        }
    }
    false
}

/// Headers that only a bot-protection challenge or block sends: (name, value fragment).
const CHALLENGE_HEADERS: &[(&str, &str)] = &[
    ("cf-mitigated", "challenge"),
    ("x-vercel-mitigated", "challenge"),
    ("x-amzn-waf-action", "captcha"),
    ("x-amzn-waf-action", "challenge"),
    ("x-kpsdk-ct", ""),
];

/// Body markers of challenge and block pages, lower-case. Only vendor-specific strings: a
/// site's own 403 page with a CAPTCHA widget is still the site's answer.
const CHALLENGE_BODY: &[&str] = &[
    // Cloudflare managed/JS challenge and firewall block pages.
    "<title>just a moment...",
    "cf-chl-",
    "cf_chl_",
    "/cdn-cgi/challenge-platform",
    "attention required! | cloudflare",
    "cf-error-details",
    // Akamai edge deny page (its HTML-escaped "Reference #").
    "errors.edgesuite.net",
    "reference&#32;&#35;",
    // Imperva Incapsula.
    "_incapsula_resource",
    "incapsula incident id",
    // DataDome.
    "captcha-delivery.com",
    // PerimeterX / HUMAN.
    "px-captcha",
    "_pxappid",
    "perimeterx",
    // Sucuri.
    "sucuri website firewall",
    "sucuri.net",
    // AWS WAF challenge.
    "awswaf",
    // DDoS-Guard, Vercel.
    "ddos-guard",
    "vercel security checkpoint",
];

/// A bot-protection challenge or block (Cloudflare, Akamai, Imperva/Incapsula, DataDome,
/// PerimeterX, Sucuri, AWS WAF, DDoS-Guard, Vercel, Kasada). Only a 403, 429 or 503 can be
/// one; any other status is the site's own answer. `headers` are (name, value) pairs, names
/// in any case; `body_head` is the start of the body (the first KB is enough).
pub fn is_challenge(status: u16, headers: &[(&str, &str)], body_head: &str) -> bool {
    if !matches!(status, 403 | 429 | 503) {
        return false;
    }
    let by_header = headers.iter().any(|(name, value)| {
        let value = value.to_ascii_lowercase();
        CHALLENGE_HEADERS
            .iter()
            .any(|(n, v)| name.trim().eq_ignore_ascii_case(n) && value.contains(v))
    });
    // Bound the work: markers sit in the head of the page.
    let head = prefix(body_head, 8192).to_ascii_lowercase();
    by_header || CHALLENGE_BODY.iter().any(|m| head.contains(m))
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The words of a button or short link that ask the visitor to sign in ("Sign in", "Log in",
/// "Login with Netlify Identity", "Continue with GitHub"); "Log out" is not.
pub fn is_sign_in_prompt(text: &str) -> bool {
    let text = text.to_lowercase();
    const ASKS: [&str; 9] = [
        "sign in",
        "sign-in",
        "signin",
        "log in",
        "log-in",
        "login",
        "sign on",
        "continue with",
        "authenticate",
    ];
    ASKS.iter().any(|ask| text.contains(ask))
}

/// Visible words an app shell has at most. Every real shell measured (Vite, Angular, Decap,
/// Ghost, Strapi, Directus: `tests/data/shells`) has none; the smallest content page that loads
/// scripts has 68.
pub const SHELL_MAX_WORDS: u32 = 10;

/// Bytes of inline data (JSON, server state, props) past which a page carries its content in
/// its HTML, whatever its text: not a shell.
pub const SHELL_MAX_INLINE_DATA: u32 = 1024;

/// An app shell: nearly no visible text of its own, and scripts (or a mount point) to draw it.
pub fn is_app_shell(s: &ShellSignals) -> bool {
    s.words <= SHELL_MAX_WORDS
        && (s.scripts > 0 || s.mount_point)
        && s.inline_data <= SHELL_MAX_INLINE_DATA
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_url_is_a_capability_and_its_query_is_redacted() {
        let signed = [
            "https://b.s3.amazonaws.com/r.pdf?X-Amz-Expires=300&X-Amz-Signature=ab12",
            "https://cdn.example/f?expires=1700000000&sig=9f2c",
            "https://example.com/invite?token=c0ffee#top",
        ];
        for text in signed {
            let url = Url::parse(text).unwrap();
            assert!(is_capability_url(&url), "{text}");
            let out = redact_signed(&url);
            assert!(
                !out.contains("ab12") && !out.contains("9f2c") && !out.contains("c0ffee"),
                "{out}"
            );
            assert!(out.contains("=…"), "{out}");
        }
        let plain = Url::parse("https://example.com/search?q=token&page=2").unwrap();
        assert!(!is_capability_url(&plain));
        assert_eq!(redact_signed(&plain), plain.as_str());
        assert!(!is_capability_url(
            &Url::parse("https://example.com/?token=").unwrap()
        ));
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn login_urls_are_recognised() {
        let yes = [
            "https://ex.com/login",
            "https://ex.com/Login/",
            "https://ex.com/signin",
            "https://ex.com/sign-in",
            "https://ex.com/log-in",
            "https://ex.com/logon",
            "https://ex.com/wp-login.php",
            "https://ex.com/wp-login.php?redirect_to=https%3A%2F%2Fex.com%2Fwp-admin%2F&reauth=1",
            "https://ex.com/cas/login",
            "https://ex.com/users/sign_in",
            "https://ex.com/auth/login",
            "https://ex.com/sso",
            "https://ex.com/login/index.php",
            "https://ex.com/Account/Login.aspx",
            "https://ex.com/session/new",
            "https://ex.com/members?next=/members/area",
            "https://ex.com/gate?return_to=https://ex.com/a",
            "https://ex.com/gate?returnTo=%2Fa",
            "https://ex.com/gate?ReturnUrl=%2Fa",
            "https://ex.com/gate?redirect=/a",
            "https://ex.com/gate?continue=https://ex.com/",
            "https://idp.example/oauth2/authorize?client_id=x&redirect_uri=https%3A%2F%2Fex.com%2Fcb",
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=x",
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&redirect_uri=y",
            "https://auth.ex.com/realms/r/protocol/openid-connect/auth?client_id=x",
            "https://ex.com/authorize?client_id=x&redirect_uri=https://ex.com/cb",
            "https://idp.ex.com/simplesaml/saml2/idp/SSOService.php?SAMLRequest=abc",
            "https://ex.com/anything?SAMLRequest=abc",
            "https://cas.ex.com/cas/something?service=https://ex.com/",
            "https://fs.ex.com/adfs/ls/?wa=wsignin1.0",
            "https://github.com/login/oauth/authorize?client_id=x",
            "https://sso.corp.example/",
        ];
        for u in yes {
            assert!(is_login_url(&url(u)), "{u}");
        }
    }

    #[test]
    fn login_look_alikes_are_not_login_urls() {
        let no = [
            "https://ex.com/",
            "https://ex.com/blog/how-to-login",
            "https://ex.com/login-tips",
            "https://ex.com/login/help",
            "https://ex.com/sso/overview",
            "https://ex.com/loginhistory",
            "https://ex.com/list?next=2",
            "https://ex.com/list?next=abc123",
            "https://ex.com/a?client_id=x",
            "https://ex.com/a?redirect_uri=https://x",
            "https://ex.com/api?service=weather",
            "https://ex.com/authorize-payment",
            "https://ex.com/oauth2/token",
            "https://login/",
            "https://ex.com/docs/oauth",
        ];
        for u in no {
            assert!(!is_login_url(&url(u)), "{u}");
        }
    }

    #[test]
    fn a_sign_in_link_back_names_the_page_as_its_return() {
        let page = url("https://a.example/user/alice/");
        for link in [
            "https://a.example/login?next=/user/alice/",
            "https://a.example/accounts/login/?next=%2Fuser%2Falice%2F",
            "https://a.example/signin?returnTo=https://a.example/user/alice",
            "https://a.example/sign-in?return_url=/user/alice/",
        ] {
            assert!(is_sign_in_back_to(&url(link), &page), "{link}");
        }
        for link in [
            "https://a.example/login",
            "https://a.example/login?next=/",
            "https://a.example/login?next=/user/bob/",
            "https://a.example/search?next=/user/alice/",
        ] {
            assert!(!is_sign_in_back_to(&url(link), &page), "{link}");
        }
    }

    #[test]
    fn return_parameters_do_not_tell_login_pages_apart() {
        for (from, to) in [
            (
                "https://a.example/login?next=/admin",
                "https://a.example/login",
            ),
            (
                "https://a.example/login?ReturnUrl=%2Fx&lang=de#f",
                "https://a.example/login?lang=de",
            ),
            ("https://a.example/login", "https://a.example/login"),
            (
                "https://a.example/login?lang=de",
                "https://a.example/login?lang=de",
            ),
        ] {
            assert_eq!(without_return(&url(from)).as_str(), to, "{from}");
        }
    }

    #[test]
    fn a_login_page_url_ignores_parameters() {
        assert!(is_login_page_url(&url("https://ex.com/login?next=/a")));
        assert!(!is_login_page_url(&url("https://ex.com/gate?next=/a")));
        assert!(!is_login_page_url(&url(
            "https://ex.com/a?client_id=x&redirect_uri=y"
        )));
    }

    #[test]
    fn noindex_forms() {
        let cases = [
            ("noindex", "", true),
            ("NOINDEX, nofollow", "", true),
            ("none", "", true),
            ("index, follow", "", false),
            ("noindex nofollow", "", true),
            ("", "noindex", true),
            ("", "googlebot: noindex", true),
            ("", "GoogleBot: nofollow, noindex", true),
            ("", "bingbot: noindex", false),
            ("", "bingbot: noindex, googlebot: nofollow", false),
            ("", "unavailable_after: 25 Jun 2010 15:00:00 PST", false),
            ("", "max-snippet: 20, noindex", true),
            ("", "none", true),
            ("", "all", false),
            ("nosnippet", "noarchive", false),
            ("", "", false),
            ("index", "noimageindex", false),
        ];
        for (meta, header, expected) in cases {
            assert_eq!(is_noindex(meta, header), expected, "{meta:?} / {header:?}");
        }
        assert!(is_noindex_for("", "bingbot: noindex", "bingbot"));
    }

    /// (status, headers, body head)
    type Response<'a> = (u16, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn challenges_are_recognised_by_header_or_body() {
        let yes: [Response<'_>; 10] = [
            (403, &[("CF-Mitigated", "challenge")], ""),
            (
                503,
                &[],
                "<!DOCTYPE html><html><head><title>Just a moment...</title>",
            ),
            (
                403,
                &[],
                "<script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate\">",
            ),
            (403, &[], "<title>Attention Required! | Cloudflare</title>"),
            (429, &[], "window._cf_chl_opt={cvId: '3'}"),
            (
                403,
                &[],
                "<H1>Access Denied</H1> Reference&#32;&#35;18&#46;1234",
            ),
            (403, &[], "Request unsuccessful. Incapsula incident ID: 123"),
            (
                403,
                &[],
                "<script src=\"https://ct.captcha-delivery.com/c.js\">",
            ),
            (403, &[], "<div id=\"px-captcha\"></div>"),
            (403, &[("x-amzn-waf-action", "captcha")], ""),
        ];
        for (status, headers, body) in yes {
            assert!(
                is_challenge(status, headers, body),
                "{status} {headers:?} {body}"
            );
        }
    }

    #[test]
    fn plain_refusals_are_not_challenges() {
        let no: [Response<'_>; 7] = [
            (
                403,
                &[("server", "cloudflare"), ("cf-ray", "8a1")],
                "<h1>Forbidden</h1>",
            ),
            (403, &[], "<form><input type=password></form>"),
            (401, &[("cf-mitigated", "challenge")], ""),
            (200, &[], "<title>Just a moment...</title>"),
            (503, &[], "Service Unavailable: maintenance"),
            (429, &[("retry-after", "10")], "Too Many Requests"),
            (403, &[("cf-mitigated", "none")], ""),
        ];
        for (status, headers, body) in no {
            assert!(
                !is_challenge(status, headers, body),
                "{status} {headers:?} {body}"
            );
        }
    }

    #[test]
    fn prefix_cuts_at_a_character_boundary() {
        assert_eq!(prefix("héllo", 2), "h");
        assert_eq!(prefix("abc", 10), "abc");
        assert_eq!(prefix("", 3), "");
    }

    #[test]
    fn sign_in_prompts_are_told_from_sign_outs_and_content() {
        for ask in [
            "Sign in",
            "Log in to continue",
            "Login with Netlify Identity",
            "Continue with GitHub",
            "SIGN-IN",
        ] {
            assert!(is_sign_in_prompt(ask), "{ask}");
        }
        for other in ["Log out", "Sign up", "Read more", "Pricing", "Blog"] {
            assert!(!is_sign_in_prompt(other), "{other}");
        }
    }
}
