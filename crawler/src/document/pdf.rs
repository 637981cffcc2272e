//! Reading a PDF: its text, its embedded images and, where its first pages
//! draw vector shapes that could be a QR code, those parts rendered, so
//! that QR codes drawn as images or as vector graphics are found.
//!
//! One pure-Rust stack does all three: `hayro`'s parser reads the file,
//! its interpreter walks each page's content, a `Collector` device keeps
//! the text and images it is shown and where small vector shapes are
//! drawn ([`MIN_QR_MARKS`]), and its renderer rasterises that area.
//! Before any page is read, every stream is checked against the limits
//! the parser does not enforce itself: what a Flate stream inflates to
//! ([`MAX_PDF_STREAM_BYTES`], [`MAX_PDF_INFLATED_BYTES`]) and how many
//! pixels an image claims ([`MAX_IMAGE_PIXELS`]).

use std::collections::HashSet;
use std::io::Read;

use hayro::hayro_interpret::font::Glyph;
use hayro::hayro_interpret::{
    BlendMode, CacheKey, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageData,
    ImageDrawProps, InterpreterCache, InterpreterSettings, LumaData, SoftMask, TransformExt,
    interpret_page,
};
use hayro::hayro_syntax::object::{Name, Object, Stream};
use hayro::hayro_syntax::page::Page;
use hayro::hayro_syntax::{Filter, LoadPdfError, Pdf};
use hayro::kurbo::{Affine, BezPath, PathEl, Point, Rect};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings};
use image::{GrayImage, Luma};

use super::{
    DocumentError, MAX_IMAGE_PIXELS, MAX_PDF_IMAGES, MAX_PDF_INFLATED_BYTES, MAX_PDF_PAGES,
    MAX_PDF_STREAM_BYTES, MAX_PDF_TEXT_CHARS, MAX_RENDERED_PAGES, MAX_RENDERED_SIDE,
    PDF_RENDER_DPI, contain,
};

/// Fewest small vector shapes ("marks") a page must draw before it is
/// rendered to look for a QR code drawn as vector graphics. Generators
/// draw such a code as one filled square or rectangle per dark module or
/// run of modules, or as the outlines of the dark areas; even the smallest
/// code (21 × 21 modules) makes well over this many. A page of text,
/// embedded images and a few rules makes none (glyphs are not paths), and
/// is not rendered: its images were decoded already.
pub const MIN_QR_MARKS: usize = 20;

/// Largest mark, as a fraction of the page's shorter side: a finder
/// pattern (7 modules) of a code up to two thirds of the page wide.
const MAX_MARK_FRACTION: f64 = 1.0 / 6.0;

/// Pixels the smaller marks (the lower quartile of their shorter sides:
/// a code's modules, however it is drawn) are rendered at, at most: well
/// above the two or three a module that the decoder needs, and far fewer
/// pixels than [`PDF_RENDER_DPI`] gives a code of ordinary size.
const MARK_PIXELS: f64 = 6.0;

/// Marks whose sides are kept, per page, to find the lower quartile.
const MAX_MARK_SAMPLES: usize = 4096;

/// Margin added on each side of the marks' area before it is rendered, as
/// a fraction of the area's longer side: the code's quiet zone, and parts
/// of it drawn as shapes larger than a mark.
const MARK_AREA_MARGIN: f64 = 0.25;

/// What a PDF holds, as far as screening needs it.
#[derive(Debug, Default)]
pub struct PdfContent {
    /// Number of pages.
    pub pages: usize,
    /// Size of the first page, in points.
    pub first_page_size: Option<(u32, u32)>,
    /// Text of the first [`MAX_PDF_PAGES`] pages, at most
    /// [`MAX_PDF_TEXT_CHARS`] characters; lines end in `\n`.
    pub text: String,
    /// Images drawn on those pages, decoded to grey, at most
    /// [`MAX_PDF_IMAGES`], each drawn image once.
    pub images: Vec<GrayImage>,
    /// Of the first [`MAX_RENDERED_PAGES`] pages, those that draw at least
    /// [`MIN_QR_MARKS`] small vector shapes: the area of those shapes,
    /// with a margin, rendered to grey at [`PDF_RENDER_DPI`] (less when a
    /// side would exceed [`MAX_RENDERED_SIDE`]).
    pub rendered: Vec<GrayImage>,
    /// Parts that could not be read.
    pub warnings: Vec<String>,
}

