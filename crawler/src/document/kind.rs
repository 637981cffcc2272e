//! What a certificate document certifies, guessed from the words around it
//! (file name, alt text, title, caption, a PDF's text, a QR payload), with
//! the table in `data/certificate-kinds.toml`.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

const KINDS: &str = include_str!("../../data/certificate-kinds.toml");

/// What a certificate document certifies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentKind {
    /// The kind's id (`iso_9001`, `certificate_of_origin`, `other`).
    pub id: String,
    /// Its label in exports (`ISO 9001`, `Certificate of origin`, `Other`).
    pub label: String,
}

impl DocumentKind {
    /// The kind of a document nothing names.
    pub fn other() -> DocumentKind {
        DocumentKind {
            id: "other".to_owned(),
            label: "Other".to_owned(),
        }
    }

    /// Whether it is a certificate of origin.
    pub fn is_certificate_of_origin(&self) -> bool {
        self.id == "certificate_of_origin"
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindsFile {
    kind: Vec<KindRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindRow {
    id: String,
    label: String,
    patterns: Vec<String>,
}

struct Rule {
    kind: DocumentKind,
    pattern: Regex,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let file: KindsFile = toml::from_str(KINDS).expect("the built-in kinds table is valid");
    file.kind
        .into_iter()
        .map(|row| Rule {
            pattern: RegexBuilder::new(&ascii_boundaries(&spaced_scripts(&row.patterns.join("|"))))
                .case_insensitive(true)
                .build()
                .expect("the built-in kinds table's patterns are valid"),
            kind: DocumentKind {
                id: row.id,
                label: row.label,
            },
        })
        .collect()
});

/// `pattern` with each `\b` made an ASCII word boundary, `(?-u:\b)`.
/// After [`normalise`] a Latin letter or digit never touches a letter of
/// another script, so the two kinds of boundary fall in the same places;
/// but a Unicode one keeps the regex engine off its fast path on any
/// non-ASCII text, and page text is matched against every kind (measured:
/// a tenth of a crawl's CPU).
fn ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// `pattern` with a space wherever [`normalise`] puts one in text: between
/// an ASCII letter or digit and a letter of any other kind, so that a
/// pattern with diacritics (`xuất xứ`, `menşe`) meets normalised text as
/// written (`xu ấ t x ứ`). An escaped character (`\b`, `\s`) is regex
/// syntax, not a letter, and gets no space.
fn spaced_scripts(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut previous_ascii: Option<bool> = None;
    let mut escaped = false;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            previous_ascii = None;
            out.push(c);
            continue;
        }
        escaped = c == '\\';
        let ascii = c.is_ascii_alphanumeric();
        let letter = c.is_alphanumeric();
        if letter && previous_ascii.is_some_and(|p| p != ascii) {
            out.push(' ');
        }
        previous_ascii = letter.then_some(ascii);
        out.push(c);
    }
    out
}

/// Every kind of the table, in its order.
pub fn all_kinds() -> Vec<DocumentKind> {
    RULES.iter().map(|r| r.kind.clone()).collect()
}

/// Evidence made comparable: separators of file names and slugs become
/// spaces, so `ISO_9001-2015.jpg` reads as `ISO 9001 2015 jpg`, and a
/// space goes between Latin and other scripts, so `CE认证证书` reads as
/// `CE 认证证书` and `\bce\b` finds it.
fn normalise(evidence: &str) -> String {
    let mut out = String::with_capacity(evidence.len());
    let mut previous_ascii: Option<bool> = None;
    for c in evidence.chars() {
        let c = if matches!(c, '_' | '-' | '.' | '/' | '+') {
            ' '
        } else {
            c
        };
        let ascii = c.is_ascii_alphanumeric();
        let letter = c.is_alphanumeric();
        if letter && previous_ascii.is_some_and(|p| p != ascii) {
            out.push(' ');
        }
        previous_ascii = letter.then_some(ascii);
        out.push(c);
    }
    out
}

/// The kind the first piece of `evidence` that names one names (first in
/// the table's order), or [`DocumentKind::other`]. Evidence comes most
/// reliable first: the page's label for the document, then its file name,
/// then its own text, which may mention other kinds in passing.
pub fn guess_kind<'a>(evidence: impl IntoIterator<Item = &'a str>) -> DocumentKind {
    evidence
        .into_iter()
        .map(normalise)
        .find_map(|text| RULES.iter().find(|rule| rule.pattern.is_match(&text)))
        .map(|rule| rule.kind.clone())
        .unwrap_or_else(DocumentKind::other)
}

