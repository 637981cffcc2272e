//! A TradeTrust issuing body in the simulated world: certificates of
//! origin as OpenAttestation v2 wrapped documents, the chain their batch
//! roots are recorded on, and the JSON-RPC node the buyer asks.
//!
//! - The body (an Australian chamber, CHAFTA certificates of origin) keeps
//!   a classic DocumentStore whose address derives from the world's seed;
//!   the trust list pins it on chain [`CHAIN_ID`], with the node at
//!   [`NODE_HOST`]. A second store, derived from the seed as well, holds
//!   the roots of the "untrusted store" profile: issued on the sim's chain
//!   all the same, but pinned by no trust list.
//! - Each supplier's certificates are wrapped as one batch together with
//!   a few certificates of other exporters the supplier does not show
//!   (companions), so that every document carries a Merkle proof and the
//!   documents a supplier shows share one root. Fields are salted
//!   (`<uuid v4>:<type>:<value>`) from the seed.
//! - The node answers JSON-RPC 2.0 (single calls and batches):
//!   `eth_chainId`, and `eth_call` of `supportsInterface(bytes4)` (false:
//!   a classic store), `isIssued(bytes32)` and `isRevoked(bytes32)`; an
//!   address with no contract answers `0x`, as a node does for no code.
//! - A linked certificate is published encrypted
//!   (`OPEN-ATTESTATION-TYPE-1`) on the supplier's site; its page shows a
//!   TradeTrust verification link whose `q` names the envelope and the key
//!   (in the payload, or after `#` in newer links).

use std::collections::{HashMap, HashSet};

use eco::openattestation::digest::{Hash, keccak256, merkle_root, target_hash};
use eco::openattestation::link::{LinkError, encrypt};
use eco::openattestation::store::selector;
use eco::openattestation::{MERKLE_PROOF, SCHEMA_V2};
use eco::trust::AuthorityEntry;
use eco::trust::ethereum::{Address, DocumentStoreEntry, EthereumEntry};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use crate::profile::{CertKind, TtCase};
use crate::site::Reply;
use crate::world::{SimCertificate, Supplier};

/// The chain the sim's stores live on (a local chain id, as ganache's).
pub const CHAIN_ID: u64 = 1337;
/// Host of the buyer's JSON-RPC node.
pub const NODE_HOST: &str = "node.chain.test";
/// Host of the TradeTrust viewer that verification links name (never
/// fetched: the link is read, and the document it names is fetched).
pub const VIEWER_HOST: &str = "viewer.tradetrust.test";
/// The issuing body's trust-list id.
pub const AUTHORITY_ID: &str = "au-acci";
/// The issuing body's name.
pub const AUTHORITY_NAME: &str = "Australian Chamber of Commerce and Industry";
/// Where the issuing body's exporters are.
pub const COUNTRY: &str = "AU";
/// Certificate number prefix of TradeTrust certificates.
pub const NUMBER_PREFIX: &str = "AU-COO-26-";
/// The issuer that the untrusted store's documents name.
pub const UNTRUSTED_ISSUER: &str = "Southern Cross Origin Registry";
/// Most calls answered in one JSON-RPC batch.
pub const MAX_RPC_BATCH: usize = 64;
/// Most certificates of other exporters wrapped in a supplier's batch.
pub const MAX_COMPANIONS: usize = 2;
/// Folder of encrypted envelopes on a supplier's site.
const ENVELOPE_FOLDER: &str = "/tradetrust/";
/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
/// The code nodes give a reverted `eth_call`.
const EXECUTION_REVERTED: i64 = 3;

