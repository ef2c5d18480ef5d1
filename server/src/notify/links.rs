//! Signed links sent by email: approve or delete a comment (expiring), and stop reply
//! notifications.

use crate::clock::now;
use crate::config::Settings;
use crate::crypto::Keys;

/// What an email link may do to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    Approve,
    Delete,
}

impl LinkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Approve, Self::Delete]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

fn link_payload(id: i64, action: LinkAction, expires: i64) -> String {
    format!("{id}|{}|{expires}", action.as_str())
}

/// A signed, expiring link that performs `action` on comment `id` (after one confirmation).
pub fn action_link(keys: &Keys, settings: &Settings, id: i64, action: LinkAction) -> String {
    let lifetime = i64::try_from(settings.notify.link_lifetime.as_millis()).unwrap_or(i64::MAX);
    let expires = now().as_millis().saturating_add(lifetime);
    let sig = keys.sign("email-action", &link_payload(id, action, expires));
    format!(
        "{}/admin/email-action?id={id}&action={}&expires={expires}&sig={sig}",
        settings.base_url(),
        action.as_str()
    )
}

/// Whether an email link's parameters are authentic and unexpired.
pub fn action_link_valid(
    keys: &Keys,
    id: i64,
    action: LinkAction,
    expires: i64,
    sig: &str,
) -> bool {
    now().as_millis() < expires
        && keys.verify("email-action", &link_payload(id, action, expires), sig)
}

pub fn unsubscribe_link(keys: &Keys, settings: &Settings, comment_id: i64) -> String {
    let sig = keys.sign("unsubscribe", &comment_id.to_string());
    format!(
        "{}/unsubscribe?id={comment_id}&sig={sig}",
        settings.base_url()
    )
}

pub fn unsubscribe_valid(keys: &Keys, comment_id: i64, sig: &str) -> bool {
    keys.verify("unsubscribe", &comment_id.to_string(), sig)
}
