//! The PostgreSQL implementation of [`Store`].
//!
//! Tables (see `store/migrations/`): `runs` (id, status, the run as JSONB),
//! `records` (one row per run and supplier: the record as JSONB beside the
//! columns the filters use), `latest` (one row per supplier: the run of its
//! newest record, with that record's filter columns) and
//! `ecoscout_migrations` (the schema versions applied).
//!
//! [`Store`] is synchronous and is called both from plain commands and
//! from async code (the crawl loop, the API's handlers). The driver is
//! async, and blocking on a future inside a tokio runtime panics, so the
//! store owns a small runtime of its own: each call runs its queries there
//! while the calling thread waits for the answer on a channel. A caller on
//! an async runtime blocks its thread for the query's time, as it does for
//! sled's disk I/O.

use std::collections::HashSet;
use std::future::Future;
use std::str::FromStr as _;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use crate::model::{Filter, Record, Run, RunId, RunSelect, RunStatus};
use crate::pg_queue::{QueueCounts, WorkerInfo};
use crate::{Store, StoreError, redact};

mod page;

/// Connections the store keeps open at most.
pub const POOL_SIZE: usize = 4;
/// Threads of the store's own async runtime.
pub const RUNTIME_THREADS: usize = 2;
/// Longest time one SQL statement may run before the server cancels it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest time to wait for a new connection to the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest time to wait for a free connection of the pool.
pub const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(60);
/// Records fetched per query by [`Store::for_each`]: it pages through the
/// suppliers by domain, so memory stays flat however many there are, and
/// no connection is held while the caller's function runs.
pub const PAGE_SIZE: i64 = 500;
/// The key of the advisory lock that serialises migrations between
/// processes opening the same database at once.
const MIGRATION_LOCK: i64 = 0x6563_6f73_636f_7574; // "ecoscout"

/// The schema migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
/// Each is applied once, in a transaction, and never edited after release.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_queue.sql"),
    include_str!("../migrations/0003_fleet.sql"),
];

/// The schema version this build reads and writes on PostgreSQL.
pub fn schema_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
}

/// A store in a PostgreSQL database.
pub struct PgStore {
    /// Taken by `drop`, which shuts it down without blocking (dropping a
    /// runtime inside another one panics otherwise).
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
}

/// An error with its causes: the driver's own message is often only "db
/// error", the server's words being in its source.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

pub(crate) fn db_err(e: impl std::error::Error) -> StoreError {
    StoreError::Database(chain(&e))
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(corrupt)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

/// A run id as the database's bigint.
pub(crate) fn sql_id(id: RunId) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::NoSuchRun(id))
}

pub(crate) fn run_id(id: i64) -> Result<RunId, StoreError> {
    RunId::try_from(id).map_err(|_| StoreError::Corrupt(format!("run id {id}")))
}

/// The filter columns of a record, normalised as sled's indexes are.
struct Columns {
    country: String,
    region: String,
    tier: &'static str,
    score: i64,
    has_errors: bool,
}

fn columns(r: &Record) -> Columns {
    Columns {
        country: r.observation.country.to_ascii_uppercase(),
        region: r.observation.region.to_lowercase(),
        tier: r.readiness.tier.as_str(),
        score: i64::from(r.readiness.score),
        has_errors: !r.observation.errors.is_empty(),
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://` or
    /// `postgresql://`), creating or upgrading its schema; a database whose
    /// schema is newer than this build's is refused.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact(url);
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::BadLocation(format!("{shown}: {e}")))?;
        let timeout = format!("-c statement_timeout={}", STATEMENT_TIMEOUT.as_millis());
        let options = match config.get_options() {
            Some(given) if !given.is_empty() => format!("{given} {timeout}"),
            _ => timeout,
        };
        config.options(options);
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("ecoscout");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("ecoscout-pg")
            .enable_all()
            .build()
            .map_err(db_err)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(db_err)?;
        let store = PgStore {
            runtime: Some(runtime),
            pool,
        };
        store.call(move |pool| async move { migrate(&pool, &shown).await })?;
        Ok(store)
    }

    /// Runs `job` on the store's runtime and waits for its answer.
    fn call<T, F, Fut>(&self, job: F) -> Result<T, StoreError>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::Database("the store is closed".into()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let future = job(self.pool.clone());
        runtime.spawn(async move {
            // The caller may have gone (a panic on its side): nothing to do.
            let _ = tx.send(future.await);
        });
        rx.recv()
            .map_err(|_| StoreError::Database("a database task stopped unexpectedly".into()))?
    }
}

