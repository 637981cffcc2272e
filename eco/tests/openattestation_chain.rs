//! The `anchored` and `not_revoked` checks of OpenAttestation documents
//! against an in-memory chain that answers JSON-RPC as a node does: a
//! classic and a batchable DocumentStore (the batchable one checks the
//! proof and reverts as `@trustvc/document-store` 1.0.3 does on ganache).

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use eco::openattestation::chain::Chain;
use eco::openattestation::digest::{Hash, keccak256, merkle_root, target_hash};
use eco::openattestation::store::selector;
use eco::openattestation::{MERKLE_PROOF, SCHEMA_V2, WrappedDocument};
use eco::trust::TrustList;
use eco::trust::ethereum::Address;
use eco::{FetchError, FetchResponse, Fetcher, Outcome};
use serde_json::{Value, json};
use url::Url;

const CLASSIC: &str = "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab";
const BATCHABLE: &str = "0x5b1869D9A4C187F2EAa108f3062412ecf0526b24";
const UNPINNED: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

const TRUST: &str = r#"
[[ethereum]]
chain_id = 1337
rpc_url = "http://node.test:8545/"

[[authority]]
id = "demo-coo"
name = "Demo Chamber of Commerce"
country = "AU"
  [[authority.document_store]]
  chain_id = 1337
  address = "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab"
  [[authority.document_store]]
  chain_id = 1337
  address = "0x5b1869D9A4C187F2EAa108f3062412ecf0526b24"
"#;

/// One store's state.
#[derive(Default)]
struct Store {
    batchable: bool,
    issued: HashSet<Hash>,
    revoked: HashSet<Hash>,
}

/// A chain of stores behind a JSON-RPC "node".
struct MemoryChain {
    chain_id: u64,
    stores: Mutex<HashMap<Address, Store>>,
    calls: AtomicUsize,
    /// TXT records by DNS name; a name absent here gets no answer.
    txt: HashMap<String, Vec<String>>,
    txt_lookups: AtomicUsize,
}

fn word(bytes: &[u8], n: usize) -> Hash {
    bytes[4 + 32 * n..4 + 32 * (n + 1)].try_into().unwrap()
}

fn revert(signature: &str) -> Value {
    json!({"code": -32000, "message": "VM Exception while processing transaction: revert",
           "data": format!("0x{}", hex::encode(selector(signature)))})
}

impl MemoryChain {
    fn answer(&self, request: &Value) -> Value {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let ok = |result: String| json!({"jsonrpc": "2.0", "id": 1, "result": result});
        let boolean = |b: bool| ok(format!("0x{:064x}", u8::from(b)));
        if request["method"] == "eth_chainId" {
            return ok(format!("0x{:x}", self.chain_id));
        }
        let to = Address::parse(request["params"][0]["to"].as_str().unwrap()).unwrap();
        let data = hex::decode(&request["params"][0]["data"].as_str().unwrap()[2..]).unwrap();
        let stores = self.stores.lock().unwrap();
        let Some(store) = stores.get(&to) else {
            return ok("0x".into());
        };
        let error = |e: Value| json!({"jsonrpc": "2.0", "id": 1, "error": e});
        let is = |signature: &str| data[..4] == selector(signature);
        if is("supportsInterface(bytes4)") {
            return boolean(store.batchable && data[4..8] == [0xdc, 0xfd, 0x07, 0x45]);
        }
        if !store.batchable && is("isIssued(bytes32)") {
            return boolean(store.issued.contains(&word(&data, 0)));
        }
        if !store.batchable && is("isRevoked(bytes32)") {
            return boolean(store.revoked.contains(&word(&data, 0)));
        }
        if store.batchable
            && (is("isIssued(bytes32,bytes32,bytes32[])")
                || is("isRevoked(bytes32,bytes32,bytes32[])"))
        {
            let (root, target) = (word(&data, 0), word(&data, 1));
            let length = usize::from(word(&data, 3)[31]);
            let proof: Vec<Hash> = (0..length).map(|i| word(&data, 4 + i)).collect();
            if root == [0; 32] || target == [0; 32] {
                return error(revert("ZeroDocument()"));
            }
            if merkle_root(target, &proof) != root {
                return error(revert("InvalidDocument(bytes32,bytes32)"));
            }
            if is("isIssued(bytes32,bytes32,bytes32[])") {
                return boolean(store.issued.contains(&root));
            }
            if !store.issued.contains(&root) {
                return error(revert("DocumentNotIssued(bytes32,bytes32)"));
            }
            return boolean(store.revoked.contains(&root) || store.revoked.contains(&target));
        }
        error(revert("unknown function"))
    }
}

