//! `/api/v1/comments`: read a thread, post, edit, delete, vote.

use super::extract::{ApiJson, CachedJson, CommentId, EditToken, WriteQuota, bearer_token};
use crate::cache::PageKey;
use crate::comments::{self, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::Cursor;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use palabre_api::{
    Comment, CommentStatus, CreatedComment, DeleteResult, EditComment, ErrorCode, NewComment,
    SortOrder, ThreadKey, ThreadPage, ValidationError, VoteCounts, VoteRequest, VoteValue,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/comments", get(list).post(create))
        .route("/api/v1/comments/{id}", get(one).patch(edit).delete(remove))
        .route("/api/v1/comments/{id}/vote", post(vote))
}

#[derive(Deserialize)]
struct ListParams {
    thread: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<CachedJson> {
    let Query(params) = params.map_err(|e| Error::Body {
        code: ErrorCode::InvalidParameter,
        detail: e.body_text(),
        field: None,
    })?;
    let thread = ThreadKey::parse(params.thread.as_deref().unwrap_or(""))?;
    let sort = match params.sort.as_deref() {
        None | Some("") => SortOrder::default(),
        Some(s) => SortOrder::parse(s)?,
    };
    let limit = match params.limit.as_deref() {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or(ValidationError::new(ErrorCode::InvalidParameter, "limit"))?,
    };
    let cursor = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            Cursor::decode(c, sort)
                .ok_or(ValidationError::new(ErrorCode::InvalidCursor, "cursor"))?,
        ),
    };
    let key = PageKey {
        sort,
        limit,
        cursor: cursor.map(|c| c.encode()),
    };
    if let Some(body) = state.cache.page(thread.as_str(), &key) {
        return Ok(CachedJson(body));
    }
    let ticket = state.cache.ticket(state.store.as_ref()).await;
    let page: ThreadPage =
        comments::thread_page(&state, thread.clone(), sort, limit, cursor).await?;
    let body = CachedJson::serialize(&page)?;
    state
        .cache
        .put_page(ticket, thread.as_str(), key, body.0.clone());
    Ok(body)
}

async fn create(
    State(state): State<AppState>,
    WriteQuota(client): WriteQuota,
    ApiJson(input): ApiJson<NewComment>,
) -> Result<(StatusCode, ApiJson<CreatedComment>)> {
    let created = comments::create(&state, input, client).await?;
    let status = match created.comment.status {
        CommentStatus::Pending => StatusCode::ACCEPTED,
        _ => StatusCode::CREATED,
    };
    Ok((status, ApiJson(created)))
}

/// One comment; a pending one only with its edit token (its author).
async fn one(
    State(state): State<AppState>,
    CommentId(id): CommentId,
    headers: axum::http::HeaderMap,
) -> Result<ApiJson<Comment>> {
    Ok(ApiJson(
        comments::one(&state, id, bearer_token(&headers)).await?,
    ))
}

async fn edit(
    State(state): State<AppState>,
    _: WriteQuota,
    CommentId(id): CommentId,
    EditToken(token): EditToken,
    ApiJson(input): ApiJson<EditComment>,
) -> Result<ApiJson<Comment>> {
    Ok(ApiJson(
        comments::edit(&state, id, &token, &input.body).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    _: WriteQuota,
    CommentId(id): CommentId,
    EditToken(token): EditToken,
) -> Result<ApiJson<DeleteResult>> {
    Ok(ApiJson(comments::delete(&state, id, &token).await?))
}

async fn vote(
    State(state): State<AppState>,
    WriteQuota(client): WriteQuota,
    CommentId(id): CommentId,
    ApiJson(input): ApiJson<VoteRequest>,
) -> Result<ApiJson<VoteCounts>> {
    let value = VoteValue::parse(input.value)?;
    Ok(ApiJson(comments::vote(&state, id, client, value).await?))
}
