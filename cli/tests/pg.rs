//! Every command that opens `--db`, on PostgreSQL: crawl (killed and
//! resumed), runs, show, export, score, report and serve give what they
//! give on sled, and the URL's password never appears in their output.
//! Ignored under plain `cargo test`: `scripts/test` starts a server and
//! runs it with the server's URL in `ECOSCOUT_TEST_PG`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, Read as _, Write as _};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{crawl_args, crawl_with, ecoscout, start_world};

const PASSWORD: &str = "sekrit-pw";

/// Runs SQL on the test server.
fn admin(url: &str, sql: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let task = tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = task.await;
    });
}

/// A database of its own on the test server, dropped after.
struct Database {
    server: String,
    name: String,
}

impl Database {
    fn new() -> Database {
        let server = std::env::var("ECOSCOUT_TEST_PG").unwrap_or_else(|_| {
            panic!("ECOSCOUT_TEST_PG is not set: this test needs PostgreSQL; run scripts/test")
        });
        let name = format!("ecoscout_cli_{}", std::process::id());
        admin(&server, &format!("CREATE DATABASE {name}"));
        Database { server, name }
    }

    /// Its URL, with a password (the test server trusts loopback, so it is
    /// never sent: it is only there to be hidden).
    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.server).unwrap();
        url.set_path(&format!("/{}", self.name));
        url.set_password(Some(PASSWORD)).unwrap();
        url.to_string()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        admin(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Everything a command printed, checked for the password.
fn checked(out: Output) -> Output {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(PASSWORD), "the password was shown: {text}");
    }
    out
}

fn ok(args: &[&str]) -> String {
    let out = checked(ecoscout(args));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The export as domain -> row, without the columns that vary between
/// crawls.
fn export(db: &str) -> BTreeMap<String, Vec<String>> {
    let csv_text = ok(&["export", "--db", db]);
    common::stable_rows(csv_text.as_bytes())
}

/// One GET over HTTP/1.1 on loopback: the status line and the body.
fn get(addr: &str, path: &str) -> (String, String) {
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

#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_every_command_works_on_postgresql_and_never_shows_the_password() {
    let database = Database::new();
    let pg = database.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, world) = start_world(tmp.path(), 30, 13);
    let sled = format!("{dir}/reference.db");
    crawl_with(&dir, &sled, &[]);
    let reference = export(&sled);
    assert_eq!(reference.len(), 30);

    // A crawl killed part-way, then resumed to the end.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(crawl_args(&dir, &pg))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let _ = child.wait();
    let mut args = crawl_args(&dir, &pg);
    args.push("--resume".into());
    let out = checked(
        Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .args(&args)
            .output()
            .unwrap(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("no interrupted run"),
        "{stderr}"
    );
    if stderr.contains("no interrupted run") {
        assert!(stderr.contains(":***@"), "{stderr}");
    }
    assert_eq!(export(&pg), reference, "PostgreSQL and sled export alike");

    // A second, complete run: the history has two runs.
    crawl_with(&dir, &pg, &[]);
    drop(world);
    let second = export(&pg);
    let runs = ok(&["runs", "--db", &pg]);
    assert_eq!(runs.lines().count(), 3, "{runs}");
    assert!(runs.lines().nth(2).unwrap().contains("complete"), "{runs}");
    let runs_via_env = checked(
        Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .arg("runs")
            .env("ECOSCOUT_DB", &pg)
            .output()
            .unwrap(),
    );
    assert_eq!(String::from_utf8(runs_via_env.stdout).unwrap(), runs);
    let help = checked(
        Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .args(["runs", "--help"])
            .env("ECOSCOUT_DB", &pg)
            .output()
            .unwrap(),
    );
    assert!(help.status.success());

    let domain = reference.keys().next().unwrap().clone();
    let shown = ok(&["show", &domain, "--db", &pg]);
    assert!(shown.contains(&domain), "{shown}");
    assert_eq!(
        ok(&["show", &domain, "--db", &pg, "--run", "1"])
            .lines()
            .next(),
        shown.lines().next()
    );
    let jsonl = ok(&["export", "--db", &pg, "--format", "jsonl", "--tier", "A,B"]);
    let sled_jsonl = ok(&[
        "export", "--db", &sled, "--format", "jsonl", "--tier", "A,B",
    ]);
    assert_eq!(jsonl.lines().count(), sled_jsonl.lines().count());
    ok(&["score", "--db", &pg]);
    assert_eq!(export(&pg), second, "re-scoring with the same weights");
    let report = ok(&["report", "--db", &pg, "--runs", "all", "--format", "csv"]);
    let sled_report = ok(&["report", "--db", &sled, "--runs", "all", "--format", "csv"]);
    assert_eq!(
        report.lines().count(),
        2 * sled_report.lines().count() - 1,
        "two runs' rows:\n{report}"
    );
    assert!(ok(&["report", "--db", &pg, "--format", "html"]).contains("<html"));

    // serve, beside nothing else: the API over the same database.
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
    assert!(!line.contains(PASSWORD), "{line}");
    assert!(line.contains(":***@"), "{line}");
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = get(&addr, "/v1/runs");
    assert!(status.contains("200"), "{status} {body}");
    assert!(!body.contains(PASSWORD), "{body}");
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, body) = get(&addr, &format!("/v1/suppliers?limit=7{cursor}"));
        assert!(status.contains("200"), "{status} {body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        for s in page["suppliers"].as_array().unwrap() {
            seen.push(s["domain"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, reference.keys().cloned().collect::<Vec<_>>());
    let (status, _) = get(&addr, &format!("/v1/suppliers/{domain}"));
    assert!(status.contains("200"), "{status}");
    let _ = server.kill();
    let _ = server.wait();
}
