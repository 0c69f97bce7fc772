//! Every URL the crawl has met, once: its normalised form, how and where it was found, its
//! depth, and how far it got. The queues hold ids; an id whose state moved on is skipped when
//! popped, so moving a URL to a faster lane never requests it twice.

use std::collections::VecDeque;
use std::sync::Arc;

// Every link of every page is looked up here: foldhash is several times cheaper than the
// default SipHash on URL strings, and its per-process random seed keeps hostile URLs from
// being chosen to collide.
use foldhash::HashMap;

use crate::model::{DiscoveredVia, Kind, RobotsVerdict, SkipReason};

pub type UrlId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    InFlight,
    Done,
}

/// What the URL answered, as far as redirect chains need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Unsettled,
    /// A final answer (or no answer: `None`).
    Terminal {
        status: Option<u16>,
    },
    /// A hop: HTTP 3xx (`Some(status)`) or a meta refresh (`None`).
    Redirect {
        status: Option<u16>,
        target: UrlId,
    },
    /// Never requested.
    Skipped(SkipReason),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub url: Arc<str>,
    pub kind: Kind,
    pub via: DiscoveredVia,
    pub depth: u32,
    pub referrer: Option<UrlId>,
    pub inlinks: u32,
    pub in_sitemap: bool,
    pub redirect_hops: u8,
    /// robots.txt's verdict, decided once when the URL is dispatched.
    pub robots: Option<RobotsVerdict>,
    /// What the audit rules need beyond the row; set as the crawl learns it.
    pub flags: Flags,
    pub state: State,
    pub outcome: Outcome,
}

/// Facts about a URL that the audit rules use and the row does not carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// Its path matches a private pattern.
    pub private: bool,
    /// Only an ambiguous built-in pattern makes it private (`/user`, `/profile` …).
    pub ambiguous: bool,
    /// The site exposes it: the start URL, a sitemap entry, or linked from a public page.
    pub exposed: bool,
    /// An `<a>`/`<area>` on a public page links to it.
    pub linked_from_public: bool,
    /// An `<a>`/`<area>` on a login page links to it: anyone sees the link, but a login
    /// page's links say nothing about what is public (its logo leads into the app).
    pub linked_from_login: bool,
    /// A redirect from a public URL leads here (public, but findings stay on the source).
    pub hop_of_public: bool,
    /// Some redirect chain ends here.
    pub redirect_target: bool,
    /// The page holds a password input.
    pub login_form: bool,
    /// A password form on the page posts to an `http://` action.
    pub form_posts_http: bool,
    /// The page, served over https, links a login page over `http://`.
    pub links_http_login: bool,
    /// Its response carried a bot-challenge signature.
    pub challenge: bool,
    /// Answered during a refusal storm: the answer says nothing about the page.
    pub refused: bool,
    /// A private page's scripts got 2xx JSON from it while the page showed no sign-in.
    pub private_api: bool,
    /// Requested only because such a URL usually exists (`/sitemap.xml` when robots.txt names
    /// no sitemap).
    pub guessed: bool,
    /// Requested only because such a URL usually exists (`/sitemap.xml` when robots.txt names
    /// no sitemap), and nothing is there: a 4xx, or a page that is no sitemap at all (a
    /// catch-all's HTML). No error: the site has no sitemap.
    pub absent_guess: bool,
    /// The member crawl reached it with a 2xx.
    pub member: bool,
}

/// The lanes, in dispatch order: redirect targets first (a row waits on them), then pages.
/// Sitemaps have their own lane because they are read before any page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Sitemap,
    Priority,
    Normal,
}

#[derive(Debug, Default)]
pub struct Frontier {
    ids: HashMap<Arc<str>, UrlId>,
    entries: Vec<Entry>,
    sitemaps: VecDeque<UrlId>,
    priority: VecDeque<UrlId>,
    normal: VecDeque<UrlId>,
    /// Distinct query strings seen per `origin + path`, for the trap guard.
    query_variants: HashMap<Box<str>, u32>,
    /// Pages put in a queue so far: the `--max-pages` budget counts these.
    pages_queued: u64,
    /// The URL that stands for each login form, by the form's URL without its return
    /// parameters: `/login`, `/login?next=/a` and `/login?next=/b` are one form, reported once
    /// (on the shortest URL, then the first-sorting, whatever the order of answers).
    login_forms: HashMap<Box<str>, UrlId>,
}

pub struct NewEntry {
    pub kind: Kind,
    pub via: DiscoveredVia,
    pub depth: u32,
    pub referrer: Option<UrlId>,
    pub redirect_hops: u8,
}

