//! The fleet measured on the simulated web: the authorities' requests per
//! host, counted from the sim's request log, for one worker and for two
//! workers sharing one PostgreSQL gate and cache (each screening half of
//! the suppliers, as the one holding their claims would). Two workers
//! must ask the authorities what one does. Ignored under plain `cargo
//! test` (`scripts/test` runs it with `ECOSCOUT_TEST_PG` set).

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crawler::crawl::crawl;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::screen::{ScreenConfig, Screener};
use crawler::seeds::read_seeds;
use eco::TrustList;
use sim::{SimOptions, SimWorld};
use store::PgFleet;
use url::Url;

const SUPPLIERS: usize = 60;
const SEED: u64 = 3;

/// How the workers share the authorities' politeness.
#[derive(Clone, Copy)]
enum Sharing {
    /// One PostgreSQL gate and cache, in a database of their own.
    Pg,
    /// Each worker its own in-process gate and cache.
    Local,
}

/// Runs SQL on the test server, from a runtime of its own.
fn admin(server: &str, sql: &str) {
    let (server, sql) = (server.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {server}: {e}"));
            let task = tokio::spawn(connection);
            client.batch_execute(&sql).await.unwrap();
            drop(client);
            let _ = task.await;
        });
    })
    .join()
    .unwrap();
}

/// A database of the test's own on the test server, dropped with it.
struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    fn new() -> TestDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var("ECOSCOUT_TEST_PG")
            .expect("ECOSCOUT_TEST_PG is not set: this test needs PostgreSQL; run scripts/test");
        let name = format!(
            "ecoscout_fleet_sim_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        admin(&server, &format!("CREATE DATABASE {name}"));
        let mut url = Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        TestDatabase {
            server,
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        admin(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Crawls a new world of [`SUPPLIERS`] with `workers` fetchers, the
/// suppliers dealt round robin; returns the authorities' requests per host.
async fn authority_requests(workers: usize, sharing: Sharing) -> BTreeMap<String, usize> {
    let dir = tempfile::tempdir().unwrap();
    let world = SimWorld::start(SimOptions {
        suppliers: SUPPLIERS,
        seed: SEED,
        out_dir: Some(dir.path().into()),
        log_requests: true,
        slow_answer: Duration::from_millis(500),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let trust = Arc::new(TrustList::load(&dir.path().join("trust.toml")).unwrap());
    let seeds = read_seeds(&dir.path().join("seeds.csv")).unwrap().seeds;
    let database = matches!(sharing, Sharing::Pg).then(TestDatabase::new);
    let mut tasks = Vec::new();
    let mut receivers = Vec::new();
    for worker in 0..workers {
        let mut fetcher = PoliteFetcher::new(
            common::loopback_fetcher(Duration::from_secs(3)),
            Politeness {
                concurrency: 64,
                per_host_concurrency: 2,
                delay: Duration::ZERO,
                ..Politeness::default()
            },
        );
        if let Some(database) = &database {
            let fleet = Arc::new(PgFleet::connect(&database.url).unwrap());
            fetcher = fetcher
                .with_authority_gate(fleet.clone())
                .with_answer_cache(fleet);
        }
        let screener = Arc::new(Screener::new(
            fetcher,
            trust.clone(),
            ScreenConfig {
                max_pages: 30,
                max_depth: 4,
                site_budget: Duration::from_secs(40),
                ..ScreenConfig::default()
            },
        ));
        let mine: Vec<_> = seeds
            .iter()
            .enumerate()
            .filter(|(i, _)| i % workers == worker)
            .map(|(_, s)| s.clone())
            .collect();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tasks.push(tokio::spawn(crawl(screener, mine, 24, tx)));
        receivers.push(rx);
    }
    let mut screened = 0;
    for mut rx in receivers {
        while rx.recv().await.is_some() {
            screened += 1;
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(screened, SUPPLIERS);
    let hosts: BTreeSet<String> = trust
        .authority_hosts()
        .keys()
        .map(|o| Url::parse(o).unwrap().host_str().unwrap().to_owned())
        .collect();
    let mut counts: BTreeMap<String, usize> = hosts.iter().map(|h| (h.clone(), 0)).collect();
    for record in world.requests() {
        if let Some(n) = counts.get_mut(&record.host) {
            *n += 1;
        }
    }
    counts
}

fn total(counts: &BTreeMap<String, usize>) -> usize {
    counts.values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run scripts/test"]
async fn pg_two_workers_ask_the_authorities_what_one_does() {
    let one = authority_requests(1, Sharing::Pg).await;
    let two = authority_requests(2, Sharing::Pg).await;
    let unshared = authority_requests(2, Sharing::Local).await;
    eprintln!("authority requests per host (one worker / two sharing PostgreSQL / two unshared):");
    for (host, n) in &one {
        eprintln!("  {host}: {n} / {} / {}", two[host], unshared[host]);
    }
    eprintln!(
        "  total: {} / {} / {}",
        total(&one),
        total(&two),
        total(&unshared)
    );
    // Most of the requests are per certificate (proofs, single-window
    // records); the shared ones (robots.txt, checkpoints, status lists)
    // are what a fleet could multiply.
    assert!(total(&one) > 100, "{one:?}");
    let tolerance = (total(&one) / 50).max(2);
    assert!(
        total(&two).abs_diff(total(&one)) <= tolerance,
        "one worker {one:?}, two {two:?}"
    );
    for (host, n) in &one {
        assert!(
            two[host].abs_diff(*n) <= tolerance,
            "{host}: {n} and {}",
            two[host]
        );
    }
    // Without the shared cache, the second worker asks again for every
    // authority's robots.txt, checkpoint and status list it needs.
    assert!(
        total(&unshared) >= total(&one) + one.len(),
        "unshared {unshared:?}, one {one:?}"
    );
}
