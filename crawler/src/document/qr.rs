//! Finding and decoding QR codes in a grey image.
//!
//! The decoder is rxing, a pure-Rust port of zxing and zxing-cpp, chosen
//! over rqrr by measurement on zxing's black-box images (BENCHMARKS.md,
//! "QR decoders on zxing's blackbox images"; `examples/qr_blackbox.rs`).
//! An image is read in up to three passes, inside [`contain`], each only
//! when the ones before found nothing:
//!
//! 1. rxing's QR reader (its zxing-cpp port) looking for every code in the
//!    image, with TRY_HARDER, on zxing's hybrid (local) binariser;
//! 2. rxing's multi-format reader restricted to QR codes (the zxing-cpp
//!    port, then the zxing Java port), first as a pure barcode and then
//!    not, which reads one code more leniently;
//! 3. the same on zxing's global-histogram binariser, which reads some
//!    photos the hybrid one does not (measured: qrcode-2/12, 4/09, 4/14,
//!    4/34 of the black-box images at some rotations).
//!
//! When all three find nothing, they are tried once more on a slightly
//! blurred copy ([`SPECKLE_BLUR_SIGMA`]), which reads through speckle.
//!
//! Passes 2 and 3 and the blurred round run only when the first pass's
//! binarised image holds at least one candidate finder pattern (the
//! 1:1:3:1:1 square that marks each corner of a code, found by
//! zxing-cpp's own search). Most certificate images hold no code; without
//! this gate each of them ran every pass twice, 3 to 6 times the cost of
//! reading one that has a code. On zxing's black-box images the gate
//! loses no image that any pass read (BENCHMARKS.md).
//!
//! Work is bounded by shrinking any image whose longest side exceeds
//! [`MAX_DECODE_SIDE`] before decoding.

use std::collections::HashSet;

use image::GrayImage;
use image::imageops::{self, FilterType};
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::cpp_port::detector::FindFinderPatterns;
use rxing::{
    BarcodeFormat, Binarizer, BinaryBitmap, DecodeHintValue, DecodeHints, Luma8Source,
    MultiFormatReader, Reader,
};

use super::{DocumentError, contain};

/// Longest side, in pixels, an image is decoded at; a larger one is shrunk
/// to it first (aspect ratio kept). The decoder's time grows with the pixel
/// count: at 2,048 px a page with no code, which runs every pass, takes
/// about 0.1 s in a release build (BENCHMARKS.md), and a 600 dpi A4 scan
/// (4,961 × 7,016 px) becomes 1,448 × 2,048, on which a version-5 code
/// (37 modules) printed 2 cm wide still has 3.7 pixels per module.
pub const MAX_DECODE_SIDE: u32 = 2048;

/// Standard deviation, in pixels, of the Gaussian blur applied to an
/// image in which the passes found nothing, before they are tried once
/// more. Isolated specks (scanner dust, a fax's noise) split the runs of
/// dark and light that finder patterns are recognised by; a blur of one
/// pixel melts a one-pixel speck into its module while modules a few
/// pixels wide keep their edges (the unit test `a_code_under_noise_decodes`
/// fails without this pass).
pub const SPECKLE_BLUR_SIGMA: f32 = 1.0;

/// Shorter side, in pixels, from which an image is first read at half
/// size. Below it a full read is cheap already.
pub const HALF_SIZE_MIN_SIDE: u32 = 400;

/// Name under which a panic inside rxing is reported.
const DECODER: &str = "rxing";

