//! The crawl's progress bar: only on a terminal, and not with `-q`.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar, or nothing when output is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `total` suppliers.
    pub fn new(total: u64) -> Progress {
        let quiet = crate::QUIET.load(std::sync::atomic::Ordering::Relaxed);
        if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new(total);
        let style =
            ProgressStyle::with_template("{bar:30} {pos}/{len} suppliers  {msg}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        Progress { bar: Some(bar) }
    }

    /// One more supplier done.
    pub fn supplier_done(&self, pages: u64, requests_per_second: f64, verified: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{pages} pages  {requests_per_second:.0} req/s  {verified} certificates verified"
            ));
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
