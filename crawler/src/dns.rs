//! TXT lookups for issuers' identity proofs, with hickory's resolver: the
//! system's name servers, or one server the buyer names (`--dns-server`).

use std::net::SocketAddr;
use std::time::Duration;

use eco::FetchError;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// Time one lookup may take, all attempts included.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// At most this many TXT records are read from one answer.
pub const MAX_TXT_RECORDS: usize = 64;

/// A TXT resolver, or why there is none.
pub struct TxtResolver {
    resolver: Result<TokioResolver, String>,
}

impl TxtResolver {
    /// A resolver asking `server` (UDP, then TCP), or the system's name
    /// servers when `server` is `None`. A system without a usable
    /// configuration gets a resolver that answers every lookup with an
    /// error (so that identity proofs read "not checked").
    pub fn new(server: Option<SocketAddr>) -> TxtResolver {
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
            builder.build().map_err(|e| e.to_string())
        });
        TxtResolver { resolver }
    }

    /// The TXT records at `name` (each record's strings joined); `Ok` and
    /// empty when the name has none or does not exist.
    pub async fn txt_records(&self, name: &str) -> Result<Vec<String>, FetchError> {
        let resolver = self
            .resolver
            .as_ref()
            .map_err(|e| FetchError::Refused(e.clone()))?;
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
