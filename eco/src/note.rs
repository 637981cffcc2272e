//! C2SP signed notes (Ed25519 signatures only) and C2SP tlog checkpoints.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::merkle::Hash;

/// The signature type byte of Ed25519 keys in signed notes.
const ALG_ED25519: u8 = 0x01;
/// Largest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// Most signature lines read from one note.
pub const MAX_SIGNATURES: usize = 100;

/// Why a key, a note or a checkpoint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A verifier or signer key string is malformed.
    #[error("malformed key: {0}")]
    BadKey(String),
    /// The note's layout is wrong.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// A signature by a known key does not verify.
    #[error("invalid signature for key {0}")]
    BadSignature(String),
    /// No signature by any known key.
    #[error("no signature by a known key")]
    NoKnownSignature,
    /// The checkpoint text is malformed.
    #[error("malformed checkpoint: {0}")]
    BadCheckpoint(String),
}

/// The 32-bit key id of a signed-note key: the first four bytes of
/// SHA-256(name || 0x0A || 0x01 || public key).
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// A note verifier: a key name, its id and its Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `<name>+<hex key id>+<base64(0x01 || key)>`, splitting at the
    /// first two `+` only, and checks that the id matches the key.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey(
                "expected <name>+<key id>+<key>".to_owned(),
            ));
        };
        if !valid_name(name) {
            return Err(NoteError::BadKey(format!("invalid key name {name:?}")));
        }
        let id = parse_key_id(id)?;
        let bytes = STANDARD
            .decode(key)
            .map_err(|e| NoteError::BadKey(format!("key is not base64: {e}")))?;
        let key = match bytes.split_first() {
            Some((&ALG_ED25519, rest)) => {
                let raw: &[u8; 32] = rest.try_into().map_err(|_| {
                    NoteError::BadKey(format!("Ed25519 key is {} bytes, not 32", rest.len()))
                })?;
                VerifyingKey::from_bytes(raw).map_err(|e| NoteError::BadKey(e.to_string()))?
            }
            Some((alg, _)) => {
                return Err(NoteError::BadKey(format!(
                    "unsupported signature type 0x{alg:02x}"
                )));
            }
            None => return Err(NoteError::BadKey("empty key".to_owned())),
        };
        if key_id(name, &key) != id {
            return Err(NoteError::BadKey(format!(
                "key id {id:08x} does not match the key"
            )));
        }
        Ok(NoteVerifier {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The key's name, which a checkpoint's origin line must equal.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's 32-bit id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The verifier key string.
    pub fn encode(&self) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, STANDARD.encode(bytes))
    }
}

fn parse_key_id(hex_id: &str) -> Result<u32, NoteError> {
    if hex_id.len() != 8 || !hex_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::BadKey(format!(
            "key id {hex_id:?} is not 8 hex digits"
        )));
    }
    u32::from_str_radix(hex_id, 16).map_err(|e| NoteError::BadKey(e.to_string()))
}

/// A note signer: a key name and an Ed25519 signing key.
#[derive(Debug, Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl NoteSigner {
    /// A signer for `name` with `key`.
    pub fn new(name: &str, key: SigningKey) -> Result<NoteSigner, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadKey(format!("invalid key name {name:?}")));
        }
        Ok(NoteSigner {
            name: name.to_owned(),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.
    pub fn parse(skey: &str) -> Result<NoteSigner, NoteError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| NoteError::BadKey("missing PRIVATE+KEY+ prefix".into()))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey("expected <name>+<id>+<key>".into()));
        };
        let id = parse_key_id(id)?;
        let bytes = STANDARD
            .decode(key)
            .map_err(|e| NoteError::BadKey(format!("key is not base64: {e}")))?;
        let seed: [u8; 32] = match bytes.split_first() {
            Some((&ALG_ED25519, rest)) => rest
                .try_into()
                .map_err(|_| NoteError::BadKey("Ed25519 seed is not 32 bytes".into()))?,
            _ => return Err(NoteError::BadKey("unsupported signature type".into())),
        };
        let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
        if signer.verifier().id != id {
            return Err(NoteError::BadKey("key id does not match the key".into()));
        }
        Ok(signer)
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        let key = self.key.verifying_key();
        NoteVerifier {
            name: self.name.clone(),
            id: key_id(&self.name, &key),
            key,
        }
    }

    /// Signs `text` (which must end with a newline) and returns the note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut blob = key_id(&self.name, &self.key.verifying_key())
            .to_be_bytes()
            .to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            STANDARD.encode(blob)
        ))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed(
            "text does not end with a newline".into(),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("text has control characters".into()));
    }
    Ok(())
}

