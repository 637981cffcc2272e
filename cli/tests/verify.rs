//! `ecoscout verify` as a user runs it: exit statuses, text and JSON output,
//! and hostile input.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const W3C_KEY: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

fn vector(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../eco/tests/vectors/eddsa-jcs-2022")
        .join(name)
}

/// A trust list that pins the W3C test vector's issuer and key.
fn w3c_trust(dir: &Path) -> PathBuf {
    let path = dir.join("t.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[authority]]
id = "w3c-vector"
name = "W3C test vector issuer"
country = "US"
issuer = "https://vc.example/issuers/5678"

  [[authority.key]]
  id = "did:key:{W3C_KEY}#{W3C_KEY}"
  public_key_multibase = "{W3C_KEY}"
"#
        ),
    )
    .unwrap();
    path
}

fn ecoscout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_w3c_signed_credential_passes_signature_offline_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let trust = w3c_trust(dir.path());
    let signed = vector("signedJCS.json");
    let out = ecoscout(&[
        "verify",
        signed.to_str().unwrap(),
        "--trust",
        trust.to_str().unwrap(),
        "--offline",
        "--format",
        "json",
    ]);
    let report: Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(report["checks"]["signature"], "pass");
    assert_eq!(report["checks"]["trusted_issuer"], "pass");
    assert_eq!(report["checks"]["validity_period"], "pass");
    assert_eq!(report["checks"]["anchored"], "unknown");
    assert_eq!(report["checks"]["exporter_matches"], "skip");
    assert_eq!(report["authority"], "w3c-vector");
    assert_eq!(report["issuer"], "https://vc.example/issuers/5678");
    assert_eq!(report["verdict"], "unverifiable");
    assert!(
        report["reason"].as_str().unwrap().contains("anchored"),
        "{}",
        report["reason"]
    );
    assert_eq!(report["digest"].as_str().unwrap().len(), 64);
    for key in [
        "certificate_number",
        "issuer",
        "authority",
        "digest",
        "checks",
        "verdict",
        "reason",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    // Not verified (network checks unknown): exit status 1.
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn text_output_lists_every_check_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let trust = w3c_trust(dir.path());
    let out = ecoscout(&[
        "verify",
        vector("signedJCS.json").to_str().unwrap(),
        "--trust",
        trust.to_str().unwrap(),
        "--offline",
    ]);
    let text = stdout(&out);
    for check in [
        "signature",
        "trusted_issuer",
        "anchored",
        "not_revoked",
        "validity_period",
        "exporter_matches",
        "single_window",
        "endpoint_agrees",
    ] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(check)),
            "{check} missing in:\n{text}"
        );
    }
    assert!(text.contains("gives no log"), "{text}");
    assert!(text.contains("verdict      unverifiable"), "{text}");
}

