//! The demo's members' club: a site area with real sessions, for the member vs stranger
//! audit. A login form with a CSRF token sets a session cookie; the member's home page links
//! the club's pages, one per behaviour (the comment says what the audit must record); a
//! logout link and a "delete my account" GET link end the session if ever asked.
//!
//! The demo's own member cookie ([`DEMO_COOKIE`]) is always a valid session (unless the club
//! is [`Club::expiring`]): `authwall demo --member` audits with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The session cookie's name.
pub const COOKIE: &str = "club_session";
/// A session that never ends, for `authwall demo --member`.
pub const DEMO_COOKIE: &str = "demo-member-7f3a";
/// The member's user name and password (a test server's).
pub const USER: &str = "ann";
pub const PASSWORD: &str = "correct-horse-battery";

/// The club's sessions.
#[derive(Clone, Default)]
pub struct Club {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// Session id -> requests it made.
    sessions: HashMap<String, usize>,
    /// A session ends after this many requests (to test an expiry mid-crawl).
    expire_after: Option<usize>,
    next: u64,
    /// Requests made with [`DEMO_COOKIE`].
    demo_used: usize,
}

impl Club {
    /// A club whose sessions end after `requests` requests each.
    pub fn expiring(requests: usize) -> Self {
        let club = Self::default();
        club.lock().expire_after = Some(requests);
        club
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The request carries a live session (and it is counted).
    pub fn is_member(&self, headers: &HeaderMap) -> bool {
        let Some(id) = cookie(headers, COOKIE) else {
            return false;
        };
        let mut state = self.lock();
        let limit = state.expire_after;
        if id == DEMO_COOKIE {
            // The demo's session never ends, unless the club's sessions do.
            state.demo_used += 1;
            return limit.is_none_or(|limit| state.demo_used <= limit);
        }
        let Some(used) = state.sessions.get_mut(&id) else {
            return false;
        };
        *used += 1;
        if limit.is_some_and(|limit| *used > limit) {
            state.sessions.remove(&id);
            return false;
        }
        true
    }

    fn open_session(&self) -> String {
        let mut state = self.lock();
        state.next += 1;
        let id = format!("s{}-{:x}", state.next, rand_bits());
        state.sessions.insert(id.clone(), 0);
        id
    }

    fn end_session(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, COOKIE) {
            self.lock().sessions.remove(&id);
        }
    }
}

/// Not a secret worth a CSPRNG: a test server's session ids only need to differ.
fn rand_bits() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// A club page: the club's navigation and footer around `body`.
fn club_page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><title>{title}</title></head><body>\
         <header><nav><a href=\"/\">Shop</a> <a href=\"/club/\">Club home</a> \
         <a href=\"/club/logout\">Log out</a></nav></header>\
         <main>{body}</main><footer>The Demo Shop members' club</footer></body></html>"
    ))
}

fn to_login(path: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/club/login?next={path}"))],
    )
        .into_response()
}

const LEAK: &str = "<h1>Member prices</h1><p>Members pay 40 euros for the walnut desk, 12 euros \
     for the lamp and nothing for delivery within the city. These prices are for members of \
     the club only and change every quarter.</p>";
const STORY: &str = "<h1>The secret garden</h1><p>Behind the old workshop there is a garden \
     where we test every chair in the rain for a whole winter before it goes on sale.</p><p>We \
     found that oiled oak survives three winters, lacquered pine only one, and that the cats of \
     the neighbourhood prefer the wicker armchair above everything else we ever made.</p>";
const NEWSLETTER_OPEN: &str = "<h1>Winter newsletter</h1><p>This winter we restored forty \
     chairs from the old town hall, planed the oak tops of six long tables and taught a class \
     of twelve how to cane a seat by hand.</p>";
const NEWSLETTER_MEMBERS: &str = "<p>Members can book the workshop on Thursday evenings from \
     January, borrow the big planer for a weekend and bring one guest to the spring fair.</p>";
const PROTECTED: &str = "<h1>Board minutes</h1><p>The board met on Tuesday and agreed to open \
     a second shop by the harbour next spring, and to raise the members' discount.</p>";
const PROFILE: &str = "<p>Ann Smith</p>";
/// The first bytes of a PDF, and some more.
const REPORT_PDF: &[u8] = b"%PDF-1.4\n% members' quarterly report, Q3: revenue 1.2M, margin 31%\n";

