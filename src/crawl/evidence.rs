//! The bridge from what the crawl learned to the pure audit rules: catch-all calibration and
//! the [`Context`] of each record. Used while records stream (with what is known so far) and
//! again in the final pass (with everything known).

use std::hash::BuildHasher;

use foldhash::HashMap;
use url::Url;

use super::frontier::{Frontier, UrlId};
use super::robots_cache::{Agent, RobotsCache};
use super::scope;
use crate::audit::{self, Fingerprint, PrivateMatcher};
use crate::model::{CatchAll, Context, Record, RobotsVerdict};

/// One calibration request: a random path that cannot exist, at the root of an origin or
/// inside a private prefix. What the site answers there is what "not found" looks like.
#[derive(Debug, Clone)]
pub enum Calibration {
    Pending,
    /// The fingerprint of a 200 answer; `None` when it answered anything else (a real 404).
    Done(Option<Box<Fingerprint>>),
}

/// Catch-all calibrations per key (`origin` or `origin + prefix`) and the fingerprints of the
/// private pages that answered 200.
#[derive(Debug, Default)]
pub struct Calibrations {
    by_key: HashMap<String, Calibration>,
    pages: HashMap<UrlId, Fingerprint>,
    counter: u64,
}

/// What to request for one calibration key.
pub struct CalibrationRequest {
    pub key: String,
    pub url: Url,
    /// The random path, removed from the answer before comparing (sites echo the path).
    pub echo: String,
}

impl Calibrations {
    /// The root key and the private-prefix key of a private page.
    fn keys(url: &Url, matcher: &PrivateMatcher) -> (String, String, String) {
        let origin = scope::origin_key(url);
        let prefix = private_prefix(url.path(), matcher);
        (origin.clone(), format!("{origin}{prefix}"), prefix)
    }

    /// Record a private page's 200 fingerprint; return the calibrations not yet requested.
    pub fn need(
        &mut self,
        id: UrlId,
        url: &Url,
        fingerprint: Fingerprint,
        matcher: &PrivateMatcher,
    ) -> Vec<CalibrationRequest> {
        self.pages.insert(id, fingerprint);
        let (root, sibling, prefix) = Self::keys(url, matcher);
        let mut requests = Vec::new();
        for (key, dir) in [(root, String::new()), (sibling, prefix)] {
            if self.by_key.contains_key(&key) {
                continue;
            }
            self.counter += 1;
            let random = format!(
                "authwall-{:016x}",
                std::collections::hash_map::RandomState::new().hash_one(self.counter)
            );
            let echo = format!("{dir}/{random}");
            let mut target = url.clone();
            target.set_path(&echo);
            target.set_query(None);
            self.by_key.insert(key.clone(), Calibration::Pending);
            requests.push(CalibrationRequest {
                key,
                url: target,
                echo,
            });
        }
        requests
    }

    pub fn done(&mut self, key: String, fingerprint: Option<Fingerprint>) {
        self.by_key
            .insert(key, Calibration::Done(fingerprint.map(Box::new)));
    }

    /// Whether this page answered a private 200 whose fingerprint is kept.
    pub fn fingerprinted(&self, id: UrlId) -> bool {
        self.pages.contains_key(&id)
    }

    /// Whether the verdict on this page still waits for a calibration answer.
    pub fn pending(&self, id: UrlId, url: &Url, matcher: &PrivateMatcher) -> bool {
        if !self.pages.contains_key(&id) {
            return false;
        }
        let (root, sibling, _) = Self::keys(url, matcher);
        [root, sibling]
            .iter()
            .any(|k| matches!(self.by_key.get(k), Some(Calibration::Pending)))
    }

    /// How a private 200 compares with the answers to paths that cannot exist.
    pub fn catch_all(&self, id: UrlId, url: &Url, matcher: &PrivateMatcher) -> CatchAll {
        let Some(page) = self.pages.get(&id) else {
            return CatchAll::No;
        };
        let (root, sibling, _) = Self::keys(url, matcher);
        let matches = |key: &str| matches!(self.by_key.get(key), Some(Calibration::Done(Some(f))) if audit::similar(page, f));
        if matches(&root) {
            CatchAll::MatchesRoot
        } else if matches(&sibling) {
            CatchAll::MatchesSibling
        } else {
            CatchAll::No
        }
    }
}

