//! A screening's time budget: a clock that runs while the screening works
//! on its site and stops while it queues for what the whole crawl shares
//! (the global request slots, an authority's gate, a shared host such as
//! a CDN) and while its credentials are verified with the authorities. How long a site may take is then the site's own doing, and how
//! busy the rest of the crawl (or the fleet) is does not change what one
//! screening finds.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// One screening's site (its supplier key) and time budget.
#[derive(Debug, Clone)]
pub struct SiteBudget {
    site: String,
    budget: Duration,
    clock: Arc<Mutex<Clock>>,
}

/// The clock's state.
#[derive(Debug)]
struct Clock {
    /// When the budget runs out if no further pause begins.
    end: Instant,
    /// When the current pause began, while one or more is held.
    paused_since: Option<Instant>,
    /// Pauses held (requests of the screening that queue at once).
    pauses: usize,
}

/// A pause of a [`SiteBudget`]'s clock, resumed when dropped. Pauses held
/// at once count once: the clock stops for their union, not their sum.
#[derive(Debug)]
pub struct Pause<'a> {
    budget: &'a SiteBudget,
}

impl SiteBudget {
    /// Starts the clock of `site` with `budget` to spend.
    pub fn start(site: &str, budget: Duration) -> SiteBudget {
        SiteBudget {
            site: site.to_owned(),
            budget,
            clock: Arc::new(Mutex::new(Clock {
                end: Instant::now() + budget,
                paused_since: None,
                pauses: 0,
            })),
        }
    }

    /// The site screened (its registrable domain or supplier key).
    pub fn site(&self) -> &str {
        &self.site
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, Clock> {
        self.clock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the budget runs out, as things stand: a pause in progress
    /// moves it on.
    pub fn deadline(&self) -> Instant {
        let clock = self.clock();
        match clock.paused_since {
            Some(since) => clock.end + since.elapsed(),
            None => clock.end,
        }
    }

    /// Whether the budget has run out.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline()
    }

    /// Whether more than `share` (0 to 1) of the budget has been used.
    pub fn used_more_than(&self, share: f64) -> bool {
        let left = self.budget.mul_f64((1.0 - share).clamp(0.0, 1.0));
        Instant::now() + left >= self.deadline()
    }

    /// Stops the clock until the pause is dropped.
    pub fn pause(&self) -> Pause<'_> {
        let mut clock = self.clock();
        if clock.pauses == 0 {
            clock.paused_since = Some(Instant::now());
        }
        clock.pauses += 1;
        Pause { budget: self }
    }

    /// Runs `work` until it ends or the budget runs out (None), a pause
    /// during the work moving the end on.
    pub async fn within<F: Future>(&self, work: F) -> Option<F::Output> {
        tokio::pin!(work);
        loop {
            let deadline = self.deadline();
            tokio::select! {
                out = &mut work => return Some(out),
                () = tokio::time::sleep_until(deadline) => {
                    if self.expired() {
                        return None;
                    }
                }
            }
        }
    }
}

impl Drop for Pause<'_> {
    fn drop(&mut self) {
        let mut clock = self.budget.clock();
        clock.pauses = clock.pauses.saturating_sub(1);
        if clock.pauses == 0
            && let Some(since) = clock.paused_since.take()
        {
            clock.end += since.elapsed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_out_after_its_budget() {
        let budget = SiteBudget::start("a.test", Duration::from_secs(10));
        assert!(!budget.expired());
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(budget.used_more_than(0.5));
        assert!(!budget.used_more_than(0.7));
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(budget.expired());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_moves_the_deadline_once_for_overlapping_pauses() {
        let budget = SiteBudget::start("a.test", Duration::from_secs(10));
        let start = Instant::now();
        tokio::time::advance(Duration::from_secs(2)).await;
        let first = budget.pause();
        tokio::time::advance(Duration::from_secs(3)).await;
        let second = budget.pause();
        tokio::time::advance(Duration::from_secs(3)).await;
        drop(first);
        tokio::time::advance(Duration::from_secs(1)).await;
        // Paused from 2 s to 9 s while either was held.
        assert_eq!(budget.deadline(), start + Duration::from_secs(17));
        drop(second);
        assert_eq!(budget.deadline(), start + Duration::from_secs(17));
        tokio::time::advance(Duration::from_secs(7)).await;
        assert!(!budget.expired());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(budget.expired());
    }

    #[tokio::test(start_paused = true)]
    async fn work_outlives_the_budget_only_by_its_pauses() {
        let budget = SiteBudget::start("a.test", Duration::from_secs(5));
        // 8 s of work, 4 of them paused: it ends within the budget.
        let paused = async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _pause = budget.pause();
            tokio::time::sleep(Duration::from_secs(4)).await;
        };
        let work = async {
            paused.await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            "done"
        };
        assert_eq!(budget.within(work).await, Some("done"));
        // Without a pause, the same work is cut at the budget.
        let budget = SiteBudget::start("a.test", Duration::from_secs(5));
        let started = Instant::now();
        let work = tokio::time::sleep(Duration::from_secs(8));
        assert_eq!(budget.within(work).await, None);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_begun_after_the_end_does_not_revive_it() {
        let budget = SiteBudget::start("a.test", Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        let pause = budget.pause();
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(budget.expired());
        drop(pause);
        assert!(budget.expired());
    }
}
