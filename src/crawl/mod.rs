//! The crawl: discovery, scheduling and fetching, down to one settled [`Record`] per URL.
//!
//! One coordinator, the [`Engine`], owns the crawl's state and decides; the requests run as
//! tasks ([`requests`]) that fetch and parse, and their answers come back to it. No lock is
//! shared between them, so none can be held across an await. The engine's parts, each in its
//! own file:
//! - `discover.rs`: meeting URLs (seeds, sitemap entries, links, redirect targets, probes) and
//!   the gatekeeper that names every reason not to request one;
//! - [`requests`]: every request, paced per origin, journaled for `--resume`;
//! - `answers.rs`: what an answer means for the frontier, and its record;
//! - [`hold`]: when a settled record may be handed on;
//! - [`robots_cache`], [`refusals`], [`evidence`]: robots.txt per origin, a site that
//!   refuses us, and the catch-all calibration.
//!
//! Order of work: robots.txt of the start origin, the start URL (whose same-site redirects move
//! the scope), every sitemap, then pages, level by level. Page records are held back until the
//! sitemaps are read, so `in_sitemap` is known when a record is handed on.

mod answers;
mod discover;
pub mod evidence;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod hold;
pub mod html;
pub mod journal;
pub mod member;
pub mod pacer;
pub mod refusals;
pub mod render;
mod rendering;
pub mod requests;
pub mod robots;
pub mod robots_cache;
pub mod scope;
pub mod sitemap;
pub mod tls;
pub mod urlnorm;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
// The engine's per-URL maps are hit several times per page: foldhash over SipHash (random
// per-process seed, so hostile URLs still cannot be chosen to collide).
use foldhash::HashSetExt;
use tokio::time::Instant;
use url::Url;

use crate::config::CrawlConfig;
use crate::model::{CrawlFacts, DiscoveredVia, Kind, Record, SkipReason, StopCause};
use evidence::{Calibrations, Evidence};
use frontier::{Frontier, Lane, NewEntry, State, UrlId};
use hold::{Chain, RowHold, Wait};
pub use refusals::REFUSAL_STORM;
use refusals::RefusalWatch;
pub use rendering::check_browser;
pub use requests::Journal;
use requests::{Answer, Eyes, Requests};
use robots_cache::{Parked, RobotsCache};
use scope::Scope;

/// The start URL is the first URL the frontier meets.
const START_ID: UrlId = 0;

/// Where settled records go (the rules, the CSV writer, the summary's counters, the progress
/// bar).
pub trait RecordSink {
    fn record(&mut self, record: Record) -> Result<()>;
    /// Called about once a second while the crawl runs.
    fn tick(&mut self) -> Result<()>;
    fn discovered(&mut self, _total: usize) {}
    /// Every sitemap is read: the number of URLs known now says how big the site is.
    fn sitemaps_read(&mut self) {}
}

/// What the crawl knows once it is over: the final pass completes every record from it.
pub struct Finished {
    frontier: Frontier,
    robots: RobotsCache,
    calibrations: Calibrations,
    cfg: Arc<CrawlConfig>,
}

impl Finished {
    /// What may have changed since the record was handed on: a shorter or first-sorting way to
    /// the URL, its inlinks, and the context its verdict rests on (a page may have been
    /// linked from a public page after its record was written, or its calibration came late).
    pub fn refresh(&self, record: &mut Record) {
        if let Some(id) = self.frontier.id(record.url.as_str()) {
            let entry = self.frontier.get(id);
            record.found.inlinks = entry.inlinks;
            record.found.depth = entry.depth;
            record.found.via = entry.via;
            if let Some(referrer) = entry.referrer {
                record.found.referrer = Some(self.frontier.get(referrer).url.clone());
            }
        }
        let matcher = &self.cfg.private_matcher;
        record.context = Evidence::new(&self.frontier, &self.robots, &self.calibrations, matcher)
            .context(record);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Sitemaps,
    Pages,
}

pub struct Engine<'a> {
    cfg: Arc<CrawlConfig>,
    scope: Scope,
    frontier: Frontier,
    robots: RobotsCache,
    requests: Requests,
    /// URLs asked whose answer has not been handled yet.
    in_flight: foldhash::HashSet<UrlId>,
    phase: Phase,
    /// The start URL, or where its redirects have led so far.
    start_head: Option<UrlId>,
    /// Links of pages fetched before the sitemaps were read: (page, its depth, links).
    deferred_links: Vec<(UrlId, u32, Vec<extract::Link>)>,
    hold: RowHold,
    refusals: RefusalWatch,
    calibrations: Calibrations,
    facts: CrawlFacts,
    sink: &'a mut dyn RecordSink,
    /// The depth of linked pages being handled (see [`Self::dispatch`]).
    level: u32,
    /// Answers of pages one level deeper, waiting for the current level to end.
    early: Vec<Answer>,
    /// `--render`: the browser, and the records that wait for it.
    rendering: Option<rendering::Rendering>,
    /// robots.txt per origin, for the browser's requests.
    shared_rules: rendering::SharedRules,
    /// The members-only URLs were queued (the last phase of a crawl after a member's).
    members_seeded: bool,
}

