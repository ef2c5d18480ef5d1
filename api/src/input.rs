//! Reader input parsed into typed values. The server parses every request with these; the
//! widget runs the very same functions before posting so the reader sees errors at once.
//! Lengths are counted in grapheme clusters: what a reader perceives as characters.

use crate::dto::{NewComment, ServerConfig};
use crate::error::{ErrorCode, ValidationError};
use crate::i18n::Lang;
use crate::unicode::{longer_than, lowercase};
use serde::{Deserialize, Serialize};

pub const MAX_THREAD_KEY_CHARS: usize = 400;
pub const MAX_TITLE_GRAPHEMES: usize = 200;
pub const MAX_AUTHOR_GRAPHEMES: usize = 64;
pub const MAX_EMAIL_BYTES: usize = 254;
pub const MAX_WEBSITE_BYTES: usize = 300;
/// How many thread keys one counts request may carry.
pub const MAX_COUNT_THREADS: usize = 200;
/// How many language tags one counts request may carry, and how long each may be.
pub const MAX_COUNT_LANGUAGES: usize = 16;
pub const MAX_LANGUAGE_TAG_BYTES: usize = 35;
/// Largest page of top-level comments a client may ask for (the API's `limit`, the widget's
/// `data-page-size`).
pub const MAX_PAGE_SIZE: u32 = 200;
/// Top-level comments per page of the API when a request does not say.
pub const API_DEFAULT_PAGE_SIZE: u32 = 50;
/// Top-level comments per page the widget asks for when its `data-page-size` does not say:
/// fewer than the API's, so an article's first screen comes sooner.
pub const WIDGET_DEFAULT_PAGE_SIZE: u32 = 20;
/// The server's default longest comment, in grapheme clusters (`--max-body-length`).
pub const DEFAULT_MAX_BODY_LENGTH: u32 = 10_000;
/// The server's default edit window, in seconds (`--edit-window`).
pub const DEFAULT_EDIT_WINDOW_SECS: u64 = 15 * 60;

/// Characters that never belong in a single-line field: C0/C1 controls and the bidi
/// overrides/isolates that let a name display as something else than it is.
fn is_forbidden_inline(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Trims, drops forbidden characters, and collapses runs of whitespace into one space.
fn clean_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().filter(|c| !is_forbidden_inline(*c)));
    }
    out
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Identifies a thread: usually the article's path. Any text without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThreadKey(String);
string_newtype!(ThreadKey);

impl ThreadKey {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let key = raw.trim();
        let err = ValidationError::new(ErrorCode::ThreadInvalid, "thread");
        if key.is_empty() || key.chars().count() > MAX_THREAD_KEY_CHARS {
            return Err(err);
        }
        if key.chars().any(is_forbidden_inline) {
            return Err(err);
        }
        Ok(Self(key.to_owned()))
    }
}

/// A thread's title, as the page gave it. Titles come from `document.title`, which the reader
/// does not control, so an overlong one is shortened rather than refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);
string_newtype!(Title);

impl Title {
    pub fn parse(raw: &str) -> Option<Self> {
        let clean = clean_line(raw);
        if clean.is_empty() {
            return None;
        }
        let (short, _) = crate::unicode::prefix(&clean, MAX_TITLE_GRAPHEMES);
        Some(Self(short.to_owned()))
    }
}

/// The Markdown source of a comment. Line breaks are normalised to `\n`; control characters
/// other than newline and tab are dropped; surrounding blank space is trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);
string_newtype!(CommentBody);

impl CommentBody {
    pub fn parse(raw: &str, max_graphemes: usize) -> Result<Self, ValidationError> {
        // Line endings become \n and other controls go, in one pass.
        let mut cleaned = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    chars.next_if_eq(&'\n');
                    cleaned.push('\n');
                }
                '\n' | '\t' => cleaned.push(c),
                c if c.is_control() => {}
                c => cleaned.push(c),
            }
        }
        let body = cleaned.trim();
        if body.is_empty() {
            return Err(ValidationError::new(ErrorCode::BodyEmpty, "body"));
        }
        if longer_than(body, max_graphemes) {
            return Err(ValidationError::new(ErrorCode::BodyTooLong, "body"));
        }
        Ok(Self(if body.len() == cleaned.len() {
            cleaned
        } else {
            body.to_owned()
        }))
    }
}

