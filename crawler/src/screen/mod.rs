//! Screening one supplier: find its Certifications pages (prioritised,
//! breadth-first, within its registrable domain), read what they offer,
//! download and independently verify its credentials, probe its endpoints,
//! and compare what they say with the independent result.

mod documents;

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use eco::openattestation::link::{LinkError, TradeTrustLink};
use eco::{CertificateReport, CheckName, CheckResult, TrustList, Verdict, Verifier};
use tokio::time::Instant;
use url::Url;

use crate::budget::SiteBudget;
use crate::charset::decode_html;
use crate::classify::{
    LinkContext, MAX_LINK_TEXTS, PRIORITY_NAMED, PRIORITY_VERIFY, PageWeights, classify,
    link_priority,
};
use crate::extract::{ApiEndpoint, Findings, FormEndpoint, findings};
use crate::fetch::HttpRequest;
use crate::observation::{Entry, EntryKind, NegativeControl, Observation, Probe};
use crate::openapi;
use crate::page::{Link, MAX_HTML_DEPTH, nesting_depth, read_page};
use crate::polite::{NetError, PoliteFetcher};
use crate::probe::{Answer, Endpoint, ask, negative_control, negative_control_number};
use crate::seeds::Seed;
use crate::sitemap;
use crate::urlnorm::{in_site, is_non_page, normalize, visit_key};
use crate::vocab::{AnswerStatus, Vocabulary, builtin_portals};

pub use documents::DEFAULT_MAX_DOCUMENTS;

/// Default page cap per site.
pub const DEFAULT_MAX_PAGES: u32 = 50;
/// Default link depth cap.
pub const DEFAULT_MAX_DEPTH: u32 = 4;
/// Default wall-clock budget per site.
pub const DEFAULT_SITE_BUDGET: Duration = Duration::from_secs(180);
/// Credentials downloaded per site at most.
pub const MAX_CREDENTIALS: usize = 10;
/// Certificate numbers probed per endpoint at most.
pub const MAX_PROBE_NUMBERS: usize = 3;
/// Endpoints probed per site at most.
pub const MAX_ENDPOINTS: usize = 4;
/// OpenAPI documents read per site at most.
pub const MAX_OPENAPI_DOCUMENTS: usize = 2;
/// Sitemap files fetched per site at most.
pub const MAX_SITEMAP_FETCHES: usize = 6;
/// Errors kept per site at most (more are counted in the last one).
pub const MAX_ERRORS: usize = 40;

/// Limits of one screening.
#[derive(Debug, Clone)]
pub struct ScreenConfig {
    /// Pages fetched per site at most.
    pub max_pages: u32,
    /// Link depth from the start page at most.
    pub max_depth: u32,
    /// Wall-clock budget per site.
    pub site_budget: Duration,
    /// Certificate documents (scans, PDFs) fetched and read per site at
    /// most; 0 reads none.
    pub max_documents: usize,
}

impl Default for ScreenConfig {
    fn default() -> ScreenConfig {
        ScreenConfig {
            max_pages: DEFAULT_MAX_PAGES,
            max_depth: DEFAULT_MAX_DEPTH,
            site_budget: DEFAULT_SITE_BUDGET,
            max_documents: DEFAULT_MAX_DOCUMENTS,
        }
    }
}

/// Screens suppliers; one per crawl, shared by every supplier so that the
/// verifier's caches and the fetcher's per-host state are shared too.
pub struct Screener {
    fetcher: PoliteFetcher,
    verifier: Verifier<PoliteFetcher>,
    config: ScreenConfig,
    portals: Vec<String>,
    /// Documents being decoded at once, across the crawl: decoding is CPU
    /// work, so at most one per core.
    decoders: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug, PartialEq, Eq)]
struct Queued {
    score: u32,
    depth: u32,
    seq: u64,
    url: Url,
    named: bool,
    /// Queued from a sitemap, not from a link on a page.
    from_sitemap: bool,
}

