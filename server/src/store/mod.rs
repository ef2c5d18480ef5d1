//! Storage behind one trait. Callers see only these types: no backend type leaks through, so
//! a PostgreSQL backend fits without changing them. The backend is chosen at run time from the
//! database URL.

#[cfg(feature = "sqlite")]
pub mod sqlite;

use async_trait::async_trait;
use palabre_api::{CommentStatus, SortOrder, ThreadKey, Timestamp, VoteValue};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A referenced row is gone (e.g. the parent was deleted meanwhile).
    #[error("a referenced row does not exist")]
    ForeignKey,
    #[error("a row with the same key exists")]
    Unique,
    /// The new comment's proof-of-work challenge was spent already (a replay).
    #[error("the challenge was spent already")]
    ChallengeSpent,
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("storage backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    pub id: i64,
    pub key: String,
    pub title: Option<String>,
    pub locked: bool,
    /// Hidden by a moderator: readers see no comments and cannot post.
    pub hidden: bool,
    /// Published comments (0 for a hidden thread).
    pub count: u64,
}

/// What a post is checked against before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PostGate {
    /// The thread exists and is locked or hidden (a new thread takes posts).
    pub thread_closed: bool,
    /// The reader, or the email (case-insensitive, in any script), is blocked.
    pub blocked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRecord {
    pub id: i64,
    pub thread_key: String,
    pub parent_id: Option<i64>,
    pub root_id: i64,
    pub depth: u32,
    pub status: CommentStatus,
    pub author: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub avatar: String,
    pub body: String,
    pub html: String,
    pub created: Timestamp,
    pub edited: Option<Timestamp>,
    pub likes: u32,
    pub dislikes: u32,
    pub edit_token_hash: Vec<u8>,
    pub reader_hash: String,
    pub notify: bool,
    /// Marked as spam by a moderator (status stays pending: never shown).
    pub spam: bool,
}

/// A comment ready to be stored: every field parsed, rendered and placed in the tree.
#[derive(Debug, Clone)]
pub struct NewCommentRecord {
    pub thread: ThreadKey,
    pub title: Option<String>,
    /// The parent and its position, already clamped to the maximum depth by the caller.
    pub parent: Option<ParentPosition>,
    pub status: CommentStatus,
    pub author: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub avatar: String,
    pub body: String,
    pub html: String,
    pub created: Timestamp,
    pub edit_token_hash: Vec<u8>,
    pub reader_hash: String,
    pub notify: bool,
    /// Recorded as spent with the comment, in the same transaction: both or neither.
    pub challenge: Option<SpentChallenge>,
}

/// A verified proof-of-work challenge, to be recorded so that it is never accepted again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentChallenge {
    pub nonce: String,
    /// Kept until then; after it the challenge is refused as expired anyway.
    pub expires: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentPosition {
    pub id: i64,
    pub root_id: i64,
    pub depth: u32,
}

/// What deleting a comment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The row is gone (it had no replies).
    Removed,
    /// It had replies: it stays as an empty placeholder.
    Placeholder(Box<CommentRecord>),
}

/// Position after which the next page of top-level comments starts. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort: SortOrder,
    /// Likes minus dislikes (only meaningful for [`SortOrder::Top`]).
    pub score: i64,
    pub created: i64,
    pub id: i64,
}

impl Cursor {
    pub fn after(sort: SortOrder, c: &CommentRecord) -> Self {
        Self {
            sort,
            score: i64::from(c.likes) - i64::from(c.dislikes),
            created: c.created.as_millis(),
            id: c.id,
        }
    }

    pub fn encode(&self) -> String {
        let tag = match self.sort {
            SortOrder::Oldest => 'o',
            SortOrder::Newest => 'n',
            SortOrder::Top => 't',
        };
        format!("{tag}{}_{}_{}", self.score, self.created, self.id)
    }

