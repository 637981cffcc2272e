//! The TradeTrust body of the simulated world: its node answers as a
//! classic DocumentStore does, its documents hash as OpenAttestation v2
//! documents must, encrypted ones decrypt with their link's key, and
//! eco's verifier, served the world in-process, reaches every TradeTrust
//! certificate's truth.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, OnceLock};

use eco::openattestation::link::{decrypt, is_encrypted, parse_link};
use eco::openattestation::store::{StoreCall, read_bool};
use eco::openattestation::{Integrity, WrappedDocument};
use eco::{Exporter, FetchError, FetchResponse, Fetcher, TrustList, Verifier};
use serde_json::{Value, json};
use sim::site::Reply;
use sim::tradetrust::{self, NODE_HOST};
use sim::{CertKind, Profile, TtCase, World, WorldConfig};
use url::Url;

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::new(WorldConfig::new(160, 23, 18_080)).unwrap())
}

/// The world served in-process, as the sim's listener would serve it.
struct InProcess(&'static World);

fn response(url: &Url, reply: Reply) -> FetchResponse {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => FetchResponse {
            url: url.clone(),
            status,
            content_type: headers
                .into_iter()
                .find(|(k, _)| *k == "content-type")
                .map(|(_, v)| v),
            body,
        },
        Reply::Delayed(_, inner) => response(url, *inner),
        Reply::Hostile(_) => FetchResponse {
            url: url.clone(),
            status: 500,
            content_type: None,
            body: Vec::new(),
        },
    }
}

impl Fetcher for InProcess {
    async fn get(&self, url: &Url, _accept: &str) -> Result<FetchResponse, FetchError> {
        let host = url.host_str().unwrap_or_default();
        let reply = sim::server::route(self.0, host, "GET", url.path(), url.query(), &[]);
        Ok(response(url, reply))
    }

    async fn post_trusted_json(
        &self,
        url: &Url,
        body: Vec<u8>,
    ) -> Result<FetchResponse, FetchError> {
        let host = url.host_str().unwrap_or_default();
        let reply = sim::server::route(self.0, host, "POST", url.path(), None, &body);
        Ok(response(url, reply))
    }
}

fn rpc(body: Value) -> Value {
    let reply = sim::server::route(
        world(),
        NODE_HOST,
        "POST",
        "/",
        None,
        &serde_json::to_vec(&body).unwrap(),
    );
    let url = Url::parse("http://node.chain.test/").unwrap();
    let r = response(&url, reply);
    assert_eq!(r.status, 200);
    serde_json::from_slice(&r.body).unwrap()
}

fn call(to: &str, store_call: &StoreCall) -> Value {
    rpc(json!({"jsonrpc": "2.0", "id": 9, "method": "eth_call",
               "params": [{"to": to, "data": store_call.calldata_hex()}, "latest"]}))
}

fn ask(to: &str, store_call: &StoreCall) -> bool {
    let answer = call(to, store_call);
    assert_eq!(answer["id"], 9);
    read_bool(answer["result"].as_str().unwrap()).unwrap()
}

/// Every TradeTrust supplier, with its case.
fn tradetrust_suppliers() -> Vec<(sim::Supplier, TtCase)> {
    let w = world();
    (0..w.len())
        .map(|i| w.supplier(i))
        .filter_map(|s| match s.certificates.first().map(|c| c.kind) {
            Some(CertKind::TradeTrust(case)) => Some((s, case)),
            _ => None,
        })
        .collect()
}

/// The wrapped document of a supplier's certificate (decrypted when
/// linked).
fn document(s: &sim::Supplier, position: usize) -> Value {
    world()
        .tradetrust()
        .document(s.index, position)
        .unwrap()
        .document
        .clone()
}

#[test]
fn every_tradetrust_profile_is_in_the_world() {
    let cases: Vec<TtCase> = tradetrust_suppliers().into_iter().map(|(_, c)| c).collect();
    for p in Profile::TRADETRUST {
        let Some(CertKind::TradeTrust(case)) = p.certificate_kind() else {
            panic!("{p:?} is not a TradeTrust profile");
        };
        assert!(cases.contains(&case), "{} missing", p.name());
    }
    for (s, _) in tradetrust_suppliers() {
        assert_eq!(s.country, tradetrust::COUNTRY, "{}", s.domain);
    }
}

