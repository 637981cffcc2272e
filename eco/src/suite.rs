//! The `eddsa-jcs-2022` Data Integrity cryptosuite (W3C Data Integrity EdDSA
//! Cryptosuites v1.0, section 3.3): RFC 8785 canonicalization, SHA-256 and
//! Ed25519 (RFC 8032, verified with `verify_strict`).

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::json::{JsonError, canonicalize};
use crate::multibase::{MultibaseError, decode_base58btc, encode_base58btc};

/// The cryptosuite name this module implements.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// The proof type that carries it.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The only proof purpose accepted for credentials.
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// Why a proof did not verify (or could not be made).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The document is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// There is no `proof` member.
    #[error("the document has no proof")]
    MissingProof,
    /// `proof` is not one object (a set of several proofs is not supported).
    #[error("the proof is not a single object")]
    ProofNotObject,
    /// A proof member is missing or not a string.
    #[error("the proof has no string `{0}`")]
    MissingMember(&'static str),
    /// `type` is not `DataIntegrityProof`.
    #[error("proof type is {0:?}, expected \"DataIntegrityProof\"")]
    WrongType(String),
    /// `cryptosuite` is not `eddsa-jcs-2022`.
    #[error("cryptosuite is {0:?}, expected \"eddsa-jcs-2022\"")]
    WrongCryptosuite(String),
    /// `proofPurpose` is not `assertionMethod`.
    #[error("proofPurpose is {0:?}, expected \"assertionMethod\"")]
    WrongPurpose(String),
    /// `proofValue` is not a base58btc multibase string.
    #[error("proofValue is not base58btc multibase: {0}")]
    BadProofValue(MultibaseError),
    /// `proofValue` does not hold 64 bytes.
    #[error("proofValue decodes to {0} bytes, an Ed25519 signature has 64")]
    BadSignatureLength(usize),
    /// The proof's `@context` is not a prefix of the document's.
    #[error("the document's @context does not start with the proof's @context")]
    ContextMismatch,
    /// Canonicalization failed.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// The Ed25519 signature does not verify under the key.
    #[error("the Ed25519 signature does not verify under the key")]
    BadSignature,
}

/// The intermediate values of the suite's hashing step, kept so that tests
/// can compare each with the W3C test vectors.
#[derive(Debug, Clone)]
pub struct HashData {
    /// JCS of the proof configuration.
    pub canonical_proof_config: Vec<u8>,
    /// JCS of the document without its proof.
    pub canonical_document: Vec<u8>,
    /// SHA-256 of the canonical proof configuration.
    pub proof_config_hash: [u8; 32],
    /// SHA-256 of the canonical document.
    pub document_hash: [u8; 32],
}

impl HashData {
    /// Computes the hashes of a proof configuration and an unsecured document.
    pub fn new(proof_config: &Value, unsecured_document: &Value) -> Result<HashData, JsonError> {
        let canonical_proof_config = canonicalize(proof_config)?;
        let canonical_document = canonicalize(unsecured_document)?;
        Ok(HashData {
            proof_config_hash: Sha256::digest(&canonical_proof_config).into(),
            document_hash: Sha256::digest(&canonical_document).into(),
            canonical_proof_config,
            canonical_document,
        })
    }

    /// The 64 bytes that are signed: proof configuration hash, then document hash.
    pub fn combined(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.proof_config_hash);
        out[32..].copy_from_slice(&self.document_hash);
        out
    }
}

/// The options of a new proof.
#[derive(Debug, Clone)]
pub struct ProofOptions {
    /// `verificationMethod`: the id of the signing key.
    pub verification_method: String,
    /// `created`, an XML Schema dateTime such as `2026-06-12T08:00:00Z`.
    pub created: String,
}

