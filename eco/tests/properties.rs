//! Property tests of the cryptosuite: sign/verify round trips over arbitrary
//! documents and keys, and that any change to a signed value is caught.

#![allow(clippy::unwrap_used)]

use eco::json::{canonicalize, parse_strict};
use eco::suite::{self, ProofOptions};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        (-1e15f64..1e15).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z@]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = Value> {
    (
        proptest::collection::btree_map("[a-z]{1,8}", json_value(), 1..6),
        "\\PC{1,20}",
    )
        .prop_map(|(m, s)| {
            let mut map: Map<String, Value> = m.into_iter().collect();
            map.insert(
                "@context".into(),
                Value::from(vec!["https://www.w3.org/ns/credentials/v2"]),
            );
            map.insert("marker".into(), Value::from(s));
            Value::Object(map)
        })
}

fn options() -> ProofOptions {
    ProofOptions {
        verification_method: "did:web:a.test#key-1".into(),
        created: "2026-06-12T00:00:00Z".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn signed_documents_verify_and_survive_a_text_round_trip(doc in document(), seed in any::<[u8; 32]>()) {
        let key = SigningKey::from_bytes(&seed);
        let signed = suite::sign(&doc, &options(), &key).unwrap();
        prop_assert_eq!(suite::verify(&signed, &key.verifying_key()), Ok(()));
        // Through pretty-printed text and the strict reader: still valid.
        let text = serde_json::to_string_pretty(&signed).unwrap();
        let reread = parse_strict(text.as_bytes()).unwrap();
        prop_assert_eq!(suite::verify(&reread, &key.verifying_key()), Ok(()));
        // JCS is idempotent.
        let canonical = canonicalize(&reread).unwrap();
        prop_assert_eq!(canonicalize(&parse_strict(&canonical).unwrap()).unwrap(), canonical);
    }

    #[test]
    fn any_change_or_other_key_fails(doc in document(), seed in any::<[u8; 32]>(), other in any::<[u8; 32]>(), extra in "\\PC{1,4}") {
        prop_assume!(seed != other);
        let key = SigningKey::from_bytes(&seed);
        let signed = suite::sign(&doc, &options(), &key).unwrap();
        let mut changed = signed.clone();
        let marker = changed["marker"].as_str().unwrap().to_owned();
        changed["marker"] = Value::from(format!("{marker}{extra}"));
        prop_assert!(suite::verify(&changed, &key.verifying_key()).is_err());
        let mut added = signed.clone();
        added["added"] = Value::from(extra.clone());
        prop_assert!(suite::verify(&added, &key.verifying_key()).is_err());
        prop_assert!(suite::verify(&signed, &SigningKey::from_bytes(&other).verifying_key()).is_err());
    }
}