#[test]
fn the_node_answers_as_a_classic_document_store() {
    let tt = world().tradetrust();
    let store = tt.store.checksummed();
    assert_eq!(
        rpc(json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})),
        json!({"jsonrpc": "2.0", "id": 1, "result": "0x539"})
    );
    assert!(!ask(&store, &StoreCall::IsBatchable));
    for (s, case) in tradetrust_suppliers() {
        let batch = tt.batch(s.index).unwrap();
        let at = batch.store.checksummed();
        assert_eq!(
            ask(&at, &StoreCall::IsIssued(batch.root)),
            case != TtCase::NotIssued,
            "{} ({case:?})",
            s.domain
        );
        for doc in &batch.documents {
            let wrapped = WrappedDocument::from_value(&doc.document).unwrap();
            let revoked = std::iter::once(wrapped.target_hash)
                .chain(eco::openattestation::digest::merkle_path(
                    wrapped.target_hash,
                    &wrapped.proof,
                ))
                .any(|h| ask(&at, &StoreCall::IsRevoked(h)));
            assert_eq!(revoked, case == TtCase::Revoked, "{}", doc.number);
        }
        // The untrusted store's roots are issued there, not in the pinned one.
        if case == TtCase::UntrustedStore {
            assert_eq!(batch.store, tt.untrusted_store);
            assert!(!ask(&store, &StoreCall::IsIssued(batch.root)));
        }
    }
    // An address without a contract answers empty, as a node does.
    let nobody = "0x0000000000000000000000000000000000000001";
    assert_eq!(call(nobody, &StoreCall::IsIssued([1; 32]))["result"], "0x");
    // A batch of calls is answered in order.
    let answers = rpc(json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"}
    ]));
    assert_eq!(answers[0]["result"], "0x539");
    assert_eq!(answers[1]["error"]["code"], -32601);
}

#[test]
fn the_request_log_names_each_json_rpc_call() {
    let store = world().tradetrust().store.checksummed();
    let body = |v: Value| serde_json::to_vec(&v).unwrap();
    let call = |c: &StoreCall| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
               "params": [{"to": store, "data": c.calldata_hex()}, "latest"]})
    };
    assert_eq!(
        tradetrust::rpc_call_names(&body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        )),
        ["eth_chainId"]
    );
    assert_eq!(
        tradetrust::rpc_call_names(&body(call(&StoreCall::IsRevoked([7; 32])))),
        ["eth_call isRevoked(bytes32)"]
    );
    // Every call of a batch, in order; calldata of no store function by
    // its selector; `input` read as `data` is.
    assert_eq!(
        tradetrust::rpc_call_names(&body(json!([
            call(&StoreCall::IsBatchable),
            call(&StoreCall::IsIssued([1; 32])),
            {"method": "eth_call", "params": [{"to": store, "input": "0xdeadbeef00"}]},
            {"method": "eth_call", "params": [{"to": store, "data": "0x12"}]},
            {"method": "net_version"},
            {"id": 5}
        ]))),
        [
            "eth_call supportsInterface(bytes4)",
            "eth_call isIssued(bytes32)",
            "eth_call 0xdeadbeef",
            "eth_call",
            "net_version",
            "?"
        ]
    );
    assert!(tradetrust::rpc_call_names(b"{not json").is_empty());
}

