//! Whether a page is a supplier's Certifications page, and how urgently a
//! link should be followed to find one.
//!
//! Real supplier sites name their Certifications page in many places and
//! rarely in all of them: the nav link says "Sertifikat" while the `h1`
//! holds the slogan, the title is "About Us - Company", the slug is pinyin
//! initials (`ryzz.html` for 荣誉资质), the content is a gallery of scans.
//! [`classify`] therefore adds up points for each [`Feature`] that fires,
//! with the points and the threshold read from `data/page-weights.toml`,
//! and keeps each feature's evidence as a [`Signal`], so that a buyer can
//! see why a page was judged one. [`link_priority`] orders the crawl
//! frontier by the same evidence.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::document::kind::kinds_named;
use crate::extract::Findings;
use crate::page::{Link, PageFacts, PageImage};
use crate::vocab::{Vocabulary, WordList};

const WEIGHTS: &str = include_str!("../data/page-weights.toml");

/// Most words a Latin-script text may have and still be a page's name
/// rather than a sentence that mentions certification.
pub const MAX_NAME_WORDS: usize = 5;
/// Most characters a text in a script without spaces (Chinese, Japanese,
/// Thai) may have and still be a name.
pub const MAX_NAME_CHARS: usize = 14;
/// Characters of a page's text searched for certificate kinds.
const MAX_KIND_TEXT_CHARS: usize = 20_000;
/// Link texts kept per page as evidence of how it was reached.
pub const MAX_LINK_TEXTS: usize = 3;

/// Link priority of a link that names a Certifications page.
pub const PRIORITY_NAMED: u32 = 100;
/// Link priority of a link that speaks of verifying or of origin.
pub const PRIORITY_VERIFY: u32 = 60;
/// Link priority of a link that names a kind of certificate (ISO 9001).
pub const PRIORITY_KIND: u32 = 50;
/// Link priority of any other link.
pub const PRIORITY_OTHER: u32 = 10;

/// A piece of evidence the classifier weighs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// The page offers a verification entry or JSON-LD certifications.
    Entries,
    /// A link that led to the page names it.
    LinkNames,
    /// A part of the title names it.
    TitleNames,
    /// The `h1` names it.
    H1Names,
    /// An `h2` or `h3` names it.
    HeadingNames,
    /// The URL's last segment names it.
    SlugNames,
    /// Two or more certificate documents are on it.
    CertificateDocuments,
    /// One certificate document is on it.
    CertificateDocument,
    /// Its text names two or more kinds of certificate.
    KindsMentioned,
    /// It is the site's start page.
    StartPage,
    /// It presents itself as a news item or blog post.
    Article,
}

impl Feature {
    /// The feature's name, as recorded.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Entries => "entries",
            Feature::LinkNames => "link_names",
            Feature::TitleNames => "title_names",
            Feature::H1Names => "h1_names",
            Feature::HeadingNames => "heading_names",
            Feature::SlugNames => "slug_names",
            Feature::CertificateDocuments => "certificate_documents",
            Feature::CertificateDocument => "certificate_document",
            Feature::KindsMentioned => "kinds_mentioned",
            Feature::StartPage => "start_page",
            Feature::Article => "article",
        }
    }
}

/// The points of each feature and the threshold, as in
/// `data/page-weights.toml` (whose comments say what each means).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PageWeights {
    pub threshold: i32,
    pub entries: i32,
    pub link_names: i32,
    pub title_names: i32,
    pub h1_names: i32,
    pub heading_names: i32,
    pub slug_names: i32,
    pub certificate_documents: i32,
    pub certificate_document: i32,
    pub kinds_mentioned: i32,
    pub start_page: i32,
    pub article: i32,
}

static SHIPPED: LazyLock<PageWeights> = LazyLock::new(|| {
    toml::from_str(WEIGHTS).expect("data/page-weights.toml is checked by the classifier tests")
});

impl PageWeights {
    /// The shipped weights.
    pub fn get() -> &'static PageWeights {
        &SHIPPED
    }

    fn points(&self, feature: Feature) -> i32 {
        match feature {
            Feature::Entries => self.entries,
            Feature::LinkNames => self.link_names,
            Feature::TitleNames => self.title_names,
            Feature::H1Names => self.h1_names,
            Feature::HeadingNames => self.heading_names,
            Feature::SlugNames => self.slug_names,
            Feature::CertificateDocuments => self.certificate_documents,
            Feature::CertificateDocument => self.certificate_document,
            Feature::KindsMentioned => self.kinds_mentioned,
            Feature::StartPage => self.start_page,
            Feature::Article => self.article,
        }
    }
}

