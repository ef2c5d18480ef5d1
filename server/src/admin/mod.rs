//! `/admin`: moderation pages served by the same binary. Server-rendered forms; every
//! request but the sign-in page needs a session, every form post its CSRF token, and every
//! action goes through [`crate::moderation`], which logs it.

pub mod auth;
pub mod cli;
pub mod pages;

use crate::error::Error;
use crate::http::ClientIp;
use crate::moderation::{self, CommentAction, ThreadAction};
use crate::notify;
use crate::state::AppState;
use crate::store::{AdminSession, BlockKind, CommentFilter, ListedStatus};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use palabre_api::ThreadKey;
use std::collections::HashMap;

const PAGE_SIZE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/queue") }))
        .route("/admin/", get(|| async { Redirect::to("/admin/queue") }))
        .route("/admin/admin.css", get(stylesheet))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/queue", get(queue))
        .route("/admin/comments", get(comments))
        .route("/admin/comments/action", post(comment_action))
        .route("/admin/comments/{id}/edit", get(edit_page).post(edit))
        .route("/admin/threads", get(threads))
        .route("/admin/threads/action", post(thread_action))
        .route("/admin/blocks", get(blocks).post(add_block))
        .route("/admin/blocks/remove", post(remove_block))
        .route("/admin/log", get(log))
        .route("/admin/readers", get(readers))
        .route("/admin/readers/export", post(reader_export))
        .route("/admin/readers/delete", post(reader_delete))
        .route(
            "/admin/email-action",
            get(email_action_page).post(email_action),
        )
        .layer(axum::middleware::map_response(harden))
}

/// Admin pages (and the other pages the server draws, such as `/unsubscribe`) are never
/// cached, framed, or allowed to run script.
pub async fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Why an admin request did not go through, as a page (not JSON).
#[derive(Debug)]
pub enum AdminError {
    /// No session, or an expired one: to the sign-in page.
    SignIn,
    /// The form's CSRF token is missing or wrong.
    Forged,
    NotFound,
    BadInput(&'static str),
    Internal(Error),
}

impl From<Error> for AdminError {
    fn from(e: Error) -> Self {
        Self::Internal(e)
    }
}

impl From<crate::store::StoreError> for AdminError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let page = |status: StatusCode, title: &str, text: &str| {
            (status, pages::message(title, text)).into_response()
        };
        match self {
            Self::SignIn => Redirect::to("/admin/login").into_response(),
            Self::Forged => page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form is no longer valid. Reload the page and try again.",
            ),
            Self::NotFound => page(
                StatusCode::NOT_FOUND,
                "Not found",
                "No such page or comment.",
            ),
            Self::BadInput(what) => page(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", what),
            Self::Internal(e) => {
                // Logs the cause; the page says nothing about it.
                let _ = e.into_response();
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The action failed; the server log has the details.",
                )
            }
        }
    }
}

type AdminResult<T = Response> = Result<T, AdminError>;

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLESHEET,
    )
}

/// A signed-in request: its session and the page chrome.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> AdminResult<AdminSession> {
    auth::session(state, headers)
        .await?
        .ok_or(AdminError::SignIn)
}

async fn render(
    state: &AppState,
    session: &AdminSession,
    notice: Option<String>,
    title: &str,
    content: Markup,
) -> AdminResult {
    let chrome = pages::Chrome {
        admin: &session.admin,
        csrf: &session.csrf_token,
        pending: state.store.pending_count().await?,
        notice,
    };
    Ok(pages::layout(title, Some(&chrome), content).into_response())
}

/// A urlencoded form body; repeated names keep every value (bulk selections).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A signed-in form post whose CSRF token matches its session.
async fn verified(state: &AppState, headers: &HeaderMap, form: &Form) -> AdminResult<AdminSession> {
    let session = signed_in(state, headers).await?;
    match form.get("csrf") {
        Some(sent) if auth::csrf_matches(&session, sent) => Ok(session),
        _ => {
            moderation::record(state, &session.admin, "csrf_refused", String::new()).await;
            Err(AdminError::Forged)
        }
    }
}

