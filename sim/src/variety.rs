//! How a supplier's Certifications page is named, headed and linked, as
//! real company sites do it: the page's name under a slogan or a phone
//! number, generic titles, image navigation, banner-only links, pinyin
//! slugs and "References & Certificates". Each supplier's variant is drawn
//! from its [`Supplier::look`] bits, so pages and truth always agree.

use crate::lang::Lang;
use crate::profile::Profile;
use crate::site::esc;
use crate::world::{Layout, Supplier};

/// How the Certifications page is named, headed and linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageVariant {
    /// The page's name in its `h1` and `<title>`, linked by text.
    Plain,
    /// An `h1` with the company slogan; the page's name in an `h2`.
    SloganHeading,
    /// An `h1` with the phone number; the page's name in an `h3`; a
    /// generic `<title>` ("About Us - <Company>").
    PhoneHeading,
    /// Navigation items are images with `alt` text; the page's name in an
    /// `h2` under a slogan, with a generic `<title>`.
    ImageNav,
    /// Linked only by a banner image on the home page (empty `alt`); the
    /// page's name in an `h2` under a slogan.
    BannerOnly,
    /// Linked as "References & Certificates" (English sites); the page
    /// titled "<Company> - Official Website" with an `h1` "References".
    References,
    /// A Chinese honour page: slug of pinyin initials (`ryzz`, `zzry`)
    /// ending in `.htm`, named 荣誉资质 or 资质荣誉 in an `h3` under a slogan.
    HonourPinyin,
}

impl PageVariant {
    /// Every variant.
    pub const ALL: [PageVariant; 7] = [
        PageVariant::Plain,
        PageVariant::SloganHeading,
        PageVariant::PhoneHeading,
        PageVariant::ImageNav,
        PageVariant::BannerOnly,
        PageVariant::References,
        PageVariant::HonourPinyin,
    ];

    /// The snake_case name used in `truth.jsonl`.
    pub fn name(self) -> &'static str {
        match self {
            PageVariant::Plain => "plain",
            PageVariant::SloganHeading => "slogan_heading",
            PageVariant::PhoneHeading => "phone_heading",
            PageVariant::ImageNav => "image_nav",
            PageVariant::BannerOnly => "banner_only",
            PageVariant::References => "references",
            PageVariant::HonourPinyin => "honour_pinyin",
        }
    }

    /// Relative frequency among the variants a supplier may have (the
    /// sim's original markup keeps a large share).
    fn weight(self) -> u64 {
        match self {
            PageVariant::Plain => 4,
            PageVariant::HonourPinyin => 3,
            _ => 1,
        }
    }

    /// Whether supplier `s` may use this variant: pinyin pages are Chinese
    /// and not WordPress, "References" is English, link variants need a
    /// linked page, and a robots-blocked page keeps its folder.
    fn fits(self, s: &Supplier) -> bool {
        match self {
            PageVariant::HonourPinyin => {
                s.lang == Lang::Zh
                    && s.layout != Layout::WordPress
                    && s.profile != Profile::RobotsBlocked
            }
            PageVariant::References => s.lang == Lang::En && s.profile != Profile::SitemapOnly,
            PageVariant::ImageNav | PageVariant::BannerOnly => s.profile != Profile::SitemapOnly,
            _ => true,
        }
    }
}

/// The variant of supplier `s`'s Certifications page.
pub fn page_variant(s: &Supplier) -> PageVariant {
    let fitting: Vec<PageVariant> = PageVariant::ALL.into_iter().filter(|v| v.fits(s)).collect();
    let total: u64 = fitting.iter().map(|v| v.weight()).sum();
    let mut roll = s.look % total.max(1);
    for v in fitting {
        if roll < v.weight() {
            return v;
        }
        roll -= v.weight();
    }
    PageVariant::Plain
}

/// Bits of `s.look` above the variant choice, for smaller choices.
fn look_bits(s: &Supplier, shift: u32, modulo: u64) -> u64 {
    (s.look >> shift) % modulo
}

/// The slug of the Certifications page.
pub fn cert_slug(s: &Supplier) -> &'static str {
    match page_variant(s) {
        PageVariant::HonourPinyin => ["ryzz", "zzry"][look_bits(s, 16, 2) as usize],
        _ => s.cert_slug,
    }
}

/// The path of a pinyin honour page, or None for other variants.
pub fn pinyin_path(s: &Supplier, base: &str) -> Option<String> {
    if page_variant(s) != PageVariant::HonourPinyin {
        return None;
    }
    let slug = cert_slug(s);
    Some(match s.layout {
        Layout::BaseHref => format!("{base}{slug}.htm"),
        Layout::Dede => format!("/a/{slug}.htm"),
        _ => format!("/{slug}.htm"),
    })
}

