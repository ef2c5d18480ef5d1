//! The JSON bodies of API v1. Field names are the wire contract: renaming one is a breaking
//! change. Response types are what the server writes and the widget reads; request types are
//! raw (strings as sent) and become typed values through [`crate::input`].

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Visibility of a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentStatus {
    Published,
    /// Held for moderation: shown only to its author.
    Pending,
    /// Deleted while it had replies: a placeholder that keeps the replies in place.
    Deleted,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Pending => "pending",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "published" => Some(Self::Published),
            "pending" => Some(Self::Pending),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// Read by name through `String`, as [`crate::ErrorCode`] is: smaller in the widget.
impl<'de> Deserialize<'de> for CommentStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Self::parse(&name).ok_or_else(|| serde::de::Error::custom("unknown comment status"))
    }
}

/// How new comments are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationMode {
    /// Published at once.
    #[default]
    None,
    /// A commenter's first comment is held; later ones with the same email publish at once.
    First,
    /// Every comment is held.
    All,
}

/// Read by name through `String`, as [`crate::ErrorCode`] is: smaller in the widget.
impl<'de> Deserialize<'de> for ModerationMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for ModerationMode {
    type Err = String;

    /// The names the settings use: `none`, `first`, `all`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "none" => Ok(Self::None),
            "first" => Ok(Self::First),
            "all" => Ok(Self::All),
            other => Err(format!("{other:?}: use none, first or all")),
        }
    }
}

/// Who wrote a comment, as proven to the server (never as typed): a guest typed a name; a
/// verified reader proved an email with a code or a passkey; a member was vouched for by the
/// site's own accounts (single sign-on); the author is one of the blog's admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Guest,
    Verified,
    Member,
    Author,
    /// Came from the fediverse (a reply from Mastodon or another server). Not in the widget's
    /// build: its first load must not grow, and a role it does not know reads as a guest's,
    /// which is what it shows of such a comment (its name linked to the writer's profile).
    #[cfg(not(target_arch = "wasm32"))]
    Fediverse,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Verified => "verified",
            Self::Member => "member",
            Self::Author => "author",
            #[cfg(not(target_arch = "wasm32"))]
            Self::Fediverse => "fediverse",
        }
    }

    pub fn is_guest(&self) -> bool {
        *self == Self::Guest
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "guest" => Some(Self::Guest),
            "verified" => Some(Self::Verified),
            "member" => Some(Self::Member),
            "author" => Some(Self::Author),
            #[cfg(not(target_arch = "wasm32"))]
            "fediverse" => Some(Self::Fediverse),
            _ => None,
        }
    }
}

/// A role this version does not know (a later server's) reads as a guest's: no mark rather
/// than a thread that fails to load. Read through `String`, whose reader the widget has anyway.
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?).unwrap_or_default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub key: String,
    pub title: Option<String>,
    /// Published comments (placeholders of deleted ones are not counted).
    pub count: u64,
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub parent: Option<i64>,
    pub author: Option<String>,
    pub website: Option<String>,
    /// A keyed, non-reversible hash: the seed of the comment's identicon. Never the email.
    pub avatar: String,
    /// Rendered and sanitised by the server: safe for `innerHTML`.
    pub html: String,
    pub created: Timestamp,
    pub edited: Option<Timestamp>,
    pub likes: u32,
    pub dislikes: u32,
    pub status: CommentStatus,
    /// Who wrote it, as proven to the server (absent from answers of older servers: a guest).
    #[serde(default)]
    pub role: Role,
}

impl Comment {
    /// The author's website if it may be linked: http(s) only, whatever the stored value (an
    /// import, an older version). The widget and the server's first paint both draw it.
    pub fn website_link(&self) -> Option<&str> {
        self.website
            .as_deref()
            .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
    }
}

/// `GET /api/v1/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPage {
    pub thread: Thread,
    /// In display order: each top-level comment followed by its replies, depth first, replies
    /// oldest first. A page never splits a subtree.
    pub comments: Vec<Comment>,
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/comments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub thread: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// The language the reader reads the widget in, a tag: their reply notifications are
    /// written in it (one the server lacks gives the server's language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The honeypot: a form field hidden from people. Anything in it marks the post as a bot's,
    /// which is then answered as if accepted and silently dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// The solved challenge from `GET /api/v1/challenge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pow: Option<ProofOfWork>,
}

