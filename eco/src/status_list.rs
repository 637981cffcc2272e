//! W3C Bitstring Status List v1.0: the GZIP-compressed, base64url-encoded
//! bitstring in which bit `i` (bit 0 = most significant bit of byte 0)
//! gives the status of the credential with `statusListIndex` `i`.

use std::io::{Read as _, Write as _};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::multibase::{MultibaseError, decode_base64url, encode_base64url};

/// The smallest list the standard allows, in bits (16 KiB), which gives
/// group privacy to the credentials in it.
pub const MIN_BITS: usize = 131_072;
/// The largest decompressed list accepted, in bytes, so that a GZIP bomb
/// cannot exhaust memory.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// Why an encoded list could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum StatusListError {
    /// Not `u`-prefixed base64url.
    #[error("encodedList is not multibase base64url: {0}")]
    Multibase(#[from] MultibaseError),
    /// Not GZIP, or truncated.
    #[error("encodedList is not valid GZIP: {0}")]
    Gzip(String),
    /// Larger than [`MAX_LIST_BYTES`] once decompressed.
    #[error("the decompressed list exceeds {MAX_LIST_BYTES} bytes")]
    TooLarge,
    /// Shorter than [`MIN_BITS`].
    #[error("the list has {0} bits, fewer than the minimum of {MIN_BITS}")]
    TooShort(usize),
}

/// A status bitstring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl StatusList {
    /// A list of `bits` zero bits, rounded up to whole bytes and to at least
    /// [`MIN_BITS`].
    pub fn new(bits: usize) -> StatusList {
        StatusList {
            bytes: vec![0; bits.max(MIN_BITS).div_ceil(8)],
        }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether the list has no bits (never true for a decoded list).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bit at `index`, or None past the end.
    pub fn get(&self, index: usize) -> Option<bool> {
        let byte = self.bytes.get(index / 8)?;
        Some(byte >> (7 - index % 8) & 1 == 1)
    }

    /// Sets the bit at `index`; returns false past the end.
    pub fn set(&mut self, index: usize, value: bool) -> bool {
        let Some(byte) = self.bytes.get_mut(index / 8) else {
            return false;
        };
        let mask = 1 << (7 - index % 8);
        if value {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        true
    }

    /// Encodes as `u` + base64url(GZIP(bits)).
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        // Writing into a Vec cannot fail.
        let compressed = gz
            .write_all(&self.bytes)
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        encode_base64url(&compressed)
    }

    /// Decodes an `encodedList`, refusing lists that are too short or that
    /// decompress past [`MAX_LIST_BYTES`].
    pub fn decode(encoded: &str) -> Result<StatusList, StatusListError> {
        let compressed = decode_base64url(encoded)?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusListError::Gzip(e.to_string()))?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        if bytes.len() * 8 < MIN_BITS {
            return Err(StatusListError::TooShort(bytes.len() * 8));
        }
        Ok(StatusList { bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn encode_decode_round_trip(set in proptest::collection::btree_set(0usize..MIN_BITS, 0..50)) {
            let mut list = StatusList::new(0);
            for &i in &set { prop_assert!(list.set(i, true)); }
            let decoded = StatusList::decode(&list.encode()).unwrap();
            prop_assert_eq!(&decoded, &list);
            for i in (0..MIN_BITS).step_by(997).chain(set.iter().copied()) {
                prop_assert_eq!(decoded.get(i), Some(set.contains(&i)));
            }
        }
    }

    #[test]
    fn bit_zero_is_the_most_significant_bit() {
        let mut list = StatusList::new(0);
        list.set(0, true);
        list.set(9, true);
        assert_eq!(list.bytes[0], 0x80);
        assert_eq!(list.bytes[1], 0x40);
        assert_eq!(list.get(MIN_BITS), None);
        assert!(!list.set(MIN_BITS, true));
    }

    #[test]
    fn refuses_short_lists_and_gzip_bombs() {
        let short = {
            let mut gz = GzEncoder::new(Vec::new(), Compression::best());
            gz.write_all(&[0u8; 100]).unwrap();
            encode_base64url(&gz.finish().unwrap())
        };
        assert!(matches!(
            StatusList::decode(&short),
            Err(StatusListError::TooShort(800))
        ));
        let bomb = {
            let mut gz = GzEncoder::new(Vec::new(), Compression::best());
            gz.write_all(&vec![0u8; MAX_LIST_BYTES + 1024]).unwrap();
            encode_base64url(&gz.finish().unwrap())
        };
        assert!(bomb.len() < 100_000);
        assert!(matches!(
            StatusList::decode(&bomb),
            Err(StatusListError::TooLarge)
        ));
        assert!(matches!(
            StatusList::decode("zabc"),
            Err(StatusListError::Multibase(_))
        ));
        assert!(matches!(
            StatusList::decode("uAAAA"),
            Err(StatusListError::Gzip(_))
        ));
    }
}
