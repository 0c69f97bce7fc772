//! Rendering: what a page looks like once its scripts ran, in a real headless Chromium driven
//! over the DevTools protocol (chromiumoxide). A page whose HTML is public but whose scripts
//! swap it for a "Sign in" prompt, or fetch `/api/me` and move to `/login`, only shows that here.
//!
//! The browser is a renderer, never a client of the site: every request a page makes (page,
//! frames, workers) is paused over CDP and answered by the crawl's own fetcher through [`Serve`]
//! (scope, robots.txt, pacer, headers, counted), or failed. Chromium's own network stack is
//! walled off behind that: no resolver (`MAP * ~NOTFOUND`), a proxy that refuses
//! (`127.0.0.1:9`, loopback included), no background services. Which layer catches what:
//! - the tab's Fetch interception: the page, its same-site frames, its dedicated workers;
//! - a browser-wide Fetch interception: cross-site frames (served when their frame is known to
//!   belong to a render), service-worker scripts and anything else (always refused: service
//!   workers never install);
//! - WebSockets, which Fetch cannot pause: blocked per tab (`Network.setBlockedURLs`), recorded
//!   as refused; the resolver and the proxy are the backstop.
//!
//! Files: `launch.rs` starts Chromium and owns the browser-wide parts, `tab.rs` renders one
//! page in a fresh browser context, `answer.rs` answers its paused requests, `evidence.rs`
//! reads what the page shows, `rss.rs` measures the browser's memory for the restart rule.

mod answer;
mod evidence;
mod launch;
mod rss;
mod tab;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{RwLock, Semaphore};
use url::Url;

use launch::Instance;
pub use launch::find_browser;

/// Top-level navigations one render may make (the first load included); the next is refused
/// and the render ends with an error.
pub const MAX_NAVIGATIONS: u32 = 20;
/// Quiet time after the load event (no request waiting for its answer) before a page counts
/// as settled.
pub const SETTLE_QUIET: Duration = Duration::from_millis(500);
/// At most this many links and prompts are read from a page.
pub const MAX_LINKS: usize = 2_000;
pub const MAX_PROMPTS: usize = 50;
/// A link's text is a prompt when it is at most this long (characters).
pub const MAX_PROMPT_LINK_CHARS: usize = 40;

/// How to run the browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The browser binary (`--browser PATH`); None: `chromium`, then `chromium-browser`,
    /// `google-chrome` on PATH.
    pub path: Option<PathBuf>,
    /// Chromium without its sandbox (needed as root): `--browser-no-sandbox`.
    pub no_sandbox: bool,
    /// Renders at once, one tab each (default 2).
    pub tabs: usize,
    /// Longest one render may take (default 15 s).
    pub timeout: Duration,
    /// Start a fresh browser after this many renders (default 200).
    pub restart_after: u32,
    /// Start a fresh browser when its process tree's resident memory (PSS, see
    /// [`Browser::rss_bytes`]) passes this (default 1 GiB).
    pub restart_above_rss: u64,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            path: None,
            no_sandbox: false,
            tabs: 2,
            timeout: Duration::from_secs(15),
            restart_after: 200,
            restart_above_rss: 1 << 30,
        }
    }
}

/// A boxed future, as [`Serve::get`] returns it (a trait object cannot have `async fn`).
pub type ServeFuture<'a> = Pin<Box<dyn Future<Output = Option<Served>> + Send + 'a>>;

/// How the page's requests are served: by authwall's own fetcher (scope, robots.txt, pacer,
/// headers, counted), never by the browser's network stack.
pub trait Serve: Send + Sync + 'static {
    /// Answer a GET of `url` made while rendering; None: refuse it (the browser sees a failed
    /// request; nothing is sent).
    fn get(&self, url: Url) -> ServeFuture<'_>;
}

/// One answer for the browser. The body is handed over as it is: a `content-encoding`,
/// `content-length` or `transfer-encoding` header is dropped (the fetcher has decoded the
/// body already).
#[derive(Debug, Clone, Default)]
pub struct Served {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One request the page made, as it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub url: Url,
    pub method: String,
    /// The status served; None when refused (off-scope, not GET, robots.txt, the Serve said
    /// no, a WebSocket, a service worker).
    pub status: Option<u16>,
    pub content_type: String,
    /// Chromium's resource type: Document, Script, XHR (its Fetch domain calls a `fetch()`
    /// that too), Image, Ping (`sendBeacon`), Other, …; `WebSocket` for a WebSocket (never
    /// opened).
    pub resource_type: String,
}

/// What a page looked like once its scripts ran.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// After client-side navigation (history API or location changes). A navigation that was
    /// refused (off-site login, say) counts: this is where the page tried to go.
    pub final_url: Url,
    pub title: String,
    /// Characters of visible text in the rendered body (innerText, whitespace collapsed).
    pub visible_text: u32,
    /// A visible `<input type=password>`.
    pub password_input: bool,
    /// Visible links (`a[href]`), resolved, http(s) only, at most 2,000.
    pub links: Vec<Url>,
    /// Text of visible buttons and of links whose text is short (≤ 40 chars), at most 50, each
    /// once: so the audit can tell a "Sign in" prompt.
    pub prompts: Vec<String>,
    /// Top-level navigations the page made (the first load included).
    pub navigations: u32,
    /// Every request the page made, in order (the browser's own `/favicon.ico` lookup is
    /// refused and not listed).
    pub requests: Vec<PageRequest>,
    /// Why the render did not finish cleanly: timeout, too many navigations, crash.
    pub error: Option<String>,
}

