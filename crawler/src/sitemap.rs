//! Sitemaps (sitemaps.org 0.9): url sets and sitemap indexes, plain or gzip, with caps.
//!
//! [`parse`] takes the body of a fetched sitemap and returns the page URLs of
//! a `<urlset>` and the child sitemap URLs of a `<sitemapindex>`. It accepts
//! what sitemaps.org allows (XML, gzip-compressed XML, plain text with one
//! URL per line) and stays within two caps: [`MAX_SITEMAP_BYTES`] of
//! decompressed input and [`MAX_SITEMAP_URLS`] entries.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::GzDecoder;
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use url::Url;

/// Largest accepted sitemap, in bytes after decompression. A larger body,
/// or a gzip stream that inflates past this, is [`SitemapError::TooLarge`].
pub const MAX_SITEMAP_BYTES: usize = 10 * 1024 * 1024;

/// Most entries kept from one sitemap (the sitemaps.org limit). Entries
/// beyond this are dropped without an error.
pub const MAX_SITEMAP_URLS: usize = 50_000;

/// The two magic bytes that open every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The entries of one sitemap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs: the `<loc>` of each `<url>` (or each line of a plain-text
    /// sitemap), in document order.
    pub urls: Vec<Url>,
    /// Child sitemap URLs: the `<loc>` of each `<sitemap>` of a sitemap
    /// index, in document order.
    pub sitemaps: Vec<Url>,
}

impl Sitemap {
    /// Number of entries, page URLs and child sitemaps together.
    pub fn len(&self) -> usize {
        self.urls.len() + self.sitemaps.len()
    }

    /// Whether the sitemap has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty() && self.sitemaps.is_empty()
    }
}

/// Why a sitemap body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    /// The body, after decompression, is larger than [`MAX_SITEMAP_BYTES`].
    #[error("sitemap is larger than {MAX_SITEMAP_BYTES} bytes")]
    TooLarge,
    /// The body starts with the gzip magic bytes but is not a valid
    /// (complete) gzip stream.
    #[error("sitemap is not valid gzip: {0}")]
    Gzip(#[source] std::io::Error),
    /// The body starts like XML (`<`) but is not well-formed.
    #[error("sitemap is not well-formed XML (at byte {position}): {message}")]
    Xml {
        /// Byte offset of the error in the decompressed body, after
        /// transcoding to UTF-8 when the body had a UTF-16 byte order mark.
        position: u64,
        /// What the XML parser reported.
        message: String,
    },
    /// The body is neither XML nor a plain-text list of absolute http(s)
    /// URLs (for example binary data or an error page in plain text).
    #[error("body is neither an XML sitemap nor a plain-text list of URLs")]
    NotSitemap,
}

