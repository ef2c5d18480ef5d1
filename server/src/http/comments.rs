//! `/api/v1/comments`: read a thread, post, edit, delete, vote.

use super::extract::{
    AcceptEncoding, ApiJson, CommentId, EditToken, Negotiated, Signed, Site, WriteQuota,
    encoded_json,
};
use crate::clock::now;
use crate::comments;
use crate::error::{Error, Result};
use crate::http::cache::PageKey;
use crate::http::encoding::Encoded;
use crate::http::state::AppState;
use crate::store::{Cursor, SiteName, ThreadRef};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use palabre_api::first_paint::{DEFAULT_VISUAL_DEPTH, FirstPaint, parse_depth, parse_flag};
use palabre_api::i18n::Lang;
use palabre_api::{
    API_DEFAULT_PAGE_SIZE, Comment, CommentStatus, CreatedComment, DeleteResult,
    EVENTS_AFTER_HEADER, EditComment, ErrorCode, MAX_PAGE_SIZE, NewComment, SortOrder, ThreadKey,
    ThreadPage, ValidationError, VoteCounts, VoteRequest, VoteValue,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/comments", get(list).post(create))
        .route("/api/v1/first-paint", get(first_paint))
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

/// A thread page's query, parsed.
struct PageRequest {
    thread: ThreadRef,
    key: PageKey,
    cursor: Option<Cursor>,
}

impl PageRequest {
    fn parse(site: SiteName, params: &ListParams) -> Result<Self> {
        let key = ThreadKey::parse(params.thread.as_deref().unwrap_or(""))?;
        let thread = ThreadRef::new(site, key);
        let sort = match params.sort.as_deref() {
            None => SortOrder::default(),
            Some(s) => SortOrder::parse(s)?,
        };
        let limit = match params.limit.as_deref() {
            None => API_DEFAULT_PAGE_SIZE,
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
            cursor: cursor.as_ref().map(Cursor::encode),
        };
        Ok(Self {
            thread,
            key,
            cursor,
        })
    }
}

fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T> {
    params.map(|Query(p)| p).map_err(|e| Error::Body {
        code: ErrorCode::InvalidParameter,
        detail: e.body_text(),
        field: None,
    })
}

async fn list(
    State(state): State<AppState>,
    Site(site): Site,
    accept: AcceptEncoding,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response> {
    let request = PageRequest::parse(site, &query(params)?)?;
    // Read before the page: the page then includes every change up to it, and a live stream
    // opened after it (`events?after=`) brings every later one.
    let before = state.cache.seen();
    let body = page_json(&state, request).await?;
    let mut response = Negotiated::json(body, accept).into_response();
    if let Some(seq) = before.or_else(|| state.cache.seen()) {
        response
            .headers_mut()
            .insert(EVENTS_AFTER_HEADER, header::HeaderValue::from(seq));
    }
    Ok(response)
}

/// The page's JSON, from the response cache or read and put there.
async fn page_json(state: &AppState, request: PageRequest) -> Result<Encoded> {
    let PageRequest {
        thread,
        key,
        cursor,
    } = request;
    if let Some(body) = state.cache.page(&thread, &key) {
        return Ok(body);
    }
    let ticket = state.cache.ticket(state.services.store.as_ref()).await;
    let page: ThreadPage =
        comments::thread_page(&state.services, thread.clone(), key.sort, key.limit, cursor).await?;
    let body = encoded_json(&page)?;
    state.cache.put_page(ticket, &thread, key, body.clone());
    Ok(body)
}

#[derive(Deserialize)]
struct FirstPaintParams {
    #[serde(flatten)]
    page: ListParams,
    lang: Option<String>,
    avatars: Option<String>,
    votes: Option<String>,
    depth: Option<String>,
}

/// `GET /api/v1/first-paint`: a thread's first page in the widget's HTML, for the loader to
/// show before the widget runs (`crate::http::first_paint`). Takes the loader's raw `data-*` values:
/// what it cannot read falls back to the widget's defaults, and the widget, which names what
/// it would draw in the same terms (`FirstPaint::signature`), drops a first paint that differs.
async fn first_paint(
    State(state): State<AppState>,
    Site(site): Site,
    accept: AcceptEncoding,
    params: Result<Query<FirstPaintParams>, QueryRejection>,
) -> Result<Response> {
    let params = query(params)?;
    if params.page.cursor.is_some() {
        return Err(ValidationError::new(ErrorCode::InvalidParameter, "cursor").into());
    }
    let request = PageRequest::parse(site, &params.page)?;
    fn raw(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
    let paint = FirstPaint {
        thread: request.thread.key.clone(),
        sort: request.key.sort,
        limit: request.key.limit,
        lang: Lang::from_tag(raw(&params.lang)).unwrap_or(Lang::En),
        avatars: parse_flag(raw(&params.avatars)).unwrap_or(true),
        votes: parse_flag(raw(&params.votes)).unwrap_or(true),
        max_depth: parse_depth(raw(&params.depth)).unwrap_or(DEFAULT_VISUAL_DEPTH),
    };
    let signature = paint.signature();
    let now_ms = now().as_millis();
    let minute = now_ms.div_euclid(60_000);
    let cached = state
        .cache
        .first_paint(&request.thread, &request.key, &signature, minute);
    let html = match cached {
        Some(html) => html,
        None => {
            // Copied only here: a cache hit, the common case, borrows them.
            let (thread, key) = (request.thread.clone(), request.key.clone());
            let ticket = state.cache.ticket(state.services.store.as_ref()).await;
            // Through the JSON cache: the widget asks for the same page right after.
            let page: ThreadPage = serde_json::from_slice(page_json(&state, request).await?.raw())
                .map_err(|e| Error::Internal(e.into()))?;
            let html = Encoded::compress(Bytes::from(
                crate::http::first_paint::render(&paint, page, now_ms).into_string(),
            ));
            state
                .cache
                .put_first_paint(ticket, &thread, key, signature, minute, html.clone());
            html
        }
    };
    let html = Negotiated {
        content_type: "text/html; charset=utf-8",
        body: html,
        accept: accept.0,
    };
    Ok((
        [
            // Relative times ("5 minutes ago") age.
            (header::CACHE_CONTROL, "no-cache"),
            // A fragment for the loader, never a page: inert if opened directly or framed.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox; frame-ancestors 'none'",
            ),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        html,
    )
        .into_response())
}

async fn create(
    State(state): State<AppState>,
    Site(site): Site,
    WriteQuota(client): WriteQuota,
    Signed(caller): Signed,
    ApiJson(input): ApiJson<NewComment>,
) -> Result<(StatusCode, ApiJson<CreatedComment>)> {
    let created = comments::create(&state.services, &site, input, client, caller.as_ref()).await?;
    let status = match created.comment.status {
        CommentStatus::Pending => StatusCode::ACCEPTED,
        _ => StatusCode::CREATED,
    };
    Ok((status, ApiJson(created)))
}

/// One comment; a pending one only for its author (edit token or session).
async fn one(
    State(state): State<AppState>,
    Site(site): Site,
    CommentId(id): CommentId,
    EditToken(token): EditToken,
    Signed(caller): Signed,
) -> Result<ApiJson<Comment>> {
    let comment = comments::one(
        &state.services,
        &site,
        id,
        token.as_deref(),
        caller.as_ref(),
    )
    .await?;
    Ok(ApiJson(comment))
}

async fn edit(
    State(state): State<AppState>,
    Site(site): Site,
    _: WriteQuota,
    CommentId(id): CommentId,
    EditToken(token): EditToken,
    Signed(caller): Signed,
    ApiJson(input): ApiJson<EditComment>,
) -> Result<ApiJson<Comment>> {
    let proof = comments::Proof {
        token: token.as_deref(),
        caller: caller.as_ref(),
    };
    Ok(ApiJson(
        comments::edit(&state.services, &site, id, proof, &input.body).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    Site(site): Site,
    _: WriteQuota,
    CommentId(id): CommentId,
    EditToken(token): EditToken,
    Signed(caller): Signed,
) -> Result<ApiJson<DeleteResult>> {
    let proof = comments::Proof {
        token: token.as_deref(),
        caller: caller.as_ref(),
    };
    Ok(ApiJson(
        comments::delete(&state.services, &site, id, proof).await?,
    ))
}

async fn vote(
    State(state): State<AppState>,
    Site(site): Site,
    WriteQuota(client): WriteQuota,
    CommentId(id): CommentId,
    ApiJson(input): ApiJson<VoteRequest>,
) -> Result<ApiJson<VoteCounts>> {
    let value = VoteValue::parse(input.value)?;
    Ok(ApiJson(
        comments::vote(&state.services, &site, id, client, value).await?,
    ))
}
