//! Questions to an OpenAttestation DocumentStore contract, as the
//! calldata of an `eth_call`, and their answers.
//!
//! Two generations of the contract are deployed. The classic store
//! (`@govtechsg/document-store`) answers `isIssued(bytes32)` and
//! `isRevoked(bytes32)` for any hash. The batchable store
//! (`@trustvc/document-store`) says so through ERC-165
//! (`supportsInterface(0xdcfd0745)`), is asked
//! `isIssued(bytes32,bytes32,bytes32[])` and
//! `isRevoked(bytes32,bytes32,bytes32[])` with the root, the document's
//! target hash and its proof, and checks the proof itself. Asked on a
//! local chain (1.0.3 on ganache 7), it answers `isIssued` false for an
//! unissued root with a valid proof, and reverts with a named error for a
//! proof that does not lead to the root (`InvalidDocument`), a zero hash
//! (`ZeroDocument`), and `isRevoked` of a root it never issued
//! (`DocumentNotIssued`).

use super::digest::{Hash, keccak256};

/// ERC-165 interface id of the batchable store.
pub const BATCHABLE_INTERFACE: [u8; 4] = [0xdc, 0xfd, 0x07, 0x45];

/// One question to a document store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreCall {
    /// `supportsInterface(0xdcfd0745)`: whether it is a batchable store.
    IsBatchable,
    /// `isIssued(bytes32)` of a classic store.
    IsIssued(Hash),
    /// `isRevoked(bytes32)` of a classic store.
    IsRevoked(Hash),
    /// `isIssued(bytes32,bytes32,bytes32[])` of a batchable store.
    IsIssuedInBatch(Batch),
    /// `isRevoked(bytes32,bytes32,bytes32[])` of a batchable store.
    IsRevokedInBatch(Batch),
}

/// A document's place in its batch, as a batchable store is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The Merkle root.
    pub root: Hash,
    /// The document's target hash.
    pub target: Hash,
    /// The proof from the target hash to the root.
    pub proof: Vec<Hash>,
}

/// The first four bytes of keccak-256 of a function or error signature.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

impl StoreCall {
    /// The function's signature.
    pub fn signature(&self) -> &'static str {
        match self {
            StoreCall::IsBatchable => "supportsInterface(bytes4)",
            StoreCall::IsIssued(_) => "isIssued(bytes32)",
            StoreCall::IsRevoked(_) => "isRevoked(bytes32)",
            StoreCall::IsIssuedInBatch(_) => "isIssued(bytes32,bytes32,bytes32[])",
            StoreCall::IsRevokedInBatch(_) => "isRevoked(bytes32,bytes32,bytes32[])",
        }
    }

    /// The ABI-encoded calldata: selector, then the arguments.
    pub fn calldata(&self) -> Vec<u8> {
        let mut data = selector(self.signature()).to_vec();
        match self {
            StoreCall::IsBatchable => {
                // A bytes4 is left-aligned in its 32-byte word.
                let mut word = [0u8; 32];
                word[..4].copy_from_slice(&BATCHABLE_INTERFACE);
                data.extend(word);
            }
            StoreCall::IsIssued(hash) | StoreCall::IsRevoked(hash) => data.extend(hash),
            StoreCall::IsIssuedInBatch(batch) | StoreCall::IsRevokedInBatch(batch) => {
                data.extend(batch.root);
                data.extend(batch.target);
                // The dynamic array's offset from the start of the
                // arguments: after the three head words.
                data.extend(word_of(3 * 32));
                data.extend(word_of(batch.proof.len()));
                for hash in &batch.proof {
                    data.extend(hash);
                }
            }
        }
        data
    }

    /// The calldata as JSON-RPC writes it: `0x` and lowercase hex.
    pub fn calldata_hex(&self) -> String {
        format!("0x{}", hex::encode(self.calldata()))
    }
}

/// `n` as a big-endian 32-byte ABI word.
fn word_of(n: usize) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&(n as u64).to_be_bytes());
    word
}

/// Why a store's answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// Not `0x` and hex.
    #[error("the answer {0:?} is not 0x-prefixed hex")]
    NotHex(String),
    /// Not one 32-byte word holding 0 or 1.
    #[error("the answer is not an ABI boolean: {0}")]
    NotBoolean(String),
}

