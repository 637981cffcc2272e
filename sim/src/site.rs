//! Rendering a supplier's site: pages, robots.txt, sitemaps, the
//! verification API and form, credential documents and the OpenAPI file.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use crate::documents;
use crate::profile::{CertKind, HostileKind, Profile};
use crate::spec::{
    Declared, JsonLdShape, PageKind, Placement, SiteSpec, base_folder, bits, page_counts, page_path,
};
use crate::variety;
use crate::world::{Layout, Supplier, World};

/// An answer of the simulated web.
#[derive(Debug)]
pub enum Reply {
    /// A complete response.
    Full {
        /// HTTP status.
        status: u16,
        /// Headers.
        headers: Vec<(&'static str, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// A response sent after a delay.
    Delayed(Duration, Box<Reply>),
    /// A hostile behaviour the server carries out itself.
    Hostile(HostileKind),
}

impl Reply {
    /// A response with a content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
        }
    }

    /// A redirect.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("location", location.to_owned())],
            body: Vec::new(),
        }
    }

    /// A plain 404.
    pub fn not_found() -> Reply {
        Reply::new(
            404,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><title>404</title><h1>Not Found</h1>",
        )
    }

    /// A JSON response.
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply::new(
            status,
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        )
    }

    /// The status code (0 for hostile behaviour).
    pub fn status(&self) -> u16 {
        match self {
            Reply::Full { status, .. } => *status,
            Reply::Delayed(_, inner) => inner.status(),
            Reply::Hostile(_) => 0,
        }
    }
}

/// A request to a supplier's host.
#[derive(Debug, Clone, Copy)]
pub struct SiteRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// Host without port.
    pub host: &'a str,
    /// Path.
    pub path: &'a str,
    /// Query, if any.
    pub query: Option<&'a str>,
    /// Request body (forms).
    pub body: &'a [u8],
}

/// HTML-escapes text for element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Answers a request to supplier `s`.
pub fn respond(world: &World, s: &Supplier, spec: &SiteSpec, req: &SiteRequest<'_>) -> Reply {
    if let Profile::Hostile(kind) = s.profile {
        return match (kind, req.path) {
            (HostileKind::RedirectLoop, "/") => Reply::redirect(302, "/loop/a"),
            (HostileKind::RedirectLoop, "/loop/a") => Reply::redirect(302, "/loop/b"),
            (HostileKind::RedirectLoop, _) => Reply::redirect(302, "/"),
            (HostileKind::TooManyRequests, _) => Reply::Full {
                status: 429,
                headers: vec![
                    ("retry-after", "2".into()),
                    ("content-type", "text/plain".into()),
                ],
                body: b"slow down".to_vec(),
            },
            (_, "/robots.txt") => Reply::not_found(),
            (kind, _) => Reply::Hostile(kind),
        };
    }
    let wanted_host = spec
        .origin
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or_default();
    if req.host != wanted_host {
        // The other spelling (with or without www.) redirects to the site.
        let query = req.query.map(|q| format!("?{q}")).unwrap_or_default();
        return Reply::redirect(301, &format!("{}{}{query}", spec.origin, req.path));
    }
    if let Some(reply) = documents::answer(world, s, spec, req.host, req.path) {
        return reply;
    }
    let full = match req.query {
        Some(q) => format!("{}?{q}", req.path),
        None => req.path.to_owned(),
    };
    match req.path {
        "/robots.txt" => return robots(s, spec),
        "/sitemap.xml" if spec.sitemap => return sitemap(s, spec, false),
        "/sitemaps/index.xml" if s.profile == Profile::SitemapOnly => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n<sitemap><loc>{}/sitemaps/pages.xml.gz</loc></sitemap>\n</sitemapindex>\n",
                spec.origin
            );
            return Reply::new(200, "application/xml", body);
        }
        "/sitemaps/pages.xml.gz" if s.profile == Profile::SitemapOnly => {
            return sitemap(s, spec, true);
        }
        _ => {}
    }
    if let Some((path, _)) = &spec.openapi
        && req.path == path
    {
        return openapi(s, spec);
    }
    if let Some(reply) = api(world, s, spec, req) {
        return reply;
    }
    if let Some(reply) = form_answer(s, spec, req) {
        return reply;
    }
    if let Some((position, _)) = spec.credentials.iter().find(|(_, p)| p == req.path) {
        let Some(cert) = s.certificates.iter().find(|c| c.position == *position) else {
            return Reply::not_found();
        };
        if cert.kind.is_tradetrust() {
            return world.tradetrust().reply(s.index, cert);
        }
        return match world.served_credential(s, cert) {
            Ok(c) => Reply::new(
                200,
                "application/vc",
                serde_json::to_vec_pretty(&c).unwrap_or_default(),
            ),
            Err(_) => Reply::new(500, "text/plain", "credential unavailable"),
        };
    }
    if s.profile == Profile::TradeTrustLink
        && let Some(cert) = s
            .certificates
            .iter()
            .find(|c| crate::tradetrust::document_path(s, c) == req.path)
    {
        // The encrypted envelope a verification link names.
        return world.tradetrust().reply(s.index, cert);
    }
    if s.profile == Profile::CalendarTrap && req.path == "/calendar/" {
        return calendar(s, spec, req.query.unwrap_or(""));
    }
    if s.layout == Layout::BaseHref && req.path == "/" {
        return Reply::redirect(302, &format!("{}index.html", base_folder(s)));
    }
    if matches!(s.layout, Layout::Static) && req.path == "/" && req.query.is_none() {
        return html(world, s, spec, PageKind::Home);
    }
    let pages = all_pages(s, spec);
    match pages.into_iter().find(|p| page_path(s, *p) == full) {
        Some(page) => html(world, s, spec, page),
        None if s.layout == Layout::WordPress && req.path == "/" => {
            html(world, s, spec, PageKind::Home)
        }
        None => Reply::not_found(),
    }
}

