//! The verification engine: runs the document checks of spec section 7 on
//! one credential, with keys, logs, status lists and registries taken only
//! from the trust list. Two formats: the project's `eddsa-jcs-2022`
//! credentials, and OpenAttestation v2 (TradeTrust) documents
//! ([`openattestation`]), told apart by content.

mod openattestation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::OnceCell;
use url::Url;

use crate::credential;
use crate::fetch::{FetchResponse, Fetcher, Offline};
use crate::json::{JsonError, parse_strict};
use crate::merkle;
use crate::note::{Checkpoint, open_checkpoint};
use crate::openattestation::chain::Chain;
use crate::openattestation::link::is_encrypted;
use crate::openattestation::{OaError, SCHEMA_V2};
use crate::report::{CertificateReport, CheckName, CheckResult, Checks, CredentialFormat};
use crate::status_list::StatusList;
use crate::suite;
use crate::trust::{Authority, TrustList};

/// Why a document could not be verified at all (as opposed to failing a
/// check): it is not a readable JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The bytes are not acceptable JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// The JSON is not an object.
    #[error("the document is not a JSON object, so it cannot be a credential")]
    NotAnObject,
    /// An OpenAttestation document that cannot be read.
    #[error(transparent)]
    OpenAttestation(#[from] OaError),
    /// An encrypted TradeTrust document: it is read through the link that
    /// carries its key.
    #[error("an encrypted TradeTrust document: it needs the key its verification link carries")]
    Encrypted,
}

/// The supplier a certificate is shown by, as `exporter_matches` compares
/// it: its website's domain, and its name for documents that name the
/// exporter but not its website.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exporter<'a> {
    /// The supplier's domain (or URL).
    pub domain: &'a str,
    /// The supplier's name, if known.
    pub name: Option<&'a str>,
}

/// How long a fetched checkpoint or status list serves. Logs grow and lists
/// change while a long crawl runs, so a run refetches them this often (and
/// no more often, whatever the number of certificates).
pub const CACHE_LIFETIME: Duration = Duration::from_secs(300);

type Shared<T> = Arc<OnceCell<Result<T, String>>>;

/// Cached answers by (key, cache lifetime).
type Cells<T> = Mutex<HashMap<(String, u64), Shared<T>>>;

/// Responses fetched once per [`CACHE_LIFETIME`] of a run and shared by
/// every verification, failures included (so that a DNS server that never
/// answers costs one time limit per name, not one per certificate).
pub(super) struct RunCache {
    started: Instant,
    checkpoints: Cells<Checkpoint>,
    status_lists: Cells<StatusList>,
    /// TXT records by DNS name (issuers' identity proofs).
    pub(super) txt: Cells<Vec<String>>,
}

impl RunCache {
    fn new() -> RunCache {
        RunCache {
            started: Instant::now(),
            checkpoints: Mutex::default(),
            status_lists: Mutex::default(),
            txt: Mutex::default(),
        }
    }

    /// The cell for `key` in the current lifetime; older ones are dropped.
    pub(super) fn cell<T>(
        &self,
        map: &Mutex<HashMap<(String, u64), Shared<T>>>,
        key: &str,
    ) -> Shared<T> {
        let epoch = self.started.elapsed().as_secs() / CACHE_LIFETIME.as_secs().max(1);
        let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.retain(|(_, e), _| *e == epoch);
        map.entry((key.to_owned(), epoch)).or_default().clone()
    }
}

/// Verifies credentials independently against a trust list. One verifier
/// serves a whole run: checkpoints and status lists are fetched once per
/// [`CACHE_LIFETIME`] and cached, failures included, so that a thousand
/// certificates of one authority cost that authority one request each.
pub struct Verifier<F> {
    trust: Arc<TrustList>,
    fetcher: F,
    online: bool,
    now: Option<DateTime<Utc>>,
    pub(super) cache: RunCache,
    chain: Chain,
}

impl Verifier<Offline> {
    /// A verifier that makes no request: the network checks are `unknown`.
    pub fn offline(trust: Arc<TrustList>) -> Verifier<Offline> {
        Verifier {
            trust,
            fetcher: Offline,
            online: false,
            now: None,
            cache: RunCache::new(),
            chain: Chain::new(),
        }
    }
}

impl<F: Fetcher> Verifier<F> {
    /// A verifier that fetches through `fetcher`.
    pub fn new(trust: Arc<TrustList>, fetcher: F) -> Verifier<F> {
        Verifier {
            trust,
            fetcher,
            online: true,
            now: None,
            cache: RunCache::new(),
            chain: Chain::new(),
        }
    }

