//! The sim's certificate documents and page variants against its own
//! truth: documents are served with their content type and magic bytes,
//! QR codes decode to the truth's payload, every variant appears in the
//! default 60-supplier world, and the same world gives the same bytes.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::io::Read as _;
use std::sync::OnceLock;

use image::{GrayImage, Luma};
use sim::documents::{self, DocFormat, DocKind, Document, QrTarget};
use sim::server::route;
use sim::site::Reply;
use sim::spec::{PageKind, page_path};
use sim::variety::{self, PageVariant};
use sim::{World, WorldConfig};
use url::Url;

const PORT: u16 = 18_090;

/// The default world (60 suppliers, seed 1), built once: its document
/// cache then serves every test.
fn default_world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::new(WorldConfig::new(60, 1, PORT)).unwrap())
}

/// GET `url` from the world without a socket: (status, content type, body).
fn get(world: &World, url: &str) -> (u16, String, Vec<u8>) {
    let u = Url::parse(url).unwrap();
    match route(
        world,
        u.host_str().unwrap(),
        "GET",
        u.path(),
        u.query(),
        b"",
    ) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let ct = headers
                .iter()
                .find(|(k, _)| *k == "content-type")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            (status, ct, body)
        }
        other => panic!("{url}: unexpected reply {other:?}"),
    }
}

/// Every (supplier index, document) whose page is visible in the truth.
fn all_documents(world: &World) -> Vec<(usize, Document)> {
    (0..world.len())
        .flat_map(|i| {
            let s = world.supplier(i);
            let spec = world.spec(&s);
            let visible = world.truth(i).cert_page.is_some();
            documents::plan(world, &s, &spec)
                .into_iter()
                .filter(move |_| visible)
                .map(move |d| (i, d))
        })
        .collect()
}

#[test]
fn documents_are_served_with_their_content_type_and_magic_bytes() {
    let world = default_world();
    let mut served = 0;
    for i in 0..world.len() {
        for doc in world.truth(i).documents {
            let (status, ct, body) = get(world, &doc.url);
            assert_eq!(status, 200, "{}", doc.url);
            let (want_ct, magic): (&str, &[u8]) = match doc.format {
                "png" => ("image/png", b"\x89PNG\r\n\x1a\n"),
                "jpeg" => ("image/jpeg", b"\xff\xd8\xff"),
                "pdf" => ("application/pdf", b"%PDF-"),
                other => panic!("unknown format {other}"),
            };
            assert_eq!(ct, want_ct, "{}", doc.url);
            assert!(body.starts_with(magic), "{}: wrong magic bytes", doc.url);
            served += 1;
        }
    }
    assert!(served > 60, "only {served} documents");
}

#[test]
fn scans_are_small_and_pdfs_carry_their_text() {
    let world = default_world();
    for (_, doc) in all_documents(world) {
        let (_, _, body) = get(world, &doc.url);
        if doc.format == DocFormat::Pdf {
            let text = String::from_utf8_lossy(&body);
            assert!(text.contains("/BaseFont /Helvetica"), "{}", doc.url);
            assert!(
                text.contains(&format!("(Certificate No. {})", doc.number)),
                "{}",
                doc.url
            );
            if doc.kind == DocKind::CertificateOfOrigin {
                assert!(text.contains("(Certificate of Origin)"), "{}", doc.url);
            }
        } else {
            let img = image::load_from_memory(&body).unwrap();
            assert!(img.width().max(img.height()) <= 1000, "{}", doc.url);
        }
    }
}

/// Decodes the one QR code in `img`, trying the four rotations.
fn decode_qr(img: &GrayImage) -> Option<String> {
    let rotations = [
        img.clone(),
        image::imageops::rotate90(img),
        image::imageops::rotate180(img),
        image::imageops::rotate270(img),
    ];
    rotations.into_iter().find_map(|img| {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        prepared
            .detect_grids()
            .into_iter()
            .find_map(|g| g.decode().ok().map(|(_, text)| text))
    })
}

/// Where `needle` first occurs in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> usize {
    from + haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

