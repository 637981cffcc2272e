//! Reading one HTML page: its title and headings, links with their text and
//! context, JSON-LD blocks, forms with their fields and labels, and text
//! blocks. A plain function over the text: nothing here awaits.

use std::collections::HashMap;
use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

/// Deepest element nesting parsed; deeper pages are refused as hostile.
pub const MAX_HTML_DEPTH: usize = 512;
/// Most links read from one page.
pub const MAX_LINKS_PER_PAGE: usize = 2000;
/// Most images read from one page.
pub const MAX_IMAGES_PER_PAGE: usize = 500;
/// Most headings read from one page.
const MAX_HEADINGS: usize = 200;
/// Longest heading, caption or alt text kept, in characters.
const MAX_LABEL_CHARS: usize = 200;
/// Longest text block kept for number extraction.
const MAX_BLOCK_CHARS: usize = 600;

/// A link on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Where it points (resolved against `<base href>` and the page URL).
    pub url: Url,
    /// Its text, with any image `alt` and `aria-label`.
    pub text: String,
    /// Its `title`.
    pub title: String,
    /// Its `type` attribute (lower case).
    pub mime: String,
    /// Text of the nearest row, list item or paragraph around it.
    pub context: String,
}

/// A form on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// `GET` or `POST`.
    pub method: String,
    /// The resolved `action`.
    pub action: Url,
    /// Every successful control's name and default value (hidden inputs included).
    pub fields: Vec<(String, String)>,
    /// Name, id, label and placeholder of each visible text input.
    pub text_inputs: Vec<(String, String)>,
    /// All text inside the form (labels, buttons) and the heading before it.
    pub text: String,
}

/// A heading of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `h1` to 3 for `h3`.
    pub level: u8,
    /// Its text.
    pub text: String,
}

/// An image on a page: a certificate scan, a logo, a banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    /// The image's real source: a lazy loader's `data-original` or
    /// `data-src`, else the largest `srcset` candidate, else `src`.
    pub url: Url,
    /// Its `alt` text.
    pub alt: String,
    /// Its `title`.
    pub title: String,
    /// The caption of its `figure`, when it has one.
    pub caption: String,
    /// Where a link around it points, when it is inside one.
    pub link: Option<Url>,
    /// Whether it sits in the page's frame (`header`, `nav`, `footer`):
    /// logos, menus and badges, not content.
    pub in_frame: bool,
    /// Its `width` and `height` attributes, when both are plain numbers.
    pub declared_size: Option<(u32, u32)>,
}

/// What a page says, as far as screening needs it.
#[derive(Debug, Clone, Default)]
pub struct PageFacts {
    /// The URL relative links resolve against (`<base href>`, else the page).
    pub base: Option<Url>,
    /// `<title>`.
    pub title: String,
    /// `h1` to `h3` headings, in document order.
    pub headings: Vec<Heading>,
    /// Images (`img`, with lazy-loading attributes read).
    pub images: Vec<PageImage>,
    /// Whether the page presents itself as an article (a news item or
    /// blog post): `og:type` article, an `article:published_time`, or one
    /// `<article>` element holding the page's `h1`.
    pub is_article: bool,
    /// Links (`a[href]`, `area[href]`).
    pub links: Vec<Link>,
    /// `<link rel="service-desc">` targets.
    pub service_desc: Vec<Url>,
    /// Parsed JSON-LD blocks (unparseable ones are skipped and counted).
    pub jsonld: Vec<Value>,
    /// JSON-LD blocks that could not be parsed.
    pub bad_jsonld: usize,
    /// Forms.
    pub forms: Vec<Form>,
    /// Text of rows, list items and paragraphs.
    pub blocks: Vec<String>,
}

macro_rules! selector {
    ($name:ident, $css:expr) => {
        static $name: LazyLock<Selector> =
            LazyLock::new(|| Selector::parse($css).expect("a constant selector"));
    };
}

selector!(TITLE, "title");
selector!(H1, "h1");
selector!(BASE, "base[href]");
selector!(LINKS, "a[href], area[href]");
selector!(SERVICE_DESC, "link[rel][href]");
selector!(JSONLD, "script[type]");
selector!(FORMS, "form");
selector!(CONTROLS, "input, select, textarea");
selector!(LABELS, "label");
selector!(
    BLOCKS,
    "tr, li, p, dd, dt, td, h2, h3, h4, caption, figcaption"
);
selector!(IMG, "img[alt]");
selector!(HEADINGS, "h1, h2, h3");
selector!(IMAGES, "img");
selector!(META, "meta[property], meta[name]");
selector!(ARTICLE_H1, "article h1");
selector!(FIGCAPTION, "figcaption");

