//! The HTTP fetcher: reqwest with rustls and the webpki roots, an honest
//! user agent, size and time caps, redirects followed one hop at a time,
//! and the address guard applied to every hop and every resolved address.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use eco::{FetchError, FetchResponse, Fetcher};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::address::is_public;
use crate::dns::NameResolver;

/// Default time a whole request (connect, redirects, body) may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default cap on a response body, counted after decompression.
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
/// How long an idle connection is kept for reuse.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept per host at most.
pub const POOL_MAX_IDLE_PER_HOST: usize = 4;
/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// The user agent: `ecoscout/<version> (+<project URL>)`.
pub fn default_user_agent() -> String {
    format!(
        "ecoscout/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// A host name, or every name under a `*.suffix`: what `--resolve` and
/// `--private-names` apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern(String);

impl HostPattern {
    /// Whether the pattern covers `host`.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match self.0.strip_prefix("*.") {
            Some(suffix) => {
                host.len() > suffix.len()
                    && host.ends_with(suffix)
                    && host[..host.len() - suffix.len()].ends_with('.')
            }
            None => host == self.0,
        }
    }
}

impl FromStr for HostPattern {
    type Err = String;

    fn from_str(s: &str) -> Result<HostPattern, String> {
        let pattern = s.trim().to_ascii_lowercase();
        let name = pattern.strip_prefix("*.").unwrap_or(&pattern);
        if name.is_empty()
            || name.contains('*')
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(format!("{pattern:?} is not a host name or '*.suffix'"));
        }
        Ok(HostPattern(pattern))
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `--resolve PATTERN=IP` rule: the host name, or every name under a
/// `*.suffix`, goes to `ip` (the port comes from the URL). The user chose
/// these addresses, so the address guard does not apply to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRule {
    pattern: HostPattern,
    ip: IpAddr,
}

impl ResolveRule {
    /// Whether the rule applies to `host`.
    pub fn matches(&self, host: &str) -> bool {
        self.pattern.matches(host)
    }

    /// The address the rule gives.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl FromStr for ResolveRule {
    type Err = String;

    fn from_str(s: &str) -> Result<ResolveRule, String> {
        let (pattern, ip) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected PATTERN=IP, such as '*.test=127.0.0.1'"))?;
        let pattern = pattern.parse().map_err(|e| format!("{s:?}: {e}"))?;
        let ip = ip
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("{s:?}: {ip:?} is not an IP address"))?;
        Ok(ResolveRule { pattern, ip })
    }
}

impl fmt::Display for ResolveRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.pattern, self.ip)
    }
}

/// What the fetcher may do.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Time a whole request may take, redirects and body included.
    pub timeout: Duration,
    /// Cap on a body, counted after decompression.
    pub max_body_bytes: usize,
    /// Host-name overrides.
    pub resolve: Vec<ResolveRule>,
    /// Switches the address guard off entirely.
    pub allow_private: bool,
    /// The DNS server every name is resolved through (and TXT records of
    /// issuers' identity proofs looked up at); the system's name servers
    /// when `None`.
    pub dns_server: Option<std::net::SocketAddr>,
    /// Names whose DNS answers may be private addresses (test worlds on
    /// loopback); every other name, and every IP literal, stays guarded.
    pub private_names: Vec<HostPattern>,
}

impl Default for FetchPolicy {
    fn default() -> FetchPolicy {
        FetchPolicy {
            user_agent: default_user_agent(),
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            resolve: Vec::new(),
            allow_private: false,
            dns_server: None,
            private_names: Vec::new(),
        }
    }
}

/// Why the fetcher could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct FetcherSetupError(String);

/// The error the resolver returns when every address of a name is refused.
#[derive(Debug)]
struct BlockedAddress(String);

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BlockedAddress {}

