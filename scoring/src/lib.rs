//! Readiness scoring: what an observation of a supplier means for a buyer.
//!
//! [`score`] turns an [`Observation`] and [`Weights`] into a [`Readiness`]:
//! a total from 0 to 100, its components, a tier (A, B, C, D, or R when a
//! red flag is raised), the red flags and warnings, and one plain line per
//! component saying what was seen. Pure functions: no I/O.
//!
//! The model (default points; `Weights` can change every number):
//!
//! | component | points |
//! |---|---|
//! | `discoverable`: a Certifications page found (only through a sitemap: 8) | 10 |
//! | `entry`: API (JSON-LD `CheckAction` or OpenAPI) 15, form 12, official portal link (or a certificate of origin whose QR code leads to one) only 6 | 15 |
//! | `live`: an endpoint answered a real number in agreement with independent verification within 2 s (slower: 10; answered but wrong or unreadable: 5) | 15 |
//! | `machine_readable`: JSON answers 7, OpenAPI description 3 | 10 |
//! | `certificate`: a credential `verified` 35; signature and issuer good but another check failed or undecided 10 | 35 |
//! | `consistency`: every endpoint answer agrees with independent verification, the single window confirms, and no entry points at an address ecoscout refused as unsafe | 15 |
//!
//! Red flags (tier R, total capped at 10): a signature that fails; another
//! exporter's credential shown as one's own; an endpoint that calls a
//! non-existent number valid; an endpoint that calls valid what independent
//! verification finds revoked, forged or unknown to the authority.
//! Unanchored or expired credentials are warnings.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use crawler::observation::{EntryKind, NegativeControl, Observation};
use eco::{CertificateReport, CheckName, Outcome, Verdict};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The points and thresholds of the model. Every field may be set in a
/// weights TOML file; fields left out keep their default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// A Certifications page reached through the site's links.
    pub discoverable: u32,
    /// A Certifications page reached only through a sitemap.
    pub discoverable_sitemap_only: u32,
    /// An API entry (JSON-LD `CheckAction` or OpenAPI).
    pub entry_api: u32,
    /// A verification form.
    pub entry_form: u32,
    /// Only a link to an official portal.
    pub entry_portal_only: u32,
    /// An endpoint agreed with independent verification within `live_fast_ms`.
    pub live_fast: u32,
    /// ... more slowly.
    pub live_slow: u32,
    /// An endpoint answered, but wrongly or unreadably.
    pub live_wrong: u32,
    /// What counts as fast, in milliseconds.
    pub live_fast_ms: u64,
    /// Endpoint answers in JSON.
    pub json_answers: u32,
    /// An OpenAPI description.
    pub openapi: u32,
    /// At least one credential verified.
    pub certificate_verified: u32,
    /// Signature and issuer good, another check failed or undecided.
    pub certificate_partial: u32,
    /// Every answer agrees, the single window confirms, no unsafe entry.
    pub consistency: u32,
    /// Lowest total of tier A.
    pub tier_a: u32,
    /// Lowest total of tier B.
    pub tier_b: u32,
    /// Lowest total of tier C.
    pub tier_c: u32,
    /// Highest total of a supplier with a red flag.
    pub red_flag_cap: u32,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            discoverable: 10,
            discoverable_sitemap_only: 8,
            entry_api: 15,
            entry_form: 12,
            entry_portal_only: 6,
            live_fast: 15,
            live_slow: 10,
            live_wrong: 5,
            live_fast_ms: 2000,
            json_answers: 7,
            openapi: 3,
            certificate_verified: 35,
            certificate_partial: 10,
            consistency: 15,
            tier_a: 80,
            tier_b: 60,
            tier_c: 35,
            red_flag_cap: 10,
        }
    }
}

