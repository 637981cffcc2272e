//! The document checks of spec section 7 for OpenAttestation v2
//! (TradeTrust) documents, so that scoring, export and the API need no
//! second model (docs/eco-verification.md, "OpenAttestation v2"):
//!
//! - `trusted_issuer`: every `issuers[]` entry names a document store or
//!   DID signer that an authority of the trust list pins;
//! - `signature`: the fields hash to the target hash and the proof leads
//!   to the root; a DID-signed document's EIP-191 signature over the root
//!   recovers to the address the trust list pins for its signer;
//! - `anchored`, `not_revoked`: asked of the buyer's node ([`Chain`]);
//! - `validity_period`: `issueDateTime` (the CHAFTA certificate-of-origin
//!   template's field; it has no expiry);
//! - `single_window`: the certificate number `iD` and the target hash (the
//!   document's digest, which obfuscation leaves unchanged);
//! - `exporter_matches`: the exporter's website, when the document names
//!   one, else its name against the supplier's, normalised.
//!
//! [`Chain`]: crate::openattestation::chain::Chain

use chrono::Utc;
use serde_json::{Map, Value};

use super::{DocumentError, Exporter, Verifier, parse_datetime, website_on};
use crate::credential;
use crate::fetch::Fetcher;
use crate::openattestation::did::{proofs, recover_signer};
use crate::openattestation::identity::{self, Claim, IdentityOutcome, IdentityProof};
use crate::openattestation::issuers::{Issuer, issuers, network_chain_id, unsalt};
use crate::openattestation::{Integrity, WrappedDocument};
use crate::report::{CertificateReport, CheckName, CheckResult, Checks, CredentialFormat};
use crate::trust::Authority;
use crate::trust::ethereum::Address;

/// The CHAFTA template's certificate number.
const NUMBER_FIELD: &str = "iD";
/// The CHAFTA template's issue date.
const ISSUE_DATE_FIELD: &str = "issueDateTime";

impl<F: Fetcher> Verifier<F> {
    /// Verifies an OpenAttestation v2 wrapped document.
    pub(super) async fn verify_openattestation(
        &self,
        value: &Value,
        exporter: Option<Exporter<'_>>,
    ) -> Result<CertificateReport, DocumentError> {
        let document = WrappedDocument::from_value(value)?;
        let digest = hex::encode(document.target_hash);
        let number = field(&document.data, NUMBER_FIELD);
        let found = issuers(&document.data);
        let (trusted, authority) = match &found {
            Ok(list) => self.oa_trusted_issuer(list, &document),
            Err(e) => (CheckResult::fail(e.clone()), None),
        };
        let mut checks = Checks::all_unknown("not checked");
        checks.set(CheckName::TrustedIssuer, trusted);
        checks.set(CheckName::Signature, self.oa_signature(&document));
        checks.set(CheckName::ValidityPeriod, self.oa_validity(&document.data));
        checks.set(
            CheckName::ExporterMatches,
            oa_exporter_matches(&document.data, exporter),
        );
        let identity = async {
            match &found {
                Ok(list) => self.oa_identity(list, &document).await,
                Err(_) => Vec::new(),
            }
        };
        let status = self.oa_status(&found, &document);
        let (identity, (anchored, not_revoked)) = tokio::join!(identity, status);
        checks.set(CheckName::Anchored, anchored);
        checks.set(CheckName::NotRevoked, not_revoked);
        let single_window = match authority {
            Some(authority) if authority.single_window_url.is_none() => CheckResult::skip(format!(
                "the trust list gives no single window for {:?}: its store on chain (or its signature) is the record",
                authority.id
            )),
            Some(authority) => {
                self.single_window(authority, number.as_deref(), &digest)
                    .await
            }
            None => CheckResult::unknown(
                "the issuer is not in the trust list, so its registry is unknown",
            ),
        };
        checks.set(CheckName::SingleWindow, single_window);
        checks.set(
            CheckName::EndpointAgrees,
            CheckResult::skip("no supplier endpoint answered for this certificate"),
        );
        let issuer = found
            .ok()
            .and_then(|list| list.into_iter().find_map(|i| i.name));
        Ok(CertificateReport {
            url: None,
            format: CredentialFormat::OpenAttestationV2,
            certificate_number: number,
            issuer,
            authority: authority.map(|a| a.id.clone()),
            digest,
            verdict: checks.verdict(),
            reason: checks.verdict_reason(),
            checks,
            identity,
        })
    }

