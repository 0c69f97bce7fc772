//! Meeting URLs: the seeds (start URL, sitemaps, probes of private paths), sitemap entries,
//! links and redirect targets. Each URL enters the frontier once, with the shortest way to it;
//! the gatekeeper ([`Engine::gate`]) names every reason not to request one, and that reason
//! becomes its record.

use std::cmp::Ordering;

use anyhow::Result;
use url::Url;

use super::frontier::{Lane, NewEntry, Outcome, State, UrlId};
use super::robots_cache::Agent;
use super::scope::{self, Scope};
use super::{Engine, Phase, extract, urlnorm};
use crate::audit::PathClass;
use crate::config::MAX_REDIRECTS;
use crate::model::{Address, DiscoveredVia, Kind, RobotsVerdict, SkipReason};

impl Engine<'_> {
    /// The sitemaps robots.txt names (else `/sitemap.xml`), and `--sitemap`.
    pub(super) fn seed_sitemaps(&mut self) -> Result<()> {
        if !self.cfg.use_sitemaps {
            return Ok(());
        }
        let origin = self.scope.origin();
        let robots_url = format!("{origin}/robots.txt");
        // The robots.txt of the origin the scope ended on (the start URL may have moved it).
        let named = self.robots.sitemaps(&self.scope.origin_key());
        let base = Url::parse(&robots_url)?;
        let referrer = self.frontier.id(base.as_str());
        let mut seeds: Vec<Result<Url, String>> = named
            .iter()
            .map(|s| base.join(s.trim()).map_err(|_| s.clone()))
            .collect();
        let guess = seeds.is_empty();
        if guess {
            seeds.push(Ok(base.join("/sitemap.xml")?));
        }
        seeds.extend(self.cfg.sitemaps.iter().cloned().map(Ok));
        let mut ids = Vec::with_capacity(seeds.len());
        for seed in seeds {
            match seed {
                Ok(url) => {
                    ids.push(self.discover(
                        url,
                        Kind::Sitemap,
                        DiscoveredVia::Seed,
                        0,
                        referrer,
                        0,
                    )?);
                }
                Err(raw) => self.record_invalid(&raw, referrer, "Sitemap: line is not a URL")?,
            }
        }
        // The guess is one only if `--sitemap` did not name the same URL.
        if guess && let Some(&first) = ids.first() {
            self.frontier.get_mut(first).flags.guessed = !ids[1..].contains(&first);
        }
        Ok(())
    }

    /// Private areas are rarely linked: ask for them directly, ahead of the link crawl (and
    /// before links can spend the page budget on them).
    pub(super) fn seed_probes(&mut self) -> Result<()> {
        if !self.cfg.probe {
            return Ok(());
        }
        let origin = Url::parse(&format!("{}/", self.scope.origin()))?;
        for path in self.cfg.private_matcher.probe_paths() {
            if let Ok(url) = origin.join(&path) {
                self.discover(url, Kind::Page, DiscoveredVia::Probe, 0, None, 0)?;
            }
        }
        Ok(())
    }

    /// After a member crawl, once the anonymous crawl has nothing left: every URL the member
    /// reached and this crawl did not, asked anonymously (`discovered_via=member`) and
    /// compared with the member's answer. Returns whether any was queued.
    pub(super) fn seed_members(&mut self) -> Result<bool> {
        if self.members_seeded || self.facts.stopped.is_some() {
            return Ok(false);
        }
        self.members_seeded = true;
        let Some(members) = self.cfg.members.clone() else {
            return Ok(false);
        };
        let mut unmet: Vec<&String> = members
            .pages
            .keys()
            .filter(|url| self.frontier.id(url).is_none())
            .collect();
        unmet.sort();
        let mut queued = false;
        for url in unmet {
            let Ok(url) = Url::parse(url) else { continue };
            let id = self.discover(url, Kind::Page, DiscoveredVia::Member, 0, None, 0)?;
            let entry = self.frontier.get_mut(id);
            // Members-only: private by what the site does, whatever its path.
            entry.flags.private = true;
            entry.flags.member = true;
            queued |= entry.state == State::Queued;
            self.facts.members_only += 1;
        }
        Ok(queued)
    }

    /// What the member saw at `url`.
    pub(super) fn member_view(&self, url: &str) -> Option<crate::model::MemberView> {
        self.cfg.members.as_ref()?.pages.get(url).cloned()
    }

    /// `authwall check`: every listed URL after the first (the start), and a row for each line
    /// that is not a URL.
    pub(super) fn seed_listed(&mut self) -> Result<()> {
        for url in self.cfg.listed.iter().skip(1).cloned().collect::<Vec<_>>() {
            self.discover(url, Kind::Page, DiscoveredVia::List, 0, None, 0)?;
        }
        for raw in self.cfg.listed_invalid.clone() {
            self.record_invalid(&raw, None, "the line is not an http(s) URL")?;
        }
        Ok(())
    }

    /// Meet a URL: record it once, and queue it or settle it with the reason it is not fetched.
    /// Returns its id.
    pub(super) fn discover(
        &mut self,
        mut url: Url,
        kind: Kind,
        via: DiscoveredVia,
        depth: u32,
        referrer: Option<UrlId>,
        redirect_hops: u8,
    ) -> Result<UrlId> {
        urlnorm::normalize(&mut url);
        // A page listed in a sitemap; known before its row is written (sitemaps come first).
        let listed = via == DiscoveredVia::Sitemap && kind == Kind::Page;
        if let Some(id) = self.frontier.id(url.as_str()) {
            self.meet_again(id, kind, via, depth, referrer);
            return Ok(id);
        }
        let id = self.frontier.insert(
            url.as_str(),
            NewEntry {
                kind,
                via,
                depth,
                referrer,
                redirect_hops,
            },
        );
        let class = self.cfg.private_matcher.class(url.path());
        let entry = self.frontier.get_mut(id);
        entry.in_sitemap = listed;
        entry.flags.private = class != PathClass::Public;
        entry.flags.ambiguous = class == PathClass::Ambiguous;
        entry.flags.member = self
            .cfg
            .members
            .as_ref()
            .is_some_and(|m| m.pages.contains_key(url.as_str()));
        // The start URL and sitemap entries are what the site exposes in the first place; a
        // listed URL was found by a search engine.
        let seed = matches!(via, DiscoveredVia::Seed | DiscoveredVia::List);
        entry.flags.exposed = listed || (seed && kind == Kind::Page);
        self.sink.discovered(self.frontier.len());
        if let Some(reason) = self.gate(&url, kind, via, depth, redirect_hops) {
            self.skip(id, reason)?;
            return Ok(id);
        }
        let lane = match (kind, via) {
            (Kind::Sitemap, _) => Lane::Sitemap,
            (
                _,
                DiscoveredVia::Redirect
                | DiscoveredVia::Seed
                | DiscoveredVia::List
                | DiscoveredVia::Member
                | DiscoveredVia::Probe,
            ) => Lane::Priority,
            _ => Lane::Normal,
        };
        self.frontier.push(id, lane);
        Ok(id)
    }

    /// [`Self::discover`] for a URL the frontier knows already.
    pub(super) fn meet_again(
        &mut self,
        id: UrlId,
        kind: Kind,
        via: DiscoveredVia,
        depth: u32,
        referrer: Option<UrlId>,
    ) {
        self.keep_shortest_way(id, via, depth, referrer);
        // A page listed in a sitemap; known before its row is written (sitemaps come first).
        let listed = via == DiscoveredVia::Sitemap && kind == Kind::Page;
        let entry = self.frontier.get_mut(id);
        entry.in_sitemap |= listed;
        entry.flags.exposed |= listed;
        if via == DiscoveredVia::Redirect {
            // A row waits on it: move it ahead of the link crawl.
            let lane = if kind == Kind::Sitemap {
                Lane::Sitemap
            } else {
                Lane::Priority
            };
            self.frontier.push(id, lane);
        }
    }

    /// A URL met again: keep the shortest way to it, whatever the order in which answers came
    /// back. `depth` is the shortest distance (crawled level by level, see [`Self::dispatch`]);
    /// among equally short ways a sitemap beats a redirect, a redirect beats a link, and then
    /// the referrer whose URL sorts first wins. Seeds and probes keep how they were found.
    fn keep_shortest_way(
        &mut self,
        id: UrlId,
        via: DiscoveredVia,
        depth: u32,
        referrer: Option<UrlId>,
    ) {
        fn rank(via: DiscoveredVia) -> Option<u8> {
            match via {
                DiscoveredVia::Sitemap => Some(0),
                DiscoveredVia::Redirect => Some(1),
                DiscoveredVia::Link => Some(2),
                _ => None,
            }
        }
        let entry = self.frontier.get(id);
        let (Some(new_rank), Some(old_rank), Some(new_ref)) =
            (rank(via), rank(entry.via), referrer)
        else {
            return;
        };
        // Every link of every page comes here: the referrers' URLs are compared only to break a
        // tie, and not at all when the page links the same URL again.
        let better = match (depth, new_rank).cmp(&(entry.depth, old_rank)) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => entry.referrer.is_some_and(|old_ref| {
                old_ref != new_ref
                    && self.frontier.get(new_ref).url < self.frontier.get(old_ref).url
            }),
        };
        if better {
            let entry = self.frontier.get_mut(id);
            entry.depth = depth;
            entry.via = via;
            entry.referrer = Some(new_ref);
        }
    }

    /// The gatekeeper: every reason not to request a URL, in a fixed order.
    fn gate(
        &mut self,
        url: &Url,
        kind: Kind,
        via: DiscoveredVia,
        depth: u32,
        redirect_hops: u8,
    ) -> Option<SkipReason> {
        if !self.scope.contains(url) {
            return Some(SkipReason::OutOfScope);
        }
        // Only a list can put such an origin in scope.
        if scope::is_link_local(url) {
            return Some(SkipReason::LinkLocal);
        }
        if redirect_hops as usize > MAX_REDIRECTS {
            return Some(SkipReason::RedirectLimit);
        }
        if kind != Kind::Page {
            return None;
        }
        if scope::is_logout(url) {
            return Some(SkipReason::Logout);
        }
        if scope::is_action(url) {
            return Some(SkipReason::Action);
        }
        // The member's own exclusions (`--member-exclude`): more actions this site has.
        if self.cfg.as_member
            && let Some(member) = &self.cfg.member
            && member.exclude_set.is_match(url.path())
        {
            return Some(SkipReason::Action);
        }
        let traps = self.cfg.traps;
        if let Some(reason) = scope::trap(url, &traps) {
            return Some(reason);
        }
        let seed = matches!(via, DiscoveredVia::Seed | DiscoveredVia::List);
        if !seed && !self.cfg.path_selected(url.path()) {
            return Some(SkipReason::Excluded);
        }
        if self.cfg.max_depth.is_some_and(|max| depth > max) {
            return Some(SkipReason::MaxDepth);
        }
        if !self
            .frontier
            .admit_query_variant(url, traps.max_query_variants)
        {
            return Some(SkipReason::TrapQuery);
        }
        // Decided here when robots.txt is already known, so that disallowed pages do not
        // spend the page budget; otherwise dispatch decides.
        if !self.cfg.ignore_robots
            && self.robots.verdict(url, Agent::Crawler) == Some(RobotsVerdict::Disallowed)
        {
            return Some(SkipReason::Robots);
        }
        // Probes and the members-only re-checks (bounded by the member crawl's own budget)
        // are not pages the crawl found.
        let counted = !matches!(via, DiscoveredVia::Probe | DiscoveredVia::Member);
        if counted && self.frontier.pages_queued() >= self.cfg.max_pages {
            return Some(SkipReason::MaxPages);
        }
        None
    }

    /// Meet the links of one page (each linked URL counts one inlink per page).
    pub(super) fn follow_links(
        &mut self,
        id: UrlId,
        depth: u32,
        links: Vec<extract::Link>,
    ) -> Result<()> {
        // A list is checked, not crawled; so is a members-only URL asked again (the member
        // crawl followed its links).
        if self.cfg.is_list() || self.frontier.get(id).via == DiscoveredVia::Member {
            return Ok(());
        }
        let flags = self.frontier.get(id).flags;
        // A public page exposes what it links to (search engines follow those links). A login
        // page does not: its links lead into the app behind it.
        let login = flags.login_form;
        let public = !login && !flags.private && (flags.exposed || flags.hop_of_public);
        // The pages linked, each counted once below: sorting ids is cheaper than a set.
        let mut linked = Vec::with_capacity(links.len());
        for link in links {
            // Most links point at URLs met before: look them up as written, parse only new ones.
            let child = match self.frontier.id(&link.url) {
                Some(known) => {
                    self.meet_again(known, Kind::Page, DiscoveredVia::Link, depth + 1, Some(id));
                    known
                }
                None => match Url::parse(&link.url) {
                    Ok(url) => {
                        self.discover(url, Kind::Page, DiscoveredVia::Link, depth + 1, Some(id), 0)?
                    }
                    Err(_) => continue, // cannot happen: extract serialised it from a Url
                },
            };
            let probe = self.frontier.get(child);
            if probe.via == DiscoveredVia::Probe {
                // A probed path that a page links to after all: say where (the first-sorting
                // of the shallowest pages, whatever the order of answers).
                let key = |r: UrlId| (self.frontier.get(r).depth, self.frontier.get(r).url.clone());
                if probe.referrer.is_none_or(|r| key(id) < key(r)) {
                    self.frontier.get_mut(child).referrer = Some(id);
                }
            }
            let entry = self.frontier.get_mut(child);
            let child_flags = &mut entry.flags;
            let anchor = matches!(
                link.kind,
                extract::LinkKind::Anchor | extract::LinkKind::Area
            );
            child_flags.exposed |= public;
            child_flags.linked_from_public |= public && anchor;
            child_flags.linked_from_login |= login && anchor;
            linked.push(child);
        }
        linked.sort_unstable();
        linked.dedup();
        for child in linked {
            self.frontier.get_mut(child).inlinks += 1;
        }
        Ok(())
    }

    /// Follow one redirect hop: the target becomes (or already is) a URL of its own.
    pub(super) fn redirect_to(
        &mut self,
        id: UrlId,
        target: Url,
        kind: Kind,
        depth: u32,
        hops: u8,
    ) -> Result<UrlId> {
        if self.start_head == Some(id)
            && self.phase == Phase::Start
            && self.scope.is_same_site_move(&target)
        {
            let from = self.scope.origin();
            self.scope = Scope::new(&target, self.cfg.include_subdomains);
            self.robots.rehome(&target);
            let to = self.scope.origin();
            self.facts.origin = to.clone();
            let first = self
                .facts
                .scope_moved
                .as_ref()
                .map_or(from, |(f, _)| f.clone());
            self.facts.scope_moved = Some((first, to));
        }
        let target = self.discover(
            target,
            kind,
            DiscoveredVia::Redirect,
            depth,
            Some(id),
            hops.saturating_add(1),
        )?;
        let source = self.frontier.get(id).flags;
        let public = !source.private && (source.exposed || source.hop_of_public);
        let flags = &mut self.frontier.get_mut(target).flags;
        flags.redirect_target = true;
        flags.hop_of_public |= public;
        if self.start_head == Some(id) {
            self.start_head = Some(target);
        }
        Ok(target)
    }

    pub(super) fn record_invalid(
        &mut self,
        raw: &str,
        referrer: Option<UrlId>,
        why: &str,
    ) -> Result<()> {
        if self.frontier.id(raw).is_some() {
            return Ok(());
        }
        let id = self.frontier.insert(
            raw,
            NewEntry {
                kind: Kind::Page,
                via: DiscoveredVia::Sitemap,
                depth: 0,
                referrer,
                redirect_hops: 0,
            },
        );
        self.frontier.get_mut(id).outcome = Outcome::Skipped(SkipReason::InvalidUrl);
        let mut record = self.skeleton(id);
        record.url = Address::Invalid(raw.to_string());
        record.skip = Some(SkipReason::InvalidUrl);
        record.note = why.to_string();
        self.emit(record)
    }
}
