//! The crawl's vocabulary, shared by every stage: the closed value lists that describe how a
//! URL was met and what became of it ([`Kind`], [`DiscoveredVia`], [`RobotsVerdict`],
//! [`SkipReason`], [`ErrorKind`]) and the typed [`Record`] that the crawl hands on for each
//! URL. The audit rules classify a record; the report turns it into a row.
//!
//! Each list's spelling in the CSV is its serde name; [`Label`] gives the same word without
//! serde, and `VARIANTS` (strum) lists every member, so that a list written out by hand cannot
//! miss a new one.

mod record;
mod run;

pub use record::*;
pub use run::*;

/// A member of a closed value list, by its CSV spelling (`SkipReason::OutOfScope` ->
/// `out_of_scope`).
pub trait Label {
    fn label(&self) -> &'static str;
}

/// An absent value is an empty cell.
impl<T: Label> Label for Option<T> {
    fn label(&self) -> &'static str {
        self.as_ref().map_or("", Label::label)
    }
}

/// The CSV spelling of a value-list member (empty for `None`).
pub fn label<T: Label + ?Sized>(value: &T) -> &'static str {
    value.label()
}

/// A closed value list: the words of a CSV column. Its members are spelled in snake_case by
/// serde and strum alike (unless a member says otherwise, to both), ordered as declared, listed
/// by `VARIANTS`, and named by [`Label`]. A test checks the two spellings agree.
macro_rules! closed_list {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            strum::IntoStaticStr,
            strum::VariantArray,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        $vis enum $name { $($body)* }

        impl $crate::model::Label for $name {
            fn label(&self) -> &'static str {
                self.into()
            }
        }
    };
}
pub(crate) use closed_list;

closed_list! {
    /// How the crawl first met a URL.
    #[derive(Default)]
    pub enum DiscoveredVia {
        /// The start URL, robots.txt, a sitemap named by robots.txt or `--sitemap`.
        #[default]
        Seed,
        /// Listed in a sitemap (or a child sitemap of an index).
        Sitemap,
        /// Linked from a page (`<a>`, `<area>`, canonical, alternate).
        Link,
        /// The target of a redirect hop (HTTP 3xx or `<meta http-equiv=refresh>`).
        Redirect,
        /// Requested because it is a conventional private path (audit rules).
        Probe,
        /// Requested by a page's scripts while it was rendered (`--render`).
        Render,
        /// Listed in the file given to `authwall check`.
        List,
        /// Reached only by the member crawl (`--member-cookies`, `--login-url` …): a
        /// members-only URL, asked again without the member's session.
        Member,
    }
}

closed_list! {
    /// What kind of resource the row describes.
    #[derive(Default)]
    pub enum Kind {
        #[default]
        Page,
        RobotsTxt,
        Sitemap,
    }
}

closed_list! {
    /// robots.txt's verdict for our user agent; empty when it does not apply (off-scope, invalid).
    pub enum RobotsVerdict {
        Allowed,
        Disallowed,
    }
}

closed_list! {
    /// Why a URL that the crawl met was not requested. A closed list: docs/results.md documents each.
    pub enum SkipReason {
        /// robots.txt disallows it for our user agent.
        Robots,
        /// Another scheme, host or port than the audited origin.
        OutOfScope,
        /// Not a usable URL (a sitemap `<loc>` that is relative, `javascript:` …).
        InvalidUrl,
        /// Filtered out by `--include` / `--exclude`.
        Excluded,
        /// The `--max-pages` budget was spent.
        MaxPages,
        /// Deeper than `--max-depth` links from the seeds.
        MaxDepth,
        /// Its path already had `--max-query-variants` distinct query strings.
        TrapQuery,
        /// More than `--max-path-segments` path segments.
        TrapDepth,
        /// A run of path segments repeats (`/a/b/a/b/a/b`).
        TrapRepeat,
        /// Longer than `--max-url-length`.
        TrapLength,
        /// Reached through more than 10 redirect hops.
        RedirectLimit,
        /// `--max-duration` ran out before it was requested.
        MaxDuration,
        /// The run was interrupted (Ctrl-C, SIGTERM) before it was requested.
        Interrupted,
        /// The site kept refusing us (429/503 storm) and the crawl stopped before this URL.
        Refused,
        /// It looks like a logout link: following it could end a session (never followed).
        Logout,
        /// It performs an action when asked (a nonce or CSRF parameter, `?action=`, a verb
        /// segment such as `/delete`): never requested.
        Action,
        /// A link-local or cloud-metadata address (169.254.0.0/16, fe80::/10,
        /// `metadata.google.internal` …): never requested, whatever a list says.
        LinkLocal,
    }
}

closed_list! {
    /// Why a request did not produce a usable response. A closed list: docs/results.md documents each.
    pub enum ErrorKind {
        /// No complete response within `--timeout` (headers and body).
        Timeout,
        /// The connection could not be made (refused, reset, DNS).
        Connect,
        /// The TLS handshake failed (certificate or protocol).
        Tls,
        /// The body was cut off by the server or the connection.
        BodyRead,
        /// The body exceeded `--max-body`; the part read was used.
        BodyTruncated,
        /// A redirect chain of more than 10 hops.
        TooManyRedirects,
        /// A redirect chain that comes back to a URL already in it.
        RedirectLoop,
        /// A 3xx without a usable `Location` header.
        InvalidRedirect,
        /// 429 or 503 still answered after `--retries` retries.
        RetriesExhausted,
        /// A sitemap that could not be parsed (malformed XML, bad gzip, not a sitemap).
        InvalidSitemap,
        /// Any other HTTP-level failure.
        Http,
        /// The server's certificate has expired.
        TlsExpired,
        /// The server's certificate is not valid yet.
        TlsNotYetValid,
        /// The server's certificate was issued for another name.
        TlsNameMismatch,
        /// The server's certificate is self-signed or chained to an unknown root.
        TlsUntrusted,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use strum::VariantArray;

    /// The serde spelling of every member, comma-separated; and strum's must agree.
    pub(crate) fn pinned<T: serde::Serialize + Label>(values: &[T]) -> String {
        values
            .iter()
            .map(|v| {
                let serde = serde_json::to_value(v).unwrap();
                let serde = serde.as_str().unwrap();
                assert_eq!(
                    serde,
                    v.label(),
                    "strum and serde spell a member differently"
                );
                serde.to_string()
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn skip_reason_list_is_pinned() {
        assert_eq!(
            pinned(SkipReason::VARIANTS),
            "robots,out_of_scope,invalid_url,excluded,max_pages,max_depth,trap_query,trap_depth,\
             trap_repeat,trap_length,redirect_limit,max_duration,interrupted,refused,logout,\
             action,link_local"
        );
    }

    #[test]
    fn error_list_is_pinned() {
        assert_eq!(
            pinned(ErrorKind::VARIANTS),
            "timeout,connect,tls,body_read,body_truncated,too_many_redirects,redirect_loop,\
             invalid_redirect,retries_exhausted,invalid_sitemap,http,tls_expired,tls_not_yet_valid,\
             tls_name_mismatch,tls_untrusted"
        );
    }

    #[test]
    fn kind_via_and_robots_lists_are_pinned() {
        assert_eq!(pinned(Kind::VARIANTS), "page,robots_txt,sitemap");
        assert_eq!(
            pinned(DiscoveredVia::VARIANTS),
            "seed,sitemap,link,redirect,probe,render,list,member"
        );
        assert_eq!(pinned(RobotsVerdict::VARIANTS), "allowed,disallowed");
        assert_eq!(label(&None::<Kind>), "");
    }
}
