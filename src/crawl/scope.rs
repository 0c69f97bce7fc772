//! Which URLs the crawl may request: the audited origin (and its subdomains when asked), and
//! the stateless crawler-trap guards. Every "no" is a named [`SkipReason`] that ends up in the
//! CSV, never a silent drop.

use std::sync::Arc;

use url::Url;

use super::urlnorm;
use crate::config::TrapLimits;
use crate::model::SkipReason;

#[derive(Debug, Clone)]
pub struct Scope {
    scheme: String,
    host: String,
    port: Option<u16>,
    include_subdomains: bool,
    /// A URL of the audited origin: the crawl's own URLs are parsed again against it
    /// ([`urlnorm::reparse`]).
    base: Url,
    keys: OriginKeys,
    /// `authwall check`: the other origins of the list, and their same-site moves (http to
    /// https, `www.` gained or lost), so that a listed URL's redirect chain is followed.
    also: Vec<(String, String, Option<u16>)>,
}

/// [`origin_key`], built once for one origin: robots.txt and the pacer are looked up under it
/// several times per page, and most URLs are of the audited origin.
#[derive(Debug, Clone)]
pub struct OriginKeys {
    scheme: String,
    host: String,
    port: Option<u16>,
    key: Arc<str>,
}

impl OriginKeys {
    pub fn new(home: &Url) -> Self {
        Self {
            scheme: home.scheme().to_string(),
            host: home.host_str().unwrap_or_default().to_string(),
            port: home.port_or_known_default(),
            key: origin_key(home).into(),
        }
    }

    /// [`origin_key`] of `url`, not built again for the home origin.
    pub fn of(&self, url: &Url) -> Arc<str> {
        let home = url.scheme() == self.scheme
            && url.host_str() == Some(self.host.as_str())
            && url.port_or_known_default() == self.port;
        if home {
            self.key.clone()
        } else {
            origin_key(url).into()
        }
    }
}

impl Scope {
    pub fn new(start: &Url, include_subdomains: bool) -> Self {
        Self {
            scheme: start.scheme().to_string(),
            host: start.host_str().unwrap_or_default().to_string(),
            port: start.port_or_known_default(),
            include_subdomains,
            base: start.clone(),
            keys: OriginKeys::new(start),
            also: Vec::new(),
        }
    }

    /// The scope of a list: every origin of `listed`, each with its same-site moves.
    pub fn of_list(start: &Url, listed: &[Url]) -> Self {
        let mut scope = Self::new(start, false);
        for url in listed {
            let Some(host) = url.host_str() else {
                continue;
            };
            let bare = host.strip_prefix("www.").unwrap_or(host);
            let hosts = [bare.to_string(), format!("www.{bare}")];
            let default = |s: &str| if s == "https" { 443 } else { 80 };
            let port = url.port_or_known_default();
            let mut schemes = vec![(url.scheme().to_string(), port)];
            if url.scheme() == "http" && port == Some(80) {
                schemes.push(("https".to_string(), Some(443)));
            }
            for (scheme, port) in schemes {
                for host in &hosts {
                    let origin = (
                        scheme.clone(),
                        host.clone(),
                        port.or(Some(default(&scheme))),
                    );
                    if !scope.also.contains(&origin) {
                        scope.also.push(origin);
                    }
                }
            }
        }
        scope
    }

    /// [`origin_key`] of `url`, not built again for the audited origin (most URLs).
    pub fn key_of(&self, url: &Url) -> Arc<str> {
        self.keys.of(url)
    }

    /// Parse again a URL string the crawl serialised (a frontier URL, a row's URL): cheap on
    /// the audited origin.
    pub fn reparse(&self, url: &str) -> Option<Url> {
        urlnorm::reparse(&self.base, url)
    }

