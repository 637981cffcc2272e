//! What verification concludes about one certificate (spec section 7):
//! tri-state checks with reasons, and the verdict they decide.

use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::openattestation::identity::IdentityProof;

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The check passed.
    Pass,
    /// The check was decided and failed.
    Fail,
    /// The check could not be decided (for example a log did not answer).
    Unknown,
    /// The check does not apply.
    Skip,
}

impl Outcome {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
            Outcome::Skip => "skip",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check's outcome and, for every outcome but `pass`, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The outcome.
    pub outcome: Outcome,
    /// A human reason; present for every outcome except `pass`.
    pub reason: Option<String>,
}

impl CheckResult {
    /// A passed check.
    pub fn pass() -> CheckResult {
        CheckResult {
            outcome: Outcome::Pass,
            reason: None,
        }
    }

    /// A failed check, with why.
    pub fn fail(reason: impl Into<String>) -> CheckResult {
        CheckResult::with(Outcome::Fail, reason)
    }

    /// An undecided check, with why.
    pub fn unknown(reason: impl Into<String>) -> CheckResult {
        CheckResult::with(Outcome::Unknown, reason)
    }

    /// A check that does not apply, with why.
    pub fn skip(reason: impl Into<String>) -> CheckResult {
        CheckResult::with(Outcome::Skip, reason)
    }

    fn with(outcome: Outcome, reason: impl Into<String>) -> CheckResult {
        CheckResult {
            outcome,
            reason: Some(reason.into()),
        }
    }
}

/// The name of a check, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// The proof verifies under the trusted key.
    Signature,
    /// Issuer and key are in the trust list.
    TrustedIssuer,
    /// The digest is in the authority's transparency log.
    Anchored,
    /// The status list says the credential is not revoked.
    NotRevoked,
    /// Now lies within `validFrom` .. `validUntil`.
    ValidityPeriod,
    /// The exporter's website is the screened supplier's domain.
    ExporterMatches,
    /// The single-window registry confirms the number and digest.
    SingleWindow,
    /// The supplier's endpoint said what independent verification found.
    EndpointAgrees,
}

impl CheckName {
    /// Every check, in report order.
    pub const ALL: [CheckName; 8] = [
        CheckName::Signature,
        CheckName::TrustedIssuer,
        CheckName::Anchored,
        CheckName::NotRevoked,
        CheckName::ValidityPeriod,
        CheckName::ExporterMatches,
        CheckName::SingleWindow,
        CheckName::EndpointAgrees,
    ];

    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Signature => "signature",
            CheckName::TrustedIssuer => "trusted_issuer",
            CheckName::Anchored => "anchored",
            CheckName::NotRevoked => "not_revoked",
            CheckName::ValidityPeriod => "validity_period",
            CheckName::ExporterMatches => "exporter_matches",
            CheckName::SingleWindow => "single_window",
            CheckName::EndpointAgrees => "endpoint_agrees",
        }
    }

    /// Whether the check decides the verdict (all but `endpoint_agrees`).
    pub fn is_document_check(self) -> bool {
        self != CheckName::EndpointAgrees
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// All checks of one certificate. Serialized as spec section 7's `checks`
/// object: each name mapped to its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checks {
    results: [CheckResult; 8],
}

impl Checks {
    /// Every check set to `unknown` with the given reason.
    pub fn all_unknown(reason: &str) -> Checks {
        Checks {
            results: std::array::from_fn(|_| CheckResult::unknown(reason)),
        }
    }

    /// The result of one check.
    pub fn get(&self, name: CheckName) -> &CheckResult {
        &self.results[index(name)]
    }

    /// Replaces the result of one check.
    pub fn set(&mut self, name: CheckName, result: CheckResult) {
        self.results[index(name)] = result;
    }

    /// The checks with their results, in report order.
    pub fn iter(&self) -> impl Iterator<Item = (CheckName, &CheckResult)> {
        CheckName::ALL.into_iter().zip(self.results.iter())
    }