fn robots(s: &Supplier, spec: &SiteSpec) -> Reply {
    if !spec.robots {
        return Reply::not_found();
    }
    let mut text = String::from(
        "# robots.txt\nUser-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /wp-admin/\nDisallow: /cart/\n",
    );
    if s.profile == Profile::RobotsBlocked {
        let _ = writeln!(text, "Disallow: /{}/", s.cert_slug);
    }
    if s.profile == Profile::SitemapOnly {
        let _ = writeln!(text, "\nSitemap: {}/sitemaps/index.xml", spec.origin);
    } else if spec.sitemap && bits(s, 44, 2) == 0 {
        let _ = writeln!(text, "\nSitemap: {}/sitemap.xml", spec.origin);
    }
    Reply::new(200, "text/plain", text)
}

/// Every page of a site.
fn all_pages(s: &Supplier, spec: &SiteSpec) -> Vec<PageKind> {
    let (products, posts) = page_counts(s);
    let mut pages = vec![
        PageKind::Home,
        PageKind::Products,
        PageKind::About,
        PageKind::Contact,
        PageKind::News,
    ];
    pages.extend((0..products).map(PageKind::Product));
    pages.extend((0..posts).map(PageKind::Post));
    if spec.cert_path.is_some() {
        pages.push(PageKind::Cert);
    }
    pages
}

fn sitemap(s: &Supplier, spec: &SiteSpec, gzip: bool) -> Reply {
    let pages = all_pages(s, spec);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for p in pages {
        let _ = writeln!(
            xml,
            "<url><loc>{}{}</loc><lastmod>2026-10-01</lastmod></url>",
            spec.origin,
            esc(&page_path(s, p))
        );
    }
    xml.push_str("</urlset>\n");
    if gzip {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let body = gz
            .write_all(xml.as_bytes())
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        return Reply::new(200, "application/gzip", body);
    }
    Reply::new(200, "application/xml", xml)
}

