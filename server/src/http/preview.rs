//! `/api/v1/preview`: how a body will look once posted (same renderer as posting).

use super::extract::{ApiJson, WriteQuota};
use crate::comments;
use crate::error::Result;
use crate::http::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use palabre_api::{PreviewRequest, PreviewResponse};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/preview", post(preview))
}

async fn preview(
    State(state): State<AppState>,
    _: WriteQuota,
    ApiJson(input): ApiJson<PreviewRequest>,
) -> Result<ApiJson<PreviewResponse>> {
    Ok(ApiJson(comments::preview(&state.services, &input.body)?))
}
