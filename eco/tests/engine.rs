//! The verification engine against an in-memory issuing side: every check,
//! every tamper, hostile input, caching and offline operation.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use eco::issue::{
    CertificateOfOrigin, IssuingAuthority, RegistryStatus, SingleWindow, derived_key,
};
use eco::trust::{TrustList, TrustListFile};
use eco::{CheckName, FetchError, FetchResponse, Fetcher, Outcome, Verdict, Verifier};
use serde_json::{Value, json};
use url::Url;

const SW: &str = "http://sw.test/";

/// The issuing side: three authorities (the third not in the trust list)
/// and a single window, answering through a fetcher that counts requests.
struct World {
    authorities: Vec<IssuingAuthority>,
    registry: SingleWindow,
    requests: Mutex<HashMap<String, usize>>,
    down: Vec<String>,
}

impl World {
    fn new() -> World {
        let mk = |id: &str, country: &str, host: &str| {
            IssuingAuthority::new(
                id,
                &format!("{id} authority"),
                country,
                &format!("http://{host}/"),
                SW,
                id,
            )
            .unwrap()
        };
        World {
            authorities: vec![
                mk("cn-ccpit", "CN", "eco.ccpit.test"),
                mk("vn-moit", "VN", "eco.moit.test"),
                mk("xx-rogue", "XX", "eco.rogue.test"),
            ],
            registry: SingleWindow::new(),
            requests: Mutex::new(HashMap::new()),
            down: Vec::new(),
        }
    }

    fn trust(&self) -> Arc<TrustList> {
        let file = TrustListFile {
            authority: self.authorities[..2]
                .iter()
                .map(IssuingAuthority::trust_entry)
                .collect(),
            ..Default::default()
        };
        Arc::new(TrustList::from_file(&file, "test").unwrap())
    }

    fn certificate(number: &str, website: &str) -> CertificateOfOrigin {
        CertificateOfOrigin {
            number: number.into(),
            exporter_name: "Ningbo Example Electric Co., Ltd.".into(),
            exporter_country: "CN".into(),
            exporter_website: website.into(),
            importer_name: "Hai Phong Import JSC".into(),
            importer_country: "VN".into(),
            issue_date: "2026-06-12".into(),
            valid_from: "2026-06-12T00:00:00Z".into(),
            valid_until: "2027-06-11T23:59:59Z".into(),
            hs_code: "8504.40".into(),
            description: "Power adapters".into(),
            single_window_reference: format!("ASW-{number}"),
        }
    }

    /// Issues, anchors and registers a genuine credential.
    fn issue(&mut self, authority: usize, number: &str, index: usize) -> Value {
        let cert = World::certificate(number, "https://www.example-electric.cn/");
        let credential = self.authorities[authority].issue(&cert, index).unwrap();
        self.authorities[authority].anchor(&credential).unwrap();
        self.registry
            .register(&credential, RegistryStatus::Valid)
            .unwrap();
        credential
    }

    fn count(&self, url_part: &str) -> usize {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .filter(|(u, _)| u.contains(url_part))
            .map(|(_, n)| n)
            .sum()
    }
}

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

#[derive(Clone)]
struct WorldFetcher(Arc<Mutex<World>>);

impl Fetcher for WorldFetcher {
    async fn get(&self, url: &Url, _accept: &str) -> Result<FetchResponse, FetchError> {
        let mut world = self.0.lock().unwrap();
        *world
            .requests
            .lock()
            .unwrap()
            .entry(url.to_string())
            .or_default() += 1;
        if world.down.iter().any(|d| url.as_str().starts_with(d)) {
            return Ok(FetchResponse {
                url: url.clone(),
                status: 503,
                content_type: None,
                body: Vec::new(),
            });
        }
        let base = format!("{}://{}/", url.scheme(), url.host_str().unwrap_or_default());
        let path = url.path().trim_start_matches('/');
        let answer = if base == SW {
            world.registry.answer(path)
        } else {
            world
                .authorities
                .iter_mut()
                .find(|a| a.base_url == base)
                .and_then(|a| a.answer(path, url.query()))
        };
        match answer {
            Some(a) => Ok(FetchResponse {
                url: url.clone(),
                status: a.status,
                content_type: Some(a.content_type.into()),
                body: a.body,
            }),
            None => Err(FetchError::Transport(format!("no route to {url}"))),
        }
    }

