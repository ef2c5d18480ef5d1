//! Readers' data rights: export or erase everything stored about an email.

use super::forms::{Form, back_to, done_notice};
use super::session::{render, signed_in, verified};
use super::{AdminError, AdminResult, pages, site_choices, site_filter};
use crate::words::Say;

use crate::error::Error;
use crate::http::state::AppState;
use crate::moderation::{self};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use std::collections::HashMap;

pub(super) async fn readers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let content = pages::readers(&session.csrf_token, &site_choices(&state));
    render(
        &state,
        &session,
        done_notice(&query),
        pages::t(Say::ReadersTitle),
        content,
    )
    .await
}

pub(super) fn reader_email(form: &Form) -> AdminResult<String> {
    match palabre_api::Email::parse(form.get("email").unwrap_or("")) {
        Ok(Some(email)) => Ok(email.into_string()),
        _ => Err(AdminError::BadInput(Say::GiveEmail)),
    }
}

pub(super) async fn reader_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let email = reader_email(&form)?;
    let site = site_filter(form.get("site"))?;
    let data = crate::readers::export(&state.services, &email, site.as_ref()).await?;
    moderation::record(
        &state.services,
        &session.admin,
        "reader_exported",
        format!("{} comments", data.comments.len()),
    )
    .await;
    let json = serde_json::to_string_pretty(&data)
        .map_err(|e| AdminError::Internal(Error::Internal(e.into())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"palabre-reader-data.json\"",
            ),
        ],
        json,
    )
        .into_response())
}

pub(super) async fn reader_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let email = reader_email(&form)?;
    let mode = match form.get("mode") {
        Some("remove") => crate::readers::ForgetMode::Remove,
        Some("placeholder") => crate::readers::ForgetMode::Placeholder,
        _ => return Err(AdminError::BadInput(Say::ChooseReplies)),
    };
    let site = site_filter(form.get("site"))?;
    let n = crate::readers::forget(&state.services, &session.admin, &email, site.as_ref(), mode)
        .await?;
    Ok(back_to(&form, "/admin/readers", n))
}

/// Ends every session of the identities that proved this address (one site, or all); logged.
pub(super) async fn reader_sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let email = reader_email(&form)?;
    let site = site_filter(form.get("site"))?;
    let n =
        crate::readers::sign_out(&state.services, &session.admin, &email, site.as_ref()).await?;
    Ok(back_to(&form, "/admin/readers", n))
}
