//! Measures QR decoders on zxing's black-box images: every image at 0°,
//! 90°, 180° and 270°, exact-text passes per set and rotation against
//! zxing's minimums, misreads, failures (errors and contained panics) and
//! milliseconds per image.
//!
//! ```sh
//! cargo run --release -p crawler --example qr_blackbox -- /path/to/qr-zxing-blackbox [--verbose]
//! ```
//!
//! Decoders measured:
//! - `rqrr`: rqrr 0.11 alone, every grid it detects.
//! - `rxing-qr`: rxing's QR reader (its port of zxing-cpp's), several
//!   codes per image, TRY_HARDER, hybrid binariser.
//! - `rxing-mfr`: rxing's multi-format reader restricted to QR_CODE (the
//!   zxing-cpp port, then the zxing Java port), TRY_HARDER, first with
//!   PURE_BARCODE and then without, as zxing's black-box test runs it.
//! - `ecoscout`: `crawler::document::qr::decode`, what the crawler uses.

#![allow(clippy::print_stdout)]

#[path = "../tests/support/blackbox.rs"]
mod blackbox;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use blackbox::{Case, Outcome, ROTATIONS};
use crawler::document::{DocumentError, contain, qr};
use image::GrayImage;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{
    BarcodeFormat, BinaryBitmap, DecodeHintValue, DecodeHints, Luma8LuminanceSource,
    MultiFormatReader, Reader, common::HybridBinarizer,
};

/// A decoder under test: its name and the function that runs it.
type Decoder = (
    &'static str,
    fn(&GrayImage) -> Result<Vec<String>, DocumentError>,
);

const DECODERS: [Decoder; 7] = [
    ("rqrr", rqrr_all),
    ("rxing-qr", rxing_qr),
    ("rxing-mfr", rxing_mfr),
    ("rxing-global", rxing_global),
    ("rxing-half", rxing_half),
    ("rqrr-half", rqrr_half),
    ("ecoscout", qr::decode),
];

fn rqrr_all(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    contain("rqrr", || {
        let mut prepared = rqrr::PreparedImage::prepare(image.clone());
        let mut out: Vec<String> = Vec::new();
        for grid in prepared.detect_grids() {
            if let Ok((_, text)) = grid.decode()
                && !out.contains(&text)
            {
                out.push(text);
            }
        }
        Ok(out)
    })
}

fn bitmap(
    image: &GrayImage,
) -> Result<BinaryBitmap<HybridBinarizer<Luma8LuminanceSource>>, DocumentError> {
    let source = Luma8LuminanceSource::new(image.as_raw().clone(), image.width(), image.height())
        .map_err(|e| DocumentError::Image(e.to_string()))?;
    Ok(BinaryBitmap::new(HybridBinarizer::new(source)))
}

fn qr_hints() -> DecodeHints {
    DecodeHints::default()
        .with(DecodeHintValue::TryHarder(true))
        .with(DecodeHintValue::PossibleFormats(HashSet::from([
            BarcodeFormat::QR_CODE,
        ])))
}

fn rxing_qr(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    contain("rxing", || {
        let mut bitmap = bitmap(image)?;
        let results = QrReader
            .decode_multiple_with_hints(&mut bitmap, &qr_hints())
            .unwrap_or_default();
        let mut out: Vec<String> = Vec::new();
        for result in results {
            let text = result.getText().to_owned();
            if !out.contains(&text) {
                out.push(text);
            }
        }
        Ok(out)
    })
}

fn rxing_mfr(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    contain("rxing", || {
        for pure in [true, false] {
            let mut bitmap = bitmap(image)?;
            let hints = qr_hints().with(DecodeHintValue::PureBarcode(pure));
            if let Ok(result) = MultiFormatReader::default().decode_with_hints(&mut bitmap, &hints)
            {
                return Ok(vec![result.getText().to_owned()]);
            }
        }
        Ok(Vec::new())
    })
}

fn rxing_global(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    contain("rxing", || {
        for pure in [true, false] {
            let source =
                Luma8LuminanceSource::new(image.as_raw().clone(), image.width(), image.height())
                    .map_err(|e| DocumentError::Image(e.to_string()))?;
            let mut bitmap =
                BinaryBitmap::new(rxing::common::GlobalHistogramBinarizer::new(source));
            let hints = qr_hints().with(DecodeHintValue::PureBarcode(pure));
            if let Ok(result) = MultiFormatReader::default().decode_with_hints(&mut bitmap, &hints)
            {
                return Ok(vec![result.getText().to_owned()]);
            }
        }
        Ok(Vec::new())
    })
}

fn rxing_half(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    let half = image::imageops::resize(
        image,
        (image.width() / 2).max(1),
        (image.height() / 2).max(1),
        image::imageops::FilterType::Triangle,
    );
    rxing_mfr(&half)
}

fn rqrr_half(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    let half = image::imageops::resize(
        image,
        (image.width() / 2).max(1),
        (image.height() / 2).max(1),
        image::imageops::FilterType::Triangle,
    );
    rqrr_all(&half)
}

/// Counts for one decoder, one set, one rotation.
#[derive(Debug, Default, Clone)]
struct Tally {
    images: usize,
    passes: usize,
    misreads: usize,
    disputed: usize,
    failed: usize,
    time: Duration,
}

/// Tallies keyed by (decoder index, set, rotation index).
type Tallies = BTreeMap<(usize, String, usize), Tally>;

