//! The DNS identity proofs of OpenAttestation issuers, read as evidence.
//!
//! An issuer names a domain in `identityProof.location`; the issuing body
//! is expected to publish there a TXT record naming its document store,
//! `openatts net=ethereum netId=<chain id> addr=<store>` (`DNS-TXT`), or
//! its DID key, `openatts a=dns-did; p=<did>#controller; v=1.0;`
//! (`DNS-DID`). Whoever controls a domain can publish such a record, so it
//! says who claims the store, not that the store is trustworthy: ecoscout
//! reports what it finds and trusts only the trust list.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::issuers::Issuer;
use crate::trust::ethereum::Address;

/// At most this many identity proofs are looked up per document.
pub const MAX_IDENTITY_LOOKUPS: usize = 4;

/// The longest DNS name (RFC 1035, in text form without the final dot).
const MAX_DNS_NAME: usize = 253;

/// What a DNS identity lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityOutcome {
    /// A record at the location names the store (or DID key).
    Confirmed,
    /// The name answered, and no record names it.
    NotConfirmed,
    /// No answer came (offline, no resolver, a timeout), or the location
    /// is not a DNS name.
    NotChecked,
}

/// One issuer's identity proof and what its lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IdentityProof {
    /// `DNS-TXT` or `DNS-DID`.
    pub method: String,
    /// The domain the issuer names.
    pub location: String,
    /// What the lookup found.
    pub outcome: IdentityOutcome,
    /// What was looked for, and why the outcome is what it is.
    pub detail: String,
}

/// What one issuer's DNS proof should name: a store on a chain, or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// `DNS-TXT`: the store, on this chain when known.
    Store {
        /// The issuer's document store.
        address: Address,
        /// Its chain (the trust list's, else the document's), if known.
        chain_id: Option<u64>,
    },
    /// `DNS-DID`: the DID key (`did:...#controller`).
    DidKey(String),
}

/// The issuers whose identity can be looked up: (method, location, claim),
/// at most [`MAX_IDENTITY_LOOKUPS`]. `chain_of` gives a store's chain.
pub fn claims(
    issuers: &[Issuer],
    chain_of: impl Fn(Address) -> Option<u64>,
) -> Vec<(String, String, Claim)> {
    issuers
        .iter()
        .filter_map(|issuer| {
            let method = issuer.identity_type.as_deref()?;
            let location = issuer.identity_location.clone()?;
            let claim = match method {
                "DNS-TXT" => {
                    let address = issuer.store_address()?.ok()?;
                    Claim::Store {
                        address,
                        chain_id: chain_of(address),
                    }
                }
                "DNS-DID" => Claim::DidKey(issuer.identity_key.clone()?),
                _ => return None,
            };
            Some((method.to_owned(), location, claim))
        })
        .take(MAX_IDENTITY_LOOKUPS)
        .collect()
}

/// Whether `name` can be asked of DNS: letters, digits, `-`, `_` and dots,
/// at most 253 characters, no empty label.
pub fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_DNS_NAME
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether one of `records` names `claim`.
pub fn is_named(records: &[String], claim: &Claim) -> bool {
    records.iter().any(|record| match claim {
        Claim::Store { address, chain_id } => names_store(record, *address, *chain_id),
        Claim::DidKey(key) => names_did(record, key),
    })
}

/// `openatts net=ethereum netId=<chain> addr=<store>`: the address
/// compared without regard to case, the chain when known.
fn names_store(record: &str, store: Address, chain_id: Option<u64>) -> bool {
    let mut words = record.split_whitespace();
    if words.next() != Some("openatts") {
        return false;
    }
    let (mut net, mut net_id, mut addr) = (None, None, None);
    for word in words {
        match word.split_once('=') {
            Some(("net", v)) => net = Some(v),
            Some(("netId", v)) => net_id = v.parse::<u64>().ok(),
            Some(("addr", v)) => addr = Address::parse(v).ok(),
            _ => {}
        }
    }
    net.is_some_and(|n| n.eq_ignore_ascii_case("ethereum"))
        && addr == Some(store)
        && chain_id.is_none_or(|chain| net_id == Some(chain))
}

/// `openatts a=dns-did; p=<did>#controller; v=1.0;`
fn names_did(record: &str, key: &str) -> bool {
    let Some(rest) = record.trim().strip_prefix("openatts") else {
        return false;
    };
    let mut dns_did = false;
    let mut named = false;
    for part in rest.split(';') {
        match part.trim().split_once('=') {
            Some(("a", v)) => dns_did = v.trim() == "dns-did",
            Some(("p", v)) => named = v.trim() == key,
            _ => {}
        }
    }
    dns_did && named
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE: &str = "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab";

    fn store() -> Address {
        Address::parse(STORE).unwrap()
    }

    #[test]
    fn a_txt_record_names_a_store_on_its_chain() {
        let claim = |chain_id| Claim::Store {
            address: store(),
            chain_id,
        };
        let record = |text: &str| vec!["v=spf1 -all".to_owned(), text.to_owned()];
        let lower = STORE.to_ascii_lowercase();
        assert!(is_named(
            &record(&format!("openatts net=ethereum netId=1337 addr={lower}")),
            &claim(Some(1337))
        ));
        // Another chain, another store, another network: not this claim.
        assert!(!is_named(
            &record(&format!("openatts net=ethereum netId=1 addr={STORE}")),
            &claim(Some(1337))
        ));
        assert!(!is_named(
            &record(
                "openatts net=ethereum netId=1337 addr=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
            ),
            &claim(Some(1337))
        ));
        assert!(!is_named(
            &record(&format!("openatts net=tezos netId=1337 addr={STORE}")),
            &claim(Some(1337))
        ));
        // The chain unknown: any chain.
        assert!(is_named(
            &record(&format!("openatts net=ethereum netId=5 addr={STORE}")),
            &claim(None)
        ));
        assert!(!is_named(&[], &claim(None)));
    }

    #[test]
    fn a_dns_did_record_names_a_key() {
        let key = "did:ethr:0xE712878f6E8d5d4F9e87E10DA604F9cB564C9a89#controller";
        let records = vec![format!("openatts a=dns-did; p={key}; v=1.0;")];
        assert!(is_named(&records, &Claim::DidKey(key.to_owned())));
        assert!(!is_named(
            &records,
            &Claim::DidKey("did:ethr:0x0#controller".to_owned())
        ));
        assert!(!is_named(
            &[format!("openatts a=other; p={key}; v=1.0;")],
            &Claim::DidKey(key.to_owned())
        ));
    }

    #[test]
    fn only_dns_names_are_asked() {
        assert!(is_dns_name("chamber.example"));
        assert!(is_dns_name("_openatts.demo-1.example"));
        for bad in [
            "",
            "a..b",
            "a b.example",
            "evil.example/x",
            &"a".repeat(254),
        ] {
            assert!(!is_dns_name(bad), "{bad:?}");
        }
    }
}
