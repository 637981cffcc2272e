//! The screening index: runs, one record per (run, supplier), each
//! supplier's latest record, and secondary indexes for exports.
//!
//! [`Store`] is the interface; [`SledStore`] keeps it in a sled database
//! and [`PgStore`] in PostgreSQL. [`open`] picks one by the `--db` text: a
//! `postgres://` or `postgresql://` URL, or a folder path for sled.
//! History is never overwritten: a new run adds records, and `latest`
//! points each supplier to its newest. Each record is written atomically
//! as its supplier finishes, so a crawl killed at any moment loses at most
//! the suppliers in flight, and `crawl --resume` continues the run.
//! [`export`] writes CSV (spreadsheet-safe) and spec section 7 JSON Lines.

pub mod export;
pub mod html;
pub mod model;
pub mod pg_fleet;
pub mod pg_queue;
pub mod pg_store;
pub mod report;
pub mod sled_store;
pub mod spec;

use std::collections::HashSet;
use std::path::PathBuf;

pub use model::{Filter, Record, Run, RunId, RunSelect, RunStatus};
pub use pg_fleet::PgFleet;
pub use pg_queue::{Claim, CrawlLimits, QueueCounts, RunPlan, WorkerInfo};
pub use pg_store::PgStore;
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
    /// `--db` names no database this build can open.
    #[error("{0}")]
    BadLocation(String),
}

/// Where a database is, as `--db` (or `ECOSCOUT_DB`) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A sled database in this folder: any text without a `scheme://`.
    Sled(PathBuf),
    /// A PostgreSQL database: a `postgres://` or `postgresql://` URL (the
    /// scheme lower-cased).
    Postgres(String),
}

/// The scheme of `text` if it starts with `scheme://` (RFC 3986's letters).
fn scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

impl Location {
    /// Reads a `--db` value: `postgres://...` and `postgresql://...` are
    /// PostgreSQL, any other `scheme://` is an error, anything else is a
    /// sled folder.
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        match scheme(text) {
            None => Ok(Location::Sled(PathBuf::from(text))),
            Some(s)
                if s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql") =>
            {
                Ok(Location::Postgres(format!(
                    "{}{}",
                    s.to_ascii_lowercase(),
                    &text[s.len()..]
                )))
            }
            Some(s) => Err(StoreError::BadLocation(format!(
                "--db {}: unknown database scheme {s:?}; use postgres://user@host/db (or postgresql://) for PostgreSQL, or a folder path for sled",
                redact(text)
            ))),
        }
    }
}

/// Opens the store `location` names (see [`Location::parse`]).
pub fn open(location: &str) -> Result<Box<dyn Store + Send + Sync>, StoreError> {
    Ok(match Location::parse(location)? {
        Location::Sled(path) => Box::new(SledStore::open(&path)?),
        Location::Postgres(url) => Box::new(PgStore::open(&url)?),
    })
}

/// `location` as it may be shown (logs, messages, settings): the password
/// of a database URL, in its user part or a `password=` parameter,
/// replaced by `***`. A folder path is returned as it is.
pub fn redact(location: &str) -> String {
    let Some(scheme) = scheme(location) else {
        return location.to_owned();
    };
    let rest = &location[scheme.len() + 3..];
    let mut out = format!("{scheme}://");
    // The user part ends at an `@` before the query: the driver takes the
    // first, but a password with an unescaped `@` is hidden whole.
    let query = rest.find('?').unwrap_or(rest.len());
    let rest = match rest[..query]
        .rfind('@')
        .map(|at| (&rest[..at], &rest[at + 1..]))
    {
        Some((creds, tail)) => {
            match creds.split_once(':') {
                Some((user, _)) => out.push_str(&format!("{user}:***@")),
                None => out.push_str(&format!("{creds}@")),
            }
            tail
        }
        None => rest,
    };
    match rest.split_once('?') {
        None => out.push_str(rest),
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
    }
    out
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
    /// One keyset page: up to `limit` records the filter accepts whose
    /// domain sorts after `after` (as bytes; from the first without it),
    /// in domain order, as [`Store::for_each`] gives them. It reads from
    /// the cursor on and stops when the page is full, through an index
    /// when the filter names a tier, country or region; `min_score` alone
    /// filters while walking.
    fn page(
        &self,
        filter: &Filter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError>;
    /// Bytes the database takes on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
    /// The workers of a distributed run (none on sled, where one process
    /// crawls).
    fn workers(&self, _id: RunId) -> Result<Vec<WorkerInfo>, StoreError> {
        Ok(Vec::new())
    }
    /// Where a distributed run's queue stands; None for a run crawled by
    /// one process.
    fn queue(&self, _id: RunId) -> Result<Option<QueueCounts>, StoreError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_chosen_by_scheme() {
        assert_eq!(
            Location::parse("postgres://u@h/db").unwrap(),
            Location::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            Location::parse("PostgreSQL://u:p@h:5433/db?sslmode=disable").unwrap(),
            Location::Postgres("postgresql://u:p@h:5433/db?sslmode=disable".into())
        );
        for path in [
            "ecoscout.db",
            "/var/lib/x.db",
            "./a b/c",
            "C:\\data\\db",
            "./x://y",
        ] {
            assert_eq!(
                Location::parse(path).unwrap(),
                Location::Sled(PathBuf::from(path)),
                "{path}"
            );
        }
        for bad in [
            "mysql://u@h/db",
            "sqlite:///tmp/x",
            "http://h/db",
            "postgres+x://u@h",
        ] {
            let e = Location::parse(bad).unwrap_err();
            assert!(matches!(e, StoreError::BadLocation(_)), "{bad}");
            assert!(e.to_string().contains("postgres://"), "{e}");
        }
        let e = Location::parse("mysql://u:hunter2@h/db").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(
            redact("postgres://alice:s3cr3t@db.example:5432/eco"),
            "postgres://alice:***@db.example:5432/eco"
        );
        assert_eq!(
            redact("postgresql://alice@db.example/eco?password=s3cr3t&sslmode=disable"),
            "postgresql://alice@db.example/eco?password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://h/eco"), "postgres://h/eco");
        assert_eq!(redact("postgres://a:p@ss@h/eco"), "postgres://a:***@h/eco");
        assert!(!redact("postgres://a:p%40ss:x@h/eco").contains("p%40ss"));
        assert_eq!(redact("ecoscout.db"), "ecoscout.db");
    }
}
