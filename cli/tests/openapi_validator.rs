//! `/openapi.json`, with and without a token, passes a standard OpenAPI
//! validator: @seriousme/openapi-schema-validator (the official OpenAPI
//! 3.1 JSON Schema, and every `$ref` resolved), pinned in
//! `interop/openapi`. Ignored under plain `cargo test`: `.ci/run`
//! installs it (`npm ci`) and runs this test.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

/// Where the validator is installed.
fn validator_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop/openapi")
}

#[test]
#[ignore = "needs @seriousme/openapi-schema-validator: run .ci/run"]
fn openapi_json_passes_a_standard_openapi_validator() {
    let dir = validator_dir();
    assert!(
        dir.join("node_modules/@seriousme/openapi-schema-validator")
            .is_dir(),
        "the validator is not installed: (cd interop/openapi && npm ci)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let db = db.to_str().unwrap();
    let token = "openapi-test-token-0123456789";
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    let mut files = Vec::new();
    for (name, secured) in [("open.json", false), ("secured.json", true)] {
        let mut args = vec!["--db", db, "--addr", "127.0.0.1:0"];
        if secured {
            args.extend(["--token-file", token_file.to_str().unwrap()]);
        }
        let server = common::serve(&args);
        let bearer = format!("Bearer {token}");
        let answer = common::call(
            &server.addr,
            "/openapi.json",
            secured.then_some(bearer.as_str()),
        );
        server.stop();
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.body["components"]["securitySchemes"].is_object(),
            secured
        );
        let file = tmp.path().join(name);
        std::fs::write(&file, answer.body.to_string()).unwrap();
        files.push(file);
    }
    let out = Command::new("node")
        .arg(dir.join("validate.mjs"))
        .args(&files)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(said.matches("valid OpenAPI 3.1").count(), 2, "{said}");
}
