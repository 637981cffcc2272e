//! Supplier profiles: what a simulated supplier's website shows, and what
//! a correct screening must conclude about it.

/// What a simulated supplier's website is like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// JSON-LD `Certification` + `CheckAction` with a query-string template,
    /// an OpenAPI `service-desc`, credential links.
    ReadyApiQuery,
    /// The same with a path template (`/api/v1/certificates/{...}`).
    ReadyApiPath,
    /// A verification form submitted with GET, HTML answers.
    ReadyFormGet,
    /// A verification form submitted with POST, HTML answers.
    ReadyFormPost,
    /// Chinese pages in GBK, the charset only in `<meta>`, with a form.
    ReadyGbk,
    /// Only a link to an official verification portal.
    PortalOnly,
    /// ISO/CE certificates, no e-CO.
    IsoOnly,
    /// No certifications page at all.
    NoCertPage,
    /// A certifications page listed only in a sitemap named in robots.txt.
    SitemapOnly,
    /// robots.txt forbids the certifications folder.
    RobotsBlocked,
    /// A credential whose signature is forged.
    Forged,
    /// A credential altered after signing.
    Altered,
    /// Revoked, while the site's endpoint still says valid.
    RevokedEndpointValid,
    /// Never anchored in the authority's log.
    Unanchored,
    /// Past its validity period.
    Expired,
    /// Another exporter's genuine credential shown as the supplier's own.
    OtherExporter,
    /// Issued by an authority the trust list does not include.
    UntrustedAuthority,
    /// The verification endpoint answers 5xx.
    EndpointDown,
    /// The verification endpoint takes seconds to answer.
    EndpointSlow,
    /// The endpoint calls any number valid.
    EndpointLiar,
    /// An infinite calendar of links.
    CalendarTrap,
    /// An API template, form action or credential link on a loopback address.
    SsrfProbe,
    /// A name that a spreadsheet would run as a formula.
    FormulaName,
    /// TradeTrust (OpenAttestation v2) certificates of origin, issued and
    /// in force, linked as `.tt` or `.json` files.
    TradeTrustReady,
    /// A TradeTrust certificate whose target hash (or batch root) the
    /// store has revoked.
    TradeTrustRevoked,
    /// A TradeTrust certificate changed after wrapping.
    TradeTrustTampered,
    /// A TradeTrust certificate whose batch root was never issued.
    TradeTrustNotIssued,
    /// A TradeTrust certificate issued on a store the trust list does not
    /// pin.
    TradeTrustUntrustedStore,
    /// A TradeTrust certificate with fields hidden by its holder (still
    /// valid).
    TradeTrustObfuscated,
    /// A TradeTrust verification link to an encrypted certificate.
    TradeTrustLink,
    /// A hostile server (only with `--hostile`).
    Hostile(HostileKind),
}

/// The hostile servers of `--hostile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostileKind {
    /// The body drips one byte a second.
    Drip,
    /// A 50 MB page.
    Huge,
    /// A gzip bomb.
    GzipBomb,
    /// A redirect loop.
    RedirectLoop,
    /// 429 with `Retry-After`, always.
    TooManyRequests,
    /// The connection is reset mid-response.
    Reset,
    /// Invalid UTF-8 served as UTF-8 HTML.
    InvalidUtf8,
    /// HTML nested 100,000 deep.
    DeepHtml,
    /// A binary body served as `text/html`.
    NotHtml,
}

impl HostileKind {
    /// Every hostile kind.
    pub const ALL: [HostileKind; 9] = [
        HostileKind::Drip,
        HostileKind::Huge,
        HostileKind::GzipBomb,
        HostileKind::RedirectLoop,
        HostileKind::TooManyRequests,
        HostileKind::Reset,
        HostileKind::InvalidUtf8,
        HostileKind::DeepHtml,
        HostileKind::NotHtml,
    ];
}

/// Kinds of verification entry a site may offer (spec section 7 `kind`).
pub const API: &str = "api";
/// A verification form.
pub const FORM: &str = "form";
/// A link to an official portal.
pub const PORTAL_LINK: &str = "portal_link";
/// A link to a credential document.
pub const CREDENTIAL_LINK: &str = "credential_link";
/// A link to an OpenAPI description.
pub const OPENAPI: &str = "openapi";