    /// Fixes the time that validity periods are checked against.
    pub fn at(mut self, now: DateTime<Utc>) -> Verifier<F> {
        self.now = Some(now);
        self
    }

    /// The trust list in use.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// The fetcher in use.
    pub fn fetcher(&self) -> &F {
        &self.fetcher
    }

    /// JSON-RPC requests sent to the trust list's Ethereum nodes so far
    /// (cached answers not counted).
    pub fn chain_requests(&self) -> u64 {
        self.chain.requests()
    }

    /// Reads `bytes` strictly and verifies the credential. `exporter_domain`
    /// is the screened supplier's domain (None: `exporter_matches` is skipped).
    pub async fn verify_bytes(
        &self,
        bytes: &[u8],
        exporter_domain: Option<&str>,
    ) -> Result<CertificateReport, DocumentError> {
        let value = parse_strict(bytes)?;
        self.verify_value(&value, exporter_domain).await
    }

    /// Verifies an already strictly parsed credential.
    pub async fn verify_value(
        &self,
        credential: &Value,
        exporter_domain: Option<&str>,
    ) -> Result<CertificateReport, DocumentError> {
        let exporter = exporter_domain.map(|domain| Exporter { domain, name: None });
        self.verify_value_as(credential, exporter).await
    }

    /// Verifies an already strictly parsed credential for the supplier
    /// `exporter` (None: `exporter_matches` is skipped).
    pub async fn verify_value_as(
        &self,
        credential: &Value,
        exporter: Option<Exporter<'_>>,
    ) -> Result<CertificateReport, DocumentError> {
        let exporter_domain = exporter.map(|e| e.domain);
        if !credential.is_object() {
            return Err(DocumentError::NotAnObject);
        }
        if credential.get("version").and_then(Value::as_str) == Some(SCHEMA_V2) {
            return self.verify_openattestation(credential, exporter).await;
        }
        if is_encrypted(credential) {
            return Err(DocumentError::Encrypted);
        }
        let digest = hex::encode(credential::digest(credential)?);
        let issuer = credential::issuer(credential);
        let authority = issuer.and_then(|i| self.trust.by_issuer(i));
        let number = credential::certificate_number(credential);

        let mut checks = Checks::all_unknown("not checked");
        checks.set(
            CheckName::TrustedIssuer,
            self.trusted_issuer(credential, issuer, authority),
        );
        checks.set(CheckName::Signature, self.signature(credential, authority));
        checks.set(CheckName::ValidityPeriod, self.validity_period(credential));
        checks.set(
            CheckName::ExporterMatches,
            exporter_matches(credential, exporter_domain),
        );
        let (anchored, not_revoked, single_window) = match authority {
            Some(authority) => {
                tokio::join!(
                    self.anchored(authority, &digest),
                    self.not_revoked(authority, credential),
                    self.single_window(authority, number, &digest),
                )
            }
            None => {
                let untrusted = || {
                    CheckResult::unknown(
                        "the issuer is not in the trust list, so its log, status list and registry are unknown",
                    )
                };
                (untrusted(), untrusted(), untrusted())
            }
        };
        checks.set(CheckName::Anchored, anchored);
        checks.set(CheckName::NotRevoked, not_revoked);
        checks.set(CheckName::SingleWindow, single_window);
        checks.set(
            CheckName::EndpointAgrees,
            CheckResult::skip("no supplier endpoint answered for this certificate"),
        );
        Ok(CertificateReport {
            url: None,
            format: CredentialFormat::VcEddsaJcs2022,
            certificate_number: number.map(str::to_owned),
            issuer: issuer.map(str::to_owned),
            authority: authority.map(|a| a.id.clone()),
            digest,
            verdict: checks.verdict(),
            reason: checks.verdict_reason(),
            checks,
            identity: Vec::new(),
        })
    }

    fn trusted_issuer(
        &self,
        credential: &Value,
        issuer: Option<&str>,
        authority: Option<&Authority>,
    ) -> CheckResult {
        let Some(issuer) = issuer else {
            return CheckResult::fail("the credential names no issuer");
        };
        let Some(authority) = authority else {
            return CheckResult::fail(format!("issuer {issuer:?} is not in the trust list"));
        };
        let method = match suite::proof_parts(credential) {
            Ok(parts) => parts.verification_method,
            Err(e) => return CheckResult::fail(format!("no usable proof: {e}")),
        };
        if authority.key(&method).is_some() {
            return CheckResult::pass();
        }
        match self.trust.by_key(&method) {
            Some(other) => CheckResult::fail(format!(
                "verificationMethod {method:?} is a key of authority {:?}, not of the issuer's authority {:?}",
                other.id, authority.id
            )),
            None => CheckResult::fail(format!(
                "verificationMethod {method:?} is not a key of authority {:?} in the trust list",
                authority.id
            )),
        }
    }