/// Opens a signed note: returns its text when at least one signature by a
/// known key verifies. Signatures by unknown keys are ignored; a signature
/// by a known key that does not verify rejects the note.
pub fn open<'a>(note: &'a str, known: &[NoteVerifier]) -> Result<&'a str, NoteError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::Malformed(format!(
            "note is larger than {MAX_NOTE_BYTES} bytes"
        )));
    }
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
    let text = &note[..split + 1];
    let signatures = &note[split + 2..];
    check_text(text)?;
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature block is empty or unterminated".into(),
        ));
    }
    let mut verified = 0;
    for (n, line) in signatures.lines().enumerate() {
        if n >= MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures".into()));
        }
        let line = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| NoteError::Malformed(format!("bad signature line {line:?}")))?;
        let (name, b64) = line
            .split_once(' ')
            .ok_or_else(|| NoteError::Malformed("signature line without a signature".into()))?;
        if !valid_name(name) || b64.contains(' ') {
            return Err(NoteError::Malformed(format!(
                "bad signature line for {name:?}"
            )));
        }
        let blob = STANDARD
            .decode(b64)
            .map_err(|e| NoteError::Malformed(format!("signature is not base64: {e}")))?;
        if blob.len() < 5 {
            return Err(NoteError::Malformed("signature too short".into()));
        }
        let id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
        let Some(verifier) = known.iter().find(|v| v.name == name && v.id == id) else {
            continue;
        };
        let bad = || NoteError::BadSignature(format!("{name}+{id:08x}"));
        let sig: [u8; 64] = blob[4..].try_into().map_err(|_| bad())?;
        verifier
            .key
            .verify_strict(text.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| bad())?;
        verified += 1;
    }
    if verified == 0 {
        return Err(NoteError::NoKnownSignature);
    }
    Ok(text)
}

/// A C2SP tlog checkpoint: the log's origin, size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The origin line, which names the log.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the tree of that size.
    pub root: Hash,
    /// Extension lines, if any.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// Parses checkpoint text (the body of a signed note).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let bad = |m: &str| NoteError::BadCheckpoint(m.to_owned());
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("text does not end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size = lines.next().ok_or_else(|| bad("no tree size line"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad("tree size is not a decimal number"));
        }
        let size = size.parse().map_err(|_| bad("tree size out of range"))?;
        let root = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root = STANDARD
            .decode(root)
            .map_err(|_| bad("root hash is not base64"))?;
        let root: Hash = root
            .as_slice()
            .try_into()
            .map_err(|_| bad("root hash is not 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint as note text.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for e in &self.extensions {
            text.push_str(e);
            text.push('\n');
        }
        text
    }
}

/// Opens a signed checkpoint with the log's verifier: the signature must
/// verify and the origin must equal the key's name.
pub fn open_checkpoint(note: &str, log_key: &NoteVerifier) -> Result<Checkpoint, NoteError> {
    let text = open(note, std::slice::from_ref(log_key))?;
    let checkpoint = Checkpoint::parse(text)?;
    if checkpoint.origin != log_key.name {
        return Err(NoteError::BadCheckpoint(format!(
            "origin {:?} is not the log key's name {:?}",
            checkpoint.origin, log_key.name
        )));
    }
    Ok(checkpoint)
}
