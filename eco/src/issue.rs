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
        if let Some((signed_size, note)) = &self.signed
            && *signed_size == size
        {
            return Ok(note.clone());
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

/// The facts a certificate of origin states, from which [`credential`]
/// builds the unsigned e-CO credential of spec section 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateOfOrigin {
    /// `certificateNumber`.
    pub number: String,
    /// Exporter's legal name.
    pub exporter_name: String,
    /// Exporter's country code.
    pub exporter_country: String,
    /// Exporter's website URL.
    pub exporter_website: String,
    /// Importer's name.
    pub importer_name: String,
    /// Importing country code.
    pub importer_country: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issue_date: String,
    /// `validFrom`, an XML Schema dateTime.
    pub valid_from: String,
    /// `validUntil`, an XML Schema dateTime.
    pub valid_until: String,
    /// HS code of the one item line.
    pub hs_code: String,
    /// Description of the goods.
    pub description: String,
    /// `singleWindowReference`.
    pub single_window_reference: String,
}

/// Builds the unsigned credential for `certificate`, issued by `issuer`,
/// with a revocation entry at `status_index` of the list at `status_url`.
pub fn credential(
    issuer: &str,
    certificate: &CertificateOfOrigin,
    status_url: &str,
    status_index: usize,
) -> Value {
    let c = certificate;
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("urn:eco:{}", c.number),
        "type": ["VerifiableCredential", "CertificateOfOriginCredential"],
        "issuer": issuer,
        "validFrom": c.valid_from,
        "validUntil": c.valid_until,
        "credentialStatus": {
            "id": format!("{status_url}#{status_index}"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": status_index.to_string(),
            "statusListCredential": status_url,
        },
        "credentialSubject": {
            "type": "CertificateOfOrigin",
            "certificateNumber": c.number,
            "agreement": "RCEP",
            "issueDate": c.issue_date,
            "exporter": {"name": c.exporter_name, "country": c.exporter_country,
                         "website": c.exporter_website},
            "producer": {"name": c.exporter_name, "country": c.exporter_country},
            "importer": {"name": c.importer_name, "country": c.importer_country},
            "items": [{"line": 1, "hsCode": c.hs_code, "description": c.description,
                       "originCriterion": "RVC", "quantity": "1200", "unit": "PCE"}],
            "singleWindowReference": c.single_window_reference,
        }
    })
}

/// An HTTP answer of the issuing side: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
}

impl Answer {
    /// An answer with a body.
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            content_type,
            body: body.into(),
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, value: &impl Serialize) -> Answer {
        Answer::new(
            status,
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        )
    }

    /// A JSON error answer: `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Answer {
        Answer::json(status, &json!({ "error": message }))
    }
}

/// An issuing authority: signing key, transparency log and revocation list,
/// published under one base URL (`log/checkpoint`, `log/proof`, `status/1`).
#[derive(Debug, Clone)]
pub struct IssuingAuthority {
    /// Trust list id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country code.
    pub country: String,
    /// `issuer` of its credentials (`did:web:` of its host).
    pub issuer: String,
    /// Base URL, ending with `/`.
    pub base_url: String,
    /// Single-window base URL, ending with `/`.
    pub single_window_url: String,
    /// Official portal hosts.
    pub portals: Vec<String>,
    signer: CredentialSigner,
    log: TransparencyLog,
    revocations: StatusList,
    valid_from: String,
    status_credential: Option<Vec<u8>>,
}

impl IssuingAuthority {
    /// An authority whose keys derive from `key_label` (deterministic).
    /// `base_url` and `single_window_url` must end with `/`.
    pub fn new(
        id: &str,
        name: &str,
        country: &str,
        base_url: &str,
        single_window_url: &str,
        key_label: &str,
    ) -> Result<IssuingAuthority, NoteError> {
        let host = url::Url::parse(base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| id.to_owned());
        let issuer = format!("did:web:{host}");
        let signer = CredentialSigner::new(
            &format!("{issuer}#key-1"),
            derived_key(&format!("{key_label}/credential")),
        );
        let log = TransparencyLog::new(NoteSigner::new(
            &format!("{host}/log"),
            derived_key(&format!("{key_label}/log")),
        )?);
        Ok(IssuingAuthority {
            id: id.to_owned(),
            name: name.to_owned(),
            country: country.to_owned(),
            issuer,
            base_url: base_url.to_owned(),
            single_window_url: single_window_url.to_owned(),
            portals: Vec::new(),
            signer,
            log,
            revocations: StatusList::new(0),
            valid_from: "2026-01-01T00:00:00Z".to_owned(),
            status_credential: None,
        })
    }

    /// Sizes the revocation list for at least `bits` credentials (never
    /// below the standard's minimum).
    pub fn with_status_bits(mut self, bits: usize) -> IssuingAuthority {
        self.revocations = StatusList::new(bits);
        self.status_credential = None;
        self
    }

    /// Sets the hosts of its official verification portals.
    pub fn with_portals(mut self, portals: Vec<String>) -> IssuingAuthority {
        self.portals = portals;
        self
    }

    /// The URL of its (single) revocation list credential.
    pub fn status_list_url(&self) -> String {
        format!("{}status/1", self.base_url)
    }

    /// Its credential signer.
    pub fn signer(&self) -> &CredentialSigner {
        &self.signer
    }

    /// Its transparency log.
    pub fn log(&self) -> &TransparencyLog {
        &self.log
    }

