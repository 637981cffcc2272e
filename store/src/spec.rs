//! A supplier's record as spec section 7 has it: what the JSON Lines
//! export writes and the API answers, as types, so that the API's
//! OpenAPI schemas are derived from what serialises its answers.

use std::collections::BTreeMap;

use crawler::classify::PageClass;
use crawler::observation::{CertificateDocument, Entry, Probe};
use eco::openattestation::identity::IdentityProof;
use eco::{CertificateReport, Checks, CredentialFormat, Verdict};
use schemars::JsonSchema;
use scoring::Tier;
use serde::Serialize;

use crate::{Record, RunId};

/// One supplier's latest (or one run's) record, spec section 7: every
/// field present, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SpecRecord {
    /// Registrable domain of the supplier's website.
    pub domain: String,
    /// Name, from the seeds file.
    pub name: String,
    /// Country, from the seeds file.
    pub country: String,
    /// Region, from the seeds file.
    pub region: String,
    /// The run the record belongs to.
    pub run_id: RunId,
    /// When the screening finished: RFC 3339, UTC, whole seconds.
    #[schemars(extend("format" = "date-time"))]
    pub crawled_at: String,
    /// Readiness score, 0 to 100.
    #[schemars(range(max = 100))]
    pub score: u32,
    /// Readiness tier.
    pub tier: Tier,
    /// Red flags, in plain words.
    pub red_flags: Vec<String>,
    /// Points per score component.
    pub components: BTreeMap<String, u32>,
    /// Pages fetched.
    pub pages_fetched: u32,
    /// Certifications pages found.
    pub cert_pages: Vec<String>,
    /// URLs not fetched because robots.txt disallows them.
    pub robots_blocked: Vec<String>,
    /// Verification entries found.
    pub entries: Vec<Entry>,
    /// Endpoint probes.
    pub probes: Vec<Probe>,
    /// Independently verified certificates.
    pub certificates: Vec<SpecCertificate>,
    /// Certificate documents found on the Certifications pages.
    pub documents: Vec<CertificateDocument>,
    /// Why each of `cert_pages` was judged a Certifications page.
    pub cert_page_evidence: Vec<PageClass>,
    /// What went wrong, in plain words.
    pub errors: Vec<String>,
}

/// A `certificates` entry of spec section 7: a certificate's report with
/// `url` always present (null when the credential came from no URL) and
/// without the stored `check_reasons`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SpecCertificate {
    /// Where the credential was read from, or null.
    pub url: Option<String>,
    /// The document's format.
    pub format: CredentialFormat,
    /// `credentialSubject.certificateNumber`.
    pub certificate_number: Option<String>,
    /// The credential's issuer id.
    pub issuer: Option<String>,
    /// The trust list id of the authority that issuer names, if any.
    pub authority: Option<String>,
    /// The credential digest, 64 lowercase hex characters.
    pub digest: String,
    /// Every check's outcome.
    pub checks: Checks,
    /// What the document checks decide.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// What the issuers' DNS identity proofs say (OpenAttestation
    /// documents), when any was looked up: evidence only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<IdentityProof>,
}

impl From<&CertificateReport> for SpecCertificate {
    fn from(c: &CertificateReport) -> SpecCertificate {
        SpecCertificate {
            url: c.url.clone(),
            format: c.format,
            certificate_number: c.certificate_number.clone(),
            issuer: c.issuer.clone(),
            authority: c.authority.clone(),
            digest: c.digest.clone(),
            checks: c.checks.clone(),
            verdict: c.verdict,
            reason: c.reason.clone(),
            identity: c.identity.clone(),
        }
    }
}

impl From<&Record> for SpecRecord {
    fn from(r: &Record) -> SpecRecord {
        let o = &r.observation;
        SpecRecord {
            domain: o.domain.clone(),
            name: o.name.clone(),
            country: o.country.clone(),
            region: o.region.clone(),
            run_id: r.run_id,
            crawled_at: o
                .crawled_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            score: r.readiness.score,
            tier: r.readiness.tier,
            red_flags: r.readiness.red_flags.clone(),
            components: r.readiness.components.clone(),
            pages_fetched: o.pages_fetched,
            cert_pages: o.cert_pages.clone(),
            robots_blocked: o.robots_blocked.clone(),
            entries: o.entries.clone(),
            probes: o.probes.clone(),
            certificates: o.certificates.iter().map(SpecCertificate::from).collect(),
            documents: o.documents.clone(),
            cert_page_evidence: o.cert_page_evidence.clone(),
            errors: o.errors.clone(),
        }
    }
}
