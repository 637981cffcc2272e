//! Distributed runs on PostgreSQL: workers that die or lose the database
//! leave exactly one record per supplier, equal to a single-process sled
//! crawl of the same world, and `serve` answers while workers write.
//! Ignored under plain `cargo test`: `scripts/test` starts a server and
//! runs them with its URL in `ECOSCOUT_TEST_PG`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, Read as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::pg::{Database, scalar};
use common::{call, crawl_args, crawl_with, ecoscout, start_world};

/// Longest a test waits for its workers.
const WORKERS_TIME_LIMIT: Duration = Duration::from_secs(240);

fn export(db: &str) -> BTreeMap<String, Vec<String>> {
    let out = ecoscout(&["export", "--db", db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::stable_rows(&out.stdout)
}

/// Creates the distributed run of the world in `dir` without working on it.
fn enqueue(dir: &str, pg: &str) {
    let mut args = crawl_args(dir, pg);
    args.push("--enqueue-only".into());
    let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("suppliers queued"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `ecoscout work` named `name` on `db`, with a short lease.
fn worker(db: &str, name: &str, concurrency: usize) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(["work", "--db", db, "--name", name, "--lease", "2s"])
        .args(["--batch", "2", "--concurrency", &concurrency.to_string()])
        .args(["--resolve", "*.test=127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a worker to exit; its stderr, and whether it succeeded.
fn finish(mut child: Child, started: Instant) -> (bool, String) {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return (status.success(), stderr);
        }
        if started.elapsed() > WORKERS_TIME_LIMIT {
            let _ = child.kill();
            panic!("a worker did not finish within {WORKERS_TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Suppliers whose records are written, by the queue.
fn done(pg: &str) -> u64 {
    scalar(pg, "SELECT count(*) FROM queue WHERE state = 'done'")
        .parse()
        .unwrap()
}

/// Waits until at least `n` suppliers are done.
fn wait_for_done(pg: &str, n: u64) {
    let started = Instant::now();
    while done(pg) < n {
        assert!(
            started.elapsed() < WORKERS_TIME_LIMIT,
            "the workers did not get going"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What every distributed test checks at the end: the run is complete,
/// each supplier has exactly one record, and the export is the reference's.
fn assert_complete(pg: &str, reference: &BTreeMap<String, Vec<String>>) {
    let n = reference.len().to_string();
    assert_eq!(
        scalar(pg, "SELECT count(*) FROM records WHERE run_id = 1"),
        n
    );
    assert_eq!(
        scalar(
            pg,
            "SELECT count(DISTINCT domain) FROM records WHERE run_id = 1"
        ),
        n
    );
    assert_eq!(
        scalar(pg, "SELECT status FROM runs WHERE id = 1"),
        "complete"
    );
    assert_eq!(
        scalar(pg, "SELECT count(*) FROM queue WHERE state <> 'done'"),
        "0"
    );
    assert_eq!(&export(pg), reference, "the export equals a sled crawl's");
}

#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_three_workers_with_one_killed_leave_one_record_per_supplier() {
    let database = Database::new("fleet_kill");
    let pg = database.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, _world) = start_world(tmp.path(), 60, 31);
    let sled = format!("{dir}/reference.db");
    crawl_with(&dir, &sled, &[]);
    let reference = export(&sled);
    assert_eq!(reference.len(), 60);

    enqueue(&dir, &pg);
    let started = Instant::now();
    let first = worker(&pg, "w1", 3);
    let mut second = worker(&pg, "w2", 3);
    let third = worker(&pg, "w3", 3);
    wait_for_done(&pg, 10);
    let held: u64 = scalar(
        &pg,
        "SELECT count(*) FROM queue WHERE worker = 'w2' AND state = 'claimed'",
    )
    .parse()
    .unwrap();
    assert!(held > 0, "w2 holds no claim to lose");
    second.kill().unwrap();
    second.wait().unwrap();
    let killed_at = done(&pg);
    assert!(killed_at < 60, "the run ended before the kill");
    for child in [first, third] {
        let (ok, stderr) = finish(child, started);
        assert!(ok, "{stderr}");
    }
    assert_complete(&pg, &reference);
    let retaken: u64 = scalar(&pg, "SELECT count(*) FROM queue WHERE attempts > 1")
        .parse()
        .unwrap();
    assert!(retaken > 0, "the killed worker's claims were retaken");
    let runs = String::from_utf8(ecoscout(&["runs", "--db", &pg]).stdout).unwrap();
    for name in ["w1", "w2", "w3"] {
        assert!(runs.contains(&format!("worker {name}:")), "{runs}");
    }
    assert!(runs.contains("0 pending, 0 claimed, 60 done"), "{runs}");
}

/// A TCP proxy to the database whose connections can be cut (and new ones
/// refused) for a while.
struct Proxy {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (flag, streams) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if flag.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let mut open = streams.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { addr, down, open }
    }

    /// Closes every connection and refuses new ones until [`Proxy::restore`].
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_a_worker_that_loses_the_database_for_a_while_carries_on() {
    let database = Database::new("fleet_outage");
    let pg = database.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, _world) = start_world(tmp.path(), 40, 32);
    let sled = format!("{dir}/reference.db");
    crawl_with(&dir, &sled, &[]);
    let reference = export(&sled);

    enqueue(&dir, &pg);
    let mut url = url::Url::parse(&pg).unwrap();
    let upstream: SocketAddr =
        format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
            .parse()
            .unwrap();
    let proxy = Proxy::start(upstream);
    url.set_port(Some(proxy.addr.port())).unwrap();
    let started = Instant::now();
    let cut_off = worker(url.as_str(), "cut-off", 3);
    wait_for_done(&pg, 4);
    // The second worker joins only now, so the first holds claims when
    // its database goes away; their leases pass during the outage and the
    // second takes them over.
    let other = worker(&pg, "other", 2);
    let held: u64 = scalar(
        &pg,
        "SELECT count(*) FROM queue WHERE worker = 'cut-off' AND state = 'claimed'",
    )
    .parse()
    .unwrap();
    proxy.cut();
    std::thread::sleep(Duration::from_secs(6));
    proxy.restore();
    let (ok, stderr) = finish(cut_off, started);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("retrying"),
        "the worker met the outage: {stderr}"
    );
    let (ok, stderr) = finish(other, started);
    assert!(ok, "{stderr}");
    assert!(held > 0, "the cut-off worker held no claim");
    assert_complete(&pg, &reference);
    // Counted from the queue: the worker's own count in `run_workers` is
    // written after each record's transaction, and one written as the
    // connection was cut is lost (it is only shown).
    let by_cut_off: u64 = scalar(
        &pg,
        "SELECT count(*) FROM queue WHERE worker = 'cut-off' AND state = 'done'",
    )
    .parse()
    .unwrap();
    assert!(by_cut_off >= 4, "the worker wrote {by_cut_off} records");
}

#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_serve_answers_while_workers_write() {
    let database = Database::new("fleet_serve");
    let pg = database.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, _world) = start_world(tmp.path(), 40, 33);
    enqueue(&dir, &pg);
    let mut server = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(["serve", "--db", &pg, "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = std::io::BufReader::new(server.stderr.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    let mut workers = vec![worker(&pg, "a", 2), worker(&pg, "b", 2)];
    let mut counts = Vec::new();
    while workers.iter_mut().any(|w| w.try_wait().unwrap().is_none()) {
        assert!(started.elapsed() < WORKERS_TIME_LIMIT);
        let runs = call(&addr, "/v1/runs", None);
        assert_eq!(runs.status, 200, "{}", runs.body);
        let page = call(&addr, "/v1/suppliers?limit=1000", None);
        assert_eq!(page.status, 200, "{}", page.body);
        counts.push(page.body["suppliers"].as_array().unwrap().len());
        std::thread::sleep(Duration::from_millis(100));
    }
    for w in workers {
        let (ok, stderr) = finish(w, started);
        assert!(ok, "{stderr}");
    }
    let page = call(&addr, "/v1/suppliers?limit=1000", None);
    assert_eq!(page.body["suppliers"].as_array().unwrap().len(), 40);
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "the count never goes back: {counts:?}"
    );
    assert!(
        counts.iter().any(|&n| n > 0 && n < 40),
        "the API answered while the run was half done: {counts:?}"
    );
    let _ = server.kill();
    let _ = server.wait();
}