impl Profile {
    /// The profiles of an ordinary world (hostile ones excluded).
    pub const ORDINARY: [Profile; 30] = [
        Profile::ReadyApiQuery,
        Profile::ReadyApiPath,
        Profile::ReadyFormGet,
        Profile::ReadyFormPost,
        Profile::ReadyGbk,
        Profile::PortalOnly,
        Profile::IsoOnly,
        Profile::NoCertPage,
        Profile::SitemapOnly,
        Profile::RobotsBlocked,
        Profile::Forged,
        Profile::Altered,
        Profile::RevokedEndpointValid,
        Profile::Unanchored,
        Profile::Expired,
        Profile::OtherExporter,
        Profile::UntrustedAuthority,
        Profile::EndpointDown,
        Profile::EndpointSlow,
        Profile::EndpointLiar,
        Profile::CalendarTrap,
        Profile::SsrfProbe,
        Profile::FormulaName,
        Profile::TradeTrustReady,
        Profile::TradeTrustRevoked,
        Profile::TradeTrustTampered,
        Profile::TradeTrustNotIssued,
        Profile::TradeTrustUntrustedStore,
        Profile::TradeTrustObfuscated,
        Profile::TradeTrustLink,
    ];

    /// The TradeTrust profiles.
    pub const TRADETRUST: [Profile; 7] = [
        Profile::TradeTrustReady,
        Profile::TradeTrustRevoked,
        Profile::TradeTrustTampered,
        Profile::TradeTrustNotIssued,
        Profile::TradeTrustUntrustedStore,
        Profile::TradeTrustObfuscated,
        Profile::TradeTrustLink,
    ];

    /// Relative frequency in a world (ready sites dominate, as adoption grows).
    pub fn weight(self) -> u32 {
        match self {
            Profile::ReadyApiQuery | Profile::ReadyApiPath => 10,
            Profile::ReadyFormGet | Profile::ReadyFormPost => 8,
            Profile::ReadyGbk => 4,
            Profile::PortalOnly => 8,
            Profile::IsoOnly => 12,
            Profile::NoCertPage => 10,
            Profile::SitemapOnly | Profile::RobotsBlocked => 3,
            Profile::Hostile(_) => 1,
            // Few, so that adding them barely moves a world's statistics.
            p if p.certificate_kind().is_some_and(CertKind::is_tradetrust) => 1,
            _ => 2,
        }
    }