fn link(s: &Supplier, spec: &SiteSpec, path: &str) -> String {
    if s.layout == Layout::BaseHref {
        let base = base_folder(s);
        if let Some(rel) = path.strip_prefix(&base) {
            return esc(rel);
        }
    }
    if spec.absolute_links {
        return esc(&format!("{}{path}", spec.origin));
    }
    esc(path)
}

fn title_of(s: &Supplier, page: PageKind) -> String {
    let w = s.lang.words();
    match page {
        PageKind::Home => w.home.into(),
        PageKind::Products => w.products.into(),
        PageKind::Product(n) => format!("{} {}", s.industry.1, n + 1),
        PageKind::About => w.about.into(),
        PageKind::Contact => w.contact.into(),
        PageKind::News => w.news.into(),
        PageKind::Post(n) => format!("{} #{}", w.news, n + 1),
        PageKind::Cert => variety::cert_label(s).into(),
    }
}

fn html(world: &World, s: &Supplier, spec: &SiteSpec, page: PageKind) -> Reply {
    let w = s.lang.words();
    let charset = spec.encoding.name().to_ascii_lowercase();
    let label = variety::cert_label(s);
    // Whether menus, the footer or the About page link the page.
    let menu_link = spec.cert_path.is_some() && variety::linked_in_menus(s);
    let cert_href = spec.cert_path.as_ref().map(|p| link(s, spec, p));
    let cert_link = |text: &str| match &cert_href {
        Some(href) if menu_link => format!(
            "<a href=\"{href}\" title=\"{}\">{}</a>",
            esc(label),
            esc(text)
        ),
        _ => String::new(),
    };
    let cert_nav = |text: &str| match &cert_href {
        Some(href) if menu_link => variety::nav_link(s, href, text, "nav-cert", &esc(label)),
        _ => String::new(),
    };
    let nav_item = |page: PageKind, text: &str, icon: &str| {
        variety::nav_link(s, &link(s, spec, &page_path(s, page)), text, icon, "")
    };
    let mut head = String::new();
    if matches!(spec.declared, Declared::Meta | Declared::Both) {
        if bits(s, 46, 2) == 0 {
            let _ = write!(head, "<meta charset=\"{charset}\">");
        } else {
            let _ = write!(
                head,
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">"
            );
        }
    }
    let title = match page {
        PageKind::Cert => variety::cert_title(s),
        _ => format!("{} - {}", title_of(s, page), s.name),
    };
    let _ = write!(
        head,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>",
        esc(&title)
    );
    if s.layout == Layout::BaseHref {
        let _ = write!(head, "<base href=\"{}\">", base_folder(s));
    }
    if s.layout == Layout::WordPress {
        head.push_str("<meta name=\"generator\" content=\"WordPress 6.6\"><link rel=\"stylesheet\" href=\"/wp-content/themes/astra/style.css\">");
    }
    let mut nav = Vec::new();
    nav.push(format!(
        "<li>{}</li>",
        nav_item(PageKind::Home, w.home, "nav-home")
    ));
    nav.push(format!(
        "<li>{}</li>",
        nav_item(PageKind::Products, w.products, "nav-products")
    ));
    if spec.placement == Placement::Dropdown && menu_link {
        nav.push(format!(
            "<li class=\"menu-item-has-children\">{}<ul class=\"sub-menu\"><li>{}</li></ul></li>",
            nav_item(PageKind::About, w.about, "nav-about"),
            cert_nav(label)
        ));
    } else {
        nav.push(format!(
            "<li>{}</li>",
            nav_item(PageKind::About, w.about, "nav-about")
        ));
    }
    if spec.placement == Placement::Nav && menu_link {
        nav.push(format!("<li>{}</li>", cert_nav(label)));
    }
    nav.push(format!(
        "<li>{}</li>",
        nav_item(PageKind::News, w.news, "nav-news")
    ));
    if s.profile == Profile::CalendarTrap {
        nav.push("<li><a href=\"/calendar/?month=2026-11\">Events</a></li>".into());
    }
    nav.push(format!(
        "<li>{}</li>",
        nav_item(PageKind::Contact, w.contact, "nav-contact")
    ));

    let body = match page {
        PageKind::Home => home(s, spec, cert_href.as_deref()),
        PageKind::Products => {
            let (products, _) = page_counts(s);
            let items: String = (0..products)
                .map(|n| {
                    format!(
                        "<li><a href=\"{}\">{}</a></li>",
                        link(s, spec, &page_path(s, PageKind::Product(n))),
                        esc(&title_of(s, PageKind::Product(n)))
                    )
                })
                .collect();
            format!(
                "<h1>{}</h1><ul class=\"products\">{items}</ul>",
                esc(w.products)
            )
        }
        PageKind::Product(n) => format!(
            "<h1>{}</h1><p>HS {}. MOQ {} units. {}</p><img src=\"/uploads/p{n}.jpg\" alt=\"{}\">",
            esc(&title_of(s, page)),
            s.industry.2,
            500 * (n + 1),
            esc(w.filler),
            esc(s.industry.1)
        ),
        PageKind::About => {
            let extra = if spec.placement == Placement::AboutPage && menu_link {
                format!("<p>{}</p>", cert_link(label))
            } else {
                String::new()
            };
            format!(
                "<h1>{}</h1><p>{}</p><p>{}</p>{extra}",
                esc(w.about),
                esc(&s.name),
                esc(w.filler)
            )
        }
        PageKind::Contact => format!(
            "<h1>{}</h1><p>{}, {}</p><p>Tel: +00 {:04} {:04}</p><p>Email: sales@{}</p>",
            esc(w.contact),
            esc(s.region),
            s.country,
            s.index % 10_000,
            (s.index * 7) % 10_000,
            s.domain
        ),
        PageKind::News => {
            let (_, posts) = page_counts(s);
            let items: String = (0..posts)
                .map(|n| {
                    format!(
                        "<li><a href=\"{}\">{}</a></li>",
                        link(s, spec, &page_path(s, PageKind::Post(n))),
                        esc(&title_of(s, PageKind::Post(n)))
                    )
                })
                .collect();
            format!("<h1>{}</h1><ul>{items}</ul>", esc(w.news))
        }
        PageKind::Post(_) => format!(
            "<article><h1>{}</h1><p>{}</p></article>",
            esc(&title_of(s, page)),
            esc(w.filler)
        ),
        PageKind::Cert => cert_page(world, s, spec),
    };
    let footer_cert = if spec.placement == Placement::Footer && menu_link {
        format!(" | {}", cert_link(label))
    } else {
        String::new()
    };
    let doc = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head>{head}</head>\n<body class=\"{}\"><header><a class=\"logo\" href=\"{}\">{}</a><nav><ul class=\"menu\">{}</ul></nav></header>\n<main>{body}</main>\n<footer><p><a href=\"{}\">{}</a>{footer_cert}</p><p>&copy; 2026 {}</p></footer></body></html>\n",
        w.tag,
        match s.layout {
            Layout::WordPress => "wp-site",
            _ => "site",
        },
        link(s, spec, &page_path(s, PageKind::Home)),
        esc(&s.name),
        nav.join(""),
        link(s, spec, &page_path(s, PageKind::Contact)),
        esc(w.contact),
        esc(&s.name)
    );
    let (bytes, _, _) = spec.encoding.encode(&doc);
    let content_type = match spec.declared {
        Declared::Meta => "text/html".to_owned(),
        _ => format!("text/html; charset={charset}"),
    };
    Reply::new(200, &content_type, bytes.into_owned())
}

