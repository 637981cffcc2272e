//! The multilingual vocabulary (`data/vocabulary.toml`) and the official
//! portal list (`data/rcep-portals.toml`), shipped as data and read once.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization as _;

const VOCABULARY: &str = include_str!("../data/vocabulary.toml");
const PORTALS: &str = include_str!("../data/rcep-portals.toml");

/// The word lists of one language, as written in the data file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LanguageFile {
    certification: Vec<String>,
    origin: Vec<String>,
    number_field: Vec<String>,
    valid: Vec<String>,
    revoked: Vec<String>,
    expired: Vec<String>,
    not_found: Vec<String>,
    slugs: Vec<String>,
    /// Word beginnings that name certification in any inflection
    /// (`certif` for certificate, certificazioni, certificados).
    stems: Vec<String>,
    verify: Vec<String>,
}

/// A list of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordList {
    /// Names of a Certifications page.
    Certification,
    /// Certificate-of-origin context.
    Origin,
    /// Names and labels of a certificate-number input.
    NumberField,
    /// URL path segments of a Certifications page.
    Slug,
    /// Words of a link to a verification page.
    Verify,
}

/// The status an HTML or JSON answer gives a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerStatus {
    /// Valid.
    Valid,
    /// Revoked, cancelled, invalid.
    Revoked,
    /// Expired.
    Expired,
    /// Unknown to the endpoint.
    NotFound,
}

impl AnswerStatus {
    /// The spec's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Valid => "valid",
            AnswerStatus::Revoked => "revoked",
            AnswerStatus::Expired => "expired",
            AnswerStatus::NotFound => "not_found",
        }
    }

    /// Reads a JSON answer's `status` value.
    pub fn from_json(status: &str) -> Option<AnswerStatus> {
        match status
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "valid" | "active" | "verified" => Some(AnswerStatus::Valid),
            "revoked" | "invalid" | "cancelled" | "canceled" | "suspended" => {
                Some(AnswerStatus::Revoked)
            }
            "expired" => Some(AnswerStatus::Expired),
            "not_found" | "notfound" | "unknown" | "none" => Some(AnswerStatus::NotFound),
            _ => None,
        }
    }
}

/// A word or phrase, normalised for matching.
#[derive(Debug)]
struct Term {
    text: String,
    /// Latin-script terms match whole words only.
    whole_word: bool,
    /// A stem: it must start a word, and may end anywhere.
    stem: bool,
}

impl Term {
    fn new(word: &str) -> Term {
        let text = normalize(word);
        let whole_word = text
            .chars()
            .all(|c| c.is_ascii() || is_latin(c) || is_cyrillic(c));
        Term {
            text,
            whole_word,
            stem: false,
        }
    }

    fn stem(word: &str) -> Term {
        Term {
            stem: true,
            ..Term::new(word)
        }
    }
}

/// The terms of one list, searched for all at once: one Aho-Corasick pass
/// over the text instead of one substring search per term (the per-term
/// search was the crawl's largest cost after HTML parsing).
#[derive(Debug)]
struct TermSet {
    terms: Vec<Term>,
    /// Over the non-empty terms; pattern `i` is `terms[i]`.
    automaton: Option<AhoCorasick>,
}

impl TermSet {
    fn new(mut terms: Vec<Term>) -> TermSet {
        terms.retain(|t| !t.text.is_empty());
        let automaton = AhoCorasick::new(terms.iter().map(|t| t.text.as_str())).ok();
        TermSet { terms, automaton }
    }

    /// Whether a term occurs in `haystack` (normalized), Latin-script terms
    /// as whole words only.
    fn found_in(&self, haystack: &str) -> bool {
        self.occurrences(haystack).any(|(term, at, end)| {
            if !term.whole_word {
                return true;
            }
            let before = haystack[..at].chars().next_back();
            let after = haystack[end..].chars().next();
            !before.is_some_and(char::is_alphanumeric)
                && (term.stem || !after.is_some_and(char::is_alphanumeric))
        })
    }

