//! One politeness for a fleet of workers, kept in PostgreSQL: the
//! [`AuthorityGate`] and the [`AnswerCache`] of every worker's
//! [`crawler::polite::PoliteFetcher`], so that N workers ask each
//! authority what one process would.
//!
//! Tables (migration `0003_fleet.sql`): `fleet_slots` (per authority host,
//! `max_in_flight` leased rows, claimed with `FOR UPDATE SKIP LOCKED` and
//! freed after the request, or when their lease expires if the worker was
//! killed), `fleet_rate` (per host, when its next request may start: the
//! statement that claims a slot also reserves a start time and moves it
//! one interval on, and the worker sleeps until its start),
//! `fleet_answers` (definite answers by URL until they expire; expired rows
//! are deleted) and `fleet_fetching` (who is fetching a missing answer, so
//! that the other askers wait for it rather than ask too).
//!
//! Cost: a worker's requests to a host first take one of its own
//! in-flight slots ([`LocalGate::in_flight_slot`]), so that only as many
//! of them poll the database for a shared slot as could hold one. A
//! request to an authority then costs three prepared statements when
//! its answer is not kept (answer or claim, slot and start, keep the
//! answer; the slot is freed in the background), one when it is.
//!
//! Runtime: like [`crate::PgStore`], a [`PgFleet`] owns a small runtime
//! where its connection pool lives and its queries run; the gate and the
//! cache are called from the crawl's runtime (any runtime), which awaits
//! each query's task without blocking, and only sleeps there. Dropping a
//! permit frees its slot on the fleet's runtime.
//!
//! A database that fails or stalls never stops a crawl: the gate falls back
//! to the process's own limits ([`LocalGate`]) and the cache to no cache,
//! with a warning (at most one per [`WARN_INTERVAL`]).

use std::collections::HashSet;
use std::future::Future;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crawler::answer_cache::{AnswerCache, Claim, FetchClaim, cache_key, is_cacheable};
use crawler::gate::{AuthorityGate, BoxFuture, GatePermit, LocalGate};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use eco::FetchResponse;
use eco::trust::HostLimits;
use tokio_postgres::NoTls;
use url::Url;

use crate::pg_store::{chain, migrate};
use crate::{StoreError, redact};

/// Connections one worker's fleet state keeps open at most.
pub const FLEET_POOL_SIZE: usize = 4;
/// Threads of the fleet state's own runtime.
pub const FLEET_RUNTIME_THREADS: usize = 1;
/// Longest time one database call may take before the gate or the cache
/// falls back (local limits, no cache).
pub const DB_CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest time to wait for a new connection to the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed in-flight slot is held at most: longer than any one
/// request (the crawler's time limit per request, 15 s by default), so
/// that only a killed worker's slot expires.
pub const SLOT_LEASE: Duration = Duration::from_secs(120);
/// How long a claim to fetch a missing answer holds unless renewed (its
/// holder renews it while it waits and fetches): other askers wait for its
/// answer until then (a killed worker's claim expires).
pub const FETCH_CLAIM_LEASE: Duration = Duration::from_secs(60);
/// First wait before asking again for a free slot, or for an answer
/// another worker is fetching; it doubles up to [`POLL_MAX`].
pub const POLL_MIN: Duration = Duration::from_millis(10);
/// Longest wait between two such asks.
pub const POLL_MAX: Duration = Duration::from_millis(200);
/// How often a worker deletes the expired answers.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// Least time between two warnings about the database.
pub const WARN_INTERVAL: Duration = Duration::from_secs(60);

// The statements run per request, prepared once per connection.

