//! Threads (lock, hide, delete), blocks, and the admin log.

use super::forms::{Form, back_to, done_notice};
use super::session::{render, signed_in, verified};
use super::{AdminError, AdminResult, pages, site_choices, site_filter};
use crate::words::Say;

use crate::error::Error;
use crate::http::state::AppState;
use crate::moderation::{self, ThreadAction};
use crate::store::{BlockKind, ThreadRef};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use palabre_api::ThreadKey;
use std::collections::HashMap;

pub(super) async fn threads(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let site = site_filter(query.get("site").map(String::as_str))?;
    let list = state
        .services
        .store
        .threads_overview(site.as_ref(), 500, 0)
        .await?;
    let choices = site_choices(&state);
    let content = maud::html! {
        (pages::site_filter("/admin/threads", &choices, site.as_ref()))
        (pages::threads(&list, &session.csrf_token))
    };
    render(
        &state,
        &session,
        done_notice(&query),
        pages::t(Say::ThreadsTitle),
        content,
    )
    .await
}

pub(super) async fn thread_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let action = form
        .get("action")
        .and_then(ThreadAction::parse)
        .ok_or(AdminError::BadInput(Say::UnknownAction))?;
    let key = ThreadKey::parse(form.get("key").unwrap_or(""))
        .map_err(|_| AdminError::BadInput(Say::InvalidThreadKey))?;
    // A form from before sites (or a hand-made one) names none: the first site's thread.
    let site = site_filter(form.get("site"))?
        .unwrap_or_else(|| state.services.settings.first_site().name.clone());
    let thread = ThreadRef::new(site, key);
    if !moderation::thread(&state.services, &session.admin, &thread, action).await? {
        return Err(AdminError::NotFound);
    }
    Ok(back_to(&form, "/admin/threads", 1))
}

pub(super) async fn blocks(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let list = state.services.store.blocks().await?;
    let content = pages::blocks(&list, &session.csrf_token);
    render(
        &state,
        &session,
        done_notice(&query),
        pages::t(Say::BlocksTitle),
        content,
    )
    .await
}

pub(super) fn block_kind(form: &Form) -> AdminResult<BlockKind> {
    form.get("kind")
        .and_then(BlockKind::parse)
        .ok_or(AdminError::BadInput(Say::UnknownBlockKind))
}

pub(super) async fn add_block(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let kind = block_kind(&form)?;
    moderation::block(
        &state.services,
        &session.admin,
        kind,
        form.get("value").unwrap_or(""),
    )
    .await
    .map_err(|e| match e {
        Error::Refused(_) => AdminError::BadInput(Say::GiveEmailOrHash),
        other => other.into(),
    })?;
    Ok(back_to(&form, "/admin/blocks", 1))
}

pub(super) async fn remove_block(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let kind = block_kind(&form)?;
    let done = moderation::unblock(
        &state.services,
        &session.admin,
        kind,
        form.get("value").unwrap_or(""),
    )
    .await?;
    Ok(back_to(&form, "/admin/blocks", usize::from(done)))
}

pub(super) async fn log(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let entries = state.services.store.admin_log(200).await?;
    render(
        &state,
        &session,
        None,
        pages::t(Say::LogTitle),
        pages::log(&entries),
    )
    .await
}
