//! The JSON API through real HTTP on loopback: every route, pagination to
//! the end, bad parameters, every answer against its schema in
//! `/openapi.json`, and the bearer token.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::BufRead as _;
use std::process::{Command, Stdio};

use common::{Answer, call, serve};

use eco::Fetcher as _;
use serde_json::{Value, json};

/// The token of the tests that use one (never a real one).
const TOKEN: &str = "test-token-0123456789abcdef";

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

/// `schema` with every object that lists its properties closed to others:
/// an answer with a renamed or unexpected field then fails, where the
/// published description leaves room for fields added later.
fn closed(mut schema: Value) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut schema);
    schema
}

/// The schemas of the answers `/openapi.json` documents, checked with a
/// JSON Schema 2020-12 validator.
struct Schemas {
    doc: Value,
    components: Value,
    /// (path, status) pairs whose answer was checked.
    checked: BTreeSet<(String, String)>,
}

impl Schemas {
    fn new(doc: Value) -> Schemas {
        Schemas {
            components: closed(doc["components"].clone()),
            doc,
            checked: BTreeSet::new(),
        }
    }

    /// The validator of `route`'s answer with `status`.
    fn validator(&self, route: &str, status: u16) -> jsonschema::Validator {
        let schema = &self.doc["paths"][route]["get"]["responses"][status.to_string()]["content"]["application/json"]
            ["schema"];
        assert!(schema.is_object(), "{route} {status} has no schema");
        let root = json!({"allOf": [closed(schema.clone())], "components": self.components});
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{route} {status}: {e}"))
    }

    /// Checks a real answer of `route` (the documented path) against its
    /// schema.
    fn check(&mut self, route: &str, answer: &Answer) {
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{route} {}",
            answer.status
        );
        let validator = self.validator(route, answer.status);
        let errors: Vec<String> = validator
            .iter_errors(&answer.body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{route} {}: {errors:#?}\n{}",
            answer.status,
            answer.body
        );
        self.checked
            .insert((route.to_owned(), answer.status.to_string()));
    }

    /// Whether `body` would pass as `route`'s answer with `status`.
    fn accepts(&self, route: &str, status: u16, body: &Value) -> bool {
        self.validator(route, status).is_valid(body)
    }

    /// Every documented (path, status) but those listed.
    fn documented(&self, except: &[&str]) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for status in item["get"]["responses"].as_object().unwrap().keys() {
                if !except.contains(&status.as_str()) {
                    out.insert((path.clone(), status.clone()));
                }
            }
        }
        out
    }
}

/// Renames `from` to `to` in the object at `pointer`.
fn renamed(value: &Value, pointer: &str, from: &str, to: &str) -> Value {
    let mut out = value.clone();
    let object = out.pointer_mut(pointer).unwrap().as_object_mut().unwrap();
    let field = object.remove(from).unwrap();
    object.insert(to.to_owned(), field);
    out
}

