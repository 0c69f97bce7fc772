//! A small site served on 127.0.0.1, one route per behaviour the audit must record. `authwall
//! demo` audits it through the normal code path; the tests and benchmarks use it as their local
//! test site (with the request log the server keeps) and add routes of their own.

pub mod club;
mod site;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

pub use site::{site, site_with};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub at: Instant,
    pub user_agent: String,
    /// The Host header, as sent.
    pub host: String,
    /// The Cookie and Authorization headers, as sent (empty when absent): what a test checks
    /// an anonymous request never carries.
    pub cookie: String,
    pub authorization: String,
}

pub type RequestLog = Arc<Mutex<Vec<Hit>>>;

/// A running local site.
pub struct Server {
    pub addr: SocketAddr,
    log: RequestLog,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serve `router` on 127.0.0.1 on a free port, logging every request.
    pub async fn start(router: Router) -> Result<Server> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let log = RequestLog::default();
        let app = router.layer(axum::middleware::from_fn_with_state(log.clone(), record));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Server { addr, log, task })
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let hit = Hit {
        method: request.method().to_string(),
        target: request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        at: Instant::now(),
        user_agent: header(&request, "user-agent"),
        host: header(&request, "host"),
        cookie: header(&request, "cookie"),
        authorization: header(&request, "authorization"),
    };
    log.lock().unwrap_or_else(|e| e.into_inner()).push(hit);
    next.run(request).await
}

fn header(request: &Request, name: &str) -> String {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
