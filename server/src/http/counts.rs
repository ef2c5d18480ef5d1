//! `/api/v1/counts`: comment counts of many threads in one request (blog index pages).

use super::extract::ApiJson;
use crate::comments;
use crate::error::Result;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use palabre_api::{
    CountsRequest, CountsResponse, ErrorCode, MAX_COUNT_THREADS, ThreadKey, ValidationError,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/counts", post(counts))
}

async fn counts(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CountsRequest>,
) -> Result<ApiJson<CountsResponse>> {
    if input.threads.len() > MAX_COUNT_THREADS {
        return Err(ValidationError::new(ErrorCode::TooManyThreads, "threads").into());
    }
    let mut keys = input
        .threads
        .iter()
        .map(|k| {
            ThreadKey::parse(k)
                .map_err(|_| ValidationError::new(ErrorCode::ThreadInvalid, "threads"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    keys.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    keys.dedup();
    Ok(ApiJson(comments::counts(&state, &keys).await?))
}
