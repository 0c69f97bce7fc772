//! Telling a site that refuses us (a firewall ban, rate limiting to the end) from a site that
//! protects some of its pages: the refusals in a row, and when they amount to a storm.

use std::collections::HashSet;

use super::frontier::{Frontier, Outcome, UrlId};

/// Consecutive pages refused (429/503 after every retry) that stop the crawl.
pub const REFUSAL_STORM: u32 = 10;

/// The pages refused in a row (403, or 429/503 after every retry), probes aside.
#[derive(Default)]
pub struct RefusalWatch {
    streak: Vec<UrlId>,
    /// Some page answered 2xx: a wall of refusals after that is a ban, not the site's design.
    seen_ok: bool,
}

impl RefusalWatch {
    /// A page answered (probes are expected to be refused: they are not shown here). Returns
    /// whether a streak just ended, so the refusals it held are the site's own answers.
    pub fn answered(&mut self, id: UrlId, status: Option<u16>, retries_exhausted: bool) -> bool {
        if status == Some(403) || retries_exhausted {
            self.streak.push(id);
            return false;
        }
        let Some(status) = status else {
            return false;
        };
        self.streak.clear();
        self.seen_ok |= (200..300).contains(&status);
        true
    }

    /// Whether `id` is one of the current streak's refusals.
    pub fn refusing(&self, id: UrlId) -> bool {
        self.streak.contains(&id)
    }

    /// The URLs of the current streak.
    pub fn streak(&self) -> &[UrlId] {
        &self.streak
    }

    /// The site has switched to refusing us: [`REFUSAL_STORM`] pages in a row refused. 403s
    /// only count after some page answered 2xx and when they span several areas of the site,
    /// so that a walled members' section is not mistaken for a ban.
    pub fn storm(&self, frontier: &Frontier) -> bool {
        if (self.streak.len() as u32) < REFUSAL_STORM {
            return false;
        }
        let ids = &self.streak[self.streak.len() - REFUSAL_STORM as usize..];
        let all_throttled = ids.iter().all(|&id| {
            matches!(
                frontier.get(id).outcome,
                Outcome::Terminal {
                    status: Some(429 | 503)
                }
            )
        });
        let areas: HashSet<&str> = ids
            .iter()
            .map(|&id| {
                let url = &frontier.get(id).url;
                let path = url.splitn(4, '/').nth(3).unwrap_or_default();
                path.split('/').next().unwrap_or_default()
            })
            .collect();
        all_throttled || (self.seen_ok && areas.len() >= 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crawl::frontier::NewEntry;
    use crate::model::{DiscoveredVia, Kind};

    fn refused(frontier: &mut Frontier, watch: &mut RefusalWatch, url: &str, status: u16) {
        let id = frontier.insert(
            url,
            NewEntry {
                kind: Kind::Page,
                via: DiscoveredVia::Link,
                depth: 1,
                referrer: None,
                redirect_hops: 0,
            },
        );
        frontier.get_mut(id).outcome = Outcome::Terminal {
            status: Some(status),
        };
        watch.answered(id, Some(status), status != 403);
    }

    #[test]
    fn a_walled_members_area_is_no_storm_but_a_ban_across_areas_is() {
        let mut f = Frontier::default();
        let mut watch = RefusalWatch::default();
        assert!(watch.answered(0, Some(200), false), "a 2xx ends a streak");
        for i in 0..12 {
            refused(&mut f, &mut watch, &format!("https://a/members/{i}"), 403);
        }
        assert!(!watch.storm(&f), "one area: the site's design");
        for (i, area) in ["blog", "docs", "shop"].iter().cycle().take(10).enumerate() {
            refused(&mut f, &mut watch, &format!("https://a/{area}/{i}"), 403);
        }
        assert!(watch.storm(&f), "403 across areas after a 2xx: a ban");
    }

    #[test]
    fn throttling_to_the_end_is_a_storm_and_any_answer_ends_the_streak() {
        let mut f = Frontier::default();
        let mut watch = RefusalWatch::default();
        for i in 0..9 {
            refused(&mut f, &mut watch, &format!("https://a/p/{i}"), 429);
        }
        assert!(!watch.storm(&f));
        assert!(watch.refusing(watch.streak()[0]));
        assert!(watch.answered(99, Some(404), false));
        assert!(watch.streak().is_empty());
        for i in 0..10 {
            refused(&mut f, &mut watch, &format!("https://a/q/{i}"), 503);
        }
        assert!(watch.storm(&f));
    }
}
