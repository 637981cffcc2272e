//! `ecoscout demo` end to end, checked against the simulated world's truth.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::Command;

#[test]
fn the_demo_shortlists_the_world_and_writes_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args([
            "demo",
            "--suppliers",
            "40",
            "--seed",
            "3",
            "--db",
            folder.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("shortlist"), "{stdout}");
    assert!(stdout.contains("ecoscout show"), "{stdout}");
    let ranks = stdout
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(ranks, 40, "{stdout}");

    let truth: BTreeMap<String, serde_json::Value> =
        std::fs::read_to_string(folder.join("world/truth.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["domain"].as_str().unwrap().to_owned(), v)
            })
            .collect();
    let csv = std::fs::read_to_string(folder.join("demo-suppliers.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        let t = &truth[&record[col("domain")]];
        let tier = &record[col("tier")];
        match t["red_flag"] {
            serde_json::Value::Bool(true) => assert_eq!(tier, "R", "{}", &record[col("domain")]),
            serde_json::Value::Bool(false) => assert_ne!(tier, "R", "{}", &record[col("domain")]),
            _ => {}
        }
        assert_eq!(
            record[col("cert_page")].is_empty(),
            t["cert_page"].is_null(),
            "{}",
            &record[col("domain")]
        );
    }
    assert_eq!(rows, 40);
    let html = std::fs::read_to_string(folder.join("demo-report.html")).unwrap();
    assert!(html.contains("<svg id=\"tier-chart\"") && html.contains("<svg id=\"trend-chart\""));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("ecoscout") && text.contains("crawl") && text.contains("resume"),
            "{shell}"
        );
    }
    assert_eq!(
        Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .args(["completions", "cmd.exe"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}
