//! RFC 8785 canonicalization against the published vectors.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use eco::json::{canonicalize, parse_strict};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/jcs")
}

#[test]
fn every_input_canonicalizes_to_its_output() {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir().join("input")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let input = std::fs::read(&path).unwrap();
        let expected = std::fs::read(dir().join("output").join(&name)).unwrap();
        let value = parse_strict(&input).unwrap();
        let canonical = canonicalize(&value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&expected),
            "{name:?}"
        );
        let outhex = std::fs::read_to_string(
            dir()
                .join("outhex")
                .join(name.to_string_lossy().replace(".json", ".txt")),
        )
        .unwrap();
        let hex: String = outhex.split_whitespace().collect();
        assert_eq!(hex::encode(&canonical), hex, "{name:?} (hex)");
        seen += 1;
    }
    assert_eq!(seen, 6);
}

#[test]
fn appendix_b_numbers_serialize_as_the_rfc_says() {
    let table: Value = serde_json::from_slice(
        &std::fs::read(dir().join("rfc8785_appendix_b_numbers.json")).unwrap(),
    )
    .unwrap();
    let mut finite = 0;
    for row in table["vectors"].as_array().unwrap() {
        let bits = u64::from_str_radix(row["ieee754_hex"].as_str().unwrap(), 16).unwrap();
        let number = f64::from_bits(bits);
        let expected = row["expected"].as_str().unwrap();
        let value = Value::from(number);
        assert_eq!(
            String::from_utf8(canonicalize(&value).unwrap()).unwrap(),
            expected,
            "{bits:016x}"
        );
        finite += 1;
    }
    assert_eq!(finite, 24);
    // NaN and Infinity cannot be represented in a JSON value, so they never
    // reach the canonicalizer, and the strict reader refuses their spellings.
    for row in table["must_reject"].as_array().unwrap() {
        let hex = row
            .as_str()
            .or_else(|| row["ieee754_hex"].as_str())
            .unwrap();
        let number = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
        assert!(!number.is_finite());
        assert!(serde_json::Number::from_f64(number).is_none());
    }
    for spelling in ["NaN", "Infinity", "-Infinity", "1e400"] {
        assert!(parse_strict(spelling.as_bytes()).is_err(), "{spelling}");
    }
}
