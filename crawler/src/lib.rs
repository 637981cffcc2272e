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
pub mod fetch;
pub mod robots;
pub mod sitemap;

pub use fetch::{FetchPolicy, HttpFetcher, ResolveRule};