impl PgStore {
    /// Runs `job` on the store's runtime and awaits its answer: for async
    /// callers (the workers of a distributed run), on any runtime.
    pub(crate) async fn call_async<T, F, Fut>(&self, job: F) -> Result<T, StoreError>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::Database("the store is closed".into()))?;
        runtime
            .spawn(job(self.pool.clone()))
            .await
            .map_err(|_| StoreError::Database("a database task stopped unexpectedly".into()))?
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

pub(crate) async fn client(pool: &Pool) -> Result<deadpool_postgres::Object, StoreError> {
    pool.get().await.map_err(db_err)
}

/// Applies the migrations this database lacks, under an advisory lock so
/// that two processes opening a new database do not race.
pub(crate) async fn migrate(pool: &Pool, shown: &str) -> Result<(), StoreError> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| StoreError::Database(format!("{shown}: {}", chain(&e))))?;
    let tx = client.transaction().await.map_err(db_err)?;
    tx.batch_execute(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
         CREATE TABLE IF NOT EXISTS ecoscout_migrations (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );"
    ))
    .await
    .map_err(db_err)?;
    let row = tx
        .query_one("SELECT max(version) FROM ecoscout_migrations", &[])
        .await
        .map_err(db_err)?;
    let found: Option<i32> = col(&row, 0)?;
    let found = u32::try_from(found.unwrap_or(0)).map_err(corrupt)?;
    let expected = schema_version();
    if found > expected {
        return Err(StoreError::Schema {
            path: shown.to_owned(),
            found,
            expected,
        });
    }
    for (version, sql) in (1i32..).zip(MIGRATIONS).skip(found as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::Database(format!("migration {version}: {}", chain(&e))))?;
        tx.execute(
            "INSERT INTO ecoscout_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

/// A run, read for update inside `tx`.
pub(crate) async fn run_for_update(
    tx: &tokio_postgres::Transaction<'_>,
    id: RunId,
) -> Result<Run, StoreError> {
    let row = tx
        .query_opt(
            "SELECT body::text FROM runs WHERE id = $1 FOR UPDATE",
            &[&sql_id(id)?],
        )
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NoSuchRun(id))?;
    decode(col(&row, 0)?)
}

pub(crate) async fn put_run(
    tx: &tokio_postgres::Transaction<'_>,
    run: &Run,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE runs SET status = $2, body = $3::text::jsonb WHERE id = $1",
        &[&sql_id(run.id)?, &run.status.as_str(), &encode(run)?],
    )
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Inserts a new run inside `tx`, giving it the next id.
pub(crate) async fn insert_run(
    tx: &tokio_postgres::Transaction<'_>,
    run: &mut Run,
) -> Result<(), StoreError> {
    let row = tx
        .query_one("SELECT nextval(pg_get_serial_sequence('runs', 'id'))", &[])
        .await
        .map_err(db_err)?;
    let id: i64 = col(&row, 0)?;
    run.id = run_id(id)?;
    tx.execute(
        "INSERT INTO runs (id, status, body) VALUES ($1, $2, $3::text::jsonb)",
        &[&id, &run.status.as_str(), &encode(&*run)?],
    )
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Ends a run inside `tx`: its status, end time and counts, as sled's
/// `finish_run` does.
pub(crate) async fn finish_in(
    tx: &tokio_postgres::Transaction<'_>,
    id: RunId,
    status: RunStatus,
) -> Result<(), StoreError> {
    let mut run = run_for_update(tx, id).await?;
    let counts = tx
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE has_errors) FROM records WHERE run_id = $1",
            &[&sql_id(id)?],
        )
        .await
        .map_err(db_err)?;
    run.status = status;
    run.ended_at = Some(chrono::Utc::now());
    run.screened = u64::try_from(col::<i64>(&counts, 0)?).map_err(corrupt)?;
    run.with_errors = u64::try_from(col::<i64>(&counts, 1)?).map_err(corrupt)?;
    put_run(tx, &run).await
}

