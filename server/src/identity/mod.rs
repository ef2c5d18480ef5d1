//! Who is speaking: the rules of proven identity. A reader proves an email with a code sent to
//! it, a site's member comes with a token signed by the site, an admin signs in with their
//! password; each gets a session held by the widget as a bearer token (never a cookie, so
//! third-party cookie blocking changes nothing). Names of admins and verified readers are
//! reserved on their site ([`names`]). Takes the store's identities and what else it needs,
//! never the HTTP state.

pub mod names;
pub mod passkeys;
pub mod passwords;
pub mod sso;

use crate::clock::now;
use crate::crypto::{self, Keys};
use crate::error::{Error, Result};
use crate::outbox::{Email as Mail, Notifier};
use crate::services::Services;
use crate::store::{Identity, IdentityStore, NewEmailCode, NewIdentity, SiteName};
use crate::words::{Say, fill, say};
use palabre_api::i18n::Lang;
use palabre_api::{Email, ErrorCode, Me, Role, Session, Timestamp};
use secrecy::ExposeSecret;
use std::time::Duration;

pub use names::name_key;

/// How long a code is good for.
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Wrong tries that kill a code.
pub const CODE_TRIES: u32 = 5;
/// Codes sent to one address per hour, at most.
pub const CODES_PER_HOUR: u32 = 5;
/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// What a session token starts with. A dot is never in an edit token (base64url), so one
/// `Authorization: Bearer` header carries either, and which one is never in doubt.
pub const SESSION_PREFIX: &str = "plb.";

/// Whether a bearer token is a session's (else it is an edit token).
pub fn is_session_token(bearer: &str) -> bool {
    bearer.starts_with(SESSION_PREFIX)
}

/// A signed-in caller: the identity their bearer token proves.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    pub expires: Timestamp,
}

impl Caller {
    pub fn me(&self) -> Me {
        Me {
            role: self.identity.role,
            name: self.identity.name.clone(),
            email: self.identity.email.clone(),
            expires: self.expires,
        }
    }

    /// Whether they may act as the site's moderators do.
    pub fn is_author(&self) -> bool {
        self.identity.role == Role::Author
    }
}