/// A solved proof-of-work challenge (see [`crate::pow`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofOfWork {
    pub challenge: String,
    pub counter: u64,
}

/// Answer to `GET /api/v1/challenge`: fetched when the form opens, solved before posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub challenge: String,
    /// Leading zero bits required (0: any counter will do).
    pub difficulty: u8,
    /// Milliseconds before a post with this challenge is accepted (the minimum time between
    /// the form opening and the post).
    pub wait_ms: u64,
    /// Milliseconds during which the challenge is valid.
    pub expires_in_ms: u64,
}

/// Answer to a successful `POST /api/v1/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedComment {
    pub comment: Comment,
    /// Proves authorship for edit and delete within the edit window. Shown once, never stored
    /// in clear by the server.
    pub edit_token: String,
    /// Reply notifications were asked for an address not proven yet: a code was sent to it,
    /// and no notification goes there until it is typed (`POST /api/v1/auth/email/verify`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code_sent: bool,
}

/// `PATCH /api/v1/comments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditComment {
    pub body: String,
}

/// `POST /api/v1/comments/{id}/vote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    pub value: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteCounts {
    pub likes: u32,
    pub dislikes: u32,
    /// This reader's vote after the request: 1, -1 or 0.
    pub value: i64,
}

/// `POST /api/v1/counts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountsRequest {
    pub threads: Vec<String>,
    /// Language tags, most preferred first (a badge's, the page's, the reader's): with them,
    /// the answer also words each count, in the first language the server has (else English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsResponse {
    /// Every requested key, unknown threads with 0.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Each count in words ("3 comments"), when the request gave `languages`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<std::collections::BTreeMap<String, String>>,
}

/// `POST /api/v1/preview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewResponse {
    pub html: String,
}

/// `GET /api/v1/config`: what the widget needs to behave like the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    pub require_author: bool,
    pub require_email: bool,
    /// Seconds after posting during which the author may edit or delete.
    pub edit_window_secs: u64,
    /// In grapheme clusters.
    pub max_body_length: u32,
    /// Depth of the deepest reply (top-level comments are depth 0).
    pub max_depth: u32,
    pub moderation: ModerationMode,
    /// Largest `limit` accepted by `GET /api/v1/comments`.
    pub max_page_size: u32,
    /// Whether `GET /api/v1/feed` serves Atom feeds (the widget then links its thread's).
    #[serde(default)]
    pub feeds: bool,
    /// On a server of several blogs, the name of the page's (`[[site]]`): a feed link names
    /// it, since feed readers send no `Origin`. Absent with one blog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// How readers may prove who they are on this site: [`SIGN_IN_EMAIL`] (a code mailed),
    /// [`SIGN_IN_SSO`] (the site's single sign-on). Empty: guests only. A list of names, not a
    /// struct: the widget reads it with the code it already has.
    // The widget's first load has no use for these: its sign-in chunk reads them, so the
    // first load carries no reader for them (serde ignores the fields it is not told of).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub sign_in: Vec<String>,
    /// Only members of the site (single sign-on) may post.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub members_only: bool,
}

/// In [`ServerConfig::sign_in`]: readers may prove an email with a code.
pub const SIGN_IN_EMAIL: &str = "email";
/// In [`ServerConfig::sign_in`]: the site vouches for its members (`data-sso-token`).
pub const SIGN_IN_SSO: &str = "sso";

impl ServerConfig {
    /// Whether the site offers this way of signing in.
    pub fn offers(&self, method: &str) -> bool {
        self.sign_in.iter().any(|m| m == method)
    }
}

/// `POST /api/v1/auth/email`: send a sign-in code to this address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailCodeRequest {
    pub email: String,
    /// The language of the email, a tag (else the server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// `POST /api/v1/auth/email/verify`: the code typed by the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailCodeVerify {
    pub email: String,
    pub code: String,
}

/// `POST /api/v1/auth/password`: one of the blog's admins signs in inside the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSignIn {
    pub name: String,
    pub password: String,
}

/// `POST /api/v1/auth/sso`: the token the site's backend put in the tag (`data-sso-token`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSignIn {
    pub token: String,
}

