//! End to end: crawl simulated worlds over loopback with the address guard
//! on, and compare every observation with the world's ground truth and the
//! server's request log.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crawler::crawl::crawl;
use crawler::observation::{NegativeControl, Observation};
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::screen::{ScreenConfig, Screener};
use crawler::seeds::read_seeds;
use eco::TrustList;
use serde_json::Value;
use sim::{RequestRecord, SimOptions, SimWorld};
use url::Url;

const PER_HOST: usize = 2;
const MAX_PAGES: u32 = 30;

struct Crawled {
    world: SimWorld,
    truth: BTreeMap<String, Value>,
    observations: HashMap<String, Observation>,
    elapsed: Duration,
    trust: Arc<TrustList>,
}

async fn crawl_world(suppliers: usize, seed: u64, hostile: bool) -> Crawled {
    let http = common::loopback_fetcher(Duration::from_secs(3));
    crawl_world_with(suppliers, seed, hostile, http).await
}

/// Crawls a new world with `http` (which must reach `*.test` on loopback).
async fn crawl_world_with(
    suppliers: usize,
    seed: u64,
    hostile: bool,
    http: crawler::HttpFetcher,
) -> Crawled {
    let dir = tempfile::tempdir().unwrap();
    let world = SimWorld::start(SimOptions {
        suppliers,
        seed,
        hostile,
        out_dir: Some(dir.path().into()),
        log_requests: true,
        slow_answer: Duration::from_millis(2500),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let truth = common::truth_by_domain(dir.path());
    let trust = Arc::new(TrustList::load(&dir.path().join("trust.toml")).unwrap());
    let seeds = read_seeds(&dir.path().join("seeds.csv")).unwrap();
    assert!(seeds.problems.is_empty());
    let fetcher = PoliteFetcher::new(
        http,
        Politeness {
            concurrency: 64,
            per_host_concurrency: PER_HOST,
            delay: Duration::ZERO,
            ..Politeness::default()
        },
    );
    let screener = Arc::new(Screener::new(
        fetcher,
        trust.clone(),
        ScreenConfig {
            max_pages: MAX_PAGES,
            max_depth: 4,
            site_budget: Duration::from_secs(40),
            ..ScreenConfig::default()
        },
    ));
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(crawl(screener, seeds.seeds, 48, tx));
    let mut observations = HashMap::new();
    while let Some(o) = rx.recv().await {
        observations.insert(o.domain.clone(), o);
    }
    task.await.unwrap();
    let elapsed = started.elapsed();
    drop(dir);
    Crawled {
        world,
        truth,
        observations,
        elapsed,
        trust,
    }
}

fn path_of(url: &str) -> String {
    let u = Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// Compares one observation with the truth; returns what differs.
fn differences(truth: &Value, o: &Observation) -> Vec<String> {
    let mut out = Vec::new();
    let profile = truth["profile"].as_str().unwrap();
    let pages: BTreeSet<String> = o.cert_pages.iter().map(|u| path_of(u)).collect();
    let want: BTreeSet<String> = truth["cert_page"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    if pages != want {
        out.push(format!("cert pages {pages:?}, truth {want:?}"));
    }
    let kinds: BTreeSet<&str> = o.entries.iter().map(|e| e.kind.as_str()).collect();
    let want_kinds: BTreeSet<String> = strings(&truth["entry_kinds"]).into_iter().collect();
    if kinds.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>() != want_kinds {
        out.push(format!("entry kinds {kinds:?}, truth {want_kinds:?}"));
    }
    let got: BTreeMap<String, (String, String, Vec<String>)> = o
        .certificates
        .iter()
        .map(|c| {
            let failing = c
                .checks
                .failing()
                .into_iter()
                .filter(|n| n.is_document_check())
                .map(|n| n.as_str().to_owned())
                .collect();
            (
                c.url.clone().unwrap_or_default(),
                (
                    c.format.as_str().to_owned(),
                    c.verdict.as_str().to_owned(),
                    failing,
                ),
            )
        })
        .collect();
    let want_certs: BTreeMap<String, (String, String, Vec<String>)> = truth["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["url"].as_str().unwrap().to_owned(),
                (
                    c["format"].as_str().unwrap().to_owned(),
                    c["verdict"].as_str().unwrap().to_owned(),
                    strings(&c["failing_checks"]),
                ),
            )
        })
        .collect();
    if got != want_certs {
        out.push(format!("certificates {got:?}, truth {want_certs:?}"));
    }
    // Certificate documents: every one the truth lists is read, with its
    // kind and QR payload (unless the site's time budget stopped the reading).
    let stopped = o
        .errors
        .iter()
        .any(|e| e.contains("certificate document(s) not read"));
    if !stopped {
        for want in truth["documents"].as_array().into_iter().flatten() {
            let url = want["url"].as_str().unwrap();
            let Some(got) = o.documents.iter().find(|d| d.url == url) else {
                out.push(format!("document {url} not found"));
                continue;
            };
            if got.kind != want["kind"].as_str().unwrap() {
                out.push(format!(
                    "document {url}: kind {}, truth {}",
                    got.kind, want["kind"]
                ));
            }
            let payloads: Vec<&str> = got.qr_codes.iter().map(|q| q.payload.as_str()).collect();
            let want_qr: Vec<&str> = want["qr"].as_str().into_iter().collect();
            if payloads != want_qr {
                out.push(format!(
                    "document {url}: QR {payloads:?}, truth {want_qr:?}"
                ));
            }
        }
    }
    // Negative controls.
    let controls: BTreeSet<NegativeControl> = o.probes.iter().map(|p| p.negative_control).collect();
    let has_endpoint = kinds.contains("api") || kinds.contains("form");
    let expected: BTreeSet<NegativeControl> = match profile {
        "endpoint_liar" => [NegativeControl::Accepted].into(),
        "endpoint_down" => [NegativeControl::Error].into(),
        "ssrf_probe" if o.probes.is_empty() => BTreeSet::new(),
        _ if has_endpoint => [NegativeControl::Rejected].into(),
        _ => BTreeSet::new(),
    };
    if controls != expected {
        out.push(format!(
            "negative controls {controls:?}, expected {expected:?}"
        ));
    }
    if !profile.starts_with("hostile") {
        let site = format!(".{}", truth["domain"].as_str().unwrap());
        let blocked: BTreeSet<String> = o.robots_blocked.iter().cloned().collect();
        let want_blocked: BTreeSet<String> = strings(&truth["must_not_request"])
            .into_iter()
            .filter(|u| {
                Url::parse(u)
                    .ok()
                    .and_then(|u| u.host_str().map(|h| format!(".{h}").ends_with(&site)))
                    .unwrap_or(false)
            })
            .collect();
        if blocked != want_blocked {
            out.push(format!(
                "robots blocked {blocked:?}, truth {want_blocked:?}"
            ));
        }
    }
    // Endpoint agreement follows the red flags the truth expects, where
    // the site has an endpoint to disagree (a tampered TradeTrust document
    // on a site without one is flagged for its integrity alone).
    let truth_has_endpoint = want_kinds.contains("api") || want_kinds.contains("form");
    if truth["red_flag"] == Value::Bool(true) && profile != "endpoint_liar" && truth_has_endpoint {
        let disagreement = o
            .certificates
            .iter()
            .any(|c| c.checks.get(eco::CheckName::EndpointAgrees).outcome == eco::Outcome::Fail);
        if !disagreement {
            out.push("no endpoint disagreement although a red flag is due".into());
        }
    }
    out
}

/// Checks the server's request log: user agent, per-host concurrency (a
/// site's, or an authority host's from the trust list), no forbidden or
/// loopback target requested.
fn check_requests(log: &[RequestRecord], truth: &BTreeMap<String, Value>, trust: &TrustList) {
    let authority_in_flight: HashMap<String, i32> = trust
        .authority_hosts()
        .iter()
        .map(|(origin, limits)| {
            let host = Url::parse(origin).unwrap().host_str().unwrap().to_owned();
            (host, limits.max_in_flight as i32)
        })
        .collect();
    assert!(!authority_in_flight.is_empty());
    assert!(!log.is_empty());
    for r in log {
        assert!(
            r.user_agent.starts_with("ecoscout/"),
            "request without our user agent: {r:?}"
        );
        assert!(
            !matches!(r.host.as_str(), "127.0.0.1" | "localhost" | "::1" | "[::1]"),
            "SSRF target requested: {r:?}"
        );
    }
    let forbidden: BTreeSet<(String, String)> = truth
        .values()
        .flat_map(|t| strings(&t["must_not_request"]))
        .filter_map(|u| {
            let url = Url::parse(&u.replace("{certificationIdentification}", "X")).ok()?;
            Some((url.host_str()?.to_owned(), url.path().to_owned()))
        })
        .collect();
    for r in log {
        let path = r.path.split('?').next().unwrap_or_default();
        assert!(
            !forbidden
                .iter()
                .any(|(h, p)| *h == r.host && path.starts_with(p.as_str())),
            "forbidden URL requested: {r:?}"
        );
    }
    let mut by_host: HashMap<&str, Vec<(chrono::DateTime<chrono::Utc>, i32)>> = HashMap::new();
    for r in log {
        let events = by_host.entry(&r.host).or_default();
        events.push((r.start, 1));
        events.push((r.end, -1));
    }
    for (host, mut events) in by_host {
        events.sort();
        let (mut now, mut most) = (0, 0);
        for (_, delta) in events {
            now += delta;
            most = most.max(now);
        }
        let limit = authority_in_flight
            .get(host)
            .copied()
            .unwrap_or(PER_HOST as i32);
        assert!(most <= limit, "{host} had {most} requests in flight");
    }
}

/// With default weights, every fully ready supplier scores above every
/// supplier with a missing or failed piece, and red flags are where the
/// truth says.
fn check_scores(crawled: &Crawled) {
    let weights = scoring::Weights::default();
    let fully_ready = ["ready_api_query", "ready_api_path", "formula_name"];
    let (mut ready_min, mut other_max) = (u32::MAX, 0);
    let mut lines = Vec::new();
    for (domain, truth) in &crawled.truth {
        let r = scoring::score(&crawled.observations[domain], &weights);
        let profile = truth["profile"].as_str().unwrap();
        lines.push(format!(
            "{profile} {} {:?} {:?}",
            r.score, r.tier, r.red_flags
        ));
        match truth["red_flag"] {
            Value::Bool(true) => assert_eq!(
                r.tier,
                scoring::Tier::R,
                "{domain} ({profile}) must be tier R: {:?}",
                r.explanations
            ),
            Value::Bool(false) => assert!(
                r.red_flags.is_empty(),
                "{domain} ({profile}) has no red flag, got {:?}",
                r.red_flags
            ),
            _ => {}
        }
        if fully_ready.contains(&profile) {
            ready_min = ready_min.min(r.score);
        } else {
            other_max = other_max.max(r.score);
        }
    }
    assert!(
        ready_min > other_max,
        "fully ready suppliers score down to {ready_min}, others up to {other_max}:\n{}",
        lines.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_of_220_suppliers_matches_the_truth() {
    let crawled = crawl_world(220, 21, false).await;
    assert_eq!(crawled.observations.len(), 220);
    let mut failures = Vec::new();
    for (domain, truth) in &crawled.truth {
        let o = &crawled.observations[domain];
        let diff = differences(truth, o);
        if !diff.is_empty() {
            failures.push(format!(
                "{domain} ({}): {diff:?}; errors {:?}",
                truth["profile"], o.errors
            ));
        }
        if truth["profile"] == "calendar_trap" {
            assert!(
                o.pages_fetched <= MAX_PAGES,
                "trap site fetched {} pages",
                o.pages_fetched
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} suppliers differ from the truth:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every TradeTrust case was met (and so compared above).
    let profiles: BTreeSet<&str> = crawled
        .truth
        .values()
        .filter_map(|t| t["profile"].as_str())
        .collect();
    for case in [
        "ready",
        "revoked",
        "tampered",
        "not_issued",
        "untrusted_store",
        "obfuscated",
        "link",
    ] {
        let profile = format!("tradetrust_{case}");
        assert!(profiles.contains(profile.as_str()), "no {profile} supplier");
    }
    check_requests(&crawled.world.requests(), &crawled.truth, &crawled.trust);
    check_scores(&crawled);
    // The trap site's host saw no more page requests than the cap allows
    // (plus robots.txt and sitemaps).
    for (domain, truth) in &crawled.truth {
        if truth["profile"] == "calendar_trap" {
            let n = crawled
                .world
                .requests()
                .iter()
                .filter(|r| r.host.ends_with(domain.as_str()))
                .count();
            assert!(n <= MAX_PAGES as usize + 8, "{domain}: {n} requests");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dnsmasq: run scripts/test"]
async fn dns_a_crawl_of_220_suppliers_matches_the_truth() {
    // The world's names come from a real DNS server on loopback (the one
    // scripts/test starts), not from --resolve: only `*.test` answers may
    // be private; the SSRF probes' loopback literals and `localhost` stay
    // refused.
    let http = crawler::HttpFetcher::new(crawler::FetchPolicy {
        timeout: Duration::from_secs(3),
        dns_server: Some(common::dns::test_dns()),
        private_names: vec!["*.test".parse().unwrap()],
        ..crawler::FetchPolicy::default()
    })
    .unwrap();
    let crawled = crawl_world_with(220, 21, false, http).await;
    assert_eq!(crawled.observations.len(), 220);
    let failures: Vec<String> = crawled
        .truth
        .iter()
        .filter_map(|(domain, truth)| {
            let diff = differences(truth, &crawled.observations[domain]);
            (!diff.is_empty()).then(|| format!("{domain} ({}): {diff:?}", truth["profile"]))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    check_requests(&crawled.world.requests(), &crawled.truth, &crawled.trust);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_world_finishes_in_bounded_time_with_errors_recorded() {
    let crawled = crawl_world(90, 5, true).await;
    assert_eq!(crawled.observations.len(), 90);
    assert!(
        crawled.elapsed < Duration::from_secs(120),
        "took {:?}",
        crawled.elapsed
    );
    let mut hostile = 0;
    for (domain, truth) in &crawled.truth {
        let o = &crawled.observations[domain];
        if truth["profile"].as_str().unwrap().starts_with("hostile") {
            hostile += 1;
            assert!(
                !o.errors.is_empty(),
                "{domain} ({}) recorded no error",
                truth["profile"]
            );
            assert!(o.cert_pages.is_empty() && o.certificates.is_empty());
        } else {
            let diff = differences(truth, o);
            assert!(diff.is_empty(), "{domain} ({}): {diff:?}", truth["profile"]);
        }
    }
    assert!(hostile >= 9, "only {hostile} hostile suppliers");
    check_requests(&crawled.world.requests(), &crawled.truth, &crawled.trust);
}
