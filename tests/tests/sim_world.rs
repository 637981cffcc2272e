//! The simulated web against its own ground truth: every credential a
//! supplier shows verifies with the `eco` crate exactly as `truth.jsonl`
//! says, every profile appears, the files are deterministic, and the server
//! survives bad input.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use eco::openattestation::link::{decrypt, parse_link};
use eco::{Exporter, FetchError, Fetcher, TrustList, Verifier};
use sim::{HostileKind, Profile, SimOptions, SimWorld, World, WorldConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use url::Url;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_credential_verifies_as_the_truth_says() {
    let dir = tempfile::tempdir().unwrap();
    let world = SimWorld::start(SimOptions {
        suppliers: 220,
        seed: 11,
        out_dir: Some(dir.path().into()),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let truth = common::truth_by_domain(dir.path())
        .into_values()
        .collect::<Vec<_>>();
    assert_eq!(truth.len(), 220);
    for line in &truth {
        let keys: BTreeSet<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "certificates",
                "cert_page",
                "cert_page_variant",
                "documents",
                "domain",
                "entry_kinds",
                "must_not_request",
                "profile",
                "red_flag"
            ]
            .into_iter()
            .collect()
        );
    }

    let profiles: BTreeSet<&str> = truth
        .iter()
        .map(|t| t["profile"].as_str().unwrap())
        .collect();
    for p in Profile::ORDINARY {
        assert!(profiles.contains(p.name()), "profile {} missing", p.name());
    }

    let trust = Arc::new(TrustList::load(&dir.path().join("trust.toml")).unwrap());
    let fetcher = common::loopback_fetcher(Duration::from_secs(10));
    let verifier = Verifier::new(trust, fetcher.clone());
    let mut checked = 0;
    let mut verdicts = BTreeSet::new();
    for line in &truth {
        let domain = line["domain"].as_str().unwrap();
        // The supplier's name, as seeds.csv gives it to the crawler: a
        // TradeTrust document names its exporter, not its website.
        let name = world.world().supplier_by_host(domain).unwrap().name;
        for cert in line["certificates"].as_array().unwrap() {
            let url = Url::parse(cert["url"].as_str().unwrap()).unwrap();
            // A TradeTrust verification link: the document it names,
            // decrypted with the key it carries.
            let document = match parse_link(&url) {
                Some(link) => {
                    let link = link.unwrap();
                    let response = fetcher.get(&link.uri, "application/json").await.unwrap();
                    assert_eq!(response.status, 200, "{}", link.uri);
                    let envelope = eco::json::parse_strict(&response.body).unwrap();
                    decrypt(&envelope, link.key.as_deref().unwrap()).unwrap()
                }
                None => {
                    let response = fetcher.get(&url, "application/vc").await.unwrap();
                    assert_eq!(response.status, 200, "{url}");
                    response.body
                }
            };
            let exporter = Exporter {
                domain,
                name: Some(&name),
            };
            let report = verifier
                .verify_value_as(&eco::json::parse_strict(&document).unwrap(), Some(exporter))
                .await
                .unwrap();
            assert_eq!(
                report.verdict.as_str(),
                cert["verdict"].as_str().unwrap(),
                "{url}: {}",
                report.reason
            );
            let failing: Vec<&str> = report.checks.failing().iter().map(|c| c.as_str()).collect();
            let expected: Vec<&str> = cert["failing_checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(
                failing, expected,
                "{url} ({}): {}",
                line["profile"], report.reason
            );
            assert_eq!(
                report.certificate_number.as_deref(),
                cert["number"].as_str()
            );
            verdicts.insert(line["profile"].as_str().unwrap().to_owned());
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} credentials");
    for p in [
        "forged_signature",
        "altered_after_signing",
        "revoked_endpoint_valid",
        "unanchored",
        "expired",
        "other_exporter",
        "untrusted_authority",
        "tradetrust_ready",
        "tradetrust_revoked",
        "tradetrust_tampered",
        "tradetrust_not_issued",
        "tradetrust_untrusted_store",
        "tradetrust_obfuscated",
        "tradetrust_link",
    ] {
        assert!(
            verdicts.contains(p),
            "no credential of profile {p} was checked"
        );
    }

    // Every certifications page the truth names is served.
    for line in &truth {
        if let Some(path) = line["cert_page"].as_str() {
            let s = world
                .world()
                .supplier_by_host(line["domain"].as_str().unwrap())
                .unwrap();
            let origin = world.world().spec(&s).origin;
            let response = fetcher
                .get(
                    &Url::parse(&format!("{origin}{path}")).unwrap(),
                    "text/html",
                )
                .await
                .unwrap();
            assert_eq!(response.status, 200, "{origin}{path}");
        }
    }
}

#[test]
fn the_same_seed_gives_byte_identical_files() {
    let write = |seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let world = World::new(WorldConfig::new(200, seed, 18_080)).unwrap();
        world.write_files(dir.path()).unwrap();
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        (read("seeds.csv"), read("trust.toml"), read("truth.jsonl"))
    };
    let a = write(5);
    let b = write(5);
    assert!(a == b, "same seed, different files");
    let c = write(6);
    assert_ne!(a.0, c.0);
    assert_ne!(a.2, c.2);
    // The seeds file has the documented header and one row per supplier.
    let seeds = String::from_utf8(a.0).unwrap();
    assert!(seeds.starts_with("name,website,country,region\n"));
    assert_eq!(seeds.lines().count(), 201);
    // A formula-looking name is present verbatim: the sim does not defuse it.
    assert!(seeds.contains("=HYPERLINK("));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_4xx_and_the_server_survives_disconnects() {
    let world = SimWorld::start(SimOptions {
        suppliers: 40,
        seed: 3,
        hostile: true,
        log_requests: true,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let port = world.addr().port();
    let f = common::loopback_fetcher(Duration::from_secs(2));
    let get = |host: &str, path: &str| Url::parse(&format!("http://{host}:{port}{path}")).unwrap();
    let status = |r: Result<eco::FetchResponse, FetchError>| r.map(|r| r.status);

    assert_eq!(
        status(f.get(&get("nobody.test", "/"), "*/*").await),
        Ok(404)
    );
    let authority = &world.world().authorities()[0].host;
    assert_eq!(
        status(
            f.get(&get(authority, "/log/proof?digest=zz&tree_size=1"), "*/*")
                .await
        ),
        Ok(400)
    );
    assert_eq!(
        status(
            f.get(&get(authority, "/log/proof?digest=00&tree_size=-1"), "*/*")
                .await
        ),
        Ok(400)
    );
    assert_eq!(
        status(f.get(&get(authority, "/no/such/path"), "*/*").await),
        Ok(404)
    );
    assert_eq!(
        status(
            f.get(
                &get(sim::world::SINGLE_WINDOW_HOST, "/v1/certificates/%FF%FE"),
                "*/*"
            )
            .await
        ),
        Ok(400)
    );
    assert_eq!(
        status(
            f.get(
                &get(sim::world::SINGLE_WINDOW_HOST, "/v1/certificates/NOPE"),
                "*/*"
            )
            .await
        ),
        Ok(404)
    );
    assert_eq!(
        status(f.get(&get(authority, "/log/checkpoint"), "*/*").await),
        Ok(200)
    );

    // Each hostile server does what it says.
    for i in 0..world.world().len() {
        let s = world.world().supplier(i);
        let Profile::Hostile(kind) = s.profile else {
            continue;
        };
        let origin = world.world().spec(&s).origin;
        let url = Url::parse(&format!("{origin}/")).unwrap();
        let result = f.get(&url, "text/html").await;
        match kind {
            HostileKind::Drip => assert!(
                matches!(result, Err(FetchError::Timeout { .. })),
                "{kind:?}: {result:?}"
            ),
            HostileKind::Huge | HostileKind::GzipBomb => assert!(
                matches!(result, Err(FetchError::TooLarge { .. })),
                "{kind:?}: {result:?}"
            ),
            HostileKind::RedirectLoop => assert!(
                matches!(result, Err(FetchError::Refused(_))),
                "{kind:?}: {result:?}"
            ),
            HostileKind::TooManyRequests => assert_eq!(status(result), Ok(429)),
            HostileKind::Reset => assert!(
                matches!(result, Err(FetchError::Transport(_))),
                "{kind:?}: {result:?}"
            ),
            HostileKind::InvalidUtf8 => {
                assert!(std::str::from_utf8(&result.unwrap().body).is_err())
            }
            HostileKind::DeepHtml => assert!(result.unwrap().body.len() > 1_000_000),
            HostileKind::NotHtml => assert!(result.unwrap().body.starts_with(b"\x89PNG")),
        }
    }

    // A client that disconnects mid-response does not hurt the server.
    let drip = (0..world.world().len())
        .map(|i| world.world().supplier(i))
        .find(|s| s.profile == Profile::Hostile(HostileKind::Huge))
        .unwrap();
    let host = world
        .world()
        .spec(&drip)
        .origin
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        let mut stream = tokio::net::TcpStream::connect(world.addr()).await.unwrap();
        stream
            .write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await.unwrap();
        drop(stream);
    }
    assert_eq!(
        status(f.get(&get(authority, "/log/checkpoint"), "*/*").await),
        Ok(200)
    );
    let log = world.requests();
    assert!(log.iter().any(|r| r.host == "nobody.test"));
    assert!(log.iter().all(|r| r.start <= r.end));
}

#[test]
fn a_world_can_leave_profiles_out() {
    for p in Profile::ORDINARY
        .into_iter()
        .chain(HostileKind::ALL.map(Profile::Hostile))
    {
        assert_eq!(Profile::from_name(p.name()), Some(p));
    }
    assert_eq!(Profile::from_name("no_such_profile"), None);

    let mut config = WorldConfig::new(400, 9, 18_080);
    config.hostile = true;
    config.without = vec![Profile::EndpointSlow, Profile::Hostile(HostileKind::Drip)];
    let world = World::new(config.clone()).unwrap();
    let profiles: BTreeSet<&str> = (0..world.len())
        .map(|i| world.supplier(i).profile.name())
        .collect();
    assert!(!profiles.contains("endpoint_slow"), "{profiles:?}");
    assert!(!profiles.contains("hostile_drip"), "{profiles:?}");
    // Every other profile still appears (each has a reserved slot).
    assert_eq!(
        profiles.len(),
        Profile::ORDINARY.len() + HostileKind::ALL.len() - 2
    );

    config.hostile = false;
    config.without = Profile::ORDINARY.to_vec();
    assert!(World::new(config).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_counts_what_it_serves() {
    let world = SimWorld::start(SimOptions {
        suppliers: 30,
        seed: 4,
        log_requests: true,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let f = common::loopback_fetcher(Duration::from_secs(2));
    assert_eq!(world.served(), 0);
    for i in 0..5 {
        let origin = world.world().spec(&world.world().supplier(i)).origin;
        let url = Url::parse(&format!("{origin}/robots.txt")).unwrap();
        f.get(&url, "text/plain").await.unwrap();
    }
    assert_eq!(world.served(), 5);
    assert_eq!(world.requests().len(), 5);
}
