//! Two workers, one politeness: two polite fetchers, each with a
//! [`PgFleet`] of its own (its own pool) on one PostgreSQL database, ask
//! one test authority. The authority sees the trust list's rate and never
//! more than `max_in_flight` at once across both, and an answer asked by
//! both is fetched once per lifetime. Ignored under plain `cargo test`
//! (`scripts/test` runs them with `ECOSCOUT_TEST_PG` set); each test gets
//! a database of its own.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crawler::fetch::HttpRequest;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::{FetchPolicy, HttpFetcher};
use eco::TrustList;
use store::PgFleet;
use url::Url;

#[path = "../../crawler/tests/support/authority_server.rs"]
mod authority_server;
use authority_server::{AuthorityServer, assert_rate};

/// The variable naming the PostgreSQL server of the ignored tests.
const PG_ENV: &str = "ECOSCOUT_TEST_PG";
/// Late starts tolerated in the rate checks.
const SLACK: Duration = Duration::from_millis(20);

/// Runs SQL on the server.
async fn admin(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    let task = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = task.await;
}

/// A database of the test's own, dropped with it.
struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let server = self.server.clone();
        // Inside the test's runtime: drop it from a thread of its own.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin(&server, &sql));
        })
        .join();
    }
}

/// A fresh database of its own on the test server.
async fn fresh_database() -> TestDatabase {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = std::env::var(PG_ENV).unwrap_or_else(|_| {
        panic!("{PG_ENV} is not set: these tests need PostgreSQL; run scripts/test")
    });
    let name = format!(
        "ecoscout_fleet_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    admin(&server, &format!("CREATE DATABASE {name}")).await;
    let mut url = Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    TestDatabase {
        server,
        name,
        url: url.to_string(),
    }
}

/// A worker: a polite fetcher whose authority gate and answer cache are a
/// `PgFleet` of its own on `database`.
fn worker(server: &AuthorityServer, terms: &str, database: &str, ttl: Duration) -> PoliteFetcher {
    worker_and_fleet(server, terms, database, ttl).0
}

/// A worker, and its `PgFleet`.
fn worker_and_fleet(
    server: &AuthorityServer,
    terms: &str,
    database: &str,
    ttl: Duration,
) -> (PoliteFetcher, Arc<PgFleet>) {
    let fleet = Arc::new(PgFleet::connect(database).unwrap());
    let fetcher = local_worker(server, terms, ttl)
        .with_authority_gate(fleet.clone())
        .with_answer_cache(fleet.clone());
    (fetcher, fleet)
}

/// A worker with the in-process gate and cache.
fn local_worker(server: &AuthorityServer, terms: &str, ttl: Duration) -> PoliteFetcher {
    let http = HttpFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(5),
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
        ..FetchPolicy::default()
    })
    .unwrap();
    let trust = TrustList::from_toml(&server.trust_toml(terms), "t.toml").unwrap();
    PoliteFetcher::new(
        http,
        Politeness {
            answer_ttl: ttl,
            ..Politeness::default()
        },
    )
    .with_authority_hosts(trust.authority_hosts().clone())
}

fn url(server: &AuthorityServer, host: &str, path: &str) -> Url {
    Url::parse(&format!("http://{host}:{}{path}", server.port)).unwrap()
}

async fn get_all(f: &PoliteFetcher, urls: Vec<Url>) {
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|u| {
            let f = f.clone();
            tokio::spawn(async move { f.request(HttpRequest::get(u, "*/*"), None).await })
        })
        .collect();
    for t in tasks {
        let answer = t.await.unwrap();
        assert!(answer.is_ok(), "{answer:?}");
    }
}

fn proofs(server: &AuthorityServer, from: usize, n: usize) -> Vec<Url> {
    (from..from + n)
        .map(|i| url(server, "auth.test", &format!("/log/proof?n={i}")))
        .collect()
}

