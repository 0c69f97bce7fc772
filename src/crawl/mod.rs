//! The crawl engine: discovery, scheduling and fetching, down to one settled [`AuditRow`] per
//! URL. One coordinator owns all state (the frontier, robots.txt per origin, pending redirect
//! chains) and spawns one task per request; tasks fetch and parse, the coordinator decides.
//! No lock is shared between them, so none can be held across an await.
//!
//! Order of work: robots.txt of the start origin, the start URL (whose same-site redirects move
//! the scope), every sitemap, then pages. Page rows are held back until the sitemaps are read,
//! so `in_sitemap` is known when a row is written.

pub mod evidence;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod html;
pub mod journal;
pub mod pacer;
pub mod robots;
pub mod scope;
pub mod sitemap;
pub mod tls;
pub mod urlnorm;

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::BytesMut;
// The engine's per-URL maps are hit several times per page: foldhash over SipHash (random
// per-process seed, so hostile URLs still cannot be chosen to collide).
use foldhash::{HashMap, HashMapExt, HashSetExt};
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use crate::audit::{self, Fingerprint};
use crate::config::{
    CrawlConfig, MAX_CRAWL_DELAY, MAX_REDIRECTS, MAX_ROBOTS_REDIRECTS, MAX_SITEMAP_BODY,
};
use crate::model::{CrawlFacts, StopCause};
use crate::model::{DiscoveredVia, ErrorKind, Kind, RobotsVerdict, SkipReason, label};
use crate::report::row::AuditRow;
use evidence::{CalibrationRequest, Calibrations, Evidence};
use fetch::{Body, BodySink, Fetcher, Response};
use frontier::{Frontier, Lane, NewEntry, Outcome, State, UrlId};
use pacer::Pacer;
use robots::Robots;
use scope::Scope;

/// The start URL is the first URL the frontier meets.
const START_ID: UrlId = 0;

/// Consecutive pages refused (429/503 after every retry) that stop the crawl.
pub const REFUSAL_STORM: u32 = 10;

/// Where settled rows go (the CSV writer, the summary's counters, the progress bar).
pub trait RowSink {
    fn row(&mut self, row: &AuditRow) -> Result<()>;
    /// Called about once a second while the crawl runs.
    fn tick(&mut self) -> Result<()>;
    fn discovered(&mut self, _total: usize) {}
}

/// What the crawl knows once it is over: the final pass completes every row from it.
pub struct Finished {
    frontier: Frontier,
    scope: Scope,
    robots: HashMap<String, RobotsSlot>,
    calibrations: Calibrations,
    cfg: Arc<CrawlConfig>,
    index_token: String,
}

impl Finished {
    /// Final inlink counts, and the verdict again with everything known: a page may have been
    /// linked from a public page after its row was written, or its calibration came late.
    pub fn finalize(&self, row: &mut AuditRow) {
        if let Some(id) = self.frontier.id(&row.url) {
            let entry = self.frontier.get(id);
            row.inlinks = entry.inlinks;
            // A shorter or first-sorting way to the URL may have been found after its row was
            // written (and a probed path may have been linked since).
            row.depth = entry.depth;
            row.discovered_via = entry.via;
            if let Some(referrer) = entry.referrer {
                row.referrer = self.frontier.get(referrer).url.to_string();
            }
        }
        Evidence {
            frontier: &self.frontier,
            scope: &self.scope,
            robots: &self.robots,
            calibrations: &self.calibrations,
            matcher: &self.cfg.private_matcher,
            index_token: &self.index_token,
        }
        .classify(row);
    }
}

enum Parsed {
    None,
    Page(extract::Page),
    Sitemap(sitemap::Sitemap),
}

enum Done {
    Fetch {
        id: UrlId,
        url: Url,
        response: Response,
        parsed: Parsed,
        /// Fingerprint of a private page's 2xx body, for catch-all calibration.
        fingerprint: Option<Box<Fingerprint>>,
        /// A bot-protection challenge signature on a 403/429/503.
        challenge: bool,
    },
    Calibration {
        key: String,
        fingerprint: Option<Fingerprint>,
    },
    Robots {
        origin: String,
        id: UrlId,
        response: Response,
        /// Where the robots.txt that applies was found (after redirects).
        final_url: Url,
        /// Hops followed to reach robots.txt, as `status url`.
        hops: Vec<String>,
        answer: RobotsAnswer,
    },
    /// An answer read back from the resume journal instead of the network.
    Replayed(Box<Done>),
}

impl Done {
    /// The URL of a fetch answer (live or replayed).
    fn page_id(&self) -> Option<UrlId> {
        match self {
            Done::Fetch { id, .. } => Some(*id),
            Done::Replayed(inner) => inner.page_id(),
            _ => None,
        }
    }
}

pub(crate) enum RobotsSlot {
    Loading(Vec<(UrlId, Lane)>),
    Ready(Arc<Robots>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Sitemaps,
    Pages,
}

pub struct Engine<'a> {
    cfg: Arc<CrawlConfig>,
    fetcher: Fetcher,
    token: String,
    scope: Scope,
    frontier: Frontier,
    robots: HashMap<String, RobotsSlot>,
    pacers: HashMap<String, Arc<Pacer>>,
    tasks: JoinSet<Result<Done>>,
    in_flight: foldhash::HashSet<UrlId>,
    phase: Phase,
    start_head: Option<UrlId>,
    held: Vec<AuditRow>,
    /// Links of pages fetched before the sitemaps were read: (page, its depth, links).
    deferred_links: Vec<(UrlId, u32, Vec<extract::Link>)>,
    /// Rows of redirecting URLs, waiting for the end of their chain.
    pending: HashMap<UrlId, AuditRow>,
    waiters: HashMap<UrlId, Vec<UrlId>>,
    facts: CrawlFacts,
    /// Pages refused in a row (403, or 429/503 after every retry), probes aside.
    streak: Vec<UrlId>,
    /// Some page answered 2xx: a wall of refusals after that is a ban, not the site's design.
    seen_ok: bool,
    calibrations: Calibrations,
    /// Rows whose verdict waits for a catch-all calibration.
    awaiting: Vec<AuditRow>,
    /// Rows of the current refusal streak, written when it ends one way or the other.
    streak_rows: Vec<AuditRow>,
    index_token: String,
    sink: &'a mut dyn RowSink,
    /// The depth of linked pages being handled (see [`Self::dispatch`]).
    level: u32,
    /// Answers of pages one level deeper, waiting for the current level to end.
    early: Vec<Done>,
    /// Where live answers are recorded, for `--resume`.
    journal: Option<journal::Writer>,
    /// Answers of the interrupted run being resumed, replayed instead of requested.
    replay: Option<journal::Replay>,
}

