//! The certificate documents of a supplier's Certifications pages: which
//! to fetch, fetching them through the polite fetcher within
//! `--max-documents`, reading them on a blocking thread under a time limit,
//! and following what their QR codes lead to.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Semaphore;
use url::Url;

use super::{Run, SiteFindings, push_unique};
use crate::budget::SiteBudget;
use crate::classify::{certificate_documents, is_document_link};
use crate::document::kind::{DocumentKind, guess_kind};
use crate::document::{DOCUMENT_TIME_LIMIT, DocumentContent, DocumentError, read_document, sniff};
use crate::extract::{
    ApiEndpoint, document_numbers, is_credential_link, looks_like_number, number_in_url,
};
use crate::fetch::HttpRequest;
use crate::observation::{CertificateDocument, QrCode, QrTarget};
use crate::page::PageFacts;
use crate::urlnorm::in_site;
use crate::vocab::{Vocabulary, WordList, host_in};

/// Default number of certificate documents fetched per site.
pub const DEFAULT_MAX_DOCUMENTS: usize = 20;
/// Documents noted per site at most, before the best `--max-documents` of
/// them are chosen: a site whose every page is a gallery cannot grow the
/// list without bound.
pub(super) const MAX_DOCUMENT_CANDIDATES: usize = 1000;
/// Share of a site's time budget after which no further document is read:
/// documents are evidence beside the credentials and probes that follow
/// them, and must not use up the time those need.
const DOCUMENT_BUDGET_SHARE: f64 = 0.5;
/// Characters of a PDF's text used to guess its kind.
const KIND_TEXT_CHARS: usize = 4000;
/// The placeholder put into a URL template made from a QR code's URL.
const NUMBER_PLACEHOLDER: &str = "{certificationIdentification}";

/// A document seen on a Certifications page, not yet fetched.
#[derive(Debug, Clone)]
pub(super) struct DocumentCandidate {
    url: Url,
    page: Url,
    /// What named it as a certificate, empty when nothing did.
    evidence: String,
    /// Whether its labels or name speak of certificates.
    labelled: bool,
}

impl DocumentCandidate {
    /// Where the document is.
    pub(super) fn url(&self) -> &Url {
        &self.url
    }

    /// The kind its label and file name name.
    fn label_kind(&self) -> DocumentKind {
        guess_kind([self.evidence.as_str(), file_name(&self.url).as_str()])
    }
}

/// Images smaller than this on a side (by their `width` and `height`
/// attributes) are icons, not certificate scans.
const MIN_SCAN_SIDE: u32 = 100;
/// An image or file that appears on this many pages of a site is part of
/// its template (a logo, a banner), not a document of one page.
const SITE_WIDE_PAGES: u32 = 3;
/// Words in a file name that mark site chrome.
const CHROME_WORDS: &[&str] = &[
    "logo",
    "icon",
    "banner",
    "bg",
    "background",
    "arrow",
    "flag",
    "sprite",
    "loading",
    "placeholder",
    "blank",
    "spacer",
    "avatar",
    "qrcode-wechat",
    "wechat",
    "weixin",
];

/// The documents a Certifications page shows or links, best evidence
/// first: images and document links whose labels or names speak of
/// certificates; then other linked images and PDFs (gallery links,
/// downloads); then the page's other content images (unlabelled scans in a
/// gallery), leaving out the frame (`header`, `nav`, `footer`), icons and
/// files named like chrome.
pub(super) fn candidates(page_url: &Url, page: &PageFacts) -> Vec<DocumentCandidate> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut push = |url: &Url, evidence: String, labelled: bool| {
        if seen.insert(url.to_string()) {
            out.push(DocumentCandidate {
                url: url.clone(),
                page: page_url.clone(),
                evidence,
                labelled,
            });
        }
    };
    for (url, evidence) in certificate_documents(page) {
        push(&url, evidence, true);
    }
    for link in page.links.iter().filter(|l| is_document_link(&l.url)) {
        if !is_chrome_name(&link.url) {
            push(&link.url, String::new(), false);
        }
    }
    for image in &page.images {
        let small = image
            .declared_size
            .is_some_and(|(w, h)| w < MIN_SCAN_SIDE || h < MIN_SCAN_SIDE);
        if !image.in_frame && !small && !is_chrome_name(&image.url) && is_document_link(&image.url)
        {
            push(&image.url, String::new(), false);
        }
    }
    out
}

