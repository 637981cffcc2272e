//! The buyer's trust list (spec section 1): the authorities, their keys,
//! logs, status lists, single windows and portals, their document stores
//! and DID signers on Ethereum-compatible chains, and the buyer's node for
//! each chain ([`ethereum`]). It is the only source of keys and endpoints
//! that verification uses.

pub mod ethereum;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::multibase::decode_ed25519_multikey;
use crate::note::NoteVerifier;
use ethereum::{
    Address, DidSigner, DidSignerEntry, DocumentStore, DocumentStoreEntry, EthereumEntry,
    EthereumNode,
};

/// Largest trust list file read, in bytes.
pub const MAX_TRUST_LIST_BYTES: u64 = 4 * 1024 * 1024;

/// Requests per second to an authority's host when the trust list sets no
/// `requests_per_second`: what one polite crawler sent to any host before
/// (one request a second), now for the whole fleet.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 1.0;
/// Requests in flight to an authority's host when the trust list sets no
/// `max_in_flight`: the sites' per-host default.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 2;
/// Smallest `requests_per_second` accepted: one request a minute.
pub const MIN_REQUESTS_PER_SECOND: f64 = 1.0 / 60.0;
/// Largest `requests_per_second` accepted.
pub const MAX_REQUESTS_PER_SECOND: f64 = 1000.0;
/// Largest `max_in_flight` accepted.
pub const MAX_IN_FLIGHT_LIMIT: u32 = 64;

/// The trust list as written in TOML. Every field is optional here so that
/// validation can name the authority and the field that is missing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListFile {
    /// `[[authority]]` tables.
    #[serde(default)]
    pub authority: Vec<AuthorityEntry>,
    /// `[[ethereum]]` tables: the buyer's node for each chain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ethereum: Vec<EthereumEntry>,
}

/// One `[[authority]]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityEntry {
    /// Short unique id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// The credentials' `issuer` id.
    pub issuer: Option<String>,
    /// Transparency log base URL, ending with `/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_url: Option<String>,
    /// C2SP signed-note verifier key of the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_key: Option<String>,
    /// URL prefixes under which status list credentials live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_prefixes: Option<Vec<String>>,
    /// Single-window registry base URL, ending with `/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_window_url: Option<String>,
    /// Official verification portal hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portals: Option<Vec<String>>,
    /// Requests per second the buyer's terms allow to each of the
    /// authority's hosts (log, status lists, single window), for the whole
    /// fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    /// Requests in flight the buyer's terms allow to each of the
    /// authority's hosts, for the whole fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// `[[authority.key]]` tables.
    #[serde(default)]
    pub key: Vec<KeyEntry>,
    /// `[[authority.document_store]]` tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub document_store: Vec<DocumentStoreEntry>,
    /// `[[authority.did_signer]]` tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub did_signer: Vec<DidSignerEntry>,
}

/// One `[[authority.key]]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The `verificationMethod` id.
    pub id: Option<String>,
    /// Multikey Ed25519 public key.
    pub public_key_multibase: Option<String>,
}

/// Why a trust list was refused. The message names the file, the
/// authority and the field.
#[derive(Debug, thiserror::Error)]
pub enum TrustListError {
    /// The file could not be read.
    #[error("{file}: cannot read the trust list: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not TOML, or not the trust list's shape (for example an unknown field).
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// A field is missing or has a bad value.
    #[error("{file}: authority {authority}: field `{field}`: {problem}")]
    Field {
        /// The file.
        file: String,
        /// The authority's id, or its position when it has none.
        authority: String,
        /// The field's name.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The list has no authority at all.
    #[error("{file}: the trust list names no [[authority]]")]
    Empty {
        /// The file.
        file: String,
    },
    /// An `[[ethereum]]` table is incomplete or repeats a chain.
    #[error("{file}: ethereum #{position}: field `{field}`: {problem}")]
    Ethereum {
        /// The file.
        file: String,
        /// Its position in the file, from 1.
        position: usize,
        /// The field's name.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

/// A key that may sign credentials for an authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The `verificationMethod` id.
    pub id: String,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

/// An authority's transparency log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Base URL, ending with `/`.
    pub url: Url,
    /// The checkpoint signer's verifier key.
    pub key: NoteVerifier,
}

/// The rate and concurrency an authority's terms set, as the trust list
/// gives them (None: not given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorityTerms {
    /// Least time between the starts of two requests to one of its hosts
    /// (1 / `requests_per_second`).
    pub interval: Option<Duration>,
    /// Requests in flight to one of its hosts at most.
    pub max_in_flight: Option<u32>,
}

/// The fleet-wide limits on requests to one authority host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostLimits {
    /// Least time between the starts of two requests (1 / requests per
    /// second).
    pub interval: Duration,
    /// Requests in flight at most.
    pub max_in_flight: u32,
}

