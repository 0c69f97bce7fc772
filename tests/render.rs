//! Rendering in a real headless Chromium (`/usr/bin/chromium`), every request answered by a
//! test [`Serve`] that fetches from a local site and refuses other origins. On CI (`CI=true`)
//! a missing browser fails the tests instead of skipping them.
//!
//! Each test launches its own browser (about half a second on this machine): a browser lives
//! on the runtime that launched it, and each test has its own.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authwall::crawl::render::{
    Browser, BrowserOptions, PageRequest, Rendered, Serve, ServeFuture, Served,
};
use authwall::demo::Server;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use url::Url;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser, or None (and a note) where it is not installed and this is not CI.
fn chromium() -> Option<PathBuf> {
    if std::path::Path::new(CHROMIUM).exists() {
        return Some(PathBuf::from(CHROMIUM));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but Chromium is missing: .ci/run must install it"
    );
    eprintln!("skipped: Chromium not installed (apt-get install chromium)");
    None
}

/// A [`Serve`] for one site: fetches its URLs over HTTP (no redirects followed: the browser
/// follows them), refuses every other origin, and records what it was asked.
struct Site {
    http: reqwest::Client,
    origins: Vec<String>,
    asked: Mutex<Vec<Url>>,
}

impl Site {
    fn new(server: &Server) -> Arc<Site> {
        Site::of(vec![server.url("")])
    }

    fn of(origins: Vec<String>) -> Arc<Site> {
        // reqwest is built without a default crypto provider (authwall picks ring).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Arc::new(Site {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            origins,
            asked: Mutex::default(),
        })
    }

    fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(|u| u.to_string())
            .collect()
    }
}

impl Serve for Site {
    fn get(&self, url: Url) -> ServeFuture<'_> {
        Box::pin(async move {
            self.asked.lock().unwrap().push(url.clone());
            if !self.origins.contains(&url.origin().ascii_serialization()) {
                return None;
            }
            let response = self.http.get(url).send().await.ok()?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let body = response.bytes().await.ok()?.to_vec();
            Some(Served {
                status,
                headers,
                body,
            })
        })
    }
}

fn options(path: PathBuf, timeout: Duration) -> BrowserOptions {
    BrowserOptions {
        path: Some(path),
        // CI runs as root.
        no_sandbox: true,
        timeout,
        ..BrowserOptions::default()
    }
}

/// A browser serving `server`, with `timeout` per render; None where Chromium is missing.
async fn browser(server: &Server, timeout: Duration) -> Option<(Browser, Arc<Site>)> {
    browser_for(Site::new(server), timeout).await
}

async fn browser_for(site: Arc<Site>, timeout: Duration) -> Option<(Browser, Arc<Site>)> {
    let path = chromium()?;
    let browser = Browser::launch(options(path, timeout), site.clone())
        .await
        .unwrap();
    Some((browser, site))
}

fn page(html: &'static str) -> axum::routing::MethodRouter {
    get(move || async move { Html(html) })
}

fn find<'a>(rendered: &'a Rendered, path: &str) -> Option<&'a PageRequest> {
    rendered.requests.iter().find(|r| r.url.path() == path)
}

fn paths(hits: &[authwall::demo::Hit]) -> Vec<String> {
    hits.iter()
        .map(|h| format!("{} {}", h.method, h.target))
        .collect()
}

