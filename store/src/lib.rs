//! The screening index: runs, one record per (run, supplier), each
//! supplier's latest record, and secondary indexes for exports.
//!
//! [`Store`] is the interface; [`SledStore`] keeps it in a sled database.
//! History is never overwritten: a new run adds records, and `latest`
//! points each supplier to its newest. Each record is written atomically
//! as its supplier finishes, so a crawl killed at any moment loses at most
//! the suppliers in flight, and `crawl --resume` continues the run.
//! [`export`] writes CSV (spreadsheet-safe) and spec section 7 JSON Lines.

pub mod export;
pub mod html;
pub mod model;
pub mod report;
pub mod sled_store;

use std::collections::HashSet;

pub use model::{Filter, Record, Run, RunId, RunSelect, RunStatus};
pub use sled_store::SledStore;

/// The version of the database layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has the database open.
    #[error(
        "the database {0} is in use by another ecoscout process (sled allows one at a time); wait for it to finish, or use another --db"
    )]
    Locked(String),
    /// The database was written by another layout version.
    #[error(
        "the database {path} has schema version {found}; this ecoscout reads version {expected}. Export it with the ecoscout that wrote it, or crawl into a new --db"
    )]
    Schema {
        /// The database.
        path: String,
        /// Its version.
        found: u32,
        /// Ours.
        expected: u32,
    },
    /// No run with that id.
    #[error("there is no run {0}")]
    NoSuchRun(RunId),
    /// A stored value could not be read back.
    #[error(
        "a stored value cannot be read ({0}); the database may be damaged: re-crawl into a new --db"
    )]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
}

/// The screening index.
pub trait Store {
    /// Starts a run (its `id` is assigned); any run left `running` by a
    /// killed process is marked `interrupted` first.
    fn begin_run(&self, run: Run) -> Result<Run, StoreError>;
    /// Marks an interrupted run running again, to resume it.
    fn reopen_run(&self, id: RunId) -> Result<Run, StoreError>;
    /// Writes one supplier's record atomically (record, latest, indexes).
    fn record(&self, record: &Record) -> Result<(), StoreError>;
    /// Ends a run with `status` and its counts, and flushes.
    fn finish_run(&self, id: RunId, status: RunStatus) -> Result<(), StoreError>;
    /// Makes everything written so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Every run, oldest first.
    fn runs(&self) -> Result<Vec<Run>, StoreError>;
    /// One run.
    fn run(&self, id: RunId) -> Result<Option<Run>, StoreError>;
    /// The suppliers a run has records for.
    fn screened_domains(&self, id: RunId) -> Result<HashSet<String>, StoreError>;
    /// A supplier's record in a run, or its latest.
    fn supplier(&self, domain: &str, run: RunSelect) -> Result<Option<Record>, StoreError>;
    /// A supplier's records in every run, oldest first.
    fn history(&self, domain: &str) -> Result<Vec<Record>, StoreError>;
    /// Calls `f` with every record the filter accepts, using an index when
    /// the filter names a tier, country or region.
    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Bytes the database takes on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
}