fn sorted_starts(server: &AuthorityServer) -> Vec<Instant> {
    let mut starts: Vec<Instant> = server.hits().iter().map(|h| h.start).collect();
    starts.sort();
    starts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run scripts/test"]
async fn pg_two_workers_share_the_in_flight_limit_and_the_rate() {
    let database = fresh_database().await;
    let ttl = Duration::from_secs(300);

    // Long answers: the in-flight limit binds. Together the two workers
    // never have more than 2 requests in flight.
    let server = AuthorityServer::start(Duration::from_millis(150)).await;
    let terms = "requests_per_second = 50\nmax_in_flight = 2";
    let (a, b) = (
        worker(&server, terms, &database, ttl),
        worker(&server, terms, &database, ttl),
    );
    tokio::join!(
        get_all(&a, proofs(&server, 0, 8)),
        get_all(&b, proofs(&server, 8, 8))
    );
    assert_eq!(server.count("/robots.txt"), 1, "robots.txt is shared too");
    assert_eq!(server.hits().len(), 17);
    assert_eq!(server.take_most_in_flight(), 2);
    // The same with each worker's own gate exceeds it: the measurement
    // can tell.
    let (a, b) = (
        local_worker(&server, terms, ttl),
        local_worker(&server, terms, ttl),
    );
    tokio::join!(
        get_all(&a, proofs(&server, 16, 6)),
        get_all(&b, proofs(&server, 22, 6))
    );
    assert!(server.take_most_in_flight() > 2);

    // Quick answers: the rate binds, across both workers.
    let quick = AuthorityServer::start(Duration::from_millis(2)).await;
    let terms = "requests_per_second = 20\nmax_in_flight = 4";
    let (a, b) = (
        worker(&quick, terms, &database, ttl),
        worker(&quick, terms, &database, ttl),
    );
    let started = Instant::now();
    tokio::join!(
        get_all(&a, proofs(&quick, 0, 8)),
        get_all(&b, proofs(&quick, 8, 8))
    );
    let starts = sorted_starts(&quick);
    assert_eq!(starts.len(), 17);
    assert_rate(&starts, Duration::from_millis(50), SLACK);
    // Each worker alone would have sent its 8 in 0.4 s; no site delay (1 s)
    // was applied.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(750), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run scripts/test"]
async fn pg_two_workers_fetch_an_answer_once_per_lifetime() {
    let database = fresh_database().await;
    let server = AuthorityServer::start(Duration::from_millis(5)).await;
    let terms = "requests_per_second = 100\nmax_in_flight = 4";
    let ttl = Duration::from_millis(1500);
    let (a, fleet) = worker_and_fleet(&server, terms, &database, ttl);
    let b = worker(&server, terms, &database, ttl);
    let checkpoint = url(&server, "auth.test", "/log/checkpoint");
    let status = url(&server, "auth.test", "/status/1");
    let unknown = url(&server, "sw.test", "/missing/N1");
    let error = url(&server, "sw.test", "/error/N2");
    let asked = Instant::now();
    let all = vec![checkpoint.clone(), status.clone(), unknown.clone()];
    // Both at once, then each again.
    tokio::join!(get_all(&a, all.clone()), get_all(&b, all.clone()));
    tokio::join!(get_all(&a, all.clone()), get_all(&b, all.clone()));
    tokio::join!(
        get_all(&a, vec![error.clone()]),
        get_all(&b, vec![error.clone()])
    );
    assert!(asked.elapsed() < ttl, "the test ran too slowly to measure");
    assert_eq!(server.count("/log/checkpoint"), 1);
    assert_eq!(server.count("/status/1"), 1);
    assert_eq!(server.count("/missing/N1"), 1);
    assert_eq!(server.count("/error/N2"), 2, "a 500 is not kept");
    assert_eq!(server.count("/robots.txt"), 2, "once per host, for both");
    // The other worker's answer is the original's.
    let answer = b
        .request(HttpRequest::get(checkpoint.clone(), "*/*"), None)
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.url.as_str(), answer.body.as_slice()),
        (200, checkpoint.as_str(), &b"/log/checkpoint"[..])
    );
    assert_eq!(answer.content_type.as_deref(), Some("text/plain"));

    // After the lifetime, one of them asks again, once.
    tokio::time::sleep(ttl).await;
    tokio::join!(
        get_all(&a, vec![checkpoint.clone()]),
        get_all(&b, vec![checkpoint.clone()])
    );
    get_all(&b, vec![checkpoint.clone()]).await;
    assert_eq!(server.count("/log/checkpoint"), 2);

    // The expired answers (status list, 404, two robots.txt) are deleted,
    // by this sweep or by the one a worker makes on its first write; the
    // fresh checkpoint stays.
    assert!(fleet.sweep().await.unwrap() <= 4);
    let (client, connection) = tokio_postgres::connect(&database, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT count(*), min(url) FROM fleet_answers", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    assert_eq!(row.get::<_, String>(1), checkpoint.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run scripts/test"]
async fn pg_a_claim_to_fetch_is_renewed_while_its_answer_is_slow() {
    // An authority slower than the claim's lease: the holder renews its
    // claim, so the other worker waits for its answer instead of asking too.
    let database = fresh_database().await;
    let server = AuthorityServer::start(Duration::from_millis(1500)).await;
    let terms = "requests_per_second = 100\nmax_in_flight = 4";
    let ttl = Duration::from_secs(60);
    let lease = Duration::from_millis(300);
    let fetcher = |fleet: Arc<PgFleet>| {
        local_worker(&server, terms, ttl)
            .with_authority_gate(fleet.clone())
            .with_answer_cache(fleet)
    };
    let fleet_a = Arc::new(PgFleet::connect(&database).unwrap().with_claim_lease(lease));
    let fleet_b = Arc::new(PgFleet::connect(&database).unwrap().with_claim_lease(lease));
    let (a, b) = (fetcher(fleet_a), fetcher(fleet_b));
    let status = url(&server, "auth.test", "/status/7");
    // Both know robots.txt first, so that only the answer is slow.
    tokio::join!(
        get_all(&a, vec![url(&server, "auth.test", "/warm/a")]),
        get_all(&b, vec![url(&server, "auth.test", "/warm/b")])
    );
    let later = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        get_all(&b, vec![status.clone()]).await
    };
    tokio::join!(get_all(&a, vec![status.clone()]), later);
    assert_eq!(server.count("/status/7"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run scripts/test"]
async fn pg_a_failing_database_falls_back_to_local_limits() {
    let database = fresh_database().await;
    let server = AuthorityServer::start(Duration::from_millis(100)).await;
    let terms = "requests_per_second = 50\nmax_in_flight = 2";
    let ttl = Duration::from_secs(300);
    let a = worker(&server, terms, &database, ttl);
    // The fleet's tables go away under the worker.
    admin(
        &database,
        "ALTER TABLE fleet_slots RENAME TO gone_slots;
         ALTER TABLE fleet_rate RENAME TO gone_rate;
         ALTER TABLE fleet_answers RENAME TO gone_answers;",
    )
    .await;
    let checkpoint = url(&server, "auth.test", "/log/checkpoint");
    get_all(&a, proofs(&server, 0, 6)).await;
    get_all(&a, vec![checkpoint.clone()]).await;
    get_all(&a, vec![checkpoint.clone()]).await;
    // Every request was answered, under the worker's own limits, and
    // nothing was cached.
    assert_eq!(server.take_most_in_flight(), 2);
    assert_eq!(server.count("/log/checkpoint"), 2);
}