impl Ord for Queued {
    fn cmp(&self, other: &Queued) -> Ordering {
        self.score
            .cmp(&other.score)
            .then(other.depth.cmp(&self.depth))
            .then(other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Queued) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What a site offers, gathered over its pages.
#[derive(Default)]
struct SiteFindings {
    entries: BTreeSet<Entry>,
    apis: Vec<ApiEndpoint>,
    forms: Vec<FormEndpoint>,
    credentials: Vec<Url>,
    structured_numbers: Vec<String>,
    text_numbers: Vec<String>,
    /// Certificate documents seen on Certifications pages, to be read.
    documents: Vec<documents::DocumentCandidate>,
    /// Numbers read from certificate documents (QR codes, PDF text).
    document_numbers: Vec<String>,
    /// On how many pages each image and document link appears.
    site_wide: documents::SiteWide,
    /// URLs of `documents`.
    document_urls: HashSet<String>,
}

impl SiteFindings {
    /// Adds a certificate document to read, once per URL and at most
    /// [`documents::MAX_DOCUMENT_CANDIDATES`] per site.
    fn add_document(&mut self, candidate: documents::DocumentCandidate) {
        if self.documents.len() < documents::MAX_DOCUMENT_CANDIDATES
            && self.document_urls.insert(candidate.url().to_string())
        {
            self.documents.push(candidate);
        }
    }

    /// Adds what one page offers.
    fn absorb(&mut self, f: Findings) {
        self.entries.extend(f.entries);
        f.apis
            .into_iter()
            .for_each(|a| push_unique(&mut self.apis, a));
        f.forms
            .into_iter()
            .for_each(|x| push_unique(&mut self.forms, x));
        f.credentials
            .into_iter()
            .for_each(|u| push_unique(&mut self.credentials, u));
        f.structured_numbers
            .into_iter()
            .for_each(|n| push_unique(&mut self.structured_numbers, n));
        f.text_numbers
            .into_iter()
            .for_each(|n| push_unique(&mut self.text_numbers, n));
    }
}

/// The pages still to visit, best first, and what the links to them said.
#[derive(Default)]
struct Frontier {
    queue: BinaryHeap<Queued>,
    /// The best score each URL was queued with: a URL seen again under a
    /// better name (a sitemap entry, then a named menu link) is queued again.
    best: HashMap<String, u32>,
    seq: u64,
    /// Naming texts of the links seen to each URL (at most
    /// `MAX_LINK_TEXTS` each).
    link_texts: HashMap<String, Vec<String>>,
}

impl Frontier {
    fn push(&mut self, url: Url, score: u32, depth: u32, named: bool, from_sitemap: bool) {
        let url = normalize(&url);
        let key = visit_key(&url);
        if self.best.get(&key).is_none_or(|best| score > *best) {
            self.best.insert(key, score);
            self.seq += 1;
            self.queue.push(Queued {
                score,
                depth,
                seq: self.seq,
                url,
                named,
                from_sitemap,
            });
        }
    }

    fn pop(&mut self) -> Option<Queued> {
        self.queue.pop()
    }

    fn note_link_text(&mut self, url: &Url, text: String) {
        let texts = self
            .link_texts
            .entry(visit_key(&normalize(url)))
            .or_default();
        if texts.len() < MAX_LINK_TEXTS && !texts.contains(&text) {
            texts.push(text);
        }
    }

    fn link_texts(&self, url: &Url) -> Vec<String> {
        self.link_texts
            .get(&visit_key(&normalize(url)))
            .cloned()
            .unwrap_or_default()
    }
}

/// Queues a page's same-site links, in the order [`link_priority`] gives,
/// and notes the texts of those that name a Certifications page.
fn follow_links(frontier: &mut Frontier, links: &[Link], depth: u32, site: &str) {
    for link in links {
        if !in_site(&link.url, site) || is_non_page(&link.url) {
            continue;
        }
        let priority = link_priority(link);
        if let Some(text) = priority.naming_text {
            frontier.note_link_text(&link.url, text);
        }
        frontier.push(
            link.url.clone(),
            priority.score,
            depth,
            priority.named,
            false,
        );
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Whether a body is clearly not text: NUL bytes or a known binary signature.
fn is_binary(body: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"\x89PNG",
        b"GIF8",
        b"%PDF",
        b"PK\x03\x04",
        b"\xFF\xD8\xFF",
        b"\x1F\x8B",
    ];
    MAGIC.iter().any(|m| body.starts_with(m)) || body.iter().take(1024).any(|&b| b == 0)
}

struct Run<'a> {
    screener: &'a Screener,
    obs: Observation,
    budget: SiteBudget,
    suppressed_errors: usize,
}

/// A site being screened: released when dropped, even if the screening
/// panics, so its connections and host records do not outlive it.
struct SiteSession<'a> {
    fetcher: &'a PoliteFetcher,
    site: &'a str,
}

impl<'a> SiteSession<'a> {
    fn begin(fetcher: &'a PoliteFetcher, site: &'a str) -> SiteSession<'a> {
        fetcher.begin_site(site);
        SiteSession { fetcher, site }
    }
}

