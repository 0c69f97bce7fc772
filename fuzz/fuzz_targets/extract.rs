//! HTML link extraction (html5ever via scraper), URL resolution against the page and `<base>`.
//!
//! Inputs are cut at 64 KiB: html5ever is quadratic on deeply nested markup (known, tracked
//! separately), and without the cut the fuzzer spends its time on ever deeper nesting instead of
//! exploring the extractor.
#![no_main]

use authwall::crawl::extract::extract;
use authwall::crawl::urlnorm::normalize;
use libfuzzer_sys::fuzz_target;
use url::Url;

const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(MAX_INPUT)];
    let html = String::from_utf8_lossy(data);
    let page_url = Url::parse("https://example.com/dir/page").unwrap();
    let page = extract(&html, &page_url);

    // Links are followable: http(s), resolved and already in normal form.
    for link in &page.links {
        assert!(
            matches!(link.url.scheme(), "http" | "https"),
            "{}",
            link.url
        );
        let mut again = link.url.clone();
        normalize(&mut again);
        assert_eq!(again.as_str(), link.url.as_str());
    }
    if let Some(refresh) = &page.meta_refresh {
        assert!(matches!(refresh.scheme(), "http" | "https"), "{refresh}");
    }
    if let Some(title) = &page.title {
        assert!(!title.is_empty() && title.trim_ascii() == title);
    }
});
