//! HTTP: one request for one URL, one hop (redirects are followed by the engine, hop by hop),
//! through the host's [`Pacer`], with retries, a whole-response timeout and a body cap. The
//! HTTP client's types stop here: the rest of the crate sees [`Response`].

use std::error::Error as _;
use std::time::Duration;

use bytes::BytesMut;
use reqwest::header::{self, HeaderMap};
use tokio::time::Instant;
use url::Url;

use super::pacer::Pacer;
use crate::config::{CrawlConfig, MAX_RETRY_AFTER};
use crate::model::ErrorKind;

/// What one URL answered (after retries).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Response {
    /// Status of the last attempt; None when no response came.
    pub status: Option<u16>,
    pub location: Option<String>,
    pub content_type: String,
    pub www_authenticate: String,
    pub x_robots_tag: String,
    pub content_length: Option<u64>,
    /// Bytes of body read, when it was read (see [`Body`]); at most the cap.
    pub body_len: Option<u64>,
    pub body_truncated: bool,
    /// A file (not HTML) whose first bytes were read ([`Body::Html`]'s `file_head`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub file: bool,
    pub response_ms: Option<u64>,
    pub retries: u32,
    pub error: Option<(ErrorKind, String)>,
    /// Every header (name lower-cased) of a 403, 429 or 503, where a bot challenge may hide.
    pub refusal_headers: Vec<(String, String)>,
}

impl Response {
    /// Declared as HTML by its Content-Type (an untyped body is sniffed: [`sniff_html`]).
    pub fn is_html_type(&self) -> bool {
        self.content_type.to_ascii_lowercase().contains("html")
    }
}

/// Which bodies to read; the rest are recorded from their headers only.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// robots.txt and sitemaps: always, up to the cap.
    Always { cap: u64 },
    /// Pages: only HTML (or untyped) bodies, up to the cap; of any other body (a file) the
    /// first `file_head` bytes (0: none), which the member comparison hashes.
    Html { cap: u64, file_head: u64 },
}

/// Where a body goes as it arrives: a buffer for robots.txt and sitemaps, the streaming HTML
/// parser for pages (so that no page is ever held whole in memory).
pub trait BodySink: Send {
    fn write(&mut self, chunk: &[u8]);
}

impl BodySink for BytesMut {
    fn write(&mut self, chunk: &[u8]) {
        self.extend_from_slice(chunk);
    }
}

/// The charset parameter of a Content-Type, if any.
pub fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// Sent only to the audited site: the engine requests nothing else.
    basic_auth: Option<(String, String)>,
    retries: u32,
    backoff: Duration,
}

/// The member's credentials: a cookie jar (from a cookies.txt or a form login) and maybe one
/// whole header. Only the member crawl's client carries them ([`Fetcher::member`]); the
/// anonymous crawl's client is built without.
#[derive(Clone, Default)]
pub struct Session {
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub header: Option<(header::HeaderName, header::HeaderValue)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the cookies nor the header's value.
        f.write_str("Session")
    }
}

impl Fetcher {
    /// The anonymous client: no cookie jar, no member header.
    pub fn new(config: &CrawlConfig) -> anyhow::Result<Self> {
        Self::build(config, None)
    }

    /// The member's client: the session's cookie jar (which also keeps what the site sets)
    /// and header on every request.
    pub fn member(config: &CrawlConfig, session: &Session) -> anyhow::Result<Self> {
        Self::build(config, Some(session))
    }

