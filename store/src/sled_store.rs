//! The sled implementation of [`Store`].
//!
//! Trees: `meta` (schema version, next run id), `runs` (run id -> run),
//! `obs` (run id ++ domain -> record), `latest` (domain -> run id) and
//! `idx` (secondary indexes by country, region and tier, both of every
//! supplier's latest record and of each run). A supplier's record, its
//! `latest` pointer and its index entries are written in one transaction.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional as _, Tree};

use crate::model::{Filter, Record, Run, RunId, RunSelect, RunStatus};
use crate::{SCHEMA_VERSION, Store, StoreError};

mod page;

/// sled's page cache, in bytes. Its default of 1 GiB is far more than an
/// index of observations needs, and sled's own structures come on top, so
/// a small cache keeps a long crawl's memory flat (see BENCHMARKS.md).
pub const CACHE_BYTES: u64 = 8 * 1024 * 1024;

const SCHEMA_KEY: &[u8] = b"schema_version";
const NEXT_RUN_KEY: &[u8] = b"next_run";
/// Prefix of the `meta` key holding a run's counts (suppliers screened, of
/// which with errors), kept up to date in each record's transaction.
const COUNTS_PREFIX: &[u8] = b"counts/";

fn counts_key(run: RunId) -> Vec<u8> {
    let mut key = COUNTS_PREFIX.to_vec();
    key.extend_from_slice(&run.to_be_bytes());
    key
}

/// A run's counts: (screened, with errors).
fn decode_counts(bytes: &[u8]) -> Result<(u64, u64), StoreError> {
    let corrupt = || StoreError::Corrupt("run counts".into());
    let screened = bytes.get(..8).ok_or_else(corrupt)?;
    let with_errors = bytes.get(8..16).ok_or_else(corrupt)?;
    Ok((
        u64::from_be_bytes(screened.try_into().map_err(|_| corrupt())?),
        u64::from_be_bytes(with_errors.try_into().map_err(|_| corrupt())?),
    ))
}

fn encode_counts(screened: u64, with_errors: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&screened.to_be_bytes());
    out[8..].copy_from_slice(&with_errors.to_be_bytes());
    out
}

/// The index a key belongs to.
#[derive(Clone, Copy)]
enum Field {
    Country = b'c' as isize,
    Region = b'r' as isize,
    Tier = b't' as isize,
}

/// A store in a sled database.
pub struct SledStore {
    db: sled::Db,
    meta: Tree,
    runs: Tree,
    obs: Tree,
    latest: Tree,
    idx: Tree,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

fn obs_key(run: RunId, domain: &str) -> Vec<u8> {
    let mut key = run.to_be_bytes().to_vec();
    key.extend_from_slice(domain.as_bytes());
    key
}

fn fields(r: &Record) -> [(Field, String); 3] {
    [
        (Field::Country, r.observation.country.to_ascii_uppercase()),
        (Field::Region, r.observation.region.to_lowercase()),
        (Field::Tier, r.readiness.tier.as_str().to_owned()),
    ]
}

fn latest_index_key(field: Field, value: &str, domain: &str) -> Vec<u8> {
    let mut key = vec![b'L', field as u8];
    key.extend_from_slice(value.as_bytes());
    key.push(0);
    key.extend_from_slice(domain.as_bytes());
    key
}

fn run_index_key(run: RunId, field: Field, value: &str, domain: &str) -> Vec<u8> {
    let mut key = vec![b'R'];
    key.extend_from_slice(&run.to_be_bytes());
    key.push(field as u8);
    key.extend_from_slice(value.as_bytes());
    key.push(0);
    key.extend_from_slice(domain.as_bytes());
    key
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SledStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked(path.display().to_string())
                }
                other => StoreError::Database(format!("{}: {other}", path.display())),
            })?;
        let open = |name: &str| db.open_tree(name).map_err(err);
        let store = SledStore {
            meta: open("meta")?,
            runs: open("runs")?,
            obs: open("obs")?,
            latest: open("latest")?,
            idx: open("idx")?,
            db,
        };
        match store.meta.get(SCHEMA_KEY).map_err(err)? {
            Some(v) => {
                let found = u32::from_be_bytes(
                    v.as_ref()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("schema version".into()))?,
                );
                if found != SCHEMA_VERSION {
                    return Err(StoreError::Schema {
                        path: path.display().to_string(),
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
            }
            None => {
                store
                    .meta
                    .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(err)?;
                store.db.flush().map_err(err)?;
            }
        }
        Ok(store)
    }

    fn put_run(&self, run: &Run) -> Result<(), StoreError> {
        self.runs
            .insert(run.id.to_be_bytes(), encode(run)?)
            .map_err(err)?;
        Ok(())
    }

    fn record_at(&self, run: RunId, domain: &str) -> Result<Option<Record>, StoreError> {
        self.obs
            .get(obs_key(run, domain))
            .map_err(err)?
            .map(|v| decode(&v))
            .transpose()
    }

    /// A run's counts (screened, with errors): kept in `meta` by each
    /// record's transaction; counted from the records for a run written
    /// before counts were kept.
    fn counts(&self, id: RunId) -> Result<(u64, u64), StoreError> {
        if let Some(v) = self.meta.get(counts_key(id)).map_err(err)? {
            return decode_counts(&v);
        }
        let (mut screened, mut with_errors) = (0, 0);
        for item in self.obs.scan_prefix(id.to_be_bytes()) {
            let (_, v) = item.map_err(err)?;
            let r: Record = decode(&v)?;
            screened += 1;
            with_errors += u64::from(!r.observation.errors.is_empty());
        }
        self.meta
            .insert(counts_key(id), &encode_counts(screened, with_errors))
            .map_err(err)?;
        Ok((screened, with_errors))
    }

    /// The domains an index prefix lists.
    fn index_domains(&self, prefix: &[u8]) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for item in self.idx.scan_prefix(prefix) {
            let (key, _) = item.map_err(err)?;
            let domain = &key[prefix.len()..];
            out.push(String::from_utf8_lossy(domain).into_owned());
        }
        Ok(out)
    }
}