/// Where to go after an action: a local admin page only (never an open redirect).
fn back_to(form: &Form, default: &str, done: usize) -> Response {
    let back = form
        .get("back")
        .filter(|b| b.starts_with("/admin/") && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or(default);
    let sep = if back.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{back}{sep}done={done}")).into_response()
}

fn done_notice(query: &HashMap<String, String>) -> Option<String> {
    query
        .get("done")
        .and_then(|d| d.parse::<usize>().ok())
        .map(|n| match n {
            1 => "1 item updated.".to_owned(),
            n => format!("{n} items updated."),
        })
}

// Sign-in.

async fn login_page(State(state): State<AppState>) -> Markup {
    pages::login(&auth::login_token(&state), None)
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let fail = |status: StatusCode, message: &str| {
        (
            status,
            pages::login(&auth::login_token(&state), Some(message)),
        )
            .into_response()
    };
    if state
        .login_limiter
        .check(&crate::crypto::network_identity(client))
        .is_err()
    {
        return Ok(fail(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts. Wait a minute, then try again.",
        ));
    }
    if !form
        .get("login_token")
        .is_some_and(|t| auth::login_token_valid(&state, t))
    {
        return Ok(fail(
            StatusCode::FORBIDDEN,
            "The form expired. Please sign in again.",
        ));
    }
    let name = form.get("name").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    if name.is_empty() || name.len() > 64 || !auth::check_password(&state, name, password).await? {
        moderation::record(
            &state,
            name.get(..64).unwrap_or(name),
            "sign_in_failed",
            String::new(),
        )
        .await;
        return Ok(fail(StatusCode::UNAUTHORIZED, "Wrong name or password."));
    }
    let token = auth::start_session(&state, name).await?;
    moderation::record(&state, name, "sign_in", String::new()).await;
    Ok((
        [(header::SET_COOKIE, auth::set_cookie(&state, Some(&token)))],
        Redirect::to("/admin/queue"),
    )
        .into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    auth::end_session(&state, &headers).await?;
    moderation::record(&state, &session.admin, "sign_out", String::new()).await;
    Ok((
        [(header::SET_COOKIE, auth::set_cookie(&state, None))],
        Redirect::to("/admin/login"),
    )
        .into_response())
}

// Comments.

async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let held = state
        .store
        .list_comments(&CommentFilter {
            status: Some(ListedStatus::Pending),
            oldest_first: true,
            limit: PAGE_SIZE,
            ..CommentFilter::default()
        })
        .await?;
    let content = pages::comment_list(
        &held,
        &session.csrf_token,
        "/admin/queue",
        &[
            CommentAction::Approve,
            CommentAction::Reject,
            CommentAction::Spam,
            CommentAction::Delete,
            CommentAction::BlockEmail,
            CommentAction::BlockReader,
        ],
    );
    render(
        &state,
        &session,
        done_notice(&query),
        "Moderation queue",
        content,
    )
    .await
}

async fn comments(
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
        s => Some(ListedStatus::parse(s).ok_or(AdminError::BadInput("Unknown status."))?),
    };
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let mut list = state
        .store
        .list_comments(&CommentFilter {
            thread: nonempty(field("thread")),
            status,
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
            thread: field("thread"), status: field("status"), author: field("author"), text: field("q"),
        }))
        (pages::comment_list(&list, &session.csrf_token, &back, &CommentAction::ALL))
        (pages::pager(&format!("{back}&"), page, has_more))
    };
    render(&state, &session, done_notice(&query), "Comments", content).await
}

async fn comment_action(
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
    let action = CommentAction::parse(action).ok_or(AdminError::BadInput("Unknown action."))?;
    if ids.is_empty() {
        return Err(AdminError::BadInput("Select at least one comment."));
    }
    let done = moderation::apply(&state, &session.admin, action, &ids).await?;
    Ok(back_to(&form, "/admin/queue", done))
}

async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let comment = state.store.comment(id).await?.ok_or(AdminError::NotFound)?;
    let content = pages::edit_form(&comment, &session.csrf_token, None);
    render(
        &state,
        &session,
        None,
        &format!("Edit comment {id}"),
        content,
    )
    .await
}

