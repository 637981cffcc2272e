//! The real-site corpus of `../shared/realsites` (static copies of real
//! company websites with a hand-made truth), served over loopback by `Host`
//! header as its own `serve.py` serves it, so that discovery can be tested
//! end to end on markup nobody here wrote. The pages are read from the
//! shared folder at test time and never copied into the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// The shared test-data folder: `ECOSCOUT_SHARED`, else `../shared` beside
/// the repository.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("ECOSCOUT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

/// One site of the corpus and its truth.
#[derive(Debug, Clone)]
pub struct RealSite {
    /// Short name; the site is served as `<slug>.test`.
    pub slug: String,
    /// The home page's path.
    pub home: String,
    /// Paths of its Certifications pages (empty: it has none).
    pub cert_pages: Vec<String>,
    /// Certificate documents linked or embedded on those pages, as the
    /// attribute values are written.
    pub cert_links: Vec<String>,
    /// Its line in `truth.jsonl`, from 1.
    pub line: usize,
    /// Non-HTML files that exist on the real site.
    pub manifest: BTreeSet<String>,
}

impl RealSite {
    /// Whether it is on an odd line of the truth (the development half).
    pub fn in_development_half(&self) -> bool {
        self.line % 2 == 1
    }
}

/// The corpus.
pub struct RealSites {
    root: PathBuf,
    /// Sites by slug.
    pub sites: BTreeMap<String, RealSite>,
}

impl RealSites {
    /// Reads the corpus, or panics with where it was looked for.
    pub fn load() -> RealSites {
        let root = shared_dir().join("realsites");
        let truth = std::fs::read_to_string(root.join("truth.jsonl")).unwrap_or_else(|e| {
            panic!(
                "the real-site corpus is not at {} ({e}); set ECOSCOUT_SHARED to the shared folder",
                root.display()
            )
        });
        let mut sites = BTreeMap::new();
        for (i, line) in truth.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let v: Value = serde_json::from_str(line).expect("truth line is JSON");
            let slug = v["slug"].as_str().expect("slug").to_owned();
            let manifest =
                std::fs::read_to_string(root.join("manifests").join(format!("{slug}.txt")))
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect();
            let site = RealSite {
                home: v["home"].as_str().expect("home").to_owned(),
                cert_pages: v["cert_pages"]
                    .as_array()
                    .expect("cert_pages")
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect(),
                cert_links: v["cert_links"]
                    .as_array()
                    .expect("cert_links")
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect(),
                line: i + 1,
                manifest,
                slug: slug.clone(),
            };
            sites.insert(slug, site);
        }
        RealSites { root, sites }
    }

    /// Serves every site on a loopback port; returns the port.
    pub async fn serve(self: Arc<Self>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let corpus = Arc::clone(&self);
                tokio::spawn(async move { corpus.answer(stream).await });
            }
        });
        port
    }

    async fn answer(&self, mut stream: TcpStream) {
        let mut head = Vec::new();
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let head = String::from_utf8_lossy(&head);
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let host = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("host")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        let (status, headers, body) = self.respond(&host, &target);
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let _ = stream.write_all(out.as_bytes()).await;
        let _ = stream.write_all(&body).await;
        let _ = stream.shutdown().await;
    }

    /// What `serve.py` answers for `target` on `host`.
    fn respond(
        &self,
        host: &str,
        target: &str,
    ) -> (&'static str, Vec<(&'static str, String)>, Vec<u8>) {
        let text = |status, body: &str| {
            (
                status,
                vec![("Content-Type", "text/plain".to_owned())],
                body.as_bytes().to_vec(),
            )
        };
        let slug = host
            .split(':')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".test");
        let Some(site) = self.sites.get(slug) else {
            return text("404 Not Found", "unknown host");
        };
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let path = percent_decode(path);
        if path == "/robots.txt" {
            return text("200 OK", "User-agent: *\nAllow: /\n");
        }
        if path == "/" || path.is_empty() {
            if !site.home.contains('/') {
                return self.file(site, &site.home);
            }
            return (
                "302 Found",
                vec![("Location", format!("/{}", site.home))],
                Vec::new(),
            );
        }
        let Some(rel) = clamp(&path) else {
            return ("302 Found", vec![("Location", "/".to_owned())], Vec::new());
        };
        let fs = self.root.join("sites").join(&site.slug).join(&rel);
        if fs.is_file() {
            return self.file(site, &rel);
        }
        if fs.is_dir() {
            if !path.ends_with('/') {
                return (
                    "301 Moved Permanently",
                    vec![("Location", format!("{path}/"))],
                    Vec::new(),
                );
            }
            for index in ["index.html", "index.htm"] {
                if fs.join(index).is_file() {
                    return self.file(site, &format!("{rel}/{index}"));
                }
            }
        } else if !path.ends_with('/') {
            for ext in [".html", ".htm"] {
                let candidate = format!("{rel}{ext}");
                if self
                    .root
                    .join("sites")
                    .join(&site.slug)
                    .join(&candidate)
                    .is_file()
                {
                    return self.file(site, &candidate);
                }
            }
        }
        if site.manifest.contains(&rel) && !is_html_name(&rel) {
            return placeholder(&rel);
        }
        text("404 Not Found", "not found\n")
    }

    fn file(
        &self,
        site: &RealSite,
        rel: &str,
    ) -> (&'static str, Vec<(&'static str, String)>, Vec<u8>) {
        let Ok(data) = std::fs::read(self.root.join("sites").join(&site.slug).join(rel)) else {
            return ("404 Not Found", Vec::new(), Vec::new());
        };
        let content_type = if is_html_name(rel) {
            match html_charset(&data) {
                Some(charset) => format!("text/html; charset={charset}"),
                None => "text/html".to_owned(),
            }
        } else {
            "application/octet-stream".to_owned()
        };
        ("200 OK", vec![("Content-Type", content_type)], data)
    }
}