/// Claims the lowest free slot of a host and reserves the next start time
/// one interval after the last (`$1` host, `$2` slots, `$3` holder, `$4`
/// slot lease and `$5` interval in seconds); no row when every slot is
/// held, and then no start time is reserved.
const CLAIM_SLOT: &str = "
    WITH claimed AS (
        UPDATE fleet_slots AS s
        SET holder = $3, expires_at = clock_timestamp() + make_interval(secs => $4)
        WHERE (s.host, s.slot) = (
            SELECT host, slot FROM fleet_slots
            WHERE host = $1 AND slot < $2 AND expires_at <= clock_timestamp()
            ORDER BY slot LIMIT 1
            FOR UPDATE SKIP LOCKED)
        RETURNING s.slot
    ), reserved AS (
        INSERT INTO fleet_rate AS r (host, next_start)
        SELECT $1, clock_timestamp() + make_interval(secs => $5) FROM claimed
        ON CONFLICT (host) DO UPDATE
        SET next_start = greatest(r.next_start, clock_timestamp()) + make_interval(secs => $5)
        RETURNING extract(epoch FROM next_start - clock_timestamp())::float8 - $5 AS wait
    )
    SELECT claimed.slot, reserved.wait FROM claimed, reserved";

/// Frees a slot if its holder still holds it (`$1` host, `$2` slot, `$3`
/// holder).
const RELEASE_SLOT: &str = "
    UPDATE fleet_slots SET holder = NULL, expires_at = '-infinity'
    WHERE host = $1 AND slot = $2 AND holder = $3";

/// The kept answer of `$1`, or else the claim to fetch it for `$2` for `$3`
/// seconds unless another holder's claim has not expired: one row of
/// (claimed, status, content type, final URL, body), the answer's columns
/// null when there is none. (An answer kept by another worker after this
/// statement's snapshot was taken may be fetched a second time: a rare,
/// harmless extra request.)
const ANSWER_OR_CLAIM: &str = "
    WITH answer AS (
        SELECT status, content_type, final_url, body FROM fleet_answers
        WHERE url = $1 AND expires_at > clock_timestamp()
    ), claimed AS (
        INSERT INTO fleet_fetching AS f (url, holder, expires_at)
        SELECT $1, $2, clock_timestamp() + make_interval(secs => $3)
        WHERE NOT EXISTS (SELECT 1 FROM answer)
        ON CONFLICT (url) DO UPDATE
        SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE f.expires_at <= clock_timestamp()
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM claimed), a.status, a.content_type, a.final_url, a.body
    FROM (SELECT 1) AS one LEFT JOIN answer AS a ON true";

/// The unexpired answer of `$1`.
const LOOKUP_ANSWER: &str = "
    SELECT status, content_type, final_url, body FROM fleet_answers
    WHERE url = $1 AND expires_at > clock_timestamp()";

/// Keeps an answer (`$1` URL, `$2` status, `$3` content type, `$4` final
/// URL, `$5` body) for `$6` seconds.
const STORE_ANSWER: &str = "
    INSERT INTO fleet_answers (url, status, content_type, final_url, body, expires_at)
    VALUES ($1, $2, $3, $4, $5, clock_timestamp() + make_interval(secs => $6))
    ON CONFLICT (url) DO UPDATE SET
        status = EXCLUDED.status, content_type = EXCLUDED.content_type,
        final_url = EXCLUDED.final_url, body = EXCLUDED.body,
        expires_at = EXCLUDED.expires_at";

/// Extends a claim to fetch `$1` held by `$2` by `$3` seconds.
const RENEW_FETCH: &str = "
    UPDATE fleet_fetching SET expires_at = clock_timestamp() + make_interval(secs => $3)
    WHERE url = $1 AND holder = $2";

/// Drops the claim to fetch `$1` if `$2` holds it.
const RELEASE_FETCH: &str = "DELETE FROM fleet_fetching WHERE url = $1 AND holder = $2";

/// The state a fleet of workers shares in PostgreSQL: an
/// [`AuthorityGate`] and an [`AnswerCache`] (hand the same `Arc<PgFleet>`
/// as both to [`crawler::polite::PoliteFetcher::with_authority_gate`] and
/// [`crawler::polite::PoliteFetcher::with_answer_cache`]).
pub struct PgFleet {
    inner: Arc<Inner>,
}