/// Why a weights file was refused.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct WeightsError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl Weights {
    /// Reads a weights TOML file.
    pub fn load(path: &Path) -> Result<Weights, WeightsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| WeightsError {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Weights::from_toml(&text, &file)
    }

    /// Parses weights TOML; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Weights, WeightsError> {
        let weights: Weights = toml::from_str(text).map_err(|e| WeightsError {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        if !(weights.tier_a >= weights.tier_b && weights.tier_b >= weights.tier_c) {
            return Err(WeightsError {
                file: file.to_owned(),
                message: "tiers must satisfy tier_a >= tier_b >= tier_c".into(),
            });
        }
        Ok(weights)
    }
}

/// A readiness tier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Tier {
    /// Ready.
    A,
    /// Nearly.
    B,
    /// Partly.
    C,
    /// Not yet.
    D,
    /// A red flag was raised.
    R,
}

impl Tier {
    /// The tier's letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
            Tier::D => "D",
            Tier::R => "R",
        }
    }

    /// Reads a letter (case-insensitive).
    pub fn parse(text: &str) -> Option<Tier> {
        match text.trim().to_ascii_uppercase().as_str() {
            "A" => Some(Tier::A),
            "B" => Some(Tier::B),
            "C" => Some(Tier::C),
            "D" => Some(Tier::D),
            "R" => Some(Tier::R),
            _ => None,
        }
    }
}

/// The component names, in report order.
pub const COMPONENTS: [&str; 6] = [
    "discoverable",
    "entry",
    "live",
    "machine_readable",
    "certificate",
    "consistency",
];

/// What a supplier's observation means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Readiness {
    /// Total, 0 to 100 (capped when a red flag is raised).
    pub score: u32,
    /// Points per component.
    pub components: BTreeMap<String, u32>,
    /// The tier.
    pub tier: Tier,
    /// Red flags, in plain words.
    pub red_flags: Vec<String>,
    /// Warnings that are not red flags (unanchored, expired).
    pub warnings: Vec<String>,
    /// One line per component: what was seen, with the URL.
    pub explanations: Vec<String>,
}

impl Readiness {
    /// Orders suppliers for a shortlist: any supplier without a red flag
    /// before any with one, then by score, highest first.
    pub fn rank(&self, other: &Readiness) -> Ordering {
        let flagged = |r: &Readiness| !r.red_flags.is_empty();
        flagged(self)
            .cmp(&flagged(other))
            .then(other.score.cmp(&self.score))
    }

    /// The one line a shortlist shows: the first red flag, else the weakest
    /// component's explanation.
    pub fn headline(&self) -> String {
        if let Some(flag) = self.red_flags.first() {
            return format!("red flag: {flag}");
        }
        self.explanations
            .iter()
            .find(|l| !l.contains("full marks"))
            .cloned()
            .unwrap_or_else(|| "every component at full marks".into())
    }
}

fn failed(c: &CertificateReport, name: CheckName) -> bool {
    c.checks.get(name).outcome == Outcome::Fail
}

fn passed(c: &CertificateReport, name: CheckName) -> bool {
    c.checks.get(name).outcome == Outcome::Pass
}

fn is_valid(status: Option<&str>) -> bool {
    status == Some("valid")
}

