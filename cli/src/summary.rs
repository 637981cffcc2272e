//! The summary printed at the end of a crawl.

use std::collections::BTreeMap;

use scoring::Tier;
use store::{Record, RunStatus};

/// Counts gathered while a crawl runs.
#[derive(Default)]
pub struct Summary {
    tiers: BTreeMap<Tier, u64>,
    red_flags: u64,
    errors: BTreeMap<String, u64>,
    top: Vec<(u32, String, String)>,
    screened: u64,
}

/// The kind of an error message: its first words, without URLs.
fn error_kind(message: &str) -> String {
    let tail = message.rsplit(": ").next().unwrap_or(message);
    let words: Vec<&str> = tail
        .split_whitespace()
        .filter(|w| !w.contains("://"))
        .take(6)
        .collect();
    words.join(" ")
}

impl Summary {
    /// Counts one finished supplier.
    pub fn add(&mut self, r: &Record) {
        self.screened += 1;
        *self.tiers.entry(r.readiness.tier).or_default() += 1;
        self.red_flags += u64::from(!r.readiness.red_flags.is_empty());
        for e in &r.observation.errors {
            *self.errors.entry(error_kind(e)).or_default() += 1;
        }
        if r.readiness.red_flags.is_empty() {
            self.top.push((
                r.readiness.score,
                r.observation.domain.clone(),
                r.observation.name.clone(),
            ));
            self.top.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            self.top.truncate(10);
        }
    }

    /// Prints the summary on standard error.
    pub fn print(&self, run: u64, total: usize, status: RunStatus) {
        eprintln!(
            "run {run} {}: {} of {total} suppliers screened",
            status.as_str(),
            self.screened
        );
        let tiers: Vec<String> = [Tier::A, Tier::B, Tier::C, Tier::D, Tier::R]
            .iter()
            .map(|t| format!("{} {}", t.as_str(), self.tiers.get(t).copied().unwrap_or(0)))
            .collect();
        eprintln!("tiers: {}; red flags: {}", tiers.join(", "), self.red_flags);
        let mut errors: Vec<(&String, &u64)> = self.errors.iter().collect();
        errors.sort_by(|a, b| b.1.cmp(a.1));
        for (kind, n) in errors.iter().take(8) {
            eprintln!("  {n:>6} errors: {kind}");
        }
        if !self.top.is_empty() {
            eprintln!("top suppliers:");
            for (score, domain, name) in &self.top {
                eprintln!("  {score:>3}  {domain}  {name}");
            }
        }
    }
}