    /// Whether a term that need not be a whole word occurs in `text`.
    fn part_found_in(&self, text: &str) -> bool {
        self.occurrences(text).any(|(term, _, _)| !term.whole_word)
    }

    /// Every occurrence of every term, overlapping ones included.
    fn occurrences<'a>(
        &'a self,
        haystack: &'a str,
    ) -> impl Iterator<Item = (&'a Term, usize, usize)> {
        self.automaton
            .iter()
            .flat_map(move |ac| ac.find_overlapping_iter(haystack))
            .filter_map(|m| {
                self.terms
                    .get(m.pattern().as_usize())
                    .map(|t| (t, m.start(), m.end()))
            })
    }
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}')
}

fn is_latin(c: char) -> bool {
    matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' | '\u{0300}'..='\u{036F}')
}

/// Lower case, NFC, white space folded: the form both sides are compared in.
pub fn normalize(text: &str) -> String {
    let lower: String = text.nfc().collect::<String>().to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The vocabulary of every language, merged per list.
#[derive(Debug)]
pub struct Vocabulary {
    certification: TermSet,
    origin: TermSet,
    number_field: TermSet,
    slugs: TermSet,
    verify: TermSet,
    /// Status words, most specific (negative) lists first.
    status: Vec<(AnswerStatus, TermSet)>,
}

/// The lists of every language, before they are made [`TermSet`]s.
#[derive(Default)]
struct Lists {
    certification: Vec<Term>,
    origin: Vec<Term>,
    number_field: Vec<Term>,
    slugs: Vec<Term>,
    verify: Vec<Term>,
    status: Vec<(AnswerStatus, Vec<Term>)>,
}

static SHARED: LazyLock<Vocabulary> = LazyLock::new(|| {
    let languages: BTreeMap<String, LanguageFile> = toml::from_str(VOCABULARY)
        .expect("data/vocabulary.toml is checked by the vocabulary tests");
    let mut v = Lists {
        status: vec![
            (AnswerStatus::NotFound, Vec::new()),
            (AnswerStatus::Revoked, Vec::new()),
            (AnswerStatus::Expired, Vec::new()),
            (AnswerStatus::Valid, Vec::new()),
        ],
        ..Lists::default()
    };
    for lang in languages.values() {
        v.certification
            .extend(lang.certification.iter().map(|w| Term::new(w)));
        v.certification
            .extend(lang.stems.iter().map(|w| Term::stem(w)));
        v.origin.extend(lang.origin.iter().map(|w| Term::new(w)));
        v.number_field
            .extend(lang.number_field.iter().map(|w| Term::new(w)));
        v.slugs.extend(lang.slugs.iter().map(|w| Term::new(w)));
        v.verify.extend(lang.verify.iter().map(|w| Term::new(w)));
        for (status, words) in &mut v.status {
            let list = match status {
                AnswerStatus::NotFound => &lang.not_found,
                AnswerStatus::Revoked => &lang.revoked,
                AnswerStatus::Expired => &lang.expired,
                AnswerStatus::Valid => &lang.valid,
            };
            words.extend(list.iter().map(|w| Term::new(w)));
        }
    }
    Vocabulary {
        certification: TermSet::new(v.certification),
        origin: TermSet::new(v.origin),
        number_field: TermSet::new(v.number_field),
        slugs: TermSet::new(v.slugs),
        verify: TermSet::new(v.verify),
        status: v
            .status
            .into_iter()
            .map(|(status, words)| (status, TermSet::new(words)))
            .collect(),
    }
});

impl Vocabulary {
    /// The shipped vocabulary.
    pub fn get() -> &'static Vocabulary {
        &SHARED
    }

    /// Whether `text` contains a word of `list`.
    pub fn matches(&self, list: WordList, text: &str) -> bool {
        let haystack = normalize(text);
        let terms = match list {
            WordList::Certification => &self.certification,
            WordList::Origin => &self.origin,
            WordList::NumberField => &self.number_field,
            WordList::Verify => &self.verify,
            WordList::Slug => return self.slug_matches(text),
        };
        terms.found_in(&haystack)
    }

    /// Whether a URL path (or query) has a segment naming a Certifications page.
    pub fn slug_matches(&self, path: &str) -> bool {
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let lowered = normalize(&decoded);
        lowered
            .split(['/', '?', '&', '=', '.', '_', '#'])
            .filter(|segment| !segment.is_empty())
            .any(|segment| {
                self.slugs.terms.iter().any(|t| t.text == segment)
                    || self.certification.part_found_in(segment)
                    || self
                        .certification
                        .terms
                        .iter()
                        .any(|t| t.stem && segment.split('-').any(|part| part.starts_with(&t.text)))
                    || self
                        .slugs
                        .terms
                        .iter()
                        .any(|t| segment.split('-').any(|part| part == t.text))
            })
    }

    /// The status an answer's text states, negative words checked first so
    /// that "invalid" is not read as "valid".
    pub fn answer_status(&self, text: &str) -> Option<AnswerStatus> {
        let haystack = normalize(text);
        self.status
            .iter()
            .find(|(_, words)| words.found_in(&haystack))
            .map(|(status, _)| *status)
    }
}

