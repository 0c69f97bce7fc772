//! Every request of the crawl, behind one interface: robots.txt, sitemaps, pages and the
//! catch-all calibrations are each started here, paced per origin, and come back as one
//! [`Answer`]. A request whose answer is in the journal of an interrupted run is not made
//! again: the recorded answer comes back the same way, in the same order of handling, so a
//! resumed run writes what an uninterrupted one would have. Live answers are journaled as
//! they arrive.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::BytesMut;
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use super::extract::{self, Page};
use super::fetch::{self, Body, BodySink, Fetcher, Response};
use super::frontier::UrlId;
use super::journal;
use super::pacer::Pacer;
use super::render::Browser;
use super::rendering::{self, Pacers, RenderAnswer};
use super::robots;
use super::scope::{self, Scope};
use super::sitemap::{self, Sitemap};
use crate::audit::{self, Fingerprint};
use crate::config::{CrawlConfig, MAX_ROBOTS_REDIRECTS, MAX_SITEMAP_BODY};
use crate::model::{Hop, Kind, MemberView};

/// What came back for one request: the answer itself, as it is also written to the journal
/// (one JSON line each).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "answers are handled one at a time: their size does not matter"
)]
pub enum Answer {
    /// A page or a sitemap.
    Fetch(FetchAnswer),
    Robots(RobotsAnswer),
    Calibration(CalibrationAnswer),
    /// A page as the browser showed it (`--render`).
    Render(RenderAnswer),
}

/// A page or a sitemap: its response and what its body held.
#[derive(Debug, Serialize, Deserialize)]
pub struct FetchAnswer {
    #[serde(skip)]
    pub id: UrlId,
    pub url: Url,
    pub response: Response,
    /// An HTML page, parsed as it streamed in.
    pub page: Option<Page>,
    /// A sitemap that answered 2xx.
    pub sitemap: Option<Sitemap>,
    /// Fingerprint of a private page's 2xx body, for catch-all calibration.
    pub fingerprint: Option<Box<Fingerprint>>,
    /// A bot-protection challenge signature on a 403/429/503.
    pub challenge: bool,
    /// The member crawl: what the member saw (a 2xx). A members-only URL asked anonymously:
    /// what the member saw and how this answer compares ([`Eyes`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<MemberView>>,
}

/// Whose eyes a page is asked with.
#[derive(Debug, Clone, Default)]
pub enum Eyes {
    /// The anonymous crawl.
    #[default]
    Stranger,
    /// The member crawl: of every 2xx, a sample of the page's word pairs (all of them for
    /// a `whole` page: the home page, whose pairs are the site's chrome) or a file's first
    /// bytes are kept (the title too with `--member-titles`).
    Member { titles: bool, whole: bool },
    /// A members-only URL asked without the session: compared with what the member saw.
    Recheck(Box<MemberView>),
}

/// The first bytes of a file that the member comparison hashes.
const FILE_HEAD: usize = 64 * 1024;
/// The text of a page kept for the member comparison.
const MEMBER_TEXT: usize = 64 * 1024;

/// robots.txt of one origin, after the redirects that may be followed.
#[derive(Debug, Serialize, Deserialize)]
pub struct RobotsAnswer {
    #[serde(skip)]
    pub id: UrlId,
    /// The origin whose robots.txt this is ([`scope::origin_key`]).
    pub origin: String,
    /// The last response (the one that decides, RFC 9309 §2.3.1).
    pub response: Response,
    /// Where the robots.txt that applies was found.
    pub final_url: Url,
    pub hops: Vec<Hop>,
    /// The body of a 2xx (empty otherwise), read again by [`robots::interpret`].
    pub source: Vec<u8>,
}

/// A random path that cannot exist, asked to learn what "not found" looks like.
#[derive(Debug, Serialize, Deserialize)]
pub struct CalibrationAnswer {
    pub key: String,
    /// The fingerprint of a 200 answer; `None` when it answered anything else.
    pub fingerprint: Option<Fingerprint>,
}

impl Answer {
    /// The URL of a page or sitemap answer.
    pub fn fetched_id(&self) -> Option<UrlId> {
        match self {
            Answer::Fetch(answer) => Some(answer.id),
            _ => None,
        }
    }

