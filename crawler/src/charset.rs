//! Decoding HTML bytes into text: BOM, then the HTTP header's charset, then a <meta> charset, then detection.
//!
//! The order follows the WHATWG HTML encoding sniffing algorithm, minus the
//! parts that need a live parser: a byte order mark wins, then the
//! `charset` parameter of the HTTP `Content-Type`, then a `<meta>` found by
//! the prescan of the first [`META_PRESCAN_BYTES`] bytes, then a guess by
//! chardetng. Labels are resolved with [`Encoding::for_label`] (the WHATWG
//! Encoding Standard), so `gb2312`, `gbk` and `x-gbk` all mean GBK,
//! `tis-620` means windows-874, `shift_jis`, `euc-kr`, `big5` and so on.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::Encoding;

/// How many leading bytes of a body [`charset_from_meta`] looks at.
pub const META_PRESCAN_BYTES: usize = 4096;

/// How many leading bytes of a body are fed to the encoding detector.
const DETECT_BYTES: usize = 64 * 1024;

/// Where the encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A UTF-8, UTF-16LE or UTF-16BE byte order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the HTTP `Content-Type` header.
    Header,
    /// A `<meta charset>` or `<meta http-equiv="Content-Type">` in the body.
    Meta,
    /// A guess by chardetng from the body's bytes.
    Detected,
}

/// An HTML body decoded into text.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The decoded text, without a byte order mark. Malformed byte
    /// sequences are replaced by U+FFFD.
    pub text: String,
    /// The encoding used to decode.
    pub encoding: &'static Encoding,
    /// Where `encoding` came from.
    pub source: CharsetSource,
    /// Whether decoding met malformed byte sequences (and so `text`
    /// contains replacement characters that are not in the body).
    pub had_errors: bool,
}

/// Decodes an HTML body. `content_type` is the HTTP Content-Type header value, if any.
///
/// The encoding is, in order: the one a byte order mark gives (the mark is
/// removed); the `charset` of `content_type` ([`charset_from_content_type`]);
/// the one a `<meta>` in the first [`META_PRESCAN_BYTES`] bytes declares
/// ([`charset_from_meta`]); otherwise chardetng's guess from the first
/// 64 KiB, with no TLD hint and UTF-8 allowed. An unknown label in the
/// header or in a meta is skipped, and the next source is tried. A header
/// that says UTF-16 is obeyed even without a BOM (as browsers do); a meta
/// that says UTF-16 means UTF-8. An empty body decodes to empty text.
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((encoding, _bom_len)) = Encoding::for_bom(body) {
        let (text, had_errors) = encoding.decode_with_bom_removal(body);
        return Decoded {
            text: text.into_owned(),
            encoding,
            source: CharsetSource::Bom,
            had_errors,
        };
    }
    let (encoding, source) = if let Some(enc) = content_type.and_then(charset_from_content_type) {
        (enc, CharsetSource::Header)
    } else if let Some(enc) = charset_from_meta(body) {
        (enc, CharsetSource::Meta)
    } else {
        (detect(body), CharsetSource::Detected)
    };
    // There is no BOM (checked above), so no BOM handling is needed.
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors && source == CharsetSource::Header {
        // Servers often send a default charset=utf-8 for pages written in
        // GBK or Shift_JIS. When the header's encoding does not fit the
        // bytes, a <meta> or detected encoding that decodes them cleanly
        // is the better reading (browsers differ here; text is what we need).
        // Only multi-byte encodings count as detected alternatives: a
        // single-byte one decodes any bytes "cleanly", garbage included.
        let detected = detect(body);
        let multibyte = [
            encoding_rs::GBK,
            encoding_rs::GB18030,
            encoding_rs::BIG5,
            encoding_rs::SHIFT_JIS,
            encoding_rs::EUC_JP,
            encoding_rs::EUC_KR,
        ];
        let alternatives = [
            charset_from_meta(body).map(|e| (e, CharsetSource::Meta)),
            multibyte
                .contains(&detected)
                .then_some((detected, CharsetSource::Detected)),
        ];
        for (alternative, alt_source) in alternatives.into_iter().flatten() {
            if alternative == encoding {
                continue;
            }
            let (alt_text, alt_errors) = alternative.decode_without_bom_handling(body);
            if !alt_errors {
                return Decoded {
                    text: alt_text.into_owned(),
                    encoding: alternative,
                    source: alt_source,
                    had_errors: false,
                };
            }
        }
    }
    Decoded {
        text: text.into_owned(),
        encoding,
        source,
        had_errors,
    }
}

