//! robots.txt per origin, as the crawl learns it: requested once, the URLs that need it parked
//! until it arrives, then one verdict per URL for our own user agent or for the search
//! engine's (`--index-agent`).

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use url::Url;

use super::frontier::{Lane, UrlId};
use super::robots::{self, Robots};
use super::scope::OriginKeys;
use crate::model::RobotsVerdict;

/// Whose rules to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// authwall itself (`--user-agent`): may it fetch the URL?
    Crawler,
    /// The search engine (`--index-agent`): may it index the URL?
    Index,
}

enum Slot {
    /// Requested; these URLs wait for it (with the lane they were popped from).
    Loading(Vec<(UrlId, Lane)>),
    Ready(Arc<Robots>),
}

/// What [`RobotsCache::park`] did with a URL whose origin's robots.txt is not known yet.
#[derive(Debug, PartialEq, Eq)]
pub enum Parked {
    /// The first URL of the origin: request its robots.txt.
    Request,
    /// robots.txt is on its way.
    Waiting,
}

pub struct RobotsCache {
    slots: HashMap<Arc<str>, Slot>,
    keys: OriginKeys,
    /// Product tokens of `--user-agent` and of `--index-agent`.
    crawler: String,
    index: String,
}

impl RobotsCache {
    pub fn new(start: &Url, user_agent: &str, index_agent: &str) -> Self {
        Self {
            slots: HashMap::new(),
            keys: OriginKeys::new(start),
            crawler: robots::product_token(user_agent).to_string(),
            index: robots::product_token(index_agent).to_string(),
        }
    }

    /// The product token of `--index-agent`.
    pub fn index_token(&self) -> &str {
        &self.index
    }

    /// The key robots.txt and pacing are kept under for `url`'s origin.
    pub fn key(&self, url: &Url) -> Arc<str> {
        self.keys.of(url)
    }

    /// The audited origin moved (the start URL redirected): its key is the cheap one now.
    pub fn rehome(&mut self, start: &Url) {
        self.keys = OriginKeys::new(start);
    }

    fn ready(&self, key: &str) -> Option<&Robots> {
        match self.slots.get(key)? {
            Slot::Ready(robots) => Some(robots),
            Slot::Loading(_) => None,
        }
    }

    /// robots.txt of the origin under `key`, once it has arrived.
    pub fn rules(&self, key: &str) -> Option<Arc<Robots>> {
        match self.slots.get(key)? {
            Slot::Ready(robots) => Some(robots.clone()),
            Slot::Loading(_) => None,
        }
    }

    /// The verdict for `url`: `None` while its origin's robots.txt is not known.
    pub fn verdict(&self, url: &Url, agent: Agent) -> Option<RobotsVerdict> {
        let robots = self.ready(&self.keys.of(url))?;
        Some(self.verdict_by(robots, url, agent))
    }

    /// The verdict for `url` under rules the caller already holds.
    pub fn verdict_by(&self, robots: &Robots, url: &Url, agent: Agent) -> RobotsVerdict {
        let token = match agent {
            Agent::Crawler => &self.crawler,
            Agent::Index => &self.index,
        };
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        if robots.check(token, path).allowed {
            RobotsVerdict::Allowed
        } else {
            RobotsVerdict::Disallowed
        }
    }

    /// `Crawl-delay` for our user agent in the rules of `key`'s origin.
    pub fn crawl_delay(&self, robots: &Robots) -> Option<f64> {
        robots.crawl_delay(&self.crawler)
    }

    /// The `Sitemap:` lines of `key`'s robots.txt (none while it is not known).
    pub fn sitemaps(&self, key: &str) -> Vec<String> {
        self.ready(key)
            .map(|r| r.sitemaps().to_vec())
            .unwrap_or_default()
    }

    /// Park a URL until robots.txt of its origin (`key`) arrives.
    pub fn park(&mut self, key: &Arc<str>, id: UrlId, lane: Lane) -> Parked {
        match self.slots.get_mut(key) {
            Some(Slot::Loading(waiting)) => {
                waiting.push((id, lane));
                Parked::Waiting
            }
            // Cannot happen (a known robots.txt needs no parking); waiting would be forever.
            Some(Slot::Ready(_)) => Parked::Waiting,
            None => {
                self.slots
                    .insert(key.clone(), Slot::Loading(vec![(id, lane)]));
                Parked::Request
            }
        }
    }