/// Reads the result of a call returning `bool`: one 32-byte word that is
/// 0 or 1.
pub fn read_bool(result: &str) -> Result<bool, AnswerError> {
    let bytes = hex_bytes(result)?;
    let word: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| AnswerError::NotBoolean(format!("{} bytes", bytes.len())))?;
    match (word[..31].iter().all(|b| *b == 0), word[31]) {
        (true, 0) => Ok(false),
        (true, 1) => Ok(true),
        _ => Err(AnswerError::NotBoolean(result.to_owned())),
    }
}

/// A named error a batchable store reverts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revert {
    /// `DocumentNotIssued(bytes32,bytes32)`: the root is not issued.
    DocumentNotIssued,
    /// `InvalidDocument(bytes32,bytes32)`: the proof does not lead from
    /// the document to the root.
    InvalidDocument,
    /// `ZeroDocument()`: a zero hash was asked about.
    ZeroDocument,
    /// `DocumentIsRevoked(bytes32,bytes32)`.
    DocumentIsRevoked,
    /// `InactiveDocument(bytes32,bytes32)`.
    InactiveDocument,
    /// Any other revert, by its data (hex), or none.
    Other(String),
}

impl Revert {
    /// Reads a revert's data (`0x` and hex, as a node reports it in the
    /// error's `data`).
    pub fn read(data: &str) -> Revert {
        let Ok(bytes) = hex_bytes(data) else {
            return Revert::Other(data.to_owned());
        };
        let known = [
            (
                "DocumentNotIssued(bytes32,bytes32)",
                Revert::DocumentNotIssued,
            ),
            ("InvalidDocument(bytes32,bytes32)", Revert::InvalidDocument),
            ("ZeroDocument()", Revert::ZeroDocument),
            (
                "DocumentIsRevoked(bytes32,bytes32)",
                Revert::DocumentIsRevoked,
            ),
            (
                "InactiveDocument(bytes32,bytes32)",
                Revert::InactiveDocument,
            ),
        ];
        known
            .into_iter()
            .find(|(signature, _)| bytes.starts_with(&selector(signature)))
            .map_or_else(|| Revert::Other(data.to_owned()), |(_, revert)| revert)
    }

    /// Whether the revert means the document is not issued (a `fail` of
    /// `anchored`, not an `unknown`).
    pub fn means_not_issued(&self) -> bool {
        matches!(
            self,
            Revert::DocumentNotIssued | Revert::InvalidDocument | Revert::ZeroDocument
        )
    }
}

