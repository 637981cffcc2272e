//! The polite fetcher: every request of a screening (pages, probes,
//! credential downloads, and the authorities' logs, status lists and the
//! single window) goes through here, so that global and per-host
//! concurrency, the per-host delay, robots.txt, retries and redirects are
//! applied the same way to all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eco::{FetchError, FetchResponse, Fetcher};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::fetch::{Hop, HttpFetcher, HttpRequest, MAX_REDIRECTS};
use crate::robots::RobotsPolicy;

/// Default number of requests in flight across all hosts.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Default number of requests in flight to one host.
pub const DEFAULT_PER_HOST_CONCURRENCY: usize = 2;
/// Default minimum time between the starts of two requests to one host.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);
/// Retries after a connection failure, a 429 or a 503.
pub const MAX_RETRIES: u32 = 3;
/// Wait before the first retry; it doubles for each further one.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(500);
/// Longest `Retry-After` honoured; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Host records kept before idle ones are dropped.
const HOST_TABLE_SOFT_LIMIT: usize = 2048;
/// Requests to the trust list's endpoints (the buyer's own Ethereum
/// nodes) in flight at most, apart from the sites' share: a node is asked
/// a few calls per certificate, and must not be flooded by a crawl.
pub const MAX_TRUSTED_IN_FLIGHT: usize = 8;

/// The politeness settings.
#[derive(Debug, Clone)]
pub struct Politeness {
    /// Requests in flight across all hosts.
    pub concurrency: usize,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Minimum time between request starts on one host (a larger robots.txt
    /// `Crawl-delay` wins).
    pub delay: Duration,
    /// Retries after a connection failure, a 429 or a 503. A host whose
    /// last request failed through all its retries gets none until one of
    /// its requests succeeds: a down endpoint is not asked four times per
    /// certificate.
    pub max_retries: u32,
    /// Wait before the first retry (doubling for each further one), when
    /// the answer names no `Retry-After`.
    pub retry_backoff: Duration,
    /// The product token robots.txt groups are matched against.
    pub robots_agent: String,
}

impl Default for Politeness {
    fn default() -> Politeness {
        Politeness {
            concurrency: DEFAULT_CONCURRENCY,
            per_host_concurrency: DEFAULT_PER_HOST_CONCURRENCY,
            delay: DEFAULT_DELAY,
            max_retries: MAX_RETRIES,
            retry_backoff: RETRY_BACKOFF,
            robots_agent: "ecoscout".to_owned(),
        }
    }
}

/// Why a polite request produced no response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetError {
    /// robots.txt disallows the URL (or the whole host, when robots.txt
    /// could not be read).
    #[error("robots.txt disallows {url}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Robots {
        /// The URL refused.
        url: Url,
        /// Why the whole host is refused, when it is.
        reason: Option<String>,
    },
    /// The request failed or was refused for another reason.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The screening's time budget ran out.
    #[error("the site's time budget ran out before {0} was fetched")]
    Budget(Url),
}

struct HostState {
    permits: Arc<Semaphore>,
    next_start: tokio::sync::Mutex<Instant>,
    delay: Mutex<Duration>,
    robots: OnceCell<Result<RobotsPolicy, FetchError>>,
    last_used: Mutex<Instant>,
    /// Whether the host's last request failed through all its retries.
    failing: AtomicBool,
    /// The host's registrable domain, worked out once rather than per request.
    site: Option<String>,
}

/// Counters of what the fetcher did.
#[derive(Debug, Default)]
pub struct NetStats {
    /// Requests sent (each hop and retry counts).
    pub requests: AtomicU64,
    /// Requests refused by robots.txt.
    pub robots_refusals: AtomicU64,
}

/// The fetcher every request of a screening goes through.
#[derive(Clone)]
pub struct PoliteFetcher {
    http: HttpFetcher,
    politeness: Arc<Politeness>,
    global: Arc<Semaphore>,
    /// Requests in flight to the trust list's endpoints, apart from the
    /// sites' share ([`MAX_TRUSTED_IN_FLIGHT`]).
    trusted: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, Arc<HostState>>>>,
    /// When the next request may start, for hosts whose state was released
    /// while their delay had not yet passed.
    released: Arc<Mutex<HashMap<String, Instant>>>,
    /// Sites being screened, each with a connection pool of its own (and
    /// how many screenings of it are in progress).
    sites: Arc<Mutex<HashMap<String, (HttpFetcher, usize)>>>,
    stats: Arc<NetStats>,
}

fn host_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

impl PoliteFetcher {
    /// A polite fetcher over `http`.
    pub fn new(http: HttpFetcher, politeness: Politeness) -> PoliteFetcher {
        PoliteFetcher {
            http,
            global: Arc::new(Semaphore::new(politeness.concurrency.max(1))),
            trusted: Arc::new(Semaphore::new(MAX_TRUSTED_IN_FLIGHT)),
            politeness: Arc::new(politeness),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            released: Arc::new(Mutex::new(HashMap::new())),
            sites: Arc::new(Mutex::new(HashMap::new())),
            stats: Arc::new(NetStats::default()),
        }
    }

