//! Distributed runs on PostgreSQL: creating one from a seeds file, and the
//! worker that claims its suppliers, screens them and writes their records
//! (`ecoscout crawl --db postgres://...` and `ecoscout work`).
//!
//! The queue's guarantees live in `store::pg_queue`; this module keeps a
//! worker's share of suppliers in flight, renews its leases, stops a
//! screening whose claim was taken over, and retries database writes while
//! the database is away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result};
use crawler::crawl::failed_observation;
use crawler::observation::Observation;
use crawler::screen::Screener;
use crawler::seeds::{Seed, SeedReader};
use eco::TrustList;
use store::{Claim, PgStore, Record, Run, RunId, RunPlan, Store as _};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::crawl_cmd::LocalNetArgs;

/// Times a supplier is claimed at most: a supplier whose screening stopped
/// its worker (or the worker's lease) this often gets a record with that
/// error instead of a fourth try, so that one poisonous site cannot hold a
/// run forever.
pub const MAX_ATTEMPTS: u32 = 3;
/// Wait between looks at the queue when nothing could be claimed (other
/// workers hold the rest; their leases may pass).
pub const IDLE_POLL: Duration = Duration::from_secs(1);
/// First wait after a database error; it doubles up to [`MAX_RETRY_WAIT`].
pub const RETRY_WAIT: Duration = Duration::from_millis(250);
/// Longest wait between retries of a database call.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

/// How a worker works: its name, its share of requests and name
/// resolution, and its claims' batch size and lease.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The name `runs` shows.
    pub name: String,
    /// This process's network resources.
    pub local: LocalNetArgs,
    /// Suppliers claimed per query.
    pub batch: usize,
    /// How long a claim holds without renewal.
    pub lease: Duration,
}

/// How a worker's turn at a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// The run is complete.
    Complete,
    /// Nothing left to claim now, but other workers hold claims.
    Idle,
    /// Ctrl-C: this worker's claims were returned to the queue.
    Stopped,
}

