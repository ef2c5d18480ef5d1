//! Admin sign-in: argon2id password hashes, sessions kept in the database (replicas share
//! them) behind an HttpOnly, SameSite=Strict cookie, one CSRF token per session.

use crate::clock::now;
use crate::crypto;
use crate::error::Result;
use crate::http::state::AppState;
use crate::store::AdminSession;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use palabre_api::Timestamp;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "palabre_admin";
/// The admin whose hash may come from the configuration (`PALABRE_ADMIN_PASSWORD_HASH`).
pub const CONFIGURED_ADMIN: &str = "admin";
/// Longest accepted password, so hashing cost stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&crypto::random_bytes::<16>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Checks a name and password; the hash comes from the database, or for "admin" from the
/// configuration. Hashing runs off the async workers (it takes tens of milliseconds).
pub async fn check_password(state: &AppState, name: &str, password: &str) -> Result<bool> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    let stored = match state.services.store.admin_password_hash(name).await? {
        Some(h) => Some(h),
        None if name == CONFIGURED_ADMIN => state
            .services
            .settings
            .admin_password_hash
            .as_ref()
            .map(|h| h.expose_secret().to_owned()),
        None => None,
    };
    // An unknown name costs the same time as a wrong password: names are not revealed.
    let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let known = phc != DUMMY_HASH;
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || password_matches(&password, &phc))
        .await
        .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    Ok(ok && known)
}

/// A valid argon2id hash of a random string nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J2GlKdz1kUOH8SgHsufkWXoMaG0s7kZq0Wg5p8nqmYc";

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
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
        .create_session(&token_hash(&token), &session, at)
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
            .session(&token_hash(token), now())
            .await?),
        _ => Ok(None),
    }
}

pub async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<()> {
    if let Some(token) = cookie_value(headers) {
        state
            .services
            .store
            .delete_session(&token_hash(token))
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
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &a));
        assert!(!password_matches("correct horse batterY", &a));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn reads_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; palabre_admin=tok; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h), Some("tok"));
        h.insert("cookie", "palabre_admin_x=1".parse().unwrap());
        assert_eq!(cookie_value(&h), None);
    }
}