    /// `trusted_issuer`, and the authority of the first issuer.
    fn oa_trusted_issuer(
        &self,
        list: &[Issuer],
        document: &WrappedDocument,
    ) -> (CheckResult, Option<&Authority>) {
        let mut first = None;
        for (i, issuer) in list.iter().enumerate() {
            let authority = match (issuer.store_address(), did_key(issuer, document)) {
                (Some(Err(e)), _) => {
                    return (CheckResult::fail(format!("issuers[{i}]: {e}")), None);
                }
                (Some(Ok(address)), _) => match self.trust.by_document_store(address) {
                    Some((authority, _)) => authority,
                    None => {
                        return (
                            CheckResult::fail(format!(
                                "issuers[{i}]: document store {address} is not pinned by the trust list"
                            )),
                            None,
                        );
                    }
                },
                (None, Some(key)) => match self.trust.by_did_signer(&key) {
                    Some((authority, _)) => authority,
                    None => {
                        return (
                            CheckResult::fail(format!(
                                "issuers[{i}]: DID signer {key:?} is not pinned by the trust list"
                            )),
                            None,
                        );
                    }
                },
                (None, None) => {
                    return (
                        CheckResult::fail(format!(
                            "issuers[{i}] names neither a document store nor a DID signer"
                        )),
                        None,
                    );
                }
            };
            first.get_or_insert(authority);
        }
        (CheckResult::pass(), first)
    }

    /// `anchored` and `not_revoked`: asked of the buyer's node for a
    /// document in a store; for a DID-signed one, not anchored by design
    /// and revoked as its issuer's revocation says.
    async fn oa_status(
        &self,
        found: &Result<Vec<Issuer>, String>,
        document: &WrappedDocument,
    ) -> (CheckResult, CheckResult) {
        if !self.online {
            let offline = || CheckResult::unknown("offline: the chain was not asked");
            return (offline(), offline());
        }
        let stored = found
            .as_ref()
            .is_ok_and(|list| list.iter().any(|i| i.document_store.is_some()));
        if stored {
            return tokio::join!(
                self.chain.anchored(&self.fetcher, &self.trust, document),
                self.chain.not_revoked(&self.fetcher, &self.trust, document),
            );
        }
        let revocation = match found {
            Ok(list) => self.did_revocation(list, document).await,
            Err(e) => CheckResult::fail(e.clone()),
        };
        (
            CheckResult::skip("DID-signed: the root is signed, not recorded on a chain"),
            revocation,
        )
    }

    /// What the issuers' DNS identity proofs say (while the chain is asked):
    /// evidence for the record, never a source of trust.
    async fn oa_identity(&self, list: &[Issuer], document: &WrappedDocument) -> Vec<IdentityProof> {
        let document_chain = network_chain_id(&document.data).and_then(Result::ok);
        let claims = identity::claims(list, |address| {
            self.trust
                .by_document_store(address)
                .map(|(_, store)| store.chain_id)
                .or(document_chain)
        });
        let mut proofs = Vec::with_capacity(claims.len());
        for (method, location, claim) in claims {
            let (outcome, detail) = self.look_up_identity(&location, &claim).await;
            proofs.push(IdentityProof {
                method,
                location,
                outcome,
                detail,
            });
        }
        proofs
    }

