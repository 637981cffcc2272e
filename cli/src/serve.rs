//! `ecoscout serve`: a read-only JSON API over the store, for sourcing
//! platforms. sled allows one process per database, so on sled the API
//! either runs on its own (`ecoscout serve`, when no crawl is writing) or
//! inside the crawling process (`ecoscout crawl --serve ADDR`), sharing its
//! store; on PostgreSQL it may also run beside a crawl.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clap::Args;
use scoring::Tier;
use serde_json::{Value, json};
use store::{Filter, RunSelect, Store};

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
}

/// `ecoscout serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    let result = (|| -> Result<()> {
        let store: Arc<dyn Store + Send + Sync> = Arc::from(args.db.open()?);
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("cannot listen on {}", args.addr))?;
            eprintln!(
                "serving {} on http://{} (GET /openapi.json describes the API; Ctrl-C stops)",
                args.db.shown(),
                listener.local_addr()?
            );
            axum::serve(listener, router(store))
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

/// The API's routes over `store`.
pub fn router(store: Arc<dyn Store + Send + Sync>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .route("/v1/runs", get(runs))
        .route("/v1/suppliers", get(suppliers))
        .route("/v1/suppliers/{domain}", get(supplier))
        .route("/v1/adoption", get(adoption))
        .with_state(store)
}

/// An error answer: status and a JSON body naming the parameter.
struct ApiError(StatusCode, Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

fn bad(parameter: &str, problem: &str) -> ApiError {
    ApiError(
        StatusCode::BAD_REQUEST,
        json!({"error": problem, "parameter": parameter}),
    )
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"error": e.to_string()}),
    )
}

fn only(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad(
            k,
            &format!("unknown parameter; expected one of: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

async fn runs(State(store): State<Arc<dyn Store + Send + Sync>>) -> Result<Json<Value>, ApiError> {
    let runs = store.runs().map_err(internal)?;
    Ok(Json(json!({"runs": runs})))
}

async fn supplier(
    State(store): State<Arc<dyn Store + Send + Sync>>,
    Path(domain): Path<String>,
) -> Result<Json<store::spec::SpecRecord>, ApiError> {
    match store
        .supplier(&domain.to_ascii_lowercase(), RunSelect::Latest)
        .map_err(internal)?
    {
        Some(r) => Ok(Json(store::export::spec_record(&r))),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            json!({"error": "no such supplier", "domain": domain}),
        )),
    }
}

async fn suppliers(
    State(store): State<Arc<dyn Store + Send + Sync>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
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
        return Err(bad(
            "country",
            &format!("{c:?} is not a two-letter country code"),
        ));
    }
    let mut tiers = Vec::new();
    for t in list("tier") {
        tiers.push(
            Tier::parse(&t)
                .ok_or_else(|| bad("tier", &format!("{t:?} is not a tier (A, B, C, D, R)")))?,
        );
    }
    let min_score = match params.get("min_score") {
        Some(v) => Some(
            v.parse::<u32>()
                .ok()
                .filter(|n| *n <= 100)
                .ok_or_else(|| bad("min_score", "must be a whole number from 0 to 100"))?,
        ),
        None => None,
    };
    let limit = match params.get("limit") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                bad(
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
        return Err(bad(
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
        .map_err(internal)?;
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|r| r.observation.domain.clone())
    } else {
        None
    };
    let suppliers: Vec<store::spec::SpecRecord> =
        page.iter().map(store::export::spec_record).collect();
    Ok(Json(json!({"suppliers": suppliers, "next_cursor": next})))
}

async fn adoption(
    State(store): State<Arc<dyn Store + Send + Sync>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    only(&params, &["by", "runs"])?;
    let group = match params.get("by").map(String::as_str) {
        None | Some("country") => store::report::Group::Country,
        Some("region") => store::report::Group::Region,
        Some(_) => return Err(bad("by", "must be country or region")),
    };
    let runs = match params.get("runs").map(String::as_str) {
        None | Some("latest") => store::report::Runs::Latest,
        Some("all") => store::report::Runs::All,
        Some(_) => return Err(bad("runs", "must be latest or all")),
    };
    let rows = store::report::adoption(store.as_ref(), group, runs).map_err(internal)?;
    Ok(Json(json!({"rows": rows})))
}

/// The OpenAPI description of the API.
pub fn openapi() -> Value {
    let param = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    let error = json!({"description": "A bad parameter: {\"error\", \"parameter\"}"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "ecoscout", "version": env!("CARGO_PKG_VERSION"), "description": "Read-only e-CO readiness of screened suppliers (records as in spec section 7)."},
        "paths": {
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "{\"status\": \"ok\"}"}}}},
            "/v1/runs": {"get": {"summary": "The runs, oldest first", "responses": {"200": {"description": "{\"runs\": [...]}"}}}},
            "/v1/suppliers/{domain}": {"get": {
                "summary": "One supplier's latest record with score and tier",
                "parameters": [{"name": "domain", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The record"}, "404": {"description": "No such supplier"}}
            }},
            "/v1/suppliers": {"get": {
                "summary": "Suppliers' latest records, filtered, sorted by domain, one page at a time",
                "parameters": [
                    param("country", "Comma-separated country codes", json!({"type": "string"})),
                    param("region", "Region", json!({"type": "string"})),
                    param("tier", "Comma-separated tiers (A, B, C, D, R)", json!({"type": "string"})),
                    param("min_score", "Lowest score", json!({"type": "integer", "minimum": 0, "maximum": 100})),
                    param("limit", "Page size", json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})),
                    param("cursor", "The next_cursor of the previous page", json!({"type": "string"}))
                ],
                "responses": {"200": {"description": "{\"suppliers\": [...], \"next_cursor\": string or null}"}, "400": error}
            }},
            "/v1/adoption": {"get": {
                "summary": "Adoption figures per group and run",
                "parameters": [
                    param("by", "country or region", json!({"type": "string", "enum": ["country", "region"]})),
                    param("runs", "latest or all", json!({"type": "string", "enum": ["latest", "all"]}))
                ],
                "responses": {"200": {"description": "{\"rows\": [...]}"}, "400": error}
            }},
            "/openapi.json": {"get": {"summary": "This description", "responses": {"200": {"description": "OpenAPI 3.1"}}}}
        }
    })
}
