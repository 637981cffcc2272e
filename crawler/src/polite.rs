//! The polite fetcher: every request of a screening (pages, probes,
//! credential downloads, and the authorities' logs, status lists and the
//! single window) goes through here, so that global and per-host
//! concurrency, the per-host delay, robots.txt, retries and redirects are
//! applied the same way to all.
//!
//! The authorities' hosts (the trust list's, see
//! [`PoliteFetcher::with_authority_hosts`]) are services the buyer uses on
//! agreed terms, not supplier sites: their requests skip the sites'
//! per-host delay and concurrency and pass an [`AuthorityGate`] instead,
//! and their GETs are first looked up in an [`AnswerCache`]. Both are
//! in-process by default; a fleet of workers passes shared ones
//! ([`PoliteFetcher::with_authority_gate`],
//! [`PoliteFetcher::with_answer_cache`]).
//!
//! A host outside the screened site that the screenings of
//! [`SHARED_HOST_MIN_SITES`] different sites have asked (a CDN, an image
//! host, a platform's file server) is infrastructure many suppliers share,
//! not one supplier's server: it gets [`Politeness::shared_hosts`] instead of
//! the sites' per-host delay, which would queue every screening behind one
//! request a second. While a screening queues for something the crawl
//! shares (the global slots, an authority's gate, a shared host), its
//! [`SiteBudget`] clock stops.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eco::trust::{HostLimits, origin};
use eco::{FetchError, FetchResponse, Fetcher};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::answer_cache::{AnswerCache, Claim, FetchClaim, LocalAnswerCache, is_cacheable};
use crate::budget::SiteBudget;
use crate::fetch::{Hop, HttpFetcher, HttpRequest, MAX_REDIRECTS};
use crate::gate::{AuthorityGate, GatePermit, LocalGate};
use crate::host_table::{HostRecord, HostTable};
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
/// Host records kept before idle ones are dropped (the table is swept
/// again each time it has doubled).
const HOST_TABLE_SOFT_LIMIT: usize = 2048;
/// Requests to the trust list's endpoints (the buyer's own Ethereum
/// nodes) in flight at most, apart from the sites' share: a node is asked
/// a few calls per certificate, and must not be flooded by a crawl.
pub const MAX_TRUSTED_IN_FLIGHT: usize = 8;
/// How long an authority's answer is kept by default: the lifetime of the
/// verifier's own checkpoint and status list cache.
pub const ANSWER_TTL: Duration = eco::verify::CACHE_LIFETIME;
/// How long a robots.txt that could not be read keeps its host shut
/// before it is fetched again.
pub const ROBOTS_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Distinct screened sites that must have asked a host outside their own
/// site before it counts as shared infrastructure (see the module text).
pub const SHARED_HOST_MIN_SITES: usize = 3;
/// Requests per second to one shared host, by default (per process).
pub const SHARED_HOST_REQUESTS_PER_SECOND: f64 = 20.0;
/// Requests in flight to one shared host, by default (per process).
pub const SHARED_HOST_MAX_IN_FLIGHT: u32 = 8;

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
    /// How long a definite answer of an authority's host is kept in the
    /// answer cache.
    pub answer_ttl: Duration,
    /// The rate and in-flight limit of a shared host (a larger robots.txt
    /// `Crawl-delay` wins).
    pub shared_hosts: HostLimits,
    /// How long a robots.txt that could not be read keeps its host shut.
    pub robots_retry_after: Duration,
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
            answer_ttl: ANSWER_TTL,
            shared_hosts: HostLimits {
                interval: Duration::from_secs_f64(1.0 / SHARED_HOST_REQUESTS_PER_SECOND),
                max_in_flight: SHARED_HOST_MAX_IN_FLIGHT,
            },
            robots_retry_after: ROBOTS_RETRY_AFTER,
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
    /// The host's robots.txt policy and when it was fetched.
    robots: tokio::sync::Mutex<Option<(Result<RobotsPolicy, FetchError>, Instant)>>,
    last_used: Mutex<Instant>,
    /// Whether the host's last request failed through all its retries.
    failing: AtomicBool,
    /// The host's registrable domain, worked out once rather than per request.
    site: Option<String>,
    /// The host's key ([`origin`]).
    key: String,
    /// The robots.txt Crawl-delay, zero when none: an authority's host
    /// has no site delay, but this one slows it.
    crawl_delay: Mutex<Duration>,
    /// Whether the host is shared infrastructure (see the module text).
    shared: AtomicBool,
    /// The sites whose screenings asked this host from outside, until
    /// [`SHARED_HOST_MIN_SITES`] of them make it shared.
    askers: Mutex<Vec<String>>,
}

