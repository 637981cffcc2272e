//! Drawing certificate scans: a white page with a border, a title bar,
//! rows of text-like blocks, a red seal and, on certificates of origin, a
//! QR code; then scaled, grained and rotated as a scanner or a phone would
//! leave it, and encoded as PNG or JPEG.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder as _, Rgb, RgbImage};

use crate::documents::{DocFormat, DocKind, Document, DocumentError, QrMatrix};

/// Long side of a full-size scan, in pixels.
pub const LONG_SIDE: u32 = 990;
/// Short side of a full-size scan, in pixels.
pub const SHORT_SIDE: u32 = 700;
/// Pixels per QR module at full size (at the smallest scale, 60 %, a
/// module is still 4 pixels).
pub const QR_MODULE: u32 = 7;
/// JPEG quality.
pub const JPEG_QUALITY: u8 = 85;

const PAPER: Rgb<u8> = Rgb([250, 249, 244]);
const INK: Rgb<u8> = Rgb([40, 40, 48]);
const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const SEAL: Rgb<u8> = Rgb([200, 30, 36]);

/// A small deterministic generator (xorshift64*), cheap enough for grain.
struct Grain(u64);

impl Grain {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() >> 33) as u32 % n.max(1)
    }
}

/// Where things go on a page of a given size.
struct Page {
    img: RgbImage,
    /// Scale against a full-size page.
    scale: f32,
}

impl Page {
    fn px(&self, v: f32) -> u32 {
        (v * self.scale).round() as u32
    }

    fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, color: Rgb<u8>) {
        let (width, height) = self.img.dimensions();
        let x1 = (x + w).min(width);
        if x >= x1 {
            return;
        }
        let buf: &mut [u8] = &mut self.img;
        for yy in y..(y + h).min(height) {
            let row = (yy as usize * width as usize) * 3;
            let span = &mut buf[row + x as usize * 3..row + x1 as usize * 3];
            for px in span.chunks_exact_mut(3) {
                px.copy_from_slice(&color.0);
            }
        }
    }

    fn frame(&mut self, inset: u32, thickness: u32, color: Rgb<u8>) {
        let (w, h) = self.img.dimensions();
        let (iw, ih) = (w - 2 * inset, h - 2 * inset);
        self.rect(inset, inset, iw, thickness, color);
        self.rect(inset, h - inset - thickness, iw, thickness, color);
        self.rect(inset, inset, thickness, ih, color);
        self.rect(w - inset - thickness, inset, thickness, ih, color);
    }
}

fn border_color(kind: DocKind) -> Rgb<u8> {
    match kind {
        DocKind::Iso9001 | DocKind::Iso14001 | DocKind::Iso45001 => Rgb([30, 70, 150]),
        DocKind::Halal => Rgb([20, 120, 60]),
        DocKind::BusinessLicence | DocKind::Patent => Rgb([170, 40, 40]),
        DocKind::CertificateOfOrigin => Rgb([170, 130, 40]),
        _ => Rgb([90, 90, 110]),
    }
}

/// Draws `doc` (with its QR code, if any) as the scan the sim serves.
pub fn draw(doc: &Document, qr: Option<&QrMatrix>) -> RgbImage {
    let scale = doc.look.scale_percent.clamp(60, 100) as f32 / 100.0;
    let (w, h) = if doc.kind.landscape() {
        (LONG_SIDE, SHORT_SIDE)
    } else {
        (SHORT_SIDE, LONG_SIDE)
    };
    let mut page = Page {
        img: RgbImage::from_pixel((w as f32 * scale) as u32, (h as f32 * scale) as u32, PAPER),
        scale,
    };
    let mut grain = Grain(doc.look.seed | 1);
    let (thick, inset) = (page.px(10.0), page.px(18.0));
    page.frame(inset, thick, border_color(doc.kind));
    let (thin, inner) = (page.px(2.0).max(1), page.px(36.0));
    page.frame(inner, thin, border_color(doc.kind));
    let qr_box = qr.map(|q| draw_qr(&mut page, q));
    text_blocks(&mut page, &mut grain, qr_box);
    seal(&mut page);
    if doc.look.noise {
        add_grain(&mut page.img, &mut grain);
    }
    match doc.look.rotation {
        90 => image::imageops::rotate90(&page.img),
        180 => image::imageops::rotate180(&page.img),
        270 => image::imageops::rotate270(&page.img),
        _ => page.img,
    }
}

