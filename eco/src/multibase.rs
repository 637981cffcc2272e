//! Multibase strings and Multikey public keys.
//!
//! Only the two prefixes the contract uses are supported: `z` (base58btc)
//! for proof values and keys, `u` (base64url without padding) for encoded
//! status lists.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;

/// The multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
pub const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// Why a multibase string or Multikey could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultibaseError {
    /// The first character is not the expected multibase prefix.
    #[error("expected multibase prefix '{expected}', found {found:?}")]
    WrongPrefix {
        /// The prefix the format requires.
        expected: char,
        /// What the string starts with (None when it is empty).
        found: Option<char>,
    },
    /// The characters after the prefix are not valid in that base.
    #[error("not valid {base}: {detail}")]
    BadEncoding {
        /// `base58btc` or `base64url`.
        base: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// The bytes are not `0xed01` followed by a 32-byte Ed25519 key.
    #[error("not an Ed25519 Multikey: {0}")]
    NotEd25519(String),
}

/// Decodes a `z`-prefixed base58btc multibase string.
pub fn decode_base58btc(s: &str) -> Result<Vec<u8>, MultibaseError> {
    let rest = strip_prefix(s, 'z')?;
    bs58::decode(rest)
        .into_vec()
        .map_err(|e| MultibaseError::BadEncoding {
            base: "base58btc",
            detail: e.to_string(),
        })
}

/// Encodes bytes as a `z`-prefixed base58btc multibase string.
pub fn encode_base58btc(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes a `u`-prefixed base64url (no padding) multibase string.
pub fn decode_base64url(s: &str) -> Result<Vec<u8>, MultibaseError> {
    let rest = strip_prefix(s, 'u')?;
    URL_SAFE_NO_PAD
        .decode(rest)
        .map_err(|e| MultibaseError::BadEncoding {
            base: "base64url",
            detail: e.to_string(),
        })
}

/// Encodes bytes as a `u`-prefixed base64url multibase string without padding.
pub fn encode_base64url(bytes: &[u8]) -> String {
    format!("u{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Decodes a Multikey Ed25519 public key (`z` + base58btc of `0xed01` + key).
pub fn decode_ed25519_multikey(s: &str) -> Result<VerifyingKey, MultibaseError> {
    let bytes = decode_base58btc(s)?;
    let key = bytes
        .strip_prefix(&ED25519_PUB_MULTICODEC)
        .ok_or_else(|| MultibaseError::NotEd25519("the multicodec prefix is not 0xed01".into()))?;
    let key: &[u8; 32] = key.try_into().map_err(|_| {
        MultibaseError::NotEd25519(format!("the key is {} bytes, not 32", key.len()))
    })?;
    VerifyingKey::from_bytes(key).map_err(|e| MultibaseError::NotEd25519(e.to_string()))
}

/// Encodes an Ed25519 public key as a Multikey (`z6Mk...`).
pub fn encode_ed25519_multikey(key: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUB_MULTICODEC.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    encode_base58btc(&bytes)
}

fn strip_prefix(s: &str, expected: char) -> Result<&str, MultibaseError> {
    s.strip_prefix(expected)
        .ok_or_else(|| MultibaseError::WrongPrefix {
            expected,
            found: s.chars().next(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_the_w3c_test_key() {
        let key = decode_ed25519_multikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
            .expect("W3C key");
        assert_eq!(
            hex::encode(key.as_bytes()),
            "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f"
        );
        assert_eq!(
            encode_ed25519_multikey(&key),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
    }

    #[test]
    fn rejects_wrong_prefixes_and_lengths() {
        assert!(matches!(
            decode_base58btc("u123"),
            Err(MultibaseError::WrongPrefix { .. })
        ));
        assert!(matches!(
            decode_base58btc(""),
            Err(MultibaseError::WrongPrefix { found: None, .. })
        ));
        assert!(matches!(
            decode_base58btc("z0OIl"),
            Err(MultibaseError::BadEncoding { .. })
        ));
        let short = encode_base58btc(&[0xed, 0x01, 1, 2, 3]);
        assert!(matches!(
            decode_ed25519_multikey(&short),
            Err(MultibaseError::NotEd25519(_))
        ));
        let x25519 = encode_base58btc(&[[0xec, 0x01].as_slice(), &[9u8; 32]].concat());
        assert!(decode_ed25519_multikey(&x25519).is_err());
    }

    proptest! {
        #[test]
        fn base58_and_base64url_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode_base58btc(&encode_base58btc(&bytes)).unwrap(), bytes.clone());
            let u = encode_base64url(&bytes);
            prop_assert!(!u.contains('='));
            prop_assert_eq!(decode_base64url(&u).unwrap(), bytes);
        }
    }
}
