//! What one supplier's site looks like: every choice of markup, path and
//! entry, decided once from the supplier's variant bits, so that the pages
//! and the ground truth always agree.

use encoding_rs::{EUC_KR, Encoding, GBK, SHIFT_JIS, UTF_8, WINDOWS_874};

use crate::lang::Lang;
use crate::profile::{self, CertKind, HostileKind, Profile};
use crate::world::{Layout, Supplier};

/// Where the link to the certifications page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In the main navigation.
    Nav,
    /// In a drop-down under "About".
    Dropdown,
    /// Only in the footer.
    Footer,
    /// Only on the About page.
    AboutPage,
    /// Nowhere but in a sitemap named in robots.txt.
    SitemapOnly,
}

/// The supplier's JSON verification API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSpec {
    /// The `urlTemplate`, with `{certificationIdentification}`.
    pub template: String,
    /// Path of the endpoint on the supplier's host (query style), or the
    /// path prefix before the number (path style).
    pub path: String,
    /// The query parameter, for query-style templates.
    pub param: Option<&'static str>,
    /// Whether the template points at a loopback address.
    pub ssrf: bool,
}

/// The supplier's verification form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSpec {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The `action` as written in the page.
    pub action: String,
    /// The action's path on the supplier's host.
    pub path: String,
    /// The number field's name.
    pub field: &'static str,
    /// The hidden token the endpoint requires.
    pub token: String,
    /// Whether the action points at a loopback address.
    pub ssrf: bool,
}

/// Which shape the JSON-LD takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLdShape {
    /// One object.
    Object,
    /// An array of objects.
    Array,
    /// An `@graph`.
    Graph,
}

/// How the charset is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// Only in the `Content-Type` header.
    Header,
    /// Only in a `<meta>`.
    Meta,
    /// In both.
    Both,
}

/// Everything decided about one site.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// `http://[www.]domain:port`.
    pub origin: String,
    /// Path (and query) of the certifications page, if the site has one.
    pub cert_path: Option<String>,
    /// Where its link is.
    pub placement: Placement,
    /// The JSON API.
    pub api: Option<ApiSpec>,
    /// The HTML form.
    pub form: Option<FormSpec>,
    /// Path of the OpenAPI description, and whether it is linked with
    /// `<link rel="service-desc">` (else an anchor).
    pub openapi: Option<(String, bool)>,
    /// (certificate position, path) of each credential link (for
    /// TradeTrust certificates, their `.tt` or `.json` documents).
    pub credentials: Vec<(usize, String)>,
    /// (certificate position, absolute URL) of each TradeTrust
    /// verification link to an encrypted certificate.
    pub tradetrust_links: Vec<(usize, String)>,
    /// Whether credential links carry `type="application/vc"`.
    pub typed_links: bool,
    /// A credential link on a loopback address.
    pub ssrf_credential: Option<String>,
    /// An official portal link.
    pub portal: Option<String>,
    /// JSON-LD shape.
    pub jsonld: JsonLdShape,
    /// Whether `CheckAction` sits on each `Certification` (else on the Organization).
    pub action_on_certification: bool,
    /// Whether the action's `target` is an `EntryPoint` (else a plain URL).
    pub entry_point: bool,
    /// The page encoding.
    pub encoding: &'static Encoding,
    /// Where the charset is declared.
    pub declared: Declared,
    /// Whether `/sitemap.xml` exists.
    pub sitemap: bool,
    /// Whether robots.txt exists.
    pub robots: bool,
    /// Whether links are written as absolute URLs.
    pub absolute_links: bool,
}

/// `modulo` choices from the supplier's variant bits starting at `shift`.
pub fn bits(s: &Supplier, shift: u32, modulo: u64) -> u64 {
    (s.variant >> shift) % modulo
}

