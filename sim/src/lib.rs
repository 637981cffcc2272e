//! The simulated supplier web used by the demo, the tests and the benchmarks.
//!
//! A [`World`] is generated from a seed: issuing authorities (with keys,
//! transparency logs and status lists, issuing through the `eco` crate), one
//! single-window registry, one authority the trust list leaves out, and N
//! suppliers whose websites follow [`Profile`]s, from ready sites with a
//! JSON API to forged certificates, SSRF probes and hostile servers. Every
//! host is `<name>.test` on one loopback port, chosen by the `Host` header;
//! sites are regenerated from `(seed, index)` on each request. Sites vary
//! as real ones do ([`variety`]) and show certificate scans and PDFs
//! ([`documents`]), some on an `img.` subdomain or a `cdn-<n>.test` host.
//! A TradeTrust issuing body ([`tradetrust`]) wraps OpenAttestation v2
//! certificates of origin for Australian suppliers and records their roots
//! on a chain that a JSON-RPC node in the world answers for.
//!
//! Start one in-process with [`SimWorld::start`]; it writes `seeds.csv`,
//! `trust.toml` and `truth.jsonl` (the ground truth) when given a folder.

pub mod documents;
pub mod lang;
pub mod latency;
pub mod names;
pub mod pdf;
pub mod profile;
pub mod scan;
pub mod server;
pub mod site;
pub mod spec;
pub mod tradetrust;
pub mod truth;
pub mod variety;
pub mod world;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use latency::{Latency, LatencyError};
pub use profile::{CertKind, HostileKind, Profile, TtCase};
pub use server::{RequestLog, RequestRecord};
pub use truth::{Truth, TruthCertificate, TruthDocument};
pub use world::{Supplier, World, WorldConfig};

/// Why a world could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The world could not be generated.
    #[error(transparent)]
    World(#[from] world::WorldError),
    /// The files could not be written.
    #[error(transparent)]
    Files(#[from] truth::FilesError),
}

/// How to start a world.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Number of suppliers (default 60).
    pub suppliers: usize,
    /// Seed (default 1).
    pub seed: u64,
    /// Include hostile servers.
    pub hostile: bool,
    /// Port to listen on (0: any free port).
    pub port: u16,
    /// Folder for `seeds.csv`, `trust.toml`, `truth.jsonl` (and `requests.jsonl`).
    pub out_dir: Option<PathBuf>,
    /// Keep a log of every request (in memory, and in `requests.jsonl`
    /// when `out_dir` is set).
    pub log_requests: bool,
    /// How long slow endpoints take (default 3 s).
    pub slow_answer: std::time::Duration,
    /// Rounds of change since generation 0 (see [`WorldConfig::generation`]).
    pub generation: u32,
    /// Profiles left out (see [`WorldConfig::without`]).
    pub without: Vec<Profile>,
    /// How long every answer waits before it is sent, drawn per host and
    /// path from the world's seed (default [`Latency::None`]: at once).
    pub latency: Latency,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            suppliers: 60,
            seed: 1,
            hostile: false,
            port: 0,
            out_dir: None,
            log_requests: false,
            slow_answer: std::time::Duration::from_secs(3),
            generation: 0,
            without: Vec::new(),
            latency: Latency::None,
        }
    }
}

/// A world being served on loopback. Dropping it stops the server.
pub struct SimWorld {
    world: Arc<World>,
    addr: SocketAddr,
    log: Arc<RequestLog>,
    out_dir: Option<PathBuf>,
    latency: Latency,
    task: tokio::task::JoinHandle<()>,
}

impl SimWorld {
    /// Binds `127.0.0.1:<port>`, generates the world for that port, writes
    /// its files and starts serving.
    pub async fn start(options: SimOptions) -> Result<SimWorld, SimError> {
        let addr = server::loopback(options.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let mut config = WorldConfig::new(options.suppliers, options.seed, addr.port());
        config.hostile = options.hostile;
        config.slow_answer = options.slow_answer;
        config.generation = options.generation;
        config.without = options.without;
        let world = tokio::task::spawn_blocking(move || World::new(config))
            .await
            .map_err(|e| world::WorldError::from_message(e.to_string()))??;
        let world = Arc::new(world);
        if options.hostile {
            // Compress the bomb before serving, not on the first request.
            let _ = tokio::task::spawn_blocking(|| server::gzip_bomb().len()).await;
        }
        let mut file = None;
        if let Some(dir) = &options.out_dir {
            world.write_files(dir)?;
            if options.log_requests {
                let path = dir.join("requests.jsonl");
                file =
                    Some(
                        std::fs::File::create(&path).map_err(|source| truth::FilesError::Io {
                            path: path.display().to_string(),
                            source,
                        })?,
                    );
            }
        }
        let log = Arc::new(RequestLog::new(options.log_requests, file));
        let task = tokio::spawn(server::serve(
            listener,
            world.clone(),
            log.clone(),
            options.latency,
        ));
        Ok(SimWorld {
            world,
            addr,
            log,
            out_dir: options.out_dir,
            latency: options.latency,
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The folder its files were written to.
    pub fn out_dir(&self) -> Option<&Path> {
        self.out_dir.as_deref()
    }

    /// How many requests it has answered so far (counted whether or not
    /// requests are logged).
    pub fn served(&self) -> u64 {
        self.log.served()
    }

    /// How long the answer to `path` (path and query) on `host` waits
    /// before it is sent: the delay the server draws for it.
    pub fn latency_of(&self, host: &str, path: &str) -> std::time::Duration {
        self.latency.delay(self.world.config().seed, host, path)
    }

    /// Every request received so far (empty unless `log_requests`).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.log.records()
    }
}

impl Drop for SimWorld {
    fn drop(&mut self) {
        self.task.abort();
    }
}