/// A display name: plain text on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorName(String);
string_newtype!(AuthorName);

impl AuthorName {
    /// `Ok(None)` for an empty name.
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        let clean = clean_line(raw);
        if clean.is_empty() {
            return Ok(None);
        }
        if longer_than(&clean, MAX_AUTHOR_GRAPHEMES) {
            return Err(ValidationError::new(ErrorCode::AuthorTooLong, "author"));
        }
        Ok(Some(Self(clean)))
    }
}

/// An email address, checked for shape only (the only real check is sending mail to it).
/// The domain is lower-cased; the local part is kept as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let err = ValidationError::new(ErrorCode::EmailInvalid, "email");
        if s.len() > MAX_EMAIL_BYTES {
            return Err(err);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(err)?;
        let bad_char =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
        if local.is_empty() || local.len() > 64 || local.chars().any(bad_char) {
            return Err(err);
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && !l.chars().any(bad_char)
        });
        if !domain.contains('.') || !labels_ok {
            return Err(err);
        }
        Ok(Some(Self(format!("{local}@{}", lowercase(domain)))))
    }

    /// The form used for identity (avatar seed, "same commenter" checks).
    pub fn normalized(&self) -> String {
        lowercase(&self.0)
    }
}

/// A reader's website: an absolute http(s) URL. A bare `example.org` gets `https://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website(String);
string_newtype!(Website);

impl Website {
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let err = ValidationError::new(ErrorCode::WebsiteInvalid, "website");
        if s.len() > MAX_WEBSITE_BYTES {
            return Err(err);
        }
        let lower = s.to_ascii_lowercase();
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            s.to_owned()
        } else if !s.contains(':') || s.split('/').next().is_some_and(is_host_port) {
            // No scheme at all ("example.org/me"): assume https. Anything else with a colon
            // before the first slash is another scheme (javascript:, data:, ftp:) and refused.
            format!("https://{s}")
        } else {
            return Err(err);
        };
        let (scheme, rest) = url.split_once("://").ok_or(err)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // Credentials in a link are a phishing device, never a reader's homepage.
        if authority.contains('@') || !is_host_port(authority) {
            return Err(err);
        }
        if url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"`\\{}|^".contains(c))
        {
            return Err(err);
        }
        let scheme = scheme.to_ascii_lowercase();
        let tail = &rest[authority.len()..];
        Ok(Some(Self(format!(
            "{scheme}://{}{tail}",
            lowercase(authority)
        ))))
    }
}

/// `host` or `host:port`, where host is a DNS name (possibly internationalised) or IPv4.
fn is_host_port(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    // Any non-ASCII letter passes the last test: no Unicode tables needed.
                    .all(|c| {
                        c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && !c.is_control())
                    })
        })
}

/// Order of top-level comments in a thread. Replies are always oldest first under their parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Oldest,
    Newest,
    /// Highest likes minus dislikes first.
    Top,
}

impl SortOrder {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "oldest" => Ok(Self::Oldest),
            "newest" => Ok(Self::Newest),
            "top" => Ok(Self::Top),
            _ => Err(ValidationError::new(ErrorCode::InvalidParameter, "sort")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oldest => "oldest",
            Self::Newest => "newest",
            Self::Top => "top",
        }
    }
}

/// A reader's vote on a comment: like, dislike, or withdraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteValue {
    Like,
    Dislike,
    Withdraw,
}

impl VoteValue {
    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match raw {
            1 => Ok(Self::Like),
            -1 => Ok(Self::Dislike),
            0 => Ok(Self::Withdraw),
            _ => Err(ValidationError::new(ErrorCode::VoteInvalid, "value")),
        }
    }

    pub fn as_i64(self) -> i64 {
        match self {
            Self::Like => 1,
            Self::Dislike => -1,
            Self::Withdraw => 0,
        }
    }
}

