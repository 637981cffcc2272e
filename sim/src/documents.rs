//! Certificate documents on Certifications pages: which scans (PNG, JPEG)
//! and PDFs a supplier shows, where they are hosted (the site, an `img.`
//! subdomain or a shared CDN host), how the page shows them (`alt` text,
//! `<figcaption>`, lazy loading) and what the QR codes on certificates of
//! origin carry. The plan is drawn from [`Supplier::look`]; drawing is in
//! [`crate::scan`] and [`crate::pdf`], and each document is rendered once
//! per world and kept in a [`DocumentCache`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rand::seq::SliceRandom as _;
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use crate::lang::Lang;
use crate::profile::Profile;
use crate::site::{Reply, esc};
use crate::spec::SiteSpec;
use crate::world::{SimCertificate, Supplier, World};

/// What a certificate document certifies (ids as in `truth.jsonl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// ISO 9001 quality management.
    Iso9001,
    /// ISO 14001 environmental management.
    Iso14001,
    /// ISO 45001 occupational health and safety.
    Iso45001,
    /// CE conformity.
    Ce,
    /// RoHS test report.
    Rohs,
    /// Business licence.
    BusinessLicence,
    /// Patent certificate.
    Patent,
    /// Halal certificate.
    Halal,
    /// Certificate of origin (the only kind with a QR code).
    CertificateOfOrigin,
    /// Anything else (an award, a membership).
    Other,
}

impl DocKind {
    /// Every kind the sim draws.
    pub const ALL: [DocKind; 10] = [
        DocKind::Iso9001,
        DocKind::Iso14001,
        DocKind::Iso45001,
        DocKind::Ce,
        DocKind::Rohs,
        DocKind::BusinessLicence,
        DocKind::Patent,
        DocKind::Halal,
        DocKind::CertificateOfOrigin,
        DocKind::Other,
    ];

    /// The id used in `truth.jsonl`.
    pub fn id(self) -> &'static str {
        match self {
            DocKind::Iso9001 => "iso_9001",
            DocKind::Iso14001 => "iso_14001",
            DocKind::Iso45001 => "iso_45001",
            DocKind::Ce => "ce",
            DocKind::Rohs => "rohs",
            DocKind::BusinessLicence => "business_licence",
            DocKind::Patent => "patent",
            DocKind::Halal => "halal",
            DocKind::CertificateOfOrigin => "certificate_of_origin",
            DocKind::Other => "other",
        }
    }

    /// The file name stem a site gives it (Chinese sites use pinyin
    /// initials for the licence: `yyzz`, 营业执照).
    fn stem(self, lang: Lang) -> &'static str {
        match self {
            DocKind::Iso9001 => "iso9001",
            DocKind::Iso14001 => "iso14001",
            DocKind::Iso45001 => "iso45001",
            DocKind::Ce => "ce-certificate",
            DocKind::Rohs => "rohs-report",
            DocKind::BusinessLicence if lang == Lang::Zh => "yyzz",
            DocKind::BusinessLicence => "business-licence",
            DocKind::Patent => "patent",
            DocKind::Halal => "halal",
            DocKind::CertificateOfOrigin => "co",
            DocKind::Other => "honor",
        }
    }

    /// The title printed on the document (Latin text).
    pub fn title(self) -> &'static str {
        match self {
            DocKind::Iso9001 => "ISO 9001:2015 Quality Management System Certificate",
            DocKind::Iso14001 => "ISO 14001:2015 Environmental Management System Certificate",
            DocKind::Iso45001 => "ISO 45001:2018 Occupational Health and Safety Certificate",
            DocKind::Ce => "EC Certificate of Conformity (CE)",
            DocKind::Rohs => "RoHS Test Report",
            DocKind::BusinessLicence => "Business Licence",
            DocKind::Patent => "Certificate of Patent",
            DocKind::Halal => "Halal Certificate",
            DocKind::CertificateOfOrigin => "Certificate of Origin",
            DocKind::Other => "Certificate of Honour",
        }
    }

    /// The caption a site in `lang` writes under it.
    fn caption(self, lang: Lang) -> String {
        if lang == Lang::Zh {
            let name = match self {
                DocKind::Iso9001 => "质量管理体系认证证书",
                DocKind::Iso14001 => "环境管理体系认证证书",
                DocKind::Iso45001 => "职业健康安全管理体系认证证书",
                DocKind::Ce => "CE认证证书",
                DocKind::Rohs => "RoHS检测报告",
                DocKind::BusinessLicence => "营业执照",
                DocKind::Patent => "实用新型专利证书",
                DocKind::Halal => "清真认证证书",
                DocKind::CertificateOfOrigin => "原产地证书",
                DocKind::Other => "荣誉证书",
            };
            return format!("《{name}》");
        }
        match self {
            DocKind::Iso9001 => "ISO 9001:2015 certificate".into(),
            DocKind::Iso14001 => "ISO 14001:2015 certificate".into(),
            DocKind::Iso45001 => "ISO 45001:2018 certificate".into(),
            DocKind::Ce => "CE certificate".into(),
            DocKind::Rohs => "RoHS test report".into(),
            DocKind::BusinessLicence => "Business licence".into(),
            DocKind::Patent => "Patent certificate".into(),
            DocKind::Halal => "Halal certificate".into(),
            DocKind::CertificateOfOrigin => lang.words().certificate_of_origin.into(),
            DocKind::Other => "Award certificate".into(),
        }
    }

    /// Whether the document is drawn in landscape.
    pub fn landscape(self) -> bool {
        matches!(self, DocKind::BusinessLicence | DocKind::Patent)
    }
}

