//! Requests that originate from the buyer's trust list (its own Ethereum
//! node) against requests a supplier's site leads to, on the same
//! loopback host: the trusted POST reaches the private address, skips
//! robots.txt and the per-host delay and follows no redirect; a supplier's
//! URL naming that host stays refused by the address guard.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crawler::polite::{PoliteFetcher, Politeness};
use crawler::{FetchPolicy, HttpFetcher};
use eco::{FetchError, Fetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// What the node saw: method, path, content type and body of each request.
type Log = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A loopback "node": answers POST /rpc with a JSON-RPC result, /moved
/// with a redirect, and /robots.txt with a disallow-all.
async fn node() -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            l.split_once(':')
                                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                                .map(|(_, v)| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let mut words = head.split_whitespace();
                let method = words.next().unwrap_or_default().to_owned();
                let path = words.next().unwrap_or_default().to_owned();
                let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
                seen.lock()
                    .unwrap()
                    .push((method, path.clone(), header("content-type"), body));
                let (status, extra, body) = match path.as_str() {
                    "/rpc" => (
                        "200 OK",
                        "content-type: application/json\r\n",
                        r#"{"jsonrpc":"2.0","id":1,"result":"0x539"}"#,
                    ),
                    "/moved" => ("307 Moved", "location: /rpc\r\n", ""),
                    "/robots.txt" => (
                        "200 OK",
                        "content-type: text/plain\r\n",
                        "User-agent: *\nDisallow: /\n",
                    ),
                    _ => ("404 Not Found", "", ""),
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, log)
}

fn guarded() -> HttpFetcher {
    HttpFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    })
    .unwrap()
}

#[tokio::test]
async fn the_trust_lists_node_is_reached_and_a_suppliers_url_to_it_is_not() {
    let (port, log) = node().await;
    let rpc = Url::parse(&format!("http://127.0.0.1:{port}/rpc")).unwrap();
    let http = guarded();
    let answer = http
        .post_trusted_json(
            &rpc,
            br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(
        eco::openattestation::rpc::read_chain_id(&answer.body),
        Ok(1337)
    );
    {
        let seen = log.lock().unwrap();
        let (method, path, content_type, body) = &seen[0];
        assert_eq!((method.as_str(), path.as_str()), ("POST", "/rpc"));
        assert_eq!(content_type, "application/json");
        assert!(body.contains("eth_chainId"), "{body}");
    }
    // The same URL, had a supplier's page given it, is refused unsent.
    let refused = http.get(&rpc, "*/*").await;
    assert!(
        matches!(refused, Err(FetchError::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 1);
    // A redirect from the node is not followed.
    let moved = Url::parse(&format!("http://127.0.0.1:{port}/moved")).unwrap();
    let redirected = http.post_trusted_json(&moved, b"{}".to_vec()).await;
    assert!(
        matches!(redirected, Err(FetchError::Refused(_))),
        "{redirected:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 2);
    // By name, through the resolver: the guard drops loopback addresses
    // for a supplier's URL, not for the trust list's.
    let by_name = Url::parse(&format!("http://localhost:{port}/rpc")).unwrap();
    let answer = http
        .post_trusted_json(&by_name, b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    let refused = http.get(&by_name, "*/*").await;
    assert!(
        matches!(refused, Err(FetchError::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 3);
    // Only http(s).
    let file = Url::parse("file:///etc/passwd").unwrap();
    assert!(matches!(
        http.post_trusted_json(&file, b"{}".to_vec()).await,
        Err(FetchError::Refused(_))
    ));
}

#[tokio::test]
async fn the_polite_fetcher_asks_the_node_without_robots_or_delay() {
    let (port, log) = node().await;
    let polite = PoliteFetcher::new(
        HttpFetcher::new(FetchPolicy {
            timeout: Duration::from_secs(5),
            allow_private: true,
            ..FetchPolicy::default()
        })
        .unwrap(),
        Politeness {
            delay: Duration::from_secs(10),
            ..Politeness::default()
        },
    );
    let rpc = Url::parse(&format!("http://127.0.0.1:{port}/rpc")).unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        let answer = polite
            .post_trusted_json(&rpc, b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "three calls took {:?}: the per-host delay applied",
        started.elapsed()
    );
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|(_, path, ..)| path == "/rpc"),
        "robots.txt was asked: {seen:?}"
    );
    // A supplier's GET of the same host goes through robots.txt, which
    // disallows it.
    let page = Url::parse(&format!("http://127.0.0.1:{port}/page")).unwrap();
    assert!(polite.get(&page, "*/*").await.is_err());
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|(_, path, ..)| path == "/robots.txt")
    );
}