impl HostRecord for HostState {
    fn site(&self) -> Option<&str> {
        self.site.as_deref()
    }
}

/// Counters of what the fetcher did.
#[derive(Debug, Default)]
pub struct NetStats {
    /// Requests sent (each hop and retry counts).
    pub requests: AtomicU64,
    /// Requests refused by robots.txt.
    pub robots_refusals: AtomicU64,
    /// Requests to authorities' hosts answered from the answer cache.
    pub answer_cache_hits: AtomicU64,
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
    hosts: Arc<Mutex<HostTable<HostState>>>,
    /// When the next request may start, for hosts whose state was released
    /// while their delay had not yet passed.
    released: Arc<Mutex<HashMap<String, Instant>>>,
    /// Sites being screened, each with a connection pool of its own (and
    /// how many screenings of it are in progress).
    sites: Arc<Mutex<HashMap<String, (HttpFetcher, usize)>>>,
    stats: Arc<NetStats>,
    /// The authorities' hosts by [`origin`], with their limits.
    authority_hosts: Arc<BTreeMap<String, HostLimits>>,
    gate: Arc<dyn AuthorityGate>,
    answers: Arc<dyn AnswerCache>,
    /// The shared hosts' gate (this process's own).
    shared_gate: Arc<LocalGate>,
}

fn host_key(url: &Url) -> String {
    origin(url)
}

