//! A test authority on loopback that counts what it is asked: every
//! request's path and start and end times, and the most requests in flight
//! at once. Used by `crawler/tests/authority_gate.rs` and, through
//! `#[path]`, by the store's fleet tests.
//!
//! Paths: `/robots.txt` and `/missing/...` answer 404, `/error/...` 500,
//! anything else 200 with the path as body; every answer waits `hold`
//! first.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// One request the authority answered.
#[derive(Debug, Clone)]
pub struct Hit {
    /// `Host` without port.
    pub host: String,
    /// Path and query.
    pub path: String,
    /// When its request head had arrived.
    pub start: Instant,
    /// When its answer had been written.
    pub end: Instant,
}

/// The running authority.
pub struct AuthorityServer {
    /// Its loopback port.
    pub port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    most: Arc<AtomicUsize>,
}

impl AuthorityServer {
    /// Starts one whose every answer waits `hold`.
    pub async fn start(hold: Duration) -> AuthorityServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let most = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (log, top) = (hits.clone(), most.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (log, top, in_flight) = (log.clone(), top.clone(), in_flight.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let start = Instant::now();
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    top.fetch_max(now, Ordering::SeqCst);
                    let head = String::from_utf8_lossy(&buf).into_owned();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let host = head
                        .lines()
                        .find_map(|l| {
                            l.split_once(':')
                                .filter(|(k, _)| k.eq_ignore_ascii_case("host"))
                                .map(|(_, v)| v.trim().split(':').next().unwrap_or("").to_owned())
                        })
                        .unwrap_or_default();
                    let status = if path == "/robots.txt" || path.starts_with("/missing/") {
                        404
                    } else if path.starts_with("/error/") {
                        500
                    } else {
                        200
                    };
                    tokio::time::sleep(hold).await;
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{path}",
                        path.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.flush().await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    log.lock().unwrap().push(Hit {
                        host,
                        path,
                        start,
                        end: Instant::now(),
                    });
                });
            }
        });
        AuthorityServer { port, hits, most }
    }

    /// Every request answered so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// How many times `path` (with query) was asked.
    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }

    /// The most requests in flight at once so far; resets the count.
    pub fn take_most_in_flight(&self) -> usize {
        self.most.swap(0, Ordering::SeqCst)
    }

    /// Forgets the requests answered so far.
    pub fn clear(&self) {
        self.hits.lock().unwrap().clear();
    }

    /// A trust list naming this server as one authority: its log and
    /// status lists on `auth.test`, its single window on `sw.test`, with
    /// `terms` (TOML lines such as `requests_per_second = 20`).
    pub fn trust_toml(&self, terms: &str) -> String {
        let port = self.port;
        format!(
            r#"
[[authority]]
id = "test-authority"
name = "Test authority"
country = "CN"
issuer = "did:web:auth.test"
log_url = "http://auth.test:{port}/log/"
log_key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
status_prefixes = ["http://auth.test:{port}/status/"]
single_window_url = "http://sw.test:{port}/"
portals = ["portal.test"]
{terms}

  [[authority.key]]
  id = "did:web:auth.test#key-1"
  public_key_multibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
"#
        )
    }
}

/// Checks that the start times `starts` (sorted) keep `interval` apart:
/// the k-th start after any other at least k intervals later, less
/// `slack` (a request may be sent late, never early).
pub fn assert_rate(starts: &[Instant], interval: Duration, slack: Duration) {
    for (i, a) in starts.iter().enumerate() {
        for (k, b) in starts[i + 1..].iter().enumerate() {
            let least = interval * (k as u32 + 1);
            assert!(
                *b - *a + slack >= least,
                "starts {i} and {} are {:?} apart, less than {least:?}",
                i + k + 1,
                *b - *a
            );
        }
    }
}
