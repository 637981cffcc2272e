//! Name resolution with hickory's resolver, for every request and for the
//! TXT records of issuers' identity proofs: the system's name servers, or
//! one server the buyer names (`--dns-server`). Answers are cached for
//! their TTL, and at most [`MAX_RESOLUTIONS_IN_FLIGHT`] lookups run at
//! once. The address guard is applied by the caller, to every address of
//! every answer.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::sync::Semaphore;

use eco::FetchError;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// Time one lookup may take, all attempts included.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// At most this many TXT records are read from one answer.
pub const MAX_TXT_RECORDS: usize = 64;

/// At most this many lookups are sent at once (hickory refuses more than
/// 32 pending queries on one connection to a name server).
pub const MAX_RESOLUTIONS_IN_FLIGHT: usize = 32;

/// Answers kept in the cache, each for its TTL.
pub const DNS_CACHE_ENTRIES: u64 = 16_384;

/// A resolver, or why there is none (then address lookups fall back to the
/// system's blocking resolver and TXT lookups fail).
pub struct NameResolver {
    resolver: Result<TokioResolver, String>,
    in_flight: Semaphore,
}

impl NameResolver {
    /// A resolver asking `server` (UDP, then TCP), or the system's name
    /// servers when `server` is `None`. A system without a usable
    /// configuration gets a resolver that answers every lookup with an
    /// error (so that identity proofs read "not checked").
    pub fn new(server: Option<SocketAddr>) -> NameResolver {
        let builder = match server {
            Some(address) => {
                let connection = |mut c: ConnectionConfig| {
                    c.port = address.port();
                    c
                };
                let name_server = NameServerConfig::new(
                    address.ip(),
                    true,
                    vec![
                        connection(ConnectionConfig::udp()),
                        connection(ConnectionConfig::tcp()),
                    ],
                );
                Ok(TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![name_server]),
                    TokioRuntimeProvider::default(),
                ))
            }
            None => TokioResolver::builder_tokio()
                .map_err(|e| format!("no DNS configuration on this system: {e}")),
        };
        let resolver = builder.and_then(|mut builder| {
            let options = builder.options_mut();
            options.timeout = DNS_TIMEOUT / 2;
            options.attempts = 2;
            options.cache_size = DNS_CACHE_ENTRIES;
            builder.build().map_err(|e| e.to_string())
        });
        NameResolver {
            resolver,
            in_flight: Semaphore::new(MAX_RESOLUTIONS_IN_FLIGHT),
        }
    }

    /// The addresses of `host`, every one of them (the guard is the
    /// caller's). Without a usable resolver, the system's is asked.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let Ok(resolver) = &self.resolver else {
            let found = tokio::net::lookup_host((host, 0))
                .await
                .map_err(|e| format!("{host}: {e}"))?;
            return Ok(found.map(|a| a.ip()).collect());
        };
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| "the resolver is shutting down".to_owned())?;
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        match tokio::time::timeout(DNS_TIMEOUT, resolver.lookup_ip(fqdn)).await {
            Err(_) => Err(format!(
                "{host}: no DNS answer within {} s",
                DNS_TIMEOUT.as_secs()
            )),
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => {
                Err(format!("{host}: no such name"))
            }
            Ok(Err(e)) => Err(format!("{host}: {e}")),
            Ok(Ok(answer)) => Ok(answer.iter().collect()),
        }
    }

    /// The TXT records at `name` (each record's strings joined); `Ok` and
    /// empty when the name has none or does not exist.
    pub async fn txt_records(&self, name: &str) -> Result<Vec<String>, FetchError> {
        let resolver = self
            .resolver
            .as_ref()
            .map_err(|e| FetchError::Refused(e.clone()))?;
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| FetchError::Refused("the resolver is shutting down".into()))?;
        // A fully qualified name: no search domains are tried.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let lookup = tokio::time::timeout(DNS_TIMEOUT, resolver.txt_lookup(fqdn)).await;
        match lookup {
            Err(_) => Err(FetchError::Timeout {
                seconds: DNS_TIMEOUT.as_secs_f64(),
            }),
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Ok(Err(e)) => Err(FetchError::Transport(format!("DNS {name}: {e}"))),
            Ok(Ok(answer)) => Ok(answer
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .take(MAX_TXT_RECORDS)
                .collect()),
        }
    }
}