impl HostLimits {
    /// The polite defaults: [`DEFAULT_REQUESTS_PER_SECOND`] and
    /// [`DEFAULT_MAX_IN_FLIGHT`].
    pub fn polite_default() -> HostLimits {
        HostLimits {
            interval: Duration::from_secs_f64(1.0 / DEFAULT_REQUESTS_PER_SECOND),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }

    /// Requests per second.
    pub fn requests_per_second(&self) -> f64 {
        1.0 / self.interval.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// The key a host's limits are kept under: `scheme://host:port` (the
/// port given or the scheme's default), as the crawler keys its hosts.
pub fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// A validated issuing authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Short unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The credentials' `issuer` id; set whenever `keys` are.
    pub issuer: Option<String>,
    /// Its signing keys.
    pub keys: Vec<TrustedKey>,
    /// Its document stores on Ethereum-compatible chains.
    pub document_stores: Vec<DocumentStore>,
    /// Its DID signers.
    pub did_signers: Vec<DidSigner>,
    /// Its transparency log, when known.
    pub log: Option<LogConfig>,
    /// Prefixes under which its status lists live.
    pub status_prefixes: Vec<Url>,
    /// Its single-window registry, when known.
    pub single_window_url: Option<Url>,
    /// Hosts of its official verification portals (lower case).
    pub portals: Vec<String>,
    /// The rate and concurrency its terms allow on its hosts.
    pub terms: AuthorityTerms,
}

impl Authority {
    /// Its hosts, as [`origin`] keys: those of its log, status list
    /// prefixes and single window. Portals are public websites, not
    /// services used on terms, and are not among them.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .log
            .iter()
            .map(|l| &l.url)
            .chain(&self.status_prefixes)
            .chain(&self.single_window_url)
            .map(origin)
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// The key whose id is `verification_method`.
    pub fn key(&self, verification_method: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.id == verification_method)
    }

    /// Whether `url` lies under one of the status prefixes (same scheme,
    /// host and port, and a path that starts with the prefix's path).
    pub fn is_status_url(&self, url: &Url) -> bool {
        self.status_prefixes.iter().any(|p| {
            p.scheme() == url.scheme()
                && p.host_str() == url.host_str()
                && p.port_or_known_default() == url.port_or_known_default()
                && url.path().starts_with(p.path())
        })
    }
}

/// The buyer's validated trust list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    authorities: Vec<Authority>,
    ethereum: Vec<EthereumNode>,
    hosts: BTreeMap<String, HostLimits>,
}