impl Drop for SiteSession<'_> {
    fn drop(&mut self) {
        self.fetcher.release_site(self.site);
    }
}

impl Run<'_> {
    fn error(&mut self, message: String) {
        if self.obs.errors.len() < MAX_ERRORS {
            self.obs.errors.push(message);
        } else {
            self.suppressed_errors += 1;
        }
    }

    fn net_error(&mut self, what: &str, error: NetError) {
        if let NetError::Robots { url, .. } = &error {
            push_unique(&mut self.obs.robots_blocked, url.to_string());
        }
        self.error(format!("{what}: {error}"));
    }
}

impl Screener {
    /// A screener whose requests all go through `fetcher`, verifying
    /// against `trust`; the fetcher treats the trust list's authority hosts
    /// as such ([`PoliteFetcher::with_authority_hosts`]).
    pub fn new(fetcher: PoliteFetcher, trust: Arc<TrustList>, config: ScreenConfig) -> Screener {
        let mut portals: Vec<String> = builtin_portals()
            .iter()
            .flat_map(|p| p.hosts.iter().cloned())
            .collect();
        for authority in trust.authorities() {
            portals.extend(authority.portals.iter().cloned());
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let fetcher = fetcher.with_authority_hosts(trust.authority_hosts().clone());
        Screener {
            verifier: Verifier::new(trust, fetcher.clone()),
            fetcher,
            config,
            portals,
            decoders: Arc::new(tokio::sync::Semaphore::new(cores)),
        }
    }

    /// The fetcher.
    pub fn fetcher(&self) -> &PoliteFetcher {
        &self.fetcher
    }

    /// Screens one supplier. Always returns an observation; what went wrong
    /// is in its `errors`.
    pub async fn screen(&self, seed: &Seed) -> Observation {
        let started = Instant::now();
        let obs = Observation::of_seed(seed);
        let mut run = Run {
            screener: self,
            budget: SiteBudget::start(&obs.domain, self.config.site_budget),
            obs,
            suppressed_errors: 0,
        };
        let site = run.obs.domain.clone();
        let _session = SiteSession::begin(&self.fetcher, &site);
        let mut found = SiteFindings::default();
        run.discover(&seed.website, &site, &mut found).await;
        run.read_documents(&site, &mut found).await;
        run.verify_and_probe(&site, &mut found).await;
        if run.suppressed_errors > 0 {
            run.obs
                .errors
                .push(format!("... and {} more errors", run.suppressed_errors));
        }
        run.obs.entries = found.entries.into_iter().collect();
        run.obs.crawled_at = Utc::now();
        run.obs.duration_ms = started.elapsed().as_millis() as u64;
        run.obs
    }
}

impl Run<'_> {
    async fn fetch(&mut self, request: HttpRequest) -> Result<eco::FetchResponse, NetError> {
        self.screener
            .fetcher
            .request(request, Some(&self.budget))
            .await
    }