/// What the fleet's tasks need: the pool, and the warning clock. Tasks on
/// the fleet's runtime hold this, never the runtime itself.
struct Db {
    pool: Pool,
    last_warning: Mutex<Option<Instant>>,
}

struct Inner {
    /// Taken by `drop`, which shuts it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
    db: Arc<Db>,
    /// This worker's holder names start with it.
    token: String,
    next_holder: AtomicU64,
    /// Hosts whose slot rows this worker has made sure of, with the count.
    slots_made: Mutex<HashSet<(String, u32)>>,
    /// Used when the database fails.
    local: LocalGate,
    last_sweep: Mutex<Option<Instant>>,
    /// How long a claim to fetch holds unless renewed.
    claim_lease: Duration,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgFleet {
    /// Connects to the database at `url` (`postgres://` or
    /// `postgresql://`), creating or upgrading its schema as
    /// [`crate::PgStore::open`] does. Blocks the calling thread until the
    /// schema is ready (it may be called inside an async runtime).
    pub fn connect(url: &str) -> Result<PgFleet, StoreError> {
        let shown = redact(url);
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::BadLocation(format!("{shown}: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("ecoscout-fleet");
        }
        let db = |e: &dyn std::error::Error| StoreError::Database(chain(e));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(FLEET_RUNTIME_THREADS)
            .thread_name("ecoscout-fleet")
            .enable_all()
            .build()
            .map_err(|e| db(&e))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(FLEET_POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(DB_CALL_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| db(&e))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let migration_pool = pool.clone();
        runtime.spawn(async move {
            let _ = tx.send(migrate(&migration_pool, &shown).await);
        });
        let migrated = rx
            .recv()
            .map_err(|_| StoreError::Database("a database task stopped unexpectedly".into()));
        if let Err(e) = migrated.and_then(|m| m) {
            runtime.shutdown_background();
            return Err(e);
        }
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        Ok(PgFleet {
            inner: Arc::new(Inner {
                runtime: Some(runtime),
                db: Arc::new(Db {
                    pool,
                    last_warning: Mutex::new(None),
                }),
                token: format!("{}-{started}", std::process::id()),
                next_holder: AtomicU64::new(0),
                slots_made: Mutex::new(HashSet::new()),
                local: LocalGate::new(),
                last_sweep: Mutex::new(None),
                claim_lease: FETCH_CLAIM_LEASE,
            }),
        })
    }

    /// This fleet with claims to fetch held `lease` unless renewed
    /// ([`FETCH_CLAIM_LEASE`] by default); takes effect only before the
    /// fleet is shared.
    pub fn with_claim_lease(mut self, lease: Duration) -> PgFleet {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.claim_lease = lease;
        }
        self
    }
}

impl Db {
    /// Runs `job` with a connection, within [`DB_CALL_TIMEOUT`]; the error
    /// is a message for a warning. Called on the fleet's runtime.
    async fn run<T, F, Fut>(&self, job: F) -> Result<T, String>
    where
        F: FnOnce(deadpool_postgres::Object) -> Fut,
        Fut: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let work = async {
            let client = self.pool.get().await.map_err(|e| chain(&e))?;
            job(client).await.map_err(|e| chain(&e))
        };
        tokio::time::timeout(DB_CALL_TIMEOUT, work)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {DB_CALL_TIMEOUT:?}")))
    }

    /// Logs a database failure, at most once per [`WARN_INTERVAL`].
    fn warn(&self, what: &str, error: &str) {
        let mut last = self.last_warning.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < WARN_INTERVAL) {
            tracing::debug!("fleet database: {what}: {error}");
            return;
        }
        *last = Some(Instant::now());
        tracing::warn!(
            "fleet database: {what}: {error}; this worker falls back to its own limits and no shared cache until it answers"
        );
    }

