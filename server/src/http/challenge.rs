//! `/api/v1/challenge`: the proof-of-work challenge the widget fetches when its form opens.

use super::extract::{ApiJson, ClientIp};
use crate::error::Result;
use crate::http::state::AppState;
use crate::spam;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/challenge", get(challenge))
}

async fn challenge(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
) -> Result<impl IntoResponse> {
    let reader = state.services.keys.reader_hash(client);
    let challenge = spam::issue(&state.services, &reader).await?;
    // Each one is single-use: never from a cache.
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        ApiJson(challenge),
    ))
}
