//! A supplier whose Certifications page shows TradeTrust certificates the
//! ways real ones are shown: a verification link with the key after `#`,
//! a scan whose QR code carries a link with the key in its payload, an
//! encrypted `.tt` file with no key anywhere, and a link with a wrong key.
//! The two readable documents are fetched from the supplier's site,
//! decrypted and verified against the buyer's node (which answers one
//! `isIssued` for their shared root); the two others end in errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Request, qr_png, response, serve};
use crawler::observation::QrTarget;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::screen::{ScreenConfig, Screener};
use crawler::seeds::Seed;
use crawler::{FetchPolicy, HttpFetcher};
use eco::openattestation::digest::{Hash, merkle_root, target_hash};
use eco::openattestation::store::selector;
use eco::openattestation::{MERKLE_PROOF, SCHEMA_V2};
use eco::{CheckName, Outcome, TrustList, Verdict};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use url::Url;

const STORE: &str = "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab";
const KEY: &str = "8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";
const OTHER_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// The trust list: the node and the store, both on the test's loopback
/// listener (`node.test` and `acme.test` resolve to it).
fn trust(port: u16) -> String {
    format!(
        r#"
[[ethereum]]
chain_id = 1337
rpc_url = "http://node.test:{port}/rpc"

[[authority]]
id = "au-coo"
name = "Demo Chamber"
country = "AU"
  [[authority.document_store]]
  chain_id = 1337
  address = "{STORE}"
"#
    )
}

/// Two documents wrapped as one batch: (documents, their shared root).
fn wrapped_batch() -> (Vec<Value>, Hash) {
    let datas: Vec<Value> = (1..=2)
        .map(|i| {
            json!({
                "iD": format!("a{i}:string:CO-2026-000{i}"),
                "issueDateTime": format!("b{i}:string:2026-11-0{i}T00:00:00Z"),
                "supplyChainConsignment": {"consignor": {"name": format!("c{i}:string:Acme Trading Co., Ltd.")}},
                "issuers": [{
                    "name": format!("d{i}:string:Demo Chamber"),
                    "documentStore": format!("e{i}:string:{STORE}"),
                    "identityProof": {"type": format!("f{i}:string:DNS-TXT"), "location": format!("g{i}:string:chamber.test")}
                }]
            })
        })
        .collect();
    let targets: Vec<Hash> = datas
        .iter()
        .map(|d| target_hash(d.as_object().unwrap(), &[]).unwrap())
        .collect();
    let root = merkle_root(targets[0], &[targets[1]]);
    let documents = datas
        .into_iter()
        .zip([targets[1], targets[0]])
        .zip(&targets)
        .map(|((data, sibling), target)| {
            json!({
                "version": SCHEMA_V2,
                "data": data,
                "signature": {
                    "type": MERKLE_PROOF,
                    "targetHash": hex::encode(target),
                    "proof": [hex::encode(sibling)],
                    "merkleRoot": hex::encode(root),
                }
            })
        })
        .collect();
    (documents, root)
}

/// The `OPEN-ATTESTATION-TYPE-1` envelope of `document` under `key`.
fn encrypt(document: &Value, key: &str) -> Vec<u8> {
    let cipher = Aes256Gcm::new_from_slice(&hex::decode(key).unwrap()).unwrap();
    let iv = [7u8; 12];
    let plain = STANDARD.encode(document.to_string());
    let sealed = cipher
        .encrypt(Nonce::from_slice(&iv), plain.as_bytes())
        .unwrap();
    let (cipher_text, tag) = sealed.split_at(sealed.len() - 16);
    serde_json::to_vec(&json!({
        "cipherText": STANDARD.encode(cipher_text),
        "iv": STANDARD.encode(iv),
        "tag": STANDARD.encode(tag),
        "type": "OPEN-ATTESTATION-TYPE-1",
    }))
    .unwrap()
}

/// A TradeTrust verification link to `uri`, its key in the payload or
/// after `#`.
fn link(uri: &str, key: &str, key_after_hash: bool) -> String {
    let payload = if key_after_hash {
        json!({"uri": uri, "permittedActions": ["VIEW"], "redirect": "https://viewer.test/"})
    } else {
        json!({"uri": uri, "key": key, "permittedActions": ["VIEW"], "redirect": "https://viewer.test/"})
    };
    let mut url = Url::parse("https://viewer.test/").unwrap();
    url.query_pairs_mut().append_pair(
        "q",
        &json!({"type": "DOCUMENT", "payload": payload}).to_string(),
    );
    if key_after_hash {
        let fragment: String =
            url::form_urlencoded::byte_serialize(json!({"key": key}).to_string().as_bytes())
                .collect();
        url.set_fragment(Some(&fragment));
    }
    url.to_string()
}

/// The site and the node: what each path answers.
struct World {
    port: u16,
    documents: Vec<Value>,
    issued: HashSet<Hash>,
    /// The selectors of the `eth_call`s the node answered.
    calls: Mutex<Vec<[u8; 4]>>,
}

