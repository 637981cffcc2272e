//! The `anchored` and `not_revoked` checks of an OpenAttestation document
//! whose root sits in a document store: asked of the buyer's own node for
//! the chain the trust list pins the store on, never of a chain or store
//! the document names by itself.
//!
//! As the reference verifier asks (`OpenAttestationEthereumDocumentStoreStatus`):
//! first whether the store is batchable (ERC-165); a classic store is then
//! asked `isIssued(root)` and `isRevoked` of the target hash, every
//! intermediate hash and the root; a batchable store is asked both with
//! the root, the target hash and the proof, `0x`-prefixed (the reference
//! verifiers pass them without `0x`, get an argument error and call such
//! documents not issued; ecoscout asks correctly). Every issuer must be
//! issued and none revoked. A revert that means "not issued" is a `fail`;
//! a node that cannot be reached, errs, or serves another chain is
//! `unknown`.
//!
//! Answers are cached for the life of a [`Chain`] (one run): by node,
//! store and calldata, so a thousand certificates of one batch cost one
//! `isIssued`, and by node for `eth_chainId`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::WrappedDocument;
use super::digest::merkle_path;
use super::issuers::{Issuer, issuers, network_chain_id};
use super::rpc::{RpcError, call_request, chain_id_request, read_chain_id, read_result};
use super::store::{Batch, Revert, StoreCall, read_bool};
use crate::fetch::Fetcher;
use crate::report::CheckResult;
use crate::trust::TrustList;
use crate::trust::ethereum::{Address, DocumentStore, EthereumNode};

/// What a store answered one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The call returned this boolean.
    Bool(bool),
    /// The call reverted.
    Reverted(Revert),
}

type Cell<T> = Arc<OnceCell<Result<T, String>>>;

/// The buyer's nodes, asked through a [`Fetcher`], with a cache of their
/// answers for one run.
#[derive(Default)]
pub struct Chain {
    chain_ids: Mutex<HashMap<String, Cell<u64>>>,
    calls: Mutex<HashMap<(String, Address, String), Cell<Answer>>>,
    requests: std::sync::atomic::AtomicU64,
}

/// A document store the trust list pins, with the node to ask.
struct PinnedStore<'a> {
    store: DocumentStore,
    node: &'a EthereumNode,
}

impl Chain {
    /// A chain client with an empty cache.
    pub fn new() -> Chain {
        Chain::default()
    }

    /// JSON-RPC requests sent so far (cached answers not counted).
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The `anchored` check: every issuer's store, pinned by the trust
    /// list, has issued the document's root.
    pub async fn anchored<F: Fetcher>(
        &self,
        fetcher: &F,
        trust: &TrustList,
        document: &WrappedDocument,
    ) -> CheckResult {
        let stores = match pinned_stores(trust, document) {
            Ok(stores) => stores,
            Err(result) => return result,
        };
        for pinned in &stores {
            let answer = match self.is_batchable(fetcher, pinned).await {
                Err(reason) => return CheckResult::unknown(reason),
                Ok(true) => {
                    self.ask(fetcher, pinned, StoreCall::IsIssuedInBatch(batch(document)))
                        .await
                }
                Ok(false) => {
                    self.ask(fetcher, pinned, StoreCall::IsIssued(document.merkle_root))
                        .await
                }
            };
            let address = pinned.store.address;
            match answer {
                Err(reason) => return CheckResult::unknown(reason),
                Ok(Answer::Bool(true)) => {}
                Ok(Answer::Bool(false)) => {
                    return CheckResult::fail(format!(
                        "store {address} has not issued root {}",
                        hex::encode(document.merkle_root)
                    ));
                }
                Ok(Answer::Reverted(revert)) if revert.means_not_issued() => {
                    return CheckResult::fail(format!(
                        "store {address} refuses the document as not issued ({revert:?})"
                    ));
                }
                Ok(Answer::Reverted(revert)) => {
                    return CheckResult::unknown(format!(
                        "store {address} reverted isIssued ({revert:?})"
                    ));
                }
            }
        }
        CheckResult::pass()
    }