/// Reads a PDF: refuses it when a stream would inflate beyond the limits,
/// then reads the text and images of its first pages and renders where
/// the first of them draw vector marks. Rendering is skipped (with a warning) when the PDF holds
/// an image too large to decode. A panic in the parser, interpreter or
/// renderer is contained: for a page, as a warning; while parsing, as the
/// error.
pub fn read(bytes: &[u8]) -> Result<PdfContent, DocumentError> {
    read_then(bytes, |_| true)
}

/// Reads a PDF as [`read`] does, but renders its pages only when
/// `should_render`, shown the text and images read so far, says so:
/// rendering costs more than everything else together, and is needed only
/// when the embedded images did not carry what was looked for.
pub fn read_then(
    bytes: &[u8],
    should_render: impl FnOnce(&PdfContent) -> bool,
) -> Result<PdfContent, DocumentError> {
    contain("PDF", || {
        let pdf = parse(bytes)?;
        let scan = scan_streams(&pdf)?;
        let pages = pdf.pages();
        let mut content = PdfContent {
            pages: pages.len(),
            first_page_size: pages.first().map(page_size),
            warnings: scan.warnings,
            ..PdfContent::default()
        };
        let collector = collect(pages, &mut content.warnings);
        content.text = collector.text;
        content.images = collector.images;
        content.warnings.extend(collector.warnings);
        if scan.oversized_image || collector.oversized_image {
            content
                .warnings
                .push("pages not rendered: the PDF holds an image too large to decode".to_owned());
        } else if should_render(&content) {
            content.rendered = render(pages, &collector.marks, &mut content.warnings);
        }
        Ok(content)
    })
}

/// Parses the file's structure (header, cross-reference table, trailer).
fn parse(bytes: &[u8]) -> Result<Pdf, DocumentError> {
    Pdf::new(bytes.to_vec()).map_err(|e| {
        DocumentError::pdf(match e {
            LoadPdfError::Decryption(_) => "encrypted, and not readable without a password",
            LoadPdfError::Invalid => "not a readable PDF",
        })
    })
}

/// Width and height of a page as shown (rotation applied), in points.
fn page_size(page: &Page<'_>) -> (u32, u32) {
    let (width, height) = page.render_dimensions();
    // `as` saturates: NaN becomes 0, a huge size u32::MAX.
    (width.round() as u32, height.round() as u32)
}

impl DocumentError {
    fn pdf(message: impl Into<String>) -> Self {
        DocumentError::Pdf(message.into())
    }
}

/// What checking every stream found that does not refuse the PDF.
struct Scan {
    /// An image claims more than [`MAX_IMAGE_PIXELS`].
    oversized_image: bool,
    /// What was found, for the record.
    warnings: Vec<String>,
}

/// Checks every stream of the PDF: refuses the PDF when a Flate stream
/// inflates beyond [`MAX_PDF_STREAM_BYTES`] or all of them together beyond
/// [`MAX_PDF_INFLATED_BYTES`]; notes an image that claims more than
/// [`MAX_IMAGE_PIXELS`] in its dictionary or, for a JPEG, its header.
fn scan_streams(pdf: &Pdf) -> Result<Scan, DocumentError> {
    let mut scan = Scan {
        oversized_image: false,
        warnings: Vec::new(),
    };
    let mut inflated = 0u64;
    for object in pdf.objects() {
        let Object::Stream(stream) = object else {
            continue;
        };
        inflated += inflated_size(&stream)?;
        if inflated > MAX_PDF_INFLATED_BYTES {
            return Err(DocumentError::pdf(format!(
                "its streams inflate to more than {MAX_PDF_INFLATED_BYTES} bytes; not read"
            )));
        }
        if let Err(e) = check_image_size(&stream) {
            scan.oversized_image = true;
            scan.warnings
                .push(format!("embedded image not decoded: {e}"));
        }
    }
    Ok(scan)
}

