//! The moderation queue, the list of comments, bulk actions and editing.

use super::forms::{Form, back_to, done_notice};
use super::session::{render, signed_in, verified};
use super::{AdminError, AdminResult, PAGE_SIZE, pages, site_choices, site_filter};
use crate::words::{Say, fill};

use crate::error::Error;
use crate::http::state::AppState;
use crate::moderation::{self, CommentAction};
use crate::store::{CommentFilter, ListedStatus};
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;

pub(super) async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let site = site_filter(query.get("site").map(String::as_str))?;
    let held = state
        .services
        .store
        .list_comments(&CommentFilter {
            site: site.clone(),
            status: Some(ListedStatus::Pending),
            oldest_first: true,
            limit: PAGE_SIZE,
            ..CommentFilter::default()
        })
        .await?;
    let back = match &site {
        Some(s) => format!("/admin/queue?site={s}"),
        None => "/admin/queue".to_owned(),
    };
    let choices = site_choices(&state);
    let content = maud::html! {
        (pages::site_filter("/admin/queue", &choices, site.as_ref()))
        (pages::comment_list(
        &held,
        &session.csrf_token,
        &back,
        &[
            CommentAction::Approve,
            CommentAction::Reject,
            CommentAction::Spam,
            CommentAction::Delete,
            CommentAction::BlockEmail,
            CommentAction::BlockReader,
        ],
        ))
    };
    render(
        &state,
        &session,
        done_notice(&query),
        pages::t(Say::QueueTitle),
        content,
    )
    .await
}

pub(super) async fn comments(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let field = |k: &str| query.get(k).map(|s| s.trim()).unwrap_or("");
    let page = field("page").parse::<u32>().unwrap_or(1).clamp(1, 10_000);
    let status = match field("status") {
        "" => None,
        s => Some(ListedStatus::parse(s).ok_or(AdminError::BadInput(Say::UnknownStatus))?),
    };
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let site = site_filter(Some(field("site")))?;
    let mut list = state
        .services
        .store
        .list_comments(&CommentFilter {
            site: site.clone(),
            thread: nonempty(field("thread")),
            status,
            identity: None,
            author: nonempty(field("author")),
            text: nonempty(field("q")),
            oldest_first: false,
            limit: PAGE_SIZE + 1,
            offset: (page - 1) * PAGE_SIZE,
        })
        .await?;
    let has_more = list.len() > PAGE_SIZE as usize;
    list.truncate(PAGE_SIZE as usize);
    // The current filters, without page/done, to build the pager and the form's way back.
    let kept: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .filter(|(k, _)| k != "page" && k != "done"),
        )
        .finish();
    let back = format!("/admin/comments?{kept}");
    let content = maud::html! {
        (pages::filters(&pages::ListFilters {
            sites: &site_choices(&state), site: site.as_ref(),
            thread: field("thread"), status: field("status"), author: field("author"), text: field("q"),
        }))
        (pages::comment_list(&list, &session.csrf_token, &back, &CommentAction::ALL))
        (pages::pager(&format!("{back}&"), page, has_more))
    };
    render(
        &state,
        &session,
        done_notice(&query),
        pages::t(Say::CommentsTitle),
        content,
    )
    .await
}

pub(super) async fn comment_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    // A row's own button ("approve:12") wins over the bulk buttons and the checkboxes.
    let (action, ids): (&str, Vec<i64>) = match form.get("one").and_then(|v| v.split_once(':')) {
        Some((action, id)) => (action, id.parse().ok().into_iter().collect()),
        None => (
            form.get("action").unwrap_or(""),
            form.all("id").filter_map(|v| v.parse().ok()).collect(),
        ),
    };
    let action = CommentAction::parse(action).ok_or(AdminError::BadInput(Say::UnknownAction))?;
    if ids.is_empty() {
        return Err(AdminError::BadInput(Say::SelectOne));
    }
    let done = moderation::apply(&state.services, &session.admin, action, &ids).await?;
    Ok(back_to(&form, "/admin/queue", done))
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let comment = state
        .services
        .store
        .comment(id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let content = pages::edit_form(&comment, &session.csrf_token, None);
    render(
        &state,
        &session,
        None,
        &fill(pages::t(Say::EditTitle), &[("id", &id.to_string())]),
        content,
    )
    .await
}

pub(super) async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let mut comment = state
        .services
        .store
        .comment(id)
        .await?
        .ok_or(AdminError::NotFound)?;
    let text = form.get("body").unwrap_or("");
    match moderation::edit(&state.services, &session.admin, id, text).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/comments?done=1#c{id}")).into_response()),
        Err(Error::Invalid(v)) => {
            // Nothing the moderator typed is lost: the form comes back with it.
            comment.body = text.to_owned();
            let content = pages::edit_form(
                &comment,
                &session.csrf_token,
                Some(palabre_api::i18n::Words::builtin(pages::words().lang()).error(v.code)),
            );
            let page = render(
                &state,
                &session,
                None,
                &fill(pages::t(Say::EditTitle), &[("id", &id.to_string())]),
                content,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