#[test]
fn every_answer_matches_its_schema_and_the_token_guards_all_but_healthz() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let token_file = tmp.path().join("token");
    // As a mounted secret or an editor leaves it: a final newline.
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let token_file = token_file.to_str().unwrap().to_owned();
    let (_runtime, world) = common::start_world(tmp.path(), 24, 5);
    let db = format!("{dir}/db");
    // The crawl serves too, with the token: it shows neither it nor keeps
    // it in the run's settings.
    let out = Command::new(env!("CARGO_BIN_EXE_ecoscout"))
        .args(common::crawl_args(&dir, &db))
        .args(["--serve", "127.0.0.1:0", "--token-file", &token_file])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("serving the JSON API"), "{stderr}");
    assert!(!stderr.contains(TOKEN) && !String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    drop(world);

    let server = serve(&[
        "--db",
        &db,
        "--addr",
        "127.0.0.1:0",
        "--token-file",
        &token_file,
    ]);
    let addr = server.addr.clone();
    let bearer = format!("Bearer {TOKEN}");
    let get = |path: &str| call(&addr, path, Some(&bearer));

    // The token: none, a wrong one, another scheme: 401 with a challenge.
    for (path, authorization, invalid) in [
        ("/v1/runs", None, false),
        ("/openapi.json", None, false),
        (
            "/v1/suppliers",
            Some("Bearer test-token-0123456789abcdeX"),
            true,
        ),
        (
            "/v1/suppliers/x.test",
            Some("Bearer test-token-0123456789abcde"),
            true,
        ),
        ("/v1/adoption", Some("Basic dGVzdC10b2tlbg=="), false),
        ("/v1/runs", Some("Bearer"), false),
    ] {
        let answer = call(&addr, path, authorization);
        assert_eq!(answer.status, 401, "{path} {authorization:?}");
        let challenge = answer.header("www-authenticate").unwrap();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert_eq!(challenge.contains("invalid_token"), invalid, "{challenge}");
        assert!(answer.body["error"].is_string(), "{}", answer.body);
    }
    // The scheme's case does not matter; /healthz needs nothing.
    assert_eq!(
        call(&addr, "/v1/runs", Some(&format!("bearer {TOKEN}"))).status,
        200
    );
    assert_eq!(call(&addr, "/healthz", None).status, 200);

    let doc = get("/openapi.json");
    assert_eq!(doc.status, 200);
    let doc = doc.body;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["paths"]["/healthz"]["get"]["security"], json!([]));
    // Each schema is itself a valid JSON Schema 2020-12 (OpenAPI 3.1's
    // dialect), which the OpenAPI validator of .ci/run does not look into.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(
            jsonschema::draft202012::meta::is_valid(schema),
            "{name}: {schema}"
        );
    }
    let mut schemas = Schemas::new(doc);

    schemas.check("/healthz", &call(&addr, "/healthz", None));
    schemas.check("/openapi.json", &get("/openapi.json"));
    schemas.check("/openapi.json", &call(&addr, "/openapi.json", None));
    let runs = get("/v1/runs");
    schemas.check("/v1/runs", &runs);
    assert!(
        !runs.body.to_string().contains(TOKEN),
        "the settings hold no token"
    );
    schemas.check(
        "/v1/runs",
        &call(&addr, "/v1/runs", Some("Bearer wrong-token-0123456789")),
    );

    // Every supplier, page by page, and each one on its own.
    let mut domains = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(&format!("/v1/suppliers?limit=5{cursor}"));
        schemas.check("/v1/suppliers", &page);
        for s in page.body["suppliers"].as_array().unwrap() {
            domains.push(s["domain"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(domains.len(), 24);
    let mut records = Vec::new();
    for domain in &domains {
        let one = get(&format!("/v1/suppliers/{domain}"));
        assert_eq!(one.status, 200);
        schemas.check("/v1/suppliers/{domain}", &one);
        records.push(one.body);
    }
    // The answers checked hold every kind of part a record has.
    let has = |field: &str| {
        records
            .iter()
            .any(|r| !r[field].as_array().unwrap().is_empty())
    };
    for field in [
        "entries",
        "probes",
        "certificates",
        "documents",
        "cert_page_evidence",
        "cert_pages",
    ] {
        assert!(
            has(field),
            "no record with {field}: the check covers too little"
        );
    }
    schemas.check(
        "/v1/suppliers",
        &get("/v1/suppliers?tier=A,B,C&country=CN,VN&min_score=10&limit=3"),
    );
    schemas.check("/v1/suppliers/{domain}", &get("/v1/suppliers/nobody.test"));
    schemas.check("/v1/suppliers", &get("/v1/suppliers?limit=0"));
    schemas.check("/v1/suppliers", &get("/v1/suppliers?tier=Q"));
    schemas.check("/v1/adoption", &get("/v1/adoption"));
    schemas.check("/v1/adoption", &get("/v1/adoption?by=region&runs=all"));
    schemas.check("/v1/adoption", &get("/v1/adoption?by=planet"));
    for route in ["/v1/suppliers", "/v1/suppliers/{domain}", "/v1/adoption"] {
        let path = route.replace("{domain}", "x.test");
        schemas.check(route, &call(&addr, &path, None));
    }
    assert_eq!(
        schemas.checked,
        schemas.documented(&["500"]),
        "every documented answer but the store's failure was seen"
    );

    // The check is strict: a renamed field fails, at the top and inside.
    let record = records
        .iter()
        .find(|r| !r["certificates"].as_array().unwrap().is_empty())
        .unwrap();
    assert!(schemas.accepts("/v1/suppliers/{domain}", 200, record));
    for (pointer, from, to) in [
        ("", "domain", "domain_name"),
        ("", "tier", "grade"),
        ("/certificates/0", "verdict", "outcome"),
        ("/certificates/0/checks", "anchored", "logged"),
        ("/entries/0", "kind", "type"),
    ] {
        let bad = renamed(record, pointer, from, to);
        assert!(
            !schemas.accepts("/v1/suppliers/{domain}", 200, &bad),
            "{pointer}/{from} renamed {to} passed"
        );
    }
    let page = get("/v1/suppliers?limit=2").body;
    assert!(!schemas.accepts(
        "/v1/suppliers",
        200,
        &renamed(&page, "", "next_cursor", "next")
    ));
    let missing = get("/v1/suppliers/nobody.test").body;
    assert!(!schemas.accepts(
        "/v1/suppliers/{domain}",
        404,
        &renamed(&missing, "", "domain", "name")
    ));

    let said = server.stop();
    assert!(said.contains("needs the bearer token"), "{said}");
    assert!(!said.contains(TOKEN), "the token was shown: {said}");
}

#[test]
fn serving_beyond_loopback_needs_a_good_token_file() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let db = db.to_str().unwrap();
    let failed = |args: &[&str]| {
        let out = common::ecoscout(args);
        assert!(!out.status.success(), "{args:?} started");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let e = failed(&["serve", "--db", db, "--addr", addr]);
        assert!(e.contains("--token-file") && e.contains("loopback"), "{e}");
        // The crawl refuses before it reads anything.
        let e = failed(&[
            "crawl",
            "--seeds",
            "none.csv",
            "--trust",
            "none.toml",
            "--db",
            db,
            "--serve",
            addr,
        ]);
        assert!(e.contains("--token-file") && e.contains("loopback"), "{e}");
    }
    let short = tmp.path().join("short");
    std::fs::write(&short, "  sekrit-short\n").unwrap();
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, "\n\n").unwrap();
    for (file, says) in [
        (short.to_str().unwrap(), "at least 16"),
        (empty.to_str().unwrap(), "empty"),
        ("/nonexistent/token", "cannot read"),
    ] {
        let e = failed(&[
            "serve",
            "--db",
            db,
            "--addr",
            "127.0.0.1:0",
            "--token-file",
            file,
        ]);
        assert!(e.contains(file) && e.contains(says), "{e}");
        assert!(!e.contains("sekrit"), "the token was shown: {e}");
    }
    // --token-file is for --serve.
    let good = tmp.path().join("good");
    std::fs::write(&good, TOKEN).unwrap();
    let e = failed(&[
        "crawl",
        "--seeds",
        "s.csv",
        "--trust",
        "t.toml",
        "--db",
        db,
        "--token-file",
        good.to_str().unwrap(),
    ]);
    assert!(e.contains("--serve"), "{e}");
}