/// Guesses the encoding of a body from its first [`DETECT_BYTES`] bytes.
fn detect(body: &[u8]) -> &'static Encoding {
    // ISO-2022-JP is allowed: only bodies with ESC bytes can be guessed as
    // it, and the text is never run as script here.
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
    let whole = body.len() <= DETECT_BYTES;
    let prefix = if whole { body } else { &body[..DETECT_BYTES] };
    detector.feed(prefix, whole);
    detector.guess(None, Utf8Detection::Allow)
}

/// The encoding of a label, or `None` for an unknown label. Labels of the
/// WHATWG "replacement" encoding (`iso-2022-kr`, `hz-gb-2312`, ...) count
/// as unknown: decoding with it turns the whole body into one U+FFFD, which
/// is useless for reading the page, so the next source is tried instead.
fn encoding_for_label(label: &[u8]) -> Option<&'static Encoding> {
    Encoding::for_label(label).filter(|enc| *enc != encoding_rs::REPLACEMENT)
}

/// The charset named by a Content-Type value (`text/html; charset="gbk"`), as an encoding.
///
/// Parameters are separated by `;`; the name `charset` is matched without
/// regard to case; the value may be quoted with double quotes. Only the
/// first `charset` parameter is considered. `None` when there is no
/// `charset` parameter or its label is unknown (or the replacement
/// encoding's).
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    let (_, value) = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))?;
    let value = value.trim();
    let label = match value.strip_prefix('"') {
        Some(rest) => rest.split('"').next().unwrap_or(rest),
        None => value,
    };
    encoding_for_label(label.as_bytes())
}

/// The charset a `<meta charset=...>` or `<meta http-equiv="Content-Type" content="...; charset=...">` declares within the first META_PRESCAN_BYTES bytes.
///
/// This is the WHATWG "prescan a byte stream to determine its encoding"
/// algorithm over the first [`META_PRESCAN_BYTES`] bytes of `head`:
/// tag and attribute names and values are matched without regard to case,
/// attributes may come in any order and be quoted with `"` or `'` or not at
/// all, and the `content` form counts only together with
/// `http-equiv="content-type"` (before or after it). The first meta that
/// declares a known encoding wins; one with an unknown label is skipped.
/// A declared UTF-16 (LE or BE) gives UTF-8 and `x-user-defined` gives
/// windows-1252, as in browsers.
///
/// What it does not see: text outside tags (`charset=gbk` in a paragraph),
/// comments (`<!-- <meta charset=gbk> -->`), attribute values of other tags
/// (`<a title="<meta charset=gbk>">`), `<!DOCTYPE>`, `<?...>` and end tags.
/// Like the browsers' prescan it does not know about `<script>`, `<style>`
/// or `<textarea>` content: a literal `<meta charset=...>` written inside a
/// script before the real meta would be taken. A tag cut off by the end of
/// the prescanned bytes is ignored.
pub fn charset_from_meta(head: &[u8]) -> Option<&'static Encoding> {
    let b = &head[..head.len().min(META_PRESCAN_BYTES)];
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            // The "--" of "<!--" may also close it ("<!-->").
            let after = find(&b[i + 2..], b"-->")?;
            i += 2 + after + 2;
        } else if starts_with_ignore_case(rest, b"<meta")
            && rest.get(5).is_some_and(|&c| is_space(c) || c == b'/')
        {
            i += 6;
            if let Some(enc) = meta_tag(b, &mut i) {
                return Some(enc);
            }
        } else if rest.len() >= 2
            && rest[0] == b'<'
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
        {
            // Any other tag: skip its name, then its attributes (so that
            // their values are not scanned).
            i += 1;
            while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                i += 1;
            }
            while get_attribute(b, &mut i).is_some() {}
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            i += find(rest, b">")?;
        }
        i += 1;
    }
    None
}

