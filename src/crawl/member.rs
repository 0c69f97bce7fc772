//! The member side of the member vs stranger audit (`--member-cookies`, `--member-header-env`,
//! `--login-url`): the session, the member crawl, and the session checks during it.
//!
//! Only the member's client ([`Fetcher::member`]) carries the session. The member crawl comes
//! first, GET only, through the same per-origin pacers as the anonymous crawl that follows;
//! that one asks every members-only URL again without the session and compares
//! ([`super::Engine::seed_members`]). What the member saw is kept as a sample of each page's
//! word pairs (never its text) or a file's size and first bytes' hash; the member's titles only
//! with `--member-titles`.

use std::collections::HashMap;
use std::io::BufReader;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use bytes::BytesMut;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::watch;
use url::Url;

use super::fetch::{Body, Fetcher, Session};
use super::html::{self, Name, Namespace, Tag};
use super::pacer::Pacer;
use super::rendering::Pacers;
use super::{Engine, RecordSink, scope};
use crate::audit;
use crate::config::{CrawlConfig, MAX_RETRY_AFTER, MEMBER_CHECK_EVERY, MemberConfig, MemberLogin};
use crate::model::{
    DiscoveredVia, MemberFacts, MemberView, Members, Record, SkipReason, StopCause,
};

/// Word pairs kept of each member page: the smallest hashes, a uniform sample of the page's
/// set, so that containment is estimated (within a few percent) and a large members area
/// fits in memory: 4 KiB a page.
pub const SAMPLE: usize = 512;
/// The login page, the login's answer and the session check: bytes read.
const PAGE_CAP: u64 = 2 * 1024 * 1024;
/// Records between two session checks started by a member request that met a wall.
const WALLED_CHECK_GAP: u64 = 20;
/// Redirects followed to the login page.
const LOGIN_REDIRECTS: usize = 5;

/// What the member crawl leaves for the anonymous one.
pub struct MemberCrawl {
    pub members: Members,
    pub facts: MemberFacts,
    /// The pacers the member crawl used: the anonymous crawl goes on with them.
    pub pacers: Pacers,
    /// The run was stopped during the member crawl (a signal, `--max-duration`, refusals).
    pub stopped: Option<StopCause>,
}