/// The rules a new comment is checked against; the server publishes them at `/api/v1/config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentRules {
    pub max_body_length: usize,
    pub require_author: bool,
    pub require_email: bool,
}

impl CommentRules {
    /// The server's defaults: what the widget checks against until it has read
    /// `/api/v1/config`.
    pub const DEFAULTS: Self = Self {
        max_body_length: DEFAULT_MAX_BODY_LENGTH as usize,
        require_author: false,
        require_email: false,
    };
}

impl From<&ServerConfig> for CommentRules {
    fn from(c: &ServerConfig) -> Self {
        Self {
            max_body_length: c.max_body_length as usize,
            require_author: c.require_author,
            require_email: c.require_email,
        }
    }
}

/// A new comment whose every field has been parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidNewComment {
    pub thread: ThreadKey,
    pub title: Option<Title>,
    pub parent: Option<i64>,
    pub author: Option<AuthorName>,
    pub email: Option<Email>,
    pub website: Option<Website>,
    pub body: CommentBody,
    pub notify: bool,
    /// The language of the reply notifications, when asked for and one we have.
    pub notify_lang: Option<Lang>,
}

impl NewComment {
    /// Parses every field, in the order the form shows them, and returns the first error.
    pub fn validate(&self, rules: &CommentRules) -> Result<ValidNewComment, ValidationError> {
        let thread = ThreadKey::parse(&self.thread)?;
        let author = AuthorName::parse(self.author.as_deref().unwrap_or(""))?;
        if rules.require_author && author.is_none() {
            return Err(ValidationError::new(ErrorCode::AuthorRequired, "author"));
        }
        let email = Email::parse(self.email.as_deref().unwrap_or(""))?;
        if rules.require_email && email.is_none() {
            return Err(ValidationError::new(ErrorCode::EmailRequired, "email"));
        }
        let website = Website::parse(self.website.as_deref().unwrap_or(""))?;
        let body = CommentBody::parse(&self.body, rules.max_body_length)?;
        let notify = self.notify.unwrap_or(false) && email.is_some();
        let lang = self.lang.as_deref().unwrap_or("");
        if lang.len() > MAX_LANGUAGE_TAG_BYTES {
            return Err(ValidationError::new(ErrorCode::InvalidField, "lang"));
        }
        let notify_lang = Lang::from_tag(lang).filter(|_| notify);
        Ok(ValidNewComment {
            thread,
            title: self.title.as_deref().and_then(Title::parse),
            parent: self.parent,
            author,
            email,
            website,
            body,
            notify,
            notify_lang,
        })
    }
}

