//! `/api/v1/config`: the server's rules, so the widget validates exactly as the server does.

use super::extract::{ApiJson, Site};
use crate::comments;
use crate::http::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use palabre_api::ServerConfig;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/config", get(config))
}

async fn config(State(state): State<AppState>, Site(site): Site) -> ApiJson<ServerConfig> {
    ApiJson(comments::server_config(&state.services, &site))
}
