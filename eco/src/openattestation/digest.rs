//! The integrity digest of an OpenAttestation v2 document, computed as the
//! reference implementation computes it (`src/2.0/digest.ts` of
//! Open-Attestation's library), and its Merkle proof.
//!
//! - The document's `data` is flattened into dotted paths, array indices
//!   as segments (`items.0.hsCode`). Empty objects and arrays are leaves;
//!   only non-empty containers are descended into. A key holding a `.` is
//!   refused, as the reference refuses it.
//! - Each leaf hashes as keccak-256 of the JSON text `{"<path>":<value>}`,
//!   written as JavaScript's `JSON.stringify` writes it.
//! - Those hashes in lowercase hex, with the hashes of obfuscated fields
//!   (`privacy.obfuscatedData`), are sorted as strings; the target hash is
//!   keccak-256 of that sorted list written as a JSON array.
//! - The Merkle root is the target hash folded with each proof element:
//!   keccak-256 of the two 32-byte values, the smaller first.

use serde_json::{Map, Value};
use sha3::{Digest, Keccak256};

/// A 32-byte keccak-256 value.
pub type Hash = [u8; 32];

/// Why a document's data cannot be digested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// A key holds a `.`, which would make two paths the same.
    #[error("the key {0:?} holds a '.', which the format does not allow")]
    DottedKey(String),
}

/// keccak-256 of `bytes`.
pub fn keccak256(bytes: &[u8]) -> Hash {
    Keccak256::digest(bytes).into()
}

/// The target hash of a document whose `data` is `data` and whose
/// obfuscated fields' hashes (as written in the document) are
/// `obfuscated`.
pub fn target_hash(data: &Map<String, Value>, obfuscated: &[String]) -> Result<Hash, DigestError> {
    let mut leaves = Vec::new();
    flatten_object(data, "", &mut leaves)?;
    let mut hashes: Vec<String> = leaves
        .iter()
        .map(|(path, value)| hex::encode(keccak256(leaf_json(path, value).as_bytes())))
        .chain(obfuscated.iter().cloned())
        .collect();
    hashes.sort();
    let list = format!(
        "[{}]",
        hashes
            .iter()
            .map(|h| js_string(h))
            .collect::<Vec<_>>()
            .join(",")
    );
    Ok(keccak256(list.as_bytes()))
}

/// The Merkle root that `proof` leads to from `target`.
pub fn merkle_root(target: Hash, proof: &[Hash]) -> Hash {
    proof.iter().fold(target, |node, sibling| {
        let (low, high) = if node <= *sibling {
            (node, *sibling)
        } else {
            (*sibling, node)
        };
        let mut pair = [0u8; 64];
        pair[..32].copy_from_slice(&low);
        pair[32..].copy_from_slice(&high);
        keccak256(&pair)
    })
}

/// Every node `proof` passes through from `target`, the root last: what
/// the reference asks a document store's `isRevoked` about.
pub fn merkle_path(target: Hash, proof: &[Hash]) -> Vec<Hash> {
    (1..=proof.len())
        .map(|n| merkle_root(target, &proof[..n]))
        .collect()
}

fn flatten_object<'a>(
    object: &'a Map<String, Value>,
    prefix: &str,
    out: &mut Vec<(String, &'a Value)>,
) -> Result<(), DigestError> {
    for (key, value) in object {
        if key.contains('.') {
            return Err(DigestError::DottedKey(key.clone()));
        }
        flatten_value(value, join(prefix, key), out)?;
    }
    Ok(())
}

fn flatten_value<'a>(
    value: &'a Value,
    path: String,
    out: &mut Vec<(String, &'a Value)>,
) -> Result<(), DigestError> {
    match value {
        Value::Object(object) if !object.is_empty() => flatten_object(object, &path, out),
        Value::Array(items) if !items.is_empty() => {
            for (index, item) in items.iter().enumerate() {
                flatten_value(item, join(&path, &index.to_string()), out)?;
            }
            Ok(())
        }
        leaf => {
            out.push((path, leaf));
            Ok(())
        }
    }
}

fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_owned()
    } else {
        format!("{prefix}.{segment}")
    }
}

/// `JSON.stringify({[path]: value})` for a leaf.
fn leaf_json(path: &str, value: &Value) -> String {
    format!("{{{}:{}}}", js_string(path), js_leaf(value))
}

