//! Exports: spreadsheet-safe CSV and spec section 7 JSON Lines.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;

use crawler::observation::EntryKind;

use crate::spec::SpecRecord;
use crate::{Filter, Record, Store, StoreError};

/// The CSV columns, before the seeds file's extra columns.
pub const CSV_COLUMNS: [&str; 23] = [
    "domain",
    "name",
    "country",
    "region",
    "score",
    "tier",
    "red_flags",
    "cert_page",
    "entry_kinds",
    "endpoint",
    "endpoint_live",
    "latency_ms",
    "json_api",
    "openapi",
    "negative_control",
    "certificates_found",
    "certificates_verified",
    "certificates_failed",
    "formats",
    "failed_checks",
    "other_certifications",
    "run_id",
    "crawled_at",
];

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing.
    #[error("cannot write the export: {0}")]
    Write(String),
}

fn io(e: impl std::fmt::Display) -> ExportError {
    ExportError::Write(e.to_string())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first) gets a leading apostrophe, so it shows as text.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The CSV row of a record (tag columns not included).
pub fn csv_row(r: &Record) -> Vec<String> {
    let o = &r.observation;
    let kinds: BTreeSet<&str> = o.entries.iter().map(|e| e.kind.as_str()).collect();
    let endpoint = o
        .entries
        .iter()
        .find(|e| matches!(e.kind, EntryKind::Api | EntryKind::Form))
        .map(|e| e.url.clone());
    let answered: Vec<_> = o
        .probes
        .iter()
        .filter(|p| p.certificate_number.is_some() && p.answer_status.is_some())
        .collect();
    let latency = answered.iter().filter_map(|p| p.latency_ms).min();
    let failed: BTreeSet<&str> = o
        .certificates
        .iter()
        .flat_map(|c| c.checks.failing())
        .map(|n| n.as_str())
        .collect();
    vec![
        o.domain.clone(),
        o.name.clone(),
        o.country.clone(),
        o.region.clone(),
        r.readiness.score.to_string(),
        r.readiness.tier.as_str().to_owned(),
        r.readiness.red_flags.join(" | "),
        o.cert_pages.first().cloned().unwrap_or_default(),
        kinds.into_iter().collect::<Vec<_>>().join(" "),
        endpoint.unwrap_or_default(),
        yes_no(!answered.is_empty()).to_owned(),
        latency.map(|l| l.to_string()).unwrap_or_default(),
        yes_no(o.probes.iter().any(|p| p.json && p.answer_status.is_some())).to_owned(),
        yes_no(kinds_has(r, EntryKind::Openapi)).to_owned(),
        o.probes
            .first()
            .map(|p| {
                serde_json::to_value(p.negative_control)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .unwrap_or_default(),
        o.certificates.len().to_string(),
        o.certificates
            .iter()
            .filter(|c| c.verdict == eco::Verdict::Verified)
            .count()
            .to_string(),
        o.certificates
            .iter()
            .filter(|c| c.verdict == eco::Verdict::Failed)
            .count()
            .to_string(),
        formats(o),
        failed.into_iter().collect::<Vec<_>>().join(" "),
        other_certifications(o),
        r.run_id.to_string(),
        o.crawled_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ]
}

/// The formats of the supplier's certificates, each once
/// (`vc-eddsa-jcs-2022 openattestation-v2`).
fn formats(o: &crawler::observation::Observation) -> String {
    let formats: BTreeSet<eco::CredentialFormat> =
        o.certificates.iter().map(|c| c.format).collect();
    formats
        .into_iter()
        .map(eco::CredentialFormat::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The kinds of the supplier's certificate documents other than
/// certificates of origin (`ISO 9001 CE RoHS`), each once, in the order
/// of the kinds table.
fn other_certifications(o: &crawler::observation::Observation) -> String {
    let ids: BTreeSet<&str> = o
        .documents
        .iter()
        .filter(|d| d.error.is_none() || !d.evidence.is_empty())
        .map(|d| d.kind.as_str())
        .filter(|k| !matches!(*k, "certificate_of_origin" | "other" | ""))
        .collect();
    crawler::document::kind::all_kinds()
        .iter()
        .filter(|k| ids.contains(k.id.as_str()))
        .map(|k| k.label.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn kinds_has(r: &Record, kind: EntryKind) -> bool {
    r.observation.entries.iter().any(|e| e.kind == kind)
}

/// Calls `write` with every record the filter selects; stops at the first
/// write error and reports it as such. Returns the number of records.
fn each_record(
    store: &dyn Store,
    filter: &Filter,
    mut write: impl FnMut(Record) -> Result<(), String>,
) -> Result<u64, ExportError> {
    let mut rows = 0;
    let mut failure = None;
    store
        .for_each(filter, &mut |r| match write(r) {
            Ok(()) => {
                rows += 1;
                Ok(())
            }
            Err(e) => {
                failure = Some(e);
                Err(StoreError::Database("export stopped".into()))
            }
        })
        .map_err(|e| {
            failure
                .take()
                .map(ExportError::Write)
                .unwrap_or(ExportError::Store(e))
        })?;
    Ok(rows)
}

/// Writes the records `filter` selects as CSV: a header, one row per
/// supplier, the seeds file's extra columns last; every cell neutralised.
/// `excel` adds a UTF-8 BOM so that spreadsheets read the text right.
pub fn write_csv(
    store: &dyn Store,
    filter: &Filter,
    out: &mut dyn Write,
    excel: bool,
) -> Result<u64, ExportError> {
    let mut tags = BTreeSet::new();
    store.for_each(filter, &mut |r| {
        tags.extend(r.observation.tags.keys().cloned());
        Ok(())
    })?;
    if excel {
        out.write_all(b"\xEF\xBB\xBF").map_err(io)?;
    }
    let mut csv = csv::Writer::from_writer(out);
    let header: Vec<&str> = CSV_COLUMNS
        .iter()
        .copied()
        .chain(tags.iter().map(String::as_str))
        .collect();
    csv.write_record(&header).map_err(io)?;
    let rows = each_record(store, filter, |r| {
        let mut row = csv_row(&r);
        row.extend(
            tags.iter()
                .map(|t| r.observation.tags.get(t).cloned().unwrap_or_default()),
        );
        let cells: Vec<Cow<'_, str>> = row.iter().map(|c| neutralize(c)).collect();
        csv.write_record(cells.iter().map(|c| c.as_ref()))
            .map_err(|e| e.to_string())
    })?;
    csv.flush().map_err(io)?;
    Ok(rows)
}

/// The spec section 7 record of a supplier: every field present, nothing else.
pub fn spec_record(r: &Record) -> SpecRecord {
    SpecRecord::from(r)
}

/// Writes the records `filter` selects as JSON Lines, one supplier a line.
pub fn write_jsonl(
    store: &dyn Store,
    filter: &Filter,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let rows = each_record(store, filter, |r| {
        // Through a `Value`, whose keys are sorted: the lines stay
        // byte for byte what earlier versions wrote, so exports diff.
        let line = serde_json::to_value(spec_record(&r)).map_err(|e| e.to_string())?;
        writeln!(out, "{line}").map_err(|e| e.to_string())
    })?;
    out.flush().map_err(io)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The hand-built record `spec_record` was before it was typed.
    fn hand_built(r: &Record) -> Value {
        let o = &r.observation;
        let certificates: Vec<Value> = o
            .certificates
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                if let Some(map) = v.as_object_mut() {
                    map.remove("check_reasons");
                    map.entry("url").or_insert(Value::Null);
                }
                v
            })
            .collect();
        json!({
            "domain": o.domain,
            "name": o.name,
            "country": o.country,
            "region": o.region,
            "run_id": r.run_id,
            "crawled_at": o.crawled_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "score": r.readiness.score,
            "tier": r.readiness.tier.as_str(),
            "red_flags": r.readiness.red_flags,
            "components": r.readiness.components,
            "pages_fetched": o.pages_fetched,
            "cert_pages": o.cert_pages,
            "robots_blocked": o.robots_blocked,
            "entries": o.entries,
            "probes": o.probes,
            "certificates": certificates,
            "documents": o.documents,
            "cert_page_evidence": o.cert_page_evidence,
            "errors": o.errors,
        })
    }

    /// A record with every kind of part the spec record carries.
    fn rich_record() -> Record {
        use crawler::classify::{Feature, PageClass, Signal};
        use crawler::observation::{
            CertificateDocument, Entry, NegativeControl, Observation, Probe, QrCode, QrTarget,
        };
        use eco::openattestation::identity::{IdentityOutcome, IdentityProof};
        use eco::{CertificateReport, CheckName, CheckResult, Checks, CredentialFormat};

        let seed = crawler::seeds::Seed {
            line: 2,
            website: url::Url::parse("https://www.acme.example/").unwrap(),
            name: "Acme \"Ltd\" — «Ṫ»".into(),
            country: "VN".into(),
            region: "Mekong Delta".into(),
            tags: [("segment".to_owned(), "rice".to_owned())].into(),
        };
        let mut o = Observation::of_seed(&seed);
        o.pages_fetched = 7;
        o.cert_pages = vec!["https://acme.example/certs".into()];
        o.robots_blocked = vec!["https://acme.example/private".into()];
        o.entries = vec![
            Entry::get(EntryKind::Api, "https://acme.example/api/{n}"),
            Entry {
                method: "POST".into(),
                ..Entry::get(EntryKind::Form, "https://acme.example/verify")
            },
        ];
        o.probes = vec![Probe {
            url: "https://acme.example/api/CO-1".into(),
            certificate_number: Some("CO-1".into()),
            http_status: Some(200),
            latency_ms: Some(12),
            json: true,
            answer_status: Some("valid".into()),
            negative_control: NegativeControl::Rejected,
        }];
        let mut checks = Checks::all_unknown("the log did not answer");
        checks.set(CheckName::Signature, CheckResult::pass());
        checks.set(CheckName::SingleWindow, CheckResult::fail("unknown number"));
        let with_url = CertificateReport {
            url: Some("https://acme.example/co-1.json".into()),
            format: CredentialFormat::OpenAttestationV2,
            certificate_number: Some("CO-1".into()),
            issuer: Some("did:web:ccpit.example".into()),
            authority: Some("cn-ccpit".into()),
            digest: "ab".repeat(32),
            verdict: checks.verdict(),
            reason: checks.verdict_reason(),
            checks,
            identity: vec![IdentityProof {
                method: "DNS-TXT".into(),
                location: "ccpit.example".into(),
                outcome: IdentityOutcome::NotConfirmed,
                detail: "no record".into(),
            }],
        };
        let without_url = CertificateReport {
            url: None,
            certificate_number: None,
            issuer: None,
            authority: None,
            identity: Vec::new(),
            ..with_url.clone()
        };
        o.certificates = vec![with_url, without_url];
        o.documents = vec![CertificateDocument {
            url: "https://acme.example/co.png".into(),
            page: "https://acme.example/certs".into(),
            kind: "certificate_of_origin".into(),
            kind_label: "Certificate of origin".into(),
            evidence: "alt text".into(),
            format: Some("png".into()),
            decoded: true,
            qr_codes: vec![QrCode {
                payload: "https://portal.example/CO-1".into(),
                leads_to: QrTarget::OfficialPortal,
                certificate_number: Some("CO-1".into()),
            }],
            certificate_numbers: vec!["CO-1".into()],
            error: None,
        }];
        o.cert_page_evidence = vec![PageClass {
            url: "https://acme.example/certs".into(),
            score: 9,
            is_cert_page: true,
            signals: vec![Signal {
                feature: Feature::Entries,
                points: 5,
                evidence: "a form".into(),
            }],
        }];
        o.errors = vec!["one page timed out".into()];
        Record {
            run_id: 3,
            observation: o,
            readiness: scoring::Readiness {
                score: 87,
                components: [("discoverable".to_owned(), 10), ("live".to_owned(), 0)].into(),
                tier: scoring::Tier::A,
                red_flags: vec!["endpoint disagrees".into()],
                warnings: vec!["unanchored".into()],
                explanations: vec!["seen".into()],
            },
        }
    }

    #[test]
    fn the_typed_spec_record_is_the_hand_built_one_byte_for_byte() {
        let record = rich_record();
        let mut plain = record.clone();
        plain.observation.certificates.clear();
        plain.observation.documents.clear();
        for r in [record, plain] {
            let typed = serde_json::to_value(spec_record(&r)).unwrap();
            assert_eq!(typed, hand_built(&r));
            assert_eq!(typed.to_string(), hand_built(&r).to_string());
        }
        // The stored reasons stay out; a missing url is null, not absent.
        let typed = serde_json::to_value(spec_record(&rich_record())).unwrap();
        let second = &typed["certificates"][1];
        assert!(second.get("check_reasons").is_none());
        assert!(second["url"].is_null() && second.get("identity").is_none());
        assert_eq!(typed["certificates"][0]["identity"][0]["method"], "DNS-TXT");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            neutralize("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for bad in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralize(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralize("Acme Co."), "Acme Co.");
        assert_eq!(neutralize(""), "");
    }
}
