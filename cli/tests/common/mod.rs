//! Helpers shared by the CLI tests: run the binary, start a simulated
//! world, crawl it into a database, serve the API and call it.

#![allow(dead_code, clippy::unwrap_used)]

pub mod pg;

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

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

/// An answer: status, headers (names lower-cased) and the JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One GET over HTTP/1.1 on loopback, with `Authorization` when given.
pub fn call(addr: &str, path: &str, authorization: Option<&str>) -> Answer {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")),
        "{path}: a chunked answer"
    );
    Answer {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

/// A running `ecoscout serve`, stopped when dropped (a failing test too).
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
    /// What it says on stderr after its first line, read until it stops.
    said: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Stops it; what it said on stderr, first line included.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.said
            .take()
            .map(|s| s.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ecoscout serve` with `args`.
pub fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .arg("serve")
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap_or_else(|| panic!("not serving: {line}"))
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let said = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        line + &rest
    });
    Server {
        child,
        addr,
        said: Some(said),
    }
}
