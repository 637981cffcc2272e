//! `--latency`: a world on loopback answers each request no sooner than the
//! delay drawn for its host and path, the same delay every time, for every
//! host including the JSON-RPC node, without holding up other connections.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use sim::tradetrust::NODE_HOST;
use sim::{Latency, SimOptions, SimWorld};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Slack for a loaded machine: an answer may come this much later than its
/// delay (it may never come sooner).
const SLACK: Duration = Duration::from_secs(3);

async fn start(latency: &str) -> SimWorld {
    SimWorld::start(SimOptions {
        suppliers: 4,
        seed: 5,
        log_requests: true,
        latency: latency.parse().unwrap(),
        ..SimOptions::default()
    })
    .await
    .unwrap()
}

fn first_host(world: &SimWorld) -> String {
    let origin = world.world().spec(&world.world().supplier(0)).origin;
    let url = url::Url::parse(&origin).unwrap();
    url.host_str().unwrap().to_owned()
}

/// Sends one request on a fresh connection; returns its status and how long
/// the whole answer took.
async fn request(
    world: &SimWorld,
    method: &str,
    host: &str,
    path: &str,
    body: &str,
) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(world.addr()).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    (status, elapsed)
}

#[tokio::test]
async fn a_fixed_latency_delays_every_answer() {
    let world = start("fixed:150ms").await;
    let host = first_host(&world);
    assert_eq!(world.latency_of(&host, "/"), Duration::from_millis(150));
    for path in ["/", "/robots.txt", "/no-such-page"] {
        let (_, took) = request(&world, "GET", &host, path, "").await;
        assert!(took >= Duration::from_millis(150), "{path} took {took:?}");
        assert!(
            took < Duration::from_millis(150) + SLACK,
            "{path} took {took:?}"
        );
    }
    // The log's times include the wait.
    for record in world.requests() {
        let logged = (record.end - record.start).to_std().unwrap();
        assert!(logged >= Duration::from_millis(140), "{record:?}");
    }
}

#[tokio::test]
async fn a_lognormal_latency_is_the_same_for_the_same_host_and_path() {
    let world = start("lognormal:median=100ms,p99=600ms").await;
    let host = first_host(&world);
    let expected = world.latency_of(&host, "/robots.txt");
    assert!(!expected.is_zero());
    assert_eq!(
        expected,
        "lognormal:median=100ms,p99=600ms"
            .parse::<Latency>()
            .unwrap()
            .delay(5, &host, "/robots.txt"),
        "the world draws with its own seed"
    );
    let (status, first) = request(&world, "GET", &host, "/robots.txt", "").await;
    assert_eq!(status, 200);
    let (_, second) = request(&world, "GET", &host, "/robots.txt", "").await;
    for took in [first, second] {
        assert!(took >= expected, "took {took:?}, drawn {expected:?}");
        assert!(took < expected + SLACK, "took {took:?}, drawn {expected:?}");
    }
    assert_eq!(world.latency_of(&host, "/robots.txt"), expected);
}

#[tokio::test]
async fn the_json_rpc_node_is_delayed_too() {
    let world = start("lognormal:median=100ms,p99=600ms").await;
    let expected = world.latency_of(NODE_HOST, "/");
    assert!(!expected.is_zero());
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let (status, took) = request(&world, "POST", NODE_HOST, "/", call).await;
    assert_eq!(status, 200);
    assert!(took >= expected, "took {took:?}, drawn {expected:?}");
    let rpc = world
        .requests()
        .into_iter()
        .find(|r| r.host == NODE_HOST)
        .unwrap();
    assert_eq!(rpc.rpc, ["eth_chainId"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_does_not_hold_up_others() {
    let world = start("lognormal:median=100ms,p99=2s").await;
    let host = first_host(&world);
    let paths: Vec<String> = (0..400).map(|i| format!("/p{i}")).collect();
    let slow = paths
        .iter()
        .find(|p| world.latency_of(&host, p) >= Duration::from_millis(1500))
        .unwrap();
    let quick = paths
        .iter()
        .find(|p| world.latency_of(&host, p) <= Duration::from_millis(60))
        .unwrap();
    let started = Instant::now();
    let (slow_answer, quick_answer) =
        tokio::join!(request(&world, "GET", &host, slow, ""), async {
            // Let the slow request reach the server first.
            tokio::time::sleep(Duration::from_millis(20)).await;
            request(&world, "GET", &host, quick, "").await
        });
    assert!(slow_answer.1 >= world.latency_of(&host, slow));
    assert!(
        quick_answer.1 < Duration::from_millis(1000),
        "the quick answer waited for the slow one: {quick_answer:?}"
    );
    assert!(started.elapsed() < world.latency_of(&host, slow) + SLACK);
}

#[tokio::test]
async fn no_latency_is_the_default() {
    assert_eq!(SimOptions::default().latency, Latency::None);
    let world = SimWorld::start(SimOptions {
        suppliers: 2,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let host = first_host(&world);
    assert_eq!(world.latency_of(&host, "/"), Duration::ZERO);
    let (status, _) = request(&world, "GET", &host, "/robots.txt", "").await;
    assert_eq!(status, 200);
}