/// Why a TradeTrust document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TtError {
    /// The fields cannot be digested.
    #[error("digest: {0}")]
    Digest(#[from] eco::openattestation::digest::DigestError),
    /// Encryption failed.
    #[error("encryption: {0}")]
    Encrypt(#[from] LinkError),
    /// A document is not shaped as expected.
    #[error("{0}")]
    Shape(String),
}

/// A store's state on the sim's chain.
#[derive(Debug, Default)]
struct StoreState {
    issued: HashSet<Hash>,
    revoked: HashSet<Hash>,
}

/// One certificate the sim wrapped for a supplier.
#[derive(Debug, Clone)]
pub struct TtDocument {
    /// Its position among the supplier's certificates.
    pub position: usize,
    /// Its certificate number (`iD`).
    pub number: String,
    /// What the supplier serves: the wrapped document, or for a linked
    /// certificate its encrypted envelope.
    pub served: Value,
    /// The wrapped document (decrypted, for a linked certificate).
    pub document: Value,
    /// The target hash the document states (and the single window
    /// records).
    pub target_hash: Hash,
    /// The `Content-Type` it is served with.
    pub content_type: &'static str,
}

/// A supplier's batch.
#[derive(Debug, Clone)]
pub struct TtBatch {
    /// The documents the supplier shows, by position.
    pub documents: Vec<TtDocument>,
    /// The Merkle root of the batch.
    pub root: Hash,
    /// The store that issued it (or would have).
    pub store: Address,
    /// What is true of its certificates.
    pub case: TtCase,
}

/// The issuing body, its stores, and every supplier's batch.
#[derive(Debug)]
pub struct TradeTrust {
    /// The store the trust list pins.
    pub store: Address,
    /// The store no trust list pins.
    pub untrusted_store: Address,
    chain: HashMap<Address, StoreState>,
    batches: HashMap<usize, TtBatch>,
}

/// A 20-byte address derived from `label`.
fn address_of(label: &str) -> Address {
    let hash = keccak256(label.as_bytes());
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&hash[12..]);
    Address(bytes)
}

impl TradeTrust {
    /// The body of the world of `seed`, with no batch yet.
    pub fn new(seed: u64) -> TradeTrust {
        let store = address_of(&format!(
            "ecoscout-sim/{seed}/{AUTHORITY_ID}/document-store"
        ));
        let untrusted_store = address_of(&format!("ecoscout-sim/{seed}/untrusted-document-store"));
        let mut chain = HashMap::new();
        chain.insert(store, StoreState::default());
        chain.insert(untrusted_store, StoreState::default());
        TradeTrust {
            store,
            untrusted_store,
            chain,
            batches: HashMap::new(),
        }
    }

