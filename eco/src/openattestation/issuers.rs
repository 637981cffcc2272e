//! What an OpenAttestation v2 document says about who issued it: its
//! `issuers[]`, each naming a document store (or, for a DID-signed
//! document, a signer) and how its identity is proven. Every field is
//! salted (`"<uuid>:<type>:<value>"`); [`unsalt`] reads one.
//!
//! Nothing here is trusted: a store or signer counts only when the buyer's
//! trust list pins it.

use serde_json::{Map, Value};

use crate::trust::ethereum::Address;

/// One `issuers[]` entry, its fields unsalted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Issuer {
    /// `name`.
    pub name: Option<String>,
    /// `documentStore`, or the legacy `certificateStore`, as written.
    pub document_store: Option<String>,
    /// `tokenRegistry` (transferable records, not certificates of origin).
    pub token_registry: Option<String>,
    /// `id` (a DID for DID-signed documents).
    pub id: Option<String>,
    /// `identityProof.type` (`DNS-TXT`, `DNS-DID`, `DID`).
    pub identity_type: Option<String>,
    /// `identityProof.location` (a domain for DNS proofs).
    pub identity_location: Option<String>,
    /// `identityProof.key` (the DID key of a DID-signed document).
    pub identity_key: Option<String>,
    /// `revocation.type` (`NONE`, `REVOCATION_STORE`, `OCSP_RESPONDER`).
    pub revocation_type: Option<String>,
    /// `revocation.location`.
    pub revocation_location: Option<String>,
}

impl Issuer {
    /// The document store's address, when it is one.
    pub fn store_address(&self) -> Option<Result<Address, String>> {
        self.document_store.as_deref().map(Address::parse)
    }
}

/// The value of a salted field: what follows `<salt>:<type>:`. A value
/// without two colons is returned as written (an unsalted document).
pub fn unsalt(value: &str) -> &str {
    let mut parts = value.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some("string" | "number" | "boolean" | "null" | "undefined"), Some(rest)) => rest,
        _ => value,
    }
}

/// The `issuers[]` of a document's `data`; an error when it is missing or
/// not a list of objects.
pub fn issuers(data: &Map<String, Value>) -> Result<Vec<Issuer>, String> {
    let list = data
        .get("issuers")
        .and_then(Value::as_array)
        .ok_or("the document names no issuers")?;
    if list.is_empty() {
        return Err("the document's issuers list is empty".into());
    }
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let entry = entry
                .as_object()
                .ok_or_else(|| format!("issuers[{i}] is not an object"))?;
            let text = |object: &Map<String, Value>, key: &str| {
                object
                    .get(key)
                    .and_then(Value::as_str)
                    .map(|v| unsalt(v).to_owned())
            };
            let nested = |key: &str, field: &str| {
                entry
                    .get(key)
                    .and_then(Value::as_object)
                    .and_then(|o| text(o, field))
            };
            Ok(Issuer {
                name: text(entry, "name"),
                document_store: text(entry, "documentStore")
                    .or_else(|| text(entry, "certificateStore")),
                token_registry: text(entry, "tokenRegistry"),
                id: text(entry, "id"),
                identity_type: nested("identityProof", "type"),
                identity_location: nested("identityProof", "location"),
                identity_key: nested("identityProof", "key"),
                revocation_type: nested("revocation", "type"),
                revocation_location: nested("revocation", "location"),
            })
        })
        .collect()
}

/// The chain id the document names (`network.chainId`, salted), if any.
pub fn network_chain_id(data: &Map<String, Value>) -> Option<Result<u64, String>> {
    let chain = data.get("network")?.get("chainId")?;
    Some(match chain {
        Value::String(text) => unsalt(text)
            .parse::<u64>()
            .map_err(|_| format!("network.chainId {text:?} is not a number")),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("network.chainId {n} is not a chain id")),
        other => Err(format!("network.chainId {other} is not a number")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn salted_values_are_read() {
        assert_eq!(
            unsalt("3b0db1db-1b2f-47bb-a7fa-075504aab754:string:AU"),
            "AU"
        );
        assert_eq!(
            unsalt("60f22a12-d692-4b7b-8433-41e017f4e9a2:string:abr.gov.au:abn:55004094599"),
            "abr.gov.au:abn:55004094599"
        );
        assert_eq!(unsalt("5e1c:boolean:true"), "true");
        assert_eq!(unsalt("plain"), "plain");
        assert_eq!(unsalt("a:b:c"), "a:b:c");
    }

    #[test]
    fn issuers_and_network_are_read_from_salted_data() {
        let data = json!({
            "issuers": [{
                "name": "s1:string:Demo Chamber",
                "documentStore": "s2:string:0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab",
                "identityProof": {"type": "s3:string:DNS-TXT", "location": "s4:string:demo.example"}
            }, {
                "name": "s5:string:Legacy",
                "certificateStore": "s6:string:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
            }],
            "network": {"chain": "s7:string:ETH", "chainId": "s8:string:1337"}
        });
        let data = data.as_object().expect("object");
        let found = issuers(data).expect("issuers");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name.as_deref(), Some("Demo Chamber"));
        assert_eq!(found[0].identity_type.as_deref(), Some("DNS-TXT"));
        assert_eq!(found[0].identity_location.as_deref(), Some("demo.example"));
        assert!(found[0].store_address().expect("a store").is_ok());
        assert_eq!(
            found[1].document_store.as_deref(),
            Some("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        );
        assert_eq!(network_chain_id(data), Some(Ok(1337)));
        assert!(issuers(json!({"issuers": []}).as_object().expect("object")).is_err());
        assert!(issuers(json!({}).as_object().expect("object")).is_err());
        assert!(issuers(json!({"issuers": ["x"]}).as_object().expect("object")).is_err());
    }
}
