//! Which URL paths are private: the built-in conventional areas and the user's globs, and the
//! paths worth probing because private areas are rarely linked.

use anyhow::{Context, bail};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Areas that are private on essentially every site, unless `--no-default-private`. Each
/// covers the path itself and everything below it, on whole segments, case-insensitively.
/// The evidence for each, from the frameworks' own sources, is in `docs/private-paths.md`.
pub const DEFAULT_PRIVATE: &[&str] = &[
    "/admin",
    "/administrator",
    "/wp-admin",
    "/account",
    "/my-account",
    // Public Grafana snapshots live under `/dashboard/snapshot/`: `--public` covers them.
    "/dashboard",
    "/settings",
    "/billing",
    "/api/private",
    // Django's LOGIN_REDIRECT_URL: where a signed-in user lands.
    "/accounts/profile",
    // Devise's "edit registration" (`devise_for :users`).
    "/users/edit",
    // GitLab's own settings; `/-/` exists only there.
    "/-/profile",
    "/-/user_settings",
    // Magento's customer area.
    "/customer/account",
];

/// Paths private on many sites but public on many others: `/user/alice` is a public author
/// page on Drupal and on forums, `/accounts/password/reset/` Django's anonymous reset form. Probed and judged private like
/// [`DEFAULT_PRIVATE`], except where the site itself links or lists the URL and it answers
/// 2xx with content: then it is public (`assumed_public`, info).
pub const DEFAULT_AMBIGUOUS: &[&str] = &["/user", "/profile", "/accounts"];

/// How one path stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// No private pattern applies, or `--public` says so.
    Public,
    /// A user's `--private` pattern or a [`DEFAULT_PRIVATE`] area.
    Private,
    /// Only a [`DEFAULT_AMBIGUOUS`] area applies.
    Ambiguous,
}

/// The private-path patterns of one audit.
#[derive(Debug, Clone, Default)]
pub struct PrivateMatcher {
    /// Whether [`DEFAULT_PRIVATE`] and [`DEFAULT_AMBIGUOUS`] apply.
    defaults: bool,
    /// The user's globs as given, for [`PrivateMatcher::probe_paths`].
    user: Vec<String>,
    globs: GlobSet,
    /// `--public` globs: public even where a built-in pattern matches.
    public: GlobSet,
}

impl PrivateMatcher {
    /// `defaults`: use [`DEFAULT_PRIVATE`] and [`DEFAULT_AMBIGUOUS`] (each matches the path
    /// equal to it or below it, on whole segments, case-insensitively: `/user` and `/user/5`,
    /// never `/users-guide` or `/settings.html`).
    ///
    /// `user`: globs from `--private` and `--private-file`, matched against the URL path with
    /// `*` and `?` stopping at `/` and `**` crossing segments (`/internal/**`, `/staff-*`).
    /// They are case-insensitive like the defaults: a server that serves `/Internal/` for
    /// `/internal/` leaks the same pages. A pattern ending in `/**` also covers its bare
    /// prefix (`/internal/**` covers `/internal`). A pattern must start with `/`.
    ///
    /// `public`: `--public` globs, written the same way: paths public even when a built-in
    /// pattern matches. A user's own private pattern still wins.
    pub fn new(defaults: bool, user: &[String], public: &[String]) -> anyhow::Result<Self> {
        Ok(Self {
            defaults,
            user: user.to_vec(),
            globs: glob_set(user, "private")?,
            public: glob_set(public, "public")?,
        })
    }

    /// Whether a URL path (query and fragment ignored) is private, ambiguous or public.
    pub fn class(&self, path: &str) -> PathClass {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        // Servers treat `//admin` as `/admin`; so do we, or a doubled slash hides a leak.
        let path = collapse_slashes(path);
        if !self.user.is_empty() && self.globs.is_match(path.as_str()) {
            return PathClass::Private;
        }
        if !self.defaults || self.public.is_match(path.as_str()) {
            return PathClass::Public;
        }
        // The more specific area wins: `/accounts/profile` is private under ambiguous `/accounts`.
        if DEFAULT_PRIVATE.iter().any(|d| under(&path, d)) {
            PathClass::Private
        } else if DEFAULT_AMBIGUOUS.iter().any(|d| under(&path, d)) {
            PathClass::Ambiguous
        } else {
            PathClass::Public
        }
    }

    /// Whether a URL path (query and fragment ignored) is private, ambiguous areas included.
    pub fn is_private(&self, path: &str) -> bool {
        self.class(path) != PathClass::Public
    }

