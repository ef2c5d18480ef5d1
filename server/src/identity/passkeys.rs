//! Passkeys (WebAuthn). A verified reader or an admin, signed in, adds one; on another device
//! the passkey alone signs them in (a discoverable credential: no name typed), and email stays
//! the way back in. The relying party is the blog's domain: the host of the site's first
//! origin, with every origin of the site allowed, and the comment server's own (for `/admin`,
//! which works where the browser lets that origin use the blog's domain: a subdomain of it,
//! or one listed in the blog's `/.well-known/webauthn`).
//!
//! A ceremony's state waits in the database between its challenge and its answer, so that any
//! replica finishes it; it is taken once and lives five minutes. Verification is
//! `webauthn-rs`'s, without OpenSSL.

use super::{Caller, start_session};
use crate::clock::now;
use crate::crypto::{self, Keys};
use crate::error::{Error, Result};
use crate::services::Services;
use crate::store::{Ceremony, Identity, IdentityStore, SiteName};
use palabre_api::{ErrorCode, Role, Session, Timestamp};
use std::time::Duration;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Webauthn,
    WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

const CEREMONY_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The most passkeys one identity keeps.
pub const MAX_PASSKEYS: usize = 10;

/// Who may add a passkey: those whose identity is proven by the blog (a code, a password);
/// a member's belongs to their site's accounts.
pub fn may_add(caller: &Caller) -> bool {
    matches!(caller.identity.role, Role::Verified | Role::Author)
}

/// The site's relying party. `None` when its first origin is not a web origin with a domain
/// (browsers refuse an address as a relying party).
pub fn relying_party(services: &Services, site: &SiteName) -> Option<Webauthn> {
    let settings = &services.settings;
    let origins = &settings.site(site)?.origins;
    let first = Url::parse(origins.first()?).ok()?;
    let rp_id = first.domain()?.to_owned();
    let label = settings.site_label(site);
    let mut builder = WebauthnBuilder::new(&rp_id, &first).ok()?.rp_name(&label);
    let more: Vec<Url> = origins
        .iter()
        .skip(1)
        .chain(std::iter::once(&settings.base_url()))
        .filter_map(|o| Url::parse(o).ok())
        .collect();
    for origin in &more {
        builder = builder.append_allowed_origin(origin);
    }
    builder.build().ok()
}

fn unavailable() -> Error {
    Error::Refused(ErrorCode::NotFound)
}

fn refused() -> Error {
    Error::Refused(ErrorCode::PasskeyInvalid)
}

/// The identity's handle in its passkeys: derived with the server's key, never its row id.
fn user_handle(keys: &Keys, identity: &Identity) -> Uuid {
    let hex = keys.sign("passkey-user", &identity.id.to_string());
    Uuid::from_u128(u128::from_str_radix(&hex[..32], 16).unwrap_or_default())
}

async fn keep(store: &dyn IdentityStore, ceremony: Ceremony) -> Result<String> {
    let id = crypto::generate_secret();
    let at = now();
    let expires = Timestamp::from_millis(
        at.as_millis()
            .saturating_add(CEREMONY_LIFETIME.as_millis() as i64),
    );
    store
        .put_ceremony(&crypto::token_hash(&id), &ceremony, at, expires)
        .await?;
    Ok(id)
}

async fn take(store: &dyn IdentityStore, id: &str, site: &SiteName) -> Result<Ceremony> {
    match store.take_ceremony(&crypto::token_hash(id), now()).await? {
        Some(c) if &c.site == site => Ok(c),
        _ => Err(refused()),
    }
}

