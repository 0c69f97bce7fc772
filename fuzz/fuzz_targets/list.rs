//! `authwall check`'s list reader: text, CSV/TSV with a URL column, .xlsx, .zip. Any bytes give
//! a list or an error, never a panic; the lines it returns are trimmed and not empty.
#![no_main]

use authwall::commands::check::parse_list;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = parse_list(data) {
        for line in &list.lines {
            assert!(!line.is_empty() && line.trim() == line, "{line:?}");
        }
    }
});
