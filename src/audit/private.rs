//! Which URL paths are private: the built-in conventional areas and the user's globs, and the
//! paths worth probing because private areas are rarely linked.

use anyhow::{Context, bail};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Conventional admin/account areas, private unless `--no-default-private`. Each covers the
/// path itself and everything below it, on whole segments, case-insensitively.
pub const DEFAULT_PRIVATE: &[&str] = &[
    "/admin",
    "/administrator",
    "/wp-admin",
    "/account",
    "/my-account",
    "/dashboard",
    "/user",
    "/profile",
    "/settings",
    "/billing",
    "/api/private",
];

/// The private-path patterns of one audit.
#[derive(Debug, Clone, Default)]
pub struct PrivateMatcher {
    /// Whether [`DEFAULT_PRIVATE`] applies.
    defaults: bool,
    /// The user's globs as given, for [`PrivateMatcher::probe_paths`].
    user: Vec<String>,
    globs: GlobSet,
}

impl PrivateMatcher {
    /// `defaults`: use [`DEFAULT_PRIVATE`] (each matches the path equal to it or below it, on
    /// whole segments, case-insensitively: `/user` and `/user/5`, never `/users-guide` or
    /// `/settings.html`).
    ///
    /// `user`: globs from `--private` and `--private-file`, matched against the URL path with
    /// `*` and `?` stopping at `/` and `**` crossing segments (`/internal/**`, `/staff-*`).
    /// They are case-insensitive like the defaults: a server that serves `/Internal/` for
    /// `/internal/` leaks the same pages. A pattern ending in `/**` also covers its bare
    /// prefix (`/internal/**` covers `/internal`). A pattern must start with `/`.
    pub fn new(defaults: bool, user: &[String]) -> anyhow::Result<Self> {
        let mut set = GlobSetBuilder::new();
        for pattern in user {
            if !pattern.starts_with('/') {
                bail!(
                    "private pattern {pattern:?} must start with '/': it is matched against \
                     the URL path (e.g. /internal/**)"
                );
            }
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .case_insensitive(true)
                .build()
                .with_context(|| format!("private pattern {pattern:?} is not a valid glob"))?;
            set.add(glob);
            // `/internal/**` means the area, and `/internal` is its entrance (servers often
            // answer it without redirecting to `/internal/`): cover it too.
            if let Some(area) = pattern.strip_suffix("/**").filter(|a| !a.is_empty()) {
                let entrance = GlobBuilder::new(area)
                    .literal_separator(true)
                    .case_insensitive(true)
                    .build()
                    .with_context(|| format!("private pattern {pattern:?} is not a valid glob"))?;
                set.add(entrance);
            }
        }
        let globs = set.build().context("cannot compile the private patterns")?;
        Ok(Self {
            defaults,
            user: user.to_vec(),
            globs,
        })
    }

    /// Whether a URL path (query and fragment ignored) is private.
    pub fn is_private(&self, path: &str) -> bool {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        // Servers treat `//admin` as `/admin`; so do we, or a doubled slash hides a leak.
        let path = collapse_slashes(path);
        (self.defaults && DEFAULT_PRIVATE.iter().any(|d| under(&path, d)))
            || (!self.user.is_empty() && self.globs.is_match(path.as_str()))
    }

    /// Paths to request even if nothing links to them: every default path (when defaults are
    /// on), then the literal prefix of each user glob when that prefix ends at a whole segment
    /// (`/internal/**` -> `/internal/`, `/a/b/*.html` -> `/a/b/`, `/staff-*` -> nothing) or the
    /// pattern itself when it has no wildcard. The root `/` is never a probe. Deduplicated,
    /// first occurrence wins.
    pub fn probe_paths(&self) -> Vec<String> {
        let defaults: &[&str] = if self.defaults { DEFAULT_PRIVATE } else { &[] };
        let defaults = defaults.iter().map(|d| d.to_string());
        let user = self.user.iter().filter_map(|p| literal_probe(p));
        let mut out: Vec<String> = Vec::new();
        for path in defaults.chain(user) {
            if !out.contains(&path) {
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
        PrivateMatcher::new(defaults, &user).unwrap()
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
            let err = PrivateMatcher::new(true, &[bad.to_string()]).unwrap_err();
            assert!(format!("{err:#}").contains(&format!("{bad:?}")), "{err:#}");
        }
        let err = PrivateMatcher::new(true, &["/a/[".to_string()]).unwrap_err();
        assert!(format!("{err:#}").contains("/a/["), "{err:#}");
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
        assert_eq!(probes.len(), DEFAULT_PRIVATE.len() + 1);
        assert_eq!(&probes[..DEFAULT_PRIVATE.len()], DEFAULT_PRIVATE);
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
