//! The authorities' hosts through the polite fetcher, measured on a test
//! authority over loopback: their rate and in-flight limit come from the
//! trust list (not the sites' per-host delay), their definite answers are
//! kept for the answer cache's lifetime, and sites keep their delay.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crawler::fetch::HttpRequest;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::{FetchPolicy, HttpFetcher};
use eco::TrustList;
use url::Url;

#[path = "support/authority_server.rs"]
mod authority_server;
use authority_server::{AuthorityServer, assert_rate};

/// The sites' delay in these tests: long beside the authority's interval.
const SITE_DELAY: Duration = Duration::from_millis(400);

fn fetcher(server: &AuthorityServer, terms: &str, politeness: Politeness) -> PoliteFetcher {
    let http = HttpFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(5),
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
        ..FetchPolicy::default()
    })
    .unwrap();
    let trust = TrustList::from_toml(&server.trust_toml(terms), "t.toml").unwrap();
    PoliteFetcher::new(http, politeness).with_authority_hosts(trust.authority_hosts().clone())
}

fn politeness() -> Politeness {
    Politeness {
        delay: SITE_DELAY,
        ..Politeness::default()
    }
}

fn url(server: &AuthorityServer, host: &str, path: &str) -> Url {
    Url::parse(&format!("http://{host}:{}{path}", server.port)).unwrap()
}

async fn get_all(f: &PoliteFetcher, urls: Vec<Url>) {
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|u| {
            let f = f.clone();
            tokio::spawn(async move { f.request(HttpRequest::get(u, "*/*"), None).await })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_gets_its_rate_and_in_flight_limit_not_the_site_delay() {
    let server = AuthorityServer::start(Duration::from_millis(150)).await;
    let f = fetcher(
        &server,
        "requests_per_second = 20\nmax_in_flight = 2",
        politeness(),
    );
    // Long answers: the in-flight limit binds.
    let urls = (0..10)
        .map(|i| url(&server, "auth.test", &format!("/log/proof?n={i}")))
        .collect();
    get_all(&f, urls).await;
    assert_eq!(server.take_most_in_flight(), 2);

    // Quick answers: the rate binds, and no site delay is applied (10
    // requests a site delay apart would take 3.6 s).
    let quick = AuthorityServer::start(Duration::from_millis(2)).await;
    let f = fetcher(
        &quick,
        "requests_per_second = 20\nmax_in_flight = 4",
        politeness(),
    );
    let started = Instant::now();
    let urls = (0..10)
        .map(|i| url(&quick, "sw.test", &format!("/v1/certificates/N{i}")))
        .collect();
    get_all(&f, urls).await;
    let elapsed = started.elapsed();
    let mut starts: Vec<Instant> = quick.hits().iter().map(|h| h.start).collect();
    starts.sort();
    assert_eq!(starts.len(), 11, "robots.txt and 10 requests");
    assert_rate(
        &starts,
        Duration::from_millis(50),
        Duration::from_millis(20),
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");

    // A site on the same server keeps the site delay.
    quick.clear();
    get_all(&f, vec![url(&quick, "www.site.test", "/a")]).await;
    get_all(&f, vec![url(&quick, "www.site.test", "/b")]).await;
    let mut starts: Vec<Instant> = quick.hits().iter().map(|h| h.start).collect();
    starts.sort();
    assert_eq!(starts.len(), 3);
    assert_rate(&starts, SITE_DELAY, Duration::from_millis(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_rate_holds_when_the_trust_list_sets_none() {
    let server = AuthorityServer::start(Duration::from_millis(5)).await;
    let f = fetcher(&server, "", politeness());
    let urls = (0..2)
        .map(|i| url(&server, "auth.test", &format!("/status/{i}")))
        .collect();
    get_all(&f, urls).await;
    let mut starts: Vec<Instant> = server.hits().iter().map(|h| h.start).collect();
    starts.sort();
    let interval = Duration::from_secs_f64(1.0 / eco::trust::DEFAULT_REQUESTS_PER_SECOND);
    assert_rate(&starts, interval, Duration::from_millis(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definite_answers_are_kept_for_their_lifetime() {
    let server = AuthorityServer::start(Duration::from_millis(5)).await;
    let ttl = Duration::from_millis(600);
    let f = fetcher(
        &server,
        "requests_per_second = 100\nmax_in_flight = 4",
        Politeness {
            answer_ttl: ttl,
            retry_backoff: Duration::from_millis(5),
            ..politeness()
        },
    );
    let checkpoint = url(&server, "auth.test", "/log/checkpoint");
    let asked = Instant::now();
    // Five at once (the second look once the gate lets a request through
    // finds the first's answer), then five more.
    get_all(&f, vec![checkpoint.clone(); 5]).await;
    get_all(&f, vec![checkpoint.clone(); 5]).await;
    let missing = url(&server, "sw.test", "/missing/N1");
    let error = url(&server, "sw.test", "/error/N2");
    get_all(&f, vec![missing.clone()]).await;
    get_all(&f, vec![missing.clone()]).await;
    get_all(&f, vec![error.clone()]).await;
    get_all(&f, vec![error.clone()]).await;
    let answer = f
        .request(HttpRequest::get(checkpoint.clone(), "*/*"), None)
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"/log/checkpoint"[..])
    );
    assert_eq!(answer.content_type.as_deref(), Some("text/plain"));
    assert!(asked.elapsed() < ttl, "the test ran too slowly to measure");
    assert_eq!(server.count("/log/checkpoint"), 1);
    assert_eq!(server.count("/missing/N1"), 1, "a 404 is definite");
    assert_eq!(server.count("/error/N2"), 2, "a 500 is asked again");
    assert_eq!(server.count("/robots.txt"), 2, "once per host");
    assert!(
        f.stats()
            .answer_cache_hits
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 10
    );

    // Once the lifetime is over, the authority is asked again.
    tokio::time::sleep(ttl).await;
    get_all(&f, vec![checkpoint.clone(); 3]).await;
    assert_eq!(server.count("/log/checkpoint"), 2);

    // A site's answers are not kept.
    get_all(&f, vec![url(&server, "www.site.test", "/page")]).await;
    get_all(&f, vec![url(&server, "www.site.test", "/page")]).await;
    assert_eq!(server.count("/page"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fetchers_with_their_own_gates_are_not_one_client() {
    // What the fleet's shared gate is for: two workers, each with its own
    // local gate, together exceed the authority's in-flight limit.
    let server = AuthorityServer::start(Duration::from_millis(150)).await;
    let terms = "requests_per_second = 50\nmax_in_flight = 2";
    let (a, b) = (
        fetcher(&server, terms, politeness()),
        fetcher(&server, terms, politeness()),
    );
    let urls = |from: usize| -> Vec<Url> {
        (from..from + 6)
            .map(|i| url(&server, "auth.test", &format!("/log/proof?n={i}")))
            .collect()
    };
    let (ua, ub) = (urls(0), urls(6));
    tokio::join!(get_all(&a, ua), get_all(&b, ub));
    assert!(server.take_most_in_flight() > 2);
}