/// Signs `unsecured` (a JSON object without `proof`) and returns the secured
/// document. The proof configuration carries the document's `@context`.
pub fn sign(
    unsecured: &Value,
    options: &ProofOptions,
    key: &SigningKey,
) -> Result<Value, ProofError> {
    let document = unsecured.as_object().ok_or(ProofError::NotAnObject)?;
    let mut config = Map::new();
    config.insert("type".into(), PROOF_TYPE.into());
    config.insert("cryptosuite".into(), CRYPTOSUITE.into());
    config.insert("created".into(), options.created.clone().into());
    config.insert(
        "verificationMethod".into(),
        options.verification_method.clone().into(),
    );
    config.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    if let Some(context) = document.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    let config = Value::Object(config);
    let hash = HashData::new(&config, &Value::Object(unsecured.clone()))?;
    let signature = key.sign(&hash.combined());
    let Value::Object(mut proof) = config else {
        unreachable!("built as an object above")
    };
    proof.insert(
        "proofValue".into(),
        encode_base58btc(&signature.to_bytes()).into(),
    );
    unsecured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(unsecured))
}

/// The parts of a secured document's proof that the verifier needs before
/// it knows which key to use.
#[derive(Debug, Clone)]
pub struct ProofParts {
    /// `proof.verificationMethod`.
    pub verification_method: String,
    /// `proof.created`, when present.
    pub created: Option<String>,
}

/// Reads the proof's verification method without checking anything else.
pub fn proof_parts(secured: &Value) -> Result<ProofParts, ProofError> {
    let proof = single_proof(secured)?;
    Ok(ProofParts {
        verification_method: member(proof, "verificationMethod")?.to_owned(),
        created: proof
            .get("created")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Verifies the `eddsa-jcs-2022` proof of `secured` under `key`.
pub fn verify(secured: &Value, key: &VerifyingKey) -> Result<(), ProofError> {
    let (signature, hash) = prepare(secured)?;
    key.verify_strict(&hash.combined(), &signature)
        .map_err(|_| ProofError::BadSignature)
}

/// Checks the proof's form and computes what is signed, without a key.
pub fn prepare(secured: &Value) -> Result<(Signature, HashData), ProofError> {
    let document = secured.as_object().ok_or(ProofError::NotAnObject)?;
    let proof = single_proof(secured)?;
    let proof_type = member(proof, "type")?;
    if proof_type != PROOF_TYPE {
        return Err(ProofError::WrongType(proof_type.to_owned()));
    }
    let suite = member(proof, "cryptosuite")?;
    if suite != CRYPTOSUITE {
        return Err(ProofError::WrongCryptosuite(suite.to_owned()));
    }
    let purpose = member(proof, "proofPurpose")?;
    if purpose != PROOF_PURPOSE {
        return Err(ProofError::WrongPurpose(purpose.to_owned()));
    }
    member(proof, "verificationMethod")?;
    let proof_value = member(proof, "proofValue")?;
    let bytes = decode_base58btc(proof_value).map_err(ProofError::BadProofValue)?;
    let bytes: [u8; 64] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| ProofError::BadSignatureLength(bytes.len()))?;
    let signature = Signature::from_bytes(&bytes);

    let mut config = proof.clone();
    config.remove("proofValue");
    let mut unsecured = document.clone();
    unsecured.remove("proof");
    if let Some(proof_context) = config.get("@context") {
        let proof_context = context_list(proof_context);
        let document_context = unsecured
            .get("@context")
            .map(context_list)
            .unwrap_or_default();
        if document_context.len() < proof_context.len()
            || document_context[..proof_context.len()] != proof_context[..]
        {
            return Err(ProofError::ContextMismatch);
        }
        unsecured.insert("@context".into(), config["@context"].clone());
    }
    let hash = HashData::new(&Value::Object(config), &Value::Object(unsecured))?;
    Ok((signature, hash))
}

fn single_proof(secured: &Value) -> Result<&Map<String, Value>, ProofError> {
    let document = secured.as_object().ok_or(ProofError::NotAnObject)?;
    match document.get("proof") {
        None => Err(ProofError::MissingProof),
        Some(Value::Object(proof)) => Ok(proof),
        Some(Value::Array(proofs)) if proofs.len() == 1 => {
            proofs[0].as_object().ok_or(ProofError::ProofNotObject)
        }
        Some(_) => Err(ProofError::ProofNotObject),
    }
}

fn member<'a>(proof: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, ProofError> {
    proof
        .get(name)
        .and_then(Value::as_str)
        .ok_or(ProofError::MissingMember(name))
}

/// A JSON-LD `@context` as a list (a single value counts as a list of one).
fn context_list(context: &Value) -> Vec<Value> {
    match context {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}