    /// robots.txt of `key`'s origin has arrived: the URLs that waited for it, in the order
    /// they were parked.
    pub fn arrived(&mut self, key: &str, robots: Arc<Robots>) -> Vec<(UrlId, Lane)> {
        match self.slots.insert(key.into(), Slot::Ready(robots)) {
            Some(Slot::Loading(waiting)) => waiting,
            _ => Vec::new(),
        }
    }

    /// Whether some parked URL satisfies `pred`.
    pub fn any_parked(&self, pred: impl Fn(UrlId) -> bool) -> bool {
        self.slots.values().any(|slot| match slot {
            Slot::Loading(waiting) => waiting.iter().any(|&(id, _)| pred(id)),
            Slot::Ready(_) => false,
        })
    }

    /// The URLs still parked (the run stopped before their robots.txt came).
    pub fn take_parked(&mut self) -> Vec<UrlId> {
        self.slots
            .values_mut()
            .filter_map(|slot| match slot {
                Slot::Loading(waiting) => Some(std::mem::take(waiting)),
                Slot::Ready(_) => None,
            })
            .flatten()
            .map(|(id, _)| id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn verdicts_per_agent_once_robots_txt_arrived() {
        let start = url("https://a.example/");
        let mut cache = RobotsCache::new(&start, "authwall/1.0", "Googlebot");
        let page = url("https://a.example/private/x?q=1");
        let key = cache.key(&page);
        assert_eq!(cache.verdict(&page, Agent::Crawler), None, "not known yet");
        assert_eq!(cache.park(&key, 3, Lane::Normal), Parked::Request);
        assert_eq!(cache.park(&key, 4, Lane::Priority), Parked::Waiting);
        assert!(cache.any_parked(|id| id == 4));
        let body = b"User-agent: Googlebot\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n";
        let (robots, _) = robots::interpret(Some(200), body);
        let waiting = cache.arrived(&key, Arc::new(robots));
        assert_eq!(waiting, [(3, Lane::Normal), (4, Lane::Priority)]);
        assert!(!cache.any_parked(|_| true));
        let verdict = |url: &Url, agent| cache.verdict(url, agent);
        assert_eq!(
            verdict(&page, Agent::Crawler),
            Some(RobotsVerdict::Disallowed)
        );
        assert_eq!(
            verdict(&page, Agent::Index),
            Some(RobotsVerdict::Disallowed)
        );
        let open = url("https://a.example/open");
        assert_eq!(verdict(&open, Agent::Index), Some(RobotsVerdict::Allowed));
        assert_eq!(
            verdict(&open, Agent::Crawler),
            Some(RobotsVerdict::Disallowed)
        );
        // Another origin's rules are its own.
        assert_eq!(verdict(&url("https://b.a.example/x"), Agent::Crawler), None);
    }

    #[test]
    fn a_status_is_read_the_rfc_9309_way() {
        use robots::Reading;
        let read = |status| robots::interpret(status, b"User-agent: *\nDisallow: /x\n");
        let (rules, reading) = read(Some(200));
        assert_eq!(reading, Reading::Rules { truncated: false });
        assert!(!rules.check("a", "/x").allowed);
        for (status, want, allowed) in [
            (Some(301), Reading::Redirected, true),
            (Some(404), Reading::Missing, true),
            (Some(401), Reading::Missing, true),
            (Some(429), Reading::Unavailable, false),
            (Some(503), Reading::Unavailable, false),
            (None, Reading::Unavailable, false),
        ] {
            let (rules, reading) = read(status);
            assert_eq!(reading, want, "{status:?}");
            assert_eq!(rules.check("a", "/y").allowed, allowed, "{status:?}");
        }
        assert_eq!(
            Reading::Unavailable.note(Some(503), None),
            "503: robots.txt unavailable, so everything is disallowed (RFC 9309)"
        );
    }

    #[test]
    fn parked_urls_are_handed_back_when_the_run_stops() {
        let start = url("http://a.example/");
        let mut cache = RobotsCache::new(&start, "x", "y");
        let key = cache.key(&start);
        cache.park(&key, 7, Lane::Normal);
        cache.park(&key, 8, Lane::Normal);
        assert_eq!(cache.take_parked(), [7, 8]);
        assert!(cache.take_parked().is_empty());
    }
}