impl Fetcher for &MemoryChain {
    async fn get(&self, url: &Url, _accept: &str) -> Result<FetchResponse, FetchError> {
        Err(FetchError::Refused(format!(
            "{url}: only the node is asked here"
        )))
    }

    async fn post_trusted_json(
        &self,
        url: &Url,
        body: Vec<u8>,
    ) -> Result<FetchResponse, FetchError> {
        let request: Value = serde_json::from_slice(&body).unwrap();
        Ok(FetchResponse {
            url: url.clone(),
            status: 200,
            content_type: Some("application/json".into()),
            body: serde_json::to_vec(&self.answer(&request)).unwrap(),
        })
    }

    async fn txt_records(&self, name: &str) -> Result<Vec<String>, FetchError> {
        self.txt_lookups.fetch_add(1, Ordering::SeqCst);
        self.txt
            .get(name)
            .cloned()
            .ok_or(FetchError::Timeout { seconds: 5.0 })
    }
}

/// A batch of `n` certificates wrapped for `store` (a classic or batchable
/// one), with `extra` fields in each: the documents, their targets and the
/// root, built by this crate's digest.
fn batch(n: usize, store: &str, extra: Value) -> (Vec<WrappedDocument>, Hash) {
    let (values, root) = batch_values(n, store, extra);
    let documents = values
        .iter()
        .map(|value| {
            let document = WrappedDocument::from_value(value).unwrap();
            assert_eq!(
                document.integrity(),
                eco::openattestation::Integrity::Intact
            );
            document
        })
        .collect();
    (documents, root)
}

/// The same batch, as the documents' JSON.
fn batch_values(n: usize, store: &str, extra: Value) -> (Vec<Value>, Hash) {
    let datas: Vec<Value> = (0..n)
        .map(|i| {
            let mut data = json!({
                "iD": format!("salt{i}:string:CO-{i}"),
                "issuers": [{"name": "s:string:Demo", "documentStore": format!("s2:string:{store}")}],
            });
            for (k, v) in extra.as_object().unwrap() {
                data[k] = v.clone();
            }
            data
        })
        .collect();
    let targets: Vec<Hash> = datas
        .iter()
        .map(|d| target_hash(d.as_object().unwrap(), &[]).unwrap())
        .collect();
    // A tree over the sorted-pair hash; an odd node rises unpaired.
    let mut levels = vec![targets.clone()];
    while levels.last().unwrap().len() > 1 {
        let level = levels.last().unwrap();
        let next = level
            .chunks(2)
            .map(|pair| {
                if pair.len() == 2 {
                    merkle_root(pair[0], &[pair[1]])
                } else {
                    pair[0]
                }
            })
            .collect();
        levels.push(next);
    }
    let root = levels.last().unwrap()[0];
    let documents = datas
        .into_iter()
        .enumerate()
        .map(|(i, data)| {
            let mut proof = Vec::new();
            let mut index = i;
            for level in &levels[..levels.len() - 1] {
                if let Some(sibling) = level.get(index ^ 1) {
                    proof.push(hex::encode(sibling));
                }
                index /= 2;
            }
            json!({
                "version": SCHEMA_V2,
                "data": data,
                "signature": {"type": MERKLE_PROOF, "targetHash": hex::encode(targets[i]),
                              "proof": proof, "merkleRoot": hex::encode(root)}
            })
        })
        .collect();
    (documents, root)
}

fn chain_with(stores: Vec<(&str, Store)>, chain_id: u64) -> MemoryChain {
    MemoryChain {
        chain_id,
        stores: Mutex::new(
            stores
                .into_iter()
                .map(|(a, s)| (Address::parse(a).unwrap(), s))
                .collect(),
        ),
        calls: AtomicUsize::new(0),
        txt: HashMap::new(),
        txt_lookups: AtomicUsize::new(0),
    }
}

/// A node whose classic store at [`CLASSIC`] has issued `root`.
fn classic_store_issuing(root: Hash, chain_id: u64) -> MemoryChain {
    chain_with(
        vec![(
            CLASSIC,
            Store {
                issued: HashSet::from([root]),
                ..Store::default()
            },
        )],
        chain_id,
    )
}

