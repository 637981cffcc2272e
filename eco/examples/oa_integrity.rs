//! Prints the integrity of OpenAttestation v2 documents as this crate
//! computes it: `intact`, or what differs.
//!
//! ```sh
//! cargo run -p eco --example oa_integrity -- FILE...
//! ```

#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use eco::openattestation::{Integrity, WrappedDocument};

fn main() -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for path in std::env::args().skip(1) {
        let verdict = match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| WrappedDocument::read(&bytes).map_err(|e| e.to_string()))
        {
            Err(e) => {
                status = ExitCode::FAILURE;
                format!("error: {e}")
            }
            Ok(document) => match document.integrity() {
                Integrity::Intact => format!("intact (proof of {})", document.proof.len()),
                Integrity::TargetHashDiffers { computed } => {
                    format!("tampered: fields hash to {}", hex::encode(computed))
                }
                Integrity::RootDiffers { computed } => {
                    format!("tampered: proof leads to {}", hex::encode(computed))
                }
                Integrity::Undigestable(e) => format!("tampered: {e}"),
            },
        };
        println!("{path}: {verdict}");
    }
    status
}
