//! The progress line on stderr: URLs settled of those known, the percent and an estimate of
//! the time left once the sitemaps are read, the rate, and the walls met so far. Drawn only
//! when stderr is a terminal (never into a cron mail or a CI log), on one line of at most 80
//! columns.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::Tally;

pub struct Progress {
    bar: Option<ProgressBar>,
    /// The sitemaps are read: the known total means something, an estimate may be shown.
    estimating: AtomicBool,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar: Some(bar),
            estimating: AtomicBool::new(false),
        }
    }

    pub fn hidden() -> Self {
        Self {
            bar: None,
            estimating: AtomicBool::new(false),
        }
    }

    pub fn discovered(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
        }
    }

    /// What the run is doing before the crawl's counts mean something (the member crawl).
    pub fn note(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        }
    }

    /// From now on the line shows the percent and the time left.
    pub fn estimating(&self) {
        self.estimating.store(true, Ordering::Relaxed);
    }

    pub fn settled(&self, tally: &Tally) {
        if let Some(bar) = &self.bar {
            bar.set_position(tally.rows);
            let known = bar.length().unwrap_or(0);
            let estimate = self.estimating.load(Ordering::Relaxed);
            bar.set_message(line(tally, known, bar.elapsed(), estimate));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The progress line (without the spinner): at most 78 columns for counts below ten million
/// URLs and 100,000 walls.
pub fn line(tally: &Tally, known: u64, elapsed: Duration, estimate: bool) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let done = tally.rows.min(known.max(tally.rows));
    let known = known.max(done);
    let mut out = format!("{} {done}/{known}", clock(elapsed));
    if estimate && known > 0 {
        let percent = done * 100 / known;
        out.push_str(&format!(" {percent}%"));
        // URLs settle at the rate seen so far; the rest will too (a guess, said as one).
        let rate = done as f64 / secs;
        if done > 0 && done < known && rate > 0.0 {
            let left = Duration::from_secs_f64((known - done) as f64 / rate);
            out.push_str(&format!(" ~{} left", rough(left)));
        }
    }
    // Pages fetched per second: off-scope rows settle instantly and would inflate it.
    let rate = tally.pages_fetched as f64 / secs;
    let rate = if rate < 10.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.0}")
    };
    out.push_str(&format!(
        " · {rate} pages/s · 401/403 {}/{}",
        tally.status_401, tally.status_403
    ));
    out
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `40s`, `12m`, `3h05m`: the precision an estimate deserves.
fn rough(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{}s", s.max(1)),
        60..3600 => format!("{}m", s.div_ceil(60)),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(rows: u64, pages: u64) -> Tally {
        let mut t = Tally::default();
        (t.rows, t.pages_fetched, t.status_401, t.status_403) = (rows, pages, 12, 3);
        t
    }

    #[test]
    fn the_estimate_appears_once_the_sitemaps_are_read() {
        let t = tally(2_500, 2_400);
        let elapsed = Duration::from_secs(600);
        let before = line(&t, 10_000, elapsed, false);
        assert!(
            !before.contains('%') && !before.contains("left"),
            "{before}"
        );
        let after = line(&t, 10_000, elapsed, true);
        assert!(
            after.starts_with("00:10:00 2500/10000 25% ~30m left"),
            "{after}"
        );
    }

    #[test]
    fn the_line_fits_80_columns_with_large_counts() {
        let mut t = tally(9_999_998, 9_999_998);
        (t.status_401, t.status_403) = (99_999, 99_999);
        let long = line(&t, 9_999_999, Duration::from_secs(359_999), true);
        // Two columns for the spinner and its space.
        assert!(
            long.chars().count() + 2 <= 80,
            "{} {long}",
            long.chars().count()
        );
        let finished = line(&tally(10, 10), 10, Duration::from_secs(5), true);
        assert!(
            finished.contains("10/10 100%") && !finished.contains("left"),
            "{finished}"
        );
    }
}
