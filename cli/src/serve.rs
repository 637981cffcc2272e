//! `ecoscout serve`: a read-only JSON API over the store, for sourcing
//! platforms. sled allows one process per database, so on sled the API
//! either runs on its own (`ecoscout serve`, when no crawl is writing) or
//! inside the crawling process (`ecoscout crawl --serve ADDR`), sharing its
//! store; on PostgreSQL it may also run beside a crawl.
//!
//! Answers are typed ([`body`]), and `/openapi.json` ([`openapi`])
//! describes them with schemas derived from those types. With a token
//! ([`auth`]) every route but `/healthz` needs it; beyond loopback a token
//! is required.

pub mod auth;
pub mod body;
pub mod openapi;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use clap::Args;
use scoring::Tier;
use store::spec::SpecRecord;
use store::{Filter, RunSelect, Store};

use self::auth::Token;
use self::body::{Adoption, ApiError, Health, HealthStatus, NoSuchSupplier, RunList, SupplierPage};
use crate::crawl_cmd::DbArgs;

/// Most suppliers one page of `/v1/suppliers` returns.
pub const MAX_LIMIT: usize = 1000;
/// Suppliers per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Longest cursor accepted: a cursor is a domain, at most 253 bytes.
pub const MAX_CURSOR_BYTES: usize = 253;

/// Arguments of `ecoscout serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// A file holding the bearer token every route but /healthz then
    /// requires (required unless --addr is a loopback address).
    #[arg(long, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,
}

/// `ecoscout serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    let result = (|| -> Result<()> {
        let token = auth::load_token(args.token_file.as_deref()).map_err(|e| anyhow!(e))?;
        auth::require_token_beyond_loopback(args.addr, token.as_ref()).map_err(|e| anyhow!(e))?;
        let store: Arc<dyn Store + Send + Sync> = Arc::from(args.db.open()?);
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("cannot listen on {}", args.addr))?;
            eprintln!(
                "serving {} on http://{} (GET /openapi.json describes the API; {}Ctrl-C stops)",
                args.db.shown(),
                listener.local_addr()?,
                if token.is_some() {
                    "every route but /healthz needs the bearer token; "
                } else {
                    ""
                }
            );
            axum::serve(listener, router(store, token))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            anyhow::Ok(())
        })
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecoscout serve: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The API's routes over `store`; with a `token`, every route but
/// `/healthz` requires it.
pub fn router(store: Arc<dyn Store + Send + Sync>, token: Option<Token>) -> Router {
    let secured = token.is_some();
    let routes = Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json(openapi::openapi(secured)) }),
        )
        .route("/v1/runs", get(runs))
        .route("/v1/suppliers", get(suppliers))
        .route("/v1/suppliers/{domain}", get(supplier))
        .route("/v1/adoption", get(adoption))
        .with_state(store);
    let routes = match token {
        Some(token) => routes.route_layer(axum::middleware::from_fn_with_state(
            token,
            auth::require_token,
        )),
        None => routes,
    };
    routes.route(
        "/healthz",
        get(|| async {
            Json(Health {
                status: HealthStatus::Ok,
            })
        }),
    )
}

fn only(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::bad(
            k,
            &format!("unknown parameter; expected one of: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

async fn runs(
    State(store): State<Arc<dyn Store + Send + Sync>>,
) -> Result<Json<RunList>, ApiError> {
    let runs = store.runs().map_err(ApiError::internal)?;
    Ok(Json(RunList { runs }))
}

async fn supplier(
    State(store): State<Arc<dyn Store + Send + Sync>>,
    Path(domain): Path<String>,
) -> Result<Json<SpecRecord>, ApiError> {
    match store
        .supplier(&domain.to_ascii_lowercase(), RunSelect::Latest)
        .map_err(ApiError::internal)?
    {
        Some(r) => Ok(Json(store::export::spec_record(&r))),
        None => Err(ApiError::NoSuchSupplier(NoSuchSupplier {
            error: "no such supplier".into(),
            domain,
        })),
    }
}

async fn suppliers(
    State(store): State<Arc<dyn Store + Send + Sync>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<SupplierPage>, ApiError> {
    only(
        &params,
        &["country", "region", "tier", "min_score", "limit", "cursor"],
    )?;
    let list = |name: &str| -> Vec<String> {
        params
            .get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let countries = list("country");
    if let Some(c) = countries
        .iter()
        .find(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        return Err(ApiError::bad(
            "country",
            &format!("{c:?} is not a two-letter country code"),
        ));
    }
    let mut tiers = Vec::new();
    for t in list("tier") {
        tiers.push(Tier::parse(&t).ok_or_else(|| {
            ApiError::bad("tier", &format!("{t:?} is not a tier (A, B, C, D, R)"))
        })?);
    }
    let min_score =
        match params.get("min_score") {
            Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n <= 100).ok_or_else(|| {
                ApiError::bad("min_score", "must be a whole number from 0 to 100")
            })?),
            None => None,
        };
    let limit = match params.get("limit") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad(
                    "limit",
                    &format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
        None => DEFAULT_LIMIT,
    };
    let cursor = params.get("cursor").cloned();
    if let Some(c) = &cursor
        && (c.len() > MAX_CURSOR_BYTES || c.chars().any(char::is_control))
    {
        return Err(ApiError::bad(
            "cursor",
            "must be the next_cursor of a previous page (a domain)",
        ));
    }
    let filter = Filter {
        run: RunSelect::Latest,
        countries,
        region: params.get("region").cloned(),
        tiers,
        min_score,
    };
    // One more than the page, to know whether there is a next one.
    let mut page = store
        .page(&filter, cursor.as_deref(), limit + 1)
        .map_err(ApiError::internal)?;
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|r| r.observation.domain.clone())
    } else {
        None
    };
    Ok(Json(SupplierPage {
        suppliers: page.iter().map(store::export::spec_record).collect(),
        next_cursor: next,
    }))
}

async fn adoption(
    State(store): State<Arc<dyn Store + Send + Sync>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Adoption>, ApiError> {
    only(&params, &["by", "runs"])?;
    let group = match params.get("by").map(String::as_str) {
        None | Some("country") => store::report::Group::Country,
        Some("region") => store::report::Group::Region,
        Some(_) => return Err(ApiError::bad("by", "must be country or region")),
    };
    let runs = match params.get("runs").map(String::as_str) {
        None | Some("latest") => store::report::Runs::Latest,
        Some("all") => store::report::Runs::All,
        Some(_) => return Err(ApiError::bad("runs", "must be latest or all")),
    };
    let rows = store::report::adoption(store.as_ref(), group, runs).map_err(ApiError::internal)?;
    Ok(Json(Adoption { rows }))
}
