//! DID-signed OpenAttestation documents: instead of recording its root in
//! a store, the issuer signs it. The signature is Ethereum's
//! `personal_sign` (EIP-191) over the 32 raw bytes of the Merkle root:
//! secp256k1 over keccak-256 of `"\x19Ethereum Signed Message:\n32"` and
//! the root. The address it recovers to must be the one the trust list
//! pins for the DID signer the proof names.

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use serde_json::Value;

use super::digest::{Hash, keccak256};
use crate::trust::ethereum::Address;

/// One entry of a DID-signed document's `proof` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidProof {
    /// `verificationMethod`: the DID key that signed (`did:ethr:0x…#controller`).
    pub verification_method: String,
    /// `signature`: 65 bytes, `0x`-prefixed hex.
    pub signature: String,
}

/// The proofs of `proof` (a document's top-level `proof` value) of type
/// `OpenAttestationSignature2018`; an error when it is there but not such
/// a list.
pub fn proofs(proof: &Value) -> Result<Vec<DidProof>, String> {
    let list = proof.as_array().ok_or("proof is not a list")?;
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let text = |key: &str| {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("proof[{i}].{key} is missing"))
            };
            match text("type")?.as_str() {
                "OpenAttestationSignature2018" => Ok(DidProof {
                    verification_method: text("verificationMethod")?,
                    signature: text("signature")?,
                }),
                other => Err(format!("proof[{i}] is of type {other:?}")),
            }
        })
        .collect()
}

/// The address that signed `root` with `signature` (EIP-191, 65 bytes:
/// r, s, v with v 27 or 28, or 0 or 1).
pub fn recover_signer(root: &Hash, signature: &str) -> Result<Address, String> {
    let bytes = signature
        .strip_prefix("0x")
        .and_then(|digits| hex::decode(digits).ok())
        .filter(|b| b.len() == 65)
        .ok_or("the signature is not 0x and 65 bytes of hex")?;
    let v = match bytes[64] {
        27 | 28 => bytes[64] - 27,
        0 | 1 => bytes[64],
        other => return Err(format!("the signature's v is {other}, not 27 or 28")),
    };
    let mut signature =
        Signature::from_slice(&bytes[..64]).map_err(|e| format!("the signature: {e}"))?;
    let mut recovery = RecoveryId::from_byte(v).ok_or("the signature's recovery id")?;
    // A high s is the same signature mirrored; recovery wants it low.
    if let Some(low) = signature.normalize_s() {
        signature = low;
        recovery = RecoveryId::new(!recovery.is_y_odd(), recovery.is_x_reduced());
    }
    let mut message = b"\x19Ethereum Signed Message:\n32".to_vec();
    message.extend_from_slice(root);
    let key = VerifyingKey::recover_from_prehash(&keccak256(&message), &signature, recovery)
        .map_err(|e| format!("no key recovers from the signature: {e}"))?;
    let point = key.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    Ok(Address(address))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn root(text: &str) -> Hash {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).expect("hex");
        out
    }

    /// A certificate wrapped and signed by the reference library
    /// (`@govtechsg/open-attestation`, `signDocument` with an ethers
    /// wallet) in the recipe of ../shared/tradetrust/reference.
    const ROOT: &str = "fd3f92931b375dae345a1a9a70e68fd754c0e7764cbbb27c2b3b9da9d5faad9e";
    const SIGNATURE: &str = "0xe7d63e57634f06c288b151bd494afca2a6d0468944f00ff2b1cf206696069ca56f1004def67ac7775bb0aefee0a0c32d7c88935f97a3c0a94bbac03aafb5def81c";
    const SIGNER: &str = "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0";

    #[test]
    fn the_reference_signature_recovers_to_its_signer() {
        let signer = recover_signer(&root(ROOT), SIGNATURE).expect("recovers");
        assert_eq!(signer.to_string(), SIGNER);
    }

    #[test]
    fn another_root_or_a_broken_signature_does_not() {
        let mut other = root(ROOT);
        other[0] ^= 1;
        let recovered = recover_signer(&other, SIGNATURE);
        assert!(recovered.map_or(true, |a| a.to_string() != SIGNER));
        assert!(recover_signer(&root(ROOT), "0x1234").is_err());
        let bad_v = format!("{}1d", &SIGNATURE[..SIGNATURE.len() - 2]);
        assert!(recover_signer(&root(ROOT), &bad_v).is_err());
    }

    #[test]
    fn proofs_are_read() {
        let proof = json!([{"type": "OpenAttestationSignature2018", "proofPurpose": "assertionMethod",
                            "verificationMethod": format!("did:ethr:{SIGNER}#controller"), "signature": SIGNATURE}]);
        let read = proofs(&proof).expect("reads");
        assert_eq!(read[0].signature, SIGNATURE);
        assert!(proofs(&json!([{"type": "Ed25519Signature2018"}])).is_err());
        assert!(proofs(&json!({})).is_err());
    }
}
