//! `GET /openapi.json`: the API described as OpenAPI 3.1, whose schema
//! dialect is JSON Schema 2020-12. Every answer's schema is generated
//! (schemars) from the type that serialises it, into
//! `components/schemas`, referenced by `$ref`.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};
use store::spec::SpecRecord;

use super::body::{Adoption, BadParameter, Health, NoSuchSupplier, Problem, RunList, SupplierPage};
use super::{DEFAULT_LIMIT, MAX_CURSOR_BYTES, MAX_LIMIT};

/// The name of the bearer token's security scheme.
pub const SECURITY_SCHEME: &str = "bearer";

/// A generator of serialisation schemas filed under `components/schemas`.
fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            // The document's dialect is OpenAPI 3.1's: no `$schema` each.
            s.meta_schema = None;
        })
        .into_generator()
}

/// The operations' answers are built with this: a JSON answer of type
/// `T`, described by `description`.
struct Responses<'a> {
    generator: &'a mut SchemaGenerator,
    secured: bool,
}

impl Responses<'_> {
    fn json<T: JsonSchema>(&mut self, description: &str) -> Value {
        let schema = self.generator.subschema_for::<T>().to_value();
        json!({"description": description, "content": {"application/json": {"schema": schema}}})
    }

    /// The answers of a route that reads the store: `ok` (200), the 500
    /// of a failing store, the 401 of a missing or wrong token when the
    /// API has one, and `more` (status, answer).
    fn of(&mut self, ok: Value, more: Vec<(&str, Value)>) -> Value {
        let mut out = Map::new();
        out.insert("200".into(), ok);
        for (status, answer) in more {
            out.insert(status.into(), answer);
        }
        if self.secured {
            let mut unauthorized =
                self.json::<Problem>("No `Authorization: Bearer <token>`, or not this API's token");
            unauthorized["headers"] = json!({"WWW-Authenticate": {
                "description": "`Bearer realm=\"ecoscout\"`, with `error=\"invalid_token\"` for a wrong token",
                "schema": {"type": "string"}
            }});
            out.insert("401".into(), unauthorized);
        }
        out.insert("500".into(), self.json::<Problem>("The store failed"));
        Value::Object(out)
    }
}

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// The OpenAPI description of the API; `secured` when it requires a
/// bearer token (every route but `/healthz`).
pub fn openapi(secured: bool) -> Value {
    let mut generator = generator();
    let mut r = Responses {
        generator: &mut generator,
        secured,
    };
    let bad = r.json::<BadParameter>("A bad parameter, named");
    let health = r.json::<Health>("The process serves");
    let runs_ok = r.json::<RunList>("The runs, oldest first");
    let runs = r.of(runs_ok, vec![]);
    let record_ok = r.json::<SpecRecord>("The record (spec section 7, with score and tier)");
    let missing = r.json::<NoSuchSupplier>("No such supplier");
    let record = r.of(record_ok, vec![("404", missing)]);
    let page_ok = r.json::<SupplierPage>("One page, in domain order");
    let page = r.of(page_ok, vec![("400", bad.clone())]);
    let adoption_ok = r.json::<Adoption>("Adoption figures per group and run");
    let adoption = r.of(adoption_ok, vec![("400", bad)]);
    let document = r.of(
        json!({"description": "This description (OpenAPI 3.1)",
               "content": {"application/json": {"schema": {"type": "object"}}}}),
        vec![],
    );
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ecoscout",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only e-CO readiness of screened suppliers (records as in spec section 7)."
        },
        "paths": {
            "/healthz": {"get": {
                "operationId": "health",
                "summary": "Liveness (never needs a token)",
                "responses": {"200": health}
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This description",
                "responses": document
            }},
            "/v1/runs": {"get": {
                "operationId": "listRuns",
                "summary": "The runs, oldest first",
                "responses": runs
            }},
            "/v1/suppliers/{domain}": {"get": {
                "operationId": "getSupplier",
                "summary": "One supplier's latest record with score and tier",
                "parameters": [{"name": "domain", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": record
            }},
            "/v1/suppliers": {"get": {
                "operationId": "listSuppliers",
                "summary": "Suppliers' latest records, filtered, in domain order, one keyset page at a time",
                "parameters": [
                    param("country", "Comma-separated two-letter country codes", json!({"type": "string"})),
                    param("region", "Region (case-insensitive)", json!({"type": "string"})),
                    param("tier", "Comma-separated tiers (A, B, C, D, R)", json!({"type": "string"})),
                    param("min_score", "Lowest score", json!({"type": "integer", "minimum": 0, "maximum": 100})),
                    param("limit", "Page size", json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})),
                    param("cursor", "The next_cursor of the previous page", json!({"type": "string", "maxLength": MAX_CURSOR_BYTES}))
                ],
                "responses": page
            }},
            "/v1/adoption": {"get": {
                "operationId": "getAdoption",
                "summary": "Adoption figures per group and run",
                "parameters": [
                    param("by", "Group by country or region", json!({"type": "string", "enum": ["country", "region"], "default": "country"})),
                    param("runs", "The latest records as one snapshot, or each run", json!({"type": "string", "enum": ["latest", "all"], "default": "latest"}))
                ],
                "responses": adoption
            }}
        },
        "components": {"schemas": Value::Object(generator.take_definitions(true))}
    });
    if secured {
        doc["components"]["securitySchemes"] = json!({SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "The token of the server's --token-file"
        }});
        doc["security"] = json!([{SECURITY_SCHEME: []}]);
        doc["paths"]["/healthz"]["get"]["security"] = json!([]);
    }
    doc
}