    /// Paths to request even if nothing links to them: every default path (when defaults are
    /// on), then the literal prefix of each user glob when that prefix ends at a whole segment
    /// (`/internal/**` -> `/internal/`, `/a/b/*.html` -> `/a/b/`, `/staff-*` -> nothing) or the
    /// pattern itself when it has no wildcard. The root `/` is never a probe, nor a path
    /// `--public` covers. Deduplicated, first occurrence wins.
    pub fn probe_paths(&self) -> Vec<String> {
        let defaults: Vec<&str> = if self.defaults {
            DEFAULT_PRIVATE
                .iter()
                .chain(DEFAULT_AMBIGUOUS)
                .copied()
                .collect()
        } else {
            Vec::new()
        };
        let defaults = defaults.into_iter().map(String::from);
        let user = self.user.iter().filter_map(|p| literal_probe(p));
        let mut out: Vec<String> = Vec::new();
        for path in defaults.chain(user) {
            let marked_public =
                self.public.is_match(path.as_str()) && self.class(&path) == PathClass::Public;
            if !out.contains(&path) && !marked_public {
                out.push(path);
            }
        }
        out
    }

    /// Parse a `--private-file`: one glob per line; blank lines and `#` comment lines ignored;
    /// surrounding whitespace trimmed.
    pub fn parse_file(text: &str) -> Vec<String> {
        text.trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(String::from)
            .collect()
    }
}

/// Compile path globs (`what`: "private" or "public", for errors).
fn glob_set(patterns: &[String], what: &str) -> anyhow::Result<GlobSet> {
    let glob = |pattern: &str, shown: &str| {
        GlobBuilder::new(pattern)
            .literal_separator(true)
            .case_insensitive(true)
            .build()
            .with_context(|| format!("{what} pattern {shown:?} is not a valid glob"))
    };
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        if !pattern.starts_with('/') {
            bail!(
                "{what} pattern {pattern:?} must start with '/': it is matched against \
                 the URL path (e.g. /internal/**)"
            );
        }
        set.add(glob(pattern, pattern)?);
        // `/internal/**` means the area, and `/internal` is its entrance (servers often
        // answer it without redirecting to `/internal/`): cover it too.
        if let Some(area) = pattern.strip_suffix("/**").filter(|a| !a.is_empty()) {
            set.add(glob(area, pattern)?);
        }
    }
    set.build()
        .with_context(|| format!("cannot compile the {what} patterns"))
}

