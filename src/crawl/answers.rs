//! What an answer means: robots.txt sets an origin's rules and pace, a sitemap lists URLs, a
//! page links to URLs and may redirect; each answer becomes the URL's [`Record`], and a
//! private page's 2xx asks for a catch-all calibration first.

use std::time::Duration;

use anyhow::Result;
use url::Url;

use super::evidence::CalibrationRequest;
use super::extract::{self, Page};
use super::fetch::Response;
use super::frontier::{Outcome, State, UrlId};
use super::requests::{FetchAnswer, RobotsAnswer};
use super::robots::{self, Reading};
use super::robots_cache::Agent;
use super::sitemap::{self, Sitemap};
use super::{Engine, Phase, START_ID};
use crate::audit;
use crate::config::MAX_CRAWL_DELAY;
use crate::model::{
    Address, DiscoveredVia, Discovery, ErrorKind, Fetched, Kind, PageFacts, Record, RobotsVerdict,
    SkipReason,
};

impl Engine<'_> {
    pub(super) fn handle_robots(&mut self, answer: RobotsAnswer) -> Result<()> {
        let RobotsAnswer {
            id,
            origin,
            response,
            final_url: _,
            hops,
            source,
        } = answer;
        self.in_flight.remove(&id);
        let (rules, reading) = robots::interpret(response.status, &source);
        let note = reading.note(response.status, response.error.as_ref());
        let delay = self
            .robots
            .crawl_delay(&rules)
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| Duration::from_secs_f64(d).min(MAX_CRAWL_DELAY));
        let interval = delay.map_or(self.cfg.delay, |d| d.max(self.cfg.delay));
        let concurrency = if delay.is_some() {
            1
        } else {
            self.cfg.concurrency
        };
        if self.cfg.is_list() && reading == Reading::Unavailable {
            let why = match &response.error {
                Some((kind @ (ErrorKind::Connect | ErrorKind::Timeout), detail))
                    if response.status.is_none() =>
                {
                    unreachable(*kind, detail, self.cfg.timeout)
                }
                _ => note.clone(),
            };
            self.facts
                .unreachable_origins
                .push(format!("{origin}: {why}"));
        }
        if self.scope.origin_key() == origin {
            if self.phase == Phase::Start
                && !self.cfg.is_list()
                && response.status.is_none()
                && let Some((kind @ (ErrorKind::Connect | ErrorKind::Timeout), detail)) =
                    &response.error
            {
                self.facts.start_unreachable = Some(unreachable(*kind, detail, self.cfg.timeout));
            }
            self.facts.robots = note.clone();
            self.facts.robots_unavailable = reading == Reading::Unavailable;
            self.facts.crawl_delay = delay;
            self.facts.interval = interval;
            self.facts.concurrency = concurrency;
        }
        self.requests.pace(&origin, interval, concurrency);

        let mut record = self.answered(id, &response);
        record.robots = Some(RobotsVerdict::Allowed);
        // The robots note says what the answer means; keep a certificate's details too.
        record.note = match record.note.split_once("; certificate: ") {
            Some((_, cert)) => format!("{note}; certificate: {cert}"),
            None => note,
        };
        record.hops = hops;
        let rules = std::sync::Arc::new(rules);
        if self.rendering.is_some() {
            let mut shared = self.shared_rules.lock().unwrap_or_else(|e| e.into_inner());
            shared.insert(origin.clone(), rules.clone());
        }
        let waiting = self.robots.arrived(&origin, rules);
        self.frontier.get_mut(id).outcome = Outcome::Terminal {
            status: response.status,
        };
        self.emit(record)?;
        for (waiting_id, lane) in waiting.into_iter().rev() {
            self.frontier.get_mut(waiting_id).state = State::Queued;
            self.frontier.push_front(waiting_id, lane);
        }
        Ok(())
    }

    pub(super) fn handle_fetch(&mut self, answer: FetchAnswer) -> Result<()> {
        let id = answer.id;
        self.in_flight.remove(&id);
        self.frontier.get_mut(id).flags.challenge = answer.challenge;
        if let Some(fingerprint) = answer.fingerprint {
            // A login form is no leak whatever the calibration says, and an app shell holds no
            // data of its own: neither needs one.
            let judged_without = answer
                .page
                .as_ref()
                .is_some_and(|p| p.has_password_input || audit::is_app_shell(&p.shell));
            if !judged_without {
                self.calibrate(id, &answer.url, *fingerprint);
            }
        }
        let sitemap = self.frontier.get(id).kind == Kind::Sitemap && answer.page.is_none();
        if answer.sitemap.is_some() || sitemap {
            self.handle_sitemap(id, &answer.url, answer.response, answer.sitemap)
        } else {
            self.handle_page(id, &answer.url, answer.response, answer.page, answer.member)
        }
    }

    /// A private page answered 2xx: learn what the site answers for paths that cannot exist
    /// (once per origin and once per private prefix) before calling it a leak.
    fn calibrate(&mut self, id: UrlId, url: &Url, fingerprint: audit::Fingerprint) {
        let requests = self
            .calibrations
            .need(id, url, fingerprint, &self.cfg.private_matcher);
        for CalibrationRequest { key, url, echo } in requests {
            let allowed = self.robots.verdict(&url, Agent::Crawler) == Some(RobotsVerdict::Allowed);
            if !allowed && !self.cfg.ignore_robots {
                self.calibrations.done(key, None);
                continue;
            }
            self.requests.calibration(key, url, echo);
        }
    }

    fn handle_sitemap(
        &mut self,
        id: UrlId,
        url: &Url,
        response: Response,
        map: Option<Sitemap>,
    ) -> Result<()> {
        let mut record = self.answered(id, &response);
        let status = response.status.unwrap_or(0);
        let mut outcome = Outcome::Terminal {
            status: response.status,
        };
        if (300..400).contains(&status)
            && let Some(location) = response.location.as_deref()
            && let Ok(target) = url.join(location.trim())
        {
            // `/sitemap.xml` -> `/sitemap_index.xml` is common: the target is a sitemap too.
            let hops = self.frontier.get(id).redirect_hops;
            let target = self.redirect_to(id, target, Kind::Sitemap, 0, hops)?;
            outcome = Outcome::Redirect {
                status: Some(status),
                target,
            };
        }
        let nothing = match &map {
            None => true,
            Some(map) => map.not_a_sitemap,
        };
        let absent = self.frontier.get(id).flags.guessed
            && ((400..500).contains(&status) || ((200..300).contains(&status) && nothing));
        if absent {
            // The site has no sitemap: say so once, as a fact, not as an error.
            self.frontier.get_mut(id).flags.absent_guess = true;
            let what = if (200..300).contains(&status) {
                "holds no sitemap".to_string()
            } else {
                format!("answers {status}")
            };
            self.facts.sitemap_notes.push(format!(
                "none: robots.txt names none, and {} {what}",
                url.path()
            ));
        } else if let Some(map) = map {
            self.read_sitemap(id, &mut record, map)?;
        }
        self.frontier.get_mut(id).outcome = outcome;
        self.settle(id, record)
    }

    /// A sitemap's entries become URLs of their own; its counts and caps go in its note.
    fn read_sitemap(&mut self, id: UrlId, record: &mut Record, map: Sitemap) -> Result<()> {
        self.facts.sitemaps_read += 1;
        let what = match map.kind {
            sitemap::SitemapKind::Index => "sitemap index",
            sitemap::SitemapKind::UrlSet => "sitemap",
            sitemap::SitemapKind::Text => "text sitemap",
        };
        let mut notes = vec![format!(
            "{what}{}: {} entries",
            if map.gzipped { " (gzip)" } else { "" },
            map.entries.len()
        )];
        if map.url_cap_hit {
            notes.push(format!(
                "stopped at the protocol's {} URL limit",
                sitemap::MAX_SITEMAP_URLS
            ));
        }
        if map.byte_cap_hit {
            notes.push("stopped at the protocol's 50 MB limit".to_string());
        }
        if !map.invalid.is_empty() {
            notes.push(format!("{} invalid <loc>", map.invalid.len()));
        }
        if let Some(error) = &map.error {
            notes.push(error.clone());
            record.error = Some(ErrorKind::InvalidSitemap);
        }
        if map.url_cap_hit || map.byte_cap_hit || map.error.is_some() {
            self.facts.sitemap_notes.push(format!(
                "{}: {}",
                record.url.as_str(),
                notes[1..].join("; ")
            ));
        }
        record.add_note(&notes.join("; "));
        let child_kind = match map.kind {
            sitemap::SitemapKind::Index => Kind::Sitemap,
            _ => Kind::Page,
        };
        for entry in map.entries {
            self.discover(entry, child_kind, DiscoveredVia::Sitemap, 0, Some(id), 0)?;
            if child_kind == Kind::Page {
                self.facts.sitemap_urls += 1;
            }
        }
        for invalid in map.invalid {
            self.record_invalid(&invalid.raw, Some(id), &invalid.reason)?;
        }
        Ok(())
    }

    fn handle_page(
        &mut self,
        id: UrlId,
        url: &Url,
        response: Response,
        page: Option<Page>,
        member: Option<Box<crate::model::MemberView>>,
    ) -> Result<()> {
        if id == START_ID
            && !self.cfg.is_list()
            && response.status.is_none()
            && let Some((kind @ (ErrorKind::Connect | ErrorKind::Timeout), detail)) =
                &response.error
        {
            // No answer at all from the start URL: nothing else can be audited.
            self.facts.start_unreachable = Some(unreachable(*kind, detail, self.cfg.timeout));
        }
        // Probes are expected to be refused (that is what protected areas do).
        if self.frontier.get(id).via != DiscoveredVia::Probe {
            let exhausted = matches!(response.error, Some((ErrorKind::RetriesExhausted, _)));
            if self.refusals.answered(id, response.status, exhausted) {
                // The refusals were the site's own answers after all: write them.
                for record in self.hold.release(super::hold::Wait::Refusals) {
                    self.emit(record)?;
                }
            }
        }
        let mut record = self.answered(id, &response);
        record.member = member;
        if let Some(error) = page.as_ref().and_then(|p| p.parse_error.as_deref()) {
            record.add_note(&format!(
                "HTML parsing stopped early, links after that point not followed: {error}"
            ));
        }
        let depth = self.frontier.get(id).depth;
        let hops = self.frontier.get(id).redirect_hops;
        let mut outcome = Outcome::Terminal {
            status: response.status,
        };
        let status = response.status.unwrap_or(0);
        if (300..400).contains(&status) && status != 304 {
            match response.location.as_deref() {
                Some(location) => match url.join(location.trim()) {
                    Ok(target) if matches!(target.scheme(), "http" | "https") => {
                        let target = self.redirect_to(id, target, Kind::Page, depth, hops)?;
                        outcome = Outcome::Redirect {
                            status: Some(status),
                            target,
                        };
                    }
                    _ => {
                        record.error = Some(ErrorKind::InvalidRedirect);
                        record.add_note(&format!("Location {location:?} is not a usable URL"));
                    }
                },
                None => {
                    record.error = Some(ErrorKind::InvalidRedirect);
                    record.add_note(&format!("{status} without a Location header"));
                }
            }
        }
        let mut render = false;
        let mut html_links = Vec::new();
        if let Some(page) = page {
            self.note_login_signals(id, url, &page);
            render = self.wants_render(id, &page, status);
            if render && self.renders_everything() {
                html_links = page.links.iter().map(|l| l.url.clone()).collect();
            }
            if let Some(fetched) = &mut record.fetched {
                // Only worth a look on a short private page (its words outside the chrome were
                // counted): a sign-in prompt says little else.
                let short = self.frontier.get(id).flags.private
                    && page.main_words < extract::MAIN_WORDS_COUNTED;
                let sign_in_back = short
                    && page.links.iter().any(|link| {
                        link.kind == extract::LinkKind::Anchor
                            && Url::parse(&link.url)
                                .is_ok_and(|to| audit::is_sign_in_back_to(&to, url))
                    });
                fetched.page = Some(PageFacts {
                    title: page.title.unwrap_or_default(),
                    meta_robots: page.meta_robots.unwrap_or_default(),
                    canonical: page.canonical.unwrap_or_default(),
                    shell: page.shell,
                    main_words: page.main_words,
                    sign_in_back,
                });
            }
            if (200..300).contains(&status) {
                if let Some(target) = page.meta_refresh.filter(|t| t != url) {
                    let target = self.redirect_to(id, target, Kind::Page, depth, hops)?;
                    outcome = Outcome::Redirect {
                        status: None,
                        target,
                    };
                }
                let links = page.links;
                if self.phase == Phase::Pages {
                    self.follow_links(id, depth, links)?;
                } else {
                    // Sitemap entries are seeds at depth 0: meet them before links make the
                    // same URLs depth 1 (and `--max-depth` would skip them for good).
                    self.deferred_links.push((id, depth, links));
                }
            }
        }
        self.frontier.get_mut(id).outcome = outcome;
        // A page that redirects (meta refresh) is judged where it lands.
        if render && matches!(outcome, Outcome::Terminal { .. }) {
            // The record waits for the browser's view (see `handle_render`).
            self.render(id, url.clone(), record, html_links);
            return Ok(());
        }
        self.settle(id, record)
    }

    /// What the rules need to know about a page's password forms and login links.
    fn note_login_signals(&mut self, id: UrlId, url: &Url, page: &Page) {
        let https = url.scheme() == "https";
        if page.has_password_input {
            self.frontier
                .note_login_form(id, audit::without_return(url).as_str());
        }
        let flags = &mut self.frontier.get_mut(id).flags;
        flags.login_form = page.has_password_input;
        flags.form_posts_http = page
            .password_form_actions
            .iter()
            .any(|action| action.starts_with("http://"));
        flags.links_http_login = https
            && page.links.iter().any(|link| {
                link.url.starts_with("http://")
                    && matches!(
                        link.kind,
                        extract::LinkKind::Anchor | extract::LinkKind::Area
                    )
                    && Url::parse(&link.url).is_ok_and(|url| audit::is_login_url(&url))
            });
    }

    // ---- records ----------------------------------------------------------------------

    /// The record of a URL as the frontier knows it: how it was met, not what it answered.
    pub(super) fn skeleton(&self, id: UrlId) -> Record {
        let entry = self.frontier.get(id);
        let url = match self.scope.reparse(&entry.url) {
            Some(url) => Address::Url(url),
            None => Address::Invalid(entry.url.to_string()),
        };
        let found = Discovery {
            via: entry.via,
            depth: entry.depth,
            in_sitemap: entry.in_sitemap,
            referrer: entry.referrer.map(|r| self.frontier.get(r).url.clone()),
            inlinks: entry.inlinks,
        };
        let mut record = Record::new(url, entry.kind, found);
        record.robots = entry.robots;
        record
    }

    /// The record of a URL that answered (or failed to).
    fn answered(&self, id: UrlId, response: &Response) -> Record {
        let mut record = self.skeleton(id);
        record.fetched = Some(Box::new(Fetched {
            status: response.status,
            content_type: response.content_type.clone(),
            www_authenticate: response.www_authenticate.clone(),
            x_robots_tag: response.x_robots_tag.clone(),
            response_ms: response.response_ms,
            bytes: response.body_len.or(response.content_length),
            retries: response.retries,
            page: None,
        }));
        record.final_status = response.status;
        if let Some((kind, detail)) = &response.error {
            record.error = Some(*kind);
            record.note = detail.clone();
            let tls_fault = matches!(
                kind,
                ErrorKind::TlsExpired
                    | ErrorKind::TlsNotYetValid
                    | ErrorKind::TlsNameMismatch
                    | ErrorKind::TlsUntrusted
            );
            if let (true, Some(cert)) = (tls_fault, &self.facts.certificate) {
                record.note = format!(
                    "{detail}; certificate: subject {}, issuer {}, valid {} to {}",
                    cert.subject, cert.issuer, cert.not_before, cert.not_after
                );
            }
        }
        record
    }

    /// Settle a URL that is not requested, with the reason.
    pub(super) fn skip(&mut self, id: UrlId, reason: SkipReason) -> Result<()> {
        let entry = self.frontier.get_mut(id);
        entry.state = State::Done;
        entry.outcome = Outcome::Skipped(reason);
        let mut record = self.skeleton(id);
        if record.kind == Kind::Sitemap && reason == SkipReason::OutOfScope {
            self.facts.sitemap_notes.push(format!(
                "{}: on another origin, not read",
                record.url.as_str()
            ));
        }
        record.skip = Some(reason);
        if record.robots.is_none()
            && reason != SkipReason::OutOfScope
            && let Some(url) = record.url.url()
        {
            // Skipped before dispatch (depth, budget, trap): say what robots.txt would decide.
            record.robots = self.robots.verdict(url, Agent::Crawler);
        }
        self.settle(id, record)
    }
}