fn is_html_name(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    [".html", ".htm", ".shtml"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// The path inside the site root, `..` clamped at the root as browsers do.
fn clamp(path: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = path
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The charset a page's meta tag names, else UTF-8 when the bytes are.
fn html_charset(data: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&data[..data.len().min(4096)]).to_ascii_lowercase();
    if let Some(at) = head.find("charset") {
        let rest = head[at + 7..].trim_start().strip_prefix('=')?.trim_start();
        let name: String = rest
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "_.:-".contains(*c))
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    std::str::from_utf8(data)
        .is_ok()
        .then(|| "utf-8".to_owned())
}

/// The tiny body `serve.py` answers for a file that exists on the real
/// site but was not copied.
fn placeholder(rel: &str) -> (&'static str, Vec<(&'static str, String)>, Vec<u8>) {
    const GIF_1PX: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    const PDF_STUB: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    let ext = rel
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (content_type, body): (&str, &[u8]) = match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" => ("image/gif", GIF_1PX),
        "pdf" => ("application/pdf", PDF_STUB),
        _ => ("application/octet-stream", b"placeholder\n"),
    };
    (
        "200 OK",
        vec![
            ("Content-Type", content_type.to_owned()),
            ("X-Placeholder", "1".to_owned()),
        ],
        body.to_vec(),
    )
}

/// A Certifications page path as the corpus's `check.py` compares them:
/// `/` is `index.html`, a trailing `/` gains `index.html`, a last segment
/// without an extension gains `.html`.
pub fn normalised_page(path: &str) -> String {
    let mut p = path.trim_start_matches('/').to_owned();
    if p.is_empty() {
        return "index.html".to_owned();
    }
    if p.ends_with('/') {
        p.push_str("index.html");
    }
    if !p.rsplit('/').next().unwrap_or_default().contains('.') {
        p.push_str(".html");
    }
    p
}