    /// Sitemaps named in robots.txt, or `/sitemap.xml`: their same-site URLs.
    async fn sitemap_urls(&mut self, start: &Url, site: &str) -> Vec<Url> {
        let robots = match self.screener.fetcher.robots(start).await {
            Ok(robots) => robots,
            Err(e) => {
                self.error(format!("start page: {e}"));
                return Vec::new();
            }
        };
        if let Some(reason) = robots.refusal() {
            self.error(format!(
                "{}: {reason}",
                start.origin().ascii_serialization()
            ));
            return Vec::new();
        }
        let mut pending: Vec<Url> = robots
            .sitemaps()
            .iter()
            .filter(|u| in_site(u, site))
            .cloned()
            .collect();
        if pending.is_empty()
            && let Ok(default) = start.join("/sitemap.xml")
        {
            pending.push(default);
        }
        let mut urls = Vec::new();
        let mut fetched = 0;
        while let Some(sitemap_url) = pending.pop() {
            if fetched >= MAX_SITEMAP_FETCHES {
                break;
            }
            fetched += 1;
            let response = match self
                .fetch(HttpRequest::get(
                    sitemap_url.clone(),
                    "application/xml, text/xml, */*;q=0.5",
                ))
                .await
            {
                Ok(r) if r.status == 200 => r,
                Ok(_) => continue,
                Err(e @ NetError::Robots { .. }) => {
                    self.net_error("sitemap", e);
                    continue;
                }
                Err(_) => continue,
            };
            match sitemap::parse(&response.url, &response.body) {
                Ok(map) => {
                    urls.extend(map.urls.into_iter().filter(|u| in_site(u, site)));
                    // Child sitemaps whose name suggests pages first.
                    let mut children: Vec<Url> = map
                        .sitemaps
                        .into_iter()
                        .filter(|u| in_site(u, site))
                        .collect();
                    children.sort_by_key(|u| u.path().contains("page"));
                    pending.extend(children);
                }
                Err(e) => self.error(format!("sitemap {sitemap_url}: {e}")),
            }
        }
        urls
    }

    async fn discover(&mut self, start: &Url, site: &str, found: &mut SiteFindings) {
        let vocab = Vocabulary::get();
        let config = self.screener.config.clone();
        let mut frontier = Frontier::default();
        frontier.push(start.clone(), u32::MAX, 0, false, false);
        for url in self.sitemap_urls(start, site).await {
            let named = vocab.slug_matches(&format!(
                "{}?{}",
                url.path(),
                url.query().unwrap_or_default()
            ));
            let score = if named { PRIORITY_NAMED } else { 1 };
            frontier.push(url, score, 1, named, true);
        }
        let mut visited: HashSet<String> = HashSet::new();
        // Pages some fetched page links to (a page known only from a sitemap
        // is harder for a buyer to find).
        let mut linked: HashSet<String> = HashSet::new();
        while let Some(item) = frontier.pop() {
            if self.obs.pages_fetched >= config.max_pages {
                break;
            }
            // Once a Certifications page is found, and known to be linked
            // from the site, only links named like one, or like a
            // verification page, are still followed.
            let linked_cert_page = self
                .obs
                .cert_pages
                .iter()
                .filter_map(|u| Url::parse(u).ok())
                .any(|u| linked.contains(&visit_key(&u)));
            if linked_cert_page && item.score < PRIORITY_VERIFY {
                break;
            }
            if self.budget.expired() {
                self.error(format!(
                    "the site's time budget of {} s ran out",
                    config.site_budget.as_secs()
                ));
                break;
            }
            if !visited.insert(visit_key(&item.url)) {
                continue;
            }
            let Some((page_url, text)) = self.fetch_page(&item, site, &mut visited).await else {
                continue;
            };
            let facts = read_page(&page_url, &text);
            let f = findings(&facts, &self.screener.portals);
            if facts.bad_jsonld > 0 {
                self.error(format!(
                    "{page_url}: {} JSON-LD block(s) are not valid JSON",
                    facts.bad_jsonld
                ));
            }
            let context = LinkContext {
                link_texts: frontier.link_texts(&item.url),
                start_page: item.depth == 0,
            };
            let class = classify(&page_url, &facts, &f, &context, PageWeights::get());
            found.site_wide.note(&facts);
            if class.is_cert_page {
                for candidate in documents::candidates(&page_url, &facts) {
                    found.add_document(candidate);
                }
                if !item.from_sitemap {
                    linked.insert(visit_key(&page_url));
                }
                if !self.obs.cert_pages.contains(&class.url) {
                    self.obs.cert_pages.push(class.url.clone());
                    self.obs.cert_page_evidence.push(class);
                }
            }
            found.absorb(f);
            for link in &facts.links {
                linked.insert(visit_key(&link.url));
            }
            if item.depth < config.max_depth {
                follow_links(&mut frontier, &facts.links, item.depth + 1, site);
            }
        }
        self.obs.cert_page_linked = self
            .obs
            .cert_pages
            .iter()
            .filter_map(|u| Url::parse(u).ok())
            .any(|u| linked.contains(&visit_key(&u)));
    }

