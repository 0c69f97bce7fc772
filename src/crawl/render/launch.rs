//! Starting Chromium walled off from the network, and what is browser-wide: the handler of the
//! DevTools connection, the browser-wide request interception (the catch-all behind each tab's
//! own), the popup closer, and which frames belong to which render.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use chromiumoxide::browser::{Browser as CdpBrowser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, EventRequestPaused, FailRequestParams, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::ErrorReason;
use chromiumoxide::cdp::browser_protocol::target::{CloseTargetParams, EventTargetCreated};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use super::BrowserOptions;
use super::rss;

/// How often the restart rule samples the browser's memory.
const RSS_EVERY: Duration = Duration::from_secs(3);

/// Binaries looked for on PATH when no `--browser` is given, in order.
const CANDIDATES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

const INSTALL_HINT: &str =
    "install Debian's `chromium` package (`apt-get install chromium`) or pass `--browser PATH`";

/// Features that phone home or pop up on their own, and HTTPS upgrades (a page asked over
/// http must be asked over http, from the Serve). One flag: Chromium keeps only the last
/// `--disable-features`.
const DISABLED_FEATURES: [&str; 9] = [
    "Translate",
    "OptimizationHints",
    "MediaRouter",
    "DialMediaRouteProvider",
    "InterestFeedContentSuggestions",
    "CalculateNativeWinOcclusion",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "AutofillServerCommunication",
];

/// Switches without a value. What keeps the browser off the network is the resolver and the
/// proxy (see [`walled_args`]); these keep it from trying: no background networking, no
/// component or safe-browsing updates, no sync, no pings, no metrics uploads.
const SWITCHES: [&str; 21] = [
    "disable-gpu",
    "no-first-run",
    "no-default-browser-check",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-default-apps",
    "disable-extensions",
    "no-pings",
    "disable-domain-reliability",
    "disable-client-side-phishing-detection",
    "disable-breakpad",
    "metrics-recording-only",
    "mute-audio",
    "hide-scrollbars",
    "disable-dev-shm-usage",
    "deny-permission-prompts",
    // Two tabs render at once: neither may be throttled as a background tab.
    "disable-background-timer-throttling",
    "disable-backgrounding-occluded-windows",
    "disable-renderer-backgrounding",
    "disable-hang-monitor",
];

/// The arguments that make any request escaping interception fail before it leaves: no host
/// resolves (IP literals included), and every connection, loopback included, goes to a proxy
/// on the discard port, where nothing listens.
fn walled_args() -> [(&'static str, &'static str); 5] {
    [
        ("headless", "new"),
        ("host-resolver-rules", "MAP * ~NOTFOUND"),
        ("proxy-server", "127.0.0.1:9"),
        ("proxy-bypass-list", "<-loopback>"),
        ("password-store", "basic"),
    ]
}

/// A request paused by the browser-wide interception, handed to the render its frame belongs
/// to (answered there, over the browser session).
pub(super) struct Stray {
    pub event: Arc<EventRequestPaused>,
    /// The frame is one of the render's (a cross-site frame): serve it like the tab's own.
    /// Otherwise it was matched by origin only (a service-worker script): refuse and record.
    pub own_frame: bool,
}

/// A render's claim on requests the browser-wide interception sees.
struct Route {
    id: u64,
    frames: Vec<String>,
    /// `scheme://host:port` of the page being rendered.
    origin: String,
    tx: mpsc::UnboundedSender<Stray>,
}

#[derive(Default)]
pub(super) struct Routes {
    routes: Mutex<Vec<Route>>,
    next: AtomicU64,
}

impl Routes {
    pub fn add(&self, origin: String, tx: mpsc::UnboundedSender<Stray>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push(Route {
            id,
            frames: Vec::new(),
            origin,
            tx,
        });
        id
    }

    pub fn add_frame(&self, id: u64, frame: &str) {
        if let Some(route) = self.lock().iter_mut().find(|r| r.id == id)
            && !route.frames.iter().any(|f| f == frame)
        {
            route.frames.push(frame.to_string());
        }
    }

    pub fn set_origin(&self, id: u64, origin: String) {
        if let Some(route) = self.lock().iter_mut().find(|r| r.id == id) {
            route.origin = origin;
        }
    }

    pub fn remove(&self, id: u64) {
        self.lock().retain(|r| r.id != id);
    }

