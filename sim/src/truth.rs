//! The files a world writes: `seeds.csv`, `trust.toml` and `truth.jsonl`.

use std::io::Write as _;
use std::path::Path;

use eco::trust::{AuthorityEntry, TrustListFile};
use serde::Serialize;

use crate::spec::SiteSpec;
use crate::world::{Supplier, World};

/// Requests per second the buyer's trust list for a world allows on each
/// authority host (every authority's log and status lists, and the shared
/// single window): the terms of a bulk-verification agreement, above the
/// about 220 single-window requests per second of the 2,000-supplier
/// benchmark crawl, so that the benchmark measures the crawler.
pub const AUTHORITY_REQUESTS_PER_SECOND: f64 = 250.0;
/// Requests in flight the same agreement allows on each authority host.
pub const AUTHORITY_MAX_IN_FLIGHT: u32 = 8;

/// One certificate in the ground truth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TruthCertificate {
    /// Certificate number.
    pub number: String,
    /// URL of the credential document.
    pub url: String,
    /// Its format, as records name it (`vc-eddsa-jcs-2022`,
    /// `openattestation-v2`).
    pub format: &'static str,
    /// The verdict independent verification must reach.
    pub verdict: &'static str,
    /// The checks that must fail.
    pub failing_checks: Vec<&'static str>,
    /// For a TradeTrust certificate, the length of its Merkle proof (the
    /// intermediate hashes a classic store is asked `isRevoked` about).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof_length: Option<usize>,
    /// For a revoked TradeTrust certificate, the hash its store revoked:
    /// `target_hash` or `merkle_root`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_hash: Option<&'static str>,
}

/// One certificate document (scan or PDF) on a Certifications page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TruthDocument {
    /// Its absolute URL (on the site, an `img.` subdomain or a CDN host).
    pub url: String,
    /// What it certifies: `iso_9001`, `iso_14001`, `iso_45001`, `ce`,
    /// `rohs`, `fda`, `bsci`, `halal`, `business_licence`, `patent`,
    /// `trademark`, `certificate_of_origin` or `other`.
    pub kind: &'static str,
    /// `png`, `jpeg` or `pdf`.
    pub format: &'static str,
    /// The payload of its QR code, or None when it has none.
    pub qr: Option<String>,
    /// Whether the page's `src` is a placeholder and the URL sits in
    /// `data-original`, `data-src` or `srcset`.
    pub lazy: bool,
}

/// One supplier's ground truth (one line of `truth.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Truth {
    /// Registrable domain.
    pub domain: String,
    /// Profile name.
    pub profile: &'static str,
    /// Path of the certifications page a correct crawler finds, if any.
    pub cert_page: Option<String>,
    /// Entry kinds a correct crawler must find.
    pub entry_kinds: Vec<&'static str>,
    /// The credentials a correct crawler downloads, and their verdicts.
    pub certificates: Vec<TruthCertificate>,
    /// Whether a red flag must be raised (None: either is defensible).
    pub red_flag: Option<bool>,
    /// URLs a correct crawler never requests.
    pub must_not_request: Vec<String>,
    /// How the certifications page is named, headed and linked (a
    /// [`crate::variety::PageVariant`] name), when `cert_page` is set.
    pub cert_page_variant: Option<&'static str>,
    /// The certificate documents the certifications page shows (empty
    /// when `cert_page` is None).
    pub documents: Vec<TruthDocument>,
}

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Encoding.
    #[error("{0}")]
    Encode(String),
}

impl World {
    /// The site spec of a supplier as served.
    pub fn spec(&self, s: &Supplier) -> SiteSpec {
        // Read from the authority's own record, not its issuing side: this
        // runs on every request and must not take the issuing lock.
        let portal = self
            .authorities()
            .iter()
            .find(|a| a.trusted && a.country == s.country)
            .and_then(|a| a.portal);
        SiteSpec::new(s, self.config().port, portal)
    }

