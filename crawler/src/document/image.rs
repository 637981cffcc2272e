//! Decoding a raster image to grey levels, within [`MAX_IMAGE_PIXELS`] and
//! [`MAX_IMAGE_ALLOC`]: the header's dimensions are read first, and an
//! image that claims too many pixels is refused before any pixel is
//! decoded.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageReader, Limits};

use super::{DocumentError, MAX_IMAGE_ALLOC, MAX_IMAGE_PIXELS, contain};

/// The decoder's limits: no side longer than the pixel budget allows, and
/// no allocation above [`MAX_IMAGE_ALLOC`].
fn limits() -> Limits {
    let mut limits = Limits::default();
    let side = u32::try_from(MAX_IMAGE_PIXELS).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    limits
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, DocumentError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DocumentError::Image(e.to_string()))?;
    reader.limits(limits());
    Ok(reader)
}

/// The width and height an image's header claims, refused when their
/// product exceeds [`MAX_IMAGE_PIXELS`].
pub fn checked_dimensions(bytes: &[u8]) -> Result<(u32, u32), DocumentError> {
    let (width, height) = contain("image", || {
        reader(bytes)?
            .into_dimensions()
            .map_err(|e| DocumentError::Image(e.to_string()))
    })?;
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(DocumentError::TooManyPixels {
            width: width.into(),
            height: height.into(),
            limit: MAX_IMAGE_PIXELS,
        });
    }
    Ok((width, height))
}

/// Decodes `bytes` (PNG, JPEG, GIF, WebP, BMP or TIFF) to an 8-bit grey
/// image, after [`checked_dimensions`].
pub fn decode_gray(bytes: &[u8]) -> Result<GrayImage, DocumentError> {
    let (width, height) = checked_dimensions(bytes)?;
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        && let Ok(Some(gray)) = contain("JPEG", || Ok(jpeg_luma(bytes, width, height)))
    {
        return Ok(gray);
    }
    contain("image", || {
        let image = reader(bytes)?
            .decode()
            .map_err(|e| DocumentError::Image(e.to_string()))?;
        Ok(to_gray(image))
    })
}

/// A JPEG's luma channel alone, which is what a colour scan's grey levels
/// are: the chroma channels are neither upsampled nor converted, a third of
/// the decoding time of a colour JPEG. `None` when the decoder cannot give
/// luma for this file (a CMYK JPEG, say), which the general path reads.
fn jpeg_luma(bytes: &[u8], width: u32, height: u32) -> Option<GrayImage> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(usize::try_from(width).ok()?)
        .set_max_height(usize::try_from(height).ok()?);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    GrayImage::from_raw(u32::from(info.width), u32::from(info.height), pixels)
}

/// Grey levels of a decoded image. 8-bit RGB and RGBA, what scans decode
/// to, are converted with integer BT.709 weights (as the image crate weighs them): the image crate's
/// general conversion goes through floating point and colour-space
/// metadata, and took a tenth of a crawl's CPU.
fn to_gray(image: DynamicImage) -> GrayImage {
    let luma = |r: u8, g: u8, b: u8| {
        ((54 * u32::from(r) + 183 * u32::from(g) + 19 * u32::from(b) + 128) >> 8) as u8
    };
    match image {
        DynamicImage::ImageLuma8(gray) => gray,
        DynamicImage::ImageRgb8(rgb) => {
            let (width, height) = rgb.dimensions();
            let pixels = rgb
                .as_raw()
                .chunks_exact(3)
                .map(|p| luma(p[0], p[1], p[2]))
                .collect();
            GrayImage::from_raw(width, height, pixels).unwrap_or_else(|| GrayImage::new(0, 0))
        }
        DynamicImage::ImageRgba8(rgba) => {
            let (width, height) = rgba.dimensions();
            // Transparent pixels are shown on white, as a browser would.
            let pixels = rgba
                .as_raw()
                .chunks_exact(4)
                .map(|p| {
                    let alpha = u32::from(p[3]);
                    let value = u32::from(luma(p[0], p[1], p[2]));
                    ((value * alpha + 255 * (255 - alpha) + 127) / 255) as u8
                })
                .collect();
            GrayImage::from_raw(width, height, pixels).unwrap_or_else(|| GrayImage::new(0, 0))
        }
        other => other.to_luma8(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG whose header claims `width` × `height` pixels, followed by an
    /// empty data chunk: a few dozen bytes that would decode to gigabytes.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            let mut body = kind.to_vec();
            body.extend(data);
            out.extend(u32::try_from(data.len()).expect("small").to_be_bytes());
            out.extend(&body);
            out.extend(crc32(&body).to_be_bytes());
        };
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(b"IEND", &[]);
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_header_claiming_ten_billion_pixels_is_refused_undecoded() {
        let bomb = png_header(100_000, 100_000);
        assert!(matches!(
            decode_gray(&bomb),
            Err(DocumentError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            })
        ));
    }

    #[test]
    fn a_small_image_decodes_to_grey() {
        let mut png = Vec::new();
        let image =
            GrayImage::from_fn(4, 3, |x, _| image::Luma([if x % 2 == 0 { 0 } else { 255 }]));
        image
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");
        let decoded = decode_gray(&png).expect("decodes");
        assert_eq!(decoded.dimensions(), (4, 3));
        assert_eq!(decoded.get_pixel(1, 0).0, [255]);
    }

    #[test]
    fn colour_scans_become_grey_like_the_general_conversion() {
        let rgb = image::RgbImage::from_fn(8, 8, |x, y| {
            image::Rgb([(x * 30) as u8, (y * 30) as u8, ((x + y) * 15) as u8])
        });
        let general = DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
        let fast = to_gray(DynamicImage::ImageRgb8(rgb));
        for (a, b) in general.pixels().zip(fast.pixels()) {
            assert!(a.0[0].abs_diff(b.0[0]) <= 2, "{a:?} against {b:?}");
        }
        let clear = image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 0, 0]));
        assert_eq!(
            to_gray(DynamicImage::ImageRgba8(clear)).get_pixel(0, 0).0,
            [255]
        );
    }

    #[test]
    fn a_truncated_image_is_an_error() {
        let mut png = Vec::new();
        GrayImage::new(64, 64)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");
        png.truncate(png.len() / 2);
        assert!(decode_gray(&png).is_err());
    }

    #[test]
    fn a_colour_jpeg_decodes_to_its_luma() {
        // A scan's paper and ink: near-grey, slightly warm.
        let rgb = image::RgbImage::from_fn(64, 48, |x, y| {
            let v = ((x * 4 + y * 5) % 256) as u8;
            image::Rgb([v.saturating_add(6), v, v.saturating_sub(6)])
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(rgb)
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .expect("encode");
        let luma = jpeg_luma(&jpeg, 64, 48).expect("a baseline colour JPEG gives luma");
        assert_eq!(luma.dimensions(), (64, 48));
        let general = image::load_from_memory(&jpeg).expect("decodes").to_luma8();
        for (a, b) in general.pixels().zip(luma.pixels()) {
            assert!(a.0[0].abs_diff(b.0[0]) <= 4, "{a:?} against {b:?}");
        }
        assert_eq!(decode_gray(&jpeg).expect("decodes"), luma);
        // Wider than the limit it is given: the decoder itself refuses it.
        assert!(jpeg_luma(&jpeg, 32, 48).is_none());
    }
}
