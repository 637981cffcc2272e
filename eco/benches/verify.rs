//! Verification throughput on one core, offline: the whole document check
//! (strict parse, JCS, SHA-256, Ed25519, digest) against the signature
//! alone, and the integrity of an OpenAttestation v2 certificate of origin
//! (strict parse, flattening, keccak-256 of every field, Merkle proof).
//! `cargo bench -p eco --bench verify`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eco::issue::{CertificateOfOrigin, IssuingAuthority};
use eco::openattestation::digest::{keccak256, merkle_root, target_hash};
use eco::openattestation::{Integrity, MERKLE_PROOF, SCHEMA_V2, WrappedDocument};
use eco::trust::{TrustList, TrustListFile};
use eco::{Verdict, Verifier};
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{Value, json};

fn credential() -> (Vec<u8>, Arc<TrustList>) {
    let authority = IssuingAuthority::new(
        "cn-ccpit",
        "CCPIT",
        "CN",
        "https://eco.ccpit.example/",
        "https://sw.example/",
        "bench",
    )
    .unwrap();
    let cert = CertificateOfOrigin {
        number: "RCEP-CN-2026-000123".into(),
        exporter_name: "Ningbo Example Electric Co., Ltd.".into(),
        exporter_country: "CN".into(),
        exporter_website: "https://example-electric.cn/".into(),
        importer_name: "Hai Phong Import JSC".into(),
        importer_country: "VN".into(),
        issue_date: "2026-06-12".into(),
        valid_from: "2026-06-12T00:00:00Z".into(),
        valid_until: "2027-06-11T23:59:59Z".into(),
        hs_code: "8504.40".into(),
        description: "Power adapters".into(),
        single_window_reference: "ASW-CN-VN-0000123".into(),
    };
    let signed = authority.issue(&cert, 94567).unwrap();
    let trust = TrustList::from_file(
        &TrustListFile {
            authority: vec![authority.trust_entry()],
            ..Default::default()
        },
        "bench",
    )
    .unwrap();
    (serde_json::to_vec_pretty(&signed).unwrap(), Arc::new(trust))
}

fn bench(c: &mut Criterion) {
    let (bytes, trust) = credential();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let verifier = Verifier::offline(trust);
    let mut group = c.benchmark_group("verification");
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        "credential, offline (parse, JCS, hashes, Ed25519, digest)",
        |b| {
            b.iter(|| {
                let report = runtime
                    .block_on(verifier.verify_bytes(black_box(&bytes), Some("example-electric.cn")))
                    .unwrap();
                assert_ne!(report.verdict, Verdict::Failed);
            })
        },
    );
    let key = SigningKey::from_bytes(&[7; 32]);
    let message = [1u8; 64];
    let signature = key.sign(&message);
    let public = key.verifying_key();
    group.bench_function("Ed25519 verify_strict alone (64-byte message)", |b| {
        b.iter(|| {
            public
                .verify_strict(black_box(&message), black_box(&signature))
                .unwrap()
        })
    });
    let oa = openattestation_document();
    group.bench_function(
        "OpenAttestation v2 integrity (parse, 45 salted fields, keccak-256, proof of 2)",
        |b| {
            b.iter(|| {
                let document = WrappedDocument::read(black_box(&oa)).unwrap();
                assert_eq!(document.integrity(), Integrity::Intact);
            })
        },
    );
    group.finish();
}

/// A certificate of origin shaped like the CHAFTA template (45 salted
/// fields in nested objects and a list of goods), wrapped in a batch of
/// four (a proof of two).
fn openattestation_document() -> Vec<u8> {
    let salted = |i: usize, v: &str| format!("{:08x}-0000-4000-8000-{i:012x}:string:{v}", i * 7919);
    let mut n = 0;
    let mut next = |v: &str| {
        n += 1;
        salted(n, v)
    };
    let party = |next: &mut dyn FnMut(&str) -> String, name: &str| {
        json!({"iD": next("abr.gov.au:abn:55004094599"), "name": next(name),
               "postalAddress": {"line1": next("161 Collins Street"), "cityName": next("Melbourne"),
                                 "postcode": next("3000"), "countryCode": next("AU")}})
    };
    let exporter = party(&mut next, "Example Vintners Limited");
    let importer = party(&mut next, "Example Import Co.");
    let items: Vec<Value> = (0..4)
        .map(|i| {
            json!({"sequenceNumber": next(&i.to_string()), "description": next("Wine"),
                        "hsCode": next("220421"), "originCountry": next("AU"),
                        "grossWeight": next("1200")})
        })
        .collect();
    let data = json!({
        "iD": next("CO-2026-000123"), "issueDateTime": next("2026-06-12T00:00:00Z"),
        "name": next("Certificate of Origin"), "freeTradeAgreement": next("ChAFTA"),
        "isPreferential": next("true"), "status": next("issued"),
        "supplyChainConsignment": {"exporter": exporter, "importer": importer,
                                   "includedConsignmentItems": items},
        "issuers": [{"name": next("Example Chamber"), "documentStore": next("0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab"),
                     "identityProof": {"type": next("DNS-TXT"), "location": next("coo.example")}}],
        "$template": {"name": next("CHAFTA_COO"), "type": next("EMBEDDED_RENDERER"),
                      "url": next("https://renderer.example")}
    });
    let target = target_hash(data.as_object().unwrap(), &[]).unwrap();
    let proof = [keccak256(b"a"), keccak256(b"b")];
    json!({
        "version": SCHEMA_V2, "data": data,
        "signature": {"type": MERKLE_PROOF, "targetHash": hex::encode(target),
                      "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
                      "merkleRoot": hex::encode(merkle_root(target, &proof))}
    })
    .to_string()
    .into_bytes()
}

criterion_group!(benches, bench);
criterion_main!(benches);
