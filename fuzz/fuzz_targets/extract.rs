//! HTML link extraction (the streaming tokenizer in `crawl::html`), URL resolution against the page and
//! `<base>`. The input's bytes go to the parser as they are (not necessarily UTF-8), in two chunks
//! split where the first byte says, and the result must not depend on the split.
#![no_main]

use authwall::crawl::extract::{PageParser, extract};
use authwall::crawl::urlnorm::normalize;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let page_url = Url::parse("https://example.com/dir/page").unwrap();
    let mut parser = PageParser::new(page_url.clone(), None).counting_main_words();
    let at = (split as usize * data.len() / 255).min(data.len());
    parser.write(&data[..at]);
    parser.write(&data[at..]);
    let page = parser.finish();
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(page, extract(text, &page_url), "split at {at}");
    }

    // Links are followable: http(s), resolved and already in normal form.
    for link in &page.links {
        assert!(
            link.url.starts_with("http://") || link.url.starts_with("https://"),
            "{}",
            link.url
        );
        let mut again = url::Url::parse(&link.url).expect("a link parses");
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
