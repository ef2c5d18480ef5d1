//! Error codes: the stable, machine-readable part of every error response. The widget
//! translates them; `message` is an English fallback for humans reading raw responses.

use serde::{Deserialize, Serialize};

/// Every error the API can return. Serialized in `snake_case`; never renamed once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not syntactically valid JSON (includes invalid UTF-8).
    MalformedJson,
    /// The JSON is well formed but a field has the wrong type, is missing or unknown.
    InvalidField,
    /// A query-string parameter is missing or invalid.
    InvalidParameter,
    /// The pagination cursor was not produced by this server.
    InvalidCursor,
    /// Writes must be `Content-Type: application/json`.
    UnsupportedMediaType,
    /// The request body exceeds the server's size limit.
    PayloadTooLarge,
    ThreadInvalid,
    BodyEmpty,
    BodyTooLong,
    AuthorRequired,
    AuthorTooLong,
    EmailRequired,
    EmailInvalid,
    WebsiteInvalid,
    /// The parent comment does not exist, is not visible, or belongs to another thread.
    ParentNotFound,
    VoteInvalid,
    /// More thread keys than one counts request may carry.
    TooManyThreads,
    /// No such route.
    NotFound,
    CommentNotFound,
    MethodNotAllowed,
    /// No edit token was sent.
    TokenMissing,
    /// The edit token is not the one of this comment.
    TokenInvalid,
    EditWindowClosed,
    /// The comment was deleted and can no longer be edited or voted on.
    CommentDeleted,
    ThreadLocked,
    RateLimited,
    /// The commenter's email or network is blocked by the site's moderators.
    Blocked,
    /// More links than the site allows in one comment.
    TooManyLinks,
    /// The post carries no proof of work although the server asks for one.
    ChallengeRequired,
    /// The proof of work is wrong, expired, issued to someone else, or already used.
    ChallengeInvalid,
    /// Posted sooner after the form opened than a person could have written it.
    TooFast,
    /// The request's `Origin` is not one of the sites this server serves.
    UnknownSite,
    /// The name belongs to the blog's author or a verified reader of this site.
    NameReserved,
    /// The sign-in code is wrong, expired, used, or was tried too often.
    CodeInvalid,
    /// The bearer token is unknown, expired, revoked, or another site's.
    SessionInvalid,
    /// The single sign-on token's signature, algorithm, expiry or claims are not accepted.
    SsoInvalid,
    /// This site takes comments from its members only (single sign-on).
    SignInRequired,
    /// The admin name or password is wrong.
    CredentialsInvalid,
    /// Only the blog's author, signed in, may do this.
    ModeratorOnly,
    /// The passkey's answer is not accepted (unknown passkey, wrong site, failed check, or
    /// a ceremony expired or used).
    PasskeyInvalid,
    /// The server cannot reach its database for now; nothing was written.
    Unavailable,
    Internal,
}

/// Read by name through `String` (whose reader the widget has anyway, where a derived enum
/// reader costs it 2 KB); a code this version does not know, a later server's, reads as
/// `internal`: the reader gets a message rather than nothing.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == name)
            .unwrap_or(Self::Internal))
    }
}

