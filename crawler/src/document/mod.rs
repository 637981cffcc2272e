//! Certificate documents: the scans and PDFs a Certifications page links or
//! embeds. A document is recognised by its content (magic bytes), not by
//! what the server calls it; read within named limits (bytes, pixels,
//! pages); and yields the QR codes it carries and, for a PDF, its text.
//!
//! Everything here is a plain function over bytes: nothing awaits. The
//! crawler runs [`read_document`] on a blocking thread under a time limit,
//! so a document that is slow to decode costs that document, not the run.
//! Any panic inside a third-party decoder is caught and becomes that
//! document's [`DocumentError::DecoderPanic`].

pub mod image;
pub mod kind;
pub mod pdf;
pub mod qr;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

pub use kind::{DocumentKind, guess_kind};

/// Largest document read, in bytes (the fetcher's body cap for documents).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;
/// Most pixels an image may have (width × height) before it is refused
/// without being decoded: a decompression bomb's header claims far more.
/// 40 megapixels covers a 600 dpi A4 scan.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// Most bytes a decoder may allocate for one image.
pub const MAX_IMAGE_ALLOC: u64 = 256 * 1024 * 1024;
/// Pages of a PDF whose text and images are read at most.
pub const MAX_PDF_PAGES: usize = 8;
/// Images embedded in one PDF that are decoded at most.
pub const MAX_PDF_IMAGES: usize = 16;
/// Pages of a PDF rendered to find vector-drawn QR codes at most.
pub const MAX_RENDERED_PAGES: usize = 2;
/// Characters of PDF text kept.
pub const MAX_PDF_TEXT_CHARS: usize = 20_000;
/// Resolution pages are rendered at, in dots per inch: a QR code of 2 cm
/// on paper is then about 160 pixels wide, several pixels a module.
pub const PDF_RENDER_DPI: f32 = 200.0;
/// Longest side of a rendered page, in pixels: the QR decoder's own limit
/// ([`qr::MAX_DECODE_SIDE`]), so that a rendered page is never resized
/// again before decoding (resizing an A4 page rendered at 2339 pixels cost
/// more than half a crawl's CPU). An A4 page is rendered at 1448 × 2048,
/// about 175 dpi.
pub const MAX_RENDERED_SIDE: u32 = qr::MAX_DECODE_SIDE;
/// Most bytes one Flate-compressed stream of a PDF may inflate to. The
/// PDF is refused before any of its pages is read when one would inflate
/// further: a deflate bomb expands a thousandfold.
pub const MAX_PDF_STREAM_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes all Flate-compressed streams of one PDF may inflate to
/// together, checked the same way.
pub const MAX_PDF_INFLATED_BYTES: u64 = 256 * 1024 * 1024;
/// Wall-clock time the crawler gives one document's decoding.
pub const DOCUMENT_TIME_LIMIT: Duration = Duration::from_secs(10);

/// A format the document reader knows, recognised by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF.
    Gif,
    /// WebP.
    Webp,
    /// BMP.
    Bmp,
    /// TIFF.
    Tiff,
    /// PDF.
    Pdf,
}

impl DocumentFormat {
    /// Lower-case name, as recorded.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Png => "png",
            DocumentFormat::Jpeg => "jpeg",
            DocumentFormat::Gif => "gif",
            DocumentFormat::Webp => "webp",
            DocumentFormat::Bmp => "bmp",
            DocumentFormat::Tiff => "tiff",
            DocumentFormat::Pdf => "pdf",
        }
    }

    /// Whether it is a raster image.
    pub fn is_image(self) -> bool {
        self != DocumentFormat::Pdf
    }
}

/// The format of `bytes`, from their first bytes; `None` for anything else
/// (HTML, text, an unknown format). A PDF may have up to 1 KiB of junk
/// before `%PDF`, as readers allow.
pub fn sniff(bytes: &[u8]) -> Option<DocumentFormat> {
    let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        DocumentFormat::Png
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        DocumentFormat::Jpeg
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        DocumentFormat::Gif
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        DocumentFormat::Webp
    } else if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        DocumentFormat::Bmp
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        DocumentFormat::Tiff
    } else if bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        DocumentFormat::Pdf
    } else {
        return None;
    };
    Some(format)
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Larger than [`MAX_DOCUMENT_BYTES`].
    #[error("{bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Its header claims more pixels than [`MAX_IMAGE_PIXELS`].
    #[error("an image of {width} × {height} pixels, more than the limit of {limit}; not decoded")]
    TooManyPixels {
        /// Claimed width.
        width: u64,
        /// Claimed height.
        height: u64,
        /// The limit.
        limit: u64,
    },
    /// Not a format the reader knows.
    #[error("not an image or PDF")]
    Unsupported,
    /// The image could not be decoded.
    #[error("image: {0}")]
    Image(String),
    /// The PDF could not be read.
    #[error("PDF: {0}")]
    Pdf(String),
    /// A decoder panicked; the panic was contained.
    #[error("the {decoder} decoder failed on this document (contained panic: {message})")]
    DecoderPanic {
        /// Which decoder.
        decoder: &'static str,
        /// The panic's message.
        message: String,
    },
    /// Decoding took longer than [`DOCUMENT_TIME_LIMIT`].
    #[error("decoding took longer than {} s; abandoned", DOCUMENT_TIME_LIMIT.as_secs())]
    TimedOut,
}