fn trust() -> TrustList {
    TrustList::from_toml(TRUST, "trust.toml").unwrap()
}

async fn outcomes(
    chain: &Chain,
    node: &MemoryChain,
    document: &WrappedDocument,
) -> (Outcome, Outcome) {
    let trust = trust();
    let anchored = chain.anchored(&node, &trust, document).await;
    let not_revoked = chain.not_revoked(&node, &trust, document).await;
    (anchored.outcome, not_revoked.outcome)
}

#[tokio::test]
async fn a_classic_store_issues_and_revokes_by_hash() {
    let (documents, root) = batch(3, CLASSIC, json!({}));
    let mut store = Store {
        issued: HashSet::from([root]),
        ..Store::default()
    };
    // The third document's own target hash is revoked.
    store.revoked.insert(documents[2].target_hash);
    let node = chain_with(vec![(CLASSIC, store)], 1337);
    let chain = Chain::new();
    assert_eq!(
        outcomes(&chain, &node, &documents[0]).await,
        (Outcome::Pass, Outcome::Pass)
    );
    assert_eq!(
        outcomes(&chain, &node, &documents[2]).await,
        (Outcome::Pass, Outcome::Fail)
    );
    // A whole batch: isIssued of the root is asked once.
    let before = node.calls.load(Ordering::SeqCst);
    let anchored = chain.anchored(&&node, &trust(), &documents[1]).await;
    assert_eq!(anchored.outcome, Outcome::Pass);
    assert_eq!(
        node.calls.load(Ordering::SeqCst),
        before,
        "a cached answer was asked again"
    );
    assert_eq!(chain.requests(), before as u64);
    // An intermediate hash revoked revokes the documents under it.
    let (documents, root) = batch(4, CLASSIC, json!({}));
    let intermediate = merkle_root(documents[0].target_hash, &documents[0].proof[..1]);
    let store = Store {
        issued: HashSet::from([root]),
        revoked: HashSet::from([intermediate]),
        ..Store::default()
    };
    let node = chain_with(vec![(CLASSIC, store)], 1337);
    let chain = Chain::new();
    assert_eq!(
        outcomes(&chain, &node, &documents[1]).await,
        (Outcome::Pass, Outcome::Fail)
    );
    assert_eq!(
        outcomes(&chain, &node, &documents[2]).await,
        (Outcome::Pass, Outcome::Pass)
    );
}

#[tokio::test]
async fn a_root_never_issued_fails_anchoring() {
    let (documents, _) = batch(2, CLASSIC, json!({}));
    let node = chain_with(vec![(CLASSIC, Store::default())], 1337);
    assert_eq!(
        outcomes(&Chain::new(), &node, &documents[0]).await.0,
        Outcome::Fail
    );
}

#[tokio::test]
async fn a_batchable_store_is_asked_with_the_proof() {
    let (documents, root) = batch(3, BATCHABLE, json!({}));
    let store = Store {
        batchable: true,
        issued: HashSet::from([root]),
        ..Store::default()
    };
    let node = chain_with(vec![(BATCHABLE, store)], 1337);
    let chain = Chain::new();
    for document in &documents {
        assert_eq!(
            outcomes(&chain, &node, document).await,
            (Outcome::Pass, Outcome::Pass)
        );
    }
    // Not issued: isIssued answers false, isRevoked reverts DocumentNotIssued.
    let (others, _) = batch(2, BATCHABLE, json!({"extra": "x:string:y"}));
    let (anchored, not_revoked) = outcomes(&chain, &node, &others[0]).await;
    assert_eq!(anchored, Outcome::Fail);
    assert_eq!(not_revoked, Outcome::Unknown);
    // A proof that does not lead to the root: reverted InvalidDocument.
    let mut forged = documents[0].clone();
    forged.proof[0] = keccak256(b"forged");
    assert_eq!(outcomes(&chain, &node, &forged).await.0, Outcome::Fail);
    // Revoked root.
    let store = Store {
        batchable: true,
        issued: HashSet::from([root]),
        revoked: HashSet::from([root]),
    };
    let node = chain_with(vec![(BATCHABLE, store)], 1337);
    assert_eq!(
        outcomes(&Chain::new(), &node, &documents[1]).await.1,
        Outcome::Fail
    );
}

