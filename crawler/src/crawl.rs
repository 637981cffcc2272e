//! Crawling a list of suppliers: many sites in parallel, each screened by
//! the shared [`Screener`], one observation streamed out per supplier as it
//! finishes, whatever happens to it.

use std::sync::Arc;

use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use crate::observation::Observation;
use crate::screen::Screener;
use crate::seeds::Seed;

/// Screens `seeds`, at most `sites_in_flight` at a time, and sends one
/// observation per seed to `out` as each finishes. Seeds are taken from the
/// iterator only as sites start (a [`crate::seeds::SeedReader`] need not be
/// collected first). A screening that panics still yields an observation
/// with the error. Stops early (without sending the rest) when `out` is
/// closed.
pub async fn crawl<I>(
    screener: Arc<Screener>,
    seeds: I,
    sites_in_flight: usize,
    out: mpsc::Sender<Observation>,
) where
    I: IntoIterator<Item = Seed>,
    I::IntoIter: Send,
{
    let jobs = futures_util::stream::iter(seeds).map(|seed| {
        let screener = screener.clone();
        async move {
            let fallback = seed.clone();
            match tokio::spawn(async move { screener.screen(&seed).await }).await {
                Ok(observation) => observation,
                Err(e) => failed_observation(
                    &fallback,
                    &format!("the screening stopped unexpectedly: {e}"),
                ),
            }
        }
    });
    let mut results = jobs.buffer_unordered(sites_in_flight.max(1));
    while let Some(observation) = results.next().await {
        if out.send(observation).await.is_err() {
            return;
        }
    }
}

/// An observation that records only an error.
pub fn failed_observation(seed: &Seed, error: &str) -> Observation {
    let mut observation = Observation::of_seed(seed);
    observation.errors.push(error.to_owned());
    observation
}