/// Sign in, then crawl the site as the member. A session that does not work (a failed login,
/// a check URL that answers with a login form) is an error before any page is crawled.
pub async fn crawl(
    cfg: &CrawlConfig,
    member: &MemberConfig,
    stop: impl Future<Output = StopCause>,
) -> Result<MemberCrawl> {
    let pacers = Pacers::default();
    let requests = Arc::new(AtomicU64::new(0));
    let (session, check) = sign_in(cfg, member, &pacers, &requests).await?;
    let fetcher = Fetcher::member(cfg, &session)?;
    if let Some(url) = &check {
        requests.fetch_add(1, Ordering::Relaxed);
        let pacer = pacer_for(&pacers, (cfg.delay, cfg.concurrency), url);
        if let Err(why) = check_session(&fetcher, &pacer, url, false).await {
            bail!("the member session does not work: {url} {why}");
        }
    }
    let (expired_tx, mut expired_rx) = watch::channel(None::<String>);
    let checker = Checker {
        // Without one, the first page that shows a logout link is checked for it.
        needs_logout: check.is_none(),
        url: Arc::new(Mutex::new(check)),
        stranger: Fetcher::new(cfg)?,
        candidates: 0,
        pending: Arc::default(),
        verifying: Arc::default(),
        fetcher: fetcher.clone(),
        pacers: pacers.clone(),
        cfg: (cfg.delay, cfg.concurrency),
        running: Arc::default(),
        requests: requests.clone(),
        launched: 0,
        passed: Arc::default(),
        last_at: 0,
        expired: expired_tx.clone(),
    };
    let mut sink = MemberSink {
        pages: HashMap::new(),
        chrome: None,
        records: 0,
        not_checked: 0,
        checker,
    };
    let mut member_cfg = cfg.clone();
    member_cfg.as_member = true;
    member_cfg.members = None;
    // The member crawl looks for pages; probes and the browser are the anonymous crawl's.
    member_cfg.probe = false;
    member_cfg.render = None;
    member_cfg.max_pages = member.max_pages;
    // --max-duration bounds the whole run: the member crawl gets half of it at most.
    member_cfg.max_duration = cfg.max_duration.map(|d| d / 2);
    let engine = Engine::through(Arc::new(member_cfg), &mut sink, fetcher, pacers.clone());
    let stop = async move {
        tokio::select! {
            cause = stop => cause,
            // The session ended: the member crawl stops, the anonymous one goes on.
            Ok(_) = expired_rx.wait_for(Option::is_some) => StopCause::Interrupt,
        }
    };
    let (facts, _) = engine.run(stop).await?;
    // A check still under way decides as much as the last one (its request is bounded by
    // --timeout and --retries; this bound is only a guard).
    let checker = &mut sink.checker;
    let deadline = tokio::time::Instant::now() + cfg.timeout * (cfg.retries + 2) + MAX_RETRY_AFTER;
    while (checker.running.load(Ordering::Acquire) || checker.verifying.load(Ordering::Acquire))
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Some(url) = checker.picked()
        && expired_tx.borrow().is_none()
        && facts.stopped.is_none()
    {
        // A last check: a session that ended after the last one would pass for a live one.
        checker.launched += 1;
        requests.fetch_add(1, Ordering::Relaxed);
        let pacer = pacer_for(&pacers, (cfg.delay, cfg.concurrency), &url);
        match check_session(&checker.fetcher, &pacer, &url, checker.needs_logout).await {
            Ok(()) => {
                checker.passed.fetch_max(checker.launched, Ordering::AcqRel);
            }
            Err(why) => {
                // `send` would drop it: the crawl's receiver is gone by now.
                expired_tx.send_replace(Some(format!("{url} {why}")));
            }
        }
    }
    let expired = expired_tx.borrow().clone();
    if expired.is_some() {
        sink.distrust_since_last_check();
    }
    let chrome = sink.chrome.take().unwrap_or_default();
    let mut pages = sink
        .pages
        .into_iter()
        .map(|(url, (view, _))| (url, view))
        .collect::<HashMap<_, _>>();
    for view in pages.values_mut().filter(|v| v.html) {
        view.shingles = audit::own_shingles(&view.shingles, &chrome);
    }
    let facts_out = MemberFacts {
        session: member.login.describe(),
        requests: facts.requests + requests.load(Ordering::Relaxed),
        reached: pages.len() as u64,
        members_only: 0,
        not_checked: sink.not_checked,
        expired: expired.clone(),
    };
    Ok(MemberCrawl {
        members: Members { pages },
        facts: facts_out,
        pacers,
        stopped: facts.stopped.filter(|_| expired.is_none()),
    })
}

/// The session, and the URL that tells whether it still works (`--member-check`, or where a
/// form login sent the member).
async fn sign_in(
    cfg: &CrawlConfig,
    member: &MemberConfig,
    pacers: &Pacers,
    requests: &AtomicU64,
) -> Result<(Session, Option<Url>)> {
    let mut session = Session::default();
    let check = member.check.clone();
    match &member.login {
        MemberLogin::Cookies(path) => {
            session.jar = Arc::new(load_cookies(path, cfg)?);
        }
        MemberLogin::Header { var, name, value } => {
            let name = HeaderName::from_bytes(name.as_bytes())
                .with_context(|| format!("${var}: not a header name before the ':'"))?;
            let value = HeaderValue::from_str(value)
                .with_context(|| format!("${var}: the header's value is not valid"))?;
            session.header = Some((name, value));
        }
        MemberLogin::Form {
            url,
            user,
            password,
            ..
        } => {
            let fetcher = Fetcher::member(cfg, &session)?;
            let login = Login {
                fetcher: &fetcher,
                jar: &session.jar,
                pacers,
                cfg,
                member,
                requests,
            };
            let landed = login.submit(url, user, password).await?;
            return Ok((session, check.or(landed)));
        }
    }
    Ok((session, check))
}

