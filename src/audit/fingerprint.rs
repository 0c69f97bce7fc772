//! Catch-all calibration: is this private 200 the same page the site serves for a path that
//! cannot exist?
//!
//! The measure: the body is percent-decoded, lower-cased, stripped of the echoed request
//! paths, stripped of the ids, times and dates a server prints per response ([`scrub`]: UUIDs,
//! hex and base64-like runs, clock times, dates), and cut into word tokens (runs of letters and
//! digits, markup included, so two different single-page-app shells still differ by their
//! bundle names). Tokens that still look random — holding a digit and at least 6 characters
//! long (nonces, CSRF tokens, timestamps), or longer than 32 characters — are dropped, because
//! they change on every response. The distinct word pairs (2-shingles) form a set; a 128-slot MinHash of that set
//! (16 bits kept per slot, 260 bytes in all) estimates the Jaccard similarity of two sets.
//! Two bodies are near-identical when at least 116 of the 128 slots agree (estimated
//! Jaccard ≥ 0.9) and their shingle counts are within 20% of each other. Two empty bodies
//! are identical; an empty and a non-empty one are not.
//!
//! The status is not part of the fingerprint: callers compare fingerprints of responses with
//! the same status only.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::signals::prefix;

/// MinHash slots.
const SLOTS: usize = 128;
/// Slots that must agree: 116/128 ≈ 0.906.
const AGREE: usize = 116;
/// Only the start of a huge body counts (bounded work; catch-all pages differ early anyway).
pub const MAX_TEXT: usize = 512 * 1024;

/// A compact summary of a page body for [`similar`].
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    #[serde(with = "slots")]
    mins: [u16; SLOTS],
    /// Distinct shingles seen (0 for an empty page).
    shingles: u32,
    /// The same page with the echoed paths' words kept, when dropping them changed anything.
    /// Dropping is right for breadcrumbs built from the path (`/admin/page/2`), but a tiny
    /// page whose own words happen to be in the path (`more/` linked from `/a/more/`) loses
    /// most of itself on one side only; pages are compared both ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verbatim: Option<Box<Fingerprint>>,
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fingerprint")
            .field("shingles", &self.shingles)
            .field("mins", &format_args!("{:04x?}…", &self.mins[..4]))
            .finish()
    }
}

/// Fingerprint a page body. `echoes` are the request paths the page may repeat (the path
/// requested for this body; passing the other side's path too does no harm): each is removed
/// wherever it appears as a whole path, raw, percent-encoded or JSON-escaped (`\/`). `/`
/// alone is ignored.
pub fn fingerprint(body: &str, echoes: &[&str]) -> Fingerprint {
    let decoded = percent_decode(prefix(body, MAX_TEXT));
    let mut text = scrub(&decoded).to_lowercase().replace("\\/", "/");
    let mut echo_words: HashSet<String> = HashSet::new();
    for echo in echoes {
        let echo = percent_decode(echo.trim()).to_lowercase();
        if !echo.trim_matches('/').is_empty() {
            text = remove_echo(&text, &echo);
            echo_words.extend(
                echo.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(String::from),
            );
        }
    }
    let words = || {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty() && !volatile(t))
    };
    // Catch-alls also build links and breadcrumbs from the path (`/admin/0`, `/admin/page/2`):
    // the words of the echoed path say nothing about the page either.
    let tokens: Vec<&str> = words().filter(|t| !echo_words.contains(*t)).collect();
    let mut fingerprint = sketch(&tokens);
    if words().any(|t| echo_words.contains(t)) {
        let all: Vec<&str> = words().collect();
        fingerprint.verbatim = Some(Box::new(sketch(&all)));
    }
    fingerprint
}

