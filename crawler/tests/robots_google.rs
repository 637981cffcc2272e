//! `RobotsPolicy` against the 85 cases taken from Google's reference
//! robots.txt parser (google/robotstxt `robots_test.cc`, see
//! `tests/vectors/robots/PROVENANCE.md`).
//!
//! Every case must give Google's answer, except the known divergences below,
//! each of which must still diverge (so the list cannot go stale):
//!
//! - `[ID_Encoding] caller must percent-encode the URL; ...` and
//!   `[ID_Encoding] raw UTF-8 URL does not match`: the case passes the URL
//!   with a raw `ツ` in its path and expects no match. `RobotsPolicy::allowed`
//!   takes a `url::Url`, which always percent-encodes the path (`%E3%83%84`),
//!   so that URL is the encoded one, and the rule matches it.
//! - `[ID_Encoding] encoded unreserved chars are NOT decoded`: Google compares
//!   `Allow: /foo/bar/%62%61%7A` with `/foo/bar/baz` octet by octet (its test
//!   notes this "should not be relied on"); RFC 9309 §2.2.2 decodes escaped
//!   unreserved characters before matching, and so does our wrapper, so the
//!   rule matches.
//! - `[GoogleOnly_IndexHTMLisDirectory] allow .../index.html also allows the
//!   directory`: a Google-only extension (`Allow: /d/index.html` also allows
//!   `/d/`) that RFC 9309 does not have; we do not implement it, which only
//!   ever fetches less.

#![allow(clippy::unwrap_used)]

use crawler::robots::RobotsPolicy;
use serde_json::Value;
use url::Url;

/// Cases (by the start of their note) where we deliberately answer
/// differently from Google's reference parser, and why.
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[
    (
        "[ID_Encoding] caller must percent-encode the URL",
        "url::Url always percent-encodes the path, so a raw-UTF-8 URL cannot reach us",
    ),
    (
        "[ID_Encoding] raw UTF-8 URL does not match",
        "url::Url always percent-encodes the path, so a raw-UTF-8 URL cannot reach us",
    ),
    (
        "[ID_Encoding] encoded unreserved chars are NOT decoded",
        "RFC 9309 §2.2.2: escaped unreserved characters are decoded before matching",
    ),
    (
        "[GoogleOnly_IndexHTMLisDirectory] allow .../index.html also allows the directory",
        "Google-only extension, not in RFC 9309; not implemented",
    ),
];

/// One case of the vector file.
struct Case {
    robots: String,
    agent: String,
    url: String,
    allowed: bool,
    note: String,
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/robots/google-robotstxt-cases.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let field = |case: &Value, name: &str| case[name].as_str().unwrap().to_owned();
    json.as_array()
        .unwrap()
        .iter()
        .map(|case| Case {
            robots: field(case, "robots"),
            agent: field(case, "agent"),
            url: field(case, "url"),
            allowed: case["allowed"].as_bool().unwrap(),
            note: field(case, "note"),
        })
        .collect()
}

/// The case's URL; the one relative URL (empty) is resolved against a root.
fn target(url: &str) -> Url {
    Url::parse(url)
        .or_else(|_| Url::parse("http://example.com/").unwrap().join(url))
        .unwrap()
}

fn divergence(note: &str) -> Option<&'static str> {
    KNOWN_DIVERGENCES
        .iter()
        .find(|(prefix, _)| note.starts_with(prefix))
        .map(|(_, why)| *why)
}

#[test]
fn google_reference_cases() {
    let cases = cases();
    assert_eq!(cases.len(), 85);

    let mut wrong = Vec::new();
    let mut agreeing = 0;
    for case in &cases {
        let got =
            RobotsPolicy::parse(&case.agent, case.robots.as_bytes()).allowed(&target(&case.url));
        match (divergence(&case.note), got == case.allowed) {
            (None, true) => agreeing += 1,
            (None, false) => wrong.push(format!(
                "{}: got {got}, Google says {}",
                case.note, case.allowed
            )),
            (Some(_), false) => {}
            (Some(why), true) => wrong.push(format!(
                "{}: listed as divergent ({why}) but agrees",
                case.note
            )),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} case(s) wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(agreeing, cases.len() - KNOWN_DIVERGENCES.len());
}

#[test]
fn every_divergence_names_exactly_one_case() {
    let cases = cases();
    for (prefix, _) in KNOWN_DIVERGENCES {
        let matching = cases
            .iter()
            .filter(|case| case.note.starts_with(prefix))
            .count();
        assert_eq!(matching, 1, "{prefix}");
    }
}
