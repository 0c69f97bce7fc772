//! Sitemap parsing: XML urlset/sitemapindex, plain text, gzip (detected by magic bytes).
//!
//! The caps are small (1,000 URLs, 1 MiB uncompressed) so a gzip bomb found by the fuzzer stays
//! cheap; the cap logic is the same at the production values.
#![no_main]

use authwall::crawl::sitemap::parse;
use libfuzzer_sys::fuzz_target;

const MAX_URLS: usize = 1000;

fuzz_target!(|data: &[u8]| {
    let sitemap = parse(data, MAX_URLS, 1 << 20);
    assert!(sitemap.entries.len() <= MAX_URLS);
    assert_eq!(sitemap.gzipped, data.starts_with(&[0x1f, 0x8b]));
    for url in &sitemap.entries {
        assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        assert!(url.fragment().is_none(), "{url}");
    }
    for invalid in &sitemap.invalid {
        assert!(invalid.raw.len() <= 2048);
        assert!(
            matches!(
                invalid.reason.as_ref(),
                "empty" | "relative" | "scheme" | "unparsable"
            ),
            "{}",
            invalid.reason
        );
    }
});
