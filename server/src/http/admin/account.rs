//! `/admin/account`: the name the signed-in admin's comments carry in the threads, with the
//! "Author" mark, reserved on every site.

use super::forms::{Form, back_to, done_notice};
use super::session::{render, signed_in, verified};
use super::{AdminError, AdminResult, pages};
use crate::http::state::AppState;
use crate::moderation;
use crate::words::Say;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use palabre_api::AuthorName;
use std::collections::HashMap;

pub(super) async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let shown = state
        .services
        .store
        .admins()
        .await?
        .into_iter()
        .find(|a| a.name == session.admin)
        .and_then(|a| a.display_name)
        .unwrap_or_default();
    let content = pages::account(&shown, &session.csrf_token);
    render(
        &state,
        &session,
        done_notice(&query),
        pages::t(Say::AccountTitle),
        content,
    )
    .await
}

pub(super) async fn set_display_name(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let shown = AuthorName::parse(form.get("display_name").unwrap_or(""))
        .map_err(|_| AdminError::BadInput(Say::DisplayNameLabel))?;
    let stored = state
        .services
        .store
        .set_admin_display_name(&session.admin, shown.as_ref().map(|n| n.as_str()))
        .await?;
    if !stored {
        return Err(AdminError::BadInput(Say::AccountNotStored));
    }
    moderation::record(
        &state.services,
        &session.admin,
        "display_name",
        shown.map(|n| n.into_string()).unwrap_or_default(),
    )
    .await;
    Ok(back_to(&form, "/admin/account", 1))
}