    /// Fetches a queued page and passes it through the gates (status,
    /// content type, binary body, charset, nesting): its final URL and text,
    /// or `None` with the reason recorded when it is not a page to read.
    async fn fetch_page(
        &mut self,
        item: &Queued,
        site: &str,
        visited: &mut HashSet<String>,
    ) -> Option<(Url, String)> {
        let what = if item.depth == 0 {
            "start page".to_owned()
        } else {
            item.url.to_string()
        };
        let response = match self
            .fetch(HttpRequest::get(
                item.url.clone(),
                "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            ))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                self.net_error(&what, e);
                return None;
            }
        };
        self.obs.pages_fetched += 1;
        visited.insert(visit_key(&response.url));
        if !in_site(&response.url, site) {
            self.error(format!(
                "{what}: redirected off the site to {}",
                response.url
            ));
            return None;
        }
        if response.status != 200 {
            if item.depth == 0 || item.named {
                self.error(format!("{what}: HTTP {}", response.status));
            }
            return None;
        }
        let declared = response
            .content_type
            .as_deref()
            .unwrap_or("text/html")
            .to_ascii_lowercase();
        if !(declared.contains("html") || declared.starts_with("text/plain") || declared.is_empty())
        {
            return None;
        }
        if is_binary(&response.body) {
            self.error(format!(
                "{what}: the body is not HTML although served as {declared}"
            ));
            return None;
        }
        let decoded = decode_html(&response.body, response.content_type.as_deref());
        if decoded.had_errors {
            self.error(format!(
                "{what}: bytes that are not valid {}; read with replacement characters",
                decoded.encoding.name()
            ));
        }
        if nesting_depth(&decoded.text) > MAX_HTML_DEPTH {
            self.error(format!(
                "{what}: HTML nested deeper than {MAX_HTML_DEPTH} levels; not read"
            ));
            return None;
        }
        Some((response.url, decoded.text))
    }

    /// Fetches and judges the credential at `url`: a document, or a
    /// TradeTrust link to one (see [`Self::open_tradetrust_link`]). The
    /// report keeps `url`, as the supplier published it: for a link, what
    /// a buyer opens to see the certificate.
    async fn download(&mut self, url: &Url, site: &str) -> Option<CertificateReport> {
        let (document_url, document) = match eco::openattestation::link::parse_link(url) {
            Some(link) => self.open_tradetrust_link(url, link).await?,
            None => {
                let document = self.fetch_json(url, "credential").await?;
                if eco::openattestation::link::is_encrypted(&document) {
                    self.error(format!(
                        "credential {url}: an encrypted TradeTrust document, and no link gives its key; not judged"
                    ));
                    return None;
                }
                (url.clone(), document)
            }
        };
        // A link that merely ends in .json may be any JSON; only a document
        // that presents itself as a verifiable credential is judged as one
        // (a failed judgement of, say, a product feed would raise a false
        // red flag).
        if !looks_like_credential(&document) {
            self.error(format!(
                "{document_url} is JSON but not a verifiable credential; not judged"
            ));
            return None;
        }
        let exporter = eco::Exporter {
            domain: site,
            name: Some(self.obs.name.as_str()).filter(|n| !n.is_empty()),
        };
        // Verification asks the authorities (the buyer's services), not
        // the site: the site's budget does not run meanwhile.
        let verified = {
            let _pause = self.budget.pause();
            self.screener
                .verifier
                .verify_value_as(&document, Some(exporter))
                .await
        };
        match verified {
            Ok(mut report) => {
                report.url = Some(url.to_string());
                Some(report)
            }
            Err(e) => {
                self.error(format!("credential {document_url}: {e}"));
                None
            }
        }
    }

    /// Follows a TradeTrust verification link: fetches the document its
    /// `uri` names (a supplier-given URL, so through the guarded, polite
    /// fetcher like any other) and decrypts it with the link's key.
    async fn open_tradetrust_link(
        &mut self,
        url: &Url,
        link: Result<TradeTrustLink, LinkError>,
    ) -> Option<(Url, serde_json::Value)> {
        let link = match link {
            Ok(link) => link,
            Err(e) => {
                self.error(format!("TradeTrust link {url}: {e}"));
                return None;
            }
        };
        let fetched = self.fetch_json(&link.uri, "TradeTrust document").await?;
        match eco::openattestation::link::open(fetched, link.key.as_deref()) {
            Ok(document) => Some((link.uri, document)),
            Err(e) => {
                self.error(format!("TradeTrust document {}: {e}", link.uri));
                None
            }
        }
    }