    /// Wraps supplier `s`'s TradeTrust certificates (issued on
    /// `issue_date`, `YYYY-MM-DD` for position 0) and records the batch on
    /// the chain as its case says. Suppliers without TradeTrust
    /// certificates are left alone.
    pub fn add_supplier(&mut self, s: &Supplier, issue_date: &str) -> Result<(), TtError> {
        let Some(CertKind::TradeTrust(case)) = s.certificates.first().map(|c| c.kind) else {
            return Ok(());
        };
        let store = if case == TtCase::UntrustedStore {
            self.untrusted_store
        } else {
            self.store
        };
        let issuer = if case == TtCase::UntrustedStore {
            UNTRUSTED_ISSUER
        } else {
            AUTHORITY_NAME
        };
        let mut rng = ChaCha8Rng::seed_from_u64(s.look.rotate_left(11) ^ 0x7474_0000_0000_0001);
        let mut datas: Vec<Value> = s
            .certificates
            .iter()
            .map(|c| coo_data(s, &c.number, issue_date, &s.name, store, issuer, c.position))
            .collect();
        let companions = 1 + rng.random_range(0..MAX_COMPANIONS);
        for k in 0..companions {
            let number = format!("{NUMBER_PREFIX}X{:07}{k}", s.index);
            let exporter = format!("Companion Exporter {}-{k} Pty Ltd", s.index);
            datas.push(coo_data(
                s, &number, issue_date, &exporter, store, issuer, k,
            ));
        }
        // Companions sit before or after the supplier's own documents.
        if rng.random_bool(0.5) {
            datas.rotate_left(s.certificates.len());
        }
        let salted_datas: Vec<Value> = datas.iter().map(|d| salted(d, &mut rng)).collect();
        let wrapped = wrap_batch(&salted_datas)?;
        let root = wrapped
            .first()
            .and_then(|w| w.pointer("/signature/merkleRoot"))
            .and_then(Value::as_str)
            .and_then(parse_hash)
            .ok_or_else(|| TtError::Shape("an empty batch".into()))?;
        let mut documents = Vec::new();
        for cert in &s.certificates {
            let Some(mut document) = wrapped
                .iter()
                .find(|w| {
                    w.pointer("/data/iD")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.ends_with(&format!(":string:{}", cert.number)))
                })
                .cloned()
            else {
                return Err(TtError::Shape(format!("{} was not wrapped", cert.number)));
            };
            let target = document
                .pointer("/signature/targetHash")
                .and_then(Value::as_str)
                .and_then(parse_hash)
                .ok_or_else(|| TtError::Shape("no target hash".into()))?;
            match case {
                TtCase::Tampered => tamper(&mut document)?,
                TtCase::Obfuscated => {
                    obfuscate(
                        &mut document,
                        &["supplyChainConsignment", "importer", "name"],
                    )?;
                    if bits(s, 3, 2) == 0 {
                        obfuscate(&mut document, &["supplyChainConsignment", "information"])?;
                    }
                }
                _ => {}
            }
            let (served, content_type) = if case == TtCase::Linked {
                let key = link_key(s, cert.position);
                let iv = link_iv(s, cert.position);
                let bytes = serde_json::to_vec(&document)
                    .map_err(|e| TtError::Shape(format!("JSON: {e}")))?;
                let envelope = encrypt(&bytes, &key, iv)?;
                // tradetrust-website also accepts the envelope wrapped.
                let served = if bits(s, 5, 2) == 0 {
                    json!({ "document": envelope })
                } else {
                    envelope
                };
                (served, "application/octet-stream")
            } else {
                let content_type = match (document_path(s, cert).ends_with(".tt"), bits(s, 7, 2)) {
                    (true, 0) => "application/octet-stream",
                    (true, _) => "application/json",
                    (false, _) => "application/json; charset=utf-8",
                };
                (document.clone(), content_type)
            };
            documents.push(TtDocument {
                position: cert.position,
                number: cert.number.clone(),
                served,
                document,
                target_hash: target,
                content_type,
            });
        }
        let state = self.chain.entry(store).or_default();
        if case != TtCase::NotIssued {
            state.issued.insert(root);
        }
        if case == TtCase::Revoked {
            // The store revokes the document's own target hash, or the
            // whole batch by its root: a verifier must ask about both.
            for doc in &documents {
                state.revoked.insert(if bits(s, 9, 2) == 0 {
                    root
                } else {
                    doc.target_hash
                });
            }
        }
        self.batches.insert(
            s.index,
            TtBatch {
                documents,
                root,
                store,
                case,
            },
        );
        Ok(())
    }

    /// The batch of supplier `index`, if it shows TradeTrust certificates.
    pub fn batch(&self, index: usize) -> Option<&TtBatch> {
        self.batches.get(&index)
    }

    /// The document at `position` of supplier `index`.
    pub fn document(&self, index: usize, position: usize) -> Option<&TtDocument> {
        self.batch(index)?
            .documents
            .iter()
            .find(|d| d.position == position)
    }

    /// Whether `store` has revoked `hash` on the sim's chain.
    pub fn is_revoked(&self, store: Address, hash: &Hash) -> bool {
        self.chain
            .get(&store)
            .is_some_and(|state| state.revoked.contains(hash))
    }

    /// What the truth says of the chain side of the document at
    /// `position` of supplier `index`: its Merkle proof's length, and
    /// which of its hashes its store revoked (`target_hash` or
    /// `merkle_root`), if any.
    pub fn chain_facts(
        &self,
        index: usize,
        position: usize,
    ) -> Option<(usize, Option<&'static str>)> {
        let batch = self.batch(index)?;
        let doc = self.document(index, position)?;
        let proof_length = doc
            .document
            .pointer("/signature/proof")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let revoked = if self.is_revoked(batch.store, &doc.target_hash) {
            Some("target_hash")
        } else if self.is_revoked(batch.store, &batch.root) {
            Some("merkle_root")
        } else {
            None
        };
        Some((proof_length, revoked))
    }

    /// Serves the document (or envelope) of `cert` of supplier `index`.
    pub fn reply(&self, index: usize, cert: &SimCertificate) -> Reply {
        match self.document(index, cert.position) {
            Some(doc) => Reply::new(
                200,
                doc.content_type,
                serde_json::to_vec_pretty(&doc.served).unwrap_or_default(),
            ),
            None => Reply::new(500, "text/plain", "document unavailable"),
        }
    }

    /// The single-window record of `number`, if it is a TradeTrust
    /// certificate of the trusted body: `None` when the number is not
    /// one of them.
    pub fn registry_record(&self, number: &str) -> Option<Value> {
        let digits = number.strip_prefix(NUMBER_PREFIX)?;
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: usize = digits.parse().ok()?;
        let batch = self.batch(n / 10)?;
        if batch.case == TtCase::UntrustedStore {
            return None;
        }
        let doc = batch.documents.iter().find(|d| d.number == number)?;
        let status = if batch.case == TtCase::Revoked {
            "revoked"
        } else {
            "valid"
        };
        let text = |pointer: &str| {
            doc.document
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(|v| eco::openattestation::issuers::unsalt(v).to_owned())
        };
        Some(json!({
            "certificateNumber": number,
            "status": status,
            "exporter": text("/data/supplyChainConsignment/exporter/name"),
            "importingCountry": text("/data/supplyChainConsignment/importCountry/code"),
            "digest": hex::encode(doc.target_hash),
            "singleWindowReference": format!("ASW-{number}"),
        }))
    }

    /// The trust list's entry for the body: its pinned store and the
    /// single window.
    pub fn trust_entry(&self, single_window_url: &str) -> AuthorityEntry {
        AuthorityEntry {
            id: Some(AUTHORITY_ID.to_owned()),
            name: Some(AUTHORITY_NAME.to_owned()),
            country: Some(COUNTRY.to_owned()),
            single_window_url: Some(single_window_url.to_owned()),
            document_store: vec![DocumentStoreEntry {
                chain_id: Some(CHAIN_ID),
                address: Some(self.store.checksummed()),
            }],
            ..AuthorityEntry::default()
        }
    }

    /// The trust list's `[[ethereum]]` entry: the sim's node.
    pub fn node_entry(port: u16) -> EthereumEntry {
        EthereumEntry {
            chain_id: Some(CHAIN_ID),
            rpc_url: Some(format!("http://{NODE_HOST}:{port}/")),
        }
    }

    /// Answers a request to the node: JSON-RPC 2.0 over POST.
    pub fn rpc(&self, method: &str, body: &[u8]) -> Reply {
        if !method.eq_ignore_ascii_case("POST") {
            return Reply::new(405, "text/plain", "JSON-RPC is POSTed");
        }
        let answer = match serde_json::from_slice::<Value>(body) {
            Err(_) => rpc_error(Value::Null, PARSE_ERROR, "parse error", None),
            Ok(Value::Array(calls)) if calls.is_empty() => {
                rpc_error(Value::Null, INVALID_REQUEST, "empty batch", None)
            }
            Ok(Value::Array(calls)) if calls.len() > MAX_RPC_BATCH => rpc_error(
                Value::Null,
                INVALID_REQUEST,
                &format!("batch of {} calls; at most {MAX_RPC_BATCH}", calls.len()),
                None,
            ),
            Ok(Value::Array(calls)) => Value::Array(calls.iter().map(|c| self.call(c)).collect()),
            Ok(call) => self.call(&call),
        };
        Reply::json(200, &answer)
    }

    /// Answers one JSON-RPC call.
    fn call(&self, call: &Value) -> Value {
        let id = call.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = call.get("method").and_then(Value::as_str) else {
            return rpc_error(id, INVALID_REQUEST, "no method", None);
        };
        let ok = |result: String| json!({"jsonrpc": "2.0", "id": id, "result": result});
        match method {
            "eth_chainId" => ok(format!("0x{CHAIN_ID:x}")),
            "net_version" => ok(CHAIN_ID.to_string()),
            "eth_call" => {
                let Some(params) = call.get("params").and_then(|p| p.get(0)) else {
                    return rpc_error(id, INVALID_PARAMS, "eth_call needs a call object", None);
                };
                let Some(to) = params.get("to").and_then(Value::as_str) else {
                    return rpc_error(id, INVALID_PARAMS, "the call names no `to`", None);
                };
                let Ok(to) = Address::parse(to) else {
                    return rpc_error(id, INVALID_PARAMS, "`to` is not an address", None);
                };
                let data = params
                    .get("data")
                    .or_else(|| params.get("input"))
                    .and_then(Value::as_str)
                    .unwrap_or("0x");
                let Some(data) = data.strip_prefix("0x").and_then(|d| hex::decode(d).ok()) else {
                    return rpc_error(id, INVALID_PARAMS, "`data` is not 0x and hex", None);
                };
                match self.eth_call(to, &data) {
                    Ok(result) => ok(result),
                    Err(()) => rpc_error(
                        id,
                        EXECUTION_REVERTED,
                        "execution reverted",
                        Some("0x".into()),
                    ),
                }
            }
            other => rpc_error(
                id,
                METHOD_NOT_FOUND,
                &format!("the method {other} does not exist/is not available"),
                None,
            ),
        }
    }

    /// What a DocumentStore at `to` returns for calldata `data`: `0x` for
    /// an address without code; `Err` for a revert (an unknown function
    /// or malformed arguments).
    fn eth_call(&self, to: Address, data: &[u8]) -> Result<String, ()> {
        let Some(store) = self.chain.get(&to) else {
            return Ok("0x".to_owned());
        };
        let Some((head, args)) = data.split_first_chunk::<4>() else {
            return Err(());
        };
        let word: Option<Hash> = args.try_into().ok();
        let boolean = |b: bool| format!("0x{:064x}", u8::from(b));
        if *head == selector("supportsInterface(bytes4)") && word.is_some() {
            // A classic store: not the batchable interface.
            return Ok(boolean(false));
        }
        match word {
            Some(hash) if *head == selector("isIssued(bytes32)") => {
                Ok(boolean(store.issued.contains(&hash)))
            }
            Some(hash) if *head == selector("isRevoked(bytes32)") => {
                Ok(boolean(store.revoked.contains(&hash)))
            }
            _ => Err(()),
        }
    }
}

