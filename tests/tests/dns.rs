//! Name resolution through hickory's resolver against a real DNS server on
//! loopback (Debian's dnsmasq; `scripts/test` installs it and runs the
//! tests named `dns_*`). TXT records are read whole, a name without records
//! or without existence answers empty, and a server that never answers ends
//! in an error within the DNS time limit (which verification records as
//! "not checked"). Requests resolve their hosts through the same kind of
//! server: a private answer is refused unless the name is one of
//! `--private-names`, and IP literals stay guarded.
//!
//! The TXT tests start a dnsmasq of their own with the records they read;
//! the host test uses the server `scripts/test` starts for the simulated
//! world, which answers only `*.test` addresses.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::dns::{dnsmasq, free_port, test_dns};
use crawler::dns::{DNS_TIMEOUT, NameResolver};

const STORE: &str = "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab";

#[tokio::test]
#[ignore = "needs dnsmasq: run scripts/test"]
async fn dns_txt_records_come_from_the_named_server() {
    let record = format!("openatts net=ethereum netId=1337 addr={STORE}");
    // A record longer than one 255-byte string is split by the server and
    // joined again by the reader.
    let long = format!("openatts {} end", "x".repeat(300));
    let server = dnsmasq(&[
        ("chamber.test", "v=spf1 -all"),
        ("chamber.test", &record),
        ("long.test", &long),
    ]);
    let resolver = NameResolver::new(Some(server.address));
    // Wait for the server to listen (bounded).
    let started = Instant::now();
    let records = loop {
        match resolver.txt_records("chamber.test").await {
            Ok(records) if !records.is_empty() => break records,
            _ if started.elapsed() > Duration::from_secs(20) => {
                panic!("dnsmasq did not answer within 20 s")
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let mut sorted = records.clone();
    sorted.sort();
    assert_eq!(sorted, vec![record.clone(), "v=spf1 -all".to_owned()]);
    assert_eq!(resolver.txt_records("long.test").await.unwrap(), vec![long]);
    // A trailing dot is the same name.
    assert_eq!(
        resolver.txt_records("chamber.test.").await.unwrap().len(),
        2
    );
    // No such name, or a name without TXT records: an empty answer.
    assert_eq!(
        resolver.txt_records("nobody.test").await.unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_silent_server_is_an_error_within_the_time_limit() {
    // A port where nothing listens: no answer ever comes.
    let silent = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let resolver = NameResolver::new(Some(silent));
    let started = Instant::now();
    let result = resolver.txt_records("chamber.test").await;
    assert!(result.is_err(), "{result:?}");
    assert!(
        started.elapsed() <= DNS_TIMEOUT + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
#[ignore = "needs dnsmasq: run scripts/test"]
async fn dns_verification_reports_what_the_issuers_domain_says() {
    use eco::openattestation::digest::target_hash;
    use eco::openattestation::identity::IdentityOutcome;
    use serde_json::json;

    let record = format!("openatts net=ethereum netId=1337 addr={STORE}");
    let server = dnsmasq(&[("chamber.test", &record)]);
    let http = crawler::HttpFetcher::new(crawler::FetchPolicy {
        dns_server: Some(server.address),
        ..crawler::FetchPolicy::default()
    })
    .unwrap();
    let trust = eco::TrustList::from_toml(
        &format!(
            "[[ethereum]]\nchain_id = 1337\nrpc_url = \"http://127.0.0.1:{}/\"\n\n\
             [[authority]]\nid = \"au\"\nname = \"Demo\"\ncountry = \"AU\"\n\
             [[authority.document_store]]\nchain_id = 1337\naddress = \"{STORE}\"\n",
            free_port()
        ),
        "trust.toml",
    )
    .unwrap();
    let verifier = eco::Verifier::new(std::sync::Arc::new(trust), http);
    let document = |location: &str| {
        let data = json!({
            "iD": "a:string:CO-1",
            "issuers": [{"name": "b:string:Demo", "documentStore": format!("c:string:{STORE}"),
                "identityProof": {"type": "d:string:DNS-TXT", "location": format!("e:string:{location}")}}]
        });
        let target = hex::encode(target_hash(data.as_object().unwrap(), &[]).unwrap());
        json!({"version": eco::openattestation::SCHEMA_V2, "data": data,
            "signature": {"type": "SHA3MerkleProof", "targetHash": target, "proof": [], "merkleRoot": target}})
    };
    // The verifier caches every lookup for the run, a failed one too: ask
    // only once the server answers.
    server.ready().await;
    let report = verifier
        .verify_value(&document("chamber.test"), None)
        .await
        .unwrap();
    let identity = report.identity[0].clone();
    assert_eq!(identity.outcome, IdentityOutcome::Confirmed, "{identity:?}");
    let report = verifier
        .verify_value(&document("nobody.test"), None)
        .await
        .unwrap();
    assert_eq!(report.identity[0].outcome, IdentityOutcome::NotConfirmed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dnsmasq: run scripts/test"]
async fn dns_hosts_resolve_through_the_named_server_and_stay_guarded() {
    use eco::Fetcher as _;

    let server = test_dns();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    let fetcher = |private: &[&str]| {
        crawler::HttpFetcher::new(crawler::FetchPolicy {
            dns_server: Some(server),
            private_names: private.iter().map(|p| p.parse().unwrap()).collect(),
            timeout: Duration::from_secs(10),
            ..crawler::FetchPolicy::default()
        })
        .unwrap()
    };
    let url = |host: &str| url::Url::parse(&format!("http://{host}:{port}/")).unwrap();
    // Named as a private name: its loopback answer is allowed.
    // (The server already listens: scripts/test started it before the tests.)
    let allowed = fetcher(&["*.acme.test", "acme.test"]);
    let body = allowed.get(&url("acme.test"), "text/html").await;
    assert_eq!(body.unwrap().body, b"ok");
    let www = allowed.get(&url("www.acme.test"), "text/html").await;
    assert_eq!(www.unwrap().body, b"ok");
    // Another name that resolves to loopback is refused.
    let other = allowed.get(&url("other.test"), "text/html").await;
    let error = other.expect_err("not a private name").to_string();
    assert!(error.contains("non-public"), "{error}");
    let guarded = fetcher(&[]).get(&url("acme.test"), "text/html").await;
    let error = guarded
        .expect_err("a private answer must be refused")
        .to_string();
    assert!(error.contains("non-public"), "{error}");
    // An IP literal stays guarded whatever the private names.
    let literal = allowed.get(&url("127.0.0.1"), "text/html").await;
    assert!(literal.is_err(), "{literal:?}");
}
