//! Strict JSON reading and RFC 8785 canonicalization.
//!
//! serde_json silently keeps the last of two duplicate keys, so a signed
//! document could say one thing to the signature check and another to a
//! reader. Every document that ecoscout verifies is therefore read with
//! [`parse_strict`], which refuses duplicate keys, non-finite numbers, nesting
//! deeper than [`MAX_DEPTH`] and inputs larger than [`MAX_DOCUMENT_BYTES`].

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Largest document accepted, in bytes (1 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The input was empty or only white space.
    #[error("the document is empty")]
    Empty,
    /// The input exceeds [`MAX_DOCUMENT_BYTES`].
    #[error("the document is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// Not JSON, a duplicate key, too deep, or a number that is not finite.
    #[error("the document is not acceptable JSON: {0}")]
    Invalid(String),
    /// The document could not be canonicalized (RFC 8785).
    #[error("the document cannot be canonicalized: {0}")]
    Canonicalization(String),
}

/// Reads `bytes` as one JSON value, refusing duplicate keys, non-finite
/// numbers, nesting deeper than [`MAX_DEPTH`] and more than
/// [`MAX_DOCUMENT_BYTES`] of input.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, JsonError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(JsonError::TooLarge {
            size: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(JsonError::Empty);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictSeed { depth: 0 }
        .deserialize(&mut de)
        .map_err(|e| JsonError::Invalid(e.to_string()))?;
    de.end().map_err(|e| JsonError::Invalid(e.to_string()))?;
    Ok(value)
}

/// The RFC 8785 (JCS) canonical form of `value`.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, JsonError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| JsonError::Canonicalization(e.to_string()))
}

/// Builds one value; `depth` is the number of containers around it.
struct StrictSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor { depth: self.depth })
    }
}

struct StrictVisitor {
    depth: usize,
}

impl StrictVisitor {
    fn enter<E: de::Error>(&self) -> Result<usize, E> {
        let inner = self.depth + 1;
        if inner > MAX_DEPTH {
            return Err(E::custom(format_args!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(inner)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictSeed { depth })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(StrictSeed { depth })?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_duplicate_keys_at_any_depth() {
        let err = parse_strict(br#"{"a":{"b":1,"b":2}}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key \"b\""), "{err}");
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing_the_stack() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse_strict(deep.as_bytes()).unwrap_err();
        assert!(matches!(err, JsonError::Invalid(_)), "{err}");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse_strict(ok.as_bytes()).is_ok());
        let over = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse_strict(over.as_bytes()).is_err());
    }

    #[test]
    fn refuses_large_empty_and_trailing_input() {
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(
            parse_strict(&big),
            Err(JsonError::TooLarge { .. })
        ));
        assert_eq!(parse_strict(b"  \n"), Err(JsonError::Empty));
        assert!(parse_strict(b"{} {}").is_err());
        assert!(parse_strict(b"not json").is_err());
        assert!(parse_strict(b"NaN").is_err());
        assert!(parse_strict(b"1e999").is_err());
    }
}
