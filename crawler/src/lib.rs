//! Fetching, discovery and probing of supplier websites.
//!
//! So far this crate holds the network layer that every request of a
//! screening goes through:
//!
//! - [`fetch`]: [`HttpFetcher`], an [`eco::Fetcher`] with rustls, an honest
//!   user agent, size and time caps, hop-by-hop redirects and `--resolve`
//!   rules;
//! - [`address`]: the guard that keeps requests off loopback, private and
//!   other non-public addresses unless `--allow-private` is given.

pub mod address;
pub mod charset;
pub mod crawl;
pub mod extract;
pub mod fetch;
pub mod observation;
pub mod openapi;
pub mod page;
pub mod polite;
pub mod probe;
pub mod robots;
pub mod screen;
pub mod seeds;
pub mod sitemap;
pub mod urlnorm;
pub mod vocab;

pub use fetch::{FetchPolicy, HttpFetcher, ResolveRule};