impl Frontier {
    /// A page at `id` holds a login form; `key` is its URL without return parameters.
    pub fn note_login_form(&mut self, id: UrlId, key: &str) {
        let rank = |id: UrlId| {
            let url = &self.entries[id as usize].url;
            (url.len(), url.clone())
        };
        let stands = match self.login_forms.get(key) {
            Some(&other) => rank(id) < rank(other),
            None => true,
        };
        if stands {
            self.login_forms.insert(key.into(), id);
        }
    }

    /// The URL that stands for the login form whose key is `key`.
    pub fn login_form(&self, key: &str) -> Option<UrlId> {
        self.login_forms.get(key).copied()
    }

    pub fn id(&self, url: &str) -> Option<UrlId> {
        self.ids.get(url).copied()
    }

    pub fn get(&self, id: UrlId) -> &Entry {
        &self.entries[id as usize]
    }

    pub fn get_mut(&mut self, id: UrlId) -> &mut Entry {
        &mut self.entries[id as usize]
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn pages_queued(&self) -> u64 {
        self.pages_queued
    }

    /// Record a URL met for the first time (state `Done` until it is queued).
    pub fn insert(&mut self, url: &str, new: NewEntry) -> UrlId {
        let url: Arc<str> = url.into();
        let id = self.entries.len() as UrlId;
        self.ids.insert(url.clone(), id);
        self.entries.push(Entry {
            url,
            kind: new.kind,
            via: new.via,
            depth: new.depth,
            referrer: new.referrer,
            inlinks: 0,
            in_sitemap: false,
            redirect_hops: new.redirect_hops,
            robots: None,
            flags: Flags::default(),
            state: State::Done,
            outcome: Outcome::Unsettled,
        });
        id
    }

    pub fn push(&mut self, id: UrlId, lane: Lane) {
        let entry = &mut self.entries[id as usize];
        if entry.state == State::Done && entry.outcome == Outcome::Unsettled {
            entry.state = State::Queued;
            // Probes do not spend the page budget: they are few and chosen by us.
            if entry.kind == Kind::Page && entry.via != DiscoveredVia::Probe {
                self.pages_queued += 1;
            }
        }
        if entry.state != State::Queued {
            return;
        }
        match lane {
            Lane::Sitemap => self.sitemaps.push_back(id),
            Lane::Priority => self.priority.push_back(id),
            Lane::Normal => self.normal.push_back(id),
        }
    }

    /// Put a popped id back at the head of its lane (it waits for robots.txt).
    pub fn push_front(&mut self, id: UrlId, lane: Lane) {
        match lane {
            Lane::Sitemap => self.sitemaps.push_front(id),
            Lane::Priority => self.priority.push_front(id),
            Lane::Normal => self.normal.push_front(id),
        }
    }

    /// The next queued id of `lane`, skipping ids that moved on since they were queued.
    pub fn pop(&mut self, lane: Lane) -> Option<UrlId> {
        let queue = match lane {
            Lane::Sitemap => &mut self.sitemaps,
            Lane::Priority => &mut self.priority,
            Lane::Normal => &mut self.normal,
        };
        while let Some(id) = queue.pop_front() {
            if self.entries[id as usize].state == State::Queued {
                return Some(id);
            }
        }
        None
    }

    /// The id [`Self::pop`] would return next, dropping ids that moved on.
    pub fn peek(&mut self, lane: Lane) -> Option<UrlId> {
        let queue = match lane {
            Lane::Sitemap => &mut self.sitemaps,
            Lane::Priority => &mut self.priority,
            Lane::Normal => &mut self.normal,
        };
        while let Some(&id) = queue.front() {
            if self.entries[id as usize].state == State::Queued {
                return Some(id);
            }
            queue.pop_front();
        }
        None
    }

    pub fn lane_is_empty(&self, lane: Lane) -> bool {
        let queue = match lane {
            Lane::Sitemap => &self.sitemaps,
            Lane::Priority => &self.priority,
            Lane::Normal => &self.normal,
        };
        queue
            .iter()
            .all(|&id| self.entries[id as usize].state != State::Queued)
    }

    /// Count one more distinct query string for this URL's path; false once over `limit`.
    pub fn admit_query_variant(&mut self, url: &url::Url, limit: u32) -> bool {
        if url.query().is_none() {
            return true;
        }
        let key = &url[..url::Position::AfterPath];
        let count = self.query_variants.entry(key.into()).or_insert(0);
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }

    /// Ids still queued (used when the run stops early).
    pub fn queued(&self) -> impl Iterator<Item = UrlId> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.state == State::Queued)
            .map(|(i, _)| i as UrlId)
    }
}