#[tokio::test]
async fn only_what_the_trust_list_pins_is_asked() {
    // A store the trust list does not pin: no chain is asked.
    let (documents, root) = batch(1, UNPINNED, json!({}));
    let store = Store {
        issued: HashSet::from([root]),
        ..Store::default()
    };
    let node = chain_with(vec![(UNPINNED, store)], 1337);
    assert_eq!(
        outcomes(&Chain::new(), &node, &documents[0]).await,
        (Outcome::Unknown, Outcome::Unknown)
    );
    assert_eq!(node.calls.load(Ordering::SeqCst), 0);
    // The node serves another chain than the trust list says.
    let (documents, root) = batch(1, CLASSIC, json!({}));
    let node = classic_store_issuing(root, 1);
    assert_eq!(
        outcomes(&Chain::new(), &node, &documents[0]).await.0,
        Outcome::Unknown
    );
    // The document names a chain that disagrees with the trust list.
    let (documents, root) = batch(1, CLASSIC, json!({"network": {"chainId": "n:string:1"}}));
    let node = classic_store_issuing(root, 1337);
    assert_eq!(
        outcomes(&Chain::new(), &node, &documents[0]).await.0,
        Outcome::Fail
    );
    let (documents, root) = batch(1, CLASSIC, json!({"network": {"chainId": "n:string:1337"}}));
    let node = classic_store_issuing(root, 1337);
    assert_eq!(
        outcomes(&Chain::new(), &node, &documents[0]).await.0,
        Outcome::Pass
    );
}

