//! `ecoscout crawl`: screen the suppliers of a seeds file.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use crawler::crawl::crawl;
use crawler::fetch::default_user_agent;
use crawler::polite::{
    DEFAULT_CONCURRENCY, DEFAULT_PER_HOST_CONCURRENCY, PoliteFetcher, Politeness,
};
use crawler::screen::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_DOCUMENTS, DEFAULT_MAX_PAGES, ScreenConfig, Screener,
};
use crawler::seeds::{Seed, SeedReader};
use crawler::{FetchPolicy, HttpFetcher, ResolveRule};
use eco::TrustList;
use sha2::Digest as _;

/// Arguments of `ecoscout crawl`.
#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Seeds CSV: a header with `website`, optionally `name`, `country`, `region`.
    #[arg(long, value_name = "FILE")]
    pub(crate) seeds: PathBuf,
    /// The buyer's trust list (TOML).
    #[arg(long, value_name = "FILE")]
    pub(crate) trust: PathBuf,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Continue the newest interrupted run instead of starting a new one
    /// (on PostgreSQL: join the newest unfinished run of these seeds).
    #[arg(long)]
    pub(crate) resume: bool,
    /// On PostgreSQL: create the run and queue its suppliers, then exit,
    /// leaving the screening to `ecoscout work` processes.
    #[arg(long)]
    pub(crate) enqueue_only: bool,
    /// On PostgreSQL: how long this process's claims hold without renewal
    /// (`60s`); if it dies, its suppliers return to the queue after this.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub(crate) lease: Duration,
    /// Readiness weights (TOML); defaults when absent.
    #[arg(long, value_name = "FILE")]
    pub(crate) weights: Option<PathBuf>,
    /// Also write each observation as a JSON line to this file (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub(crate) jsonl: Option<String>,
    /// Serve the JSON API (as `ecoscout serve`) from this process while it
    /// crawls, at this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) serve: Option<std::net::SocketAddr>,
    /// With --serve: a file holding the API's bearer token (required
    /// unless --serve is a loopback address).
    #[arg(long, value_name = "FILE", requires = "serve")]
    pub(crate) token_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) net: NetArgs,
}

/// Where the database is.
#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// The database: a sled folder, or a PostgreSQL URL
    /// (`postgres://user@host/db` or `postgresql://...`).
    #[arg(
        long,
        value_name = "PATH|URL",
        env = "ECOSCOUT_DB",
        hide_env_values = true,
        default_value = "ecoscout.db"
    )]
    pub db: String,
}

impl DbArgs {
    /// Opens the store `--db` names.
    pub fn open(&self) -> Result<Box<dyn store::Store + Send + Sync>> {
        Ok(store::open(&self.db)?)
    }

    /// `--db` as it may be shown: a URL's password hidden.
    pub fn shown(&self) -> String {
        store::redact(&self.db)
    }
}

/// Network and politeness flags of `crawl`: the run's limits, and this
/// process's own resources.
#[derive(Debug, Args, Clone)]
pub struct NetArgs {
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub local: LocalNetArgs,
}

/// The limits and politeness of a run. A distributed run stores them, and
/// every worker applies the same.
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Requests in flight to one host.
    #[arg(long, default_value_t = DEFAULT_PER_HOST_CONCURRENCY)]
    pub per_host_concurrency: usize,
    /// Minimum time between requests to one host (`1s`, `250ms`, `0`); a
    /// larger robots.txt Crawl-delay wins.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub delay: Duration,
    /// Time one request may take (`15s`).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Largest response body, after decompression (`5MiB`, `512KiB`, bytes).
    #[arg(long, default_value = "5MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Pages fetched per site at most.
    #[arg(long, default_value_t = DEFAULT_MAX_PAGES)]
    pub max_pages: u32,
    /// Link depth from the start page at most.
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: u32,
    /// Certificate documents (scans, PDFs) fetched and read per site at
    /// most, on any host; 0 reads none.
    #[arg(long, default_value_t = DEFAULT_MAX_DOCUMENTS)]
    pub max_documents: usize,
    /// Wall-clock time one site may take (`180s`).
    #[arg(long, default_value = "180s", value_parser = parse_duration)]
    pub site_budget: Duration,
    /// The User-Agent header.
    #[arg(long, default_value_t = default_user_agent())]
    pub user_agent: String,
}

