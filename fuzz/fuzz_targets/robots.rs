//! robots.txt parsing and matching.
//!
//! Input layout: `<robots.txt body> NUL <user agent> NUL <path>`. With one NUL the part after it
//! is the path and the user agent is authwall's own; with none the whole input is the body and a
//! few fixed paths are checked.
#![no_main]

use authwall::crawl::robots::{Robots, product_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (body, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let robots = Robots::parse(body);

    let (agent, path) = match rest {
        Some(rest) => match rest.iter().position(|&b| b == 0) {
            Some(i) => (
                String::from_utf8_lossy(&rest[..i]).into_owned(),
                String::from_utf8_lossy(&rest[i + 1..]).into_owned(),
            ),
            None => (
                "authwall/0.1 (+https://example.com/bot)".to_owned(),
                String::from_utf8_lossy(rest).into_owned(),
            ),
        },
        None => ("authwall/0.1".to_owned(), "/".to_owned()),
    };

    let token = product_token(&agent);
    // The product token is a prefix of the trimmed value, made of token characters only.
    assert!(agent.trim_start().starts_with(token));
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );

    for (agent, path) in [
        (agent.as_str(), path.as_str()),
        (token, path.as_str()),
        ("*", path.as_str()),
        (agent.as_str(), ""),
        (agent.as_str(), "/robots.txt"),
        ("Googlebot", "/private/x?y=1"),
    ] {
        let decision = robots.check(agent, path);
        // A refusal always names its rule, and the rule agrees with the decision.
        match &decision.rule {
            Some(rule) => assert_eq!(rule.allow, decision.allowed),
            None => assert!(decision.allowed),
        }
        if let Some(delay) = robots.crawl_delay(agent) {
            assert!(delay.is_finite() && delay >= 0.0, "crawl-delay {delay}");
        }
    }
    // /robots.txt itself is always allowed (RFC 9309 2.2.2).
    assert!(robots.check(&agent, "/robots.txt").allowed);

    for sitemap in robots.sitemaps() {
        assert!(!sitemap.is_empty());
    }
    let _ = robots.truncated();
});