/// Reads the attributes of a `<meta` tag whose name the caller has passed
/// and returns the encoding it declares, per the WHATWG prescan. Leaves `i`
/// at the tag's `>` (or the end of the input).
fn meta_tag(b: &[u8], i: &mut usize) -> Option<&'static Encoding> {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut got_pragma = false;
    // None: not yet decided; Some(true): the charset came from `content`
    // and needs `http-equiv=content-type`; Some(false): from `charset`.
    let mut need_pragma: Option<bool> = None;
    // None: no charset yet; Some(None): an unknown label in `charset`.
    let mut charset: Option<Option<&'static Encoding>> = None;

    while let Some((name, value)) = get_attribute(b, i) {
        if seen.contains(&name) {
            continue;
        }
        match name.as_slice() {
            b"http-equiv" if value == b"content-type" => got_pragma = true,
            b"content" => {
                if charset.is_none()
                    && let Some(enc) = charset_in_content(&value).and_then(encoding_for_label)
                {
                    charset = Some(Some(enc));
                    need_pragma = Some(true);
                }
            }
            b"charset" => {
                charset = Some(encoding_for_label(&value));
                need_pragma = Some(false);
            }
            _ => {}
        }
        seen.push(name);
    }
    if *i >= b.len() {
        // The tag was cut off by the end of the prescanned bytes.
        return None;
    }
    match need_pragma {
        None => return None,
        Some(true) if !got_pragma => return None,
        _ => {}
    }
    let enc = charset.flatten()?;
    if enc == encoding_rs::UTF_16BE || enc == encoding_rs::UTF_16LE {
        Some(encoding_rs::UTF_8)
    } else if enc == encoding_rs::X_USER_DEFINED {
        Some(encoding_rs::WINDOWS_1252)
    } else {
        Some(enc)
    }
}

/// The WHATWG "get an attribute" step of the prescan: reads one attribute
/// at `*i` and returns its name and value, both ASCII-lowercased. Returns
/// `None` at the tag's `>` (leaving `*i` on it) or at the end of input.
fn get_attribute(b: &[u8], i: &mut usize) -> Option<(Vec<u8>, Vec<u8>)> {
    while *i < b.len() && (is_space(b[*i]) || b[*i] == b'/') {
        *i += 1;
    }
    if *b.get(*i)? == b'>' {
        return None;
    }
    let mut name = Vec::new();
    let mut value = Vec::new();
    // The name.
    loop {
        let c = *b.get(*i)?;
        if c == b'=' && !name.is_empty() {
            *i += 1;
            break;
        } else if is_space(c) {
            // Spaces, then either `=` or the end of a value-less attribute.
            while *i < b.len() && is_space(b[*i]) {
                *i += 1;
            }
            if *b.get(*i)? != b'=' {
                return Some((name, value));
            }
            *i += 1;
            break;
        } else if c == b'/' || c == b'>' {
            return Some((name, value));
        }
        name.push(c.to_ascii_lowercase());
        *i += 1;
    }
    // The value.
    while *i < b.len() && is_space(b[*i]) {
        *i += 1;
    }
    let c = *b.get(*i)?;
    if c == b'"' || c == b'\'' {
        *i += 1;
        loop {
            let d = *b.get(*i)?;
            *i += 1;
            if d == c {
                return Some((name, value));
            }
            value.push(d.to_ascii_lowercase());
        }
    }
    if c == b'>' {
        return Some((name, value));
    }
    loop {
        let d = *b.get(*i)?;
        if is_space(d) || d == b'>' {
            return Some((name, value));
        }
        value.push(d.to_ascii_lowercase());
        *i += 1;
    }
}

