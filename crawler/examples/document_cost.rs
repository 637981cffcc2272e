//! Times the reading of certificate documents, one directory of them,
//! grouped by format and by whether QR codes were found: where the
//! document work of a crawl goes.
//!
//! ```sh
//! cargo run --release -p crawler --example document_cost -- DIR [--check]
//! ```
//!
//! Every file of `DIR` is read with `crawler::document::read_document` (or
//! only checked with `check_document` under `--check`), single-threaded.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crawler::document::{check_document, read_document};

/// Documents read and time spent, for one group.
#[derive(Default)]
struct Tally {
    documents: usize,
    time: Duration,
    slowest: Duration,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        println!("usage: document_cost DIR [--check]");
        return ExitCode::FAILURE;
    };
    let check_only = args.any(|a| a == "--check");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("cannot read {}", dir.display());
        return ExitCode::FAILURE;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    for path in &paths {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let start = Instant::now();
        let outcome = if check_only {
            check_document(&bytes)
        } else {
            read_document(&bytes)
        };
        let spent = start.elapsed();
        let group = match outcome {
            Err(_) => "error".to_owned(),
            Ok(content) => format!(
                "{} {}",
                content.format.map_or("?", |f| f.as_str()),
                if content.qr_codes.is_empty() {
                    "no QR"
                } else {
                    "QR"
                }
            ),
        };
        for key in [group, "all".to_owned()] {
            let tally = groups.entry(key).or_default();
            tally.documents += 1;
            tally.time += spent;
            tally.slowest = tally.slowest.max(spent);
        }
    }
    println!("| group | documents | total s | ms each | slowest ms |");
    println!("|---|---:|---:|---:|---:|");
    for (group, tally) in &groups {
        let each = tally.time.as_secs_f64() * 1000.0 / tally.documents.max(1) as f64;
        println!(
            "| {group} | {} | {:.2} | {each:.2} | {:.1} |",
            tally.documents,
            tally.time.as_secs_f64(),
            tally.slowest.as_secs_f64() * 1000.0
        );
    }
    ExitCode::SUCCESS
}