    /// Its key in the journal: the same request of a resumed run looks it up under it.
    pub fn key(&self) -> String {
        match self {
            Answer::Fetch(a) => fetch_key(a.url.as_str()),
            Answer::Robots(a) => robots_key(&a.origin),
            Answer::Calibration(a) => calibration_key(&a.key),
            Answer::Render(a) => render_key(a.url.as_str()),
        }
    }
}

fn fetch_key(url: &str) -> String {
    format!("f {url}")
}

fn robots_key(origin: &str) -> String {
    format!("r {origin}")
}

fn calibration_key(key: &str) -> String {
    format!("c {key}")
}

fn render_key(url: &str) -> String {
    format!("v {url}")
}

/// The resume journal of a run: where to record, and what to replay.
#[derive(Default)]
pub struct Journal {
    pub writer: Option<journal::Writer>,
    pub replay: Option<journal::Replay>,
}

/// An answer and whether it came from the network (then it goes into the journal).
struct Arrival {
    answer: Answer,
    live: bool,
}

/// Bytes kept of a page that is not private: a bot challenge shows in its first 4 KiB.
const CHALLENGE_HEAD_BYTES: usize = 4096;

/// The requests in flight, the pacer of each origin, and the journal.
pub struct Requests {
    fetcher: Fetcher,
    /// The pacer of each origin; shared with the browser's requests (`--render`).
    pacers: Pacers,
    tasks: JoinSet<Result<Arrival>>,
    journal: Journal,
    delay: Duration,
    concurrency: u32,
    max_body: u64,
    /// Requests sent by this run, retries included.
    made: u64,
    /// Answers taken from the journal of an earlier, interrupted run (`--resume`).
    replays: u64,
    /// Renders in flight (they hold no request slot: the browser's requests are paced as
    /// they are made).
    renders: usize,
}

impl Requests {
    pub fn new(config: &CrawlConfig, journal: Journal) -> Result<Self> {
        Ok(Self::with(
            config,
            journal,
            Fetcher::new(config)?,
            Pacers::default(),
        ))
    }

    /// With a client of the caller's (the member's) and the pacers of another crawl of the
    /// same site: the politeness limits hold for both together.
    pub fn with(config: &CrawlConfig, journal: Journal, fetcher: Fetcher, pacers: Pacers) -> Self {
        Self {
            fetcher,
            pacers,
            tasks: JoinSet::new(),
            journal,
            delay: config.delay,
            concurrency: config.concurrency,
            max_body: config.max_body,
            made: 0,
            replays: 0,
            renders: 0,
        }
    }

    /// Requests sent by this run, retries included (answers replayed from the journal are
    /// not requests: see [`Requests::replays`]).
    pub fn made(&self) -> u64 {
        self.made
    }

    /// Answers replayed from the journal (`--resume`).
    pub fn replays(&self) -> u64 {
        self.replays
    }

