//! When a settled record may be handed on, and where it waits until then. A record is
//! written once, as final as the crawl can make it at that point, because a streamed row
//! cannot be taken back (not even on stdout). So it waits:
//! - for the sitemaps, while they are not all read: a page may still turn out to be listed;
//! - for the end of its redirect chain, to know where the chain lands;
//! - for a catch-all calibration, when it is a private 200 (a leak, or the site's answer to
//!   anything?);
//! - for the end of a refusal streak, when it is one of the refusals (a ban, or the site?).

use foldhash::{HashMap, HashSet, HashSetExt};

use super::frontier::{Frontier, Outcome, UrlId};
use super::scope::Scope;
use crate::config::MAX_REDIRECTS;
use crate::model::{DiscoveredVia, ErrorKind, Hop, Kind, Record, label};

/// What a settled record waits for (other than its redirect chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Sitemaps,
    Calibration,
    Refusals,
}

/// The single rule for when a record whose chain is resolved may be written: not while the
/// sitemaps are being read if it is a page that may be listed, not while its calibration is
/// out, not while it is part of a refusal streak.
pub fn wait_for(
    record: &Record,
    sitemaps_read: bool,
    calibrating: bool,
    refusing: bool,
) -> Option<Wait> {
    let may_be_listed = record.kind == Kind::Page && record.found.via != DiscoveredVia::Sitemap;
    if !sitemaps_read && may_be_listed {
        Some(Wait::Sitemaps)
    } else if calibrating {
        Some(Wait::Calibration)
    } else if refusing {
        Some(Wait::Refusals)
    } else {
        None
    }
}

/// The records held back, by what they wait for.
#[derive(Default)]
pub struct RowHold {
    sitemaps: Vec<Record>,
    calibration: Vec<Record>,
    refusals: Vec<Record>,
    /// Records of redirecting URLs whose chain is not settled yet, by URL.
    chains: HashMap<UrlId, Record>,
    /// Who waits on the answer of a URL: the URLs whose chains pass through it.
    waiters: HashMap<UrlId, Vec<UrlId>>,
}

impl RowHold {
    pub fn hold(&mut self, wait: Wait, record: Record) {
        self.list(wait).push(record);
    }

    fn list(&mut self, wait: Wait) -> &mut Vec<Record> {
        match wait {
            Wait::Sitemaps => &mut self.sitemaps,
            Wait::Calibration => &mut self.calibration,
            Wait::Refusals => &mut self.refusals,
        }
    }

    /// Everything that waited for `wait`, in the order it came.
    pub fn release(&mut self, wait: Wait) -> Vec<Record> {
        std::mem::take(self.list(wait))
    }

    /// `id`'s record waits until `on` (a URL further down its chain) is settled.
    pub fn wait_on_chain(&mut self, id: UrlId, on: UrlId, record: Record) {
        self.chains.insert(id, record);
        self.waiters.entry(on).or_default().push(id);
    }

    /// `id` is settled: the chain records that waited on it.
    pub fn chains_through(&mut self, id: UrlId) -> Vec<(UrlId, Record)> {
        let Some(waiting) = self.waiters.remove(&id) else {
            return Vec::new();
        };
        waiting
            .into_iter()
            .filter_map(|w| self.chains.remove(&w).map(|record| (w, record)))
            .collect()
    }

    /// Chains that never resolved (cannot happen once every URL is settled, but a lost row is
    /// worse than a row with an unfinished chain), by URL id.
    pub fn unresolved_chains(&mut self) -> Vec<Record> {
        let mut left: Vec<(UrlId, Record)> = self.chains.drain().collect();
        left.sort_unstable_by_key(|(id, _)| *id);
        self.waiters.clear();
        left.into_iter().map(|(_, record)| record).collect()
    }
}

/// Where a record's redirect chain stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Chain {
    /// It does not redirect, or its chain is known to its end (written into the record).
    Resolved,
    /// A URL of the chain has no answer yet.
    WaitsOn(UrlId),
}

