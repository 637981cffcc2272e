//! What a page offers for e-CO verification (spec section 6): JSON-LD
//! certifications and `CheckAction` templates, verification forms,
//! credential, portal and OpenAPI links, and certificate numbers in text.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;
use url::Url;

use crate::observation::{Entry, EntryKind};
use crate::page::{Form, PageFacts};
use crate::vocab::{Vocabulary, WordList, host_in};

/// Deepest JSON-LD nesting walked.
const MAX_JSONLD_DEPTH: usize = 32;

/// A verification API: a URL template with one placeholder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiEndpoint {
    /// The template as published.
    pub template: String,
    /// The placeholder, with braces (`{certificationIdentification}`).
    pub placeholder: String,
    /// HTTP method (GET unless the page says otherwise).
    pub method: String,
}

/// A verification form and the input that takes the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormEndpoint {
    /// The form.
    pub form: Form,
    /// The name of the number input.
    pub number_field: String,
}

/// What one page offers.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Entries, de-duplicated.
    pub entries: BTreeSet<Entry>,
    /// API templates.
    pub apis: Vec<ApiEndpoint>,
    /// Verification forms.
    pub forms: Vec<FormEndpoint>,
    /// Credential document URLs.
    pub credentials: Vec<Url>,
    /// Certificate numbers from JSON-LD.
    pub structured_numbers: Vec<String>,
    /// Certificate-number-like text near certificate-of-origin words.
    pub text_numbers: Vec<String>,
    /// Number of JSON-LD `Certification` items.
    pub certifications: usize,
}

impl Findings {
    /// Whether the page offers any verification entry or certification.
    pub fn has_entries(&self) -> bool {
        !self.entries.is_empty() || self.certifications > 0
    }
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z0-9]{1,14}(?:[-/.][A-Z0-9]{1,14}){1,6}\b|\b[A-Z]{1,8}[0-9]{5,20}\b")
        .expect("a constant regex")
});
static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$").expect("a constant regex"));

/// Whether a token looks like a certificate number: 6 to 40 characters,
/// at least 5 digits and a letter, and not a date.
pub fn looks_like_number(token: &str) -> bool {
    (6..=40).contains(&token.len())
        && token.bytes().filter(u8::is_ascii_digit).count() >= 5
        && token.bytes().any(|b| b.is_ascii_alphabetic())
        && !DATE.is_match(token)
}

/// Certificate numbers in a document's text: number-like tokens on a line
/// that names a certificate number ("Certificate No.", 证书编号, Số chứng
/// nhận) or speaks of origin, or on the line after one.
pub fn document_numbers(text: &str) -> Vec<String> {
    let vocab = Vocabulary::get();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !(vocab.matches(WordList::NumberField, line) || vocab.matches(WordList::Origin, line)) {
            continue;
        }
        for candidate in lines[i..].iter().take(2) {
            for m in NUMBER.find_iter(candidate) {
                let token = m.as_str().trim_matches(|c: char| c == '.' || c == '/');
                if looks_like_number(token) && !out.iter().any(|n| n == token) {
                    out.push(token.to_owned());
                }
            }
        }
    }
    out
}

/// The certificate number a URL carries, in a query value or a path
/// segment, when one looks like a number.
pub fn number_in_url(url: &Url) -> Option<String> {
    let from_query = url
        .query_pairs()
        .map(|(_, v)| v.trim().to_owned())
        .find(|v| looks_like_number(v));
    from_query.or_else(|| {
        url.path_segments()?
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .find(|s| looks_like_number(s))
    })
}

fn type_is(node: &serde_json::Map<String, Value>, wanted: &str) -> bool {
    let matches = |t: &str| {
        let t = t.rsplit(['/', ':', '#']).next().unwrap_or(t);
        t.eq_ignore_ascii_case(wanted)
    };
    match node.get("@type").or_else(|| node.get("type")) {
        Some(Value::String(t)) => matches(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(matches),
        _ => false,
    }
}

fn string_or_number(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o
            .get("value")
            .or_else(|| o.get("@value"))
            .and_then(string_or_number),
        _ => None,
    }
}

