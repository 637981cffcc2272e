//! Answers of the authorities' hosts kept for a time to live, so that a
//! checkpoint, a status list or a single-window record is asked once per
//! lifetime, however many certificates (and workers) need it.
//!
//! [`AnswerCache`] is the interface, so that a fleet of workers can share
//! one cache (the store's PostgreSQL cache); [`LocalAnswerCache`] is the
//! bounded in-memory cache of one process. Only definite answers are kept
//! ([`is_definite`]): an error, a 5xx or a 429 is asked again. On a miss,
//! a [`Claim`] makes one asker fetch while the others wait for its answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eco::FetchResponse;
use tokio::time::Instant;
use url::Url;

use crate::gate::BoxFuture;

/// Largest body kept, in bytes: what verification reads at most.
pub const MAX_CACHED_BODY_BYTES: usize = eco::fetch::MAX_VERIFICATION_BODY_BYTES;
/// Longest URL kept, in bytes (longer ones are asked each time).
pub const MAX_CACHED_URL_BYTES: usize = 2048;
/// Answers a [`LocalAnswerCache`] keeps at most.
pub const LOCAL_CACHE_ENTRIES: usize = 4096;
/// Body bytes a [`LocalAnswerCache`] keeps at most.
pub const LOCAL_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Whether an answer with HTTP `status` is definite: the same question
/// would get the same answer for a while (200, and 404 or 410: "not
/// there"). Errors, redirects, 5xx and 429 are not.
pub fn is_definite(status: u16) -> bool {
    matches!(status, 200 | 404 | 410)
}

/// The key `url` is cached under (without fragment), or None when it is
/// too long to keep.
pub fn cache_key(url: &Url) -> Option<String> {
    let mut url = url.clone();
    url.set_fragment(None);
    let key = String::from(url);
    (key.len() <= MAX_CACHED_URL_BYTES).then_some(key)
}

/// Whether `answer` may be kept: definite, and its body within
/// [`MAX_CACHED_BODY_BYTES`].
pub fn is_cacheable(answer: &FetchResponse) -> bool {
    is_definite(answer.status) && answer.body.len() <= MAX_CACHED_BODY_BYTES
}

/// Leave to fetch an answer that is not kept: held while the fetch and the
/// [`AnswerCache::put`] of its answer run, so that other askers of the
/// same URL wait for that answer rather than fetch it too.
pub struct FetchClaim {
    _held: Option<Box<dyn Send + Sync>>,
}

impl FetchClaim {
    /// A claim holding `held` (a lock, a lease) until it is dropped.
    pub fn new<T: Send + Sync + 'static>(held: T) -> FetchClaim {
        FetchClaim {
            _held: Some(Box::new(held)),
        }
    }

    /// A claim that holds nothing: others are not kept waiting.
    pub fn unshared() -> FetchClaim {
        FetchClaim { _held: None }
    }
}

impl std::fmt::Debug for FetchClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FetchClaim")
    }
}

/// What [`AnswerCache::claim`] gives.
#[derive(Debug)]
pub enum Claim {
    /// Another asker fetched the answer meanwhile: here it is.
    Answered(FetchResponse),
    /// Fetch it; others wait while the claim is held.
    Fetch(FetchClaim),
}

/// Answers by URL, each for its time to live.
pub trait AnswerCache: Send + Sync {
    /// The answer kept for `url`, if one is and has not expired.
    fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Option<FetchResponse>>;

    /// Keeps `answer` (status, content type, final URL, body) for `url`
    /// for `ttl`, replacing any older one; an answer that
    /// [`is_cacheable`] refuses, or a URL without [`cache_key`], is not
    /// kept.
    fn put<'a>(
        &'a self,
        url: &'a Url,
        answer: &'a FetchResponse,
        ttl: Duration,
    ) -> BoxFuture<'a, ()>;

    /// After a miss for `url`: waits while another asker holds the claim
    /// on it, and gives the answer it kept, or the claim when the answer
    /// is still not kept (none was fetched, or it was not definite). By
    /// default every asker fetches.
    fn claim<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Claim> {
        let _ = url;
        Box::pin(async { Claim::Fetch(FetchClaim::unshared()) })
    }
}

