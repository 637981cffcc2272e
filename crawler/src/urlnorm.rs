//! URL normalisation, so that nothing is fetched twice under two spellings,
//! and the site scope a screening stays within.

use url::Url;

/// Query parameters that only track visitors and never change a page.
const TRACKING_PARAMS: &[&str] = &["fbclid", "gclid", "msclkid", "mc_cid", "mc_eid", "_ga"];

/// A URL in canonical form: no fragment, no empty query, percent-escapes of
/// unreserved characters decoded and the others in upper case, tracking
/// parameters dropped. (Scheme and host case and default ports are already
/// normalised by the URL parser.)
pub fn normalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    let path = normalize_escapes(out.path());
    out.set_path(&path);
    if let Some(query) = out.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let key = pair
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                !pair.is_empty()
                    && !key.starts_with("utm_")
                    && !TRACKING_PARAMS.contains(&key.as_str())
            })
            .collect();
        let joined = normalize_escapes(&kept.join("&"));
        out.set_query(if joined.is_empty() {
            None
        } else {
            Some(&joined)
        });
    }
    out
}

/// The key under which a page counts as visited: the normalised URL with a
/// trailing slash dropped from any path but the root.
pub fn visit_key(url: &Url) -> String {
    let n = normalize(url);
    let mut key = format!(
        "{}://{}:{}{}",
        n.scheme(),
        n.host_str().unwrap_or_default(),
        n.port_or_known_default().unwrap_or_default(),
        n.path()
    );
    if key.ends_with('/') && n.path() != "/" {
        key.pop();
    }
    if let Some(q) = n.query() {
        key.push('?');
        key.push_str(q);
    }
    key
}

fn normalize_escapes(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = &text[i + 1..i + 3];
            if let Ok(value) = u8::from_str_radix(hex, 16) {
                let c = value as char;
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~') {
                    out.push(c);
                } else {
                    out.push('%');
                    out.push_str(&hex.to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // Copy one UTF-8 character.
        let c = text[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}

/// The registrable domain of a URL's host.
pub fn site_of(url: &Url) -> Option<String> {
    eco::credential::registrable_domain(url.host_str()?)
}

/// Whether `url` is on the registrable domain `site`.
pub fn in_site(url: &Url, site: &str) -> bool {
    matches!(url.scheme(), "http" | "https") && site_of(url).as_deref() == Some(site)
}

/// File extensions that are never pages worth parsing.
const NON_PAGE_EXTENSIONS: &[&str] = &[
    "pdf", "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "tif", "tiff", "zip", "rar",
    "7z", "gz", "tgz", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "mp4", "mp3", "avi", "mov",
    "wmv", "css", "js", "woff", "woff2", "ttf", "eot", "exe", "dmg", "apk", "xml", "json",
    "jsonld", "vc", "txt", "csv",
];

/// Whether a URL's path names a file that is not a page.
pub fn is_non_page(url: &Url) -> bool {
    let last = url.path().rsplit('/').next().unwrap_or_default();
    match last.rsplit_once('.') {
        Some((_, ext)) => NON_PAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        visit_key(&Url::parse(s).unwrap())
    }

    #[test]
    fn one_page_one_key() {
        assert_eq!(key("http://A.test:80/x/#top"), key("http://a.test/x"));
        assert_eq!(key("http://a.test/%7Euser/"), key("http://a.test/~user"));
        assert_eq!(key("http://a.test/a%2fb"), key("http://a.test/a%2Fb"));
        assert_eq!(key("http://a.test/?"), key("http://a.test/"));
        assert_eq!(
            key("http://a.test/p?utm_source=x&id=3"),
            key("http://a.test/p?id=3")
        );
        assert_ne!(
            key("http://a.test/?page_id=2"),
            key("http://a.test/?page_id=3")
        );
        assert_ne!(
            key("http://a.test/p?b=1&a=2"),
            key("http://a.test/p?a=2&b=1"),
            "query order is kept"
        );
        assert_eq!(
            key("http://a.test/%E8%B5%84"),
            key("http://a.test/%e8%b5%84")
        );
        assert_ne!(key("https://a.test/"), key("http://a.test/"));
    }

    #[test]
    fn scope_and_non_pages() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(in_site(&u("http://www.acme.test:8080/x"), "acme.test"));
        assert!(!in_site(&u("http://acme.test.evil.test/"), "acme.test"));
        assert!(!in_site(&u("ftp://acme.test/"), "acme.test"));
        assert!(is_non_page(&u("http://a.test/files/cert.PDF")));
        assert!(!is_non_page(&u("http://a.test/certificates.html")));
        assert!(!is_non_page(&u("http://a.test/index.php?x=1")));
    }
}