    async fn post_trusted_json(
        &self,
        url: &Url,
        _body: Vec<u8>,
    ) -> Result<FetchResponse, FetchError> {
        // The credentials of this world are not anchored on a chain.
        Err(FetchError::Transport(format!("no chain at {url}")))
    }
}

fn verifier(world: &Arc<Mutex<World>>) -> Verifier<WorldFetcher> {
    let trust = world.lock().unwrap().trust();
    Verifier::new(trust, WorldFetcher(world.clone())).at(now())
}

async fn verify(
    world: &Arc<Mutex<World>>,
    credential: &Value,
    domain: Option<&str>,
) -> eco::CertificateReport {
    verifier(world)
        .verify_value(credential, domain)
        .await
        .unwrap()
}

fn outcome(report: &eco::CertificateReport, name: CheckName) -> Outcome {
    report.checks.get(name).outcome
}

fn setup() -> (Arc<Mutex<World>>, Value) {
    let mut world = World::new();
    let credential = world.issue(0, "RCEP-CN-2026-000123", 94567);
    (Arc::new(Mutex::new(world)), credential)
}

#[tokio::test]
async fn a_genuine_credential_is_verified_with_every_check_passing() {
    let (world, credential) = setup();
    let report = verify(&world, &credential, Some("example-electric.cn")).await;
    for (name, result) in report.checks.iter() {
        if name == CheckName::EndpointAgrees {
            assert_eq!(result.outcome, Outcome::Skip);
        } else {
            assert_eq!(result.outcome, Outcome::Pass, "{name}: {:?}", result.reason);
            assert!(result.reason.is_none());
        }
    }
    assert_eq!(report.verdict, Verdict::Verified);
    assert_eq!(report.authority.as_deref(), Some("cn-ccpit"));
    assert_eq!(
        report.certificate_number.as_deref(),
        Some("RCEP-CN-2026-000123")
    );
    assert_eq!(
        report.digest,
        hex::encode(eco::credential::digest(&credential).unwrap())
    );
    // Without an exporter domain the exporter check does not apply, and
    // the credential is still verified.
    let report = verify(&world, &credential, None).await;
    assert_eq!(outcome(&report, CheckName::ExporterMatches), Outcome::Skip);
    assert_eq!(report.verdict, Verdict::Verified);
}

/// Every leaf value of a JSON document, with the path to it.
fn leaf_paths(value: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = path.clone();
                p.push(k.clone());
                leaf_paths(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(i.to_string());
                leaf_paths(v, p, out);
            }
        }
        _ => out.push(path),
    }
}

fn at<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(value, |v, k| match v {
        Value::Array(items) => &mut items[k.parse::<usize>().unwrap()],
        other => &mut other[k.as_str()],
    })
}

#[tokio::test]
async fn changing_any_field_fails_the_signature() {
    let (world, credential) = setup();
    let mut paths = Vec::new();
    leaf_paths(&credential, Vec::new(), &mut paths);
    assert!(paths.len() > 30);
    let verifier = verifier(&world);
    for path in paths {
        let mut tampered = credential.clone();
        let leaf = at(&mut tampered, &path);
        *leaf = match &*leaf {
            Value::String(s) => Value::String(format!("{s}x")),
            Value::Number(n) => json!(n.as_i64().unwrap_or(0) + 1),
            other => json!(format!("{other}!")),
        };
        let report = verifier
            .verify_value(&tampered, Some("example-electric.cn"))
            .await
            .unwrap();
        let failing = report.checks.failing();
        assert_eq!(report.verdict, Verdict::Failed, "{path:?}");
        if path.first().map(String::as_str) == Some("proof")
            && path.get(1).map(String::as_str) == Some("verificationMethod")
        {
            assert!(
                failing.contains(&CheckName::TrustedIssuer),
                "{path:?}: {failing:?}"
            );
        } else if path.first().map(String::as_str) != Some("issuer") {
            assert!(
                failing.contains(&CheckName::Signature),
                "{path:?}: {failing:?}"
            );
        }
        // The digest changes with any change, so the log no longer has it.
        assert!(
            outcome(&report, CheckName::Anchored) != Outcome::Pass,
            "{path:?}"
        );
    }
}