    fn signature(&self, credential: &Value, authority: Option<&Authority>) -> CheckResult {
        let (signature, hash) = match suite::prepare(credential) {
            Ok(prepared) => prepared,
            Err(e) => return CheckResult::fail(e.to_string()),
        };
        let method = match suite::proof_parts(credential) {
            Ok(parts) => parts.verification_method,
            Err(e) => return CheckResult::fail(e.to_string()),
        };
        let key = authority
            .and_then(|a| a.key(&method))
            .or_else(|| self.trust.by_key(&method).and_then(|a| a.key(&method)));
        let Some(key) = key else {
            return CheckResult::unknown(format!(
                "no key {method:?} in the trust list (keys are never fetched)"
            ));
        };
        match key.key.verify_strict(&hash.combined(), &signature) {
            Ok(()) => CheckResult::pass(),
            Err(_) => CheckResult::fail(format!(
                "the eddsa-jcs-2022 signature does not verify under {method:?}"
            )),
        }
    }

    fn validity_period(&self, credential: &Value) -> CheckResult {
        let now = self.now.unwrap_or_else(Utc::now);
        let read = |field: &str| -> Result<Option<DateTime<Utc>>, CheckResult> {
            match credential.get(field) {
                None => Ok(None),
                Some(Value::String(s)) => parse_datetime(s).map(Some).ok_or_else(|| {
                    CheckResult::fail(format!("{field} {s:?} is not an XML Schema dateTime"))
                }),
                Some(other) => Err(CheckResult::fail(format!(
                    "{field} is {other}, not a string"
                ))),
            }
        };
        let from = match read("validFrom") {
            Ok(v) => v,
            Err(r) => return r,
        };
        let until = match read("validUntil") {
            Ok(v) => v,
            Err(r) => return r,
        };
        if from.is_none() && until.is_none() {
            return CheckResult::skip("the credential states no validity period");
        }
        if let Some(from) = from.filter(|f| now < *f) {
            return CheckResult::fail(format!("not valid before {}", from.to_rfc3339()));
        }
        if let Some(until) = until.filter(|u| now > *u) {
            return CheckResult::fail(format!("expired on {}", until.to_rfc3339()));
        }
        CheckResult::pass()
    }

    async fn get(&self, url: &Url, accept: &str) -> Result<FetchResponse, String> {
        if !self.online {
            return Err("offline: not checked".to_owned());
        }
        self.fetcher
            .get(url, accept)
            .await
            .map_err(|e| format!("{url}: {e}"))
    }

    async fn checkpoint(&self, authority: &Authority) -> Result<Checkpoint, String> {
        let Some(log) = &authority.log else {
            return Err(format!(
                "the trust list gives no log for authority {:?}",
                authority.id
            ));
        };
        let url = log.url.join("checkpoint").map_err(|e| e.to_string())?;
        let cell = self.cache.cell(&self.cache.checkpoints, url.as_str());
        cell.get_or_init(|| async {
            let response = self.get(&url, "text/plain").await?;
            if response.status != 200 {
                return Err(format!("{url} answered HTTP {}", response.status));
            }
            let text = std::str::from_utf8(&response.body)
                .map_err(|_| format!("{url}: the checkpoint is not UTF-8"))?;
            open_checkpoint(text, &log.key)
                .map_err(|e| format!("{url}: the checkpoint does not verify under log_key: {e}"))
        })
        .await
        .clone()
    }

    async fn anchored(&self, authority: &Authority, digest: &str) -> CheckResult {
        let checkpoint = match self.checkpoint(authority).await {
            Ok(c) => c,
            Err(reason) => return CheckResult::unknown(reason),
        };
        let Some(log) = &authority.log else {
            return CheckResult::unknown("no log");
        };
        if checkpoint.size == 0 {
            return CheckResult::fail("the authority's log is empty");
        }
        let mut url = match log.url.join("proof") {
            Ok(u) => u,
            Err(e) => return CheckResult::unknown(e.to_string()),
        };
        url.query_pairs_mut()
            .append_pair("digest", digest)
            .append_pair("tree_size", &checkpoint.size.to_string());
        let response = match self.get(&url, "application/json").await {
            Ok(r) => r,
            Err(reason) => return CheckResult::unknown(reason),
        };
        match response.status {
            200 => {}
            404 => {
                return CheckResult::fail(format!(
                    "the digest is not in the authority's log (tree size {})",
                    checkpoint.size
                ));
            }
            other => return CheckResult::unknown(format!("{url} answered HTTP {other}")),
        }
        match check_inclusion(&response.body, digest, &checkpoint) {
            Ok(index) => {
                tracing::debug!(digest, index, size = checkpoint.size, "inclusion verified");
                CheckResult::pass()
            }
            Err(reason) => CheckResult::fail(format!("the log's inclusion proof {reason}")),
        }
    }