fn hex_bytes(text: &str) -> Result<Vec<u8>, AnswerError> {
    text.strip_prefix("0x")
        .and_then(|digits| hex::decode(digits).ok())
        .ok_or_else(|| AnswerError::NotHex(text.chars().take(80).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(hex_text: &str) -> Hash {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_text, &mut out).expect("hex");
        out
    }

    #[test]
    fn selectors_are_the_ones_the_reference_calls() {
        // As the reference verifier's traffic and its README give them.
        for (signature, expected) in [
            ("supportsInterface(bytes4)", "01ffc9a7"),
            ("isIssued(bytes32)", "163aa631"),
            ("isRevoked(bytes32)", "4294857f"),
            ("isIssued(bytes32,bytes32,bytes32[])", "3c9b53e0"),
            ("isRevoked(bytes32,bytes32,bytes32[])", "a5e440d2"),
        ] {
            assert_eq!(hex::encode(selector(signature)), expected, "{signature}");
        }
    }

    #[test]
    fn calldata_matches_the_reference_verifiers_traffic() {
        // eth_call data that oa-verify 9.4.0 sent to a classic store on a
        // local chain (the recipe in ../shared/tradetrust/reference).
        let root = hash("6c6bc7d898c94aef7bd14d266e4381ada20e592d1a13072f80e6db7a160f7029");
        assert_eq!(
            StoreCall::IsBatchable.calldata_hex(),
            "0x01ffc9a7dcfd074500000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(
            StoreCall::IsIssued(root).calldata_hex(),
            "0x163aa6316c6bc7d898c94aef7bd14d266e4381ada20e592d1a13072f80e6db7a160f7029"
        );
        assert_eq!(
            StoreCall::IsRevoked(root).calldata_hex(),
            "0x4294857f6c6bc7d898c94aef7bd14d266e4381ada20e592d1a13072f80e6db7a160f7029"
        );
    }

    #[test]
    fn a_batch_call_encodes_its_array_after_the_head() {
        let (root, target, sibling) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let call = StoreCall::IsIssuedInBatch(Batch {
            root,
            target,
            proof: vec![sibling],
        });
        let data = call.calldata();
        assert_eq!(&data[..4], &selector("isIssued(bytes32,bytes32,bytes32[])"));
        let words: Vec<&[u8]> = data[4..].chunks(32).collect();
        assert_eq!(words.len(), 5);
        assert_eq!((words[0], words[1]), (&root[..], &target[..]));
        assert_eq!(words[2], &word_of(96)[..]);
        assert_eq!(words[3], &word_of(1)[..]);
        assert_eq!(words[4], &sibling[..]);
    }

    #[test]
    fn a_batch_call_is_what_ethers_encodes() {
        // ethers 5's Interface.encodeFunctionData for a document of the
        // recipe's batchable store (root, target hash, proof of one).
        let call = StoreCall::IsIssuedInBatch(Batch {
            root: hash("1c305bd3c301d7d22f6a79d16265fdb3fa6139f7a430c5beb69418ce4f1a1d0d"),
            target: hash("c9d6c9b3523d5fddf2a4013180b37b609646a2667d3cb5040e930e13b44cd692"),
            proof: vec![hash(
                "9ec4a35cdecb2c6e0f897c9450381515d9914da258390bbf96f371456d1a59f7",
            )],
        });
        assert_eq!(
            call.calldata_hex(),
            "0x3c9b53e0\
             1c305bd3c301d7d22f6a79d16265fdb3fa6139f7a430c5beb69418ce4f1a1d0d\
             c9d6c9b3523d5fddf2a4013180b37b609646a2667d3cb5040e930e13b44cd692\
             0000000000000000000000000000000000000000000000000000000000000060\
             0000000000000000000000000000000000000000000000000000000000000001\
             9ec4a35cdecb2c6e0f897c9450381515d9914da258390bbf96f371456d1a59f7"
        );
    }

    #[test]
    fn answers_are_read_strictly() {
        let word = |last: &str| format!("0x{}{last}", "0".repeat(62));
        assert_eq!(read_bool(&word("01")), Ok(true));
        assert_eq!(read_bool(&word("00")), Ok(false));
        assert!(read_bool(&word("02")).is_err());
        assert!(read_bool("0x").is_err());
        assert!(read_bool("01").is_err());
        assert!(read_bool(&format!("{}00", word("01"))).is_err());
    }

    #[test]
    fn reverts_are_told_apart() {
        let data =
            |signature: &str| format!("0x{}{}", hex::encode(selector(signature)), "ab".repeat(64));
        // Selectors as ethers' `id` gives them.
        assert_eq!(hex::encode(selector("ZeroDocument()")), "4b20c093");
        assert_eq!(
            hex::encode(selector("DocumentNotIssued(bytes32,bytes32)")),
            "517eeb7d"
        );
        assert_eq!(
            hex::encode(selector("InvalidDocument(bytes32,bytes32)")),
            "c45a8d98"
        );
        let not_issued = Revert::read(&data("DocumentNotIssued(bytes32,bytes32)"));
        assert_eq!(not_issued, Revert::DocumentNotIssued);
        assert!(not_issued.means_not_issued());
        assert!(Revert::read(&data("ZeroDocument()")).means_not_issued());
        assert!(Revert::read(&data("InvalidDocument(bytes32,bytes32)")).means_not_issued());
        let other = Revert::read(&data("AccessControlBadConfirmation()"));
        assert!(matches!(other, Revert::Other(_)));
        assert!(!other.means_not_issued());
        assert!(!Revert::read("0x").means_not_issued());
        assert!(!Revert::read("nonsense").means_not_issued());
    }
}