/// The MinHash of a token sequence's 2-shingles.
fn sketch(tokens: &[&str]) -> Fingerprint {
    let mut set: HashSet<u64> = HashSet::new();
    if tokens.len() < 2 {
        set.extend(tokens.iter().map(|t| hash(&[t])));
    } else {
        set.extend(tokens.windows(2).map(hash));
    }
    let seeds: [u64; SLOTS] = std::array::from_fn(|i| mix(i as u64 + 1));
    let mut mins = [u64::MAX; SLOTS];
    for shingle in &set {
        for (min, seed) in mins.iter_mut().zip(seeds) {
            *min = (*min).min(mix(shingle ^ seed));
        }
    }
    Fingerprint {
        // The low 16 bits of each minimum ("b-bit MinHash"): unrelated minima collide with
        // probability 2^-16, far below the 0.9 threshold's margin.
        mins: mins.map(|m| m as u16),
        shingles: u32::try_from(set.len()).unwrap_or(u32::MAX),
        verbatim: None,
    }
}

/// The distinct word pairs of a page's visible text (hashed, sorted): what a member page and
/// the anonymous answer at the same URL are compared by ([`contained`]). Tokens as in
/// [`fingerprint`] (random-looking ones dropped), but exact sets: containment needs them
/// whole, where similarity could estimate.
pub fn shingles(text: &str) -> Vec<u64> {
    // No `scrub` here: its regexes cost more than everything else of a member page (3.8 of
    // 5.6 CPU s on 10k pages), and the visible text holds few ids; `volatile` drops the
    // tokens that change, and a time or date split into short words moves a pair or two.
    let text = prefix(text, MAX_TEXT).to_lowercase();
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && !volatile(t))
        .collect();
    let mut set: Vec<u64> = if tokens.len() < 2 {
        tokens.iter().map(|t| hash(&[t])).collect()
    } else {
        tokens.windows(2).map(hash).collect()
    };
    set.sort_unstable();
    set.dedup();
    set
}

/// A member page's own text: its word pairs minus those of the site's chrome (the member's
/// home page: navigation, footer, the member's name). A page made of little else keeps them
/// all, so that a short page served to anyone is still compared by what it says.
pub fn own_shingles(page: &[u64], chrome: &[u64]) -> Vec<u64> {
    const FEWEST: usize = 4;
    let own: Vec<u64> = page
        .iter()
        .copied()
        .filter(|s| chrome.binary_search(s).is_err())
        .collect();
    if own.len() < FEWEST {
        page.to_vec()
    } else {
        own
    }
}

/// The share of `part`'s word pairs that `whole` holds, 0–1 (both sorted, from [`shingles`]);
/// 1 for an empty part.
pub fn contained(part: &[u64], whole: &[u64]) -> f32 {
    if part.is_empty() {
        return 1.0;
    }
    let found = part
        .iter()
        .filter(|s| whole.binary_search(s).is_ok())
        .count();
    found as f32 / part.len() as f32
}

/// Near-identical bodies (see the module doc for the measure): with the echoed paths' words
/// dropped, or with them kept.
pub fn similar(a: &Fingerprint, b: &Fingerprint) -> bool {
    close(a, b) || {
        let (va, vb) = (
            a.verbatim.as_deref().unwrap_or(a),
            b.verbatim.as_deref().unwrap_or(b),
        );
        (a.verbatim.is_some() || b.verbatim.is_some()) && close(va, vb)
    }
}

fn close(a: &Fingerprint, b: &Fingerprint) -> bool {
    if a.shingles == 0 || b.shingles == 0 {
        return a.shingles == b.shingles;
    }
    let (lo, hi) = (
        u64::from(a.shingles.min(b.shingles)),
        u64::from(a.shingles.max(b.shingles)),
    );
    // Jaccard ≥ 0.9 implies sizes within 10%; 20% leaves room for estimation noise.
    if lo * 5 < hi * 4 {
        return false;
    }
    let agree = a.mins.iter().zip(&b.mins).filter(|(x, y)| x == y).count();
    agree >= AGREE
}

/// Remove `echo` where it stands as a whole path: `/admin` in `<h1>/admin</h1>` or
/// `href="https://x/admin"`, but not inside `/admin/users` or `/admin.css`, which are other
/// paths the template links to.
fn remove_echo(text: &str, echo: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (i, _) in text.match_indices(echo) {
        if i < rest {
            continue;
        }
        let after = &text[i + echo.len()..];
        if echo.ends_with('/') || ends_path(after) {
            out.push_str(&text[rest..i]);
            out.push(' ');
            rest = i + echo.len();
        }
    }
    out.push_str(&text[rest..]);
    out
}