    /// Frees a slot (only if `holder` still holds it).
    async fn release(&self, host: String, slot: i32, holder: String) -> Result<(), String> {
        self.run(move |client| async move {
            let statement = client.prepare_cached(RELEASE_SLOT).await?;
            client
                .execute(&statement, &[&host, &slot, &holder])
                .await
                .map(drop)
        })
        .await
    }
}

impl Db {
    /// Extends a claim to fetch by `lease` (only if `holder` still holds
    /// it).
    async fn renew_fetch(
        &self,
        url: String,
        holder: String,
        lease: Duration,
    ) -> Result<(), String> {
        let lease = lease.as_secs_f64();
        self.run(move |client| async move {
            let statement = client.prepare_cached(RENEW_FETCH).await?;
            client
                .execute(&statement, &[&url, &holder, &lease])
                .await
                .map(drop)
        })
        .await
    }

    /// Drops a claim to fetch (only if `holder` still holds it).
    async fn release_fetch(&self, url: String, holder: String) -> Result<(), String> {
        self.run(move |client| async move {
            let statement = client.prepare_cached(RELEASE_FETCH).await?;
            client.execute(&statement, &[&url, &holder]).await.map(drop)
        })
        .await
    }
}

impl Inner {
    /// Spawns `task` (given the database) on the fleet's runtime and waits
    /// for its answer without blocking.
    async fn spawn<T, F, Fut>(&self, task: F) -> Result<T, String>
    where
        F: FnOnce(Arc<Db>) -> Fut,
        Fut: Future<Output = Result<T, String>> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| "the fleet state is closed".to_owned())?;
        runtime
            .spawn(task(self.db.clone()))
            .await
            .map_err(|e| format!("a database task stopped: {e}"))?
    }

    /// Runs one database job on the fleet's runtime.
    async fn call<T, F, Fut>(&self, job: F) -> Result<T, String>
    where
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send,
        T: Send + 'static,
    {
        self.spawn(|db| async move { db.run(job).await }).await
    }

    fn holder(&self) -> String {
        let n = self.next_holder.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.token)
    }

    /// Creates `host`'s slot rows once per worker.
    async fn make_slots(&self, host: &str, count: u32) -> Result<(), String> {
        let key = (host.to_owned(), count);
        if self
            .slots_made
            .lock()
            .map(|m| m.contains(&key))
            .unwrap_or(false)
        {
            return Ok(());
        }
        let host_owned = host.to_owned();
        let last = i32::try_from(count).unwrap_or(i32::MAX) - 1;
        self.call(move |client| async move {
            client
                .execute(
                    "INSERT INTO fleet_slots (host, slot)
                     SELECT $1, g FROM generate_series(0, $2::integer) AS g
                     ON CONFLICT DO NOTHING",
                    &[&host_owned, &last],
                )
                .await
        })
        .await?;
        if let Ok(mut made) = self.slots_made.lock() {
            made.insert(key);
        }
        Ok(())
    }

    /// Claims a free slot of `host` for `holder` and reserves its start
    /// time `interval` after the last one, in one statement; returns the
    /// slot and how long to wait for the start, or None when all slots are
    /// held. A slot claimed after the caller went away (its future
    /// dropped) is freed at once.
    async fn try_claim(
        &self,
        host: &str,
        count: u32,
        holder: &str,
        interval: Duration,
    ) -> Result<Option<(i32, Duration)>, String> {
        let (host, holder) = (host.to_owned(), holder.to_owned());
        let count = i32::try_from(count).unwrap_or(i32::MAX);
        let lease = SLOT_LEASE.as_secs_f64();
        let interval = interval.as_secs_f64();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.spawn(move |db| async move {
            let (h, w) = (host.clone(), holder.clone());
            let claimed = db
                .run(move |client| async move {
                    let statement = client.prepare_cached(CLAIM_SLOT).await?;
                    let row = client
                        .query_opt(&statement, &[&h, &count, &w, &lease, &interval])
                        .await?;
                    row.map(|r| Ok((r.try_get::<_, i32>(0)?, r.try_get::<_, f64>(1)?)))
                        .transpose()
                })
                .await;
            if let Err(Ok(Some((slot, _)))) = tx.send(claimed) {
                let _ = db.release(host, slot, holder).await;
            }
            Ok(())
        })
        .await?;
        let claimed = rx
            .await
            .map_err(|_| "a database task stopped unexpectedly".to_owned())??;
        Ok(claimed.map(|(slot, wait)| {
            (
                slot,
                Duration::try_from_secs_f64(wait.max(0.0)).unwrap_or_default(),
            )
        }))
    }

    /// In one statement: the kept answer of `url` if there is one, else
    /// the claim to fetch it for `holder` if nobody holds an unexpired
    /// one. A claim made after the caller went away is dropped at once.
    async fn answer_or_claim(&self, url: &str, holder: &str) -> Result<Turn, String> {
        let (url, holder) = (url.to_owned(), holder.to_owned());
        let lease = self.claim_lease.as_secs_f64();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.spawn(move |db| async move {
            let (u, h) = (url.clone(), holder.clone());
            let turn = db
                .run(move |client| async move {
                    let statement = client.prepare_cached(ANSWER_OR_CLAIM).await?;
                    let row = client.query_one(&statement, &[&u, &h, &lease]).await?;
                    if row.try_get::<_, bool>(0)? {
                        return Ok(Turn::Claimed);
                    }
                    Ok(match row.try_get::<_, Option<i16>>(1)? {
                        Some(status) => Turn::Answered(StoredAnswer {
                            status,
                            content_type: row.try_get(2)?,
                            final_url: row.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                            body: row.try_get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
                        }),
                        None => Turn::Wait,
                    })
                })
                .await;
            if let Err(Ok(Turn::Claimed)) = tx.send(turn) {
                let _ = db.release_fetch(url, holder).await;
            }
            Ok(())
        })
        .await?;
        rx.await
            .map_err(|_| "a database task stopped unexpectedly".to_owned())?
    }
}