fn text_of(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An estimate of the deepest element nesting, without building a tree.
pub fn nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "td", "tr", "option",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        i += offset + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let name: String = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .take(16)
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        if name.is_empty() || VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// Reads a page served at `url`.
pub fn read_page(url: &Url, html: &str) -> PageFacts {
    let doc = Html::parse_document(html);
    let base = doc
        .select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| url.join(href.trim()).ok())
        .unwrap_or_else(|| url.clone());
    let resolve = |href: &str| -> Option<Url> {
        let href = href.trim();
        if href.is_empty()
            || href.starts_with('#')
            || href.starts_with("javascript:")
            || href.starts_with("mailto:")
            || href.starts_with("tel:")
        {
            return None;
        }
        let mut u = base.join(href).ok()?;
        // A TradeTrust link may carry its document's key after '#'.
        if !eco::openattestation::link::is_link(&u) {
            u.set_fragment(None);
        }
        Some(u)
    };
    let mut facts = PageFacts {
        base: Some(base.clone()),
        title: doc.select(&TITLE).next().map(text_of).unwrap_or_default(),
        ..PageFacts::default()
    };
    for a in doc.select(&LINKS).take(MAX_LINKS_PER_PAGE) {
        let Some(url) = a.value().attr("href").and_then(resolve) else {
            continue;
        };
        let mut text = text_of(a);
        for img in a.select(&IMG) {
            if let Some(alt) = img.value().attr("alt") {
                text.push(' ');
                text.push_str(alt.trim());
            }
        }
        if let Some(label) = a.value().attr("aria-label") {
            text.push(' ');
            text.push_str(label.trim());
        }
        let ancestors = || a.ancestors().filter_map(ElementRef::wrap);
        let context = ancestors()
            .find(|e| matches!(e.value().name(), "tr" | "li" | "p" | "dd"))
            .or_else(|| ancestors().find(|e| matches!(e.value().name(), "td" | "div" | "section")))
            .map(text_of)
            .map(|t| t.chars().take(MAX_BLOCK_CHARS).collect())
            .unwrap_or_default();
        facts.links.push(Link {
            url,
            text: text.trim().to_owned(),
            title: a
                .value()
                .attr("title")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            mime: a
                .value()
                .attr("type")
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase(),
            context,
        });
    }
    for link in doc.select(&SERVICE_DESC) {
        let rel = link
            .value()
            .attr("rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if rel.split_whitespace().any(|r| r == "service-desc")
            && let Some(u) = link.value().attr("href").and_then(resolve)
        {
            facts.service_desc.push(u);
        }
    }
    for script in doc.select(&JSONLD) {
        let kind = script
            .value()
            .attr("type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !kind.starts_with("application/ld+json") {
            continue;
        }
        let raw: String = script.text().collect();
        match parse_jsonld(&raw) {
            Some(v) => facts.jsonld.push(v),
            None => facts.bad_jsonld += 1,
        }
    }
    facts.headings = doc
        .select(&HEADINGS)
        .take(MAX_HEADINGS)
        .map(|h| Heading {
            level: h.value().name().as_bytes()[1] - b'0',
            text: text_of(h).chars().take(MAX_LABEL_CHARS).collect(),
        })
        .filter(|h| !h.text.is_empty())
        .collect();
    facts.images = doc
        .select(&IMAGES)
        .take(MAX_IMAGES_PER_PAGE)
        .filter_map(|img| read_image(img, &resolve))
        .collect();
    facts.is_article = is_article(&doc);
    let labels: HashMap<String, String> = doc
        .select(&LABELS)
        .filter_map(|l| Some((l.value().attr("for")?.to_owned(), text_of(l))))
        .collect();
    for form in doc.select(&FORMS) {
        facts.forms.push(read_form(form, &labels, &resolve, url));
    }
    for block in doc.select(&BLOCKS) {
        let text = text_of(block);
        if !text.is_empty() && text.chars().count() <= MAX_BLOCK_CHARS {
            facts.blocks.push(text);
        }
    }
    facts
}

fn attr_text(element: ElementRef<'_>, name: &str) -> String {
    element
        .value()
        .attr(name)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_LABEL_CHARS)
        .collect()
}