/// A column of a row; a value of another type than the schema's means a
/// damaged database, not a bug to panic on.
pub(crate) fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(corrupt)
}

/// Decodes the `body::text` column of each row.
fn records(rows: &[tokio_postgres::Row], column: usize) -> Result<Vec<Record>, StoreError> {
    rows.iter().map(|row| decode(col(row, column)?)).collect()
}

/// One page of `for_each`: the query and its parameters for the records
/// after `after` (by domain) that the filter's indexed fields allow.
fn page_query(
    filter: &Filter,
    after: Option<&str>,
) -> Result<(String, Vec<Box<dyn ToSql + Sync + Send>>), StoreError> {
    let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    // The table whose filter columns are used: `latest` for the latest
    // records, `records` for one run's.
    let (from, t) = match filter.run {
        RunSelect::Latest => (
            "latest t JOIN records r ON r.run_id = t.run_id AND r.domain = t.domain",
            "t",
        ),
        RunSelect::Id(id) => {
            params.push(Box::new(sql_id(id)?));
            conditions.push(format!("r.run_id = ${}", params.len()));
            ("records r", "r")
        }
    };
    if !filter.tiers.is_empty() {
        let tiers: Vec<String> = filter.tiers.iter().map(|t| t.as_str().to_owned()).collect();
        params.push(Box::new(tiers));
        conditions.push(format!("{t}.tier = ANY(${})", params.len()));
    }
    if !filter.countries.is_empty() {
        let countries: Vec<String> = filter
            .countries
            .iter()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        params.push(Box::new(countries));
        conditions.push(format!("{t}.country = ANY(${})", params.len()));
    }
    if let Some(region) = &filter.region {
        params.push(Box::new(region.to_lowercase()));
        conditions.push(format!("{t}.region = ${}", params.len()));
    }
    if let Some(min) = filter.min_score {
        params.push(Box::new(i64::from(min)));
        conditions.push(format!("{t}.score >= ${}", params.len()));
    }
    if let Some(after) = after {
        params.push(Box::new(after.to_owned()));
        conditions.push(format!("{t}.domain > ${}", params.len()));
    }
    let mut sql = format!("SELECT {t}.domain, r.body::text FROM {from}");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY {t}.domain LIMIT {PAGE_SIZE}"));
    Ok((sql, params))
}

/// A record as the `records` and `latest` rows it becomes.
pub(crate) struct RecordRow {
    run: i64,
    domain: String,
    columns: Columns,
    body: String,
}

impl RecordRow {
    /// The rows of `record`.
    pub(crate) fn of(record: &Record) -> Result<RecordRow, StoreError> {
        Ok(RecordRow {
            run: sql_id(record.run_id)?,
            domain: record.observation.domain.clone(),
            columns: columns(record),
            body: encode(record)?,
        })
    }
}