    /// One identity lookup: its outcome and what it found.
    async fn look_up_identity(&self, location: &str, claim: &Claim) -> (IdentityOutcome, String) {
        let wanted = match claim {
            Claim::Store {
                address,
                chain_id: Some(chain),
            } => format!("store {address} on chain {chain}"),
            Claim::Store { address, .. } => format!("store {address}"),
            Claim::DidKey(key) => format!("DID key {key}"),
        };
        if !self.online {
            return (
                IdentityOutcome::NotChecked,
                "offline: DNS was not asked".into(),
            );
        }
        if !identity::is_dns_name(location) {
            return (
                IdentityOutcome::NotChecked,
                format!("{location:?} is not a DNS name"),
            );
        }
        let cell = self.cache.cell(&self.cache.txt, location);
        let records = cell
            .get_or_init(|| async {
                self.fetcher
                    .txt_records(location)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await
            .clone();
        match records {
            Err(e) => (IdentityOutcome::NotChecked, format!("no answer: {e}")),
            Ok(records) if identity::is_named(&records, claim) => (
                IdentityOutcome::Confirmed,
                format!("a TXT record at {location} names {wanted}"),
            ),
            Ok(records) if records.is_empty() => (
                IdentityOutcome::NotConfirmed,
                format!("{location} has no TXT record (wanted one naming {wanted})"),
            ),
            Ok(records) => (
                IdentityOutcome::NotConfirmed,
                format!(
                    "none of the {} TXT records at {location} names {wanted}",
                    records.len()
                ),
            ),
        }
    }

    /// `signature`: integrity, then each DID signature.
    fn oa_signature(&self, document: &WrappedDocument) -> CheckResult {
        match document.integrity() {
            Integrity::Intact => {}
            Integrity::TargetHashDiffers { computed } => {
                return CheckResult::fail(format!(
                    "the fields hash to {}, not to the stated target hash {}",
                    hex::encode(computed),
                    hex::encode(document.target_hash)
                ));
            }
            Integrity::RootDiffers { computed } => {
                return CheckResult::fail(format!(
                    "the proof leads to {}, not to the stated root {}",
                    hex::encode(computed),
                    hex::encode(document.merkle_root)
                ));
            }
            Integrity::Undigestable(e) => return CheckResult::fail(e.to_string()),
        }
        let Some(proof) = &document.signatures else {
            return CheckResult::pass();
        };
        let list = match proofs(proof) {
            Ok(list) if !list.is_empty() => list,
            Ok(_) => return CheckResult::fail("the proof list is empty"),
            Err(e) => return CheckResult::fail(e),
        };
        for entry in list {
            let Some((_, signer)) = self.trust.by_did_signer(&entry.verification_method) else {
                return CheckResult::unknown(format!(
                    "no DID signer {:?} in the trust list (DIDs are never resolved)",
                    entry.verification_method
                ));
            };
            match recover_signer(&document.merkle_root, &entry.signature) {
                Ok(address) if address == signer.address => {}
                Ok(address) => {
                    return CheckResult::fail(format!(
                        "the signature recovers to {address}, not to {} which the trust list pins for {:?}",
                        signer.address, entry.verification_method
                    ));
                }
                Err(e) => return CheckResult::fail(e),
            }
        }
        CheckResult::pass()
    }

    /// `validity_period` from `issueDateTime`.
    fn oa_validity(&self, data: &Map<String, Value>) -> CheckResult {
        let Some(issued) = field(data, ISSUE_DATE_FIELD) else {
            return CheckResult::skip(format!("the document states no {ISSUE_DATE_FIELD}"));
        };
        let Some(when) = parse_datetime(&issued) else {
            return CheckResult::fail(format!("{ISSUE_DATE_FIELD} {issued:?} is not a date-time"));
        };
        let now = self.now.unwrap_or_else(Utc::now);
        if when > now {
            return CheckResult::fail(format!("issued in the future, on {}", when.to_rfc3339()));
        }
        CheckResult::pass()
    }

    /// `not_revoked` of a DID-signed document, by its issuers' revocation.
    async fn did_revocation(&self, list: &[Issuer], document: &WrappedDocument) -> CheckResult {
        for issuer in list {
            match issuer.revocation_type.as_deref() {
                None | Some("NONE") => {}
                Some("REVOCATION_STORE") => {
                    let Some(location) = &issuer.revocation_location else {
                        return CheckResult::fail("a REVOCATION_STORE without a location");
                    };
                    let address = match Address::parse(location) {
                        Ok(address) => address,
                        Err(e) => return CheckResult::fail(format!("revocation store: {e}")),
                    };
                    let result = self
                        .chain
                        .not_revoked_in(&self.fetcher, &self.trust, address, document)
                        .await;
                    if result.outcome != crate::report::Outcome::Pass {
                        return result;
                    }
                }
                Some("OCSP_RESPONDER") => {
                    return CheckResult::unknown(
                        "an OCSP responder is not named by the trust list, and a URL from the document is never trusted",
                    );
                }
                Some(other) => return CheckResult::fail(format!("revocation type {other:?}")),
            }
        }
        if list
            .iter()
            .all(|i| matches!(i.revocation_type.as_deref(), None | Some("NONE")))
        {
            return CheckResult::skip("revocation NONE: the issuer keeps no revocation");
        }
        CheckResult::pass()
    }
}

/// The DID key an issuer signs with: its identity proof's key, or the
/// verification method of a proof naming its DID.
fn did_key(issuer: &Issuer, document: &WrappedDocument) -> Option<String> {
    if let Some(key) = &issuer.identity_key {
        return Some(key.clone());
    }
    let id = issuer.id.as_deref().filter(|id| id.starts_with("did:"))?;
    let list = proofs(document.signatures.as_ref()?).ok()?;
    list.into_iter()
        .map(|p| p.verification_method)
        .find(|m| m.starts_with(id))
}

/// A top-level field of `data`, unsalted.
fn field(data: &Map<String, Value>, name: &str) -> Option<String> {
    data.get(name)
        .and_then(Value::as_str)
        .map(|v| unsalt(v).to_owned())
}

/// `exporter_matches`: the exporter's website, when the document names one
/// (`supplyChainConsignment.exporter.website` or `.url`), else the
/// exporter's (or consignor's) name against the supplier's, normalised
/// ([`credential::normalised_company_name`]).
fn oa_exporter_matches(data: &Map<String, Value>, exporter: Option<Exporter<'_>>) -> CheckResult {
    let Some(exporter) = exporter else {
        return CheckResult::skip("no exporter domain was given");
    };
    let consignment = data.get("supplyChainConsignment");
    let party = ["exporter", "consignor"].iter().find_map(|k| {
        consignment
            .and_then(|c| c.get(*k))
            .filter(|p| p.is_object())
    });
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| party.and_then(|p| p.get(*k)).and_then(Value::as_str))
            .map(unsalt)
    };
    if let Some(website) = text(&["website", "url", "URL"]) {
        let Some(expected) = credential::registrable_domain(exporter.domain) else {
            return CheckResult::unknown(format!(
                "{:?} has no registrable domain",
                exporter.domain
            ));
        };
        return website_on(website, &expected);
    }
    let Some(named) = text(&["name"]) else {
        return CheckResult::unknown(
            "the document names neither the exporter's website nor its name",
        );
    };
    let Some(supplier) = exporter.name else {
        return CheckResult::unknown(format!(
            "the document names the exporter {named:?} but no website, and the supplier's name is not known"
        ));
    };
    let (a, b) = (
        credential::normalised_company_name(named),
        credential::normalised_company_name(supplier),
    );
    if a.is_empty() || b.is_empty() {
        return CheckResult::unknown(format!("{named:?} or {supplier:?} is only a legal form"));
    }
    if a == b {
        CheckResult::pass()
    } else {
        CheckResult::fail(format!(
            "the exporter is {named:?}, not the supplier {supplier:?}"
        ))
    }
}