    /// `None` unless `s` was produced by [`Cursor::encode`] for the same sort order.
    pub fn decode(s: &str, sort: SortOrder) -> Option<Self> {
        let mut chars = s.chars();
        let decoded_sort = match chars.next()? {
            'o' => SortOrder::Oldest,
            'n' => SortOrder::Newest,
            't' => SortOrder::Top,
            _ => return None,
        };
        let mut parts = chars.as_str().split('_').map(|p| p.parse::<i64>().ok());
        let (score, created, id) = (parts.next()??, parts.next()??, parts.next()??);
        (parts.next().is_none() && decoded_sort == sort).then_some(Self {
            sort,
            score,
            created,
            id,
        })
    }
}

#[derive(Debug, Clone)]
pub struct PageQuery {
    pub thread: ThreadKey,
    pub sort: SortOrder,
    /// Top-level comments per page.
    pub limit: u32,
    pub after: Option<Cursor>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub thread: ThreadRecord,
    /// The page's top-level comments in sort order, then all their visible replies in
    /// chronological order.
    pub comments: Vec<CommentRecord>,
    pub next: Option<Cursor>,
}

/// Which comments the admin list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedStatus {
    Published,
    /// Awaiting moderation (not spam): the queue.
    Pending,
    Deleted,
    Spam,
}

impl ListedStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Published, Self::Spam, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Pending => "pending",
            Self::Deleted => "deleted",
            Self::Spam => "spam",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn of(c: &CommentRecord) -> Self {
        match (c.status, c.spam) {
            (_, true) => Self::Spam,
            (CommentStatus::Published, _) => Self::Published,
            (CommentStatus::Pending, _) => Self::Pending,
            (CommentStatus::Deleted, _) => Self::Deleted,
        }
    }
}

/// Filters of the admin comment list; every one optional.
#[derive(Debug, Clone, Default)]
pub struct CommentFilter {
    pub thread: Option<String>,
    pub status: Option<ListedStatus>,
    /// Substring of the author's name or email, case-insensitive.
    pub author: Option<String>,
    /// Substring of the Markdown body, case-insensitive.
    pub text: Option<String>,
    /// Oldest first (the queue) instead of newest first.
    pub oldest_first: bool,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub key: String,
    pub title: Option<String>,
    pub locked: bool,
    pub hidden: bool,
    pub published: u64,
    pub pending: u64,
    pub last_comment: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A lowercased email address.
    Email,
    /// A reader hash (keyed hash of a network address).
    Reader,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Reader => "reader",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::Reader]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub value: String,
    pub created: Timestamp,
}

/// One line of the admin log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub admin: String,
    pub csrf_token: String,
    pub expires: Timestamp,
}

/// A comment as an import brings it: everything but its place in the tree, which
/// [`ImportTx::link_parents`] resolves once every comment of the source is in.
#[derive(Debug, Clone)]
pub struct ImportedComment {
    pub thread_id: i64,
    /// The id to keep (our own export format), when it is still free.
    pub wanted_id: Option<i64>,
    pub external_id: String,
    pub external_parent: Option<String>,
    pub status: CommentStatus,
    pub spam: bool,
    pub author: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub avatar: String,
    pub body: String,
    pub html: String,
    pub created: Timestamp,
    pub edited: Option<Timestamp>,
    pub likes: u32,
    pub dislikes: u32,
    pub edit_token_hash: Vec<u8>,
    pub reader_hash: String,
    pub notify: bool,
}

/// What linking an import's replies to their parents found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkReport {
    pub linked: u64,
    /// Replies whose parent is not in the source (or in another thread): kept at top level.
    pub orphans: u64,
    /// Deleted comments with no replies to hold: not kept.
    pub dropped_placeholders: u64,
}