impl LimitArgs {
    /// The limits as a run stores them.
    pub fn crawl_limits(&self) -> store::CrawlLimits {
        store::CrawlLimits {
            per_host_concurrency: self.per_host_concurrency,
            delay_ms: u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            max_body: self.max_body,
            max_pages: self.max_pages,
            max_depth: self.max_depth,
            max_documents: self.max_documents,
            site_budget_ms: u64::try_from(self.site_budget.as_millis()).unwrap_or(u64::MAX),
            user_agent: self.user_agent.clone(),
        }
    }
}

/// What one process brings to a crawl: its share of requests in flight and
/// how it resolves names. A worker of a distributed run sets only these.
#[derive(Debug, Args, Clone)]
pub struct LocalNetArgs {
    /// Requests in flight across all hosts (and sites screened at once).
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Map a host name (or `*.suffix`) to an address. Repeatable.
    #[arg(long, value_name = "PATTERN=IP")]
    pub resolve: Vec<ResolveRule>,
    /// Allow requests to loopback and private addresses.
    #[arg(long)]
    pub allow_private: bool,
    /// The DNS server (IP:PORT) every name is resolved through, issuers'
    /// identity records (TradeTrust DNS-TXT) included; by default the
    /// system's.
    #[arg(long, value_name = "IP:PORT")]
    pub dns_server: Option<std::net::SocketAddr>,
    /// A host name, or `*.suffix`, whose DNS answers may be private
    /// addresses (a test world on loopback); IP literals and other names
    /// stay guarded. Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub private_names: Vec<crawler::HostPattern>,
}

/// The screener of a run with `limits`, on this process's `local`
/// resources, verifying against `trust`. With a `fleet` (the workers of a
/// distributed run), the authorities' rates and in-flight limits and their
/// answers are shared through PostgreSQL; without, they hold per process.
pub fn screener(
    limits: &store::CrawlLimits,
    local: &LocalNetArgs,
    trust: Arc<TrustList>,
    fleet: Option<Arc<store::PgFleet>>,
) -> Result<Screener> {
    if local.concurrency == 0 || limits.per_host_concurrency == 0 {
        bail!("--concurrency and --per-host-concurrency must be at least 1");
    }
    let http = HttpFetcher::new(FetchPolicy {
        user_agent: limits.user_agent.clone(),
        timeout: Duration::from_millis(limits.timeout_ms),
        max_body_bytes: limits.max_body,
        resolve: local.resolve.clone(),
        allow_private: local.allow_private,
        dns_server: local.dns_server,
        private_names: local.private_names.clone(),
    })?;
    let agent = limits
        .user_agent
        .split('/')
        .next()
        .unwrap_or("ecoscout")
        .trim()
        .to_owned();
    let mut fetcher = PoliteFetcher::new(
        http,
        Politeness {
            concurrency: local.concurrency,
            per_host_concurrency: limits.per_host_concurrency,
            delay: Duration::from_millis(limits.delay_ms),
            robots_agent: agent,
            ..Politeness::default()
        },
    );
    if let Some(fleet) = fleet {
        // The fleet's answers behind this process's own, so that the
        // askers of one process ask the database once per URL.
        fetcher = fetcher
            .with_authority_gate(fleet.clone())
            .with_answer_cache(Arc::new(crawler::answer_cache::TieredAnswerCache::new(
                fleet,
            )));
    }
    Ok(Screener::new(
        fetcher,
        trust,
        ScreenConfig {
            max_pages: limits.max_pages,
            max_depth: limits.max_depth,
            site_budget: Duration::from_millis(limits.site_budget_ms),
            max_documents: limits.max_documents,
        },
    ))
}

/// Parses `1s`, `250ms`, `2m`, `1.5` (seconds) or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 1s or 250ms"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses `5MiB`, `512KiB`, `1GiB` or a number of bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 5MiB"))?;
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kib" | "kb" | "k" => 1024.0,
        "mib" | "mb" | "m" => 1024.0 * 1024.0,
        "gib" | "gb" | "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (KiB, MiB, GiB)")),
    };
    let bytes = value * factor;
    if !(1.0..=4.0 * 1024.0 * 1024.0 * 1024.0).contains(&bytes) {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(bytes as usize)
}