/// The functions of a document store a verifier may call, by signature.
const STORE_FUNCTIONS: [&str; 5] = [
    "supportsInterface(bytes4)",
    "isIssued(bytes32)",
    "isRevoked(bytes32)",
    "isIssued(bytes32,bytes32,bytes32[])",
    "isRevoked(bytes32,bytes32,bytes32[])",
];

/// The JSON-RPC calls of a request to the node, one name per call (every
/// call of a batch): the method, and for `eth_call` the function its
/// calldata selects (`eth_call isIssued(bytes32)`, or the selector in hex
/// when it is not a store function). Empty when the body is not JSON; a
/// call without a method is named `?`. For the request log: how many
/// questions a node was asked, of what kind.
pub fn rpc_call_names(body: &[u8]) -> Vec<String> {
    let name = |call: &Value| -> String {
        let Some(method) = call.get("method").and_then(Value::as_str) else {
            return "?".to_owned();
        };
        if method != "eth_call" {
            return method.to_owned();
        }
        let data = call
            .get("params")
            .and_then(|p| p.get(0))
            .and_then(|p| p.get("data").or_else(|| p.get("input")))
            .and_then(Value::as_str)
            .and_then(|d| d.strip_prefix("0x"))
            .and_then(|d| d.get(..8))
            .and_then(|head| hex::decode(head).ok());
        let function = data.map(|head| {
            STORE_FUNCTIONS
                .iter()
                .find(|f| selector(f)[..] == head[..])
                .map_or_else(|| format!("0x{}", hex::encode(&head)), |f| (*f).to_owned())
        });
        match function {
            Some(function) => format!("eth_call {function}"),
            None => "eth_call".to_owned(),
        }
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(calls)) => calls.iter().map(name).collect(),
        Ok(call) => vec![name(&call)],
        Err(_) => Vec::new(),
    }
}