/// One import, in one transaction: nothing is visible (or kept, on error) until
/// [`ImportTx::commit`].
#[async_trait]
pub trait ImportTx: Send {
    /// The thread's id, creating it (or filling a missing title) as needed.
    async fn thread(
        &mut self,
        key: &ThreadKey,
        title: Option<&str>,
        created: Timestamp,
        locked: bool,
        hidden: bool,
    ) -> Result<i64, StoreError>;
    /// Whether this source's comment was imported before (re-running adds nothing twice).
    async fn seen(&mut self, source: &str, external_id: &str) -> Result<bool, StoreError>;
    async fn comment(&mut self, source: &str, c: &ImportedComment) -> Result<i64, StoreError>;
    async fn vote(&mut self, comment_id: i64, voter: &str, value: i64) -> Result<(), StoreError>;
    /// Places this source's replies under their parents, computes roots and depths.
    async fn link_parents(&mut self, source: &str) -> Result<LinkReport, StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A thread as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedThread {
    pub key: String,
    pub title: Option<String>,
    pub locked: bool,
    pub hidden: bool,
    pub created: Timestamp,
}

/// Row counts, for tests and the admin overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub threads: u64,
    pub comments: u64,
    pub votes: u64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A server-wide setting.
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` unless the key already has one; returns the value that is stored.
    /// Race-free, so replicas starting together agree.
    async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError>;

    async fn thread(&self, key: &ThreadKey) -> Result<Option<ThreadRecord>, StoreError>;
    /// Returns false if the thread does not exist.
    async fn set_thread_locked(&self, key: &ThreadKey, locked: bool) -> Result<bool, StoreError>;
    /// Published comments per known thread; unknown keys are absent.
    async fn counts(&self, keys: &[ThreadKey]) -> Result<HashMap<String, u64>, StoreError>;

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>, StoreError>;
    /// Published comments carrying this email (moderation of first-time commenters).
    async fn published_by_email(&self, email: &str) -> Result<u64, StoreError>;
    /// Creates the thread if needed (or updates its title) and inserts the comment.
    async fn insert_comment(&self, new: NewCommentRecord) -> Result<CommentRecord, StoreError>;
    async fn update_comment_body(
        &self,
        id: i64,
        body: &str,
        html: &str,
        edited: Timestamp,
    ) -> Result<Option<CommentRecord>, StoreError>;
    /// Removes the comment, or blanks it into a placeholder when it has replies; then removes
    /// placeholders left without replies. `None` if there was no such comment.
    async fn delete_comment(&self, id: i64) -> Result<Option<Deletion>, StoreError>;
    /// Records (or withdraws) one voter's vote; returns the new (likes, dislikes).
    async fn vote(&self, id: i64, voter: &str, value: VoteValue) -> Result<(u32, u32), StoreError>;
    /// The voter's current vote: 1, -1 or 0.
    async fn vote_of(&self, id: i64, voter: &str) -> Result<i64, StoreError>;

    async fn totals(&self) -> Result<Totals, StoreError>;

    // Moderation.

    async fn set_thread_hidden(&self, key: &ThreadKey, hidden: bool) -> Result<bool, StoreError>;
    /// Threads with their counts, most recently commented first.
    async fn threads_overview(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ThreadSummary>, StoreError>;
    /// Sets status and spam flag (approve: published; spam: pending + flag). `None` if absent.
    async fn set_comment_status(
        &self,
        id: i64,
        status: CommentStatus,
        spam: bool,
    ) -> Result<Option<CommentRecord>, StoreError>;
    async fn list_comments(&self, filter: &CommentFilter)
    -> Result<Vec<CommentRecord>, StoreError>;
    /// Comments awaiting moderation (spam excluded).
    async fn pending_count(&self) -> Result<u64, StoreError>;
    /// Comments posted by this reader since `since` (the proof-of-work difficulty rises).
    async fn posts_by_reader_since(
        &self,
        reader: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError>;
    /// Turns reply notifications off for every comment carrying this email
    /// (case-insensitive); returns how many changed.
    async fn unsubscribe_email(&self, email: &str) -> Result<u64, StoreError>;

    /// Adds a block; adding an existing one is not an error.
    async fn add_block(
        &self,
        kind: BlockKind,
        value: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    async fn remove_block(&self, kind: BlockKind, value: &str) -> Result<bool, StoreError>;
    /// Whether this thread takes posts and this reader may post: one read before each post's
    /// insert rather than two.
    async fn post_gate(
        &self,
        thread: &ThreadKey,
        email: Option<&str>,
        reader: &str,
    ) -> Result<PostGate, StoreError>;
    async fn blocks(&self) -> Result<Vec<Block>, StoreError>;

    async fn log_action(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The latest entries, newest first.
    async fn admin_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// Creates the admin or replaces their password hash.
    async fn set_admin_password(
        &self,
        name: &str,
        hash: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    async fn admin_password_hash(&self, name: &str) -> Result<Option<String>, StoreError>;
    async fn create_session(
        &self,
        token_hash: &[u8],
        session: &AdminSession,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// The session, unless absent or expired at `now`.
    async fn session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<AdminSession>, StoreError>;
    async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError>;

    // Feeds and readers' data.

    /// Published comments, newest first, of one thread or (None) of every visible thread.
    async fn recent_comments(
        &self,
        thread: Option<&ThreadKey>,
        limit: u32,
    ) -> Result<Vec<CommentRecord>, StoreError>;
    /// Every comment carrying this email (case-insensitive), oldest first.
    async fn comments_by_email(&self, email: &str) -> Result<Vec<CommentRecord>, StoreError>;
    /// Removes a comment and every reply below it; returns how many rows went.
    async fn delete_subtree(&self, id: i64) -> Result<u64, StoreError>;

    // Import and export.

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, StoreError>;
    /// Every thread, in creation order.
    async fn export_threads(&self) -> Result<Vec<ExportedThread>, StoreError>;
    /// Every comment of a thread (all statuses), by id.
    async fn export_comments(&self, key: &str) -> Result<Vec<CommentRecord>, StoreError>;
    /// Every vote on the thread's comments: (comment id, voter, value), ordered.
    async fn export_votes(&self, key: &str) -> Result<Vec<(i64, String, i64)>, StoreError>;

    /// A page of a thread; `None` for a thread that does not exist.
    async fn thread_page(&self, query: &PageQuery) -> Result<Option<Page>, StoreError>;

    /// The change sequence now, and the threads changed after `seen`: whatever changed what
    /// a reader sees of them, made by any process sharing the database.
    async fn changes_since(&self, seen: i64) -> Result<Changes, StoreError>;
}

/// See [`Store::changes_since`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    pub seq: i64,
    pub threads: Vec<String>,
}

/// Opens the store named by `url` and brings its schema up to date.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    #[cfg(feature = "sqlite")]
    if url.starts_with("sqlite:") {
        return Ok(Arc::new(sqlite::SqliteStore::connect(url).await?));
    }
    let scheme = url.split(':').next().unwrap_or_default();
    Err(StoreError::UnsupportedUrl(format!(
        "{scheme}: (this build supports sqlite:)"
    )))
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            match db.kind() {
                sqlx::error::ErrorKind::ForeignKeyViolation => return Self::ForeignKey,
                sqlx::error::ErrorKind::UniqueViolation => return Self::Unique,
                _ => {}
            }
        }
        Self::Backend(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_tied_to_its_sort() {
        let c = Cursor {
            sort: SortOrder::Top,
            score: -3,
            created: 1_795_878_531_123,
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode(), SortOrder::Top), Some(c));
        assert_eq!(Cursor::decode(&c.encode(), SortOrder::Oldest), None);
        for bad in ["", "x1_2_3", "o1_2", "o1_2_3_4", "oa_b_c", "o1_2_"] {
            assert_eq!(Cursor::decode(bad, SortOrder::Oldest), None, "{bad}");
        }
    }
}