/// The payloads of the QR codes in `image`, in the order found,
/// de-duplicated. A panic inside the decoder is contained and returned as
/// [`DocumentError::DecoderPanic`].
pub fn decode(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    if image.width() == 0 || image.height() == 0 {
        return Ok(Vec::new());
    }
    let image = bounded(image);
    // Most codes on scans and renders are big enough to read at half size,
    // a quarter of the pixels to binarise and search.
    if image.width().min(image.height()) >= HALF_SIZE_MIN_SIDE {
        let half = half_size(&image);
        let found = contain(DECODER, || {
            Ok(every_code(&mut BinaryBitmap::new(HybridBinarizer::new(
                source(&half)?,
            ))))
        })?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    let first = passes(&image)?;
    if !first.codes.is_empty() || !first.finder_seen {
        return Ok(first.codes);
    }
    let blurred = passes(&imageops::blur(image.as_ref(), SPECKLE_BLUR_SIGMA))?;
    Ok(blurred.codes)
}

/// What the passes over one image found.
struct Passes {
    /// The payloads read.
    codes: Vec<String>,
    /// Whether the first pass saw anything shaped like a finder pattern.
    finder_seen: bool,
}

/// The passes over `image`, each only while nothing is found, and the
/// later ones only when the first saw a finder pattern.
fn passes(image: &GrayImage) -> Result<Passes, DocumentError> {
    contain(DECODER, || {
        let mut hybrid = BinaryBitmap::new(HybridBinarizer::new(source(image)?));
        let mut outcome = Passes {
            codes: every_code(&mut hybrid),
            finder_seen: true,
        };
        if !outcome.codes.is_empty() {
            return Ok(outcome);
        }
        let mut global = BinaryBitmap::new(GlobalHistogramBinarizer::new(source(image)?));
        outcome.finder_seen = has_finder(&hybrid) || has_finder(&global);
        if !outcome.finder_seen {
            return Ok(outcome);
        }
        if let Some(text) = first_code(&mut hybrid) {
            outcome.codes.push(text);
            return Ok(outcome);
        }
        outcome.codes.extend(first_code(&mut global));
        Ok(outcome)
    })
}

/// `image`, shrunk so that its longest side is at most [`MAX_DECODE_SIDE`].
fn bounded(image: &GrayImage) -> std::borrow::Cow<'_, GrayImage> {
    let (width, height) = image.dimensions();
    let longest = width.max(height);
    if longest <= MAX_DECODE_SIDE {
        return std::borrow::Cow::Borrowed(image);
    }
    let scale = |side: u32| {
        let scaled = u64::from(side) * u64::from(MAX_DECODE_SIDE) / u64::from(longest);
        u32::try_from(scaled).unwrap_or(MAX_DECODE_SIDE).max(1)
    };
    std::borrow::Cow::Owned(imageops::resize(
        image,
        scale(width),
        scale(height),
        FilterType::Triangle,
    ))
}

/// `image` at half its width and height, each pixel the mean of a 2 × 2
/// block (an odd last row or column is dropped).
fn half_size(image: &GrayImage) -> GrayImage {
    let (width, height) = (image.width() / 2, image.height() / 2);
    let stride = image.width() as usize;
    let pixels = image.as_raw();
    let mut half = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height as usize {
        let upper = &pixels[2 * y * stride..(2 * y + 1) * stride];
        let lower = &pixels[(2 * y + 1) * stride..(2 * y + 2) * stride];
        for (a, b) in upper.chunks_exact(2).zip(lower.chunks_exact(2)) {
            let sum = u16::from(a[0]) + u16::from(a[1]) + u16::from(b[0]) + u16::from(b[1]);
            // At most 255 after the division.
            half.push(u8::try_from((sum + 2) / 4).unwrap_or(u8::MAX));
        }
    }
    GrayImage::from_raw(width, height, half).unwrap_or_default()
}

/// Appends `text` to `found` unless it is there already.
fn push_new(found: &mut Vec<String>, text: String) {
    if !found.contains(&text) {
        found.push(text);
    }
}

/// `image`'s grey levels as rxing reads them.
fn source(image: &GrayImage) -> Result<Luma8Source<'_>, DocumentError> {
    Luma8Source::new_with_slice(image.as_raw(), image.width(), image.height())
        .map_err(|e| DocumentError::Image(e.to_string()))
}

/// The first code rxing's multi-format reader finds in `bitmap`, as a
/// pure barcode (the image is the code and its margin) and then anywhere.
fn first_code<B: Binarizer>(bitmap: &mut BinaryBitmap<B>) -> Option<String> {
    [true, false].into_iter().find_map(|pure| {
        let hints = hints().with(DecodeHintValue::PureBarcode(pure));
        MultiFormatReader::default()
            .decode_with_hints(bitmap, &hints)
            .ok()
            .map(|result| result.getText().to_owned())
    })
}

/// QR codes only, trying harder (more rows scanned, slower).
fn hints() -> DecodeHints {
    DecodeHints::default()
        .with(DecodeHintValue::TryHarder(true))
        .with(DecodeHintValue::PossibleFormats(HashSet::from([
            BarcodeFormat::QR_CODE,
        ])))
}