impl<'a> Engine<'a> {
    pub fn new(
        cfg: Arc<CrawlConfig>,
        sink: &'a mut dyn RecordSink,
        journal: Journal,
    ) -> Result<Self> {
        let requests = Requests::new(&cfg, journal)?;
        Ok(Self::with(cfg, sink, requests))
    }

    /// A crawl through `fetcher` (the member's client), paced by `pacers`: another crawl of
    /// the same site that shares them keeps the politeness limits for the sum.
    pub fn through(
        cfg: Arc<CrawlConfig>,
        sink: &'a mut dyn RecordSink,
        fetcher: fetch::Fetcher,
        pacers: rendering::Pacers,
    ) -> Self {
        let requests = Requests::with(&cfg, Journal::default(), fetcher, pacers);
        Self::with(cfg, sink, requests)
    }

    /// Pace every origin with `pacers` (those of the member crawl that came before).
    pub fn pace_with(mut self, pacers: rendering::Pacers) -> Self {
        self.requests.share_pacers(pacers);
        self
    }

    fn with(cfg: Arc<CrawlConfig>, sink: &'a mut dyn RecordSink, requests: Requests) -> Self {
        let scope = if cfg.is_list() {
            Scope::of_list(&cfg.start, &cfg.listed)
        } else {
            Scope::new(&cfg.start, cfg.include_subdomains)
        };
        let facts = CrawlFacts {
            origin: scope.origin(),
            interval: cfg.delay,
            concurrency: cfg.concurrency,
            ..CrawlFacts::default()
        };
        Self {
            requests,
            robots: RobotsCache::new(&cfg.start, &cfg.user_agent, &cfg.index_agent),
            scope,
            frontier: Frontier::default(),
            in_flight: foldhash::HashSet::new(),
            phase: Phase::Start,
            start_head: None,
            deferred_links: Vec::new(),
            hold: RowHold::default(),
            refusals: RefusalWatch::default(),
            calibrations: Calibrations::default(),
            facts,
            sink,
            level: 0,
            early: Vec::new(),
            rendering: None,
            shared_rules: Default::default(),
            members_seeded: false,
            cfg,
        }
    }

    /// Crawl until the frontier is empty or `stop` resolves (a signal, or the caller's choice).
    pub async fn run(
        mut self,
        stop: impl Future<Output = StopCause>,
    ) -> Result<(CrawlFacts, Finished)> {
        let started = Instant::now();
        if let Some(render) = &self.cfg.render {
            let (pacers, rules) = (self.requests.pacers(), self.shared_rules.clone());
            let rendering = rendering::Rendering::start(&self.cfg, render, pacers, rules).await?;
            self.rendering = Some(rendering);
        }
        self.seed_start();
        // One handshake of our own: the certificate's faults and expiry, whatever --insecure says.
        self.facts.certificate = tls::inspect(&self.cfg.start, &self.cfg).await;
        let deadline = self.cfg.max_duration.map(|d| started + d);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tokio::pin!(stop);
        loop {
            self.advance_level()?;
            self.dispatch()?;
            if self.requests.is_empty() && !self.early.is_empty() {
                // Nothing is left that could come before them (cannot happen once levels
                // advance, but waiting on nothing would spin forever).
                for answer in std::mem::take(&mut self.early) {
                    self.handle(answer)?;
                }
                continue;
            }
            if self.requests.is_empty() {
                if self.phase == Phase::Pages {
                    if self.seed_members()? {
                        continue;
                    }
                    break;
                }
                // Nothing in flight and nothing to dispatch in this phase: move on.
                self.advance_phase()?;
                continue;
            }
            tokio::select! {
                answer = self.requests.next() => if let Some(answer) = answer {
                    self.receive(answer?)?;
                    if self.refusals.storm(&self.frontier) {
                        // Those answers say nothing about the pages: never findings.
                        for &id in self.refusals.streak() {
                            self.frontier.get_mut(id).flags.refused = true;
                        }
                        self.facts.stopped = Some(StopCause::Refused);
                        break;
                    }
                },
                _ = tick.tick() => {
                    self.sink.tick()?;
                    self.requests.flush()?;
                }
                cause = &mut stop => {
                    self.facts.stopped = Some(cause);
                    break;
                }
                _ = sleep_until_opt(deadline) => {
                    self.facts.stopped = Some(StopCause::MaxDuration);
                    break;
                }
            }
        }
        if let Some(cause) = self.facts.stopped {
            self.wind_down(cause).await?;
        }
        self.finish()?;
        self.requests.flush()?;
        self.facts.requests = self.requests.made();
        self.facts.replayed = self.requests.replays();
        if let Some(rendering) = self.rendering.take() {
            self.facts.rendered = Some(rendering.facts());
            rendering.close().await;
        }
        self.facts.elapsed = started.elapsed();
        let finished = Finished {
            frontier: self.frontier,
            robots: self.robots,
            calibrations: self.calibrations,
            cfg: self.cfg,
        };
        Ok((self.facts, finished))
    }