    /// The `not_revoked` check: no issuer's store has revoked the target
    /// hash, an intermediate hash or the root.
    pub async fn not_revoked<F: Fetcher>(
        &self,
        fetcher: &F,
        trust: &TrustList,
        document: &WrappedDocument,
    ) -> CheckResult {
        let stores = match pinned_stores(trust, document) {
            Ok(stores) => stores,
            Err(result) => return result,
        };
        for pinned in &stores {
            if let Some(result) = self.revoked_at(fetcher, pinned, document).await {
                return result;
            }
        }
        CheckResult::pass()
    }

    /// The `not_revoked` check of a DID-signed document whose revocation
    /// is a `REVOCATION_STORE` at `address`: asked only when the trust list
    /// pins that store.
    pub async fn not_revoked_in<F: Fetcher>(
        &self,
        fetcher: &F,
        trust: &TrustList,
        address: Address,
        document: &WrappedDocument,
    ) -> CheckResult {
        let Some((_, store)) = trust.by_document_store(address) else {
            return CheckResult::unknown(format!(
                "the revocation store {address} is not pinned by the trust list, so it is not asked"
            ));
        };
        let Some(node) = trust.node(store.chain_id) else {
            return CheckResult::unknown(format!(
                "no [[ethereum]] node for chain {}",
                store.chain_id
            ));
        };
        let pinned = PinnedStore { store, node };
        self.revoked_at(fetcher, &pinned, document)
            .await
            .unwrap_or_else(CheckResult::pass)
    }

    /// Whether `pinned` has revoked the document: `None` when it has not,
    /// else the check's result.
    async fn revoked_at<F: Fetcher>(
        &self,
        fetcher: &F,
        pinned: &PinnedStore<'_>,
        document: &WrappedDocument,
    ) -> Option<CheckResult> {
        let calls: Vec<StoreCall> = match self.is_batchable(fetcher, pinned).await {
            Err(reason) => return Some(CheckResult::unknown(reason)),
            Ok(true) => vec![StoreCall::IsRevokedInBatch(batch(document))],
            Ok(false) => std::iter::once(document.target_hash)
                .chain(merkle_path(document.target_hash, &document.proof))
                .map(StoreCall::IsRevoked)
                .collect(),
        };
        let address = pinned.store.address;
        for call in calls {
            match self.ask(fetcher, pinned, call.clone()).await {
                Err(reason) => return Some(CheckResult::unknown(reason)),
                Ok(Answer::Bool(false)) => {}
                Ok(Answer::Bool(true)) => {
                    let hash = match &call {
                        StoreCall::IsRevoked(hash) => hex::encode(hash),
                        _ => hex::encode(document.target_hash),
                    };
                    return Some(CheckResult::fail(format!(
                        "store {address} has revoked {hash}"
                    )));
                }
                Ok(Answer::Reverted(revert)) => {
                    return Some(CheckResult::unknown(format!(
                        "store {address} reverted isRevoked ({revert:?})"
                    )));
                }
            }
        }
        None
    }

    async fn is_batchable<F: Fetcher>(
        &self,
        fetcher: &F,
        pinned: &PinnedStore<'_>,
    ) -> Result<bool, String> {
        match self.ask(fetcher, pinned, StoreCall::IsBatchable).await? {
            Answer::Bool(batchable) => Ok(batchable),
            // A contract without ERC-165 reverts: a classic store.
            Answer::Reverted(_) => Ok(false),
        }
    }

    /// Asks `pinned`'s node `call`, once per run.
    async fn ask<F: Fetcher>(
        &self,
        fetcher: &F,
        pinned: &PinnedStore<'_>,
        call: StoreCall,
    ) -> Result<Answer, String> {
        self.check_chain(fetcher, pinned.node).await?;
        let data = call.calldata_hex();
        let key = (
            pinned.node.rpc_url.to_string(),
            pinned.store.address,
            data.clone(),
        );
        let cell = {
            let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            calls.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async {
            let body = self
                .post(
                    fetcher,
                    pinned.node,
                    call_request(1, pinned.store.address, &data),
                )
                .await?;
            match read_result(&body) {
                Ok(result) => read_bool(&result)
                    .map(Answer::Bool)
                    .map_err(|e| format!("{} from {}: {e}", call.signature(), pinned.node.rpc_url)),
                Err(RpcError::Reverted(revert)) => Ok(Answer::Reverted(revert)),
                Err(e) => Err(format!(
                    "{} from {}: {e}",
                    call.signature(),
                    pinned.node.rpc_url
                )),
            }
        })
        .await
        .clone()
    }