    fn build(config: &CrawlConfig, session: Option<&Session>) -> anyhow::Result<Self> {
        // reqwest is built without a default crypto provider so that we pick ring (a plain
        // cc build; aws-lc-rs is slower to build); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            header::HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        for (name, value) in &config.headers {
            // Validated in Config::from_args.
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_str(value),
            ) {
                let mut value = value;
                value.set_sensitive(true);
                headers.insert(name, value);
            }
        }
        if let Some((name, value)) = session.and_then(|s| s.header.clone()) {
            let mut value = value;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let extra_roots = config
            .ca_certs
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok());
        let mut builder = reqwest::Client::builder()
            .tls_certs_merge(extra_roots)
            // Staging servers with self-signed certificates, on request only.
            .danger_accept_invalid_certs(config.insecure);
        for (host, ip) in &config.resolve {
            // The port is ignored by reqwest: the URL's port is used.
            builder = builder.resolve(host, std::net::SocketAddr::new(*ip, 0));
        }
        if let Some(session) = session {
            builder = builder.cookie_provider(session.jar.clone());
        }
        let client = builder
            .user_agent(&config.user_agent)
            .default_headers(headers)
            // Every hop is checked against scope and robots.txt by the engine.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .pool_max_idle_per_host(config.concurrency as usize)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            basic_auth: config.basic_auth.clone(),
            client,
            retries: config.retries,
            backoff: config.backoff,
        })
    }

    /// POST a form once, never retried (a login: retries lock accounts). The answer's status,
    /// its `Location`, and up to `cap` bytes of its body.
    pub async fn post_form(
        &self,
        url: &Url,
        fields: &[(String, String)],
        referer: &Url,
        pacer: &Pacer,
        cap: usize,
    ) -> anyhow::Result<(u16, Option<String>, Vec<u8>)> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let _permit = pacer.slot().await;
        let mut request = self
            .client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, referer.origin().ascii_serialization())
            .header(header::REFERER, referer.as_str())
            .body(body);
        if let Some((user, password)) = &self.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        let mut resp = request.send().await.map_err(|e| {
            anyhow::anyhow!(
                "the login form could not be sent to {url}: {}",
                error_kind(&e).1
            )
        })?;
        let status = resp.status().as_u16();
        let location = header_text(resp.headers(), header::LOCATION, ", ");
        let mut read = Vec::new();
        while read.len() < cap {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    read.extend_from_slice(&chunk[..chunk.len().min(cap - read.len())])
                }
                _ => break,
            }
        }
        Ok((status, location, read))
    }

    /// GET `url` once (plus retries), paced by `pacer`. A body that is read goes to a sink made
    /// by `sink` from the response's headers; it comes back with the response unless the
    /// response timed out (a body that never finished is not worth parsing).
    pub async fn get<S: BodySink>(
        &self,
        url: &Url,
        pacer: &Pacer,
        body: Body,
        sink: impl Fn(&Response) -> S,
    ) -> (Response, Option<S>) {
        let mut attempt = 0;
        loop {
            let permit = pacer.slot().await;
            let (mut response, out) = self.attempt(url, body, &sink).await;
            drop(permit);
            response.retries = attempt;
            let retryable = matches!(
                (response.status, &response.error),
                (Some(429 | 503), _) | (None, Some((ErrorKind::Timeout | ErrorKind::Connect, _)))
            );
            if !retryable {
                return (response.into(), out);
            }
            if attempt >= self.retries {
                if matches!(response.status, Some(429 | 503)) {
                    response.error = Some((
                        ErrorKind::RetriesExhausted,
                        format!(
                            "still {} after {attempt} retries",
                            response.status.unwrap_or(0)
                        ),
                    ));
                }
                return (response.into(), out);
            }
            let wait = response
                .retry_after
                .unwrap_or_else(|| self.backoff.saturating_mul(1 << attempt.min(16)))
                .min(MAX_RETRY_AFTER);
            // The whole host waits, not only this URL: that is what the server asked for.
            pacer.hold_until(Instant::now() + wait);
            attempt += 1;
        }
    }

    async fn attempt<S: BodySink>(
        &self,
        url: &Url,
        body: Body,
        sink: &impl Fn(&Response) -> S,
    ) -> (Attempt, Option<S>) {
        let started = Instant::now();
        let mut request = self.client.get(url.clone());
        if let Some((user, password)) = &self.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        let result = request.send().await;
        let elapsed_ms = || Some(started.elapsed().as_millis() as u64);
        let mut resp = match result {
            Ok(resp) => resp,
            Err(e) => {
                let attempt = Attempt {
                    inner: Response {
                        error: Some(error_kind(&e)),
                        response_ms: elapsed_ms(),
                        ..Response::default()
                    },
                    retry_after: None,
                };
                return (attempt, None);
            }
        };
        let headers = resp.headers();
        let mut out = Response {
            status: Some(resp.status().as_u16()),
            location: header_text(headers, header::LOCATION, ", "),
            content_type: header_text(headers, header::CONTENT_TYPE, ", ").unwrap_or_default(),
            www_authenticate: header_text(headers, header::WWW_AUTHENTICATE, " | ")
                .unwrap_or_default(),
            x_robots_tag: header_text(headers, "x-robots-tag", ", ").unwrap_or_default(),
            content_length: resp.content_length(),
            response_ms: elapsed_ms(),
            ..Response::default()
        };
        if matches!(out.status, Some(403 | 429 | 503)) {
            out.refusal_headers = headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
        }
        let retry_after = header_text(headers, header::RETRY_AFTER, ",")
            .as_deref()
            .and_then(parse_retry_after);
        let file_head = match body {
            Body::Html { file_head, .. } => file_head,
            Body::Always { .. } => 0,
        };
        let cap = match body {
            Body::Always { cap } => Some(cap),
            Body::Html { cap, file_head } => {
                let ct = out.content_type.to_ascii_lowercase();
                // Servers lie: HTML comes as application/octet-stream too. Such a body is read
                // only while its first bytes look like HTML (see `sniff` below).
                let html = ct.is_empty() || ct.contains("html") || ct.contains("octet-stream");
                (html || file_head > 0).then_some(cap)
            }
        };
        let sniff = matches!(body, Body::Html { .. })
            && !out.content_type.to_ascii_lowercase().contains("html");
        let redirect = resp.status().is_redirection();
        let mut out_sink = None;
        if let (Some(mut cap), false) = (cap, redirect) {
            let mut read: u64 = 0;
            let mut target = None;
            let mut binary = false;
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if sniff && read == 0 && !sniff_html(&chunk) {
                            if file_head == 0 {
                                // A real binary (a download): recorded from its headers only.
                                binary = true;
                                break;
                            }
                            // Its first bytes only, and no error for the rest.
                            out.file = true;
                            cap = file_head;
                        }
                        let target = target.get_or_insert_with(|| sink(&out));
                        let room = cap.saturating_sub(read) as usize;
                        if chunk.len() > room {
                            target.write(&chunk[..room]);
                            read += room as u64;
                            out.body_truncated = !out.file;
                            break;
                        }
                        target.write(&chunk);
                        read += chunk.len() as u64;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        out.error = Some(match error_kind(&e) {
                            (ErrorKind::Timeout, detail) => (ErrorKind::Timeout, detail),
                            (_, detail) => (ErrorKind::BodyRead, detail),
                        });
                        break;
                    }
                }
            }
            if out.body_truncated {
                out.error = Some((
                    ErrorKind::BodyTruncated,
                    format!("body larger than {cap} bytes; the first {cap} were used"),
                ));
            }
            if matches!(out.error, Some((ErrorKind::Timeout, _))) {
                // A body that never finishes is a timeout for the whole response.
                out.status = None;
            } else if !binary {
                out.body_len = Some(read);
                // An empty body still gets its (empty) sink: an empty page is a page.
                out_sink = Some(target.unwrap_or_else(|| sink(&out)));
            }
        }
        let attempt = Attempt {
            inner: out,
            retry_after,
        };
        (attempt, out_sink)
    }
}

