//! `ecoscout work`: join the unfinished distributed runs of a PostgreSQL
//! database and work on them until none is left.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use store::{PgFleet, PgStore};

use crate::crawl_cmd::{DbArgs, LocalNetArgs, parse_duration};
use crate::fleet::{RunEnd, RunTools, WorkerConfig, default_worker_name, work_run};

/// Default suppliers claimed per query.
pub const DEFAULT_BATCH: usize = 16;
/// Wait between looks for new runs with `--wait`.
pub const NEW_RUN_POLL: Duration = Duration::from_secs(5);

/// Arguments of `ecoscout work`.
#[derive(Debug, Args)]
pub struct WorkArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The name `runs` shows for this worker (default: host name and
    /// process id).
    #[arg(long)]
    name: Option<String>,
    /// Suppliers claimed per query.
    #[arg(long, default_value_t = DEFAULT_BATCH)]
    batch: usize,
    /// How long a claim holds without renewal (`60s`); a worker that dies
    /// returns its suppliers to the queue after this.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    lease: Duration,
    /// Keep waiting for new runs when none is left, instead of exiting.
    #[arg(long)]
    wait: bool,
    #[command(flatten)]
    local: LocalNetArgs,
}

/// `ecoscout work`.
pub fn run(args: WorkArgs) -> ExitCode {
    match execute(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecoscout work: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Checks a worker's settings.
pub fn worker_config(
    name: Option<String>,
    local: LocalNetArgs,
    batch: usize,
    lease: Duration,
) -> Result<WorkerConfig> {
    if batch == 0 {
        bail!("--batch must be at least 1");
    }
    if lease < Duration::from_secs(1) {
        bail!("--lease must be at least 1s");
    }
    Ok(WorkerConfig {
        name: name.unwrap_or_else(default_worker_name),
        local,
        batch,
        lease,
    })
}

/// Opens the PostgreSQL store `--db` names, and the fleet's shared limits
/// and answers in it; `work` has nothing to do on sled.
pub fn open_pg(db: &DbArgs) -> Result<(Arc<PgStore>, Arc<PgFleet>)> {
    match store::Location::parse(&db.db)? {
        store::Location::Postgres(url) => Ok((
            Arc::new(PgStore::open(&url)?),
            Arc::new(PgFleet::connect(&url)?),
        )),
        store::Location::Sled(_) => bail!(
            "--db {}: workers share a PostgreSQL database (postgres://...); a sled database is crawled by one `ecoscout crawl`",
            db.shown()
        ),
    }
}

fn execute(args: WorkArgs) -> Result<()> {
    let (store, fleet) = open_pg(&args.db)?;
    let config = worker_config(args.name, args.local, args.batch, args.lease)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        eprintln!("worker {} on {}", config.name, args.db.shown());
        // One screener per run, kept while the worker waits on the run, so
        // that its caches and per-host state outlive an idle turn.
        let mut tools_of: HashMap<store::RunId, Arc<RunTools>> = HashMap::new();
        loop {
            let runs = store.open_runs().await?;
            if runs.is_empty() {
                if !args.wait {
                    eprintln!("no unfinished run left");
                    return Ok(());
                }
                tokio::time::sleep(NEW_RUN_POLL).await;
                continue;
            }
            let mut idle = true;
            for run in runs {
                let Some(plan) = store.plan(run.id).await? else {
                    continue;
                };
                let tools = match tools_of.get(&run.id) {
                    Some(tools) => tools.clone(),
                    None => {
                        let tools = Arc::new(RunTools::new(run.id, &plan, &config.local, fleet.clone())?);
                        tools_of.insert(run.id, tools.clone());
                        tools
                    }
                };
                let mut written = 0u64;
                let end = work_run(store.clone(), &run, tools, &config, &mut |_| {
                    written += 1;
                    Ok(())
                })
                .await?;
                tracing::info!(run = run.id, written, ?end, "worked on a run");
                match end {
                    RunEnd::Stopped => {
                        eprintln!(
                            "stopped: this worker's claims are back in the queue; run {} goes on with the other workers",
                            run.id
                        );
                        return Ok(());
                    }
                    RunEnd::Complete => {
                        tools_of.remove(&run.id);
                        eprintln!("run {} is complete ({written} suppliers screened here)", run.id);
                        idle = false;
                    }
                    RunEnd::Idle => idle &= written == 0,
                }
            }
            if idle {
                // Other workers hold the rest: look again when their
                // leases may have passed.
                tokio::time::sleep(crate::fleet::IDLE_POLL).await;
            }
        }
    })
}