impl World {
    fn answer(&self, request: &Request) -> Vec<u8> {
        let html = |body: String| response(200, &[("content-type", "text/html")], body.as_bytes());
        let octets =
            |body: Vec<u8>| response(200, &[("content-type", "application/octet-stream")], &body);
        let site = format!("http://acme.test:{}", self.port);
        match (request.host.as_str(), request.path.as_str()) {
            ("node.test", "/rpc") => self.rpc(&request.body),
            ("acme.test", "/") => {
                html(r#"<html><body><a href="/certs.html">Certificates</a></body></html>"#.into())
            }
            ("acme.test", "/certs.html") => html(format!(
                r#"<html><head><title>Certificates</title></head><body><h1>Certificates</h1>
<p><a href="{}">Verify our certificate of origin CO-2026-0001 on TradeTrust</a></p>
<p><img src="/files/co-0002.png" alt="Certificate of origin CO-2026-0002"></p>
<p><a href="/docs/locked.tt">Certificate of origin (TradeTrust file)</a></p>
<p><a href="{}">Verify (old link)</a></p>
</body></html>"#,
                html_escape(&link(&format!("{site}/docs/co-1.tt"), KEY, true)),
                html_escape(&link(&format!("{site}/docs/co-1.tt"), OTHER_KEY, false)),
            )),
            ("acme.test", "/files/co-0002.png") => response(
                200,
                &[("content-type", "image/png")],
                &qr_png(&link(&format!("{site}/docs/co-2.tt"), KEY, false)),
            ),
            ("acme.test", "/docs/co-1.tt") => octets(encrypt(&self.documents[0], KEY)),
            ("acme.test", "/docs/co-2.tt") => octets(encrypt(&self.documents[1], KEY)),
            ("acme.test", "/docs/locked.tt") => octets(encrypt(&self.documents[0], OTHER_KEY)),
            _ => response(404, &[], b"not found"),
        }
    }

    /// A classic DocumentStore at [`STORE`] on chain 1337.
    fn rpc(&self, body: &[u8]) -> Vec<u8> {
        let request: Value = serde_json::from_slice(body).unwrap();
        let result = if request["method"] == "eth_chainId" {
            "0x539".to_owned()
        } else {
            let data = hex::decode(&request["params"][0]["data"].as_str().unwrap()[2..]).unwrap();
            let call: [u8; 4] = data[..4].try_into().unwrap();
            self.calls.lock().unwrap().push(call);
            let word: Hash = data.get(4..36).unwrap_or(&[0; 32]).try_into().unwrap();
            let answer = call == selector("isIssued(bytes32)") && self.issued.contains(&word);
            format!("0x{:064x}", u8::from(answer))
        };
        let body = json!({"jsonrpc": "2.0", "id": request["id"], "result": result});
        response(
            200,
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tradetrust_links_on_pages_and_in_qr_codes_are_opened_and_verified() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (documents, root) = wrapped_batch();
    let world = Arc::new(World {
        port,
        documents,
        issued: HashSet::from([root]),
        calls: Mutex::new(Vec::new()),
    });
    let server = world.clone();
    serve(listener, Arc::new(move |r: &Request| server.answer(r)));
    let http = HttpFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(10),
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
        allow_private: true,
        ..FetchPolicy::default()
    })
    .unwrap();
    let fetcher = PoliteFetcher::new(
        http,
        Politeness {
            delay: Duration::ZERO,
            ..Politeness::default()
        },
    );
    let trust = Arc::new(TrustList::from_toml(&trust(port), "trust.toml").unwrap());
    let screener = Screener::new(fetcher, trust, ScreenConfig::default());
    let seed = Seed {
        line: 2,
        website: Url::parse(&format!("http://acme.test:{port}/")).unwrap(),
        name: "ACME TRADING CO LTD".into(),
        country: "AU".into(),
        region: String::new(),
        tags: BTreeMap::new(),
    };
    let o = screener.screen(&seed).await;

    let by_url: BTreeMap<&str, &eco::CertificateReport> = o
        .certificates
        .iter()
        .map(|c| (c.url.as_deref().unwrap(), c))
        .collect();
    // Each report keeps the link the supplier published, key and all.
    let site = format!("http://acme.test:{port}");
    let mut expected = vec![
        link(&format!("{site}/docs/co-1.tt"), KEY, true),
        link(&format!("{site}/docs/co-2.tt"), KEY, false),
    ];
    expected.sort();
    assert_eq!(
        by_url.keys().copied().collect::<Vec<_>>(),
        expected,
        "errors: {:#?}",
        o.errors
    );
    for report in by_url.values() {
        for check in [
            CheckName::TrustedIssuer,
            CheckName::Signature,
            CheckName::Anchored,
            CheckName::NotRevoked,
            CheckName::ExporterMatches,
        ] {
            assert_eq!(
                report.checks.get(check).outcome,
                Outcome::Pass,
                "{check}: {report:#?}"
            );
        }
        assert_eq!(report.verdict, Verdict::Verified, "{report:#?}");
        assert_eq!(report.format, eco::CredentialFormat::OpenAttestationV2);
    }
    let numbers: BTreeSet<&str> = by_url
        .values()
        .filter_map(|c| c.certificate_number.as_deref())
        .collect();
    assert_eq!(numbers, BTreeSet::from(["CO-2026-0001", "CO-2026-0002"]));
    // The QR code was read and routed as a TradeTrust link.
    let scan = o
        .documents
        .iter()
        .find(|d| d.url.ends_with("co-0002.png"))
        .unwrap();
    assert_eq!(scan.qr_codes.len(), 1, "{scan:#?}");
    assert_eq!(scan.qr_codes[0].leads_to, QrTarget::Tradetrust);
    // The unreadable ones are recorded, not judged.
    let errors = o.errors.join("\n");
    assert!(
        errors.contains("locked.tt") && errors.contains("no link gives its key"),
        "{errors}"
    );
    assert!(
        errors.contains("does not decrypt with the link's key"),
        "{errors}"
    );
    // One root: one isIssued for both documents, whatever order they came in.
    let calls = world.calls.lock().unwrap().clone();
    let issued_calls = calls
        .iter()
        .filter(|c| **c == selector("isIssued(bytes32)"))
        .count();
    assert_eq!(issued_calls, 1, "{calls:?}");
}