/// Parses a sitemap body. Gzip is detected by its magic bytes (1f 8b),
/// whatever the content type or file name says. `<loc>` values are trimmed,
/// XML entities decoded (&amp;), relative ones resolved against `base` (the
/// sitemap's own URL); only http(s) URLs are kept. Unknown elements and
/// namespaces (image:, xhtml:, news:) are ignored; a root element that is
/// neither urlset nor sitemapindex gives an empty Sitemap; a plain-text
/// sitemap (one URL per line, allowed by sitemaps.org) is also accepted when
/// the body is not XML.
///
/// Details:
///
/// - A gzip body is inflated while streaming and at most
///   [`MAX_SITEMAP_BYTES`] + 1 bytes are ever produced, so a gzip bomb costs
///   no more than the cap. Only the first gzip member is read.
/// - A UTF-8 byte order mark is skipped; a UTF-16 one makes the body be
///   transcoded first. Without a BOM the body is read as UTF-8 (the
///   sitemaps.org encoding); stray invalid bytes inside XML become U+FFFD.
///   An `encoding` in the XML declaration is not honoured.
/// - The body is XML when its first non-whitespace character is `<`.
///   Otherwise it is a plain-text sitemap: every non-empty line, trimmed,
///   that parses as an absolute http(s) URL is kept and other lines are
///   skipped; relative lines are not resolved (sitemaps.org requires full
///   URLs there). Text that is not UTF-8, or in which no line is such a URL,
///   is [`SitemapError::NotSitemap`]. An empty or blank body is an empty
///   [`Sitemap`].
/// - In XML, a `<loc>` counts when it is a child of a `<url>` (page) or
///   `<sitemap>` (child sitemap) that is itself a child of the root, all in
///   the root element's namespace (whatever that namespace is, or none).
///   Both kinds are accepted under either root. Only the first `<loc>` of an
///   entry is used. CDATA sections count as text; `&amp;`, `&lt;`, `&gt;`,
///   `&quot;`, `&apos;` and character references are decoded; a lone `&`
///   (a common mistake in query strings) and unknown entities are kept as
///   written.
/// - Malformed XML is [`SitemapError::Xml`]. A document that simply ends
///   early (for example cut by a size cap while fetching) keeps the entries
///   read so far. Parsing stops at the end of the root element.
/// - Once [`MAX_SITEMAP_URLS`] entries (page URLs and child sitemaps
///   together) have been kept, parsing stops and the rest is dropped.
pub fn parse(base: &Url, body: &[u8]) -> Result<Sitemap, SitemapError> {
    let data: Cow<'_, [u8]> = if body.starts_with(&GZIP_MAGIC) {
        Cow::Owned(gunzip_capped(body)?)
    } else if body.len() > MAX_SITEMAP_BYTES {
        return Err(SitemapError::TooLarge);
    } else {
        Cow::Borrowed(body)
    };

    // Sniffs and removes a UTF-8 or UTF-16 BOM, else reads UTF-8.
    let (text, _, had_errors) = encoding_rs::UTF_8.decode(&data);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(Sitemap::default());
    }
    if trimmed.starts_with('<') {
        parse_xml(base, trimmed)
    } else if had_errors {
        Err(SitemapError::NotSitemap)
    } else {
        parse_text(trimmed)
    }
}

/// Inflates a gzip body, producing at most [`MAX_SITEMAP_BYTES`] + 1 bytes.
fn gunzip_capped(body: &[u8]) -> Result<Vec<u8>, SitemapError> {
    let limit = u64::try_from(MAX_SITEMAP_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::new();
    GzDecoder::new(body)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(SitemapError::Gzip)?;
    if out.len() > MAX_SITEMAP_BYTES {
        return Err(SitemapError::TooLarge);
    }
    Ok(out)
}

/// Reads a plain-text sitemap: one absolute http(s) URL per line.
fn parse_text(text: &str) -> Result<Sitemap, SitemapError> {
    let mut sitemap = Sitemap::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Ok(url) = Url::parse(line) else { continue };
        if !is_http(&url) {
            continue;
        }
        if sitemap.urls.len() >= MAX_SITEMAP_URLS {
            tracing::debug!(
                cap = MAX_SITEMAP_URLS,
                "plain-text sitemap has more URLs than the cap; the rest are dropped"
            );
            break;
        }
        sitemap.urls.push(url);
    }
    if sitemap.is_empty() {
        return Err(SitemapError::NotSitemap);
    }
    Ok(sitemap)
}

/// Which kind of entry a `<loc>` belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// A `<url>` of a url set.
    Page,
    /// A `<sitemap>` of a sitemap index.
    Child,
}

/// The namespace of the root element, owned.
#[derive(Debug, PartialEq, Eq)]
enum RootNs {
    /// No namespace.
    Unbound,
    /// A declared namespace URI.
    Bound(Vec<u8>),
    /// A prefix without a declaration.
    Unknown(Vec<u8>),
}

impl RootNs {
    /// The owned form of a resolved namespace.
    fn of(ns: &ResolveResult<'_>) -> Self {
        match ns {
            ResolveResult::Unbound => Self::Unbound,
            ResolveResult::Bound(n) => Self::Bound(n.as_ref().to_vec()),
            ResolveResult::Unknown(p) => Self::Unknown(p.clone()),
        }
    }

    /// Whether `ns` is this namespace.
    fn matches(&self, ns: &ResolveResult<'_>) -> bool {
        match (self, ns) {
            (Self::Unbound, ResolveResult::Unbound) => true,
            (Self::Bound(a), ResolveResult::Bound(b)) => a.as_slice() == b.as_ref(),
            (Self::Unknown(a), ResolveResult::Unknown(b)) => a == b,
            _ => false,
        }
    }
}

