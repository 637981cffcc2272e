//! The JSON API through real HTTP on loopback: every route, pagination to
//! the end, and bad parameters.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use eco::Fetcher as _;
use serde_json::Value;

struct Api {
    child: std::process::Child,
    base: String,
    fetcher: crawler::HttpFetcher,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn get(&self, path: &str) -> (u16, Value) {
        let url = url::Url::parse(&format!("{}{path}", self.base)).unwrap();
        let response = self
            .runtime
            .block_on(self.fetcher.get(&url, "application/json"))
            .unwrap();
        (
            response.status,
            serde_json::from_slice(&response.body).unwrap_or(Value::Null),
        )
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_route_pagination_and_bad_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (runtime, world) = common::start_world(tmp.path(), 40, 23);
    let db = format!("{dir}/db");
    common::crawl(&dir, &db);
    drop(world);

    let mut child = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(["serve", "--db", &db, "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = std::io::BufReader::new(child.stderr.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let base = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let api = Api {
        child,
        base: format!("http://{base}"),
        fetcher: crawler::HttpFetcher::new(crawler::FetchPolicy {
            allow_private: true,
            ..crawler::FetchPolicy::default()
        })
        .unwrap(),
        runtime,
    };

    assert_eq!(
        api.get("/healthz"),
        (200, serde_json::json!({"status": "ok"}))
    );
    let (status, doc) = api.get("/openapi.json");
    assert_eq!(status, 200);
    for path in [
        "/healthz",
        "/v1/runs",
        "/v1/suppliers",
        "/v1/suppliers/{domain}",
        "/v1/adoption",
        "/openapi.json",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} undocumented");
    }
    let (status, runs) = api.get("/v1/runs");
    assert_eq!(status, 200);
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);

    // Pagination to the end, 7 at a time.
    let mut domains = Vec::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let query = if cursor.is_empty() {
            "/v1/suppliers?limit=7".to_owned()
        } else {
            format!("/v1/suppliers?limit=7&cursor={cursor}")
        };
        let (status, page) = api.get(&query);
        assert_eq!(status, 200);
        let items = page["suppliers"].as_array().unwrap();
        assert!(items.len() <= 7);
        domains.extend(
            items
                .iter()
                .map(|s| s["domain"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(domains.len(), 40);
    let mut sorted = domains.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, domains, "pages are in domain order with no repeats");

    // Filters give exactly the matching suppliers.
    let (_, all) = api.get("/v1/suppliers?limit=1000");
    let all = all["suppliers"].as_array().unwrap().clone();
    let (_, tier_a) = api.get("/v1/suppliers?tier=A&limit=1000");
    let expected: Vec<&Value> = all.iter().filter(|s| s["tier"] == "A").collect();
    assert_eq!(
        tier_a["suppliers"].as_array().unwrap().len(),
        expected.len()
    );
    let (_, scored) = api.get("/v1/suppliers?min_score=60&country=CN,VN&limit=1000");
    let expected = all
        .iter()
        .filter(|s| {
            s["score"].as_u64().unwrap() >= 60 && (s["country"] == "CN" || s["country"] == "VN")
        })
        .count();
    assert_eq!(scored["suppliers"].as_array().unwrap().len(), expected);

    // One supplier; an unknown one.
    let (status, one) = api.get(&format!("/v1/suppliers/{}", domains[0]));
    assert_eq!(status, 200);
    assert_eq!(one["domain"], domains[0].as_str());
    assert!(one["score"].is_u64() && one["tier"].is_string() && one["certificates"].is_array());
    assert_eq!(api.get("/v1/suppliers/nobody.test").0, 404);

    // Adoption.
    let (status, adoption) = api.get("/v1/adoption?by=region&runs=all");
    assert_eq!(status, 200);
    let screened: u64 = adoption["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["screened"].as_u64().unwrap())
        .sum();
    assert_eq!(screened, 40);

    // Bad parameters name the parameter.
    for (query, parameter) in [
        ("/v1/suppliers?limit=0", "limit"),
        ("/v1/suppliers?limit=1001", "limit"),
        ("/v1/suppliers?limit=ten", "limit"),
        ("/v1/suppliers?tier=X", "tier"),
        ("/v1/suppliers?min_score=abc", "min_score"),
        ("/v1/suppliers?min_score=101", "min_score"),
        ("/v1/suppliers?country=CHN", "country"),
        ("/v1/suppliers?colour=red", "colour"),
        ("/v1/suppliers?cursor=a%00b", "cursor"),
        ("/v1/adoption?by=planet", "by"),
        ("/v1/adoption?runs=some", "runs"),
    ] {
        let (status, body) = api.get(query);
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["parameter"], parameter, "{query}: {body}");
        assert!(body["error"].is_string());
    }
}