#[tokio::test]
async fn a_script_that_swaps_the_article_for_a_sign_in_prompt_is_seen() {
    let article = r#"<!doctype html><title>Story</title><body><article>
        <p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor
        incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud.</p>
        </article><button style="display:none">Hidden</button>
        <script>
          document.querySelector('article').innerHTML =
            '<p>Sign in to keep reading</p><button>Sign in</button>';
        </script>"#;
    let server = Server::start(Router::new().route("/story", page(article)))
        .await
        .unwrap();
    let Some((browser, _)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let url = Url::parse(&server.url("/story")).unwrap();
    let rendered = browser.render(&url).await;
    browser.close().await;

    assert_eq!(rendered.error, None);
    assert_eq!(rendered.title, "Story");
    assert_eq!(
        rendered.prompts,
        ["Sign in"],
        "the hidden button is no prompt"
    );
    // "Sign in to keep reading" + "Sign in", one space between.
    assert_eq!(rendered.visible_text, 31);
    assert!(!rendered.password_input);
    assert_eq!(rendered.navigations, 1);
    assert_eq!(rendered.final_url, url);
}

#[tokio::test]
async fn an_api_401_then_a_move_to_the_login_page_is_followed() {
    let x = r#"<!doctype html><title>X</title><p>Loading…</p><script>
        fetch('/api/me').then(r => { if (r.status === 401) location.href = '/login?next=/x'; });
        </script>"#;
    let login = r#"<!doctype html><title>Log in</title><form method=post action=/session>
        <input name=user><input type=password name=pass><button>Log in</button></form>"#;
    let router = Router::new()
        .route("/x", page(x))
        .route("/login", page(login))
        .route(
            "/api/me",
            get(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    [
                        ("content-type", "application/json"),
                        ("www-authenticate", "Basic realm=\"api\""),
                    ],
                    r#"{"error":"unauthenticated"}"#,
                )
            }),
        );
    let server = Server::start(router).await.unwrap();
    let Some((browser, _)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let rendered = browser
        .render(&Url::parse(&server.url("/x")).unwrap())
        .await;
    browser.close().await;

    assert_eq!(rendered.error, None);
    assert_eq!(rendered.final_url.path(), "/login");
    assert_eq!(rendered.final_url.query(), Some("next=/x"));
    assert!(rendered.password_input);
    assert_eq!(rendered.title, "Log in");
    assert_eq!(rendered.navigations, 2);
    let me = find(&rendered, "/api/me").expect("the API request is listed");
    assert_eq!(me.status, Some(401));
    assert_eq!(me.method, "GET");
    // Chromium's Fetch domain calls a fetch() "XHR".
    assert_eq!(me.resource_type, "XHR");
    assert_eq!(me.content_type, "application/json");
    let documents: Vec<&str> = rendered
        .requests
        .iter()
        .filter(|r| r.resource_type == "Document")
        .map(|r| r.url.path())
        .collect();
    assert_eq!(documents, ["/x", "/login"]);
}