pub fn routes(club: Club) -> Router {
    let c = club.clone();
    // The member's home: every club page links from here only (a stranger never sees them).
    let home = get(move |headers: HeaderMap| async move {
        if !c.is_member(&headers) {
            return to_login("/club/");
        }
        club_page(
            "Ann's club home",
            r#"<h1>Welcome back, Ann</h1><ul>
<li><a href="/club/minutes">Board minutes</a></li>
<li><a href="/club/prices">Member prices</a></li>
<li><a href="/club/story">The secret garden</a></li>
<li><a href="/club/reports/q3.pdf">Quarterly report (PDF)</a></li>
<li><a href="/club/profile">My profile</a></li>
<li><a href="/club/newsletter">Winter newsletter</a></li>
<li><a href="/club/download?file=q4.pdf&amp;expires=4102444800&amp;sig=9f2c1e7ab3d4">Q4 report (signed link)</a></li>
<li><a href="/club/account/delete">Delete my account</a></li>
</ul>"#,
        )
        .into_response()
    });
    let c = club.clone();
    // Protected: a stranger is sent to the login page. No finding.
    let minutes = get(move |headers: HeaderMap| async move {
        if !c.is_member(&headers) {
            return to_login("/club/minutes");
        }
        club_page("Board minutes", PROTECTED).into_response()
    });
    // Leaks: the page never checks the session (member_content_leak).
    let prices = get(|| async { club_page("Member prices", LEAK) });
    // Leaks too, though short: the member's name and a logout link.
    let profile = get(|| async { club_page("My profile", PROFILE) });
    // A members-only file that anyone can download (member_content_leak).
    let report = get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], REPORT_PDF) });
    // A signed link: it lets in whoever holds it, by design (capability_url, redacted).
    let download = get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], REPORT_PDF) });
    let c = club.clone();
    // Preview: a stranger gets the first lines and a sign-in link. No finding.
    let story = get(move |headers: HeaderMap| async move {
        if c.is_member(&headers) {
            return club_page("The secret garden", STORY);
        }
        club_page(
            "The secret garden",
            "<h1>The secret garden</h1><p>Behind the old workshop there is a garden.</p>\
             <p><a href=\"/club/login?next=/club/story\">Sign in</a> to read the rest.</p>",
        )
    });
    let c = club.clone();
    // Half of it to anyone, and no sign-in prompt: member_partial_leak.
    let newsletter = get(move |headers: HeaderMap| async move {
        if c.is_member(&headers) {
            return club_page(
                "Winter newsletter",
                &format!("{NEWSLETTER_OPEN}{NEWSLETTER_MEMBERS}"),
            );
        }
        club_page("Winter newsletter", NEWSLETTER_OPEN)
    });
    let c = club.clone();
    let logout = get(move |headers: HeaderMap| async move {
        c.end_session(&headers);
        (StatusCode::FOUND, [(header::LOCATION, "/")])
    });
    let c = club.clone();
    // A GET that deletes the account: a crawler must never ask it.
    let delete = get(move |headers: HeaderMap| async move {
        c.end_session(&headers);
        club_page("Account deleted", "<p>Your account is gone.</p>")
    });
    let c = club;
    let login = get(login_form)
        .post(move |headers: HeaderMap, body: String| async move { sign_in(&c, &headers, &body) });
    Router::new()
        .route("/club/", get(home.clone()))
        .route("/club", home)
        .route("/club/login", login)
        .route("/club/minutes", minutes)
        .route("/club/prices", prices)
        .route("/club/profile", profile)
        .route("/club/story", story)
        .route("/club/newsletter", newsletter)
        .route("/club/reports/q3.pdf", report)
        .route("/club/download", download)
        .route("/club/logout", logout)
        .route("/club/account/delete", delete)
}

/// The login form: a CSRF token in a hidden field, the same in a cookie.
async fn login_form() -> Response {
    let token = format!("{:x}", rand_bits());
    let form = format!(
        r#"<h1>Members' login</h1><form method="post" action="/club/login">
<input type="hidden" name="csrf_token" value="{token}">
<label>User <input type="text" name="user"></label>
<label>Password <input type="password" name="password"></label>
<input type="submit" value="Log in"></form>"#
    );
    (
        [(
            header::SET_COOKIE,
            format!("club_csrf={token}; Path=/club; HttpOnly"),
        )],
        club_page("Members' login", &form),
    )
        .into_response()
}

fn sign_in(club: &Club, headers: &HeaderMap, body: &str) -> Response {
    let fields: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| fields.get(name).map(String::as_str);
    let csrf_ok = field("csrf_token").is_some()
        && cookie(headers, "club_csrf").as_deref() == field("csrf_token");
    if !csrf_ok {
        return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
    }
    if field("user") != Some(USER) || field("password") != Some(PASSWORD) {
        // As most sites do: the form again, with a message, and a 200.
        return login_form_again();
    }
    let session = club.open_session();
    (
        StatusCode::FOUND,
        [
            (
                header::SET_COOKIE,
                format!("{COOKIE}={session}; Path=/; HttpOnly"),
            ),
            (header::LOCATION, "/club/".to_string()),
        ],
    )
        .into_response()
}

fn login_form_again() -> Response {
    club_page(
        "Members' login",
        r#"<p>Wrong user name or password.</p><form method="post" action="/club/login">
<input type="text" name="user"><input type="password" name="password"></form>"#,
    )
    .into_response()
}