/// The in-process claims of a [`LocalAnswerCache`]: one lock per URL
/// being fetched.
type Locks = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

/// A held URL lock; dropping it forgets the lock when nobody else waits.
struct LocalClaim {
    locks: Locks,
    key: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for LocalClaim {
    fn drop(&mut self) {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        self.guard.take();
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

struct Entry {
    expires: Instant,
    answer: FetchResponse,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= old.answer.body.len();
        }
    }

    /// Drops expired answers, then the ones closest to expiry, until one
    /// more answer of `incoming` bytes fits.
    fn make_room(&mut self, incoming: usize) {
        let now = Instant::now();
        let full = |e: &Entries| {
            e.map.len() >= LOCAL_CACHE_ENTRIES || e.bytes + incoming > LOCAL_CACHE_BYTES
        };
        if !full(self) {
            return;
        }
        let expired: Vec<String> = self
            .map
            .iter()
            .filter(|(_, e)| e.expires <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            self.remove(&key);
        }
        while full(self) {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone())
            else {
                return;
            };
            self.remove(&oldest);
        }
    }
}

/// The in-memory cache of one process, bounded by
/// [`LOCAL_CACHE_ENTRIES`] answers and [`LOCAL_CACHE_BYTES`] of bodies;
/// its claims make concurrent askers of one URL wait for the first.
#[derive(Default)]
pub struct LocalAnswerCache {
    entries: Mutex<Entries>,
    locks: Locks,
}

impl LocalAnswerCache {
    /// An empty cache.
    pub fn new() -> LocalAnswerCache {
        LocalAnswerCache::default()
    }

    /// [`AnswerCache::get`], synchronously.
    pub fn lookup(&self, url: &Url) -> Option<FetchResponse> {
        let key = cache_key(url)?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.map.get(&key) {
            Some(e) if e.expires > Instant::now() => Some(e.answer.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// [`AnswerCache::put`], synchronously.
    pub fn store(&self, url: &Url, answer: &FetchResponse, ttl: Duration) {
        let Some(key) = cache_key(url) else {
            return;
        };
        if !is_cacheable(answer) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&key);
        entries.make_room(answer.body.len());
        entries.bytes += answer.body.len();
        entries.map.insert(
            key,
            Entry {
                expires: Instant::now() + ttl,
                answer: answer.clone(),
            },
        );
    }

    /// Answers kept (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.map.len()).unwrap_or_default()
    }

    /// Whether no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl AnswerCache for LocalAnswerCache {
    fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Option<FetchResponse>> {
        Box::pin(async move { self.lookup(url) })
    }

    fn put<'a>(
        &'a self,
        url: &'a Url,
        answer: &'a FetchResponse,
        ttl: Duration,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.store(url, answer, ttl) })
    }

    fn claim<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Claim> {
        Box::pin(async move {
            let Some(key) = cache_key(url) else {
                return Claim::Fetch(FetchClaim::unshared());
            };
            let lock = {
                let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
                locks.entry(key.clone()).or_default().clone()
            };
            let claim = LocalClaim {
                locks: self.locks.clone(),
                key,
                guard: Some(lock.lock_owned().await),
            };
            match self.lookup(url) {
                Some(answer) => Claim::Answered(answer),
                None => Claim::Fetch(FetchClaim::new(claim)),
            }
        })
    }
}

/// How long an answer read from a shared cache is also kept by a
/// [`TieredAnswerCache`]'s own: its shared lifetime may be nearly over,
/// so a copy lives at most this much longer than the original.
pub const SHARED_COPY_TTL: Duration = Duration::from_secs(5);