    /// Fetches `url` and reads its body as strict JSON; `what` names it in
    /// errors.
    async fn fetch_json(&mut self, url: &Url, what: &str) -> Option<serde_json::Value> {
        let response = match self
            .fetch(HttpRequest::get(
                url.clone(),
                "application/vc, application/ld+json, application/json;q=0.9, */*;q=0.5",
            ))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                self.net_error(&format!("{what} {url}"), e);
                return None;
            }
        };
        if response.status != 200 {
            self.error(format!("{what} {url}: HTTP {}", response.status));
            return None;
        }
        match eco::json::parse_strict(&response.body) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(format!("{what} {url}: {e}"));
                None
            }
        }
    }

    /// APIs described only by an OpenAPI document (no `CheckAction`).
    async fn openapi_endpoints(&mut self, found: &mut SiteFindings) {
        if !found.apis.is_empty() {
            return;
        }
        let docs: Vec<Url> = found
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Openapi)
            .filter_map(|e| Url::parse(&e.url).ok())
            .take(MAX_OPENAPI_DOCUMENTS)
            .collect();
        for url in docs {
            match self
                .fetch(HttpRequest::get(
                    url.clone(),
                    "application/json, application/openapi+json",
                ))
                .await
            {
                Ok(r) if r.status == 200 => {
                    match serde_json::from_slice::<serde_json::Value>(&r.body) {
                        Ok(doc) => openapi::endpoints(&r.url, &doc)
                            .into_iter()
                            .for_each(|a| push_unique(&mut found.apis, a)),
                        Err(_) => {
                            self.error(format!("OpenAPI description {url} is not JSON; not read"))
                        }
                    }
                }
                Ok(r) => self.error(format!("OpenAPI description {url}: HTTP {}", r.status)),
                Err(e) => self.net_error(&format!("OpenAPI description {url}"), e),
            }
        }
    }

    async fn verify_and_probe(&mut self, site: &str, found: &mut SiteFindings) {
        self.openapi_endpoints(found).await;
        let mut downloaded: Vec<String> = Vec::new();
        for url in found.credentials.clone().into_iter().take(MAX_CREDENTIALS) {
            downloaded.push(url.to_string());
            if let Some(report) = self.download(&url, site).await {
                self.obs.certificates.push(report);
            }
        }
        let mut numbers: Vec<String> = Vec::new();
        for n in found
            .structured_numbers
            .iter()
            .chain(
                self.obs
                    .certificates
                    .iter()
                    .filter_map(|c| c.certificate_number.as_ref()),
            )
            .chain(found.text_numbers.iter())
        {
            push_unique(&mut numbers, n.clone());
        }
        numbers.truncate(MAX_PROBE_NUMBERS);
        let endpoints: Vec<Endpoint> = found
            .apis
            .iter()
            .cloned()
            .map(Endpoint::Api)
            .chain(found.forms.iter().cloned().map(Endpoint::Form))
            .take(MAX_ENDPOINTS)
            .collect();
        let mut answers: Vec<(String, Answer)> = Vec::new();
        for endpoint in &endpoints {
            let control = negative_control_number(numbers.first().map(String::as_str));
            let control_answer = ask(
                &self.screener.fetcher,
                endpoint,
                &control,
                Some(&self.budget),
            )
            .await;
            let outcome = if control_answer.refused {
                NegativeControl::Skipped
            } else {
                negative_control(&control_answer)
            };
            if let Some(url) = &control_answer.robots_blocked {
                push_unique(&mut self.obs.robots_blocked, url.clone());
            }
            if let Some(error) = &control_answer.error {
                self.error(format!("endpoint {}: {error}", endpoint.url_for(&control)));
            }
            if control_answer.refused {
                continue;
            }
            if numbers.is_empty() {
                self.obs.probes.push(probe(&control_answer, None, outcome));
            }
            for number in &numbers {
                let answer =
                    ask(&self.screener.fetcher, endpoint, number, Some(&self.budget)).await;
                if let Some(error) = &answer.error {
                    self.error(format!("endpoint {}: {error}", answer.url));
                }
                self.obs
                    .probes
                    .push(probe(&answer, Some(number.clone()), outcome));
                let answer_url = Url::parse(&answer.url).ok();
                if let Some(credential) = answer
                    .credential
                    .as_deref()
                    .and_then(|c| crate::extract::absolute_url(answer_url.as_ref(), c))
                    && !downloaded.contains(&credential.to_string())
                    && downloaded.len() < MAX_CREDENTIALS
                {
                    downloaded.push(credential.to_string());
                    if let Some(report) = self.download(&credential, site).await {
                        self.obs.certificates.push(report);
                    }
                }
                answers.push((number.clone(), answer));
            }
        }
        for report in &mut self.obs.certificates {
            let said: Vec<&Answer> = answers
                .iter()
                .filter(|(n, a)| {
                    Some(n) == report.certificate_number.as_ref() && a.status.is_some()
                })
                .map(|(_, a)| a)
                .collect();
            report.set_check(CheckName::EndpointAgrees, agreement(report, &said));
        }
    }
}

