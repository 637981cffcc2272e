//! Reading a PDF: its text, its embedded images and its first pages
//! rendered, so that QR codes drawn as images or as vector graphics are
//! found.

use image::GrayImage;

use super::DocumentError;

/// What a PDF holds, as far as screening needs it.
#[derive(Debug, Default)]
pub struct PdfContent {
    /// Number of pages.
    pub pages: usize,
    /// Size of the first page, in points.
    pub first_page_size: Option<(u32, u32)>,
    /// Text of the first pages.
    pub text: String,
    /// Embedded images, decoded to grey.
    pub images: Vec<GrayImage>,
    /// First pages, rendered to grey.
    pub rendered: Vec<GrayImage>,
    /// Parts that could not be read.
    pub warnings: Vec<String>,
}

/// Reads a PDF.
pub fn read(_bytes: &[u8]) -> Result<PdfContent, DocumentError> {
    Err(DocumentError::Pdf(
        "PDF reading is not built yet".to_owned(),
    ))
}