    async fn status_list(
        &self,
        authority: &Authority,
        url: &Url,
        purpose: &str,
    ) -> Result<StatusList, String> {
        let key = format!("{purpose} {url}");
        let cell = self.cache.cell(&self.cache.status_lists, &key);
        cell.get_or_init(|| async {
            let response = self.get(url, "application/vc, application/json").await?;
            if response.status != 200 {
                return Err(format!("{url} answered HTTP {}", response.status));
            }
            let list = parse_strict(&response.body)
                .map_err(|e| format!("status list {url}: {e}"))?;
            let list_issuer = credential::issuer(&list).unwrap_or_default();
            if Some(list_issuer) != authority.issuer.as_deref() {
                return Err(format!(
                    "status list {url} is issued by {list_issuer:?}, not by {:?}",
                    authority.issuer.as_deref().unwrap_or_default()
                ));
            }
            let method = suite::proof_parts(&list)
                .map_err(|e| format!("status list {url}: {e}"))?
                .verification_method;
            let key = authority.key(&method).ok_or_else(|| {
                format!("status list {url} is signed with {method:?}, not a key of the authority")
            })?;
            suite::verify(&list, &key.key)
                .map_err(|e| format!("status list {url} does not verify: {e}"))?;
            let now = self.now.unwrap_or_else(Utc::now);
            let until = list.get("validUntil").and_then(Value::as_str).and_then(parse_datetime);
            if let Some(until) = until.filter(|u| now > *u) {
                return Err(format!("status list {url} expired on {}", until.to_rfc3339()));
            }
            let subject = credential::subjects(&list).into_iter().next().cloned().unwrap_or_default();
            let list_purpose = subject.get("statusPurpose").and_then(Value::as_str).unwrap_or_default();
            if list_purpose != purpose {
                return Err(format!(
                    "status list {url} has statusPurpose {list_purpose:?}, the entry says {purpose:?}"
                ));
            }
            let encoded = subject
                .get("encodedList")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("status list {url} has no encodedList"))?;
            StatusList::decode(encoded).map_err(|e| format!("status list {url}: {e}"))
        })
        .await
        .clone()
    }

    async fn not_revoked(&self, authority: &Authority, credential: &Value) -> CheckResult {
        let Some(entries) = credential::status_entries(credential) else {
            return CheckResult::skip("the credential has no credentialStatus");
        };
        let mut checked = 0;
        for entry in entries {
            let kind = entry.get("type").and_then(Value::as_str);
            if kind != Some("BitstringStatusListEntry") {
                continue;
            }
            let purpose = entry
                .get("statusPurpose")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if purpose != "revocation" && purpose != "suspension" {
                continue;
            }
            let index = match entry.get("statusListIndex") {
                Some(Value::String(s))
                    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    s.parse::<usize>().ok()
                }
                Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                _ => None,
            };
            let Some(index) = index else {
                return CheckResult::unknown("credentialStatus has no usable statusListIndex");
            };
            let Some(url) = entry
                .get("statusListCredential")
                .and_then(Value::as_str)
                .and_then(|u| Url::parse(u).ok())
            else {
                return CheckResult::unknown(
                    "credentialStatus has no usable statusListCredential URL",
                );
            };
            if !authority.is_status_url(&url) {
                return CheckResult::unknown(format!(
                    "status list {url} is not under the status prefixes the trust list gives for {:?}",
                    authority.id
                ));
            }
            let list = match self.status_list(authority, &url, purpose).await {
                Ok(list) => list,
                Err(reason) => return CheckResult::unknown(reason),
            };
            match list.get(index) {
                None => {
                    return CheckResult::unknown(format!(
                        "statusListIndex {index} is beyond the list's {} bits",
                        list.len()
                    ));
                }
                Some(true) if purpose == "revocation" => {
                    return CheckResult::fail(format!("revoked: bit {index} is set in {url}"));
                }
                Some(true) => {
                    return CheckResult::fail(format!("suspended: bit {index} is set in {url}"));
                }
                Some(false) => checked += 1,
            }
        }
        if checked == 0 {
            return CheckResult::unknown(
                "credentialStatus has no BitstringStatusListEntry for revocation",
            );
        }
        CheckResult::pass()
    }

    async fn single_window(
        &self,
        authority: &Authority,
        number: Option<&str>,
        digest: &str,
    ) -> CheckResult {
        let Some(base) = &authority.single_window_url else {
            return CheckResult::unknown(format!(
                "the trust list gives no single window for {:?}",
                authority.id
            ));
        };
        let Some(number) = number else {
            return CheckResult::fail("the credential has no certificateNumber to look up");
        };
        let mut url = base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["v1", "certificates", number]);
        }
        let response = match self.get(&url, "application/json").await {
            Ok(r) => r,
            Err(reason) => return CheckResult::unknown(reason),
        };
        match response.status {
            200 => {}
            404 => return CheckResult::fail(format!("the single window does not know {number:?}")),
            other => return CheckResult::unknown(format!("{url} answered HTTP {other}")),
        }
        let record = match parse_strict(&response.body) {
            Ok(v) => v,
            Err(e) => return CheckResult::unknown(format!("{url}: {e}")),
        };
        let field = |name: &str| record.get(name).and_then(Value::as_str);
        if field("certificateNumber") != Some(number) {
            return CheckResult::fail(format!(
                "the single window answered for {:?}, not {number:?}",
                field("certificateNumber").unwrap_or("nothing")
            ));
        }
        match field("digest") {
            Some(d) if d.eq_ignore_ascii_case(digest) => {}
            Some(d) => {
                return CheckResult::fail(format!(
                    "the single window records digest {d}, the credential's is {digest}"
                ));
            }
            None => return CheckResult::fail("the single window record has no digest"),
        }
        match field("status") {
            Some("valid") => CheckResult::pass(),
            Some(status) => CheckResult::fail(format!("the single window says {status:?}")),
            None => CheckResult::fail("the single window record has no status"),
        }
    }
}