/// The private area a path belongs to: the probe path it lies under (`/admin`, `/internal`),
/// else its first segment.
fn private_prefix(path: &str, matcher: &PrivateMatcher) -> String {
    let lower = path.to_ascii_lowercase();
    for probe in matcher.probe_paths() {
        let probe = probe.trim_end_matches('/').to_ascii_lowercase();
        if !probe.is_empty() && (lower == probe || lower.starts_with(&format!("{probe}/"))) {
            return probe;
        }
    }
    match path.trim_start_matches('/').split('/').next() {
        Some(first) if !first.is_empty() => format!("/{first}"),
        _ => String::new(),
    }
}

/// What the rest of the crawl says about a URL, borrowed from the engine's state.
pub(crate) struct Evidence<'a> {
    frontier: &'a Frontier,
    robots: &'a RobotsCache,
    calibrations: &'a Calibrations,
    matcher: &'a PrivateMatcher,
}

impl<'a> Evidence<'a> {
    pub fn new(
        frontier: &'a Frontier,
        robots: &'a RobotsCache,
        calibrations: &'a Calibrations,
        matcher: &'a PrivateMatcher,
    ) -> Self {
        Self {
            frontier,
            robots,
            calibrations,
            matcher,
        }
    }

    /// Whether this record must wait: its final page's catch-all calibration is still out.
    pub fn waits(&self, record: &Record) -> bool {
        let Some(final_url) = record.final_url() else {
            return false;
        };
        let Some(id) = self.frontier.id(final_url.as_str()) else {
            return false;
        };
        self.calibrations.fingerprinted(id)
            && self.calibrations.pending(id, final_url, self.matcher)
    }

    /// The record's [`Context`]: what the frontier, the calibrations and robots.txt know.
    pub fn context(&self, record: &Record) -> Context {
        let flags = self
            .frontier
            .id(record.url.as_str())
            .map(|id| self.frontier.get(id).flags)
            .unwrap_or_default();
        let final_url = record.final_url();
        let final_id = final_url.and_then(|url| self.frontier.id(url.as_str()));
        let final_flags = final_id
            .map(|id| self.frontier.get(id).flags)
            .unwrap_or_default();
        let (catch_all, uncalibrated) = match (final_id, final_url) {
            (Some(id), Some(url)) => (
                self.calibrations.catch_all(id, url, self.matcher),
                // A private 200 whose calibration never came back (the run was stopped)
                // proves nothing either way: unverified, not a leak.
                self.calibrations.pending(id, url, self.matcher),
            ),
            _ => (CatchAll::No, false),
        };
        let index_disallowed = record.url.url().is_some_and(|url| {
            self.robots.verdict(url, Agent::Index) == Some(RobotsVerdict::Disallowed)
        });
        let fetched = record.fetched.as_ref();
        let meta_robots = fetched
            .and_then(|f| f.page.as_ref())
            .map_or("", |p| p.meta_robots.as_str());
        let x_robots_tag = fetched.map_or("", |f| f.x_robots_tag.as_str());
        Context {
            member_reached: flags.member,
            private: flags.private,
            ambiguous: flags.ambiguous,
            // A redirect target of a public URL is public; the rules keep its findings on the
            // URL that the site links to.
            exposed: flags.exposed || flags.hop_of_public,
            linked_from_public: flags.linked_from_public,
            linked_from_login: flags.linked_from_login,
            final_login_form: final_flags.login_form,
            final_is_login_target: final_flags.redirect_target
                && (final_flags.login_form || final_url.is_some_and(audit::is_login_url)),
            challenge: flags.challenge || final_flags.challenge,
            catch_all,
            uncalibrated,
            index_disallowed,
            refused: flags.refused,
            noindex: audit::is_noindex_for(meta_robots, x_robots_tag, self.robots.index_token()),
            login_form: flags.login_form,
            form_posts_http: flags.form_posts_http,
            login_form_elsewhere: flags.login_form
                && record.url.url().is_some_and(|url| {
                    let key = audit::without_return(url);
                    let stands = self.frontier.login_form(key.as_str());
                    stands.is_some() && stands != self.frontier.id(url.as_str())
                }),
            links_http_login: flags.links_http_login,
            private_api: flags.private_api,
            absent_guess: flags.absent_guess,
        }
    }
}