/// Follow `id`'s redirect hops through the frontier and write the chain into its record:
/// the hops, the final status, a loop or too many hops, a target that was not requested.
pub fn resolve_chain(frontier: &Frontier, scope: &Scope, id: UrlId, record: &mut Record) -> Chain {
    if !matches!(frontier.get(id).outcome, Outcome::Redirect { .. }) {
        return Chain::Resolved;
    }
    let mut hops = Vec::new();
    let mut seen = HashSet::new();
    seen.insert(id);
    let mut current = id;
    record.final_status = None;
    loop {
        match frontier.get(current).outcome {
            Outcome::Redirect { status, target } => {
                let Some(target_url) = scope.reparse(&frontier.get(target).url) else {
                    // Cannot happen: redirect targets are met as parsed URLs.
                    record.error = Some(ErrorKind::InvalidRedirect);
                    break;
                };
                hops.push(Hop {
                    status,
                    target: target_url,
                });
                if !seen.insert(target) {
                    record.error = Some(ErrorKind::RedirectLoop);
                    break;
                }
                if hops.len() > MAX_REDIRECTS {
                    record.error = Some(ErrorKind::TooManyRedirects);
                    break;
                }
                current = target;
            }
            Outcome::Unsettled => return Chain::WaitsOn(current),
            Outcome::Terminal { status } => {
                record.final_status = status;
                break;
            }
            Outcome::Skipped(reason) => {
                record.add_note(&format!(
                    "redirect target not requested: {}",
                    label(&reason)
                ));
                break;
            }
        }
    }
    record.hops = hops;
    Chain::Resolved
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::crawl::frontier::NewEntry;
    use crate::model::{Address, Discovery, SkipReason};

    fn record(via: DiscoveredVia, kind: Kind) -> Record {
        let url = Url::parse("https://a.example/x").unwrap();
        let found = Discovery {
            via,
            ..Discovery::default()
        };
        Record::new(Address::Url(url), kind, found)
    }

    #[test]
    fn the_rule_holds_pages_for_sitemaps_then_calibration_then_refusals() {
        let page = record(DiscoveredVia::Link, Kind::Page);
        let listed = record(DiscoveredVia::Sitemap, Kind::Page);
        let sitemap = record(DiscoveredVia::Seed, Kind::Sitemap);
        assert_eq!(wait_for(&page, false, true, true), Some(Wait::Sitemaps));
        assert_eq!(
            wait_for(&listed, false, false, false),
            None,
            "listed: final"
        );
        assert_eq!(wait_for(&sitemap, false, false, false), None);
        assert_eq!(wait_for(&page, true, true, true), Some(Wait::Calibration));
        assert_eq!(wait_for(&page, true, false, true), Some(Wait::Refusals));
        assert_eq!(wait_for(&page, true, false, false), None);
    }

    #[test]
    fn held_records_come_back_in_order_once() {
        let mut hold = RowHold::default();
        let mut a = record(DiscoveredVia::Link, Kind::Page);
        a.note = "a".into();
        let mut b = a.clone();
        b.note = "b".into();
        hold.hold(Wait::Calibration, a);
        hold.hold(Wait::Calibration, b);
        let back: Vec<String> = hold
            .release(Wait::Calibration)
            .into_iter()
            .map(|r| r.note)
            .collect();
        assert_eq!(back, ["a", "b"]);
        assert!(hold.release(Wait::Calibration).is_empty());
    }

    fn entry(frontier: &mut Frontier, url: &str) -> UrlId {
        frontier.insert(
            url,
            NewEntry {
                kind: Kind::Page,
                via: DiscoveredVia::Link,
                depth: 0,
                referrer: None,
                redirect_hops: 0,
            },
        )
    }

    #[test]
    fn chains_resolve_to_their_end_loops_and_unrequested_targets() {
        let start = Url::parse("https://a.example/").unwrap();
        let scope = Scope::new(&start, false);
        let mut f = Frontier::default();
        let a = entry(&mut f, "https://a.example/a");
        let b = entry(&mut f, "https://a.example/b");
        let c = entry(&mut f, "https://a.example/login");
        f.get_mut(a).outcome = Outcome::Redirect {
            status: Some(301),
            target: b,
        };
        f.get_mut(b).outcome = Outcome::Redirect {
            status: None,
            target: c,
        };
        let mut r = record(DiscoveredVia::Link, Kind::Page);
        assert_eq!(resolve_chain(&f, &scope, a, &mut r), Chain::WaitsOn(c));
        f.get_mut(c).outcome = Outcome::Terminal { status: Some(200) };
        assert_eq!(resolve_chain(&f, &scope, a, &mut r), Chain::Resolved);
        let hops: Vec<String> = r.hops.iter().map(Hop::to_string).collect();
        assert_eq!(
            hops,
            ["301 https://a.example/b", "meta https://a.example/login"]
        );
        assert_eq!(r.final_status, Some(200));

        f.get_mut(c).outcome = Outcome::Redirect {
            status: Some(302),
            target: a,
        };
        let mut r = record(DiscoveredVia::Link, Kind::Page);
        resolve_chain(&f, &scope, a, &mut r);
        assert_eq!(r.error, Some(ErrorKind::RedirectLoop));
        assert_eq!(r.hops.len(), 3);

        f.get_mut(c).outcome = Outcome::Skipped(SkipReason::Robots);
        let mut r = record(DiscoveredVia::Link, Kind::Page);
        resolve_chain(&f, &scope, a, &mut r);
        assert_eq!(r.note, "redirect target not requested: robots");
        assert_eq!(r.final_status, None);
    }

    #[test]
    fn records_waiting_on_a_chain_are_handed_back_when_it_settles() {
        let mut hold = RowHold::default();
        hold.wait_on_chain(1, 5, record(DiscoveredVia::Link, Kind::Page));
        hold.wait_on_chain(2, 5, record(DiscoveredVia::Link, Kind::Page));
        hold.wait_on_chain(3, 6, record(DiscoveredVia::Link, Kind::Page));
        let ids: Vec<UrlId> = hold
            .chains_through(5)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, [1, 2]);
        assert!(hold.chains_through(5).is_empty());
        assert_eq!(hold.unresolved_chains().len(), 1);
    }
}