/// The resume journal of a run: where to record, and what to replay.
#[derive(Default)]
pub struct Journal {
    pub writer: Option<journal::Writer>,
    pub replay: Option<journal::Replay>,
}

impl<'a> Engine<'a> {
    pub fn new(cfg: Arc<CrawlConfig>, sink: &'a mut dyn RowSink, journal: Journal) -> Result<Self> {
        let fetcher = Fetcher::new(&cfg)?;
        let scope = Scope::new(&cfg.start, cfg.include_subdomains);
        let token = robots::product_token(&cfg.user_agent).to_string();
        let cfg_index_agent = cfg.index_agent.clone();
        let facts = CrawlFacts {
            origin: scope.origin(),
            interval: cfg.delay,
            concurrency: cfg.concurrency,
            ..CrawlFacts::default()
        };
        Ok(Self {
            cfg,
            fetcher,
            token,
            scope,
            frontier: Frontier::default(),
            robots: HashMap::new(),
            pacers: HashMap::new(),
            tasks: JoinSet::new(),
            in_flight: foldhash::HashSet::new(),
            phase: Phase::Start,
            start_head: None,
            held: Vec::new(),
            deferred_links: Vec::new(),
            pending: HashMap::new(),
            waiters: HashMap::new(),
            facts,
            streak: Vec::new(),
            seen_ok: false,
            calibrations: Calibrations::default(),
            awaiting: Vec::new(),
            streak_rows: Vec::new(),
            index_token: robots::product_token(&cfg_index_agent).to_string(),
            sink,
            level: 0,
            early: Vec::new(),
            journal: journal.writer,
            replay: journal.replay,
        })
    }