fn measure(cases: &[Case], verbose: bool) -> Result<Tallies, String> {
    let mut tallies = Tallies::new();
    for case in cases {
        let upright = blackbox::load_image(case)?;
        for (r, degrees) in ROTATIONS.iter().enumerate() {
            let image = blackbox::rotate(&upright, *degrees);
            for (d, (name, decoder)) in DECODERS.iter().enumerate() {
                let start = Instant::now();
                let result = decoder(&image);
                let elapsed = start.elapsed();
                let outcome = match &result {
                    Ok(found) => blackbox::judge(case, found),
                    Err(_) => Outcome::Failed,
                };
                if verbose && outcome != Outcome::Pass {
                    println!(
                        "{name} {} {degrees}°: {outcome:?} {result:?} ({} ms)",
                        case.name,
                        elapsed.as_millis()
                    );
                }
                let tally = tallies.entry((d, case.set.clone(), r)).or_default();
                tally.images += 1;
                tally.time += elapsed;
                match outcome {
                    Outcome::Pass => tally.passes += 1,
                    Outcome::Misread => tally.misreads += 1,
                    Outcome::Disputed => tally.disputed += 1,
                    Outcome::Failed => tally.failed += 1,
                    Outcome::Miss => {}
                }
            }
        }
    }
    Ok(tallies)
}

fn ms_per_image(tally: &Tally) -> f64 {
    tally.time.as_secs_f64() * 1000.0 / tally.images.max(1) as f64
}

fn print_tables(tallies: &Tallies, sets: &[String]) {
    for (d, (name, _)) in DECODERS.iter().enumerate() {
        println!("\n### {name}\n");
        println!(
            "| set | images | 0° | 90° | 180° | 270° | misreads | disputed | failed | ms per image |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let mut total = Tally::default();
        let mut total_passes = [0usize; 4];
        let mut total_minimums = [0usize; 4];
        for set in sets {
            let mut cells = Vec::new();
            let mut sum = Tally::default();
            for r in 0..ROTATIONS.len() {
                let Some(tally) = tallies.get(&(d, set.clone(), r)) else {
                    continue;
                };
                let minimum = blackbox::zxing_minimum(set, r).unwrap_or(0);
                cells.push(format!("{} ({minimum})", tally.passes));
                total_passes[r] += tally.passes;
                total_minimums[r] += minimum;
                sum.images = tally.images;
                sum.misreads += tally.misreads;
                sum.disputed += tally.disputed;
                sum.failed += tally.failed;
                sum.time += tally.time;
            }
            let per_image = sum.time.as_secs_f64() * 1000.0 / (sum.images * 4).max(1) as f64;
            println!(
                "| {set} | {} | {} | {} | {} | {} | {:.1} |",
                sum.images,
                cells.join(" | "),
                sum.misreads,
                sum.disputed,
                sum.failed,
                per_image
            );
            total.images += sum.images * 4;
            total.misreads += sum.misreads;
            total.disputed += sum.disputed;
            total.failed += sum.failed;
            total.time += sum.time;
        }
        let cells: Vec<String> = (0..4)
            .map(|r| format!("**{}** ({})", total_passes[r], total_minimums[r]))
            .collect();
        println!(
            "| total | {} | {} | {} | {} | {} | {:.1} |",
            total.images / 4,
            cells.join(" | "),
            total.misreads,
            total.disputed,
            total.failed,
            ms_per_image(&total)
        );
    }
}

/// A page of `width` × `height` with no code: white, with one in ten
/// 4 × 4 blocks black (pseudo-random, fixed), like dense small print.
fn busy_page(width: u32, height: u32) -> GrayImage {
    let mut state: u32 = 0x9E37_79B9;
    let blocks: Vec<bool> = (0..width.div_ceil(4) * height.div_ceil(4))
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 16).is_multiple_of(10)
        })
        .collect();
    GrayImage::from_fn(width, height, |x, y| {
        let block = (y / 4) * width.div_ceil(4) + x / 4;
        let black = blocks.get(block as usize).copied().unwrap_or(false);
        image::Luma([if black { 0 } else { 255 }])
    })
}

/// The worst case of `qr::decode`: a page with no code, which runs every
/// pass, at the bound and at 600 dpi A4 (shrunk to the bound first).
fn print_worst_case() {
    let side = qr::MAX_DECODE_SIDE;
    for (label, width, height) in [
        ("at the bound", side * 1000 / 1414, side),
        ("600 dpi A4", 4961, 7016),
    ] {
        let page = busy_page(width, height);
        let start = Instant::now();
        let result = qr::decode(&page);
        println!(
            "\nno code, {label} ({width} × {height} px): {:?} in {} ms",
            result,
            start.elapsed().as_millis()
        );
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        println!("usage: qr_blackbox DIR [--verbose]");
        return ExitCode::from(2);
    };
    let verbose = args.any(|a| a == "--verbose");
    // rqrr panics on some images; `contain` turns each panic into a counted
    // failure, so the default hook's report on stderr is only noise here.
    std::panic::set_hook(Box::new(|_| {}));
    let cases = match blackbox::load_cases(&dir) {
        Ok(cases) => cases,
        Err(e) => {
            println!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut sets: Vec<String> = cases.iter().map(|c| c.set.clone()).collect();
    sets.dedup();
    let tallies = match measure(&cases, verbose) {
        Ok(tallies) => tallies,
        Err(e) => {
            println!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "passes at each rotation (zxing's minimum in brackets); misreads, disputed and failed summed over rotations"
    );
    print_tables(&tallies, &sets);
    print_worst_case();
    ExitCode::SUCCESS
}
