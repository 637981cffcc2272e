//! The HTTP server of the simulated web: every host is `<name>.test` on one
//! loopback port, chosen by the `Host` header.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;

use crate::latency::Latency;
use crate::profile::HostileKind;
use crate::site::{Reply, SiteRequest, respond};
use crate::world::{SINGLE_WINDOW_HOST, World};

/// Largest request body read (forms), in bytes.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;
/// How long a dripping body keeps dripping at most.
const DRIP_SECONDS: u64 = 600;
/// Size of the huge page.
const HUGE_BYTES: usize = 50 * 1024 * 1024;
/// Decompressed size of the gzip bomb.
const BOMB_BYTES: usize = 64 * 1024 * 1024;

type Body = BoxBody<Bytes, std::io::Error>;

/// One request the simulated web received.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// Host, without port.
    pub host: String,
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// `User-Agent`, empty when absent.
    pub user_agent: String,
    /// When the request arrived.
    pub start: DateTime<Utc>,
    /// When its response was handed to the connection (for a streamed or
    /// delayed body, when the body ended or the client went away).
    pub end: DateTime<Utc>,
    /// For a request to the JSON-RPC node, its calls (every call of a
    /// batch), named by [`crate::tradetrust::rpc_call_names`]; empty (and
    /// left out of `requests.jsonl`) for every other request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rpc: Vec<String>,
}

/// Where request records go.
#[derive(Default)]
pub struct RequestLog {
    served: std::sync::atomic::AtomicU64,
    records: Mutex<Vec<RequestRecord>>,
    file: Mutex<Option<std::io::BufWriter<std::fs::File>>>,
    keep: bool,
}

impl RequestLog {
    /// A log that keeps records in memory and, when given, appends them as
    /// JSON Lines to `file`.
    pub fn new(keep_in_memory: bool, file: Option<std::fs::File>) -> RequestLog {
        RequestLog {
            served: std::sync::atomic::AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
            file: Mutex::new(file.map(std::io::BufWriter::new)),
            keep: keep_in_memory,
        }
    }

    fn push(&self, record: RequestRecord) {
        self.served
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut file) = self.file.lock()
            && let Some(file) = file.as_mut()
        {
            let line = serde_json::to_string(&record).unwrap_or_default();
            let _ = writeln!(file, "{line}").and_then(|()| file.flush());
        }
        if self.keep
            && let Ok(mut records) = self.records.lock()
        {
            records.push(record);
        }
    }

    /// How many requests have been answered.
    pub fn served(&self) -> u64 {
        self.served.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The records kept so far.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Serves `world` on `listener` until the task is dropped, each answer
/// waiting the delay `latency` draws for its host and path (see
/// [`Latency::delay`]) before it is sent.
pub async fn serve(
    listener: TcpListener,
    world: Arc<World>,
    log: Arc<RequestLog>,
    latency: Latency,
) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let world = world.clone();
        let log = log.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, world.clone(), log.clone(), latency));
            // Clients that go away mid-response end the connection; that is normal.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    world: Arc<World>,
    log: Arc<RequestLog>,
    latency: Latency,
) -> Result<Response<Body>, Infallible> {
    let start = Utc::now();
    let arrived = tokio::time::Instant::now();
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or_default();
    let host = strip_port(host).to_ascii_lowercase();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let user_agent = req
        .headers()
        .get(hyper::header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let reply = route(&world, &host, &method, &path, query.as_deref(), &body);
    let rpc = if host == crate::tradetrust::NODE_HOST {
        crate::tradetrust::rpc_call_names(&body)
    } else {
        Vec::new()
    };
    // The answer is sent no sooner than its delay after the request came
    // (the time the sim takes to make it counts towards the delay); the
    // record's `end` is taken after the wait.
    let delay = latency.delay(world.config().seed, &host, &target);
    if !delay.is_zero() {
        tokio::time::sleep_until(arrived + delay).await;
    }
    let record = RequestRecord {
        host,
        method,
        path: target,
        user_agent,
        start,
        end: start,
        rpc,
    };
    Ok(into_response(reply, record, log).await)
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    })
}

/// Answers one request of the simulated web.
pub fn route(
    world: &World,
    host: &str,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Reply {
    let relative = path.trim_start_matches('/');
    if host == crate::tradetrust::NODE_HOST {
        return world.tradetrust().rpc(method, body);
    }
    if host == SINGLE_WINDOW_HOST {
        let a = world.single_window_answer(relative);
        return Reply::new(a.status, a.content_type, a.body);
    }
    if let Some(authority) = world.authorities().iter().find(|a| a.host == host) {
        let answer = match authority.issuing.lock() {
            Ok(mut issuing) => issuing.answer(relative, query),
            Err(_) => None,
        };
        return match answer {
            Some(a) => Reply::new(a.status, a.content_type, a.body),
            None => Reply::not_found(),
        };
    }
    if let Some(owner) = crate::documents::owner_of(world, host, path) {
        let spec = world.spec(&owner);
        return crate::documents::answer(world, &owner, &spec, host, path)
            .unwrap_or_else(Reply::not_found);
    }
    let Some(supplier) = world.supplier_by_host(host) else {
        return Reply::new(404, "text/plain", format!("no such host: {host}"));
    };
    let spec = world.spec(&supplier);
    respond(
        world,
        &supplier,
        &spec,
        &SiteRequest {
            method,
            host,
            path,
            query,
            body,
        },
    )
}

fn full(status: u16, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&v) {
            response.headers_mut().append(k, v);
        }
    }
    response
}