/// The cookies of a Netscape cookies.txt that the audited site would get: those of its host
/// (or a parent domain), not expired. Every other cookie is dropped on load, so that no
/// other site's session is ever held.
pub fn load_cookies(path: &std::path::Path, cfg: &CrawlConfig) -> Result<Jar> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the cookie file {}", path.display()))?;
    let cookies = netscape_cookie_file_parser::parse_lossy(BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("cannot read the cookie file {}: {e}", path.display()))?;
    let host = cfg
        .start
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let jar = Jar::default();
    let (mut kept, mut dropped) = (0, 0);
    for cookie in cookies {
        let domain = String::from_utf8_lossy(&cookie.domain).to_ascii_lowercase();
        let ours = domain == host
            || (cookie.tail_match && host.ends_with(&format!(".{domain}")))
            || (cfg.include_subdomains && domain.ends_with(&format!(".{host}")));
        // 0: a session cookie, valid until the browser closes.
        let expired = cookie.expires != 0 && cookie.expires < now;
        let secure_over_http = cookie.secure && cfg.start.scheme() != "https";
        if !ours || expired || secure_over_http {
            dropped += 1;
            continue;
        }
        let mut line = format!(
            "{}={}; Path={}",
            String::from_utf8_lossy(&cookie.name),
            String::from_utf8_lossy(&cookie.value),
            String::from_utf8_lossy(&cookie.path),
        );
        if cookie.tail_match {
            line.push_str(&format!("; Domain={domain}"));
        }
        if cookie.secure {
            line.push_str("; Secure");
        }
        let mut at = cfg.start.clone();
        if domain != host && !cookie.tail_match {
            // A host-only cookie of a subdomain (--include-subdomains): set from that host.
            at.set_host(Some(&domain))
                .map_err(|e| anyhow::anyhow!("cookie domain {domain}: {e}"))?;
        }
        jar.add_cookie_str(&line, &at);
        kept += 1;
    }
    ensure!(
        kept > 0,
        "the cookie file {} holds no cookie for {host} that has not expired ({dropped} for other \
         sites or expired, dropped)",
        path.display()
    );
    Ok(jar)
}

/// A form login: the only request authwall sends that is not a GET.
struct Login<'a> {
    fetcher: &'a Fetcher,
    /// The fetcher's cookie jar: a login that sets no cookie did not log in.
    jar: &'a Jar,
    pacers: &'a Pacers,
    cfg: &'a CrawlConfig,
    member: &'a MemberConfig,
    requests: &'a AtomicU64,
}