/// Turns a quick-xml error into a [`SitemapError::Xml`].
fn xml_error(reader: &NsReader<&[u8]>, err: impl std::fmt::Display) -> SitemapError {
    SitemapError::Xml {
        position: reader.error_position(),
        message: err.to_string(),
    }
}

/// Reads an XML sitemap (url set or sitemap index).
fn parse_xml(base: &Url, text: &str) -> Result<Sitemap, SitemapError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().allow_dangling_amp = true;

    let mut sitemap = Sitemap::default();
    // Open elements; the root is depth 1 once opened.
    let mut depth: usize = 0;
    let mut root_ns: Option<RootNs> = None;
    // The `<url>` or `<sitemap>` being read (depth 2).
    let mut entry: Option<Entry> = None;
    // Whether the current entry already gave its `<loc>`.
    let mut entry_has_loc = false;
    // The text of the `<loc>` being read (depth 3), if inside one.
    let mut loc: Option<String> = None;

    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(pair) => pair,
            Err(err) => return Err(xml_error(&reader, err)),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let local = e.local_name();
                let local = local.as_ref();
                match depth {
                    0 => {
                        if !is_xml_name(e.name().as_ref()) {
                            return Err(SitemapError::Xml {
                                position: reader.buffer_position(),
                                message: "the root element has an invalid name".to_owned(),
                            });
                        }
                        if local != b"urlset" && local != b"sitemapindex" {
                            tracing::debug!(
                                root = %String::from_utf8_lossy(local),
                                "XML root is neither urlset nor sitemapindex"
                            );
                            return Ok(Sitemap::default());
                        }
                        if is_empty {
                            return Ok(sitemap);
                        }
                        root_ns = Some(RootNs::of(&ns));
                    }
                    1 if !is_empty && root_ns.as_ref().is_some_and(|r| r.matches(&ns)) => {
                        entry = match local {
                            b"url" => Some(Entry::Page),
                            b"sitemap" => Some(Entry::Child),
                            _ => None,
                        };
                        entry_has_loc = false;
                    }
                    2 if !is_empty
                        && entry.is_some()
                        && !entry_has_loc
                        && local == b"loc"
                        && root_ns.as_ref().is_some_and(|r| r.matches(&ns)) =>
                    {
                        loc = Some(String::new());
                    }
                    _ => {}
                }
                if !is_empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                match depth {
                    0 => break,
                    1 => entry = None,
                    2 => {
                        if let (Some(text), Some(kind)) = (loc.take(), entry) {
                            entry_has_loc = true;
                            if let Some(url) = resolve_loc(base, &text) {
                                if sitemap.len() >= MAX_SITEMAP_URLS {
                                    tracing::debug!(
                                        cap = MAX_SITEMAP_URLS,
                                        "sitemap has more entries than the cap; the rest are dropped"
                                    );
                                    break;
                                }
                                match kind {
                                    Entry::Page => sitemap.urls.push(url),
                                    Entry::Child => sitemap.sitemaps.push(url),
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) => {
                if let Some(buf) = loc.as_mut() {
                    let s = t.decode().map_err(|err| xml_error(&reader, err))?;
                    buf.push_str(&s);
                } else if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) {
                    // Text before the root element: not an XML document.
                    return Err(SitemapError::Xml {
                        position: reader.buffer_position(),
                        message: "text before the root element".to_owned(),
                    });
                }
            }
            Event::CData(ref t) => {
                if let Some(buf) = loc.as_mut() {
                    let s = t.decode().map_err(|err| xml_error(&reader, err))?;
                    buf.push_str(&s);
                }
            }
            Event::GeneralRef(ref r) => {
                if let Some(buf) = loc.as_mut() {
                    let name = r.decode().map_err(|err| xml_error(&reader, err))?;
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => buf.push(c),
                        Ok(None) | Err(_) => {
                            match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(s) => buf.push_str(s),
                                None => {
                                    buf.push('&');
                                    buf.push_str(&name);
                                    buf.push(';');
                                }
                            }
                        }
                    }
                }
            }
            Event::Eof => {
                if depth > 0 {
                    tracing::debug!(
                        depth,
                        "sitemap XML ends inside an element; kept what was read"
                    );
                } else if root_ns.is_none() {
                    return Err(SitemapError::Xml {
                        position: reader.buffer_position(),
                        message: "no root element".to_owned(),
                    });
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    Ok(sitemap)
}

/// Whether `name` is a plausible XML name: a letter, `_`, `:` or non-ASCII
/// first, then also digits, `-` and `.` (non-ASCII is not checked further).
fn is_xml_name(name: &[u8]) -> bool {
    let start = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c == b':' || !c.is_ascii();
    match name.split_first() {
        Some((&first, rest)) => {
            start(first)
                && rest
                    .iter()
                    .all(|&c| start(c) || c.is_ascii_digit() || c == b'-' || c == b'.')
        }
        None => false,
    }
}

/// Resolves a `<loc>` value against the sitemap's URL; `None` unless the
/// result is an http(s) URL.
fn resolve_loc(base: &Url, loc: &str) -> Option<Url> {
    let loc = loc.trim();
    if loc.is_empty() {
        return None;
    }
    base.join(loc).ok().filter(is_http)
}

/// Whether the URL's scheme is http or https.
fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn base() -> Url {
        Url::parse("https://example.cn/sitemap.xml").unwrap()
    }

    fn urls(list: &[Url]) -> Vec<&str> {
        list.iter().map(Url::as_str).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url>
    <loc>https://example.cn/</loc>
    <lastmod>2024-01-01</lastmod>
    <changefreq>weekly</changefreq>
    <priority>1.0</priority>
  </url>
  <url><loc>https://example.cn/about/certificates.html</loc></url>
</urlset>
"#;

    #[test]
    fn urlset() {
        let s = parse(&base(), URLSET.as_bytes()).unwrap();
        assert_eq!(
            urls(&s.urls),
            [
                "https://example.cn/",
                "https://example.cn/about/certificates.html"
            ]
        );
        assert!(s.sitemaps.is_empty());
    }

    #[test]
    fn sitemap_index() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://example.cn/sitemap-products.xml.gz</loc><lastmod>2024-05-01</lastmod></sitemap>
  <sitemap>
    <loc>
      https://example.cn/sitemap-news.xml
    </loc>
  </sitemap>
</sitemapindex>"#;
        let s = parse(&base(), body.as_bytes()).unwrap();
        assert!(s.urls.is_empty());
        assert_eq!(
            urls(&s.sitemaps),
            [
                "https://example.cn/sitemap-products.xml.gz",
                "https://example.cn/sitemap-news.xml"
            ]
        );
    }

    #[test]
    fn gzip_by_magic_bytes() {
        let s = parse(&base(), &gzip(URLSET.as_bytes())).unwrap();
        assert_eq!(s.urls.len(), 2);
        assert_eq!(s, parse(&base(), URLSET.as_bytes()).unwrap());
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let gz = gzip(URLSET.as_bytes());
        let err = parse(&base(), &gz[..gz.len() / 2]).unwrap_err();
        assert!(matches!(err, SitemapError::Gzip(_)), "{err:?}");
    }

    #[test]
    fn gzip_bomb_is_too_large() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 1024 * 1024);
        let err = parse(&base(), &bomb).unwrap_err();
        assert!(matches!(err, SitemapError::TooLarge), "{err:?}");
    }

    #[test]
    fn gzip_just_under_the_cap_is_read() {
        let mut body = Vec::from(&b"<urlset><url><loc>https://example.cn/a</loc></url>"[..]);
        let end = b"</urlset>";
        body.resize(MAX_SITEMAP_BYTES - end.len(), b' ');
        body.extend_from_slice(end);
        assert_eq!(body.len(), MAX_SITEMAP_BYTES);
        let s = parse(&base(), &gzip(&body)).unwrap();
        assert_eq!(urls(&s.urls), ["https://example.cn/a"]);
        body.push(b' ');
        assert!(matches!(
            parse(&base(), &gzip(&body)),
            Err(SitemapError::TooLarge)
        ));
    }

    #[test]
    fn plain_body_over_the_cap_is_too_large() {
        let body = vec![b' '; MAX_SITEMAP_BYTES + 1];
        assert!(matches!(parse(&base(), &body), Err(SitemapError::TooLarge)));
    }

    #[test]
    fn entities_are_decoded() {
        let body = r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://example.cn/p?id=1&amp;lang=zh&#38;x=&#x27;y&#x27;</loc></url>
<url><loc><![CDATA[https://example.cn/q?a=1&b=2]]></loc></url>
<url><loc>https://example.cn/r?a=1&b=2</loc></url>
</urlset>"#;
        let s = parse(&base(), body.as_bytes()).unwrap();
        assert_eq!(
            urls(&s.urls),
            [
                "https://example.cn/p?id=1&lang=zh&x=%27y%27",
                "https://example.cn/q?a=1&b=2",
                "https://example.cn/r?a=1&b=2",
            ]
        );
    }

    #[test]
    fn relative_loc_is_resolved_and_only_http_kept() {
        let body = r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>/products/solar.html</loc></url>
<url><loc>news/2024.html</loc></url>
<url><loc>//cdn.example.cn/x.html</loc></url>
<url><loc>http://example.cn/plain</loc></url>
<url><loc>ftp://example.cn/file</loc></url>
<url><loc>mailto:sales@example.cn</loc></url>
<url><loc>javascript:alert(1)</loc></url>
<url><loc>   </loc></url>
<url><loc>https://[bad</loc></url>
</urlset>"#;
        let base = Url::parse("https://example.cn/maps/sitemap.xml").unwrap();
        let s = parse(&base, body.as_bytes()).unwrap();
        assert_eq!(
            urls(&s.urls),
            [
                "https://example.cn/products/solar.html",
                "https://example.cn/maps/news/2024.html",
                "https://cdn.example.cn/x.html",
                "http://example.cn/plain",
            ]
        );
    }

    #[test]
    fn namespaced_extras_are_ignored() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
        xmlns:xhtml="http://www.w3.org/1999/xhtml"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">
  <url>
    <loc>https://example.cn/zh/</loc>
    <xhtml:link rel="alternate" hreflang="en" href="https://example.cn/en/"/>
    <image:image><image:loc>https://example.cn/img/cert.jpg</image:loc></image:image>
    <news:news><news:publication><news:name>X</news:name></news:publication></news:news>
    <video:video><video:content_loc>https://example.cn/v.mp4</video:content_loc></video:video>
  </url>
  <url>
    <image:loc>https://example.cn/img/stray.jpg</image:loc>
    <loc>https://example.cn/vi/</loc>
    <loc>https://example.cn/second-loc-ignored/</loc>
  </url>
  <foo><loc>https://example.cn/not-in-an-entry</loc></foo>
</urlset>"#;
        let s = parse(&base(), body.as_bytes()).unwrap();
        assert_eq!(
            urls(&s.urls),
            ["https://example.cn/zh/", "https://example.cn/vi/"]
        );
        assert!(s.sitemaps.is_empty());
    }

    #[test]
    fn no_namespace_and_prefixed_root() {
        let body = "<urlset><url><loc>https://example.cn/a</loc></url></urlset>";
        assert_eq!(
            urls(&parse(&base(), body.as_bytes()).unwrap().urls),
            ["https://example.cn/a"]
        );
        let body = r#"<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:url><sm:loc>https://example.cn/b</sm:loc></sm:url></sm:urlset>"#;
        assert_eq!(
            urls(&parse(&base(), body.as_bytes()).unwrap().urls),
            ["https://example.cn/b"]
        );
    }

    #[test]
    fn byte_order_marks() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(URLSET.as_bytes());
        assert_eq!(parse(&base(), &body).unwrap().urls.len(), 2);

        let mut utf16 = vec![0xFF, 0xFE];
        for unit in URLSET.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(parse(&base(), &utf16).unwrap().urls.len(), 2);

        let mut text = b"\xEF\xBB\xBF".to_vec();
        text.extend_from_slice(b"https://example.cn/a\n");
        assert_eq!(
            urls(&parse(&base(), &text).unwrap().urls),
            ["https://example.cn/a"]
        );
    }

    #[test]
    fn other_root_is_empty() {
        let html = "<!DOCTYPE html><html><head><title>404</title></head><body><p>Not found<br></body></html>";
        assert_eq!(parse(&base(), html.as_bytes()).unwrap(), Sitemap::default());
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><link>https://example.cn/</link></channel></rss>"#;
        assert_eq!(parse(&base(), rss.as_bytes()).unwrap(), Sitemap::default());
        assert_eq!(parse(&base(), b"<urlset/>").unwrap(), Sitemap::default());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let inputs: [&[u8]; 11] = [
            b"\x00\x01\x02\xff\xfe\xfd garbage \x80\x81",
            b"<<<>>>",
            b"< urlset>",
            b"<urlset><url><loc>https://example.cn/a</loc></url></sitemapindex>",
            b"<urlset><url><loc>https://example.cn/a</url></urlset>",
            b"<?xml version=\"1.0\"?>",
            b"<!-- nothing -->",
            b"{\"error\": \"not found\"}",
            b"Not Found",
            b"\x1f\x8b",
            b"\x1f\x8b\x08\x00garbage-after-gzip-magic",
        ];
        for input in inputs {
            let result = parse(&base(), input);
            assert!(result.is_err(), "{input:?} gave {result:?}");
        }
        // Pseudo-random soups of sitemap fragments: none may panic.
        let tokens: [&[u8]; 22] = [
            b"<urlset>",
            b"</urlset>",
            b"<sitemapindex xmlns=\"x\">",
            b"<url>",
            b"</url>",
            b"<sitemap>",
            b"<loc>",
            b"</loc>",
            b"<x:loc>",
            b"https://example.cn/a",
            b"&amp;",
            b"&",
            b"&#x0;",
            b"<![CDATA[",
            b"]]>",
            b"<!--",
            b"-->",
            b"<?xml version=\"1.0\"?>",
            b"<",
            b">",
            b"\x1f\x8b",
            b"\xff\n ",
        ];
        let mut x: u32 = 0x1234_5678;
        for len in 0..400 {
            let mut bytes = Vec::new();
            for _ in 0..len % 40 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                bytes.extend_from_slice(tokens[x as usize % tokens.len()]);
            }
            let _ = parse(&base(), &bytes);
        }
    }

    #[test]
    fn empty_body_is_an_empty_sitemap() {
        assert_eq!(parse(&base(), b"").unwrap(), Sitemap::default());
        assert_eq!(parse(&base(), b" \r\n\t").unwrap(), Sitemap::default());
    }

    #[test]
    fn truncated_xml_keeps_what_was_read() {
        let cut = &URLSET[..URLSET.find("<url><loc>https://example.cn/about").unwrap() + 20];
        let s = parse(&base(), cut.as_bytes()).unwrap();
        assert_eq!(urls(&s.urls), ["https://example.cn/"]);
    }

    #[test]
    fn entries_beyond_the_cap_are_dropped() {
        let mut body =
            String::from(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
        for i in 0..MAX_SITEMAP_URLS + 10 {
            body.push_str(&format!("<url><loc>https://example.cn/p/{i}</loc></url>\n"));
        }
        body.push_str("</urlset>");
        let s = parse(&base(), body.as_bytes()).unwrap();
        assert_eq!(s.urls.len(), MAX_SITEMAP_URLS);
        assert_eq!(s.urls[0].as_str(), "https://example.cn/p/0");
        assert_eq!(
            s.urls[MAX_SITEMAP_URLS - 1].as_str(),
            format!("https://example.cn/p/{}", MAX_SITEMAP_URLS - 1)
        );

        let text: String = (0..MAX_SITEMAP_URLS + 5)
            .map(|i| format!("https://example.cn/t/{i}\n"))
            .collect();
        assert_eq!(
            parse(&base(), text.as_bytes()).unwrap().urls.len(),
            MAX_SITEMAP_URLS
        );
    }

    #[test]
    fn plain_text_sitemap() {
        let body = "https://example.cn/\r\n\r\n  https://example.cn/products?id=7&lang=vi  \nnot a url\n/relative/is/skipped\nftp://example.cn/x\nhttp://example.cn/old\n";
        let s = parse(&base(), body.as_bytes()).unwrap();
        assert_eq!(
            urls(&s.urls),
            [
                "https://example.cn/",
                "https://example.cn/products?id=7&lang=vi",
                "http://example.cn/old",
            ]
        );
        assert!(s.sitemaps.is_empty());
        let s = parse(&base(), &gzip(body.as_bytes())).unwrap();
        assert_eq!(s.urls.len(), 3);
    }
}