#[tokio::test]
async fn reordering_members_changes_nothing() {
    let (world, credential) = setup();
    // serde_json's map is ordered by key; rebuild the JSON text with
    // members reversed and re-read it.
    fn reversed(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .rev()
                    .map(|(k, v)| format!("{}:{}", json!(k), reversed(v)))
                    .collect();
                format!("{{ {} }}", parts.join(" ,\n"))
            }
            Value::Array(a) => {
                format!("[{}]", a.iter().map(reversed).collect::<Vec<_>>().join(","))
            }
            other => other.to_string(),
        }
    }
    let text = reversed(&credential);
    let report = verifier(&world)
        .verify_bytes(text.as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Verified, "{}", report.reason);
}

#[tokio::test]
async fn a_duplicate_key_is_refused_before_any_check() {
    let (world, credential) = setup();
    let text = serde_json::to_string(&credential).unwrap();
    let duplicated = text.replacen(
        "{\"@context\"",
        "{\"issuer\":\"did:web:evil.test\",\"@context\"",
        1,
    );
    assert_ne!(duplicated, text);
    let err = verifier(&world)
        .verify_bytes(duplicated.as_bytes(), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("duplicate key \"issuer\""),
        "{err}"
    );
}

#[tokio::test]
async fn another_authoritys_key_fails_trusted_issuer_and_signature() {
    let (world, credential) = setup();
    let other_method = world.lock().unwrap().authorities[1]
        .signer()
        .verification_method
        .clone();
    let mut swapped = credential.clone();
    swapped["proof"]["verificationMethod"] = other_method.into();
    let report = verify(&world, &swapped, None).await;
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Fail);
    assert!(
        report
            .checks
            .get(CheckName::TrustedIssuer)
            .reason
            .as_deref()
            .unwrap()
            .contains("vn-moit")
    );
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Fail);

    // Re-signed with the other authority's genuine key: signature passes
    // under that key, but the issuer's authority does not hold it.
    let signer = world.lock().unwrap().authorities[1].signer().clone();
    let mut unsigned = credential.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let resigned = signer.sign(&unsigned, "2026-06-12T00:00:00Z").unwrap();
    let report = verify(&world, &resigned, None).await;
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Fail);
    assert_eq!(report.verdict, Verdict::Failed);
}

#[tokio::test]
async fn a_key_outside_the_trust_list_is_never_trusted() {
    let (world, credential) = setup();
    let mut unsigned = credential.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let forger =
        eco::issue::CredentialSigner::new("did:web:eco.ccpit.test#key-2", derived_key("forger"));
    let forged = forger.sign(&unsigned, "2026-06-12T00:00:00Z").unwrap();
    let report = verify(&world, &forged, None).await;
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Fail);
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Unknown);
    assert_eq!(report.verdict, Verdict::Failed);

    // Forged under the genuine key id: the signature fails.
    let forger =
        eco::issue::CredentialSigner::new("did:web:eco.ccpit.test#key-1", derived_key("forger"));
    let forged = forger.sign(&unsigned, "2026-06-12T00:00:00Z").unwrap();
    let report = verify(&world, &forged, None).await;
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Pass);
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Fail);
}

#[tokio::test]
async fn another_cryptosuite_fails_the_signature() {
    let (world, credential) = setup();
    let mut other = credential.clone();
    other["proof"]["cryptosuite"] = "eddsa-rdfc-2022".into();
    let report = verify(&world, &other, None).await;
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Fail);
    assert!(report.reason.contains("cryptosuite"), "{}", report.reason);
}

#[tokio::test]
async fn an_untrusted_authority_fails_trusted_issuer() {
    let mut world = World::new();
    let credential = world.issue(2, "RCEP-XX-2026-000001", 5);
    let world = Arc::new(Mutex::new(world));
    let report = verify(&world, &credential, None).await;
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Fail);
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Unknown);
    assert_eq!(outcome(&report, CheckName::Anchored), Outcome::Unknown);
    assert_eq!(report.authority, None);
    assert_eq!(report.verdict, Verdict::Failed);
    // Nothing was fetched for an issuer the buyer does not trust.
    assert_eq!(world.lock().unwrap().count("rogue"), 0);
}