impl Login<'_> {
    /// Fetch the login page, fill its password form and submit it once. Returns where the
    /// site sent the member (the session check's default URL).
    async fn submit(&self, url: &Url, user: &str, password: &str) -> Result<Option<Url>> {
        let (page, body) = self.login_page(url).await?;
        let Some(form) = find_login_form(&body) else {
            bail!("no form with a password field at the login page {page}");
        };
        let action = page
            .join(form.action.as_deref().unwrap_or(""))
            .with_context(|| format!("the login form's action at {page} is not a URL"))?;
        self.allowed(&action, "the login form is sent to")?;
        ensure!(
            form.method.eq_ignore_ascii_case("post"),
            "the login form at {page} is not sent by POST: authwall does not send a password in \
             a URL"
        );
        let fields = form.filled(user, password)?;
        let before = self.fetcher_cookies(&action);
        let pacer = pacer_for(self.pacers, (self.cfg.delay, self.cfg.concurrency), &action);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (status, location, body) = self
            .fetcher
            .post_form(&action, &fields, &page, &pacer, PAGE_CAP as usize)
            .await?;
        let target = location.as_deref().and_then(|to| action.join(to).ok());
        let failed = |why: &str| anyhow::anyhow!("the login at {action} failed: {why}");
        if matches!(status, 401 | 403) {
            return Err(failed(&format!("the site answered {status}")));
        }
        if status >= 400 {
            return Err(failed(&format!("the site answered {status}")));
        }
        if let Some(to) = &target
            && (audit::is_login_url(to) || to.path() == page.path())
        {
            return Err(failed(&format!(
                "it sent back to the login page {to} (wrong user or password?)"
            )));
        }
        if (200..300).contains(&status) && find_login_form(&body).is_some() {
            return Err(failed(
                "the login form came back (wrong user or password, or a CAPTCHA?)",
            ));
        }
        if self.fetcher_cookies(&action) == before {
            return Err(failed("the site set no session cookie"));
        }
        Ok(target.filter(|to| self.allowed(to, "").is_ok()))
    }

    /// GET the login page, following a few same-origin redirects (`/login` → `/login/`).
    async fn login_page(&self, url: &Url) -> Result<(Url, Vec<u8>)> {
        let mut url = url.clone();
        for _ in 0..=LOGIN_REDIRECTS {
            self.allowed(&url, "the login page is")?;
            let pacer = pacer_for(self.pacers, (self.cfg.delay, self.cfg.concurrency), &url);
            self.requests.fetch_add(1, Ordering::Relaxed);
            let (response, body) = self
                .fetcher
                .get(&url, &pacer, Body::Always { cap: PAGE_CAP }, |_| {
                    BytesMut::new()
                })
                .await;
            match (response.status, response.location.as_deref()) {
                (Some(300..400), Some(to)) => {
                    url = url.join(to).context("the login page redirects to no URL")?;
                }
                (Some(200..300), _) => return Ok((url, body.unwrap_or_default().to_vec())),
                (Some(status), _) => bail!("the login page {url} answered {status}"),
                (None, _) => bail!(
                    "the login page {url} could not be fetched: {}",
                    response.error.map(|(_, e)| e).unwrap_or_default()
                ),
            }
        }
        bail!("the login page {url} redirects more than {LOGIN_REDIRECTS} times")
    }

    /// The login goes to the audited origin only, over https unless
    /// `--allow-login-over-http`.
    fn allowed(&self, url: &Url, what: &str) -> Result<()> {
        ensure!(
            url.origin() == self.cfg.start.origin(),
            "{what} {url}, outside the audited site {}: authwall sends a password only to the \
             site it audits",
            self.cfg.start.origin().ascii_serialization()
        );
        ensure!(
            url.scheme() == "https" || self.member.allow_login_over_http,
            "{what} {url}, over plain http: the password would travel unencrypted \
             (--allow-login-over-http for a test server)"
        );
        Ok(())
    }

    fn fetcher_cookies(&self, url: &Url) -> Option<String> {
        self.jar
            .cookies(url)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

/// A form of the login page, as it would be sent.
#[derive(Debug, Default, Clone)]
struct Form {
    action: Option<String>,
    method: String,
    inputs: Vec<Input>,
}

#[derive(Debug, Default, Clone)]
struct Input {
    name: String,
    kind: String,
    value: String,
    checked: bool,
}

impl Form {
    /// The fields a browser would send: the hidden ones (CSRF tokens) as they are, the user
    /// name field and the password filled, a checked box, the first named submit button.
    fn filled(&self, user: &str, password: &str) -> Result<Vec<(String, String)>> {
        let password_at = self
            .inputs
            .iter()
            .position(|i| i.kind == "password")
            .context("the login form has no password field")?;
        let is_user = |i: &Input| matches!(i.kind.as_str(), "text" | "email" | "tel" | "");
        // The user field is the last text field before the password (else the first after).
        let user_at = self.inputs[..password_at]
            .iter()
            .rposition(is_user)
            .or_else(|| self.inputs.iter().position(is_user))
            .context("the login form has no user name field")?;
        let mut fields = Vec::new();
        let mut submitted = false;
        for (at, input) in self.inputs.iter().enumerate() {
            if input.name.is_empty() {
                continue;
            }
            let value = match input.kind.as_str() {
                _ if at == user_at => user.to_string(),
                _ if at == password_at => password.to_string(),
                "checkbox" | "radio" if !input.checked => continue,
                "checkbox" | "radio" if input.value.is_empty() => "on".to_string(),
                "submit" | "image" | "button" | "reset" if submitted => continue,
                "submit" => {
                    submitted = true;
                    input.value.clone()
                }
                "image" | "button" | "reset" | "file" | "password" => continue,
                _ => input.value.clone(),
            };
            fields.push((input.name.clone(), value));
        }
        Ok(fields)
    }
}

/// Whether the page at `url` links to a logout URL.
fn links_logout(url: &Url, body: Option<&[u8]>) -> bool {
    let mut forms = Forms {
        base: Some(url.clone()),
        ..Forms::default()
    };
    let mut tokenizer = html::Tokenizer::new();
    tokenizer.feed(body.unwrap_or_default(), &mut forms);
    tokenizer.finish(&mut forms);
    forms.logout
}

/// The first form of a page that holds a password field.
fn find_login_form(body: &[u8]) -> Option<Form> {
    let mut forms = Forms::default();
    let mut tokenizer = html::Tokenizer::new();
    tokenizer.feed(body, &mut forms);
    tokenizer.finish(&mut forms);
    forms.forms.extend(forms.open.take());
    forms
        .forms
        .into_iter()
        .find(|f| f.inputs.iter().any(|i| i.kind == "password"))
}

#[derive(Default)]
struct Forms {
    forms: Vec<Form>,
    open: Option<Form>,
    /// With a base URL: whether a link goes to a logout URL.
    base: Option<Url>,
    logout: bool,
}

impl html::Sink for Forms {
    fn wants_attrs(&mut self, name: &Name) -> bool {
        name.is("form") || name.is("input") || (self.base.is_some() && name.is("a"))
    }

    fn start_tag(&mut self, tag: &Tag<'_>) -> bool {
        if tag.name.is("a") {
            let to = attr(tag, "href").and_then(|href| self.base.as_ref()?.join(&href).ok());
            self.logout |= to.is_some_and(|to| scope::is_logout(&to));
        } else if tag.name.is("form") {
            // Forms do not nest: a second start closes the first.
            self.forms.extend(self.open.take());
            self.open = Some(Form {
                action: attr(tag, "action"),
                method: attr(tag, "method").unwrap_or_else(|| "get".into()),
                inputs: Vec::new(),
            });
        } else if tag.name.is("input")
            && let Some(form) = &mut self.open
        {
            form.inputs.push(Input {
                name: attr(tag, "name").unwrap_or_default(),
                kind: attr(tag, "type").unwrap_or_default().to_ascii_lowercase(),
                value: attr(tag, "value").unwrap_or_default(),
                checked: tag.has_attr("checked"),
            });
        }
        false
    }

    fn end_tag(&mut self, name: &Name, _ns: Namespace) {
        if name.is("form") {
            self.forms.extend(self.open.take());
        }
    }

    fn text(&mut self, _text: &[u8]) {}
}

/// An attribute's value as text, character references expanded.
fn attr(tag: &Tag<'_>, name: &str) -> Option<String> {
    let raw = tag.attr(name)?.ok()?;
    Some(htmlize::unescape_attribute(String::from_utf8_lossy(raw).as_ref()).into_owned())
}

/// The pacer of `url`'s origin, shared with the anonymous crawl.
fn pacer_for(pacers: &Pacers, pace: (Duration, u32), url: &Url) -> Arc<Pacer> {
    super::requests::pacer_of(pacers, &scope::origin_key(url), pace)
}

/// Whether the session still works: the check URL answers 2xx without a password form (and,
/// for a page picked for its logout link, `needs_logout`, still with one).
async fn check_session(
    fetcher: &Fetcher,
    pacer: &Pacer,
    url: &Url,
    needs_logout: bool,
) -> Result<(), String> {
    let (response, body) = fetcher
        .get(url, pacer, Body::Always { cap: PAGE_CAP }, |_| {
            BytesMut::new()
        })
        .await;
    match (response.status, response.location) {
        (Some(status @ 300..400), Some(to)) => Err(format!("answered {status} to {to}")),
        (Some(200..300), _) if body.as_deref().and_then(find_login_form).is_some() => {
            Err("shows a login form".into())
        }
        (Some(200..300), _) if needs_logout && !links_logout(url, body.as_deref()) => {
            Err("no longer shows a logout link".into())
        }
        (Some(200..300), _) => Ok(()),
        (Some(status), _) => Err(format!("answered {status}")),
        (None, _) => Err(format!(
            "could not be fetched: {}",
            response.error.map(|(_, e)| e).unwrap_or_default()
        )),
    }
}

/// The session check during the member crawl: every [`MEMBER_CHECK_EVERY`] records, and
/// whenever a member request lands on a login page or a 401.
struct Checker {
    /// `--member-check`, where the login led, or a member page with a logout link that a
    /// stranger is not shown (set by the task that asked it anonymously).
    url: Arc<Mutex<Option<Url>>>,
    /// The page is picked for its logout link: the session ended when the link is gone.
    needs_logout: bool,
    /// The anonymous client, to tell a page that shows the session from one that shows a
    /// logout link to anyone (a cached page).
    stranger: Fetcher,
    /// Pages with a logout link considered so far, those not asked yet, and whether a task
    /// is asking them.
    candidates: u32,
    pending: Arc<Mutex<std::collections::VecDeque<Url>>>,
    verifying: Arc<AtomicBool>,
    fetcher: Fetcher,
    pacers: Pacers,
    cfg: (Duration, u32),
    running: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    /// Checks started during the crawl; the number of the last one that passed. A check
    /// that passes vouches for every page fetched before it started (a session that ended
    /// does not come back).
    launched: u64,
    passed: Arc<AtomicU64>,
    /// The record count when the last check was started.
    last_at: u64,
    expired: watch::Sender<Option<String>>,
}

/// A lock that a panicked holder did not spoil (none is held across an await).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Candidate pages for the session check, at most.
const CHECK_CANDIDATES: u32 = 5;

impl Checker {
    fn picked(&self) -> Option<Url> {
        lock(&self.url).clone()
    }

    /// A member page with a logout link: the session check's page if a stranger is not
    /// shown the link there. Candidates are asked anonymously one at a time, in order.
    fn consider(&mut self, candidate: &Url) {
        if !self.needs_logout || self.candidates >= CHECK_CANDIDATES || self.picked().is_some() {
            return;
        }
        self.candidates += 1;
        lock(&self.pending).push_back(candidate.clone());
        if self.verifying.swap(true, Ordering::AcqRel) {
            return; // the task under way takes it
        }
        let (stranger, url, pending) = (
            self.stranger.clone(),
            self.url.clone(),
            self.pending.clone(),
        );
        let (pacers, cfg, verifying) = (self.pacers.clone(), self.cfg, self.verifying.clone());
        tokio::spawn(async move {
            loop {
                let next = lock(&pending).pop_front();
                let Some(candidate) = next else {
                    verifying.store(false, Ordering::Release);
                    // One may have come between the pop and the store.
                    if lock(&pending).is_empty() || verifying.swap(true, Ordering::AcqRel) {
                        return;
                    }
                    continue;
                };
                // An anonymous request: not the member's (it carries no session).
                let pacer = pacer_for(&pacers, cfg, &candidate);
                let (response, body) = stranger
                    .get(&candidate, &pacer, Body::Always { cap: PAGE_CAP }, |_| {
                        BytesMut::new()
                    })
                    .await;
                if response.status.is_some() && !links_logout(&candidate, body.as_deref()) {
                    *lock(&url) = Some(candidate);
                    lock(&pending).clear();
                    verifying.store(false, Ordering::Release);
                    return;
                }
            }
        });
    }

    fn spawn(&mut self) {
        let Some(url) = self.picked() else { return };
        // Once ended, the session is not checked again (and `running` stays false: the end
        // of the crawl waits for it).
        if self.expired.borrow().is_some() || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.launched += 1;
        let (number, passed) = (self.launched, self.passed.clone());
        let pacer = pacer_for(&self.pacers, self.cfg, &url);
        let (fetcher, needs_logout) = (self.fetcher.clone(), self.needs_logout);
        let (running, expired) = (self.running.clone(), self.expired.clone());
        self.requests.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            match check_session(&fetcher, &pacer, &url, needs_logout).await {
                Ok(()) => {
                    passed.fetch_max(number, Ordering::AcqRel);
                }
                Err(why) => {
                    expired.send_replace(Some(format!("{url} {why}")));
                }
            }
            running.store(false, Ordering::Release);
        });
    }
}