    pub fn contains(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if !self.also.is_empty() {
            let port = url.port_or_known_default();
            return self
                .also
                .iter()
                .any(|(s, h, p)| s == url.scheme() && h == host && *p == port);
        }
        if url.scheme() != self.scheme || url.port_or_known_default() != self.port {
            return false;
        }
        host == self.host
            || (self.include_subdomains
                && host.len() > self.host.len()
                && host.ends_with(&self.host)
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.')
    }

    /// `scheme://host[:port]` of the audited origin.
    pub fn origin(&self) -> String {
        let default = match self.scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        match self.port {
            Some(p) if Some(p) != default => format!("{}://{}:{p}", self.scheme, self.host),
            _ => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The audited origin as [`origin_key`] spells it (robots.txt and pacers are keyed so).
    pub fn origin_key(&self) -> String {
        self.keys.key.to_string()
    }

    /// Another origin of the same site: only the scheme moved to https, or the host gained or
    /// lost `www.`. A start URL that redirects there takes the scope with it.
    pub fn is_same_site_move(&self, target: &Url) -> bool {
        if self.contains(target) {
            return false;
        }
        let Some(host) = target.host_str() else {
            return false;
        };
        let bare = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_string();
        let scheme_ok =
            target.scheme() == self.scheme || (self.scheme == "http" && target.scheme() == "https");
        let default_port = |scheme: &str, port: Option<u16>| {
            port.is_none() || port == Some(if scheme == "https" { 443 } else { 80 })
        };
        let port_ok = target.port_or_known_default() == self.port
            || (default_port(&self.scheme, self.port)
                && default_port(target.scheme(), target.port_or_known_default()));
        scheme_ok && port_ok && bare(host) == bare(&self.host)
    }
}

/// A link-local or cloud-metadata address: a list (a file from elsewhere) may name one, and
/// asking it from inside a cloud would hand out the machine's credentials.
pub fn is_link_local(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_link_local() || ip.octets() == [100, 100, 100, 200],
        Some(url::Host::Ipv6(ip)) => {
            (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
                || ip.segments()[..4] == [0xfd00, 0x0ec2, 0, 0]
        }
        Some(url::Host::Domain(host)) => {
            let host = host.trim_end_matches('.');
            host == "metadata.google.internal" || host == "metadata"
        }
        None => false,
    }
}

/// The key under which robots.txt and politeness are kept: `scheme://host:port`.
pub fn origin_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// A logout link (`/logout`, `/sign-out`, `?action=logout` …): a crawler that follows it may
/// end the session it was given, or trigger side effects; never followed.
pub fn is_logout(url: &Url) -> bool {
    const WORDS: [&str; 6] = [
        "logout", "log-out", "log_out", "signout", "sign-out", "sign_out",
    ];
    let word = |s: &str| {
        let s = s.to_ascii_lowercase();
        let stem = s.split('.').next().unwrap_or_default().to_string();
        WORDS.contains(&stem.as_str()) || stem == "logoff"
    };
    url.path_segments().is_some_and(|mut segs| segs.any(word))
        || url.query_pairs().any(|(_, v)| word(&v))
}

/// Query parameters that carry a one-time token: a URL with one performs an action.
const TOKEN_PARAMS: [&str; 9] = [
    "_wpnonce",
    "nonce",
    "csrf",
    "_csrf",
    "csrf_token",
    "csrfmiddlewaretoken",
    "_token",
    "authenticity_token",
    "token_csrf",
];
/// Query parameters that name an action (`post.php?action=trash`, `?do=delete`).
const ACTION_PARAMS: [&str; 4] = ["action", "do", "op", "cmd"];
/// Path segments that are verbs with side effects (`/account/delete`, `/list/unsubscribe`):
/// the whole segment, or the segment with an extension (`delete.php`).
const ACTION_VERBS: [&str; 14] = [
    "delete",
    "remove",
    "unsubscribe",
    "cancel",
    "deactivate",
    "trash",
    "destroy",
    "revoke",
    "purge",
    "disable",
    "suspend",
    "approve",
    "reject",
    "erase",
];

/// A URL that performs an action when asked (a nonce or CSRF parameter, an `action`/`do`/`op`/
/// `cmd` parameter, a verb segment such as `/delete`): a GET may change the site, so it is
/// never requested, by any crawl. `post.php?post=1&action=trash&_wpnonce=…` is WordPress's.
pub fn is_action(url: &Url) -> bool {
    // Every new URL of a crawl comes here: compare without allocating.
    let verb = |segment: &str| {
        let stem = segment.split('.').next().unwrap_or_default();
        ACTION_VERBS.iter().any(|v| v.eq_ignore_ascii_case(stem))
    };
    let named = |name: &str| {
        let known = |list: &[&str]| list.iter().any(|p| p.eq_ignore_ascii_case(name));
        known(&TOKEN_PARAMS) || known(&ACTION_PARAMS)
    };
    url.path_segments().is_some_and(|mut segs| segs.any(verb))
        || (url.query().is_some() && url.query_pairs().any(|(name, _)| named(&name)))
}

/// The stateless trap guards: URL length, path depth, repeated runs of segments.
pub fn trap(url: &Url, limits: &TrapLimits) -> Option<SkipReason> {
    if url.as_str().len() > limits.max_url_length as usize {
        return Some(SkipReason::TrapLength);
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if segments.len() > limits.max_path_segments as usize {
        return Some(SkipReason::TrapDepth);
    }
    if repeats(&segments, limits.max_segment_repeats as usize) {
        return Some(SkipReason::TrapRepeat);
    }
    None
}

/// Whether some run of 1–3 segments occurs `times` times back to back (`/a/b/a/b/a/b`), the
/// shape left by relative links that build ever deeper paths.
fn repeats(segments: &[&str], times: usize) -> bool {
    if times < 2 {
        return false;
    }
    (1..=3).any(|run| {
        let span = run * times;
        span <= segments.len()
            && (0..=segments.len() - span).any(|start| {
                let block = &segments[start..start + run];
                (1..times).all(|k| &segments[start + k * run..start + (k + 1) * run] == block)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const LIMITS: TrapLimits = TrapLimits {
        max_query_variants: 25,
        max_path_segments: 15,
        max_segment_repeats: 3,
        max_url_length: 2000,
    };

    #[test]
    fn scope_is_scheme_host_and_port() {
        let scope = Scope::new(&url("https://example.com/blog/"), false);
        assert!(scope.contains(&url("https://example.com/x")));
        assert!(scope.contains(&url("https://example.com:443/x")));
        assert!(!scope.contains(&url("http://example.com/x")));
        assert!(!scope.contains(&url("https://example.com:8443/x")));
        assert!(!scope.contains(&url("https://www.example.com/x")));
        assert!(!scope.contains(&url("https://badexample.com/x")));
    }

    #[test]
    fn subdomains_only_when_asked_and_only_real_ones() {
        let scope = Scope::new(&url("https://example.com/"), true);
        assert!(scope.contains(&url("https://docs.example.com/x")));
        assert!(!scope.contains(&url("https://badexample.com/x")));
        assert!(!scope.contains(&url("https://example.com.evil.net/x")));
    }

    #[test]
    fn same_site_moves_are_https_upgrade_and_www() {
        let scope = Scope::new(&url("http://example.com/"), false);
        assert!(scope.is_same_site_move(&url("https://example.com/")));
        assert!(scope.is_same_site_move(&url("https://www.example.com/")));
        assert!(!scope.is_same_site_move(&url("https://other.com/")));
        assert!(!scope.is_same_site_move(&url("https://login.example.com/")));
        let secure = Scope::new(&url("https://example.com/"), false);
        assert!(
            !secure.is_same_site_move(&url("http://example.com/")),
            "no downgrade"
        );
    }

    #[test]
    fn origin_key_matches_the_key_of_its_urls() {
        let scope = Scope::new(&url("https://a.b/x"), false);
        assert_eq!(
            scope.origin_key(),
            origin_key(&url("https://a.b:443/robots.txt"))
        );
    }

    #[test]
    fn key_of_is_origin_key() {
        for start in ["https://a.b/x", "http://127.0.0.1:81/", "http://[::1]/"] {
            let scope = Scope::new(&url(start), true);
            for u in [
                "https://a.b/y?z",
                "https://a.b:443/",
                "https://a.b:8443/",
                "http://a.b/",
                "https://sub.a.b/",
                "http://127.0.0.1:81/p",
                "http://127.0.0.1/p",
                "http://[::1]:80/",
                "mailto:x@a.b",
            ] {
                assert_eq!(
                    &*scope.key_of(&url(u)),
                    origin_key(&url(u)),
                    "{u} in {start}"
                );
            }
        }
    }

    #[test]
    fn origin_omits_default_port() {
        assert_eq!(
            Scope::new(&url("https://a.b/x"), false).origin(),
            "https://a.b"
        );
        assert_eq!(
            Scope::new(&url("http://127.0.0.1:81/"), false).origin(),
            "http://127.0.0.1:81"
        );
    }

    #[test]
    fn logout_links_are_recognised() {
        for u in [
            "https://a/logout",
            "https://a/user/sign-out",
            "https://a/wp-login.php?action=logout",
            "https://a/Logout.aspx",
        ] {
            assert!(is_logout(&url(u)), "{u}");
        }
        for u in [
            "https://a/blog/logout-tips-for-admins",
            "https://a/login",
            "https://a/",
        ] {
            assert!(!is_logout(&url(u)), "{u}");
        }
    }

    #[test]
    fn action_urls_are_recognised() {
        for u in [
            "https://a/wp-admin/post.php?post=1&action=trash&_wpnonce=ab12",
            "https://a/account/delete",
            "https://a/newsletter/unsubscribe?id=3",
            "https://a/items/9/Remove.php",
            "https://a/doku.php?id=start&do=revisions",
            "https://a/comments?csrfmiddlewaretoken=x",
            "https://a/orders/7?authenticity_token=y",
        ] {
            assert!(is_action(&url(u)), "{u}");
        }
        for u in [
            "https://a/blog/how-to-cancel-a-subscription",
            "https://a/removed-products",
            "https://a/docs/delete-api",
            "https://a/?page=2&sort=price",
            "https://a/",
        ] {
            assert!(!is_action(&url(u)), "{u}");
        }
    }

    #[test]
    fn traps_are_named() {
        assert_eq!(trap(&url("https://a/x/y"), &LIMITS), None);
        let long = format!("https://a/{}", "x".repeat(2100));
        assert_eq!(trap(&url(&long), &LIMITS), Some(SkipReason::TrapLength));
        let deep = format!("https://a/{}", "s/".repeat(16));
        assert_eq!(trap(&url(&deep), &LIMITS), Some(SkipReason::TrapDepth));
        assert_eq!(
            trap(&url("https://a/a/b/a/b/a/b"), &LIMITS),
            Some(SkipReason::TrapRepeat)
        );
        assert_eq!(
            trap(&url("https://a/p/p/p/"), &LIMITS),
            Some(SkipReason::TrapRepeat)
        );
        assert_eq!(
            trap(&url("https://a/a/b/a/b"), &LIMITS),
            None,
            "two repeats are fine"
        );
        assert_eq!(
            trap(&url("https://a/1/x/1/y/1"), &LIMITS),
            None,
            "not back to back"
        );
    }
}