impl SiteSpec {
    /// Decides the site of `s`, served on `port`.
    pub fn new(s: &Supplier, port: u16, portal_host: Option<&str>) -> SiteSpec {
        let host = if s.www {
            format!("www.{}", s.domain)
        } else {
            s.domain.clone()
        };
        let origin = format!("http://{host}:{port}");
        let p = s.profile;
        let hostile = matches!(p, Profile::Hostile(_));
        let has_page = !matches!(p, Profile::NoCertPage) && !hostile;
        let cert_path = has_page.then(|| page_path(s, PageKind::Cert));
        let placement = match (p, bits(s, 0, 10)) {
            (Profile::SitemapOnly, _) => Placement::SitemapOnly,
            (_, 0..=4) => Placement::Nav,
            (_, 5..=6) => Placement::Dropdown,
            (_, 7..=8) => Placement::Footer,
            _ => Placement::AboutPage,
        };
        let ssrf_kind = bits(s, 4, 3);
        let loopback = ["127.0.0.1", "localhost", "[::1]"][bits(s, 6, 3) as usize];
        let api = (p.has_api() && !(p == Profile::SsrfProbe && ssrf_kind == 1)).then(|| {
            if p == Profile::SsrfProbe && ssrf_kind == 0 {
                let path = "/internal/eco/verify".to_owned();
                return ApiSpec {
                    template: format!(
                        "http://{loopback}:{port}{path}?no={{certificationIdentification}}"
                    ),
                    path,
                    param: Some("no"),
                    ssrf: true,
                };
            }
            let path_style = match p {
                Profile::ReadyApiQuery => false,
                Profile::ReadyApiPath => true,
                _ => bits(s, 8, 2) == 1,
            };
            if path_style {
                let path =
                    ["/api/v1/certificates/", "/eco/check/"][bits(s, 9, 2) as usize].to_owned();
                ApiSpec {
                    template: format!("{origin}{path}{{certificationIdentification}}"),
                    path,
                    param: None,
                    ssrf: false,
                }
            } else {
                let (path, param) = if s.layout == Layout::WordPress {
                    ("/wp-json/eco/v1/verify", "number")
                } else {
                    [("/api/eco/verify", "no"), ("/api/co-check", "certificate")]
                        [bits(s, 9, 2) as usize]
                };
                ApiSpec {
                    template: format!("{origin}{path}?{param}={{certificationIdentification}}"),
                    path: path.to_owned(),
                    param: Some(param),
                    ssrf: false,
                }
            }
        });
        let form = (p.has_form() || (p == Profile::SsrfProbe && ssrf_kind == 1)).then(|| {
            let method = match p {
                Profile::ReadyFormGet => "GET",
                Profile::ReadyFormPost => "POST",
                _ => ["GET", "POST"][bits(s, 10, 2) as usize],
            };
            let path = match s.lang {
                Lang::Vi => "/tra-cuu-co",
                Lang::Zh => "/plus/eco_check.php",
                _ => ["/eco/verify", "/check-certificate", "/verify.php"][bits(s, 11, 3) as usize],
            }
            .to_owned();
            let field =
                ["cert_no", "certificate_number", "co_no", "keyword", "q"][bits(s, 13, 5) as usize];
            let ssrf = p == Profile::SsrfProbe;
            let action = if ssrf {
                format!("http://{loopback}:{port}/admin/verify")
            } else if bits(s, 16, 2) == 0 {
                format!("{origin}{path}")
            } else {
                path.clone()
            };
            FormSpec {
                method,
                action,
                path,
                field,
                token: format!("t{:06}", s.variant % 1_000_000),
                ssrf,
            }
        });
        let openapi = match p {
            Profile::ReadyApiQuery | Profile::ReadyApiPath => Some(bits(s, 17, 2) == 0),
            _ if api.as_ref().is_some_and(|a| !a.ssrf) && bits(s, 18, 3) == 0 => Some(true),
            _ => None,
        }
        .map(|service_desc| {
            (
                ["/openapi.json", "/api/openapi.json"][bits(s, 19, 2) as usize].to_owned(),
                service_desc,
            )
        });
        let style = bits(s, 20, 4);
        let tradetrust = p.certificate_kind().is_some_and(CertKind::is_tradetrust);
        let credentials: Vec<(usize, String)> =
            if p == Profile::PortalOnly || p == Profile::TradeTrustLink {
                Vec::new()
            } else if tradetrust {
                s.certificates
                    .iter()
                    .map(|c| (c.position, crate::tradetrust::document_path(s, c)))
                    .collect()
            } else {
                s.certificates
                    .iter()
                    .map(|c| {
                        let n = &c.number;
                        let path = match style {
                            0 => format!("/files/eco/{n}.json"),
                            1 => format!("/download/{n}.jsonld"),
                            2 => format!("/co/{n}.vc"),
                            _ => format!("/certificate/{n}"),
                        };
                        (c.position, path)
                    })
                    .collect()
            };
        let tradetrust_links: Vec<(usize, String)> = if p == Profile::TradeTrustLink {
            s.certificates
                .iter()
                .map(|c| {
                    (
                        c.position,
                        crate::tradetrust::verification_link(s, &origin, c),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let ssrf_credential = (p == Profile::SsrfProbe && ssrf_kind == 2)
            .then(|| format!("http://{loopback}:{port}/files/eco/internal.json"));
        let portal = match p {
            Profile::PortalOnly => portal_host.map(str::to_owned),
            _ if p.certificate_kind().is_some() && bits(s, 22, 5) == 0 => {
                portal_host.map(str::to_owned)
            }
            _ => None,
        };
        let (encoding, declared) = match (p, s.lang, bits(s, 23, 4)) {
            (Profile::ReadyGbk, _, _) => (GBK, Declared::Meta),
            (_, Lang::Zh, 0) => (GBK, Declared::Both),
            (_, Lang::Ja, 0) => (SHIFT_JIS, Declared::Header),
            (_, Lang::Ko, 0) => (EUC_KR, Declared::Meta),
            (_, Lang::Th, 0) => (WINDOWS_874, Declared::Both),
            (_, _, 1) => (UTF_8, Declared::Meta),
            (_, _, 2) => (UTF_8, Declared::Header),
            _ => (UTF_8, Declared::Both),
        };
        SiteSpec {
            origin,
            cert_path,
            placement,
            api,
            form,
            openapi,
            credentials,
            tradetrust_links,
            // TradeTrust documents are not typed as credentials.
            typed_links: !tradetrust && (style == 3 || bits(s, 25, 2) == 0),
            ssrf_credential,
            portal,
            jsonld: [JsonLdShape::Object, JsonLdShape::Array, JsonLdShape::Graph]
                [bits(s, 27, 3) as usize],
            action_on_certification: bits(s, 29, 2) == 0,
            entry_point: bits(s, 30, 3) != 0,
            encoding,
            declared,
            sitemap: p != Profile::SitemapOnly && bits(s, 32, 4) != 0,
            robots: matches!(p, Profile::SitemapOnly | Profile::RobotsBlocked)
                || bits(s, 34, 5) != 0,
            absolute_links: bits(s, 36, 4) == 0,
        }
    }

    /// The entry kinds a correct crawler must find, sorted.
    pub fn entry_kinds(&self, profile: Profile) -> Vec<&'static str> {
        if self.cert_path.is_none() || profile == Profile::RobotsBlocked {
            return Vec::new();
        }
        let mut kinds = Vec::new();
        if self.api.is_some() {
            kinds.push(profile::API);
        }
        if !self.credentials.is_empty()
            || !self.tradetrust_links.is_empty()
            || self.ssrf_credential.is_some()
        {
            kinds.push(profile::CREDENTIAL_LINK);
        }
        if self.form.is_some() {
            kinds.push(profile::FORM);
        }
        if self.openapi.is_some() {
            kinds.push(profile::OPENAPI);
        }
        if self.portal.is_some() {
            kinds.push(profile::PORTAL_LINK);
        }
        kinds.sort_unstable();
        kinds
    }

    /// The URLs a correct crawler must never request.
    pub fn must_not_request(&self, profile: Profile) -> Vec<String> {
        let mut urls = Vec::new();
        if profile == Profile::RobotsBlocked
            && let Some(path) = &self.cert_path
        {
            urls.push(format!("{}{path}", self.origin));
        }
        if let Some(api) = self.api.as_ref().filter(|a| a.ssrf) {
            urls.push(api.template.clone());
        }
        if let Some(form) = self.form.as_ref().filter(|f| f.ssrf) {
            urls.push(form.action.clone());
        }
        urls.extend(self.ssrf_credential.clone());
        urls
    }
}

/// The pages every site has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// The home page.
    Home,
    /// The product list.
    Products,
    /// Product `n`.
    Product(usize),
    /// About us.
    About,
    /// Contact.
    Contact,
    /// News list.
    News,
    /// News post `n`.
    Post(usize),
    /// The certifications page.
    Cert,
}

/// The base folder of a `<base href>` site.
pub fn base_folder(s: &Supplier) -> String {
    format!("/{}/", s.lang.words().tag.to_ascii_lowercase())
}

/// The path (and query) of a page.
pub fn page_path(s: &Supplier, page: PageKind) -> String {
    if page == PageKind::Cert
        && let Some(path) = crate::variety::pinyin_path(s, &base_folder(s))
    {
        return path;
    }
    let slug = s.cert_slug;
    match s.layout {
        Layout::Static => match page {
            PageKind::Home => "/index.html".into(),
            PageKind::Products => "/products.html".into(),
            PageKind::Product(n) => format!("/products/item-{n}.html"),
            PageKind::About => "/about.html".into(),
            PageKind::Contact => "/contact.html".into(),
            PageKind::News => "/news.html".into(),
            PageKind::Post(n) => format!("/news/{n}.html"),
            PageKind::Cert => format!("/{slug}.html"),
        },
        Layout::WordPress => match page {
            PageKind::Home => "/".into(),
            PageKind::Products => "/?page_id=2".into(),
            PageKind::Product(n) => format!("/?p={}", 100 + n),
            PageKind::About => "/?page_id=3".into(),
            PageKind::Contact => "/?page_id=4".into(),
            PageKind::News => "/?page_id=5".into(),
            PageKind::Post(n) => format!("/?p={}", 200 + n),
            PageKind::Cert => "/?page_id=17".into(),
        },
        Layout::Pretty => match page {
            PageKind::Home => "/".into(),
            PageKind::Products => "/products/".into(),
            PageKind::Product(n) => format!("/products/{n}/"),
            PageKind::About => "/about-us/".into(),
            PageKind::Contact => "/contact/".into(),
            PageKind::News => "/news/".into(),
            PageKind::Post(n) => format!("/news/{n}/"),
            PageKind::Cert => format!("/{slug}/"),
        },
        Layout::BaseHref => {
            let base = base_folder(s);
            match page {
                PageKind::Home => format!("{base}index.html"),
                PageKind::Products => format!("{base}products.html"),
                PageKind::Product(n) => format!("{base}products/item-{n}.html"),
                PageKind::About => format!("{base}about.html"),
                PageKind::Contact => format!("{base}contact.html"),
                PageKind::News => format!("{base}news.html"),
                PageKind::Post(n) => format!("{base}news/{n}.html"),
                PageKind::Cert => format!("{base}{slug}.html"),
            }
        }
        Layout::Dede => match page {
            PageKind::Home => "/".into(),
            PageKind::Products => "/a/chanpin/".into(),
            PageKind::Product(n) => format!("/a/chanpin/{n}.html"),
            PageKind::About => "/a/about/".into(),
            PageKind::Contact => "/a/contact/".into(),
            PageKind::News => "/a/news/".into(),
            PageKind::Post(n) => format!("/plus/view.php?aid={}", 10 + n),
            PageKind::Cert => format!("/a/{slug}/"),
        },
    }
}

/// Number of products and news posts a site has.
pub fn page_counts(s: &Supplier) -> (usize, usize) {
    (3 + bits(s, 40, 4) as usize, 2 + bits(s, 42, 3) as usize)
}

/// Whether a hostile kind is set for the supplier.
pub fn hostile(s: &Supplier) -> Option<HostileKind> {
    match s.profile {
        Profile::Hostile(kind) => Some(kind),
        _ => None,
    }
}
