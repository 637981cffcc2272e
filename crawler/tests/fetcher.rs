//! The fetcher over loopback: `--resolve` rules, the address guard on
//! redirects, size and time caps, the user agent, and independent
//! verification of a credential against an issuing side served over HTTP.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crawler::{FetchPolicy, HttpFetcher};
use eco::issue::{CertificateOfOrigin, IssuingAuthority, RegistryStatus, SingleWindow};
use eco::trust::{TrustList, TrustListFile};
use eco::{FetchError, Fetcher, Verdict, Verifier};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use url::Url;

/// A request as the test server saw it.
struct Request {
    host: String,
    path: String,
    query: Option<String>,
}

type Handler = Arc<dyn Fn(&Request) -> Vec<u8> + Send + Sync>;
type Seen = Arc<Mutex<Vec<String>>>;

/// A minimal HTTP/1.1 server, one request per connection; `/drip` sends a
/// byte every 200 ms. Returns the log of `host path user-agent` lines.
fn serve(listener: TcpListener, handler: Handler) -> Seen {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            l.split_once(':')
                                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                                .map(|(_, v)| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
                    None => (target.clone(), None),
                };
                let host = header("host")
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                log.lock()
                    .unwrap()
                    .push(format!("{host} {target} {}", header("user-agent")));
                if path == "/drip" {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n")
                        .await;
                    for _ in 0..100 {
                        if stream.write_all(b"x").await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    return;
                }
                let response = handler(&Request { host, path, query });
                let _ = stream.write_all(&response).await;
            });
        }
    });
    seen
}

fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

fn fetcher(timeout: Duration) -> HttpFetcher {
    HttpFetcher::new(FetchPolicy {
        timeout,
        max_body_bytes: 1024 * 1024,
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
        ..FetchPolicy::default()
    })
    .unwrap()
}

async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn url(port: u16, host: &str, path: &str) -> Url {
    Url::parse(&format!("http://{host}:{port}{path}")).unwrap()
}