    /// Crawl until the frontier is empty or `stop` resolves (a signal, or the caller's choice).
    pub async fn run(
        mut self,
        stop: impl Future<Output = StopCause>,
    ) -> Result<(CrawlFacts, Finished)> {
        let started = Instant::now();
        let start = self.cfg.start.clone();
        let id = self.frontier.insert(
            start.as_str(),
            NewEntry {
                kind: Kind::Page,
                via: DiscoveredVia::Seed,
                depth: 0,
                referrer: None,
                redirect_hops: 0,
            },
        );
        debug_assert_eq!(id, START_ID);
        let flags = &mut self.frontier.get_mut(id).flags;
        flags.exposed = true;
        flags.private = self.cfg.private_matcher.is_private(start.path());
        self.frontier.push(id, Lane::Priority);
        self.start_head = Some(id);

        // One handshake of our own: the certificate's faults and expiry, whatever --insecure says.
        self.facts.certificate = tls::inspect(&self.cfg.start, &self.cfg).await;
        let deadline = self.cfg.max_duration.map(|d| started + d);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tokio::pin!(stop);
        loop {
            self.advance_level()?;
            self.dispatch()?;
            if self.tasks.is_empty() && !self.early.is_empty() {
                // Nothing is left that could come before them (cannot happen once levels
                // advance, but waiting on nothing would spin forever).
                for done in std::mem::take(&mut self.early) {
                    self.handle(done)?;
                }
                continue;
            }
            if self.tasks.is_empty() {
                if self.phase == Phase::Pages {
                    break;
                }
                // Nothing in flight and nothing to dispatch in this phase: move on.
                self.advance_phase()?;
                continue;
            }
            tokio::select! {
                done = self.tasks.join_next() => match done {
                    Some(Ok(done)) => {
                        self.receive(done?)?;
                        if self.refusal_storm() {
                            // Those answers say nothing about the pages: never findings.
                            for &id in &self.streak {
                                self.frontier.get_mut(id).flags.refused = true;
                            }
                            self.facts.stopped = Some(StopCause::Refused);
                            break;
                        }
                    }
                    Some(Err(e)) => anyhow::bail!("a crawl task failed: {e}"),
                    None => {}
                },
                _ = tick.tick() => {
                    self.sink.tick()?;
                    if let Some(journal) = &mut self.journal {
                        journal.flush()?;
                    }
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
        if let Some(journal) = &mut self.journal {
            journal.flush()?;
        }
        self.facts.elapsed = started.elapsed();
        let finished = Finished {
            frontier: self.frontier,
            scope: self.scope,
            robots: self.robots,
            calibrations: self.calibrations,
            cfg: self.cfg,
            index_token: self.index_token,
        };
        Ok((self.facts, finished))
    }

    /// Give in-flight requests a few seconds, then mark everything unfinished.
    async fn wind_down(&mut self, cause: StopCause) -> Result<()> {
        let grace = tokio::time::sleep(Duration::from_secs(3));
        tokio::pin!(grace);
        while !self.tasks.is_empty() {
            tokio::select! {
                done = self.tasks.join_next() => if let Some(Ok(done)) = done {
                    self.handle(done?)?;
                },
                _ = &mut grace => break,
            }
        }
        // Answers that came early are answers all the same (and journaled for --resume).
        for done in std::mem::take(&mut self.early) {
            self.handle(done)?;
        }
        self.tasks.abort_all();
        let reason = match cause {
            StopCause::MaxDuration => SkipReason::MaxDuration,
            StopCause::Refused => SkipReason::Refused,
            StopCause::Interrupt | StopCause::Terminate => SkipReason::Interrupted,
        };
        // URLs parked behind a robots.txt that never arrived are unfinished too.
        let parked: Vec<UrlId> = self
            .robots
            .values_mut()
            .filter_map(|slot| match slot {
                RobotsSlot::Loading(waiting) => Some(std::mem::take(waiting)),
                RobotsSlot::Ready(_) => None,
            })
            .flatten()
            .map(|(id, _)| id)
            .collect();
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

    fn finish(&mut self) -> Result<()> {
        self.release_held()?;
        // Chains that never resolved (cannot happen once every URL is settled, but a lost row
        // is worse than a row with an unfinished chain).
        let mut left: Vec<UrlId> = self.pending.keys().copied().collect();
        left.sort_unstable();
        for id in left {
            if let Some(row) = self.pending.remove(&id) {
                self.emit(row)?;
            }
        }
        // Calibrations that never came back (the run was stopped): classify without them.
        // Refusals still in a streak are written with whatever the storm check decided.
        let left = std::mem::take(&mut self.awaiting)
            .into_iter()
            .chain(std::mem::take(&mut self.streak_rows));
        for row in left {
            self.write(row)?;
        }
        self.sink.tick()
    }

    /// Write the rows settled before the sitemaps were read, now that `in_sitemap` is known.
    fn release_held(&mut self) -> Result<()> {
        if self.phase == Phase::Pages {
            return Ok(());
        }
        self.phase = Phase::Pages;
        if self.cfg.probe {
            // Private areas are rarely linked: ask for them directly, ahead of the link crawl
            // (and before links can spend the page budget on them).
            let origin = Url::parse(&format!("{}/", self.scope.origin()))?;
            for path in self.cfg.private_matcher.probe_paths() {
                if let Ok(url) = origin.join(&path) {
                    self.discover(url, Kind::Page, DiscoveredVia::Probe, 0, None, 0)?;
                }
            }
        }
        for (id, depth, links) in std::mem::take(&mut self.deferred_links) {
            self.follow_links(id, depth, links)?;
        }
        for mut row in std::mem::take(&mut self.held) {
            if let Some(id) = self.frontier.id(&row.url) {
                row.in_sitemap = self.frontier.get(id).in_sitemap;
            }
            self.emit(row)?;
        }
        Ok(())
    }

    // ---- scheduling -------------------------------------------------------------------

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
    /// does not depend on which answer came first (a resumed run must end with the rows of an
    /// uninterrupted one), at the cost of a short wait for the slowest page of each level.
    fn dispatch(&mut self) -> Result<()> {
        // `--concurrency` is per origin (each pacer enforces it); with subdomains several
        // origins may each have that many in flight.
        let cap = self.cfg.concurrency as usize * self.pacers.len().max(1);
        'outer: while self.tasks.len() < cap {
            for &lane in self.lanes() {
                if lane == Lane::Normal
                    && let Some(next) = self.frontier.peek(lane)
                {
                    let depth = self.frontier.get(next).depth;
                    if depth > self.level + 1 {
                        if !self.tasks.is_empty() {
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

    fn dispatch_one(&mut self, id: UrlId, lane: Lane) -> Result<()> {
        let Some(url) = self.url(id) else {
            return self.skip(id, SkipReason::InvalidUrl);
        };
        let origin = self.scope.key_of(&url);
        let robots = match self.robots.get_mut(&*origin) {
            Some(RobotsSlot::Ready(robots)) => robots.clone(),
            Some(RobotsSlot::Loading(waiting)) => {
                waiting.push((id, lane));
                self.frontier.get_mut(id).state = State::InFlight;
                return Ok(());
            }
            None => {
                self.robots
                    .insert(origin.to_string(), RobotsSlot::Loading(vec![(id, lane)]));
                self.frontier.get_mut(id).state = State::InFlight;
                self.spawn_robots(origin.to_string(), &url);
                return Ok(());
            }
        };
        let allowed = robots.check(&self.token, path_and_query(&url)).allowed;
        self.frontier.get_mut(id).robots = Some(if allowed {
            RobotsVerdict::Allowed
        } else {
            RobotsVerdict::Disallowed
        });
        if !allowed && !self.cfg.ignore_robots {
            return self.skip(id, SkipReason::Robots);
        }
        let entry = self.frontier.get_mut(id);
        entry.state = State::InFlight;
        let kind = entry.kind;
        let private = entry.flags.private;
        self.in_flight.insert(id);
        self.facts.requests += 1;
        if let Some(journal::Record::Fetch {
            response,
            page,
            sitemap,
            fingerprint,
            challenge,
            ..
        }) = self
            .replay
            .as_mut()
            .and_then(|r| r.take(&journal::fetch_key(url.as_str())))
        {
            let parsed = match (page, sitemap) {
                (Some(page), _) => Parsed::Page(page),
                (None, Some(map)) => Parsed::Sitemap(map),
                (None, None) => Parsed::None,
            };
            self.spawn_replayed(Done::Fetch {
                id,
                url,
                response,
                parsed,
                fingerprint: fingerprint.map(Box::new),
                challenge,
            });
            return Ok(());
        }
        let pacer = self.pacer(&origin);
        let fetcher = self.fetcher.clone();
        let max_body = self.cfg.max_body;
        self.tasks.spawn(async move {
            let body = match kind {
                Kind::Sitemap => Body::Always {
                    cap: MAX_SITEMAP_BODY,
                },
                _ => Body::Html { cap: max_body },
            };
            // A private page's 2xx is compared with the catch-all calibrations, from its text;
            // of any other page only the start is kept, where a bot challenge shows.
            let keep = if private {
                audit::FINGERPRINT_BYTES
            } else {
                CHALLENGE_HEAD_BYTES
            };
            let (mut response, body) = fetcher
                .get(&url, &pacer, body, |r| match kind {
                    Kind::Sitemap => TaskBody::Buffer(BytesMut::new()),
                    _ => TaskBody::Page(Box::new(PageBody::new(&url, r, keep))),
                })
                .await;
            let status = response.status.unwrap_or(0);
            let ok = (200..300).contains(&status);
            let headers = std::mem::take(&mut response.refusal_headers);
            let (parsed, fingerprint, challenge) = match body {
                Some(TaskBody::Buffer(buf)) if ok => {
                    // Sitemaps may be gzip bombs and huge: CPU work, off the network threads.
                    let map = tokio::task::spawn_blocking(move || {
                        sitemap::parse(&buf, sitemap::MAX_SITEMAP_URLS, sitemap::MAX_SITEMAP_BYTES)
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("parsing a sitemap failed: {e}"))?;
                    (Parsed::Sitemap(map), None, false)
                }
                Some(TaskBody::Page(page)) => {
                    let PageBody { parser, head } = *page;
                    let page = parser.finish();
                    // The head is read as text only where it is needed (most pages: nowhere).
                    let challenge = !headers.is_empty() && {
                        let pairs: Vec<(&str, &str)> = headers
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        let text = String::from_utf8_lossy(&head.0);
                        audit::is_challenge(status, &pairs, prefix(&text, CHALLENGE_HEAD_BYTES))
                    };
                    let fingerprint = if private && ok {
                        let path = url.path().to_owned();
                        Some(Box::new(
                            tokio::task::spawn_blocking(move || {
                                audit::fingerprint(
                                    &String::from_utf8_lossy(&head.0),
                                    &[path.as_str()],
                                )
                            })
                            .await
                            .map_err(|e| anyhow::anyhow!("fingerprinting failed: {e}"))?,
                        ))
                    } else {
                        None
                    };
                    (Parsed::Page(page), fingerprint, challenge)
                }
                _ => (Parsed::None, None, false),
            };
            Ok(Done::Fetch {
                id,
                url,
                response,
                parsed,
                fingerprint,
                challenge,
            })
        });
        Ok(())
    }

    /// An answer from the journal goes through the task set like a live one, so that it is
    /// handled in the same order (levels, early answers) as in the interrupted run.
    fn spawn_replayed(&mut self, done: Done) {
        self.tasks
            .spawn(async move { Ok(Done::Replayed(Box::new(done))) });
    }

    fn spawn_robots(&mut self, origin: String, url: &Url) {
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
        self.facts.requests += 1;
        let pacer = self.pacer(&origin);
        let fetcher = self.fetcher.clone();
        let scope = self.scope.clone();
        let replayed = self
            .replay
            .as_mut()
            .and_then(|r| r.take(&journal::robots_key(&origin)));
        if let Some(journal::Record::Robots {
            origin,
            response,
            final_url,
            hops,
            source,
            note,
        }) = replayed
            && let Ok(final_url) = Url::parse(&final_url)
        {
            let answer = RobotsAnswer::replayed(response.status, source, note);
            self.spawn_replayed(Done::Robots {
                origin,
                id,
                response,
                final_url,
                hops,
                answer,
            });
            return;
        }
        self.tasks.spawn(async move {
            let (response, final_url, hops, answer) =
                fetch_robots(&fetcher, &pacer, robots_url, &scope).await;
            Ok(Done::Robots {
                origin,
                id,
                response,
                final_url,
                hops,
                answer,
            })
        });
    }

    fn pacer(&mut self, origin: &str) -> Arc<Pacer> {
        // Every request asks: the key is copied only the first time.
        if let Some(pacer) = self.pacers.get(origin) {
            return pacer.clone();
        }
        let (delay, concurrency) = (self.cfg.delay, self.cfg.concurrency);
        self.pacers
            .entry(origin.to_string())
            .or_insert_with(|| Arc::new(Pacer::new(delay, concurrency)))
            .clone()
    }

    fn advance_phase(&mut self) -> Result<()> {
        match self.phase {
            Phase::Start => {
                self.phase = Phase::Sitemaps;
                self.seed_sitemaps()
            }
            Phase::Sitemaps => self.release_held(),
            Phase::Pages => Ok(()),
        }
    }

    fn seed_sitemaps(&mut self) -> Result<()> {
        if !self.cfg.use_sitemaps {
            return Ok(());
        }
        let origin = self.scope.origin();
        let robots_url = format!("{origin}/robots.txt");
        // The robots.txt of the origin the scope ended on (the start URL may have moved it).
        let named: Vec<String> = match self.robots.get(&self.scope.origin_key()) {
            Some(RobotsSlot::Ready(r)) => r.sitemaps().to_vec(),
            _ => Vec::new(),
        };
        let base = Url::parse(&robots_url)?;
        let referrer = self.frontier.id(base.as_str());
        let mut seeds: Vec<Result<Url, String>> = named
            .iter()
            .map(|s| base.join(s.trim()).map_err(|_| s.clone()))
            .collect();
        if seeds.is_empty() {
            seeds.push(Ok(base.join("/sitemap.xml")?));
        }
        seeds.extend(self.cfg.sitemaps.iter().cloned().map(Ok));
        for seed in seeds {
            match seed {
                Ok(url) => {
                    self.discover(url, Kind::Sitemap, DiscoveredVia::Seed, 0, referrer, 0)?;
                }
                Err(raw) => self.record_invalid(&raw, referrer, "Sitemap: line is not a URL")?,
            }
        }
        Ok(())
    }

    // ---- discovery --------------------------------------------------------------------

    /// Meet a URL: record it once, and queue it or settle it with the reason it is not fetched.
    /// Returns its id.
    fn discover(
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
        let private = self.cfg.private_matcher.is_private(url.path());
        let entry = self.frontier.get_mut(id);
        entry.in_sitemap = listed;
        entry.flags.private = private;
        // The start URL and sitemap entries are what the site exposes in the first place.
        entry.flags.exposed = listed || (via == DiscoveredVia::Seed && kind == Kind::Page);
        self.sink.discovered(self.frontier.len());
        if let Some(reason) = self.gate(&url, kind, via, depth, redirect_hops) {
            self.skip(id, reason)?;
            return Ok(id);
        }
        let lane = match (kind, via) {
            (Kind::Sitemap, _) => Lane::Sitemap,
            (_, DiscoveredVia::Redirect | DiscoveredVia::Seed | DiscoveredVia::Probe) => {
                Lane::Priority
            }
            _ => Lane::Normal,
        };
        self.frontier.push(id, lane);
        Ok(id)
    }

    /// [`Self::discover`] for a URL the frontier knows already.
    fn meet_again(
        &mut self,
        id: UrlId,
        kind: Kind,
        via: DiscoveredVia,
        depth: u32,
        referrer: Option<UrlId>,
    ) {
        self.rediscover(id, via, depth, referrer);
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
    fn rediscover(&mut self, id: UrlId, via: DiscoveredVia, depth: u32, referrer: Option<UrlId>) {
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
        if redirect_hops as usize > MAX_REDIRECTS {
            return Some(SkipReason::RedirectLimit);
        }
        if kind != Kind::Page {
            return None;
        }
        if scope::is_logout(url) {
            return Some(SkipReason::Logout);
        }
        let traps = self.cfg.traps;
        if let Some(reason) = scope::trap(url, &traps) {
            return Some(reason);
        }
        if via != DiscoveredVia::Seed && !self.cfg.path_selected(url.path()) {
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
            && let Some(RobotsSlot::Ready(robots)) = self.robots.get(&*self.scope.key_of(url))
            && !robots.check(&self.token, path_and_query(url)).allowed
        {
            return Some(SkipReason::Robots);
        }
        if via != DiscoveredVia::Probe && self.frontier.pages_queued() >= self.cfg.max_pages {
            return Some(SkipReason::MaxPages);
        }
        None
    }

    fn url(&self, id: UrlId) -> Option<Url> {
        self.scope.reparse(&self.frontier.get(id).url)
    }

    // ---- results ----------------------------------------------------------------------

    /// An answer arrives. A page of a deeper level (fetched ahead, see [`Self::dispatch`])
    /// waits until every page of the current level is handled: only then is its depth final.
    fn receive(&mut self, done: Done) -> Result<()> {
        if self.is_early(&done) {
            self.early.push(done);
            return Ok(());
        }
        self.handle(done)
    }

    fn is_early(&self, done: &Done) -> bool {
        done.page_id().is_some_and(|id| {
            let entry = self.frontier.get(id);
            entry.kind == Kind::Page && entry.depth > self.level
        })
    }

    /// Handle the answers that waited and no longer need to: all of them once nothing at the
    /// current level is queued or in flight (the level moves on), and at once those whose URL
    /// turned out shallower while they waited (a redirect from this level led to it).
    fn advance_level(&mut self) -> Result<()> {
        loop {
            for done in std::mem::take(&mut self.early) {
                self.receive(done)?;
            }
            let level = self.level;
            let head = self.frontier.peek(Lane::Normal);
            let shallow = |id: &UrlId| self.frontier.get(*id).depth <= level;
            let parked = self.robots.values().any(|slot| {
                matches!(slot, RobotsSlot::Loading(waiting) if waiting.iter().any(|(id, _)| shallow(id)))
            });
            let busy = parked
                || !self.frontier.lane_is_empty(Lane::Priority)
                || self.in_flight.iter().any(shallow)
                || head.is_some_and(|id| shallow(&id));
            if busy || self.phase != Phase::Pages {
                return Ok(());
            }
            let next = self
                .early
                .iter()
                .filter_map(Done::page_id)
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

    /// Append a live answer to the resume journal.
    fn journal_record(&mut self, done: &Done) -> Result<()> {
        let Some(journal) = &mut self.journal else {
            return Ok(());
        };
        let record = match done {
            Done::Robots {
                origin,
                response,
                final_url,
                hops,
                answer,
                ..
            } => journal::RecordRef::Robots {
                origin,
                response,
                final_url: final_url.as_str(),
                hops,
                source: &answer.source,
                note: &answer.note,
            },
            Done::Fetch {
                url,
                response,
                parsed,
                fingerprint,
                challenge,
                ..
            } => journal::RecordRef::Fetch {
                url: url.as_str(),
                response,
                page: match parsed {
                    Parsed::Page(page) => Some(page),
                    _ => None,
                },
                sitemap: match parsed {
                    Parsed::Sitemap(map) => Some(map),
                    _ => None,
                },
                fingerprint: fingerprint.as_deref(),
                challenge: *challenge,
            },
            Done::Calibration { key, fingerprint } => journal::RecordRef::Calibration {
                key,
                fingerprint: fingerprint.as_ref(),
            },
            Done::Replayed(_) => return Ok(()),
        };
        journal.append_ref(&record)
    }

    /// Record a live answer in the journal, then act on it (a replayed one is in it already).
    fn handle(&mut self, mut done: Done) -> Result<()> {
        let mut live = true;
        while let Done::Replayed(inner) = done {
            done = *inner;
            live = false;
        }
        if live {
            self.journal_record(&done)?;
        }
        match done {
            Done::Replayed(_) => Ok(()), // unwrapped above
            Done::Robots {
                origin,
                id,
                response,
                final_url,
                hops,
                answer,
            } => self.handle_robots(
                origin,
                id,
                response,
                (final_url, hops),
                answer.robots,
                answer.note,
            ),
            Done::Fetch {
                id,
                url,
                response,
                parsed,
                fingerprint,
                challenge,
            } => {
                self.in_flight.remove(&id);
                self.facts.requests += u64::from(response.retries);
                self.frontier.get_mut(id).flags.challenge = challenge;
                if let Some(fingerprint) = fingerprint {
                    self.calibrate(id, &url, *fingerprint, &parsed);
                }
                match parsed {
                    Parsed::Sitemap(map) => self.handle_sitemap(id, &url, response, Some(map)),
                    Parsed::Page(page) => self.handle_page(id, &url, response, Some(page)),
                    Parsed::None if self.frontier.get(id).kind == Kind::Sitemap => {
                        self.handle_sitemap(id, &url, response, None)
                    }
                    Parsed::None => self.handle_page(id, &url, response, None),
                }
            }
            Done::Calibration { key, fingerprint } => {
                self.calibrations.done(key, fingerprint);
                self.release_awaiting()
            }
        }
    }

    /// A private page answered 2xx: learn what the site answers for paths that cannot exist
    /// (once per origin and once per private prefix) before calling it a leak. A login form
    /// is no leak whatever the calibration says, so it needs none.
    fn calibrate(&mut self, id: UrlId, url: &Url, fingerprint: Fingerprint, parsed: &Parsed) {
        if matches!(parsed, Parsed::Page(page) if page.has_password_input) {
            return;
        }
        let requests = self
            .calibrations
            .need(id, url, fingerprint, &self.cfg.private_matcher);
        for CalibrationRequest { key, url, echo } in requests {
            let allowed = self.robots.get(&scope::origin_key(&url)).is_some_and(|slot| {
                matches!(slot, RobotsSlot::Ready(r) if r.check(&self.token, path_and_query(&url)).allowed)
            });
            if !allowed && !self.cfg.ignore_robots {
                self.calibrations.done(key, None);
                continue;
            }
            self.facts.requests += 1;
            if let Some(journal::Record::Calibration { key, fingerprint }) = self
                .replay
                .as_mut()
                .and_then(|r| r.take(&journal::calibration_key(&key)))
            {
                self.spawn_replayed(Done::Calibration { key, fingerprint });
                continue;
            }
            let pacer = self.pacer(&scope::origin_key(&url));
            let fetcher = self.fetcher.clone();
            let max_body = self.cfg.max_body;
            // Calibration requests are paced like every other request but get no row.
            self.tasks.spawn(async move {
                let (response, body) = fetcher
                    .get(&url, &pacer, Body::Html { cap: max_body }, |_| {
                        Head::new(audit::FINGERPRINT_BYTES)
                    })
                    .await;
                let fingerprint = match (response.status, body) {
                    (Some(200), Some(body)) => Some(
                        tokio::task::spawn_blocking(move || {
                            audit::fingerprint(&String::from_utf8_lossy(&body.0), &[echo.as_str()])
                        })
                        .await
                        .map_err(|e| anyhow::anyhow!("fingerprinting failed: {e}"))?,
                    ),
                    _ => None,
                };
                Ok(Done::Calibration { key, fingerprint })
            });
        }
    }

    /// Write the rows whose calibration has come back.
    fn release_awaiting(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.awaiting);
        for row in rows {
            self.emit(row)?;
        }
        Ok(())
    }

    /// The site has switched to refusing us (a firewall ban): [`REFUSAL_STORM`] pages in a row
    /// refused. 403s only count after some page answered 2xx and when they span several
    /// areas of the site, so that a walled members' section is not mistaken for a ban.
    fn refusal_storm(&self) -> bool {
        if (self.streak.len() as u32) < REFUSAL_STORM {
            return false;
        }
        let ids = &self.streak[self.streak.len() - REFUSAL_STORM as usize..];
        let all_throttled = ids.iter().all(|&id| {
            matches!(
                self.frontier.get(id).outcome,
                Outcome::Terminal {
                    status: Some(429 | 503)
                }
            )
        });
        let areas: HashSet<&str> = ids
            .iter()
            .map(|&id| {
                let url = &self.frontier.get(id).url;
                let path = url.splitn(4, '/').nth(3).unwrap_or_default();
                path.split('/').next().unwrap_or_default()
            })
            .collect();
        all_throttled || (self.seen_ok && areas.len() >= 3)
    }

    fn handle_robots(
        &mut self,
        origin: String,
        id: UrlId,
        response: Response,
        (final_url, hops): (Url, Vec<String>),
        robots: Robots,
        note: String,
    ) -> Result<()> {
        self.in_flight.remove(&id);
        let unavailable = note.contains("everything is disallowed");
        let delay = robots
            .crawl_delay(&self.token)
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| Duration::from_secs_f64(d).min(MAX_CRAWL_DELAY));
        let interval = delay.map_or(self.cfg.delay, |d| d.max(self.cfg.delay));
        let concurrency = if delay.is_some() {
            1
        } else {
            self.cfg.concurrency
        };
        if self.scope.origin_key() == origin {
            if self.phase == Phase::Start
                && response.status.is_none()
                && let Some((ErrorKind::Connect, detail)) = &response.error
            {
                self.facts.start_unreachable = Some(format!("connect: {detail}"));
            }
            self.facts.robots = note.clone();
            self.facts.robots_unavailable = unavailable;
            self.facts.crawl_delay = delay;
            self.facts.interval = interval;
            self.facts.concurrency = concurrency;
        }
        // robots.txt was this host's first request: the next one waits a full interval.
        let pacer = Arc::new(Pacer::new(interval, concurrency));
        pacer.hold_until(Instant::now() + interval);
        self.pacers.insert(origin.clone(), pacer);

        let mut row = self.base_row(id, &response);
        row.robots = Some(RobotsVerdict::Allowed);
        // The robots note says what the answer means; keep a certificate's details too.
        row.note = match row.note.split_once("; certificate: ") {
            Some((_, cert)) => format!("{note}; certificate: {cert}"),
            None => note,
        };
        if !hops.is_empty() {
            row.redirect_chain = hops.join(" -> ");
            row.final_url = final_url.to_string();
        }
        let robots = Arc::new(robots);
        let waiting = match self.robots.insert(origin, RobotsSlot::Ready(robots)) {
            Some(RobotsSlot::Loading(waiting)) => waiting,
            _ => Vec::new(),
        };
        self.frontier.get_mut(id).outcome = Outcome::Terminal {
            status: response.status,
        };
        self.emit(row)?;
        for (waiting_id, lane) in waiting.into_iter().rev() {
            self.frontier.get_mut(waiting_id).state = State::Queued;
            self.frontier.push_front(waiting_id, lane);
        }
        Ok(())
    }

    fn handle_sitemap(
        &mut self,
        id: UrlId,
        url: &Url,
        response: Response,
        map: Option<sitemap::Sitemap>,
    ) -> Result<()> {
        let mut row = self.base_row(id, &response);
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
        if let Some(map) = map {
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
                row.error = Some(ErrorKind::InvalidSitemap);
            }
            if map.url_cap_hit || map.byte_cap_hit || map.error.is_some() {
                self.facts
                    .sitemap_notes
                    .push(format!("{}: {}", row.url, notes[1..].join("; ")));
            }
            row.note = join_notes(&row.note, &notes.join("; "));
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
        }
        self.frontier.get_mut(id).outcome = outcome;
        self.settle(id, row)
    }

    fn handle_page(
        &mut self,
        id: UrlId,
        url: &Url,
        response: Response,
        page: Option<extract::Page>,
    ) -> Result<()> {
        if id == START_ID
            && response.status.is_none()
            && let Some((kind @ (ErrorKind::Connect | ErrorKind::Timeout), detail)) =
                &response.error
        {
            // No answer at all from the start URL: nothing else can be audited.
            self.facts.start_unreachable = Some(format!("{}: {detail}", label(kind)));
        }
        // Probes are expected to be refused (that is what protected areas do).
        if self.frontier.get(id).via != DiscoveredVia::Probe {
            let refused = response.status == Some(403)
                || matches!(response.error, Some((ErrorKind::RetriesExhausted, _)));
            if refused {
                self.streak.push(id);
            } else if let Some(status) = response.status {
                self.streak.clear();
                self.seen_ok |= (200..300).contains(&status);
                // The refusals were the site's own answers after all: write them.
                for row in std::mem::take(&mut self.streak_rows) {
                    self.emit(row)?;
                }
            }
        }
        let mut row = self.base_row(id, &response);
        if let Some(error) = page.as_ref().and_then(|p| p.parse_error.as_deref()) {
            row.note = join_notes(
                &row.note,
                &format!(
                    "HTML parsing stopped early, links after that point not followed: {error}"
                ),
            );
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
                        row.error = Some(ErrorKind::InvalidRedirect);
                        row.note = join_notes(
                            &row.note,
                            &format!("Location {location:?} is not a usable URL"),
                        );
                    }
                },
                None => {
                    row.error = Some(ErrorKind::InvalidRedirect);
                    row.note =
                        join_notes(&row.note, &format!("{status} without a Location header"));
                }
            }
        }
        if let Some(page) = page {
            let https = url.scheme() == "https";
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
            row.title = page.title.unwrap_or_default();
            row.meta_robots = page.meta_robots.unwrap_or_default();
            row.canonical = page.canonical.unwrap_or_default();
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
        self.settle(id, row)
    }

    /// Meet the links of one page (each linked URL counts one inlink per page).
    fn follow_links(&mut self, id: UrlId, depth: u32, links: Vec<extract::Link>) -> Result<()> {
        let flags = self.frontier.get(id).flags;
        // A public page exposes what it links to (search engines follow those links).
        let public = !flags.private && (flags.exposed || flags.hop_of_public);
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
            child_flags.exposed |= public;
            child_flags.linked_from_public |= public
                && matches!(
                    link.kind,
                    extract::LinkKind::Anchor | extract::LinkKind::Area
                );
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
    fn redirect_to(
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

    fn record_invalid(&mut self, raw: &str, referrer: Option<UrlId>, why: &str) -> Result<()> {
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
        let mut row = self.skeleton(id);
        row.final_url.clear();
        row.skip_reason = Some(SkipReason::InvalidUrl);
        row.note = why.to_string();
        self.emit(row)
    }

    // ---- rows -------------------------------------------------------------------------

    /// The fields every row has, from the frontier.
    fn skeleton(&self, id: UrlId) -> AuditRow {
        let entry = self.frontier.get(id);
        AuditRow {
            url: entry.url.to_string(),
            final_url: entry.url.to_string(),
            depth: entry.depth,
            discovered_via: entry.via,
            in_sitemap: entry.in_sitemap,
            referrer: entry
                .referrer
                .map(|r| self.frontier.get(r).url.to_string())
                .unwrap_or_default(),
            inlinks: entry.inlinks,
            robots: entry.robots,
            kind: entry.kind,
            ..AuditRow::default()
        }
    }

    fn base_row(&self, id: UrlId, response: &Response) -> AuditRow {
        let mut row = self.skeleton(id);
        row.status = response.status;
        row.final_status = response.status;
        row.content_type = response.content_type.clone();
        row.www_authenticate = response.www_authenticate.clone();
        row.x_robots_tag = response.x_robots_tag.clone();
        row.response_ms = response.response_ms;
        row.bytes = response.body_len.or(response.content_length);
        row.retries = response.retries;
        if let Some((kind, detail)) = &response.error {
            row.error = Some(*kind);
            row.note = detail.clone();
            let tls_fault = matches!(
                kind,
                ErrorKind::TlsExpired
                    | ErrorKind::TlsNotYetValid
                    | ErrorKind::TlsNameMismatch
                    | ErrorKind::TlsUntrusted
            );
            if let (true, Some(cert)) = (tls_fault, &self.facts.certificate) {
                row.note = format!(
                    "{detail}; certificate: subject {}, issuer {}, valid {} to {}",
                    cert.subject, cert.issuer, cert.not_before, cert.not_after
                );
            }
        }
        row
    }

    fn robots_verdict(&self, id: UrlId) -> Option<RobotsVerdict> {
        let url = self.url(id)?;
        match self.robots.get(&*self.scope.key_of(&url))? {
            RobotsSlot::Ready(robots) => {
                Some(if robots.check(&self.token, path_and_query(&url)).allowed {
                    RobotsVerdict::Allowed
                } else {
                    RobotsVerdict::Disallowed
                })
            }
            RobotsSlot::Loading(_) => None,
        }
    }

    fn skip(&mut self, id: UrlId, reason: SkipReason) -> Result<()> {
        let entry = self.frontier.get_mut(id);
        entry.state = State::Done;
        entry.outcome = Outcome::Skipped(reason);
        let mut row = self.skeleton(id);
        if row.kind == Kind::Sitemap && reason == SkipReason::OutOfScope {
            self.facts
                .sitemap_notes
                .push(format!("{}: on another origin, not read", row.url));
        }
        row.final_url.clear();
        row.skip_reason = Some(reason);
        if row.robots.is_none() && reason != SkipReason::OutOfScope {
            // Skipped before dispatch (depth, budget, trap): say what robots.txt would decide.
            row.robots = self.robots_verdict(id);
        }
        self.settle(id, row)
    }

    /// A URL has its answer: write its row once its redirect chain is known, and complete
    /// the rows that were waiting on it.
    fn settle(&mut self, id: UrlId, row: AuditRow) -> Result<()> {
        self.frontier.get_mut(id).state = State::Done;
        self.try_emit(id, row)?;
        if let Some(waiting) = self.waiters.remove(&id) {
            for w in waiting {
                if let Some(row) = self.pending.remove(&w) {
                    self.try_emit(w, row)?;
                }
            }
        }
        Ok(())
    }

    fn try_emit(&mut self, id: UrlId, mut row: AuditRow) -> Result<()> {
        if !matches!(self.frontier.get(id).outcome, Outcome::Redirect { .. }) {
            return self.emit(row);
        }
        let mut hops = Vec::new();
        let mut seen = HashSet::from([id]);
        let mut current = id;
        loop {
            match self.frontier.get(current).outcome {
                Outcome::Redirect { status, target } => {
                    let target_url = &self.frontier.get(target).url;
                    hops.push(match status {
                        Some(s) => format!("{s} {target_url}"),
                        None => format!("meta {target_url}"),
                    });
                    row.final_url = target_url.to_string();
                    row.final_status = None;
                    if !seen.insert(target) {
                        row.error = Some(ErrorKind::RedirectLoop);
                        break;
                    }
                    if hops.len() > MAX_REDIRECTS {
                        row.error = Some(ErrorKind::TooManyRedirects);
                        break;
                    }
                    current = target;
                }
                Outcome::Unsettled => {
                    self.pending.insert(id, row);
                    self.waiters.entry(current).or_default().push(id);
                    return Ok(());
                }
                Outcome::Terminal { status } => {
                    row.final_status = status;
                    break;
                }
                Outcome::Skipped(reason) => {
                    row.note = join_notes(
                        &row.note,
                        &format!("redirect target not requested: {}", label(&reason)),
                    );
                    break;
                }
            }
        }
        row.redirect_chain = hops.join(" -> ");
        self.emit(row)
    }

    fn emit(&mut self, row: AuditRow) -> Result<()> {
        // Until every sitemap is read, a page row may still turn out to be listed; robots.txt,
        // sitemap rows and sitemap entries are final and are streamed at once.
        let may_be_listed = row.kind == Kind::Page && row.discovered_via != DiscoveredVia::Sitemap;
        if self.phase != Phase::Pages && may_be_listed {
            self.held.push(row);
            return Ok(());
        }
        if self.evidence().waits(&row) {
            self.awaiting.push(row);
            return Ok(());
        }
        // A refusal may be the start of a ban; its verdict waits until the streak ends (a
        // streamed `public_403` cannot be taken back, not even on stdout).
        if self
            .frontier
            .id(&row.url)
            .is_some_and(|id| self.streak.contains(&id))
        {
            self.streak_rows.push(row);
            return Ok(());
        }
        self.write(row)
    }

    /// Classify with what is known now and hand the row to the sink.
    fn write(&mut self, mut row: AuditRow) -> Result<()> {
        self.evidence().classify(&mut row);
        self.sink.row(&row)
    }

    fn evidence(&self) -> Evidence<'_> {
        Evidence {
            frontier: &self.frontier,
            scope: &self.scope,
            robots: &self.robots,
            calibrations: &self.calibrations,
            matcher: &self.cfg.private_matcher,
            index_token: &self.index_token,
        }
    }
}

/// Bytes kept of a page that is not private: a bot challenge shows in its first 4 KiB.
const CHALLENGE_HEAD_BYTES: usize = 4096;

/// What a fetch task reads a body into.
enum TaskBody {
    /// Sitemaps: bytes (they may be gzip), parsed once complete.
    Buffer(BytesMut),
    /// Pages: parsed as they stream in.
    Page(Box<PageBody>),
}

impl BodySink for TaskBody {
    fn write(&mut self, chunk: &[u8]) {
        match self {
            TaskBody::Buffer(buf) => buf.write(chunk),
            TaskBody::Page(page) => page.write(chunk),
        }
    }
}

/// The first bytes of a body, up to a limit; the rest is dropped.
struct Head(Vec<u8>, usize);

impl Head {
    fn new(keep: usize) -> Self {
        Self(Vec::new(), keep)
    }
}

impl BodySink for Head {
    fn write(&mut self, chunk: &[u8]) {
        let room = self.1.saturating_sub(self.0.len()).min(chunk.len());
        self.0.extend_from_slice(&chunk[..room]);
    }
}

/// A page's body: handed to the streaming parser chunk by chunk; only its head is kept.
struct PageBody {
    parser: extract::PageParser,
    head: Head,
}

impl PageBody {
    fn new(url: &Url, response: &Response, keep: usize) -> Self {
        Self {
            parser: extract::PageParser::new(url.clone(), fetch::charset(&response.content_type)),
            head: Head::new(keep),
        }
    }
}

impl BodySink for PageBody {
    fn write(&mut self, chunk: &[u8]) {
        self.parser.write(chunk);
        self.head.write(chunk);
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Fetch robots.txt, following up to five redirects within the site, and decide what it
/// means (RFC 9309 §2.3.1): 2xx rules apply; 4xx none; 5xx or unreachable, everything is
/// disallowed.
async fn fetch_robots(
    fetcher: &Fetcher,
    pacer: &Pacer,
    mut url: Url,
    scope: &Scope,
) -> (Response, Url, Vec<String>, RobotsAnswer) {
    let mut hops = Vec::new();
    loop {
        let (response, body) = fetcher
            .get(
                &url,
                pacer,
                Body::Always {
                    cap: robots::MAX_ROBOTS_BYTES as u64 + 1,
                },
                |_| BytesMut::new(),
            )
            .await;
        let status = response.status.unwrap_or(0);
        let source = match status {
            200..=299 => body.map(|b| b.to_vec()).unwrap_or_default(),
            _ => Vec::new(),
        };
        let (robots, note) = match status {
            200..=299 => {
                let robots = Robots::parse(&source);
                let note = if robots.truncated() {
                    format!(
                        "{status}: rules apply (only the first {} KiB read)",
                        robots::MAX_ROBOTS_BYTES / 1024
                    )
                } else {
                    format!("{status}: rules apply")
                };
                (robots, note)
            }
            300..=399 => {
                let target = response
                    .location
                    .as_deref()
                    .and_then(|l| url.join(l.trim()).ok());
                match target {
                    // RFC 9309 asks for five redirects; we follow them only where the crawl may
                    // go (the audited origin, or the same site moving to https or www.).
                    Some(target)
                        if hops.len() < MAX_ROBOTS_REDIRECTS
                            && (scope.contains(&target) || scope.is_same_site_move(&target)) =>
                    {
                        hops.push(format!("{status} {target}"));
                        url = target;
                        continue;
                    }
                    _ => (
                        Robots::allow_all(),
                        format!(
                            "{status}: redirects where we do not follow; no restrictions assumed"
                        ),
                    ),
                }
            }
            400..=499 if status != 429 => (
                Robots::allow_all(),
                format!("{status}: no robots.txt, no restrictions"),
            ),
            _ => {
                let why = match (&response.error, response.status) {
                    (_, Some(s)) => s.to_string(),
                    (Some((kind, detail)), None) => format!("{} ({detail})", label(kind)),
                    (None, None) => "no response".to_string(),
                };
                (
                    Robots::disallow_all(),
                    format!(
                        "{why}: robots.txt unavailable, so everything is disallowed (RFC 9309)"
                    ),
                )
            }
        };
        return (
            response,
            url,
            hops,
            RobotsAnswer {
                robots,
                source,
                note,
            },
        );
    }
}

/// What robots.txt means for the crawl, with the body it came from (for the resume journal).
pub(crate) struct RobotsAnswer {
    robots: Robots,
    source: Vec<u8>,
    note: String,
}

impl RobotsAnswer {
    /// The same decision as [`fetch_robots`], from a recorded answer.
    fn replayed(status: Option<u16>, source: Vec<u8>, note: String) -> Self {
        let robots = match status.unwrap_or(0) {
            200..=299 => Robots::parse(&source),
            300..=428 | 430..=499 => Robots::allow_all(),
            _ => Robots::disallow_all(),
        };
        Self {
            robots,
            source,
            note,
        }
    }
}

pub(crate) fn path_and_query(url: &Url) -> &str {
    &url[url::Position::BeforePath..url::Position::AfterQuery]
}

fn join_notes(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}; {b}"),
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
