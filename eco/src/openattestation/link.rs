//! TradeTrust verification links and the encrypted documents they lead to.
//!
//! A link carries URL-encoded JSON in its `q` parameter:
//! `{"type":"DOCUMENT","payload":{"uri":...,"key":...,"permittedActions":[...],"redirect":...}}`;
//! newer links add `payload.chainId` and may put `{"key":...}` after `#`,
//! which then wins over the payload's key. The document at `uri` is the
//! envelope of `@govtechsg/oa-encryption` (`OPEN-ATTESTATION-TYPE-1`):
//! AES-256-GCM without additional data, `iv` (12 bytes) and `tag` (16
//! bytes) in base64, the key 32 bytes in hex, and the plaintext the
//! document's JSON in base64 once more. tradetrust-website also accepts
//! the envelope wrapped as `{"document": envelope}`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use url::Url;

/// The envelope type of an encrypted document.
pub const ENCRYPTED_TYPE: &str = "OPEN-ATTESTATION-TYPE-1";

/// What a TradeTrust verification link points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeTrustLink {
    /// Where the (usually encrypted) document is.
    pub uri: Url,
    /// Its key, 64 hex digits, if the link gives one.
    pub key: Option<String>,
    /// The chain the link names, if any (not trusted: the trust list pins
    /// each store's chain).
    pub chain_id: Option<u64>,
}

/// Why a link or an encrypted document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The link's `q` is not a document action.
    #[error("not a TradeTrust document link: {0}")]
    Link(String),
    /// The envelope is not `OPEN-ATTESTATION-TYPE-1` as expected.
    #[error("not an encrypted TradeTrust document: {0}")]
    Envelope(String),
    /// The document is encrypted and no key came with it.
    #[error("the document is encrypted, and the link gives no key")]
    NoKey,
    /// Decryption failed: a wrong key or a changed ciphertext or tag.
    #[error("the document does not decrypt with the link's key (wrong key, or altered)")]
    Decryption,
}

/// Reads `url` as a TradeTrust verification link: `None` when it is not
/// one (no `q` parameter holding a JSON action, in the query or, for
/// viewers that route in the fragment, after `#` as in `#/verify?q=`).
pub fn parse_link(url: &Url) -> Option<Result<TradeTrustLink, LinkError>> {
    let (action, key_fragment) = action(url)?;
    Some(read_action(&action, key_fragment))
}

/// Whether `url` is a TradeTrust verification link: its action is
/// `DOCUMENT` (what it leads to is read by [`parse_link`]).
pub fn is_link(url: &Url) -> bool {
    action(url).is_some_and(|(a, _)| a.get("type").and_then(Value::as_str) == Some("DOCUMENT"))
}

/// The link's JSON action, and the fragment that may hold its key.
fn action(url: &Url) -> Option<(Value, Option<&str>)> {
    if let Some(action) = q_parameter(url.query_pairs()) {
        return Some((action, url.fragment()));
    }
    let fragment = url.fragment()?;
    let routed = fragment.rsplit_once('?').map_or(fragment, |(_, q)| q);
    // The fragment holds the action, so it holds no separate key.
    q_parameter(url::form_urlencoded::parse(routed.as_bytes())).map(|a| (a, None))
}

/// The JSON value of the first `q` parameter, when it is JSON.
fn q_parameter<'a>(
    mut pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Option<Value> {
    pairs
        .find(|(name, _)| name == "q")
        .and_then(|(_, value)| serde_json::from_str::<Value>(&value).ok())
}

