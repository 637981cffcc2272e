//! What a screening records about one supplier (spec section 7, without the
//! score and tier that the scoring crate adds).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use eco::CertificateReport;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The kind of a verification entry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A JSON API (JSON-LD `CheckAction`).
    Api,
    /// An HTML verification form.
    Form,
    /// A link to an official portal.
    PortalLink,
    /// A link to a credential document.
    CredentialLink,
    /// A link to an OpenAPI description.
    Openapi,
}

impl EntryKind {
    /// The spec's name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Api => "api",
            EntryKind::Form => "form",
            EntryKind::PortalLink => "portal_link",
            EntryKind::CredentialLink => "credential_link",
            EntryKind::Openapi => "openapi",
        }
    }
}

/// A verification entry found on the site.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct Entry {
    /// Its kind.
    pub kind: EntryKind,
    /// Its URL (for an API, the URL template).
    pub url: String,
    /// The HTTP method it takes.
    pub method: String,
}

impl Entry {
    /// An entry reached with GET.
    pub fn get(kind: EntryKind, url: impl Into<String>) -> Entry {
        Entry {
            kind,
            url: url.into(),
            method: "GET".to_owned(),
        }
    }
}

/// What a negative control (a well-formed number that cannot exist) got.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NegativeControl {
    /// The endpoint said it does not know the number.
    Rejected,
    /// The endpoint called it valid: it is lying.
    Accepted,
    /// The endpoint failed or gave no readable answer.
    Error,
    /// Not tried (the endpoint could not be reached at all).
    Skipped,
}

/// One endpoint asked about one certificate number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    /// The URL asked (for a POST form, the action).
    pub url: String,
    /// The number asked about (None when the site showed no number and
    /// only the negative control was asked).
    pub certificate_number: Option<String>,
    /// HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// Time from sending the request to the end of the answer.
    pub latency_ms: Option<u64>,
    /// Whether the answer was JSON.
    pub json: bool,
    /// The status the answer gave (`valid`, `revoked`, `expired`, `not_found`).
    pub answer_status: Option<String>,
    /// What the endpoint said to the negative control.
    pub negative_control: NegativeControl,
}

/// Where a QR code on a certificate document leads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum QrTarget {
    /// A credential document, verified like any credential.
    Credential,
    /// A TradeTrust verification link.
    Tradetrust,
    /// An official certificate-of-origin portal (of the built-in list or
    /// the trust list).
    OfficialPortal,
    /// The supplier's own verification endpoint, which is probed.
    SupplierEndpoint,
    /// Anything else (a home page, plain text).
    Other,
}

impl QrTarget {
    /// The name recorded.
    pub fn as_str(self) -> &'static str {
        match self {
            QrTarget::Credential => "credential",
            QrTarget::Tradetrust => "tradetrust",
            QrTarget::OfficialPortal => "official_portal",
            QrTarget::SupplierEndpoint => "supplier_endpoint",
            QrTarget::Other => "other",
        }
    }
}

/// A QR code read from a certificate document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QrCode {
    /// Its payload, as decoded.
    pub payload: String,
    /// Where it leads.
    pub leads_to: QrTarget,
    /// The certificate number its URL carries, when it carries one.
    pub certificate_number: Option<String>,
}

/// A certificate document (a scan or a PDF) on a Certifications page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CertificateDocument {
    /// Where it is.
    pub url: String,
    /// The Certifications page that shows or links it.
    pub page: String,
    /// What it certifies (`iso_9001`, `certificate_of_origin`, `other`, ...).
    pub kind: String,
    /// The kind's label (`ISO 9001`).
    pub kind_label: String,
    /// What named it on the page (alt text, caption, file name), if anything.
    pub evidence: String,
    /// Its format, recognised by content (`png`, `jpeg`, `pdf`), once fetched.
    pub format: Option<String>,
    /// Whether it was fetched to be read (QR codes, text). Documents whose
    /// label names a kind other than a certificate of origin are listed
    /// with that kind and not fetched: their QR codes lead to certification
    /// bodies, not to e-CO evidence, and reading them would be most of a
    /// crawl's work.
    #[serde(default)]
    pub decoded: bool,
    /// QR codes read from it.
    pub qr_codes: Vec<QrCode>,
    /// Certificate numbers read from it (QR codes, PDF text).
    pub certificate_numbers: Vec<String>,
    /// Why it could not be fetched or read, if so.
    pub error: Option<String>,
}

impl CertificateDocument {
    /// Whether it is a certificate of origin whose QR code leads to an
    /// official portal.
    pub fn has_official_portal_qr(&self) -> bool {
        self.qr_codes
            .iter()
            .any(|q| q.leads_to == QrTarget::OfficialPortal)
    }
}

/// Everything a screening observed about one supplier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Observation {
    /// Registrable domain of the supplier's website.
    pub domain: String,
    /// Name, from the seeds file.
    pub name: String,
    /// Country, from the seeds file.
    pub country: String,
    /// Region, from the seeds file.
    pub region: String,
    /// The website the screening started from.
    pub website: String,
    /// Extra columns of the seeds file.
    pub tags: BTreeMap<String, String>,
    /// When the screening finished.
    pub crawled_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: u64,
    /// Pages fetched (sitemaps, probes, credentials and documents not counted).
    pub pages_fetched: u32,
    /// Certificate documents fetched (they count against
    /// `--max-documents`, not `--max-pages`).
    #[serde(default)]
    pub documents_fetched: u32,
    /// Certifications pages found.
    pub cert_pages: Vec<String>,
    /// URLs not fetched because robots.txt disallows them.
    pub robots_blocked: Vec<String>,
    /// Verification entries found.
    pub entries: Vec<Entry>,
    /// Endpoint probes.
    pub probes: Vec<Probe>,
    /// Independently verified certificates.
    pub certificates: Vec<CertificateReport>,
    /// What went wrong, in plain words.
    pub errors: Vec<String>,
    /// Whether a Certifications page was reached through a link (false when
    /// the only way to it was a sitemap).
    #[serde(default)]
    pub cert_page_linked: bool,
    /// Why each of `cert_pages` was judged a Certifications page: the
    /// classifier's score and the features that fired, in the same order.
    #[serde(default)]
    pub cert_page_evidence: Vec<crate::classify::PageClass>,
    /// Certificate documents found on the Certifications pages.
    #[serde(default)]
    pub documents: Vec<CertificateDocument>,
}

impl Observation {
    /// An observation of `seed` with nothing observed yet.
    pub fn of_seed(seed: &crate::seeds::Seed) -> Observation {
        Observation {
            domain: crate::urlnorm::site_of(&seed.website)
                .unwrap_or_else(|| seed.website.host_str().unwrap_or_default().to_owned()),
            name: seed.name.clone(),
            country: seed.country.clone(),
            region: seed.region.clone(),
            website: seed.website.to_string(),
            tags: seed.tags.clone(),
            crawled_at: Utc::now(),
            duration_ms: 0,
            pages_fetched: 0,
            documents_fetched: 0,
            cert_pages: Vec::new(),
            robots_blocked: Vec::new(),
            entries: Vec::new(),
            probes: Vec::new(),
            certificates: Vec::new(),
            errors: Vec::new(),
            cert_page_linked: false,
            cert_page_evidence: Vec::new(),
            documents: Vec::new(),
        }
    }
}
