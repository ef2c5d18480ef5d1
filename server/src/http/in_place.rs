//! What a signed-in reader or the blog's author does inside the widget, beyond posting: their
//! own comments from any device (`/api/v1/me/comments`), and moderation in place (the held
//! queue of a thread, an action on a comment, locking a thread), with `/admin`'s rules.

use super::extract::{ApiJson, CommentId, SignedIn, Site, WriteQuota};
use crate::comments;
use crate::error::{Error, Result};
use crate::http::state::AppState;
use crate::moderation;
use crate::store::{SiteName, ThreadRef};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use palabre_api::{
    ErrorCode, HeldComments, LockThread, ModerateComment, Moderated, MyComments, ThreadKey,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/comments", get(mine))
        .route("/api/v1/moderation", get(held))
        .route("/api/v1/comments/{id}/moderation", post(moderate))
        .route("/api/v1/threads/lock", post(lock))
}

#[derive(Deserialize)]
struct ThreadParam {
    thread: Option<String>,
}

fn thread_of(
    site: SiteName,
    params: Result<Query<ThreadParam>, QueryRejection>,
) -> Result<ThreadRef> {
    let Query(params) = params.map_err(|e| Error::Body {
        code: ErrorCode::InvalidParameter,
        detail: e.body_text(),
        field: None,
    })?;
    let key = ThreadKey::parse(params.thread.as_deref().unwrap_or(""))?;
    Ok(ThreadRef::new(site, key))
}

async fn mine(
    State(state): State<AppState>,
    Site(site): Site,
    SignedIn(caller): SignedIn,
    params: Result<Query<ThreadParam>, QueryRejection>,
) -> Result<ApiJson<MyComments>> {
    let thread = thread_of(site, params)?;
    Ok(ApiJson(
        comments::mine(&state.services, &thread, &caller).await?,
    ))
}

async fn held(
    State(state): State<AppState>,
    Site(site): Site,
    SignedIn(caller): SignedIn,
    params: Result<Query<ThreadParam>, QueryRejection>,
) -> Result<ApiJson<HeldComments>> {
    let thread = thread_of(site, params)?;
    Ok(ApiJson(
        moderation::held_in_thread(&state.services, &thread, &caller).await?,
    ))
}

async fn moderate(
    State(state): State<AppState>,
    _: WriteQuota,
    CommentId(id): CommentId,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<ModerateComment>,
) -> Result<ApiJson<Moderated>> {
    Ok(ApiJson(
        moderation::apply_in_place(&state.services, &caller, id, input.action).await?,
    ))
}

async fn lock(
    State(state): State<AppState>,
    Site(site): Site,
    _: WriteQuota,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<LockThread>,
) -> Result<StatusCode> {
    let thread = ThreadRef::new(site, ThreadKey::parse(&input.thread)?);
    moderation::lock_in_place(&state.services, &caller, &thread, input.locked).await?;
    Ok(StatusCode::NO_CONTENT)
}
