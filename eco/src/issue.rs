//! The issuing side, for the simulated web and the tests: an authority that
//! signs credentials, keeps a transparency log and answers its proofs, and
//! publishes a status list. It follows the same contract the verifier
//! checks, so the two meet only through the spec's formats.

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::credential;
use crate::json::JsonError;
use crate::merkle::{Hash, MerkleTree, leaf_hash};
use crate::multibase::encode_ed25519_multikey;
use crate::note::{Checkpoint, NoteError, NoteSigner};
use crate::status_list::StatusList;
use crate::suite::{self, ProofError, ProofOptions};
use crate::trust::{AuthorityEntry, KeyEntry};

/// Derives a signing key deterministically from a label (for simulated
/// worlds and tests only: the key is as secret as the label).
pub fn derived_key(label: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(label.as_bytes()).into())
}

/// Signs credentials with one key.
#[derive(Debug, Clone)]
pub struct CredentialSigner {
    /// The `verificationMethod` id of the key.
    pub verification_method: String,
    key: SigningKey,
}

impl CredentialSigner {
    /// A signer whose proofs name `verification_method`.
    pub fn new(verification_method: &str, key: SigningKey) -> CredentialSigner {
        CredentialSigner {
            verification_method: verification_method.to_owned(),
            key,
        }
    }

    /// The public key as a Multikey.
    pub fn public_key_multibase(&self) -> String {
        encode_ed25519_multikey(&self.key.verifying_key())
    }

    /// Adds an `eddsa-jcs-2022` proof created at `created`.
    pub fn sign(&self, unsecured: &Value, created: &str) -> Result<Value, ProofError> {
        suite::sign(
            unsecured,
            &ProofOptions {
                verification_method: self.verification_method.clone(),
                created: created.to_owned(),
            },
            &self.key,
        )
    }
}

/// The answer of `GET {log_url}proof` (spec section 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionAnswer {
    /// Index of the leaf.
    pub leaf_index: u64,
    /// Size of the tree the path is for.
    pub tree_size: u64,
    /// The audit path, hex.
    pub audit_path: Vec<String>,
}

/// An authority's append-only transparency log of credential digests.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    signer: NoteSigner,
    tree: MerkleTree,
    index: HashMap<Hash, u64>,
    signed: Option<(u64, String)>,
}

impl TransparencyLog {
    /// An empty log whose checkpoints are signed by `signer`; the signer's
    /// name is the log's origin.
    pub fn new(signer: NoteSigner) -> TransparencyLog {
        TransparencyLog {
            signer,
            tree: MerkleTree::new(),
            index: HashMap::new(),
            signed: None,
        }
    }

    /// The verifier key for the trust list's `log_key`.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier().encode()
    }

    /// Appends a credential digest; returns its leaf index (the existing
    /// one when the digest is already logged).
    pub fn append(&mut self, digest: Hash) -> u64 {
        if let Some(&i) = self.index.get(&digest) {
            return i;
        }
        let i = self.tree.push(leaf_hash(&digest));
        self.index.insert(digest, i);
        i
    }

    /// Number of logged digests.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The signed checkpoint of the current tree (a C2SP signed note).
    pub fn checkpoint(&mut self) -> Result<String, NoteError> {
        let size = self.tree.size();
        if let Some((signed_size, note)) = &self.signed {
            if *signed_size == size {
                return Ok(note.clone());
            }
        }
        let checkpoint = Checkpoint {
            origin: self.signer.verifier().name().to_owned(),
            size,
            root: self
                .tree
                .root(size)
                .unwrap_or_else(crate::merkle::empty_root),
            extensions: Vec::new(),
        };
        let note = self.signer.sign(&checkpoint.to_text())?;
        self.signed = Some((size, note.clone()));
        Ok(note)
    }

    /// The inclusion proof of `digest` in the tree of `tree_size` leaves;
    /// None when the digest is not logged within that size (the log's 404).
    pub fn prove(&self, digest: &Hash, tree_size: u64) -> Option<InclusionAnswer> {
        let &leaf_index = self.index.get(digest)?;
        let path = self.tree.inclusion_proof(leaf_index, tree_size)?;
        Some(InclusionAnswer {
            leaf_index,
            tree_size,
            audit_path: path.iter().map(hex::encode).collect(),
        })
    }
}

/// Builds a status list credential (W3C Bitstring Status List v1.0) for
/// `list`, issued by `issuer` and published at `url`.
pub fn status_list_credential(
    signer: &CredentialSigner,
    issuer: &str,
    url: &str,
    purpose: &str,
    list: &StatusList,
    valid_from: &str,
) -> Result<Value, ProofError> {
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": list.encode(),
        }
    });
    signer.sign(&unsigned, valid_from)
}

/// A trust list entry for an authority with one key, for writing `trust.toml`.
#[derive(Debug, Clone)]
pub struct AuthorityProfile<'a> {
    /// Short id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Country code.
    pub country: &'a str,
    /// Issuer id.
    pub issuer: &'a str,
    /// Log base URL.
    pub log_url: &'a str,
    /// Status list prefix.
    pub status_prefix: &'a str,
    /// Single-window base URL.
    pub single_window_url: &'a str,
    /// Official portal hosts.
    pub portals: &'a [String],
}

impl AuthorityProfile<'_> {
    /// The `[[authority]]` entry for this profile, its signer and its log.
    pub fn entry(&self, signer: &CredentialSigner, log: &TransparencyLog) -> AuthorityEntry {
        AuthorityEntry {
            id: Some(self.id.to_owned()),
            name: Some(self.name.to_owned()),
            country: Some(self.country.to_owned()),
            issuer: Some(self.issuer.to_owned()),
            log_url: Some(self.log_url.to_owned()),
            log_key: Some(log.verifier_key()),
            status_prefixes: Some(vec![self.status_prefix.to_owned()]),
            single_window_url: Some(self.single_window_url.to_owned()),
            portals: Some(self.portals.to_vec()),
            key: vec![KeyEntry {
                id: Some(signer.verification_method.clone()),
                public_key_multibase: Some(signer.public_key_multibase()),
            }],
        }
    }
}

/// The credential digest as a tree hash (a convenience for logging).
pub fn digest_of(credential: &Value) -> Result<Hash, JsonError> {
    credential::digest(credential)
}
