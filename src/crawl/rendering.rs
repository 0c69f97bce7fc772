//! `--render`: which pages the engine shows in the browser ([`super::render`]), how the
//! browser's requests are served by the crawl's own fetcher ([`CrawlServe`]: scope,
//! robots.txt, the origin's pacer, counted), and what a render adds to the page's record
//! (the [`Rendered`] observation, the API URLs behind a private page, the links only a
//! browser sees).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use bytes::BytesMut;
use foldhash::{HashMap, HashMapExt};
use serde::{Deserialize, Serialize};
use url::Url;

use super::fetch::{Body, Fetcher};
use super::frontier::{NewEntry, UrlId};
use super::pacer::Pacer;
use super::render::{self, Browser, BrowserOptions, Serve, ServeFuture, Served};
use super::robots::{self, Robots};
use super::scope::{self, Scope};
use super::{Engine, extract};
use crate::audit;
use crate::config::{CrawlConfig, RenderConfig, RenderScope};
use crate::model::{ApiCall, DiscoveredVia, Fetched, Kind, Record, RenderFacts, Rendered};

/// The pacers of the crawl's origins, shared with the browser's requests (and between the
/// member's crawl and the anonymous one), so that the politeness limits hold for the sum.
pub type Pacers = Arc<Mutex<HashMap<String, Arc<Pacer>>>>;

/// robots.txt per origin as it arrives, for the browser's requests.
pub type SharedRules = Arc<Mutex<HashMap<String, Arc<Robots>>>>;

/// The browser's requests, answered by the crawl: in scope, allowed by robots.txt, never a
/// logout link, paced with the crawl's requests to the same origin.
pub struct CrawlServe {
    fetcher: Fetcher,
    scope: Scope,
    pacers: Pacers,
    rules: SharedRules,
    token: String,
    ignore_robots: bool,
    max_body: u64,
    served: AtomicU64,
    refused: AtomicU64,
}

impl CrawlServe {
    fn pacer(&self, origin: &str) -> Option<Arc<Pacer>> {
        let pacers = self.pacers.lock().unwrap_or_else(|e| e.into_inner());
        pacers.get(origin).cloned()
    }

    fn allowed(&self, url: &Url, origin: &str) -> bool {
        if !self.scope.contains(url) || scope::is_logout(url) || scope::is_action(url) {
            return false;
        }
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        match rules.get(origin) {
            // An origin whose robots.txt is not known yet is not asked.
            None => false,
            Some(_) if self.ignore_robots => true,
            Some(robots) => {
                let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
                robots.check(&self.token, path).allowed
            }
        }
    }

    async fn answer(&self, url: Url) -> Option<Served> {
        let origin = scope::origin_key(&url);
        let pacer = self.pacer(&origin).filter(|_| self.allowed(&url, &origin));
        let Some(pacer) = pacer else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let body = Body::Always { cap: self.max_body };
        let (response, bytes) = self
            .fetcher
            .get(&url, &pacer, body, |_| BytesMut::new())
            .await;
        self.served
            .fetch_add(1 + u64::from(response.retries), Ordering::Relaxed);
        let status = response.status?;
        let mut headers = vec![("content-type".to_string(), response.content_type.clone())];
        if let Some(location) = &response.location {
            headers.push(("location".to_string(), location.clone()));
        }
        if !response.www_authenticate.is_empty() {
            headers.push(("www-authenticate".to_string(), response.www_authenticate));
        }
        Some(Served {
            status,
            headers,
            body: bytes.map(|b| b.to_vec()).unwrap_or_default(),
        })
    }
}

impl Serve for CrawlServe {
    fn get(&self, url: Url) -> ServeFuture<'_> {
        Box::pin(self.answer(url))
    }
}

/// The browser and what the engine keeps of its work.
pub struct Rendering {
    browser: Arc<Browser>,
    serve: Arc<CrawlServe>,
    which: RenderScope,
    /// Pages fetched and parsed whose record waits for the render: the record, and with
    /// `--render all` the page's own links (to tell those the browser adds).
    waiting: HashMap<UrlId, (Record, Vec<String>)>,
    pages: u64,
}