fn home(s: &Supplier, spec: &SiteSpec, cert_href: Option<&str>) -> String {
    let w = s.lang.words();
    let (products, _) = page_counts(s);
    let featured: String = (0..products.min(3))
        .map(|n| {
            format!(
                "<div class=\"card\"><a href=\"{}\">{}</a></div>",
                link(s, spec, &page_path(s, PageKind::Product(n))),
                esc(&title_of(s, PageKind::Product(n)))
            )
        })
        .collect();
    let banner = cert_href
        .and_then(|href| variety::banner(s, href))
        .unwrap_or_default();
    format!(
        "<section class=\"hero\"><h1>{}</h1><p>{}</p></section>{banner}<section class=\"featured\">{featured}</section>",
        esc(&s.name),
        esc(w.filler)
    )
}

/// The list of ISO certificates; its thumbnail is the ISO 9001 scan when
/// the supplier shows one (`thumb`: the escaped link to it).
fn iso_list(s: &Supplier, thumb: Option<&str>) -> String {
    let thumb = thumb
        .map(|href| format!("<img src=\"{href}\" alt=\"ISO 9001\" width=\"120\"> "))
        .unwrap_or_default();
    format!(
        "<ul class=\"iso\"><li>{thumb}ISO 9001:2015 &mdash; Certificate No. 12 100 {:05} TMS</li><li>ISO 14001:2015 &mdash; Certificate No. EMS-{:06}</li><li>CE Declaration of Conformity</li></ul>",
        s.index % 100_000,
        (s.index * 31) % 1_000_000
    )
}

