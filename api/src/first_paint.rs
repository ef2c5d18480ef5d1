//! A thread's first page drawn by the server, so a reader sees the comments before the
//! widget's code has arrived: the loader shows it, and the widget takes over once it has drawn
//! the same page. Both sides describe what a first paint was drawn for with
//! [`FirstPaint::signature`]; the widget keeps one only if it would draw exactly that.

use crate::i18n::Lang;
use crate::{CommentStatus, SortOrder, ThreadKey};

/// Top-level comments (with their replies) a first paint holds, of the page's: a reader sees
/// the first few at once, and a short first paint arrives and shows sooner. The widget's own
/// drawing, which takes its place, adds the rest of the page below them.
pub const FIRST_PAINT_ROOTS: usize = 4;

/// Replies deeper than this are drawn at this depth unless the blog owner says otherwise.
pub const DEFAULT_VISUAL_DEPTH: usize = 4;
pub const MAX_VISUAL_DEPTH: usize = 10;

/// Everything that decides a first page's markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstPaint {
    pub thread: ThreadKey,
    pub sort: SortOrder,
    /// Top-level comments per page.
    pub limit: u32,
    pub lang: Lang,
    pub avatars: bool,
    pub votes: bool,
    pub max_depth: usize,
}

impl FirstPaint {
    /// One line naming all of the above; the thread key last, since it may hold spaces.
    pub fn signature(&self) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            self.lang.tag(),
            self.sort.as_str(),
            self.limit,
            u8::from(self.avatars),
            u8::from(self.votes),
            self.max_depth,
            self.thread.as_str()
        )
    }
}

// What both renderers decide alike: the server's first paint must be the page the widget
// draws, or the handoff from one to the other shows.

/// The classes of a comment's `<li>`.
pub fn comment_class(status: CommentStatus) -> &'static str {
    match status {
        CommentStatus::Pending => "comment pending",
        CommentStatus::Deleted => "comment is-deleted",
        CommentStatus::Published => "comment",
    }
}

/// The replies of a comment at `depth` (0: top level) are drawn flat, not indented further.
pub fn replies_flat(depth: usize, max_depth: usize) -> bool {
    depth + 1 > max_depth
}

/// A deleted comment is a placeholder: no body, no votes, no Reply.
pub fn has_actions(status: CommentStatus) -> bool {
    status != CommentStatus::Deleted
}

/// Reply shows under comments of an open thread only; a locked thread says so at its end,
/// where the form would be.
pub fn offers_reply(locked: bool) -> bool {
    !locked
}

/// A comment awaiting moderation (shown to its author only) says so.
pub fn notes_pending(status: CommentStatus) -> bool {
    status == CommentStatus::Pending
}

/// A comment with replies can fold them away.
pub fn collapsible(replies: usize) -> bool {
    replies > 0
}

/// A `data-*` on/off attribute: absent or empty means on; `None` for a word we don't know.
pub fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim() {
        "" | "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A `data-max-depth` value: 0 to [`MAX_VISUAL_DEPTH`]; `None` for anything else.
pub fn parse_depth(raw: &str) -> Option<usize> {
    raw.trim()
        .parse()
        .ok()
        .filter(|depth| *depth <= MAX_VISUAL_DEPTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_names_every_choice() {
        let paint = FirstPaint {
            thread: ThreadKey::parse("/a post").unwrap(),
            sort: SortOrder::Newest,
            limit: 20,
            lang: Lang::Fr,
            avatars: false,
            votes: true,
            max_depth: 4,
        };
        assert_eq!(paint.signature(), "fr newest 20 0 1 4 /a post");
        let other = FirstPaint {
            avatars: true,
            ..paint.clone()
        };
        assert_ne!(paint.signature(), other.signature());
    }

    #[test]
    fn flags() {
        assert_eq!(parse_flag(""), Some(true));
        assert_eq!(parse_flag(" no "), Some(false));
        assert_eq!(parse_flag("0"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
    }

    #[test]
    fn depths() {
        assert_eq!(parse_depth(" 0 "), Some(0));
        assert_eq!(parse_depth("10"), Some(MAX_VISUAL_DEPTH));
        assert_eq!(parse_depth("11"), None);
        assert_eq!(parse_depth("-1"), None);
        assert_eq!(parse_depth(""), None);
    }
}
