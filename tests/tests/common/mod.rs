//! Helpers shared by the end-to-end tests.

#![allow(dead_code, clippy::unwrap_used)]

pub mod dns;
pub mod realsites;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crawler::{FetchPolicy, HttpFetcher};
use serde_json::Value;

/// A world's `truth.jsonl`, by domain.
pub fn truth_by_domain(dir: &Path) -> BTreeMap<String, Value> {
    std::fs::read_to_string(dir.join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["domain"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

/// A fetcher that reaches the simulated web: `*.test` resolved to
/// loopback, the address guard on.
pub fn loopback_fetcher(timeout: Duration) -> HttpFetcher {
    HttpFetcher::new(FetchPolicy {
        timeout,
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
        allow_private: false,
        ..FetchPolicy::default()
    })
    .unwrap()
}
