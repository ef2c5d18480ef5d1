//! `/api/v1/auth/*` and `/api/v1/me`: proving who one is, inside the widget. Every route is
//! limited per network; sending codes and checking codes or passwords more strictly than
//! other writes, so guessing gets slow fast.

use super::extract::{ApiJson, ClientIp, Signed, SignedIn, Site, WriteQuota, bearer_token, limit};
use crate::error::{Error, Result};
use crate::http::state::AppState;
use crate::identity;
use crate::identity::passkeys;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use palabre_api::i18n::Lang;
use palabre_api::{
    Email, EmailCodeRequest, EmailCodeVerify, ErrorCode, Me, PasswordSignIn, Session, SignOut,
    SsoSignIn,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/email", post(send_code))
        .route("/api/v1/auth/email/verify", post(verify_code))
        .route("/api/v1/auth/password", post(password))
        .route("/api/v1/auth/sso", post(sso))
        .route("/api/v1/auth/sign-out", post(sign_out))
        .route("/api/v1/auth/passkey", post(passkey_start))
        .route("/api/v1/auth/passkey/finish", post(passkey_finish))
        .route("/api/v1/auth/passkey/register", post(passkey_register))
        .route(
            "/api/v1/auth/passkey/register/finish",
            post(passkey_register_finish),
        )
        .route("/api/v1/me", get(me))
}

fn email_of(raw: &str) -> Result<Email> {
    Email::parse(raw)?
        .ok_or_else(|| palabre_api::ValidationError::new(ErrorCode::EmailRequired, "email").into())
}

/// Sends a sign-in code. `202` whether or not the address was seen before: the answer tells
/// nothing about it.
async fn send_code(
    State(state): State<AppState>,
    Site(site): Site,
    ClientIp(client): ClientIp,
    ApiJson(input): ApiJson<EmailCodeRequest>,
) -> Result<StatusCode> {
    let services = &state.services;
    if !identity::email_offered(services) {
        return Err(Error::Refused(ErrorCode::NotFound));
    }
    let email = email_of(&input.email)?;
    limit(&state.code_limiter, client)?;
    let lang = input
        .lang
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or(services.settings.language);
    identity::send_code(
        &*services.store,
        &services.keys,
        &services.notifier,
        &identity::CodePlace {
            label: &services.settings.site_label(&site),
            base_url: &services.settings.base_url(),
        },
        &site,
        &email,
        lang,
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

async fn verify_code(
    State(state): State<AppState>,
    Site(site): Site,
    ClientIp(client): ClientIp,
    ApiJson(input): ApiJson<EmailCodeVerify>,
) -> Result<ApiJson<Session>> {
    let services = &state.services;
    if !identity::email_offered(services) {
        return Err(Error::Refused(ErrorCode::NotFound));
    }
    let email = email_of(&input.email)?;
    limit(&state.login_limiter, client)?;
    let session =
        identity::verify_code(&*services.store, &services.keys, &site, &email, &input.code).await?;
    Ok(ApiJson(session))
}

async fn password(
    State(state): State<AppState>,
    Site(site): Site,
    ClientIp(client): ClientIp,
    ApiJson(input): ApiJson<PasswordSignIn>,
) -> Result<ApiJson<Session>> {
    limit(&state.login_limiter, client)?;
    let session =
        identity::password_sign_in(&state.services, &site, input.name.trim(), &input.password)
            .await?;
    Ok(ApiJson(session))
}

/// Limited as other writes, not as guesses: a signed token cannot be guessed, and a site's
/// members behind one network sign in on every page they open.
async fn sso(
    State(state): State<AppState>,
    Site(site): Site,
    _: WriteQuota,
    ApiJson(input): ApiJson<SsoSignIn>,
) -> Result<ApiJson<Session>> {
    let services = &state.services;
    let Some(key) = services.settings.sso_of(&site) else {
        return Err(Error::Refused(ErrorCode::NotFound));
    };
    let session = identity::sso_sign_in(
        &*services.store,
        key.expose_secret().as_bytes(),
        &site,
        &input.token,
    )
    .await?;
    Ok(ApiJson(session))
}

async fn sign_out(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SignOut>,
) -> Result<StatusCode> {
    let bearer = bearer_token(&headers).unwrap_or_default();
    identity::sign_out(&*state.services.store, &caller, bearer, input.everywhere).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the session proves; `401 session_invalid` without one.
async fn me(Signed(caller): Signed) -> Result<ApiJson<Me>> {
    match caller {
        Some(caller) => Ok(ApiJson(caller.me())),
        None => Err(Error::Refused(ErrorCode::SessionInvalid)),
    }
}

/// A passkey ceremony's first step: the options for the browser, and the id of the ceremony
/// the answer finishes.
#[derive(Serialize)]
struct PasskeyChallenge<T> {
    ceremony: String,
    options: T,
}

/// A passkey ceremony's answer: what the browser's credential said (`toJSON()`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyAnswer<T> {
    ceremony: String,
    credential: T,
}

/// Starts a passkey sign-in on this site (no name: the passkey says who).
async fn passkey_start(
    State(state): State<AppState>,
    Site(site): Site,
    ClientIp(client): ClientIp,
) -> Result<ApiJson<PasskeyChallenge<RequestChallengeResponse>>> {
    limit(&state.login_limiter, client)?;
    let (ceremony, options) = passkeys::start_sign_in(&state.services, &site).await?;
    Ok(ApiJson(PasskeyChallenge { ceremony, options }))
}

async fn passkey_finish(
    State(state): State<AppState>,
    Site(site): Site,
    ClientIp(client): ClientIp,
    ApiJson(answer): ApiJson<PasskeyAnswer<PublicKeyCredential>>,
) -> Result<ApiJson<Session>> {
    limit(&state.login_limiter, client)?;
    let session =
        passkeys::sign_in(&state.services, &site, &answer.ceremony, &answer.credential).await?;
    Ok(ApiJson(session))
}

/// Starts adding a passkey to the signed-in identity (a verified reader's, an author's).
async fn passkey_register(
    State(state): State<AppState>,
    _: WriteQuota,
    SignedIn(caller): SignedIn,
) -> Result<ApiJson<PasskeyChallenge<CreationChallengeResponse>>> {
    let (ceremony, options) = passkeys::start_registration(&state.services, &caller).await?;
    Ok(ApiJson(PasskeyChallenge { ceremony, options }))
}

async fn passkey_register_finish(
    State(state): State<AppState>,
    _: WriteQuota,
    SignedIn(caller): SignedIn,
    ApiJson(answer): ApiJson<PasskeyAnswer<RegisterPublicKeyCredential>>,
) -> Result<StatusCode> {
    passkeys::finish_registration(
        &state.services,
        &caller,
        &answer.ceremony,
        &answer.credential,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
