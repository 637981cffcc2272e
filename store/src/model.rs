//! What the store keeps: runs, and one record per (run, supplier).

use chrono::{DateTime, Utc};
use crawler::observation::Observation;
use schemars::JsonSchema;
use scoring::{Readiness, Tier};
use serde::{Deserialize, Serialize};

/// A run's id: 1, 2, 3, ...
pub type RunId = u64;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Crawling (or killed while crawling: see [`crate::Store::begin_run`]).
    Running,
    /// Every supplier was screened.
    Complete,
    /// Stopped before the end; `crawl --resume` continues it.
    Interrupted,
}

impl RunStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// One crawl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Run {
    /// Its id.
    pub id: RunId,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (None while running).
    pub ended_at: Option<DateTime<Utc>>,
    /// Status.
    pub status: RunStatus,
    /// SHA-256 of the seeds file, hex.
    pub seeds_digest: String,
    /// The seeds file's path as given.
    pub seeds_path: String,
    /// The settings used, as `name=value` lines.
    pub settings: Vec<String>,
    /// Suppliers in the seeds file.
    pub suppliers: u64,
    /// Suppliers screened so far.
    pub screened: u64,
    /// Screened suppliers with at least one error.
    pub with_errors: u64,
}

/// One supplier's observation in one run, with its readiness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Record {
    /// The run.
    pub run_id: RunId,
    /// What the crawl observed.
    pub observation: Observation,
    /// What it means.
    pub readiness: Readiness,
}

/// Which run an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunSelect {
    /// Every supplier's newest observation.
    Latest,
    /// One run.
    Id(RunId),
}

/// Filters of an export. Empty lists do not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The run.
    pub run: RunSelect,
    /// Country codes.
    pub countries: Vec<String>,
    /// Region (exact, case-insensitive).
    pub region: Option<String>,
    /// Tiers.
    pub tiers: Vec<Tier>,
    /// Lowest score.
    pub min_score: Option<u32>,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            run: RunSelect::Latest,
            countries: Vec::new(),
            region: None,
            tiers: Vec::new(),
            min_score: None,
        }
    }
}

impl Filter {
    /// Whether a record passes the filter.
    pub fn accepts(&self, r: &Record) -> bool {
        (self.countries.is_empty()
            || self
                .countries
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&r.observation.country)))
            && self
                .region
                .as_ref()
                .is_none_or(|g| g.eq_ignore_ascii_case(&r.observation.region))
            && (self.tiers.is_empty() || self.tiers.contains(&r.readiness.tier))
            && self.min_score.is_none_or(|m| r.readiness.score >= m)
    }
}