/// A leaf as `JSON.stringify` writes it: empty containers, strings,
/// numbers, booleans and null.
fn js_leaf(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => js_string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as `JSON.stringify` quotes it: `"` and `\` escaped, the
/// control characters as `\b \f \n \r \t` or `\u00xx` (lowercase), all else
/// as is. serde_json writes strings exactly so.
fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A number as JavaScript's `Number.prototype.toString` writes it (which
/// `JSON.stringify` uses): the shortest digits that read back to the same
/// double, in plain notation from 1e-7 up to 1e21 and in exponent notation
/// (`1e+21`, `1.5e-7`) outside; not-finite numbers as `null`.
pub fn js_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // ryu gives the shortest round-trip digits; read them back as a digit
    // string and a decimal exponent n, the value being 0.d1d2... × 10^n.
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x.abs());
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut n = exponent + i32::try_from(int_part.len()).unwrap_or(0);
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    n -= i32::try_from(leading).unwrap_or(0);
    let digits = digits.trim_end_matches('0');
    let k = i32::try_from(digits.len()).unwrap_or(0);
    let body = if k <= n && n <= 21 {
        format!(
            "{digits}{}",
            "0".repeat(usize::try_from(n - k).unwrap_or(0))
        )
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        format!("{}.{}", &digits[..split], &digits[split..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).unwrap_or(0)))
    } else {
        let e = n - 1;
        let e = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        if k == 1 {
            format!("{digits}e{e}")
        } else {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        for (x, js) in [
            (0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (100.0, "100"),
            (0.1, "0.1"),
            (123456789.0, "123456789"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (12345678901234567890.0, "12345678901234567000"),
            (2.5e300, "2.5e+300"),
            (0.30000000000000004, "0.30000000000000004"),
        ] {
            assert_eq!(js_number(x), js, "{x}");
        }
    }

    #[test]
    fn leaves_are_written_as_json_stringify_writes_them() {
        assert_eq!(
            leaf_json("a.b", &json!("x\"y\\z\n\u{1}é/")),
            "{\"a.b\":\"x\\\"y\\\\z\\n\\u0001é/\"}"
        );
        assert_eq!(leaf_json("e", &json!({})), "{\"e\":{}}");
        assert_eq!(leaf_json("e", &json!([])), "{\"e\":[]}");
        assert_eq!(leaf_json("n", &Value::Null), "{\"n\":null}");
        assert_eq!(leaf_json("t", &json!(true)), "{\"t\":true}");
    }

    #[test]
    fn data_flattens_to_dotted_paths_with_empty_containers_as_leaves() {
        let data = json!({"a": {"b": ["x", {"c": "y"}], "e": {}}, "f": []});
        let mut leaves = Vec::new();
        flatten_object(data.as_object().expect("object"), "", &mut leaves).expect("flattens");
        let mut paths: Vec<&str> = leaves.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["a.b.0", "a.b.1.c", "a.e", "f"]);
        let dotted = json!({"a": {"b.c": "x"}});
        assert_eq!(
            target_hash(dotted.as_object().expect("object"), &[]),
            Err(DigestError::DottedKey("b.c".into()))
        );
    }

    #[test]
    fn obfuscating_a_field_keeps_the_target_hash() {
        let data = json!({"a": "s1:string:x", "b": "s2:string:y"});
        let full = target_hash(data.as_object().expect("object"), &[]).expect("digest");
        let hidden = hex::encode(keccak256(leaf_json("b", &json!("s2:string:y")).as_bytes()));
        let partial = json!({"a": "s1:string:x"});
        assert_eq!(
            target_hash(partial.as_object().expect("object"), &[hidden]),
            Ok(full)
        );
        // Changing a value changes it.
        let changed = json!({"a": "s1:string:x", "b": "s2:string:z"});
        assert_ne!(
            target_hash(changed.as_object().expect("object"), &[]),
            Ok(full)
        );
    }

    #[test]
    fn a_proof_folds_with_the_smaller_value_first() {
        let (a, b) = (keccak256(b"a"), keccak256(b"b"));
        let root = merkle_root(a, &[b]);
        assert_eq!(root, merkle_root(b, &[a]));
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        assert_eq!(root, keccak256(&[low, high].concat()));
        assert_eq!(merkle_root(a, &[]), a);
        assert_eq!(merkle_path(a, &[b]), vec![root]);
    }

    #[test]
    fn the_revocation_path_is_what_the_reference_asks_about() {
        // A document of a batch of four wrapped by the reference library:
        // oa-verify asked its store isRevoked for the target hash, then
        // 52d805f5... and the root 6c6bc7d8..., in that order.
        let hash = |text: &str| -> Hash {
            let mut out = [0u8; 32];
            hex::decode_to_slice(text, &mut out).expect("hex");
            out
        };
        let target = hash("1845956b419bfa5a859cea7b2d42795cf979572ac523571de6204c8bc74ac459");
        let proof = [
            hash("411867f9e5868620cef87c0c55d9e42eb9d4258a4750efd9ac3b510465a04a8a"),
            hash("ddc16d071e360c2f15925289ad7ded01755989e023a0373725ce423684b2bd9a"),
        ];
        let path: Vec<String> = merkle_path(target, &proof)
            .iter()
            .map(hex::encode)
            .collect();
        assert_eq!(
            path,
            [
                "52d805f56a8830614f5d99dbbf54c9fabad58d6be342a1145cdaaaade1b3baed",
                "6c6bc7d898c94aef7bd14d266e4381ada20e592d1a13072f80e6db7a160f7029"
            ]
        );
    }
}