/// Where the member crawl's records go: what the member saw of every 2xx.
struct MemberSink {
    /// Each with the number of session checks started before it came.
    pages: HashMap<String, (MemberView, u64)>,
    /// The member's home page, whole: its word pairs are the site's chrome.
    chrome: Option<Vec<u64>>,
    records: u64,
    not_checked: u64,
    checker: Checker,
}

impl MemberSink {
    /// The session ended: what came since the last check that passed may be what a stranger
    /// sees (a teaser, a login form), not the member's page. Those URLs count as not checked.
    fn distrust_since_last_check(&mut self) {
        let passed = self.checker.passed.load(Ordering::Acquire);
        let before = self.pages.len();
        self.pages.retain(|_, (_, launched)| *launched < passed);
        self.not_checked += (before - self.pages.len()) as u64;
    }
}

impl RecordSink for MemberSink {
    fn record(&mut self, mut record: Record) -> Result<()> {
        self.records += 1;
        let login_page = record.url.url().is_some_and(audit::is_login_url);
        if let Some(view) = record.member.take().filter(|_| !login_page) {
            let mut view = *view;
            if let Some(url) = record.url.url()
                && view.logout_link
            {
                // A page that may show the session: it would tell when the session ends.
                self.checker.consider(url);
            }
            let home = match record.found.via {
                DiscoveredVia::Seed => true,
                DiscoveredVia::Redirect => record.found.depth == 0,
                _ => false,
            };
            if view.html && self.chrome.is_none() && home {
                self.chrome = Some(view.shingles.clone());
            }
            // Sorted hashes: the first are the smallest, a uniform sample (the home page's
            // came whole).
            view.shingles.truncate(SAMPLE);
            view.shingles.shrink_to_fit();
            let launched = self.checker.launched;
            self.pages
                .insert(record.url.as_str().to_string(), (view, launched));
        }
        if matches!(
            record.skip,
            Some(SkipReason::MaxPages | SkipReason::MaxDuration | SkipReason::Interrupted)
        ) {
            self.not_checked += 1;
        }
        let walled = record
            .hops
            .last()
            .is_some_and(|hop| audit::is_login_url(&hop.target))
            || record.final_status == Some(401);
        let checker = &mut self.checker;
        // A site with many walls of its own (pages the member may not see either) must not
        // get a check for each.
        if self.records.is_multiple_of(MEMBER_CHECK_EVERY)
            || (walled && self.records >= checker.last_at + WALLED_CHECK_GAP)
        {
            checker.last_at = self.records;
            checker.spawn();
        }
        Ok(())
    }

    fn tick(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_keeps_its_hidden_fields_and_fills_user_and_password() {
        let page = br#"<form action="/search"><input name=q></form>
            <form method=post action="/login/?next=/dash">
              <input type=hidden name=csrfmiddlewaretoken value="t&amp;k">
              <label>User <input type=text name=username autofocus></label>
              <input type=password name=password>
              <input type=checkbox name=remember checked>
              <input type=checkbox name=newsletter>
              <input type=submit name=go value="Log in"><input type=submit name=other value=x>
            </form>"#;
        let form = find_login_form(page).expect("the password form");
        assert_eq!(form.action.as_deref(), Some("/login/?next=/dash"));
        let fields = form.filled("ann", "s3cret").expect("filled");
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("csrfmiddlewaretoken", "t&k"),
                ("username", "ann"),
                ("password", "s3cret"),
                ("remember", "on"),
                ("go", "Log in"),
            ]
        );
    }

    #[test]
    fn a_page_without_a_password_field_has_no_login_form() {
        assert!(find_login_form(b"<form><input name=q type=search></form>").is_none());
        assert!(find_login_form(b"<p>Welcome back, Ann. <a href=/logout>Log out</a>").is_none());
    }
}