/// What [`Inner::answer_or_claim`] found.
enum Turn {
    /// The answer is kept.
    Answered(StoredAnswer),
    /// This asker holds the claim to fetch it.
    Claimed,
    /// Another worker is fetching it.
    Wait,
}

/// An answer as `fleet_answers` keeps it.
struct StoredAnswer {
    status: i16,
    content_type: Option<String>,
    final_url: String,
    body: Vec<u8>,
}

impl StoredAnswer {
    /// The answer, or None when the row cannot be one (a status or URL
    /// that does not parse).
    fn into_response(self) -> Option<FetchResponse> {
        Some(FetchResponse {
            status: u16::try_from(self.status).ok()?,
            url: Url::parse(&self.final_url).ok()?,
            content_type: self.content_type,
            body: self.body,
        })
    }
}

/// A claimed slot; dropping it frees the slot on the fleet's runtime.
struct Lease {
    inner: Arc<Inner>,
    host: String,
    slot: i32,
    holder: String,
    /// This worker's own in-flight slot of the host.
    _local: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(runtime) = self.inner.runtime.as_ref() else {
            return;
        };
        let db = self.inner.db.clone();
        let (host, slot, holder) = (
            std::mem::take(&mut self.host),
            self.slot,
            std::mem::take(&mut self.holder),
        );
        runtime.spawn(async move {
            if let Err(e) = db.release(host, slot, holder).await {
                // The lease expires on its own.
                db.warn("freeing an in-flight slot", &e);
            }
        });
    }
}

/// A claim to fetch, renewed every third of its lease while it
/// is held (its holder may queue at the authority's gate for longer than a
/// lease, and must not lose the fetch to another worker meanwhile);
/// dropping it deletes the claim on the fleet's runtime.
struct FetchLease {
    inner: Arc<Inner>,
    url: String,
    holder: String,
    renewer: Option<tokio::task::AbortHandle>,
}

