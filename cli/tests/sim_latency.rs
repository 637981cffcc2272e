//! `ecoscout sim --latency DIST`: a spec it cannot read is refused with
//! the reason; a spec it can is announced and delays the answers.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the sim when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_latency_it_cannot_read_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, reason) in [
        ("lognormal:median=2s,p99=200ms", "below its median"),
        ("lognormal:median=200ms", "needs `p99=DUR`"),
        ("fixed:200", "is not a duration"),
        ("gauss", "unknown latency distribution"),
    ] {
        let out = common::ecoscout(&[
            "sim",
            "--out",
            dir.path().to_str().unwrap(),
            "--latency",
            spec,
        ]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--latency"), "{spec}: {stderr}");
        assert!(stderr.contains(reason), "{spec}: {stderr}");
    }
}

#[test]
fn a_fixed_latency_is_announced_and_delays_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args([
            "sim",
            "--suppliers",
            "3",
            "--out",
            dir.path().to_str().unwrap(),
            "--latency",
            "fixed:300ms",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);
    let lines: Vec<String> = std::io::BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .take_while(|l| !l.starts_with("crawl:"))
        .collect();
    assert!(
        lines.iter().any(|l| l == "latency: fixed:300ms"),
        "{lines:?}"
    );
    let addr = lines[0]
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let host = lines
        .iter()
        .find_map(|l| l.strip_prefix("try:"))
        .unwrap()
        .split("Host: ")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(
            format!("GET /robots.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 "), "{response}");
    assert!(started.elapsed() >= Duration::from_millis(300));
}
