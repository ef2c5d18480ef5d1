//! Signing in and out, and what every signed-in page needs: the session, the page chrome,
//! a form's CSRF check.

use super::forms::Form;
use super::{AdminError, AdminResult, auth, pages};
use crate::words::Say;

use crate::error::Error;
use crate::http::extract::{ApiJson, ClientIp, limit};
use crate::http::state::AppState;
use crate::identity::passkeys;
use crate::moderation::{self};
use crate::store::AdminSession;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;
use palabre_api::{ErrorCode, Role};
use serde::Deserialize;
use webauthn_rs::prelude::PublicKeyCredential;

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

/// The sign-in page: its policy lets `/admin/passkey.js` run, and reach this origin only.
const LOGIN_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

pub(super) async fn login_page(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, LOGIN_POLICY)],
        pages::login(&auth::login_token(&state), None),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PasskeyAnswer {
    ceremony: String,
    credential: PublicKeyCredential,
    login_token: String,
}

/// A passkey sign-in to `/admin` (the first site's relying party, where admins added their
/// passkey in that blog's widget).
pub(super) async fn passkey_start(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
) -> Result<Response, Error> {
    limit(&state.login_limiter, client)?;
    let site = state.services.settings.first_site().name.clone();
    let (ceremony, options) = passkeys::start_sign_in(&state.services, &site).await?;
    Ok(axum::Json(serde_json::json!({ "ceremony": ceremony, "options": options })).into_response())
}

pub(super) async fn passkey_finish(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(answer): ApiJson<PasskeyAnswer>,
) -> Result<Response, Error> {
    limit(&state.login_limiter, client)?;
    if !auth::login_token_valid(&state, &answer.login_token) {
        return Err(Error::Refused(ErrorCode::TokenInvalid));
    }
    let services = &state.services;
    let site = services.settings.first_site().name.clone();
    let identity = passkeys::prove(services, &site, &answer.ceremony, &answer.credential).await?;
    // An author's passkey, of an admin who still is one.
    let name = identity.subject.clone();
    let configured = services.settings.admin_password_hash.is_some()
        && name == crate::identity::passwords::CONFIGURED_ADMIN;
    let stored = services.store.admin_password_hash(&name).await?.is_some();
    if identity.role != Role::Author || !(configured || stored) {
        moderation::record(services, &name, "sign_in_failed", "passkey".into()).await;
        return Err(Error::Refused(ErrorCode::PasskeyInvalid));
    }
    let token = auth::start_session(&state, &name).await?;
    moderation::record(services, &name, "sign_in", "passkey".into()).await;
    Ok((
        [(header::SET_COOKIE, auth::set_cookie(&state, Some(&token)))],
        axum::Json(serde_json::json!({ "to": "/admin/queue" })),
    )
        .into_response())
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