    /// The names of the checks that failed.
    pub fn failing(&self) -> Vec<CheckName> {
        self.iter()
            .filter(|(_, r)| r.outcome == Outcome::Fail)
            .map(|(n, _)| n)
            .collect()
    }

    /// The verdict the seven document checks decide: `failed` when any
    /// fails, `unverifiable` when any is unknown, else `verified`. A check
    /// that does not apply (`skip`) does not stand in the way.
    pub fn verdict(&self) -> Verdict {
        let document = || self.iter().filter(|(n, _)| n.is_document_check());
        if document().any(|(_, r)| r.outcome == Outcome::Fail) {
            Verdict::Failed
        } else if document().any(|(_, r)| r.outcome == Outcome::Unknown) {
            Verdict::Unverifiable
        } else {
            Verdict::Verified
        }
    }

    /// One line saying why the verdict is what it is.
    pub fn verdict_reason(&self) -> String {
        let verdict = self.verdict();
        let wanted = match verdict {
            Verdict::Verified => return "every document check passed".to_owned(),
            Verdict::Failed => Outcome::Fail,
            Verdict::Unverifiable => Outcome::Unknown,
        };
        let parts: Vec<String> = self
            .iter()
            .filter(|(n, r)| n.is_document_check() && r.outcome == wanted)
            .map(|(n, r)| format!("{n}: {}", r.reason.as_deref().unwrap_or("no reason given")))
            .collect();
        let lead = match verdict {
            Verdict::Failed => "failed",
            _ => "could not decide",
        };
        format!("{lead}: {}", parts.join("; "))
    }
}

fn index(name: CheckName) -> usize {
    CheckName::ALL
        .iter()
        .position(|n| *n == name)
        .unwrap_or_default()
}

/// The `checks` object: every check named, each mapped to its outcome.
impl JsonSchema for Checks {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Checks".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let outcome = generator.subschema_for::<Outcome>();
        let properties: serde_json::Map<String, serde_json::Value> = CheckName::ALL
            .iter()
            .map(|n| (n.as_str().to_owned(), outcome.clone().to_value()))
            .collect();
        let required: Vec<&str> = CheckName::ALL.iter().map(|n| n.as_str()).collect();
        json_schema!({
            "description": "Every check's outcome, by name (spec section 7).",
            "type": "object",
            "properties": properties,
            "required": required,
        })
    }
}

impl Serialize for Checks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.results.len()))?;
        for (name, result) in self.iter() {
            map.serialize_entry(name.as_str(), &result.outcome)?;
        }
        map.end()
    }
}

/// What the document checks decide about a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every document check passed.
    Verified,
    /// At least one document check failed.
    Failed,
    /// Nothing failed, but at least one check could not be decided.
    Unverifiable,
}

impl Verdict {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Failed => "failed",
            Verdict::Unverifiable => "unverifiable",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The format of a certificate document, as records and exports name it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum CredentialFormat {
    /// A W3C verifiable credential with an `eddsa-jcs-2022` proof (spec
    /// section 2); what records made before formats were named hold.
    #[default]
    #[serde(rename = "vc-eddsa-jcs-2022")]
    VcEddsaJcs2022,
    /// An OpenAttestation v2 wrapped document (TradeTrust; spec section 8).
    #[serde(rename = "openattestation-v2")]
    OpenAttestationV2,
}

impl CredentialFormat {
    /// The name records and exports use.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialFormat::VcEddsaJcs2022 => "vc-eddsa-jcs-2022",
            CredentialFormat::OpenAttestationV2 => "openattestation-v2",
        }
    }
}

impl fmt::Display for CredentialFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The independent verification of one certificate: a `certificates` entry
/// of spec section 7.
///
/// Serialized as that entry, plus `check_reasons`: the reason of every
/// check that did not pass, so that a stored report keeps its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(into = "ReportWire", try_from = "ReportWire")]
pub struct CertificateReport {
    /// Where the credential was read from, when it came from a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
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
    /// documents): evidence only, never a source of trust.
    pub identity: Vec<IdentityProof>,
}