    /// Starts screening `site` (a registrable domain): its hosts' requests
    /// get a connection pool of their own until [`PoliteFetcher::release_site`].
    pub fn begin_site(&self, site: &str) {
        let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, screenings)) = sites.get_mut(site) {
            *screenings += 1;
            return;
        }
        match self.http.with_own_pool() {
            Ok(http) => {
                sites.insert(site.to_owned(), (http, 1));
            }
            Err(e) => tracing::warn!(site, "the site shares the common pool: {e}"),
        }
    }

    /// The HTTP fetcher for a host: its site's own while the site is being
    /// screened, the common one otherwise (authorities, other hosts).
    fn http_for(&self, state: &HostState) -> HttpFetcher {
        let sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        state
            .site
            .as_ref()
            .and_then(|site| sites.get(site))
            .map_or_else(|| self.http.clone(), |(http, _)| http.clone())
    }

    /// Forgets the hosts of a finished site (their robots.txt above all)
    /// and closes its connections, so that memory and open sockets do not
    /// grow with the number of sites screened. The per-host delay is kept
    /// until it has passed.
    pub fn release_site(&self, site: &str) {
        {
            let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, screenings)) = sites.get_mut(site) {
                *screenings -= 1;
                if *screenings == 0 {
                    sites.remove(site);
                }
            }
        }
        let now = Instant::now();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let mut released = self.released.lock().unwrap_or_else(|p| p.into_inner());
        released.retain(|_, next| *next > now);
        let suffix = format!(".{site}");
        hosts.retain(|key, state| {
            let host = key
                .split("://")
                .nth(1)
                .and_then(|h| h.rsplit_once(':'))
                .map_or("", |(h, _)| h);
            let of_site = host == site || host.ends_with(&suffix);
            if !of_site || Arc::strong_count(state) > 1 {
                return true;
            }
            if let Ok(next) = state.next_start.try_lock()
                && *next > now
            {
                released.insert(key.clone(), *next);
            }
            false
        });
    }

    /// The counters.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// The underlying HTTP fetcher.
    pub fn http(&self) -> &HttpFetcher {
        &self.http
    }

    fn host(&self, url: &Url) -> Arc<HostState> {
        let key = host_key(url);
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        if hosts.len() > HOST_TABLE_SOFT_LIMIT {
            let now = Instant::now();
            let idle = self.politeness.delay.max(Duration::from_secs(2)) * 2;
            hosts.retain(|_, h| {
                Arc::strong_count(h) > 1
                    || h.last_used
                        .lock()
                        .map(|t| now.duration_since(*t) < idle)
                        .unwrap_or(true)
            });
        }
        let state = hosts
            .entry(key)
            .or_insert_with_key(|key| {
                let next_start = self
                    .released
                    .lock()
                    .ok()
                    .and_then(|mut r| r.remove(key))
                    .unwrap_or_else(Instant::now);
                Arc::new(HostState {
                    permits: Arc::new(Semaphore::new(self.politeness.per_host_concurrency.max(1))),
                    next_start: tokio::sync::Mutex::new(next_start),
                    delay: Mutex::new(self.politeness.delay),
                    robots: OnceCell::new(),
                    last_used: Mutex::new(Instant::now()),
                    failing: AtomicBool::new(false),
                    site: crate::urlnorm::site_of(url),
                })
            })
            .clone();
        if let Ok(mut t) = state.last_used.lock() {
            *t = Instant::now();
        }
        state
    }

    /// Waits for a per-host slot (concurrency and delay), then a global one.
    async fn slot(&self, state: &HostState) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
        let host_permit = state
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        let wait = {
            let delay = state
                .delay
                .lock()
                .map(|d| *d)
                .unwrap_or(self.politeness.delay);
            let mut next = state.next_start.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + delay;
            start - now
        };
        tokio::time::sleep(wait).await;
        let global_permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("the global semaphore is never closed");
        (host_permit, global_permit)
    }

    /// One hop through the host's slot, with retries for connection
    /// failures, 429 and 503.
    async fn hop(&self, state: &HostState, request: &HttpRequest) -> Result<Hop, FetchError> {
        self.timed_hop(state, request).await.0
    }

    /// A hop, and the time its last attempt spent on the network (waiting
    /// for a slot not counted).
    async fn timed_hop(
        &self,
        state: &HostState,
        request: &HttpRequest,
    ) -> (Result<Hop, FetchError>, Duration) {
        let mut attempt = 0;
        let max_retries = if state.failing.load(Ordering::Relaxed) {
            0
        } else {
            self.politeness.max_retries
        };
        loop {
            let (result, spent) = {
                let _permits = self.slot(state).await;
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let result = self.http_for(state).send_once(request).await;
                (result, sent.elapsed())
            };
            let backoff = self.politeness.retry_backoff * 2u32.pow(attempt);
            let retry_in = match &result {
                Err(FetchError::Transport(_)) => Some(backoff),
                Ok(Hop::Response {
                    response,
                    retry_after,
                }) if matches!(response.status, 429 | 503) => {
                    Some(retry_after.unwrap_or(backoff).min(MAX_RETRY_AFTER))
                }
                _ => None,
            };
            match retry_in {
                Some(wait) if attempt < max_retries => {
                    tracing::debug!(url = %request.url, attempt, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => {
                    state.failing.store(retry_in.is_some(), Ordering::Relaxed);
                    return (result, spent);
                }
            }
        }
    }

    /// The robots.txt policy of the URL's host, fetched once. An error means
    /// the host may not be contacted at all (the address guard refused it).
    pub async fn robots(&self, url: &Url) -> Result<RobotsPolicy, FetchError> {
        let state = self.host(url);
        state
            .robots
            .get_or_init(|| async {
                let Ok(robots_url) = url.join("/robots.txt") else {
                    return Ok(RobotsPolicy::allow_all());
                };
                let agent = &self.politeness.robots_agent;
                let mut request = HttpRequest::get(robots_url, "text/plain, */*;q=0.1");
                for _ in 0..=MAX_REDIRECTS {
                    let target = self.host(&request.url);
                    match self.hop(&target, &request).await {
                        Ok(Hop::Response { response, .. }) => {
                            let policy =
                                RobotsPolicy::from_response(agent, response.status, &response.body);
                            if let Some(delay) = policy.crawl_delay()
                                && let Ok(mut d) = state.delay.lock()
                                && delay > *d
                            {
                                *d = delay;
                            }
                            return Ok(policy);
                        }
                        Ok(Hop::Redirect { location, .. }) => {
                            request = HttpRequest::get(location, &request.accept)
                        }
                        Err(e @ FetchError::Refused(_)) => return Err(e),
                        Err(e) => {
                            return Ok(RobotsPolicy::disallow_all(format!(
                                "robots.txt could not be fetched: {e}"
                            )));
                        }
                    }
                }
                Ok(RobotsPolicy::disallow_all("robots.txt redirects too often"))
            })
            .await
            .clone()
    }

    /// Makes a request politely, following redirects hop by hop, each hop
    /// checked against robots.txt and the address guard; gives up at
    /// `deadline`.
    pub async fn request(
        &self,
        request: HttpRequest,
        deadline: Option<Instant>,
    ) -> Result<FetchResponse, NetError> {
        self.request_timed(request, deadline)
            .await
            .map(|(response, _)| response)
    }

    /// [`PoliteFetcher::request`], with the time spent on the network
    /// (every hop's request and answer; waiting for politeness not counted).
    pub async fn request_timed(
        &self,
        request: HttpRequest,
        deadline: Option<Instant>,
    ) -> Result<(FetchResponse, Duration), NetError> {
        let url = request.url.clone();
        let work = self.request_inner(request);
        match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, work)
                .await
                .unwrap_or(Err(NetError::Budget(url))),
            None => work.await,
        }
    }

    async fn request_inner(
        &self,
        mut request: HttpRequest,
    ) -> Result<(FetchResponse, Duration), NetError> {
        let mut spent = Duration::ZERO;
        for _ in 0..=MAX_REDIRECTS {
            self.http.check_url(&request.url)?;
            if request.url.path() != "/robots.txt" {
                let robots = self.robots(&request.url).await?;
                if !robots.allowed(&request.url) {
                    self.stats.robots_refusals.fetch_add(1, Ordering::Relaxed);
                    return Err(NetError::Robots {
                        url: request.url.clone(),
                        reason: robots.refusal().map(str::to_owned),
                    });
                }
            }
            let state = self.host(&request.url);
            let (hop, hop_time) = self.timed_hop(&state, &request).await;
            spent += hop_time;
            match hop? {
                Hop::Response { response, .. } => return Ok((response, spent)),
                Hop::Redirect { status, location } => {
                    // 307 and 308 keep the method and body; the others become GET.
                    request = match (status, request.form.take()) {
                        (307 | 308, Some(body)) => {
                            HttpRequest::post_form(location, &request.accept, body)
                        }
                        _ => HttpRequest::get(location, &request.accept),
                    };
                }
            }
        }
        Err(NetError::Fetch(FetchError::Refused(format!(
            "more than {MAX_REDIRECTS} redirects"
        ))))
    }
}

impl Fetcher for PoliteFetcher {
    async fn get(&self, url: &Url, accept: &str) -> Result<FetchResponse, FetchError> {
        match self
            .request(HttpRequest::get(url.clone(), accept), None)
            .await
        {
            Ok(response) => Ok(response),
            Err(NetError::Fetch(e)) => Err(e),
            Err(other) => Err(FetchError::Refused(other.to_string())),
        }
    }

    /// The buyer's own endpoint: no robots.txt, no per-host delay, at most
    /// [`MAX_TRUSTED_IN_FLIGHT`] at once.
    async fn post_trusted_json(
        &self,
        url: &Url,
        body: Vec<u8>,
    ) -> Result<FetchResponse, FetchError> {
        let Ok(_permit) = self.trusted.acquire().await else {
            return Err(FetchError::Refused("the fetcher is shutting down".into()));
        };
        self.http.post_trusted_json(url, body).await
    }

    async fn txt_records(&self, name: &str) -> Result<Vec<String>, FetchError> {
        self.http.txt_records(name).await
    }
}
