//! Property tests of the readiness model.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use crawler::observation::{Entry, EntryKind, NegativeControl, Observation, Probe};
use eco::{CertificateReport, CheckName, CheckResult, Checks, Outcome};
use proptest::prelude::*;
use scoring::{Tier, Weights, score};

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Pass),
        Just(Outcome::Fail),
        Just(Outcome::Unknown),
        Just(Outcome::Skip)
    ]
}

fn certificate(n: usize) -> impl Strategy<Value = CertificateReport> {
    proptest::collection::vec(outcome(), 8).prop_map(move |outcomes| {
        let mut checks = Checks::all_unknown("x");
        for (name, o) in CheckName::ALL.into_iter().zip(outcomes) {
            checks.set(
                name,
                CheckResult {
                    outcome: o,
                    reason: (o != Outcome::Pass).then(|| "why".to_owned()),
                },
            );
        }
        report(n, checks)
    })
}

fn report(n: usize, checks: Checks) -> CertificateReport {
    CertificateReport {
        url: Some(format!("http://s.test/c/{n}.json")),
        format: eco::CredentialFormat::VcEddsaJcs2022,
        certificate_number: Some(format!("RCEP-CN-2026-{n:06}")),
        issuer: Some("did:web:a.test".into()),
        authority: Some("a".into()),
        digest: "0".repeat(64),
        verdict: checks.verdict(),
        reason: checks.verdict_reason(),
        checks,
        identity: Vec::new(),
    }
}

fn verified(n: usize) -> CertificateReport {
    let mut checks = Checks::all_unknown("x");
    for name in CheckName::ALL {
        checks.set(
            name,
            if name == CheckName::EndpointAgrees {
                CheckResult::skip("none")
            } else {
                CheckResult::pass()
            },
        );
    }
    report(n, checks)
}