/// Whether a file's name marks it as site chrome (a logo, an icon), or its
/// format is one certificate scans do not come in (SVG, GIF).
fn is_chrome_name(url: &Url) -> bool {
    let name = file_name(url).to_ascii_lowercase();
    name.ends_with(".svg")
        || name.ends_with(".gif")
        || CHROME_WORDS.iter().any(|w| {
            name.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| part == *w)
        })
}

/// Counts, per URL, the pages of a site whose images and document links
/// include it, so that template images can be told from documents.
#[derive(Default)]
pub(super) struct SiteWide {
    pages: std::collections::HashMap<String, u32>,
}

impl SiteWide {
    /// Notes the images and document links of one page.
    pub(super) fn note(&mut self, page: &PageFacts) {
        let urls: HashSet<String> = page
            .images
            .iter()
            .map(|i| i.url.to_string())
            .chain(
                page.links
                    .iter()
                    .filter(|l| is_document_link(&l.url))
                    .map(|l| l.url.to_string()),
            )
            .collect();
        for url in urls {
            *self.pages.entry(url).or_default() += 1;
        }
    }

    /// Whether an unlabelled candidate is part of the site's template.
    fn is_template(&self, candidate: &DocumentCandidate) -> bool {
        !candidate.labelled
            && self
                .pages
                .get(candidate.url.as_str())
                .is_some_and(|n| *n >= SITE_WIDE_PAGES)
    }
}

/// Whether a document whose label and file name name `kind` is fetched and
/// read: a certificate of origin, or a document whose kind its label does
/// not tell (it may be one). A document labelled as another kind (ISO
/// 9001, CE, a licence) is listed with that kind and not fetched: its QR
/// codes lead to certification bodies, not to e-CO evidence, and fetching
/// what is not read costs the supplier's server and the crawl for nothing.
fn is_read(kind: &DocumentKind) -> bool {
    kind.is_certificate_of_origin() || *kind == DocumentKind::other()
}

/// Where a document of `kind` (by its label) comes in the reading order.
fn read_order(kind: &DocumentKind) -> u8 {
    if kind.is_certificate_of_origin() {
        0
    } else if is_read(kind) {
        1
    } else {
        2
    }
}

/// Reads a document's bytes on a blocking thread, at most `decoders` at a
/// time across the crawl, abandoning it after [`DOCUMENT_TIME_LIMIT`].
async fn read_off_thread(
    decoders: &Arc<Semaphore>,
    body: Vec<u8>,
    budget: &SiteBudget,
) -> Result<DocumentContent, DocumentError> {
    // The decoders are the crawl's: waiting for one is not the site's time.
    let permit = {
        let _pause = budget.pause();
        decoders.acquire().await
    };
    let Ok(_permit) = permit else {
        return Err(DocumentError::TimedOut);
    };
    let task = tokio::task::spawn_blocking(move || read_document(&body));
    match tokio::time::timeout(DOCUMENT_TIME_LIMIT, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(DocumentError::DecoderPanic {
            decoder: "document",
            message: join.to_string(),
        }),
        Err(_) => Err(DocumentError::TimedOut),
    }
}

