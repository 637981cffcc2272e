//! The languages of the simulated sites: navigation labels, the many ways
//! a site names its certifications page, form labels and status words.

/// A site language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
    /// Vietnamese.
    Vi,
    /// Thai.
    Th,
    /// Malay.
    Ms,
    /// Indonesian.
    Id,
    /// Japanese.
    Ja,
    /// Korean.
    Ko,
}

/// The words one language uses on a supplier site.
pub struct Words {
    /// BCP 47 tag for `<html lang>`.
    pub tag: &'static str,
    /// Home.
    pub home: &'static str,
    /// Products.
    pub products: &'static str,
    /// About us.
    pub about: &'static str,
    /// Contact.
    pub contact: &'static str,
    /// News.
    pub news: &'static str,
    /// Ways of naming the certifications page (link text and title).
    pub certifications: &'static [&'static str],
    /// URL slugs a site in this language may use for that page.
    pub slugs: &'static [&'static str],
    /// Label of the certificate number field.
    pub number_label: &'static str,
    /// Submit button.
    pub verify_button: &'static str,
    /// Heading of the e-CO verification section.
    pub verify_heading: &'static str,
    /// Status words: valid, revoked, expired, not found.
    pub status: [&'static str; 4],
    /// A sentence of filler text.
    pub filler: &'static str,
    /// "Certificate of origin".
    pub certificate_of_origin: &'static str,
}

impl Lang {
    /// The words of this language.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
            Lang::Vi => &VI,
            Lang::Th => &TH,
            Lang::Ms => &MS,
            Lang::Id => &ID,
            Lang::Ja => &JA,
            Lang::Ko => &KO,
        }
    }

    /// The local language of a country (English where the sim has none).
    pub fn of_country(country: &str) -> Lang {
        match country {
            "CN" => Lang::Zh,
            "VN" => Lang::Vi,
            "TH" => Lang::Th,
            "MY" | "BN" => Lang::Ms,
            "ID" => Lang::Id,
            "JP" => Lang::Ja,
            "KR" => Lang::Ko,
            _ => Lang::En,
        }
    }
}

static EN: Words = Words {
    tag: "en",
    home: "Home",
    products: "Products",
    about: "About Us",
    contact: "Contact",
    news: "News",
    certifications: &[
        "Certifications",
        "Certificates",
        "Qualifications",
        "Quality & Certificates",
        "Our Certificates",
        "Compliance",
    ],
    slugs: &[
        "certifications",
        "certificates",
        "qualification",
        "quality-certificates",
        "compliance",
    ],
    number_label: "Certificate number",
    verify_button: "Verify",
    verify_heading: "Verify our e-CO (certificate of origin)",
    status: ["Valid", "Revoked", "Expired", "Not found"],
    filler: "We have served customers across Asia and Europe for more than fifteen years with reliable quality and on-time delivery.",
    certificate_of_origin: "Certificate of Origin",
};

static ZH: Words = Words {
    tag: "zh-CN",
    home: "首页",
    products: "产品中心",
    about: "关于我们",
    contact: "联系我们",
    news: "新闻动态",
    certifications: &["资质证书", "资质认证", "证书", "荣誉资质", "认证证书"],
    slugs: &["zizhi", "zhengshu", "honor", "certificates", "rongyu"],
    number_label: "证书编号",
    verify_button: "查询",
    verify_heading: "原产地证书（e-CO）在线核验",
    status: ["有效", "已撤销", "已过期", "未找到"],
    filler: "公司成立于2005年，专业从事产品研发、生产和销售，产品远销东南亚及欧美等地区。",
    certificate_of_origin: "原产地证书",
};

static VI: Words = Words {
    tag: "vi",
    home: "Trang chủ",
    products: "Sản phẩm",
    about: "Giới thiệu",
    contact: "Liên hệ",
    news: "Tin tức",
    certifications: &[
        "Chứng nhận",
        "Chứng chỉ",
        "Giấy chứng nhận",
        "Chứng nhận chất lượng",
    ],
    slugs: &[
        "chung-nhan",
        "chung-chi",
        "giay-chung-nhan",
        "chung-nhan-chat-luong",
    ],
    number_label: "Số chứng nhận",
    verify_button: "Tra cứu",
    verify_heading: "Tra cứu C/O điện tử (e-CO)",
    status: ["Hợp lệ", "Đã thu hồi", "Hết hạn", "Không tìm thấy"],
    filler: "Công ty chúng tôi chuyên sản xuất và xuất khẩu sang các thị trường châu Á và châu Âu.",
    certificate_of_origin: "Giấy chứng nhận xuất xứ",
};