/// One attempt's response plus what only the retry loop needs.
struct Attempt {
    inner: Response,
    retry_after: Option<Duration>,
}

impl std::ops::Deref for Attempt {
    type Target = Response;
    fn deref(&self) -> &Response {
        &self.inner
    }
}

impl std::ops::DerefMut for Attempt {
    fn deref_mut(&mut self) -> &mut Response {
        &mut self.inner
    }
}

impl From<Attempt> for Response {
    fn from(a: Attempt) -> Response {
        a.inner
    }
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName, sep: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .collect();
    (!values.is_empty()).then(|| values.join(sep))
}

/// `Retry-After` is either delta-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Map the client's error to our closed list, with the innermost cause as detail.
fn error_kind(error: &reqwest::Error) -> (ErrorKind, String) {
    let mut detail = error.to_string();
    let mut tls = None;
    let mut source = error.source();
    while let Some(cause) = source {
        detail = cause.to_string();
        // rustls' error may sit inside an io::Error, whose source() skips it.
        let inner = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|e| e.downcast_ref::<rustls::Error>());
        if let Some(e) = cause.downcast_ref::<rustls::Error>().or(inner) {
            tls = Some(super::tls::fault_kind(e));
        }
        source = cause.source();
    }
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else if let Some(kind) = tls.or_else(|| super::tls::fault_kind_from_text(&detail)) {
        kind
    } else if error.is_connect() {
        ErrorKind::Connect
    } else if error.is_body() || error.is_decode() {
        ErrorKind::BodyRead
    } else {
        ErrorKind::Http
    };
    (kind, detail)
}

/// An untyped body that starts like an HTML document.
pub fn sniff_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    let text = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    text.starts_with("<!doctype html") || text.starts_with("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn charset_parameter_is_read_from_content_type() {
        assert_eq!(charset("text/html; charset=ISO-8859-1"), Some("ISO-8859-1"));
        assert_eq!(charset("text/html;Charset=\"utf-8\" ; x=y"), Some("utf-8"));
        assert_eq!(charset("text/html"), None);
        assert_eq!(charset(""), None);
    }

    #[test]
    fn untyped_html_is_sniffed() {
        assert!(sniff_html(b"  <!DOCTYPE html><p>"));
        assert!(!sniff_html(b"%PDF-1.4"));
    }
}