/// A document's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFormat {
    /// A PNG scan.
    Png,
    /// A JPEG scan.
    Jpeg,
    /// A one-page PDF.
    Pdf,
}

impl DocFormat {
    /// Every format.
    pub const ALL: [DocFormat; 3] = [DocFormat::Png, DocFormat::Jpeg, DocFormat::Pdf];

    /// The id used in `truth.jsonl`.
    pub fn id(self) -> &'static str {
        match self {
            DocFormat::Png => "png",
            DocFormat::Jpeg => "jpeg",
            DocFormat::Pdf => "pdf",
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            DocFormat::Png => "image/png",
            DocFormat::Jpeg => "image/jpeg",
            DocFormat::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            DocFormat::Png => "png",
            DocFormat::Jpeg => "jpg",
            DocFormat::Pdf => "pdf",
        }
    }
}

/// Where the QR code of a certificate of origin leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrTarget {
    /// The issuing authority's official portal, with the certificate number.
    Portal,
    /// The supplier's credential document for the same certificate.
    Credential,
    /// The supplier's own verification endpoint (API or GET form), with
    /// the number; a loopback URL for an SSRF-probe site.
    Endpoint,
    /// The company's home page.
    Home,
}

impl QrTarget {
    /// Every target.
    pub const ALL: [QrTarget; 4] = [
        QrTarget::Portal,
        QrTarget::Credential,
        QrTarget::Endpoint,
        QrTarget::Home,
    ];
}

/// How the page loads a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loading {
    /// A plain `src`.
    Eager,
    /// A plain `src` with `loading="lazy"`.
    NativeLazy,
    /// A placeholder `src`, the URL in `data-original`.
    DataOriginal,
    /// A placeholder `src` (a data URL), the URL in `data-src`.
    DataSrc,
    /// A placeholder `src`, the URL in `srcset`.
    Srcset,
}

impl Loading {
    /// Whether the `src` is a placeholder and the URL elsewhere (the
    /// truth's `lazy`).
    pub fn is_lazy(self) -> bool {
        matches!(
            self,
            Loading::DataOriginal | Loading::DataSrc | Loading::Srcset
        )
    }
}

/// How a scan is drawn beyond its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Clockwise rotation in degrees: 0, 90, 180 or 270.
    pub rotation: u16,
    /// Size in percent of the full page (60..=100).
    pub scale_percent: u32,
    /// Whether grain is added.
    pub noise: bool,
    /// For PDFs: whether the QR code is drawn as vector rectangles rather
    /// than an embedded image.
    pub vector_qr: bool,
    /// Seed of the text-like blocks and the grain.
    pub seed: u64,
}