fn rpc_error(id: Value, code: i64, message: &str, data: Option<String>) -> Value {
    let mut error = json!({"code": code, "message": message});
    if let Some(data) = data {
        error["data"] = Value::from(data);
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// `modulo` choices from the supplier's look bits starting at `shift`.
fn bits(s: &Supplier, shift: u32, modulo: u64) -> u64 {
    (s.look >> shift) % modulo
}

fn parse_hash(text: &str) -> Option<Hash> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash).ok()?;
    Some(hash)
}

/// The certificate of origin `number` of supplier `s`, unsalted, with
/// the CHAFTA template's field names.
fn coo_data(
    s: &Supplier,
    number: &str,
    issue_date: &str,
    exporter: &str,
    store: Address,
    issuer: &str,
    position: usize,
) -> Value {
    // Some bodies write the exporter's name in capitals, as the CHAFTA
    // sample does; the name compares equal once normalised.
    let exporter = if bits(s, 12, 3) == 0 {
        exporter.to_uppercase()
    } else {
        exporter.to_owned()
    };
    let (goods, hs) = (s.industry.1, s.industry.2);
    json!({
        "$template": {"name": "CHAFTA_COO", "type": "EMBEDDED_RENDERER",
                      "url": "https://generic-templates.tradetrust.io"},
        "name": "CHAFTA Certificate of Origin",
        "iD": number,
        "issueDateTime": format!("{issue_date}T02:30:00Z"),
        "freeTradeAgreement": "CHAFTA",
        "isPreferential": true,
        "status": "issued",
        "issueLocation": {"iD": "unece.un.org:locode:AUMEL", "name": "Melbourne"},
        "issuer": {"iD": "id:acci.test", "name": issuer},
        "supplyChainConsignment": {
            "iD": format!("forwarder.test:hawb:{number}"),
            "information": format!("{} cartons of {}", 10 + (s.index + position) % 90, goods.to_lowercase()),
            "exportCountry": {"code": COUNTRY},
            "importCountry": {"code": "CN"},
            "exporter": {
                "iD": format!("abr.gov.au:abn:{:011}", (s.index as u64 * 7_919_113) % 100_000_000_000),
                "name": exporter,
                "postalAddress": {"line1": format!("{} Harbour Road", 1 + s.index % 200),
                                  "cityName": s.region, "countryCode": COUNTRY}
            },
            "importer": {
                "iD": format!("id:importer-{:04}.test", s.index % 9973),
                "name": format!("Importer CN-{:04}", s.index % 9973),
                "postalAddress": {"cityName": "Shanghai", "countryCode": "CN"}
            },
            "includedConsignmentItems": [{
                "iD": format!("shipment:{number}-1"),
                "crossBorderRegulatoryProcedure": {"originCriteriaText": "WO"},
                "tradeLineItems": [{
                    "sequenceNumber": 1,
                    "tradeProduct": {
                        "description": goods,
                        "harmonisedTariffCode": {"classCode": hs},
                        "originCountry": {"code": COUNTRY}
                    },
                    "transportPackages": [{"grossVolume": "0.55 m3",
                                           "grossWeight": format!("{} Kg", 200 + 10 * (s.index % 50))}]
                }]
            }]
        },
        "issuers": [{
            "name": issuer,
            "documentStore": store.checksummed(),
            "identityProof": {"type": "DNS-TXT", "location": "acci.test"}
        }],
        "network": {"chain": "ETH", "chainId": CHAIN_ID.to_string()}
    })
}