/// A process's own cache in front of a shared one (a fleet's, in a
/// database): the askers of one process wait for each other in memory, so
/// that one of them asks the shared cache for a URL (and waits there while
/// another process fetches it) instead of all of them. Answers this
/// process fetched are kept in both for their lifetime; answers read from
/// the shared cache are kept here for [`SHARED_COPY_TTL`].
pub struct TieredAnswerCache {
    local: LocalAnswerCache,
    shared: Arc<dyn AnswerCache>,
}

impl TieredAnswerCache {
    /// A cache of this process's own in front of `shared`.
    pub fn new(shared: Arc<dyn AnswerCache>) -> TieredAnswerCache {
        TieredAnswerCache {
            local: LocalAnswerCache::new(),
            shared,
        }
    }
}

impl AnswerCache for TieredAnswerCache {
    fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Option<FetchResponse>> {
        Box::pin(async move {
            if let Some(answer) = self.local.lookup(url) {
                return Some(answer);
            }
            let answer = self.shared.get(url).await?;
            self.local.store(url, &answer, SHARED_COPY_TTL);
            Some(answer)
        })
    }

    fn put<'a>(
        &'a self,
        url: &'a Url,
        answer: &'a FetchResponse,
        ttl: Duration,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.local.store(url, answer, ttl);
            self.shared.put(url, answer, ttl).await;
        })
    }

    fn claim<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Claim> {
        Box::pin(async move {
            let local = match self.local.claim(url).await {
                Claim::Answered(answer) => return Claim::Answered(answer),
                Claim::Fetch(claim) => claim,
            };
            match self.shared.claim(url).await {
                Claim::Answered(answer) => {
                    // Before the local claim is dropped, for the askers
                    // waiting behind it.
                    self.local.store(url, &answer, SHARED_COPY_TTL);
                    Claim::Answered(answer)
                }
                Claim::Fetch(shared) => Claim::Fetch(FetchClaim::new((local, shared))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(path: &str) -> Url {
        Url::parse(&format!("http://sw.test/{path}")).unwrap()
    }

    fn answer(status: u16, body: &[u8]) -> FetchResponse {
        FetchResponse {
            url: url("final"),
            status,
            content_type: Some("application/json".into()),
            body: body.to_vec(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_definite_answers_for_their_lifetime() {
        let cache = LocalAnswerCache::new();
        let ttl = Duration::from_secs(300);
        cache.put(&url("a#frag"), &answer(200, b"{}"), ttl).await;
        cache.put(&url("gone"), &answer(404, b"no"), ttl).await;
        for status in [500, 503, 429, 302] {
            cache.put(&url("error"), &answer(status, b"x"), ttl).await;
        }
        let hit = cache.get(&url("a")).await.unwrap();
        assert_eq!(
            (hit.status, hit.url.path(), hit.body.as_slice()),
            (200, "/final", &b"{}"[..])
        );
        assert_eq!(hit.content_type.as_deref(), Some("application/json"));
        assert_eq!(cache.get(&url("gone")).await.unwrap().status, 404);
        assert!(cache.get(&url("error")).await.is_none());
        assert!(cache.get(&url("b")).await.is_none());

        tokio::time::advance(ttl - Duration::from_secs(1)).await;
        assert!(cache.get(&url("a")).await.is_some());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(cache.get(&url("a")).await.is_none());
    }

    #[tokio::test]
    async fn a_claim_makes_later_askers_wait_for_the_answer() {
        let cache = Arc::new(LocalAnswerCache::new());
        let first = match cache.claim(&url("a")).await {
            Claim::Fetch(claim) => claim,
            Claim::Answered(_) => panic!("nothing was kept"),
        };
        let waiter = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.claim(&url("a")).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second asker waits");
        cache
            .put(&url("a"), &answer(200, b"{}"), Duration::from_secs(60))
            .await;
        drop(first);
        match waiter.await.unwrap() {
            Claim::Answered(a) => assert_eq!(a.body, b"{}"),
            Claim::Fetch(_) => panic!("the answer was kept"),
        }
        // A fetch that kept nothing lets the next asker fetch.
        let failed = cache.claim(&url("b")).await;
        assert!(matches!(failed, Claim::Fetch(_)));
        drop(failed);
        assert!(matches!(cache.claim(&url("b")).await, Claim::Fetch(_)));
        assert!(
            cache.locks.lock().unwrap().is_empty(),
            "locks are forgotten"
        );
    }

    #[tokio::test]
    async fn is_bounded() {
        let cache = LocalAnswerCache::new();
        let ttl = Duration::from_secs(60);
        let big = vec![b'x'; MAX_CACHED_BODY_BYTES + 1];
        cache.put(&url("big"), &answer(200, &big), ttl).await;
        assert!(cache.get(&url("big")).await.is_none());
        let long = url(&"x".repeat(MAX_CACHED_URL_BYTES));
        cache.put(&long, &answer(200, b"{}"), ttl).await;
        assert!(cache.get(&long).await.is_none());

        for i in 0..LOCAL_CACHE_ENTRIES + 10 {
            cache
                .put(&url(&i.to_string()), &answer(200, b"{}"), ttl)
                .await;
        }
        assert_eq!(cache.len(), LOCAL_CACHE_ENTRIES);
        // The newest are kept.
        let last = (LOCAL_CACHE_ENTRIES + 9).to_string();
        assert!(cache.get(&url(&last)).await.is_some());

        let cache = LocalAnswerCache::new();
        let body = vec![b'x'; MAX_CACHED_BODY_BYTES];
        let fit = LOCAL_CACHE_BYTES / MAX_CACHED_BODY_BYTES;
        for i in 0..fit + 3 {
            cache
                .put(&url(&i.to_string()), &answer(200, &body), ttl)
                .await;
        }
        assert_eq!(cache.len(), fit);
        let bytes = cache.entries.lock().unwrap().bytes;
        assert!(bytes <= LOCAL_CACHE_BYTES, "{bytes}");
    }

    /// A shared cache that counts what it is asked.
    #[derive(Default)]
    struct Counted {
        inner: LocalAnswerCache,
        gets: std::sync::atomic::AtomicUsize,
        claims: std::sync::atomic::AtomicUsize,
    }

    impl AnswerCache for Counted {
        fn get<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Option<FetchResponse>> {
            self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.get(url)
        }
        fn put<'a>(
            &'a self,
            url: &'a Url,
            answer: &'a FetchResponse,
            ttl: Duration,
        ) -> BoxFuture<'a, ()> {
            self.inner.put(url, answer, ttl)
        }
        fn claim<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Claim> {
            self.claims
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.claim(url)
        }
    }

    #[tokio::test]
    async fn a_tiered_cache_asks_the_shared_one_once_per_url() {
        use std::sync::atomic::Ordering::SeqCst;
        let shared = Arc::new(Counted::default());
        let cache = Arc::new(TieredAnswerCache::new(shared.clone()));
        let first = match cache.claim(&url("a")).await {
            Claim::Fetch(claim) => claim,
            Claim::Answered(_) => panic!("nothing was kept"),
        };
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.claim(&url("a")).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        cache
            .put(&url("a"), &answer(200, b"{}"), Duration::from_secs(60))
            .await;
        drop(first);
        for waiter in waiters {
            assert!(matches!(waiter.await.unwrap(), Claim::Answered(_)));
        }
        assert_eq!(shared.claims.load(SeqCst), 1, "only the first asked");
        assert!(cache.get(&url("a")).await.is_some());
        assert_eq!(shared.gets.load(SeqCst), 0, "kept here too");

        // An answer another process kept is read from the shared cache
        // once, then kept here for a while.
        shared
            .put(&url("b"), &answer(200, b"[]"), Duration::from_secs(60))
            .await;
        for _ in 0..3 {
            assert!(cache.get(&url("b")).await.is_some());
        }
        assert_eq!(shared.gets.load(SeqCst), 1);
    }
}
