//! The store as a user meets it: crawl into a database, kill the crawl at
//! random moments and resume, export with filters, spreadsheet safety.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use common::{crawl, crawl_args, ecoscout, start_world};

/// The export, as domain -> row without the columns that vary between
/// crawls (latency, time).
fn export(db: &str) -> BTreeMap<String, Vec<String>> {
    let out = ecoscout(&["export", "--db", db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::stable_rows(&out.stdout)
}

#[test]
fn a_crawl_killed_at_random_moments_resumes_to_the_same_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, _world) = start_world(tmp.path(), 30, 13);
    let reference_db = format!("{dir}/reference.db");
    crawl(&dir, &reference_db);
    let reference = export(&reference_db);
    assert_eq!(reference.len(), 30);

    // Deterministic "random" kill times, spread over the crawl.
    let kill_after_ms = [150u64, 700, 1300, 2100, 400, 3200];
    for (i, ms) in kill_after_ms.iter().enumerate() {
        let db = format!("{dir}/killed-{i}.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .args(crawl_args(&dir, &db))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let mut resumes = 0;
        loop {
            let mut args = crawl_args(&dir, &db);
            args.push("--resume".into());
            let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
                .args(&args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if stderr.contains("no interrupted run") {
                break; // the killed crawl had already completed
            }
            assert!(out.status.success(), "resume {i}: {stderr}");
            resumes += 1;
            assert!(resumes < 3, "resume did not complete the run");
            if stderr.contains("complete") {
                break;
            }
        }
        assert_eq!(export(&db), reference, "kill after {ms} ms");
        let runs = String::from_utf8_lossy(&ecoscout(&["runs", "--db", &db]).stdout).into_owned();
        assert!(runs.lines().nth(1).unwrap().contains("complete"), "{runs}");
        assert_eq!(runs.lines().count(), 2, "one run only: {runs}");
    }
}

#[test]
fn exports_filter_exactly_and_open_safely_in_a_spreadsheet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, world) = start_world(tmp.path(), 60, 13);
    let db = format!("{dir}/e.db");
    crawl(&dir, &db);
    let all = export(&db);
    assert_eq!(all.len(), 60);
    // Column positions in the reduced rows: country 2, region 3, score 4, tier 5.
    let expect = |f: &dyn Fn(&Vec<String>) -> bool| -> Vec<String> {
        all.iter()
            .filter(|(_, r)| f(r))
            .map(|(d, _)| d.clone())
            .collect()
    };
    let got = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["export", "--db", db.as_str()];
        full.extend_from_slice(args);
        let out = ecoscout(&full);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
        let mut domains: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
        domains.sort();
        domains
    };
    assert_eq!(
        got(&["--tier", "A,B"]),
        expect(&|r| r[5] == "A" || r[5] == "B")
    );
    assert_eq!(got(&["--tier", "R"]), expect(&|r| r[5] == "R"));
    assert_eq!(
        got(&["--country", "CN,VN"]),
        expect(&|r| r[2] == "CN" || r[2] == "VN")
    );
    assert_eq!(
        got(&["--min-score", "60"]),
        expect(&|r| r[4].parse::<u32>().unwrap() >= 60)
    );
    assert_eq!(
        got(&["--country", "TH", "--min-score", "35"]),
        expect(&|r| r[2] == "TH" && r[4].parse::<u32>().unwrap() >= 35)
    );
    let region = all.values().next().unwrap()[3].clone();
    assert_eq!(got(&["--region", &region]), expect(&|r| r[3] == region));
    assert!(!got(&["--tier", "A"]).is_empty());

    // The formula-looking name is neutralised; --excel adds a BOM; -o is atomic.
    let out = format!("{dir}/out.csv");
    assert!(
        ecoscout(&["export", "--db", &db, "--excel", "-o", &out])
            .status
            .success()
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let formula_rows: Vec<&str> = text.lines().filter(|l| l.contains("HYPERLINK")).collect();
    assert!(!formula_rows.is_empty());
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unsafe cell {cell:?}"
            );
        }
    }
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp-"))
    );

    // JSON Lines carry exactly the spec's fields.
    let jsonl = ecoscout(&["export", "--db", &db, "--format", "jsonl"]);
    let first: serde_json::Value =
        serde_json::from_slice(jsonl.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "domain",
        "name",
        "country",
        "region",
        "run_id",
        "crawled_at",
        "score",
        "tier",
        "red_flags",
        "components",
        "pages_fetched",
        "cert_pages",
        "robots_blocked",
        "entries",
        "probes",
        "certificates",
        "errors",
        // Beyond spec section 7: why each page was judged a Certifications
        // page, and the certificate documents found on them.
        "cert_page_evidence",
        "documents",
    ];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);

    // show, runs, score, and a locked database.
    let domain = all.keys().next().unwrap();
    let shown = ecoscout(&["show", domain, "--db", &db]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("evidence"));
    assert_eq!(
        ecoscout(&["show", "nobody.test", "--db", &db])
            .status
            .code(),
        Some(2)
    );
    let weights = format!("{dir}/w.toml");
    std::fs::write(&weights, "certificate_verified = 0\n").unwrap();
    assert!(
        ecoscout(&["score", "--db", &db, "--weights", &weights])
            .status
            .success()
    );
    let rescored = export(&db);
    assert!(
        rescored.iter().any(|(d, r)| r[4] != all[d][4]),
        "re-scoring with other weights changed nothing"
    );
    let mut holder = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(crawl_args(&dir, &db))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let locked = ecoscout(&["runs", "--db", &db]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(locked.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&locked.stderr).contains("in use by another ecoscout process"),
        "{}",
        String::from_utf8_lossy(&locked.stderr)
    );
    drop(world);
}

#[test]
fn ctrl_c_stops_cleanly_and_resume_finishes_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, _world) = start_world(tmp.path(), 30, 13);
    let db = format!("{dir}/c.db");
    let child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(crawl_args(&dir, &db))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("--resume"),
        "{stderr}"
    );
    let runs = String::from_utf8_lossy(&ecoscout(&["runs", "--db", &db]).stdout).into_owned();
    assert!(
        runs.lines().nth(1).unwrap().contains("interrupted"),
        "{runs}"
    );
    common::crawl_with(&dir, &db, &["--resume"]);
    assert_eq!(export(&db).len(), 30);
    let runs = String::from_utf8_lossy(&ecoscout(&["runs", "--db", &db]).stdout).into_owned();
    assert!(runs.lines().nth(1).unwrap().contains("complete"), "{runs}");
}