/// A UUID v4 drawn from `rng`.
fn uuid(rng: &mut ChaCha8Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Salts every leaf of `value` as OpenAttestation does:
/// `"<uuid v4>:<type>:<value>"`.
pub fn salted(value: &Value, rng: &mut ChaCha8Rng) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), salted(v, rng)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| salted(v, rng)).collect()),
        Value::String(text) => Value::from(format!("{}:string:{text}", uuid(rng))),
        Value::Number(n) => Value::from(format!("{}:number:{n}", uuid(rng))),
        Value::Bool(b) => Value::from(format!("{}:boolean:{b}", uuid(rng))),
        Value::Null => Value::from(format!("{}:null:null", uuid(rng))),
    }
}

/// Wraps salted `datas` as one batch: each document's target hash, the
/// Merkle tree over them (pairs hashed smaller first, an odd node rising
/// unpaired), and each document with its proof and the root.
pub fn wrap_batch(datas: &[Value]) -> Result<Vec<Value>, TtError> {
    let mut targets = Vec::with_capacity(datas.len());
    for data in datas {
        let object = data
            .as_object()
            .ok_or_else(|| TtError::Shape("data is not an object".into()))?;
        targets.push(target_hash(object, &[])?);
    }
    let mut levels = vec![targets.clone()];
    while levels.last().is_some_and(|level| level.len() > 1) {
        let next = levels
            .last()
            .map(|level| {
                level
                    .chunks(2)
                    .map(|pair| match pair {
                        [a, b] => merkle_root(*a, &[*b]),
                        [a] => *a,
                        _ => [0; 32],
                    })
                    .collect::<Vec<Hash>>()
            })
            .unwrap_or_default();
        levels.push(next);
    }
    let root = levels
        .last()
        .and_then(|level| level.first())
        .copied()
        .ok_or_else(|| TtError::Shape("an empty batch".into()))?;
    let depth = levels.len() - 1;
    Ok(datas
        .iter()
        .zip(&targets)
        .enumerate()
        .map(|(i, (data, target))| {
            let mut proof = Vec::new();
            let mut index = i;
            for level in &levels[..depth] {
                if let Some(sibling) = level.get(index ^ 1) {
                    proof.push(hex::encode(sibling));
                }
                index /= 2;
            }
            json!({
                "version": SCHEMA_V2,
                "data": data,
                "signature": {"type": MERKLE_PROOF, "targetHash": hex::encode(target),
                              "proof": proof, "merkleRoot": hex::encode(root)}
            })
        })
        .collect())
}