/// What a document carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentContent {
    /// Its format.
    pub format: Option<DocumentFormat>,
    /// Width and height of an image, or of a PDF's first page in points.
    pub dimensions: Option<(u32, u32)>,
    /// Pages, for a PDF.
    pub pages: Option<usize>,
    /// The payloads of the QR codes found, de-duplicated, in reading order.
    pub qr_codes: Vec<String>,
    /// A PDF's text (at most [`MAX_PDF_TEXT_CHARS`]); empty for images.
    pub text: String,
    /// Parts that could not be read although the document as a whole was
    /// (an embedded image in an unknown filter, a page that did not render).
    pub warnings: Vec<String>,
}

/// Runs `f`, turning a panic into [`DocumentError::DecoderPanic`]: the
/// decoders are third-party code fed strangers' bytes.
pub fn contain<T>(
    decoder: &'static str,
    f: impl FnOnce() -> Result<T, DocumentError>,
) -> Result<T, DocumentError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Err(DocumentError::DecoderPanic { decoder, message })
        }
    }
}

/// Checks a document without decoding it: its format, an image's claimed
/// dimensions (within [`MAX_IMAGE_PIXELS`]), a PDF's end marker. Cheap
/// enough for every document; [`read_document`] does the decoding.
pub fn check_document(bytes: &[u8]) -> Result<DocumentContent, DocumentError> {
    let (format, mut content) = recognise(bytes)?;
    if format.is_image() {
        content.dimensions = Some(image::checked_dimensions(bytes)?);
    } else {
        check_pdf_end(bytes)?;
    }
    Ok(content)
}

/// A document's format, within [`MAX_DOCUMENT_BYTES`], and its content
/// with only the format known yet.
fn recognise(bytes: &[u8]) -> Result<(DocumentFormat, DocumentContent), DocumentError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge {
            bytes: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let format = sniff(bytes).ok_or(DocumentError::Unsupported)?;
    let content = DocumentContent {
        format: Some(format),
        ..DocumentContent::default()
    };
    Ok((format, content))
}

/// A PDF without `%%EOF` is a cut download or a broken upload: what a
/// reader would recover from it is not the document the supplier meant to
/// show.
fn check_pdf_end(bytes: &[u8]) -> Result<(), DocumentError> {
    if bytes.windows(5).any(|w| w == b"%%EOF") {
        Ok(())
    } else {
        Err(DocumentError::Pdf(
            "truncated: the file ends before its %%EOF marker".to_owned(),
        ))
    }
}

/// Adds the QR codes of `images` to `codes`, each once; a decoder error
/// becomes a warning.
fn decode_all(images: &[::image::GrayImage], codes: &mut Vec<String>, warnings: &mut Vec<String>) {
    for image in images {
        match qr::decode(image) {
            Ok(found) => {
                for code in found {
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
            }
            Err(e) => warnings.push(e.to_string()),
        }
    }
}

/// Reads a document: its format, the QR codes in it (for a PDF, in its
/// embedded images and rendered pages) and a PDF's text.
pub fn read_document(bytes: &[u8]) -> Result<DocumentContent, DocumentError> {
    let (format, mut content) = recognise(bytes)?;
    if format.is_image() {
        let gray = image::decode_gray(bytes)?;
        content.dimensions = Some(gray.dimensions());
        content.qr_codes = qr::decode(&gray)?;
        return Ok(content);
    }
    check_pdf_end(bytes)?;
    // QR codes in the embedded images first; the pages are rendered (for
    // QR codes drawn as vector graphics) only when those carry none.
    let mut codes: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let pdf = pdf::read_then(bytes, |read| {
        decode_all(&read.images, &mut codes, &mut warnings);
        codes.is_empty()
    })?;
    if pdf.pages == 0 {
        // A page tree that loops or points nowhere: nothing was read.
        let mut reason = "no page could be read".to_owned();
        if let Some(first) = pdf.warnings.first() {
            reason.push_str(&format!(" ({first})"));
        }
        return Err(DocumentError::Pdf(reason));
    }
    decode_all(&pdf.rendered, &mut codes, &mut warnings);
    content.pages = Some(pdf.pages);
    content.dimensions = pdf.first_page_size;
    content.text = pdf.text;
    content.warnings = pdf.warnings;
    content.warnings.extend(warnings);
    content.qr_codes = codes;
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_by_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(DocumentFormat::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(DocumentFormat::Jpeg));
        assert_eq!(sniff(b"GIF89a...."), Some(DocumentFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(DocumentFormat::Webp));
        assert_eq!(sniff(b"junk\r\n%PDF-1.7\n"), Some(DocumentFormat::Pdf));
        assert_eq!(sniff(b"<!doctype html><html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_panic_is_contained_and_named() {
        let result: Result<(), _> = contain("test", || panic!("boom"));
        assert_eq!(
            result,
            Err(DocumentError::DecoderPanic {
                decoder: "test",
                message: "boom".to_owned()
            })
        );
    }

    #[test]
    fn oversized_and_unknown_documents_are_refused() {
        assert_eq!(
            read_document(&vec![0u8; MAX_DOCUMENT_BYTES + 1]),
            Err(DocumentError::TooLarge {
                bytes: MAX_DOCUMENT_BYTES + 1,
                limit: MAX_DOCUMENT_BYTES
            })
        );
        assert_eq!(
            read_document(b"<html></html>"),
            Err(DocumentError::Unsupported)
        );
    }
}