#[tokio::test]
async fn revoked_unanchored_expired_and_foreign_credentials_fail_their_check() {
    let mut world = World::new();
    let revoked = world.issue(0, "RCEP-CN-2026-000200", 200);
    world.authorities[0].revoke(200);
    let cert = World::certificate("RCEP-CN-2026-000201", "https://www.example-electric.cn/");
    let unanchored = world.authorities[0].issue(&cert, 201).unwrap();
    world
        .registry
        .register(&unanchored, RegistryStatus::Valid)
        .unwrap();
    let mut old = World::certificate("RCEP-CN-2025-000202", "https://www.example-electric.cn/");
    old.valid_from = "2025-01-01T00:00:00Z".into();
    old.valid_until = "2025-12-31T23:59:59Z".into();
    let expired = world.authorities[0].issue(&old, 202).unwrap();
    world.authorities[0].anchor(&expired).unwrap();
    world
        .registry
        .register(&expired, RegistryStatus::Expired)
        .unwrap();
    let foreign_cert = World::certificate("RCEP-CN-2026-000203", "https://other-exporter.com.cn/");
    let foreign = world.authorities[0].issue(&foreign_cert, 203).unwrap();
    world.authorities[0].anchor(&foreign).unwrap();
    world
        .registry
        .register(&foreign, RegistryStatus::Valid)
        .unwrap();
    let world = Arc::new(Mutex::new(world));

    let domain = Some("example-electric.cn");
    let cases = [
        (
            &revoked,
            CheckName::NotRevoked,
            "revoked",
            vec![CheckName::NotRevoked],
        ),
        (
            &unanchored,
            CheckName::Anchored,
            "not in the authority's log",
            vec![CheckName::Anchored],
        ),
        (
            &expired,
            CheckName::ValidityPeriod,
            "expired",
            vec![CheckName::ValidityPeriod, CheckName::SingleWindow],
        ),
        (
            &expired,
            CheckName::SingleWindow,
            "expired",
            vec![CheckName::ValidityPeriod, CheckName::SingleWindow],
        ),
        (
            &foreign,
            CheckName::ExporterMatches,
            "other-exporter.com.cn",
            vec![CheckName::ExporterMatches],
        ),
    ];
    for (credential, check, words, failing) in cases {
        let report = verify(&world, credential, domain).await;
        assert_eq!(report.checks.failing(), failing, "{check}");
        let reason = report.checks.get(check).reason.clone().unwrap();
        assert!(reason.contains(words), "{check}: {reason}");
        assert_eq!(report.verdict, Verdict::Failed);
        assert!(report.reason.starts_with("failed: "), "{}", report.reason);
    }
}

#[tokio::test]
async fn the_single_window_must_know_the_number_and_digest() {
    let mut world = World::new();
    let cert = World::certificate("RCEP-CN-2026-000300", "https://www.example-electric.cn/");
    let unregistered = world.authorities[0].issue(&cert, 300).unwrap();
    world.authorities[0].anchor(&unregistered).unwrap();
    // A registered credential whose record carries another digest.
    let genuine = world.issue(0, "RCEP-CN-2026-000301", 301);
    let mut altered_cert =
        World::certificate("RCEP-CN-2026-000301", "https://www.example-electric.cn/");
    altered_cert.description = "Something else".into();
    let twin = world.authorities[0].issue(&altered_cert, 301).unwrap();
    world.authorities[0].anchor(&twin).unwrap();
    let world = Arc::new(Mutex::new(world));

    let report = verify(&world, &unregistered, None).await;
    assert_eq!(report.checks.failing(), vec![CheckName::SingleWindow]);
    let report = verify(&world, &twin, None).await;
    assert_eq!(report.checks.failing(), vec![CheckName::SingleWindow]);
    assert!(report.reason.contains("digest"), "{}", report.reason);
    assert_eq!(
        verify(&world, &genuine, None).await.verdict,
        Verdict::Verified
    );
}

#[tokio::test]
async fn services_that_do_not_answer_leave_checks_unknown() {
    let (world, credential) = setup();
    world.lock().unwrap().down = vec!["http://eco.ccpit.test/log/".into(), SW.into()];
    let report = verify(&world, &credential, None).await;
    assert_eq!(outcome(&report, CheckName::Anchored), Outcome::Unknown);
    assert_eq!(outcome(&report, CheckName::SingleWindow), Outcome::Unknown);
    assert_eq!(outcome(&report, CheckName::NotRevoked), Outcome::Pass);
    assert_eq!(report.verdict, Verdict::Unverifiable);
    assert!(report.reason.contains("503"), "{}", report.reason);
}