#[tokio::test]
async fn a_document_without_a_store_is_skipped() {
    let value = json!({"iD": "a:string:CO-9", "issuers": [{"id": "b:string:did:ethr:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}]});
    let target = hex::encode(target_hash(value.as_object().unwrap(), &[]).unwrap());
    let document = WrappedDocument::from_value(&json!({
        "version": SCHEMA_V2, "data": value,
        "signature": {"type": MERKLE_PROOF, "targetHash": target, "proof": [], "merkleRoot": target}
    }))
    .unwrap();
    let node = chain_with(vec![], 1337);
    assert_eq!(
        outcomes(&Chain::new(), &node, &document).await,
        (Outcome::Skip, Outcome::Skip)
    );
}

/// The verdict's failing and unknown checks, by name.
fn judged(report: &eco::CertificateReport) -> Vec<(String, Outcome)> {
    report
        .checks
        .iter()
        .filter(|(_, r)| matches!(r.outcome, Outcome::Fail | Outcome::Unknown))
        .map(|(name, r)| (format!("{name:?}"), r.outcome))
        .collect()
}

#[tokio::test]
async fn the_verifier_judges_openattestation_documents() {
    let single_window = "\nsingle_window_url = \"https://sw.test/\"";
    let trust_text = TRUST.replace(
        "country = \"AU\"",
        &format!("country = \"AU\"{single_window}"),
    );
    let trust = std::sync::Arc::new(TrustList::from_toml(&trust_text, "trust.toml").unwrap());
    let (values, root) = batch_values(
        2,
        CLASSIC,
        json!({"issueDateTime": "d:string:2026-06-01T00:00:00Z"}),
    );
    let node = classic_store_issuing(root, 1337);
    let verifier = eco::Verifier::new(trust.clone(), &node);
    let report = verifier.verify_value(&values[0], None).await.unwrap();
    assert_eq!(
        report.digest,
        values[0]["signature"]["targetHash"].as_str().unwrap()
    );
    assert_eq!(report.certificate_number.as_deref(), Some("CO-0"));
    assert_eq!(report.authority.as_deref(), Some("demo-coo"));
    // Everything passes but the single window, which this node cannot
    // answer (it answers only JSON-RPC).
    assert_eq!(
        judged(&report),
        vec![("SingleWindow".to_owned(), Outcome::Unknown)]
    );

    // Without a single window in the trust list, the store is the register:
    // nothing is left undecided.
    let chain_only = std::sync::Arc::new(TrustList::from_toml(TRUST, "trust.toml").unwrap());
    let report = eco::Verifier::new(chain_only, &node)
        .verify_value(&values[0], None)
        .await
        .unwrap();
    assert_eq!(judged(&report), vec![]);
    assert_eq!(
        report.checks.get(eco::CheckName::SingleWindow).outcome,
        Outcome::Skip
    );
    assert_eq!(report.verdict, eco::Verdict::Verified);

    // A changed field: the signature check fails.
    let mut tampered = values[1].clone();
    tampered["data"]["iD"] = json!("salt1:string:CO-999");
    let report = verifier.verify_value(&tampered, None).await.unwrap();
    assert!(
        judged(&report).contains(&("Signature".to_owned(), Outcome::Fail)),
        "{report:?}"
    );

    // Issued in the future.
    let (values, root) = batch_values(
        1,
        CLASSIC,
        json!({"issueDateTime": "d:string:2099-01-01T00:00:00Z"}),
    );
    node.stores
        .lock()
        .unwrap()
        .get_mut(&Address::parse(CLASSIC).unwrap())
        .unwrap()
        .issued
        .insert(root);
    let report = verifier.verify_value(&values[0], None).await.unwrap();
    assert!(judged(&report).contains(&("ValidityPeriod".to_owned(), Outcome::Fail)));

    // A store the trust list does not pin: trusted_issuer fails, the chain
    // is not asked.
    let (values, _) = batch_values(1, UNPINNED, json!({}));
    let before = node.calls.load(Ordering::SeqCst);
    let report = verifier.verify_value(&values[0], None).await.unwrap();
    assert!(judged(&report).contains(&("TrustedIssuer".to_owned(), Outcome::Fail)));
    assert_eq!(node.calls.load(Ordering::SeqCst), before);

    // An encrypted document is a clear error.
    let encrypted =
        json!({"cipherText": "", "iv": "", "tag": "", "type": "OPEN-ATTESTATION-TYPE-1"});
    assert!(matches!(
        verifier.verify_value(&encrypted, None).await,
        Err(eco::DocumentError::Encrypted)
    ));
}

#[tokio::test]
async fn a_did_signed_document_is_checked_against_the_pinned_address() {
    use k256::ecdsa::SigningKey;

    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let public = key.verifying_key().to_encoded_point(false);
    let address = Address(keccak256(&public.as_bytes()[1..])[12..].try_into().unwrap());
    let method = format!("did:ethr:{address}#controller");
    let data = json!({
        "iD": "a:string:CO-7",
        "issuers": [{"id": format!("b:string:did:ethr:{address}"), "name": "c:string:Signer",
                     "revocation": {"type": "d:string:NONE"},
                     "identityProof": {"type": "e:string:DNS-DID", "location": "f:string:x.example",
                                       "key": format!("g:string:{method}")}}]
    });
    let target = target_hash(data.as_object().unwrap(), &[]).unwrap();
    let mut message = b"\x19Ethereum Signed Message:\n32".to_vec();
    message.extend_from_slice(&target);
    let (signature, recovery) = key.sign_prehash_recoverable(&keccak256(&message)).unwrap();
    let signature = format!(
        "0x{}{:02x}",
        hex::encode(signature.to_bytes()),
        recovery.to_byte() + 27
    );
    let document = json!({
        "version": SCHEMA_V2, "data": data,
        "signature": {"type": MERKLE_PROOF, "targetHash": hex::encode(target), "proof": [], "merkleRoot": hex::encode(target)},
        "proof": [{"type": "OpenAttestationSignature2018", "proofPurpose": "assertionMethod",
                   "verificationMethod": method, "signature": signature}]
    });
    let pinned = |pinned_address: &str| {
        let text = format!(
            "[[authority]]\nid = \"signer\"\nname = \"Signer\"\ncountry = \"AU\"\n  [[authority.did_signer]]\n  id = \"{method}\"\n  address = \"{pinned_address}\"\n"
        );
        std::sync::Arc::new(TrustList::from_toml(&text, "trust.toml").unwrap())
    };
    let node = chain_with(vec![], 1337);
    let verifier = eco::Verifier::new(pinned(&address.to_string()), &node);
    let report = verifier.verify_value(&document, None).await.unwrap();
    let outcome = |name: eco::CheckName| report.checks.get(name).outcome;
    assert_eq!(outcome(eco::CheckName::Signature), Outcome::Pass);
    assert_eq!(outcome(eco::CheckName::TrustedIssuer), Outcome::Pass);
    assert_eq!(outcome(eco::CheckName::Anchored), Outcome::Skip);
    assert_eq!(outcome(eco::CheckName::NotRevoked), Outcome::Skip);
    // Pinned to another address: the signature does not recover to it.
    let verifier = eco::Verifier::new(pinned(UNPINNED), &node);
    let report = verifier.verify_value(&document, None).await.unwrap();
    assert_eq!(
        report.checks.get(eco::CheckName::Signature).outcome,
        Outcome::Fail
    );
}

#[tokio::test]
async fn the_exporter_is_matched_by_name_when_no_website_is_given() {
    let trust = std::sync::Arc::new(trust());
    let exporter = json!({"supplyChainConsignment": {"exporter": {"name": "n:string:Example Vintners Limited"}}});
    let (values, root) = batch_values(1, CLASSIC, exporter);
    let node = classic_store_issuing(root, 1337);
    let verifier = eco::Verifier::new(trust, &node);
    let outcome = |name: Option<&'static str>| {
        let verifier = &verifier;
        let value = values[0].clone();
        async move {
            let exporter = eco::Exporter {
                domain: "vintners.example",
                name,
            };
            let report = verifier
                .verify_value_as(&value, Some(exporter))
                .await
                .unwrap();
            report.checks.get(eco::CheckName::ExporterMatches).outcome
        }
    };
    assert_eq!(
        outcome(Some("EXAMPLE VINTNERS PTY LTD")).await,
        Outcome::Pass
    );
    assert_eq!(outcome(Some("Other Vintners Limited")).await, Outcome::Fail);
    assert_eq!(outcome(None).await, Outcome::Unknown);
    let report = verifier.verify_value(&values[0], None).await.unwrap();
    assert_eq!(
        report.checks.get(eco::CheckName::ExporterMatches).outcome,
        Outcome::Skip
    );
}

#[tokio::test]
async fn dns_identity_proofs_are_reported_as_evidence_only() {
    let identity = |location: &str| {
        json!({"issuers": [{"name": "s:string:Demo", "documentStore": format!("s2:string:{CLASSIC}"),
            "identityProof": {"type": "s3:string:DNS-TXT", "location": format!("s4:string:{location}")}}]})
    };
    let mut node = chain_with(vec![(CLASSIC, Store::default())], 1337);
    let lower = CLASSIC.to_ascii_lowercase();
    node.txt.insert(
        "chamber.test".into(),
        vec![
            "v=spf1 -all".into(),
            format!("openatts net=ethereum netId=1337 addr={lower}"),
        ],
    );
    node.txt.insert(
        "other.test".into(),
        vec![format!("openatts net=ethereum netId=1 addr={CLASSIC}")],
    );
    let verifier = eco::Verifier::new(std::sync::Arc::new(trust()), &node);
    let proof = |location: &'static str| {
        let verifier = &verifier;
        async move {
            let (values, _) = batch_values(1, CLASSIC, identity(location));
            let value = &values[0];
            let report = verifier.verify_value(value, None).await.unwrap();
            assert_eq!(report.identity.len(), 1, "{report:?}");
            // Never a source of trust: trusted_issuer is the trust list's.
            assert_eq!(
                report.checks.get(eco::CheckName::TrustedIssuer).outcome,
                Outcome::Pass
            );
            report.identity[0].clone()
        }
    };
    use eco::openattestation::identity::IdentityOutcome;
    let confirmed = proof("chamber.test").await;
    assert_eq!(
        confirmed.outcome,
        IdentityOutcome::Confirmed,
        "{confirmed:?}"
    );
    assert_eq!(
        (confirmed.method.as_str(), confirmed.location.as_str()),
        ("DNS-TXT", "chamber.test")
    );
    // A record for another chain does not confirm this one.
    let other = proof("other.test").await;
    assert_eq!(other.outcome, IdentityOutcome::NotConfirmed, "{other:?}");
    // Each name is asked once a run, silence included.
    for name in ["silent.test", "chamber.test"] {
        proof(name).await;
    }
    // chamber.test, other.test and silent.test, once each.
    assert_eq!(node.txt_lookups.load(Ordering::SeqCst), 3);
    // No answer, or no DNS name: not checked.
    assert_eq!(
        proof("silent.test").await.outcome,
        IdentityOutcome::NotChecked
    );
    let bad = proof("evil.test/x").await;
    assert_eq!(bad.outcome, IdentityOutcome::NotChecked);
    // Offline: DNS is not asked.
    let (values, _) = batch_values(1, CLASSIC, identity("chamber.test"));
    let report = eco::Verifier::offline(std::sync::Arc::new(trust()))
        .verify_value(&values[0], None)
        .await
        .unwrap();
    assert_eq!(report.identity[0].outcome, IdentityOutcome::NotChecked);
    // The record keeps the evidence.
    let wire = serde_json::to_value(&report).unwrap();
    assert_eq!(wire["identity"][0]["outcome"], "not_checked");
}