fn read_action(action: &Value, fragment: Option<&str>) -> Result<TradeTrustLink, LinkError> {
    let bad = |why: &str| LinkError::Link(why.to_owned());
    if action.get("type").and_then(Value::as_str) != Some("DOCUMENT") {
        return Err(bad("its action is not DOCUMENT"));
    }
    let payload = action.get("payload").ok_or_else(|| bad("no payload"))?;
    let uri = payload
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no payload.uri"))?;
    let uri = Url::parse(uri).map_err(|e| LinkError::Link(format!("payload.uri {uri:?}: {e}")))?;
    if !matches!(uri.scheme(), "http" | "https") {
        return Err(bad("payload.uri is not http(s)"));
    }
    let fragment_key = fragment
        .and_then(|f| percent_encoding::percent_decode_str(f).decode_utf8().ok())
        .and_then(|f| serde_json::from_str::<Value>(&f).ok())
        .and_then(|v| v.get("key").and_then(Value::as_str).map(str::to_owned));
    let key = fragment_key.or_else(|| {
        payload
            .get("key")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    if let Some(key) = &key
        && (key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(bad("its key is not 64 hex digits"));
    }
    let chain_id = payload.get("chainId").and_then(|c| match c {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    Ok(TradeTrustLink { uri, key, chain_id })
}

/// Whether `value` is an encrypted-document envelope (or one wrapped as
/// `{"document": envelope}`).
pub fn is_encrypted(value: &Value) -> bool {
    envelope(value).is_some()
}

fn envelope(value: &Value) -> Option<&Value> {
    let inner = value
        .get("document")
        .filter(|d| d.is_object())
        .unwrap_or(value);
    (inner.get("type").and_then(Value::as_str) == Some(ENCRYPTED_TYPE)).then_some(inner)
}

/// The document a link's `uri` served: itself, or, when it is an
/// envelope, what it decrypts to under the link's `key`, read as strict
/// JSON.
pub fn open(fetched: Value, key: Option<&str>) -> Result<Value, LinkError> {
    if !is_encrypted(&fetched) {
        return Ok(fetched);
    }
    let key = key.ok_or(LinkError::NoKey)?;
    let plain = decrypt(&fetched, key)?;
    crate::json::parse_strict(&plain)
        .map_err(|e| LinkError::Envelope(format!("the decrypted document: {e}")))
}

/// Decrypts an envelope with `key` (64 hex digits): the document's JSON
/// bytes.
pub fn decrypt(value: &Value, key: &str) -> Result<Vec<u8>, LinkError> {
    let bad = |why: &str| LinkError::Envelope(why.to_owned());
    let envelope = envelope(value).ok_or_else(|| bad("its type is not OPEN-ATTESTATION-TYPE-1"))?;
    let field = |name: &str| -> Result<Vec<u8>, LinkError> {
        let text = envelope
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| LinkError::Envelope(format!("no {name}")))?;
        STANDARD
            .decode(text)
            .map_err(|e| LinkError::Envelope(format!("{name} is not base64: {e}")))
    };
    let (cipher_text, iv, tag) = (field("cipherText")?, field("iv")?, field("tag")?);
    if iv.len() != 12 || tag.len() != 16 {
        return Err(bad("iv must be 12 bytes and tag 16"));
    }
    let mut key_bytes = [0u8; 32];
    hex::decode_to_slice(key, &mut key_bytes).map_err(|_| bad("the key is not 64 hex digits"))?;
    let cipher = Aes256Gcm::new_from_slice(&key_bytes).map_err(|_| bad("bad key length"))?;
    let mut sealed = cipher_text;
    sealed.extend_from_slice(&tag);
    let plain = cipher
        .decrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: &sealed,
                aad: &[],
            },
        )
        .map_err(|_| LinkError::Decryption)?;
    let text: Vec<u8> = plain
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(&text)
        .map_err(|e| LinkError::Envelope(format!("the plaintext is not base64: {e}")))
}

/// Encrypts a document's JSON bytes into an `OPEN-ATTESTATION-TYPE-1`
/// envelope, as `encryptString` of `@govtechsg/oa-encryption` does: the
/// JSON base64-encoded, sealed with AES-256-GCM under `key` (64 hex
/// digits) and the 12-byte `iv`, no additional data. The key is not part
/// of the envelope (a verification link carries it). The inverse of
/// [`decrypt`]; the sim uses it to publish encrypted documents.
pub fn encrypt(document: &[u8], key: &str, iv: [u8; 12]) -> Result<Value, LinkError> {
    let mut key_bytes = [0u8; 32];
    hex::decode_to_slice(key, &mut key_bytes)
        .map_err(|_| LinkError::Envelope("the key is not 64 hex digits".to_owned()))?;
    let cipher = Aes256Gcm::new_from_slice(&key_bytes)
        .map_err(|_| LinkError::Envelope("bad key length".to_owned()))?;
    let plain = STANDARD.encode(document);
    let mut sealed = cipher
        .encrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: plain.as_bytes(),
                aad: &[],
            },
        )
        .map_err(|_| LinkError::Decryption)?;
    // The last 16 bytes are the tag; the envelope keeps it apart.
    let tag = sealed.split_off(sealed.len().saturating_sub(16));
    Ok(serde_json::json!({
        "cipherText": STANDARD.encode(&sealed),
        "iv": STANDARD.encode(iv),
        "tag": STANDARD.encode(&tag),
        "type": ENCRYPTED_TYPE,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `encryptString('{"a":1}', "00…01")` of `@govtechsg/oa-encryption`
    /// 1.3.5, as the library returned it.
    fn reference_envelope() -> Value {
        json!({
            "cipherText": "gCRpcymCC6ifue+4",
            "iv": "dtjUUHdUIrzmxF7x",
            "tag": "r6kjk9ivSzWzYraSr5eItA==",
            "type": "OPEN-ATTESTATION-TYPE-1"
        })
    }

    const KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn the_reference_envelope_decrypts() {
        assert_eq!(
            decrypt(&reference_envelope(), KEY),
            Ok(br#"{"a":1}"#.to_vec())
        );
        let wrapped = json!({"document": reference_envelope()});
        assert!(is_encrypted(&wrapped));
        assert_eq!(decrypt(&wrapped, KEY), Ok(br#"{"a":1}"#.to_vec()));
    }

    #[test]
    fn a_wrong_key_or_an_altered_tag_is_refused() {
        let other = format!("{}2", &KEY[..63]);
        assert_eq!(
            decrypt(&reference_envelope(), &other),
            Err(LinkError::Decryption)
        );
        let mut altered = reference_envelope();
        altered["tag"] = json!("s6kjk9ivSzWzYraSr5eItA==");
        assert_eq!(decrypt(&altered, KEY), Err(LinkError::Decryption));
        assert!(matches!(
            decrypt(&json!({"type": "x"}), KEY),
            Err(LinkError::Envelope(_))
        ));
        assert!(!is_encrypted(&json!({"version": "x"})));
    }

    #[test]
    fn links_give_the_document_and_its_key() {
        let action = json!({"type": "DOCUMENT", "payload": {
            "uri": "https://docs.example/co/123.tt", "key": "ab".repeat(32),
            "permittedActions": ["VIEW"], "redirect": "https://tradetrust.io/", "chainId": "1"}});
        let mut url = Url::parse("https://actions.tradetrust.io/").unwrap();
        url.query_pairs_mut().append_pair("q", &action.to_string());
        let link = parse_link(&url).unwrap().unwrap();
        assert_eq!(link.uri.as_str(), "https://docs.example/co/123.tt");
        assert_eq!(link.key, Some("ab".repeat(32)));
        assert_eq!(link.chain_id, Some(1));
        // A key after '#' wins.
        let fragment = json!({"key": "cd".repeat(32)}).to_string();
        url.set_fragment(Some(
            &percent_encoding::utf8_percent_encode(&fragment, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ));
        assert_eq!(
            parse_link(&url).unwrap().unwrap().key,
            Some("cd".repeat(32))
        );
        // A viewer that routes in the fragment.
        let mut routed = Url::parse("https://viewer.example/").unwrap();
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &action.to_string())
            .finish();
        routed.set_fragment(Some(&format!("/verify?{query}")));
        assert_eq!(
            parse_link(&routed).unwrap().unwrap().uri.as_str(),
            "https://docs.example/co/123.tt"
        );
        assert!(is_link(&routed) && is_link(&url));
        // Not links, or broken ones.
        assert!(parse_link(&Url::parse("https://tradetrust.io/verify").unwrap()).is_none());
        let mut other = Url::parse("https://x.example/").unwrap();
        other
            .query_pairs_mut()
            .append_pair("q", r#"{"type":"VERIFY"}"#);
        assert!(matches!(parse_link(&other), Some(Err(LinkError::Link(_)))));
        assert!(!is_link(&other));
        let mut file = Url::parse("https://x.example/").unwrap();
        file.query_pairs_mut().append_pair(
            "q",
            r#"{"type":"DOCUMENT","payload":{"uri":"file:///etc/passwd"}}"#,
        );
        assert!(matches!(parse_link(&file), Some(Err(LinkError::Link(_)))));
    }

    #[test]
    fn encrypting_gives_the_reference_envelope_and_decrypts_back() {
        let reference = reference_envelope();
        let mut iv = [0u8; 12];
        let decoded = STANDARD
            .decode(reference["iv"].as_str().expect("iv"))
            .expect("base64");
        iv.copy_from_slice(&decoded);
        let envelope = encrypt(br#"{"a":1}"#, KEY, iv).expect("encrypts");
        assert_eq!(envelope, reference);
        let document = br#"{"version":"x","data":{"iD":"s:string:CO-1"}}"#;
        let sealed = encrypt(document, &"ab".repeat(32), [7; 12]).expect("encrypts");
        assert!(is_encrypted(&sealed));
        assert_eq!(decrypt(&sealed, &"ab".repeat(32)), Ok(document.to_vec()));
        assert!(matches!(
            encrypt(document, "not hex", [0; 12]),
            Err(LinkError::Envelope(_))
        ));
    }

    #[test]
    fn open_gives_the_document_behind_a_link() {
        let document = json!({"version": "x", "data": {"a": 1}});
        // A plain document is itself.
        assert_eq!(open(document.clone(), None), Ok(document.clone()));
        let envelope = encrypt(document.to_string().as_bytes(), KEY, [3; 12]).unwrap();
        assert_eq!(open(envelope.clone(), Some(KEY)), Ok(document));
        assert_eq!(open(envelope.clone(), None), Err(LinkError::NoKey));
        let other = format!("{}2", &KEY[..63]);
        assert_eq!(open(envelope, Some(&other)), Err(LinkError::Decryption));
        // What decrypts must still be strict JSON.
        let not_json = encrypt(b"{\"a\":1,\"a\":2}", KEY, [3; 12]).unwrap();
        assert!(matches!(
            open(not_json, Some(KEY)),
            Err(LinkError::Envelope(_))
        ));
    }
}