/// The placeholder of a URL template: `{certificationIdentification}` when
/// present, else the only `{...}` in it.
fn placeholder(template: &str) -> Option<String> {
    if template.contains("{certificationIdentification}") {
        return Some("{certificationIdentification}".to_owned());
    }
    let start = template.find('{')?;
    let end = start + template[start..].find('}')?;
    let name = &template[start + 1..end];
    (!name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && template[end + 1..].find('{').is_none())
    .then(|| template[start..=end].to_owned())
}

fn walk<'a>(
    value: &'a Value,
    depth: usize,
    visit: &mut impl FnMut(&'a serde_json::Map<String, Value>),
) {
    if depth > MAX_JSONLD_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            visit(map);
            for v in map.values() {
                walk(v, depth + 1, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, depth + 1, visit)),
        _ => {}
    }
}

/// A URL template made absolute against `base`, its placeholder kept
/// intact (URL parsing would percent-encode the braces in a path).
fn absolute_template(base: Option<&Url>, template: &str, placeholder: &str) -> Option<String> {
    const SENTINEL: &str = "ECOSCOUT-NUMBER-PLACEHOLDER";
    let with_sentinel = template.trim().replace(placeholder, SENTINEL);
    let url = match (Url::parse(&with_sentinel), base) {
        (Ok(u), _) => u,
        (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) => {
            base.join(&with_sentinel).ok()?
        }
        _ => return None,
    };
    let text = url.to_string();
    text.contains(SENTINEL)
        .then(|| text.replace(SENTINEL, placeholder))
}

/// A URL, absolute as given or relative to `base`.
pub fn absolute_url(base: Option<&Url>, text: &str) -> Option<Url> {
    let text = text.trim();
    match (Url::parse(text), base) {
        (Ok(u), _) => Some(u),
        (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) => base.join(text).ok(),
        _ => None,
    }
}

fn action_targets(
    action: &serde_json::Map<String, Value>,
    base: Option<&Url>,
    out: &mut Vec<ApiEndpoint>,
) {
    let mut push = |template: &str, method: Option<&str>| {
        if let Some(placeholder) = placeholder(template)
            && let Some(template) = absolute_template(base, template, &placeholder)
        {
            out.push(ApiEndpoint {
                template,
                placeholder,
                method: method.unwrap_or("GET").trim().to_ascii_uppercase(),
            });
        }
    };
    let targets: Vec<&Value> = match action.get("target") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for target in targets {
        match target {
            Value::String(s) => push(s, None),
            Value::Object(o) => {
                if let Some(t) = o
                    .get("urlTemplate")
                    .or_else(|| o.get("url"))
                    .and_then(Value::as_str)
                {
                    push(t, o.get("httpMethod").and_then(Value::as_str));
                }
            }
            _ => {}
        }
    }
}

fn is_openapi_url(url: &Url) -> bool {
    let last = url
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    last.starts_with("openapi")
        || last.starts_with("swagger")
        || last == "api-docs"
        || last == "api-docs.json"
}

/// Whether a link leads to a credential document, by its `type` or name:
/// a verifiable credential (`.json`, `.jsonld`, `.vc`) or a TradeTrust
/// document (`.tt`, often served as `application/octet-stream`; what it
/// is, is decided by its content once fetched).
pub fn is_credential_link(url: &Url, mime: &str) -> bool {
    if is_openapi_url(url) {
        return false;
    }
    let mime = mime.split(';').next().unwrap_or_default().trim();
    if matches!(
        mime,
        "application/vc" | "application/vc+ld+json" | "application/vc+jwt" | "application/ld+json"
    ) {
        return true;
    }
    let last = url
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let ignored = [
        "manifest.json",
        "package.json",
        "composer.json",
        "site.webmanifest",
    ];
    !ignored.contains(&last.as_str())
        && !url.path().contains("/wp-json/")
        && [".json", ".jsonld", ".vc", ".tt"]
            .iter()
            .any(|extension| last.ends_with(extension))
}

