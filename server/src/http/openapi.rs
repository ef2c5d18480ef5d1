//! `/api/v1/openapi.json`: the API v1 contract, written by hand and checked against the
//! router and the error codes by the tests.

use super::extract::{AcceptEncoding, Negotiated};
use crate::http::encoding::Encoded;
use crate::http::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::routing::get;
use std::sync::LazyLock;

pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Compressed on first request, once per process.
static ENCODED: LazyLock<Encoded> =
    LazyLock::new(|| Encoded::compress(Bytes::from_static(OPENAPI_JSON.as_bytes())));

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/openapi.json",
        get(|accept: AcceptEncoding| async move { Negotiated::json(ENCODED.clone(), accept) }),
    )
}
