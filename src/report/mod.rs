//! Everything the run writes: the CSV (streamed), the run record next to it, and the summary
//! a person reads at the end.

pub mod csv;
pub mod row;
pub mod summary;

use std::collections::BTreeMap;

use row::{AuditRow, ErrorKind, SkipReason};

/// Counters kept as rows are written, for the summary and the progress bar.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub rows: u64,
    /// Rows with a response, by status class (index 1 = 1xx … 5 = 5xx).
    pub classes: [u64; 6],
    pub status_401: u64,
    pub status_403: u64,
    pub no_response: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Pages requested (robots.txt and sitemaps excluded).
    pub pages_fetched: u64,
    /// Pages whose answer cannot be trusted: no response, or 429/503 to the end.
    pub unverified: u64,
}

impl Tally {
    pub fn add(&mut self, row: &AuditRow) {
        self.rows += 1;
        if let Some(reason) = row.skip_reason {
            *self.skipped.entry(reason).or_default() += 1;
            return;
        }
        if let Some(error) = row.error {
            *self.errors.entry(error).or_default() += 1;
        }
        let page = row.kind == row::Kind::Page;
        if page {
            self.pages_fetched += 1;
        }
        match row.status {
            Some(status) => {
                self.classes[usize::from(status / 100).min(5)] += 1;
                self.status_401 += u64::from(status == 401);
                self.status_403 += u64::from(status == 403);
                if page && row.error == Some(ErrorKind::RetriesExhausted) {
                    self.unverified += 1;
                }
            }
            None => {
                self.no_response += 1;
                if page {
                    self.unverified += 1;
                }
            }
        }
    }
}