/// The URL of the widest candidate of a `srcset`.
fn widest_in_srcset(srcset: &str) -> Option<&str> {
    srcset
        .split(',')
        .filter_map(|candidate| {
            let mut parts = candidate.split_whitespace();
            let url = parts.next()?;
            let width = parts
                .next()
                .and_then(|d| d.trim_end_matches(['w', 'x']).parse::<f64>().ok())
                .unwrap_or(1.0);
            Some((url, width))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(url, _)| url)
}

/// An image's real source and labels; `None` when it has no usable source
/// (an inline `data:` placeholder and nothing else).
fn read_image(img: ElementRef<'_>, resolve: &impl Fn(&str) -> Option<Url>) -> Option<PageImage> {
    let e = img.value();
    let usable = |v: &&str| !v.trim().is_empty() && !v.trim_start().starts_with("data:");
    let source = [
        "data-original",
        "data-src",
        "data-lazy-src",
        "data-lazy",
        "data-url",
    ]
    .iter()
    .find_map(|name| e.attr(name).filter(usable))
    .or_else(|| {
        ["data-srcset", "srcset"]
            .iter()
            .find_map(|name| e.attr(name).and_then(widest_in_srcset).filter(usable))
    })
    .or_else(|| e.attr("src").filter(usable))?;
    let url = resolve(source)?;
    let ancestors = || img.ancestors().filter_map(ElementRef::wrap);
    let caption = ancestors()
        .take(4)
        .find(|a| a.value().name() == "figure")
        .and_then(|figure| figure.select(&FIGCAPTION).next())
        .map(|c| text_of(c).chars().take(MAX_LABEL_CHARS).collect())
        .unwrap_or_default();
    let link = ancestors()
        .take(6)
        .find(|a| a.value().name() == "a")
        .and_then(|a| a.value().attr("href"))
        .and_then(resolve);
    let in_frame = ancestors().any(|a| matches!(a.value().name(), "header" | "nav" | "footer"));
    let number = |name: &str| {
        e.attr(name)
            .and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
    };
    let declared_size = number("width").zip(number("height"));
    Some(PageImage {
        url,
        alt: attr_text(img, "alt"),
        title: attr_text(img, "title"),
        caption,
        link,
        in_frame,
        declared_size,
    })
}

/// Whether the page presents itself as an article.
fn is_article(doc: &Html) -> bool {
    let meta_says = doc.select(&META).any(|m| {
        let e = m.value();
        let key = e
            .attr("property")
            .or_else(|| e.attr("name"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content = e
            .attr("content")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        (key == "og:type" && content == "article") || key == "article:published_time"
    });
    meta_says || doc.select(&ARTICLE_H1).next().is_some() || h1_is_dated(doc)
}

/// A publication date: `10 Januari 2024`, `March 3, 2024`, `2024-03-10`,
/// `10.03.2024`, `2024年3月10日`.
static PUBLICATION_DATE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"\b\d{1,2}[./-]\d{1,2}[./-]\d{4}\b|\b\d{4}[./-]\d{1,2}[./-]\d{1,2}\b|\b\d{1,2}\.?\s+\p{L}{3,12}\.?,?\s+\d{4}\b|\b\p{L}{3,12}\.?\s+\d{1,2},?\s+\d{4}\b|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",
    )
    .expect("a constant regex")
});

/// Whether the element right before or after the first `h1` is a short
/// line holding a date: how news items and blog posts show when they were
/// published.
fn h1_is_dated(doc: &Html) -> bool {
    const MAX_DATE_LINE_CHARS: usize = 100;
    let Some(h1) = doc.select(&H1).next() else {
        return false;
    };
    let near = h1
        .next_siblings()
        .filter_map(ElementRef::wrap)
        .take(2)
        .chain(h1.prev_siblings().filter_map(ElementRef::wrap).take(1));
    near.map(text_of)
        .any(|t| t.chars().count() <= MAX_DATE_LINE_CHARS && PUBLICATION_DATE.is_match(&t))
}

fn parse_jsonld(raw: &str) -> Option<Value> {
    let trimmed = raw
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim();
    let trimmed = trimmed
        .trim_start_matches("//<![CDATA[")
        .trim_end_matches("//]]>")
        .trim();
    serde_json::from_str(trimmed).ok()
}