impl FetchLease {
    fn new(inner: Arc<Inner>, url: String, holder: String) -> FetchLease {
        let renewer = inner.runtime.as_ref().map(|runtime| {
            let (db, url, holder) = (inner.db.clone(), url.clone(), holder.clone());
            let lease = inner.claim_lease;
            runtime
                .spawn(async move {
                    loop {
                        tokio::time::sleep(lease / 3).await;
                        if let Err(e) = db.renew_fetch(url.clone(), holder.clone(), lease).await {
                            db.warn("renewing a claim to fetch", &e);
                        }
                    }
                })
                .abort_handle()
        });
        FetchLease {
            inner,
            url,
            holder,
            renewer,
        }
    }
}

impl Drop for FetchLease {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
        let Some(runtime) = self.inner.runtime.as_ref() else {
            return;
        };
        let db = self.inner.db.clone();
        let (url, holder) = (
            std::mem::take(&mut self.url),
            std::mem::take(&mut self.holder),
        );
        runtime.spawn(async move {
            if let Err(e) = db.release_fetch(url, holder).await {
                // The claim expires on its own.
                db.warn("dropping a claim to fetch", &e);
            }
        });
    }
}

impl PgFleet {
    /// [`AuthorityGate::admit`]: a slot from `fleet_slots`, then a start
    /// time from `fleet_rate`; the local gate when the database fails.
    async fn admit_shared(&self, host: &str, limits: HostLimits) -> GatePermit {
        match self.lease(host, limits).await {
            Ok(permit) => permit,
            Err(e) => {
                self.inner.db.warn(&format!("limiting {host}"), &e);
                self.inner.local.admit_local(host, limits).await
            }
        }
    }

    async fn lease(&self, host: &str, limits: HostLimits) -> Result<GatePermit, String> {
        let inner = &self.inner;
        let count = limits.max_in_flight.max(1);
        // No more of this worker's requests ask the database for a slot
        // than could hold one: the others wait here, without a query.
        let local = inner.local.in_flight_slot(host, limits).await;
        inner.make_slots(host, count).await?;
        let holder = inner.holder();
        let mut poll = POLL_MIN;
        let (slot, wait) = loop {
            if let Some(claimed) = inner
                .try_claim(host, count, &holder, limits.interval)
                .await?
            {
                break claimed;
            }
            tokio::time::sleep(poll).await;
            poll = (poll * 2).min(POLL_MAX);
        };
        // From here the slot is freed when the lease is dropped, whatever
        // happens (this future cancelled included).
        let lease = Lease {
            inner: inner.clone(),
            host: host.to_owned(),
            slot,
            holder,
            _local: local,
        };
        tokio::time::sleep(wait).await;
        Ok(GatePermit::new(lease))
    }

    /// [`AnswerCache::get`].
    async fn lookup(&self, url: &Url) -> Option<FetchResponse> {
        let key = cache_key(url)?;
        let found = self
            .inner
            .call(move |client| async move {
                let statement = client.prepare_cached(LOOKUP_ANSWER).await?;
                let row = client.query_opt(&statement, &[&key]).await?;
                row.map(|r| {
                    Ok::<_, tokio_postgres::Error>(StoredAnswer {
                        status: r.try_get(0)?,
                        content_type: r.try_get(1)?,
                        final_url: r.try_get(2)?,
                        body: r.try_get(3)?,
                    })
                })
                .transpose()
            })
            .await;
        match found {
            Ok(Some(stored)) => self.readable(stored),
            Ok(None) => None,
            Err(e) => {
                self.inner.db.warn("reading the answer cache", &e);
                None
            }
        }
    }

    /// A stored answer, or None with a warning when it is unreadable.
    fn readable(&self, stored: StoredAnswer) -> Option<FetchResponse> {
        let answer = stored.into_response();
        if answer.is_none() {
            self.inner
                .db
                .warn("reading the answer cache", "a stored answer is unreadable");
        }
        answer
    }