/// Finds what `page` offers; `portals` are the official portal hosts.
pub fn findings(page: &PageFacts, portals: &[String]) -> Findings {
    let vocab = Vocabulary::get();
    let mut f = Findings::default();
    for block in &page.jsonld {
        walk(block, 0, &mut |node| {
            if type_is(node, "Certification") {
                f.certifications += 1;
                if let Some(n) = node
                    .get("certificationIdentification")
                    .and_then(string_or_number)
                {
                    f.structured_numbers.push(n);
                }
                if let Some(url) = node
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(|u| absolute_url(page.base.as_ref(), u))
                {
                    f.credentials.push(url);
                }
            }
            if type_is(node, "CheckAction") {
                action_targets(node, page.base.as_ref(), &mut f.apis);
            }
        });
    }
    f.apis.sort();
    f.apis.dedup();
    for api in &f.apis {
        f.entries.insert(Entry {
            kind: EntryKind::Api,
            url: api.template.clone(),
            method: api.method.clone(),
        });
    }
    for url in &page.service_desc {
        f.entries
            .insert(Entry::get(EntryKind::Openapi, url.to_string()));
    }
    for link in &page.links {
        let url = &link.url;
        if eco::openattestation::link::is_link(url) {
            // A TradeTrust verification link leads to a document to judge,
            // whoever hosts the viewer.
            f.credentials.push(url.clone());
        } else if url.host_str().is_some_and(|h| host_in(h, portals)) {
            f.entries
                .insert(Entry::get(EntryKind::PortalLink, url.to_string()));
        } else if is_openapi_url(url) || link.text.to_ascii_lowercase().contains("openapi") {
            f.entries
                .insert(Entry::get(EntryKind::Openapi, url.to_string()));
        } else if matches!(url.scheme(), "http" | "https") && is_credential_link(url, &link.mime) {
            f.credentials.push(url.clone());
        }
    }
    for form in &page.forms {
        if let Some(field) = number_field(form, vocab) {
            f.entries.insert(Entry {
                kind: EntryKind::Form,
                url: form.action.to_string(),
                method: form.method.clone(),
            });
            f.forms.push(FormEndpoint {
                form: form.clone(),
                number_field: field,
            });
        }
    }
    let mut seen = BTreeSet::new();
    f.credentials.retain(|u| seen.insert(u.to_string()));
    for url in &f.credentials {
        f.entries
            .insert(Entry::get(EntryKind::CredentialLink, url.to_string()));
    }
    for block in &page.blocks {
        if !vocab.matches(WordList::Origin, block) {
            continue;
        }
        for m in NUMBER.find_iter(block) {
            let token = m.as_str().trim_matches(|c: char| c == '.' || c == '/');
            if looks_like_number(token) && !f.text_numbers.iter().any(|n| n == token) {
                f.text_numbers.push(token.to_owned());
            }
        }
    }
    f
}

