//! e-CO credential model and independent verification.
//!
//! This crate implements sections 1 to 5 and the document checks of
//! section 7 of the e-CO verification conventions (`docs/eco-verification.md`):
//!
//! - [`trust`]: the buyer's trust list, the only source of keys and endpoints;
//! - [`json`]: strict JSON reading and RFC 8785 canonicalization;
//! - [`multibase`], [`suite`]: Multikey keys and the `eddsa-jcs-2022` cryptosuite;
//! - [`merkle`], [`note`]: RFC 6962/9162 Merkle proofs, C2SP signed notes and checkpoints;
//! - [`status_list`]: W3C Bitstring Status List;
//! - [`credential`]: reading an e-CO credential's fields and its digest;
//! - [`openattestation`]: OpenAttestation v2 (TradeTrust) documents and
//!   their integrity;
//! - [`verify`], [`report`]: the verification engine and what it concludes;
//! - [`fetch`]: the network interface verification goes through;
//! - [`issue`]: the issuing side, for the simulated web and the tests.
//!
//! The entry point is [`Verifier`]: give it a [`TrustList`] and a
//! [`Fetcher`], then [`Verifier::verify_bytes`] a credential.

pub mod credential;
pub mod fetch;
pub mod issue;
pub mod json;
pub mod merkle;
pub mod multibase;
pub mod note;
pub mod openattestation;
pub mod report;
pub mod status_list;
pub mod suite;
pub mod trust;
pub mod verify;

pub use fetch::{FetchError, FetchResponse, Fetcher, Offline};
pub use report::{
    CertificateReport, CheckName, CheckResult, Checks, CredentialFormat, Outcome, Verdict,
};
pub use trust::{Authority, TrustList, TrustListError};
pub use verify::{DocumentError, Exporter, Verifier};
