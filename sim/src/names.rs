//! Countries, regions and company names of the simulated exporters.

use rand::RngExt as _;
use rand::seq::IndexedRandom as _;
use rand_chacha::ChaCha8Rng;

/// A country of the simulated world.
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: &'static str,
    /// Relative number of exporters.
    pub weight: u32,
    /// Regions (provinces, states, cities).
    pub regions: &'static [&'static str],
    /// Place names used in company names.
    pub places: &'static [&'static str],
    /// Distinctive company words.
    pub cores: &'static [&'static str],
    /// Legal form.
    pub suffixes: &'static [&'static str],
}

/// Every RCEP member the sim populates.
pub static COUNTRIES: &[Country] = &[
    Country {
        code: "CN",
        weight: 30,
        regions: &["Zhejiang", "Guangdong", "Jiangsu", "Fujian", "Shandong"],
        places: &[
            "Ningbo", "Shenzhen", "Dongguan", "Yiwu", "Foshan", "Xiamen", "Suzhou", "Qingdao",
        ],
        cores: &[
            "Huaxin",
            "Jinda",
            "Hengtai",
            "Xinyuan",
            "Kaida",
            "Ruifeng",
            "Tianli",
            "Hongsheng",
            "Mingyang",
            "Baolong",
        ],
        suffixes: &["Co., Ltd.", "Industrial Co., Ltd.", "Trading Co., Ltd."],
    },
    Country {
        code: "VN",
        weight: 15,
        regions: &[
            "Ha Noi",
            "Ho Chi Minh City",
            "Hai Phong",
            "Binh Duong",
            "Da Nang",
        ],
        places: &["Saigon", "Hanoi", "Mekong", "Dong Nai", "Hai Phong"],
        cores: &[
            "Minh Phat",
            "Hoang Long",
            "Thanh Cong",
            "An Phu",
            "Viet Tien",
            "Phu Gia",
            "Tan Thanh",
        ],
        suffixes: &["JSC", "Co., Ltd.", "Joint Stock Company"],
    },
    Country {
        code: "TH",
        weight: 12,
        regions: &[
            "Bangkok",
            "Chonburi",
            "Samut Prakan",
            "Rayong",
            "Chiang Mai",
        ],
        places: &["Siam", "Bangkok", "Chao Phraya", "Eastern"],
        cores: &[
            "Charoen",
            "Sukjai",
            "Rungroj",
            "Pattana",
            "Thanakorn",
            "Wattana",
        ],
        suffixes: &["Co., Ltd.", "Public Company Limited"],
    },
    Country {
        code: "MY",
        weight: 10,
        regions: &["Selangor", "Penang", "Johor", "Kuala Lumpur", "Perak"],
        places: &["Klang", "Penang", "Johor", "Malaya", "Borneo"],
        cores: &["Sinar", "Jaya", "Mutiara", "Cahaya", "Perdana", "Gemilang"],
        suffixes: &["Sdn. Bhd.", "Berhad"],
    },
    Country {
        code: "ID",
        weight: 10,
        regions: &[
            "Jawa Barat",
            "Jawa Timur",
            "Banten",
            "DKI Jakarta",
            "Jawa Tengah",
        ],
        places: &["Surabaya", "Bandung", "Jakarta", "Semarang", "Nusantara"],
        cores: &["Maju", "Sentosa", "Abadi", "Makmur", "Karya", "Sejahtera"],
        suffixes: &["Tbk", "Indonesia"],
    },
    Country {
        code: "KR",
        weight: 6,
        regions: &["Gyeonggi", "Busan", "Incheon", "Ulsan", "Seoul"],
        places: &["Hanil", "Daesung", "Samhwa", "Busan", "Seoul"],
        cores: &["Tech", "Precision", "Materials", "Electronics", "Chemical"],
        suffixes: &["Co., Ltd.", "Corp."],
    },
    Country {
        code: "JP",
        weight: 5,
        regions: &["Aichi", "Osaka", "Kanagawa", "Saitama", "Fukuoka"],
        places: &["Yamato", "Sakura", "Fuji", "Takumi", "Nagoya"],
        cores: &["Seiki", "Kogyo", "Denki", "Kasei", "Shoji"],
        suffixes: &["Co., Ltd.", "Corporation"],
    },
    Country {
        code: "SG",
        weight: 3,
        regions: &["Central", "West", "East"],
        places: &["Lion City", "Marina", "Jurong"],
        cores: &["Global", "Pacific", "Straits", "Harbour"],
        suffixes: &["Pte. Ltd."],
    },
    Country {
        code: "PH",
        weight: 3,
        regions: &["Metro Manila", "Cebu", "Laguna"],
        places: &["Manila", "Cebu", "Luzon", "Visayas"],
        cores: &["Pacific", "Golden", "Island", "Bayanihan"],
        suffixes: &["Inc.", "Corporation"],
    },
    Country {
        code: "AU",
        weight: 2,
        regions: &["New South Wales", "Victoria", "Queensland"],
        places: &["Southern Cross", "Murray", "Coral"],
        cores: &["Outback", "Harbour", "Eucalypt"],
        suffixes: &["Pty Ltd"],
    },
    Country {
        code: "NZ",
        weight: 1,
        regions: &["Auckland", "Canterbury", "Waikato"],
        places: &["Aotearoa", "Kiwi", "Southern Alps"],
        cores: &["Fern", "Tui", "Harbour"],
        suffixes: &["Limited"],
    },
    Country {
        code: "KH",
        weight: 1,
        regions: &["Phnom Penh", "Siem Reap"],
        places: &["Angkor", "Mekong"],
        cores: &["Kampuchea", "Royal"],
        suffixes: &["Co., Ltd."],
    },
    Country {
        code: "LA",
        weight: 1,
        regions: &["Vientiane", "Savannakhet"],
        places: &["Lane Xang", "Mekong"],
        cores: &["Champa", "Lao"],
        suffixes: &["Sole Co., Ltd."],
    },
    Country {
        code: "MM",
        weight: 1,
        regions: &["Yangon", "Mandalay"],
        places: &["Golden Land", "Irrawaddy"],
        cores: &["Shwe", "Myanma"],
        suffixes: &["Co., Ltd."],
    },
    Country {
        code: "BN",
        weight: 1,
        regions: &["Brunei-Muara", "Belait"],
        places: &["Borneo", "Darussalam"],
        cores: &["Seri", "Mahkota"],
        suffixes: &["Sdn Bhd"],
    },
];

