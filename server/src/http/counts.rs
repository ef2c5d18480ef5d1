//! `/api/v1/counts`: comment counts of many threads in one request (blog index pages).

use super::extract::{AcceptEncoding, JsonBody, Negotiated, Site, encoded_json};
use crate::comments;
use crate::error::Result;
use crate::http::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use palabre_api::{
    CountsRequest, ErrorCode, MAX_COUNT_THREADS, ThreadKey, ValidationError, count_labels_lang,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/counts", post(counts))
}

async fn counts(
    State(state): State<AppState>,
    Site(site): Site,
    accept: AcceptEncoding,
    body: JsonBody,
) -> Result<Negotiated> {
    // Index pages send the same request for every visitor: answer it before parsing it.
    if let Some(cached) = state.cache.counts_response(&site, &body.0) {
        return Ok(Negotiated::json(cached, accept));
    }
    let input: CountsRequest = body.parse()?;
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
    let lang = count_labels_lang(input.languages.as_deref())?;
    let ticket = state.cache.ticket(state.services.store.as_ref()).await;
    let response = encoded_json(&comments::counts(&state.services, &site, &keys, lang).await?)?;
    state
        .cache
        .put_counts_response(ticket, &site, body.0, &keys, response.clone());
    Ok(Negotiated::json(response, accept))
}