/// Verifies a proof answer against a signed checkpoint; returns the leaf index.
fn check_inclusion(body: &[u8], digest: &str, checkpoint: &Checkpoint) -> Result<u64, String> {
    let proof = parse_strict(body).map_err(|e| format!("is unreadable: {e}"))?;
    let index = proof
        .get("leaf_index")
        .and_then(Value::as_u64)
        .ok_or("has no leaf_index")?;
    let size = proof
        .get("tree_size")
        .and_then(Value::as_u64)
        .ok_or("has no tree_size")?;
    if size != checkpoint.size {
        return Err(format!(
            "is for tree size {size}, the checkpoint's is {}",
            checkpoint.size
        ));
    }
    let path = proof
        .get("audit_path")
        .and_then(Value::as_array)
        .ok_or("has no audit_path")?
        .iter()
        .map(|h| h.as_str().and_then(|s| hex::decode(s).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or("has an audit_path entry that is not hex")?;
    let digest = hex::decode(digest).map_err(|e| e.to_string())?;
    merkle::verify_inclusion(
        &merkle::leaf_hash(&digest),
        index,
        size,
        &path,
        &checkpoint.root,
    )
    .map_err(|e| format!("does not verify against the signed checkpoint: {e}"))?;
    Ok(index)
}

fn exporter_matches(credential: &Value, exporter_domain: Option<&str>) -> CheckResult {
    let Some(expected) = exporter_domain else {
        return CheckResult::skip("no exporter domain was given");
    };
    let Some(expected) = credential::registrable_domain(expected) else {
        return CheckResult::unknown(format!("{expected:?} has no registrable domain"));
    };
    let Some(website) = credential::exporter_website(credential) else {
        return CheckResult::fail("the credential names no exporter website");
    };
    website_on(website, &expected)
}

/// `exporter_matches` for an exporter `website`: whether it lies on the
/// supplier's registrable domain `expected`.
fn website_on(website: &str, expected: &str) -> CheckResult {
    match credential::registrable_domain(website) {
        Some(found) if found == expected => CheckResult::pass(),
        Some(found) => CheckResult::fail(format!(
            "the exporter's website is on {found}, not on {expected}"
        )),
        None => CheckResult::fail(format!(
            "the exporter website {website:?} has no registrable domain"
        )),
    }
}

/// Parses an XML Schema dateTime; one without a time zone is read as UTC.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}
