//! Finding and decoding QR codes in a grey image.

use image::GrayImage;

use super::{DocumentError, contain};

/// The payloads of the QR codes in `image`, in the order found,
/// de-duplicated. A panic inside the decoder is contained.
pub fn decode(image: &GrayImage) -> Result<Vec<String>, DocumentError> {
    contain("QR", || {
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