/// Writes a record and moves `latest` inside `tx`.
pub(crate) async fn write_record(
    tx: &deadpool_postgres::Transaction<'_>,
    row: &RecordRow,
) -> Result<(), StoreError> {
    let c = &row.columns;
    let insert = tx
        .prepare_cached(
            "INSERT INTO records (run_id, domain, country, region, tier, score, has_errors, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)
             ON CONFLICT (run_id, domain) DO UPDATE SET
                 country = EXCLUDED.country, region = EXCLUDED.region,
                 tier = EXCLUDED.tier, score = EXCLUDED.score,
                 has_errors = EXCLUDED.has_errors, body = EXCLUDED.body",
        )
        .await
        .map_err(db_err)?;
    tx.execute(
        &insert,
        &[
            &row.run,
            &row.domain,
            &c.country,
            &c.region,
            &c.tier,
            &c.score,
            &c.has_errors,
            &row.body,
        ],
    )
    .await
    .map_err(db_err)?;
    // `latest` moves only forward: a newer run may already have this
    // supplier (as on sled).
    let latest = tx
        .prepare_cached(
            "INSERT INTO latest (domain, run_id, country, region, tier, score)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (domain) DO UPDATE SET
                 run_id = EXCLUDED.run_id, country = EXCLUDED.country,
                 region = EXCLUDED.region, tier = EXCLUDED.tier, score = EXCLUDED.score
             WHERE latest.run_id <= EXCLUDED.run_id",
        )
        .await
        .map_err(db_err)?;
    tx.execute(
        &latest,
        &[
            &row.domain,
            &row.run,
            &c.country,
            &c.region,
            &c.tier,
            &c.score,
        ],
    )
    .await
    .map_err(db_err)?;
    Ok(())
}