/// The slot a request holds while it runs.
enum HostSlot {
    /// A site's per-host permit.
    Site(#[allow(dead_code)] OwnedSemaphorePermit),
    /// An authority gate's or a shared host's permit.
    Gate(#[allow(dead_code)] GatePermit),
}

impl PoliteFetcher {
    /// A polite fetcher over `http`.
    pub fn new(http: HttpFetcher, politeness: Politeness) -> PoliteFetcher {
        PoliteFetcher {
            http,
            global: Arc::new(Semaphore::new(politeness.concurrency.max(1))),
            trusted: Arc::new(Semaphore::new(MAX_TRUSTED_IN_FLIGHT)),
            politeness: Arc::new(politeness),
            hosts: Arc::new(Mutex::new(HostTable::new(HOST_TABLE_SOFT_LIMIT))),
            released: Arc::new(Mutex::new(HashMap::new())),
            sites: Arc::new(Mutex::new(HashMap::new())),
            stats: Arc::new(NetStats::default()),
            authority_hosts: Arc::new(BTreeMap::new()),
            gate: Arc::new(LocalGate::new()),
            answers: Arc::new(LocalAnswerCache::new()),
            shared_gate: Arc::new(LocalGate::new()),
        }
    }

    /// This fetcher with `hosts` (by [`origin`], as
    /// [`eco::TrustList::authority_hosts`] gives them) treated as the
    /// authorities' hosts: their requests pass the gate under their limits
    /// instead of the sites' per-host delay and concurrency (a robots.txt
    /// `Crawl-delay` still slows them), and their GETs are looked up in the
    /// answer cache. [`crate::screen::Screener::new`] sets its trust list's.
    pub fn with_authority_hosts(mut self, hosts: BTreeMap<String, HostLimits>) -> PoliteFetcher {
        self.authority_hosts = Arc::new(hosts);
        self
    }

    /// This fetcher with `gate` limiting requests to the authorities' hosts
    /// (by default a [`LocalGate`] of its own).
    pub fn with_authority_gate(mut self, gate: Arc<dyn AuthorityGate>) -> PoliteFetcher {
        self.gate = gate;
        self
    }

    /// This fetcher with `cache` keeping the authorities' definite answers
    /// (by default a [`LocalAnswerCache`] of its own).
    pub fn with_answer_cache(mut self, cache: Arc<dyn AnswerCache>) -> PoliteFetcher {
        self.answers = cache;
        self
    }

    /// The authorities' hosts this fetcher knows, with their limits.
    pub fn authority_hosts(&self) -> &BTreeMap<String, HostLimits> {
        &self.authority_hosts
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
            Err(e) => {
                tracing::warn!(site, "the site shares the common pool: {e}");
                sites.insert(site.to_owned(), (self.http.clone(), 1));
            }
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
        hosts.release_site(site, |key, state| {
            if let Ok(next) = state.next_start.try_lock()
                && *next > now
            {
                released.insert(key.to_owned(), *next);
            }
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
        let now = Instant::now();
        // Taken only if the table is swept.
        let mut sites = None;
        let state = hosts.get_or_insert(
            key,
            |key| self.new_host(url, key),
            |h| {
                let sites = sites
                    .get_or_insert_with(|| self.sites.lock().unwrap_or_else(|p| p.into_inner()));
                self.keeps_host(h, sites, now)
            },
        );
        if let Ok(mut t) = state.last_used.lock() {
            *t = now;
        }
        state
    }

    fn new_host(&self, url: &Url, key: &str) -> HostState {
        let next_start = self
            .released
            .lock()
            .ok()
            .and_then(|mut r| r.remove(key))
            .unwrap_or_else(Instant::now);
        HostState {
            permits: Arc::new(Semaphore::new(self.politeness.per_host_concurrency.max(1))),
            next_start: tokio::sync::Mutex::new(next_start),
            delay: Mutex::new(self.politeness.delay),
            robots: tokio::sync::Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            failing: AtomicBool::new(false),
            site: crate::urlnorm::site_of(url),
            key: key.to_owned(),
            crawl_delay: Mutex::new(Duration::ZERO),
            shared: AtomicBool::new(false),
            askers: Mutex::new(Vec::new()),
        }
    }

    /// Whether a sweep of the host table keeps `host`: it belongs to a site
    /// being screened (its hosts go with [`PoliteFetcher::release_site`],
    /// and a screening must not read its robots.txt twice), or its delay,
    /// Crawl-delay included, has not passed twice over since its last
    /// request. What goes: the hosts of other sites and shared hosts
    /// nobody asked for a while.
    fn keeps_host(
        &self,
        host: &HostState,
        sites: &HashMap<String, (HttpFetcher, usize)>,
        now: Instant,
    ) -> bool {
        if host.site.as_ref().is_some_and(|s| sites.contains_key(s)) {
            return true;
        }
        let crawl_delay = host.crawl_delay.lock().map_or(Duration::ZERO, |d| *d);
        let idle = self
            .politeness
            .delay
            .max(crawl_delay)
            .max(Duration::from_secs(2))
            * 2;
        host.last_used
            .lock()
            .map(|t| now.duration_since(*t) < idle)
            .unwrap_or(true)
    }

    /// Waits for a per-host slot (the site's concurrency and delay, or the
    /// authority's or shared host's gate), then a global one. The budget's
    /// clock stops while the request queues for what the crawl shares.
    async fn slot(
        &self,
        state: &HostState,
        budget: Option<&SiteBudget>,
    ) -> (HostSlot, OwnedSemaphorePermit) {
        let pause = || budget.map(SiteBudget::pause);
        let host_permit = match self.authority_hosts.get(&state.key) {
            Some(limits) => {
                let _pause = pause();
                HostSlot::Gate(self.gate_slot(&*self.gate, state, *limits).await)
            }
            None if self.is_shared(state, budget) => {
                let _pause = pause();
                let limits = self.politeness.shared_hosts;
                HostSlot::Gate(self.gate_slot(&*self.shared_gate, state, limits).await)
            }
            None => HostSlot::Site(self.site_slot(state).await),
        };
        let _pause = pause();
        let global_permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("the global semaphore is never closed");
        (host_permit, global_permit)
    }

    /// Whether `state`'s host is shared infrastructure, noting that
    /// `budget`'s site asked it when it is outside that site.
    fn is_shared(&self, state: &HostState, budget: Option<&SiteBudget>) -> bool {
        if state.shared.load(Ordering::Relaxed) {
            return true;
        }
        let Some(budget) = budget else {
            return false;
        };
        if state.site.as_deref() == Some(budget.site()) {
            return false;
        }
        let mut askers = state.askers.lock().unwrap_or_else(|p| p.into_inner());
        if !askers.iter().any(|s| s == budget.site()) {
            askers.push(budget.site().to_owned());
        }
        if askers.len() < SHARED_HOST_MIN_SITES {
            return false;
        }
        tracing::debug!(host = %state.key, "a shared host");
        *askers = Vec::new();
        state.shared.store(true, Ordering::Relaxed);
        true
    }

    /// `gate`'s leave for a host, at the slower of `limits`' rate and the
    /// host's robots.txt Crawl-delay.
    async fn gate_slot(
        &self,
        gate: &dyn AuthorityGate,
        state: &HostState,
        limits: HostLimits,
    ) -> GatePermit {
        let crawl_delay = state.crawl_delay.lock().map(|d| *d).unwrap_or_default();
        let limits = HostLimits {
            interval: limits.interval.max(crawl_delay),
            ..limits
        };
        gate.admit(&state.key, limits).await
    }

    /// A site's per-host slot: its concurrency, then its delay.
    async fn site_slot(&self, state: &HostState) -> OwnedSemaphorePermit {
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
        host_permit
    }

    /// One hop through the host's slot, with retries for connection
    /// failures, 429 and 503.
    async fn hop(&self, state: &HostState, request: &HttpRequest) -> Result<Hop, FetchError> {
        self.timed_hop(state, request, None).await.0
    }

    /// For a GET of an authority's `url`: the answer cache's answer (or
    /// the answer another asker is fetching, once it is kept), else the
    /// claim to fetch it, to hold until its answer is kept.
    async fn cached_or_claim(&self, url: &Url) -> Result<FetchResponse, FetchClaim> {
        let answer = match self.answers.get(url).await {
            Some(answer) => answer,
            None => match self.answers.claim(url).await {
                Claim::Answered(answer) => answer,
                Claim::Fetch(claim) => return Err(claim),
            },
        };
        self.stats.answer_cache_hits.fetch_add(1, Ordering::Relaxed);
        Ok(answer)
    }

    /// A hop, and the time its last attempt spent on the network (waiting
    /// for a slot not counted).
    async fn timed_hop(
        &self,
        state: &HostState,
        request: &HttpRequest,
        budget: Option<&SiteBudget>,
    ) -> (Result<Hop, FetchError>, Duration) {
        let mut attempt = 0;
        let max_retries = if state.failing.load(Ordering::Relaxed) {
            0
        } else {
            self.politeness.max_retries
        };
        loop {
            let (result, spent) = {
                let _permits = self.slot(state, budget).await;
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let result = self.http_for(state).send_once(request).await;
                (result, sent.elapsed())
            };
            let backoff = self.politeness.retry_backoff * 2u32.pow(attempt);
            let retry_in = match &result {
                Err(FetchError::Transport(_) | FetchError::Timeout { .. }) => Some(backoff),
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

    /// The robots.txt policy of the URL's host, fetched once, and again
    /// after [`Politeness::robots_retry_after`] when it could not be read
    /// (a timeout, a 5xx or 429 answer): a passing failure must not shut a
    /// host, an authority's above all, for the rest of a run. An error means the
    /// host may not be contacted at all (the address guard refused it).
    pub async fn robots(&self, url: &Url) -> Result<RobotsPolicy, FetchError> {
        let state = self.host(url);
        let mut kept = state.robots.lock().await;
        if let Some((policy, fetched)) = kept.as_ref() {
            let failed = matches!(policy, Ok(p) if p.refusal().is_some());
            if !failed || fetched.elapsed() < self.politeness.robots_retry_after {
                return policy.clone();
            }
        }
        let policy = self.fetch_robots(&state, url).await;
        *kept = Some((policy.clone(), Instant::now()));
        policy
    }

    /// Fetches and reads the robots.txt of `url`'s host (`state`).
    async fn fetch_robots(&self, state: &HostState, url: &Url) -> Result<RobotsPolicy, FetchError> {
        let Ok(robots_url) = url.join("/robots.txt") else {
            return Ok(RobotsPolicy::allow_all());
        };
        let cache_key = self
            .authority_hosts
            .contains_key(&state.key)
            .then(|| robots_url.clone());
        // Held until the answer is kept (or the fetch failed).
        let mut _claim = None;
        if let Some(key) = &cache_key {
            match self.cached_or_claim(key).await {
                Ok(response) => return Ok(self.robots_policy(state, &response)),
                Err(claim) => _claim = Some(claim),
            }
        }
        let mut request = HttpRequest::get(robots_url, "text/plain, */*;q=0.1");
        for _ in 0..=MAX_REDIRECTS {
            let target = self.host(&request.url);
            match self.hop(&target, &request).await {
                Ok(Hop::Response { response, .. }) => {
                    if let Some(key) = &cache_key {
                        self.keep(key, &response).await;
                    }
                    return Ok(self.robots_policy(state, &response));
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
    }

    /// Keeps an authority's answer to `url` in the answer cache, when it
    /// is definite.
    async fn keep(&self, url: &Url, response: &FetchResponse) {
        if is_cacheable(response) {
            self.answers
                .put(url, response, self.politeness.answer_ttl)
                .await;
        }
    }

    /// The robots.txt policy an answer gives; its Crawl-delay raises the
    /// host's delay.
    fn robots_policy(&self, state: &HostState, response: &FetchResponse) -> RobotsPolicy {
        let agent = &self.politeness.robots_agent;
        let policy = RobotsPolicy::from_response(agent, response.status, &response.body);
        if let Some(delay) = policy.crawl_delay() {
            if let Ok(mut d) = state.delay.lock()
                && delay > *d
            {
                *d = delay;
            }
            if let Ok(mut d) = state.crawl_delay.lock() {
                *d = delay;
            }
        }
        policy
    }

    /// Makes a request politely, following redirects hop by hop, each hop
    /// checked against robots.txt and the address guard; on behalf of a
    /// screening, gives up when its `budget` runs out.
    pub async fn request(
        &self,
        request: HttpRequest,
        budget: Option<&SiteBudget>,
    ) -> Result<FetchResponse, NetError> {
        self.request_timed(request, budget)
            .await
            .map(|(response, _)| response)
    }

    /// [`PoliteFetcher::request`], with the time spent on the network
    /// (every hop's request and answer; waiting for politeness not counted).
    pub async fn request_timed(
        &self,
        request: HttpRequest,
        budget: Option<&SiteBudget>,
    ) -> Result<(FetchResponse, Duration), NetError> {
        let url = request.url.clone();
        let work = self.request_inner(request, budget);
        match budget {
            Some(budget) => budget
                .within(work)
                .await
                .unwrap_or(Err(NetError::Budget(url))),
            None => work.await,
        }
    }

    async fn request_inner(
        &self,
        mut request: HttpRequest,
        budget: Option<&SiteBudget>,
    ) -> Result<(FetchResponse, Duration), NetError> {
        let mut spent = Duration::ZERO;
        // A GET to an authority's host is answered from the answer cache
        // when it can be, and its definite answer kept there.
        let cache_key = (request.form.is_none()
            && self.authority_hosts.contains_key(&host_key(&request.url)))
        .then(|| request.url.clone());
        // Held until the answer is kept (or the request failed).
        let mut _claim = None;
        for hop_number in 0..=MAX_REDIRECTS {
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
            if hop_number == 0
                && let Some(key) = &cache_key
            {
                let _pause = budget.map(SiteBudget::pause);
                match self.cached_or_claim(key).await {
                    Ok(response) => return Ok((response, Duration::ZERO)),
                    Err(claim) => _claim = Some(claim),
                }
            }
            let state = self.host(&request.url);
            let (hop, hop_time) = self.timed_hop(&state, &request, budget).await;
            spent += hop_time;
            match hop? {
                Hop::Response { response, .. } => {
                    if let Some(key) = &cache_key {
                        self.keep(key, &response).await;
                    }
                    return Ok((response, spent));
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::FetchPolicy;

    fn fetcher() -> PoliteFetcher {
        let http =
            HttpFetcher::new(FetchPolicy::default()).expect("a fetcher with the default policy");
        PoliteFetcher::new(http, Politeness::default())
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a test URL")
    }

    fn known(fetcher: &PoliteFetcher, text: &str) -> bool {
        let hosts = fetcher.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.contains(&host_key(&url(text)))
    }

    /// A crawl with more hosts than the table's soft limit drops the idle
    /// hosts of other sites, never those of a site still being screened:
    /// its robots.txt would be read again, without the delay it sets.
    #[tokio::test(start_paused = true)]
    async fn a_full_host_table_keeps_the_hosts_of_sites_being_screened() {
        let fetcher = fetcher();
        fetcher.begin_site("screened.test");
        drop(fetcher.host(&url("http://www.screened.test/")));
        drop(fetcher.host(&url("http://cdn.elsewhere.test/")));
        let slow = fetcher.host(&url("http://slow.elsewhere.test/"));
        *slow.crawl_delay.lock().expect("not poisoned") = Duration::from_secs(60);
        drop(slow);
        tokio::time::advance(Duration::from_secs(30)).await;
        for n in 0..=HOST_TABLE_SOFT_LIMIT {
            drop(fetcher.host(&url(&format!("http://www.site-{n}.test/"))));
        }
        assert!(known(&fetcher, "http://www.screened.test/"));
        assert!(known(&fetcher, "http://slow.elsewhere.test/"));
        assert!(!known(&fetcher, "http://cdn.elsewhere.test/"));
        fetcher.release_site("screened.test");
        assert!(!known(&fetcher, "http://www.screened.test/"));
    }
}