/// The language a counts request's labels are in (`CountsRequest::languages`, most preferred
/// first): none without tags, else the first one we have, or English. More than
/// [`MAX_COUNT_LANGUAGES`] tags, or one longer than [`MAX_LANGUAGE_TAG_BYTES`], is refused.
pub fn count_labels_lang(tags: Option<&[String]>) -> Result<Option<Lang>, ValidationError> {
    let Some(tags) = tags else {
        return Ok(None);
    };
    if tags.len() > MAX_COUNT_LANGUAGES || tags.iter().any(|t| t.len() > MAX_LANGUAGE_TAG_BYTES) {
        return Err(ValidationError::new(ErrorCode::InvalidField, "languages"));
    }
    Ok(Some(Lang::first_known(tags).unwrap_or(Lang::En)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_labels_language() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(count_labels_lang(None), Ok(None));
        assert_eq!(
            count_labels_lang(Some(&tags(&["ja", "fr-CA"]))),
            Ok(Some(Lang::Fr))
        );
        assert_eq!(count_labels_lang(Some(&tags(&["ja"]))), Ok(Some(Lang::En)));
        assert_eq!(
            count_labels_lang(Some(&tags(&["pl-PL"]))),
            Ok(Some(Lang::Pl))
        );
        assert_eq!(count_labels_lang(Some(&[])), Ok(Some(Lang::En)));
        assert_eq!(
            code(count_labels_lang(Some(&tags(&["fr"; 17])))),
            ErrorCode::InvalidField
        );
        let long = "x".repeat(MAX_LANGUAGE_TAG_BYTES + 1);
        assert_eq!(
            code(count_labels_lang(Some(&[long]))),
            ErrorCode::InvalidField
        );
    }

    const RULES: CommentRules = CommentRules {
        max_body_length: 10,
        require_author: false,
        require_email: false,
    };

    fn code<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> ErrorCode {
        r.expect_err("should fail").code
    }

    #[test]
    fn thread_key() {
        assert_eq!(
            ThreadKey::parse(" /2026/11/post ").unwrap().as_str(),
            "/2026/11/post"
        );
        assert_eq!(code(ThreadKey::parse("  ")), ErrorCode::ThreadInvalid);
        assert_eq!(code(ThreadKey::parse("/a\nb")), ErrorCode::ThreadInvalid);
        assert_eq!(
            code(ThreadKey::parse(&"x".repeat(401))),
            ErrorCode::ThreadInvalid
        );
        assert!(ThreadKey::parse(&"é".repeat(400)).is_ok());
    }

    #[test]
    fn body_counts_graphemes_not_bytes() {
        // Ten family emoji are 10 graphemes but 250 bytes.
        let family = "👨‍👩‍👧‍👦".repeat(10);
        assert!(CommentBody::parse(&family, 10).is_ok());
        assert_eq!(
            code(CommentBody::parse(&format!("{family}!"), 10)),
            ErrorCode::BodyTooLong
        );
        // At the limit, byte for byte and cluster for cluster.
        assert!(CommentBody::parse(&"a".repeat(10), 10).is_ok());
        assert_eq!(
            code(CommentBody::parse(&"a".repeat(11), 10)),
            ErrorCode::BodyTooLong
        );
        assert!(CommentBody::parse(&"é".repeat(10), 10).is_ok());
        assert!(AuthorName::parse(&"ß".repeat(MAX_AUTHOR_GRAPHEMES)).is_ok());
        assert_eq!(
            code(AuthorName::parse(&"ß".repeat(MAX_AUTHOR_GRAPHEMES + 1))),
            ErrorCode::AuthorTooLong
        );
        assert_eq!(code(CommentBody::parse(" \n\t ", 10)), ErrorCode::BodyEmpty);
        assert_eq!(
            code(CommentBody::parse("\u{0}\u{7}", 10)),
            ErrorCode::BodyEmpty
        );
    }

    #[test]
    fn body_normalises_newlines_and_strips_controls() {
        assert_eq!(
            CommentBody::parse("a\r\r\nb\r", 100).unwrap().as_str(),
            "a\n\nb"
        );
        let b = CommentBody::parse("  a\r\nb\rc\u{0}d\u{1b}[31m  ", 100).unwrap();
        assert_eq!(b.as_str(), "a\nb\ncd[31m");
    }

    #[test]
    fn author_is_one_clean_line() {
        assert_eq!(AuthorName::parse("  ").unwrap(), None);
        let a = AuthorName::parse(" Jeanne \n  d'Arc\u{202E}  ")
            .unwrap()
            .unwrap();
        assert_eq!(a.as_str(), "Jeanne d'Arc");
        assert_eq!(
            code(AuthorName::parse(&"a".repeat(65))),
            ErrorCode::AuthorTooLong
        );
        assert!(AuthorName::parse(&"é".repeat(64)).unwrap().is_some());
    }

    #[test]
    fn email_shape() {
        assert_eq!(
            Email::parse(" Ana@Example.ORG ").unwrap().unwrap().as_str(),
            "Ana@example.org"
        );
        assert_eq!(Email::parse("").unwrap(), None);
        for bad in [
            "ana",
            "ana@",
            "@x.org",
            "ana@localhost",
            "a b@x.org",
            "a@x..org",
            "a@-x.org",
            "<a@x.org>",
        ] {
            assert_eq!(code(Email::parse(bad)), ErrorCode::EmailInvalid, "{bad}");
        }
    }

    #[test]
    fn website_must_be_http() {
        let ok = |s: &str| Website::parse(s).unwrap().unwrap().into_string();
        assert_eq!(
            ok("https://Example.org/Me?x=1"),
            "https://example.org/Me?x=1"
        );
        assert_eq!(ok("HTTP://example.org"), "http://example.org");
        assert_eq!(ok("example.org/blog"), "https://example.org/blog");
        assert_eq!(ok("example.org:8080"), "https://example.org:8080");
        assert_eq!(ok("https://bücher.de"), "https://bücher.de");
        assert_eq!(Website::parse(" ").unwrap(), None);
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>",
            "ftp://example.org",
            "https://",
            "https:///path",
            "https://user:pw@example.org",
            "https://exa mple.org",
            "https://example.org/\"onmouseover=\"x",
            "//example.org",
            "vbscript:msgbox",
        ] {
            assert_eq!(
                code(Website::parse(bad)),
                ErrorCode::WebsiteInvalid,
                "{bad}"
            );
        }
        assert_eq!(
            code(Website::parse(&format!(
                "https://x.org/{}",
                "a".repeat(300)
            ))),
            ErrorCode::WebsiteInvalid
        );
    }

    #[test]
    fn title_is_shortened_not_refused() {
        let t = Title::parse(&"t".repeat(500)).unwrap();
        assert_eq!(t.as_str().len(), MAX_TITLE_GRAPHEMES);
        assert_eq!(Title::parse("  "), None);
    }

    #[test]
    fn sort_and_vote() {
        assert_eq!(SortOrder::parse("top").unwrap(), SortOrder::Top);
        assert_eq!(
            code(SortOrder::parse("random")),
            ErrorCode::InvalidParameter
        );
        assert_eq!(VoteValue::parse(-1).unwrap(), VoteValue::Dislike);
        assert_eq!(code(VoteValue::parse(2)), ErrorCode::VoteInvalid);
    }

    fn new_comment(body: &str) -> NewComment {
        NewComment {
            thread: "/t".into(),
            body: body.into(),
            ..Default::default()
        }
    }

    #[test]
    fn new_comment_rules() {
        let strict = CommentRules {
            require_author: true,
            require_email: true,
            ..RULES
        };
        assert_eq!(
            code(new_comment("hi").validate(&strict)),
            ErrorCode::AuthorRequired
        );
        let mut c = new_comment("hi");
        c.author = Some("Ana".into());
        assert_eq!(code(c.validate(&strict)), ErrorCode::EmailRequired);
        c.email = Some("ana@example.org".into());
        c.notify = Some(true);
        let v = c.validate(&strict).unwrap();
        assert!(v.notify);
        assert_eq!(
            code(new_comment("12345678901").validate(&RULES)),
            ErrorCode::BodyTooLong
        );
    }

    #[test]
    fn the_reply_language_is_kept_with_notifications_only() {
        let mut c = new_comment("hi");
        c.email = Some("a@b.org".into());
        c.notify = Some(true);
        c.lang = Some("pl-PL".into());
        assert_eq!(c.validate(&RULES).unwrap().notify_lang, Some(Lang::Pl));
        c.lang = Some("ja".into());
        assert_eq!(c.validate(&RULES).unwrap().notify_lang, None);
        c.lang = Some("fr".into());
        c.notify = None;
        assert_eq!(c.validate(&RULES).unwrap().notify_lang, None);
        c.lang = Some("x".repeat(36));
        assert_eq!(c.validate(&RULES).unwrap_err().field, "lang");
    }

    #[test]
    fn notify_needs_an_email() {
        let mut c = new_comment("hi");
        c.notify = Some(true);
        assert!(!c.validate(&RULES).unwrap().notify);
    }
}
