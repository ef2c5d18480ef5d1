//! `/api/v1/openapi.json`: the API v1 contract, written by hand and checked against the
//! router and the error codes by the tests.

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::routing::get;

pub const OPENAPI_JSON: &str = include_str!("openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/openapi.json",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON) }),
    )
}
