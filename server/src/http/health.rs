//! `/healthz`: for load balancers and supervisors. Touches the database so a broken store
//! reports unhealthy.

use crate::error::Result;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

async fn health(State(state): State<AppState>) -> Result<axum::Json<serde_json::Value>> {
    state.store.setting("secret_key").await?;
    Ok(axum::Json(serde_json::json!({ "status": "ok" })))
}
