//! One render: a fresh browser context (no cookies or storage from another page) with one tab,
//! every request paused and answered from the [`Serve`], the page watched until it settles
//! (its load event, then [`SETTLE_QUIET`] with no request waiting) or runs out of time or
//! navigations, its evidence read, and the context thrown away.

use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::browser::Browser as CdpBrowser;
use chromiumoxide::cdp::browser_protocol::browser::{
    BrowserContextId, SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, EventRequestPaused, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::inspector::{self, EventTargetCrashed};
use chromiumoxide::cdp::browser_protocol::network::{
    BlockPattern, EventWebSocketCreated, ResourceType, SetBlockedUrLsParams,
};
use chromiumoxide::cdp::browser_protocol::page::{
    EventFrameAttached, EventFrameNavigated, EventFrameStoppedLoading,
    EventJavascriptDialogOpening, EventLoadEventFired, EventNavigatedWithinDocument,
    HandleJavaScriptDialogParams, NavigateParams,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams, DisposeBrowserContextParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{EvaluateParams, TimeDelta};
use chromiumoxide::listeners::EventStream;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};
use url::Url;

use super::answer::{Via, fulfillment, header};
use super::evidence::{self, Evidence};
use super::launch::{Instance, Routes, Stray, origin_of};
use super::{MAX_NAVIGATIONS, PageRequest, Rendered, SETTLE_QUIET, Serve};

/// Render `url` in `instance`; see the module doc.
pub(super) async fn render(
    instance: &Instance,
    serve: &Arc<dyn Serve>,
    url: &Url,
    timeout: Duration,
) -> Rendered {
    instance.count_render();
    let start = Instant::now();
    let deadline = start + timeout;
    // Reading the evidence of a page that did not settle needs a moment of its own.
    let evidence_time = (timeout / 4).min(Duration::from_secs(1));
    let mut rendered = Rendered::empty(url);
    let mut cleanup = Cleanup {
        browser: instance.browser.clone(),
        routes: instance.routes.clone(),
        context: None,
        route: None,
    };
    let tab = match timeout_at(deadline, Tab::open(instance, url, &mut cleanup)).await {
        Ok(Ok(tab)) => tab,
        Ok(Err(e)) => {
            rendered.error = Some(format!("cannot open a tab: {e}"));
            cleanup.finish().await;
            return rendered;
        }
        Err(_) => {
            rendered.error = Some(format!("timeout: no tab within {timeout:?}"));
            cleanup.finish().await;
            return rendered;
        }
    };
    let mut watch = Watch::new(tab, serve.clone(), instance);
    let end = watch.run(url, deadline - evidence_time, timeout).await;
    let readable = !matches!(end, End::Gone(_));
    if let End::Timeout(e) | End::Gone(e) | End::Navigations(e) = end {
        rendered.error = Some(e);
    }
    if watch.refused_start {
        rendered
            .error
            .get_or_insert_with(|| "refused: the page itself was not served".into());
    }
    if readable && !watch.error_page && !watch.refused_start {
        match timeout_at(deadline, read_evidence(&watch.tab.page, evidence_time)).await {
            Ok(Ok(evidence)) => {
                // Overridden by the navigation events when they tell (an error page's
                // location is chrome-error://).
                if let Some(url) = Url::parse(&evidence.url).ok().filter(is_http) {
                    rendered.final_url = url;
                }
                evidence.apply(&mut rendered);
            }
            Ok(Err(e)) => {
                rendered.error.get_or_insert(e);
            }
            Err(_) => {
                rendered.error.get_or_insert_with(|| {
                    "timeout: the page did not answer the evidence script".into()
                });
            }
        }
    }
    watch.finish(&mut rendered);
    drop(watch);
    cleanup.finish().await;
    rendered
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

async fn read_evidence(page: &Page, limit: Duration) -> Result<Evidence, String> {
    let params = EvaluateParams::builder()
        .expression(evidence::script())
        .return_by_value(true)
        .timeout(TimeDelta::new(limit.as_millis() as f64))
        .build()
        .map_err(|e| format!("cannot build the evidence script: {e}"))?;
    let reply = page
        .execute(params)
        .await
        .map_err(|e| format!("cannot read the page: {e}"))?;
    if let Some(details) = &reply.result.exception_details {
        return Err(format!("the evidence script failed: {}", details.text));
    }
    Evidence::from_value(reply.result.result.value.clone().unwrap_or_default())
}

/// What is undone however the render ends (even when its future is dropped): the route is
/// removed and the browser context, with its tab, cookies and storage, disposed of.
struct Cleanup {
    browser: Arc<CdpBrowser>,
    routes: Arc<Routes>,
    context: Option<BrowserContextId>,
    route: Option<u64>,
}

impl Cleanup {
    async fn finish(mut self) {
        if let Some(id) = self.route.take() {
            self.routes.remove(id);
        }
        if let Some(context) = self.context.take() {
            let dispose = self
                .browser
                .execute(DisposeBrowserContextParams::new(context));
            let _ = tokio::time::timeout(Duration::from_secs(2), dispose).await;
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(id) = self.route.take() {
            self.routes.remove(id);
        }
        if let (Some(context), Ok(runtime)) =
            (self.context.take(), tokio::runtime::Handle::try_current())
        {
            let browser = self.browser.clone();
            runtime.spawn(async move {
                let dispose = browser.execute(DisposeBrowserContextParams::new(context));
                let _ = tokio::time::timeout(Duration::from_secs(5), dispose).await;
            });
        }
    }
}

/// A tab ready to navigate: listening to everything the watch needs, every request paused.
struct Tab {
    page: Page,
    main_frame: String,
    route: u64,
    strays: mpsc::UnboundedReceiver<Stray>,
    paused: EventStream<EventRequestPaused>,
    load: EventStream<EventLoadEventFired>,
    navigated: EventStream<EventFrameNavigated>,
    within: EventStream<EventNavigatedWithinDocument>,
    attached: EventStream<EventFrameAttached>,
    stopped: EventStream<EventFrameStoppedLoading>,
    dialogs: EventStream<EventJavascriptDialogOpening>,
    sockets: EventStream<EventWebSocketCreated>,
    crashed: EventStream<EventTargetCrashed>,
}

impl Tab {
    async fn open(instance: &Instance, url: &Url, cleanup: &mut Cleanup) -> anyhow::Result<Tab> {
        let browser = &instance.browser;
        let context = browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await?;
        cleanup.context = Some(context.clone());
        let deny = SetDownloadBehaviorParams::builder()
            .behavior(SetDownloadBehaviorBehavior::Deny)
            .browser_context_id(context.clone())
            .build();
        browser.execute(deny.map_err(anyhow::Error::msg)?).await?;
        let target = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context)
            .build();
        let page = browser
            .new_page(target.map_err(anyhow::Error::msg)?)
            .await?;
        let main_frame = match page.mainframe().await? {
            Some(frame) => frame.inner().clone(),
            None => page.target_id().inner().clone(),
        };
        let (tx, strays) = mpsc::unbounded_channel();
        let route = instance.routes.add(origin_of(url), tx);
        cleanup.route = Some(route);
        instance.routes.add_frame(route, &main_frame);
        // Listen first: the listeners and the commands go to the tab in this order.
        let tab = Tab {
            paused: page.event_listener().await?,
            load: page.event_listener().await?,
            navigated: page.event_listener().await?,
            within: page.event_listener().await?,
            attached: page.event_listener().await?,
            stopped: page.event_listener().await?,
            dialogs: page.event_listener().await?,
            sockets: page.event_listener().await?,
            crashed: page.event_listener().await?,
            page,
            main_frame,
            route,
            strays,
        };
        let every_request = fetch::EnableParams::builder()
            .pattern(
                RequestPattern::builder()
                    .url_pattern("*")
                    .request_stage(RequestStage::Request)
                    .build(),
            )
            .build();
        tab.page.execute(every_request).await?;
        // Fetch cannot pause a WebSocket: block it before it connects.
        let sockets = SetBlockedUrLsParams::builder()
            .url_pattern(BlockPattern::new("ws://*:*/*", true))
            .url_pattern(BlockPattern::new("wss://*:*/*", true))
            .build();
        tab.page.execute(sockets).await?;
        tab.page.execute(inspector::EnableParams::default()).await?;
        Ok(tab)
    }
}

/// What became of a request: where it is listed, what was served.
struct Outcome {
    index: Option<usize>,
    status: Option<u16>,
    content_type: String,
    /// A top-level navigation.
    navigation: Option<Navigation>,
}

#[derive(Debug, Clone, Copy)]
struct Navigation {
    /// The render's own URL (not a redirect hop or a later navigation).
    first: bool,
}

/// Why the watch ended.
enum End {
    Settled,
    Timeout(String),
    Navigations(String),
    /// The tab or the browser went away (crash): nothing left to read.
    Gone(String),
}

/// The render's state while the page loads and runs.
struct Watch {
    tab: Tab,
    serve: Arc<dyn Serve>,
    browser: Arc<CdpBrowser>,
    routes: Arc<Routes>,
    /// Serve lookups under way, each ending in a fulfilled or failed request.
    serving: JoinSet<Outcome>,
    /// Fire-and-forget commands (failing a request, dismissing a dialog); aborted at the end.
    chores: JoinSet<()>,
    requests: Vec<PageRequest>,
    navigations: u32,
    /// The load event of the current document was seen.
    loaded: bool,
    /// A top-level navigation was asked for and has not committed or stopped.
    navigating: bool,
    last_activity: Instant,
    /// The main frame's URL, from the navigation events.
    current_url: Option<String>,
    /// A top-level navigation refused since the last commit: where the page tried to go.
    refused_navigation: Option<Url>,
    /// The document shown is Chromium's error page (a refused navigation, an empty error
    /// response): nothing of the site's to read.
    error_page: bool,
    /// The first top-level document was asked for.
    started: bool,
    /// The first top-level document was refused: there is no page at all.
    refused_start: bool,
    /// A navigation over the limit: the render stops.
    over_limit: bool,
}

impl Watch {
    fn new(tab: Tab, serve: Arc<dyn Serve>, instance: &Instance) -> Self {
        Self {
            tab,
            serve,
            browser: instance.browser.clone(),
            routes: instance.routes.clone(),
            serving: JoinSet::new(),
            chores: JoinSet::new(),
            requests: Vec::new(),
            navigations: 0,
            loaded: false,
            navigating: false,
            last_activity: Instant::now(),
            current_url: None,
            refused_navigation: None,
            error_page: false,
            started: false,
            refused_start: false,
            over_limit: false,
        }
    }

    /// Navigate to `url` and watch until the page settles, `until` passes, it navigates too
    /// often, or the tab goes away.
    async fn run(&mut self, url: &Url, until: Instant, timeout: Duration) -> End {
        let page = self.tab.page.clone();
        let navigate = NavigateParams::new(url.as_str());
        // chromiumoxide answers a navigation once it loaded: the events below say more.
        self.chores.spawn(async move {
            let _ = page.execute(navigate).await;
        });
        let gone = |what: &str| End::Gone(format!("the {what} went away (browser crash?)"));
        loop {
            if self.over_limit {
                return End::Navigations(format!(
                    "more than {MAX_NAVIGATIONS} navigations: the page kept navigating"
                ));
            }
            let settling = self.loaded && !self.navigating && self.serving.is_empty();
            let settle_at = self.last_activity + SETTLE_QUIET;
            tokio::select! {
                () = sleep_until(until) => {
                    return End::Timeout(format!("timeout: the page did not settle within {timeout:?}"));
                }
                () = sleep_until(settle_at), if settling => return End::Settled,
                event = self.tab.paused.next() => match event {
                    Some(event) => {
                        let via = Via::Tab(self.tab.page.clone());
                        self.on_paused(&event, via, true);
                    }
                    None => return gone("tab"),
                },
                Some(stray) = self.tab.strays.recv() => {
                    let via = Via::Browser(self.browser.clone());
                    self.on_paused(&stray.event, via, stray.own_frame);
                }
                Some(_) = self.chores.join_next(), if !self.chores.is_empty() => {}
                Some(done) = self.serving.join_next(), if !self.serving.is_empty() => {
                    self.last_activity = Instant::now();
                    if let Ok(outcome) = done {
                        self.on_outcome(outcome);
                    }
                }
                event = self.tab.load.next() => match event {
                    Some(_) => {
                        self.loaded = true;
                        self.last_activity = Instant::now();
                    }
                    None => return gone("tab"),
                },
                event = self.tab.navigated.next() => match event {
                    Some(event) if event.frame.parent_id.is_none() => self.on_commit(&event),
                    Some(_) => {}
                    None => return gone("tab"),
                },
                event = self.tab.within.next() => match event {
                    Some(event) if event.frame_id.inner() == &self.tab.main_frame => {
                        self.current_url = Some(event.url.clone());
                        self.last_activity = Instant::now();
                    }
                    Some(_) => {}
                    None => return gone("tab"),
                },
                event = self.tab.attached.next() => match event {
                    // A frame's requests may come browser-wide (a cross-site frame).
                    Some(event) => self.routes.add_frame(self.tab.route, event.frame_id.inner()),
                    None => return gone("tab"),
                },
                event = self.tab.stopped.next() => match event {
                    Some(event) if event.frame_id.inner() == &self.tab.main_frame => {
                        // A navigation that did not commit (a 204, a download) is over too.
                        self.navigating = false;
                        self.last_activity = Instant::now();
                    }
                    Some(_) => {}
                    None => return gone("tab"),
                },
                event = self.tab.dialogs.next() => match event {
                    Some(_) => {
                        let page = self.tab.page.clone();
                        self.chores.spawn(async move {
                            let _ = page.execute(HandleJavaScriptDialogParams::new(false)).await;
                        });
                    }
                    None => return gone("tab"),
                },
                event = self.tab.sockets.next() => match event {
                    Some(event) => {
                        if let Ok(url) = Url::parse(&event.url) {
                            self.requests.push(PageRequest {
                                url,
                                method: "GET".into(),
                                status: None,
                                content_type: String::new(),
                                resource_type: "WebSocket".into(),
                            });
                        }
                    }
                    None => return gone("tab"),
                },
                event = self.tab.crashed.next() => {
                    let _ = event;
                    return End::Gone("the page crashed".into());
                }
            }
        }
    }

    /// A top-level document committed (an error page for a refused navigation included).
    fn on_commit(&mut self, event: &EventFrameNavigated) {
        let frame = &event.frame;
        self.navigations += 1;
        self.loaded = false;
        self.navigating = false;
        self.refused_navigation = None;
        self.error_page = frame.unreachable_url.is_some();
        self.last_activity = Instant::now();
        let url = match (&frame.unreachable_url, &frame.url_fragment) {
            (Some(unreachable), _) => unreachable.clone(),
            (None, Some(fragment)) => format!("{}{fragment}", frame.url),
            (None, None) => frame.url.clone(),
        };
        if let Ok(parsed) = Url::parse(&url) {
            self.routes.set_origin(self.tab.route, origin_of(&parsed));
        }
        self.current_url = Some(url);
    }

    /// A request paused, by the tab or (`via` the browser) by the browser-wide interception;
    /// `own_frame` false: a request matched to this render by its origin only, refused.
    fn on_paused(&mut self, event: &EventRequestPaused, via: Via, own_frame: bool) {
        self.last_activity = Instant::now();
        let request = &event.request;
        let frame = event.frame_id.inner();
        let document = event.resource_type == ResourceType::Document;
        let main_frame = matches!(via, Via::Tab(_)) && frame == &self.tab.main_frame;
        let top = document && main_frame;
        let url = Url::parse(&request.url).ok();
        if main_frame && is_browser_favicon(event.resource_type.clone(), url.as_ref()) {
            // The tab's own favicon lookup: not the page's, and one more request to the site.
            let id = event.request_id.clone();
            self.chores.spawn(async move { via.fail(id).await });
            return;
        }
        if document && !top {
            self.routes.add_frame(self.tab.route, frame);
        }
        let index = url.clone().map(|url| {
            self.requests.push(PageRequest {
                url,
                method: request.method.clone(),
                status: None,
                content_type: String::new(),
                resource_type: event.resource_type.as_ref().to_string(),
            });
            self.requests.len() - 1
        });
        let over_limit = top && self.navigations >= MAX_NAVIGATIONS;
        let servable =
            url.filter(|url| is_http(url) && request.method == "GET" && own_frame && !over_limit);
        let navigation = top.then(|| {
            self.navigating = true;
            self.over_limit |= over_limit;
            let first = !self.started;
            self.started = true;
            Navigation { first }
        });
        let id = event.request_id.clone();
        let Some(url) = servable else {
            self.chores.spawn(async move { via.fail(id).await });
            self.on_outcome(Outcome {
                index,
                status: None,
                content_type: String::new(),
                navigation,
            });
            return;
        };
        let serve = self.serve.clone();
        self.serving.spawn(async move {
            let mut outcome = Outcome {
                index,
                status: None,
                content_type: String::new(),
                navigation,
            };
            match serve.get(url).await {
                Some(served) if (200..=599).contains(&served.status) => {
                    let status = served.status;
                    let content_type = header(&served, "content-type");
                    if via.fulfill(fulfillment(id, served)).await {
                        outcome.status = Some(status);
                        outcome.content_type = content_type;
                    }
                }
                _ => via.fail(id).await,
            }
            outcome
        });
    }

    /// A request was answered (`status`) or refused.
    fn on_outcome(&mut self, outcome: Outcome) {
        let request = outcome.index.and_then(|i| self.requests.get_mut(i));
        if let Some(request) = request {
            request.status = outcome.status;
            request.content_type = outcome.content_type;
            if let (Some(navigation), None) = (outcome.navigation, outcome.status) {
                self.refused_navigation = Some(request.url.clone());
                self.refused_start |= navigation.first;
            }
        }
    }

    /// What the navigation events say about where the page ended up.
    fn finish(&mut self, rendered: &mut Rendered) {
        rendered.navigations = self.navigations;
        rendered.requests = std::mem::take(&mut self.requests);
        let tracked = self
            .current_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .filter(is_http);
        if let Some(url) = self.refused_navigation.take().or(tracked) {
            rendered.final_url = url;
        }
    }
}

/// The browser asks every page's origin for `/favicon.ico` on its own (type Other).
fn is_browser_favicon(kind: ResourceType, url: Option<&Url>) -> bool {
    kind == ResourceType::Other && url.is_some_and(|u| u.path() == "/favicon.ico")
}