/// Industries, with the goods and HS code of their certificates.
pub static INDUSTRIES: &[(&str, &str, &str)] = &[
    ("Electric", "Power adapters and chargers", "8504.40"),
    ("Hardware", "Steel fasteners", "7318.15"),
    ("Textile", "Cotton woven fabrics", "5208.52"),
    ("Plastic", "Polyethylene bags", "3923.21"),
    ("Machinery", "Centrifugal pumps", "8413.70"),
    ("Lighting", "LED lamps", "8539.52"),
    ("Packaging", "Corrugated cartons", "4819.10"),
    ("Ceramics", "Ceramic tableware", "6912.00"),
    ("Furniture", "Wooden bedroom furniture", "9403.50"),
    ("Foods", "Canned tuna", "1604.14"),
    ("Rubber", "Natural rubber gloves", "4015.12"),
    ("Garment", "Men's cotton shirts", "6205.20"),
];

/// Picks a country by weight; `only` restricts the choice when not empty.
pub fn pick_country(rng: &mut ChaCha8Rng, only: &[&str]) -> &'static Country {
    let candidates: Vec<&'static Country> = COUNTRIES
        .iter()
        .filter(|c| only.is_empty() || only.contains(&c.code))
        .collect();
    let total: u32 = candidates.iter().map(|c| c.weight).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for c in &candidates {
        if roll < c.weight {
            return c;
        }
        roll -= c.weight;
    }
    candidates[0]
}

/// A company name and the slug its domain is made from.
pub fn company(rng: &mut ChaCha8Rng, country: &Country, industry: &str) -> (String, String) {
    let place = country.places.choose(rng).copied().unwrap_or("Global");
    let core = country.cores.choose(rng).copied().unwrap_or("Trade");
    let suffix = country.suffixes.choose(rng).copied().unwrap_or("Ltd.");
    let name = match country.code {
        "ID" => format!("PT {core} {place} {industry} {suffix}"),
        "VN" if rng.random_bool(0.5) => format!("{core} {industry} {suffix}"),
        _ => format!("{place} {core} {industry} {suffix}"),
    };
    let slug_words: Vec<&str> = if rng.random_bool(0.5) {
        vec![core, industry]
    } else {
        vec![place, core]
    };
    let slug = slug_words
        .join("-")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>();
    (name, slug)
}
