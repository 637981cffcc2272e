//! ecoscout checked against the reference verifier on real TradeTrust
//! documents (issue 12, step 7).
//!
//! `interop/tradetrust/reference.js` starts ganache on loopback, deploys the
//! real DocumentStore contracts, wraps, issues and revokes documents with
//! `@govtechsg/open-attestation`, and records what `@govtechsg/oa-verify`
//! says of each (integrity and status). This test runs `ecoscout verify` on
//! the same documents against the same chain and asserts that both agree:
//!
//! - the reference's integrity is valid exactly when ecoscout's `signature`
//!   passes;
//! - its status is valid exactly when `anchored` and `not_revoked` pass (or
//!   are skipped where they do not apply, as for a DID-signed document);
//! - a document it calls invalid, ecoscout calls `failed`, and the checks
//!   that fail are the ones its failing fragments name (tampered:
//!   `signature`, not issued: `anchored`, revoked: `not_revoked`).
//!
//! ecoscout checks a DID signature in `signature`, where the reference
//! reports it as a status fragment (WRONG_SIGNATURE): such a fragment is
//! compared with `signature`, not with `anchored` and `not_revoked`.
//!
//! One divergence is asserted as such: oa-verify 9.4.0 asks a batchable
//! store (`@trustvc/document-store`) `isIssued(bytes32,bytes32,bytes32[])`
//! with arguments lacking `0x`, and reports DOCUMENT_NOT_ISSUED "Invalid
//! call arguments" whatever the store holds; there ecoscout must say what
//! the store itself answers when asked correctly (the script records it):
//! issued, and revoked or not.
//!
//! Needs Node 18+ and the pinned packages: `npm ci` in
//! `interop/tradetrust`, then
//! `cargo test -p ecoscout --test tradetrust_reference -- --ignored`
//! (`.ci/run` does both).

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the reference script may take to deploy, issue and verify.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Every case the reference must have made, with what oa-verify is
/// expected to say of it (integrity valid, status valid): if the script
/// stopped producing a case, or the reference changed its mind, the
/// comparison below would be empty or trivial, so this is checked first.
const CASES: &[(&str, bool, bool)] = &[
    ("valid", true, true),
    ("revoked", true, false),
    ("revoked-root", true, false),
    ("tampered", false, true),
    ("obfuscated", true, true),
    ("obfuscated-emptied", false, true),
    ("empty-containers", true, true),
    ("not-issued", true, false),
    ("did-signed", true, true),
    ("revoked-intermediate", true, false),
    ("other-half", true, true),
    ("obfuscated-array-item", false, true),
    ("two-stores-one-not-issued", true, false),
    ("did-signed-wrong-key", true, false),
    ("did-signed-revoked", true, false),
    ("batchable-store", true, false),
    ("batchable-revoked", true, false),
];

/// The cases on a batchable store, where oa-verify 9.4.0 errs.
const BATCHABLE: &[&str] = &["batchable-store", "batchable-revoked"];

/// The reference's code for a DID signature that does not verify.
const WRONG_SIGNATURE: &str = "WRONG_SIGNATURE";

/// The folder of the reference script and its `node_modules`.
fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop/tradetrust")
}

/// The running reference script; killed (and waited for) when dropped, on
/// every path out of the test.
struct Reference {
    child: Child,
    /// Held open: the script stops when its standard input closes.
    _stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
}

impl Reference {
    /// Starts `node reference.js OUT` and waits until it says READY.
    fn start(out: &Path) -> Reference {
        let dir = interop_dir();
        assert!(
            dir.join("node_modules").is_dir(),
            "{}/node_modules is missing: run `npm ci` in that folder first (Node 18+)",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("reference.js")
            .arg(out)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run `node`: Node 18+ must be on PATH");
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut reference = Reference {
            _stdin: stdin,
            stderr: Arc::clone(&stderr),
            child,
        };
        if let Some(mut pipe) = reference.child.stderr.take() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut text = stderr.lock().unwrap_or_else(|p| p.into_inner());
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let stdout = reference.child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with("READY ") => return reference,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "reference.js was not ready within {READY_TIMEOUT:?}; its stderr:\n{}",
                    reference.stderr()
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Give the stderr reader a moment to drain.
                    let status = reference.child.wait().ok();
                    std::thread::sleep(Duration::from_millis(200));
                    panic!(
                        "reference.js exited ({status:?}) before it was ready; its stderr:\n{}",
                        reference.stderr()
                    )
                }
            }
        }
    }

    /// What the script wrote to standard error so far.
    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `ecoscout verify --format json` said of one document.
