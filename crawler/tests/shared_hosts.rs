//! Hosts many screenings share, through the polite fetcher over loopback:
//! a host outside the screened site becomes shared infrastructure once
//! three sites have asked it, and then gets the shared hosts' rate instead
//! of the sites' delay; a screening's budget does not run while it queues
//! for a shared host, and does while it waits for its own site.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crawler::budget::SiteBudget;
use crawler::fetch::HttpRequest;
use crawler::polite::{NetError, PoliteFetcher, Politeness, SHARED_HOST_MIN_SITES};
use crawler::{FetchPolicy, HttpFetcher};
use eco::trust::HostLimits;
use url::Url;

#[path = "support/authority_server.rs"]
mod authority_server;
use authority_server::{AuthorityServer, assert_rate};

/// The sites' delay in these tests: long beside the shared hosts' interval.
const SITE_DELAY: Duration = Duration::from_millis(300);
/// The shared hosts' interval in these tests.
const SHARED_INTERVAL: Duration = Duration::from_millis(20);
const SLACK: Duration = Duration::from_millis(15);

fn fetcher() -> PoliteFetcher {
    let http = HttpFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(5),
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
        ..FetchPolicy::default()
    })
    .unwrap();
    PoliteFetcher::new(
        http,
        Politeness {
            delay: SITE_DELAY,
            shared_hosts: HostLimits {
                interval: SHARED_INTERVAL,
                max_in_flight: 4,
            },
            ..Politeness::default()
        },
    )
}

fn url(server: &AuthorityServer, host: &str, path: &str) -> Url {
    Url::parse(&format!("http://{host}:{}{path}", server.port)).unwrap()
}

/// Fetches `urls` at once on behalf of `site`'s screening; their results.
async fn get_all(f: &PoliteFetcher, site: &str, budget: Duration, urls: Vec<Url>) -> Vec<bool> {
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|u| {
            let f = f.clone();
            let budget = SiteBudget::start(site, budget);
            tokio::spawn(async move {
                f.request(HttpRequest::get(u, "*/*"), Some(&budget))
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

/// The sorted start times of the requests for paths starting with `prefix`.
fn starts(server: &AuthorityServer, prefix: &str) -> Vec<Instant> {
    let mut starts: Vec<Instant> = server
        .hits()
        .iter()
        .filter(|h| h.path.starts_with(prefix))
        .map(|h| h.start)
        .collect();
    starts.sort();
    starts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_asked_by_three_sites_gets_the_shared_rate() {
    assert_eq!(SHARED_HOST_MIN_SITES, 3);
    let server = AuthorityServer::start(Duration::from_millis(2)).await;
    let f = fetcher();
    let long = Duration::from_secs(30);
    // Two sites ask the CDN: it is still one more host with the sites'
    // delay.
    for (i, site) in ["a.test", "b.test"].iter().enumerate() {
        let urls = (0..2)
            .map(|n| url(&server, "cdn.test", &format!("/early/{i}-{n}")))
            .collect();
        assert_eq!(get_all(&f, site, long, urls).await, [true, true]);
    }
    assert_rate(&starts(&server, "/early/"), SITE_DELAY, SLACK);

    // A third site makes it shared: ten requests go at the shared rate.
    let started = Instant::now();
    let urls = (0..10)
        .map(|n| url(&server, "cdn.test", &format!("/shared/{n}")))
        .collect();
    assert!(get_all(&f, "c.test", long, urls).await.iter().all(|ok| *ok));
    let shared = starts(&server, "/shared/");
    assert_eq!(shared.len(), 10);
    assert_rate(&shared, SHARED_INTERVAL, SLACK);
    // Ten site delays would be 3 s; the first may wait out the last one.
    assert!(
        started.elapsed() < SITE_DELAY * 4,
        "{:?}",
        started.elapsed()
    );

    // A site's own hosts keep the site delay, however many of its pages
    // are asked.
    server.clear();
    let urls = (0..3)
        .map(|n| url(&server, "img.d.test", &format!("/own/{n}")))
        .collect();
    assert_eq!(get_all(&f, "d.test", long, urls).await, [true; 3]);
    assert_rate(&starts(&server, "/own/"), SITE_DELAY, SLACK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queueing_for_a_shared_host_does_not_use_up_a_site_budget() {
    let server = AuthorityServer::start(Duration::from_millis(2)).await;
    let f = fetcher();
    let long = Duration::from_secs(30);
    for site in ["a.test", "b.test", "c.test"] {
        let urls = vec![url(&server, "cdn.test", &format!("/warm/{site}"))];
        assert_eq!(get_all(&f, site, long, urls).await, [true]);
    }
    // Thirty requests of other screenings queue for the shared host
    // (0.6 s at its rate), and one of a screening with a 0.2 s budget
    // joins the queue: the wait is not its site's doing, so it is served.
    let queue: Vec<Url> = (0..30)
        .map(|n| url(&server, "cdn.test", &format!("/queue/{n}")))
        .collect();
    let others = tokio::spawn({
        let f = f.clone();
        async move { get_all(&f, "e.test", long, queue).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let short = Duration::from_millis(200);
    let asked = Instant::now();
    let late = get_all(&f, "f.test", short, vec![url(&server, "cdn.test", "/late")]).await;
    assert!(asked.elapsed() > short, "{:?}", asked.elapsed());
    assert_eq!(late, [true]);
    assert!(others.await.unwrap().iter().all(|ok| *ok));

    // Waiting out its own site's delay does count: robots.txt, then two
    // requests a site delay (0.3 s) apart each; with 0.45 s, the second is
    // cut.
    let own = vec![
        url(&server, "www.g.test", "/one"),
        url(&server, "www.g.test", "/two"),
    ];
    let budget = SiteBudget::start("g.test", Duration::from_millis(450));
    let mut cut = 0;
    for u in own {
        match f.request(HttpRequest::get(u, "*/*"), Some(&budget)).await {
            Ok(_) => {}
            Err(NetError::Budget(_)) => cut += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(cut, 1);
}