    /// Its `[[authority]]` trust list entry.
    pub fn trust_entry(&self) -> AuthorityEntry {
        AuthorityEntry {
            id: Some(self.id.clone()),
            name: Some(self.name.clone()),
            country: Some(self.country.clone()),
            issuer: Some(self.issuer.clone()),
            log_url: Some(format!("{}log/", self.base_url)),
            log_key: Some(self.log.verifier_key()),
            status_prefixes: Some(vec![format!("{}status/", self.base_url)]),
            single_window_url: Some(self.single_window_url.clone()),
            portals: Some(self.portals.clone()),
            requests_per_second: None,
            max_in_flight: None,
            key: vec![KeyEntry {
                id: Some(self.signer.verification_method.clone()),
                public_key_multibase: Some(self.signer.public_key_multibase()),
            }],
            document_store: Vec::new(),
            did_signer: Vec::new(),
        }
    }

    /// Signs the credential for `certificate` with revocation index
    /// `status_index`. It is not anchored until [`IssuingAuthority::anchor`].
    pub fn issue(
        &self,
        certificate: &CertificateOfOrigin,
        status_index: usize,
    ) -> Result<Value, ProofError> {
        let unsigned = credential(
            &self.issuer,
            certificate,
            &self.status_list_url(),
            status_index,
        );
        self.signer.sign(&unsigned, &certificate.valid_from)
    }

    /// Logs a credential's digest; returns its leaf index.
    pub fn anchor(&mut self, credential: &Value) -> Result<u64, JsonError> {
        Ok(self.log.append(credential::digest(credential)?))
    }

    /// Sets the revocation bit at `index`.
    pub fn revoke(&mut self, index: usize) {
        self.revocations.set(index, true);
        self.status_credential = None;
    }

    /// Answers a GET for `path` (relative to the base URL, without a
    /// leading `/`) and its `query`, or None when the path is not its own.
    pub fn answer(&mut self, path: &str, query: Option<&str>) -> Option<Answer> {
        match path {
            "log/checkpoint" => Some(match self.log.checkpoint() {
                Ok(note) => Answer::new(200, "text/plain; charset=utf-8", note),
                Err(e) => Answer::error(500, &e.to_string()),
            }),
            "log/proof" => Some(self.answer_proof(query.unwrap_or_default())),
            "status/1" => Some(match self.status_list_body() {
                Ok(body) => Answer::new(200, "application/vc", body),
                Err(e) => Answer::error(500, &e.to_string()),
            }),
            _ => None,
        }
    }

    fn status_list_body(&mut self) -> Result<Vec<u8>, ProofError> {
        if let Some(body) = &self.status_credential {
            return Ok(body.clone());
        }
        let list = status_list_credential(
            &self.signer,
            &self.issuer,
            &self.status_list_url(),
            "revocation",
            &self.revocations,
            &self.valid_from,
        )?;
        let body = serde_json::to_vec_pretty(&list).unwrap_or_default();
        self.status_credential = Some(body.clone());
        Ok(body)
    }

    fn answer_proof(&self, query: &str) -> Answer {
        let mut digest = None;
        let mut size = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "digest" => digest = Some(v.into_owned()),
                "tree_size" => size = Some(v.into_owned()),
                _ => {}
            }
        }
        let digest = match digest.as_deref().map(hex::decode) {
            Some(Ok(d)) if d.len() == 32 => d,
            _ => return Answer::error(400, "digest must be 64 hex characters"),
        };
        let size = match size.as_deref().map(str::parse::<u64>) {
            Some(Ok(n)) if n <= self.log.size() => n,
            _ => return Answer::error(400, "tree_size must be a number no larger than the log"),
        };
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&digest);
        match self.log.prove(&hash, size) {
            Some(answer) => Answer::json(200, &answer),
            None => Answer::error(404, "digest not in the log at that size"),
        }
    }
}

/// A single-window registry record's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryStatus {
    /// In force.
    Valid,
    /// Revoked by the authority.
    Revoked,
    /// Past its validity.
    Expired,
}

/// The single-window record of a credential (spec section 5).
pub fn registry_record(credential: &Value, status: RegistryStatus) -> Result<Value, JsonError> {
    let subject = credential::subjects(credential)
        .into_iter()
        .next()
        .cloned()
        .unwrap_or_default();
    Ok(json!({
        "certificateNumber": credential::certificate_number(credential),
        "status": status,
        "exporter": credential::exporter_name(credential),
        "importingCountry": subject["importer"]["country"],
        "digest": hex::encode(credential::digest(credential)?),
        "singleWindowReference": subject["singleWindowReference"],
    }))
}

/// The single-window registry (spec section 5).
#[derive(Debug, Clone, Default)]
pub struct SingleWindow {
    records: HashMap<String, Value>,
}

impl SingleWindow {
    /// An empty registry.
    pub fn new() -> SingleWindow {
        SingleWindow::default()
    }

    /// Records a credential under its certificate number.
    pub fn register(
        &mut self,
        credential: &Value,
        status: RegistryStatus,
    ) -> Result<(), JsonError> {
        let number = credential::certificate_number(credential)
            .unwrap_or_default()
            .to_owned();
        self.records
            .insert(number, registry_record(credential, status)?);
        Ok(())
    }

    /// The record of `number`, if any.
    pub fn record(&self, number: &str) -> Option<&Value> {
        self.records.get(number)
    }

    /// Answers a GET for `path` (relative to the base URL, without a
    /// leading `/`, still percent-encoded).
    pub fn answer(&self, path: &str) -> Option<Answer> {
        let encoded = path.strip_prefix("v1/certificates/")?;
        let Ok(number) = percent_encoding::percent_decode_str(encoded).decode_utf8() else {
            return Some(Answer::error(400, "certificate number is not UTF-8"));
        };
        Some(match self.records.get(&*number) {
            Some(record) => Answer::json(200, record),
            None => Answer::error(404, "unknown certificate number"),
        })
    }
}
