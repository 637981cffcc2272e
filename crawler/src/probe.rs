//! Asking a supplier's endpoints about certificate numbers: the API with
//! `Accept: application/json`, forms as a browser would submit them, and a
//! negative control that no honest endpoint calls valid.

use eco::FetchError;
use url::Url;

use crate::budget::SiteBudget;
use crate::charset::decode_html;
use crate::extract::{ApiEndpoint, FormEndpoint};
use crate::fetch::HttpRequest;
use crate::observation::NegativeControl;
use crate::polite::{NetError, PoliteFetcher};
use crate::vocab::{AnswerStatus, Vocabulary};

/// What one question to an endpoint got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The URL asked.
    pub url: String,
    /// HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// Milliseconds from the request to the end of the answer.
    pub latency_ms: Option<u64>,
    /// Whether the answer was JSON.
    pub json: bool,
    /// The status the answer gave.
    pub status: Option<AnswerStatus>,
    /// The digest a JSON answer reported.
    pub digest: Option<String>,
    /// The credential URL a JSON answer pointed to.
    pub credential: Option<String>,
    /// Why there is no readable answer.
    pub error: Option<String>,
    /// Whether the request was never sent (address guard, robots.txt).
    pub refused: bool,
    /// The URL robots.txt refused, when it did.
    pub robots_blocked: Option<String>,
}

/// An endpoint the supplier offers.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A URL template.
    Api(ApiEndpoint),
    /// A form.
    Form(FormEndpoint),
}

impl Endpoint {
    /// The URL the endpoint is reached at, for records.
    pub fn url_for(&self, number: &str) -> String {
        match self {
            Endpoint::Api(api) => fill_template(api, number)
                .map(|u| u.to_string())
                .unwrap_or_else(|| api.template.clone()),
            Endpoint::Form(form) => form.form.action.to_string(),
        }
    }
}

/// The template with the number put in: percent-encoded for a path
/// segment, or for a query value.
pub fn fill_template(api: &ApiEndpoint, number: &str) -> Option<Url> {
    let in_query = api
        .template
        .find('?')
        .is_some_and(|q| api.template.find(&api.placeholder).is_some_and(|p| p > q));
    let encoded = if in_query {
        url::form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>()
    } else {
        percent_encoding::utf8_percent_encode(number, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2D", "-")
            .replace("%2E", ".")
            .replace("%5F", "_")
    };
    Url::parse(&api.template.replace(&api.placeholder, &encoded)).ok()
}

/// A well-formed number that cannot exist: the shape of `like` (letters and
/// separators kept) with its last group of digits replaced by nines and a
/// final 7, so that no issuing sequence reaches it.
pub fn negative_control_number(like: Option<&str>) -> String {
    let Some(like) = like else {
        return "RCEP-XX-2026-99999997".to_owned();
    };
    let bytes: Vec<char> = like.chars().collect();
    let last_digit = bytes.iter().rposition(char::is_ascii_digit);
    let Some(end) = last_digit else {
        return format!("{like}-99999997");
    };
    let start = bytes[..=end]
        .iter()
        .rposition(|c| !c.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let mut out: String = bytes[..start].iter().collect();
    let len = end + 1 - start;
    out.push_str(&"9".repeat(len.saturating_sub(1).max(1)));
    out.push('7');
    out.extend(&bytes[end + 1..]);
    out
}

/// Asks `endpoint` about `number`.
pub async fn ask(
    fetcher: &PoliteFetcher,
    endpoint: &Endpoint,
    number: &str,
    budget: Option<&SiteBudget>,
) -> Answer {
    let request = match endpoint {
        Endpoint::Api(api) => match fill_template(api, number) {
            Some(url) => HttpRequest::get(url, "application/json"),
            None => {
                return failed(
                    api.template.clone(),
                    "the URL template does not make a URL".into(),
                    None,
                );
            }
        },
        Endpoint::Form(form) => {
            let mut fields: Vec<(String, String)> = form
                .form
                .fields
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if *k == form.number_field {
                            number.to_owned()
                        } else {
                            v.clone()
                        },
                    )
                })
                .collect();
            if !fields.iter().any(|(k, _)| *k == form.number_field) {
                fields.push((form.number_field.clone(), number.to_owned()));
            }
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish();
            if form.form.method == "POST" {
                HttpRequest::post_form(
                    form.form.action.clone(),
                    "text/html, application/json;q=0.9",
                    encoded,
                )
            } else {
                let mut url = form.form.action.clone();
                url.set_query(Some(&encoded));
                HttpRequest::get(url, "text/html, application/json;q=0.9")
            }
        }
    };
    let url = request.url.to_string();
    let (response, spent) = match fetcher.request_timed(request, budget).await {
        Ok(r) => r,
        Err(e) => return failed(url, e.to_string(), Some(&e)),
    };
    let latency_ms = Some(spent.as_millis() as u64);
    let mut answer = Answer {
        url,
        http_status: Some(response.status),
        latency_ms,
        json: false,
        status: None,
        digest: None,
        credential: None,
        error: None,
        refused: false,
        robots_blocked: None,
    };
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&response.body) {
        answer.json = value.is_object();
        let field = |name: &str| {
            value
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        answer.status = field("status").as_deref().and_then(AnswerStatus::from_json);
        answer.digest = field("digest");
        answer.credential = field("credential");
    } else if !response.body.is_empty() {
        let text = decode_html(&response.body, response.content_type.as_deref()).text;
        let visible = strip_tags(&text);
        // An HTML answer counts when it names the number it was asked about
        // (in its text, or echoed in an attribute such as the input's value).
        if visible.contains(number) || text.contains(number) || response.status == 404 {
            answer.status = Vocabulary::get().answer_status(&visible);
        }
    }
    if answer.status.is_none() && matches!(response.status, 404 | 410) {
        answer.status = Some(AnswerStatus::NotFound);
    }
    if answer.status.is_none() {
        answer.error = Some(format!(
            "{}: HTTP {} with no readable status",
            answer.url, response.status
        ));
    }
    answer
}

