//! OpenAttestation v2 wrapped documents, the format of TradeTrust
//! certificates of origin: reading one, and its integrity.
//!
//! A wrapped document carries its fields salted in `data`, the hashes of
//! any fields its holder hid in `privacy.obfuscatedData`, and a
//! `SHA3MerkleProof` signature: the target hash of the fields (see
//! [`digest`]), the proof that leads from it to the Merkle root of the
//! batch it was issued in, and that root. The root is what an issuing
//! body records in its document store on chain (or signs, for a
//! DID-signed document).

pub mod chain;
pub mod did;
pub mod digest;
pub mod identity;
pub mod issuers;
pub mod link;
pub mod rpc;
pub mod store;

use serde_json::{Map, Value};

use crate::json::{JsonError, parse_strict};
use digest::{DigestError, Hash};

/// The `version` of an OpenAttestation v2 document.
pub const SCHEMA_V2: &str = "https://schema.openattestation.com/2.0/schema.json";

/// The only signature type of OpenAttestation v2.
pub const MERKLE_PROOF: &str = "SHA3MerkleProof";

/// Why bytes are not a readable OpenAttestation v2 document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OaError {
    /// Not JSON, or not acceptable JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// JSON, but not an OpenAttestation v2 document.
    #[error("not an OpenAttestation v2 document: {0}")]
    NotOpenAttestation(String),
    /// An OpenAttestation v2 document with a missing or malformed part.
    #[error("malformed OpenAttestation v2 document: {0}")]
    Malformed(String),
}

/// An OpenAttestation v2 wrapped document, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct WrappedDocument {
    /// The salted fields.
    pub data: Map<String, Value>,
    /// Hashes of the fields hidden by the holder, as written.
    pub obfuscated: Vec<String>,
    /// The document's own target hash.
    pub target_hash: Hash,
    /// The proof from the target hash to the Merkle root.
    pub proof: Vec<Hash>,
    /// The Merkle root of the batch the document was issued in.
    pub merkle_root: Hash,
    /// The `proof` block of a DID-signed document, if any, as written.
    pub signatures: Option<Value>,
}

/// What recomputing a document's hashes found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The fields hash to the target hash and the proof leads to the root.
    Intact,
    /// The fields hash to another target hash than the document states.
    TargetHashDiffers {
        /// What the fields hash to.
        computed: Hash,
    },
    /// The proof leads from the target hash to another root.
    RootDiffers {
        /// Where the proof leads.
        computed: Hash,
    },
    /// The fields cannot be digested.
    Undigestable(DigestError),
}

impl WrappedDocument {
    /// Reads `bytes` as a wrapped document (strict JSON, see
    /// [`parse_strict`]).
    pub fn read(bytes: &[u8]) -> Result<Self, OaError> {
        Self::from_value(&parse_strict(bytes)?)
    }

    /// Reads a parsed JSON value as a wrapped document.
    pub fn from_value(value: &Value) -> Result<Self, OaError> {
        let not_oa = |why: &str| OaError::NotOpenAttestation(why.to_owned());
        let malformed = |why: String| OaError::Malformed(why);
        let object = value
            .as_object()
            .ok_or_else(|| not_oa("not a JSON object"))?;
        match object.get("version").and_then(Value::as_str) {
            Some(SCHEMA_V2) => {}
            Some(other) => return Err(not_oa(&format!("version {other:?}"))),
            None => return Err(not_oa("no version")),
        }
        let data = object
            .get("data")
            .and_then(Value::as_object)
            .ok_or_else(|| malformed("no data object".into()))?
            .clone();
        let signature = object
            .get("signature")
            .and_then(Value::as_object)
            .ok_or_else(|| malformed("no signature object".into()))?;
        match signature.get("type").and_then(Value::as_str) {
            Some(MERKLE_PROOF) => {}
            other => return Err(malformed(format!("signature type {other:?}"))),
        }
        let hash = |field: &str| -> Result<Hash, OaError> {
            let text = signature
                .get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(format!("signature.{field} missing")))?;
            parse_hash(text).ok_or_else(|| malformed(format!("signature.{field} {text:?}")))
        };
        let target_hash = hash("targetHash")?;
        let merkle_root = hash("merkleRoot")?;
        let proof = match signature.get("proof") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .and_then(parse_hash)
                        .ok_or_else(|| malformed(format!("signature.proof element {item}")))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(malformed(format!("signature.proof {other}"))),
        };
        let obfuscated = match object.get("privacy").map(|p| p.get("obfuscatedData")) {
            None | Some(None) => Vec::new(),
            Some(Some(Value::Array(items))) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| malformed(format!("privacy.obfuscatedData element {item}")))
                })
                .collect::<Result<_, _>>()?,
            Some(Some(other)) => return Err(malformed(format!("privacy.obfuscatedData {other}"))),
        };
        Ok(WrappedDocument {
            data,
            obfuscated,
            target_hash,
            proof,
            merkle_root,
            signatures: object.get("proof").cloned(),
        })
    }

    /// Recomputes the target hash from the fields and the root from the
    /// proof, as the reference verifier does.
    pub fn integrity(&self) -> Integrity {
        let computed = match digest::target_hash(&self.data, &self.obfuscated) {
            Ok(hash) => hash,
            Err(e) => return Integrity::Undigestable(e),
        };
        if computed != self.target_hash {
            return Integrity::TargetHashDiffers { computed };
        }
        let root = digest::merkle_root(self.target_hash, &self.proof);
        if root != self.merkle_root {
            return Integrity::RootDiffers { computed: root };
        }
        Integrity::Intact
    }
}