/// The default worker name: the host's name and the process id.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Queues the seeds of a new or resumed distributed run: every row, in
/// batches, each supplier once; then opens the run to workers. Enqueueing
/// again (after a kill) adds only what is missing.
pub async fn fill_queue(
    store: &PgStore,
    run: RunId,
    seeds_bytes: &[u8],
    file: &str,
) -> Result<u64> {
    let mut batch = Vec::with_capacity(store::pg_queue::ENQUEUE_BATCH);
    let mut added = 0;
    for seed in SeedReader::new(seeds_bytes, file)?.filter_map(Result::ok) {
        let domain = Observation::of_seed(&seed).domain;
        batch.push((seed.line, domain, seed));
        if batch.len() == store::pg_queue::ENQUEUE_BATCH {
            added += store.enqueue(run, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        added += store.enqueue(run, batch).await?;
    }
    store.queue_ready(run).await?;
    Ok(added)
}

/// What a worker needs of a run, read from its plan.
pub struct RunTools {
    screener: Arc<Screener>,
    weights: Arc<scoring::Weights>,
}

impl RunTools {
    /// The screener and weights of `plan`, on this worker's resources,
    /// sharing the authorities' limits and answers with the `fleet`.
    pub fn new(
        run: RunId,
        plan: &RunPlan,
        local: &LocalNetArgs,
        fleet: Arc<store::PgFleet>,
    ) -> Result<RunTools> {
        let trust = TrustList::from_toml(&plan.trust_list, &format!("run {run}'s trust list"))?;
        let weights = match &plan.weights {
            Some(text) => scoring::Weights::from_toml(text, &format!("run {run}'s weights"))?,
            None => scoring::Weights::default(),
        };
        Ok(RunTools {
            screener: Arc::new(crate::crawl_cmd::screener(
                &plan.limits,
                local,
                Arc::new(trust),
                Some(fleet),
            )?),
            weights: Arc::new(weights),
        })
    }

    /// The screener (its fetcher's counters feed the progress bar).
    pub fn screener(&self) -> &Screener {
        &self.screener
    }
}

/// The claims a worker holds, by token, each with the switch that stops
/// its screening when the claim is lost.
type Held = Arc<Mutex<HashMap<String, Option<oneshot::Sender<()>>>>>;

fn lock(held: &Held) -> std::sync::MutexGuard<'_, HashMap<String, Option<oneshot::Sender<()>>>> {
    held.lock().unwrap_or_else(|p| p.into_inner())
}

/// Calls `op` until it succeeds, waiting longer after each database error,
/// or until `give_up` has passed (None: never).
async fn retry<T, F, Fut>(what: &str, give_up: Option<Duration>, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, store::StoreError>>,
{
    let started = tokio::time::Instant::now();
    let mut wait = RETRY_WAIT;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(e) if give_up.is_some_and(|limit| started.elapsed() >= limit) => {
                return Err(anyhow::Error::new(e).context(format!("{what}: gave up")));
            }
            Err(e) => {
                tracing::warn!("{what}: {e}; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY_WAIT);
            }
        }
    }
}

/// Renews the leases of the held claims every third of a lease, and stops
/// the screenings whose claims were taken over.
async fn renew_leases(store: Arc<PgStore>, run: RunId, config: WorkerConfig, held: Held) {
    let every = (config.lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let tokens: Vec<String> = lock(&held).keys().cloned().collect();
        match store
            .renew(run, &config.name, tokens.clone(), config.lease)
            .await
        {
            Ok(kept) => {
                let kept: std::collections::HashSet<String> = kept.into_iter().collect();
                let mut held = lock(&held);
                for token in tokens.iter().filter(|t| !kept.contains(*t)) {
                    if let Some(Some(stop)) = held.get_mut(token).map(Option::take) {
                        tracing::warn!(
                            run,
                            "a claim was taken over after its lease passed: its screening stops"
                        );
                        let _ = stop.send(());
                    }
                }
            }
            Err(e) => tracing::warn!(run, "cannot renew leases: {e}"),
        }
    }
}

/// What became of one claimed supplier.
pub enum Outcome {
    /// Its record was written.
    Written(Box<Record>),
    /// The claim was lost before the record could be written: another
    /// worker screens it.
    Lost,
}

/// Screens one claimed supplier (or records why it will not be screened
/// again) and writes its record under the claim.
async fn screen_claim(
    store: Arc<PgStore>,
    tools: Arc<RunTools>,
    claim: Claim,
    worker: String,
    lease: Duration,
    stop: oneshot::Receiver<()>,
) -> Result<Outcome> {
    let observation = if claim.attempts > MAX_ATTEMPTS {
        failed_observation(
            &claim.seed,
            &format!(
                "not screened: claimed {} times, and each time its worker stopped or lost the database before the end",
                claim.attempts - 1
            ),
        )
    } else {
        let screener = tools.screener.clone();
        let seed: Seed = claim.seed.clone();
        let screening = tokio::spawn(async move { screener.screen(&seed).await });
        let abort = screening.abort_handle();
        tokio::select! {
            done = screening => match done {
                Ok(observation) => observation,
                Err(e) => failed_observation(&claim.seed, &format!("the screening stopped unexpectedly: {e}")),
            },
            _ = stop => {
                abort.abort();
                return Ok(Outcome::Lost);
            }
        }
    };
    let readiness = scoring::score(&observation, &tools.weights);
    let record = Record {
        run_id: claim.run_id,
        observation,
        readiness,
    };
    // While the database is away the lease cannot be renewed either: past
    // two leases another worker has surely taken the supplier over.
    let written = retry("writing a record", Some(lease * 2), || {
        store.complete(&claim, &worker, &record)
    })
    .await;
    match written {
        Ok(true) => Ok(Outcome::Written(Box::new(record))),
        Ok(false) => Ok(Outcome::Lost),
        Err(e) => {
            tracing::warn!("{e:#}");
            Ok(Outcome::Lost)
        }
    }
}

/// Works on one run until it is complete, nothing is left to claim, or
/// Ctrl-C. `on_record` is called with every record this worker writes.
pub async fn work_run(
    store: Arc<PgStore>,
    run: &Run,
    tools: Arc<RunTools>,
    config: &WorkerConfig,
    on_record: &mut dyn FnMut(&Record) -> Result<()>,
) -> Result<RunEnd> {
    let held: Held = Arc::default();
    let renewer = tokio::spawn(renew_leases(
        store.clone(),
        run.id,
        config.clone(),
        held.clone(),
    ));
    let _stop_renewing = AbortOnDrop(renewer.abort_handle());
    let in_flight = config.local.concurrency.max(1);
    let mut waiting: std::collections::VecDeque<Claim> = std::collections::VecDeque::new();
    let mut tasks: JoinSet<(String, Result<Outcome>)> = JoinSet::new();
    let mut drained = false;
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        // Claims are taken `batch` at a time, when the suppliers claimed
        // but not started have run out: one query per batch, not per
        // supplier, and never more than `in_flight + batch` held.
        let holding = waiting.len() + tasks.len();
        if !drained && holding <= in_flight {
            let want = in_flight + config.batch.max(1) - holding;
            let claims = retry("claiming suppliers", None, || {
                store.claim(run.id, &config.name, want, config.lease)
            })
            .await?;
            drained = claims.is_empty();
            let mut held = lock(&held);
            for claim in claims {
                held.insert(claim.token.clone(), None);
                waiting.push_back(claim);
            }
        }
        while tasks.len() < in_flight {
            let Some(claim) = waiting.pop_front() else {
                break;
            };
            let (stop_tx, stop_rx) = oneshot::channel();
            lock(&held).insert(claim.token.clone(), Some(stop_tx));
            let token = claim.token.clone();
            let job = screen_claim(
                store.clone(),
                tools.clone(),
                claim,
                config.name.clone(),
                config.lease,
                stop_rx,
            );
            tasks.spawn(async move { (token, job.await) });
        }
        if tasks.is_empty() && waiting.is_empty() {
            let complete = retry("checking the run", None, || store.finish_if_done(run.id)).await?;
            return Ok(if complete {
                RunEnd::Complete
            } else {
                RunEnd::Idle
            });
        }
        tokio::select! {
            joined = tasks.join_next() => {
                let Some(joined) = joined else { continue };
                let (token, outcome) = joined.context("a screening task failed")?;
                lock(&held).remove(&token);
                if let Outcome::Written(record) = outcome? {
                    on_record(&record)?;
                }
                // A free slot: the queue may have more (or leases passed).
                drained = false;
            }
            _ = &mut ctrl_c => {
                tasks.abort_all();
                let tokens: Vec<String> = lock(&held).keys().cloned().collect();
                if let Err(e) = store.release(run.id, tokens).await {
                    tracing::warn!("cannot return the claims to the queue (their leases will pass): {e}");
                }
                return Ok(RunEnd::Stopped);
            }
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `ecoscout crawl --db postgres://...`: creates a distributed run (or,
/// with `--resume`, joins the newest unfinished one of the same seeds),
/// queues its suppliers and, unless `--enqueue-only`, works on it with
/// this process's resources until it is complete.
pub fn crawl_distributed(
    args: &crate::crawl_cmd::CrawlArgs,
    token: Option<crate::serve::auth::Token>,
    url: &str,
    plan: RunPlan,
    seeds_bytes: Vec<u8>,
    seeds_digest: String,
) -> Result<crate::crawl_cmd::CrawlOutcome> {
    let file = args.seeds.display().to_string();
    let mut suppliers = 0u64;
    for row in SeedReader::new(seeds_bytes.as_slice(), &file)? {
        match row {
            Ok(_) => suppliers += 1,
            Err(problem) => eprintln!("{file}:{}: skipped: {}", problem.line, problem.problem),
        }
    }
    let store = Arc::new(PgStore::open(url)?);
    let fleet = Arc::new(store::PgFleet::connect(url)?);
    let config = crate::work_cmd::worker_config(
        None,
        args.net.local.clone(),
        crate::work_cmd::DEFAULT_BATCH,
        args.lease,
    )?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let (run, end) = runtime.block_on(async {
        let run = match args.resume {
            true => resumable_run(&store, &seeds_digest, &args.db.shown()).await?,
            false => {
                store
                    .begin_distributed_run(
                        Run {
                            id: 0,
                            started_at: chrono::Utc::now(),
                            ended_at: None,
                            status: store::RunStatus::Running,
                            seeds_digest,
                            seeds_path: file.clone(),
                            settings: crate::crawl_cmd::settings(args, &plan.trust_digest),
                            suppliers,
                            screened: 0,
                            with_errors: 0,
                        },
                        &plan,
                    )
                    .await?
            }
        };
        fill_queue(&store, run.id, &seeds_bytes, &file).await?;
        if args.enqueue_only {
            return anyhow::Ok((run, None));
        }
        let plan = store.plan(run.id).await?.context("the run has no plan")?;
        let end = work_until_done(&store, fleet, &run, &plan, &config, args, token).await?;
        anyhow::Ok((run, Some(end)))
    })?;
    drop(runtime);
    let queued = store.queue(run.id)?.unwrap_or_default();
    let total =
        usize::try_from(queued.pending + queued.claimed + queued.done).unwrap_or(usize::MAX);
    let Some(end) = end else {
        eprintln!(
            "run {}: {total} suppliers queued; screen them with `ecoscout work --db {}` on any number of machines",
            run.id,
            args.db.shown()
        );
        return Ok(crate::crawl_cmd::CrawlOutcome {
            run: run.id,
            total,
            status: store::RunStatus::Running,
            summary: crate::summary::Summary::default(),
        });
    };
    if end == RunEnd::Stopped {
        eprintln!(
            "stopped: this process's claims are back in the queue; run {} goes on with `ecoscout work --db {}` (or `ecoscout crawl --resume`)",
            run.id,
            args.db.shown()
        );
    }
    let mut summary = crate::summary::Summary::default();
    if end == RunEnd::Complete {
        store.for_each(
            &store::Filter {
                run: store::RunSelect::Id(run.id),
                ..store::Filter::default()
            },
            &mut |record| {
                summary.add(&record);
                Ok(())
            },
        )?;
    }
    Ok(crate::crawl_cmd::CrawlOutcome {
        run: run.id,
        total,
        status: match end {
            RunEnd::Complete => store::RunStatus::Complete,
            _ => store::RunStatus::Running,
        },
        summary,
    })
}

/// The newest unfinished distributed run of the seeds with `digest`.
async fn resumable_run(store: &PgStore, digest: &str, shown: &str) -> Result<Run> {
    for run in store.runs()?.into_iter().rev() {
        if run.status == store::RunStatus::Complete || store.plan(run.id).await?.is_none() {
            continue;
        }
        if run.seeds_digest != digest {
            anyhow::bail!(
                "--resume: run {} was started from another seeds file (or it has changed since)",
                run.id
            );
        }
        return Ok(run);
    }
    anyhow::bail!("--resume: there is no unfinished distributed run in {shown}")
}

/// Works on `run` (serving the API and writing JSON lines if asked) until
/// it is complete or Ctrl-C; waits while other workers hold its last
/// suppliers.
async fn work_until_done(
    store: &Arc<PgStore>,
    fleet: Arc<store::PgFleet>,
    run: &Run,
    plan: &RunPlan,
    config: &WorkerConfig,
    args: &crate::crawl_cmd::CrawlArgs,
    token: Option<crate::serve::auth::Token>,
) -> Result<RunEnd> {
    use std::io::Write as _;
    let tools = Arc::new(RunTools::new(run.id, plan, &config.local, fleet)?);
    if let Some(addr) = args.serve {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        eprintln!("serving the JSON API on http://{}", listener.local_addr()?);
        let api = crate::serve::router(store.clone(), token);
        tokio::spawn(async move { axum::serve(listener, api).await });
    }
    let mut jsonl: Option<Box<dyn std::io::Write + Send>> = match args.jsonl.as_deref() {
        None => None,
        Some("-") => Some(Box::new(std::io::stdout())),
        Some(path) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?,
        ))),
    };
    let pending = store.queue_counts(run.id).await?;
    let progress = crate::progress::Progress::new(pending.pending + pending.claimed);
    let started = std::time::Instant::now();
    let (mut pages, mut verified) = (0u64, 0u64);
    loop {
        let end = work_run(store.clone(), run, tools.clone(), config, &mut |record| {
            if let Some(out) = jsonl.as_mut() {
                serde_json::to_writer(&mut *out, &record.observation)?;
                writeln!(out)?;
                out.flush()?;
            }
            pages += u64::from(record.observation.pages_fetched);
            verified += record
                .observation
                .certificates
                .iter()
                .filter(|c| c.verdict == eco::Verdict::Verified)
                .count() as u64;
            let requests = tools
                .screener()
                .fetcher()
                .stats()
                .requests
                .load(std::sync::atomic::Ordering::Relaxed);
            progress.supplier_done(
                pages,
                requests as f64 / started.elapsed().as_secs_f64().max(0.001),
                verified,
            );
            Ok(())
        })
        .await?;
        if end != RunEnd::Idle {
            progress.finish();
            return Ok(end);
        }
        tokio::time::sleep(IDLE_POLL).await;
    }
}
