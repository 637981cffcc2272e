//! PDFs built here, read by `document::read_document`: a certificate whose
//! QR code is an embedded image (JPEG, Flate RGB, 1-bit Flate), one whose
//! QR code is drawn as vector rectangles, and hostile files, each of which
//! must end as an error or a warning within seconds.

use std::io::Cursor;
use std::time::{Duration, Instant};

use crawler::document::{DocumentError, pdf, read_document};
use image::{GrayImage, Luma};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

const PAYLOAD: &str = "https://verify.example.org/co/RCEP-VN-2026-000123";
const NUMBER: &str = "RCEP-VN-2026-000123";
/// What any hostile file may take to be read, in a debug build.
const QUICK: Duration = Duration::from_secs(5);

/// The QR code's modules, a 4-module quiet zone included, `true` dark.
fn qr_modules() -> Vec<Vec<bool>> {
    let code = qrcode::QrCode::new(PAYLOAD).expect("QR");
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 8;
    (0..side)
        .map(|y| {
            (0..side)
                .map(|x| {
                    (4..width + 4).contains(&x)
                        && (4..width + 4).contains(&y)
                        && colors[(y - 4) * width + (x - 4)] == qrcode::Color::Dark
                })
                .collect()
        })
        .collect()
}

/// The QR code as a grey image, `scale` pixels a module.
fn qr_image(scale: u32) -> GrayImage {
    let modules = qr_modules();
    let side = u32::try_from(modules.len()).expect("small") * scale;
    GrayImage::from_fn(side, side, |x, y| {
        let dark = modules[(y / scale) as usize][(x / scale) as usize];
        Luma([if dark { 0 } else { 255 }])
    })
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

/// How the QR code goes into the certificate.
enum Qr {
    /// A JPEG (DCTDecode) grey image.
    Jpeg,
    /// Flate-compressed 8-bit RGB samples.
    FlateRgb,
    /// Flate-compressed 1-bit grey samples, as a scanner writes.
    FlateOneBit,
    /// Filled rectangles in the content stream, one per dark module.
    Vector,
    /// Filled rectangles, one per horizontal run of dark modules.
    VectorRuns,
    /// Stroked lines, one per horizontal run of dark modules, a module
    /// wide.
    VectorStrokes,
}

impl Qr {
    fn is_vector(&self) -> bool {
        matches!(self, Qr::Vector | Qr::VectorRuns | Qr::VectorStrokes)
    }
}

/// An A4 certificate: the title and number in Helvetica, and the QR code
/// 2.5 cm wide near the bottom right.
fn certificate(qr: Qr) -> Vec<u8> {
    let (catalog, tree, page, font, content_id, image_id) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(tree)
        .contents(content_id);
    let mut resources = p.resources();
    resources.fonts().pair(Name(b"F1"), font);
    if !qr.is_vector() {
        resources.x_objects().pair(Name(b"Im1"), image_id);
    }
    resources.finish();
    p.finish();
    pdf.type1_font(font).base_font(Name(b"Helvetica"));

    let side = 71.0; // 2.5 cm
    let mut content = Content::new();
    content
        .begin_text()
        .set_font(Name(b"F1"), 16.0)
        .next_line(72.0, 760.0)
        .show(Str(b"Certificate of Origin"))
        .end_text();
    content
        .begin_text()
        .set_font(Name(b"F1"), 11.0)
        .next_line(72.0, 730.0)
        .show(Str(b"Certificate No. RCEP-VN-2026-000123"))
        .end_text();
    match qr {
        Qr::Vector => draw_vector_qr(&mut content, 450.0, 72.0, side),
        Qr::VectorRuns | Qr::VectorStrokes => {
            draw_vector_runs(
                &mut content,
                450.0,
                72.0,
                side,
                matches!(qr, Qr::VectorStrokes),
            );
        }
        _ => {
            content
                .save_state()
                .transform([side, 0.0, 0.0, side, 450.0, 72.0])
                .x_object(Name(b"Im1"))
                .restore_state();
        }
    }
    pdf.stream(content_id, &content.finish());
    embed_qr(&mut pdf, image_id, qr);
    pdf.finish()
}

/// Dark modules as filled squares, the code's lower left corner at (x, y).
fn draw_vector_qr(content: &mut Content, x: f32, y: f32, side: f32) {
    let modules = qr_modules();
    let m = side / modules.len() as f32;
    content.set_fill_gray(0.0);
    for (row, line) in modules.iter().enumerate() {
        for (col, &dark) in line.iter().enumerate() {
            if dark {
                let top = y + side - (row as f32 + 1.0) * m;
                content.rect(x + col as f32 * m, top, m, m);
            }
        }
    }
    content.fill_nonzero();
}

/// Each horizontal run of dark modules as one filled rectangle, or as one
/// line a module wide when `stroked`; the code's lower left corner at
/// (x, y).
fn draw_vector_runs(content: &mut Content, x: f32, y: f32, side: f32, stroked: bool) {
    let modules = qr_modules();
    let m = side / modules.len() as f32;
    content
        .set_fill_gray(0.0)
        .set_stroke_gray(0.0)
        .set_line_width(m);
    for (row, line) in modules.iter().enumerate() {
        let top = y + side - (row as f32 + 1.0) * m;
        let mut col = 0;
        while col < line.len() {
            if !line[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < line.len() && line[col] {
                col += 1;
            }
            let (left, right) = (x + start as f32 * m, x + col as f32 * m);
            if stroked {
                content
                    .move_to(left, top + m / 2.0)
                    .line_to(right, top + m / 2.0);
            } else {
                content.rect(left, top, right - left, m);
            }
        }
    }
    if stroked {
        content.stroke();
    } else {
        content.fill_nonzero();
    }
}

fn embed_qr(pdf: &mut Pdf, id: Ref, qr: Qr) {
    let grey = qr_image(4);
    let (w, h) = (grey.width() as i32, grey.height() as i32);
    let (filter, data, bits, rgb) = match qr {
        Qr::Vector | Qr::VectorRuns | Qr::VectorStrokes => return,
        Qr::Jpeg => {
            let mut jpeg = Vec::new();
            grey.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
                .expect("JPEG");
            (Filter::DctDecode, jpeg, 8, false)
        }
        Qr::FlateRgb => {
            let rgb: Vec<u8> = grey.as_raw().iter().flat_map(|&v| [v, v, v]).collect();
            (Filter::FlateDecode, zlib(&rgb), 8, true)
        }
        Qr::FlateOneBit => {
            let mut packed = Vec::new();
            for row in grey.rows() {
                for chunk in row.collect::<Vec<_>>().chunks(8) {
                    let mut byte = 0u8;
                    for (i, p) in chunk.iter().enumerate() {
                        if p.0[0] > 127 {
                            byte |= 0x80 >> i;
                        }
                    }
                    packed.push(byte);
                }
            }
            (Filter::FlateDecode, zlib(&packed), 1, false)
        }
    };
    let mut image = pdf.image_xobject(id, &data);
    image.filter(filter);
    image.width(w).height(h).bits_per_component(bits);
    if rgb {
        image.color_space().device_rgb();
    } else {
        image.color_space().device_gray();
    }
}

fn assert_certificate_read(bytes: &[u8]) -> crawler::document::DocumentContent {
    let content = read_document(bytes).expect("reads");
    assert!(
        content.text.contains("Certificate of Origin"),
        "{:?}",
        content.text
    );
    assert!(content.text.contains(NUMBER), "{:?}", content.text);
    assert_eq!(content.pages, Some(1));
    assert_eq!(content.dimensions, Some((595, 842)));
    assert_eq!(
        content.qr_codes,
        vec![PAYLOAD.to_owned()],
        "{:?}",
        content.warnings
    );
    content
}

#[test]
fn a_jpeg_qr_code_and_the_text_are_read() {
    let bytes = certificate(Qr::Jpeg);
    assert_certificate_read(&bytes);
    let read = pdf::read(&bytes).expect("reads");
    assert_eq!(read.images.len(), 1);
    // Text, a frame and an image draw no vector marks: nothing to render.
    assert!(read.rendered.is_empty());
    assert!(
        read.text.contains(&format!("Certificate No. {NUMBER}")),
        "{:?}",
        read.text
    );
}

#[test]
fn a_flate_rgb_qr_code_is_read() {
    let bytes = certificate(Qr::FlateRgb);
    assert_certificate_read(&bytes);
    assert_eq!(pdf::read(&bytes).expect("reads").images.len(), 1);
}

#[test]
fn a_one_bit_qr_code_is_read() {
    let bytes = certificate(Qr::FlateOneBit);
    assert_certificate_read(&bytes);
    assert_eq!(pdf::read(&bytes).expect("reads").images.len(), 1);
}

#[test]
fn a_vector_qr_code_is_found_by_rendering() {
    let bytes = certificate(Qr::Vector);
    let read = pdf::read(&bytes).expect("reads");
    assert!(read.images.is_empty());
    // Only the area of the code's squares is rendered, not the whole page.
    let area = &read.rendered[0];
    let (page_width, page_height) = read.first_page_size.expect("a page");
    let scale = crawler::document::PDF_RENDER_DPI / 72.0;
    assert!(area.width() <= crawler::document::MAX_RENDERED_SIDE);
    assert!(
        u64::from(area.width()) * u64::from(area.height()) * 4
            < (page_width as f32 * page_height as f32 * scale * scale) as u64,
        "{} × {} of a page of {page_width} × {page_height} pt",
        area.width(),
        area.height()
    );
    assert_certificate_read(&bytes);
}

#[test]
fn a_vector_qr_code_drawn_as_runs_is_found() {
    assert_certificate_read(&certificate(Qr::VectorRuns));
}

#[test]
fn a_vector_qr_code_drawn_as_stroked_lines_is_found() {
    assert_certificate_read(&certificate(Qr::VectorStrokes));
}

/// A PDF of the given object bodies (object i + 1 is `objects[i]`) with a
/// correct cross-reference table; the catalog is object 1.
fn raw_pdf(objects: &[&[u8]]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(*body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

/// Reads `bytes`, asserting it neither panics nor takes long.
fn read_quickly(bytes: &[u8]) -> Result<crawler::document::DocumentContent, DocumentError> {
    let start = Instant::now();
    let result = read_document(bytes);
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
    assert!(
        !matches!(result, Err(DocumentError::DecoderPanic { .. })),
        "{result:?}"
    );
    result
}

const CATALOG: &[u8] = b"<< /Type /Catalog /Pages 2 0 R >>";
const PAGE: &[u8] =
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>";

#[test]
fn an_object_that_references_itself_ends_quickly() {
    let bytes = raw_pdf(&[
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        b"4 0 R",
    ]);
    let _ = read_quickly(&bytes);
}

#[test]
fn a_page_tree_whose_kids_point_back_ends_quickly() {
    let bytes = raw_pdf(&[
        CATALOG,
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 2 >>",
    ]);
    let _ = read_quickly(&bytes);
}

#[test]
fn a_stream_whose_length_references_itself_ends_quickly() {
    let bytes = raw_pdf(&[
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        b"<< /Length 4 0 R >>\nstream\nBT /F1 12 Tf (x) Tj ET\nendstream",
    ]);
    let _ = read_quickly(&bytes);
}

#[test]
fn a_truncated_pdf_ends_quickly() {
    let whole = certificate(Qr::Jpeg);
    for len in [whole.len() / 4, whole.len() / 2, whole.len() - 40] {
        let _ = read_quickly(&whole[..len]);
    }
}

#[test]
fn garbage_after_the_header_is_an_error() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    assert!(read_quickly(&bytes).is_err());
}

#[test]
fn an_image_claiming_ten_billion_pixels_is_not_decoded() {
    let samples = zlib(&[0u8; 1024]);
    let mut image = format!(
        "<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray \
         /BitsPerComponent 8 /Filter /FlateDecode /Length {} >>\nstream\n",
        samples.len()
    )
    .into_bytes();
    image.extend(&samples);
    image.extend(b"\nendstream");
    let content = b"<< /Length 33 >>\nstream\nq 500 0 0 500 0 0 cm /Im1 Do Q\nendstream";
    let bytes = raw_pdf(&[
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
          /Resources << /XObject << /Im1 5 0 R >> >> >>",
        content,
        &image,
    ]);
    let read = read_quickly(&bytes).expect("the rest of the PDF is read");
    assert!(
        read.warnings.iter().any(|w| w.contains("100000")),
        "{:?}",
        read.warnings
    );
}

#[test]
fn a_deflate_bomb_in_a_content_stream_is_refused() {
    // 96 MiB of spaces (more than MAX_PDF_STREAM_BYTES), a few hundred
    // kilobytes compressed.
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![b' '; 1 << 20];
    for _ in 0..96 {
        std::io::Write::write_all(&mut encoder, &block).expect("deflate");
    }
    let bomb = encoder.finish().expect("deflate");
    let mut stream = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        bomb.len()
    )
    .into_bytes();
    stream.extend(&bomb);
    stream.extend(b"\nendstream");
    let bytes = raw_pdf(&[
        CATALOG,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        &stream,
    ]);
    assert!(matches!(read_quickly(&bytes), Err(DocumentError::Pdf(_))));
}
