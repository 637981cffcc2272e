//! A supplier whose Certifications page shows hostile documents (a 50 MB
//! image, an image whose header claims 100,000 × 100,000 pixels, a PDF with
//! a loop in its object graph, a truncated PDF) beside one good scan: the
//! screening ends quickly with one record, each hostile document carries
//! its error, and the good scan's QR code is still read and followed.
//! A document labelled as another kind than a certificate of origin is
//! listed with its kind and never requested.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Request, qr_png, response, serve};
use crawler::observation::QrTarget;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::screen::{ScreenConfig, Screener};
use crawler::seeds::Seed;
use crawler::{FetchPolicy, HttpFetcher};
use eco::TrustList;
use tokio::net::TcpListener;
use url::Url;

const PORTAL_QR: &str = "https://check.portal.test/verify?no=RCEP-CN-2026-00001234";

const TRUST: &str = r#"
[[authority]]
id = "w3c"
name = "W3C test issuer"
country = "US"
issuer = "https://vc.example/issuers/5678"
portals = ["check.portal.test"]
[[authority.key]]
id = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
public_key_multibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
"#;

const CERT_PAGE: &str = r#"<html><head><title>Certificates - Acme</title></head><body>
<h1>Certificates</h1><ul>
<li><img src="/files/co-scan-huge.jpg" alt="Certificate of origin, scan"></li>
<li><img src="/files/scan-bomb.png" alt="Certificate"></li>
<li><a href="/files/scan-0042.pdf">Download</a></li>
<li><a href="/files/co-truncated.pdf">Certificate of origin (PDF)</a></li>
<li><img src="/files/iso9001.jpg" alt="ISO 9001 certificate"></li>
<li><figure><img data-src="/files/co-2026.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><figcaption>Certificate of Origin Form RCEP</figcaption></figure></li>
</ul></body></html>"#;

/// A PNG header claiming `side` × `side` pixels, with an empty data chunk.
fn pixel_bomb(side: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// A PDF whose page tree's kids point back at the tree.
const LOOP_PDF: &[u8] = b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n\
2 0 obj <</Type/Pages/Kids[2 0 R]/Count 1>> endobj\n\
3 0 obj <</Length 3 0 R>> stream\nBT ET\nendstream endobj\n\
trailer <</Root 1 0 R/Size 4>>\n%%EOF\n";

/// The first half of a small, valid PDF.
fn truncated_pdf() -> Vec<u8> {
    let mut pdf = pdf_writer::Pdf::new();
    let (catalog, tree, page, content) = (
        pdf_writer::Ref::new(1),
        pdf_writer::Ref::new(2),
        pdf_writer::Ref::new(3),
        pdf_writer::Ref::new(4),
    );
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    pdf.page(page)
        .parent(tree)
        .media_box(pdf_writer::Rect::new(0.0, 0.0, 595.0, 842.0))
        .contents(content);
    pdf.stream(content, b"0 0 m 100 100 l S");
    let mut bytes = pdf.finish();
    bytes.truncate(bytes.len() / 2);
    bytes
}

/// Requests for the ISO 9001 scan, which must never be fetched.
static ISO_REQUESTS: AtomicUsize = AtomicUsize::new(0);

fn site(request: &Request) -> Vec<u8> {
    let html = |body: &str| response(200, &[("content-type", "text/html")], body.as_bytes());
    match request.path.as_str() {
        "/" => html(r#"<html><body><a href="/certs.html">Certificates</a></body></html>"#),
        "/certs.html" => html(CERT_PAGE),
        "/files/iso9001.jpg" => {
            ISO_REQUESTS.fetch_add(1, Ordering::SeqCst);
            response(200, &[("content-type", "image/jpeg")], b"\xFF\xD8\xFF\xE0")
        }
        "/files/co-scan-huge.jpg" => {
            let mut jpeg = b"\xFF\xD8\xFF\xE0".to_vec();
            jpeg.resize(50 * 1024 * 1024, 0);
            response(200, &[("content-type", "image/jpeg")], &jpeg)
        }
        "/files/scan-bomb.png" => {
            response(200, &[("content-type", "image/png")], &pixel_bomb(100_000))
        }
        "/files/scan-0042.pdf" => response(200, &[("content-type", "application/pdf")], LOOP_PDF),
        "/files/co-truncated.pdf" => response(
            200,
            &[("content-type", "application/pdf")],
            &truncated_pdf(),
        ),
        "/files/co-2026.png" => response(200, &[("content-type", "image/png")], &qr_png(PORTAL_QR)),
        _ => response(404, &[], b"not found"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_end_as_recorded_errors_and_the_good_one_is_read() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    serve(listener, Arc::new(site));
    let http = HttpFetcher::new(FetchPolicy {
        timeout: Duration::from_secs(10),
        resolve: vec!["*.test=127.0.0.1".parse().unwrap()],
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
    let trust = Arc::new(TrustList::from_toml(TRUST, "trust.toml").unwrap());
    let screener = Screener::new(fetcher, trust, ScreenConfig::default());
    let seed = Seed {
        line: 2,
        website: Url::parse(&format!("http://acme.test:{port}/")).unwrap(),
        name: "Acme".into(),
        country: "CN".into(),
        region: String::new(),
        tags: BTreeMap::new(),
    };
    let started = Instant::now();
    let o = screener.screen(&seed).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let by_name: BTreeMap<&str, &crawler::observation::CertificateDocument> = o
        .documents
        .iter()
        .map(|d| (d.url.rsplit('/').next().unwrap(), d))
        .collect();
    assert_eq!(by_name.len(), 6, "{:#?}", o.documents);
    for hostile in [
        "co-scan-huge.jpg",
        "scan-bomb.png",
        "scan-0042.pdf",
        "co-truncated.pdf",
    ] {
        let d = by_name[hostile];
        assert!(d.decoded, "{hostile} should have been fetched: {d:?}");
        assert!(d.error.is_some(), "{hostile} should end in an error: {d:?}");
        assert!(d.qr_codes.is_empty());
    }
    let error = |name: &str| by_name[name].error.clone().unwrap();
    assert!(
        error("scan-bomb.png").contains("pixels"),
        "{}",
        error("scan-bomb.png")
    );
    assert!(
        error("co-scan-huge.jpg").contains("MiB") || error("co-scan-huge.jpg").contains("bytes"),
        "{}",
        error("co-scan-huge.jpg")
    );
    assert!(
        error("co-truncated.pdf").contains("truncated"),
        "{}",
        error("co-truncated.pdf")
    );
    let iso = by_name["iso9001.jpg"];
    assert_eq!(iso.kind, "iso_9001");
    assert!(!iso.decoded);
    assert_eq!((&iso.format, &iso.error), (&None, &None));
    assert_eq!(
        ISO_REQUESTS.load(Ordering::SeqCst),
        0,
        "the ISO scan was requested"
    );
    assert!(
        by_name["scan-0042.pdf"]
            .error
            .as_ref()
            .unwrap()
            .contains("no page")
    );
    let good = by_name["co-2026.png"];
    assert_eq!(good.error, None);
    assert_eq!(good.kind, "certificate_of_origin");
    assert_eq!(good.qr_codes.len(), 1);
    assert_eq!(good.qr_codes[0].leads_to, QrTarget::OfficialPortal);
    assert_eq!(good.certificate_numbers, ["RCEP-CN-2026-00001234"]);
    assert_eq!(o.cert_pages.len(), 1);
}