/// Hides the field at `path` of a wrapped document as its holder may: its
/// leaf hash moves to `privacy.obfuscatedData`, which keeps the target
/// hash. Refuses what would leave an empty object (that would fail
/// integrity, as the reference says) or a field that is not a leaf.
pub fn obfuscate(document: &mut Value, path: &[&str]) -> Result<(), TtError> {
    let shape = |why: String| TtError::Shape(why);
    let dotted = path.join(".");
    let (last, parents) = path
        .split_last()
        .ok_or_else(|| shape("an empty path".into()))?;
    let mut parent = document
        .get_mut("data")
        .ok_or_else(|| shape("no data".into()))?;
    for segment in parents {
        parent = parent
            .get_mut(*segment)
            .ok_or_else(|| shape(format!("no {segment} on the way to {dotted}")))?;
    }
    let object: &mut Map<String, Value> = parent
        .as_object_mut()
        .ok_or_else(|| shape(format!("the parent of {dotted} is not an object")))?;
    if object.len() < 2 {
        return Err(shape(format!(
            "hiding {dotted} would leave an empty object"
        )));
    }
    let value = object
        .remove(*last)
        .ok_or_else(|| shape(format!("no field {dotted}")))?;
    if value.is_object() || value.is_array() {
        return Err(shape(format!("{dotted} is not a leaf")));
    }
    let mut leaf = Map::new();
    leaf.insert(dotted.clone(), value);
    let text = serde_json::to_string(&leaf).map_err(|e| shape(format!("JSON: {e}")))?;
    let hash = hex::encode(keccak256(text.as_bytes()));
    let privacy = document
        .as_object_mut()
        .ok_or_else(|| shape("not an object".into()))?
        .entry("privacy")
        .or_insert_with(|| json!({}));
    let list = privacy
        .as_object_mut()
        .ok_or_else(|| shape("privacy is not an object".into()))?
        .entry("obfuscatedData")
        .or_insert_with(|| json!([]));
    list.as_array_mut()
        .ok_or_else(|| shape("privacy.obfuscatedData is not a list".into()))?
        .push(Value::from(hash));
    Ok(())
}

