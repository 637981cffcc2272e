//! Reading a verification endpoint out of an OpenAPI description, for sites
//! that publish one (`<link rel="service-desc">`) without a JSON-LD
//! `CheckAction`.

use serde_json::Value;
use url::Url;

use crate::extract::ApiEndpoint;
use crate::vocab::{Vocabulary, WordList};

/// Words that mark an operation as certificate verification.
const HINTS: &[&str] = &["cert", "verif", "check", "eco", "origin", "co-", "/co/"];

/// The GET operations of an OpenAPI (3.x or Swagger 2) document, served at
/// `doc_url`, that take one certificate number, as URL templates.
pub fn endpoints(doc_url: &Url, doc: &Value) -> Vec<ApiEndpoint> {
    let vocab = Vocabulary::get();
    let server = doc
        .get("servers")
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .or_else(|| doc.get("basePath").and_then(Value::as_str))
        .and_then(|s| doc_url.join(s).ok())
        .unwrap_or_else(|| doc_url.join("/").unwrap_or_else(|_| doc_url.clone()));
    let base = server.as_str().trim_end_matches('/').to_owned();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        let Some(get) = item.get("get") else { continue };
        let params: Vec<&Value> = get
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .chain(item.get("parameters").and_then(Value::as_array))
            .flatten()
            .collect();
        let text = format!(
            "{path} {} {} {}",
            get.get("summary")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            get.get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            get.get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )
        .to_ascii_lowercase();
        let about_certificates =
            HINTS.iter().any(|h| text.contains(h)) || vocab.matches(WordList::Certification, &text);
        let named = |p: &&Value| p.get("name").and_then(Value::as_str).map(str::to_owned);
        let in_path: Vec<String> = params
            .iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
            .filter_map(named)
            .collect();
        let in_query: Vec<String> = params
            .iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(named)
            .collect();
        let template = match (in_path.as_slice(), in_query.as_slice()) {
            ([one], []) if about_certificates => format!("{base}{path}")
                .replace(&format!("{{{one}}}"), "{certificationIdentification}"),
            ([], [one]) if about_certificates || vocab.matches(WordList::NumberField, one) => {
                format!("{base}{path}?{one}={{certificationIdentification}}")
            }
            _ => continue,
        };
        if template.contains("{certificationIdentification}") {
            out.push(ApiEndpoint {
                template,
                placeholder: "{certificationIdentification}".into(),
                method: "GET".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_path_and_query_operations() {
        let doc_url = Url::parse("http://a.test/api/openapi.json").unwrap();
        let doc = json!({"openapi": "3.1.0", "servers": [{"url": "http://a.test"}], "paths": {
            "/api/v1/certificates/{number}": {"get": {"summary": "Verify a certificate of origin", "parameters": [{"name": "number", "in": "path"}]}},
            "/api/eco/verify": {"get": {"parameters": [{"name": "no", "in": "query", "required": true}]}},
            "/api/products/{id}": {"get": {"summary": "A product", "parameters": [{"name": "id", "in": "path"}]}},
            "/api/orders": {"post": {}}
        }});
        let found: Vec<String> = endpoints(&doc_url, &doc)
            .into_iter()
            .map(|e| e.template)
            .collect();
        assert_eq!(
            found,
            [
                "http://a.test/api/eco/verify?no={certificationIdentification}",
                "http://a.test/api/v1/certificates/{certificationIdentification}",
            ]
        );
        // Without servers, the document's origin is the base.
        let doc = json!({"swagger": "2.0", "paths": {"/check/{co}": {"get": {"parameters": [{"name": "co", "in": "path"}]}}}});
        assert_eq!(
            endpoints(&doc_url, &doc)[0].template,
            "http://a.test/check/{certificationIdentification}"
        );
    }
}