/// Whether readers of this server may prove an email (it sends mail).
pub fn email_offered(services: &Services) -> bool {
    services.settings.notify.smtp.is_some()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn after(at: Timestamp, d: Duration) -> Timestamp {
    Timestamp::from_millis(at.as_millis().saturating_add(millis(d)))
}

/// Whether `code` has a code's shape: six ASCII digits.
pub fn is_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The path of the link that types `code` for the reader of `email` (`/confirm-email`).
pub fn confirm_path(site: &SiteName, email: &Email, code: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("site", site.as_str())
        .append_pair("email", &email.normalized())
        .append_pair("code", code)
        .finish();
    format!("/confirm-email?{query}")
}

/// The keyed hash a code is kept as: a leaked database gives no code.
fn code_hash(keys: &Keys, site: &SiteName, email: &str, code: &str) -> Vec<u8> {
    keys.sign("email-code", &format!("{site}\n{email}\n{code}"))
        .into_bytes()
}

/// Six digits, uniformly drawn.
fn new_code() -> String {
    loop {
        let n = u32::from_le_bytes(crypto::random_bytes::<4>());
        // Below the largest multiple of a million: no digit is likelier than another.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// How a code's email names the blog and reaches the server.
#[derive(Debug, Clone, Copy)]
pub struct CodePlace<'a> {
    /// The blog as its readers know it (its host).
    pub label: &'a str,
    /// The comment server's public address, for the confirmation link.
    pub base_url: &'a str,
}

/// Sends a sign-in code to `email`, replacing any earlier one. The same for an address seen
/// before or never: nothing tells them apart. Refused when the address had its codes for the
/// hour.
pub async fn send_code(
    store: &dyn IdentityStore,
    keys: &Keys,
    notifier: &Notifier,
    place: &CodePlace<'_>,
    site: &SiteName,
    email: &Email,
    lang: Lang,
) -> Result<()> {
    let address = email.normalized();
    let code = new_code();
    let at = now();
    let kept = store
        .new_email_code(&NewEmailCode {
            site,
            email: &address,
            code_hash: &code_hash(keys, site, &address, &code),
            now: at,
            expires: after(at, CODE_LIFETIME),
            tries: CODE_TRIES,
            window: Duration::from_secs(3600),
            max_sends: CODES_PER_HOUR,
        })
        .await?;
    if !kept {
        return Err(Error::Refused(ErrorCode::RateLimited));
    }
    let w = say(lang);
    let values = [("code", code.as_str()), ("site", place.label)];
    // The code, for the form; a link with it, for a reader whose form is gone (a post that
    // asked for replies, then the page closed).
    let link = format!("{}{}", place.base_url, confirm_path(site, email, &code));
    notifier.email(Mail {
        to: email.as_str().to_owned(),
        subject: fill(w.get(Say::MailCodeSubject), &values),
        body: format!(
            "{}\n\n{} {link}\n\n{}\n",
            fill(w.get(Say::MailCodeIntro), &values),
            w.get(Say::MailCodeLink),
            w.get(Say::MailCodeNote)
        ),
        unsubscribe: None,
    });
    Ok(())
}

/// Checks a typed code; right, the address is proven and a session starts.
pub async fn verify_code(
    store: &dyn IdentityStore,
    keys: &Keys,
    site: &SiteName,
    email: &Email,
    code: &str,
) -> Result<Session> {
    let identity = prove_code(store, keys, site, email, code).await?;
    start_session(store, identity).await
}

/// Checks a code; right, the address is proven (its identity, created if new) and the guest
/// posts that asked for replies at it within the code's life become this identity's.
pub async fn prove_code(
    store: &dyn IdentityStore,
    keys: &Keys,
    site: &SiteName,
    email: &Email,
    code: &str,
) -> Result<Identity> {
    let address = email.normalized();
    let code = code.trim();
    let well_formed = is_code(code);
    // A malformed code spends a try too: guessing costs the same whatever is sent.
    let hash = code_hash(keys, site, &address, if well_formed { code } else { "" });
    if !store.try_email_code(site, &address, &hash, now()).await? || !well_formed {
        return Err(Error::Refused(ErrorCode::CodeInvalid));
    }
    let identity = store
        .identity_for(&NewIdentity {
            site,
            role: Role::Verified,
            subject: &address,
            name: None,
            email: Some(&address),
            at: now(),
        })
        .await?;
    // The guest posts that asked for replies at this address and sent this code.
    let since = Timestamp::from_millis(now().as_millis().saturating_sub(millis(CODE_LIFETIME)));
    store
        .claim_comments(identity.id, site, &address, since)
        .await?;
    Ok(identity)
}

/// A member the site vouches for: the token's name is theirs (and replaces the one kept).
pub async fn sso_sign_in(
    store: &dyn IdentityStore,
    key: &[u8],
    site: &SiteName,
    token: &str,
) -> Result<Session> {
    let member = sso::verify(key, token, now()).map_err(|why| {
        tracing::info!(site = %site, reason = ?why, "single sign-on token refused");
        Error::Refused(ErrorCode::SsoInvalid)
    })?;
    let key_of_name = name_key(&member.name);
    let identity = store
        .identity_for(&NewIdentity {
            site,
            role: Role::Member,
            subject: &member.sub,
            name: Some((&member.name, &key_of_name)),
            email: member.email.as_deref(),
            at: now(),
        })
        .await?;
    start_session(store, identity).await
}

/// One of the blog's admins signs in inside the widget: the author of the site's threads.
pub async fn password_sign_in(
    services: &Services,
    site: &SiteName,
    name: &str,
    password: &str,
) -> Result<Session> {
    let store = &*services.store;
    let configured = services.settings.admin_password_hash.as_ref();
    if !passwords::check(store, configured.map(|h| h.expose_secret()), name, password).await? {
        return Err(Error::Refused(ErrorCode::CredentialsInvalid));
    }
    let display = store
        .admins()
        .await?
        .into_iter()
        .find(|a| a.name == name)
        .and_then(|a| a.display_name)
        .unwrap_or_else(|| name.to_owned());
    let key = name_key(&display);
    let identity = store
        .identity_for(&NewIdentity {
            site,
            role: Role::Author,
            subject: name,
            name: Some((&display, &key)),
            email: None,
            at: now(),
        })
        .await?;
    start_session(store, identity).await
}

pub(crate) async fn start_session(
    store: &dyn IdentityStore,
    identity: Identity,
) -> Result<Session> {
    let token = format!("{SESSION_PREFIX}{}", crypto::generate_secret());
    let at = now();
    let expires = after(at, SESSION_LIFETIME);
    store
        .create_identity_session(&crypto::token_hash(&token), identity.id, at, expires)
        .await?;
    let caller = Caller { identity, expires };
    Ok(Session {
        token,
        expires,
        me: caller.me(),
    })
}

/// The caller a bearer token proves on this site: an unknown, expired, revoked or other
/// site's token is refused the same way.
pub async fn caller(store: &dyn IdentityStore, site: &SiteName, bearer: &str) -> Result<Caller> {
    let found = if bearer.len() <= 128 {
        store
            .identity_session(&crypto::token_hash(bearer), now())
            .await?
    } else {
        None
    };
    match found {
        Some((identity, expires)) if &identity.site == site => Ok(Caller { identity, expires }),
        _ => Err(Error::Refused(ErrorCode::SessionInvalid)),
    }
}

/// Ends this session, or every session of its identity.
pub async fn sign_out(
    store: &dyn IdentityStore,
    caller: &Caller,
    bearer: &str,
    everywhere: bool,
) -> Result<()> {
    if everywhere {
        store.delete_identity_sessions(caller.identity.id).await?;
    } else {
        store
            .delete_identity_session(&crypto::token_hash(bearer))
            .await?;
    }
    Ok(())
}

/// A reserved name is the name field's fault: the form shows it there.
fn reserved() -> Error {
    palabre_api::ValidationError::new(ErrorCode::NameReserved, "author").into()
}

/// Refuses a name that is, or looks like, an admin's or a verified reader's of this site,
/// unless it is the caller's own. `configured_admin`: the admin whose password comes from the
/// configuration (not in the database), when there is one.
pub async fn check_name(
    store: &dyn IdentityStore,
    configured_admin: Option<&str>,
    site: &SiteName,
    name: &str,
    caller: Option<&Caller>,
) -> Result<()> {
    let key = name_key(name);
    if key.is_empty() {
        return Ok(());
    }
    let own = |role: Role, subject: &str| {
        caller.is_some_and(|c| c.identity.role == role && c.identity.subject == subject)
    };
    let mut admins = store.admins().await?;
    if let Some(configured) = configured_admin.filter(|c| admins.iter().all(|a| a.name != *c)) {
        admins.push(crate::store::AdminName {
            name: configured.to_owned(),
            display_name: None,
        });
    }
    for admin in admins {
        let names = [Some(admin.name.as_str()), admin.display_name.as_deref()];
        if names.into_iter().flatten().any(|n| name_key(n) == key)
            && !own(Role::Author, &admin.name)
        {
            return Err(reserved());
        }
    }
    match store.name_holder(site, &key).await? {
        Some(holder) if caller.is_none_or(|c| c.identity.id != holder.id) => Err(reserved()),
        _ => Ok(()),
    }
}