struct Ecoscout {
    report: Value,
    exit: Option<i32>,
}

impl Ecoscout {
    fn run(document: &Path, trust: &Path) -> Ecoscout {
        let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
            .arg("verify")
            .arg(document)
            .arg("--trust")
            .arg(trust)
            .args(["--format", "json", "--timeout", "10"])
            .output()
            .expect("cannot run ecoscout");
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "ecoscout printed no JSON report for {} ({e}); stderr:\n{}",
                document.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        Ecoscout {
            report,
            exit: out.status.code(),
        }
    }

    /// A check's outcome: pass, fail, unknown or skip.
    fn outcome(&self, check: &str) -> &str {
        self.report["checks"][check]
            .as_str()
            .unwrap_or_else(|| panic!("no `{check}` check in {}", self.report))
    }

    fn verdict(&self) -> &str {
        self.report["verdict"].as_str().expect("a verdict")
    }

    /// The document checks that failed.
    fn failing(&self) -> BTreeSet<String> {
        self.report["checks"]
            .as_object()
            .expect("a checks object")
            .iter()
            .filter(|(_, outcome)| outcome.as_str() == Some("fail"))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// The ecoscout check that a failing oa-verify fragment corresponds to.
fn check_for(code: &str) -> &'static str {
    match code {
        "DOCUMENT_TAMPERED" | WRONG_SIGNATURE => "signature",
        "DOCUMENT_NOT_ISSUED" => "anchored",
        "DOCUMENT_REVOKED" => "not_revoked",
        other => panic!("no ecoscout check is mapped to the reference's code {other}"),
    }
}

/// Whether a check that must not fail passed, or was skipped as not
/// applying.
fn passes_or_skips(outcome: &str) -> bool {
    matches!(outcome, "pass" | "skip")
}

/// The failing fragments of a reference outcome: (type, code, message).
fn invalid_fragments(case: &Value) -> Vec<(String, String, String)> {
    case["fragments"]
        .as_array()
        .expect("fragments")
        .iter()
        .filter(|f| f["status"] != "VALID" && f["status"] != "SKIPPED")
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("type"), text("code"), text("message"))
        })
        .collect()
}

/// Compares one ordinary case: the reference's integrity and status
/// against ecoscout's checks, and its failures against ecoscout's.
fn compare(name: &str, reference: &Value, ecoscout: &Ecoscout) -> Result<(), String> {
    let integrity = reference["integrityValid"] == true;
    let status = reference["statusValid"] == true;
    let invalid = invalid_fragments(reference);
    let wrong_signature = invalid.iter().any(|(_, code, _)| code == WRONG_SIGNATURE);
    let chain_status = invalid
        .iter()
        .all(|(kind, code, _)| kind != "DOCUMENT_STATUS" || code == WRONG_SIGNATURE);
    let signature = ecoscout.outcome("signature");
    if (integrity && !wrong_signature) != (signature == "pass") {
        return Err(format!(
            "{name}: reference integrity valid = {integrity} (DID signature wrong = \
             {wrong_signature}), ecoscout signature = {signature}"
        ));
    }
    let (anchored, not_revoked) = (
        ecoscout.outcome("anchored"),
        ecoscout.outcome("not_revoked"),
    );
    if chain_status != (passes_or_skips(anchored) && passes_or_skips(not_revoked)) {
        return Err(format!(
            "{name}: reference status valid = {status} (apart from the DID signature: \
             {chain_status}), ecoscout anchored = {anchored}, not_revoked = {not_revoked}"
        ));
    }
    let expected: BTreeSet<String> = invalid
        .iter()
        .map(|(_, code, _)| check_for(code).to_owned())
        .collect();
    let failing = ecoscout.failing();
    if failing != expected {
        return Err(format!(
            "{name}: the reference's failures map to {expected:?}, ecoscout failed {failing:?} ({})",
            ecoscout.report["reason"]
        ));
    }
    let verdict = ecoscout.verdict();
    if integrity && status {
        // The trust list names no single window, so that check is skipped
        // (the store is the register) and nothing is left unknown.
        let unknown: Vec<&String> = ecoscout.report["checks"]
            .as_object()
            .expect("checks")
            .iter()
            .filter(|(_, o)| o.as_str() == Some("unknown"))
            .map(|(n, _)| n)
            .collect();
        if verdict != "verified" || !unknown.is_empty() {
            return Err(format!(
                "{name}: valid for the reference, but ecoscout says {verdict} with {unknown:?} unknown ({})",
                ecoscout.report["reason"]
            ));
        }
    } else if verdict != "failed" {
        return Err(format!(
            "{name}: invalid for the reference, but ecoscout says {verdict}"
        ));
    }
    let want_exit = if verdict == "verified" { 0 } else { 1 };
    if ecoscout.exit != Some(want_exit) {
        return Err(format!(
            "{name}: verdict {verdict} but exit status {:?}",
            ecoscout.exit
        ));
    }
    Ok(())
}