/// The link a page writes to a document: relative to the site on its own
/// host, absolute elsewhere.
fn document_href(s: &Supplier, spec: &SiteSpec, doc: &documents::Document) -> String {
    if spec
        .origin
        .ends_with(&format!("//{}:{}", doc.host, origin_port(spec)))
    {
        link(s, spec, &doc.path)
    } else {
        esc(&doc.url)
    }
}

fn origin_port(spec: &SiteSpec) -> &str {
    spec.origin.rsplit(':').next().unwrap_or_default()
}

/// The gallery of certificate scans and PDFs.
fn gallery(s: &Supplier, spec: &SiteSpec, docs: &[documents::Document]) -> String {
    if docs.is_empty() {
        return String::new();
    }
    let items: String = docs
        .iter()
        .map(|d| documents::gallery_item(d, &document_href(s, spec, d)))
        .collect();
    format!("<ul class=\"cert-gallery\">{items}</ul>")
}

fn cert_page(world: &World, s: &Supplier, spec: &SiteSpec) -> String {
    let w = s.lang.words();
    let docs = documents::plan(world, s, spec);
    let mut out = format!("{}<p>{}</p>", variety::cert_heading(s), esc(w.filler));
    if s.profile != Profile::PortalOnly || bits(s, 48, 2) == 0 {
        let thumb = docs
            .iter()
            .find(|d| {
                d.kind == documents::DocKind::Iso9001 && d.format != documents::DocFormat::Pdf
            })
            .map(|d| document_href(s, spec, d));
        out.push_str(&iso_list(s, thumb.as_deref()));
    }
    out.push_str(&gallery(s, spec, &docs));
    if !s.certificates.is_empty() {
        let _ = write!(
            out,
            "<h2>{}</h2><table class=\"eco\"><tr><th>{}</th><th>Date</th><th></th></tr>",
            esc(w.verify_heading),
            esc(w.number_label)
        );
        for cert in &s.certificates {
            let path = spec
                .credentials
                .iter()
                .find(|(p, _)| *p == cert.position)
                .map(|(_, p)| p.clone());
            let verification = spec
                .tradetrust_links
                .iter()
                .find(|(p, _)| *p == cert.position)
                .map(|(_, url)| url);
            let download = match (path, verification) {
                (_, Some(url)) => format!(
                    "<a href=\"{}\" target=\"_blank\">Verify on TradeTrust</a>",
                    esc(url)
                ),
                (Some(p), None) if cert.kind.is_tradetrust() => format!(
                    "<a href=\"{}\" download>{} (TradeTrust)</a>",
                    link(s, spec, &p),
                    esc(w.certificate_of_origin)
                ),
                (Some(p), None) => {
                    let typed = if spec.typed_links {
                        " type=\"application/vc\""
                    } else {
                        ""
                    };
                    format!(
                        "<a href=\"{}\"{typed}>{} (e-CO)</a>",
                        link(s, spec, &p),
                        esc(w.certificate_of_origin)
                    )
                }
                (None, None) => String::new(),
            };
            let _ = write!(
                out,
                "<tr><td>{} {}</td><td>2026</td><td>{download}</td></tr>",
                esc(w.certificate_of_origin),
                esc(&cert.number)
            );
        }
        out.push_str("</table>");
        if let Some(url) = &spec.ssrf_credential {
            let _ = write!(out, "<p><a href=\"{}\">archive.json</a></p>", esc(url));
        }
    }
    if let Some(portal) = &spec.portal {
        let number = s
            .certificates
            .first()
            .map(|c| c.number.clone())
            .unwrap_or_default();
        let _ = write!(
            out,
            "<p><a href=\"https://{portal}/verify?no={}\">{} &rarr; {portal}</a></p>",
            esc(&number),
            esc(w.verify_heading)
        );
    }
    if let Some(form) = &spec.form {
        let label_id = format!("f-{}", form.field);
        let placeholder = if bits(s, 50, 2) == 0 {
            format!(" placeholder=\"{}\"", esc(w.number_label))
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<form method=\"{}\" action=\"{}\" class=\"eco-verify\"><label for=\"{label_id}\">{}</label><input type=\"text\" id=\"{label_id}\" name=\"{}\"{placeholder}><input type=\"hidden\" name=\"token\" value=\"{}\"><input type=\"hidden\" name=\"lang\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            form.method.to_ascii_lowercase(),
            esc(&form.action),
            esc(w.number_label),
            form.field,
            form.token,
            w.tag,
            esc(w.verify_button)
        );
    }
    if let Some((path, false)) = &spec.openapi {
        let _ = write!(
            out,
            "<p><a href=\"{}\">API (OpenAPI)</a></p>",
            link(s, spec, path)
        );
    }
    let mut out2 = String::new();
    if let Some((path, true)) = &spec.openapi {
        let _ = write!(
            out2,
            "<link rel=\"service-desc\" type=\"application/openapi+json\" href=\"{}\">",
            link(s, spec, path)
        );
    }
    if let Some(api) = &spec.api {
        let _ = write!(
            out2,
            "<script type=\"application/ld+json\">{}</script>",
            jsonld(s, spec, api)
        );
    }
    out2 + &out
}

