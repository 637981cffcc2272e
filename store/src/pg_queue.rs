//! Distributed runs on PostgreSQL: a run's plan and its queue of
//! suppliers, claimed by any number of workers under leases.
//!
//! A run crawled on PostgreSQL is created with its [`RunPlan`] (the trust
//! list, weights and limits every worker uses) and its suppliers are put
//! in the `queue` table. A worker claims a batch with
//! `SELECT ... FOR UPDATE SKIP LOCKED`, each claim with a new token and a
//! lease that the worker renews while it works. A lease that passes (the
//! worker died or lost the database) returns the supplier to the queue.
//! [`PgStore::complete`] writes a supplier's record and ends its claim in
//! one transaction that first checks the claim still carries the worker's
//! token, so a worker that comes back after its lease was taken over cannot
//! write a second record: each supplier has exactly one record per run.
//! A run is complete when no supplier is pending or claimed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crawler::seeds::Seed;
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};

use crate::model::{Record, Run, RunId, RunStatus};
use crate::pg_store::{
    RecordRow, client, col, corrupt, db_err, decode, encode, finish_in, insert_run, sql_id,
    write_record,
};
use crate::{PgStore, StoreError};

/// Suppliers written to the queue per statement when a run is created.
pub const ENQUEUE_BATCH: usize = 1000;

/// The limits and politeness of a run, the same for each of its workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlLimits {
    /// Requests in flight to one supplier host.
    pub per_host_concurrency: usize,
    /// Minimum time between requests to one supplier host, in ms.
    pub delay_ms: u64,
    /// Time one request may take, in ms.
    pub timeout_ms: u64,
    /// Largest response body, in bytes.
    pub max_body: usize,
    /// Pages fetched per site at most.
    pub max_pages: u32,
    /// Link depth at most.
    pub max_depth: u32,
    /// Certificate documents read per site at most.
    pub max_documents: usize,
    /// Wall-clock time one site may take, in ms.
    pub site_budget_ms: u64,
    /// The User-Agent header.
    pub user_agent: String,
}

/// What every worker of a distributed run screens with, stored with the
/// run so that one run cannot mix trust lists, weights or politeness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// The trust list's text (TOML).
    pub trust_list: String,
    /// SHA-256 of the trust list's bytes, hex.
    pub trust_digest: String,
    /// The weights' text (TOML); None: the defaults.
    pub weights: Option<String>,
    /// Limits and politeness.
    pub limits: CrawlLimits,
}

/// One supplier claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The run.
    pub run_id: RunId,
    /// The supplier's key (the domain of its record).
    pub domain: String,
    /// The seed to screen.
    pub seed: Seed,
    /// This claim's token: only it can complete the claim.
    pub token: String,
    /// How many times the supplier has been claimed, this claim included.
    pub attempts: u32,
}

/// Where a run's queue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueCounts {
    /// Suppliers waiting for a worker.
    pub pending: u64,
    /// Suppliers claimed (being screened, or held by a lease that has not
    /// yet passed).
    pub claimed: u64,
    /// Suppliers with their record written.
    pub done: u64,
}

/// A worker of a run, as `runs` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The worker's name.
    pub name: String,
    /// When it joined the run.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat.
    pub heartbeat_at: DateTime<Utc>,
    /// Suppliers it has written records for.
    pub screened: u64,
}

/// A lease's length as the seconds PostgreSQL's `make_interval` takes.
fn seconds(lease: Duration) -> f64 {
    lease.as_secs_f64().max(0.001)
}

fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(corrupt)
}