static TH: Words = Words {
    tag: "th",
    home: "หน้าแรก",
    products: "สินค้า",
    about: "เกี่ยวกับเรา",
    contact: "ติดต่อเรา",
    news: "ข่าวสาร",
    certifications: &["ใบรับรอง", "ใบรับรองมาตรฐาน", "การรับรอง"],
    slugs: &["certificates", "bai-rap-rong", "certification", "standards"],
    number_label: "เลขที่ใบรับรอง",
    verify_button: "ตรวจสอบ",
    verify_heading: "ตรวจสอบหนังสือรับรองถิ่นกำเนิดสินค้าอิเล็กทรอนิกส์ (e-CO)",
    status: ["ใช้ได้", "ถูกเพิกถอน", "หมดอายุ", "ไม่พบข้อมูล"],
    filler: "บริษัทของเราผลิตและส่งออกสินค้าคุณภาพสูงไปยังลูกค้าทั่วเอเชียมากว่าสิบห้าปี",
    certificate_of_origin: "หนังสือรับรองถิ่นกำเนิดสินค้า",
};

static MS: Words = Words {
    tag: "ms",
    home: "Laman Utama",
    products: "Produk",
    about: "Tentang Kami",
    contact: "Hubungi Kami",
    news: "Berita",
    certifications: &["Pensijilan", "Sijil", "Sijil Kami", "Sijil & Pengiktirafan"],
    slugs: &["pensijilan", "sijil", "certificates", "pengiktirafan"],
    number_label: "Nombor sijil",
    verify_button: "Semak",
    verify_heading: "Semak e-CO (sijil asal) kami",
    status: ["Sah", "Dibatalkan", "Tamat tempoh", "Tidak dijumpai"],
    filler: "Syarikat kami mengeksport produk berkualiti tinggi ke seluruh Asia sejak lima belas tahun lalu.",
    certificate_of_origin: "Sijil Asal",
};

static ID: Words = Words {
    tag: "id",
    home: "Beranda",
    products: "Produk",
    about: "Tentang Kami",
    contact: "Kontak",
    news: "Berita",
    certifications: &["Sertifikasi", "Sertifikat", "Legalitas & Sertifikat"],
    slugs: &["sertifikasi", "sertifikat", "legalitas"],
    number_label: "Nomor sertifikat",
    verify_button: "Periksa",
    verify_heading: "Verifikasi e-SKA / e-CO kami",
    status: ["Berlaku", "Dicabut", "Kedaluwarsa", "Tidak ditemukan"],
    filler: "Perusahaan kami memproduksi dan mengekspor produk berkualitas ke pasar Asia dan Eropa.",
    certificate_of_origin: "Surat Keterangan Asal",
};

static JA: Words = Words {
    tag: "ja",
    home: "ホーム",
    products: "製品情報",
    about: "会社概要",
    contact: "お問い合わせ",
    news: "ニュース",
    certifications: &["認証", "認証・認定", "取得認証", "品質認証"],
    slugs: &["certification", "ninsho", "quality"],
    number_label: "証明書番号",
    verify_button: "照会",
    verify_heading: "原産地証明書（e-CO）の照会",
    status: ["有効", "取消", "期限切れ", "該当なし"],
    filler: "当社は高品質な製品をアジアおよび欧州のお客様へお届けしています。",
    certificate_of_origin: "原産地証明書",
};

static KO: Words = Words {
    tag: "ko",
    home: "홈",
    products: "제품소개",
    about: "회사소개",
    contact: "문의하기",
    news: "소식",
    certifications: &["인증", "인증현황", "인증서", "품질인증"],
    slugs: &["certification", "injeung", "certificates"],
    number_label: "인증서 번호",
    verify_button: "조회",
    verify_heading: "전자 원산지증명서(e-CO) 조회",
    status: ["유효", "취소됨", "만료", "찾을 수 없음"],
    filler: "당사는 아시아와 유럽 고객에게 고품질 제품을 수출하고 있습니다.",
    certificate_of_origin: "원산지증명서",
};