/// Resolves names with the `--resolve` rules first, then the shared
/// resolver ([`NameResolver`]), dropping addresses the guard refuses
/// (unless the name is one of `private_names`).
struct GuardedResolver {
    rules: Vec<ResolveRule>,
    private_names: Vec<HostPattern>,
    allow_private: bool,
    names: Arc<NameResolver>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        if let Some(rule) = self.rules.iter().find(|r| r.matches(&host)) {
            let addr = SocketAddr::new(rule.ip, 0);
            return Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) });
        }
        let allow_private =
            self.allow_private || self.private_names.iter().any(|p| p.matches(&host));
        let names = self.names.clone();
        Box::pin(async move {
            let found = names.addresses(&host).await.map_err(|e| {
                Box::new(ResolveFailed(e)) as Box<dyn std::error::Error + Send + Sync>
            })?;
            let allowed: Vec<SocketAddr> = found
                .iter()
                .filter(|ip| allow_private || is_public(**ip))
                .map(|ip| SocketAddr::new(*ip, 0))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                return Err(Box::new(BlockedAddress(format!(
                    "{host} resolves only to non-public addresses ({})",
                    found
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A name that could not be resolved.
#[derive(Debug)]
struct ResolveFailed(String);

impl fmt::Display for ResolveFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ResolveFailed {}

/// The HTTP fetcher every request of a screening goes through.
#[derive(Clone)]
pub struct HttpFetcher {
    client: reqwest::Client,
    /// For endpoints the buyer's trust list names: no address guard, and a
    /// connection pool apart from the guarded one, so that a supplier's
    /// request can never ride on a connection the guard did not check.
    trusted: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    policy: Arc<FetchPolicy>,
    /// The resolver every client of this fetcher shares (one cache).
    dns: Arc<NameResolver>,
}

/// The reqwest client for `policy`: no automatic redirects, no proxy, the
/// guarded resolver over the shared `names`, and idle connections kept
/// only briefly.
fn client(
    policy: &FetchPolicy,
    tls: &rustls::ClientConfig,
    names: &Arc<NameResolver>,
) -> Result<reqwest::Client, FetcherSetupError> {
    client_with_guard(policy, tls, names, policy.allow_private)
}

/// The reqwest client for endpoints of the buyer's trust list: the same,
/// with the address guard off.
fn trusted_client(
    policy: &FetchPolicy,
    tls: &rustls::ClientConfig,
    names: &Arc<NameResolver>,
) -> Result<reqwest::Client, FetcherSetupError> {
    client_with_guard(policy, tls, names, true)
}

fn client_with_guard(
    policy: &FetchPolicy,
    tls: &rustls::ClientConfig,
    names: &Arc<NameResolver>,
    allow_private: bool,
) -> Result<reqwest::Client, FetcherSetupError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .user_agent(policy.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .connect_timeout(policy.timeout)
        .timeout(policy.timeout)
        .dns_resolver(Arc::new(GuardedResolver {
            rules: policy.resolve.clone(),
            private_names: policy.private_names.clone(),
            allow_private,
            names: names.clone(),
        }))
        .build()
        .map_err(|e| FetcherSetupError(e.to_string()))
}

impl HttpFetcher {
    /// Builds a fetcher with `policy`.
    pub fn new(policy: FetchPolicy) -> Result<HttpFetcher, FetcherSetupError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| FetcherSetupError(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let tls = Arc::new(tls);
        let dns = Arc::new(NameResolver::new(policy.dns_server));
        Ok(HttpFetcher {
            client: client(&policy, &tls, &dns)?,
            trusted: trusted_client(&policy, &tls, &dns)?,
            tls,
            dns,
            policy: Arc::new(policy),
        })
    }

    /// A fetcher with the same policy and a connection pool of its own.
    /// A site's requests go through one, so that its connections close
    /// when the site is done instead of idling in a shared pool.
    pub fn with_own_pool(&self) -> Result<HttpFetcher, FetcherSetupError> {
        Ok(HttpFetcher {
            client: client(&self.policy, &self.tls, &self.dns)?,
            trusted: self.trusted.clone(),
            tls: self.tls.clone(),
            policy: self.policy.clone(),
            dns: self.dns.clone(),
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Checks a URL before any request: http(s) only, and an IP literal must
    /// pass the address guard.
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Refused(format!(
                "{url}: only http and https are fetched"
            )));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err(FetchError::Refused(format!("{url}: no host"))),
        };
        if self.policy.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(FetchError::Refused(format!(
                "{url}: {ip} is not a public address (use --allow-private to allow it)"
            )))
        }
    }

    /// `work`, abandoned as a timeout once the policy's time has passed.
    async fn within_timeout<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        let timeout = self.policy.timeout;
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or(Err(FetchError::Timeout {
                seconds: timeout.as_secs_f64(),
            }))
    }

    /// Makes one request without following redirects: the caller decides
    /// whether a redirect's target may be fetched (robots.txt, scope).
    pub async fn send_once(&self, request: &HttpRequest) -> Result<Hop, FetchError> {
        self.within_timeout(self.send_inner(request)).await
    }

    async fn send_inner(&self, request: &HttpRequest) -> Result<Hop, FetchError> {
        let url = &request.url;
        self.check_url(url)?;
        let builder = match &request.form {
            Some(body) => self
                .client
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone()),
            None => self.client.get(url.clone()),
        };
        let response = builder
            .header(reqwest::header::ACCEPT, &request.accept)
            .send()
            .await
            .map_err(|e| classify(url, &e, self.policy.timeout))?;
        let status = response.status();
        let location = response.headers().get(reqwest::header::LOCATION);
        if let Some(location) = location.filter(|_| status.is_redirection()) {
            let location = location
                .to_str()
                .map_err(|_| FetchError::Transport(format!("{url}: unreadable Location header")))?;
            let mut target = url.join(location).map_err(|e| {
                FetchError::Transport(format!("{url}: bad redirect {location:?}: {e}"))
            })?;
            target.set_fragment(None);
            return Ok(Hop::Redirect {
                status: status.as_u16(),
                location: target,
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = read_capped(
            response,
            self.policy.max_body_bytes,
            url,
            self.policy.timeout,
        )
        .await?;
        Ok(Hop::Response {
            response: FetchResponse {
                url: url.clone(),
                status: status.as_u16(),
                content_type,
                body,
            },
            retry_after,
        })
    }

    /// POSTs JSON to an endpoint of the buyer's trust list (see
    /// [`eco::Fetcher::post_trusted_json`]): http(s) only, no address
    /// guard, no redirect followed, the body capped as any other.
    async fn post_trusted(&self, url: &Url, body: Vec<u8>) -> Result<FetchResponse, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Refused(format!(
                "{url}: only http and https are fetched"
            )));
        }
        let response = self
            .trusted
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| classify(url, &e, self.policy.timeout))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Refused(format!(
                "{url}: the trust list's endpoint answered a redirect ({status}), which is not followed"
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(
            response,
            self.policy.max_body_bytes,
            url,
            self.policy.timeout,
        )
        .await?;
        Ok(FetchResponse {
            url: url.clone(),
            status: status.as_u16(),
            content_type,
            body,
        })
    }

    async fn fetch(&self, url: &Url, accept: &str) -> Result<FetchResponse, FetchError> {
        let mut request = HttpRequest::get(url.clone(), accept);
        for _hop in 0..=MAX_REDIRECTS {
            match self.send_inner(&request).await? {
                Hop::Response { response, .. } => return Ok(response),
                Hop::Redirect { location, .. } => request = HttpRequest::get(location, accept),
            }
        }
        Err(FetchError::Refused(format!(
            "{url}: more than {MAX_REDIRECTS} redirects"
        )))
    }
}

/// One request: GET, or POST of an urlencoded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The URL.
    pub url: Url,
    /// The `Accept` header.
    pub accept: String,
    /// For a POST, the urlencoded form body.
    pub form: Option<String>,
}

impl HttpRequest {
    /// A GET.
    pub fn get(url: Url, accept: &str) -> HttpRequest {
        HttpRequest {
            url,
            accept: accept.to_owned(),
            form: None,
        }
    }

    /// A POST of an urlencoded form.
    pub fn post_form(url: Url, accept: &str, body: String) -> HttpRequest {
        HttpRequest {
            url,
            accept: accept.to_owned(),
            form: Some(body),
        }
    }
}

/// What one request answered.
#[derive(Debug, Clone)]
pub enum Hop {
    /// A response (any status but a redirect with a Location).
    Response {
        /// The response.
        response: FetchResponse,
        /// A `Retry-After` in seconds, if the server sent one.
        retry_after: Option<Duration>,
    },
    /// A redirect.
    Redirect {
        /// Its status.
        status: u16,
        /// Where it points (resolved, without fragment).
        location: Url,
    },
}

impl Fetcher for HttpFetcher {
    async fn get(&self, url: &Url, accept: &str) -> Result<FetchResponse, FetchError> {
        self.within_timeout(self.fetch(url, accept)).await
    }

    async fn post_trusted_json(
        &self,
        url: &Url,
        body: Vec<u8>,
    ) -> Result<FetchResponse, FetchError> {
        self.within_timeout(self.post_trusted(url, body)).await
    }

    async fn txt_records(&self, name: &str) -> Result<Vec<String>, FetchError> {
        self.dns.txt_records(name).await
    }
}

/// Reads a body chunk by chunk, stopping at the cap.
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    url: &Url,
    timeout: Duration,
) -> Result<Vec<u8>, FetchError> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(FetchError::TooLarge { limit: cap });
    }
    // Room for the declared length (within the cap) up front: growing by
    // doubling copied a document's bytes several times over.
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| classify(url, &e, timeout))?
    {
        if body.len() + chunk.len() > cap {
            return Err(FetchError::TooLarge { limit: cap });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Turns a reqwest error into a fetch error, recognising the guard's refusal.
fn classify(url: &Url, error: &reqwest::Error, timeout: Duration) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<BlockedAddress>() {
            return FetchError::Refused(format!(
                "{url}: {blocked} (use --allow-private to allow it)"
            ));
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout {
            seconds: timeout.as_secs_f64(),
        };
    }
    let mut message = format!("{url}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        message.push_str(&format!(": {e}"));
        source = e.source();
    }
    FetchError::Transport(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_rules_parse_and_match() {
        let rule: ResolveRule = "*.test=127.0.0.1".parse().unwrap();
        assert!(rule.matches("supplier.test"));
        assert!(rule.matches("a.b.test"));
        assert!(rule.matches("A.Test."));
        assert!(!rule.matches("test"));
        assert!(!rule.matches("contest"));
        let exact: ResolveRule = "sw.example=::1".parse().unwrap();
        assert!(exact.matches("sw.example") && !exact.matches("x.sw.example"));
        assert_eq!(exact.ip(), "::1".parse::<IpAddr>().unwrap());
        for bad in [
            "",
            "x",
            "*.test",
            "=1.2.3.4",
            "a b=1.2.3.4",
            "*.test=localhost",
            "**.test=1.1.1.1",
        ] {
            assert!(bad.parse::<ResolveRule>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn refuses_loopback_literals_and_names_unless_allowed() {
        let fetcher = HttpFetcher::new(FetchPolicy::default()).unwrap();
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]:9/",
            "http://[::ffff:127.0.0.1]/",
            "ftp://example.org/",
            "file:///etc/passwd",
        ] {
            let err = fetcher
                .get(&Url::parse(url).unwrap(), "*/*")
                .await
                .unwrap_err();
            assert!(matches!(err, FetchError::Refused(_)), "{url}: {err:?}");
        }
        let err = fetcher
            .get(&Url::parse("http://localhost:9/").unwrap(), "*/*")
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Refused(ref m) if m.contains("non-public")),
            "{err:?}"
        );
    }
}