/// Whether the text after a match ends the path (so the match was the whole path).
fn ends_path(after: &str) -> bool {
    let mut chars = after.chars();
    match chars.next() {
        None => true,
        Some('.') => !chars.next().is_some_and(char::is_alphanumeric),
        Some(c) => !(c.is_alphanumeric() || matches!(c, '-' | '_' | '~' | '/' | '%')),
    }
}

/// Ids, clock times and dates: what error pages print per response (`Request id: 3f2b…`,
/// `Generated at 16:04:05`). Word tokens cannot catch them: a UUID splits into 4-hex-digit
/// groups and a time into two-digit numbers, which look like ordinary words and numbers.
static STAMPS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?x)
        \b[[:xdigit:]]{8}-[[:xdigit:]]{4}-[[:xdigit:]]{4}-[[:xdigit:]]{4}-[[:xdigit:]]{12}\b
        | \b\d{4}-\d{2}-\d{2}(?:[T\ ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b
        | \b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b
        | \b\d{1,2}/\d{1,2}/\d{2,4}\b",
    )
});
/// Hex runs of 8+ characters; they count as ids only when they hold a digit and a letter, so
/// `decade` and `facade` stay words.
static HEX: LazyLock<Regex> = LazyLock::new(|| regex(r"\b[[:xdigit:]]{8,}\b"));
/// Base64-like runs of 16+ characters (`+`, `/`, `-`, `_` split them into word tokens that
/// survive one by one); ids only when they mix a digit, a capital and a small letter, which
/// prose and most paths do not.
static BASE64: LazyLock<Regex> = LazyLock::new(|| regex(r"[A-Za-z0-9+/_-]{16,}={0,2}"));

#[expect(
    clippy::expect_used,
    reason = "constant patterns, compiled by every test that fingerprints"
)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid pattern")
}

/// `text` without the per-response ids, times and dates (each replaced by a space).
fn scrub(text: &str) -> Cow<'_, str> {
    let id_if = |test: fn(&str) -> bool| {
        move |c: &Captures<'_>| {
            if test(&c[0]) {
                " ".to_string()
            } else {
                c[0].to_string()
            }
        }
    };
    let hex_id = |s: &str| {
        s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().any(|b| b.is_ascii_alphabetic())
    };
    let base64_id = |s: &str| {
        s.bytes().any(|b| b.is_ascii_digit())
            && s.bytes().any(|b| b.is_ascii_uppercase())
            && s.bytes().any(|b| b.is_ascii_lowercase())
    };
    let text = STAMPS.replace_all(text, " ");
    let text = match HEX.replace_all(&text, id_if(hex_id)) {
        Cow::Borrowed(_) => text,
        Cow::Owned(owned) => Cow::Owned(owned),
    };
    match BASE64.replace_all(&text, id_if(base64_id)) {
        Cow::Borrowed(_) => text,
        Cow::Owned(owned) => Cow::Owned(owned),
    }
}

/// Changes from one response to the next: nonces, tokens, timestamps, ids.
fn volatile(token: &str) -> bool {
    let len = token.chars().count();
    len > 32 || (len >= 6 && token.chars().any(|c| c.is_ascii_digit()))
}

