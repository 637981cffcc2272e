//! Verification throughput on one core, offline: the whole document check
//! (strict parse, JCS, SHA-256, Ed25519, digest) against the signature
//! alone. `cargo bench -p eco --bench verify`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eco::issue::{CertificateOfOrigin, IssuingAuthority};
use eco::trust::{TrustList, TrustListFile};
use eco::{Verdict, Verifier};
use ed25519_dalek::{Signer as _, SigningKey};

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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