/// `POST /api/v1/auth/sign-out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOut {
    /// Ends every session of this identity, on every device.
    #[serde(default)]
    pub everywhere: bool,
}

/// A new session: the bearer token the widget keeps in the blog's storage and sends as
/// `Authorization: Bearer …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub expires: Timestamp,
    pub me: Me,
}

/// `GET /api/v1/me`: who the bearer token proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub role: Role,
    /// The name their comments carry (reserved on the site); absent until they post.
    pub name: Option<String>,
    /// The proven address (verified readers; members whose site gave one).
    pub email: Option<String>,
    pub expires: Timestamp,
}

/// `GET /api/v1/me/comments?thread=…`: the signed-in reader's comments in one thread that
/// they may still edit, or that await moderation, on whichever device they signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyComments {
    pub comments: Vec<MyComment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyComment {
    pub comment: Comment,
    /// The Markdown as posted: editing starts from it.
    pub body: String,
}

/// `GET /api/v1/moderation?thread=…` (the blog's author, signed in): the thread's comments
/// awaiting moderation, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldComments {
    pub comments: Vec<Comment>,
}

/// What the blog's author may do to one comment from inside the widget: the actions of
/// `/admin`, with the same rules, log entries and emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentModeration {
    Approve,
    /// Refuses a held comment: it is removed.
    Reject,
    Spam,
    Delete,
    /// Blocks the comment's email address from posting again.
    BlockEmail,
    /// Blocks the comment's writer (their network and browser's hash).
    BlockReader,
}

/// `POST /api/v1/comments/{id}/moderation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerateComment {
    pub action: CommentModeration,
}

/// Answer to a moderation: the comment as readers now see it; `null` once it is out of
/// their sight (removed, spam, or held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderated {
    /// Comments the action changed (0 when it was done already).
    pub changed: u64,
    pub comment: Option<Comment>,
}

/// `POST /api/v1/threads/lock` (the blog's author, signed in): closes or reopens a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockThread {
    pub thread: String,
    pub locked: bool,
}

/// Answer to `DELETE /api/v1/comments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteResult {
    /// The placeholder left in place of a comment that had replies; `null` when the comment
    /// was removed entirely.
    pub placeholder: Option<Comment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_linked() {
        let with = |website: Option<&str>| Comment {
            id: 1,
            parent: None,
            author: None,
            website: website.map(str::to_owned),
            avatar: String::new(),
            html: String::new(),
            created: Timestamp::from_millis(0),
            edited: None,
            likes: 0,
            dislikes: 0,
            status: CommentStatus::Published,
            role: Default::default(),
        };
        let link = |website| with(website).website_link().map(str::to_owned);
        assert_eq!(
            link(Some("https://a.example/")).as_deref(),
            Some("https://a.example/")
        );
        assert_eq!(
            link(Some("http://a.example/")).as_deref(),
            Some("http://a.example/")
        );
        assert_eq!(link(Some("javascript:alert(1)")), None);
        assert_eq!(link(Some("HTTPS://a.example/")), None);
        assert_eq!(link(None), None);
    }
}

/// A header of `GET /api/v1/comments`: the change sequence the page reflects. A live-updates
/// stream opened with `after=` it brings every change the page does not show.
pub const EVENTS_AFTER_HEADER: &str = "palabre-events-after";

/// Threads one live-updates stream may follow (`GET /api/v1/events?thread=…`): the widgets of
/// one page.
pub const MAX_LIVE_THREADS: usize = 16;

/// One message of the live-updates stream (`GET /api/v1/events`, Server-Sent Events): the
/// `data` of each event, whose `id` is the change it reports. Only what a reader may see:
/// held comments never come through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A comment appeared (posted, or approved by a moderator) or changed (edited, votes,
    /// turned into a placeholder): as the thread page would show it now.
    Comment { thread: String, comment: Comment },
    /// A comment is gone (deleted, or taken down by a moderator).
    Removed { thread: String, id: i64 },
    /// The thread was locked, unlocked, hidden or shown.
    Thread {
        thread: String,
        locked: bool,
        hidden: bool,
        count: u64,
    },
    /// What was missed cannot be replayed (too long away): load the first page again.
    Reload,
}