    /// Checks, once per run, that `node` serves the chain the trust list
    /// says it does.
    async fn check_chain<F: Fetcher>(
        &self,
        fetcher: &F,
        node: &EthereumNode,
    ) -> Result<(), String> {
        let cell = {
            let mut ids = self.chain_ids.lock().unwrap_or_else(|p| p.into_inner());
            ids.entry(node.rpc_url.to_string()).or_default().clone()
        };
        let served = cell
            .get_or_init(|| async {
                let body = self.post(fetcher, node, chain_id_request(1)).await?;
                read_chain_id(&body).map_err(|e| format!("eth_chainId from {}: {e}", node.rpc_url))
            })
            .await
            .clone()?;
        if served == node.chain_id {
            Ok(())
        } else {
            Err(format!(
                "the node {} serves chain {served}, not chain {} as the trust list says",
                node.rpc_url, node.chain_id
            ))
        }
    }

    async fn post<F: Fetcher>(
        &self,
        fetcher: &F,
        node: &EthereumNode,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = fetcher
            .post_trusted_json(&node.rpc_url, body)
            .await
            .map_err(|e| format!("node {}: {e}", node.rpc_url))?;
        if response.status != 200 {
            return Err(format!(
                "node {} answered HTTP {}",
                node.rpc_url, response.status
            ));
        }
        Ok(response.body)
    }
}

/// The document's place in its batch.
fn batch(document: &WrappedDocument) -> Batch {
    Batch {
        root: document.merkle_root,
        target: document.target_hash,
        proof: document.proof.clone(),
    }
}

/// Every issuer's store, pinned by the trust list, with the node to ask;
/// else the check's result: `skip` for a document with no store (DID
/// signed or a token registry), `unknown` for a store the trust list does
/// not pin (`trusted_issuer` fails it) or a missing node, `fail` for a
/// chain the document names that disagrees with the trust list.
fn pinned_stores<'a>(
    trust: &'a TrustList,
    document: &WrappedDocument,
) -> Result<Vec<PinnedStore<'a>>, CheckResult> {
    let issuers = issuers(&document.data).map_err(CheckResult::fail)?;
    if issuers.iter().all(|i| i.document_store.is_none()) {
        return Err(CheckResult::skip(
            "the document names no document store (it is DID-signed or a transferable record)",
        ));
    }
    let named_chain = match network_chain_id(&document.data) {
        None => None,
        Some(Ok(chain)) => Some(chain),
        Some(Err(e)) => return Err(CheckResult::fail(e)),
    };
    issuers
        .iter()
        .map(|issuer| pin(trust, issuer, named_chain))
        .collect()
}

fn pin<'a>(
    trust: &'a TrustList,
    issuer: &Issuer,
    named_chain: Option<u64>,
) -> Result<PinnedStore<'a>, CheckResult> {
    let address = match issuer.store_address() {
        None => {
            return Err(CheckResult::fail(format!(
                "issuer {:?} names no document store beside others that do",
                issuer.name.as_deref().unwrap_or_default()
            )));
        }
        Some(Err(e)) => return Err(CheckResult::fail(format!("document store: {e}"))),
        Some(Ok(address)) => address,
    };
    let (_, store) = trust.by_document_store(address).ok_or_else(|| {
        CheckResult::unknown(format!(
            "document store {address} is not pinned by the trust list, so no chain is asked about it"
        ))
    })?;
    if let Some(chain) = named_chain.filter(|c| *c != store.chain_id) {
        return Err(CheckResult::fail(format!(
            "the document names chain {chain}; the trust list pins store {address} on chain {}",
            store.chain_id
        )));
    }
    let node = trust.node(store.chain_id).ok_or_else(|| {
        CheckResult::unknown(format!("no [[ethereum]] node for chain {}", store.chain_id))
    })?;
    Ok(PinnedStore { store, node })
}
