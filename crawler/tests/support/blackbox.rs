//! zxing's QR black-box images (`shared/vectors/qr-zxing-blackbox`, see
//! its PROVENANCE.md): loading the cases, rotating them, judging a
//! decoder's answer. Shared by `tests/qr_blackbox.rs` and
//! `examples/qr_blackbox.rs` through `#[path]`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use image::GrayImage;

/// The rotations zxing tries every image at, in degrees clockwise.
pub const ROTATIONS: [u32; 4] = [0, 90, 180, 270];

/// zxing's minimum passes per set at 0°, 90°, 180° and 270°, from
/// PROVENANCE.md (`QRCodeBlackBox{1..6}TestCase.java`).
pub const ZXING_MINIMUMS: [(&str, [usize; 4]); 6] = [
    ("qrcode-1", [17, 14, 17, 14]),
    ("qrcode-2", [32, 30, 31, 31]),
    ("qrcode-3", [38, 39, 36, 39]),
    ("qrcode-4", [36, 35, 35, 35]),
    ("qrcode-5", [19, 19, 19, 19]),
    ("qrcode-6", [15, 14, 13, 14]),
];

/// Second codes that are really in an image besides the one zxing
/// expects, and are not misreads when a decoder that reports every code
/// returns them: (image, text). `qrcode-2/16.png` is a "double QR", a
/// small code drawn inside the modules of a larger one; zxing's
/// single-code reader reports the outer ("[外側QRコード]", outer code),
/// a multi-code reader also the inner ("[内側QRコード]", inner code).
pub const ALSO_PRESENT: [(&str, &str); 1] = [(
    "qrcode-2/16.png",
    "[内側QRコード]\r\n\r\n*ダブルQR*\r\nhttp://d-qr.net/ex/",
)];

/// Images whose code holds a text other than zxing's expected file says:
/// (image, the text read). `qrcode-2/13.png` is read as "aerial
/// photography" where `13.txt` says "aerial photograph", by rxing with
/// its global-histogram binariser, by rxing on a half-size copy and by
/// rqrr on a half-size copy: two independent decoders, each through
/// Reed-Solomon error correction. zxing does not require this image
/// (its minimum for the set is 32 of 35). Reading that text is counted as
/// [`Outcome::Disputed`], neither a pass nor a misread.
pub const DISPUTED: [(&str, &str); 1] = [(
    "qrcode-2/13.png",
    "The 2005 USGS aerial photography of the Washington Monument is censored.",
)];

/// One image and the exact text its code holds.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its set, such as `qrcode-1`.
    pub set: String,
    /// Its path relative to the vectors folder, such as `qrcode-1/1.png`.
    pub name: String,
    /// The image file.
    pub path: PathBuf,
    /// The expected text, compared for exact equality.
    pub text: String,
}

/// How one decoder's answer on one image is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exactly the expected text, and nothing else.
    Pass,
    /// Something decoded, but not (only) the expected text.
    Misread,
    /// Nothing decoded.
    Miss,
    /// The text listed for this image in [`DISPUTED`], and nothing else.
    Disputed,
    /// The decoder returned an error (a contained panic included).
    Failed,
}

/// Judges `found`, the payloads a decoder returned on `case`, against
/// its expected text. Payloads listed in [`ALSO_PRESENT`] for the image
/// are set aside; any other payload besides the expected one is a misread.
pub fn judge(case: &Case, found: &[String]) -> Outcome {
    let listed = |table: &[(&str, &str)], text: &str| {
        table
            .iter()
            .any(|(image, listed)| *image == case.name && *listed == text)
    };
    let rest: Vec<&String> = found
        .iter()
        .filter(|text| !listed(&ALSO_PRESENT, text))
        .collect();
    match rest.as_slice() {
        [] => Outcome::Miss,
        [only] if **only == case.text => Outcome::Pass,
        [only] if listed(&DISPUTED, only) => Outcome::Disputed,
        _ => Outcome::Misread,
    }
}

/// The vectors folder: `$ECOSCOUT_SHARED/vectors/qr-zxing-blackbox` when
/// that variable is set, otherwise `../shared` beside the repository.
pub fn vectors_dir() -> PathBuf {
    let shared = std::env::var_os("ECOSCOUT_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        PathBuf::from,
    );
    shared.join("vectors/qr-zxing-blackbox")
}

/// Every case in `dir/expected.json`, in its order.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let manifest = dir.join("expected.json");
    let json =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let images = value["images"]
        .as_array()
        .ok_or_else(|| format!("{}: no `images` array", manifest.display()))?;
    images.iter().map(|entry| case(dir, entry)).collect()
}

fn case(dir: &Path, entry: &serde_json::Value) -> Result<Case, String> {
    let field = |key: &str| {
        entry[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("an entry without `{key}`: {entry}"))
    };
    let name = field("image")?;
    Ok(Case {
        set: field("set")?,
        path: dir.join(&name),
        name,
        text: field("text")?,
    })
}

/// The case's image, decoded to grey as the crawler decodes documents.
pub fn load_image(case: &Case) -> Result<GrayImage, String> {
    let bytes = std::fs::read(&case.path).map_err(|e| format!("{}: {e}", case.name))?;
    crawler::document::image::decode_gray(&bytes).map_err(|e| format!("{}: {e}", case.name))
}

/// `image` turned `degrees` clockwise (one of [`ROTATIONS`]).
pub fn rotate(image: &GrayImage, degrees: u32) -> GrayImage {
    match degrees {
        90 => image::imageops::rotate90(image),
        180 => image::imageops::rotate180(image),
        270 => image::imageops::rotate270(image),
        _ => image.clone(),
    }
}

/// zxing's minimum for `set` at the rotation with index `rotation`.
pub fn zxing_minimum(set: &str, rotation: usize) -> Option<usize> {
    ZXING_MINIMUMS
        .iter()
        .find(|(name, _)| *name == set)
        .map(|(_, counts)| counts[rotation])
}
