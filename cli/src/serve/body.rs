//! The bodies the API answers with. Each is a type that both serialises
//! the answer and, through its `JsonSchema`, describes it in
//! `/openapi.json`, so the description cannot drift from the answers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use store::Run;
use store::report::AdoptionRow;
use store::spec::SpecRecord;

/// `GET /healthz`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// Always `ok` while the process serves.
    pub status: HealthStatus,
}

/// The only status `/healthz` reports.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Serving.
    Ok,
}

/// `GET /v1/runs`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunList {
    /// Every run, oldest first.
    pub runs: Vec<Run>,
}

/// `GET /v1/suppliers`: one page.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SupplierPage {
    /// The suppliers' latest records, in domain order.
    pub suppliers: Vec<SpecRecord>,
    /// The `cursor` of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /v1/adoption`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Adoption {
    /// One row per group and run.
    pub rows: Vec<AdoptionRow>,
}

/// A refused request (400): which parameter, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BadParameter {
    /// What is wrong with it.
    pub error: String,
    /// The query parameter.
    pub parameter: String,
}

/// An unknown supplier (404).
#[derive(Debug, Serialize, JsonSchema)]
pub struct NoSuchSupplier {
    /// `no such supplier`.
    pub error: String,
    /// The domain asked for, as given.
    pub domain: String,
}

/// Any other failure (401 without the right token, 500).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Problem {
    /// What went wrong.
    pub error: String,
}

/// An error answer: its status and body.
#[derive(Debug)]
pub enum ApiError {
    /// 400.
    BadParameter(BadParameter),
    /// 404.
    NoSuchSupplier(NoSuchSupplier),
    /// 500.
    Internal(Problem),
}

impl ApiError {
    /// A bad `parameter`, with what is wrong.
    pub fn bad(parameter: &str, problem: &str) -> ApiError {
        ApiError::BadParameter(BadParameter {
            error: problem.to_owned(),
            parameter: parameter.to_owned(),
        })
    }

    /// A failure of the store.
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(Problem {
            error: e.to_string(),
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadParameter(b) => (StatusCode::BAD_REQUEST, Json(b)).into_response(),
            ApiError::NoSuchSupplier(b) => (StatusCode::NOT_FOUND, Json(b)).into_response(),
            ApiError::Internal(b) => (StatusCode::INTERNAL_SERVER_ERROR, Json(b)).into_response(),
        }
    }
}