impl TrustList {
    /// Reads and validates a trust list file.
    pub fn load(path: &Path) -> Result<TrustList, TrustListError> {
        let file = path.display().to_string();
        let io = |source| TrustListError::Io {
            file: file.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.len() > MAX_TRUST_LIST_BYTES {
            return Err(TrustListError::Syntax {
                file,
                message: format!("larger than {MAX_TRUST_LIST_BYTES} bytes"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        TrustList::from_toml(&text, &file)
    }

    /// Parses and validates trust list TOML; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<TrustList, TrustListError> {
        let parsed: TrustListFile = toml::from_str(text).map_err(|e| TrustListError::Syntax {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        TrustList::from_file(&parsed, file)
    }

    /// Validates an already parsed trust list; `file` names it in errors.
    pub fn from_file(parsed: &TrustListFile, file: &str) -> Result<TrustList, TrustListError> {
        if parsed.authority.is_empty() {
            return Err(TrustListError::Empty {
                file: file.to_owned(),
            });
        }
        let mut authorities: Vec<Authority> = Vec::new();
        for (n, entry) in parsed.authority.iter().enumerate() {
            let authority = validate(entry, n, file)?;
            let err = |field: &str, problem: String| TrustListError::Field {
                file: file.to_owned(),
                authority: format!("{:?}", authority.id),
                field: field.to_owned(),
                problem,
            };
            if let Some(other) = authorities.iter().find(|a| a.id == authority.id) {
                return Err(err("id", format!("{:?} is used twice", other.id)));
            }
            if let Some(other) = authorities
                .iter()
                .find(|a| a.issuer.is_some() && a.issuer == authority.issuer)
            {
                return Err(err(
                    "issuer",
                    format!(
                        "{:?} is also the issuer of authority {:?}",
                        other.issuer.as_deref().unwrap_or_default(),
                        other.id
                    ),
                ));
            }
            for store in &authority.document_stores {
                if let Some(other) = authorities
                    .iter()
                    .find(|a| a.document_stores.contains(store))
                {
                    return Err(err(
                        "document_store",
                        format!(
                            "{} on chain {} is also pinned by authority {:?}",
                            store.address, store.chain_id, other.id
                        ),
                    ));
                }
            }
            for signer in &authority.did_signers {
                if let Some(other) = authorities
                    .iter()
                    .find(|a| a.did_signers.iter().any(|s| s.id == signer.id))
                {
                    return Err(err(
                        "did_signer",
                        format!("{:?} is also pinned by authority {:?}", signer.id, other.id),
                    ));
                }
            }
            authorities.push(authority);
        }
        let ethereum = validate_nodes(&parsed.ethereum, file)?;
        for authority in &authorities {
            for store in &authority.document_stores {
                if !ethereum.iter().any(|n| n.chain_id == store.chain_id) {
                    return Err(TrustListError::Field {
                        file: file.to_owned(),
                        authority: format!("{:?}", authority.id),
                        field: "document_store".to_owned(),
                        problem: format!(
                            "chain {} has no [[ethereum]] node to ask about store {}",
                            store.chain_id, store.address
                        ),
                    });
                }
            }
        }
        let hosts = host_limits(&authorities);
        Ok(TrustList {
            authorities,
            ethereum,
            hosts,
        })
    }

    /// The authorities' hosts (see [`Authority::hosts`]) by [`origin`],
    /// each with its limits: on a host several authorities name (a shared
    /// single window), the strictest rate and concurrency any of them sets;
    /// the polite defaults ([`HostLimits::polite_default`]) where none does.
    pub fn authority_hosts(&self) -> &BTreeMap<String, HostLimits> {
        &self.hosts
    }

    /// The limits of `url`'s host when it is an authority's host.
    pub fn host_limits(&self, url: &Url) -> Option<HostLimits> {
        self.hosts.get(&origin(url)).copied()
    }

    /// All authorities, in file order.
    pub fn authorities(&self) -> &[Authority] {
        &self.authorities
    }

    /// The authority whose `issuer` is `issuer`.
    pub fn by_issuer(&self, issuer: &str) -> Option<&Authority> {
        self.authorities
            .iter()
            .find(|a| a.issuer.as_deref() == Some(issuer))
    }

    /// The buyer's node for `chain_id`, if the list names one.
    pub fn node(&self, chain_id: u64) -> Option<&EthereumNode> {
        self.ethereum.iter().find(|n| n.chain_id == chain_id)
    }

    /// The nodes the list names, in file order.
    pub fn nodes(&self) -> &[EthereumNode] {
        &self.ethereum
    }

    /// The authority that pins the store at `address`, and the store (with
    /// the chain it is pinned on). A store is pinned on one chain.
    pub fn by_document_store(&self, address: Address) -> Option<(&Authority, DocumentStore)> {
        self.authorities.iter().find_map(|a| {
            a.document_stores
                .iter()
                .find(|s| s.address == address)
                .map(|s| (a, *s))
        })
    }

    /// The authority that pins the DID signer `id`, and the signer.
    pub fn by_did_signer(&self, id: &str) -> Option<(&Authority, &DidSigner)> {
        self.authorities
            .iter()
            .find_map(|a| a.did_signers.iter().find(|s| s.id == id).map(|s| (a, s)))
    }

    /// The authority with id `id`.
    pub fn by_id(&self, id: &str) -> Option<&Authority> {
        self.authorities.iter().find(|a| a.id == id)
    }

    /// The authority that holds the key `verification_method`, if any.
    pub fn by_key(&self, verification_method: &str) -> Option<&Authority> {
        self.authorities
            .iter()
            .find(|a| a.key(verification_method).is_some())
    }
}

fn validate(entry: &AuthorityEntry, n: usize, file: &str) -> Result<Authority, TrustListError> {
    let label = match &entry.id {
        Some(id) => format!("{id:?}"),
        None => format!("#{} (no id)", n + 1),
    };
    let err = |field: &str, problem: String| TrustListError::Field {
        file: file.to_owned(),
        authority: label.clone(),
        field: field.to_owned(),
        problem,
    };
    let required = |field: &str, value: &Option<String>| -> Result<String, TrustListError> {
        match value.as_deref().map(str::trim) {
            None => Err(err(field, "missing".into())),
            Some("") => Err(err(field, "empty".into())),
            Some(v) => Ok(v.to_owned()),
        }
    };
    let id = required("id", &entry.id)?;
    let name = required("name", &entry.name)?;
    let country = required("country", &entry.country)?;
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(err(
            "country",
            format!("{country:?} is not an ISO 3166-1 alpha-2 code such as \"CN\""),
        ));
    }
    if entry.key.is_empty() && entry.document_store.is_empty() && entry.did_signer.is_empty() {
        return Err(err(
            "key",
            "at least one [[authority.key]], [[authority.document_store]] or \
             [[authority.did_signer]] is required"
                .into(),
        ));
    }
    // Credentials name their issuer; OpenAttestation documents name a
    // store or a signer instead.
    let issuer = if entry.key.is_empty() {
        entry
            .issuer
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_owned)
    } else {
        Some(required("issuer", &entry.issuer)?)
    };
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    for (k, key) in entry.key.iter().enumerate() {
        let field = |f: &str| format!("key[{k}].{f}");
        let key_id = required(&field("id"), &key.id)?;
        if !seen.insert(key_id.clone()) {
            return Err(err(&field("id"), format!("{key_id:?} is listed twice")));
        }
        let multibase = required(&field("public_key_multibase"), &key.public_key_multibase)?;
        let public = decode_ed25519_multikey(&multibase)
            .map_err(|e| err(&field("public_key_multibase"), e.to_string()))?;
        keys.push(TrustedKey {
            id: key_id,
            key: public,
        });
    }

    let log = match (&entry.log_url, &entry.log_key) {
        (None, None) => None,
        (Some(_), None) => return Err(err("log_key", "missing while log_url is set".into())),
        (None, Some(_)) => return Err(err("log_url", "missing while log_key is set".into())),
        (Some(url), Some(key)) => Some(LogConfig {
            url: base_url(url).map_err(|p| err("log_url", p))?,
            key: NoteVerifier::parse(key).map_err(|e| err("log_key", e.to_string()))?,
        }),
    };
    let single_window_url = entry
        .single_window_url
        .as_deref()
        .map(base_url)
        .transpose()
        .map_err(|p| err("single_window_url", p))?;
    let mut status_prefixes = Vec::new();
    for prefix in entry.status_prefixes.iter().flatten() {
        status_prefixes.push(http_url(prefix).map_err(|p| err("status_prefixes", p))?);
    }
    let mut portals = Vec::new();
    for portal in entry.portals.iter().flatten() {
        portals.push(portal_host(portal).map_err(|p| err("portals", p))?);
    }
    let terms = validate_terms(entry).map_err(|(field, problem)| err(field, problem))?;
    let mut document_stores: Vec<DocumentStore> = Vec::new();
    for (k, store) in entry.document_store.iter().enumerate() {
        let field = |f: &str| format!("document_store[{k}].{f}");
        let chain_id = store
            .chain_id
            .ok_or_else(|| err(&field("chain_id"), "missing".into()))?;
        let address = required(&field("address"), &store.address)?;
        let address = Address::parse(&address).map_err(|p| err(&field("address"), p))?;
        if document_stores.iter().any(|s| s.address == address) {
            return Err(err(
                &field("address"),
                format!("{address} is listed twice (a store is pinned on one chain)"),
            ));
        }
        document_stores.push(DocumentStore { chain_id, address });
    }
    let mut did_signers: Vec<DidSigner> = Vec::new();
    for (k, signer) in entry.did_signer.iter().enumerate() {
        let field = |f: &str| format!("did_signer[{k}].{f}");
        let signer_id = required(&field("id"), &signer.id)?;
        if !signer_id.starts_with("did:") {
            return Err(err(&field("id"), format!("{signer_id:?} is not a DID")));
        }
        if did_signers.iter().any(|s| s.id == signer_id) {
            return Err(err(&field("id"), format!("{signer_id:?} is listed twice")));
        }
        let address = required(&field("address"), &signer.address)?;
        let address = Address::parse(&address).map_err(|p| err(&field("address"), p))?;
        did_signers.push(DidSigner {
            id: signer_id,
            address,
        });
    }
    Ok(Authority {
        id,
        name,
        country,
        issuer,
        keys,
        document_stores,
        did_signers,
        log,
        status_prefixes,
        single_window_url,
        portals,
        terms,
    })
}

/// The limits of every authority host: per field, the strictest value the
/// authorities naming the host set, else the default.
fn host_limits(authorities: &[Authority]) -> BTreeMap<String, HostLimits> {
    let mut terms: BTreeMap<String, AuthorityTerms> = BTreeMap::new();
    for authority in authorities {
        for host in authority.hosts() {
            let merged = terms.entry(host).or_default();
            merged.interval = merged.interval.max(authority.terms.interval);
            merged.max_in_flight = match (merged.max_in_flight, authority.terms.max_in_flight) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let default = HostLimits::polite_default();
    terms
        .into_iter()
        .map(|(host, t)| {
            let limits = HostLimits {
                interval: t.interval.unwrap_or(default.interval),
                max_in_flight: t.max_in_flight.unwrap_or(default.max_in_flight),
            };
            (host, limits)
        })
        .collect()
}

/// Validates `requests_per_second` and `max_in_flight`.
fn validate_terms(entry: &AuthorityEntry) -> Result<AuthorityTerms, (&'static str, String)> {
    let interval = match entry.requests_per_second {
        None => None,
        Some(rate)
            if rate.is_finite()
                && (MIN_REQUESTS_PER_SECOND..=MAX_REQUESTS_PER_SECOND).contains(&rate) =>
        {
            Some(Duration::from_secs_f64(1.0 / rate))
        }
        Some(rate) => {
            return Err((
                "requests_per_second",
                format!(
                    "{rate} is not a rate from {MIN_REQUESTS_PER_SECOND:.4} (one a minute) \
                     to {MAX_REQUESTS_PER_SECOND}"
                ),
            ));
        }
    };
    let max_in_flight = match entry.max_in_flight {
        None => None,
        Some(n) if (1..=MAX_IN_FLIGHT_LIMIT).contains(&n) => Some(n),
        Some(n) => {
            return Err((
                "max_in_flight",
                format!("{n} is not a number of requests from 1 to {MAX_IN_FLIGHT_LIMIT}"),
            ));
        }
    };
    Ok(AuthorityTerms {
        interval,
        max_in_flight,
    })
}

/// Validates the `[[ethereum]]` tables: one node per chain, each an
/// http(s) URL.
fn validate_nodes(
    entries: &[EthereumEntry],
    file: &str,
) -> Result<Vec<EthereumNode>, TrustListError> {
    let mut nodes: Vec<EthereumNode> = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let err = |field: &str, problem: String| TrustListError::Ethereum {
            file: file.to_owned(),
            position: n + 1,
            field: field.to_owned(),
            problem,
        };
        let chain_id = entry
            .chain_id
            .ok_or_else(|| err("chain_id", "missing".into()))?;
        if nodes.iter().any(|node| node.chain_id == chain_id) {
            return Err(err("chain_id", format!("chain {chain_id} has two nodes")));
        }
        let rpc_url = entry
            .rpc_url
            .as_deref()
            .ok_or_else(|| err("rpc_url", "missing".into()))
            .and_then(|u| http_url(u).map_err(|p| err("rpc_url", p)))?;
        nodes.push(EthereumNode { chain_id, rpc_url });
    }
    Ok(nodes)
}

fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{text:?} is not an http(s) URL"));
    }
    Ok(url)
}

fn base_url(text: &str) -> Result<Url, String> {
    let url = http_url(text)?;
    if !text.ends_with('/') || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?} must be a base URL ending with '/' (and without query or fragment)"
        ));
    }
    Ok(url)
}