impl Store for PgStore {
    fn begin_run(&self, mut run: Run) -> Result<Run, StoreError> {
        self.call(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            // As on sled, a single-process run still marked running was
            // killed. A distributed run (one with a plan) stays running:
            // its workers may be at work, and leases return what a dead
            // one held.
            let stale = tx
                .query(
                    "SELECT id FROM runs r WHERE status = 'running'
                         AND NOT EXISTS (SELECT 1 FROM run_plans p WHERE p.run_id = r.id)
                     ORDER BY id FOR UPDATE",
                    &[],
                )
                .await
                .map_err(db_err)?;
            for row in stale {
                finish_in(&tx, run_id(col(&row, 0)?)?, RunStatus::Interrupted).await?;
            }
            insert_run(&tx, &mut run).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(run)
        })
    }

    fn reopen_run(&self, id: RunId) -> Result<Run, StoreError> {
        self.call(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            let mut run = run_for_update(&tx, id).await?;
            run.status = RunStatus::Running;
            run.ended_at = None;
            put_run(&tx, &run).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(run)
        })
    }

    fn record(&self, record: &Record) -> Result<(), StoreError> {
        let row = RecordRow::of(record)?;
        self.call(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            write_record(&tx, &row).await?;
            tx.commit().await.map_err(db_err)
        })
    }

    fn finish_run(&self, id: RunId, status: RunStatus) -> Result<(), StoreError> {
        self.call(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            finish_in(&tx, id, status).await?;
            tx.commit().await.map_err(db_err)
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Every write is committed before its call returns.
        Ok(())
    }

    fn runs(&self) -> Result<Vec<Run>, StoreError> {
        self.call(move |pool| async move {
            let client = client(&pool).await?;
            let rows = client
                .query("SELECT body::text FROM runs ORDER BY id", &[])
                .await
                .map_err(db_err)?;
            rows.iter().map(|row| decode(col(row, 0)?)).collect()
        })
    }

    fn run(&self, id: RunId) -> Result<Option<Run>, StoreError> {
        let Ok(sql) = sql_id(id) else {
            return Ok(None);
        };
        self.call(move |pool| async move {
            let client = client(&pool).await?;
            let row = client
                .query_opt("SELECT body::text FROM runs WHERE id = $1", &[&sql])
                .await
                .map_err(db_err)?;
            row.map(|row| decode(col(&row, 0)?)).transpose()
        })
    }

    fn screened_domains(&self, id: RunId) -> Result<HashSet<String>, StoreError> {
        let Ok(sql) = sql_id(id) else {
            return Ok(HashSet::new());
        };
        self.call(move |pool| async move {
            let client = client(&pool).await?;
            let rows = client
                .query("SELECT domain FROM records WHERE run_id = $1", &[&sql])
                .await
                .map_err(db_err)?;
            rows.iter().map(|row| col::<String>(row, 0)).collect()
        })
    }

    fn supplier(&self, domain: &str, run: RunSelect) -> Result<Option<Record>, StoreError> {
        let domain = domain.to_owned();
        let run = match run {
            RunSelect::Latest => None,
            RunSelect::Id(id) => match sql_id(id) {
                Ok(id) => Some(id),
                Err(_) => return Ok(None),
            },
        };
        self.call(move |pool| async move {
            let client = client(&pool).await?;
            let row = match run {
                None => client
                    .query_opt(
                        "SELECT r.body::text FROM latest l
                         JOIN records r ON r.run_id = l.run_id AND r.domain = l.domain
                         WHERE l.domain = $1",
                        &[&domain],
                    )
                    .await
                    .map_err(db_err)?,
                Some(id) => client
                    .query_opt(
                        "SELECT body::text FROM records WHERE run_id = $1 AND domain = $2",
                        &[&id, &domain],
                    )
                    .await
                    .map_err(db_err)?,
            };
            row.map(|row| decode(col(&row, 0)?)).transpose()
        })
    }

    fn history(&self, domain: &str) -> Result<Vec<Record>, StoreError> {
        let domain = domain.to_owned();
        self.call(move |pool| async move {
            let client = client(&pool).await?;
            let rows = client
                .query(
                    "SELECT body::text FROM records WHERE domain = $1 ORDER BY run_id",
                    &[&domain],
                )
                .await
                .map_err(db_err)?;
            records(&rows, 0)
        })
    }

    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Pages by domain (byte order, as sled iterates), each page its own
        // query: `f` runs on this thread between pages, and may itself
        // call the store (`score` rewrites the records it reads).
        let mut after: Option<String> = None;
        loop {
            let (sql, params) = page_query(filter, after.as_deref())?;
            let page = self.call(move |pool| async move {
                let client = client(&pool).await?;
                let statement = client.prepare_cached(&sql).await.map_err(db_err)?;
                let refs: Vec<&(dyn ToSql + Sync)> = params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                let rows = client.query(&statement, &refs).await.map_err(db_err)?;
                rows.iter()
                    .map(|row| {
                        Ok((
                            col::<String>(row, 0)?,
                            decode::<Record>(col::<&str>(row, 1)?)?,
                        ))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })?;
            let full = page.len() as i64 == PAGE_SIZE;
            for (domain, record) in page {
                after = Some(domain);
                // The columns are a superset test: the filter decides, as
                // on sled (it compares ASCII case-insensitively).
                if filter.accepts(&record) {
                    f(record)?;
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn workers(&self, id: RunId) -> Result<Vec<WorkerInfo>, StoreError> {
        let id = sql_id(id)?;
        self.call(move |pool| crate::pg_queue::workers_in(pool, id))
    }

    fn queue(&self, id: RunId) -> Result<Option<QueueCounts>, StoreError> {
        let id = sql_id(id)?;
        self.call(move |pool| async move {
            let planned = client(&pool)
                .await?
                .query_opt("SELECT 1 FROM run_plans WHERE run_id = $1", &[&id])
                .await
                .map_err(db_err)?
                .is_some();
            if !planned {
                return Ok(None);
            }
            crate::pg_queue::counts_in(pool, id).await.map(Some)
        })
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
        self.call(move |pool| async move {
            let client = client(&pool).await?;
            let row = client
                .query_one("SELECT pg_database_size(current_database())", &[])
                .await
                .map_err(db_err)?;
            let bytes: i64 = col(&row, 0)?;
            u64::try_from(bytes).map_err(corrupt)
        })
    }
}
