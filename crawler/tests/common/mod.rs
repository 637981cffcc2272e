//! A minimal HTTP server for the crawler's integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::{GrayImage, Luma};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A request as the test server saw it.
pub struct Request {
    pub method: String,
    pub host: String,
    pub path: String,
    pub query: Option<String>,
    pub body: Vec<u8>,
}

/// The largest request body the test server reads.
const MAX_BODY: usize = 1 << 20;

pub type Handler = Arc<dyn Fn(&Request) -> Vec<u8> + Send + Sync>;
pub type Seen = Arc<Mutex<Vec<String>>>;

/// A minimal HTTP/1.1 server, one request per connection; `/drip` sends a
/// byte every 200 ms. Returns the log of `host path user-agent` lines.
pub fn serve(listener: TcpListener, handler: Handler) -> Seen {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let method = head.split_whitespace().next().unwrap_or("GET").to_owned();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            l.split_once(':')
                                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                                .map(|(_, v)| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let length = header("content-length")
                    .parse::<usize>()
                    .unwrap_or(0)
                    .min(MAX_BODY);
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = buf[head_end..head_end + length].to_vec();
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
                    None => (target.clone(), None),
                };
                let host = header("host")
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                log.lock()
                    .unwrap()
                    .push(format!("{host} {target} {}", header("user-agent")));
                if path == "/drip" {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n")
                        .await;
                    for _ in 0..100 {
                        if stream.write_all(b"x").await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    return;
                }
                let response = handler(&Request {
                    method,
                    host,
                    path,
                    query,
                    body,
                });
                let _ = stream.write_all(&response).await;
            });
        }
    });
    seen
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A PNG of a QR code carrying `payload`, four pixels a module.
pub fn qr_png(payload: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
    let modules = code.width();
    let colors = code.to_colors();
    let side = u32::try_from((modules + 8) * 4).unwrap();
    let image = GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / 4) as usize, (y / 4) as usize);
        let dark = mx >= 4
            && my >= 4
            && mx - 4 < modules
            && my - 4 < modules
            && colors[(my - 4) * modules + (mx - 4)] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}
