//! Fetching, discovery and probing of supplier websites.
//!
//! [`crawl::crawl`] screens a list of [`seeds`] many sites at a time; each
//! site is screened by a [`screen::Screener`], which yields one
//! [`observation::Observation`] per supplier whatever happens to the site.
//!
//! - Network: [`fetch`] ([`HttpFetcher`]: rustls, an honest user agent,
//!   size and time caps, hop-by-hop redirects, `--resolve` rules),
//!   [`address`] (the guard that keeps requests off loopback and private
//!   addresses unless `--allow-private`), [`polite`] (per-host and global
//!   limits, delays, robots.txt, retries, shared hosts), [`budget`] (a
//!   screening's time budget, paused while it queues for what the crawl
//!   shares) and [`robots`].
//! - Reading pages: [`charset`], [`page`], [`urlnorm`], [`sitemap`].
//! - Finding the Certifications page and its verification entries:
//!   [`vocab`] (the words, per language), [`classify`] (the scored
//!   Certifications-page judgement and link priority), [`extract`]
//!   (JSON-LD, forms, links), [`openapi`].
//! - Certificate documents: [`document`] (scans and PDFs read within
//!   limits, their kind, their QR codes).
//! - Checking what a site says: [`probe`] (endpoints, with negative
//!   controls); credentials are verified independently by `eco`.

pub mod address;
pub mod answer_cache;
pub mod budget;
pub mod charset;
pub mod classify;
pub mod crawl;
pub mod dns;
pub mod document;
pub mod extract;
pub mod fetch;
pub mod gate;
mod host_table;
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

pub use fetch::{FetchPolicy, HostPattern, HttpFetcher, ResolveRule};
