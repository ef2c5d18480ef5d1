//! Signed links from notification emails: no session needed, the signature is the key. A
//! GET only shows a confirmation (mail scanners follow links); the button's POST acts.

use super::forms::Form;
use super::{AdminError, AdminResult, pages};
use crate::words::Say;

use crate::http::state::AppState;
use crate::moderation::{self, CommentAction};
use crate::notify::links;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::IntoResponse;

#[derive(serde::Deserialize)]
pub(super) struct EmailAction {
    id: i64,
    action: String,
    expires: i64,
    sig: String,
}

pub(super) fn checked_link(state: &AppState, p: &EmailAction) -> AdminResult<links::LinkAction> {
    let action = links::LinkAction::parse(&p.action).ok_or(AdminError::NotFound)?;
    if !links::action_link_valid(&state.services.keys, p.id, action, p.expires, &p.sig) {
        return Err(AdminError::BadInput(Say::LinkInvalid));
    }
    Ok(action)
}

pub(super) async fn email_action_page(
    State(state): State<AppState>,
    Query(p): Query<EmailAction>,
) -> AdminResult {
    let action = checked_link(&state, &p)?;
    let comment = state
        .services
        .store
        .comment(p.id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let (question, verb) = match action {
        links::LinkAction::Approve => (Say::ApproveThisComment, Say::Approve),
        links::LinkAction::Delete => (Say::DeleteThisComment, Say::Delete),
    };
    Ok(pages::confirm_link(
        &comment,
        pages::t(question),
        pages::t(verb),
        &p.action,
        p.expires,
        &p.sig,
    )
    .into_response())
}

pub(super) async fn email_action(State(state): State<AppState>, body: Bytes) -> AdminResult {
    let form = Form::parse(&body);
    let p = EmailAction {
        id: form
            .get("id")
            .and_then(|v| v.parse().ok())
            .ok_or(AdminError::NotFound)?,
        action: form.get("action").unwrap_or("").to_owned(),
        expires: form
            .get("expires")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        sig: form.get("sig").unwrap_or("").to_owned(),
    };
    let action = checked_link(&state, &p)?;
    let comment_action = match action {
        links::LinkAction::Approve => CommentAction::Approve,
        links::LinkAction::Delete => CommentAction::Delete,
    };
    let done = moderation::apply(&state.services, "email link", comment_action, &[p.id]).await?;
    let text = match (done, action) {
        (0, _) => Say::NothingToDo,
        (_, links::LinkAction::Approve) => Say::ApprovedDone,
        (_, links::LinkAction::Delete) => Say::DeletedDone,
    };
    Ok(pages::message(pages::t(Say::Done), pages::t(text)).into_response())
}