#[test]
fn the_truth_gives_each_documents_proof_length_and_revoked_hash() {
    let tt = world().tradetrust();
    let mut revoked_seen = std::collections::BTreeSet::new();
    for (s, case) in tradetrust_suppliers() {
        let batch = tt.batch(s.index).unwrap();
        let at = batch.store.checksummed();
        let truth = world().truth(s.index);
        for cert in &truth.certificates {
            let c = s
                .certificates
                .iter()
                .find(|c| c.number == cert.number)
                .unwrap();
            let wrapped = WrappedDocument::from_value(&document(&s, c.position)).unwrap();
            assert_eq!(
                cert.proof_length,
                Some(wrapped.proof.len()),
                "{}",
                cert.number
            );
            let (hash, other) = match cert.revoked_hash {
                Some("target_hash") => (wrapped.target_hash, wrapped.merkle_root),
                Some("merkle_root") => (wrapped.merkle_root, wrapped.target_hash),
                None => {
                    assert_ne!(case, TtCase::Revoked, "{}", cert.number);
                    continue;
                }
                Some(other) => panic!("revoked_hash {other:?}"),
            };
            assert_eq!(case, TtCase::Revoked, "{}", cert.number);
            assert!(ask(&at, &StoreCall::IsRevoked(hash)), "{}", cert.number);
            assert!(!ask(&at, &StoreCall::IsRevoked(other)), "{}", cert.number);
            revoked_seen.insert(cert.revoked_hash);
        }
    }
    assert!(!revoked_seen.is_empty());
    // Credentials of the other authorities say nothing of a chain.
    let vc = (0..world().len())
        .flat_map(|i| world().truth(i).certificates)
        .find(|c| c.format == "vc-eddsa-jcs-2022")
        .unwrap();
    assert_eq!((vc.proof_length, vc.revoked_hash), (None, None));
}

#[test]
fn bad_calls_get_json_rpc_errors() {
    let store = world().tradetrust().store.checksummed();
    let raw = |body: &[u8]| {
        let reply = sim::server::route(world(), NODE_HOST, "POST", "/", None, body);
        let r = response(&Url::parse("http://node.chain.test/").unwrap(), reply);
        (
            r.status,
            serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null),
        )
    };
    assert_eq!(raw(b"{not json").1["error"]["code"], -32700);
    assert_eq!(raw(b"[]").1["error"]["code"], -32600);
    assert_eq!(raw(b"{\"id\":1}").1["error"]["code"], -32600);
    let many = Value::Array(vec![json!({"method": "eth_chainId"}); 1000]);
    assert_eq!(
        raw(&serde_json::to_vec(&many).unwrap()).1["error"]["code"],
        -32600
    );
    for params in [
        json!([]),
        json!("x"),
        json!([{"data": "0x"}]),
        json!([{"to": "0x12", "data": "0x"}]),
        json!([{"to": store, "data": "zz"}]),
    ] {
        let answer =
            rpc(json!({"jsonrpc": "2.0", "id": 3, "method": "eth_call", "params": params}));
        assert_eq!(answer["error"]["code"], -32602, "{params}");
    }
    // Calldata a store has no function for reverts.
    for data in ["0x", "0x1234", "0x163aa631ff", "0xdeadbeef"] {
        let answer = rpc(json!({"jsonrpc": "2.0", "id": 4, "method": "eth_call",
                                "params": [{"to": store, "data": data}, "latest"]}));
        assert_eq!(answer["error"]["code"], 3, "{data}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("revert")
        );
    }
    // Not POST.
    let reply = sim::server::route(world(), NODE_HOST, "GET", "/", None, &[]);
    assert_eq!(reply.status(), 405);
}

#[test]
fn wrapped_documents_hash_as_the_format_says() {
    let mut roots = std::collections::HashMap::new();
    for (s, case) in tradetrust_suppliers() {
        for cert in &s.certificates {
            let value = document(&s, cert.position);
            let wrapped = WrappedDocument::from_value(&value).unwrap();
            let integrity = wrapped.integrity();
            if case == TtCase::Tampered {
                assert!(
                    matches!(integrity, Integrity::TargetHashDiffers { .. }),
                    "{}: {integrity:?}",
                    cert.number
                );
            } else {
                assert_eq!(integrity, Integrity::Intact, "{}", cert.number);
            }
            // Every document has companions in its batch.
            assert!(!wrapped.proof.is_empty(), "{}", cert.number);
            assert_eq!(wrapped.obfuscated.is_empty(), case != TtCase::Obfuscated);
            roots
                .entry(s.index)
                .or_insert_with(Vec::new)
                .push(wrapped.merkle_root);
            // Salted as OpenAttestation salts: a UUID v4, a type, the value.
            let id = value["data"]["iD"].as_str().unwrap();
            let (salt, rest) = id.split_at(36);
            assert_eq!(salt.as_bytes()[14], b'4', "{id}");
            assert_eq!(rest, format!(":string:{}", cert.number));
        }
    }
    // A supplier's documents share one root; suppliers do not.
    let mut distinct: Vec<_> = roots.values().map(|r| r[0]).collect();
    for r in roots.values() {
        assert!(r.iter().all(|x| *x == r[0]));
    }
    assert!(roots.values().any(|r| r.len() > 1), "no batch of several");
    let n = distinct.len();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), n);
}