/// Draws the QR code in the lower left corner, with a white quiet zone of
/// four modules; returns its box (x, y, side).
fn draw_qr(page: &mut Page, qr: &QrMatrix) -> (u32, u32, u32) {
    let module = page.px(QR_MODULE as f32).max(4);
    let side = (qr.width as u32 + 8) * module;
    let (_, h) = page.img.dimensions();
    let x0 = page.px(60.0);
    let y0 = h.saturating_sub(page.px(60.0) + side);
    page.rect(x0, y0, side, side, WHITE);
    for y in 0..qr.width {
        for x in 0..qr.width {
            if qr.is_dark(x, y) {
                page.rect(
                    x0 + (x as u32 + 4) * module,
                    y0 + (y as u32 + 4) * module,
                    module,
                    module,
                    BLACK,
                );
            }
        }
    }
    (x0, y0, side)
}

/// A title bar and rows of word-like blocks, leaving the QR box free.
fn text_blocks(page: &mut Page, grain: &mut Grain, qr_box: Option<(u32, u32, u32)>) {
    let (w, h) = page.img.dimensions();
    let title_w = w / 2;
    let (title_y, title_h) = (page.px(80.0), page.px(26.0));
    page.rect((w - title_w) / 2, title_y, title_w, title_h, INK);
    let (left, right) = (page.px(70.0), w.saturating_sub(page.px(70.0)));
    let (line_h, step) = (page.px(9.0).max(2), page.px(24.0).max(4));
    let mut y = page.px(150.0);
    let bottom = h.saturating_sub(page.px(200.0));
    while y < bottom {
        let mut x = left;
        // Some lines are short, as paragraphs end.
        let end = if grain.below(5) == 0 {
            left + (right - left) / 2
        } else {
            right
        };
        while x < end {
            let word = page.px(20.0 + grain.below(70) as f32);
            let free = qr_box.is_none_or(|(qx, qy, side)| {
                x + word < qx || x > qx + side || y + line_h < qy || y > qy + side
            });
            if free {
                page.rect(x, y, word.min(end - x), line_h, INK);
            }
            x += word + page.px(10.0).max(2);
        }
        y += step;
    }
}

/// A red ring with a star-like centre in the lower right corner.
fn seal(page: &mut Page) {
    let (w, h) = page.img.dimensions();
    let r = page.px(60.0) as i64;
    let ring = page.px(6.0).max(2) as i64;
    let (cx, cy) = (
        i64::from(w) - i64::from(page.px(150.0)),
        i64::from(h) - i64::from(page.px(150.0)),
    );
    for y in (cy - r).max(0)..(cy + r).min(i64::from(h)) {
        for x in (cx - r).max(0)..(cx + r).min(i64::from(w)) {
            let d2 = (x - cx).pow(2) + (y - cy).pow(2);
            let on_ring = d2 <= r * r && d2 >= (r - ring).pow(2);
            let centre = d2 <= (r / 4).pow(2);
            if on_ring || centre {
                page.img.put_pixel(x as u32, y as u32, SEAL);
            }
        }
    }
}

/// Adds grain: one pixel in sixteen, on average, is lightened or
/// darkened by up to 40 levels (dust and toner, sparse enough to keep PNGs
/// small and QR codes readable).
fn add_grain(img: &mut RgbImage, grain: &mut Grain) {
    let buf: &mut [u8] = img;
    let mut at = 0usize;
    loop {
        at += 3 * (1 + grain.below(31) as usize);
        let Some(px) = buf.get_mut(at..at + 3) else {
            break;
        };
        let delta = grain.below(81) as i16 - 40;
        for c in px {
            *c = (i16::from(*c) + delta).clamp(0, 255) as u8;
        }
    }
}

/// Encodes a scan as PNG or JPEG (a PDF format gives PNG).
pub fn encode(img: &RgbImage, format: DocFormat) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    let (w, h) = img.dimensions();
    match format {
        DocFormat::Jpeg => {
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
                img.as_raw(),
                w,
                h,
                image::ExtendedColorType::Rgb8,
            )?;
        }
        _ => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
                .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)?;
        }
    }
    Ok(out)
}