async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let mut comment = state.store.comment(id).await?.ok_or(AdminError::NotFound)?;
    let text = form.get("body").unwrap_or("");
    match moderation::edit(&state, &session.admin, id, text).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/comments?done=1#c{id}")).into_response()),
        Err(Error::Invalid(v)) => {
            // Nothing the moderator typed is lost: the form comes back with it.
            comment.body = text.to_owned();
            let content = pages::edit_form(
                &comment,
                &session.csrf_token,
                Some(v.code.default_message()),
            );
            let page = render(
                &state,
                &session,
                None,
                &format!("Edit comment {id}"),
                content,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// Threads, blocks, log.

async fn threads(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let list = state.store.threads_overview(500, 0).await?;
    let content = pages::threads(&list, &session.csrf_token);
    render(&state, &session, done_notice(&query), "Threads", content).await
}

async fn thread_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let action = form
        .get("action")
        .and_then(ThreadAction::parse)
        .ok_or(AdminError::BadInput("Unknown action."))?;
    let key = ThreadKey::parse(form.get("key").unwrap_or(""))
        .map_err(|_| AdminError::BadInput("Invalid thread key."))?;
    if !moderation::thread(&state, &session.admin, &key, action).await? {
        return Err(AdminError::NotFound);
    }
    Ok(back_to(&form, "/admin/threads", 1))
}

async fn blocks(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let list = state.store.blocks().await?;
    let content = pages::blocks(&list, &session.csrf_token);
    render(
        &state,
        &session,
        done_notice(&query),
        "Blocked emails and readers",
        content,
    )
    .await
}

fn block_kind(form: &Form) -> AdminResult<BlockKind> {
    form.get("kind")
        .and_then(BlockKind::parse)
        .ok_or(AdminError::BadInput("Unknown kind of block."))
}

async fn add_block(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let kind = block_kind(&form)?;
    moderation::block(
        &state,
        &session.admin,
        kind,
        form.get("value").unwrap_or(""),
    )
    .await
    .map_err(|e| match e {
        Error::Refused(_) => AdminError::BadInput("Give an email address or a reader hash."),
        other => other.into(),
    })?;
    Ok(back_to(&form, "/admin/blocks", 1))
}

async fn remove_block(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let kind = block_kind(&form)?;
    let done = moderation::unblock(
        &state,
        &session.admin,
        kind,
        form.get("value").unwrap_or(""),
    )
    .await?;
    Ok(back_to(&form, "/admin/blocks", usize::from(done)))
}

async fn log(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let entries = state.store.admin_log(200).await?;
    render(&state, &session, None, "Admin log", pages::log(&entries)).await
}

// Signed links from notification emails: no session needed, the signature is the key. A GET
// only shows a confirmation (mail scanners follow links); the button's POST acts.

#[derive(serde::Deserialize)]
struct EmailAction {
    id: i64,
    action: String,
    expires: i64,
    sig: String,
}

fn checked_link(state: &AppState, p: &EmailAction) -> AdminResult<notify::LinkAction> {
    let action = notify::LinkAction::parse(&p.action).ok_or(AdminError::NotFound)?;
    if !notify::action_link_valid(state, p.id, action, p.expires, &p.sig) {
        return Err(AdminError::BadInput(
            "This link is invalid or has expired. Sign in to moderate instead.",
        ));
    }
    Ok(action)
}

async fn email_action_page(
    State(state): State<AppState>,
    Query(p): Query<EmailAction>,
) -> AdminResult {
    let action = checked_link(&state, &p)?;
    let comment = state
        .store
        .comment(p.id)
        .await?
        .ok_or(AdminError::NotFound)?;
    Ok(
        pages::confirm_link(&comment, action.as_str(), &p.action, p.expires, &p.sig)
            .into_response(),
    )
}

async fn email_action(State(state): State<AppState>, body: Bytes) -> AdminResult {
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
        notify::LinkAction::Approve => CommentAction::Approve,
        notify::LinkAction::Delete => CommentAction::Delete,
    };
    let done = moderation::apply(&state, "email link", comment_action, &[p.id]).await?;
    let text = match (done, action) {
        (0, _) => "Nothing to do: the comment was already handled.",
        (_, notify::LinkAction::Approve) => "The comment is approved and published.",
        (_, notify::LinkAction::Delete) => "The comment is deleted.",
    };
    Ok(pages::message("Done", text).into_response())
}

// Readers' data rights.

async fn readers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> AdminResult {
    let session = signed_in(&state, &headers).await?;
    let content = pages::readers(&session.csrf_token);
    render(
        &state,
        &session,
        done_notice(&query),
        "Readers' data",
        content,
    )
    .await
}

fn reader_email(form: &Form) -> AdminResult<String> {
    match palabre_api::Email::parse(form.get("email").unwrap_or("")) {
        Ok(Some(email)) => Ok(email.into_string()),
        _ => Err(AdminError::BadInput("Give the reader's email address.")),
    }
}

async fn reader_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    let email = reader_email(&form)?;
    let data = crate::readers::export(&state, &email).await?;
    moderation::record(
        &state,
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

async fn reader_delete(
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
        _ => return Err(AdminError::BadInput("Choose what happens to the replies.")),
    };
    let n = crate::readers::forget(&state, &session.admin, &email, mode).await?;
    Ok(back_to(&form, "/admin/readers", n))
}