/// Runs the command.
pub fn run(args: CrawlArgs) -> ExitCode {
    match execute(args) {
        Ok(outcome) if outcome.status == store::RunStatus::Running => {
            // A distributed run left to its workers (--enqueue-only, Ctrl-C).
            ExitCode::SUCCESS
        }
        Ok(outcome) => {
            if !crate::QUIET.load(std::sync::atomic::Ordering::Relaxed) {
                outcome
                    .summary
                    .print(outcome.run, outcome.total, outcome.status);
            }
            if outcome.status == store::RunStatus::Interrupted {
                eprintln!(
                    "interrupted: finished suppliers are stored; continue with `ecoscout crawl --resume` and the same --seeds"
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ecoscout crawl: {e:#}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn settings(args: &CrawlArgs, trust_digest: &str) -> Vec<String> {
    let (n, local) = (&args.net.limits, &args.net.local);
    vec![
        format!("concurrency={}", local.concurrency),
        format!("per_host_concurrency={}", n.per_host_concurrency),
        format!("delay_ms={}", n.delay.as_millis()),
        format!("timeout_ms={}", n.timeout.as_millis()),
        format!("max_body={}", n.max_body),
        format!("max_pages={}", n.max_pages),
        format!("max_depth={}", n.max_depth),
        format!("max_documents={}", n.max_documents),
        format!("site_budget_ms={}", n.site_budget.as_millis()),
        format!("user_agent={}", n.user_agent),
        format!("trust={}", args.trust.display()),
        format!("trust_sha256={trust_digest}"),
    ]
}

/// What a crawl did.
pub struct CrawlOutcome {
    /// The run.
    pub run: u64,
    /// Suppliers it had to screen.
    pub total: usize,
    /// How it ended.
    pub status: store::RunStatus,
    /// Counts for the summary.
    pub summary: crate::summary::Summary,
}

/// Crawls into the store; the caller reports.
pub fn execute(args: CrawlArgs) -> Result<CrawlOutcome> {
    let token =
        crate::serve::auth::load_token(args.token_file.as_deref()).map_err(anyhow::Error::msg)?;
    if let Some(addr) = args.serve {
        crate::serve::auth::require_token_beyond_loopback(addr, token.as_ref())
            .map_err(anyhow::Error::msg)?;
    }
    let trust = Arc::new(TrustList::load(&args.trust)?);
    // Read again as text (TrustList::load has checked its size): a
    // distributed run stores it, and every run records its digest.
    let trust_text = std::fs::read_to_string(&args.trust)
        .with_context(|| format!("cannot read {}", args.trust.display()))?;
    let trust_digest = hex::encode(sha2::Sha256::digest(trust_text.as_bytes()));
    let weights = match &args.weights {
        Some(path) => scoring::Weights::load(path)?,
        None => scoring::Weights::default(),
    };
    let seeds_bytes = std::fs::read(&args.seeds)
        .with_context(|| format!("cannot read {}", args.seeds.display()))?;
    let digest = hex::encode(sha2::Sha256::digest(&seeds_bytes));
    let file = args.seeds.display().to_string();
    if let store::Location::Postgres(url) = store::Location::parse(&args.db.db)? {
        let weights_text = match &args.weights {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            ),
            None => None,
        };
        let plan = store::RunPlan {
            trust_list: trust_text,
            trust_digest,
            weights: weights_text,
            limits: args.net.limits.crawl_limits(),
        };
        return crate::fleet::crawl_distributed(&args, token, &url, plan, seeds_bytes, digest);
    }
    if args.enqueue_only {
        bail!(
            "--enqueue-only queues a run for `ecoscout work` processes, which share a PostgreSQL database: give --db postgres://..."
        );
    }
    // Seeds are read twice from the file's bytes, never held parsed: once
    // here to count them and report bad rows (a bad header stops us before
    // the database is touched), then one at a time by the crawl.
    let rows = SeedReader::new(seeds_bytes.as_slice(), &file)?;
    let db: Arc<dyn store::Store + Send + Sync> = Arc::from(args.db.open()?);
    let previous = if args.resume {
        let Some(previous) = db
            .runs()?
            .into_iter()
            .rev()
            .find(|r| r.status != store::RunStatus::Complete)
        else {
            bail!(
                "--resume: there is no interrupted run in {}",
                args.db.shown()
            );
        };
        if previous.seeds_digest != digest {
            bail!(
                "--resume: run {} was started from another seeds file (or {} has changed since)",
                previous.id,
                args.seeds.display()
            );
        }
        Some(previous)
    } else {
        None
    };
    let done = match &previous {
        Some(previous) => db.screened_domains(previous.id)?,
        None => HashSet::new(),
    };
    let is_done = move |seed: &Seed| {
        !done.is_empty()
            && done.contains(&crawler::urlnorm::site_of(&seed.website).unwrap_or_default())
    };
    let (mut suppliers, mut total) = (0u64, 0usize);
    for row in rows {
        match row {
            Ok(seed) => {
                suppliers += 1;
                total += usize::from(!is_done(&seed));
            }
            Err(problem) => eprintln!("{file}:{}: skipped: {}", problem.line, problem.problem),
        }
    }
    let run = match previous {
        Some(previous) => {
            let run = db.reopen_run(previous.id)?;
            eprintln!(
                "resuming run {}: {} suppliers done, {total} to go",
                run.id,
                suppliers as usize - total,
            );
            run
        }
        None => db.begin_run(store::Run {
            id: 0,
            started_at: chrono::Utc::now(),
            ended_at: None,
            status: store::RunStatus::Running,
            seeds_digest: digest,
            seeds_path: file.clone(),
            settings: settings(&args, &trust_digest),
            suppliers,
            screened: 0,
            with_errors: 0,
        })?,
    };
    let todo = SeedReader::new(std::io::Cursor::new(seeds_bytes), &file)?
        .filter_map(Result::ok)
        .filter(move |s| !is_done(s));
    let mut jsonl: Option<Box<dyn std::io::Write>> = match args.jsonl.as_deref() {
        None => None,
        Some("-") => Some(Box::new(std::io::stdout().lock())),
        Some(path) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?,
        ))),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let mut summary = crate::summary::Summary::default();
    let interrupted = runtime.block_on(async {
        let screener = Arc::new(screener(
            &args.net.limits.crawl_limits(),
            &args.net.local,
            trust,
            None,
        )?);
        if let Some(addr) = args.serve {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
            eprintln!("serving the JSON API on http://{}", listener.local_addr()?);
            let api = crate::serve::router(db.clone(), token.clone());
            tokio::spawn(async move { axum::serve(listener, api).await });
        }
        let progress = crate::progress::Progress::new(total as u64);
        let started = std::time::Instant::now();
        let (mut pages, mut verified) = (0u64, 0u64);
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(crawl(screener.clone(), todo, args.net.local.concurrency, tx));
        let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            tokio::select! {
                observation = rx.recv() => {
                    let Some(observation) = observation else { break };
                    let readiness = scoring::score(&observation, &weights);
                    let record = store::Record { run_id: run.id, observation, readiness };
                    db.record(&record)?;
                    db.flush()?;
                    if let Some(out) = jsonl.as_mut() {
                        serde_json::to_writer(&mut *out, &record.observation)?;
                        writeln!(out)?;
                        out.flush()?;
                    }
                    summary.add(&record);
                    pages += u64::from(record.observation.pages_fetched);
                    verified += record.observation.certificates.iter().filter(|c| c.verdict == eco::Verdict::Verified).count() as u64;
                    let requests = screener.fetcher().stats().requests.load(std::sync::atomic::Ordering::Relaxed);
                    progress.supplier_done(pages, requests as f64 / started.elapsed().as_secs_f64().max(0.001), verified);
                }
                _ = &mut ctrl_c => {
                    task.abort();
                    return anyhow::Ok(true);
                }
            }
        }
        task.await.context("the crawl stopped unexpectedly")?;
        progress.finish();
        anyhow::Ok(false)
    })?;
    let status = if interrupted {
        store::RunStatus::Interrupted
    } else {
        store::RunStatus::Complete
    };
    db.finish_run(run.id, status)?;
    Ok(CrawlOutcome {
        run: run.id,
        total,
        status,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("fast").is_err());
        assert_eq!(parse_size("5MiB"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("5XB").is_err());
    }
}
