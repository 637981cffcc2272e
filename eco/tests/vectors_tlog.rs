//! Transparency-log vectors: every transparency-dev/merkle inclusion and
//! consistency probe, the C2SP and golang/mod signed notes, real
//! sum.golang.org checkpoints and Google's Argon2020 CT log.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use eco::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use eco::note::{Checkpoint, NoteError, NoteSigner, NoteVerifier, open, open_checkpoint};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/tlog")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap_or_default()).unwrap()
}

fn b64_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(b64).collect())
        .unwrap_or_default()
}

fn collect(dir: &Path, out: &mut Vec<(PathBuf, Value)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push((path.clone(), read_json(&path)));
        }
    }
}

fn cases(kind: &str) -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    collect(&dir().join("transparency-dev-merkle").join(kind), &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_inclusion_probe_agrees() {
    let cases = cases("inclusion");
    assert!(cases.len() >= 90, "{} inclusion probes", cases.len());
    for (path, case) in cases {
        let result = verify_inclusion(
            &b64(&case["leafHash"]),
            case["leafIdx"].as_u64().unwrap(),
            case["treeSize"].as_u64().unwrap(),
            &b64_list(&case["proof"]),
            &b64(&case["root"]),
        );
        let want_err = case["wantErr"].as_bool().unwrap();
        assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
    }
}

#[test]
fn every_consistency_probe_agrees() {
    let cases = cases("consistency");
    assert!(cases.len() >= 90, "{} consistency probes", cases.len());
    for (path, case) in cases {
        let result = verify_consistency(
            case["size1"].as_u64().unwrap(),
            case["size2"].as_u64().unwrap(),
            &b64_list(&case["proof"]),
            &b64(&case["root1"]),
            &b64(&case["root2"]),
        );
        let want_err = case["wantErr"].as_bool().unwrap();
        assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
    }
}

#[test]
fn argon2020_inclusion_and_consistency_verify() {
    let base = dir().join("golang-mod-argon2020");
    let sth = read_json(&base.join("sth.json"));
    let size = sth["tree_size"].as_u64().unwrap();
    let root = b64(&sth["sha256_root_hash"]);
    let entries = read_json(&base.join("entries.json"));
    let leaf = leaf_hash(&b64(&entries["entries"][0]["leaf_input"]));
    let proof = read_json(&base.join("proof.json"));
    let index = proof["leaf_index"].as_u64().unwrap();
    let path = b64_list(&proof["audit_path"]);
    assert_eq!(verify_inclusion(&leaf, index, size, &path, &root), Ok(()));
    assert!(verify_inclusion(&leaf, index + 1, size, &path, &root).is_err());

    let consistency = b64_list(&read_json(&base.join("consistency.json"))["consistency"]);
    let old_root = STANDARD
        .decode("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=")
        .unwrap();
    assert_eq!(
        verify_consistency(3_654_490, size, &consistency, &old_root, &root),
        Ok(())
    );
    assert!(verify_consistency(3_654_491, size, &consistency, &old_root, &root).is_err());
}

fn notes() -> Value {
    read_json(&dir().join("signed_notes.json"))
}

fn verifier(notes: &Value, name: &str) -> NoteVerifier {
    NoteVerifier::parse(notes["vkeys"][name]["vkey"].as_str().unwrap()).unwrap()
}

#[test]
fn every_verifier_key_parses_and_round_trips() {
    let notes = notes();
    for (name, entry) in notes["vkeys"].as_object().unwrap() {
        let vkey = entry["vkey"].as_str().unwrap();
        let parsed = NoteVerifier::parse(vkey).unwrap();
        assert_eq!(parsed.name(), name);
        assert_eq!(parsed.encode(), vkey);
        if let Some(skey) = entry.get("skey").and_then(Value::as_str) {
            assert_eq!(NoteSigner::parse(skey).unwrap().verifier(), parsed);
        }
    }
    // A key id that does not match the key is refused.
    let good = notes["vkeys"]["PeterNeumann"]["vkey"].as_str().unwrap();
    assert!(NoteVerifier::parse(&good.replace("c74f20a3", "c74f20a4")).is_err());
    assert!(NoteVerifier::parse("no-plus-signs").is_err());
}

#[test]
fn every_signed_note_behaves_as_expected() {
    let notes = notes();
    let cases = notes["signed_notes"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let known: Vec<NoteVerifier> = case["verify_with"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| verifier(&notes, n.as_str().unwrap()))
            .collect();
        let note = case["note"].as_str().unwrap();
        let result = open(note, &known);
        if case["expect"].as_str().unwrap().starts_with("valid") {
            let text = result.unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(note.starts_with(text), "{id}");
            // Each known key alone opens it too; the other signature is ignored.
            for key in &known {
                assert!(open(note, std::slice::from_ref(key)).is_ok(), "{id}");
            }
        } else {
            assert!(
                matches!(result, Err(NoteError::BadSignature(_))),
                "{id}: {result:?}"
            );
        }
        if id.starts_with("sumdb-checkpoint") {
            let checkpoint = Checkpoint::parse(open(note, &known).unwrap()).unwrap();
            assert_eq!(checkpoint.origin, "go.sum database tree");
            assert!(id.ends_with(&checkpoint.size.to_string()), "{id}");
            // The Go checksum database names its origin differently from its
            // key; the e-CO contract requires them to be equal, so as an
            // e-CO log checkpoint it is refused.
            assert!(matches!(
                open_checkpoint(note, &known[0]),
                Err(NoteError::BadCheckpoint(_))
            ));
        }
    }
}

#[test]
fn notes_without_a_known_signature_are_refused() {
    let notes = notes();
    let peter_note = notes["signed_notes"][1]["note"].as_str().unwrap();
    let enoch = verifier(&notes, "EnochRoot");
    assert_eq!(open(peter_note, &[enoch]), Err(NoteError::NoKnownSignature));
    assert!(open("no signatures at all\n", &[]).is_err());
    assert!(open("", &[]).is_err());
}

#[test]
fn checkpoint_format_matches_the_go_tree_format() {
    let notes = notes();
    let format = &notes["gomod_tree_format"];
    let text = format["formatted"].as_str().unwrap();
    let checkpoint = Checkpoint::parse(text).unwrap();
    assert_eq!(checkpoint.size, format["tree_size"].as_u64().unwrap());
    assert_eq!(checkpoint.root.to_vec(), b64(&format["record_hash_b64"]));
    assert_eq!(checkpoint.to_text(), text);
    let example = notes["c2sp_checkpoint_example_unverifiable"]["note"]
        .as_str()
        .unwrap();
    let body = &example[..example.find("\n\n").unwrap() + 1];
    assert_eq!(Checkpoint::parse(body).unwrap().size, 20_852_163);
    for bad in [
        "origin\n",
        "origin\n01\nAAAA\n",
        "origin\n5\nnot base64!\n",
        "origin\n5\nAAAA\n",
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    ] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn sign_then_open_round_trips() {
    let signer = NoteSigner::new(
        "log.example/eco",
        ed25519_dalek::SigningKey::from_bytes(&[3; 32]),
    )
    .unwrap();
    let note = signer
        .sign("log.example/eco\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        .unwrap();
    let checkpoint = open_checkpoint(&note, &signer.verifier()).unwrap();
    assert_eq!(checkpoint.size, 3);
    let tampered = note.replacen("\n3\n", "\n4\n", 1);
    assert!(matches!(
        open(&tampered, &[signer.verifier()]),
        Err(NoteError::BadSignature(_))
    ));
    assert!(signer.sign("no newline").is_err());
}
