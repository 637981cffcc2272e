//! W3C Bitstring Status List examples and a generated vector.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use eco::status_list::{MIN_BITS, StatusList};
use serde_json::Value;

fn read(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/bitstring")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_spec_example_decodes_to_131072_zero_bits() {
    let credential = read("spec-example-status-list-credential.json");
    let list = StatusList::decode(
        credential["credentialSubject"]["encodedList"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(list.len(), MIN_BITS);
    assert!((0..list.len()).all(|i| list.get(i) == Some(false)));
}

#[test]
fn the_generated_vector_has_exactly_its_bits_set() {
    let vector = read("generated-status-list-vector.json");
    let list = StatusList::decode(vector["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(list.len() as u64, vector["length_bits"].as_u64().unwrap());
    let set: Vec<usize> = vector["set_indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    for i in 0..list.len() {
        assert_eq!(list.get(i), Some(set.contains(&i)), "bit {i}");
    }
    for (index, bit) in vector["expected"].as_object().unwrap() {
        let index: usize = index.parse().unwrap();
        assert_eq!(
            list.get(index),
            Some(bit.as_u64() == Some(1)),
            "bit {index}"
        );
    }
    // Our own encoding of the same bits decodes to the same list.
    let mut ours = StatusList::new(MIN_BITS);
    for &i in &set {
        ours.set(i, true);
    }
    assert_eq!(StatusList::decode(&ours.encode()).unwrap(), list);
}

#[test]
fn the_example_credential_entry_names_its_list() {
    let credential = read("spec-example-credential-with-status.json");
    let entries = eco::credential::status_entries(&credential).unwrap();
    let purposes: Vec<&str> = entries
        .iter()
        .map(|e| e["statusPurpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["revocation", "suspension"]);
    for entry in entries {
        assert_eq!(entry["type"], "BitstringStatusListEntry");
        assert!(
            entry["statusListIndex"]
                .as_str()
                .unwrap()
                .parse::<usize>()
                .unwrap()
                < MIN_BITS
        );
    }
}
