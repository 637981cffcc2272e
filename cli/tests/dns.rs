//! `ecoscout crawl` reaching the simulated world through a real DNS server
//! (`--dns-server` with `--private-names '*.test'`; the dnsmasq that
//! `scripts/test` starts), compared with the same world crawled with
//! `--resolve '*.test=127.0.0.1'`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

mod common;

use common::{crawl_args_naming, ecoscout, start_world, test_dns};

fn crawl(dir: &str, db: &str, names: &[&str]) {
    let out = ecoscout(
        &crawl_args_naming(dir, db, names)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn export(db: &str, format: &str) -> Vec<u8> {
    let out = ecoscout(&["export", "--db", db, "--format", format]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn rows(db: &str) -> BTreeMap<String, Vec<String>> {
    common::stable_rows(&export(db, "csv"))
}

#[test]
#[ignore = "needs dnsmasq: run scripts/test"]
fn dns_a_crawl_through_the_dns_server_stores_what_resolve_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, _world) = start_world(tmp.path(), 40, 23);
    let server = test_dns();

    let resolved = format!("{dir}/resolve.db");
    crawl(&dir, &resolved, &["--resolve", "*.test=127.0.0.1"]);
    let through_dns = format!("{dir}/dns.db");
    crawl(
        &dir,
        &through_dns,
        &["--dns-server", &server, "--private-names", "*.test"],
    );
    let expected = rows(&resolved);
    assert_eq!(expected.len(), 40);
    let records: Vec<serde_json::Value> = String::from_utf8(export(&resolved, "jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reached = records
        .iter()
        .filter(|r| !r["cert_pages"].as_array().unwrap().is_empty())
        .count();
    assert!(reached >= 20, "only {reached} of 40 suppliers reached");
    assert_eq!(rows(&through_dns), expected);

    // The same server without --private-names: its loopback answers are
    // refused, so no supplier is reached.
    let guarded = format!("{dir}/guarded.db");
    crawl(&dir, &guarded, &["--dns-server", &server]);
    let text = String::from_utf8(export(&guarded, "jsonl")).unwrap();
    assert_eq!(text.lines().count(), 40);
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(r["cert_pages"].as_array().unwrap().is_empty(), "{r}");
        assert!(
            r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().contains("non-public")),
            "{}",
            r["errors"]
        );
    }
}