/// The browser's binary, checked before anything else runs: a missing browser is an error
/// that names what to install.
pub fn check_browser(config: &RenderConfig) -> Result<()> {
    render::find_browser(config.browser.as_deref()).map(|_| ())
}

impl Rendering {
    /// Start the browser, serving its requests through the crawl.
    pub async fn start(
        config: &CrawlConfig,
        render: &RenderConfig,
        pacers: Pacers,
        rules: SharedRules,
    ) -> Result<Self> {
        let serve = Arc::new(CrawlServe {
            fetcher: Fetcher::new(config)?,
            scope: Scope::new(&config.start, config.include_subdomains),
            pacers,
            rules,
            token: robots::product_token(&config.user_agent).to_string(),
            ignore_robots: config.ignore_robots,
            max_body: config.max_body,
            served: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let options = BrowserOptions {
            path: render.browser.clone(),
            no_sandbox: render.no_sandbox,
            tabs: render.tabs as usize,
            timeout: render.timeout,
            ..BrowserOptions::default()
        };
        let browser = Browser::launch(options, serve.clone()).await?;
        Ok(Self {
            browser: Arc::new(browser),
            serve,
            which: render.which,
            waiting: HashMap::new(),
            pages: 0,
        })
    }

    /// What the run record says about the rendering.
    pub fn facts(&self) -> RenderFacts {
        RenderFacts {
            pages: self.pages,
            requests: self.serve.served.load(Ordering::Relaxed),
            refused: self.serve.refused.load(Ordering::Relaxed),
            browsers: self.browser.launches(),
        }
    }

    pub async fn close(self) {
        if let Ok(browser) = Arc::try_unwrap(self.browser) {
            browser.close().await;
        }
    }
}

/// What a render answered, as the journal keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub struct RenderAnswer {
    #[serde(skip)]
    pub id: UrlId,
    pub url: Url,
    pub view: Rendered,
    /// Links the rendered page shows.
    pub links: Vec<String>,
    /// Same-origin requests its scripts made that answered: what to record of them.
    pub served: Vec<ApiCall>,
}

/// A render's output as the record and the journal keep it.
pub fn answer(id: UrlId, url: Url, rendered: render::Rendered, scope: &Scope) -> RenderAnswer {
    let api: Vec<ApiCall> = rendered
        .requests
        .iter()
        .filter(|r| matches!(r.resource_type.as_str(), "XHR" | "Fetch" | "EventSource"))
        .filter(|r| scope.contains(&r.url))
        .map(|r| ApiCall {
            url: r.url.clone(),
            status: r.status,
            json: r.content_type.to_ascii_lowercase().contains("json"),
        })
        .collect();
    let sign_in = rendered.prompts.iter().any(|p| audit::is_sign_in_prompt(p))
        || rendered.links.iter().any(audit::is_login_url);
    let view = Rendered {
        final_url: Some(rendered.final_url),
        title: rendered.title,
        text_chars: rendered.visible_text,
        password_input: rendered.password_input,
        sign_in,
        api: api.clone(),
        error: rendered.error,
    };
    RenderAnswer {
        id,
        url,
        view,
        links: rendered.links.iter().map(Url::to_string).collect(),
        served: api,
    }
}

impl Engine<'_> {
    /// Whether this page's verdict needs a browser: with `--render`, private pages that
    /// answered 2xx without a password form and app shells; with `--render all`, every page.
    pub(super) fn wants_render(&self, id: UrlId, page: &extract::Page, status: u16) -> bool {
        let Some(rendering) = &self.rendering else {
            return false;
        };
        if !(200..300).contains(&status) {
            return false;
        }
        match rendering.which {
            RenderScope::All => true,
            RenderScope::Needed => {
                let private = self.frontier.get(id).flags.private;
                (private && !page.has_password_input) || audit::is_app_shell(&page.shell)
            }
        }
    }