fn jsonld(s: &Supplier, spec: &SiteSpec, api: &crate::spec::ApiSpec) -> String {
    // Some sites write root-relative URLs in their JSON-LD.
    let relative = bits(s, 54, 3) == 0;
    let template = match api.template.strip_prefix(&spec.origin) {
        Some(path) if relative => path.to_owned(),
        _ => api.template.clone(),
    };
    let action = || {
        let target = if spec.entry_point {
            json!({"@type": "EntryPoint", "urlTemplate": template, "httpMethod": "GET", "contentType": "application/json"})
        } else {
            Value::from(template.clone())
        };
        json!({"@type": "CheckAction", "name": "Verify e-CO", "target": target})
    };
    let certifications: Vec<Value> = s
        .certificates
        .iter()
        .map(|c| {
            let url = spec
                .credentials
                .iter()
                .find(|(p, _)| *p == c.position)
                .map(|(_, p)| if relative { p.clone() } else { format!("{}{p}", spec.origin) });
            let mut cert = json!({
                "@type": "Certification",
                "name": "RCEP Certificate of Origin",
                "certificationIdentification": c.number,
                "issuedBy": {"@type": "Organization", "name": "Issuing authority"},
                "certificationStatus": if c.kind == CertKind::Expired { "CertificationInactive" } else { "CertificationActive" },
            });
            if let Some(url) = url {
                cert["url"] = Value::from(url);
            }
            if spec.action_on_certification {
                cert["potentialAction"] = action();
            }
            cert
        })
        .collect();
    let mut org = json!({
        "@type": "Organization",
        "name": s.name,
        "url": format!("{}/", spec.origin),
        "hasCertification": certifications,
    });
    if !spec.action_on_certification {
        org["potentialAction"] = action();
    }
    let site = json!({"@type": "WebSite", "name": s.name, "url": format!("{}/", spec.origin)});
    let doc = match spec.jsonld {
        JsonLdShape::Object => {
            org["@context"] = Value::from("https://schema.org");
            org
        }
        JsonLdShape::Array => {
            org["@context"] = Value::from("https://schema.org");
            let mut site = site;
            site["@context"] = Value::from("https://schema.org");
            json!([site, org])
        }
        JsonLdShape::Graph => json!({"@context": "https://schema.org", "@graph": [site, org]}),
    };
    // Keep "</script>" out of the script element.
    doc.to_string().replace("</", "<\\/")
}