/// One official certificate-of-origin system.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    /// RCEP member (or ASEAN).
    pub member: String,
    /// The body that runs it.
    pub body: String,
    /// Its hosts.
    pub hosts: Vec<String>,
    /// What it offers.
    pub offers: String,
    /// Confidence of the source.
    pub confidence: String,
}

#[derive(Deserialize)]
struct PortalFile {
    portal: Vec<Portal>,
}

static BUILTIN_PORTALS: LazyLock<Vec<Portal>> = LazyLock::new(|| {
    toml::from_str::<PortalFile>(PORTALS)
        .expect("data/rcep-portals.toml is checked by the vocabulary tests")
        .portal
});

/// The official portals shipped with ecoscout.
pub fn builtin_portals() -> &'static [Portal] {
    &BUILTIN_PORTALS
}

/// Whether `host` is one of `hosts` or a subdomain of one (a leading `www.`
/// on either side is ignored).
pub fn host_in(host: &str, hosts: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.strip_prefix("www.").unwrap_or(&host);
    hosts.iter().any(|h| {
        let h = h.strip_prefix("www.").unwrap_or(h);
        bare == h || bare.ends_with(&format!(".{h}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_sets_match_whole_latin_words_and_any_cjk_run() {
        let set = TermSet::new(vec![
            Term::new("cert"),
            Term::new("certificates"),
            Term::new("证书"),
            Term::new(""),
        ]);
        assert_eq!(set.terms.len(), 3, "the empty term is dropped");
        assert!(set.found_in(&normalize("Our Certificates.")));
        // "cert" overlaps "certificates": the later, whole-word match counts.
        assert!(set.found_in("certificates"));
        assert!(!set.found_in("uncertificated concerts"));
        assert!(set.found_in("产品证书下载"));
        assert!(set.part_found_in("产品证书"));
        assert!(!set.part_found_in("certificates"));
    }

    #[test]
    fn data_files_parse() {
        assert!(Vocabulary::get().certification.terms.len() > 40);
        assert!(builtin_portals().len() >= 18);
        assert!(builtin_portals().iter().all(|p| !p.hosts.is_empty()));
    }

    #[test]
    fn recognises_certification_pages_in_every_language() {
        let v = Vocabulary::get();
        for label in [
            "Certifications",
            "Our Certificates",
            "资质证书",
            "荣誉资质",
            "Chứng nhận",
            "CHỨNG CHỈ",
            "ใบรับรองมาตรฐาน",
            "Pensijilan",
            "Sijil Kami",
            "Sertifikasi",
            "Legalitas & Sertifikat",
            "取得認証",
            "인증현황",
            "Qualifications",
            "Certificazioni",
            "Zertifizierungen",
            "Certyfikaty spawalnicze",
            "Сертификаты",
            "Sertifikalarımız",
            "相关荣誉 our honor",
        ] {
            assert!(v.matches(WordList::Certification, label), "{label}");
        }
        for other in [
            "Products",
            "About Us",
            "关于我们",
            "Giới thiệu",
            "Tentang Kami",
            "Contact",
            "uncertified",
            "decertify",
        ] {
            assert!(!v.matches(WordList::Certification, other), "{other}");
        }
        // Vietnamese written with decomposed diacritics still matches.
        let nfd: String = "Chứng nhận".nfd().collect();
        assert!(v.matches(WordList::Certification, &nfd));
    }

    #[test]
    fn recognises_links_to_verification_pages() {
        let v = Vocabulary::get();
        for text in [
            "Verify online",
            "证书查询",
            "Tra cứu C/O",
            "ตรวจสอบ",
            "Semak sijil",
            "Periksa",
            "照会する",
            "조회",
        ] {
            assert!(
                v.matches(WordList::Verify, text) || v.matches(WordList::Origin, text),
                "{text}"
            );
        }
        assert!(!v.matches(WordList::Verify, "Products"));
    }

    #[test]
    fn recognises_slugs() {
        let v = Vocabulary::get();
        for path in [
            "/certifications/",
            "/a/zizhi/",
            "/chung-nhan.html",
            "/en/quality-certificates.html",
            "/%E8%B5%84%E8%B4%A8%E8%AF%81%E4%B9%A6/",
            "/pages/sijil",
            "/?page=certificates",
        ] {
            assert!(v.slug_matches(path), "{path}");
        }
        for path in ["/products/", "/about-us/", "/news/3.html", "/?page_id=17"] {
            assert!(!v.slug_matches(path), "{path}");
        }
    }

    #[test]
    fn reads_status_words_negative_first() {
        let v = Vocabulary::get();
        let cases = [
            ("Status: Valid", AnswerStatus::Valid),
            ("This certificate is INVALID", AnswerStatus::Revoked),
            ("有效", AnswerStatus::Valid),
            ("无效", AnswerStatus::Revoked),
            ("证书状态：已过期", AnswerStatus::Expired),
            ("Hợp lệ", AnswerStatus::Valid),
            ("Không hợp lệ", AnswerStatus::Revoked),
            ("ใช้ได้", AnswerStatus::Valid),
            ("ไม่พบข้อมูล", AnswerStatus::NotFound),
            ("Berlaku", AnswerStatus::Valid),
            ("Sah", AnswerStatus::Valid),
            ("Tidak sah", AnswerStatus::Revoked),
            ("有効", AnswerStatus::Valid),
            ("유효", AnswerStatus::Valid),
            ("Tidak dijumpai", AnswerStatus::NotFound),
            ("Not found", AnswerStatus::NotFound),
            ("찾을 수 없음", AnswerStatus::NotFound),
        ];
        for (text, status) in cases {
            assert_eq!(v.answer_status(text), Some(status), "{text}");
        }
        assert_eq!(
            v.answer_status("usaha sahaja"),
            None,
            "'sah' must match a whole word"
        );
        assert_eq!(
            AnswerStatus::from_json("Not Found"),
            Some(AnswerStatus::NotFound)
        );
    }

    #[test]
    fn portal_hosts_match_subdomains_but_not_lookalikes() {
        let hosts = vec![
            "check.ccpiteco.net".to_owned(),
            "www.ecosys.gov.vn".to_owned(),
        ];
        assert!(host_in("check.ccpiteco.net", &hosts));
        assert!(host_in("ecosys.gov.vn", &hosts));
        assert!(host_in("a.check.ccpiteco.net", &hosts));
        assert!(!host_in("check.ccpiteco.net.evil.test", &hosts));
        assert!(!host_in("xcheck.ccpiteco.net", &hosts));
    }
}
