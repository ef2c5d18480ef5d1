//! Admin sign-in: argon2id password hashes, sessions kept in the database (replicas share
//! them) behind an HttpOnly, SameSite=Strict cookie, one CSRF token per session.

use crate::clock::now;
use crate::crypto;
use crate::error::Result;
use crate::http::state::AppState;
use crate::store::AdminSession;
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use palabre_api::Timestamp;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "palabre_admin";
pub use crate::identity::passwords::{
    CONFIGURED_ADMIN, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, hash_password,
};

/// Checks a name and password; the hash comes from the database, or for "admin" from the
/// configuration.
pub async fn check_password(state: &AppState, name: &str, password: &str) -> Result<bool> {
    let configured = state.services.settings.admin_password_hash.as_ref();
    crate::identity::passwords::check(
        &*state.services.store,
        configured.map(|h| h.expose_secret()),
        name,
        password,
    )
    .await
}

/// Starts a session; returns the cookie value.
pub async fn start_session(state: &AppState, admin: &str) -> Result<String> {
    let token = URL_SAFE_NO_PAD.encode(crypto::random_bytes::<32>());
    let lifetime =
        i64::try_from(state.services.settings.admin_session.as_millis()).unwrap_or(i64::MAX);
    let at = now();
    let session = AdminSession {
        admin: admin.to_owned(),
        csrf_token: URL_SAFE_NO_PAD.encode(crypto::random_bytes::<32>()),
        expires: Timestamp::from_millis(at.as_millis().saturating_add(lifetime)),
    };
    state
        .services
        .store
        .create_session(&crypto::token_hash(&token), &session, at)
        .await?;
    Ok(token)
}

fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The signed-in session of this request, if any and not expired.
pub async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<AdminSession>> {
    match cookie_value(headers) {
        Some(token) if !token.is_empty() => Ok(state
            .services
            .store
            .session(&crypto::token_hash(token), now())
            .await?),
        _ => Ok(None),
    }
}

pub async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<()> {
    if let Some(token) = cookie_value(headers) {
        state
            .services
            .store
            .delete_session(&crypto::token_hash(token))
            .await?;
    }
    Ok(())
}

/// `Set-Cookie` for a new session, or (with `None`) one that clears it.
pub fn set_cookie(state: &AppState, token: Option<&str>) -> String {
    let secure = state
        .services
        .settings
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let max_age = match token {
        Some(_) => state.services.settings.admin_session.as_secs(),
        None => 0,
    };
    format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        token.unwrap_or(""),
        if secure { "; Secure" } else { "" }
    )
}

pub fn csrf_matches(session: &AdminSession, sent: &str) -> bool {
    let expected = session.csrf_token.as_bytes();
    expected.len() == sent.len() && bool::from(expected.ct_eq(sent.as_bytes()))
}

/// The sign-in form's own anti-forgery token (there is no session yet): signed issue time,
/// valid for an hour.
pub fn login_token(state: &AppState) -> String {
    let issued = now().as_millis().to_string();
    let signature = state.services.keys.sign("admin-login", &issued);
    format!("{issued}.{signature}")
}

pub fn login_token_valid(state: &AppState, token: &str) -> bool {
    let Some((issued, signature)) = token.split_once('.') else {
        return false;
    };
    let fresh = issued
        .parse::<i64>()
        .is_ok_and(|t| (0..3_600_000).contains(&(now().as_millis() - t)));
    fresh && state.services.keys.verify("admin-login", issued, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; palabre_admin=tok; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h), Some("tok"));
        h.insert("cookie", "palabre_admin_x=1".parse().unwrap());
        assert_eq!(cookie_value(&h), None);
    }
}