#[test]
fn an_unpinned_key_fails_trusted_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("other.toml");
    std::fs::write(
        &trust,
        "[[authority]]\nid = \"a\"\nname = \"A\"\ncountry = \"CN\"\nissuer = \"did:web:a.test\"\n[[authority.key]]\nid = \"did:web:a.test#k\"\npublic_key_multibase = \"z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK\"\n",
    )
    .unwrap();
    let out = ecoscout(&[
        "verify",
        vector("signedJCS.json").to_str().unwrap(),
        "--trust",
        trust.to_str().unwrap(),
        "--offline",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["checks"]["trusted_issuer"], "fail");
    assert_eq!(report["checks"]["signature"], "unknown");
    assert_eq!(report["verdict"], "failed");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn hostile_input_is_a_clear_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let trust = w3c_trust(dir.path());
    let trust = trust.to_str().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let cases = [
        ("empty.json", b"".to_vec(), "empty"),
        ("text.json", b"hello, world".to_vec(), "not acceptable JSON"),
        ("deep.json", deep.into_bytes(), "not acceptable JSON"),
        ("big.json", big.into_bytes(), "limit"),
        ("array.json", b"[]".to_vec(), "not a JSON object"),
    ];
    for (name, bytes, words) in cases {
        let path = write(name, &bytes);
        let out = ecoscout(&["verify", &path, "--trust", trust, "--offline"]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{name}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{name}");
    }
    let missing = ecoscout(&[
        "verify",
        "/nonexistent/credential.json",
        "--trust",
        trust,
        "--offline",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot open"));

    // Malformed signatures are a failed check, exit status 1.
    let signed: Value =
        serde_json::from_slice(&std::fs::read(vector("signedJCS.json")).unwrap()).unwrap();
    let short = format!("z{}", bs58_encode(&[1u8; 63]));
    for (name, value, words) in [
        ("notbase58.json", "z0OIl", "base58btc"),
        ("sig63.json", short.as_str(), "63 bytes"),
    ] {
        let mut doc = signed.clone();
        doc["proof"]["proofValue"] = value.into();
        let path = write(name, &serde_json::to_vec(&doc).unwrap());
        let out = ecoscout(&[
            "verify",
            &path,
            "--trust",
            trust,
            "--offline",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(report["checks"]["signature"], "fail", "{name}");
        assert!(
            report["reason"].as_str().unwrap().contains(words),
            "{name}: {}",
            report["reason"]
        );
    }
}

#[test]
fn bad_usage_and_bad_trust_lists_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[authority]]\nid = \"cn\"\nname = \"CN\"\ncountry = \"CN\"\n[[authority.key]]\nid = \"k\"\npublic_key_multibase = \"z6Mk\"\n").unwrap();
    let out = ecoscout(&[
        "verify",
        vector("signedJCS.json").to_str().unwrap(),
        "--trust",
        bad.to_str().unwrap(),
        "--offline",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml")
            && err.contains("authority \"cn\"")
            && err.contains("field `issuer`"),
        "{err}"
    );

    let out = ecoscout(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let out = ecoscout(&[
        "verify",
        "x.json",
        "--trust",
        "t.toml",
        "--resolve",
        "nonsense",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("PATTERN=IP"), "{}", stderr(&out));
    let trust = w3c_trust(dir.path());
    let out = ecoscout(&[
        "verify",
        "https://supplier.test/c.json",
        "--trust",
        trust.to_str().unwrap(),
        "--offline",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--offline"));
}

#[test]
fn a_url_on_a_loopback_address_is_refused_without_allow_private() {
    let dir = tempfile::tempdir().unwrap();
    let trust = w3c_trust(dir.path());
    let out = ecoscout(&[
        "verify",
        "http://127.0.0.1:9/c.json",
        "--trust",
        trust.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a public address"),
        "{}",
        stderr(&out)
    );
}

/// Base58btc (Bitcoin alphabet), enough for a test fixture.
fn bs58_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new();
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    std::iter::repeat_n('1', zeros)
        .chain(digits.iter().rev().map(|&d| ALPHABET[d as usize] as char))
        .collect()
}

/// `ecoscout verify URL` over loopback against a simulated world, with the
/// address guard on and `--resolve` mapping the world's names.
#[test]
fn verifies_urls_against_the_simulated_web() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let world = runtime
        .block_on(sim::SimWorld::start(sim::SimOptions {
            suppliers: 60,
            seed: 4,
            out_dir: Some(dir.path().into()),
            ..sim::SimOptions::default()
        }))
        .unwrap();
    let trust = dir.path().join("trust.toml");
    let truth: Vec<Value> = std::fs::read_to_string(dir.path().join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // TradeTrust documents name the exporter, not its website: the
    // supplier's name comes from the seeds.
    let mut seeds = csv::Reader::from_path(dir.path().join("seeds.csv")).unwrap();
    let names: Vec<(String, String)> = seeds
        .records()
        .map(|r| {
            let r = r.unwrap();
            let host = url::Url::parse(&r[1])
                .unwrap()
                .host_str()
                .unwrap()
                .to_owned();
            (host, r[0].to_owned())
        })
        .collect();
    let name_of = |domain: &str| {
        names
            .iter()
            .find(|(host, _)| host == domain || host.ends_with(&format!(".{domain}")))
            .map(|(_, name)| name.clone())
            .unwrap()
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut formats = std::collections::BTreeSet::new();
    let mut links = 0;
    for line in &truth {
        let Some(cert) = line["certificates"].as_array().and_then(|c| c.first()) else {
            continue;
        };
        let verdict = cert["verdict"].as_str().unwrap();
        seen.insert(verdict.to_owned());
        formats.insert(cert["format"].as_str().unwrap().to_owned());
        links += usize::from(cert["url"].as_str().unwrap().contains("?q="));
        let domain = line["domain"].as_str().unwrap();
        let out = ecoscout(&[
            "verify",
            cert["url"].as_str().unwrap(),
            "--trust",
            trust.to_str().unwrap(),
            "--exporter",
            domain,
            "--exporter-name",
            &name_of(domain),
            "--resolve",
            "*.test=127.0.0.1",
            "--format",
            "json",
        ]);
        let report: Value =
            serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        assert_eq!(
            report["verdict"], verdict,
            "{}: {}",
            cert["url"], report["reason"]
        );
        assert_eq!(report["url"], cert["url"]);
        assert_eq!(
            out.status.code(),
            Some(if verdict == "verified" { 0 } else { 1 })
        );
        for check in cert["failing_checks"].as_array().unwrap() {
            assert_eq!(report["checks"][check.as_str().unwrap()], "fail");
        }
        assert_eq!(report["format"], cert["format"]);
    }
    assert!(
        seen.contains("verified") && seen.contains("failed"),
        "{seen:?}"
    );
    // Both formats were met, TradeTrust links included.
    assert_eq!(formats.len(), 2, "{formats:?}");
    assert!(links > 0, "no TradeTrust link was verified");
    drop(world);
}

#[test]
fn the_sim_command_serves_a_world_and_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args([
            "sim",
            "--suppliers",
            "30",
            "--seed",
            "9",
            "--out",
            dir.path().to_str().unwrap(),
            "--log-requests",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let try_line = lines
        .find(|l| l.as_ref().is_ok_and(|l| l.starts_with("try:")))
        .unwrap()
        .unwrap();
    let host = try_line
        .split("Host: ")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    // A plain HTTP/1.1 request with a Host header, as curl would send.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut stream,
        format!("GET /robots.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 "), "{response}");
    for file in ["seeds.csv", "trust.toml", "truth.jsonl", "requests.jsonl"] {
        assert!(dir.path().join(file).exists(), "{file}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("truth.jsonl"))
            .unwrap()
            .lines()
            .count(),
        30
    );
    let requests = std::fs::read_to_string(dir.path().join("requests.jsonl")).unwrap();
    assert!(requests.contains("/robots.txt"), "{requests}");
    child.kill().unwrap();
    let _ = child.wait();
}