    /// The snake_case name used in `truth.jsonl`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::ReadyApiQuery => "ready_api_query",
            Profile::ReadyApiPath => "ready_api_path",
            Profile::ReadyFormGet => "ready_form_get",
            Profile::ReadyFormPost => "ready_form_post",
            Profile::ReadyGbk => "ready_gbk",
            Profile::PortalOnly => "portal_only",
            Profile::IsoOnly => "iso_only",
            Profile::NoCertPage => "no_cert_page",
            Profile::SitemapOnly => "sitemap_only",
            Profile::RobotsBlocked => "robots_blocked",
            Profile::Forged => "forged_signature",
            Profile::Altered => "altered_after_signing",
            Profile::RevokedEndpointValid => "revoked_endpoint_valid",
            Profile::Unanchored => "unanchored",
            Profile::Expired => "expired",
            Profile::OtherExporter => "other_exporter",
            Profile::UntrustedAuthority => "untrusted_authority",
            Profile::EndpointDown => "endpoint_down",
            Profile::EndpointSlow => "endpoint_slow",
            Profile::EndpointLiar => "endpoint_liar",
            Profile::CalendarTrap => "calendar_trap",
            Profile::SsrfProbe => "ssrf_probe",
            Profile::FormulaName => "formula_name",
            Profile::TradeTrustReady => "tradetrust_ready",
            Profile::TradeTrustRevoked => "tradetrust_revoked",
            Profile::TradeTrustTampered => "tradetrust_tampered",
            Profile::TradeTrustNotIssued => "tradetrust_not_issued",
            Profile::TradeTrustUntrustedStore => "tradetrust_untrusted_store",
            Profile::TradeTrustObfuscated => "tradetrust_obfuscated",
            Profile::TradeTrustLink => "tradetrust_link",
            Profile::Hostile(HostileKind::Drip) => "hostile_drip",
            Profile::Hostile(HostileKind::Huge) => "hostile_huge",
            Profile::Hostile(HostileKind::GzipBomb) => "hostile_gzip_bomb",
            Profile::Hostile(HostileKind::RedirectLoop) => "hostile_redirect_loop",
            Profile::Hostile(HostileKind::TooManyRequests) => "hostile_429",
            Profile::Hostile(HostileKind::Reset) => "hostile_reset",
            Profile::Hostile(HostileKind::InvalidUtf8) => "hostile_invalid_utf8",
            Profile::Hostile(HostileKind::DeepHtml) => "hostile_deep_html",
            Profile::Hostile(HostileKind::NotHtml) => "hostile_not_html",
        }
    }

    /// The profile named `name` (as in `truth.jsonl`), if there is one.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ORDINARY
            .into_iter()
            .chain(HostileKind::ALL.map(Profile::Hostile))
            .find(|p| p.name() == name)
    }

    /// The kind of certificate the supplier shows, if it shows e-COs.
    pub fn certificate_kind(self) -> Option<CertKind> {
        Some(match self {
            Profile::ReadyApiQuery
            | Profile::ReadyApiPath
            | Profile::ReadyFormGet
            | Profile::ReadyFormPost
            | Profile::ReadyGbk
            | Profile::SitemapOnly
            | Profile::EndpointDown
            | Profile::EndpointSlow
            | Profile::EndpointLiar
            | Profile::SsrfProbe
            | Profile::FormulaName => CertKind::Genuine,
            Profile::Forged => CertKind::Forged,
            Profile::Altered => CertKind::Altered,
            Profile::RevokedEndpointValid => CertKind::Revoked,
            Profile::Unanchored => CertKind::Unanchored,
            Profile::Expired => CertKind::Expired,
            Profile::OtherExporter => CertKind::OtherExporter,
            Profile::UntrustedAuthority => CertKind::Untrusted,
            Profile::TradeTrustReady => CertKind::TradeTrust(TtCase::Issued),
            Profile::TradeTrustRevoked => CertKind::TradeTrust(TtCase::Revoked),
            Profile::TradeTrustTampered => CertKind::TradeTrust(TtCase::Tampered),
            Profile::TradeTrustNotIssued => CertKind::TradeTrust(TtCase::NotIssued),
            Profile::TradeTrustUntrustedStore => CertKind::TradeTrust(TtCase::UntrustedStore),
            Profile::TradeTrustObfuscated => CertKind::TradeTrust(TtCase::Obfuscated),
            Profile::TradeTrustLink => CertKind::TradeTrust(TtCase::Linked),
            _ => return None,
        })
    }

    /// Whether the site has a verification endpoint of its own.
    pub fn has_api(self) -> bool {
        matches!(
            self,
            Profile::ReadyApiQuery
                | Profile::ReadyApiPath
                | Profile::Forged
                | Profile::Altered
                | Profile::RevokedEndpointValid
                | Profile::Unanchored
                | Profile::Expired
                | Profile::OtherExporter
                | Profile::UntrustedAuthority
                | Profile::EndpointDown
                | Profile::EndpointSlow
                | Profile::EndpointLiar
                | Profile::SsrfProbe
                | Profile::FormulaName
        )
    }

    /// Whether the site's entry is a form rather than an API.
    pub fn has_form(self) -> bool {
        matches!(
            self,
            Profile::ReadyFormGet
                | Profile::ReadyFormPost
                | Profile::ReadyGbk
                | Profile::SitemapOnly
        )
    }

    /// Whether a red flag must be raised: true, false, or None where
    /// either answer is defensible.
    pub fn red_flag(self) -> Option<bool> {
        match self {
            Profile::Forged
            | Profile::Altered
            | Profile::RevokedEndpointValid
            | Profile::OtherExporter
            | Profile::EndpointLiar
            // A document changed after wrapping fails its integrity: as
            // for a credential altered after signing.
            | Profile::TradeTrustTampered => Some(true),
            // Issued by someone the buyer does not trust, as for
            // credentials. A revoked TradeTrust certificate shown with no
            // endpoint calling it valid: no supplier claim is contradicted
            // (the red flag of `revoked_endpoint_valid` is the endpoint's
            // lie), yet showing a revoked certificate is suspect; either
            // answer is defensible.
            Profile::UntrustedAuthority
            | Profile::TradeTrustUntrustedStore
            | Profile::TradeTrustRevoked => None,
            _ => Some(false),
        }
    }
}

