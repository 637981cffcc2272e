//! What the trust list pins for documents anchored on Ethereum-compatible
//! chains (OpenAttestation v2, TradeTrust): the buyer's own node for each
//! chain (`[[ethereum]]`), and each authority's document stores and DID
//! signers (`[[authority.document_store]]`, `[[authority.did_signer]]`).

use serde::{Deserialize, Serialize};
use url::Url;

use crate::openattestation::digest::keccak256;

/// One `[[ethereum]]` table: the buyer's node for one chain.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EthereumEntry {
    /// EIP-155 chain id.
    pub chain_id: Option<u64>,
    /// JSON-RPC endpoint of the buyer's node.
    pub rpc_url: Option<String>,
}

/// One `[[authority.document_store]]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentStoreEntry {
    /// The chain the store lives on.
    pub chain_id: Option<u64>,
    /// The store contract's address.
    pub address: Option<String>,
}

/// One `[[authority.did_signer]]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DidSignerEntry {
    /// The DID verification method the documents name
    /// (`did:ethr:0x…#controller`).
    pub id: Option<String>,
    /// The Ethereum address its signatures must recover to.
    pub address: Option<String>,
}

/// A 20-byte Ethereum address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// Reads `0x` and 40 hex digits. All lower or all upper case is
    /// accepted as is; mixed case must be the address's EIP-55 checksum,
    /// so that a mistyped digit in a copied address is caught.
    pub fn parse(text: &str) -> Result<Address, String> {
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| format!("{text:?} is not an address such as \"0x5aAeb6…\" (no 0x)"))?;
        let mut bytes = [0u8; 20];
        if digits.len() != 40 || hex::decode_to_slice(digits, &mut bytes).is_err() {
            return Err(format!("{text:?} is not 0x and 40 hex digits"));
        }
        let address = Address(bytes);
        let mixed = digits.bytes().any(|b| b.is_ascii_lowercase())
            && digits.bytes().any(|b| b.is_ascii_uppercase());
        if mixed && address.checksummed() != text {
            return Err(format!(
                "{text:?} does not match its EIP-55 checksum (expected {})",
                address.checksummed()
            ));
        }
        Ok(address)
    }

    /// The address in EIP-55 mixed-case checksum form.
    pub fn checksummed(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = keccak256(lower.as_bytes());
        let digits: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
                if c.is_ascii_alphabetic() && nibble >= 8 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        format!("0x{digits}")
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.checksummed())
    }
}

/// The buyer's node for one chain: the only place chain state is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthereumNode {
    /// EIP-155 chain id; the node's `eth_chainId` must answer it.
    pub chain_id: u64,
    /// JSON-RPC endpoint.
    pub rpc_url: Url,
}

/// A document store an authority records its documents' roots in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentStore {
    /// The chain it lives on.
    pub chain_id: u64,
    /// The contract's address.
    pub address: Address,
}

/// A DID that signs an authority's documents, and the address its
/// signatures recover to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidSigner {
    /// The DID verification method documents name.
    pub id: String,
    /// The address.
    pub address: Address,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_checksums_are_checked_when_the_case_is_mixed() {
        // The examples of EIP-55 itself.
        for good in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let address = Address::parse(good).expect(good);
            assert_eq!(address.checksummed(), good);
            assert_eq!(Address::parse(&good.to_ascii_lowercase()), Ok(address));
        }
        let bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        assert!(Address::parse(bad).unwrap_err().contains("EIP-55"));
        assert!(Address::parse("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").is_err());
        assert!(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").is_err());
    }
}