impl Rendered {
    /// Nothing seen yet: the starting point of a render, and what a failed one returns.
    fn empty(url: &Url) -> Self {
        Self {
            final_url: url.clone(),
            title: String::new(),
            visible_text: 0,
            password_input: false,
            links: Vec::new(),
            prompts: Vec::new(),
            navigations: 0,
            requests: Vec::new(),
            error: None,
        }
    }

    fn failed(url: &Url, error: String) -> Self {
        Self {
            error: Some(error),
            ..Self::empty(url)
        }
    }
}

/// A running headless Chromium, restarted as it wears out. Cheap to share (`&self` methods):
/// callers may render concurrently; at most `tabs` renders run at once, the rest wait.
pub struct Browser {
    options: BrowserOptions,
    serve: Arc<dyn Serve>,
    tabs: Semaphore,
    /// None only while a restart failed; the next render tries again.
    instance: RwLock<Option<Instance>>,
    /// The browser's process id, for [`Browser::rss_bytes`] without the lock.
    pid: AtomicU32,
    launches: AtomicU32,
    renders: AtomicU64,
}

impl Browser {
    /// Start Chromium. A missing browser is an error that names what to install: Debian's
    /// `chromium` package (`apt-get install chromium`) or `--browser PATH`.
    pub async fn launch(options: BrowserOptions, serve: Arc<dyn Serve>) -> anyhow::Result<Browser> {
        let instance = Instance::start(&options).await?;
        Ok(Browser {
            tabs: Semaphore::new(options.tabs.max(1)),
            pid: AtomicU32::new(instance.pid()),
            instance: RwLock::new(Some(instance)),
            launches: AtomicU32::new(1),
            renders: AtomicU64::new(0),
            options,
            serve,
        })
    }

    /// Render `url` (a page already fetched by the crawl). At most `tabs` at once (callers may
    /// call it concurrently). Never panics; a failure is [`Rendered::error`]. It returns
    /// within `timeout` plus about a second (reading the evidence of a page that did not
    /// settle); a restart of the browser, when one is due, comes before and is not counted.
    pub async fn render(&self, url: &Url) -> Rendered {
        let Ok(_permit) = self.tabs.acquire().await else {
            return Rendered::failed(url, "the browser is closed".into());
        };
        // Three rounds at most: a worn-out browser is replaced, and a browser found dead
        // before the page was even asked for (it crashed since the last render) is replaced
        // and the render tried again.
        let mut last = None;
        for _ in 0..3 {
            {
                let guard = self.instance.read().await;
                if let Some(instance) = guard.as_ref().filter(|i| !i.worn_out(&self.options)) {
                    self.renders.fetch_add(1, Ordering::Relaxed);
                    let rendered =
                        tab::render(instance, &self.serve, url, self.options.timeout).await;
                    if !(instance.is_dead() && rendered.requests.is_empty()) {
                        return rendered;
                    }
                    last = Some(rendered);
                }
            }
            if let Err(e) = self.restart().await {
                return Rendered::failed(url, format!("cannot restart the browser: {e:#}"));
            }
        }
        last.unwrap_or_else(|| {
            Rendered::failed(url, "the browser wore out at once after a restart".into())
        })
    }

    /// Replace a worn-out browser. The write lock waits for the renders still running in it.
    async fn restart(&self) -> anyhow::Result<()> {
        let mut guard = self.instance.write().await;
        if guard.as_ref().is_some_and(|i| !i.worn_out(&self.options)) {
            return Ok(()); // another render restarted it while we waited
        }
        if let Some(old) = guard.take() {
            old.close().await;
        }
        let fresh = Instance::start(&self.options).await?;
        self.pid.store(fresh.pid(), Ordering::Relaxed);
        self.launches.fetch_add(1, Ordering::Relaxed);
        *guard = Some(fresh);
        Ok(())
    }

    /// The browser's resident memory (its process tree, each process's PSS: shared pages split
    /// between their users), for the restart rule. 0 where /proc cannot be read. Measured
    /// now, which reads /proc for tens of milliseconds (the restart rule samples it every 3 s
    /// in the background).
    pub fn rss_bytes(&self) -> u64 {
        rss::tree_rss_bytes(self.pid())
    }

    /// The process id of the running browser (0 when unknown).
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// How many browsers were started (1 + restarts).
    pub fn launches(&self) -> u32 {
        self.launches.load(Ordering::Relaxed)
    }

    /// How many renders were started.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// Requests that reached the browser-wide interception and belonged to no render's frame
    /// (service-worker scripts, stray targets): all refused.
    pub async fn stray_requests(&self) -> u64 {
        let guard = self.instance.read().await;
        guard.as_ref().map_or(0, Instance::stray_requests)
    }

    /// Close the browser and wait for it to exit (a few seconds at most; then it is killed).
    pub async fn close(self) {
        self.tabs.close();
        if let Some(instance) = self.instance.into_inner() {
            instance.close().await;
        }
    }
}