    /// [`AnswerCache::claim`]: the kept answer, or the claim to fetch it
    /// in `fleet_fetching`, or a wait for the answer of the worker that
    /// holds the claim (one database call each time). Without the
    /// database, this worker fetches.
    async fn claim_fetch(&self, url: &Url) -> Claim {
        let Some(key) = cache_key(url) else {
            return Claim::Fetch(FetchClaim::unshared());
        };
        let holder = self.inner.holder();
        let mut poll = POLL_MIN;
        loop {
            match self.inner.answer_or_claim(&key, &holder).await {
                Ok(Turn::Claimed) => {
                    let lease = FetchLease::new(self.inner.clone(), key, holder);
                    return Claim::Fetch(FetchClaim::new(lease));
                }
                Ok(Turn::Answered(stored)) => {
                    if let Some(answer) = self.readable(stored) {
                        return Claim::Answered(answer);
                    }
                    return Claim::Fetch(FetchClaim::unshared());
                }
                Ok(Turn::Wait) => {}
                Err(e) => {
                    self.inner.db.warn("claiming a fetch", &e);
                    return Claim::Fetch(FetchClaim::unshared());
                }
            }
            tokio::time::sleep(poll).await;
            poll = (poll * 2).min(POLL_MAX);
        }
    }

    /// [`AnswerCache::put`], deleting the expired answers and claims
    /// every [`SWEEP_INTERVAL`].
    async fn store(&self, url: &Url, answer: &FetchResponse, ttl: Duration) {
        let Some(key) = cache_key(url) else {
            return;
        };
        if !is_cacheable(answer) {
            return;
        }
        let sweep = {
            let mut last = self
                .inner
                .last_sweep
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let due = last.is_none_or(|t| t.elapsed() >= SWEEP_INTERVAL);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        let status = i16::try_from(answer.status).unwrap_or(i16::MAX);
        let content_type = answer.content_type.clone();
        let final_url = answer.url.to_string();
        let body = answer.body.clone();
        let ttl = ttl.as_secs_f64();
        let result = self
            .inner
            .call(move |client| async move {
                let statement = client.prepare_cached(STORE_ANSWER).await?;
                client
                    .execute(
                        &statement,
                        &[&key, &status, &content_type, &final_url, &body, &ttl],
                    )
                    .await?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            self.inner.db.warn("writing the answer cache", &e);
        }
        if sweep && let Err(e) = self.sweep().await {
            self.inner
                .db
                .warn("deleting expired answers", &e.to_string());
        }
    }

    /// Deletes the expired answers and claims to fetch now (workers do it
    /// every [`SWEEP_INTERVAL`] as they write); returns how many answers
    /// went.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        self.inner
            .call(|client| async move {
                let answers = client
                    .execute(
                        "DELETE FROM fleet_answers WHERE expires_at <= clock_timestamp()",
                        &[],
                    )
                    .await?;
                client
                    .execute(
                        "DELETE FROM fleet_fetching WHERE expires_at <= clock_timestamp()",
                        &[],
                    )
                    .await?;
                Ok(answers)
            })
            .await
            .map_err(StoreError::Database)
    }
}

impl AuthorityGate for PgFleet {
    fn admit<'a>(&'a self, host: &'a str, limits: HostLimits) -> BoxFuture<'a, GatePermit> {
        Box::pin(self.admit_shared(host, limits))
    }
}

impl AnswerCache for PgFleet {
    fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Option<FetchResponse>> {
        Box::pin(self.lookup(url))
    }

    fn put<'a>(
        &'a self,
        url: &'a Url,
        answer: &'a FetchResponse,
        ttl: Duration,
    ) -> BoxFuture<'a, ()> {
        Box::pin(self.store(url, answer, ttl))
    }

    fn claim<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Claim> {
        Box::pin(self.claim_fetch(url))
    }
}