impl PgStore {
    /// Creates a distributed run with its plan. Its queue is filled by
    /// [`PgStore::enqueue`] and opened to workers by
    /// [`PgStore::queue_ready`].
    pub async fn begin_distributed_run(
        &self,
        mut run: Run,
        plan: &RunPlan,
    ) -> Result<Run, StoreError> {
        let limits = encode(&plan.limits)?;
        let plan = plan.clone();
        self.call_async(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            run.status = RunStatus::Running;
            insert_run(&tx, &mut run).await?;
            let id = sql_id(run.id)?;
            tx.execute(
                "INSERT INTO run_plans (run_id, trust_list, trust_digest, weights, limits)
                 VALUES ($1, $2, $3, $4, $5::text::jsonb)",
                &[
                    &id,
                    &plan.trust_list,
                    &plan.trust_digest,
                    &plan.weights,
                    &limits,
                ],
            )
            .await
            .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            Ok(run)
        })
        .await
    }

    /// Puts suppliers in a run's queue, each with its position in the
    /// seeds; a supplier already queued (the same domain) is left as it is,
    /// so enqueueing again after a kill adds only what is missing.
    pub async fn enqueue(
        &self,
        run: RunId,
        suppliers: Vec<(u64, String, Seed)>,
    ) -> Result<u64, StoreError> {
        let id = sql_id(run)?;
        let mut domains = Vec::with_capacity(suppliers.len());
        let mut positions = Vec::with_capacity(suppliers.len());
        let mut seeds = Vec::with_capacity(suppliers.len());
        for (position, domain, seed) in &suppliers {
            positions.push(i64::try_from(*position).map_err(corrupt)?);
            domains.push(domain.clone());
            seeds.push(encode(seed)?);
        }
        self.call_async(move |pool| async move {
            let client = client(&pool).await?;
            let added = client
                .execute(
                    "INSERT INTO queue (run_id, domain, position, seed)
                     SELECT $1, d, p, s::jsonb
                     FROM unnest($2::text[], $3::bigint[], $4::text[]) AS t(d, p, s)
                     ON CONFLICT (run_id, domain) DO NOTHING",
                    &[&id, &domains, &positions, &seeds],
                )
                .await
                .map_err(db_err)?;
            Ok(added)
        })
        .await
    }

    /// Opens a run to workers: its queue holds every supplier.
    pub async fn queue_ready(&self, run: RunId) -> Result<(), StoreError> {
        let id = sql_id(run)?;
        self.call_async(move |pool| async move {
            let client = client(&pool).await?;
            client
                .execute(
                    "UPDATE run_plans SET queue_ready = true WHERE run_id = $1",
                    &[&id],
                )
                .await
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    /// The distributed runs workers can join: running, with their queue
    /// filled, oldest first.
    pub async fn open_runs(&self) -> Result<Vec<Run>, StoreError> {
        self.call_async(move |pool| async move {
            let client = client(&pool).await?;
            let rows = client
                .query(
                    "SELECT r.body::text FROM runs r JOIN run_plans p ON p.run_id = r.id
                     WHERE r.status = 'running' AND p.queue_ready ORDER BY r.id",
                    &[],
                )
                .await
                .map_err(db_err)?;
            rows.iter().map(|row| decode(col(row, 0)?)).collect()
        })
        .await
    }

    /// A run's plan; None for a run made by a single process.
    pub async fn plan(&self, run: RunId) -> Result<Option<RunPlan>, StoreError> {
        let id = sql_id(run)?;
        self.call_async(move |pool| async move {
            let client = client(&pool).await?;
            let Some(row) = client
                .query_opt(
                    "SELECT trust_list, trust_digest, weights, limits::text
                     FROM run_plans WHERE run_id = $1",
                    &[&id],
                )
                .await
                .map_err(db_err)?
            else {
                return Ok(None);
            };
            Ok(Some(RunPlan {
                trust_list: col(&row, 0)?,
                trust_digest: col(&row, 1)?,
                weights: col(&row, 2)?,
                limits: decode(col(&row, 3)?)?,
            }))
        })
        .await
    }

    /// Claims up to `n` suppliers of `run` for `worker`, each under a lease
    /// of `lease` and a new token: first those whose lease has passed,
    /// then pending ones in the seeds' order. Rows other workers are
    /// claiming at the same moment are skipped, not waited for.
    pub async fn claim(
        &self,
        run: RunId,
        worker: &str,
        n: usize,
        lease: Duration,
    ) -> Result<Vec<Claim>, StoreError> {
        let id = sql_id(run)?;
        let worker = worker.to_owned();
        let lease = seconds(lease);
        let n = i64::try_from(n).map_err(corrupt)?;
        self.call_async(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            heartbeat(&tx, id, &worker).await?;
            let mut claims = Vec::new();
            // Expired leases first (their suppliers waited longest), then
            // pending suppliers; each statement locks only the rows it takes.
            for candidates in [
                "SELECT domain FROM queue
                 WHERE run_id = $1 AND state = 'claimed' AND lease_until < now()
                 ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED",
                "SELECT domain FROM queue
                 WHERE run_id = $1 AND state = 'pending'
                 ORDER BY position LIMIT $2 FOR UPDATE SKIP LOCKED",
            ] {
                let wanted = n - claims.len() as i64;
                if wanted <= 0 {
                    break;
                }
                let sql = format!(
                    "WITH c AS ({candidates})
                     UPDATE queue q SET state = 'claimed', worker = $3,
                         token = gen_random_uuid()::text,
                         lease_until = now() + make_interval(secs => $4),
                         attempts = q.attempts + 1
                     FROM c WHERE q.run_id = $1 AND q.domain = c.domain
                     RETURNING q.domain, q.seed::text, q.token, q.attempts, q.position
                     "
                );
                let mut rows = tx
                    .query(&sql, &[&id, &wanted, &worker, &lease])
                    .await
                    .map_err(db_err)?;
                rows.sort_by_key(|row| row.try_get::<_, i64>(4).unwrap_or(i64::MAX));
                for row in rows {
                    claims.push(Claim {
                        run_id: run,
                        domain: col(&row, 0)?,
                        seed: decode(col(&row, 1)?)?,
                        token: col(&row, 2)?,
                        attempts: u32::try_from(col::<i32>(&row, 3)?).map_err(corrupt)?,
                    });
                }
            }
            tx.commit().await.map_err(db_err)?;
            Ok(claims)
        })
        .await
    }

    /// Extends the leases of `tokens` (claims of `worker` in `run`) by
    /// `lease` from now, and records the worker's heartbeat. Returns the
    /// tokens still held: a missing one was taken over after its lease
    /// passed, and its screening should stop.
    pub async fn renew(
        &self,
        run: RunId,
        worker: &str,
        tokens: Vec<String>,
        lease: Duration,
    ) -> Result<Vec<String>, StoreError> {
        let id = sql_id(run)?;
        let worker = worker.to_owned();
        let lease = seconds(lease);
        self.call_async(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            heartbeat(&tx, id, &worker).await?;
            let rows = tx
                .query(
                    "UPDATE queue SET lease_until = now() + make_interval(secs => $4)
                     WHERE run_id = $1 AND worker = $2 AND state = 'claimed'
                         AND token = ANY($3)
                     RETURNING token",
                    &[&id, &worker, &tokens, &lease],
                )
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            rows.iter().map(|row| col(row, 0)).collect()
        })
        .await
    }

    /// Writes a claimed supplier's record and marks it done, in one
    /// transaction, if the claim still carries its token. `Ok(false)`: the
    /// claim was lost (its lease passed and another worker took it, or it
    /// is done), and nothing was written.
    pub async fn complete(
        &self,
        claim: &Claim,
        worker: &str,
        record: &Record,
    ) -> Result<bool, StoreError> {
        let id = sql_id(claim.run_id)?;
        let row = RecordRow::of(record)?;
        let (domain, token, worker) =
            (claim.domain.clone(), claim.token.clone(), worker.to_owned());
        self.call_async(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            let held = tx
                .query_opt(
                    "SELECT 1 FROM queue
                     WHERE run_id = $1 AND domain = $2 AND state = 'claimed' AND token = $3
                     FOR UPDATE",
                    &[&id, &domain, &token],
                )
                .await
                .map_err(db_err)?;
            if held.is_none() {
                return Ok(false);
            }
            write_record(&tx, &row).await?;
            tx.execute(
                "UPDATE queue SET state = 'done', lease_until = NULL
                 WHERE run_id = $1 AND domain = $2",
                &[&id, &domain],
            )
            .await
            .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            // The worker's count, after the commit: in the transaction, its
            // row would be locked after the queue's, and a renewal locks
            // them the other way round (a deadlock); it is only shown.
            if let Err(e) = client
                .execute(
                    "UPDATE run_workers SET screened = screened + 1, heartbeat_at = now()
                     WHERE run_id = $1 AND worker = $2",
                    &[&id, &worker],
                )
                .await
            {
                tracing::debug!("counting a screened supplier: {e}");
            }
            Ok(true)
        })
        .await
    }

    /// Returns claims to the queue unfinished (a worker stopping on
    /// Ctrl-C): another worker takes them at once, not after the lease.
    pub async fn release(&self, run: RunId, tokens: Vec<String>) -> Result<(), StoreError> {
        let id = sql_id(run)?;
        self.call_async(move |pool| async move {
            let client = client(&pool).await?;
            client
                .execute(
                    "UPDATE queue SET state = 'pending', worker = NULL, token = NULL,
                         lease_until = NULL, attempts = greatest(attempts - 1, 0)
                     WHERE run_id = $1 AND state = 'claimed' AND token = ANY($2)",
                    &[&id, &tokens],
                )
                .await
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    /// Where a run's queue stands.
    pub async fn queue_counts(&self, run: RunId) -> Result<QueueCounts, StoreError> {
        let id = sql_id(run)?;
        self.call_async(move |pool| counts_in(pool, id)).await
    }

    /// Marks a run complete if its queue is filled and no supplier is
    /// pending or claimed; returns whether the run is complete. Safe to
    /// call from every worker at once.
    pub async fn finish_if_done(&self, run: RunId) -> Result<bool, StoreError> {
        let id = sql_id(run)?;
        self.call_async(move |pool| async move {
            let mut client = client(&pool).await?;
            let tx = client.transaction().await.map_err(db_err)?;
            let status = tx
                .query_opt(
                    "SELECT r.status, p.queue_ready FROM runs r
                     JOIN run_plans p ON p.run_id = r.id WHERE r.id = $1 FOR UPDATE OF r",
                    &[&id],
                )
                .await
                .map_err(db_err)?
                .ok_or(StoreError::NoSuchRun(run))?;
            let (status, ready): (String, bool) = (col(&status, 0)?, col(&status, 1)?);
            if status != "running" {
                return Ok(status == "complete");
            }
            let open = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM queue WHERE run_id = $1 AND state = 'pending')
                         OR EXISTS (SELECT 1 FROM queue WHERE run_id = $1 AND state = 'claimed')",
                    &[&id],
                )
                .await
                .map_err(db_err)?;
            if !ready || col::<bool>(&open, 0)? {
                return Ok(false);
            }
            finish_in(&tx, run, RunStatus::Complete).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    /// The workers of a run, by name.
    pub async fn run_workers(&self, run: RunId) -> Result<Vec<WorkerInfo>, StoreError> {
        let id = sql_id(run)?;
        self.call_async(move |pool| workers_in(pool, id)).await
    }
}

/// Records `worker`'s heartbeat in run `id` (joining the run the first time).
async fn heartbeat(
    tx: &tokio_postgres::Transaction<'_>,
    id: i64,
    worker: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO run_workers (run_id, worker) VALUES ($1, $2)
         ON CONFLICT (run_id, worker) DO UPDATE SET heartbeat_at = now()",
        &[&id, &worker],
    )
    .await
    .map_err(db_err)?;
    Ok(())
}

/// [`PgStore::queue_counts`] on a pool, for the async and the sync callers.
pub(crate) async fn counts_in(pool: Pool, id: i64) -> Result<QueueCounts, StoreError> {
    let client = client(&pool).await?;
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE state = 'pending'),
                    count(*) FILTER (WHERE state = 'claimed'),
                    count(*) FILTER (WHERE state = 'done')
             FROM queue WHERE run_id = $1",
            &[&id],
        )
        .await
        .map_err(db_err)?;
    Ok(QueueCounts {
        pending: count(col(&row, 0)?)?,
        claimed: count(col(&row, 1)?)?,
        done: count(col(&row, 2)?)?,
    })
}

/// [`PgStore::run_workers`] on a pool.
pub(crate) async fn workers_in(pool: Pool, id: i64) -> Result<Vec<WorkerInfo>, StoreError> {
    let client = client(&pool).await?;
    let rows = client
        .query(
            "SELECT worker, started_at, heartbeat_at, screened FROM run_workers
             WHERE run_id = $1 ORDER BY worker",
            &[&id],
        )
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(WorkerInfo {
                name: col(row, 0)?,
                started_at: col(row, 1)?,
                heartbeat_at: col(row, 2)?,
                screened: count(col(row, 3)?)?,
            })
        })
        .collect()
}