/// One feature that fired, with its points and what made it fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Signal {
    /// The feature.
    pub feature: Feature,
    /// Its points.
    pub points: i32,
    /// What made it fire (`h2 "Sertifikat"`, `3 images: iso9001.jpg, ...`).
    pub evidence: String,
}

/// The classifier's judgement of one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PageClass {
    /// The page.
    pub url: String,
    /// The sum of the signals' points.
    pub score: i32,
    /// Whether the score reaches the threshold.
    pub is_cert_page: bool,
    /// The features that fired.
    pub signals: Vec<Signal>,
}

/// How the crawl reached a page.
#[derive(Debug, Clone, Default)]
pub struct LinkContext {
    /// The naming texts of links seen pointing to it (at most
    /// [`MAX_LINK_TEXTS`]).
    pub link_texts: Vec<String>,
    /// Whether it is the site's start page.
    pub start_page: bool,
}

/// The part of `text` that names a Certifications page, if one does: a
/// part between separators (`|`, ` - `, `_`, `»`, ...) short enough to be
/// a name ([`MAX_NAME_WORDS`], [`MAX_NAME_CHARS`]) that holds a
/// certification word. A question is not a name.
pub fn naming_part(text: &str) -> Option<String> {
    const SEPARATORS: &[&str] = &[
        " - ", " – ", " — ", "|", "｜", "_", "»", "›", "·", "•", " :: ", "::", "：", ":", "/",
        "、", "，", ",",
    ];
    let mut parts = vec![text.to_owned()];
    for sep in SEPARATORS {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    let vocab = Vocabulary::get();
    parts
        .into_iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|p| {
            !p.is_empty()
                && !p.ends_with(['?', '？'])
                && is_name_sized(p)
                && vocab.matches(WordList::Certification, p)
        })
}

/// Whether `text` is short enough to be a name.
fn is_name_sized(text: &str) -> bool {
    let words = text.split_whitespace().count();
    let spaced = text.chars().filter(|c| c.is_alphabetic()).all(|c| {
        c.is_ascii()
            || ('\u{00C0}'..='\u{052F}').contains(&c)
            || ('\u{1E00}'..='\u{1EFF}').contains(&c)
            || ('\u{0590}'..='\u{06FF}').contains(&c)
    });
    if spaced {
        words <= MAX_NAME_WORDS
    } else {
        text.chars().filter(|c| !c.is_whitespace()).count() <= MAX_NAME_CHARS
            || words <= MAX_NAME_WORDS.min(3)
    }
}

/// The last non-empty path segment, percent-decoded.
fn last_segment(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()))
        .unwrap_or_default();
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// What makes an image look like a certificate scan, if anything does:
/// its alt text, title, caption or file path speaks of certificates.
fn certificate_image_evidence(image: &PageImage) -> Option<String> {
    certificate_evidence(&image.url, &[&image.alt, &image.title, &image.caption])
}

/// What makes a document (an image or a linked file) look like a
/// certificate: its labels name certification or a kind of certificate,
/// or its path does.
fn certificate_evidence(url: &Url, labels: &[&str]) -> Option<String> {
    let vocab = Vocabulary::get();
    for label in labels.iter().filter(|l| !l.is_empty()) {
        if vocab.matches(WordList::Certification, label) || !kinds_named([*label]).is_empty() {
            return Some(format!("{label:?}"));
        }
    }
    let file = last_segment(url);
    if !kinds_named([file.as_str()]).is_empty() || vocab.slug_matches(url.path()) {
        return Some(file);
    }
    None
}