fn portal_host(text: &str) -> Result<String, String> {
    let host = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        return Err(format!(
            "{text:?} is not a host name such as \"check.example.org\""
        ));
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[authority]]
id = "cn-ccpit"
name = "China Council for the Promotion of International Trade"
country = "CN"
issuer = "did:web:eco.ccpit.example"
log_url = "https://eco.ccpit.example/log/"
log_key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
status_prefixes = ["https://eco.ccpit.example/status/"]
single_window_url = "https://sw.example/"
portals = ["check.ccpiteco.net"]

  [[authority.key]]
  id = "did:web:eco.ccpit.example#key-1"
  public_key_multibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
"#;

    fn error_for(text: &str) -> String {
        TrustList::from_toml(text, "t.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn loads_a_complete_authority() {
        let list = TrustList::from_toml(GOOD, "t.toml").expect("valid");
        let a = list
            .by_issuer("did:web:eco.ccpit.example")
            .expect("authority");
        assert_eq!(a.id, "cn-ccpit");
        assert!(a.key("did:web:eco.ccpit.example#key-1").is_some());
        assert_eq!(a.log.as_ref().map(|l| l.key.name()), Some("PeterNeumann"));
        let inside = Url::parse("https://eco.ccpit.example/status/1").unwrap();
        let beside = Url::parse("https://eco.ccpit.example.evil.test/status/1").unwrap();
        let other_path = Url::parse("https://eco.ccpit.example/other/1").unwrap();
        assert!(a.is_status_url(&inside));
        assert!(!a.is_status_url(&beside));
        assert!(!a.is_status_url(&other_path));
    }

    #[test]
    fn errors_name_file_authority_and_field() {
        let e = error_for(&GOOD.replace("issuer = \"did:web:eco.ccpit.example\"\n", ""));
        assert_eq!(e, "t.toml: authority \"cn-ccpit\": field `issuer`: missing");

        let e = error_for(&GOOD.replace("z6MkrJVnaZ", "z0OIl"));
        assert!(
            e.starts_with("t.toml: authority \"cn-ccpit\": field `key[0].public_key_multibase`:"),
            "{e}"
        );

        let e = error_for(&GOOD.replace("AR", "AX"));
        assert!(e.contains("field `log_key`"), "{e}");

        let e = error_for(&GOOD.replace("/log/", "/log"));
        assert!(e.contains("field `log_url`") && e.contains("'/'"), "{e}");

        let e = error_for(&GOOD.replace("https://sw.example/", "https://sw.example/x"));
        assert!(e.contains("field `single_window_url`"), "{e}");

        let e = error_for(&GOOD.replace("id = \"cn-ccpit\"\n", ""));
        assert!(
            e.contains("authority #1 (no id): field `id`: missing"),
            "{e}"
        );

        let e = error_for(&GOOD.replace("country = \"CN\"", "country = \"China\""));
        assert!(e.contains("field `country`"), "{e}");
    }

    #[test]
    fn unknown_fields_and_duplicates_are_errors() {
        let e = error_for(&GOOD.replace("log_url", "lgo_url"));
        assert!(e.contains("t.toml") && e.contains("lgo_url"), "{e}");
        let twice = format!("{GOOD}\n{GOOD}");
        assert!(error_for(&twice).contains("field `id`"));
        assert!(error_for("").contains("names no [[authority]]"));
        let no_keys = GOOD.split("  [[authority.key]]").next().unwrap().to_owned();
        assert!(error_for(&no_keys).contains("field `key`"));
    }

    #[test]
    fn authority_hosts_get_their_terms_or_the_polite_defaults() {
        let list = TrustList::from_toml(GOOD, "t.toml").expect("valid");
        let hosts: Vec<&str> = list.authority_hosts().keys().map(String::as_str).collect();
        // The log and status lists share a host; the portal is not one.
        assert_eq!(
            hosts,
            ["https://eco.ccpit.example:443", "https://sw.example:443"]
        );
        assert!(
            list.authority_hosts()
                .values()
                .all(|l| *l == HostLimits::polite_default())
        );
        assert_eq!(
            HostLimits::polite_default().max_in_flight,
            DEFAULT_MAX_IN_FLIGHT
        );
        assert!(
            (HostLimits::polite_default().requests_per_second() - DEFAULT_REQUESTS_PER_SECOND)
                .abs()
                < 1e-9
        );
        let portal = Url::parse("https://check.ccpiteco.net/x").unwrap();
        assert_eq!(list.host_limits(&portal), None);

        // A second authority on the same single window: per field, the
        // strictest value set wins, and a set value beats the default.
        let other = GOOD
            .replace("cn-ccpit", "vn-moit")
            .replace("eco.ccpit.example", "eco.moit.example")
            .replace("check.ccpiteco.net", "check.moit.example");
        let text = format!(
            "{}\n{}",
            GOOD.replacen(
                "portals =",
                "requests_per_second = 20\nmax_in_flight = 3\nportals =",
                1
            ),
            other.replacen("portals =", "requests_per_second = 12.5\nportals =", 1)
        );
        let list = TrustList::from_toml(&text, "t.toml").expect("valid");
        let limits = |url: &str| list.host_limits(&Url::parse(url).unwrap()).unwrap();
        let sw = limits("https://sw.example/v1/certificates/X");
        assert_eq!(sw.interval, Duration::from_millis(80));
        assert_eq!(sw.max_in_flight, 3);
        let cn = limits("https://eco.ccpit.example/log/checkpoint");
        assert_eq!(
            (cn.interval, cn.max_in_flight),
            (Duration::from_millis(50), 3)
        );
        let vn = limits("https://eco.moit.example/status/1");
        assert_eq!(
            (vn.interval, vn.max_in_flight),
            (Duration::from_millis(80), DEFAULT_MAX_IN_FLIGHT)
        );
    }

    #[test]
    fn terms_out_of_bounds_are_errors() {
        let with = |line: &str| GOOD.replacen("portals =", &format!("{line}\nportals ="), 1);
        for bad in [
            "requests_per_second = 0",
            "requests_per_second = -1",
            "requests_per_second = nan",
            "requests_per_second = inf",
            "requests_per_second = 0.001",
            "requests_per_second = 1000.5",
        ] {
            let e = error_for(&with(bad));
            assert!(
                e.starts_with("t.toml: authority \"cn-ccpit\": field `requests_per_second`:"),
                "{bad}: {e}"
            );
        }
        for bad in ["max_in_flight = 0", "max_in_flight = 65"] {
            let e = error_for(&with(bad));
            assert!(e.contains("field `max_in_flight`"), "{bad}: {e}");
        }
        // Not a whole number, or negative: the parser names the line.
        let e = error_for(&with("max_in_flight = -1"));
        assert!(e.contains("max_in_flight") && e.contains("line"), "{e}");
        for good in [
            "requests_per_second = 1000",
            "requests_per_second = 0.02",
            "max_in_flight = 64",
        ] {
            assert!(
                TrustList::from_toml(&with(good), "t.toml").is_ok(),
                "{good}"
            );
        }
    }

    const TRADETRUST: &str = r#"
[[ethereum]]
chain_id = 1
rpc_url = "http://127.0.0.1:8545/"

[[authority]]
id = "au-coo"
name = "Australian issuing body"
country = "AU"
  [[authority.document_store]]
  chain_id = 1
  address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
  [[authority.did_signer]]
  id = "did:ethr:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359#controller"
  address = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
"#;

    #[test]
    fn an_authority_may_pin_only_stores_and_signers() {
        let list = TrustList::from_toml(TRADETRUST, "t.toml").expect("valid");
        let store = Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").unwrap();
        let (authority, pinned) = list.by_document_store(store).expect("pinned");
        assert_eq!((authority.id.as_str(), pinned.chain_id), ("au-coo", 1));
        assert_eq!(authority.issuer, None);
        assert_eq!(
            list.node(1).map(|n| n.rpc_url.as_str()),
            Some("http://127.0.0.1:8545/")
        );
        assert!(list.node(5).is_none());
        let (_, signer) = list
            .by_did_signer("did:ethr:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359#controller")
            .expect("signer");
        assert_eq!(
            signer.address.to_string(),
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
        );
        // Both formats in one list.
        let both = format!("{TRADETRUST}\n{GOOD}");
        assert!(TrustList::from_toml(&both, "t.toml").is_ok());
    }

    #[test]
    fn ethereum_entries_are_checked() {
        let e =
            error_for(&TRADETRUST.replace("chain_id = 1\n  address", "chain_id = 5\n  address"));
        assert!(
            e.contains("field `document_store`") && e.contains("chain 5"),
            "{e}"
        );
        let e = error_for(&TRADETRUST.replace(
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        ));
        assert!(
            e.contains("document_store[0].address") && e.contains("EIP-55"),
            "{e}"
        );
        let e = error_for(&TRADETRUST.replace(
            "rpc_url = \"http://127.0.0.1:8545/\"",
            "rpc_url = \"ftp://node/\"",
        ));
        assert!(e.contains("ethereum #1: field `rpc_url`"), "{e}");
        let two_nodes = TRADETRUST.replacen(
            "[[authority]]",
            "[[ethereum]]\nchain_id = 1\nrpc_url = \"http://n2/\"\n\n[[authority]]",
            1,
        );
        assert!(error_for(&two_nodes).contains("chain 1 has two nodes"));
        let e = error_for(&TRADETRUST.replace("id = \"did:ethr", "id = \"ethr"));
        assert!(e.contains("did_signer[0].id"), "{e}");
        let e = error_for(&TRADETRUST.replace("document_store]]", "document_stor]]"));
        assert!(e.contains("document_stor"), "{e}");
        let bare = TRADETRUST
            .split("  [[authority.document_store]]")
            .next()
            .unwrap();
        let e = error_for(bare);
        assert!(
            e.contains("field `key`") && e.contains("document_store"),
            "{e}"
        );
        let twice = format!(
            "{TRADETRUST}\n{}",
            TRADETRUST
                .split("[[authority]]")
                .nth(1)
                .map(|a| format!("[[authority]]{a}"))
                .unwrap()
                .replace("au-coo", "au-other")
        );
        assert!(
            error_for(&twice).contains("also pinned by authority"),
            "{}",
            error_for(&twice)
        );
    }
}
