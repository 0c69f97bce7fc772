//! The progress line on stderr: URLs settled of discovered, the rate, and the status classes
//! so far. Drawn only when stderr is a terminal (never into a cron mail or a CI log).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::Tally;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {pos}/{len} URLs settled {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar: Some(bar) }
    }

    pub fn hidden() -> Self {
        Self { bar: None }
    }

    pub fn discovered(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
        }
    }

    pub fn settled(&self, tally: &Tally) {
        if let Some(bar) = &self.bar {
            bar.set_position(tally.rows);
            let c = &tally.classes;
            // Pages fetched per second: off-scope rows settle instantly and would inflate it.
            let secs = bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "· {:.0} pages/s · 2xx {} · 3xx {} · 4xx {} (401: {}) · 5xx {} · no answer {}",
                tally.pages_fetched as f64 / secs,
                c[2],
                c[3],
                c[4],
                tally.status_401,
                c[5],
                tally.no_response
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