    /// The start URL: the first URL met, asked first.
    fn seed_start(&mut self) {
        let start = self.cfg.start.clone();
        let via = if self.cfg.is_list() {
            DiscoveredVia::List
        } else {
            DiscoveredVia::Seed
        };
        let id = self.frontier.insert(
            start.as_str(),
            NewEntry {
                kind: Kind::Page,
                via,
                depth: 0,
                referrer: None,
                redirect_hops: 0,
            },
        );
        debug_assert_eq!(id, START_ID);
        let flags = &mut self.frontier.get_mut(id).flags;
        flags.exposed = true;
        let class = self.cfg.private_matcher.class(start.path());
        flags.private = class != crate::audit::PathClass::Public;
        flags.ambiguous = class == crate::audit::PathClass::Ambiguous;
        flags.member = self
            .cfg
            .members
            .as_ref()
            .is_some_and(|m| m.pages.contains_key(start.as_str()));
        self.frontier.push(id, Lane::Priority);
        // A list has no start to move the scope with: each URL stands alone.
        if !self.cfg.is_list() {
            self.start_head = Some(id);
        }
    }

    /// Give in-flight requests a few seconds, then mark everything unfinished.
    async fn wind_down(&mut self, cause: StopCause) -> Result<()> {
        let grace = tokio::time::sleep(Duration::from_secs(3));
        tokio::pin!(grace);
        while !self.requests.is_empty() {
            tokio::select! {
                answer = self.requests.next() => if let Some(Ok(answer)) = answer {
                    self.handle(answer)?;
                },
                _ = &mut grace => break,
            }
        }
        // Answers that came early are answers all the same (and journaled for --resume).
        for answer in std::mem::take(&mut self.early) {
            self.handle(answer)?;
        }
        self.requests.abort_all();
        self.drop_renders()?;
        let reason = match cause {
            StopCause::MaxDuration => SkipReason::MaxDuration,
            StopCause::Refused => SkipReason::Refused,
            StopCause::Interrupt | StopCause::Terminate => SkipReason::Interrupted,
        };
        // URLs parked behind a robots.txt that never arrived are unfinished too.
        let parked = self.robots.take_parked();
        let unfinished: Vec<UrlId> = self
            .in_flight
            .drain()
            .chain(parked)
            .chain(self.frontier.queued().collect::<Vec<_>>())
            .collect();
        for id in unfinished {
            self.skip(id, reason)?;
        }
        Ok(())
    }

    /// Hand on every record still held back.
    fn finish(&mut self) -> Result<()> {
        self.sitemaps_read()?;
        for record in self.hold.unresolved_chains() {
            self.emit(record)?;
        }
        // Calibrations that never came back (the run was stopped): classify without them.
        // Refusals still in a streak are written with whatever the storm check decided.
        let left = self
            .hold
            .release(Wait::Calibration)
            .into_iter()
            .chain(self.hold.release(Wait::Refusals));
        for record in left.collect::<Vec<_>>() {
            self.write(record)?;
        }
        self.sink.tick()
    }

    // ---- scheduling -------------------------------------------------------------------

    fn advance_phase(&mut self) -> Result<()> {
        match self.phase {
            Phase::Start => {
                self.phase = Phase::Sitemaps;
                self.seed_sitemaps()
            }
            Phase::Sitemaps => self.sitemaps_read(),
            Phase::Pages => Ok(()),
        }
    }

