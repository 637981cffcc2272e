//! `crawler::document::qr::decode` on zxing's QR black-box images
//! (`shared/vectors/qr-zxing-blackbox`, see its PROVENANCE.md), upright:
//! every set must reach zxing's own minimum with no misread, and the image
//! that makes rqrr 0.11 panic must give an answer, not a panic.
//!
//! The images live in the shared folder beside the repository, not in it:
//! these tests are ignored by default and run by `.ci/run` with
//! `cargo test -- --ignored shared_` when that folder exists.
//! `ECOSCOUT_SHARED` overrides where the shared folder is.

#[path = "support/blackbox.rs"]
mod blackbox;

use std::collections::BTreeMap;

use blackbox::{Case, Outcome};
use crawler::document::qr;

fn cases() -> Vec<Case> {
    let dir = blackbox::vectors_dir();
    blackbox::load_cases(&dir).expect("the black-box vectors load")
}

#[test]
#[ignore = "reads ../shared: run by .ci/run"]
fn shared_every_set_upright_reaches_zxings_minimum_without_misreads() {
    let cases = cases();
    assert_eq!(cases.len(), 179, "PROVENANCE.md lists 179 images");
    let mut passes: BTreeMap<String, usize> = BTreeMap::new();
    let mut misreads = Vec::new();
    for case in &cases {
        let image = blackbox::load_image(case).expect("the image decodes");
        let found = qr::decode(&image).unwrap_or_default();
        match blackbox::judge(case, &found) {
            Outcome::Pass => *passes.entry(case.set.clone()).or_default() += 1,
            Outcome::Misread => misreads.push((case.name.clone(), found)),
            Outcome::Miss | Outcome::Disputed | Outcome::Failed => {}
        }
    }
    assert!(misreads.is_empty(), "misreads: {misreads:?}");
    for (set, _) in blackbox::ZXING_MINIMUMS {
        let minimum = blackbox::zxing_minimum(set, 0).expect("listed");
        let got = passes.get(set).copied().unwrap_or(0);
        assert!(
            got >= minimum,
            "{set}: {got} passes, zxing requires {minimum}"
        );
    }
}

#[test]
#[ignore = "reads ../shared: run by .ci/run"]
fn shared_the_image_that_panics_rqrr_gives_an_answer() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "qrcode-6/7.png")
        .expect("qrcode-6/7.png is listed");
    let image = blackbox::load_image(&case).expect("the image decodes");
    // A panic escaping `decode` would fail this test; an Ok or an Err is
    // the contract. rxing reads it (BENCHMARKS.md), so expect the text.
    assert_eq!(qr::decode(&image), Ok(vec![case.text.clone()]));
}
