//! HTML parser micro-benchmark: how long `extract::PageParser` takes per page on the given
//! files (fed in 16 KiB chunks, as bodies arrive), with the links found, so a parser change can
//! be measured on its own, away from the network and the server.
//!
//! ```sh
//! cargo run --release --example parse_bench -- page.html [more.html …]
//! ```
//! Each file is parsed repeatedly for ~50 MB of input. This process uses the system allocator,
//! not the binary's mimalloc, so absolute figures are a little higher than in a crawl.

use std::time::Instant;

use authwall::crawl::extract::PageParser;

fn main() {
    let url = url::Url::parse("http://127.0.0.1:8080/page/4321").expect("literal URL");
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: parse_bench FILE.html [FILE.html …]");
        std::process::exit(2);
    }
    for path in paths {
        let html = match std::fs::read(&path) {
            Ok(html) => html,
            Err(e) => {
                eprintln!("parse_bench: {path}: {e}");
                std::process::exit(1);
            }
        };
        let rounds = (50_000_000 / html.len().max(1)).clamp(3, 1_000_000);
        let mut links = 0;
        let start = Instant::now();
        for _ in 0..rounds {
            let mut parser = PageParser::new(url.clone(), None);
            for chunk in html.chunks(16 * 1024) {
                parser.write(chunk);
            }
            links = parser.finish().links.len();
        }
        let per_page = start.elapsed().as_secs_f64() / rounds as f64;
        println!(
            "{path}: {} bytes, {links} links, {:.1} µs per page, {:.0} MB/s",
            html.len(),
            per_page * 1e6,
            html.len() as f64 / per_page / 1e6
        );
    }
}