#[tokio::test]
async fn a_checkpoint_under_another_key_is_not_believed() {
    let (world, credential) = setup();
    let mut file = TrustListFile {
        authority: world.lock().unwrap().authorities[..2]
            .iter()
            .map(IssuingAuthority::trust_entry)
            .collect(),
        ..Default::default()
    };
    // The trust list pins the other authority's log key for this log.
    file.authority[0].log_key = file.authority[1].log_key.clone();
    let trust = Arc::new(TrustList::from_file(&file, "t").unwrap());
    let verifier = Verifier::new(trust, WorldFetcher(world.clone())).at(now());
    let report = verifier.verify_value(&credential, None).await.unwrap();
    assert_eq!(outcome(&report, CheckName::Anchored), Outcome::Unknown);
    assert!(
        report
            .checks
            .get(CheckName::Anchored)
            .reason
            .as_deref()
            .unwrap()
            .contains("log_key")
    );
}

#[tokio::test]
async fn status_lists_outside_the_trusted_prefixes_are_not_fetched() {
    let (world, credential) = setup();
    let mut file = TrustListFile {
        authority: world.lock().unwrap().authorities[..2]
            .iter()
            .map(IssuingAuthority::trust_entry)
            .collect(),
        ..Default::default()
    };
    file.authority[0].status_prefixes = Some(vec!["http://eco.ccpit.test/other/".into()]);
    let trust = Arc::new(TrustList::from_file(&file, "t").unwrap());
    let verifier = Verifier::new(trust, WorldFetcher(world.clone())).at(now());
    let report = verifier.verify_value(&credential, None).await.unwrap();
    assert_eq!(outcome(&report, CheckName::NotRevoked), Outcome::Unknown);
    assert_eq!(world.lock().unwrap().count("/status/"), 0);
}

#[tokio::test]
async fn checkpoints_and_status_lists_are_fetched_once_per_run() {
    let mut world = World::new();
    let credentials: Vec<Value> = (0..20)
        .map(|i| world.issue(0, &format!("RCEP-CN-2026-1{i:05}"), i))
        .collect();
    let world = Arc::new(Mutex::new(world));
    let verifier = verifier(&world);
    for c in &credentials {
        assert_eq!(
            verifier.verify_value(c, None).await.unwrap().verdict,
            Verdict::Verified
        );
    }
    let w = world.lock().unwrap();
    assert_eq!(w.count("/log/checkpoint"), 1);
    assert_eq!(w.count("/status/1"), 1);
    assert_eq!(w.count("/log/proof"), 20);
    assert_eq!(w.count("/v1/certificates/"), 20);
}

#[tokio::test]
async fn offline_verification_checks_the_document_only() {
    let (world, credential) = setup();
    let verifier = Verifier::offline(world.lock().unwrap().trust()).at(now());
    let report = verifier
        .verify_value(&credential, Some("example-electric.cn"))
        .await
        .unwrap();
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Pass);
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Pass);
    assert_eq!(outcome(&report, CheckName::ExporterMatches), Outcome::Pass);
    for check in [
        CheckName::Anchored,
        CheckName::NotRevoked,
        CheckName::SingleWindow,
    ] {
        assert_eq!(outcome(&report, check), Outcome::Unknown);
        assert!(
            report
                .checks
                .get(check)
                .reason
                .as_deref()
                .unwrap()
                .contains("offline")
        );
    }
    assert_eq!(report.verdict, Verdict::Unverifiable);
}

#[tokio::test]
async fn hostile_documents_give_clear_errors() {
    let (world, _) = setup();
    let verifier = verifier(&world);
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    for input in [
        &b""[..],
        b"not json",
        deep.as_bytes(),
        big.as_bytes(),
        b"[1,2,3]",
        b"\"str\"",
    ] {
        let err = verifier.verify_bytes(input, None).await.unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    // A JSON object that is not a credential fails its checks, never panics.
    let report = verifier.verify_bytes(b"{}", None).await.unwrap();
    assert_eq!(report.verdict, Verdict::Failed);
    assert_eq!(outcome(&report, CheckName::TrustedIssuer), Outcome::Fail);
    assert_eq!(outcome(&report, CheckName::Signature), Outcome::Fail);
}