/// Changes a wrapped document after the fact: the declared gross weight
/// of its goods, salt kept, as a forger raising the quantity would.
pub fn tamper(document: &mut Value) -> Result<(), TtError> {
    let pointer = "/data/supplyChainConsignment/includedConsignmentItems/0/tradeLineItems/0/transportPackages/0/grossWeight";
    let field = document
        .pointer_mut(pointer)
        .ok_or_else(|| TtError::Shape("no gross weight to change".into()))?;
    let text = field.as_str().unwrap_or_default();
    let (salt, _) = text
        .rsplit_once(':')
        .ok_or_else(|| TtError::Shape("the gross weight is not salted".into()))?;
    *field = Value::from(format!("{salt}:12000 Kg"));
    Ok(())
}

/// The key of the encrypted document at `position` of supplier `s`: 64
/// hex digits, from the seed.
pub fn link_key(s: &Supplier, position: usize) -> String {
    hex::encode(keccak256(
        format!(
            "ecoscout-sim/tradetrust-key/{}/{}/{position}",
            s.look, s.index
        )
        .as_bytes(),
    ))
}

fn link_iv(s: &Supplier, position: usize) -> [u8; 12] {
    let hash = keccak256(
        format!(
            "ecoscout-sim/tradetrust-iv/{}/{}/{position}",
            s.look, s.index
        )
        .as_bytes(),
    );
    let mut iv = [0u8; 12];
    iv.copy_from_slice(&hash[..12]);
    iv
}

/// The path of `cert`'s document on the supplier's site: the encrypted
/// envelope for a linked certificate, else a `.tt` or `.json` file.
pub fn document_path(s: &Supplier, cert: &SimCertificate) -> String {
    let n = &cert.number;
    if cert.kind == CertKind::TradeTrust(TtCase::Linked) {
        return format!("{ENVELOPE_FOLDER}{n}.tt");
    }
    match bits(s, 14, 4) {
        0 => format!("/files/tradetrust/{n}.tt"),
        1 => format!("/downloads/coo-{n}.tt"),
        2 => format!("/documents/{n}.json"),
        _ => format!("/certificates/{}.tt", n.to_lowercase()),
    }
}

/// The TradeTrust verification link to `cert`'s encrypted document on
/// `origin`: `https://viewer.../?q=<action>`, the key in the payload, or
/// (newer links) after `#` with the chain id in the payload.
pub fn verification_link(s: &Supplier, origin: &str, cert: &SimCertificate) -> String {
    let uri = format!("{origin}{}", document_path(s, cert));
    let key = link_key(s, cert.position);
    let in_fragment = bits(s, 16, 2) == 0;
    let mut payload = json!({
        "uri": uri,
        "permittedActions": ["VIEW"],
        "redirect": "https://tradetrust.io/",
    });
    if in_fragment {
        payload["chainId"] = Value::from(CHAIN_ID.to_string());
    } else {
        payload["key"] = Value::from(key.clone());
    }
    let action = json!({"type": "DOCUMENT", "payload": payload});
    let mut url = match url::Url::parse(&format!("https://{VIEWER_HOST}/")) {
        Ok(url) => url,
        Err(_) => return String::new(),
    };
    url.query_pairs_mut().append_pair("q", &action.to_string());
    if in_fragment {
        let fragment = json!({ "key": key }).to_string();
        url.set_fragment(Some(
            &percent_encoding::utf8_percent_encode(&fragment, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ));
    }
    url.to_string()
}