/// How many bytes a stream whose first filter is Flate inflates to, read
/// through without keeping them; an error past [`MAX_PDF_STREAM_BYTES`].
/// Other streams count as 0. A stream that stops inflating partway counts
/// what it gave.
fn inflated_size(stream: &Stream<'_>) -> Result<u64, DocumentError> {
    if stream.filters().first() != Some(&Filter::FlateDecode) {
        return Ok(0);
    }
    let raw = stream.raw_data();
    let zlib = raw.len() >= 2
        && raw[0] & 0x0F == 8
        && (u16::from(raw[0]) << 8 | u16::from(raw[1])) % 31 == 0;
    let mut reader: Box<dyn Read + '_> = if zlib {
        Box::new(flate2::read::ZlibDecoder::new(&raw[..]))
    } else {
        Box::new(flate2::read::DeflateDecoder::new(&raw[..]))
    };
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    while let Ok(n @ 1..) = reader.read(&mut buffer) {
        total += n as u64;
        if total > MAX_PDF_STREAM_BYTES {
            return Err(DocumentError::pdf(format!(
                "a stream inflates to more than {MAX_PDF_STREAM_BYTES} bytes; not read"
            )));
        }
    }
    Ok(total)
}

/// Refuses an image stream whose dictionary claims more than
/// [`MAX_IMAGE_PIXELS`], or a JPEG whose own header does.
fn check_image_size(stream: &Stream<'_>) -> Result<(), DocumentError> {
    let dict = stream.dict();
    let is_image = dict
        .get::<Name<'_>>(b"Subtype")
        .is_some_and(|name| name.as_ref() == b"Image");
    if !is_image {
        return Ok(());
    }
    let side = |key: &[u8]| dict.get::<f64>(key).map_or(0, |v| v.max(0.0) as u64);
    let (width, height) = (side(b"Width"), side(b"Height"));
    if width.saturating_mul(height) > MAX_IMAGE_PIXELS {
        return Err(DocumentError::TooManyPixels {
            width,
            height,
            limit: MAX_IMAGE_PIXELS,
        });
    }
    if stream.filters().contains(&Filter::DctDecode) {
        // A JPEG the image crate cannot read is left to the PDF decoder,
        // which reports it as undecodable.
        if let Err(e @ DocumentError::TooManyPixels { .. }) =
            super::image::checked_dimensions(&stream.raw_data())
        {
            return Err(e);
        }
    }
    Ok(())
}