fn openapi(s: &Supplier, spec: &SiteSpec) -> Reply {
    let Some(api) = &spec.api else {
        return Reply::not_found();
    };
    let (path, parameter) = match api.param {
        Some(param) => (
            api.path.clone(),
            json!({"name": param, "in": "query", "required": true, "schema": {"type": "string"}}),
        ),
        None => (
            format!("{}{{number}}", api.path),
            json!({"name": "number", "in": "path", "required": true, "schema": {"type": "string"}}),
        ),
    };
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": format!("{} e-CO verification", s.name), "version": "1.0"},
        "servers": [{"url": spec.origin}],
        "paths": {path: {"get": {
            "summary": "Verify a certificate of origin",
            "parameters": [parameter],
            "responses": {"200": {"description": "The certificate's status"}, "404": {"description": "Unknown number"}}
        }}}
    });
    Reply::json(200, &doc)
}

/// The supplier endpoint's view of a number: the certificate it knows, or
/// for a liar any well-formed number.
fn lookup<'a>(s: &'a Supplier, number: &str) -> Option<&'a crate::world::SimCertificate> {
    s.certificates.iter().find(|c| c.number == number)
}

fn looks_like_number(number: &str) -> bool {
    (6..=40).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
}

fn api(world: &World, s: &Supplier, spec: &SiteSpec, req: &SiteRequest<'_>) -> Option<Reply> {
    let api = spec.api.as_ref().filter(|a| !a.ssrf)?;
    let number = match api.param {
        Some(param) if req.path == api.path => {
            match req.query.and_then(|q| query_param(q, param)) {
                Some(n) => n,
                None => {
                    return Some(Reply::json(
                        400,
                        &json!({"error": format!("missing query parameter {param}")}),
                    ));
                }
            }
        }
        None => {
            let rest = req.path.strip_prefix(&api.path)?;
            percent_encoding::percent_decode_str(rest)
                .decode_utf8()
                .ok()?
                .into_owned()
        }
        _ => return None,
    };
    if number.is_empty() || number.len() > 64 {
        return Some(Reply::json(
            400,
            &json!({"error": "bad certificate number"}),
        ));
    }
    let answer = match s.profile {
        Profile::EndpointDown => {
            return Some(Reply::new(
                503,
                "text/html",
                "<h1>503 Service Unavailable</h1>",
            ));
        }
        Profile::EndpointLiar if lookup(s, &number).is_none() && looks_like_number(&number) => {
            json!({
                "certificateNumber": number, "status": "valid", "exporter": s.name, "importingCountry": "VN",
                "digest": "0".repeat(64), "credential": null, "singleWindowReference": null,
            })
        }
        _ => match lookup(s, &number) {
            Some(cert) => {
                let digest = world
                    .served_credential(s, cert)
                    .ok()
                    .and_then(|c| eco::credential::digest(&c).ok())
                    .map(hex::encode)
                    .unwrap_or_default();
                let url = spec
                    .credentials
                    .iter()
                    .find(|(p, _)| *p == cert.position)
                    .map(|(_, p)| format!("{}{p}", spec.origin));
                json!({
                    "certificateNumber": number, "status": cert.kind.claimed_status(), "exporter": s.name,
                    "importingCountry": "VN", "digest": digest, "credential": url,
                    "singleWindowReference": format!("ASW-{}", cert.number),
                })
            }
            None if bits(s, 52, 2) == 0 => {
                return Some(Reply::json(
                    404,
                    &json!({"certificateNumber": number, "status": "not_found"}),
                ));
            }
            None => json!({"certificateNumber": number, "status": "not_found"}),
        },
    };
    let reply = Reply::json(200, &answer);
    if s.profile == Profile::EndpointSlow {
        return Some(Reply::Delayed(world.config().slow_answer, Box::new(reply)));
    }
    Some(reply)
}