fn read_form(
    form: ElementRef<'_>,
    labels: &HashMap<String, String>,
    resolve: &impl Fn(&str) -> Option<Url>,
    page: &Url,
) -> Form {
    let method = form
        .value()
        .attr("method")
        .unwrap_or("get")
        .trim()
        .to_ascii_uppercase();
    let method = if method == "POST" {
        method
    } else {
        "GET".to_owned()
    };
    let action = form
        .value()
        .attr("action")
        .and_then(resolve)
        .unwrap_or_else(|| {
            let mut u = page.clone();
            u.set_fragment(None);
            u
        });
    let mut fields = Vec::new();
    let mut text_inputs = Vec::new();
    for control in form.select(&CONTROLS) {
        let e = control.value();
        let Some(name) = e.attr("name").map(str::to_owned) else {
            continue;
        };
        if e.attr("disabled").is_some() {
            continue;
        }
        let kind = e.attr("type").unwrap_or("text").to_ascii_lowercase();
        match (e.name(), kind.as_str()) {
            ("input", "submit" | "button" | "image" | "reset" | "file" | "checkbox" | "radio") => {
                continue;
            }
            ("input", "hidden") => {
                fields.push((name, e.attr("value").unwrap_or_default().to_owned()))
            }
            ("select", _) => {
                let first = control
                    .select(&Selector::parse("option").expect("a constant selector"))
                    .find(|o| o.value().attr("selected").is_some())
                    .or_else(|| {
                        control
                            .select(&Selector::parse("option").expect("a constant selector"))
                            .next()
                    })
                    .map(|o| {
                        o.value()
                            .attr("value")
                            .map(str::to_owned)
                            .unwrap_or_else(|| text_of(o))
                    })
                    .unwrap_or_default();
                fields.push((name, first));
            }
            _ => {
                let mut description = vec![name.clone()];
                for attr in ["id", "placeholder", "aria-label", "title"] {
                    if let Some(v) = e.attr(attr) {
                        description.push(v.to_owned());
                    }
                }
                if let Some(label) = e.attr("id").and_then(|id| labels.get(id)) {
                    description.push(label.clone());
                }
                if let Some(wrapping) = control
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .find(|a| a.value().name() == "label")
                {
                    description.push(text_of(wrapping));
                }
                fields.push((name.clone(), e.attr("value").unwrap_or_default().to_owned()));
                text_inputs.push((name, description.join(" ")));
            }
        }
    }
    let mut text = text_of(form);
    for control in form.select(&CONTROLS) {
        for attr in ["value", "placeholder"] {
            if control.value().attr("type") == Some("submit")
                && let Some(v) = control.value().attr(attr)
            {
                text.push(' ');
                text.push_str(v);
            }
        }
    }
    // The element just before the form, when it is a heading, paragraph or
    // label, often says what the form is for.
    if let Some(heading) = form
        .prev_siblings()
        .filter_map(ElementRef::wrap)
        .next()
        .filter(|e| {
            matches!(
                e.value().name(),
                "h1" | "h2" | "h3" | "h4" | "h5" | "p" | "label"
            )
        })
    {
        text.push(' ');
        text.push_str(&text_of(heading));
    }
    Form {
        method,
        action,
        fields,
        text_inputs,
        text: text.chars().take(MAX_BLOCK_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_links_forms_jsonld_and_base_href() {
        let html = r#"<html><head><title>资质证书 - X</title><base href="/en/">
            <link rel="service-desc" href="/openapi.json">
            <script type="application/ld+json"><!-- {"@type":"Organization","name":"X"} --></script>
            <script type="application/ld+json">{not json</script></head>
            <body><h1>资质证书</h1><ul><li><a href="certs.html" title="Certificates"><img src="x.png" alt="证书"></a></li></ul>
            <table><tr><td>Certificate of Origin RCEP-CN-2026-0001</td><td><a href="/files/a.json" type="application/vc">download</a></td></tr></table>
            <h3>Verify</h3><form method="post" action="check.php"><label for="n">证书编号</label><input id="n" name="q">
            <input type="hidden" name="token" value="abc"><select name="lang"><option value="zh" selected>中文</option></select>
            <button type="submit">查询</button></form></body></html>"#;
        let page = Url::parse("http://a.test/x/page.html").unwrap();
        let facts = read_page(&page, html);
        assert_eq!(
            facts.headings,
            [
                Heading {
                    level: 1,
                    text: "资质证书".to_owned()
                },
                Heading {
                    level: 3,
                    text: "Verify".to_owned()
                }
            ]
        );
        assert_eq!(facts.links[0].url.as_str(), "http://a.test/en/certs.html");
        assert!(facts.links[0].text.contains("证书"));
        assert_eq!(facts.links[1].mime, "application/vc");
        assert!(facts.links[1].context.contains("RCEP-CN-2026-0001"));
        assert_eq!(facts.service_desc[0].as_str(), "http://a.test/openapi.json");
        assert_eq!(facts.jsonld.len(), 1);
        assert_eq!(facts.bad_jsonld, 1);
        let form = &facts.forms[0];
        assert_eq!(form.method, "POST");
        assert_eq!(form.action.as_str(), "http://a.test/en/check.php");
        assert_eq!(
            form.fields,
            vec![
                ("q".into(), String::new()),
                ("token".into(), "abc".into()),
                ("lang".into(), "zh".into())
            ]
        );
        assert!(form.text_inputs[0].1.contains("证书编号"));
        assert!(form.text.contains("Verify"));
        assert!(facts.blocks.iter().any(|b| b.contains("RCEP-CN-2026-0001")));
    }

    #[test]
    fn measures_nesting_without_parsing() {
        assert!(nesting_depth(&("<div>".repeat(100_000))) > MAX_HTML_DEPTH);
        assert!(
            nesting_depth(
                "<html><body><p>a<p>b<br><img src=x><div><span>x</span></div></body></html>"
            ) < 10
        );
    }
}