/// Decode `%XX` escapes; invalid escapes stay as written, invalid UTF-8 becomes U+FFFD.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// FNV-1a over the tokens of one shingle, with a separator no token contains.
fn hash(tokens: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for token in tokens {
        for b in token.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// SplitMix64's finaliser: one independent-looking hash per slot from one shingle hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// serde handles arrays of up to 32 elements; the slots go through a sequence.
mod slots {
    use super::SLOTS;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mins: &[u16; SLOTS], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(mins.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u16; SLOTS], D::Error> {
        let v = Vec::<u16>::deserialize(d)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {SLOTS} slots")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_counts_the_member_text_the_stranger_page_holds() {
        let member = shingles("Invoice 2024 for Jane Smith: total due forty euros by Friday");
        let chrome = shingles("Home Reports Log out Jane Smith");
        let own = own_shingles(&member, &chrome);
        let same = shingles("Invoice 2024 for Jane Smith: total due forty euros by Friday");
        let teaser = shingles("Invoice 2024 for members only. Sign in to read it.");
        assert!((contained(&own, &same) - 1.0).abs() < f32::EPSILON);
        assert!(contained(&own, &teaser) < 0.5);
        // A page of nothing but chrome keeps its words.
        assert_eq!(own_shingles(&chrome, &chrome), chrome);
        assert!((contained(&[], &teaser) - 1.0).abs() < f32::EPSILON);
    }

    /// A soft-404 / catch-all template that echoes the path in several encodings and carries
    /// per-response noise (nonce, CSRF token, timestamp).
    fn catch_all_page(path: &str, nonce: &str) -> String {
        let encoded = path.replace('/', "%2F");
        let json = path.replace('/', "\\/");
        format!(
            "<!doctype html><html><head><title>Not found: {path} | Example Shop</title>\
             <link rel=canonical href=\"https://shop.example{path}\">\
             <script nonce=\"{nonce}\">window.__STATE__={{\"route\":\"{json}\",\"ts\":17{nonce}}}</script>\
             </head><body><header><nav><a href=/>Home</a> <a href=/products>Products</a> \
             <a href=/about>About us</a> <a href=/contact>Contact</a></nav></header>\
             <main><h1>Sorry, we could not find {path}</h1><p>The page you asked for does not \
             exist or has moved. Try the search box or go back to the home page.</p>\
             <form action=/search><input name=q><input type=hidden name=csrf value=\"x{nonce}9\">\
             </form><a href=\"/login?next={encoded}\">Log in</a></main>\
             <footer>© Example Shop. All rights reserved. Terms, privacy, cookies.</footer>\
             </body></html>"
        )
    }

    fn dashboard_page() -> String {
        "<!doctype html><html><head><title>Dashboard | Example Shop</title></head><body>\
         <header><nav><a href=/>Home</a> <a href=/products>Products</a> \
         <a href=/about>About us</a> <a href=/contact>Contact</a></nav></header>\
         <main><h1>Admin dashboard</h1><table><tr><th>Order</th><th>Customer</th><th>Total</th>\
         </tr><tr><td>1001</td><td>Alice Smith</td><td>42.00</td></tr><tr><td>1002</td>\
         <td>Bob Jones</td><td>13.50</td></tr></table><a href=/admin/users>Users</a> \
         <a href=/admin/settings>Settings</a></main>\
         <footer>© Example Shop. All rights reserved. Terms, privacy, cookies.</footer>\
         </body></html>"
            .to_string()
    }

    #[test]
    fn paths_built_from_the_request_path_do_not_tell_pages_apart() {
        let page = |path: &str| {
            (0..5)
                .map(|i| format!(r#"<a href="{path}/{i}">x</a>"#))
                .collect::<String>()
        };
        let admin = fingerprint(&page("/admin"), &["/admin"]);
        let random = fingerprint(
            &page("/authwall-0123456789abcdef"),
            &["/authwall-0123456789abcdef"],
        );
        assert!(similar(&admin, &random));
    }

    #[test]
    fn same_template_with_different_echoed_path_is_similar() {
        let page = "/admin";
        let random = "/authwall-3f9c2a7b11d04e55";
        let a = fingerprint(&catch_all_page(page, "n0nce1AbC"), &[page]);
        let b = fingerprint(&catch_all_page(random, "Zq93kLm02x"), &[random]);
        assert!(similar(&a, &b), "{a:?} {b:?}");
        // Passing both paths to both sides is fine too.
        let a2 = fingerprint(&catch_all_page(page, "n0nce1AbC"), &[page, random]);
        let b2 = fingerprint(&catch_all_page(random, "Zq93kLm02x"), &[page, random]);
        assert!(similar(&a2, &b2));
    }

    #[test]
    fn sibling_calibration_with_nested_paths_is_similar() {
        let page = "/admin/reports";
        let random = "/admin/authwall-00aa11bb22cc33dd";
        let a = fingerprint(&catch_all_page(page, "aaa111"), &[page]);
        let b = fingerprint(&catch_all_page(random, "bbb222"), &[random]);
        assert!(similar(&a, &b));
    }

    #[test]
    fn different_pages_in_one_layout_are_not_similar() {
        let a = fingerprint(&dashboard_page(), &["/admin"]);
        let b = fingerprint(&catch_all_page("/authwall-1", "n1"), &["/authwall-1"]);
        assert!(!similar(&a, &b));
        // Same chrome, same length, different main text: the sizes agree, the content not.
        let layout = |main: &str| {
            format!(
                "<html><head><title>Example Shop</title></head><body><header><nav>\
                 <a href=/>Home</a> <a href=/products>Products</a> <a href=/about>About us</a>\
                 </nav></header><main>{main}</main><footer>© Example Shop. All rights \
                 reserved.</footer></body></html>"
            )
        };
        let a = fingerprint(
            &layout(
                "<h1>Orders</h1><p>Alice Smith ordered three blue mugs and one red teapot \
                     for delivery on Friday; Bob Jones returned a kettle.</p>",
            ),
            &["/admin"],
        );
        let b = fingerprint(
            &layout(
                "<h1>Not found</h1><p>The page you asked for does not exist or has moved \
                     away; try the search box or go back home.</p>",
            ),
            &["/authwall-1"],
        );
        assert!(!similar(&a, &b));
    }

    #[test]
    fn different_app_shells_are_not_similar() {
        let shell = |bundle: &str| {
            format!(
                "<!doctype html><html><head><meta charset=utf-8><title>App</title>\
                 <link rel=stylesheet href=/assets/{bundle}.css></head><body><div id=root>\
                 </div><script src=/assets/{bundle}.js></script></body></html>"
            )
        };
        let a = fingerprint(&shell("admin-console"), &["/admin"]);
        let b = fingerprint(&shell("storefront"), &["/authwall-1"]);
        assert!(!similar(&a, &b));
        let c = fingerprint(&shell("storefront"), &["/admin"]);
        assert!(similar(&b, &c), "an identical shell is a catch-all");
    }

    #[test]
    fn identical_bodies_are_similar_and_empty_only_matches_empty() {
        let body = dashboard_page();
        assert!(similar(&fingerprint(&body, &[]), &fingerprint(&body, &[])));
        let empty = fingerprint("", &["/x"]);
        assert!(similar(&empty, &fingerprint("  <>  ", &[])));
        assert!(!similar(&empty, &fingerprint("hello", &[])));
        assert!(similar(
            &fingerprint("hello", &[]),
            &fingerprint("HELLO", &[])
        ));
        assert!(!similar(
            &fingerprint("hello", &[]),
            &fingerprint("goodbye", &[])
        ));
    }

    #[test]
    fn echo_removal_keeps_other_paths() {
        assert_eq!(remove_echo("<h1>/admin</h1>", "/admin"), "<h1> </h1>");
        assert_eq!(remove_echo("x/admin/users y", "/admin"), "x/admin/users y");
        assert_eq!(remove_echo("/admin.css /admin.", "/admin"), "/admin.css  .");
        assert_eq!(remove_echo("/admin/ /admin/x", "/admin/"), "   x");
    }

    #[test]
    fn fingerprint_is_compact_and_total() {
        assert!(std::mem::size_of::<Fingerprint>() <= 300);
        assert!(
            fingerprint("<a href=x>more</a>", &["/a/more/"])
                .verbatim
                .is_some()
        );
        assert!(
            fingerprint("<a href=x>less</a>", &["/b/more/"])
                .verbatim
                .is_none()
        );
        for body in [
            "%", "%z", "%e9%", "%ff%fe", "é", "\u{0}", "%2F%2f", "\\/\\/",
        ] {
            let _ = fingerprint(body, &[body, "", "/", "%"]);
        }
        let huge = "word ".repeat(300_000);
        let f = fingerprint(&huge, &["/word"]);
        assert!(f.shingles >= 1);
    }

    /// A small "page not found" page (about 50 words, as real soft-404s are) that prints
    /// `stamp` — whatever the server writes per response.
    fn small_not_found(path: &str, stamp: &str) -> String {
        format!(
            "<html><head><title>Page not found</title></head><body><nav><a href=/>Home</a> \
             <a href=/blog/>Blog</a></nav><h1>Page not found</h1><p>We could not find {path}. \
             It may have moved, or the link you followed may be broken. Check the address or \
             start again from the home page.</p><p>If you think this is a mistake, contact \
             support and quote this line:</p><p><small>{stamp}</small></p></body></html>"
        )
    }

    /// Two answers of one catch-all for two paths: the same template, different stamps.
    fn same_catch_all(stamp_a: &str, stamp_b: &str) -> bool {
        let (a, b) = ("/admin", "/authwall-3f9c2a7b11d04e55");
        similar(
            &fingerprint(&small_not_found(a, stamp_a), &[a]),
            &fingerprint(&small_not_found(b, stamp_b), &[b]),
        )
    }

    #[test]
    fn per_response_ids_times_and_dates_do_not_tell_a_small_catch_all_apart() {
        let stamps = [
            (
                "Request id: 3f2b9c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e",
                "Request id: a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            ),
            ("Trace 9f86d081884c7d65", "Trace 2c26b46b68ffc68f"),
            (
                "ref 5QWk+3lPzX/9aB2c-Ye_1Q==",
                "ref Zm9vYmFy+Q2x/LkP7uW-3tR_",
            ),
            ("Served at 16:04:05.123", "Served at 16:04:07.981"),
            ("on 2026-12-03T16:04:05Z", "on 2026-12-04T09:13:44+01:00"),
            ("on 12/3/2026 at 4:05", "on 12/4/2026 at 9:13"),
        ];
        for (a, b) in stamps {
            assert!(same_catch_all(a, b), "{a} vs {b}");
        }
        // All together, as an Azure or Rails error page prints them.
        let all = |i: usize| {
            stamps
                .iter()
                .map(|s| if i == 0 { s.0 } else { s.1 })
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(same_catch_all(&all(0), &all(1)));
    }

    #[test]
    fn words_that_look_like_hex_or_base64_stay() {
        for word in [
            "decade",
            "facade",
            "deadbeef",
            "internationalization",
            "/docs/getting-started",
        ] {
            assert_eq!(scrub(word), word, "{word}");
        }
        assert_eq!(scrub("id 3f2b9c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e."), "id  .");
        assert_eq!(scrub("sha deadbeef42 end"), "sha   end");
        assert_eq!(scrub("at 16:04 on 2026-12-03"), "at   on  ");
    }

    #[test]
    fn dashboards_full_of_numbers_stay_different() {
        let dashboard = |rows: &[(&str, &str, &str)]| {
            let rows: String = rows
                .iter()
                .map(|(a, b, c)| format!("<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>"))
                .collect();
            format!(
                "<html><body><h1>Dashboard</h1><p>Updated 16:04:05</p>\
                 <table><tr><th>Metric</th><th>Today</th><th>Week</th></tr>{rows}</table></body></html>"
            )
        };
        let sales = dashboard(&[
            ("orders", "1,204", "8,311"),
            ("revenue", "42,118.50", "290,004.10"),
            ("refunds", "12", "97"),
            ("visitors", "18,220", "131,907"),
        ]);
        let servers = dashboard(&[
            ("cpu", "71%", "64%"),
            ("memory", "12.4 GB", "11.9 GB"),
            ("requests", "3,401,228", "22,918,004"),
            ("errors", "0.02%", "0.05%"),
        ]);
        assert!(!similar(
            &fingerprint(&sales, &["/admin"]),
            &fingerprint(&servers, &["/dashboard"])
        ));
    }

    #[test]
    fn a_tiny_page_made_of_the_paths_words_is_still_a_catch_all() {
        let body = r#"<a href="more/">deeper</a> <a href="x/more/">x</a>"#;
        let page = fingerprint(body, &["/accounts/more/x/more/"]);
        let random = fingerprint(body, &["/accounts/authwall-3f9c2a7b11d04e55"]);
        assert!(similar(&page, &random) && similar(&random, &page));
    }

    #[test]
    fn volatile_tokens_are_ignored() {
        assert!(volatile("1712345678"));
        assert!(volatile("a3f9c2"));
        assert!(!volatile("h1"));
        assert!(!volatile("2024"));
        assert!(!volatile("products"));
        assert!(volatile(&"x".repeat(33)));
    }
}