    /// Requests in flight (renders aside).
    pub fn len(&self) -> usize {
        self.tasks.len() - self.renders
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Origins with a pacer: `--concurrency` holds for each.
    pub fn origins(&self) -> usize {
        self.lock_pacers().len()
    }

    /// The next answer, in the order they arrive; `None` when nothing is in flight.
    pub async fn next(&mut self) -> Option<Result<Answer>> {
        let arrival = match self.tasks.join_next().await? {
            Ok(Ok(arrival)) => arrival,
            Ok(Err(e)) => return Some(Err(e)),
            Err(e) => return Some(Err(anyhow::anyhow!("a crawl task failed: {e}"))),
        };
        match &arrival.answer {
            // A replayed answer's retries were made by the run that recorded it.
            Answer::Fetch(answer) if arrival.live => {
                self.made += u64::from(answer.response.retries);
            }
            Answer::Render(_) => self.renders -= 1,
            _ => {}
        }
        if arrival.live
            && let Some(writer) = &mut self.journal.writer
            && let Err(e) = writer.append(&arrival.answer)
        {
            return Some(Err(e));
        }
        Some(Ok(arrival.answer))
    }

    /// Stop every request in flight (the run is over).
    pub fn abort_all(&mut self) {
        self.tasks.abort_all();
    }

    /// Write what the journal holds so far (about once a second, and at the end).
    pub fn flush(&mut self) -> Result<()> {
        match &mut self.journal.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }

    /// The recorded answer of an interrupted run, if it has one for `key`.
    fn replayed(&mut self, key: &str) -> Option<Answer> {
        self.journal.replay.as_mut()?.take(key)
    }

    /// An answer from the journal goes through the task set like a live one, so that it is
    /// handled in the same order (levels, early answers) as in the interrupted run.
    fn spawn_replayed(&mut self, answer: Answer) {
        self.replays += 1;
        self.tasks.spawn(async move {
            Ok(Arrival {
                answer,
                live: false,
            })
        });
    }

    fn lock_pacers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Pacer>>> {
        // Never held across an await: a poisoned lock still holds good pacers.
        self.pacers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pacers, for the browser's requests (and a later crawl of the site) to share.
    pub fn pacers(&self) -> Pacers {
        self.pacers.clone()
    }

    /// Pace with another crawl's pacers from now on.
    pub fn share_pacers(&mut self, pacers: Pacers) {
        self.pacers = pacers;
    }

    fn pacer(&mut self, origin: &str) -> Arc<Pacer> {
        pacer_of(&self.pacers, origin, (self.delay, self.concurrency))
    }

    /// Pace `origin` at `interval` with `concurrency` in flight from now on (what its
    /// robots.txt asked for). robots.txt was the origin's first request: the next one waits a
    /// full interval.
    pub fn pace(&mut self, origin: &str, interval: Duration, concurrency: u32) {
        let pacer = Arc::new(Pacer::new(interval, concurrency));
        pacer.hold_until(Instant::now() + interval);
        self.lock_pacers().insert(origin.to_string(), pacer);
    }

    /// Ask for a page or a sitemap of `origin`. A private page's 2xx is fingerprinted for
    /// the catch-all calibration.
    pub fn fetch(
        &mut self,
        id: UrlId,
        url: Url,
        origin: &str,
        (kind, private): (Kind, bool),
        eyes: Eyes,
    ) {
        if let Some(Answer::Fetch(mut answer)) = self.replayed(&fetch_key(url.as_str())) {
            answer.id = id;
            answer.url = url;
            self.spawn_replayed(Answer::Fetch(answer));
            return;
        }
        self.made += 1;
        let pacer = self.pacer(origin);
        let fetcher = self.fetcher.clone();
        let max_body = self.max_body;
        self.tasks.spawn(async move {
            let asked = Asked {
                id,
                url,
                kind,
                private,
                eyes,
            };
            let answer = fetch_one(&fetcher, &pacer, asked, max_body).await?;
            Ok(Arrival {
                answer: Answer::Fetch(answer),
                live: true,
            })
        });
    }

    /// Ask for robots.txt at `url` (the origin's `/robots.txt`), following the redirects that
    /// stay within `scope`.
    pub fn robots(&mut self, id: UrlId, origin: String, url: Url, scope: Scope) {
        if let Some(Answer::Robots(mut answer)) = self.replayed(&robots_key(&origin)) {
            answer.id = id;
            self.spawn_replayed(Answer::Robots(answer));
            return;
        }
        self.made += 1;
        let pacer = self.pacer(&origin);
        let fetcher = self.fetcher.clone();
        self.tasks.spawn(async move {
            let (response, final_url, hops, source) =
                fetch_robots(&fetcher, &pacer, url, &scope).await;
            let answer = RobotsAnswer {
                id,
                origin,
                response,
                final_url,
                hops,
                source,
            };
            Ok(Arrival {
                answer: Answer::Robots(answer),
                live: true,
            })
        });
    }

    /// Ask for a calibration path; `echo` (the random path) is removed from the answer
    /// before it is fingerprinted, since sites echo the path they were asked.
    pub fn calibration(&mut self, key: String, url: Url, echo: String) {
        if let Some(answer @ Answer::Calibration(_)) = self.replayed(&calibration_key(&key)) {
            self.spawn_replayed(answer);
            return;
        }
        self.made += 1;
        let pacer = self.pacer(&scope::origin_key(&url));
        let fetcher = self.fetcher.clone();
        let max_body = self.max_body;
        // Calibration requests are paced like every other request but get no row.
        self.tasks.spawn(async move {
            let (response, body) = fetcher
                .get(
                    &url,
                    &pacer,
                    Body::Html {
                        cap: max_body,
                        file_head: 0,
                    },
                    |_| Prefix::new(audit::FINGERPRINT_BYTES),
                )
                .await;
            let fingerprint = match (response.status, body) {
                (Some(200), Some(body)) => Some(fingerprint(body.bytes, echo).await?),
                _ => None,
            };
            Ok(Arrival {
                answer: Answer::Calibration(CalibrationAnswer { key, fingerprint }),
                live: true,
            })
        });
    }
}

impl Requests {
    /// Show a page in the browser; its own requests go through the crawl (see
    /// [`super::rendering::CrawlServe`]).
    pub fn render(&mut self, id: UrlId, url: Url, browser: Arc<Browser>, scope: Scope) {
        self.renders += 1;
        if let Some(Answer::Render(mut answer)) = self.replayed(&render_key(url.as_str())) {
            answer.id = id;
            self.spawn_replayed(Answer::Render(answer));
            return;
        }
        self.tasks.spawn(async move {
            let rendered = browser.render(&url).await;
            let answer = rendering::answer(id, url, rendered, &scope);
            Ok(Arrival {
                answer: Answer::Render(answer),
                live: true,
            })
        });
    }
}

/// The pacer of `origin` (a [`scope::origin_key`]), made at `(delay, concurrency)` if this is
/// its first request.
pub(super) fn pacer_of(
    pacers: &Pacers,
    origin: &str,
    (delay, concurrency): (Duration, u32),
) -> Arc<Pacer> {
    let mut pacers = pacers.lock().unwrap_or_else(|e| e.into_inner());
    // Every request asks: the key is copied only the first time.
    if let Some(pacer) = pacers.get(origin) {
        return pacer.clone();
    }
    pacers
        .entry(origin.to_string())
        .or_insert_with(|| Arc::new(Pacer::new(delay, concurrency)))
        .clone()
}

/// One request of a page or sitemap.
struct Asked {
    id: UrlId,
    url: Url,
    kind: Kind,
    private: bool,
    eyes: Eyes,
}

/// One page or sitemap: request it, parse what it holds as it streams in.
async fn fetch_one(
    fetcher: &Fetcher,
    pacer: &Pacer,
    asked: Asked,
    max_body: u64,
) -> Result<FetchAnswer> {
    let Asked {
        id,
        url,
        kind,
        private,
        eyes,
    } = asked;
    let compared = !matches!(eyes, Eyes::Stranger);
    let body = match kind {
        Kind::Sitemap => Body::Always {
            cap: MAX_SITEMAP_BODY,
        },
        _ => Body::Html {
            cap: max_body,
            file_head: if compared { FILE_HEAD as u64 } else { 0 },
        },
    };
    // A private page's 2xx is compared with the catch-all calibrations, from its text; of any
    // other page only the start is kept, where a bot challenge shows.
    let keep = if private {
        audit::FINGERPRINT_BYTES
    } else {
        CHALLENGE_HEAD_BYTES
    };
    let (mut response, body) = fetcher
        .get(&url, pacer, body, |r| match kind {
            Kind::Sitemap => Download::Sitemap(BytesMut::new()),
            _ if r.file => Download::File(Prefix::new(FILE_HEAD)),
            _ => {
                let text = if compared { MEMBER_TEXT } else { 0 };
                Download::Page(Box::new(StreamedPage::new(&url, r, keep, private, text)))
            }
        })
        .await;
    let status = response.status.unwrap_or(0);
    let ok = (200..300).contains(&status);
    let headers = std::mem::take(&mut response.refusal_headers);
    let mut answer = FetchAnswer {
        id,
        url,
        response,
        page: None,
        sitemap: None,
        fingerprint: None,
        challenge: false,
        member: None,
    };
    match body {
        Some(Download::Sitemap(buf)) if ok => {
            // Sitemaps may be gzip bombs and huge: CPU work, off the network threads.
            let map = tokio::task::spawn_blocking(move || {
                sitemap::parse(&buf, sitemap::MAX_SITEMAP_URLS, sitemap::MAX_SITEMAP_BYTES)
            })
            .await
            .map_err(|e| anyhow::anyhow!("parsing a sitemap failed: {e}"))?;
            answer.sitemap = Some(map);
        }
        Some(Download::Page(page)) => {
            let StreamedPage { parser, head } = *page;
            let mut page = parser.finish();
            let text = std::mem::take(&mut page.text);
            answer.member = member_page(&eyes, status, &page, text).await?;
            answer.page = Some(page);
            // The head is read as text only where it is needed (most pages: nowhere).
            answer.challenge = !headers.is_empty() && {
                let pairs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let text = String::from_utf8_lossy(&head.bytes);
                audit::is_challenge(status, &pairs, prefix(&text, CHALLENGE_HEAD_BYTES))
            };
            if private && ok {
                let path = answer.url.path().to_owned();
                answer.fingerprint = Some(Box::new(fingerprint(head.bytes, path).await?));
            }
        }
        Some(Download::File(head)) => {
            let bytes = answer.response.content_length.or(answer.response.body_len);
            answer.member = member_file(&eyes, status, bytes, &head.bytes);
        }
        _ => {}
    }
    if let (None, Eyes::Recheck(mut view)) = (&answer.member, eyes) {
        // Not compared (no 2xx, or another kind of answer): the member's side still shows,
        // without the sample of the member's text (the journal keeps no trace of it).
        view.shingles = Vec::new();
        answer.member = Some(view);
    }
    Ok(answer)
}

/// What the member saw of a page, or how the stranger's page compares with it.
async fn member_page(
    eyes: &Eyes,
    status: u16,
    page: &Page,
    text: String,
) -> Result<Option<Box<MemberView>>> {
    if !(200..300).contains(&status) || matches!(eyes, Eyes::Stranger) {
        return Ok(None);
    }
    // Only a stranger's page is asked whether it prompts to sign in.
    let sign_in_prompt = matches!(eyes, Eyes::Recheck(_)) && asks_to_sign_in(page, &text);
    let mut shingles = tokio::task::spawn_blocking(move || audit::shingles(&text))
        .await
        .map_err(|e| anyhow::anyhow!("reading a page's text failed: {e}"))?;
    if let Eyes::Member { whole: false, .. } = eyes {
        // Sorted hashes: the first are the smallest, a uniform sample.
        shingles.truncate(super::member::SAMPLE);
        // Truncating keeps the capacity: without this, every page held all its pairs.
        shingles.shrink_to_fit();
    }
    Ok(match eyes {
        Eyes::Stranger => None,
        Eyes::Member { titles, .. } => Some(Box::new(MemberView {
            status,
            html: true,
            logout_link: page
                .links
                .iter()
                .any(|link| Url::parse(&link.url).is_ok_and(|to| scope::is_logout(&to))),
            title: if *titles {
                page.title.clone().unwrap_or_default()
            } else {
                String::new()
            },
            bytes: None,
            shingles,
            ..MemberView::default()
        })),
        Eyes::Recheck(member) if member.html => {
            let mut view = member.clone();
            view.contained = Some(audit::contained(&member.shingles, &shingles));
            view.sign_in_prompt = sign_in_prompt;
            view.shingles = Vec::new();
            Some(view)
        }
        Eyes::Recheck(_) => None,
    })
}

/// The page asks its visitor to sign in: it links to a login page, or says so.
fn asks_to_sign_in(page: &Page, text: &str) -> bool {
    const ASKS: [&str; 8] = [
        "sign in",
        "log in",
        "login",
        "signin",
        "sign up",
        "subscribe",
        "members only",
        "become a member",
    ];
    let text = text.to_lowercase();
    page.links
        .iter()
        .any(|link| Url::parse(&link.url).is_ok_and(|to| audit::is_login_url(&to)))
        || ASKS.iter().any(|ask| text.contains(ask))
}

/// What the member saw of a file (its size and first bytes), or whether the stranger got the
/// same.
fn member_file(
    eyes: &Eyes,
    status: u16,
    bytes: Option<u64>,
    head: &[u8],
) -> Option<Box<MemberView>> {
    if !(200..300).contains(&status) {
        return None;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, head);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    let head_hash = Some(u64::from_be_bytes(first));
    match eyes {
        Eyes::Stranger => None,
        Eyes::Member { .. } => Some(Box::new(MemberView {
            status,
            html: false,
            bytes,
            head_hash,
            ..MemberView::default()
        })),
        Eyes::Recheck(member) if !member.html => {
            let mut view = member.clone();
            view.same_file = Some(member.head_hash == head_hash && member.bytes == bytes);
            Some(view)
        }
        Eyes::Recheck(_) => None,
    }
}

/// The catch-all fingerprint of a body's first bytes (CPU work, off the network thread),
/// without `echo`: the path that was asked, which sites print back.
async fn fingerprint(bytes: Vec<u8>, echo: String) -> Result<Fingerprint> {
    tokio::task::spawn_blocking(move || {
        audit::fingerprint(&String::from_utf8_lossy(&bytes), &[echo.as_str()])
    })
    .await
    .map_err(|e| anyhow::anyhow!("fingerprinting failed: {e}"))
}

/// robots.txt at `url` as the crawl would fetch it (its user agent, timeout, retries, headers,
/// redirects within the site): the final response and the body of a 2xx. For `authwall robots`.
pub async fn robots_txt(config: &CrawlConfig, url: Url) -> Result<(Response, Vec<u8>)> {
    let fetcher = Fetcher::new(config)?;
    let pacer = Pacer::new(config.delay, config.concurrency);
    let scope = Scope::new(&url, false);
    let (response, _, _, source) = fetch_robots(&fetcher, &pacer, url, &scope).await;
    Ok((response, source))
}

/// Fetch robots.txt, following up to five redirects where the crawl may go (the audited
/// origin, or the same site moving to https or `www.`). What the last answer means is
/// [`robots::interpret`]'s to say.
async fn fetch_robots(
    fetcher: &Fetcher,
    pacer: &Pacer,
    mut url: Url,
    scope: &Scope,
) -> (Response, Url, Vec<Hop>, Vec<u8>) {
    let mut hops = Vec::new();
    loop {
        let cap = robots::MAX_ROBOTS_BYTES as u64 + 1;
        let (response, body) = fetcher
            .get(&url, pacer, Body::Always { cap }, |_| BytesMut::new())
            .await;
        let status = response.status.unwrap_or(0);
        if (300..400).contains(&status) {
            let target = response
                .location
                .as_deref()
                .and_then(|l| url.join(l.trim()).ok());
            if let Some(target) = target
                && hops.len() < MAX_ROBOTS_REDIRECTS
                && (scope.contains(&target) || scope.is_same_site_move(&target))
            {
                hops.push(Hop {
                    status: Some(status),
                    target: target.clone(),
                });
                url = target;
                continue;
            }
        }
        let source = match status {
            200..=299 => body.map(|b| b.to_vec()).unwrap_or_default(),
            _ => Vec::new(),
        };
        return (response, url, hops, source);
    }
}

/// Where a download goes as it arrives.
enum Download {
    /// Sitemaps: bytes (they may be gzip), parsed once complete.
    Sitemap(BytesMut),
    /// A file's first bytes (the member comparison).
    File(Prefix),
    /// Pages: parsed as they stream in.
    Page(Box<StreamedPage>),
}

impl BodySink for Download {
    fn write(&mut self, chunk: &[u8]) {
        match self {
            Download::Sitemap(buf) => buf.write(chunk),
            Download::File(head) => head.write(chunk),
            Download::Page(page) => page.write(chunk),
        }
    }
}

/// The first bytes of a body, up to a cap; the rest is dropped.
struct Prefix {
    bytes: Vec<u8>,
    cap: usize,
}

impl Prefix {
    fn new(cap: usize) -> Self {
        Self {
            bytes: Vec::new(),
            cap,
        }
    }
}

impl BodySink for Prefix {
    fn write(&mut self, chunk: &[u8]) {
        let room = self.cap.saturating_sub(self.bytes.len()).min(chunk.len());
        self.bytes.extend_from_slice(&chunk[..room]);
    }
}

/// A page's body: handed to the streaming parser chunk by chunk; only its head is kept.
struct StreamedPage {
    parser: extract::PageParser,
    head: Prefix,
}

impl StreamedPage {
    /// `private`: the page's words outside its chrome count too (a sign-in prompt is short).
    /// `text`: bytes of visible text to keep (the member comparison), 0 for none.
    fn new(url: &Url, response: &Response, keep: usize, private: bool, text: usize) -> Self {
        let parser = extract::PageParser::new(url.clone(), fetch::charset(&response.content_type))
            .keeping_text(text);
        Self {
            parser: if private {
                parser.counting_main_words()
            } else {
                parser
            },
            head: Prefix::new(keep),
        }
    }
}

impl BodySink for StreamedPage {
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
