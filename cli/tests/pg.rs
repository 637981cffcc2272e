//! Every command that opens `--db`, on PostgreSQL: crawl (killed and
//! resumed), runs, show, export, score, report and serve give what they
//! give on sled, and the URL's password never appears in their output.
//! Ignored under plain `cargo test`: `scripts/test` starts a server and
//! runs it with the server's URL in `ECOSCOUT_TEST_PG`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::pg::{Database, PASSWORD};
use common::{call, crawl_args, crawl_with, ecoscout, start_world};

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

#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_every_command_works_on_postgresql_and_never_shows_the_password() {
    let database = Database::new("cli");
    let pg = database.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, world) = start_world(tmp.path(), 30, 13);
    let sled = format!("{dir}/reference.db");
    crawl_with(&dir, &sled, &[]);
    let reference = export(&sled);
    assert_eq!(reference.len(), 30);

    // A crawl killed part-way, then resumed to the end: the killed
    // process's claims return to the queue when their 2 s leases pass.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(crawl_args(&dir, &pg))
        .args(["--lease", "2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let _ = child.wait();
    let mut args = crawl_args(&dir, &pg);
    args.extend(["--resume".into(), "--lease".into(), "2s".into()]);
    let out = checked(
        Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .args(&args)
            .output()
            .unwrap(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("no unfinished distributed run"),
        "{stderr}"
    );
    if stderr.contains("no unfinished distributed run") {
        assert!(stderr.contains(":***@"), "{stderr}");
    }
    assert_eq!(export(&pg), reference, "PostgreSQL and sled export alike");

    // A second, complete run: the history has two runs.
    crawl_with(&dir, &pg, &[]);
    drop(world);
    let second = export(&pg);
    let runs = ok(&["runs", "--db", &pg]);
    // One line per run (its queue and workers indented below it).
    let run_lines: Vec<&str> = runs.lines().filter(|l| !l.starts_with("      ")).collect();
    assert_eq!(run_lines.len(), 3, "{runs}");
    assert!(run_lines[2].contains("complete"), "{runs}");
    assert!(
        runs.contains("queue: 0 pending, 0 claimed, 30 done"),
        "{runs}"
    );
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
    let runs = call(&addr, "/v1/runs", None);
    assert_eq!(runs.status, 200, "{}", runs.body);
    assert!(!runs.body.to_string().contains(PASSWORD), "{}", runs.body);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = call(&addr, &format!("/v1/suppliers?limit=7{cursor}"), None);
        assert_eq!(page.status, 200, "{}", page.body);
        for s in page.body["suppliers"].as_array().unwrap() {
            seen.push(s["domain"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, reference.keys().cloned().collect::<Vec<_>>());
    let one = call(&addr, &format!("/v1/suppliers/{domain}"), None);
    assert_eq!(one.status, 200, "{}", one.body);
    let _ = server.kill();
    let _ = server.wait();
}
