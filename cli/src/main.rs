//! `ecoscout`: screens supplier websites for e-CO readiness.
//!
//! The binary only parses arguments, calls the libraries and prints; the
//! logic lives in the `eco`, `crawler`, `scoring`, `store` and `sim` crates.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod config;
mod crawl_cmd;
mod demo;
mod fleet;
mod progress;
mod serve;
mod sim_cmd;
mod store_cmds;
mod summary;
mod verify;
mod work_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Screens supplier websites for e-CO readiness.
#[derive(Debug, Parser)]
#[command(
    name = "ecoscout",
    version,
    about,
    propagate_version = true,
    args_override_self = true
)]
pub(crate) struct Cli {
    /// More log output on stderr (-v: info, -vv: debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// No progress bar and no summary.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Settings from a TOML file, with the flags' names (flags win).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole product on a built-in simulated web: crawl, score, shortlist.
    Demo(demo::DemoArgs),
    /// Verify one e-CO credential independently against a trust list.
    Verify(verify::VerifyArgs),
    /// Screen the suppliers of a seeds file.
    Crawl(Box<crawl_cmd::CrawlArgs>),
    /// Work on the unfinished distributed runs of a PostgreSQL database.
    Work(work_cmd::WorkArgs),
    /// Export stored suppliers as CSV or JSON Lines.
    Export(store_cmds::ExportArgs),
    /// Show one supplier's readiness and evidence.
    Show(store_cmds::ShowArgs),
    /// List the runs.
    Runs(store_cmds::RunsArgs),
    /// Adoption figures per country or region, run by run.
    Report(store_cmds::ReportArgs),
    /// Re-score stored observations (for example with other weights).
    Score(store_cmds::ScoreArgs),
    /// Serve the store as a read-only JSON API.
    Serve(serve::ServeArgs),
    /// Serve a simulated supplier web (for trying ecoscout and for tests).
    Sim(sim_cmd::SimArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// jemalloc rather than the system allocator: a crawl of thousands of
/// sites at once allocates and frees page bodies and parse trees on many
/// threads, and the system allocator's arenas keep more of that memory
/// (see BENCHMARKS.md, "A fleet at scale").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Set by `-q`: no progress bar and no summary.
pub(crate) static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn main() -> ExitCode {
    let argv = match config::expand(std::env::args().collect()) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("ecoscout: {e:#}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(argv);
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let default_level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Verify(args) => verify::run(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "ecoscout", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Demo(args) => demo::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Sim(args) => sim_cmd::run(args),
        Command::Crawl(args) => crawl_cmd::run(*args),
        Command::Work(args) => work_cmd::run(args),
        Command::Export(args) => store_cmds::export(args),
        Command::Show(args) => store_cmds::show(args),
        Command::Runs(args) => store_cmds::runs(args),
        Command::Score(args) => store_cmds::score(args),
        Command::Report(args) => store_cmds::report(args),
    }
}

#[cfg(test)]
mod deploy_tests;