/// A batchable store: the reference calls the document not issued because
/// of its own argument error; ecoscout must say what the store answers.
fn compare_batchable(
    name: &str,
    reference_file: &Value,
    ecoscout: &Ecoscout,
) -> Result<(), String> {
    let case = &reference_file["cases"][name];
    let invalid = invalid_fragments(case);
    let expected = [(
        "DOCUMENT_STATUS".to_owned(),
        "DOCUMENT_NOT_ISSUED".to_owned(),
        "Invalid call arguments".to_owned(),
    )];
    if case["integrityValid"] != true || invalid != expected {
        return Err(format!(
            "{name}: the reference no longer fails only with DOCUMENT_NOT_ISSUED \
             \"Invalid call arguments\" (fixed upstream? then compare it as an ordinary case): {invalid:?}"
        ));
    }
    let store = &reference_file["batchableStore"][name];
    let (Some(issued), Some(revoked)) = (store["issued"].as_bool(), store["revoked"].as_bool())
    else {
        return Err(format!(
            "{name}: the store's own answers were not recorded: {store}"
        ));
    };
    if !issued {
        return Err(format!(
            "{name}: the store itself says not issued, so this case no longer shows the divergence"
        ));
    }
    let expected = [
        ("signature", "pass"),
        ("anchored", "pass"),
        ("not_revoked", if revoked { "fail" } else { "pass" }),
    ];
    let got = expected.map(|(check, _)| (check, ecoscout.outcome(check)));
    let should_fail: BTreeSet<String> = if revoked {
        BTreeSet::from(["not_revoked".to_owned()])
    } else {
        BTreeSet::new()
    };
    let verdict = ecoscout.verdict();
    if got != expected || ecoscout.failing() != should_fail || (verdict == "failed") != revoked {
        return Err(format!(
            "{name}: the store says issued, revoked = {revoked}; ecoscout must say {expected:?}, \
             said {got:?}, verdict {verdict}"
        ));
    }
    Ok(())
}

#[test]
#[ignore = "needs Node and `npm ci` in interop/tradetrust; .ci/run runs it"]
fn ecoscout_agrees_with_oa_verify_on_real_contracts() {
    let started = Instant::now();
    let out = tempfile::tempdir().expect("a temporary folder");
    let _reference = Reference::start(out.path());
    let ready = started.elapsed();
    let text = std::fs::read_to_string(out.path().join("reference.json"))
        .expect("reference.js wrote no reference.json");
    let reference: Value = serde_json::from_str(&text).expect("reference.json is JSON");
    assert_eq!(reference["versions"]["@govtechsg/oa-verify"], "9.4.0");
    let trust = out.path().join("trust.toml");

    let recorded: BTreeSet<&str> = reference["cases"]
        .as_object()
        .expect("cases")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = CASES.iter().map(|(name, ..)| *name).collect();
    assert_eq!(recorded, expected, "the reference made other cases");

    let mut disagreements = Vec::new();
    for (name, integrity, status) in CASES {
        let case = &reference["cases"][name];
        assert_eq!(
            (case["integrityValid"] == true, case["statusValid"] == true),
            (*integrity, *status),
            "{name}: oa-verify's (integrity, status) changed: {case}"
        );
        let file = case["file"].as_str().expect("a file name");
        let ecoscout = Ecoscout::run(&out.path().join(file), &trust);
        let result = if BATCHABLE.contains(name) {
            compare_batchable(name, &reference, &ecoscout)
        } else {
            compare(name, case, &ecoscout)
        };
        if let Err(e) = result {
            disagreements.push(format!("{e}\n  ecoscout: {}", ecoscout.report));
        }
    }
    assert!(
        disagreements.is_empty(),
        "ecoscout disagrees with the reference:\n{}",
        disagreements.join("\n")
    );
    eprintln!(
        "{} cases agree; reference ready in {:.1} s, {:.1} s in all",
        CASES.len(),
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