    /// The ground truth of supplier `index`.
    pub fn truth(&self, index: usize) -> Truth {
        let s = self.supplier(index);
        let spec = self.spec(&s);
        let visible =
            spec.cert_path.is_some() && s.profile != crate::profile::Profile::RobotsBlocked;
        let certificates = if visible {
            // A TradeTrust verification link is the certificate's URL: it
            // names the encrypted document and carries its key.
            spec.credentials
                .iter()
                .map(|(position, path)| (position, format!("{}{path}", spec.origin)))
                .chain(
                    spec.tradetrust_links
                        .iter()
                        .map(|(p, url)| (p, url.clone())),
                )
                .filter_map(|(position, url)| {
                    let cert = s.certificates.iter().find(|c| c.position == *position)?;
                    let (verdict, failing) = cert.kind.expected();
                    let chain = if cert.kind.is_tradetrust() {
                        self.tradetrust().chain_facts(s.index, cert.position)
                    } else {
                        None
                    };
                    Some(TruthCertificate {
                        number: cert.number.clone(),
                        url,
                        format: cert.kind.format(),
                        verdict,
                        failing_checks: failing.to_vec(),
                        proof_length: chain.map(|(length, _)| length),
                        revoked_hash: chain.and_then(|(_, revoked)| revoked),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let documents = if visible {
            crate::documents::plan(self, &s, &spec)
                .into_iter()
                .map(|d| TruthDocument {
                    url: d.url,
                    kind: d.kind.id(),
                    format: d.format.id(),
                    qr: d.qr,
                    lazy: d.loading.is_lazy(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Truth {
            domain: s.domain.clone(),
            profile: s.profile.name(),
            cert_page: if visible {
                spec.cert_path.clone()
            } else {
                None
            },
            entry_kinds: spec.entry_kinds(s.profile),
            certificates,
            red_flag: if visible || matches!(s.profile, crate::profile::Profile::Hostile(_)) {
                s.profile.red_flag()
            } else {
                Some(false)
            },
            must_not_request: spec.must_not_request(s.profile),
            cert_page_variant: visible.then(|| crate::variety::page_variant(&s).name()),
            documents,
        }
    }

    /// The buyer's trust list for this world: every authority but the
    /// untrusted one, with URLs on the world's port; the TradeTrust body
    /// with its document store (not the untrusted store), and the sim's
    /// node for its chain. Every authority carries the agreement's terms
    /// ([`AUTHORITY_REQUESTS_PER_SECOND`], [`AUTHORITY_MAX_IN_FLIGHT`]).
    pub fn trust_list(&self) -> TrustListFile {
        let port = self.config().port;
        let single_window = format!("http://{}:{port}/", crate::world::SINGLE_WINDOW_HOST);
        let with_terms = |entry: AuthorityEntry| AuthorityEntry {
            requests_per_second: Some(AUTHORITY_REQUESTS_PER_SECOND),
            max_in_flight: Some(AUTHORITY_MAX_IN_FLIGHT),
            ..entry
        };
        TrustListFile {
            authority: self
                .authorities()
                .iter()
                .filter(|a| a.trusted)
                .filter_map(|a| a.issuing.lock().ok().map(|i| i.trust_entry()))
                .chain(std::iter::once(
                    self.tradetrust().trust_entry(&single_window),
                ))
                .map(with_terms)
                .collect(),
            ethereum: vec![crate::tradetrust::TradeTrust::node_entry(port)],
        }
    }

    /// Writes `seeds.csv`, `trust.toml` and `truth.jsonl` into `dir`.
    pub fn write_files(&self, dir: &Path) -> Result<(), FilesError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| FilesError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let seeds = dir.join("seeds.csv");
        let mut csv =
            csv::Writer::from_path(&seeds).map_err(|e| FilesError::Encode(e.to_string()))?;
        csv.write_record(["name", "website", "country", "region"])
            .map_err(|e| FilesError::Encode(e.to_string()))?;
        for i in 0..self.len() {
            let s = self.supplier(i);
            let spec = self.spec(&s);
            csv.write_record([
                s.name.as_str(),
                &format!("{}/", spec.origin),
                s.country,
                s.region,
            ])
            .map_err(|e| FilesError::Encode(e.to_string()))?;
        }
        csv.flush().map_err(io(&seeds))?;

        let trust = dir.join("trust.toml");
        let text =
            toml::to_string(&self.trust_list()).map_err(|e| FilesError::Encode(e.to_string()))?;
        std::fs::write(
            &trust,
            format!("# The buyer's trust list for the simulated world.\n{text}"),
        )
        .map_err(io(&trust))?;

        let truth = dir.join("truth.jsonl");
        let file = std::fs::File::create(&truth).map_err(io(&truth))?;
        let mut out = std::io::BufWriter::new(file);
        for i in 0..self.len() {
            let line = serde_json::to_string(&self.truth(i))
                .map_err(|e| FilesError::Encode(e.to_string()))?;
            writeln!(out, "{line}").map_err(io(&truth))?;
        }
        out.flush().map_err(io(&truth))?;
        Ok(())
    }
}