/// Whether a JSON document presents itself as a verifiable credential: a
/// `VerifiableCredential` type, a credentials `@context`, a proof, or an
/// OpenAttestation v2 `version` (a TradeTrust document).
fn looks_like_credential(document: &serde_json::Value) -> bool {
    let mentions = |v: Option<&serde_json::Value>, word: &str| match v {
        Some(serde_json::Value::String(s)) => s.contains(word),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .any(|i| i.as_str().is_some_and(|s| s.contains(word))),
        _ => false,
    };
    document.is_object()
        && (mentions(document.get("type"), "VerifiableCredential")
            || mentions(document.get("@context"), "/credentials/")
            || document.get("proof").is_some()
            || mentions(document.get("version"), "schema.openattestation.com/2.0"))
}

fn probe(answer: &Answer, number: Option<String>, negative_control: NegativeControl) -> Probe {
    Probe {
        url: answer.url.clone(),
        certificate_number: number,
        http_status: answer.http_status,
        latency_ms: answer.latency_ms,
        json: answer.json,
        answer_status: answer.status.map(|s| s.as_str().to_owned()),
        negative_control,
    }
}

/// Whether what the endpoints said agrees with independent verification.
fn agreement(report: &CertificateReport, said: &[&Answer]) -> CheckResult {
    if said.is_empty() {
        return CheckResult::skip("no supplier endpoint answered for this certificate");
    }
    if report.verdict == Verdict::Unverifiable {
        return CheckResult::unknown(
            "independent verification could not decide, so the endpoint's answer cannot be judged",
        );
    }
    let failed = |n: CheckName| report.checks.get(n).outcome == eco::Outcome::Fail;
    for answer in said {
        let Some(status) = answer.status else {
            continue;
        };
        let agrees = match report.verdict {
            Verdict::Verified => status == AnswerStatus::Valid,
            _ if failed(CheckName::NotRevoked) => status == AnswerStatus::Revoked,
            _ if failed(CheckName::ValidityPeriod) => {
                matches!(status, AnswerStatus::Expired | AnswerStatus::Revoked)
            }
            _ => status != AnswerStatus::Valid,
        };
        if !agrees {
            return CheckResult::fail(format!(
                "{} says {:?}; independent verification: {}",
                answer.url,
                status.as_str(),
                report.reason
            ));
        }
        if let Some(digest) = &answer.digest
            && status == AnswerStatus::Valid
            && !digest.eq_ignore_ascii_case(&report.digest)
        {
            return CheckResult::fail(format!(
                "{} reports digest {digest}, the credential's is {}",
                answer.url, report.digest
            ));
        }
    }
    CheckResult::pass()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_credentials_are_judged_as_credentials() {
        assert!(looks_like_credential(
            &json!({"type": ["VerifiableCredential", "X"]})
        ));
        assert!(looks_like_credential(
            &json!({"@context": ["https://www.w3.org/ns/credentials/v2"]})
        ));
        assert!(looks_like_credential(&json!({"proof": {}})));
        assert!(looks_like_credential(
            &json!({"version": "https://schema.openattestation.com/2.0/schema.json", "data": {}})
        ));
        assert!(!looks_like_credential(
            &json!({"version": "https://schema.openattestation.com/3.0/schema.json"})
        ));
        assert!(!looks_like_credential(&json!({"products": [1, 2, 3]})));
        assert!(!looks_like_credential(&json!(["VerifiableCredential"])));
    }
}
