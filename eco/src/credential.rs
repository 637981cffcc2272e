//! Reading the fields of an e-CO credential (spec section 2) and its digest.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::json::{JsonError, canonicalize};

/// The credential digest: SHA-256 over JCS of the whole signed credential.
pub fn digest(credential: &Value) -> Result<[u8; 32], JsonError> {
    Ok(Sha256::digest(canonicalize(credential)?).into())
}

/// The credential's `issuer` id (a string, or an object's `id`).
pub fn issuer(credential: &Value) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id")?.as_str(),
        _ => None,
    }
}

/// The credential subjects (one object, or each object of an array).
pub fn subjects(credential: &Value) -> Vec<&Value> {
    match credential.get("credentialSubject") {
        Some(Value::Array(items)) => items.iter().filter(|v| v.is_object()).collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

/// `credentialSubject.certificateNumber` of the first subject that has one.
pub fn certificate_number(credential: &Value) -> Option<&str> {
    subjects(credential)
        .into_iter()
        .find_map(|s| s.get("certificateNumber")?.as_str())
}

/// `credentialSubject.exporter.website` of the first subject that has one.
pub fn exporter_website(credential: &Value) -> Option<&str> {
    subjects(credential)
        .into_iter()
        .find_map(|s| s.get("exporter")?.get("website")?.as_str())
}

/// `credentialSubject.exporter.name` of the first subject that has one.
pub fn exporter_name(credential: &Value) -> Option<&str> {
    subjects(credential)
        .into_iter()
        .find_map(|s| s.get("exporter")?.get("name")?.as_str())
}

/// The `credentialStatus` entries (one object, or each object of an array).
pub fn status_entries(credential: &Value) -> Option<Vec<&Value>> {
    match credential.get("credentialStatus")? {
        Value::Array(items) => Some(items.iter().collect()),
        other => Some(vec![other]),
    }
}

/// The registrable domain (public suffix + 1 label) of a host, URL or
/// domain name, in lower case; an IP address is returned as it is.
pub fn registrable_domain(host_or_url: &str) -> Option<String> {
    let text = host_or_url.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    match url.host()? {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            psl::domain_str(&d).map(str::to_owned)
        }
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

/// Words of legal form that say nothing about which company it is, in
/// the RCEP languages' usual spellings (compared after lower-casing and
/// removing punctuation).
const LEGAL_FORMS: &[&str] = &[
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "plc",
    "pty",
    "pte",
    "sdn",
    "bhd",
    "berhad",
    "pt",
    "tbk",
    "persero",
    "jsc",
    "jsco",
    "gmbh",
    "ag",
    "kk",
    "kabushiki",
    "kaisha",
    "public",
    "công",
    "ty",
    "tnhh",
    "cp",
];

/// Legal-form suffixes in CJK scripts, removed wherever they appear.
const CJK_LEGAL_FORMS: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "集团",
    "公司",
    "株式会社",
    "有限会社",
    "주식회사",
];

/// A company name reduced to what tells companies apart: lower case, no
/// punctuation, no words of legal form (Co., Ltd., Pty Ltd, Sdn. Bhd., PT,
/// JSC, 有限公司, ...), single spaces. Two names that reduce to the same
/// text name the same company for `exporter_matches`.
pub fn normalised_company_name(name: &str) -> String {
    let mut text = name.to_lowercase();
    for form in CJK_LEGAL_FORMS {
        text = text.replace(form, " ");
    }
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    cleaned
        .split_whitespace()
        .filter(|word| !LEGAL_FORMS.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn company_names_lose_their_legal_form() {
        for (a, b) in [
            (
                "Ningbo Example Electric Co., Ltd.",
                "NINGBO EXAMPLE ELECTRIC CO LTD",
            ),
            (
                "Treasury Wine Estates Vintners Limited",
                "Treasury Wine Estates Vintners Pty Ltd",
            ),
            ("PT Abadi Jaya Tbk", "Abadi Jaya"),
            ("Makmur Sdn. Bhd.", "MAKMUR SDN BHD"),
            ("Hai Phong Import JSC", "Hai Phong Import"),
            ("宁波示例电器有限公司", "宁波示例电器"),
        ] {
            assert_eq!(
                normalised_company_name(a),
                normalised_company_name(b),
                "{a} / {b}"
            );
        }
        assert_ne!(
            normalised_company_name("Ningbo Example Electric Co., Ltd."),
            normalised_company_name("Ningbo Other Electric Co., Ltd.")
        );
        assert_eq!(normalised_company_name("Co., Ltd."), "");
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain("https://www.Example-Electric.cn/en/").as_deref(),
            Some("example-electric.cn")
        );
        assert_eq!(
            registrable_domain("shop.example.com.vn").as_deref(),
            Some("example.com.vn")
        );
        assert_eq!(
            registrable_domain("www.acme.co.th.").as_deref(),
            Some("acme.co.th")
        );
        assert_eq!(
            registrable_domain("http://a.b.supplier.test:8080/x").as_deref(),
            Some("supplier.test")
        );
        assert_eq!(
            registrable_domain("127.0.0.1").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(registrable_domain("com"), None);
    }

    #[test]
    fn reads_issuer_forms_and_subject_arrays() {
        let c = json!({"issuer": {"id": "did:web:a"}, "credentialSubject": [
            {"type": "x"}, {"certificateNumber": "N-1", "exporter": {"website": "https://a.test/"}}]});
        assert_eq!(issuer(&c), Some("did:web:a"));
        assert_eq!(certificate_number(&c), Some("N-1"));
        assert_eq!(exporter_website(&c), Some("https://a.test/"));
        assert_eq!(issuer(&json!({"issuer": 5})), None);
    }
}