/// The input of a form that takes a certificate number, if the form is a
/// verification form: an input named or labelled as one, or the only text
/// input of a form that speaks of certificates.
fn number_field(form: &Form, vocab: &Vocabulary) -> Option<String> {
    if form
        .fields
        .iter()
        .any(|(name, _)| name.to_ascii_lowercase().contains("password"))
    {
        return None;
    }
    if let Some((name, _)) = form
        .text_inputs
        .iter()
        .find(|(_, description)| vocab.matches(WordList::NumberField, description))
    {
        return Some(name.clone());
    }
    let about_certificates = vocab.matches(WordList::Certification, &form.text)
        || vocab.matches(WordList::Origin, &form.text);
    match form.text_inputs.as_slice() {
        [(name, _)] if about_certificates => Some(name.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credential_links_by_name_include_tradetrust_files() {
        let link = |u: &str| super::is_credential_link(&url::Url::parse(u).expect("url"), "");
        assert!(link("https://a.example/certs/co-2026-001.tt"));
        assert!(link("https://a.example/certs/CO-2026-001.TT"));
        assert!(link("https://a.example/vc/co.jsonld"));
        assert!(!link("https://a.example/certs/co.pdf"));
        assert!(!link("https://a.example/manifest.json"));
        assert!(!link("https://a.example/doc.txt"));
    }

    use super::*;
    use crate::page::read_page;

    #[test]
    fn relative_templates_and_credential_urls_resolve_against_the_page() {
        let html = r#"<html><head><base href="/en/"><script type="application/ld+json">
        {"@type":"Organization","hasCertification":{"@type":"Certification","certificationIdentification":"RCEP-TH-2026-1234567","url":"files/c.vc"},
         "potentialAction":[{"@type":"CheckAction","target":"/api/co/{certificationIdentification}"},
                            {"@type":"CheckAction","target":{"urlTemplate":"verify?no={no}"}}]}</script></head><body></body></html>"#;
        let page = read_page(&Url::parse("https://a.test/x/y.html").unwrap(), html);
        let f = findings(&page, &[]);
        let templates: Vec<&str> = f.apis.iter().map(|a| a.template.as_str()).collect();
        assert_eq!(
            templates,
            [
                "https://a.test/api/co/{certificationIdentification}",
                "https://a.test/en/verify?no={no}"
            ]
        );
        assert_eq!(f.credentials[0].as_str(), "https://a.test/en/files/c.vc");
    }

    #[test]
    fn numbers_are_read_from_document_text_and_urls() {
        let text = "CERTIFICATE OF ORIGIN\nForm RCEP\nCertificate No.: VN-RCEP-26-00001230\nIssued 2026-06-12\nISO 9001 EMS-000123456";
        assert_eq!(document_numbers(text), ["VN-RCEP-26-00001230"]);
        let url = Url::parse("https://check.example/co?lang=en&no=RCEP-TH-2026-1234567").unwrap();
        assert_eq!(number_in_url(&url).as_deref(), Some("RCEP-TH-2026-1234567"));
        let url = Url::parse("https://check.example/co/E2026123456").unwrap();
        assert_eq!(number_in_url(&url).as_deref(), Some("E2026123456"));
        assert_eq!(
            number_in_url(&Url::parse("https://a.test/about").unwrap()),
            None
        );
    }

    #[test]
    fn numbers_look_like_numbers() {
        for yes in [
            "RCEP-CN-2026-00001230",
            "VN-RCEP-26-00001230",
            "E2026123456",
            "KL/RCEP/2026/00123",
        ] {
            assert!(looks_like_number(yes), "{yes}");
        }
        for no in ["2026-06-12", "123456", "ISO-9001", "ABC-DEF-GHI"] {
            assert!(!looks_like_number(no), "{no}");
        }
    }

    #[test]
    fn finds_every_kind_of_entry() {
        let html = r#"<html><head><title>Certificates</title>
        <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite"},{"@type":"Organization",
          "hasCertification":[{"@type":"schema:Certification","certificationIdentification":"RCEP-CN-2026-0000123","url":"https://a.test/c/1.vc"}],
          "potentialAction":{"@type":"CheckAction","target":{"@type":"EntryPoint","urlTemplate":"https://a.test/api?no={certificationIdentification}"}}}]}</script>
        </head><body><h1>Certificates</h1>
        <table><tr><td>Certificate of Origin RCEP-CN-2026-0000456</td><td><a href="/c/2.json">json</a></td></tr>
        <tr><td>ISO 9001 EMS-000123456</td></tr></table>
        <a href="https://www.ecosys.gov.vn/check">official</a> <a href="/api/openapi.json">API</a>
        <form action="/s"><input name="s" placeholder="Search"></form>
        <form action="/v" method="post"><label>Số chứng nhận <input name="q"></label></form>
        </body></html>"#;
        let page = read_page(&Url::parse("https://a.test/certs").unwrap(), html);
        let f = findings(&page, &["www.ecosys.gov.vn".to_owned()]);
        let kinds: BTreeSet<&str> = f.entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["api", "credential_link", "form", "openapi", "portal_link"]
                .into_iter()
                .collect()
        );
        assert_eq!(f.apis[0].placeholder, "{certificationIdentification}");
        assert_eq!(
            f.forms.len(),
            1,
            "the search form is not a verification form"
        );
        assert_eq!(f.forms[0].number_field, "q");
        assert_eq!(f.structured_numbers, ["RCEP-CN-2026-0000123"]);
        assert_eq!(f.text_numbers, ["RCEP-CN-2026-0000456"]);
        assert_eq!(f.credentials.len(), 2);
        assert!(f.has_entries());
    }
}