fn tx_err(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn write_record(
    (obs, latest, idx, meta): (
        &TransactionalTree,
        &TransactionalTree,
        &TransactionalTree,
        &TransactionalTree,
    ),
    record: &Record,
    bytes: &[u8],
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let domain = record.observation.domain.as_str();
    let run = record.run_id;
    let (mut screened, mut with_errors) = match meta.get(counts_key(run))? {
        Some(v) => decode_counts(&v).map_err(tx_err)?,
        None => (0, 0),
    };
    // Replace this run's index entries if the supplier was written before.
    if let Some(old) = obs.get(obs_key(run, domain))? {
        let old: Record = decode(&old).map_err(tx_err)?;
        for (field, value) in fields(&old) {
            idx.remove(run_index_key(run, field, &value, domain))?;
        }
        screened = screened.saturating_sub(1);
        with_errors = with_errors.saturating_sub(u64::from(!old.observation.errors.is_empty()));
    }
    screened += 1;
    with_errors += u64::from(!record.observation.errors.is_empty());
    meta.insert(counts_key(run), &encode_counts(screened, with_errors))?;
    obs.insert(obs_key(run, domain), bytes)?;
    for (field, value) in fields(record) {
        idx.insert(run_index_key(run, field, &value, domain), &[])?;
    }
    let previous = latest.get(domain.as_bytes())?.map(|v| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&v[..8.min(v.len())]);
        u64::from_be_bytes(b)
    });
    if previous.is_some_and(|p| p > run) {
        return Ok(()); // a newer run already has this supplier
    }
    if let Some(p) = previous
        && let Some(old) = obs.get(obs_key(p, domain))?
    {
        let old: Record = decode(&old).map_err(tx_err)?;
        for (field, value) in fields(&old) {
            idx.remove(latest_index_key(field, &value, domain))?;
        }
    }
    latest.insert(domain.as_bytes(), &run.to_be_bytes())?;
    for (field, value) in fields(record) {
        idx.insert(latest_index_key(field, &value, domain), &[])?;
    }
    Ok(())
}

impl Store for SledStore {
    fn begin_run(&self, mut run: Run) -> Result<Run, StoreError> {
        // A run still marked running was killed: nobody else can hold the
        // database while we have it open.
        for stale in self
            .runs()?
            .into_iter()
            .filter(|r| r.status == RunStatus::Running)
        {
            self.finish_run(stale.id, RunStatus::Interrupted)?;
        }
        let id = self
            .meta
            .update_and_fetch(NEXT_RUN_KEY, |old| {
                let next = old
                    .and_then(|o| o.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0)
                    + 1;
                Some(next.to_be_bytes().to_vec())
            })
            .map_err(err)?
            .and_then(|v| v.as_ref().try_into().ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| StoreError::Corrupt("run counter".into()))?;
        run.id = id;
        self.put_run(&run)?;
        self.meta
            .insert(counts_key(id), &encode_counts(0, 0))
            .map_err(err)?;
        self.db.flush().map_err(err)?;
        Ok(run)
    }