/// Whether `bitmap` holds at least one candidate finder pattern, by
/// zxing-cpp's search (every third row, then checked across).
fn has_finder<B: Binarizer>(bitmap: &BinaryBitmap<B>) -> bool {
    !FindFinderPatterns(bitmap.get_black_matrix(), true, 0).is_empty()
}

/// Every code rxing's QR reader finds in `bitmap`; none when it finds
/// none.
fn every_code<B: Binarizer>(bitmap: &mut BinaryBitmap<B>) -> Vec<String> {
    let mut found = Vec::new();
    for result in QrReader
        .decode_multiple_with_hints(bitmap, &hints())
        .unwrap_or_default()
    {
        push_new(&mut found, result.getText().to_owned());
    }
    found
}

#[cfg(test)]
mod tests {
    use image::Luma;
    use qrcode::QrCode;

    use super::*;

    const URL: &str = "https://verify.example/certificates/ISO-9001/2024-0457";

    /// `text` as a QR code, `module` pixels per module, with its quiet zone.
    fn code(text: &str, module: u32) -> GrayImage {
        QrCode::new(text.as_bytes())
            .expect("encodable")
            .render::<Luma<u8>>()
            .module_dimensions(module, module)
            .build()
    }

    /// A white page of `width` × `height` with `codes` pasted at their
    /// positions.
    fn page(width: u32, height: u32, codes: &[(&GrayImage, i64, i64)]) -> GrayImage {
        let mut page = GrayImage::from_pixel(width, height, Luma([255]));
        for (code, x, y) in codes {
            imageops::overlay(&mut page, *code, *x, *y);
        }
        page
    }

    #[test]
    fn a_generated_code_decodes_to_its_text() {
        assert_eq!(decode(&code(URL, 4)).expect("decodes"), vec![URL]);
    }

    #[test]
    fn a_code_turned_90_degrees_decodes() {
        let turned = imageops::rotate90(&page(400, 300, &[(&code(URL, 4), 60, 40)]));
        assert_eq!(decode(&turned).expect("decodes"), vec![URL]);
    }

    #[test]
    fn a_code_scaled_down_to_under_three_pixels_per_module_decodes() {
        let big = code(URL, 8);
        let small = imageops::resize(
            &big,
            big.width() * 3 / 8,
            big.height() * 3 / 8,
            FilterType::Triangle,
        );
        assert_eq!(decode(&small).expect("decodes"), vec![URL]);
    }

    #[test]
    fn a_code_under_noise_decodes() {
        let mut noisy = code(URL, 5);
        // A fixed linear congruential sequence: each pixel moves by up to
        // ±60 grey levels, and one in 50 is flipped outright (speckle, which only
        // the blurred pass reads through).
        let mut state: u32 = 0x2545_F491;
        for pixel in noisy.pixels_mut() {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let shift = i32::from((state >> 24) as u8 % 121) - 60;
            let flip = (state >> 8).is_multiple_of(50);
            let value = i32::from(pixel.0[0]) + shift;
            let value = if flip { 255 - value } else { value };
            pixel.0[0] = u8::try_from(value.clamp(0, 255)).expect("clamped");
        }
        assert_eq!(decode(&noisy).expect("decodes"), vec![URL]);
    }

    #[test]
    fn two_codes_give_both_payloads_and_a_repeated_one_gives_one() {
        let other = "https://portal.example/verify?id=88213";
        let (a, b) = (code(URL, 4), code(other, 4));
        let mut found = decode(&page(700, 300, &[(&a, 20, 20), (&b, 380, 20)])).expect("decodes");
        found.sort();
        assert_eq!(found, vec![other, URL]);
        let twice = decode(&page(700, 300, &[(&a, 20, 20), (&a, 380, 20)])).expect("decodes");
        assert_eq!(twice, vec![URL]);
    }

    #[test]
    fn a_blank_image_gives_none() {
        assert_eq!(
            decode(&GrayImage::from_pixel(640, 480, Luma([255]))),
            Ok(Vec::new())
        );
        assert_eq!(decode(&GrayImage::new(0, 0)), Ok(Vec::new()));
    }

    #[test]
    fn a_large_page_is_shrunk_to_the_bound_and_its_code_still_read() {
        let large = page(4000, 2400, &[(&code(URL, 10), 3000, 1800)]);
        assert_eq!(bounded(&large).dimensions(), (MAX_DECODE_SIDE, 1228));
        assert_eq!(decode(&large).expect("decodes"), vec![URL]);
    }
}