/// Runs the interpreter over the first [`MAX_PDF_PAGES`] pages with a
/// [`Collector`]; a page whose reading panicked is a warning.
fn collect(pages: &[Page<'_>], warnings: &mut Vec<String>) -> Collector {
    let cache = InterpreterCache::new();
    let settings = InterpreterSettings::default();
    let mut collector = Collector::default();
    for (index, page) in pages.iter().take(MAX_PDF_PAGES).enumerate() {
        let (width, height) = page.render_dimensions();
        let bbox = Rect::new(0.0, 0.0, f64::from(width), f64::from(height));
        collector.marks.push(Marks::on_page(bbox));
        let result = contain("PDF", || {
            let mut context = Context::new(
                page.initial_transform(true).to_kurbo(),
                bbox,
                &cache,
                page.xref(),
                settings.clone(),
            );
            interpret_page(page, &mut context, &mut collector);
            Ok(())
        });
        if let Err(e) = result {
            warnings.push(format!("page {}: text and images not read: {e}", index + 1));
        }
        collector.end_line();
    }
    collector
}

/// Renders, of the first [`MAX_RENDERED_PAGES`] pages, the area of
/// those that drew at least [`MIN_QR_MARKS`] marks; a page that cannot be
/// rendered is a warning.
fn render(pages: &[Page<'_>], marks: &[Marks], warnings: &mut Vec<String>) -> Vec<GrayImage> {
    let cache = RenderCache::new();
    let mut rendered = Vec::new();
    for (index, (page, marks)) in pages.iter().zip(marks).take(MAX_RENDERED_PAGES).enumerate() {
        let Some(area) = marks.render_area() else {
            continue;
        };
        let scale = render_scale(area, marks.small_side());
        match contain("PDF renderer", || render_area(page, &cache, area, scale)) {
            Ok(image) => rendered.push(image),
            Err(e) => warnings.push(format!("page {} not rendered: {e}", index + 1)),
        }
    }
    rendered
}

/// Pixels per point for rendering `area`: [`PDF_RENDER_DPI`], less when
/// the area's longest side would exceed [`MAX_RENDERED_SIDE`] pixels or
/// the small marks (`small_side` points) would exceed [`MARK_PIXELS`].
fn render_scale(area: Rect, small_side: Option<f64>) -> f64 {
    let longest = area.width().max(area.height());
    let mut scale = (f64::from(PDF_RENDER_DPI) / 72.0).min(f64::from(MAX_RENDERED_SIDE) / longest);
    if let Some(side) = small_side.filter(|s| *s > 0.0) {
        scale = scale.min(MARK_PIXELS / side);
    }
    scale
}

/// Renders `area` of a page (in points, the page as shown) on white,
/// `scale` pixels a point.
fn render_area<'a>(
    page: &'a Page<'a>,
    cache: &RenderCache<'a>,
    area: Rect,
    scale: f64,
) -> Result<GrayImage, DocumentError> {
    let longest = area.width().max(area.height()) * scale;
    if !(longest.is_finite() && area.width() >= 1.0 && area.height() >= 1.0 && scale > 0.0) {
        return Err(DocumentError::pdf(format!(
            "an area of {} × {} points",
            area.width(),
            area.height()
        )));
    }
    // `as` saturates; the sides are at most MAX_RENDERED_SIDE here.
    let side = |points: f64| ((points * scale).round() as u16).max(1);
    let mut context = RenderContext::new(side(area.width()), side(area.height()));
    let transform = Affine::translate((-area.x0 * scale, -area.y0 * scale))
        * Affine::scale(scale)
        * page.initial_transform(true).to_kurbo();
    hayro::render_into(
        page,
        cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &mut context,
        transform,
    );
    context.flush();
    let mut pixmap = Pixmap::new(context.width(), context.height());
    context.render_with(
        &mut pixmap,
        &mut Resources::default(),
        RasterizerSettings {
            target_init: TargetInit::Clear(WHITE),
            ..Default::default()
        },
    );
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    // Opaque white background: the premultiplied pixels are plain RGB.
    let grey = pixmap
        .data()
        .iter()
        .map(|p| luma(p.r, p.g, p.b))
        .collect::<Vec<u8>>();
    GrayImage::from_raw(w, h, grey)
        .ok_or_else(|| DocumentError::pdf("a page rendered to no pixels"))
}

/// The small vector shapes one page drew, in points on the page as shown.
#[derive(Debug, Clone)]
struct Marks {
    /// The page.
    page: Rect,
    /// Shapes seen whose longer side is at most [`MAX_MARK_FRACTION`] of
    /// the page's shorter side.
    count: usize,
    /// The smallest rectangle holding all of them.
    area: Option<Rect>,
    /// The shorter side of each of the first [`MAX_MARK_SAMPLES`].
    sides: Vec<f64>,
}

impl Marks {
    fn on_page(page: Rect) -> Self {
        Marks {
            page,
            count: 0,
            area: None,
            sides: Vec::new(),
        }
    }

    /// The lower quartile of the marks' shorter sides, in points.
    fn small_side(&self) -> Option<f64> {
        let mut sides = self.sides.clone();
        sides.sort_by(f64::total_cmp);
        sides.get(sides.len() / 4).copied()
    }

    /// Counts the closed shapes of `path` (drawn with `transform`, its
    /// strokes `line_width` wide) that are small enough to be a mark.
    fn add(&mut self, path: &BezPath, transform: Affine, line_width: f64) {
        let limit = self.page.width().min(self.page.height()) * MAX_MARK_FRACTION;
        let pad = line_width * transform.determinant().abs().sqrt() / 2.0;
        let mut shape: Option<Rect> = None;
        let mut finish = |shape: Option<Rect>| {
            let Some(bounds) = shape.map(|r| r.inflate(pad, pad)) else {
                return;
            };
            let longest = bounds.width().max(bounds.height());
            if longest > 0.0 && longest <= limit {
                self.count += 1;
                if self.sides.len() < MAX_MARK_SAMPLES {
                    self.sides.push(bounds.width().min(bounds.height()));
                }
                self.area = Some(self.area.map_or(bounds, |a| a.union(bounds)));
            }
        };
        for element in path.elements() {
            let points: &[Point] = match element {
                PathEl::MoveTo(p) => {
                    finish(shape.take());
                    &[*p]
                }
                PathEl::LineTo(p) => &[*p],
                PathEl::QuadTo(a, b) => &[*a, *b],
                PathEl::CurveTo(a, b, c) => &[*a, *b, *c],
                PathEl::ClosePath => &[],
            };
            for point in points {
                let point = transform * *point;
                shape = Some(match shape {
                    None => Rect::from_points(point, point),
                    Some(r) => r.union_pt(point),
                });
            }
        }
        finish(shape);
    }

    /// The area to render: the marks' area with [`MARK_AREA_MARGIN`],
    /// within the page; none when there are fewer than [`MIN_QR_MARKS`].
    fn render_area(&self) -> Option<Rect> {
        let area = self.area.filter(|_| self.count >= MIN_QR_MARKS)?;
        let margin = area.width().max(area.height()) * MARK_AREA_MARGIN;
        let area = area.inflate(margin, margin).intersect(self.page);
        (area.width() > 0.0 && area.height() > 0.0).then_some(area)
    }
}

/// Rec. 601 luma of an RGB pixel.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    let y = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
    u8::try_from(y).unwrap_or(u8::MAX)
}