    /// With `--render all`: links only the browser shows are followed too.
    pub(super) fn renders_everything(&self) -> bool {
        self.rendering
            .as_ref()
            .is_some_and(|r| r.which == RenderScope::All)
    }

    /// Hold the page's record and ask the browser for it.
    pub(super) fn render(&mut self, id: UrlId, url: Url, record: Record, links: Vec<String>) {
        let Some(rendering) = &mut self.rendering else {
            return;
        };
        rendering.pages += 1;
        rendering.waiting.insert(id, (record, links));
        self.in_flight.insert(id);
        let browser = rendering.browser.clone();
        self.requests.render(id, url, browser, self.scope.clone());
    }

    /// The browser's view of a page: into its record; the links only it shows, and the API
    /// URLs a private page got its data from, become URLs of their own.
    pub(super) fn handle_render(&mut self, answer: RenderAnswer) -> Result<()> {
        let id = answer.id;
        self.in_flight.remove(&id);
        let Some((mut record, html_links)) =
            self.rendering.as_mut().and_then(|r| r.waiting.remove(&id))
        else {
            return Ok(());
        };
        let depth = self.frontier.get(id).depth;
        let private = self.frontier.get(id).flags.private;
        if private && audit::sign_in_shown(record.url.url(), &answer.view).is_none() {
            for call in &answer.served {
                let data = call.json && call.status.is_some_and(|s| (200..300).contains(&s));
                if data {
                    self.private_api(id, depth, call)?;
                }
            }
        }
        if self.renders_everything() {
            let links = answer
                .links
                .into_iter()
                .filter(|l| !html_links.contains(l))
                .map(|url| extract::Link {
                    url,
                    kind: extract::LinkKind::Anchor,
                })
                .collect();
            self.follow_links(id, depth, links)?;
        }
        record.rendered = Some(Box::new(answer.view));
        self.settle(id, record)
    }

    /// A URL a private page's scripts got 2xx JSON from, the page showing no sign-in: the
    /// data behind it, served to anyone. Recorded with what it answered the browser.
    fn private_api(&mut self, page: UrlId, depth: u32, call: &ApiCall) -> Result<()> {
        let mut url = call.url.clone();
        super::urlnorm::normalize(&mut url);
        if let Some(known) = self.frontier.id(url.as_str()) {
            self.frontier.get_mut(known).flags.private_api = true;
            return Ok(());
        }
        let id = self.frontier.insert(
            url.as_str(),
            NewEntry {
                kind: Kind::Page,
                via: DiscoveredVia::Render,
                depth: depth + 1,
                referrer: Some(page),
                redirect_hops: 0,
            },
        );
        let entry = self.frontier.get_mut(id);
        entry.flags.private_api = true;
        entry.flags.private = self.cfg.private_matcher.is_private(url.path());
        entry.state = super::frontier::State::Done;
        entry.outcome = super::frontier::Outcome::Terminal {
            status: call.status,
        };
        let mut record = self.skeleton(id);
        record.fetched = Some(Box::new(Fetched {
            status: call.status,
            content_type: if call.json {
                "application/json".to_string()
            } else {
                String::new()
            },
            ..Fetched::default()
        }));
        record.final_status = call.status;
        record.note = "asked by the page's scripts while it was rendered".to_string();
        self.settle(id, record)
    }

    /// The run stopped with renders out: their pages are written as fetched, unrendered.
    pub(super) fn drop_renders(&mut self) -> Result<()> {
        let Some(rendering) = &mut self.rendering else {
            return Ok(());
        };
        let mut left: Vec<(UrlId, (Record, Vec<String>))> = rendering.waiting.drain().collect();
        left.sort_unstable_by_key(|(id, _)| *id);
        for (id, (mut record, _)) in left {
            self.in_flight.remove(&id);
            record.add_note("not rendered: the run stopped first");
            self.settle(id, record)?;
        }
        Ok(())
    }
}