fn observation() -> impl Strategy<Value = Observation> {
    (
        proptest::collection::vec(0usize..5, 0..4),
        proptest::collection::vec(
            (
                0usize..4,
                proptest::option::of(0u64..5000),
                any::<bool>(),
                0usize..5,
                0usize..4,
            ),
            0..4,
        ),
        (0usize..4).prop_flat_map(|n| {
            proptest::collection::vec(0..n.max(1), n).prop_flat_map(|ids| {
                ids.into_iter()
                    .enumerate()
                    .map(|(i, _)| certificate(i))
                    .collect::<Vec<_>>()
            })
        }),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(kinds, probes, certificates, page, linked)| {
            let kinds_all = [
                EntryKind::Api,
                EntryKind::Form,
                EntryKind::PortalLink,
                EntryKind::CredentialLink,
                EntryKind::Openapi,
            ];
            let statuses = [
                None,
                Some("valid"),
                Some("revoked"),
                Some("expired"),
                Some("not_found"),
            ];
            let controls = [
                NegativeControl::Rejected,
                NegativeControl::Accepted,
                NegativeControl::Error,
                NegativeControl::Skipped,
            ];
            Observation {
                domain: "s.test".into(),
                name: "S".into(),
                country: "CN".into(),
                region: String::new(),
                website: "http://s.test/".into(),
                tags: BTreeMap::new(),
                crawled_at: chrono::Utc::now(),
                duration_ms: 1,
                pages_fetched: 3,
                cert_pages: if page {
                    vec!["http://s.test/certs".into()]
                } else {
                    Vec::new()
                },
                robots_blocked: Vec::new(),
                entries: kinds
                    .into_iter()
                    .map(|k| Entry {
                        kind: kinds_all[k],
                        url: "http://s.test/x".into(),
                        method: "GET".into(),
                    })
                    .collect(),
                probes: probes
                    .into_iter()
                    .map(|(n, latency, json, status, control)| Probe {
                        url: "http://s.test/api".into(),
                        certificate_number: Some(format!("RCEP-CN-2026-{n:06}")),
                        http_status: latency.map(|_| 200),
                        latency_ms: latency,
                        json,
                        answer_status: statuses[status].map(str::to_owned),
                        negative_control: controls[control],
                    })
                    .collect(),
                certificates,
                errors: Vec::new(),
                cert_page_linked: linked,
                cert_page_evidence: Vec::new(),
                documents: Vec::new(),
                documents_fetched: 0,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_verified_certificate_never_lowers_a_score(o in observation()) {
        let w = Weights::default();
        let before = score(&o, &w);
        let mut more = o.clone();
        more.certificates.push(verified(90));
        let after = score(&more, &w);
        prop_assert!(after.score >= before.score, "{} -> {}", before.score, after.score);
        prop_assert_eq!(after.red_flags.is_empty(), before.red_flags.is_empty());
    }

    #[test]
    fn any_red_flag_ranks_below_every_supplier_without_one(a in observation(), b in observation()) {
        let w = Weights::default();
        let (ra, rb) = (score(&a, &w), score(&b, &w));
        prop_assert!(ra.score <= 100 && rb.score <= 100);
        prop_assert_eq!(ra.tier == Tier::R, !ra.red_flags.is_empty());
        if !ra.red_flags.is_empty() {
            prop_assert!(ra.score <= w.red_flag_cap);
            if rb.red_flags.is_empty() {
                prop_assert_eq!(ra.rank(&rb), std::cmp::Ordering::Greater);
                prop_assert_eq!(rb.rank(&ra), std::cmp::Ordering::Less);
            }
        }
        prop_assert_eq!(ra.components.values().sum::<u32>().min(100) >= ra.score, true);
        prop_assert_eq!(ra.explanations.len(), 6);
    }
}

/// A supplier with a linked Certifications page and nothing else.
fn bare_observation() -> Observation {
    Observation {
        domain: "s.test".into(),
        name: "S".into(),
        country: "CN".into(),
        region: String::new(),
        website: "http://s.test/".into(),
        tags: BTreeMap::new(),
        crawled_at: chrono::Utc::now(),
        duration_ms: 1,
        pages_fetched: 2,
        cert_pages: vec!["http://s.test/certs".into()],
        robots_blocked: Vec::new(),
        entries: Vec::new(),
        probes: Vec::new(),
        certificates: Vec::new(),
        errors: Vec::new(),
        cert_page_linked: true,
        cert_page_evidence: Vec::new(),
        documents: Vec::new(),
        documents_fetched: 0,
    }
}

#[test]
fn the_model_scores_a_complete_supplier_100() {
    let mut checks = Checks::all_unknown("x");
    for name in CheckName::ALL {
        checks.set(name, CheckResult::pass());
    }
    let o = Observation {
        entries: vec![
            Entry {
                kind: EntryKind::Api,
                url: "http://s.test/api?no={certificationIdentification}".into(),
                method: "GET".into(),
            },
            Entry {
                kind: EntryKind::Openapi,
                url: "http://s.test/openapi.json".into(),
                method: "GET".into(),
            },
        ],
        probes: vec![Probe {
            url: "http://s.test/api?no=RCEP-CN-2026-000001".into(),
            certificate_number: Some("RCEP-CN-2026-000001".into()),
            http_status: Some(200),
            latency_ms: Some(40),
            json: true,
            answer_status: Some("valid".into()),
            negative_control: NegativeControl::Rejected,
        }],
        certificates: vec![report(1, checks)],
        ..bare_observation()
    };
    let r = score(&o, &Weights::default());
    assert_eq!(r.score, 100, "{:?}", r.explanations);
    assert_eq!(r.tier, Tier::A);
    let mut liar = o.clone();
    liar.probes[0].negative_control = NegativeControl::Accepted;
    let r = score(&liar, &Weights::default());
    assert_eq!((r.tier, r.score), (Tier::R, 10));
    assert!(r.red_flags[0].contains("cannot exist"));
    let custom = Weights::from_toml("certificate_verified = 50\ntier_a = 90", "w.toml").unwrap();
    assert_eq!(custom.certificate_verified, 50);
    assert!(Weights::from_toml("certificat_verified = 50", "w.toml").is_err());
}

#[test]
fn a_certificate_of_origin_with_a_portal_qr_code_earns_the_portal_entry_credit() {
    use crawler::observation::{CertificateDocument, QrCode, QrTarget};
    let document = |kind: &str, leads_to: QrTarget| CertificateDocument {
        url: "http://s.test/co.jpg".into(),
        page: "http://s.test/certs".into(),
        kind: kind.into(),
        kind_label: String::new(),
        evidence: String::new(),
        format: Some("jpeg".into()),
        decoded: true,
        qr_codes: vec![QrCode {
            payload: "https://check.portal.test/?no=RCEP-CN-2026-000001".into(),
            leads_to,
            certificate_number: Some("RCEP-CN-2026-000001".into()),
        }],
        certificate_numbers: Vec::new(),
        error: None,
    };
    let bare = bare_observation();
    let entry = |o: &Observation| score(o, &Weights::default()).components["entry"];
    assert_eq!(entry(&bare), 0);
    let mut with_co = bare.clone();
    with_co.documents = vec![document("certificate_of_origin", QrTarget::OfficialPortal)];
    assert_eq!(entry(&with_co), Weights::default().entry_portal_only);
    let mut with_iso = bare.clone();
    with_iso.documents = vec![document("iso_9001", QrTarget::OfficialPortal)];
    assert_eq!(
        entry(&with_iso),
        0,
        "other certifications do not change e-CO readiness"
    );
    let mut elsewhere = bare;
    elsewhere.documents = vec![document("certificate_of_origin", QrTarget::Other)];
    assert_eq!(entry(&elsewhere), 0);
}