fn form_answer(s: &Supplier, spec: &SiteSpec, req: &SiteRequest<'_>) -> Option<Reply> {
    let form = spec.form.as_ref().filter(|f| !f.ssrf)?;
    if req.path != form.path {
        return None;
    }
    let fields = if req.method.eq_ignore_ascii_case("POST") {
        String::from_utf8_lossy(req.body).into_owned()
    } else {
        req.query.unwrap_or_default().to_owned()
    };
    if !req.method.eq_ignore_ascii_case(form.method) {
        return Some(Reply::new(405, "text/plain", "method not allowed"));
    }
    if query_param(&fields, "token").as_deref() != Some(form.token.as_str()) {
        return Some(Reply::new(
            400,
            "text/html; charset=utf-8",
            "<p>Invalid request (token)</p>",
        ));
    }
    let Some(number) = query_param(&fields, form.field).filter(|n| !n.is_empty()) else {
        return Some(Reply::new(
            400,
            "text/html; charset=utf-8",
            "<p>Missing certificate number</p>",
        ));
    };
    let w = s.lang.words();
    let status = match lookup(s, &number) {
        Some(cert) if cert.kind.claimed_status() == "expired" => w.status[2],
        Some(_) => w.status[0],
        None => w.status[3],
    };
    let doc = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"{}\"><title>{}</title></head><body><div class=\"result\"><p>{}: <b>{}</b></p><p class=\"status\">{}</p></div></body></html>",
        w.tag,
        spec.encoding.name().to_ascii_lowercase(),
        esc(w.verify_heading),
        esc(w.number_label),
        esc(&number),
        esc(status)
    );
    let (bytes, _, _) = spec.encoding.encode(&doc);
    Some(Reply::new(
        200,
        &format!(
            "text/html; charset={}",
            spec.encoding.name().to_ascii_lowercase()
        ),
        bytes.into_owned(),
    ))
}

fn calendar(s: &Supplier, spec: &SiteSpec, query: &str) -> Reply {
    let month = query_param(query, "month").unwrap_or_else(|| "2026-11".into());
    let Some((y, m)) = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
    else {
        return Reply::new(400, "text/plain", "bad month");
    };
    if !(1..=12).contains(&m) {
        return Reply::new(400, "text/plain", "bad month");
    }
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let days: String = (1..=28)
        .map(|d| format!("<a href=\"/calendar/?month={y}-{m:02}&amp;day={d}\">{d}</a> "))
        .collect();
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Events {y}-{m:02}</title></head><body><h1>{}</h1><a href=\"/calendar/?month={py}-{pm:02}\">&laquo;</a> <a href=\"/calendar/?month={ny}-{nm:02}\">&raquo;</a><div>{days}</div><a href=\"{}/\">Home</a></body></html>",
        esc(&s.name),
        spec.origin
    );
    Reply::new(200, "text/html; charset=utf-8", body)
}