impl ErrorCode {
    /// Every code, for documentation and for tests that check nothing is left untranslated.
    pub const ALL: &'static [ErrorCode] = &[
        Self::MalformedJson,
        Self::InvalidField,
        Self::InvalidParameter,
        Self::InvalidCursor,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::ThreadInvalid,
        Self::BodyEmpty,
        Self::BodyTooLong,
        Self::AuthorRequired,
        Self::AuthorTooLong,
        Self::EmailRequired,
        Self::EmailInvalid,
        Self::WebsiteInvalid,
        Self::ParentNotFound,
        Self::VoteInvalid,
        Self::TooManyThreads,
        Self::NotFound,
        Self::CommentNotFound,
        Self::MethodNotAllowed,
        Self::TokenMissing,
        Self::TokenInvalid,
        Self::EditWindowClosed,
        Self::CommentDeleted,
        Self::ThreadLocked,
        Self::RateLimited,
        Self::Blocked,
        Self::TooManyLinks,
        Self::ChallengeRequired,
        Self::ChallengeInvalid,
        Self::TooFast,
        Self::UnknownSite,
        Self::NameReserved,
        Self::CodeInvalid,
        Self::SessionInvalid,
        Self::SsoInvalid,
        Self::SignInRequired,
        Self::CredentialsInvalid,
        Self::ModeratorOnly,
        Self::PasskeyInvalid,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidField => "invalid_field",
            Self::InvalidParameter => "invalid_parameter",
            Self::InvalidCursor => "invalid_cursor",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::ThreadInvalid => "thread_invalid",
            Self::BodyEmpty => "body_empty",
            Self::BodyTooLong => "body_too_long",
            Self::AuthorRequired => "author_required",
            Self::AuthorTooLong => "author_too_long",
            Self::EmailRequired => "email_required",
            Self::EmailInvalid => "email_invalid",
            Self::WebsiteInvalid => "website_invalid",
            Self::ParentNotFound => "parent_not_found",
            Self::VoteInvalid => "vote_invalid",
            Self::TooManyThreads => "too_many_threads",
            Self::NotFound => "not_found",
            Self::CommentNotFound => "comment_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::TokenMissing => "token_missing",
            Self::TokenInvalid => "token_invalid",
            Self::EditWindowClosed => "edit_window_closed",
            Self::CommentDeleted => "comment_deleted",
            Self::ThreadLocked => "thread_locked",
            Self::RateLimited => "rate_limited",
            Self::Blocked => "blocked",
            Self::TooManyLinks => "too_many_links",
            Self::ChallengeRequired => "challenge_required",
            Self::ChallengeInvalid => "challenge_invalid",
            Self::TooFast => "too_fast",
            Self::UnknownSite => "unknown_site",
            Self::NameReserved => "name_reserved",
            Self::CodeInvalid => "code_invalid",
            Self::SessionInvalid => "session_invalid",
            Self::SsoInvalid => "sso_invalid",
            Self::SignInRequired => "sign_in_required",
            Self::CredentialsInvalid => "credentials_invalid",
            Self::ModeratorOnly => "moderator_only",
            Self::PasskeyInvalid => "passkey_invalid",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// HTTP status of this code. Lives here, next to the codes, so that adding a code without
    /// deciding its status does not compile.
    pub fn http_status(self) -> u16 {
        match self {
            Self::MalformedJson | Self::InvalidParameter | Self::InvalidCursor => 400,
            Self::TokenMissing
            | Self::SessionInvalid
            | Self::SsoInvalid
            | Self::CredentialsInvalid
            | Self::PasskeyInvalid => 401,
            Self::TokenInvalid
            | Self::EditWindowClosed
            | Self::ThreadLocked
            | Self::Blocked
            | Self::ChallengeRequired
            | Self::ChallengeInvalid
            | Self::UnknownSite
            | Self::CodeInvalid
            | Self::SignInRequired
            | Self::ModeratorOnly => 403,
            Self::NotFound | Self::CommentNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::CommentDeleted => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidField
            | Self::ThreadInvalid
            | Self::BodyEmpty
            | Self::BodyTooLong
            | Self::AuthorRequired
            | Self::AuthorTooLong
            | Self::EmailRequired
            | Self::EmailInvalid
            | Self::WebsiteInvalid
            | Self::ParentNotFound
            | Self::VoteInvalid
            | Self::TooManyThreads
            | Self::TooManyLinks
            | Self::NameReserved => 422,
            Self::RateLimited | Self::TooFast => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// English fallback message.
    pub fn default_message(self) -> &'static str {
        match self {
            Self::MalformedJson => "The request body is not valid JSON.",
            Self::InvalidField => "A field of the request has the wrong type or is unknown.",
            Self::InvalidParameter => "A query parameter is missing or invalid.",
            Self::InvalidCursor => "The pagination cursor is invalid.",
            Self::UnsupportedMediaType => "Send the request body as application/json.",
            Self::PayloadTooLarge => "The request body is too large.",
            Self::ThreadInvalid => {
                "The thread key is empty, too long or contains control characters."
            }
            Self::BodyEmpty => "The comment is empty.",
            Self::BodyTooLong => "The comment is too long.",
            Self::AuthorRequired => "A name is required.",
            Self::AuthorTooLong => "The name is too long.",
            Self::EmailRequired => "An email address is required.",
            Self::EmailInvalid => "The email address is not valid.",
            Self::WebsiteInvalid => "The website must be an http or https address.",
            Self::ParentNotFound => "The comment you reply to does not exist in this thread.",
            Self::VoteInvalid => "A vote is 1, -1 or 0.",
            Self::TooManyThreads => "Too many threads in one request.",
            Self::NotFound => "Not found.",
            Self::CommentNotFound => "No such comment.",
            Self::MethodNotAllowed => "Method not allowed.",
            Self::TokenMissing => "An edit token is required.",
            Self::TokenInvalid => "The edit token does not match this comment.",
            Self::EditWindowClosed => "The time to edit or delete this comment is over.",
            Self::CommentDeleted => "The comment was deleted.",
            Self::ThreadLocked => "This thread is closed to new comments.",
            Self::RateLimited => "Too many requests; try again later.",
            Self::Blocked => "This site's moderators do not accept comments from you.",
            Self::TooManyLinks => "The comment has more links than this site allows.",
            Self::ChallengeRequired => "Posting requires a solved proof-of-work challenge.",
            Self::ChallengeInvalid => "The proof-of-work solution is invalid, expired or used.",
            Self::TooFast => "Posted too soon after the form opened; wait a few seconds.",
            Self::UnknownSite => "This page's origin is not one of the sites this server serves.",
            Self::NameReserved => {
                "This name belongs to the blog's author or a verified reader: sign in to use it."
            }
            Self::CodeInvalid => "The code is wrong or has expired; ask for a new one.",
            Self::SessionInvalid => "The session has ended; sign in again.",
            Self::SsoInvalid => "The site's sign-in token is not valid.",
            Self::SignInRequired => "Sign in on this site to comment.",
            Self::CredentialsInvalid => "The name or password is wrong.",
            Self::ModeratorOnly => "Only the blog's author, signed in, may moderate here.",
            Self::PasskeyInvalid => {
                "The passkey was not accepted; sign in with your email instead."
            }
            Self::Unavailable => {
                "The database cannot be reached for now; nothing was written. Retry shortly."
            }
            Self::Internal => "Something went wrong on the server.",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// The JSON field or query parameter at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An input that failed to parse: which code, and which field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationError {
    pub code: ErrorCode,
    pub field: &'static str,
}

impl ValidationError {
    pub const fn new(code: ErrorCode, field: &'static str) -> Self {
        Self { code, field }
    }
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.code.default_message())
    }
}

impl std::error::Error for ValidationError {}

impl From<ValidationError> for ErrorBody {
    fn from(e: ValidationError) -> Self {
        ErrorBody {
            code: e.code,
            message: e.code.default_message().to_owned(),
            field: Some(e.field.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *code);
        }
        let later: ErrorCode = serde_json::from_str("\"a_code_of_a_later_server\"").unwrap();
        assert_eq!(later, ErrorCode::Internal);
        assert!(serde_json::from_str::<ErrorCode>("3").is_err());
    }

    #[test]
    fn every_code_is_an_error_status() {
        for code in ErrorCode::ALL {
            assert!((400..600).contains(&code.http_status()), "{code}");
            assert!(!code.default_message().is_empty());
        }
    }

    #[test]
    fn all_lists_each_code_once() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
