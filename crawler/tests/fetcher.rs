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
use tokio::net::TcpListener;
use url::Url;

mod common;
use common::{Request, response, serve};

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
                ..Default::default()
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

#[tokio::test]
async fn a_robots_txt_that_failed_is_read_again_after_a_while() {
    use crawler::fetch::HttpRequest;
    use crawler::polite::{NetError, PoliteFetcher, Politeness};
    use std::sync::atomic::{AtomicUsize, Ordering};

    let (listener, port) = listener().await;
    // robots.txt fails (503, all retries included) the first time it is
    // asked, then answers.
    let robots_asked = Arc::new(AtomicUsize::new(0));
    let asked = robots_asked.clone();
    serve(
        listener,
        Arc::new(move |r: &Request| match r.path.as_str() {
            "/robots.txt" if asked.fetch_add(1, Ordering::SeqCst) < 4 => {
                response(503, &[], b"busy")
            }
            "/robots.txt" => response(200, &[], b"User-agent: *\nDisallow: /private\n"),
            _ => response(200, &[("content-type", "text/html")], b"<p>up</p>"),
        }),
    );
    let retry_after = Duration::from_millis(300);
    let polite = PoliteFetcher::new(
        fetcher(Duration::from_secs(2)),
        Politeness {
            delay: Duration::ZERO,
            retry_backoff: Duration::from_millis(5),
            robots_retry_after: retry_after,
            ..Politeness::default()
        },
    );
    let get =
        |path: &str| polite.request(HttpRequest::get(url(port, "busy.test", path), "*/*"), None);
    assert!(matches!(get("/").await, Err(NetError::Robots { .. })));
    assert!(
        matches!(get("/").await, Err(NetError::Robots { .. })),
        "shut until the retry time"
    );
    assert_eq!(robots_asked.load(Ordering::SeqCst), 4);
    tokio::time::sleep(retry_after).await;
    assert_eq!(get("/").await.unwrap().status, 200);
    assert!(matches!(
        get("/private").await,
        Err(NetError::Robots { .. })
    ));
    assert_eq!(robots_asked.load(Ordering::SeqCst), 5, "read again once");
}
