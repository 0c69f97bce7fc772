//! URL normalisation: `parse_http` then `normalize` must be idempotent, and the normal form must
//! survive a round trip through its own serialisation.
#![no_main]

use authwall::crawl::urlnorm::{normalize, parse_http};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Some(once) = parse_http(&input) else {
        return;
    };
    assert!(matches!(once.scheme(), "http" | "https"));
    assert!(once.fragment().is_none());

    let mut twice = once.clone();
    normalize(&mut twice);
    assert_eq!(
        twice.as_str(),
        once.as_str(),
        "normalize is not idempotent on {input:?}"
    );

    let reparsed = Url::parse(once.as_str()).expect("a normalised URL re-parses");
    assert_eq!(
        reparsed.as_str(),
        once.as_str(),
        "re-parse changed {input:?}"
    );
    // And the whole pipeline again on the serialisation: still the same URL.
    let again = parse_http(once.as_str()).expect("a normalised URL is http(s)");
    assert_eq!(
        again.as_str(),
        once.as_str(),
        "parse_http not idempotent on {input:?}"
    );
});