#[tokio::test]
async fn caps_redirects_and_the_guard_hold_over_loopback() {
    let (listener, port) = listener().await;
    let seen = serve(
        listener,
        Arc::new(|r: &Request| match r.path.as_str() {
            "/ok" => response(200, &[("content-type", "text/plain")], b"hello"),
            "/big" => response(200, &[], &vec![b'a'; 2 * 1024 * 1024]),
            "/bomb" => {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gz.write_all(&vec![0u8; 8 * 1024 * 1024]).unwrap();
                response(200, &[("content-encoding", "gzip")], &gz.finish().unwrap())
            }
            "/loop" => response(302, &[("location", "/loop2")], b""),
            "/loop2" => response(302, &[("location", "/loop")], b""),
            "/to-loopback" => response(302, &[("location", "http://127.0.0.1:9/secret")], b""),
            "/hop" => response(301, &[("location", "/ok")], b""),
            _ => response(404, &[], b"no"),
        }),
    );
    let f = fetcher(Duration::from_secs(2));

    let ok = f
        .get(&url(port, "supplier.test", "/ok"), "*/*")
        .await
        .unwrap();
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"hello"[..]));
    let hop = f
        .get(&url(port, "supplier.test", "/hop"), "*/*")
        .await
        .unwrap();
    assert_eq!(hop.url.path(), "/ok");
    assert_eq!(hop.body, b"hello");

    let big = f
        .get(&url(port, "supplier.test", "/big"), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(big, FetchError::TooLarge { .. }), "{big:?}");
    let bomb = f
        .get(&url(port, "supplier.test", "/bomb"), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(bomb, FetchError::TooLarge { .. }), "{bomb:?}");
    let looped = f
        .get(&url(port, "supplier.test", "/loop"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(looped, FetchError::Refused(ref m) if m.contains("redirects")),
        "{looped:?}"
    );
    let ssrf = f
        .get(&url(port, "supplier.test", "/to-loopback"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(ssrf, FetchError::Refused(ref m) if m.contains("127.0.0.1")),
        "{ssrf:?}"
    );

    let started = Instant::now();
    let slow = fetcher(Duration::from_millis(800))
        .get(&url(port, "supplier.test", "/drip"), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(slow, FetchError::Timeout { .. }), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // The same server by IP literal is refused: only the user's --resolve
    // rules may lead to loopback.
    let literal = Url::parse(&format!("http://127.0.0.1:{port}/ok")).unwrap();
    assert!(matches!(
        f.get(&literal, "*/*").await,
        Err(FetchError::Refused(_))
    ));

    let seen = seen.lock().unwrap();
    assert!(!seen.iter().any(|l| l.contains("/secret")));
    assert!(seen.iter().all(|l| l.contains("ecoscout/")), "{seen:?}");
}

#[tokio::test]
async fn verifies_a_credential_against_authorities_served_over_http() {
    let (listener, port) = listener().await;
    let sw = format!("http://sw.test:{port}/");
    let mut authority = IssuingAuthority::new(
        "cn-ccpit",
        "CCPIT",
        "CN",
        &format!("http://eco.ccpit.test:{port}/"),
        &sw,
        "k",
    )
    .unwrap();
    let cert = CertificateOfOrigin {
        number: "RCEP-CN-2026-000001".into(),
        exporter_name: "Example Electric".into(),
        exporter_country: "CN".into(),
        exporter_website: "https://www.example-electric.test/".into(),
        importer_name: "Importer".into(),
        importer_country: "VN".into(),
        issue_date: "2026-06-12".into(),
        valid_from: "2026-06-12T00:00:00Z".into(),
        valid_until: "2027-06-11T23:59:59Z".into(),
        hs_code: "8504.40".into(),
        description: "Adapters".into(),
        single_window_reference: "ASW-1".into(),
    };
    let credential = authority.issue(&cert, 7).unwrap();
    authority.anchor(&credential).unwrap();
    let mut registry = SingleWindow::new();
    registry
        .register(&credential, RegistryStatus::Valid)
        .unwrap();
    let trust = Arc::new(
        TrustList::from_file(
            &TrustListFile {
                authority: vec![authority.trust_entry()],
            },
            "t",
        )
        .unwrap(),
    );
    let authority = Mutex::new(authority);
    let seen = serve(
        listener,
        Arc::new(move |r: &Request| {
            let path = r.path.trim_start_matches('/');
            let answer = if r.host == "sw.test" {
                registry.answer(path)
            } else {
                authority.lock().unwrap().answer(path, r.query.as_deref())
            };
            match answer {
                Some(a) => response(a.status, &[("content-type", a.content_type)], &a.body),
                None => response(404, &[], b"not found"),
            }
        }),
    );

    let verifier = Verifier::new(trust, fetcher(Duration::from_secs(5)))
        .at("2026-11-25T00:00:00Z".parse().unwrap());
    let report = verifier
        .verify_value(&credential, Some("example-electric.test"))
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Verified, "{}", report.reason);
    let seen = seen.lock().unwrap();
    for path in [
        "/log/checkpoint",
        "/log/proof?digest=",
        "/status/1",
        "/v1/certificates/RCEP-CN-2026-000001",
    ] {
        assert!(
            seen.iter().any(|l| l.contains(path)),
            "{path} not requested: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_host_that_stays_down_is_not_retried_until_it_answers() {
    use crawler::fetch::HttpRequest;
    use crawler::polite::{PoliteFetcher, Politeness};

    let (listener, port) = listener().await;
    let seen = serve(
        listener,
        Arc::new(|r: &Request| match r.path.as_str() {
            "/robots.txt" => response(404, &[], b""),
            p if p.starts_with("/api/") => response(503, &[], b"down"),
            _ => response(200, &[("content-type", "text/html")], b"<p>up</p>"),
        }),
    );
    let polite = PoliteFetcher::new(
        fetcher(Duration::from_secs(2)),
        Politeness {
            delay: Duration::ZERO,
            retry_backoff: Duration::from_millis(5),
            ..Politeness::default()
        },
    );
    let get =
        |path: &str| polite.request(HttpRequest::get(url(port, "down.test", path), "*/*"), None);
    let count = |path: &str| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|l| l.split(' ').nth(1) == Some(path))
            .count()
    };
    assert_eq!(get("/api/a").await.unwrap().status, 503);
    assert_eq!(count("/api/a"), 4, "first failure: 1 try and 3 retries");
    assert_eq!(get("/api/b").await.unwrap().status, 503);
    assert_eq!(count("/api/b"), 1, "the host is known to be failing");
    assert_eq!(get("/").await.unwrap().status, 200);
    assert_eq!(get("/api/c").await.unwrap().status, 503);
    assert_eq!(
        count("/api/c"),
        4,
        "a success gives the host its retries back"
    );
}
