//! `ecoscout demo`: the whole product on a built-in simulated web, with
//! nothing to prepare.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Args, Parser as _};
use store::{Filter, Record, Store as _};

/// Arguments of `ecoscout demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Suppliers in the simulated world.
    #[arg(long, default_value_t = 60)]
    suppliers: usize,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Folder for the demo's database, world and outputs (default: a new
    /// `ecoscout-demo-<time>` folder here).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> ExitCode {
    match inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of standard output went away (`| head`): not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ecoscout demo: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn inner(args: DemoArgs) -> Result<()> {
    if args.suppliers == 0 || args.suppliers > 100_000 {
        anyhow::bail!("--suppliers must be between 1 and 100000");
    }
    let folder = match args.db {
        Some(p) => p,
        None => PathBuf::from(format!(
            "ecoscout-demo-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        )),
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let world_dir = folder.join("world");
    let db = folder.join("db");
    let started = std::time::Instant::now();
    println!(
        "ecoscout demo: a simulated web of {} RCEP exporters, screened as a buyer would",
        args.suppliers
    );
    // The world runs on its own runtime while the crawl runs on another.
    let sim_runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let world = sim_runtime.block_on(sim::SimWorld::start(sim::SimOptions {
        suppliers: args.suppliers,
        seed: args.seed,
        out_dir: Some(world_dir.clone()),
        ..sim::SimOptions::default()
    }))?;
    println!(
        "  world:    {} suppliers on http://{} (files in {})",
        world.world().len(),
        world.addr(),
        world_dir.display()
    );
    println!("  database: {}", db.display());
    println!(
        "  crawling politely (2 requests per host at a time, robots.txt obeyed, private addresses refused)..."
    );
    let path = |p: &std::path::Path| p.display().to_string();
    let argv = [
        "ecoscout".to_owned(),
        "crawl".into(),
        "--seeds".into(),
        path(&world_dir.join("seeds.csv")),
        "--trust".into(),
        path(&world_dir.join("trust.toml")),
        "--db".into(),
        path(&db),
        "--resolve".into(),
        "*.test=127.0.0.1".into(),
        "--delay".into(),
        "0".into(),
        "--timeout".into(),
        "5s".into(),
    ];
    let crate::Cli {
        command: crate::Command::Crawl(crawl_args),
        ..
    } = crate::Cli::try_parse_from(argv)?
    else {
        anyhow::bail!("internal: the demo's crawl arguments did not parse as a crawl");
    };
    let outcome = crate::crawl_cmd::execute(*crawl_args)?;
    drop(world);
    drop(sim_runtime);

    let store = store::SledStore::open(&db)?;
    let mut records: Vec<Record> = Vec::new();
    store.for_each(&Filter::default(), &mut |r| {
        records.push(r);
        Ok(())
    })?;
    records.sort_by(|a, b| {
        a.readiness
            .rank(&b.readiness)
            .then(a.observation.domain.cmp(&b.observation.domain))
    });
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nshortlist (run {}, {} suppliers screened in {:.0} s)\n",
        outcome.run,
        records.len(),
        started.elapsed().as_secs_f64()
    )?;
    writeln!(
        out,
        "{:>4}  {:<44} {:<3} {:>5}  {:<4} {:<4} reason",
        "rank", "supplier", "cc", "score", "tier", "flag"
    )?;
    for (i, r) in records.iter().enumerate() {
        let name = if r.observation.name.is_empty() {
            r.observation.domain.clone()
        } else {
            r.observation.name.clone()
        };
        let name: String = name.chars().take(44).collect();
        let reason: String = r.readiness.headline().chars().take(110).collect();
        writeln!(
            out,
            "{:>4}  {:<44} {:<3} {:>5}  {:<4} {:<4} {}",
            i + 1,
            name,
            r.observation.country,
            r.readiness.score,
            r.readiness.tier.as_str(),
            if r.readiness.red_flags.is_empty() {
                ""
            } else {
                "RED"
            },
            reason
        )?;
    }
    let csv_path = folder.join("demo-suppliers.csv");
    let mut csv = Vec::new();
    store::export::write_csv(&store, &Filter::default(), &mut csv, false)?;
    crate::store_cmds::write_atomically(&csv_path, &csv)?;
    let rows = store::report::adoption(
        &store,
        store::report::Group::Country,
        store::report::Runs::All,
    )?;
    let html = store::html::report(
        &rows,
        "country",
        &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let html_path = folder.join("demo-report.html");
    crate::store_cmds::write_atomically(&html_path, html.as_bytes())?;
    let tiers = |t: scoring::Tier| records.iter().filter(|r| r.readiness.tier == t).count();
    writeln!(
        out,
        "\ntiers: A {}, B {}, C {}, D {}, R {} (red flags)",
        tiers(scoring::Tier::A),
        tiers(scoring::Tier::B),
        tiers(scoring::Tier::C),
        tiers(scoring::Tier::D),
        tiers(scoring::Tier::R)
    )?;
    writeln!(
        out,
        "wrote {} and {}",
        csv_path.display(),
        html_path.display()
    )?;
    let example = records
        .iter()
        .find(|r| !r.readiness.red_flags.is_empty())
        .or_else(|| records.first())
        .map(|r| r.observation.domain.clone())
        .unwrap_or_default();
    let db = db.display();
    writeln!(out, "\nnext:")?;
    writeln!(
        out,
        "  ecoscout show {example} --db {db}          # one supplier's evidence"
    )?;
    writeln!(
        out,
        "  ecoscout export --db {db} --tier A,B -o shortlist.csv --excel"
    )?;
    writeln!(
        out,
        "  ecoscout report --db {db} --format html -o report.html"
    )?;
    writeln!(out, "  ecoscout runs --db {db}")?;
    writeln!(
        out,
        "  ecoscout serve --db {db}                  # the JSON API on 127.0.0.1:8080"
    )?;
    Ok(())
}