/// The serialized form of a [`CertificateReport`] (and so its schema).
#[derive(Serialize, Deserialize, JsonSchema)]
struct ReportWire {
    /// Where the credential was read from, when it came from a URL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    url: Option<String>,
    /// The document's format.
    #[serde(default)]
    format: CredentialFormat,
    /// `credentialSubject.certificateNumber`.
    certificate_number: Option<String>,
    /// The credential's issuer id.
    issuer: Option<String>,
    /// The trust list id of the authority that issuer names, if any.
    authority: Option<String>,
    /// The credential digest, 64 lowercase hex characters.
    digest: String,
    /// Every check's outcome.
    #[schemars(with = "Checks")]
    checks: BTreeMap<String, Outcome>,
    /// What the document checks decide.
    verdict: Verdict,
    /// Why.
    reason: String,
    /// The reason of every check that did not pass, by check.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    check_reasons: BTreeMap<String, String>,
    /// What the issuers' DNS identity proofs say (OpenAttestation
    /// documents): evidence only, never a source of trust.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    identity: Vec<IdentityProof>,
}

impl From<CertificateReport> for ReportWire {
    fn from(r: CertificateReport) -> ReportWire {
        ReportWire {
            checks: r
                .checks
                .iter()
                .map(|(n, c)| (n.as_str().to_owned(), c.outcome))
                .collect(),
            check_reasons: r
                .checks
                .iter()
                .filter_map(|(n, c)| Some((n.as_str().to_owned(), c.reason.clone()?)))
                .collect(),
            url: r.url,
            format: r.format,
            certificate_number: r.certificate_number,
            issuer: r.issuer,
            authority: r.authority,
            digest: r.digest,
            verdict: r.verdict,
            reason: r.reason,
            identity: r.identity,
        }
    }
}

impl TryFrom<ReportWire> for CertificateReport {
    type Error = String;

    fn try_from(w: ReportWire) -> Result<CertificateReport, String> {
        let mut checks = Checks::all_unknown("not recorded");
        for name in CheckName::ALL {
            let outcome = *w
                .checks
                .get(name.as_str())
                .ok_or_else(|| format!("the report has no `{name}` check"))?;
            let reason = w.check_reasons.get(name.as_str()).cloned();
            checks.set(name, CheckResult { outcome, reason });
        }
        Ok(CertificateReport {
            url: w.url,
            format: w.format,
            certificate_number: w.certificate_number,
            issuer: w.issuer,
            authority: w.authority,
            digest: w.digest,
            checks,
            verdict: w.verdict,
            reason: w.reason,
            identity: w.identity,
        })
    }
}

impl CertificateReport {
    /// Sets one check (typically `endpoint_agrees`) and recomputes the
    /// verdict and its reason.
    pub fn set_check(&mut self, name: CheckName, result: CheckResult) {
        self.checks.set(name, result);
        self.verdict = self.checks.verdict();
        self.reason = self.checks.verdict_reason();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(format: CredentialFormat) -> CertificateReport {
        let checks = Checks::all_unknown("not checked");
        CertificateReport {
            url: Some("https://s.test/c.tt".into()),
            format,
            certificate_number: Some("CO-1".into()),
            issuer: None,
            authority: None,
            digest: "ab".repeat(32),
            verdict: checks.verdict(),
            reason: checks.verdict_reason(),
            checks,
            identity: Vec::new(),
        }
    }

    #[test]
    fn a_report_keeps_its_format_and_old_records_read_as_credentials() {
        let oa = report(CredentialFormat::OpenAttestationV2);
        let wire = serde_json::to_value(&oa).unwrap();
        assert_eq!(wire["format"], "openattestation-v2");
        assert_eq!(
            serde_json::from_value::<CertificateReport>(wire.clone()).unwrap(),
            oa
        );
        // Records stored before formats were named hold only credentials.
        let mut old = wire;
        old.as_object_mut().unwrap().remove("format");
        assert_eq!(
            serde_json::from_value::<CertificateReport>(old)
                .unwrap()
                .format,
            CredentialFormat::VcEddsaJcs2022
        );
    }
}