    fn reopen_run(&self, id: RunId) -> Result<Run, StoreError> {
        let mut run = self.run(id)?.ok_or(StoreError::NoSuchRun(id))?;
        run.status = RunStatus::Running;
        run.ended_at = None;
        // Make sure the counts exist before records are added to them.
        self.counts(id)?;
        self.put_run(&run)?;
        self.db.flush().map_err(err)?;
        Ok(run)
    }

    fn record(&self, record: &Record) -> Result<(), StoreError> {
        let bytes = encode(record)?;
        let result: Result<(), TransactionError<StoreError>> =
            (&self.obs, &self.latest, &self.idx, &self.meta).transaction(
                |(obs, latest, idx, meta)| write_record((obs, latest, idx, meta), record, &bytes),
            );
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => err(e),
        })?;
        Ok(())
    }

    fn finish_run(&self, id: RunId, status: RunStatus) -> Result<(), StoreError> {
        let mut run = self.run(id)?.ok_or(StoreError::NoSuchRun(id))?;
        run.status = status;
        run.ended_at = Some(chrono::Utc::now());
        let (screened, with_errors) = self.counts(id)?;
        run.screened = screened;
        run.with_errors = with_errors;
        self.put_run(&run)?;
        self.flush()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(err)
    }

    fn runs(&self) -> Result<Vec<Run>, StoreError> {
        self.runs
            .iter()
            .values()
            .map(|v| decode(&v.map_err(err)?))
            .collect()
    }

    fn run(&self, id: RunId) -> Result<Option<Run>, StoreError> {
        self.runs
            .get(id.to_be_bytes())
            .map_err(err)?
            .map(|v| decode(&v))
            .transpose()
    }

    fn screened_domains(&self, id: RunId) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for key in self.obs.scan_prefix(id.to_be_bytes()).keys() {
            let key = key.map_err(err)?;
            out.insert(String::from_utf8_lossy(&key[8..]).into_owned());
        }
        Ok(out)
    }

    fn supplier(&self, domain: &str, run: RunSelect) -> Result<Option<Record>, StoreError> {
        let id = match run {
            RunSelect::Id(id) => id,
            RunSelect::Latest => match self.latest.get(domain.as_bytes()).map_err(err)? {
                Some(v) => u64::from_be_bytes(
                    v.as_ref()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("latest".into()))?,
                ),
                None => return Ok(None),
            },
        };
        self.record_at(id, domain)
    }

    fn history(&self, domain: &str) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        for run in self.runs()? {
            out.extend(self.record_at(run.id, domain)?);
        }
        Ok(out)
    }

    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Pick the most selective index the filter allows.
        let prefix = |field: Field, value: &str| -> Vec<u8> {
            let mut p = match filter.run {
                RunSelect::Latest => vec![b'L'],
                RunSelect::Id(id) => {
                    let mut p = vec![b'R'];
                    p.extend_from_slice(&id.to_be_bytes());
                    p
                }
            };
            p.push(field as u8);
            p.extend_from_slice(value.as_bytes());
            p.push(0);
            p
        };
        let candidates: Option<BTreeSet<String>> = if !filter.tiers.is_empty() {
            let mut set = BTreeSet::new();
            for t in &filter.tiers {
                set.extend(self.index_domains(&prefix(Field::Tier, t.as_str()))?);
            }
            Some(set)
        } else if !filter.countries.is_empty() {
            let mut set = BTreeSet::new();
            for c in &filter.countries {
                set.extend(self.index_domains(&prefix(Field::Country, &c.to_ascii_uppercase()))?);
            }
            Some(set)
        } else if let Some(region) = &filter.region {
            Some(
                self.index_domains(&prefix(Field::Region, &region.to_lowercase()))?
                    .into_iter()
                    .collect(),
            )
        } else {
            None
        };
        let mut emit = |record: Record| -> Result<(), StoreError> {
            if filter.accepts(&record) {
                f(record)
            } else {
                Ok(())
            }
        };
        match (candidates, filter.run) {
            (Some(domains), run) => {
                for domain in domains {
                    if let Some(r) = self.supplier(&domain, run)? {
                        emit(r)?;
                    }
                }
            }
            (None, RunSelect::Id(id)) => {
                for item in self.obs.scan_prefix(id.to_be_bytes()) {
                    let (_, v) = item.map_err(err)?;
                    emit(decode(&v)?)?;
                }
            }
            (None, RunSelect::Latest) => {
                for item in self.latest.iter() {
                    let (domain, v) = item.map_err(err)?;
                    let id = u64::from_be_bytes(
                        v.as_ref()
                            .try_into()
                            .map_err(|_| StoreError::Corrupt("latest".into()))?,
                    );
                    if let Some(r) = self.record_at(id, &String::from_utf8_lossy(&domain))? {
                        emit(r)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn page(
        &self,
        filter: &Filter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        page::page(self, filter, after, limit)
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `open` once sled's background flusher has let go of the file lock
    /// it may hold for a moment after a database is dropped (at most 5 s).
    fn when_unlocked<T, E: std::fmt::Display>(open: impl Fn() -> Result<T, E>) -> Result<T, E> {
        for _ in 0..250 {
            match open() {
                Err(e) if e.to_string().contains("could not acquire lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
        open()
    }

    #[test]
    fn a_database_of_another_schema_version_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        drop(SledStore::open(&path).unwrap());
        {
            let raw = when_unlocked(|| sled::open(&path)).unwrap();
            raw.open_tree("meta")
                .unwrap()
                .insert(SCHEMA_KEY, &99u32.to_be_bytes())
                .unwrap();
            raw.flush().unwrap();
        }
        let err = when_unlocked(|| SledStore::open(&path)).err().unwrap();
        assert!(matches!(
            err,
            StoreError::Schema {
                found: 99,
                expected: SCHEMA_VERSION,
                ..
            }
        ));
        let message = err.to_string();
        assert!(
            message.contains("schema version 99") && message.contains("new --db"),
            "{message}"
        );
    }

    #[test]
    fn runs_count_and_stale_runs_become_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(&dir.path().join("db")).unwrap();
        let run = |n| Run {
            id: 0,
            started_at: chrono::Utc::now(),
            ended_at: None,
            status: RunStatus::Running,
            seeds_digest: format!("d{n}"),
            seeds_path: "s.csv".into(),
            settings: Vec::new(),
            suppliers: 1,
            screened: 0,
            with_errors: 0,
        };
        let first = store.begin_run(run(1)).unwrap();
        let second = store.begin_run(run(2)).unwrap();
        assert_eq!((first.id, second.id), (1, 2));
        let runs = store.runs().unwrap();
        assert_eq!(
            runs[0].status,
            RunStatus::Interrupted,
            "a run left running was killed"
        );
        assert_eq!(runs[1].status, RunStatus::Running);
        assert!(store.reopen_run(7).is_err());
    }

    #[test]
    fn run_counts_are_kept_by_each_record_and_rebuilt_for_older_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(&dir.path().join("db")).unwrap();
        let run = store
            .begin_run(Run {
                id: 0,
                started_at: chrono::Utc::now(),
                ended_at: None,
                status: RunStatus::Running,
                seeds_digest: "d".into(),
                seeds_path: "s.csv".into(),
                settings: Vec::new(),
                suppliers: 3,
                screened: 0,
                with_errors: 0,
            })
            .unwrap();
        let record = |domain: &str, error: bool| {
            let seed = crawler::seeds::Seed {
                line: 2,
                website: url::Url::parse(&format!("https://{domain}/")).unwrap(),
                name: domain.into(),
                country: "VN".into(),
                region: String::new(),
                tags: Default::default(),
            };
            let mut observation = crawler::observation::Observation::of_seed(&seed);
            if error {
                observation.errors.push("connection refused".into());
            }
            let readiness = scoring::score(&observation, &scoring::Weights::default());
            Record {
                run_id: run.id,
                observation,
                readiness,
            }
        };
        store.record(&record("a.example", true)).unwrap();
        store.record(&record("b.example", false)).unwrap();
        store.record(&record("c.example", true)).unwrap();
        // Written again (a resumed run): replaced, not counted twice.
        store.record(&record("a.example", false)).unwrap();
        store.finish_run(run.id, RunStatus::Complete).unwrap();
        let done = store.run(run.id).unwrap().unwrap();
        assert_eq!((done.screened, done.with_errors), (3, 1));

        // A run written before counts were kept is counted from its records.
        store.meta.remove(counts_key(run.id)).unwrap();
        store.reopen_run(run.id).unwrap();
        store.record(&record("d.example", true)).unwrap();
        store.finish_run(run.id, RunStatus::Complete).unwrap();
        let done = store.run(run.id).unwrap().unwrap();
        assert_eq!((done.screened, done.with_errors), (4, 2));
    }
}