/// `path` is `area` or lies below it, on whole segments, case-insensitively. `;` also ends a
/// segment because servlet containers read `/admin;jsessionid=…` as `/admin`.
fn under(path: &str, area: &str) -> bool {
    let (Some(head), Some(rest)) = (path.get(..area.len()), path.get(area.len()..)) else {
        return false;
    };
    head.eq_ignore_ascii_case(area) && (rest.is_empty() || rest.starts_with(['/', ';']))
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// The part of a glob that is a plain path, when it is worth requesting.
fn literal_probe(pattern: &str) -> Option<String> {
    // `\` escapes in globset: stop there rather than unescape, a probe must be exact.
    let meta = pattern.find(['*', '?', '[', '{', '\\']);
    let literal = match meta {
        None => pattern,
        Some(i) => {
            let prefix = &pattern[..i];
            // Cut back to the last whole segment: `/staff-*` has none beyond the root.
            &prefix[..prefix.rfind('/').map_or(0, |j| j + 1)]
        }
    };
    (literal.len() > 1 && literal.starts_with('/')).then(|| literal.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(defaults: bool, user: &[&str]) -> PrivateMatcher {
        let user: Vec<String> = user.iter().map(|s| s.to_string()).collect();
        PrivateMatcher::new(defaults, &user, &[]).unwrap()
    }

    #[test]
    fn defaults_match_whole_segments_case_insensitively() {
        let m = matcher(true, &[]);
        let cases = [
            ("/settings", true),
            ("/settings/", true),
            ("/user/5", true),
            ("/Admin/", true),
            ("/ADMIN", true),
            ("/wp-admin/options.php", true),
            ("/api/private/keys", true),
            ("/admin;jsessionid=1", true),
            ("//admin", true),
            ("/admin?next=/", true),
            ("/settings.html", false),
            ("/users-guide", false),
            ("/users", false),
            ("/administrators-blog", false),
            ("/api/privacy", false),
            ("/api", false),
            ("/docs/admin", false),
            ("/", false),
            ("", false),
            ("/é/admin", false),
        ];
        for (path, expected) in cases {
            assert_eq!(m.is_private(path), expected, "{path}");
        }
    }

    #[test]
    fn public_profile_paths_are_ambiguous_and_the_more_specific_area_wins() {
        let m = matcher(true, &[]);
        let cases = [
            ("/user/alice/", PathClass::Ambiguous),
            ("/profile", PathClass::Ambiguous),
            ("/dashboard/snapshot/x", PathClass::Private),
            ("/accounts/password/reset/", PathClass::Ambiguous),
            ("/accounts/profile/", PathClass::Private),
            ("/Accounts/Profile", PathClass::Private),
            ("/users/edit", PathClass::Private),
            ("/-/profile/keys", PathClass::Private),
            ("/admin/", PathClass::Private),
            ("/users/alice", PathClass::Public),
            ("/accountsx", PathClass::Public),
        ];
        for (path, expected) in cases {
            assert_eq!(m.class(path), expected, "{path}");
        }
    }

    #[test]
    fn public_globs_override_built_ins_and_a_users_private_wins_over_both() {
        let public = ["/user/**".to_string(), "/admin/docs/*".to_string()];
        let private = ["/user/*/edit".to_string()];
        let m = PrivateMatcher::new(true, &private, &public).unwrap();
        let cases = [
            ("/user", PathClass::Public),
            ("/user/alice", PathClass::Public),
            ("/user/alice/edit", PathClass::Private),
            ("/admin/docs/intro", PathClass::Public),
            ("/admin/docs/a/b", PathClass::Private),
            ("/admin", PathClass::Private),
        ];
        for (path, expected) in cases {
            assert_eq!(m.class(path), expected, "{path}");
        }
        assert!(
            !m.probe_paths().contains(&"/user".to_string()),
            "a path marked public is not probed"
        );
    }

    #[test]
    fn defaults_can_be_switched_off() {
        let m = matcher(false, &[]);
        assert!(!m.is_private("/admin"));
        assert!(m.probe_paths().is_empty());
    }

    #[test]
    fn user_globs_do_not_cross_segments_with_one_star() {
        let m = matcher(false, &["/internal/**", "/staff-*", "/a/b/*.html"]);
        let cases = [
            ("/internal/", true),
            ("/internal/a/b", true),
            ("/Internal/x", true),
            ("/internal", true),
            ("/internals", false),
            ("/staff-room", true),
            ("/staff-room/x", false),
            ("/a/b/x.html", true),
            ("/a/b/c/x.html", false),
            ("/admin", false),
        ];
        for (path, expected) in cases {
            assert_eq!(m.is_private(path), expected, "{path}");
        }
    }

    #[test]
    fn a_pattern_without_leading_slash_is_an_error_naming_it() {
        for bad in ["internal/**", "*.secret", "https://x/admin", ""] {
            let err = PrivateMatcher::new(true, &[bad.to_string()], &[]).unwrap_err();
            assert!(format!("{err:#}").contains(&format!("{bad:?}")), "{err:#}");
        }
        let err = PrivateMatcher::new(true, &["/a/[".to_string()], &[]).unwrap_err();
        assert!(format!("{err:#}").contains("/a/["), "{err:#}");
        let err = PrivateMatcher::new(true, &[], &["user/**".to_string()]).unwrap_err();
        assert!(format!("{err:#}").contains("public pattern"), "{err:#}");
    }

    #[test]
    fn probe_paths_take_whole_segment_literal_prefixes() {
        let m = matcher(
            false,
            &[
                "/internal/**",
                "/staff-*",
                "/a/b/*.html",
                "/secret",
                "/**/hidden",
                "/internal/**/x",
                "/x/{a,b}/y",
                "/esc\\*aped/z",
            ],
        );
        assert_eq!(m.probe_paths(), ["/internal/", "/a/b/", "/secret", "/x/"]);
    }

    #[test]
    fn probe_paths_list_defaults_first_without_duplicates() {
        let m = matcher(true, &["/admin", "/ops/**"]);
        let probes = m.probe_paths();
        let defaults = DEFAULT_PRIVATE.len() + DEFAULT_AMBIGUOUS.len();
        assert_eq!(probes.len(), defaults + 1);
        assert_eq!(&probes[..DEFAULT_PRIVATE.len()], DEFAULT_PRIVATE);
        assert_eq!(&probes[DEFAULT_PRIVATE.len()..defaults], DEFAULT_AMBIGUOUS);
        assert_eq!(probes.last().map(String::as_str), Some("/ops/"));
    }

    #[test]
    fn private_file_skips_comments_and_blank_lines() {
        let text = "\u{feff}# private areas\n/internal/**\n\n  /staff-*  \r\n   # indented comment\n/a#b\n";
        assert_eq!(
            PrivateMatcher::parse_file(text),
            ["/internal/**", "/staff-*", "/a#b"]
        );
        assert!(PrivateMatcher::parse_file("").is_empty());
    }
}