#[test]
fn obfuscating_keeps_the_target_hash_and_refuses_to_empty_an_object() {
    let data = json!({"a": {"b": "s1:string:x", "c": "s2:string:y"}, "d": {"e": "s3:string:z"}});
    let mut wrapped = tradetrust::wrap_batch(&[data]).unwrap().remove(0);
    let before = WrappedDocument::from_value(&wrapped).unwrap();
    tradetrust::obfuscate(&mut wrapped, &["a", "b"]).unwrap();
    let after = WrappedDocument::from_value(&wrapped).unwrap();
    assert_eq!(after.integrity(), Integrity::Intact);
    assert_eq!(after.target_hash, before.target_hash);
    assert!(wrapped["data"]["a"].get("b").is_none());
    assert!(tradetrust::obfuscate(&mut wrapped, &["d", "e"]).is_err());
    assert!(tradetrust::obfuscate(&mut wrapped, &["a"]).is_err());
    assert!(tradetrust::obfuscate(&mut wrapped, &["a", "nothing"]).is_err());
}

#[test]
fn linked_documents_decrypt_with_their_links_key() {
    let w = world();
    let mut linked = 0;
    for (s, case) in tradetrust_suppliers() {
        if case != TtCase::Linked {
            continue;
        }
        let spec = w.spec(&s);
        assert!(spec.credentials.is_empty());
        for (position, link) in &spec.tradetrust_links {
            let link = parse_link(&Url::parse(link).unwrap()).unwrap().unwrap();
            let served = sim::server::route(
                w,
                link.uri.host_str().unwrap(),
                "GET",
                link.uri.path(),
                None,
                &[],
            );
            let served = response(&link.uri, served);
            assert_eq!(served.status, 200, "{}", link.uri);
            let envelope: Value = serde_json::from_slice(&served.body).unwrap();
            assert!(is_encrypted(&envelope));
            let plain = decrypt(&envelope, link.key.as_deref().unwrap()).unwrap();
            let decrypted: Value = serde_json::from_slice(&plain).unwrap();
            assert_eq!(decrypted, document(&s, *position));
            linked += 1;
        }
    }
    assert!(linked > 0);
}

#[test]
fn the_trust_list_pins_the_trusted_store_and_the_node() {
    let w = world();
    let trust = TrustList::from_file(&w.trust_list(), "trust.toml").unwrap();
    let tt = w.tradetrust();
    let (authority, store) = trust.by_document_store(tt.store).unwrap();
    assert_eq!(authority.id, tradetrust::AUTHORITY_ID);
    assert_eq!(store.chain_id, tradetrust::CHAIN_ID);
    assert!(trust.by_document_store(tt.untrusted_store).is_none());
    let node = trust.node(tradetrust::CHAIN_ID).unwrap();
    assert_eq!(node.rpc_url.host_str(), Some(NODE_HOST));
    // Another seed, other stores.
    let other = World::new(WorldConfig::new(10, 24, 18_080)).unwrap();
    assert_ne!(other.tradetrust().store, tt.store);
}