/// Why the site could not be reached, in a person's words: a DNS failure, a refused
/// connection and a timeout each say so (the detail is the HTTP stack's own text).
fn unreachable(kind: ErrorKind, detail: &str, timeout: std::time::Duration) -> String {
    let lower = detail.to_ascii_lowercase();
    let dns = [
        "lookup address",
        "name or service not known",
        "dns error",
        "no address",
    ];
    match kind {
        ErrorKind::Timeout => format!(
            "no answer within {} (--timeout)",
            humantime::format_duration(timeout)
        ),
        _ if dns.iter().any(|d| lower.contains(d)) => {
            "DNS lookup failed: no such host (check the spelling, or --resolve HOST=IP for a \
             staging host)"
                .to_string()
        }
        _ if lower.contains("connection refused") => {
            "connection refused: nothing listens on that port".to_string()
        }
        _ => format!("cannot connect: {detail}"),
    }
}

#[cfg(test)]
mod unreachable_tests {
    use super::*;

    #[test]
    fn each_cause_is_worded_as_such() {
        let t = std::time::Duration::from_secs(20);
        let say = |kind, detail| unreachable(kind, detail, t);
        assert!(
            say(ErrorKind::Connect, "Connection refused (os error 111)")
                .starts_with("connection refused")
        );
        assert!(
            say(
                ErrorKind::Connect,
                "failed to lookup address information: Name or service not known"
            )
            .starts_with("DNS lookup failed")
        );
        assert_eq!(
            say(ErrorKind::Timeout, "operation timed out"),
            "no answer within 20s (--timeout)"
        );
        assert_eq!(
            say(ErrorKind::Connect, "network unreachable"),
            "cannot connect: network unreachable"
        );
    }
}
