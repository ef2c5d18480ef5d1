//! Readers' data rights: everything stored about an email, and its erasure. Used by
//! `palabre reader ...` and the admin pages; erasures are logged.

use crate::error::Result;
use crate::moderation;
use crate::services::Services;
use crate::store::{BlockKind, ListedStatus, SiteName};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForgetMode {
    /// Each comment becomes an empty anonymous placeholder where it holds replies (which
    /// stay in place), and disappears where it holds none.
    Placeholder,
    /// Each comment disappears with every reply below it.
    Remove,
}

#[derive(Debug, Serialize)]
pub struct ReaderData {
    pub email: String,
    pub blocked: bool,
    pub comments: Vec<ReaderComment>,
    /// The identities this address proved (one per site), with their sessions.
    pub identities: Vec<ReaderIdentity>,
}

#[derive(Debug, Serialize)]
pub struct ReaderIdentity {
    pub site: String,
    /// verified or member.
    pub role: &'static str,
    /// The name reserved for them.
    pub name: Option<String>,
    pub created: palabre_api::Timestamp,
    /// Each session: when it started and when it ends (the tokens themselves are never kept).
    pub sessions: Vec<ReaderSession>,
    /// Their passkeys: the credential's id and public key as kept, when added and last used.
    pub passkeys: Vec<ReaderPasskey>,
}

#[derive(Debug, Serialize)]
pub struct ReaderPasskey {
    pub added: palabre_api::Timestamp,
    pub last_used: Option<palabre_api::Timestamp>,
    /// The credential as the server keeps it (public key, counter: nothing secret).
    pub credential: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct ReaderSession {
    pub started: palabre_api::Timestamp,
    pub expires: palabre_api::Timestamp,
}

#[derive(Debug, Serialize)]
pub struct ReaderComment {
    /// The blog it was posted on.
    pub site: String,
    pub thread: String,
    /// published, pending, spam or deleted.
    pub status: &'static str,
    /// Markdown as written.
    pub body: String,
    pub notify: bool,
    /// The rest, as the API shows it: id, parent, author, website, created, edited, votes.
    #[serde(flatten)]
    pub public: palabre_api::Comment,
}

/// Everything stored about `email`, on one site or (`None`) on every site of the server.
pub async fn export(
    services: &Services,
    email: &str,
    site: Option<&SiteName>,
) -> Result<ReaderData> {
    let email = email.trim().to_lowercase();
    let comments = services.store.comments_by_email(&email, site).await?;
    let blocked = services
        .store
        .blocks()
        .await?
        .iter()
        .any(|b| b.kind == BlockKind::Email && b.value == email);
    let mut identities = Vec::new();
    for identity in services.store.identities_by_email(&email, site).await? {
        let sessions = services.store.identity_sessions(identity.id).await?;
        let passkeys = services.store.passkeys(identity.id).await?;
        identities.push(ReaderIdentity {
            site: identity.site.to_string(),
            role: identity.role.as_str(),
            name: identity.name,
            created: identity.created,
            sessions: sessions
                .into_iter()
                .map(|(started, expires)| ReaderSession { started, expires })
                .collect(),
            passkeys: passkeys
                .into_iter()
                .map(|p| ReaderPasskey {
                    added: p.created,
                    last_used: p.last_used,
                    credential: serde_json::from_str(&p.passkey).unwrap_or_default(),
                })
                .collect(),
        });
    }
    Ok(ReaderData {
        identities,
        blocked,
        comments: comments
            .into_iter()
            .map(|c| ReaderComment {
                site: c.site.to_string(),
                thread: c.thread_key.clone(),
                status: ListedStatus::of(&c).as_str(),
                body: c.body.clone(),
                notify: c.notify,
                public: c.into(),
            })
            .collect(),
        email,
    })
}

/// Erases every comment carrying `email`, on one site or (`None`) on every site; returns how
/// many of theirs were erased.
pub async fn forget(
    services: &Services,
    actor: &str,
    email: &str,
    site: Option<&SiteName>,
    mode: ForgetMode,
) -> Result<usize> {
    let email = email.trim().to_lowercase();
    // Newest first: a reader's replies to themselves go before what they reply to.
    let mut comments = services.store.comments_by_email(&email, site).await?;
    comments.reverse();
    // Their identities go first: their sessions end and their names are free again.
    for identity in services.store.identities_by_email(&email, site).await? {
        services.store.delete_identity(identity.id).await?;
    }
    let mut erased = 0;
    for c in &comments {
        let done = match mode {
            ForgetMode::Placeholder => services.store.delete_comment(c.id).await?.is_some(),
            ForgetMode::Remove => services.store.delete_subtree(c.id).await? > 0,
        };
        erased += usize::from(done);
    }
    let mode_name = match mode {
        ForgetMode::Placeholder => "placeholders",
        ForgetMode::Remove => "removed with replies",
    };
    // The log names the erasure, not the address: that would keep what was just erased.
    let on = scope(site);
    moderation::record(
        services,
        actor,
        "reader_erased",
        format!("{erased} comments, {mode_name}, {on}"),
    )
    .await;
    Ok(erased)
}

/// Ends every session of the identities that proved `email`, on one site or (`None`) on every
/// site; returns how many ended. The log names the action, not the address.
pub async fn sign_out(
    services: &Services,
    actor: &str,
    email: &str,
    site: Option<&SiteName>,
) -> Result<usize> {
    let email = email.trim().to_lowercase();
    let mut ended = 0;
    for identity in services.store.identities_by_email(&email, site).await? {
        ended += services.store.delete_identity_sessions(identity.id).await?;
    }
    let on = scope(site);
    moderation::record(
        services,
        actor,
        "reader_signed_out",
        format!("{ended} sessions, {on}"),
    )
    .await;
    Ok(usize::try_from(ended).unwrap_or(usize::MAX))
}

/// How the log names where an action on a reader applied.
fn scope(site: Option<&SiteName>) -> String {
    site.map_or_else(|| "every site".to_owned(), |s| format!("site {s}"))
}