/// The embedded QR image of a PDF: its `/Width`, then its Flate stream.
fn pdf_image_qr(pdf: &[u8]) -> GrayImage {
    let at = find(pdf, b"/Subtype /Image", 0);
    let stream = find(pdf, b"stream\n", at) + b"stream\n".len();
    let number = |key: &[u8]| -> u32 {
        let k = find(&pdf[..stream], key, at) + key.len();
        let digits: String = pdf[k..]
            .iter()
            .map(|&b| b as char)
            .skip_while(|c| *c == ' ')
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    let (w, h) = (number(b"/Width"), number(b"/Height"));
    let mut pixels = vec![0u8; (w * h) as usize];
    flate2::read::ZlibDecoder::new(&pdf[stream..])
        .read_exact(&mut pixels)
        .unwrap();
    GrayImage::from_raw(w, h, pixels).unwrap()
}

/// The vector QR of a PDF: the rectangles filled after `0 g`, drawn at
/// three pixels per point.
fn pdf_vector_qr(pdf: &[u8]) -> GrayImage {
    let text = String::from_utf8_lossy(pdf);
    let start = text.rfind("\n0 g\n").unwrap();
    let (k, origin, side) = (3.0f32, 50.0f32, 180.0f32);
    let px = (side * k) as u32;
    let mut img = GrayImage::from_pixel(px, px, Luma([255]));
    for line in text[start..].lines() {
        let Some(rect) = line.strip_suffix(" re") else {
            continue;
        };
        let v: Vec<f32> = rect
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let (x, y, w, h) = (v[0], v[1], v[2], v[3]);
        // PDF's y axis goes up.
        let top = origin + side - (y + h);
        for yy in ((top * k) as u32)..(((top + h) * k) as u32).min(px) {
            for xx in (((x - origin) * k) as u32)..(((x - origin + w) * k) as u32).min(px) {
                img.put_pixel(xx, yy, Luma([0]));
            }
        }
    }
    img
}

#[test]
fn qr_codes_decode_to_the_truth_payload() {
    let world = default_world();
    let mut decoded = 0;
    for i in 0..world.len() {
        for doc in world.truth(i).documents {
            let Some(payload) = doc.qr else {
                continue;
            };
            let (_, _, body) = get(world, &doc.url);
            let plan = all_documents(world)
                .into_iter()
                .find(|(_, d)| d.url == doc.url)
                .unwrap()
                .1;
            let img = match (doc.format, plan.look.vector_qr) {
                ("pdf", true) => pdf_vector_qr(&body),
                ("pdf", false) => pdf_image_qr(&body),
                _ => image::load_from_memory(&body).unwrap().to_luma8(),
            };
            assert_eq!(
                decode_qr(&img).as_deref(),
                Some(payload.as_str()),
                "{} ({:?})",
                doc.url,
                plan.look
            );
            decoded += 1;
        }
    }
    assert!(decoded >= 10, "only {decoded} QR codes");
}

#[test]
fn qr_payloads_lead_to_the_same_certificate() {
    let world = default_world();
    for i in 0..world.len() {
        let truth = world.truth(i);
        let credentials: Vec<&str> = truth.certificates.iter().map(|c| c.url.as_str()).collect();
        let numbers: Vec<&str> = truth
            .certificates
            .iter()
            .map(|c| c.number.as_str())
            .collect();
        let s = world.supplier(i);
        let spec = world.spec(&s);
        for doc in documents::plan(world, &s, &spec) {
            let (Some(payload), Some(target)) = (&doc.qr, doc.qr_target) else {
                assert_ne!(doc.kind, DocKind::CertificateOfOrigin);
                continue;
            };
            assert!(s.certificates.iter().any(|c| c.number == doc.number));
            match target {
                QrTarget::Credential => {
                    assert!(payload.ends_with(&doc.number) || payload.contains(&doc.number));
                    if truth.cert_page.is_some() {
                        assert!(credentials.contains(&payload.as_str()), "{payload}");
                    }
                }
                QrTarget::Portal => {
                    let host = Url::parse(payload).unwrap().host_str().unwrap().to_owned();
                    assert!(
                        world
                            .authorities()
                            .iter()
                            .any(|a| a.portal == Some(host.as_str()))
                    );
                    assert!(payload.ends_with(&doc.number));
                }
                QrTarget::Endpoint => assert!(payload.contains(&doc.number), "{payload}"),
                QrTarget::Home => assert_eq!(payload, &format!("{}/", spec.origin)),
            }
            if truth.cert_page.is_some() {
                assert!(numbers.contains(&doc.number.as_str()));
            }
        }
    }
}

#[test]
fn every_variant_appears_in_the_default_world() {
    let world = default_world();
    let variants: BTreeSet<&str> = (0..world.len())
        .filter_map(|i| world.truth(i).cert_page_variant)
        .collect();
    for v in PageVariant::ALL {
        assert!(
            variants.contains(v.name()),
            "page variant {} missing",
            v.name()
        );
    }
    let docs = all_documents(world);
    let kinds: BTreeSet<&str> = docs.iter().map(|(_, d)| d.kind.id()).collect();
    for k in DocKind::ALL {
        assert!(kinds.contains(k.id()), "document kind {} missing", k.id());
    }
    let formats: BTreeSet<&str> = docs.iter().map(|(_, d)| d.format.id()).collect();
    assert_eq!(formats.len(), DocFormat::ALL.len(), "{formats:?}");
    let targets: BTreeSet<String> = docs
        .iter()
        .filter_map(|(_, d)| d.qr_target.map(|t| format!("{t:?}")))
        .collect();
    assert_eq!(targets.len(), QrTarget::ALL.len(), "{targets:?}");
    let has = |f: &dyn Fn(&Document) -> bool| docs.iter().any(|(_, d)| f(d));
    assert!(has(&|d| d.loading.is_lazy()));
    assert!(has(&|d| !d.loading.is_lazy() && d.format != DocFormat::Pdf));
    assert!(has(&|d| d.figcaption && d.format != DocFormat::Pdf));
    for rotation in [90, 180, 270] {
        assert!(
            has(&|d| d.qr.is_some() && d.look.rotation == rotation),
            "{rotation}"
        );
    }
    assert!(has(&|d| d.qr.is_some() && d.look.noise));
    assert!(has(&|d| d.qr.is_some() && d.look.scale_percent < 100));
    assert!(has(&|d| d.format == DocFormat::Pdf
        && d.qr.is_some()
        && d.look.vector_qr));
    assert!(has(&|d| d.format == DocFormat::Pdf
        && d.qr.is_some()
        && !d.look.vector_qr));
    assert!(has(&|d| d.host.starts_with("cdn-")));
    assert!(has(&|d| d.host.starts_with("img.")));
    assert!(has(
        &|d| !d.host.starts_with("cdn-") && !d.host.starts_with("img.")
    ));
}

/// The page at `path` of supplier `i`, decoded.
fn page(world: &World, i: usize, path: &str) -> String {
    let s = world.supplier(i);
    let spec = world.spec(&s);
    let (status, _, body) = get(world, &format!("{}{path}", spec.origin));
    assert_eq!(status, 200, "{path}");
    spec.encoding.decode(&body).0.into_owned()
}

#[test]
fn pages_show_their_variant_and_their_documents() {
    let world = default_world();
    for i in 0..world.len() {
        let truth = world.truth(i);
        let Some(cert_path) = truth.cert_page.clone() else {
            continue;
        };
        let s = world.supplier(i);
        let spec = world.spec(&s);
        let home = page(world, i, &page_path(&s, PageKind::Home));
        let cert = page(world, i, &cert_path);
        let label = variety::cert_label(&s);
        match variety::page_variant(&s) {
            PageVariant::Plain => {
                assert!(cert.contains(&format!("<h1>{}</h1>", sim::site::esc(label))))
            }
            PageVariant::SloganHeading => assert!(cert.contains("<h2>")),
            PageVariant::PhoneHeading => {
                assert!(cert.contains("<h3 class=\"title\">"));
                assert!(cert.contains(&format!("<title>{} - ", s.lang.words().about)));
            }
            PageVariant::ImageNav => assert!(home.contains("<img src=\"/img/nav-home.png\"")),
            PageVariant::BannerOnly => {
                assert!(home.contains("<div class=\"banner\"><a href="));
                assert!(!home.contains(&format!("title=\"{}\"", sim::site::esc(label))));
            }
            PageVariant::References => assert!(cert.contains("References &amp; Certificates")),
            PageVariant::HonourPinyin => {
                assert!(cert_path.ends_with("ryzz.htm") || cert_path.ends_with("zzry.htm"));
                assert!(cert.contains("<h3>"));
            }
        }
        for doc in documents::plan(world, &s, &spec) {
            assert!(
                cert.contains(&doc.path),
                "{}: {} not on the page",
                s.domain,
                doc.path
            );
            if doc.loading.is_lazy() {
                let attr = ["data-original=\"", "data-src=\"", "srcset=\""];
                assert!(attr.iter().any(|a| cert.contains(a)));
            }
        }
    }
}

#[test]
fn the_same_world_gives_the_same_bytes() {
    let a = default_world();
    let b = World::new(WorldConfig::new(60, 1, PORT)).unwrap();
    for i in 0..a.len() {
        assert_eq!(a.truth(i), b.truth(i));
    }
    for ((_, da), (_, db)) in all_documents(a).into_iter().zip(all_documents(&b)) {
        assert_eq!(da, db);
        assert!(get(a, &da.url).2 == get(&b, &db.url).2, "{}", da.url);
    }
}

#[test]
fn other_hosts_serve_only_their_suppliers_documents() {
    let world = default_world();
    let cdn = all_documents(world)
        .into_iter()
        .find(|(_, d)| d.host.starts_with("cdn-"))
        .unwrap()
        .1;
    let (status, _, _) = get(world, &cdn.url.replace("/certs/", "/other/"));
    assert_eq!(status, 404);
    let wrong = if cdn.host == "cdn-1.test" {
        "cdn-2.test"
    } else {
        "cdn-1.test"
    };
    let (status, _, _) = get(world, &cdn.url.replace(&cdn.host, wrong));
    assert_eq!(status, 404);
}

/// Generation cost per document (run with `--ignored --nocapture`, in
/// release for meaningful figures).
#[test]
#[ignore]
fn measure_generation_cost() {
    let world = default_world();
    let docs = all_documents(world);
    for format in DocFormat::ALL {
        let of: Vec<&Document> = docs
            .iter()
            .map(|(_, d)| d)
            .filter(|d| d.format == format)
            .collect();
        let start = std::time::Instant::now();
        let mut bytes = 0;
        for d in &of {
            bytes += documents::render(d).unwrap().len();
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / of.len().max(1) as f64;
        println!(
            "{}: {} documents, {ms:.2} ms each, {} KB on average",
            format.id(),
            of.len(),
            bytes / of.len().max(1) / 1024
        );
    }
}

#[test]
fn truth_lists_documents_and_variants_only_for_visible_pages() {
    let world = default_world();
    for i in 0..world.len() {
        let truth = world.truth(i);
        assert_eq!(truth.cert_page.is_some(), truth.cert_page_variant.is_some());
        if truth.cert_page.is_none() {
            assert!(truth.documents.is_empty(), "{}", truth.domain);
        }
        for doc in &truth.documents {
            assert_eq!(
                doc.qr.is_some(),
                doc.kind == "certificate_of_origin",
                "{}",
                doc.url
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cdn_document_is_served_over_http() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let sim = sim::SimWorld::start(sim::SimOptions::default())
        .await
        .unwrap();
    let doc = all_documents(sim.world())
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d.host.starts_with("cdn-") && d.format == DocFormat::Png)
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        doc.path, doc.host
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: image/png"), "{head}");
    assert!(response[split + 4..].starts_with(b"\x89PNG\r\n\x1a\n"));
}