/// Whether a link points to a document (an image or a PDF), by its name.
pub fn is_document_link(url: &Url) -> bool {
    const EXTENSIONS: &[&str] = &[
        "pdf", "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff",
    ];
    last_segment(url)
        .rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The certificate documents a page shows or links: images and document
/// links with certificate evidence, one per URL, with that evidence.
pub fn certificate_documents(page: &PageFacts) -> Vec<(Url, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for image in page.images.iter().filter(|i| !i.in_frame) {
        if let Some(evidence) = certificate_image_evidence(image) {
            let target = image
                .link
                .as_ref()
                .filter(|l| is_document_link(l))
                .unwrap_or(&image.url);
            if seen.insert(target.to_string()) {
                out.push((target.clone(), evidence));
            }
        }
    }
    for link in page.links.iter().filter(|l| is_document_link(&l.url)) {
        if let Some(evidence) = certificate_evidence(&link.url, &[&link.text, &link.title])
            && seen.insert(link.url.to_string())
        {
            out.push((link.url.clone(), evidence));
        }
    }
    out
}

fn kinds_in_text(page: &PageFacts) -> Vec<String> {
    let mut text = String::new();
    for block in page.headings.iter().map(|h| &h.text).chain(&page.blocks) {
        if text.len() >= MAX_KIND_TEXT_CHARS {
            break;
        }
        text.push_str(block);
        text.push('\n');
    }
    kinds_named([text.as_str()])
        .into_iter()
        .map(|k| k.label)
        .collect()
}

/// Judges one page from what it says (`page`, `findings`), where it is
/// (`url`) and how it was reached (`context`).
pub fn classify(
    url: &Url,
    page: &PageFacts,
    findings: &Findings,
    context: &LinkContext,
    weights: &PageWeights,
) -> PageClass {
    let vocab = Vocabulary::get();
    let mut signals = Vec::new();
    let mut fire = |feature: Feature, evidence: String| {
        signals.push(Signal {
            feature,
            points: weights.points(feature),
            evidence,
        })
    };
    if findings.has_entries() {
        let kinds: BTreeSet<&str> = findings.entries.iter().map(|e| e.kind.as_str()).collect();
        let mut evidence: Vec<&str> = kinds.into_iter().collect();
        if findings.certifications > 0 {
            evidence.push("JSON-LD Certification");
        }
        fire(Feature::Entries, evidence.join(", "));
    }
    if let Some(text) = context.link_texts.first() {
        fire(Feature::LinkNames, format!("link {text:?}"));
    }
    if let Some(part) = naming_part(&page.title) {
        fire(Feature::TitleNames, format!("title {part:?}"));
    }
    if let Some(part) = page
        .headings
        .iter()
        .filter(|h| h.level == 1)
        .find_map(|h| naming_part(&h.text))
    {
        fire(Feature::H1Names, format!("h1 {part:?}"));
    }
    if let Some((level, part)) = page
        .headings
        .iter()
        .filter(|h| h.level > 1)
        .find_map(|h| naming_part(&h.text).map(|p| (h.level, p)))
    {
        fire(Feature::HeadingNames, format!("h{level} {part:?}"));
    }
    let segment = last_segment(url);
    if !context.start_page && vocab.slug_matches(&segment) {
        fire(Feature::SlugNames, format!("slug {segment:?}"));
    }
    let documents = certificate_documents(page);
    let listed: Vec<&str> = documents.iter().take(3).map(|(_, e)| e.as_str()).collect();
    match documents.len() {
        0 => {}
        1 => fire(Feature::CertificateDocument, listed.join(", ")),
        n => fire(
            Feature::CertificateDocuments,
            format!("{n} documents: {}", listed.join(", ")),
        ),
    }
    let kinds = kinds_in_text(page);
    if kinds.len() >= 2 {
        fire(Feature::KindsMentioned, kinds.join(", "));
    }
    if context.start_page {
        fire(Feature::StartPage, "the site's start page".to_owned());
    }
    if page.is_article {
        fire(
            Feature::Article,
            "dated, or marked as an article".to_owned(),
        );
    }
    let score = signals.iter().map(|s| s.points).sum();
    PageClass {
        url: url.to_string(),
        score,
        is_cert_page: score >= weights.threshold,
        signals,
    }
}

/// The text of a link that names a Certifications page, if it does: its
/// text (with image alt texts) or title.
fn link_naming_text(link: &Link) -> Option<String> {
    naming_part(&link.text).or_else(|| naming_part(&link.title))
}

/// How urgently a link should be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPriority {
    /// Its score in the frontier (`PRIORITY_*`).
    pub score: u32,
    /// Whether it names a Certifications page, by its words or its URL.
    pub named: bool,
    /// The part of its text or title that names one, kept as evidence of
    /// how the page it leads to was reached.
    pub naming_text: Option<String>,
}