#[tokio::test]
async fn a_move_to_an_off_site_login_is_where_the_page_ends() {
    let html = r#"<!doctype html><title>App</title><p>Redirecting…</p><script>
        location.href = 'https://sso.example.com/login?return=' + encodeURIComponent(location.href);
        </script>"#;
    let server = Server::start(Router::new().route("/app", page(html)))
        .await
        .unwrap();
    let Some((browser, site)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let started = Instant::now();
    let rendered = browser
        .render(&Url::parse(&server.url("/app")).unwrap())
        .await;
    let took = started.elapsed();
    browser.close().await;

    assert_eq!(rendered.error, None);
    assert_eq!(rendered.final_url.host_str(), Some("sso.example.com"));
    assert_eq!(rendered.final_url.path(), "/login");
    let login = find(&rendered, "/login").expect("the login navigation is listed");
    assert_eq!(
        (login.status, login.resource_type.as_str()),
        (None, "Document")
    );
    assert!(
        site.asked()
            .iter()
            .any(|u| u.starts_with("https://sso.example.com/"))
    );
    // Chromium's error page for the refused navigation is not read as the site's.
    assert_eq!((rendered.visible_text, rendered.title.as_str()), (0, ""));
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn a_page_the_serve_refuses_is_an_error_not_a_rendering() {
    let server = Server::start(Router::new()).await.unwrap();
    let Some((browser, _)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let started = Instant::now();
    let elsewhere = Url::parse("https://elsewhere.example/page").unwrap();
    let rendered = browser.render(&elsewhere).await;
    let took = started.elapsed();
    browser.close().await;

    let error = rendered.error.as_deref().unwrap_or_default();
    assert!(error.starts_with("refused"), "{rendered:#?}");
    assert_eq!(rendered.final_url, elsewhere);
    assert_eq!(rendered.visible_text, 0);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(server.hits().is_empty());
}

#[tokio::test]
async fn links_that_exist_only_after_rendering_are_found() {
    let html = r#"<!doctype html><a href="/now">Now</a>
        <a href="/hidden" style="display:none">Hidden</a>
        <div style="visibility:hidden"><a href="/invisible">Invisible</a></div>
        <script>
          setTimeout(() => {
            const a = document.createElement('a');
            a.href = '/later';
            a.textContent = 'Later';
            document.body.append(a);
          }, 100);
        </script>"#;
    let server = Server::start(Router::new().route("/", page(html)))
        .await
        .unwrap();
    let Some((browser, _)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let rendered = browser.render(&Url::parse(&server.url("/")).unwrap()).await;
    browser.close().await;

    assert_eq!(rendered.error, None);
    let links: Vec<&str> = rendered.links.iter().map(Url::path).collect();
    assert_eq!(links, ["/now", "/later"]);
    assert_eq!(rendered.prompts, ["Now", "Later"]);
}

#[tokio::test]
async fn nothing_the_page_tries_reaches_another_origin() {
    // The other origin: it must log nothing at all.
    let other = Server::start(Router::new().fallback(get(|| async { "other" })))
        .await
        .unwrap();
    let o = other.url("");
    let ws = o.replace("http://", "ws://");
    let html = format!(
        r#"<!doctype html><title>Leaky</title>
        <link rel=preconnect href="{o}"><link rel=dns-prefetch href="{o}">
        <img src="{o}/img.png"><iframe src="{o}/frame"></iframe>
        <script>
          fetch('{o}/beacon', {{mode: 'no-cors'}}).catch(() => {{}});
          navigator.sendBeacon('{o}/send-beacon', 'x');
          try {{ new WebSocket('{ws}/ws'); }} catch (e) {{}}
          navigator.serviceWorker.register('{o}/other-sw.js').catch(() => {{}});
          navigator.serviceWorker.register('/sw.js').catch(() => {{}});
          new Worker('/worker.js');
        </script>"#
    );
    let worker = format!("fetch('{o}/from-worker').catch(() => {{}});");
    let sw = format!("fetch('{o}/from-sw').catch(() => {{}});");
    let js = |body: String| {
        get(move || {
            let body = body.clone();
            async move { ([("content-type", "text/javascript")], body) }
        })
    };
    let router = Router::new()
        .route(
            "/",
            get(move || {
                let html = html.clone();
                async move { Html(html) }
            }),
        )
        .route("/worker.js", js(worker))
        .route("/sw.js", js(sw));
    let server = Server::start(router).await.unwrap();
    let Some((browser, site)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let rendered = browser.render(&Url::parse(&server.url("/")).unwrap()).await;
    // Anything that escaped has had time to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let strays = browser.stray_requests().await;
    browser.close().await;

    assert_eq!(paths(&other.hits()), Vec::<String>::new(), "{rendered:#?}");
    assert_eq!(rendered.error, None);
    for (path, kind) in [
        ("/img.png", "Image"),
        ("/frame", "Document"),
        ("/beacon", "XHR"),
        ("/send-beacon", "Ping"),
        ("/ws", "WebSocket"),
        ("/from-worker", "XHR"),
    ] {
        let request = rendered
            .requests
            .iter()
            .find(|r| r.url.path() == path && r.url.port() == Some(other.addr.port()))
            .unwrap_or_else(|| panic!("{path} is listed: {:#?}", rendered.requests));
        assert_eq!(request.status, None, "{path} is refused");
        assert_eq!(request.resource_type, kind, "{path}");
    }
    // The service worker's script is refused by the browser-wide interception: the worker
    // never runs, and the Serve is never asked for it.
    let sw = find(&rendered, "/sw.js").expect("the service worker script is listed");
    assert_eq!(sw.status, None);
    assert!(!paths(&server.hits()).contains(&"GET /sw.js".to_string()));
    assert!(!site.asked().iter().any(|u| u.ends_with("/sw.js")));
    assert_eq!(
        strays, 0,
        "the script was matched to the render by its origin"
    );
    // The worker's own script was served: workers are rendered, their requests paused.
    assert_eq!(
        find(&rendered, "/worker.js").and_then(|r| r.status),
        Some(200)
    );
}

#[tokio::test]
async fn a_cross_site_frame_is_served_through_the_browser_wide_interception() {
    // 127.0.0.1 and localhost are two sites: the frame runs in a process of its own, out of
    // reach of the tab's interception; the browser-wide one serves it for this render.
    let html = r#"<!doctype html><title>Outer</title><p>outer</p><script>
        const f = document.createElement('iframe');
        f.src = 'http://localhost:' + location.port + '/frame';
        document.body.append(f);
        </script>"#;
    let frame = r#"<!doctype html><img src="/pixel.png"><script>
        fetch('/frame-api').then(r => r.text()).then(t => document.body.append(t));
        </script>"#;
    let router = Router::new()
        .route("/", page(html))
        .route("/frame", page(frame))
        .route("/frame-api", get(|| async { "from the api" }));
    let server = Server::start(router).await.unwrap();
    let localhost = format!("http://localhost:{}", server.addr.port());
    let site = Site::of(vec![server.url(""), localhost.clone()]);
    let Some((browser, _)) = browser_for(site, Duration::from_secs(10)).await else {
        return;
    };
    let rendered = browser.render(&Url::parse(&server.url("/")).unwrap()).await;
    let strays = browser.stray_requests().await;
    browser.close().await;

    assert_eq!(rendered.error, None);
    let served: Vec<(String, Option<u16>)> = rendered
        .requests
        .iter()
        .map(|r| (r.url.to_string(), r.status))
        .collect();
    for (url, status) in [
        (format!("{localhost}/frame"), Some(200)),
        (format!("{localhost}/pixel.png"), Some(404)),
        (format!("{localhost}/frame-api"), Some(200)),
    ] {
        assert!(
            served.contains(&(url.clone(), status)),
            "{url}: {served:#?}"
        );
    }
    assert_eq!(strays, 0);
    assert!(paths(&server.hits()).contains(&"GET /frame-api".to_string()));
}

#[tokio::test]
async fn a_post_from_the_page_is_refused_and_never_sent() {
    let html = r#"<!doctype html><script>
        fetch('/submit', {method: 'POST', body: 'secret=1'}).catch(() => {});
        navigator.sendBeacon('/beacon', 'x');
        </script>"#;
    let router = Router::new()
        .route("/", page(html))
        .route(
            "/submit",
            get(|| async { "get" }).post(|| async { "posted" }),
        )
        .route(
            "/beacon",
            get(|| async { "get" }).post(|| async { "posted" }),
        );
    let server = Server::start(router).await.unwrap();
    let Some((browser, site)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let rendered = browser.render(&Url::parse(&server.url("/")).unwrap()).await;
    browser.close().await;

    assert_eq!(rendered.error, None);
    assert_eq!(paths(&server.hits()), ["GET /"]);
    assert_eq!(site.asked().len(), 1, "{:?}", site.asked());
    let submit = find(&rendered, "/submit").expect("the POST is listed");
    assert_eq!((submit.method.as_str(), submit.status), ("POST", None));
    let beacon = find(&rendered, "/beacon").expect("the beacon is listed");
    assert_eq!((beacon.method.as_str(), beacon.status), ("POST", None));
}

#[tokio::test]
async fn a_page_that_reloads_forever_stops_after_20_navigations() {
    let html = r#"<!doctype html><script>location.reload();</script>"#;
    let server = Server::start(Router::new().route("/loop", page(html)))
        .await
        .unwrap();
    let timeout = Duration::from_secs(10);
    let Some((browser, _)) = browser(&server, timeout).await else {
        return;
    };
    let started = Instant::now();
    let rendered = browser
        .render(&Url::parse(&server.url("/loop")).unwrap())
        .await;
    let took = started.elapsed();
    browser.close().await;

    let error = rendered.error.as_deref().unwrap_or_default();
    assert!(error.contains("more than 20 navigations"), "{rendered:#?}");
    assert_eq!(rendered.navigations, 20);
    assert!(took < timeout, "{took:?}");
    let loads = server.hits().len();
    assert!(loads <= 20, "the 21st navigation is not sent: {loads}");
}

#[tokio::test]
async fn a_page_that_never_settles_ends_at_the_timeout() {
    let html = r#"<!doctype html><p>Busy</p><script>
        setInterval(() => fetch('/tick').catch(() => {}), 100);
        </script>"#;
    let router = Router::new()
        .route("/busy", page(html))
        .route("/tick", get(|| async { "tick" }));
    let server = Server::start(router).await.unwrap();
    let timeout = Duration::from_secs(3);
    let Some((browser, _)) = browser(&server, timeout).await else {
        return;
    };
    let started = Instant::now();
    let rendered = browser
        .render(&Url::parse(&server.url("/busy")).unwrap())
        .await;
    let took = started.elapsed();
    browser.close().await;

    let error = rendered.error.as_deref().unwrap_or_default();
    assert!(error.starts_with("timeout"), "{rendered:#?}");
    assert!(took >= timeout - Duration::from_secs(1), "{took:?}");
    assert!(took < timeout + Duration::from_secs(2), "{took:?}");
    // What the page showed is still read.
    assert_eq!(rendered.visible_text, 4);
    assert!(find(&rendered, "/tick").is_some());
}

#[tokio::test]
async fn dialogs_do_not_hang_the_render() {
    let html = r#"<!doctype html><script>
        alert('hello');
        confirm('sure?');
        prompt('name?');
        document.write('<p>after the dialogs</p>');
        </script>"#;
    let server = Server::start(Router::new().route("/", page(html)))
        .await
        .unwrap();
    let timeout = Duration::from_secs(10);
    let Some((browser, _)) = browser(&server, timeout).await else {
        return;
    };
    let started = Instant::now();
    let rendered = browser.render(&Url::parse(&server.url("/")).unwrap()).await;
    let took = started.elapsed();
    browser.close().await;

    assert_eq!(rendered.error, None);
    assert_eq!(rendered.visible_text, "after the dialogs".len() as u32);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn popups_and_downloads_go_nowhere() {
    let html = r#"<!doctype html><title>Files</title><p>files</p><script>
        window.open('/popup');
        setTimeout(() => { location.href = '/file.bin'; }, 50);
        </script>"#;
    let router = Router::new()
        .route("/files", page(html))
        .route("/popup", page("<p>popup</p>"))
        .route(
            "/file.bin",
            get(|| async {
                (
                    [
                        ("content-type", "application/octet-stream"),
                        ("content-disposition", "attachment; filename=file.bin"),
                    ],
                    vec![0u8; 1024],
                )
            }),
        );
    let server = Server::start(router).await.unwrap();
    let Some((browser, _)) = browser(&server, Duration::from_secs(10)).await else {
        return;
    };
    let started = Instant::now();
    let rendered = browser
        .render(&Url::parse(&server.url("/files")).unwrap())
        .await;
    let took = started.elapsed();
    browser.close().await;

    assert_eq!(rendered.error, None);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(paths(&server.hits()), ["GET /files", "GET /file.bin"]);
    // The download did not replace the page.
    assert_eq!(rendered.final_url.path(), "/files");
    assert_eq!(rendered.title, "Files");
    assert_eq!(rendered.navigations, 1);
}

#[tokio::test]
async fn a_missing_browser_says_what_to_install() {
    let site = Site::of(Vec::new());
    let missing = PathBuf::from("/nonexistent/chromium");
    let Err(err) = Browser::launch(options(missing, Duration::from_secs(1)), site).await else {
        panic!("a browser that does not exist was launched");
    };
    let msg = format!("{err:#}");
    assert!(msg.contains("apt-get install chromium"), "{msg}");
    assert!(msg.contains("--browser PATH"), "{msg}");
    assert!(msg.contains("/nonexistent/chromium"), "{msg}");
}

#[tokio::test]
async fn renders_share_no_cookies_or_storage_and_the_browser_restarts_as_it_wears_out() {
    let set = r#"<!doctype html><script>
        document.cookie = 'session=1; path=/';
        localStorage.setItem('k', 'v');
        document.write('<p>set</p>');
        </script>"#;
    let read = r#"<!doctype html><script>
        document.write('<p>[' + document.cookie + '|' + (localStorage.getItem('k') || '') + ']</p>');
        </script>"#;
    let router = Router::new()
        .route("/set", page(set))
        .route("/read", page(read));
    let server = Server::start(router).await.unwrap();
    let Some(path) = chromium() else {
        return;
    };
    let site = Site::new(&server);
    let options = BrowserOptions {
        restart_after: 2,
        tabs: 2,
        ..options(path, Duration::from_secs(10))
    };
    let browser = Browser::launch(options, site).await.unwrap();
    let url = |p: &str| Url::parse(&server.url(p)).unwrap();
    let first = browser.render(&url("/set")).await;
    let second = browser.render(&url("/read")).await;
    assert_eq!((first.error, second.error), (None, None));
    assert_eq!(
        second.visible_text,
        "[|]".len() as u32,
        "nothing carried over"
    );
    let rss = browser.rss_bytes();
    eprintln!("browser RSS after two renders: {} MiB", rss >> 20);
    assert_eq!(browser.launches(), 1);
    assert!(
        rss > 10 << 20,
        "a running Chromium holds some memory: {rss}"
    );
    // The third render starts a fresh browser, and two at once share it.
    let (set, read) = (url("/set"), url("/read"));
    let (third, fourth) = tokio::join!(browser.render(&set), browser.render(&read));
    assert_eq!((third.error, fourth.error), (None, None));
    assert_eq!(browser.launches(), 2);
    assert_eq!(browser.renders(), 4);
    browser.close().await;
}

#[tokio::test]
async fn a_browser_that_died_is_started_again() {
    let server = Server::start(Router::new().route("/", page("<p>alive</p>")))
        .await
        .unwrap();
    // What is tested is the restart, not speed: a fresh Chromium's first page on a loaded
    // two-core CI machine once took more than 10 s.
    let Some((browser, _)) = browser(&server, Duration::from_secs(30)).await else {
        return;
    };
    let url = Url::parse(&server.url("/")).unwrap();
    assert_eq!(browser.render(&url).await.error, None);
    let pid = browser.pid();
    assert!(pid > 0);
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The next render finds it dead (at once, or when it cannot open a tab) and starts a
    // new one.
    let rendered = browser.render(&url).await;
    assert_eq!(rendered.error, None, "{rendered:#?}");
    assert_eq!(rendered.visible_text, 5);
    assert_eq!(browser.launches(), 2);
    assert_ne!(browser.pid(), pid);
    browser.close().await;
}
