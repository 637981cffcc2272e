//! `ecoscout sim`: serve a simulated supplier web until interrupted.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use sim::{Latency, Profile, SimOptions, SimWorld};

/// Most suppliers a world may have.
const MAX_SUPPLIERS: usize = 100_000;

/// Arguments of `ecoscout sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Number of suppliers.
    #[arg(long, default_value_t = 60)]
    suppliers: usize,
    /// Seed: the same seed gives the same world.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Folder for seeds.csv, trust.toml, truth.jsonl (and requests.jsonl).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Include hostile servers (drip, 50 MB page, gzip bomb, ...).
    #[arg(long)]
    hostile: bool,
    /// Write every request to DIR/requests.jsonl.
    #[arg(long)]
    log_requests: bool,
    /// Serve the world after this many rounds of change (a fifth of the
    /// suppliers change profile per round; names and domains stay).
    #[arg(long, default_value_t = 0)]
    generation: u32,
    /// Leave these profiles out of the world (names as in truth.jsonl, for
    /// example `endpoint_slow`). Repeatable, or comma-separated.
    #[arg(long, value_name = "PROFILE", value_delimiter = ',', value_parser = parse_profile)]
    without: Vec<Profile>,
    /// Render every certificate scan and PDF before serving, instead of on
    /// first request (for benchmarks: the crawl then meets a server that
    /// only sends bytes).
    #[arg(long)]
    prerender_documents: bool,
    /// Delay every answer by a draw from DIST, the same for the same host
    /// and path in the same world: `none`, `fixed:DUR`,
    /// `uniform:min=DUR,max=DUR` or `lognormal:median=DUR,p99=DUR`, with
    /// durations such as `200ms` or `1.5s` (30 s at most).
    #[arg(long, value_name = "DIST", default_value = "none")]
    latency: Latency,
}

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::from_name(name).ok_or_else(|| format!("no profile is named `{name}`"))
}

/// Runs the command.
pub fn run(args: SimArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecoscout sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(args: SimArgs) -> Result<()> {
    if args.suppliers == 0 || args.suppliers > MAX_SUPPLIERS {
        bail!("--suppliers must be between 1 and {MAX_SUPPLIERS}");
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let world = SimWorld::start(SimOptions {
            suppliers: args.suppliers,
            seed: args.seed,
            hostile: args.hostile,
            port: args.port,
            out_dir: Some(args.out.clone()),
            log_requests: args.log_requests,
            generation: args.generation,
            without: args.without.clone(),
            latency: args.latency,
            ..SimOptions::default()
        })
        .await?;
        if args.prerender_documents {
            let n = world.world().prerender_documents();
            println!("rendered {n} certificate documents");
        }
        let addr = world.addr();
        let example = world.world().supplier(0);
        let origin = world.world().spec(&example).origin;
        let host = origin
            .trim_start_matches("http://")
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        println!(
            "serving {} suppliers on http://{addr}/ (seed {})",
            world.world().len(),
            args.seed
        );
        if !args.latency.is_none() {
            println!("latency: {}", args.latency);
        }
        println!("files: {}", args.out.display());
        println!(
            "  seeds.csv  trust.toml  truth.jsonl{}",
            if args.log_requests {
                "  requests.jsonl"
            } else {
                ""
            }
        );
        println!("try:   curl -H 'Host: {host}' http://{addr}/");
        println!(
            "or:    curl --resolve '{host}:{}:127.0.0.1' {origin}/",
            addr.port()
        );
        println!("crawl: --resolve '*.test=127.0.0.1'   (Ctrl-C stops)");
        stop_signal().await?;
        println!("stopped after serving {} requests", world.served());
        Ok(())
    })
}

/// Waits for Ctrl-C, or on Unix for SIGTERM too (scripts stop it that way).
async fn stop_signal() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot wait for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot wait for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")
    }
}