/// One certificate document of a supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its absolute URL.
    pub url: String,
    /// The host serving it (no port).
    pub host: String,
    /// Its path on that host.
    pub path: String,
    /// What it certifies.
    pub kind: DocKind,
    /// File format.
    pub format: DocFormat,
    /// The certificate number printed on it.
    pub number: String,
    /// The holder printed on it.
    pub holder: String,
    /// The QR payload (certificates of origin only).
    pub qr: Option<String>,
    /// Where the QR payload leads.
    pub qr_target: Option<QrTarget>,
    /// How the page loads it.
    pub loading: Loading,
    /// Whether the page names it in a `<figcaption>` (else in `alt`).
    pub figcaption: bool,
    /// The caption or `alt` text.
    pub caption: String,
    /// How it is drawn.
    pub look: Look,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The QR payload does not fit a QR code.
    #[error("QR code: {0}")]
    Qr(String),
    /// The image encoder failed.
    #[error("image encoding: {0}")]
    Image(#[from] image::ImageError),
    /// Compression failed.
    #[error("compression: {0}")]
    Io(#[from] std::io::Error),
}

/// A QR code as a square of modules, without quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side.
    pub width: usize,
    /// Row-major, true for dark.
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `payload` at error correction level M.
    pub fn encode(payload: &str) -> Result<QrMatrix, DocumentError> {
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
                .map_err(|e| DocumentError::Qr(e.to_string()))?;
        Ok(QrMatrix {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Whether module (`x`, `y`) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }
}

/// Rendered documents, by (supplier index, host, path): drawing a scan
/// costs milliseconds, and sites are regenerated on every request.
#[derive(Default)]
pub struct DocumentCache {
    map: Mutex<HashMap<CacheKey, Arc<Vec<u8>>>>,
}

/// (supplier index, host, path).
type CacheKey = (usize, String, String);

impl DocumentCache {
    /// An empty cache.
    pub fn new() -> DocumentCache {
        DocumentCache::default()
    }

    /// The bytes of `doc` of supplier `index`, rendered on first use.
    pub fn get_or_render(
        &self,
        index: usize,
        doc: &Document,
    ) -> Result<Arc<Vec<u8>>, DocumentError> {
        let key = (index, doc.host.clone(), doc.path.clone());
        if let Some(bytes) = self.map.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(bytes);
        }
        let bytes = Arc::new(render(doc)?);
        if let Ok(mut map) = self.map.lock() {
            map.insert(key, bytes.clone());
        }
        Ok(bytes)
    }
}

/// Renders `doc` to the bytes the sim serves.
pub fn render(doc: &Document) -> Result<Vec<u8>, DocumentError> {
    let qr = doc.qr.as_deref().map(QrMatrix::encode).transpose()?;
    match doc.format {
        DocFormat::Pdf => crate::pdf::write(doc, qr.as_ref()),
        format => crate::scan::encode(&crate::scan::draw(doc, qr.as_ref()), format),
    }
}

/// Where a supplier's documents are hosted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hosting {
    Site,
    ImgSubdomain,
    Cdn,
}

/// The host of a shared CDN (`cdn-<n>.test`) serving supplier `index`.
pub fn cdn_host(index: usize) -> String {
    format!("cdn-{}.test", 1 + index % 3)
}