    /// Hand `event` to the render whose frame made it, else to the one render of its origin.
    /// False: nobody claims it.
    fn dispatch(&self, event: &Arc<EventRequestPaused>) -> bool {
        let routes = self.lock();
        let frame = event.frame_id.inner();
        if let Some(route) = routes.iter().find(|r| r.frames.iter().any(|f| f == frame)) {
            let stray = Stray {
                event: event.clone(),
                own_frame: true,
            };
            return route.tx.send(stray).is_ok();
        }
        let origin = Url::parse(&event.request.url)
            .map(|u| origin_of(&u))
            .unwrap_or_default();
        let mut of_origin = routes.iter().filter(|r| r.origin == origin);
        match (of_origin.next(), of_origin.next()) {
            (Some(route), None) => route
                .tx
                .send(Stray {
                    event: event.clone(),
                    own_frame: false,
                })
                .is_ok(),
            _ => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Route>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `scheme://host:port`, the key a render is found under by origin.
pub(super) fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// One Chromium process and what runs beside it.
pub(super) struct Instance {
    pub browser: Arc<CdpBrowser>,
    pub routes: Arc<Routes>,
    pid: u32,
    renders: AtomicU32,
    /// The DevTools connection ended: the browser exited or crashed.
    dead: Arc<AtomicBool>,
    strays: Arc<AtomicU64>,
    /// The browser's memory as last sampled (every [`RSS_EVERY`]: reading it takes tens of
    /// milliseconds of /proc).
    rss: Arc<AtomicU64>,
    /// Drives the DevTools connection.
    handler: JoinHandle<()>,
    /// The catch-all and the popup closer, which hold clones of `browser`, and the memory
    /// sampler.
    tasks: Vec<JoinHandle<()>>,
    /// The profile, removed when the instance is dropped (after the browser exited).
    _profile: tempfile::TempDir,
}

impl Instance {
    pub async fn start(options: &BrowserOptions) -> anyhow::Result<Instance> {
        let executable = find_browser(options.path.as_deref())?;
        let profile = tempfile::Builder::new()
            .prefix("authwall-chromium-")
            .tempdir()
            .context("cannot create the browser's profile directory")?;
        let mut config = BrowserConfig::builder()
            .chrome_executable(&executable)
            // chromiumoxide's defaults turn the popup blocker off: we pass our own list.
            .disable_default_args()
            .user_data_dir(profile.path())
            .viewport(None)
            .window_size(1280, 1024)
            .launch_timeout(Duration::from_secs(30))
            // A CDP command that hangs this long is a browser in trouble.
            .request_timeout(Duration::from_secs(10))
            .args(SWITCHES)
            .args(walled_args())
            .arg(("disable-features", DISABLED_FEATURES.join(",").as_str()));
        if options.no_sandbox {
            config = config.no_sandbox();
        }
        let config = config.build().map_err(|e| anyhow::anyhow!("{e}"))?;
        let (mut browser, mut handler) = CdpBrowser::launch(config).await.map_err(|e| {
            let hint = if options.no_sandbox {
                ""
            } else {
                " (as root, Chromium needs `--browser-no-sandbox`)"
            };
            anyhow::anyhow!("cannot start {}{hint}: {e}", executable.display())
        })?;
        let pid = browser
            .get_mut_child()
            .and_then(|c| c.as_mut_inner().id())
            .unwrap_or(0);
        let dead = Arc::new(AtomicBool::new(false));
        let handler_task = {
            let dead = dead.clone();
            tokio::spawn(async move {
                // Unknown messages are skipped inside; an error is the connection's end.
                while let Some(Ok(())) = handler.next().await {}
                dead.store(true, Ordering::Relaxed);
            })
        };
        let browser = Arc::new(browser);
        let mut instance = Instance {
            browser: browser.clone(),
            routes: Arc::default(),
            pid,
            renders: AtomicU32::new(0),
            dead,
            strays: Arc::default(),
            rss: Arc::default(),
            handler: handler_task,
            tasks: Vec::new(),
            _profile: profile,
        };
        if let Err(e) = instance.wall_in().await {
            instance.close().await;
            return Err(e);
        }
        Ok(instance)
    }

    /// The browser-wide parts: the catch-all interception and the popup closer.
    async fn wall_in(&mut self) -> anyhow::Result<()> {
        let browser = &self.browser;
        let mut paused = browser.event_listener::<EventRequestPaused>().await?;
        let mut created = browser.event_listener::<EventTargetCreated>().await?;
        browser.execute(catch_all()).await?;
        let (b, routes, strays) = (browser.clone(), self.routes.clone(), self.strays.clone());
        self.tasks.push(tokio::spawn(async move {
            while let Some(event) = paused.next().await {
                if !routes.dispatch(&event) {
                    strays.fetch_add(1, Ordering::Relaxed);
                    let fail = FailRequestParams::new(
                        event.request_id.clone(),
                        ErrorReason::BlockedByClient,
                    );
                    let _ = b.execute(fail).await;
                }
            }
        }));
        let (pid, rss) = (self.pid, self.rss.clone());
        self.tasks.push(tokio::spawn(async move {
            loop {
                let sampled = tokio::task::spawn_blocking(move || rss::tree_rss_bytes(pid)).await;
                rss.store(sampled.unwrap_or(0), Ordering::Relaxed);
                tokio::time::sleep(RSS_EVERY).await;
            }
        }));
        let b = browser.clone();
        self.tasks.push(tokio::spawn(async move {
            // The popup blocker stops window.open without a user gesture (there never is one);
            // anything opened all the same is closed before it loads much.
            while let Some(event) = created.next().await {
                let info = &event.target_info;
                if info.r#type == "page" && info.opener_id.is_some() {
                    let _ = b
                        .execute(CloseTargetParams::new(info.target_id.clone()))
                        .await;
                }
            }
        }));
        Ok(())
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn count_render(&self) {
        self.renders.fetch_add(1, Ordering::Relaxed);
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    pub fn stray_requests(&self) -> u64 {
        self.strays.load(Ordering::Relaxed)
    }

    /// Due for a restart: enough renders, too much memory, or gone.
    pub fn worn_out(&self, options: &BrowserOptions) -> bool {
        self.is_dead()
            || self.renders.load(Ordering::Relaxed) >= options.restart_after
            || self.rss.load(Ordering::Relaxed) > options.restart_above_rss
    }

    /// Ask the browser to quit, wait a little, then make sure it is gone.
    pub async fn close(self) {
        let Instance {
            browser,
            handler,
            tasks,
            _profile: profile,
            ..
        } = self;
        let quit = chromiumoxide::cdp::browser_protocol::browser::CloseParams::default();
        let _ = tokio::time::timeout(Duration::from_secs(3), browser.execute(quit)).await;
        for task in &tasks {
            task.abort();
        }
        // The tasks hold clones of the browser: wait until they let go of them.
        for task in tasks {
            let _ = task.await;
        }
        if let Ok(mut browser) = Arc::try_unwrap(browser) {
            let waited = tokio::time::timeout(Duration::from_secs(3), browser.wait()).await;
            if !matches!(waited, Ok(Ok(Some(_)))) {
                let _ = browser.kill().await;
            }
        }
        // Else a render still holds a clone (it cannot: closing takes the write lock); the
        // last clone to go kills the process (kill_on_drop).
        handler.abort();
        // A helper process that outlived the browser by a moment may have written into the
        // profile after it was removed: look again.
        let path = profile.path().to_path_buf();
        let _ = profile.close();
        if path.exists() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(path)).await;
        }
    }
}

/// The browser-wide interception: every request, at the request stage.
fn catch_all() -> fetch::EnableParams {
    fetch::EnableParams::builder()
        .pattern(
            RequestPattern::builder()
                .url_pattern("*")
                .request_stage(RequestStage::Request)
                .build(),
        )
        .build()
}

/// The browser binary: the one asked for, or the first candidate on PATH.
pub fn find_browser(asked: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = asked {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        bail!("no browser at {}: {INSTALL_HINT}", path.display());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in CANDIDATES {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "no Chromium found on PATH (looked for {}): {INSTALL_HINT}",
        CANDIDATES.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_browser_names_the_package_to_install() {
        let err = find_browser(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/chromium"), "{msg}");
        assert!(msg.contains("apt-get install chromium"), "{msg}");
        assert!(msg.contains("--browser PATH"), "{msg}");
    }

    #[test]
    fn the_disabled_features_go_in_one_flag() {
        let joined = DISABLED_FEATURES.join(",");
        assert!(joined.contains("Translate,OptimizationHints"));
        assert!(!SWITCHES.iter().any(|s| s.starts_with("disable-features")));
    }
}
