//! Signing in and out, and what every signed-in page needs: the session, the page chrome,
//! a form's CSRF check.

use super::forms::Form;
use super::{AdminError, AdminResult, auth, pages};
use crate::words::Say;

use crate::http::extract::ClientIp;
use crate::http::state::AppState;
use crate::moderation::{self};
use crate::store::AdminSession;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use maud::Markup;

/// A signed-in request: its session and the page chrome.
pub(super) async fn signed_in(state: &AppState, headers: &HeaderMap) -> AdminResult<AdminSession> {
    auth::session(state, headers)
        .await?
        .ok_or(AdminError::SignIn)
}

pub(super) async fn render(
    state: &AppState,
    session: &AdminSession,
    notice: Option<String>,
    title: &str,
    content: Markup,
) -> AdminResult {
    let chrome = pages::Chrome {
        admin: &session.admin,
        csrf: &session.csrf_token,
        pending: state.services.store.pending_count().await?,
        notice,
    };
    Ok(pages::layout(title, Some(&chrome), content).into_response())
}

/// A signed-in form post whose CSRF token matches its session.
pub(super) async fn verified(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
) -> AdminResult<AdminSession> {
    let session = signed_in(state, headers).await?;
    match form.get("csrf") {
        Some(sent) if auth::csrf_matches(&session, sent) => Ok(session),
        _ => {
            moderation::record(
                &state.services,
                &session.admin,
                "csrf_refused",
                String::new(),
            )
            .await;
            Err(AdminError::Forged)
        }
    }
}

// Sign-in.

pub(super) async fn login_page(State(state): State<AppState>) -> Markup {
    pages::login(&auth::login_token(&state), None)
}

pub(super) async fn login(
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
            pages::t(Say::TooManyAttempts),
        ));
    }
    if !form
        .get("login_token")
        .is_some_and(|t| auth::login_token_valid(&state, t))
    {
        return Ok(fail(StatusCode::FORBIDDEN, pages::t(Say::SignInExpired)));
    }
    let name = form.get("name").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    if name.is_empty() || name.len() > 64 || !auth::check_password(&state, name, password).await? {
        moderation::record(
            &state.services,
            name.get(..64).unwrap_or(name),
            "sign_in_failed",
            String::new(),
        )
        .await;
        return Ok(fail(StatusCode::UNAUTHORIZED, pages::t(Say::WrongPassword)));
    }
    let token = auth::start_session(&state, name).await?;
    moderation::record(&state.services, name, "sign_in", String::new()).await;
    Ok((
        [(header::SET_COOKIE, auth::set_cookie(&state, Some(&token)))],
        Redirect::to("/admin/queue"),
    )
        .into_response())
}

pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AdminResult {
    let form = Form::parse(&body);
    let session = verified(&state, &headers, &form).await?;
    auth::end_session(&state, &headers).await?;
    moderation::record(&state.services, &session.admin, "sign_out", String::new()).await;
    Ok((
        [(header::SET_COOKIE, auth::set_cookie(&state, None))],
        Redirect::to("/admin/login"),
    )
        .into_response())
}