/// The certificate documents supplier `s` shows on its Certifications
/// page (none without a page, or for hostile servers).
pub fn plan(world: &World, s: &Supplier, spec: &SiteSpec) -> Vec<Document> {
    if spec.cert_path.is_none() || matches!(s.profile, Profile::Hostile(_)) {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(s.look.rotate_left(23) ^ 0x00d0_c5ca_7500_0000);
    let hosting = match rng.random_range(0..10) {
        0..=5 => Hosting::Site,
        6..=7 => Hosting::ImgSubdomain,
        _ => Hosting::Cdn,
    };
    let opaque_names = rng.random_bool(0.3);
    let mut kinds = other_kinds(s, &mut rng);
    let mut numbers: Vec<(DocKind, String, Option<&SimCertificate>)> = kinds
        .drain(..)
        .map(|k| (k, other_number(s, k), None))
        .collect();
    for cert in s.certificates.iter().take(3) {
        numbers.push((
            DocKind::CertificateOfOrigin,
            cert.number.clone(),
            Some(cert),
        ));
    }
    numbers
        .into_iter()
        .enumerate()
        .map(|(k, (kind, number, cert))| {
            let format = draw_format(kind, &mut rng);
            let (host, path) = place(s, spec, hosting, opaque_names, k, kind, format);
            let url = format!("http://{host}:{}{path}", world.config().port);
            let (qr, qr_target) = match cert {
                Some(c) => {
                    let (target, payload) = qr_payload(world, s, spec, c, &mut rng);
                    (Some(payload), Some(target))
                }
                None => (None, None),
            };
            let loading = match format {
                DocFormat::Pdf => Loading::Eager,
                _ => [
                    Loading::Eager,
                    Loading::Eager,
                    Loading::NativeLazy,
                    Loading::DataOriginal,
                    Loading::DataSrc,
                    Loading::Srcset,
                ][rng.random_range(0..6)],
            };
            Document {
                url,
                host,
                path,
                kind,
                format,
                holder: s.name.clone(),
                caption: match kind {
                    DocKind::CertificateOfOrigin => format!("{} {number}", kind.caption(s.lang)),
                    _ => kind.caption(s.lang),
                },
                number,
                qr,
                qr_target,
                loading,
                figcaption: rng.random_bool(0.4),
                look: draw_look(&mut rng, format),
            }
        })
        .collect()
}

/// The kinds other than certificates of origin a supplier shows.
fn other_kinds(s: &Supplier, rng: &mut ChaCha8Rng) -> Vec<DocKind> {
    let mut pool = vec![
        DocKind::Iso9001,
        DocKind::Iso9001,
        DocKind::Iso14001,
        DocKind::Iso45001,
        DocKind::Ce,
        DocKind::Rohs,
        DocKind::BusinessLicence,
        DocKind::Patent,
        DocKind::Other,
    ];
    if matches!(s.country, "MY" | "ID" | "BN") || rng.random_bool(0.15) {
        pool.push(DocKind::Halal);
    }
    pool.shuffle(rng);
    let count = match s.profile {
        Profile::IsoOnly => rng.random_range(2..=5),
        _ => rng.random_range(1..=3),
    };
    let mut kinds: Vec<DocKind> = Vec::new();
    for k in pool {
        if kinds.len() < count && !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds
}

/// The number printed on a document other than a certificate of origin
/// (ISO numbers as the page's list writes them).
fn other_number(s: &Supplier, kind: DocKind) -> String {
    let i = s.index;
    match kind {
        DocKind::Iso9001 => format!("12 100 {:05} TMS", i % 100_000),
        DocKind::Iso14001 => format!("EMS-{:06}", (i * 31) % 1_000_000),
        DocKind::Iso45001 => format!("OHS-{:06}", (i * 37) % 1_000_000),
        DocKind::Ce => format!("CE-{:05}-2025", (i * 13) % 100_000),
        DocKind::Rohs => format!("RH{:08}", (i * 7_919) % 100_000_000),
        DocKind::BusinessLicence => {
            format!("91{:016}", (i as u64 * 104_729) % 10_000_000_000_000_000)
        }
        DocKind::Patent => format!("ZL 2023 2 {:04}5678.X", i % 10_000),
        DocKind::Halal => format!("HL-{:06}", (i * 17) % 1_000_000),
        DocKind::CertificateOfOrigin | DocKind::Other => format!("H-{:05}", i % 100_000),
    }
}

fn draw_format(kind: DocKind, rng: &mut ChaCha8Rng) -> DocFormat {
    let roll = rng.random_range(0..10);
    match kind {
        DocKind::CertificateOfOrigin => [DocFormat::Pdf, DocFormat::Png, DocFormat::Jpeg]
            [usize::from(roll >= 5) + usize::from(roll >= 7)],
        _ if roll < 6 => DocFormat::Jpeg,
        _ if roll < 9 => DocFormat::Png,
        _ => DocFormat::Pdf,
    }
}

fn draw_look(rng: &mut ChaCha8Rng, format: DocFormat) -> Look {
    let rotation = match rng.random_range(0..10) {
        0 => 90,
        1 => 180,
        2 => 270,
        _ => 0,
    };
    Look {
        rotation: if format == DocFormat::Pdf {
            0
        } else {
            rotation
        },
        scale_percent: [100, 100, 85, 70, 60][rng.random_range(0..5)],
        noise: rng.random_bool(0.3),
        vector_qr: format == DocFormat::Pdf && rng.random_bool(0.4),
        seed: rng.random::<u64>(),
    }
}

/// The host and path of document number `k`.
fn place(
    s: &Supplier,
    spec: &SiteSpec,
    hosting: Hosting,
    opaque: bool,
    k: usize,
    kind: DocKind,
    format: DocFormat,
) -> (String, String) {
    let ext = format.extension();
    let file = if opaque {
        format!(
            "2024{:02}{:02}{:06}{k}.{ext}",
            1 + k % 12,
            1 + s.index % 28,
            s.look % 1_000_000
        )
    } else if kind == DocKind::CertificateOfOrigin {
        format!("co-{}.{ext}", k)
    } else {
        format!("{}.{ext}", kind.stem(s.lang))
    };
    let folder = if format == DocFormat::Pdf {
        "/uploads/file"
    } else {
        ["/uploads/certs", "/images/zs", "/upload/image"][(s.look >> 24) as usize % 3]
    };
    match hosting {
        Hosting::Site => (site_host(spec), format!("{folder}/{file}")),
        Hosting::ImgSubdomain => (format!("img.{}", s.domain), format!("{folder}/{file}")),
        Hosting::Cdn => (cdn_host(s.index), format!("/{}/certs/{file}", s.domain)),
    }
}

/// The supplier's own host, without port.
fn site_host(spec: &SiteSpec) -> String {
    spec.origin
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The QR payload of the certificate of origin `cert`.
fn qr_payload(
    world: &World,
    s: &Supplier,
    spec: &SiteSpec,
    cert: &SimCertificate,
    rng: &mut ChaCha8Rng,
) -> (QrTarget, String) {
    let number = &cert.number;
    let mut options: Vec<(QrTarget, String)> = Vec::new();
    if let Some(portal) = world
        .authorities()
        .get(cert.authority)
        .and_then(|a| a.portal)
    {
        options.push((
            QrTarget::Portal,
            format!("https://{portal}/verify?no={number}"),
        ));
    }
    if let Some((_, path)) = spec.credentials.iter().find(|(p, _)| *p == cert.position) {
        options.push((QrTarget::Credential, format!("{}{path}", spec.origin)));
    }
    if let Some(api) = &spec.api {
        let url = api
            .template
            .replace("{certificationIdentification}", number);
        options.push((QrTarget::Endpoint, url));
    } else if let Some(form) = spec.form.as_ref().filter(|f| f.method == "GET" && !f.ssrf) {
        options.push((
            QrTarget::Endpoint,
            format!(
                "{}{}?{}={number}&token={}",
                spec.origin, form.path, form.field, form.token
            ),
        ));
    }
    options.push((QrTarget::Home, format!("{}/", spec.origin)));
    let pick = (rng.random_range(0..options.len()) + s.index) % options.len();
    options.swap_remove(pick)
}

/// The document of supplier `s` at (`host`, `path`), if any.
pub fn find(
    world: &World,
    s: &Supplier,
    spec: &SiteSpec,
    host: &str,
    path: &str,
) -> Option<Document> {
    if !is_document_path(path) {
        return None;
    }
    plan(world, s, spec)
        .into_iter()
        .find(|d| d.host == host && d.path == path)
}

/// Whether `path` could name a document (a cheap test before planning).
fn is_document_path(path: &str) -> bool {
    [".png", ".jpg", ".pdf"].iter().any(|e| path.ends_with(e))
}

/// Serves `doc` of supplier `s`.
pub fn serve(world: &World, s: &Supplier, doc: &Document) -> Reply {
    match world.documents().get_or_render(s.index, doc) {
        Ok(bytes) => Reply::Full {
            status: 200,
            headers: vec![
                ("content-type", doc.format.content_type().to_owned()),
                ("cache-control", "max-age=86400".to_owned()),
            ],
            body: bytes.as_ref().clone(),
        },
        Err(e) => Reply::new(500, "text/plain", format!("document unavailable: {e}")),
    }
}

/// Answers a request for an image or document on a supplier host, an
/// `img.` subdomain or a CDN host; None when the path is not one.
pub fn answer(
    world: &World,
    s: &Supplier,
    spec: &SiteSpec,
    host: &str,
    path: &str,
) -> Option<Reply> {
    if let Some(doc) = find(world, s, spec, host, path) {
        return Some(serve(world, s, &doc));
    }
    if path.starts_with("/img/") || path.starts_with("/static/img/") {
        return Some(Reply::new(200, "image/png", placeholder_png().to_vec()));
    }
    None
}

/// The supplier a document host serves for `path`: `img.<domain>`, or
/// `cdn-<n>.test/<domain>/...`.
pub fn owner_of(world: &World, host: &str, path: &str) -> Option<Supplier> {
    if let Some(domain) = host.strip_prefix("img.") {
        return world
            .supplier_by_host(domain)
            .filter(|s| s.domain == domain);
    }
    let n = host.strip_prefix("cdn-")?.strip_suffix(".test")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let domain = path.trim_start_matches('/').split('/').next()?;
    world
        .supplier_by_host(domain)
        .filter(|s| s.domain == domain && cdn_host(s.index) == host)
}

/// A small grey PNG standing in for navigation images, banners and lazy
/// placeholders.
pub fn placeholder_png() -> &'static [u8] {
    static PNG: OnceLock<Vec<u8>> = OnceLock::new();
    PNG.get_or_init(|| {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([220, 220, 220]));
        crate::scan::encode(&img, DocFormat::Png).unwrap_or_default()
    })
}

/// The gallery of document `doc` as the Certifications page shows it;
/// `href` is the (escaped) link to it as the page writes links.
pub fn gallery_item(doc: &Document, href: &str) -> String {
    let caption = esc(&doc.caption);
    if doc.format == DocFormat::Pdf {
        return format!(
            "<li class=\"file\"><a href=\"{href}\" target=\"_blank\"><img src=\"/img/pdf-icon.png\" alt=\"PDF\"> {caption}</a></li>"
        );
    }
    let alt = if doc.figcaption {
        String::new()
    } else {
        caption.clone()
    };
    let img = match doc.loading {
        Loading::Eager => format!("<img src=\"{href}\" alt=\"{alt}\">"),
        Loading::NativeLazy => format!("<img src=\"{href}\" alt=\"{alt}\" loading=\"lazy\">"),
        Loading::DataOriginal => format!(
            "<img class=\"lazy\" src=\"/static/img/loading.png\" data-original=\"{href}\" alt=\"{alt}\">"
        ),
        Loading::DataSrc => format!(
            "<img class=\"lazyload\" src=\"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\" data-src=\"{href}\" alt=\"{alt}\">"
        ),
        Loading::Srcset => format!(
            "<img src=\"/static/img/blank.png\" srcset=\"{href} 800w\" sizes=\"(max-width: 800px) 100vw, 800px\" alt=\"{alt}\">"
        ),
    };
    // Lightbox links only around images whose URL is in `src` anyway.
    let img = if doc.loading.is_lazy() {
        img
    } else {
        format!("<a href=\"{href}\" class=\"lightbox\">{img}</a>")
    };
    if doc.figcaption {
        format!("<li><figure>{img}<figcaption>{caption}</figcaption></figure></li>")
    } else {
        format!("<li>{img}</li>")
    }
}