fn failed(url: String, error: String, cause: Option<&NetError>) -> Answer {
    Answer {
        url,
        http_status: None,
        latency_ms: None,
        json: false,
        status: None,
        digest: None,
        credential: None,
        error: Some(error),
        refused: matches!(
            cause,
            Some(NetError::Robots { .. } | NetError::Fetch(FetchError::Refused(_)))
        ),
        robots_blocked: match cause {
            Some(NetError::Robots { url, .. }) => Some(url.to_string()),
            _ => None,
        },
    }
}

/// What an answer to the negative control means.
pub fn negative_control(answer: &Answer) -> NegativeControl {
    match (answer.status, answer.http_status) {
        (Some(AnswerStatus::Valid), _) => NegativeControl::Accepted,
        (Some(_), _) => NegativeControl::Rejected,
        (None, Some(400 | 404 | 410 | 422)) => NegativeControl::Rejected,
        (None, Some(_)) => NegativeControl::Error,
        (None, None) => NegativeControl::Error,
    }
}

/// The visible text of an HTML answer (tags dropped), good enough for
/// finding a number and a status word.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_controls_keep_the_shape() {
        assert_eq!(
            negative_control_number(Some("RCEP-CN-2026-00001230")),
            "RCEP-CN-2026-99999997"
        );
        assert_eq!(
            negative_control_number(Some("KL/RCEP/2026/00123")),
            "KL/RCEP/2026/99997"
        );
        assert_eq!(negative_control_number(Some("E2026123456")), "E9999999997");
        assert_eq!(
            negative_control_number(Some("VN-26-00001230A")),
            "VN-26-99999997A"
        );
        assert_eq!(negative_control_number(None), "RCEP-XX-2026-99999997");
    }

    #[test]
    fn templates_encode_for_their_position() {
        let api = |t: &str| ApiEndpoint {
            template: t.into(),
            placeholder: "{certificationIdentification}".into(),
            method: "GET".into(),
        };
        let q = fill_template(
            &api("http://a.test/v?no={certificationIdentification}&x=1"),
            "KL/RCEP 1",
        )
        .unwrap();
        assert_eq!(q.as_str(), "http://a.test/v?no=KL%2FRCEP+1&x=1");
        let p = fill_template(
            &api("http://a.test/c/{certificationIdentification}"),
            "RCEP-CN-1/2",
        )
        .unwrap();
        assert_eq!(p.as_str(), "http://a.test/c/RCEP-CN-1%2F2");
    }
}