/// The page's name as its links write it.
pub fn cert_label(s: &Supplier) -> &'static str {
    match page_variant(s) {
        PageVariant::References => "References & Certificates",
        PageVariant::HonourPinyin if cert_slug(s) == "ryzz" => "荣誉资质",
        PageVariant::HonourPinyin => "资质荣誉",
        _ => s.cert_label,
    }
}

/// The `<title>` of the Certifications page.
pub fn cert_title(s: &Supplier) -> String {
    match page_variant(s) {
        PageVariant::PhoneHeading | PageVariant::ImageNav => {
            format!("{} - {}", s.lang.words().about, s.name)
        }
        PageVariant::References => format!("{} - Official Website", s.name),
        _ => format!("{} - {}", cert_label(s), s.name),
    }
}

/// A company slogan in the site's language.
pub fn slogan(s: &Supplier) -> &'static str {
    let options: &[&str] = match s.lang {
        Lang::En => &[
            "Quality First, Customers Foremost",
            "Your Reliable Partner Since 2005",
        ],
        Lang::Zh => &["质量第一 客户至上", "诚信经营 品质保证"],
        Lang::Vi => &["Chất lượng tạo nên thương hiệu", "Uy tín - Chất lượng"],
        Lang::Th => &["คุณภาพคือหัวใจของเรา"],
        Lang::Ms => &["Kualiti Terjamin Sejak 2005"],
        Lang::Id => &["Kualitas Terbaik untuk Anda", "Mitra Terpercaya Anda"],
        Lang::Ja => &["品質第一・顧客満足"],
        Lang::Ko => &["품질 제일, 고객 만족"],
    };
    options[look_bits(s, 18, options.len() as u64) as usize]
}

/// The phone number a site shows in its header.
pub fn phone(s: &Supplier) -> String {
    format!(
        "Tel: +00 {:04} {:04}",
        s.index % 10_000,
        (s.index * 7) % 10_000
    )
}

/// The heading block of the Certifications page.
pub fn cert_heading(s: &Supplier) -> String {
    let label = esc(cert_label(s));
    match page_variant(s) {
        PageVariant::Plain => format!("<h1>{label}</h1>"),
        PageVariant::SloganHeading | PageVariant::ImageNav | PageVariant::BannerOnly => format!(
            "<h1 class=\"slogan\">{}</h1><div class=\"crumbs\"><h2>{label}</h2></div>",
            esc(slogan(s))
        ),
        PageVariant::PhoneHeading => format!(
            "<h1 class=\"top-phone\">{}</h1><section class=\"inner\"><h3 class=\"title\">{label}</h3></section>",
            esc(&phone(s))
        ),
        PageVariant::References => {
            format!("<h1>References</h1><p class=\"lead\">{label}</p>")
        }
        PageVariant::HonourPinyin => format!(
            "<h1 class=\"slogan\">{}</h1><div class=\"ny-title\"><h3>{label}</h3><span>HONOR</span></div>",
            esc(slogan(s))
        ),
    }
}

/// Whether the site links the Certifications page from its menus, footer
/// or About page (not when a banner is its only link).
pub fn linked_in_menus(s: &Supplier) -> bool {
    page_variant(s) != PageVariant::BannerOnly
}

/// Whether navigation items are images.
pub fn image_nav(s: &Supplier) -> bool {
    page_variant(s) == PageVariant::ImageNav
}

/// A link whose content is `text`, or an image with `text` as `alt` on
/// image-navigation sites; `icon` names the image (`nav-cert` gives
/// `/img/nav-cert.png`). `href` and `title` are already escaped.
pub fn nav_link(s: &Supplier, href: &str, text: &str, icon: &str, title: &str) -> String {
    let title = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{title}\"")
    };
    if image_nav(s) {
        format!(
            "<a href=\"{href}\"{title}><img src=\"/img/{icon}.png\" alt=\"{}\"></a>",
            esc(text)
        )
    } else {
        format!("<a href=\"{href}\"{title}>{}</a>", esc(text))
    }
}

/// The home page banner that links the Certifications page, if this
/// supplier has one. `href` is already escaped.
pub fn banner(s: &Supplier, href: &str) -> Option<String> {
    (page_variant(s) == PageVariant::BannerOnly).then(|| {
        format!(
            "<div class=\"banner\"><a href=\"{href}\"><img src=\"/img/banner-{}.jpg\" alt=\"\" width=\"1200\" height=\"300\"></a></div>",
            look_bits(s, 20, 3) + 1
        )
    })
}