/// How urgently a same-site link should be followed, and whether it names
/// a Certifications page: by its text, title and image alt text, its URL,
/// and what it says of verification, origin or certificate kinds.
pub fn link_priority(link: &Link) -> LinkPriority {
    let vocab = Vocabulary::get();
    let naming_text = link_naming_text(link);
    let words = format!("{} {}", link.text, link.title);
    let path = format!(
        "{}?{}",
        link.url.path(),
        link.url.query().unwrap_or_default()
    );
    let (score, named) = if naming_text.is_some() || vocab.slug_matches(&path) {
        (PRIORITY_NAMED, true)
    } else if vocab.matches(WordList::Verify, &words) || vocab.matches(WordList::Origin, &words) {
        (PRIORITY_VERIFY, false)
    } else if !kinds_named([words.as_str()]).is_empty()
        || vocab.matches(WordList::Certification, &words)
    {
        // A kind of certificate (ISO 9001), or certification mentioned in
        // a longer text: worth a look before ordinary links.
        (PRIORITY_KIND, false)
    } else {
        (PRIORITY_OTHER, false)
    };
    LinkPriority {
        score,
        named,
        naming_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::findings;
    use crate::page::read_page;

    fn judge(url: &str, html: &str, link_texts: &[&str], start_page: bool) -> PageClass {
        let url = Url::parse(url).unwrap();
        let page = read_page(&url, html);
        let f = findings(&page, &[]);
        let context = LinkContext {
            link_texts: link_texts.iter().map(|s| (*s).to_owned()).collect(),
            start_page,
        };
        classify(&url, &page, &f, &context, PageWeights::get())
    }

    fn fired(class: &PageClass) -> Vec<&'static str> {
        class.signals.iter().map(|s| s.feature.as_str()).collect()
    }

    #[test]
    fn the_shipped_weights_parse() {
        assert!(PageWeights::get().threshold > 0);
    }

    #[test]
    fn a_name_is_short_and_not_a_question() {
        assert_eq!(
            naming_part("Certificates | Acme Co., Ltd.").as_deref(),
            Some("Certificates")
        );
        assert_eq!(
            naming_part("资质荣誉_宁峰家具").as_deref(),
            Some("资质荣誉")
        );
        assert_eq!(
            naming_part("Froceania Raih Sertifikasi ASC Sustainable Fishing"),
            None
        );
        assert_eq!(naming_part("Apa itu Sertifikasi ASC?"), None);
        assert_eq!(naming_part("About Us - Acme"), None);
    }

    #[test]
    fn a_heading_under_a_slogan_a_nav_link_and_a_gallery_make_a_page() {
        let html = r#"<html><head><title>PT Acme</title></head><body>
            <h1>Quality you can trust</h1><h2>Sertifikat</h2>
            <img data-src="/img/sertifikat/1.jpg" src="data:image/gif;base64,R0l" alt="">
            <img src="/img/iso9001.png" alt="">
            </body></html>"#;
        let class = judge("http://a.test/page-3.html", html, &["Sertifikat"], false);
        assert!(class.is_cert_page, "{class:?}");
        assert_eq!(
            fired(&class),
            ["link_names", "heading_names", "certificate_documents"]
        );
    }

    #[test]
    fn a_dated_news_item_about_a_certification_is_not_a_certifications_page() {
        let html = r#"<html><head><title>Acme Raih Sertifikasi ASC Sustainable Fishing</title></head><body>
            <section><h1>Acme Raih Sertifikasi ASC Sustainable Fishing</h1><div><span>10 Januari 2024</span></div></section>
            <h2>Apa itu Sertifikasi ASC?</h2><h2>Proses Sertifikasi ASC</h2>
            <img src="/img/asc.jpg" alt="ASC"></body></html>"#;
        let class = judge("http://a.test/sertifikasi.html", html, &[], false);
        assert!(!class.is_cert_page, "{class:?}");
        assert!(fired(&class).contains(&"article"));
    }

    #[test]
    fn the_start_page_needs_more_than_a_mention() {
        let html = r#"<html><head><title>Acme - ISO 9001 certified manufacturer</title></head><body>
            <h1>Acme</h1><h2>Our certificates</h2><p>ISO 9001 and CE.</p></body></html>"#;
        let class = judge("http://a.test/", html, &[], true);
        assert!(!class.is_cert_page, "{class:?}");
    }

    #[test]
    fn links_are_ordered_by_the_same_evidence() {
        let page = read_page(
            &Url::parse("http://a.test/").unwrap(),
            r#"<a href="/ryzz.html"><img src="/n.png" alt="荣誉资质"></a>
               <a href="/iso.html">ISO 9001</a><a href="/news.html">News</a>
               <a href="/x.html">References &amp; Certificates</a>"#,
        );
        let priorities: Vec<(u32, bool)> = page
            .links
            .iter()
            .map(link_priority)
            .map(|p| (p.score, p.named))
            .collect();
        assert_eq!(
            priorities,
            [
                (PRIORITY_NAMED, true),
                (PRIORITY_NAMED, true),
                (PRIORITY_OTHER, false),
                (PRIORITY_NAMED, true)
            ]
        );
    }
}