async fn into_response(
    reply: Reply,
    mut record: RequestRecord,
    log: Arc<RequestLog>,
) -> Response<Body> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            record.end = Utc::now();
            log.push(record);
            full(status, headers, body)
        }
        Reply::Delayed(delay, inner) => {
            tokio::time::sleep(delay).await;
            Box::pin(into_response(*inner, record, log)).await
        }
        Reply::Hostile(kind) => hostile(kind, record, log),
    }
}

/// The gzip bomb's body, compressed once per process.
pub fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..BOMB_BYTES / zeros.len() {
            if gz.write_all(&zeros).is_err() {
                break;
            }
        }
        gz.finish().unwrap_or_default()
    })
}

/// A streamed body: `chunks` is called until it returns None; the record
/// is logged when the stream ends or the client goes away.
fn streamed(
    status: u16,
    headers: Vec<(&'static str, String)>,
    mut record: RequestRecord,
    log: Arc<RequestLog>,
    abort_after: Option<usize>,
    mut chunks: impl FnMut(usize) -> Option<(Bytes, Duration)> + Send + 'static,
) -> Response<Body> {
    let (mut sender, body) = http_body_util::channel::Channel::<Bytes, std::io::Error>::new(4);
    tokio::spawn(async move {
        let mut n = 0;
        while let Some((chunk, pause)) = chunks(n) {
            if abort_after == Some(n) {
                sender.abort(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset",
                ));
                break;
            }
            if sender.send(Frame::data(chunk)).await.is_err() {
                break;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            n += 1;
        }
        record.end = Utc::now();
        log.push(record);
    });
    let mut response = full(status, headers, Vec::new());
    *response.body_mut() = body.boxed();
    response
}

fn hostile(kind: HostileKind, record: RequestRecord, log: Arc<RequestLog>) -> Response<Body> {
    let html = || vec![("content-type", "text/html; charset=utf-8".to_owned())];
    match kind {
        HostileKind::Drip => streamed(200, html(), record, log, None, |n| {
            (n < DRIP_SECONDS as usize).then(|| (Bytes::from_static(b"<"), Duration::from_secs(1)))
        }),
        HostileKind::Huge => {
            let chunk = Bytes::from("<p>".to_owned() + &"lorem ipsum ".repeat(5460) + "</p>\n");
            let count = HUGE_BYTES / chunk.len() + 1;
            streamed(200, html(), record, log, None, move |n| {
                (n < count).then(|| (chunk.clone(), Duration::ZERO))
            })
        }
        HostileKind::GzipBomb => {
            let mut headers = html();
            headers.push(("content-encoding", "gzip".to_owned()));
            let bomb = Bytes::from_static(gzip_bomb());
            streamed(200, headers, record, log, None, move |n| {
                (n == 0).then(|| (bomb.clone(), Duration::ZERO))
            })
        }
        HostileKind::Reset => streamed(200, html(), record, log, Some(1), |n| {
            (n < 3).then(|| {
                (
                    Bytes::from_static(b"<!DOCTYPE html><html><body><p>partial"),
                    Duration::from_millis(50),
                )
            })
        }),
        HostileKind::InvalidUtf8 => {
            let mut body = b"<!DOCTYPE html><html><head><title>".to_vec();
            body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]);
            body.extend_from_slice(
                b"</title></head><body><a href=\"/\xf0\x28\x8c\xbc\">\xc0\xaf</a></body></html>",
            );
            let mut rec = record;
            rec.end = Utc::now();
            log.push(rec);
            full(200, html(), body)
        }
        HostileKind::DeepHtml => {
            let body = "<div>".repeat(100_000) + "deep" + &"</div>".repeat(100_000);
            let mut rec = record;
            rec.end = Utc::now();
            log.push(rec);
            full(200, html(), body.into_bytes())
        }
        HostileKind::NotHtml => {
            let mut body = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            let mut x: u32 = 0x1234_5678;
            for _ in 0..200_000 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                body.push((x & 0xff) as u8);
            }
            let mut rec = record;
            rec.end = Utc::now();
            log.push(rec);
            full(200, html(), body)
        }
        HostileKind::RedirectLoop | HostileKind::TooManyRequests => {
            let mut rec = record;
            rec.end = Utc::now();
            log.push(rec);
            full(500, html(), b"unexpected".to_vec())
        }
    }
}

/// The address a test world listens on.
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