/// Where a QR payload leads, and the number its URL carries.
pub fn route_qr(payload: &str, site: &str, portals: &[String]) -> QrCode {
    let code = |leads_to, certificate_number| QrCode {
        payload: payload.to_owned(),
        leads_to,
        certificate_number,
    };
    let Some(url) = Url::parse(payload.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    else {
        return code(
            QrTarget::Other,
            document_numbers(payload).into_iter().next(),
        );
    };
    let number = number_in_url(&url);
    let host = url.host_str().unwrap_or_default();
    if eco::openattestation::link::is_link(&url) {
        code(QrTarget::Tradetrust, None)
    } else if host_in(host, portals) {
        code(QrTarget::OfficialPortal, number)
    } else if is_credential_link(&url, "") {
        code(QrTarget::Credential, None)
    } else if in_site(&url, site) && looks_like_endpoint(&url) {
        code(QrTarget::SupplierEndpoint, number)
    } else if in_site(&url, site) && number.is_some() {
        // A document named by its number (`/certificate/VN-...`): fetched
        // as a credential, and judged only if it presents itself as one.
        code(QrTarget::Credential, number)
    } else {
        code(QrTarget::Other, number)
    }
}

/// Whether a supplier URL looks like a verification endpoint: it asks
/// about a number in its query, or its path speaks of an API or of
/// verifying.
fn looks_like_endpoint(url: &Url) -> bool {
    let asks = url.query_pairs().any(|(_, v)| looks_like_number(&v));
    let api = url.path_segments().is_some_and(|mut s| {
        s.any(|seg| seg.eq_ignore_ascii_case("api") || seg.starts_with("api."))
    });
    asks || api || Vocabulary::get().matches(WordList::Verify, url.path())
}

/// A GET template for the supplier's endpoint a QR code's URL shows: the
/// number in it becomes the placeholder.
fn endpoint_template(url: &str, number: &str) -> Option<ApiEndpoint> {
    let encoded: String = url::form_urlencoded::byte_serialize(number.as_bytes()).collect();
    let template = if url.contains(number) {
        url.replacen(number, NUMBER_PLACEHOLDER, 1)
    } else if url.contains(&encoded) {
        url.replacen(&encoded, NUMBER_PLACEHOLDER, 1)
    } else {
        return None;
    };
    Some(ApiEndpoint {
        template,
        placeholder: NUMBER_PLACEHOLDER.to_owned(),
        method: "GET".to_owned(),
    })
}

/// The file name at the end of a URL, decoded.
fn file_name(url: &Url) -> String {
    let last = url.path().rsplit('/').next().unwrap_or_default();
    percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .into_owned()
}

impl Run<'_> {
    /// Fetches and reads the documents found on the Certifications pages,
    /// records each, and hands what their QR codes and text say to the
    /// later steps: credentials to verify, endpoints and numbers to probe.
    pub(super) async fn read_documents(&mut self, site: &str, found: &mut SiteFindings) {
        let limit = self.screener.config.max_documents;
        let mut candidates = std::mem::take(&mut found.documents);
        candidates.retain(|c| !found.site_wide.is_template(c));
        // Certificates of origin first, then documents whose label names no
        // kind (labelled before unlabelled), then those of other kinds.
        candidates.sort_by_cached_key(|c| (read_order(&c.label_kind()), !c.labelled));
        let mut left = 0;
        for candidate in candidates.into_iter().take(limit) {
            if self.budget.used_more_than(DOCUMENT_BUDGET_SHARE) {
                left += 1;
                continue;
            }
            let document = self.read_one(&candidate, site, found).await;
            self.obs.documents.push(document);
        }
        if left > 0 {
            self.error(format!(
                "{left} certificate document(s) not read: half the site's time budget was used"
            ));
        }
    }

    async fn read_one(
        &mut self,
        candidate: &DocumentCandidate,
        site: &str,
        found: &mut SiteFindings,
    ) -> CertificateDocument {
        let name = file_name(&candidate.url);
        let mut document = CertificateDocument {
            url: candidate.url.to_string(),
            page: candidate.page.to_string(),
            kind: String::new(),
            kind_label: String::new(),
            evidence: candidate.evidence.clone(),
            format: None,
            decoded: false,
            qr_codes: Vec::new(),
            certificate_numbers: Vec::new(),
            error: None,
        };
        let mut text = String::new();
        if is_read(&candidate.label_kind()) {
            document.decoded = true;
            match self.fetch_document(&candidate.url).await {
                Err(error) => document.error = Some(error),
                Ok(body) => {
                    document.format = sniff(&body).map(|f| f.as_str().to_owned());
                    match read_off_thread(&self.screener.decoders, body, &self.budget).await {
                        Err(e) => document.error = Some(e.to_string()),
                        Ok(content) => {
                            text = content.text.chars().take(KIND_TEXT_CHARS).collect();
                            self.follow_content(&content, site, &mut document, found);
                        }
                    }
                }
            }
        }
        let kind = self.kind_of(&document, &name, &text);
        document.kind = kind.id;
        document.kind_label = kind.label;
        document
    }

    /// The body of a document, or why there is none.
    async fn fetch_document(&mut self, url: &Url) -> Result<Vec<u8>, String> {
        let request = HttpRequest::get(url.clone(), "image/*, application/pdf;q=0.9, */*;q=0.5");
        let response = self.fetch(request).await.map_err(|e| e.to_string())?;
        self.obs.documents_fetched += 1;
        if response.status != 200 {
            return Err(format!("HTTP {}", response.status));
        }
        if sniff(&response.body).is_none() {
            return Err(format!(
                "not an image or PDF (served as {})",
                response.content_type.as_deref().unwrap_or("no type")
            ));
        }
        Ok(response.body)
    }

    /// Routes a read document's QR codes and numbers.
    fn follow_content(
        &mut self,
        content: &DocumentContent,
        site: &str,
        document: &mut CertificateDocument,
        found: &mut SiteFindings,
    ) {
        for warning in &content.warnings {
            self.error(format!("document {}: {warning}", document.url));
        }
        for payload in &content.qr_codes {
            let code = route_qr(payload, site, &self.screener.portals);
            if let Some(n) = &code.certificate_number {
                push_unique(&mut document.certificate_numbers, n.clone());
            }
            match code.leads_to {
                QrTarget::Credential | QrTarget::Tradetrust => {
                    if let Ok(url) = Url::parse(payload.trim()) {
                        push_unique(&mut found.credentials, url);
                    }
                }
                QrTarget::SupplierEndpoint => {
                    if let Some(api) = code
                        .certificate_number
                        .as_deref()
                        .and_then(|n| endpoint_template(payload.trim(), n))
                    {
                        push_unique(&mut found.apis, api);
                    }
                }
                _ => {}
            }
            document.qr_codes.push(code);
        }
        for n in document_numbers(&content.text) {
            push_unique(&mut document.certificate_numbers, n);
        }
        for n in &document.certificate_numbers {
            push_unique(&mut found.document_numbers, n.clone());
        }
    }

    /// What a document certifies, from its labels, name, text and QR codes;
    /// a QR code to an official portal makes it a certificate of origin.
    fn kind_of(&self, document: &CertificateDocument, name: &str, text: &str) -> DocumentKind {
        let kind = guess_kind([document.evidence.as_str(), name, text]);
        if kind.id == "other" && document.has_official_portal_qr() {
            return guess_kind(["certificate of origin"]);
        }
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portals() -> Vec<String> {
        vec!["check.portal.test".to_owned()]
    }

    #[test]
    fn qr_payloads_lead_where_their_urls_point() {
        let route = |p: &str| route_qr(p, "acme.test", &portals());
        let portal = route("https://check.portal.test/co?no=RCEP-TH-2026-1234567");
        assert_eq!(portal.leads_to, QrTarget::OfficialPortal);
        assert_eq!(
            portal.certificate_number.as_deref(),
            Some("RCEP-TH-2026-1234567")
        );
        assert_eq!(
            route("https://acme.test/certs/co-1.vc").leads_to,
            QrTarget::Credential
        );
        let own = route("https://www.acme.test/api/co/VN-RCEP-26-00001230");
        assert_eq!(own.leads_to, QrTarget::SupplierEndpoint);
        let tt = route(
            "https://tradetrust.example/?q=%7B%22type%22%3A%22DOCUMENT%22%2C%22payload%22%3A%7B%7D%7D",
        );
        assert_eq!(tt.leads_to, QrTarget::Tradetrust);
        assert_eq!(
            route("https://acme.test/verify?no=VN-RCEP-26-00001230").leads_to,
            QrTarget::SupplierEndpoint
        );
        assert_eq!(
            route("https://acme.test/certificate/VN-RCEP-26-00001230").leads_to,
            QrTarget::Credential
        );
        assert_eq!(route("https://acme.test/").leads_to, QrTarget::Other);
        assert_eq!(route("just some text").leads_to, QrTarget::Other);
    }

    #[test]
    fn an_endpoint_url_becomes_a_template() {
        let api = endpoint_template(
            "https://acme.test/verify?no=VN-RCEP-26-00001230&lang=en",
            "VN-RCEP-26-00001230",
        )
        .unwrap();
        assert_eq!(
            api.template,
            "https://acme.test/verify?no={certificationIdentification}&lang=en"
        );
    }
}
