//! The W3C `eddsa-jcs-2022` test vectors, every intermediate value, and the
//! derived negative and positive cases.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use eco::json::{canonicalize, parse_strict};
use eco::multibase::{decode_base58btc, decode_ed25519_multikey, encode_base58btc};
use eco::suite::{self, HashData, ProofError, ProofOptions};
use ed25519_dalek::SigningKey;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/eddsa-jcs-2022")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).expect("vector file")
}

fn json(name: &str) -> Value {
    parse_strict(text(name).as_bytes()).expect("vector JSON")
}

fn key_pair() -> (SigningKey, ed25519_dalek::VerifyingKey) {
    let pair = json("keyPair.json");
    let public = decode_ed25519_multikey(pair["publicKeyMultibase"].as_str().unwrap()).unwrap();
    // The secret key multibase is multicodec 0x1300 (ed25519-priv, varint 80 26) + seed.
    let secret = decode_base58btc(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
    assert_eq!(&secret[..2], &[0x80, 0x26]);
    let seed: [u8; 32] = secret[2..].try_into().unwrap();
    let signing = SigningKey::from_bytes(&seed);
    assert_eq!(signing.verifying_key(), public);
    (signing, public)
}

#[test]
fn every_intermediate_value_matches() {
    let unsigned = json("unsigned.json");
    let signed = json("signedJCS.json");
    let config = json("proofConfigJCS.json");

    assert_eq!(
        canonicalize(&unsigned).unwrap(),
        text("canonDocJCS.txt").as_bytes()
    );
    assert_eq!(
        canonicalize(&config).unwrap(),
        text("proofCanonJCS.txt").as_bytes()
    );

    let hash = HashData::new(&config, &unsigned).unwrap();
    assert_eq!(hex::encode(hash.document_hash), text("docHashJCS.txt"));
    assert_eq!(
        hex::encode(hash.proof_config_hash),
        text("proofHashJCS.txt")
    );
    assert_eq!(hex::encode(hash.combined()), text("combinedHashJCS.txt"));

    // Hash data computed from the signed document itself is the same.
    let (signature, from_signed) = suite::prepare(&signed).unwrap();
    assert_eq!(from_signed.combined(), hash.combined());
    assert_eq!(hex::encode(signature.to_bytes()), text("sigHexJCS.txt"));
    assert_eq!(
        encode_base58btc(&signature.to_bytes()),
        text("sigBTC58JCS.txt")
    );
}

#[test]
fn signing_reproduces_the_signed_vector_and_it_verifies() {
    let (signing, public) = key_pair();
    let unsigned = json("unsigned.json");
    let signed = json("signedJCS.json");
    let ours = suite::sign(
        &unsigned,
        &ProofOptions {
            verification_method: signed["proof"]["verificationMethod"]
                .as_str()
                .unwrap()
                .into(),
            created: signed["proof"]["created"].as_str().unwrap().into(),
        },
        &signing,
    )
    .unwrap();
    assert_eq!(
        ours, signed,
        "Ed25519 is deterministic, so signing must match byte for byte"
    );
    assert_eq!(suite::verify(&signed, &public), Ok(()));
}

#[test]
fn derived_negative_cases_fail_and_positive_cases_pass() {
    let derived = json("derived-vectors.json");
    let public =
        decode_ed25519_multikey(derived["public_key_multibase"].as_str().unwrap()).unwrap();
    let negative = derived["negative"].as_array().unwrap();
    let positive = derived["positive"].as_array().unwrap();
    assert!(negative.len() >= 6 && !positive.is_empty());
    for case in negative {
        let name = case["name"].as_str().unwrap();
        let result = suite::verify(&case["document"], &public);
        assert!(result.is_err(), "{name} must not verify");
        let expected_kind = match name {
            "context-reordered" => Some(ProofError::ContextMismatch),
            "wrong-cryptosuite" => Some(ProofError::WrongCryptosuite("eddsa-rdfc-2022".into())),
            _ => None,
        };
        if let Some(kind) = expected_kind {
            if name == "wrong-cryptosuite" {
                assert!(
                    matches!(result, Err(ProofError::WrongCryptosuite(_))),
                    "{name}: {result:?}"
                );
            } else {
                assert_eq!(result, Err(kind), "{name}");
            }
        }
        if name == "proofValue-wrong-multibase-prefix" {
            assert!(
                matches!(result, Err(ProofError::BadProofValue(_))),
                "{result:?}"
            );
        }
    }
    for case in positive {
        let name = case["name"].as_str().unwrap();
        assert_eq!(
            suite::verify(&case["document"], &public),
            Ok(()),
            "{name} must verify"
        );
    }
}

#[test]
fn malformed_proof_values_are_clear_errors() {
    let (signing, public) = key_pair();
    let signed = json("signedJCS.json");
    let with_value = |v: &str| {
        let mut doc = signed.clone();
        doc["proof"]["proofValue"] = v.into();
        doc
    };
    let not_base58 = with_value("z0OIl+/");
    assert!(matches!(
        suite::verify(&not_base58, &public),
        Err(ProofError::BadProofValue(_))
    ));
    let sig63 = encode_base58btc(&[7u8; 63]);
    assert_eq!(
        suite::verify(&with_value(&sig63), &public),
        Err(ProofError::BadSignatureLength(63))
    );
    let mut no_proof = signed.clone();
    no_proof.as_object_mut().unwrap().remove("proof");
    assert_eq!(
        suite::verify(&no_proof, &public),
        Err(ProofError::MissingProof)
    );
    let mut purpose = signed.clone();
    purpose["proof"]["proofPurpose"] = "authentication".into();
    assert!(matches!(
        suite::verify(&purpose, &public),
        Err(ProofError::WrongPurpose(_))
    ));
    // Another key does not verify the genuine signature.
    let other = SigningKey::from_bytes(&[9; 32]).verifying_key();
    assert_eq!(
        suite::verify(&signed, &other),
        Err(ProofError::BadSignature)
    );
    drop(signing);
}