#[tokio::test]
async fn the_verifier_reaches_every_tradetrust_certificates_truth() {
    let w = world();
    let trust = Arc::new(TrustList::from_file(&w.trust_list(), "trust.toml").unwrap());
    let verifier = Verifier::new(trust, InProcess(w));
    let fetcher = InProcess(w);
    let mut checked = std::collections::BTreeSet::new();
    for (s, _) in tradetrust_suppliers() {
        let truth = w.truth(s.index);
        for cert in &truth.certificates {
            let url = Url::parse(&cert.url).unwrap();
            let value: Value = match parse_link(&url) {
                Some(link) => {
                    let link = link.unwrap();
                    let envelope = fetcher.get(&link.uri, "*/*").await.unwrap();
                    let envelope: Value = serde_json::from_slice(&envelope.body).unwrap();
                    serde_json::from_slice(&decrypt(&envelope, &link.key.unwrap()).unwrap())
                        .unwrap()
                }
                None => {
                    let r = fetcher.get(&url, "*/*").await.unwrap();
                    assert_eq!(r.status, 200, "{url}");
                    serde_json::from_slice(&r.body).unwrap()
                }
            };
            let exporter = Exporter {
                domain: &s.domain,
                name: Some(&s.name),
            };
            let report = verifier
                .verify_value_as(&value, Some(exporter))
                .await
                .unwrap();
            let failing: Vec<&str> = report.checks.failing().iter().map(|c| c.as_str()).collect();
            assert_eq!(
                (report.verdict.as_str(), failing),
                (cert.verdict, cert.failing_checks.clone()),
                "{} ({}): {}",
                cert.url,
                truth.profile,
                report.reason
            );
            assert_eq!(report.certificate_number.as_deref(), Some(&*cert.number));
            checked.insert(truth.profile);
        }
    }
    assert_eq!(checked.len(), Profile::TRADETRUST.len(), "{checked:?}");
    // One batch, one isIssued: far fewer node requests than questions.
    assert!(verifier.chain_requests() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_request_log_holds_the_node_calls() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let world = sim::SimWorld::start(sim::SimOptions {
        suppliers: 20,
        seed: 4,
        log_requests: true,
        ..sim::SimOptions::default()
    })
    .await
    .unwrap();
    let body = serde_json::to_vec(&json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_call",
         "params": [{"to": world.world().tradetrust().store.checksummed(),
                     "data": StoreCall::IsIssued([3; 32]).calldata_hex()}, "latest"]}
    ]))
    .unwrap();
    let mut stream = tokio::net::TcpStream::connect(world.addr()).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {NODE_HOST}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    let log = world.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].host, NODE_HOST);
    assert_eq!(log[0].rpc, ["eth_chainId", "eth_call isIssued(bytes32)"]);
    // Other requests carry none, and requests.jsonl leaves the field out.
    let line = serde_json::to_value(&sim::RequestRecord {
        host: "www.example.test".into(),
        rpc: Vec::new(),
        ..log[0].clone()
    })
    .unwrap();
    assert!(line.get("rpc").is_none());
}

/// What bench/bench.py `--only tradetrust` computes for a crawl without
/// the run's cache: a verifier that has seen nothing else asks the node,
/// for a document whose store the trust list pins, eth_chainId,
/// supportsInterface, isIssued and k isRevoked (k: the proof's length + 1,
/// or 1 when the target hash itself is revoked); for one it does not pin,
/// nothing.
#[tokio::test]
async fn a_fresh_verifier_asks_the_node_as_the_bench_computes() {
    let w = world();
    let trust = Arc::new(TrustList::from_file(&w.trust_list(), "trust.toml").unwrap());
    let fetcher = InProcess(w);
    let mut asked = 0;
    for (s, case) in tradetrust_suppliers() {
        for cert in &w.truth(s.index).certificates {
            let url = Url::parse(&cert.url).unwrap();
            let value: Value = match parse_link(&url) {
                Some(link) => {
                    let link = link.unwrap();
                    let envelope = fetcher.get(&link.uri, "*/*").await.unwrap();
                    let envelope: Value = serde_json::from_slice(&envelope.body).unwrap();
                    serde_json::from_slice(&decrypt(&envelope, &link.key.unwrap()).unwrap())
                        .unwrap()
                }
                None => {
                    serde_json::from_slice(&fetcher.get(&url, "*/*").await.unwrap().body).unwrap()
                }
            };
            let verifier = Verifier::new(trust.clone(), InProcess(w));
            verifier.verify_value_as(&value, None).await.unwrap();
            let k = match cert.revoked_hash {
                Some("target_hash") => 1,
                _ => cert.proof_length.unwrap() as u64 + 1,
            };
            let expected = if case == TtCase::UntrustedStore {
                0
            } else {
                asked += 1;
                3 + k
            };
            assert_eq!(
                verifier.chain_requests(),
                expected,
                "{} ({case:?})",
                cert.number
            );
        }
    }
    assert!(asked > 0);
}