    /// Every sitemap is read: probe the private paths, follow the links met so far, and
    /// write the page records held back, now that `in_sitemap` is known.
    fn sitemaps_read(&mut self) -> Result<()> {
        if self.phase == Phase::Pages {
            return Ok(());
        }
        self.phase = Phase::Pages;
        self.sink.sitemaps_read();
        self.seed_probes()?;
        self.seed_listed()?;
        for (id, depth, links) in std::mem::take(&mut self.deferred_links) {
            self.follow_links(id, depth, links)?;
        }
        for mut record in self.hold.release(Wait::Sitemaps) {
            if let Some(id) = self.frontier.id(record.url.as_str()) {
                record.found.in_sitemap = self.frontier.get(id).in_sitemap;
            }
            self.emit(record)?;
        }
        Ok(())
    }

    fn lanes(&self) -> &'static [Lane] {
        match self.phase {
            Phase::Start => &[Lane::Priority],
            Phase::Sitemaps => &[Lane::Sitemap],
            Phase::Pages => &[Lane::Priority, Lane::Normal],
        }
    }

    /// Start requests up to the concurrency. Linked pages go level by level: pages at depth d+1
    /// may be requested while depth d is still answering, but their answers are handled only
    /// once every page at depth d has been (see [`Self::receive`]), and nothing deeper is
    /// requested before that. So a URL's depth is its shortest link distance and its referrer
    /// does not depend on which answer came first (a resumed run must end with the records of
    /// an uninterrupted one), at the cost of a short wait for the slowest page of each level.
    fn dispatch(&mut self) -> Result<()> {
        // `--concurrency` is per origin (each pacer enforces it); with subdomains several
        // origins may each have that many in flight.
        let cap = self.cfg.concurrency as usize * self.requests.origins().max(1);
        'outer: while self.requests.len() < cap {
            for &lane in self.lanes() {
                if lane == Lane::Normal
                    && let Some(next) = self.frontier.peek(lane)
                {
                    let depth = self.frontier.get(next).depth;
                    if depth > self.level + 1 {
                        if !self.requests.is_empty() {
                            continue;
                        }
                        self.level = depth - 1;
                    }
                }
                if let Some(id) = self.frontier.pop(lane) {
                    self.dispatch_one(id, lane)?;
                    continue 'outer;
                }
            }
            break;
        }
        Ok(())
    }

    /// Ask for one URL: after its origin's robots.txt, and only if that allows it.
    fn dispatch_one(&mut self, id: UrlId, lane: Lane) -> Result<()> {
        let Some(url) = self.url(id) else {
            return self.skip(id, SkipReason::InvalidUrl);
        };
        let origin = self.robots.key(&url);
        let Some(rules) = self.robots.rules(&origin) else {
            self.frontier.get_mut(id).state = State::InFlight;
            if self.robots.park(&origin, id, lane) == Parked::Request {
                self.request_robots(origin.to_string(), &url);
            }
            return Ok(());
        };
        let verdict = self
            .robots
            .verdict_by(&rules, &url, robots_cache::Agent::Crawler);
        self.frontier.get_mut(id).robots = Some(verdict);
        if verdict == crate::model::RobotsVerdict::Disallowed && !self.cfg.ignore_robots {
            return self.skip(id, SkipReason::Robots);
        }
        let entry = self.frontier.get_mut(id);
        entry.state = State::InFlight;
        let (kind, private, via) = (entry.kind, entry.flags.private, entry.via);
        let eyes = if self.cfg.as_member {
            let titles = self.cfg.member.as_ref().is_some_and(|m| m.titles);
            // The start page and where it leads: the home page, whose pairs are the chrome.
            let whole = id == START_ID || self.start_head == Some(id);
            Eyes::Member { titles, whole }
        } else if via == DiscoveredVia::Member
            && let Some(view) = self.member_view(url.as_str())
        {
            Eyes::Recheck(Box::new(view))
        } else {
            Eyes::Stranger
        };
        self.in_flight.insert(id);
        self.requests.fetch(id, url, &origin, (kind, private), eyes);
        Ok(())
    }

    /// Ask for robots.txt of `url`'s origin (keyed `origin`): it is a URL with a record too.
    fn request_robots(&mut self, origin: String, url: &Url) {
        let mut robots_url = url.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        let id = match self.frontier.id(robots_url.as_str()) {
            Some(id) => id,
            None => self.frontier.insert(
                robots_url.as_str(),
                NewEntry {
                    kind: Kind::RobotsTxt,
                    via: DiscoveredVia::Seed,
                    depth: 0,
                    referrer: None,
                    redirect_hops: 0,
                },
            ),
        };
        self.frontier.get_mut(id).state = State::InFlight;
        self.in_flight.insert(id);
        self.requests
            .robots(id, origin, robots_url, self.scope.clone());
    }

    fn url(&self, id: UrlId) -> Option<Url> {
        self.scope.reparse(&self.frontier.get(id).url)
    }

    /// An answer arrives. A page of a deeper level (fetched ahead, see [`Self::dispatch`])
    /// waits until every page of the current level is handled: only then is its depth final.
    fn receive(&mut self, answer: Answer) -> Result<()> {
        if self.is_early(&answer) {
            self.early.push(answer);
            return Ok(());
        }
        self.handle(answer)
    }

    fn is_early(&self, answer: &Answer) -> bool {
        answer.fetched_id().is_some_and(|id| {
            let entry = self.frontier.get(id);
            entry.kind == Kind::Page && entry.depth > self.level
        })
    }

    /// Handle the answers that waited and no longer need to: all of them once nothing at the
    /// current level is queued or in flight (the level moves on), and at once those whose URL
    /// turned out shallower while they waited (a redirect from this level led to it).
    fn advance_level(&mut self) -> Result<()> {
        loop {
            for answer in std::mem::take(&mut self.early) {
                self.receive(answer)?;
            }
            let level = self.level;
            let head = self.frontier.peek(Lane::Normal);
            let shallow = |id: &UrlId| self.frontier.get(*id).depth <= level;
            let busy = self.robots.any_parked(|id| shallow(&id))
                || !self.frontier.lane_is_empty(Lane::Priority)
                || self.in_flight.iter().any(shallow)
                || head.is_some_and(|id| shallow(&id));
            if busy || self.phase != Phase::Pages {
                return Ok(());
            }
            let next = self
                .early
                .iter()
                .filter_map(Answer::fetched_id)
                .chain(self.in_flight.iter().copied())
                .chain(head)
                .map(|id| self.frontier.get(id).depth)
                .min();
            match next {
                Some(next) if next > level => self.level = next,
                _ => return Ok(()),
            }
        }
    }

    fn handle(&mut self, answer: Answer) -> Result<()> {
        match answer {
            Answer::Robots(answer) => self.handle_robots(answer),
            Answer::Fetch(answer) => self.handle_fetch(answer),
            Answer::Render(answer) => self.handle_render(answer),
            Answer::Calibration(answer) => {
                self.calibrations.done(answer.key, answer.fingerprint);
                // The records that waited for it are judged again.
                for record in self.hold.release(Wait::Calibration) {
                    self.emit(record)?;
                }
                Ok(())
            }
        }
    }

    // ---- handing records on -----------------------------------------------------------

    /// A URL has its answer: hand its record on once its redirect chain is known, and
    /// complete the records that were waiting on it.
    fn settle(&mut self, id: UrlId, record: Record) -> Result<()> {
        self.frontier.get_mut(id).state = State::Done;
        self.settle_chain(id, record)?;
        for (waiting, record) in self.hold.chains_through(id) {
            self.settle_chain(waiting, record)?;
        }
        Ok(())
    }

    fn settle_chain(&mut self, id: UrlId, mut record: Record) -> Result<()> {
        match hold::resolve_chain(&self.frontier, &self.scope, id, &mut record) {
            Chain::Resolved => self.emit(record),
            Chain::WaitsOn(on) => {
                self.hold.wait_on_chain(id, on, record);
                Ok(())
            }
        }
    }

    /// Hand a record on, or hold it back until it can be (see [`hold::wait_for`]).
    fn emit(&mut self, record: Record) -> Result<()> {
        let refusing = self
            .frontier
            .id(record.url.as_str())
            .is_some_and(|id| self.refusals.refusing(id));
        let wait = hold::wait_for(
            &record,
            self.phase == Phase::Pages,
            self.evidence().waits(&record),
            refusing,
        );
        match wait {
            Some(wait) => {
                self.hold.hold(wait, record);
                Ok(())
            }
            None => self.write(record),
        }
    }

    /// Hand the record on with what is known now.
    fn write(&mut self, mut record: Record) -> Result<()> {
        record.context = self.evidence().context(&record);
        self.sink.record(record)
    }

    fn evidence(&self) -> Evidence<'_> {
        let matcher = &self.cfg.private_matcher;
        Evidence::new(&self.frontier, &self.robots, &self.calibrations, matcher)
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