/// A device for the interpreter that keeps the text shown (as Unicode,
/// with spaces and line breaks guessed from glyph positions) and decodes
/// the images drawn. It draws nothing.
#[derive(Default)]
struct Collector {
    /// Text so far.
    text: String,
    /// Characters in `text`.
    chars: usize,
    /// Where the last glyph shown ended, in device space, and its size.
    pen: Option<Pen>,
    /// Images decoded so far.
    images: Vec<GrayImage>,
    /// Cache keys of the images seen, so that an image drawn twice (a
    /// logo on every page) is decoded once.
    seen: HashSet<u128>,
    /// An image claimed more than [`MAX_IMAGE_PIXELS`].
    oversized_image: bool,
    /// The vector marks of each page read, in order.
    marks: Vec<Marks>,
    /// Images that were not decoded, and why.
    warnings: Vec<String>,
}

/// The end of the last glyph shown.
#[derive(Clone, Copy)]
struct Pen {
    /// Where the next glyph would start if it followed directly.
    end: Point,
    /// The glyph's height, in device units.
    size: f64,
}

impl Collector {
    /// Appends `s`, up to [`MAX_PDF_TEXT_CHARS`] characters in all.
    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            if self.chars >= MAX_PDF_TEXT_CHARS {
                return;
            }
            self.text.push(c);
            self.chars += 1;
        }
    }

    /// Ends the current line, unless the text is empty or already ends one.
    fn end_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.push_str("\n");
        }
        self.pen = None;
    }

    /// Puts a space or a line break before a glyph at `origin` of height
    /// `size` when it does not follow on from the previous one.
    fn separate(&mut self, origin: Point, size: f64) {
        let Some(pen) = self.pen else { return };
        let scale = pen.size.max(size).max(f64::EPSILON);
        if (origin.y - pen.end.y).abs() > 0.5 * scale {
            self.end_line();
        } else if (origin.x - pen.end.x).abs() > 0.2 * scale
            && !self.text.ends_with([' ', '\n'])
            && !self.text.is_empty()
        {
            self.push_str(" ");
        }
    }

    /// Decodes a drawn image to grey, within the limits.
    fn keep_image(&mut self, image: Image<'_, '_>) {
        if !self.seen.insert(image.cache_key()) {
            return;
        }
        if self.images.len() >= MAX_PDF_IMAGES {
            if self.seen.len() == MAX_PDF_IMAGES + 1 {
                self.warnings.push(format!(
                    "more than {MAX_PDF_IMAGES} images; the rest not decoded"
                ));
            }
            return;
        }
        let (width, height) = (u64::from(image.width()), u64::from(image.height()));
        if width * height > MAX_IMAGE_PIXELS {
            self.oversized_image = true;
            self.warnings.push(format!(
                "{}",
                DocumentError::TooManyPixels {
                    width,
                    height,
                    limit: MAX_IMAGE_PIXELS
                }
            ));
            return;
        }
        let mut decoded = None;
        let filters = match &image {
            Image::Raster(raster) => {
                raster.with_rgba(|data, _alpha| decoded = Some(grey_image(data)), None);
                raster.stream().filters()
            }
            Image::Stencil(stencil) => {
                stencil.with_stencil(|mask, _paint| decoded = Some(grey_stencil(mask)), None);
                stencil.stream().filters()
            }
        };
        match decoded.flatten() {
            Some(grey) => self.images.push(grey),
            None => self.warnings.push(format!(
                "an image of {width} × {height} pixels ({filters:?}) could not be decoded"
            )),
        }
    }
}