/// Scores an observation.
pub fn score(o: &Observation, w: &Weights) -> Readiness {
    let mut components = BTreeMap::new();
    let mut explanations = Vec::new();
    let mut red_flags = Vec::new();
    let mut warnings = Vec::new();
    let has = |kind: EntryKind| o.entries.iter().find(|e| e.kind == kind);

    // discoverable
    let discoverable = match o.cert_pages.first() {
        Some(page) if o.cert_page_linked => {
            explanations.push(format!("discoverable: Certifications page {page}"));
            w.discoverable
        }
        Some(page) => {
            explanations.push(format!(
                "discoverable: Certifications page {page}, reachable only through a sitemap"
            ));
            w.discoverable_sitemap_only
        }
        None => {
            explanations.push("discoverable: no Certifications page found".into());
            0
        }
    };
    components.insert("discoverable".to_owned(), discoverable);

    // entry
    let entry = if let Some(e) = has(EntryKind::Api).or_else(|| has(EntryKind::Openapi)) {
        explanations.push(format!("entry: verification API {}", e.url));
        w.entry_api
    } else if let Some(e) = has(EntryKind::Form) {
        explanations.push(format!("entry: verification form {} ({})", e.url, e.method));
        w.entry_form
    } else if let Some(e) = has(EntryKind::PortalLink) {
        explanations.push(format!(
            "entry: only a link to the official portal {}",
            e.url
        ));
        w.entry_portal_only
    } else if let Some(d) = o
        .documents
        .iter()
        .find(|d| d.kind == "certificate_of_origin" && d.has_official_portal_qr())
    {
        explanations.push(format!(
            "entry: only a certificate of origin {} whose QR code leads to the official portal",
            d.url
        ));
        w.entry_portal_only
    } else {
        explanations.push("entry: no verification entry".into());
        0
    };
    components.insert("entry".to_owned(), entry);

    // live: an answer about a real number that agrees with the independent result.
    let agreeing: Vec<(&crawler::observation::Probe, &CertificateReport)> = o
        .probes
        .iter()
        .filter_map(|p| {
            let number = p.certificate_number.as_ref()?;
            let cert = o
                .certificates
                .iter()
                .find(|c| c.certificate_number.as_ref() == Some(number))?;
            (p.answer_status.is_some()
                && cert.checks.get(CheckName::EndpointAgrees).outcome == Outcome::Pass)
                .then_some((p, cert))
        })
        .collect();
    let fastest = agreeing
        .iter()
        .filter_map(|(p, _)| p.latency_ms.map(|l| (l, p)))
        .min_by_key(|(l, _)| *l);
    let answered = o
        .probes
        .iter()
        .find(|p| p.certificate_number.is_some() && p.http_status.is_some());
    let live = match (fastest, answered) {
        (Some((ms, p)), _) if ms <= w.live_fast_ms => {
            explanations.push(format!(
                "live: {} answered in {ms} ms, in agreement with independent verification",
                p.url
            ));
            w.live_fast
        }
        (Some((ms, p)), _) => {
            explanations.push(format!(
                "live: {} answered in agreement, but took {ms} ms",
                p.url
            ));
            w.live_slow
        }
        (None, Some(p)) => {
            explanations.push(format!("live: {} answered, but not in agreement with independent verification or unreadably", p.url));
            w.live_wrong
        }
        (None, None) => {
            explanations.push("live: no endpoint answered about a real certificate number".into());
            0
        }
    };
    components.insert("live".to_owned(), live);

    // machine-readable
    let json = o
        .probes
        .iter()
        .find(|p| p.json && p.answer_status.is_some());
    let openapi = has(EntryKind::Openapi);
    let mut machine = 0;
    let mut parts = Vec::new();
    if let Some(p) = json {
        machine += w.json_answers;
        parts.push(format!("JSON answers ({})", p.url));
    }
    if let Some(e) = openapi {
        machine += w.openapi;
        parts.push(format!("OpenAPI description {}", e.url));
    }
    explanations.push(if parts.is_empty() {
        "machine_readable: no JSON answers and no OpenAPI description".into()
    } else {
        format!("machine_readable: {}", parts.join(", "))
    });
    components.insert("machine_readable".to_owned(), machine);

    // certificate
    let url = |c: &CertificateReport| {
        c.url
            .clone()
            .unwrap_or_else(|| c.certificate_number.clone().unwrap_or_default())
    };
    let certificate = if let Some(c) = o
        .certificates
        .iter()
        .find(|c| c.verdict == Verdict::Verified)
    {
        explanations.push(format!("certificate: {} verified independently", url(c)));
        w.certificate_verified
    } else if let Some(c) = o
        .certificates
        .iter()
        .find(|c| passed(c, CheckName::Signature) && passed(c, CheckName::TrustedIssuer))
    {
        explanations.push(format!(
            "certificate: {} is signed by a trusted authority, but {}",
            url(c),
            c.reason
        ));
        w.certificate_partial
    } else if let Some(c) = o.certificates.first() {
        explanations.push(format!(
            "certificate: {} does not verify: {}",
            url(c),
            c.reason
        ));
        0
    } else {
        explanations.push("certificate: no credential found".into());
        0
    };
    components.insert("certificate".to_owned(), certificate);

    // consistency
    let judged: Vec<&CertificateReport> = o
        .certificates
        .iter()
        .filter(|c| c.checks.get(CheckName::EndpointAgrees).outcome != Outcome::Skip)
        .collect();
    let unsafe_entry = o
        .errors
        .iter()
        .find(|e| e.contains("is not a public address") || e.contains("non-public addresses"));
    let consistency = if judged.is_empty() {
        explanations.push(
            "consistency: no endpoint answer to compare with independent verification".into(),
        );
        0
    } else if let Some(c) = judged
        .iter()
        .find(|c| !passed(c, CheckName::EndpointAgrees))
    {
        explanations.push(format!(
            "consistency: the endpoint disagrees about {}",
            url(c)
        ));
        0
    } else if let Some(c) = judged.iter().find(|c| !passed(c, CheckName::SingleWindow)) {
        explanations.push(format!(
            "consistency: the single window does not confirm {}",
            url(c)
        ));
        0
    } else if let Some(e) = unsafe_entry {
        explanations.push(format!(
            "consistency: an entry points at an unsafe address ({e})"
        ));
        0
    } else {
        explanations.push(
            "consistency: every endpoint answer agrees and the single window confirms".into(),
        );
        w.consistency
    };
    components.insert("consistency".to_owned(), consistency);

    // red flags and warnings
    for c in &o.certificates {
        if failed(c, CheckName::Signature) {
            red_flags.push(format!("the signature of {} does not verify", url(c)));
        }
        if failed(c, CheckName::ExporterMatches) {
            red_flags.push(format!("{} is another exporter's credential", url(c)));
        }
        if failed(c, CheckName::Anchored) {
            warnings.push(format!("{} is not anchored in the authority's log", url(c)));
        }
        if failed(c, CheckName::ValidityPeriod) {
            warnings.push(format!("{} is outside its validity period", url(c)));
        }
        let unknown_to_authority = failed(c, CheckName::SingleWindow)
            && c.checks
                .get(CheckName::SingleWindow)
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("does not know"));
        let bad = if failed(c, CheckName::NotRevoked) {
            Some("revoked")
        } else if failed(c, CheckName::Signature) {
            Some("forged")
        } else if unknown_to_authority {
            Some("unknown to the authority")
        } else {
            None
        };
        if let Some(what) = bad
            && let Some(p) = o.probes.iter().find(|p| {
                p.certificate_number == c.certificate_number && is_valid(p.answer_status.as_deref())
            })
        {
            red_flags.push(format!(
                "{} calls {} valid, but it is {what}",
                p.url,
                c.certificate_number.as_deref().unwrap_or("?")
            ));
        }
    }
    if let Some(p) = o
        .probes
        .iter()
        .find(|p| p.negative_control == NegativeControl::Accepted)
    {
        red_flags.push(format!(
            "{} calls a certificate number that cannot exist valid",
            p.url.split('?').next().unwrap_or(&p.url)
        ));
    }
    red_flags.dedup();

    let total: u32 = components.values().sum::<u32>().min(100);
    let (score, tier) = if !red_flags.is_empty() {
        (total.min(w.red_flag_cap), Tier::R)
    } else if total >= w.tier_a {
        (total, Tier::A)
    } else if total >= w.tier_b {
        (total, Tier::B)
    } else if total >= w.tier_c {
        (total, Tier::C)
    } else {
        (total, Tier::D)
    };
    for (line, name) in explanations.iter_mut().zip(COMPONENTS) {
        let points = components.get(name).copied().unwrap_or_default();
        let max = match name {
            "discoverable" => w.discoverable,
            "entry" => w.entry_api,
            "live" => w.live_fast,
            "machine_readable" => w.json_answers + w.openapi,
            "certificate" => w.certificate_verified,
            _ => w.consistency,
        };
        let marks = if points >= max { " (full marks)" } else { "" };
        *line = format!("{line} [{points}/{max}]{marks}");
    }
    Readiness {
        score,
        components,
        tier,
        red_flags,
        warnings,
        explanations,
    }
}
