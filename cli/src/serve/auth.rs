//! The API's bearer token: read from a file, required on every route but
//! `/healthz`, compared in constant time.
//!
//! The token reaches the process as a file (a Kubernetes Secret mounted
//! as a file, a file only the service user can read), never as an
//! argument or a variable that `ps` or a crash report would show, and it
//! is never logged nor kept in a run's settings.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq as _;

use super::body::Problem;

/// Fewest bytes a token may have: 16 random bytes of text are beyond
/// guessing; fewer are likely a placeholder.
pub const MIN_TOKEN_BYTES: usize = 16;
/// Largest token file read: a token file holds a token, not a document.
pub const MAX_TOKEN_FILE_BYTES: u64 = 4096;
/// The `WWW-Authenticate` challenge of a 401 (RFC 6750).
pub const CHALLENGE: &str = "Bearer realm=\"ecoscout\"";

/// A bearer token. Its `Debug` does not show it.
#[derive(Clone)]
pub struct Token(Arc<[u8]>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    /// A token from text: surrounding whitespace trimmed, at least
    /// [`MIN_TOKEN_BYTES`], visible ASCII only (what an `Authorization`
    /// header carries). `from` names where it came from in errors.
    pub fn new(text: &[u8], from: &str) -> Result<Token, String> {
        let token = text.trim_ascii();
        if token.is_empty() {
            return Err(format!("the token file {from} is empty"));
        }
        if token.len() < MIN_TOKEN_BYTES {
            return Err(format!(
                "the token in {from} has {} bytes; it needs at least {MIN_TOKEN_BYTES} (for example 32 random bytes, hex-encoded)",
                token.len()
            ));
        }
        if !token.iter().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "the token in {from} must be visible ASCII without spaces (what an Authorization header can carry)"
            ));
        }
        Ok(Token(token.into()))
    }

    /// Whether `given` is this token, in time that does not depend on
    /// where they differ.
    pub fn matches(&self, given: &[u8]) -> bool {
        bool::from(self.0.as_ref().ct_eq(given))
    }
}

/// Reads a token file (`--token-file`): at most [`MAX_TOKEN_FILE_BYTES`],
/// then as [`Token::new`]. Its errors name the file and never the token.
pub fn read_token_file(path: &str) -> Result<Token, String> {
    let file = std::fs::File::open(Path::new(path))
        .map_err(|e| format!("cannot read the token file {path}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_TOKEN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the token file {path}: {e}"))?;
    if bytes.len() as u64 > MAX_TOKEN_FILE_BYTES {
        return Err(format!(
            "the token file {path} is larger than {MAX_TOKEN_FILE_BYTES} bytes: it should hold only the token"
        ));
    }
    Token::new(&bytes, path)
}

/// The token of `--token-file`, read when the command starts (not when its
/// arguments are parsed, so that a command line can be checked without
/// the file, as the deployment test does); None without the flag.
pub fn load_token(path: Option<&Path>) -> Result<Option<Token>, String> {
    path.map(|p| read_token_file(&p.display().to_string()))
        .transpose()
}

/// Refuses to serve beyond loopback without a token: anyone who can reach
/// the address could read the store.
pub fn require_token_beyond_loopback(
    addr: SocketAddr,
    token: Option<&Token>,
) -> Result<(), String> {
    if token.is_none() && !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address: serving beyond this machine needs --token-file FILE (a file holding the bearer token clients send)"
        ));
    }
    Ok(())
}

/// The 401 answer: a challenge and a JSON body saying what was wrong.
fn unauthorized(error: &str, invalid: bool) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(Problem {
            error: error.to_owned(),
        }),
    )
        .into_response();
    let challenge = if invalid {
        format!("{CHALLENGE}, error=\"invalid_token\"")
    } else {
        CHALLENGE.to_owned()
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Middleware: passes a request with `Authorization: Bearer <token>`,
/// answers 401 to any other.
pub async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let Some(given) = given else {
        return unauthorized("this API needs Authorization: Bearer <token>", false);
    };
    // The scheme is case-insensitive (RFC 9110 section 11.1).
    let credentials = match given.split_at_checked(7) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case(b"bearer ") => rest.trim_ascii(),
        _ => return unauthorized("this API needs Authorization: Bearer <token>", false),
    };
    if !token.matches(credentials) {
        return unauthorized("the bearer token is not this API's", true);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_trimmed_and_must_be_long_visible_text() {
        let token = Token::new(b"  0123456789abcdef\n", "t").unwrap();
        assert!(token.matches(b"0123456789abcdef"));
        assert!(!token.matches(b"0123456789abcdeF"));
        assert!(!token.matches(b"0123456789abcde"));
        assert!(!token.matches(b""));
        assert!(Token::new(b" \n\t", "t").unwrap_err().contains("empty"));
        let short = Token::new(b"0123456789abcde", "t").unwrap_err();
        assert!(
            short.contains("15 bytes") && short.contains("16"),
            "{short}"
        );
        assert!(Token::new(b"0123456789 abcdef", "t").is_err());
        assert!(Token::new("0123456789abcdefé".as_bytes(), "t").is_err());
        assert_eq!(format!("{token:?}"), "Token(***)");
    }

    #[test]
    fn token_files_are_bounded_and_their_errors_name_the_file_not_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let path_text = path.to_str().unwrap();
        std::fs::write(&path, "s3cr3t-but-short").unwrap();
        assert!(read_token_file(path_text).is_ok());
        std::fs::write(&path, "s3cr3t").unwrap();
        let e = read_token_file(path_text).unwrap_err();
        assert!(e.contains(path_text) && !e.contains("s3cr3t"), "{e}");
        std::fs::write(&path, "x".repeat(MAX_TOKEN_FILE_BYTES as usize + 1)).unwrap();
        assert!(read_token_file(path_text).unwrap_err().contains("larger"));
        let missing = read_token_file("/nonexistent/token").unwrap_err();
        assert!(missing.contains("/nonexistent/token"), "{missing}");
    }

    #[test]
    fn only_loopback_may_go_without_a_token() {
        let token = Token::new(b"0123456789abcdef", "t").unwrap();
        for addr in ["127.0.0.1:8080", "[::1]:8080", "127.0.0.2:1"] {
            assert!(require_token_beyond_loopback(addr.parse().unwrap(), None).is_ok());
        }
        for addr in ["0.0.0.0:8080", "[::]:8080", "192.0.2.1:80"] {
            let e = require_token_beyond_loopback(addr.parse().unwrap(), None).unwrap_err();
            assert!(e.contains("--token-file"), "{e}");
            assert!(require_token_beyond_loopback(addr.parse().unwrap(), Some(&token)).is_ok());
        }
    }
}