/// Decoded image samples as grey.
fn grey_image(data: ImageData) -> Option<GrayImage> {
    match data {
        ImageData::Luma(luma) => GrayImage::from_raw(luma.width, luma.height, luma.data),
        ImageData::Rgb(rgb) => {
            let grey = rgb
                .data
                .chunks_exact(3)
                .map(|p| luma(p[0], p[1], p[2]))
                .collect();
            GrayImage::from_raw(rgb.width, rgb.height, grey)
        }
    }
}

/// A stencil mask as grey: painted samples dark, the rest white.
fn grey_stencil(mask: LumaData) -> Option<GrayImage> {
    let mut image = GrayImage::from_raw(mask.width, mask.height, mask.data)?;
    for Luma([v]) in image.pixels_mut() {
        *v = u8::MAX - *v;
    }
    Some(image)
}

impl<'a> Device<'a> for Collector {
    fn draw_path(&mut self, path: &BezPath, props: DrawProps<'a>, mode: &DrawMode) {
        let line_width = match mode {
            DrawMode::Invisible => return,
            DrawMode::Fill(_) => 0.0,
            DrawMode::Stroke(stroke) | DrawMode::FillAndStroke(_, stroke) => {
                f64::from(stroke.line_width)
            }
        };
        if let Some(marks) = self.marks.last_mut() {
            marks.add(path, props.transform, line_width);
        }
    }

    fn push_clip_path(&mut self, _: &ClipPath) {}

    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}

    fn draw_glyph_run(
        &mut self,
        run: &hayro::hayro_interpret::font::GlyphRun<'_, 'a>,
        props: DrawProps<'a>,
        _: &DrawMode,
    ) {
        for glyph in run.glyphs() {
            let transform = props.transform * glyph.transform();
            let origin = transform * Point::ORIGIN;
            let size = transform.determinant().abs().sqrt();
            self.separate(origin, size);
            match glyph.as_unicode() {
                Some(hayro::hayro_interpret::hayro_cmap::BfString::Char(c)) => {
                    self.push_str(c.encode_utf8(&mut [0; 4]));
                }
                Some(hayro::hayro_interpret::hayro_cmap::BfString::String(s)) => self.push_str(&s),
                None => {}
            }
            let advance = match &**glyph {
                Glyph::Outline(outline) => outline.advance_width(),
                Glyph::Type3(type3) => type3.advance_width(),
            };
            let end = transform * Point::new(f64::from(advance.unwrap_or(0.0)), 0.0);
            self.pen = Some(Pen { end, size });
        }
    }

    fn draw_image(&mut self, image: Image<'a, '_>, _: ImageDrawProps<'a>) {
        self.keep_image(image);
    }

    fn pop_clip(&mut self) {}

    fn pop_transparency_group(&mut self) {}
}