/// What kind of credential a certificate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// Issued, anchored, registered, in force.
    Genuine,
    /// Signed by a key the authority does not hold, under its key id.
    Forged,
    /// Genuine, then changed after signing.
    Altered,
    /// Revoked in the status list and the registry.
    Revoked,
    /// Never logged.
    Unanchored,
    /// Past `validUntil`; the registry says expired.
    Expired,
    /// Genuine, but issued to another exporter.
    OtherExporter,
    /// Issued by the authority the trust list leaves out.
    Untrusted,
    /// A TradeTrust (OpenAttestation v2) certificate of origin.
    TradeTrust(TtCase),
}

/// What is true of a TradeTrust certificate of origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TtCase {
    /// Wrapped, its batch root issued in the trusted store.
    Issued,
    /// Issued, then revoked in the store (its target hash or its root).
    Revoked,
    /// Issued, then a field changed: the fields no longer hash to the
    /// target hash.
    Tampered,
    /// Wrapped, its root never issued.
    NotIssued,
    /// Issued in a store the trust list does not pin.
    UntrustedStore,
    /// Issued; the holder hid fields (their hashes kept in
    /// `privacy.obfuscatedData`).
    Obfuscated,
    /// Issued, published encrypted behind a TradeTrust verification link.
    Linked,
}

impl CertKind {
    /// The verdict and the failing checks independent verification must find.
    pub fn expected(self) -> (&'static str, &'static [&'static str]) {
        match self {
            CertKind::Genuine => ("verified", &[]),
            CertKind::Forged => ("failed", &["signature", "anchored", "single_window"]),
            CertKind::Altered => ("failed", &["signature", "anchored", "single_window"]),
            CertKind::Revoked => ("failed", &["not_revoked", "single_window"]),
            CertKind::Unanchored => ("failed", &["anchored"]),
            CertKind::Expired => ("failed", &["validity_period", "single_window"]),
            CertKind::OtherExporter => ("failed", &["exporter_matches"]),
            CertKind::Untrusted => ("failed", &["trusted_issuer"]),
            CertKind::TradeTrust(case) => match case {
                TtCase::Issued | TtCase::Obfuscated | TtCase::Linked => ("verified", &[]),
                // The single window records the revocation, as it does
                // for revoked credentials.
                TtCase::Revoked => ("failed", &["not_revoked", "single_window"]),
                // Only integrity: the stated target hash, which the single
                // window records and the root proof starts from, is the
                // issued one; the changed fields no longer hash to it.
                TtCase::Tampered => ("failed", &["signature"]),
                // The single window knows it, as it knows unanchored
                // credentials; the store has not issued its root.
                TtCase::NotIssued => ("failed", &["anchored"]),
                // The store is not pinned, so the chain is not asked
                // (anchored and not_revoked are unknown) and no authority,
                // hence no single window, is known (unknown): only
                // trusted_issuer fails, and a failure decides the verdict.
                TtCase::UntrustedStore => ("failed", &["trusted_issuer"]),
            },
        }
    }

    /// The format name records give it (`CredentialFormat::as_str`).
    pub fn format(self) -> &'static str {
        if self.is_tradetrust() {
            "openattestation-v2"
        } else {
            "vc-eddsa-jcs-2022"
        }
    }

    /// Whether it is a TradeTrust certificate (not a credential of the
    /// eddsa-jcs-2022 authorities).
    pub fn is_tradetrust(self) -> bool {
        matches!(self, CertKind::TradeTrust(_))
    }

    /// Whether the issuing authority logged it in its transparency log
    /// (TradeTrust certificates are recorded on a chain instead).
    pub fn anchored(self) -> bool {
        !matches!(
            self,
            CertKind::Forged | CertKind::Unanchored | CertKind::TradeTrust(_)
        )
    }

    /// The status the supplier's own endpoint claims for it.
    pub fn claimed_status(self) -> &'static str {
        match self {
            CertKind::Expired => "expired",
            _ => "valid",
        }
    }
}