/// Every kind `evidence` names, in the table's order.
pub fn kinds_named<'a>(evidence: impl IntoIterator<Item = &'a str>) -> Vec<DocumentKind> {
    let texts: Vec<String> = evidence.into_iter().map(normalise).collect();
    RULES
        .iter()
        .filter(|rule| texts.iter().any(|t| rule.pattern.is_match(t)))
        .map(|rule| rule.kind.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(evidence: &[&str]) -> String {
        guess_kind(evidence.iter().copied()).id
    }

    #[test]
    fn names_in_file_names_alt_texts_and_captions() {
        assert_eq!(id(&["ISO_9001-2015.jpg"]), "iso_9001");
        assert_eq!(id(&["iso14001.png"]), "iso_14001");
        assert_eq!(id(&["", "《质量管理体系认证证书》"]), "iso_9001");
        assert_eq!(id(&["cert-3.jpg", "OHSAS 18001 certificate"]), "iso_45001");
        assert_eq!(id(&["ce-certificate.pdf"]), "ce");
        assert_eq!(id(&["RoHS test report"]), "rohs");
        assert_eq!(id(&["营业执照.jpg"]), "business_licence");
        assert_eq!(
            id(&["Certificate of Origin Form E"]),
            "certificate_of_origin"
        );
        assert_eq!(id(&["rcep-co-2026.pdf"]), "certificate_of_origin");
        assert_eq!(id(&["Sertifikat Halal MUI"]), "halal");
        assert_eq!(id(&["实用新型专利证书"]), "patent");
        assert_eq!(id(&["《CE认证证书》"]), "ce");
        assert_eq!(id(&["RoHS检测报告"]), "rohs");
        assert_eq!(
            id(&[
                "Business licence",
                "yyzz.pdf",
                "CE marked products; ISO 9001"
            ]),
            "business_licence",
            "the page's label wins over the document's text"
        );
    }

    #[test]
    fn words_inside_other_words_do_not_count() {
        assert_eq!(id(&["price-list.jpg"]), "other");
        assert_eq!(id(&["office.png"]), "other");
        assert_eq!(id(&["IMG_20240101.jpg"]), "other");
    }

    #[test]
    fn words_with_diacritics_are_matched_as_written() {
        for label in [
            "Giấy chứng nhận xuất xứ OCO-00000480",
            "GIẤY CHỨNG NHẬN XUẤT XỨ mẫu E",
            "Menşe şahadetnamesi",
            "Świadectwo pochodzenia towaru",
        ] {
            assert_eq!(id(&[label]), "certificate_of_origin", "{label}");
        }
        // Escapes stay regex syntax.
        assert_eq!(spaced_scripts(r"\bé\s?x"), r"\bé\s?x");
        assert_eq!(spaced_scripts("xuất"), "xu ấ t");
    }

    #[test]
    fn ascii_boundaries_fall_where_unicode_ones_do_after_normalising() {
        let file: KindsFile = toml::from_str(KINDS).expect("valid");
        let texts = [
            "Giấy chứng nhận CE cho sản phẩm",
            "ceşitli ürünler",
            "Sertifika CEşit",
            "《CE认证证书》",
            "Certificado de origen Formulario E",
            "ISO 9001：2015 质量管理体系认证",
            "сертификат ISO9001 и CE",
            "Überprüfung der RoHS-Konformität",
            "e-CO số RCEP-VN-2026",
            "ใบรับรอง ISO 14001 และ halal",
            "Form D، شهادة المنشأ",
        ];
        for row in &file.kind {
            let joined = spaced_scripts(&row.patterns.join("|"));
            let build = |p: &str| {
                RegexBuilder::new(p)
                    .case_insensitive(true)
                    .build()
                    .expect("valid")
            };
            let (unicode, ascii) = (build(&joined), build(&ascii_boundaries(&joined)));
            for text in texts.map(normalise) {
                assert_eq!(
                    unicode.is_match(&text),
                    ascii.is_match(&text),
                    "{} on {text:?}",
                    row.id
                );
            }
        }
    }
}
