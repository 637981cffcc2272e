//! Writing certificate PDFs: one A4 page with plain Latin text in
//! Helvetica (a standard font, not embedded) — the title, "Certificate No.
//! <number>", the holder — and, on certificates of origin, a QR code as an
//! embedded grey image or as vector rectangles. Content streams are left
//! uncompressed so that the text can be read from the bytes.

use std::io::Write as _;

use pdf_writer::{Content, Filter, Finish as _, Name, Pdf, Rect, Ref, Str};

use crate::documents::{DocKind, Document, DocumentError, QrMatrix};

const A4: (f32, f32) = (595.0, 842.0);
/// Side of the QR code on the page, in points.
pub const QR_SIDE: f32 = 160.0;
/// Pixels per module of an embedded QR image.
pub const QR_IMAGE_MODULE: usize = 4;

const CATALOG: Ref = Ref::new(1);
const PAGES: Ref = Ref::new(2);
const PAGE: Ref = Ref::new(3);
const FONT: Ref = Ref::new(4);
const FONT_BOLD: Ref = Ref::new(5);
const CONTENT: Ref = Ref::new(6);
const QR_IMAGE: Ref = Ref::new(7);

/// Writes `doc` as a one-page PDF, with `qr` drawn as its
/// [`crate::documents::Look::vector_qr`] says.
pub fn write(doc: &Document, qr: Option<&QrMatrix>) -> Result<Vec<u8>, DocumentError> {
    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGES);
    pdf.pages(PAGES).kids([PAGE]).count(1);
    let embedded = qr.filter(|_| !doc.look.vector_qr);
    {
        let mut page = pdf.page(PAGE);
        page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        page.parent(PAGES);
        page.contents(CONTENT);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(Name(b"F1"), FONT)
            .pair(Name(b"F2"), FONT_BOLD);
        if embedded.is_some() {
            resources.x_objects().pair(Name(b"Qr"), QR_IMAGE);
        }
    }
    pdf.type1_font(FONT).base_font(Name(b"Helvetica"));
    pdf.type1_font(FONT_BOLD).base_font(Name(b"Helvetica-Bold"));
    let mut content = Content::new();
    frame(&mut content);
    text(&mut content, doc);
    match qr {
        Some(q) if doc.look.vector_qr => vector_qr(&mut content, q),
        Some(q) => {
            image_qr(&mut pdf, q)?;
            content.save_state();
            content.transform([QR_SIDE, 0.0, 0.0, QR_SIDE, 60.0, 60.0]);
            content.x_object(Name(b"Qr"));
            content.restore_state();
        }
        None => {}
    }
    pdf.stream(CONTENT, &content.finish());
    Ok(pdf.finish())
}

/// A double border.
fn frame(content: &mut Content) {
    content.set_stroke_rgb(0.65, 0.5, 0.15);
    content.set_line_width(3.0);
    content.rect(24.0, 24.0, A4.0 - 48.0, A4.1 - 48.0);
    content.stroke();
    content.set_line_width(1.0);
    content.rect(34.0, 34.0, A4.0 - 68.0, A4.1 - 68.0);
    content.stroke();
}

/// Latin text only: the standard fonts' encoding covers no more.
fn latin(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .collect();
    kept.trim().to_owned()
}

/// Title, number, holder and a few lines of particulars.
fn text(content: &mut Content, doc: &Document) {
    let mut line = |font: &[u8], size: f32, y: f32, text: &str| {
        content.begin_text();
        content.set_font(Name(font), size);
        content.next_line(60.0, y);
        content.show(Str(latin(text).as_bytes()));
        content.end_text();
    };
    line(b"F2", 24.0, 760.0, doc.kind.title());
    if doc.kind == DocKind::CertificateOfOrigin {
        line(
            b"F1",
            11.0,
            738.0,
            "Form RCEP - Regional Comprehensive Economic Partnership",
        );
    }
    line(
        b"F1",
        13.0,
        700.0,
        &format!("Certificate No. {}", doc.number),
    );
    let holder = match doc.kind {
        DocKind::CertificateOfOrigin => "Exporter",
        _ => "Holder",
    };
    line(b"F1", 12.0, 676.0, &format!("{holder}: {}", doc.holder));
    let particulars = [
        "This is to certify that the above-named organisation meets the",
        "requirements stated herein, as verified by the issuing body.",
        "Date of issue: 2026-01-15",
    ];
    for (k, text) in particulars.iter().enumerate() {
        line(b"F1", 11.0, 640.0 - 18.0 * k as f32, text);
    }
}

/// The QR code as filled squares, one per dark module, inside a white
/// quiet zone of four modules.
fn vector_qr(content: &mut Content, qr: &QrMatrix) {
    let module = QR_SIDE / (qr.width + 8) as f32;
    let (x0, y0) = (60.0, 60.0);
    content.set_fill_gray(1.0);
    content.rect(x0, y0, QR_SIDE, QR_SIDE);
    content.fill_nonzero();
    content.set_fill_gray(0.0);
    for y in 0..qr.width {
        for x in 0..qr.width {
            if qr.is_dark(x, y) {
                // PDF's y axis goes up: row 0 is at the top.
                let px = x0 + (x + 4) as f32 * module;
                let py = y0 + QR_SIDE - (y + 5) as f32 * module;
                content.rect(px, py, module, module);
            }
        }
    }
    content.fill_nonzero();
}

/// The QR code as an 8-bit grey image (4 pixels per module, quiet zone
/// included), compressed with Flate.
fn image_qr(pdf: &mut Pdf, qr: &QrMatrix) -> Result<(), DocumentError> {
    let side = (qr.width + 8) * QR_IMAGE_MODULE;
    let mut pixels = vec![255u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (x / QR_IMAGE_MODULE, y / QR_IMAGE_MODULE);
            if mx >= 4 && my >= 4 && qr.is_dark(mx - 4, my - 4) {
                pixels[y * side + x] = 0;
            }
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&pixels)?;
    let data = z.finish()?;
    let mut image = pdf.image_xobject(QR_IMAGE, &data);
    image.filter(Filter::FlateDecode);
    image.width(side as i32);
    image.height(side as i32);
    image.color_space().device_gray();
    image.bits_per_component(8);
    image.interpolate(false);
    image.finish();
    Ok(())
}
