//! Helpers shared by the CLI tests: run the binary, start a simulated
//! world, crawl it into a database.

#![allow(dead_code, clippy::unwrap_used)]

pub mod pg;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// Runs `ecoscout` with `args`.
pub fn ecoscout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(args)
        .output()
        .unwrap()
}

/// Starts a simulated world writing its files into `dir`; keep the runtime
/// alive as long as the world is needed.
pub fn start_world(
    dir: &Path,
    suppliers: usize,
    seed: u64,
) -> (tokio::runtime::Runtime, sim::SimWorld) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = runtime
        .block_on(sim::SimWorld::start(sim::SimOptions {
            suppliers,
            seed,
            out_dir: Some(dir.into()),
            // Slow endpoints stay slower than the model's 2 s, but not by much.
            slow_answer: Duration::from_millis(2200),
            ..sim::SimOptions::default()
        }))
        .unwrap();
    (runtime, world)
}

/// The arguments of a crawl of the world in `dir` into `db`, over loopback
/// (`--resolve '*.test=127.0.0.1'`).
pub fn crawl_args(dir: &str, db: &str) -> Vec<String> {
    crawl_args_naming(dir, db, &["--resolve", "*.test=127.0.0.1"])
}

/// The arguments of a crawl of the world in `dir` into `db`, its names
/// reached by `names` (such as `--resolve` or `--dns-server`).
pub fn crawl_args_naming(dir: &str, db: &str, names: &[&str]) -> Vec<String> {
    [
        "crawl",
        "--seeds",
        &format!("{dir}/seeds.csv"),
        "--trust",
        &format!("{dir}/trust.toml"),
        "--db",
        db,
        "--delay",
        "0",
        "--timeout",
        "4s",
    ]
    .iter()
    .chain(names)
    .map(|s| s.to_string())
    .collect()
}

/// The DNS server `scripts/test` starts (`ECOSCOUT_TEST_DNS`, `IP:PORT`),
/// which answers every `*.test` name with 127.0.0.1.
pub fn test_dns() -> String {
    std::env::var("ECOSCOUT_TEST_DNS").unwrap_or_else(|_| {
        panic!("ECOSCOUT_TEST_DNS is not set: this test needs the DNS server scripts/test starts; run scripts/test")
    })
}

/// Crawls the world in `dir` into `db`; panics with its errors if it fails.
pub fn crawl(dir: &str, db: &str) {
    crawl_with(dir, db, &[]);
}

/// [`crawl`] with more flags (such as `--resume`).
pub fn crawl_with(dir: &str, db: &str, more: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(crawl_args(dir, db))
        .args(more)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An export's CSV as domain -> row, without the columns that vary between
/// crawls of the same world (latency, time).
pub fn stable_rows(csv: &[u8]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row: Vec<String> = header
                .iter()
                .zip(r.iter())
                .filter(|(h, _)| !matches!(h.as_str(), "latency_ms" | "crawled_at"))
                .map(|(_, v)| v.to_owned())
                .collect();
            (row[0].clone(), row)
        })
        .collect()
}

/// One GET over HTTP/1.1 on loopback: the status line and the body.
pub fn get(addr: &str, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}