/// A hash as the format writes it: 64 lowercase hex digits, no `0x`.
/// The reference compares hashes as these strings, so another spelling of
/// the same value would not match there either.
fn parse_hash(text: &str) -> Option<Hash> {
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash).ok()?;
    Some(hash)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A one-document batch wrapping `data`, hashed by this module.
    fn wrapped(data: Value) -> Value {
        let target = digest::target_hash(data.as_object().expect("object"), &[]).expect("digest");
        let target = hex::encode(target);
        json!({
            "version": SCHEMA_V2,
            "data": data,
            "signature": {"type": MERKLE_PROOF, "targetHash": target, "proof": [], "merkleRoot": target}
        })
    }

    #[test]
    fn a_wrapped_document_reads_and_is_intact() {
        let value = wrapped(json!({"iD": "a1:string:CO-1", "items": ["b2:string:wine"]}));
        let document = WrappedDocument::from_value(&value).expect("reads");
        assert_eq!(document.integrity(), Integrity::Intact);
    }

    #[test]
    fn a_changed_field_or_root_is_caught() {
        let mut value = wrapped(json!({"iD": "a1:string:CO-1"}));
        value["data"]["iD"] = json!("a1:string:CO-2");
        let document = WrappedDocument::from_value(&value).expect("reads");
        assert!(matches!(
            document.integrity(),
            Integrity::TargetHashDiffers { .. }
        ));

        let mut value = wrapped(json!({"iD": "a1:string:CO-1"}));
        value["signature"]["merkleRoot"] = json!("00".repeat(32));
        let document = WrappedDocument::from_value(&value).expect("reads");
        assert!(matches!(
            document.integrity(),
            Integrity::RootDiffers { .. }
        ));
    }

    #[test]
    fn what_is_not_a_wrapped_document_is_a_clear_error() {
        let good = wrapped(json!({"iD": "a1:string:CO-1"}));
        let cases: Vec<(Value, &str)> = vec![
            (json!([1]), "not a JSON object"),
            (
                json!({"version": "https://schema.openattestation.com/3.0/schema.json"}),
                "version",
            ),
            (json!({"@context": []}), "no version"),
        ];
        for (value, says) in cases {
            let error = WrappedDocument::from_value(&value).expect_err("refused");
            assert!(matches!(error, OaError::NotOpenAttestation(_)), "{error}");
            assert!(error.to_string().contains(says), "{error}");
        }
        for (pointer, replacement) in [
            ("/data", json!("x")),
            ("/signature/type", json!("Ed25519Signature2020")),
            ("/signature/targetHash", json!("ABC")),
            ("/signature/merkleRoot", json!("AB".repeat(32))),
            ("/signature/proof", json!(["zz"])),
        ] {
            let mut value = good.clone();
            *value.pointer_mut(pointer).expect("present") = replacement;
            let error = WrappedDocument::from_value(&value).expect_err("refused");
            assert!(matches!(error, OaError::Malformed(_)), "{pointer}: {error}");
        }
        assert!(matches!(
            WrappedDocument::read(b"{\"version\": 1, \"version\": 2}"),
            Err(OaError::Json(_))
        ));
    }
}
