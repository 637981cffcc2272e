//! The one door to the network: a small fetcher trait that verification
//! uses, so that the crawler can put its scheduler, robots.txt and address
//! guard behind it.

use std::future::Future;

use url::Url;

/// Largest body a verification fetch reads, in bytes (credentials, status
/// lists, checkpoints, proofs and registry answers are all far smaller).
pub const MAX_VERIFICATION_BODY_BYTES: usize = 2 * 1024 * 1024;

/// An HTTP response as far as verification needs it.
#[derive(Debug, Clone)]
pub struct FetchResponse {
    /// The URL finally answered (after redirects).
    pub url: Url,
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, at most the fetcher's size cap.
    pub body: Vec<u8>,
}

/// Why a fetch produced no response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The body exceeded the size cap.
    #[error("the response is larger than {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// No complete answer within the time limit.
    #[error("no complete answer within {seconds:.1} s")]
    Timeout {
        /// The limit, in seconds.
        seconds: f64,
    },
    /// The request was not made: an unsafe address, robots.txt, a scheme
    /// that is not http(s), too many redirects.
    #[error("refused: {0}")]
    Refused(String),
    /// Connection, TLS or protocol failure.
    #[error("{0}")]
    Transport(String),
}

/// Fetches URLs for verification. Implementations must cap the body size
/// (at most [`MAX_VERIFICATION_BODY_BYTES`] is ever needed here) and the
/// time a request may take, so that no fetch can hang or exhaust memory.
pub trait Fetcher: Send + Sync {
    /// GETs `url` with the given `Accept` header.
    fn get(
        &self,
        url: &Url,
        accept: &str,
    ) -> impl Future<Output = Result<FetchResponse, FetchError>> + Send;

    /// POSTs a JSON `body` to `url`, an endpoint the buyer's trust list
    /// names (its own Ethereum node), never a URL a supplier gave. Such a
    /// request is the buyer's own: it may go to a private address, and is
    /// not subject to a site's robots.txt or delay. It follows no redirect.
    fn post_trusted_json(
        &self,
        url: &Url,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<FetchResponse, FetchError>> + Send;

    /// The TXT records at DNS name `name`, each record's strings joined:
    /// evidence of an issuer's identity, never a source of trust. `Ok` with
    /// no records when the name has none (or does not exist); `Err` when no
    /// answer came (no resolver, a timeout), which verification records as
    /// "not checked". By default, no name is looked up.
    fn txt_records(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<String>, FetchError>> + Send {
        let refused = FetchError::Refused(format!("{name}: this fetcher looks up no DNS names"));
        async move { Err(refused) }
    }
}

/// A fetcher for offline verification: every request is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Fetcher for Offline {
    async fn get(&self, url: &Url, _accept: &str) -> Result<FetchResponse, FetchError> {
        Err(FetchError::Refused(format!(
            "offline: {url} was not fetched"
        )))
    }

    async fn post_trusted_json(
        &self,
        url: &Url,
        _body: Vec<u8>,
    ) -> Result<FetchResponse, FetchError> {
        Err(FetchError::Refused(format!("offline: {url} was not asked")))
    }
}
