//! Render the demo site's pages in headless Chromium and report what it costs: launch time,
//! renders per second, the browser's memory, close time.
//!
//! ```sh
//! cargo run --release --example render_bench -- [RENDERS] [TABS] [BROWSER]
//! ```
//! Defaults: 60 renders, 2 tabs, `/usr/bin/chromium` (as root: no sandbox).

use std::sync::Arc;
use std::time::{Duration, Instant};

use authwall::crawl::render::{Browser, BrowserOptions, Serve, ServeFuture, Served};
use authwall::demo::{Server, site};
use url::Url;

/// Serves the demo site's own origin over HTTP, refuses the rest.
struct Demo {
    http: reqwest::Client,
    origin: String,
}

impl Serve for Demo {
    fn get(&self, url: Url) -> ServeFuture<'_> {
        Box::pin(async move {
            if url.origin().ascii_serialization() != self.origin {
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

const PAGES: [&str; 10] = [
    "/",
    "/about",
    "/blog/",
    "/blog/post-1",
    "/docs/guide/",
    "/login",
    "/walled",
    "/dashboard",
    "/account",
    "/members/",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let renders: usize = args.next().map_or(Ok(60), |a| a.parse())?;
    let tabs: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let path = args.next().unwrap_or_else(|| "/usr/bin/chromium".into());

    let _ = rustls::crypto::ring::default_provider().install_default();
    let demo = Server::start(site()).await?;
    let serve = Arc::new(Demo {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        origin: demo.url(""),
    });
    let options = BrowserOptions {
        path: Some(path.into()),
        no_sandbox: true,
        tabs,
        ..BrowserOptions::default()
    };

    let started = Instant::now();
    let browser = Arc::new(Browser::launch(options, serve).await?);
    let launch = started.elapsed();
    println!(
        "launch: {launch:.2?}, RSS {} MiB",
        browser.rss_bytes() >> 20
    );

    let sampler = {
        let browser = browser.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            loop {
                let b = browser.clone();
                let rss = tokio::task::spawn_blocking(move || b.rss_bytes()).await;
                peak = rss.unwrap_or(0).max(peak);
                if Arc::strong_count(&browser) <= 2 {
                    return peak; // the renders are done
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    let started = Instant::now();
    let mut errors = 0;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..renders {
        let url = Url::parse(&demo.url(PAGES[i % PAGES.len()]))?;
        let browser = browser.clone();
        tasks.spawn(async move { browser.render(&url).await });
    }
    while let Some(rendered) = tasks.join_next().await {
        errors += usize::from(rendered?.error.is_some());
    }
    let took = started.elapsed();
    let peak = sampler.await?;
    println!(
        "{renders} renders, {tabs} tabs: {took:.2?}, {:.2} renders/s, {errors} errors, \
         peak RSS {} MiB, {} launch(es)",
        renders as f64 / took.as_secs_f64(),
        peak >> 20,
        browser.launches(),
    );

    let started = Instant::now();
    if let Ok(browser) = Arc::try_unwrap(browser) {
        browser.close().await;
    }
    println!("close: {:.2?}", started.elapsed());
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