/// The options for `navigator.credentials.create()`, and the ceremony's id.
pub async fn start_registration(
    services: &Services,
    caller: &Caller,
) -> Result<(String, CreationChallengeResponse)> {
    let identity = &caller.identity;
    if !may_add(caller) {
        return Err(Error::Refused(ErrorCode::SignInRequired));
    }
    let rp = relying_party(services, &identity.site).ok_or_else(unavailable)?;
    let store = &*services.store;
    let existing = store.passkeys(identity.id).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Err(Error::Refused(ErrorCode::RateLimited));
    }
    let exclude = existing
        .iter()
        .map(|p| p.credential_id.clone())
        .collect::<Vec<_>>();
    let user_name = identity
        .email
        .clone()
        .unwrap_or_else(|| identity.subject.clone());
    let display = identity.name.clone().unwrap_or_else(|| user_name.clone());
    let (mut options, state) = rp
        .start_passkey_registration(
            user_handle(&services.keys, identity),
            &user_name,
            &display,
            Some(exclude),
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "could not start a passkey registration");
            Error::Refused(ErrorCode::Internal)
        })?;
    // Discoverable: on another device the passkey alone says who signs in.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    let state = serde_json::to_string(&state).map_err(|_| Error::Refused(ErrorCode::Internal))?;
    let id = keep(
        store,
        Ceremony {
            site: identity.site.clone(),
            identity: Some(identity.id),
            state,
        },
    )
    .await?;
    Ok((id, options))
}

/// Checks the new credential and keeps it.
pub async fn finish_registration(
    services: &Services,
    caller: &Caller,
    ceremony: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<()> {
    let identity = &caller.identity;
    let store = &*services.store;
    let taken = take(store, ceremony, &identity.site).await?;
    if taken.identity != Some(identity.id) {
        return Err(refused());
    }
    let rp = relying_party(services, &identity.site).ok_or_else(unavailable)?;
    let state: PasskeyRegistration = serde_json::from_str(&taken.state).map_err(|_| refused())?;
    let passkey = rp
        .finish_passkey_registration(credential, &state)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            refused()
        })?;
    let json = serde_json::to_string(&passkey).map_err(|_| Error::Refused(ErrorCode::Internal))?;
    if !store
        .add_passkey(identity.id, passkey.cred_id().as_ref(), &json, now())
        .await?
    {
        return Err(refused());
    }
    Ok(())
}

/// The options for `navigator.credentials.get()` (any of the site's passkeys), and the
/// ceremony's id.
pub async fn start_sign_in(
    services: &Services,
    site: &SiteName,
) -> Result<(String, RequestChallengeResponse)> {
    let rp = relying_party(services, site).ok_or_else(unavailable)?;
    let (mut options, state) = rp.start_discoverable_authentication().map_err(|e| {
        tracing::warn!(error = %e, "could not start a passkey sign-in");
        Error::Refused(ErrorCode::Internal)
    })?;
    // A button the reader pressed, not the autofill's conditional mediation.
    options.mediation = None;
    let state = serde_json::to_string(&state).map_err(|_| Error::Refused(ErrorCode::Internal))?;
    let id = keep(
        &*services.store,
        Ceremony {
            site: site.clone(),
            identity: None,
            state,
        },
    )
    .await?;
    Ok((id, options))
}

/// Checks the passkey's answer: the identity it belongs to, on this site.
pub async fn prove(
    services: &Services,
    site: &SiteName,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<Identity> {
    let store = &*services.store;
    let taken = take(store, ceremony, site).await?;
    let rp = relying_party(services, site).ok_or_else(unavailable)?;
    let state: DiscoverableAuthentication =
        serde_json::from_str(&taken.state).map_err(|_| refused())?;
    let (handle, credential_id) = rp
        .identify_discoverable_authentication(credential)
        .map_err(|_| refused())?;
    let kept = store
        .passkey_by_credential(credential_id)
        .await?
        .ok_or_else(refused)?;
    let identity = store.identity(kept.identity).await?.ok_or_else(refused)?;
    if &identity.site != site || handle != user_handle(&services.keys, &identity) {
        return Err(refused());
    }
    let mut passkey: Passkey = serde_json::from_str(&kept.passkey).map_err(|_| refused())?;
    let result = rp
        .finish_discoverable_authentication_v2(credential, state, &passkey)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey sign-in refused");
            refused()
        })?;
    passkey.update_credential(&result);
    let json = serde_json::to_string(&passkey).map_err(|_| Error::Refused(ErrorCode::Internal))?;
    store.passkey_used(kept.id, &json, now()).await?;
    Ok(identity)
}

/// A passkey sign-in in the widget: a session of the identity it proves.
pub async fn sign_in(
    services: &Services,
    site: &SiteName,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<Session> {
    let identity = prove(services, site, ceremony, credential).await?;
    start_session(&*services.store, identity).await
}