/// The WHATWG "extracting a character encoding from a meta element": the
/// label after `charset=` in a `content` value (`text/html; charset=gbk`).
fn charset_in_content(s: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    loop {
        let mut p = pos + find_ignore_case(&s[pos..], b"charset")? + b"charset".len();
        while p < s.len() && is_space(s[p]) {
            p += 1;
        }
        if s.get(p) != Some(&b'=') {
            pos = p;
            continue;
        }
        p += 1;
        while p < s.len() && is_space(s[p]) {
            p += 1;
        }
        let c = *s.get(p)?;
        if c == b'"' || c == b'\'' {
            let rest = &s[p + 1..];
            let end = rest.iter().position(|&d| d == c)?;
            return Some(&rest[..end]);
        }
        let rest = &s[p..];
        let end = rest
            .iter()
            .position(|&d| is_space(d) || d == b';')
            .unwrap_or(rest.len());
        return Some(&rest[..end]);
    }
}

/// HTML's ASCII whitespace for the prescan: tab, LF, FF, CR, space.
fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Whether `s` starts with `prefix`, ignoring ASCII case.
fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Offset of the first `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Offset of the first `needle` in `haystack`, ignoring ASCII case.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_gbk_page_mislabelled_as_utf8_is_read_as_gbk() {
        let html = "<html><head><meta charset=\"gbk\"><title>资质证书</title></head><body>证书编号 RCEP-CN-2026-0001 原产地证书</body></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(html);
        let decoded = super::decode_html(&bytes, Some("text/html; charset=utf-8"));
        assert_eq!(decoded.encoding, encoding_rs::GBK);
        assert!(!decoded.had_errors);
        assert!(decoded.text.contains("资质证书"));
        let no_meta = html.replace("<meta charset=\"gbk\">", "").repeat(8);
        let (bytes, _, _) = encoding_rs::GBK.encode(&no_meta);
        let decoded = super::decode_html(&bytes, Some("text/html; charset=utf-8"));
        assert!(
            decoded.text.contains("原产地证书"),
            "{:?}",
            decoded.encoding
        );
    }

    use encoding_rs::{
        BIG5, EUC_KR, GB18030, GBK, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_874, WINDOWS_1252,
    };

    use super::*;

    fn encode(enc: &'static Encoding, s: &str) -> Vec<u8> {
        let (bytes, used, unmappable) = enc.encode(s);
        assert_eq!(used, enc, "{} cannot be an output encoding", enc.name());
        assert!(!unmappable, "{s:?} is not all in {}", enc.name());
        bytes.into_owned()
    }

    fn meta(head: &str) -> Option<&'static str> {
        charset_from_meta(head.as_bytes()).map(Encoding::name)
    }

    #[test]
    fn gbk_page_with_charset_only_in_meta() {
        let page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">\
                    <title>资质证书</title></head><body><p>资质证书 证书编号：ABC-123</p></body></html>";
        let body = encode(GBK, page);
        let d = decode_html(&body, Some("text/html"));
        assert_eq!(d.source, CharsetSource::Meta);
        assert_eq!(d.encoding, GBK);
        assert_eq!(d.text, page);
        assert!(!d.had_errors);
        assert!(d.text.contains("资质证书 证书编号"));
    }

    #[test]
    fn gb2312_label_means_gbk() {
        let page = "<meta charset=\"GB2312\"><p>资质证书 证书编号</p>";
        let body = encode(GBK, page);
        let d = decode_html(&body, None);
        assert_eq!((d.encoding, d.source), (GBK, CharsetSource::Meta));
        assert_eq!(d.text, page);
        for label in ["gb2312", "GBK", "x-gbk", "csgb2312", "chinese"] {
            assert_eq!(
                charset_from_content_type(&format!("text/html; charset={label}")),
                Some(GBK),
                "{label}"
            );
        }
        assert_eq!(
            charset_from_content_type("text/html;charset=gb18030"),
            Some(GB18030)
        );
    }

    #[test]
    fn shift_jis_via_header() {
        let page =
            "<html><body><h1>認証書番号</h1><p>品質マネジメントシステム ISO 9001</p></body></html>";
        let body = encode(SHIFT_JIS, page);
        let d = decode_html(&body, Some("text/html; charset=Shift_JIS"));
        assert_eq!((d.encoding, d.source), (SHIFT_JIS, CharsetSource::Header));
        assert_eq!(d.text, page);
        assert!(!d.had_errors);
    }

    #[test]
    fn euc_kr_via_meta() {
        let page = "<!DOCTYPE html><html><head><META HTTP-EQUIV='content-type' CONTENT='text/html; charset=euc-kr'>\
                    </head><body>인증서 번호 품질경영시스템</body></html>";
        let body = encode(EUC_KR, page);
        let d = decode_html(&body, None);
        assert_eq!((d.encoding, d.source), (EUC_KR, CharsetSource::Meta));
        assert_eq!(d.text, page);
    }

    #[test]
    fn windows_874_thai() {
        let page = "<meta charset=windows-874><p>ใบรับรอง</p>";
        let body = encode(WINDOWS_874, page);
        let d = decode_html(&body, None);
        assert_eq!((d.encoding, d.source), (WINDOWS_874, CharsetSource::Meta));
        assert_eq!(d.text, page);
        let d = decode_html(&body, Some("text/html; charset=TIS-620"));
        assert_eq!((d.encoding, d.source), (WINDOWS_874, CharsetSource::Header));
        assert!(d.text.contains("ใบรับรอง"));
    }

    #[test]
    fn utf8_bom_beats_a_wrong_header() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice("<meta charset=gbk><p>Chứng nhận ISO 资质证书</p>".as_bytes());
        let d = decode_html(&body, Some("text/html; charset=gbk"));
        assert_eq!((d.encoding, d.source), (UTF_8, CharsetSource::Bom));
        assert_eq!(d.text, "<meta charset=gbk><p>Chứng nhận ISO 资质证书</p>");
        assert!(!d.had_errors);
    }

    #[test]
    fn utf16_boms() {
        let text = "<p>Sijil pengesahan</p>";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        let d = decode_html(&le, Some("text/html; charset=utf-8"));
        assert_eq!(
            (d.encoding, d.source, d.text.as_str()),
            (UTF_16LE, CharsetSource::Bom, text)
        );
        let d = decode_html(&be, None);
        assert_eq!(
            (d.encoding, d.source, d.text.as_str()),
            (UTF_16BE, CharsetSource::Bom, text)
        );
    }

    #[test]
    fn utf16_header_is_obeyed_without_bom() {
        let text = "<meta charset=utf-8><p>証明書</p>";
        let body: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let d = decode_html(&body, Some("text/html; charset=utf-16le"));
        assert_eq!((d.encoding, d.source), (UTF_16LE, CharsetSource::Header));
        assert_eq!(d.text, text);
    }

    #[test]
    fn header_beats_meta() {
        let page = "<meta charset=\"big5\"><p>資質證書</p>";
        let body = encode(BIG5, page);
        let d = decode_html(&body, Some("text/html; charset=\"big5\""));
        assert_eq!((d.encoding, d.source), (BIG5, CharsetSource::Header));
        // The header wins even when the meta disagrees.
        let page = "<meta charset=\"utf-8\"><p>資質證書</p>";
        let body = encode(BIG5, page);
        let d = decode_html(&body, Some("text/html; charset=big5"));
        assert_eq!((d.encoding, d.source), (BIG5, CharsetSource::Header));
        assert_eq!(d.text, page);
    }

    #[test]
    fn unknown_labels_fall_through() {
        let page = "<meta charset=klingon><meta charset=euc-kr><p>인증서</p>";
        let body = encode(EUC_KR, page);
        let d = decode_html(&body, Some("text/html; charset=no-such-charset"));
        assert_eq!((d.encoding, d.source), (EUC_KR, CharsetSource::Meta));
        // The replacement encoding's labels are treated as unknown.
        assert_eq!(
            charset_from_content_type("text/html; charset=iso-2022-kr"),
            None
        );
        assert_eq!(meta("<meta charset=hz-gb-2312>"), None);
    }

    #[test]
    fn gbk_page_without_declaration_is_detected() {
        let para = "本公司成立于二零零五年，是一家专业从事环保设备研发、生产和销售的高新技术企业。\
                    公司拥有完善的质量管理体系，已通过质量管理体系认证和环境管理体系认证，\
                    产品广泛应用于污水处理、废气治理和固体废物处置等领域。资质证书 证书编号：\
                    第一二三四五号，发证机关：国家认证认可监督管理委员会，有效期至二零二六年。\
                    我们始终坚持以客户为中心，以质量求生存，以创新求发展，竭诚为国内外客户提供优质的产品和服务。";
        let page = format!(
            "<!DOCTYPE html><html><head><title>关于我们</title></head><body><h1>关于我们</h1><p>{para}</p><p>{para}</p></body></html>"
        );
        assert!(page.chars().count() > 300);
        let body = encode(GBK, &page);
        let d = decode_html(&body, None);
        assert_eq!(d.source, CharsetSource::Detected);
        assert!(
            d.encoding == GBK || d.encoding == GB18030,
            "{}",
            d.encoding.name()
        );
        assert_eq!(d.text, page);
        assert!(!d.had_errors);
    }

    #[test]
    fn undeclared_utf8_and_ascii_are_detected() {
        let page = "<p>Giấy chứng nhận ISO 9001 — Công ty TNHH</p>";
        let d = decode_html(page.as_bytes(), None);
        assert_eq!((d.encoding, d.source), (UTF_8, CharsetSource::Detected));
        assert_eq!(d.text, page);
        let d = decode_html(b"<p>Sijil halal</p>", None);
        assert_eq!(d.source, CharsetSource::Detected);
        assert_eq!(d.text, "<p>Sijil halal</p>");
    }

    #[test]
    fn invalid_utf8_declared_as_utf8_has_errors() {
        let body = b"<p>ok \xC3\x28 \xFF\xFE bad \xE4\xB8</p>";
        let d = decode_html(body, Some("text/html; charset=UTF-8"));
        assert_eq!((d.encoding, d.source), (UTF_8, CharsetSource::Header));
        assert!(d.had_errors);
        assert!(d.text.contains('\u{FFFD}'));
        assert!(d.text.starts_with("<p>ok "));
    }

    #[test]
    fn empty_body() {
        let d = decode_html(b"", None);
        assert_eq!(d.text, "");
        assert!(!d.had_errors);
        assert_eq!(d.source, CharsetSource::Detected);
        let d = decode_html(b"", Some("text/html; charset=gbk"));
        assert_eq!(
            (d.text.as_str(), d.encoding, d.source),
            ("", GBK, CharsetSource::Header)
        );
    }

    #[test]
    fn content_type_parsing() {
        assert_eq!(
            charset_from_content_type("text/html; charset=\"gbk\""),
            Some(GBK)
        );
        assert_eq!(
            charset_from_content_type("text/html;CHARSET = utf-8 ; foo=bar"),
            Some(UTF_8)
        );
        assert_eq!(
            charset_from_content_type("text/html; foo=\"a\"; charset=euc-kr"),
            Some(EUC_KR)
        );
        assert_eq!(
            charset_from_content_type("text/html; charset=utf8"),
            Some(UTF_8)
        );
        assert_eq!(charset_from_content_type("text/html"), None);
        assert_eq!(charset_from_content_type("text/html; charset="), None);
        assert_eq!(charset_from_content_type("text/html; charset=\"\""), None);
        assert_eq!(charset_from_content_type("charset=gbk"), None);
        assert_eq!(charset_from_content_type(""), None);
        // Only the first charset parameter counts.
        assert_eq!(
            charset_from_content_type("text/html; charset=gbk; charset=utf-8"),
            Some(GBK)
        );
    }

    #[test]
    fn meta_forms() {
        assert_eq!(meta("<meta charset=gbk>"), Some("GBK"));
        assert_eq!(meta("<META CHARSET=\"Shift_JIS\">"), Some("Shift_JIS"));
        assert_eq!(meta("<meta charset='euc-kr'/>"), Some("EUC-KR"));
        assert_eq!(meta("<meta\tcharset = gb2312 >"), Some("GBK"));
        assert_eq!(meta("<meta/charset=big5>"), Some("Big5"));
        assert_eq!(
            meta("<meta name=viewport content=\"width=device-width\" charset=utf-8>"),
            Some("UTF-8")
        );
        // http-equiv before or after content, any case, any quotes.
        assert_eq!(
            meta("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=tis-620\">"),
            Some("windows-874")
        );
        assert_eq!(
            meta("<meta content='text/html;charset=windows-874' http-equiv='content-type'>"),
            Some("windows-874")
        );
        assert_eq!(
            meta("<Meta Content=text/html;charset=EUC-JP HTTP-EQUIV=Content-Type>"),
            Some("EUC-JP")
        );
        assert_eq!(
            meta("<meta http-equiv=content-type content=\"text/html; charset = 'big5'\">"),
            Some("Big5")
        );
        // `content` without http-equiv=content-type does not count.
        assert_eq!(meta("<meta content=\"text/html; charset=gbk\">"), None);
        assert_eq!(
            meta("<meta http-equiv=refresh content=\"0; charset=gbk\">"),
            None
        );
        // UTF-16 in a meta means UTF-8; x-user-defined means windows-1252.
        assert_eq!(meta("<meta charset=utf-16le>"), Some("UTF-8"));
        assert_eq!(meta("<meta charset=\"UTF-16\">"), Some("UTF-8"));
        assert_eq!(
            meta("<meta charset=x-user-defined>"),
            Some(WINDOWS_1252.name())
        );
        // The first meta with a known label wins.
        assert_eq!(
            meta("<meta charset=bogus><meta charset=gbk><meta charset=big5>"),
            Some("GBK")
        );
        // A duplicate attribute is ignored.
        assert_eq!(meta("<meta charset=gbk charset=big5>"), Some("GBK"));
    }

    #[test]
    fn meta_is_not_fooled() {
        // Text outside tags.
        assert_eq!(
            meta("<p>Set charset=gbk in your meta tags</p><meta charset=utf-8>"),
            Some("UTF-8")
        );
        assert_eq!(meta("<p>use <b>meta charset=gbk</b></p>"), None);
        // Comments.
        assert_eq!(
            meta("<!-- <meta charset=gbk> --><meta charset=big5>"),
            Some("Big5")
        );
        assert_eq!(meta("<!--> <meta charset=gbk>"), Some("GBK"));
        assert_eq!(meta("<!-- <meta charset=gbk>"), None);
        // Attribute values of other tags.
        assert_eq!(
            meta("<a title=\"<meta charset=gbk>\" href=x>x</a><meta charset=euc-kr>"),
            Some("EUC-KR")
        );
        assert_eq!(meta("<img alt='<meta charset=gbk>'>"), None);
        // Doctype, processing instructions, end tags, not-quite-meta names.
        assert_eq!(
            meta("<!DOCTYPE html charset=gbk><?xml charset=gbk?></x charset=gbk>"),
            None
        );
        assert_eq!(meta("<metadata charset=gbk><meta-x charset=gbk>"), None);
        // A tag cut off at the end of the input.
        assert_eq!(meta("<meta charset=gbk"), None);
        assert_eq!(meta("<meta charset=\"gbk"), None);
        // Script content is scanned as markup, as browsers do.
        assert_eq!(
            meta("<script>var s = '<meta charset=gbk>';</script>"),
            Some("GBK")
        );
    }

    #[test]
    fn meta_only_within_prescan_window() {
        let mut head = "<!DOCTYPE html><html><head>".to_owned();
        head.push_str(&" ".repeat(META_PRESCAN_BYTES));
        head.push_str("<meta charset=gbk>");
        assert_eq!(meta(&head), None);
        let mut head = " ".repeat(META_PRESCAN_BYTES - "<meta charset=gbk>".len());
        head.push_str("<meta charset=gbk>");
        assert_eq!(meta(&head), Some("GBK"));
    }

    #[test]
    fn meta_prescan_never_panics() {
        let alphabet = b"<>/=\"' \tmetaMETAcharsetCONTENThttp-equiv;!-?xgbk\xff";
        let mut x: u32 = 0x9E37_79B9;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    alphabet[(x as usize) % alphabet.len()]
                })
                .collect();
            let _ = charset_from_meta(&bytes);
            let _ = decode_html(&bytes, None);
        }
    }
}
