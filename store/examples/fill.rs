//! Fills a database with N suppliers for benchmarks, by copying the records
//! of a crawled database under new domain names.
//!
//! `cargo run --release -p store --example fill -- FROM_DB TO_DB COUNT`
//! (either database a sled folder or a `postgres://` URL).

#![allow(clippy::print_stdout)]

use store::{Filter, Record, Run, RunStatus};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, from, to, count] = args.as_slice() else {
        return Err("usage: fill FROM_DB TO_DB COUNT".into());
    };
    let count: u64 = count.parse()?;
    let source = store::open(from)?;
    let mut templates: Vec<Record> = Vec::new();
    source.for_each(&Filter::default(), &mut |r| {
        templates.push(r);
        Ok(())
    })?;
    if templates.is_empty() {
        return Err("the source database has no records".into());
    }
    drop(source);
    let target = store::open(to)?;
    let run = target.begin_run(Run {
        id: 0,
        started_at: chrono::Utc::now(),
        ended_at: None,
        status: RunStatus::Running,
        seeds_digest: "synthetic".into(),
        seeds_path: "synthetic".into(),
        settings: Vec::new(),
        suppliers: count,
        screened: 0,
        with_errors: 0,
    })?;
    for i in 0..count {
        let mut r = templates[(i as usize) % templates.len()].clone();
        r.run_id = run.id;
        r.observation.domain = format!("s{i:07}-{}", r.observation.domain);
        target.record(&r)?;
    }
    target.finish_run(run.id, RunStatus::Complete)?;
    println!(
        "{count} suppliers in {to} ({} bytes on disk)",
        target.size_on_disk()?
    );
    Ok(())
}
