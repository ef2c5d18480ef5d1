//! Storage behind one trait. Callers see only these types: no backend type leaks through, so
//! a PostgreSQL backend fits without changing them. The backend is chosen at run time from the
//! database URL.

pub mod deliveries;
pub mod federation;
mod post_batches;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use async_trait::async_trait;
use palabre_api::i18n::Lang;
use palabre_api::{CommentStatus, Role, SortOrder, ThreadKey, Timestamp, VoteValue};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

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
    /// The database cannot be reached now (refused, gone away, pool exhausted); it may come
    /// back. Nothing was written.
    /// This backend does not do that (e.g. file backups of PostgreSQL: `pg_dump` does).
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("the database is unreachable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("storage backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A blog's name as the configuration declares it (`[[site]]`): lowercase ASCII letters,
/// digits and `-`, at most 40. Stored with every thread: `/about` on two blogs is two threads.
/// Shared, not copied: every request names its site, and a clone is a reference count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteName(std::sync::Arc<str>);

impl SiteName {
    pub const MAX_CHARS: usize = 40;
    /// The site of a server without `[[site]]` tables, and of every thread stored before
    /// sites existed.
    pub const DEFAULT: &'static str = "default";

    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_CHARS
            && !raw.starts_with('-')
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.into()))
        } else {
            Err(format!(
                "site name {raw:?} must be 1 to {} lowercase letters, digits or '-', not starting with '-'",
                Self::MAX_CHARS
            ))
        }
    }

    pub fn default_site() -> Self {
        Self(Self::DEFAULT.into())
    }

    /// A name read back from the database (written by [`SiteName::parse`]'s values).
    fn stored(name: &str) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SiteName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How logs, emails and admin pages name a thread: its key, followed by ` @site` unless it
/// is the default site's (so a single-blog server's names are its keys).
pub fn thread_label(site: &SiteName, key: &str) -> String {
    if site.as_str() == SiteName::DEFAULT {
        key.to_owned()
    } else {
        format!("{key} @{site}")
    }
}

/// A thread: its key within one site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThreadRef {
    pub site: SiteName,
    pub key: ThreadKey,
}

impl std::fmt::Display for ThreadRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&thread_label(&self.site, self.key.as_str()))
    }
}

impl ThreadRef {
    pub fn new(site: SiteName, key: ThreadKey) -> Self {
        Self { site, key }
    }

    /// A thread as the database names it (the key was parsed before it was stored).
    fn stored(site: SiteName, key: &str) -> Result<Self, StoreError> {
        let key = ThreadKey::parse(key)
            .map_err(|_| StoreError::Backend(format!("stored thread key {key:?}").into()))?;
        Ok(Self::new(site, key))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    pub id: i64,
    pub site: SiteName,
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
    pub site: SiteName,
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
    /// The language its reply notifications are written in; the server's when `None`.
    pub notify_lang: Option<Lang>,
    /// Marked as spam by a moderator (status stays pending: never shown).
    pub spam: bool,
    /// The proven identity that posted it (none for a guest, or once the identity is erased).
    pub identity_id: Option<i64>,
    pub role: Role,
}

impl CommentRecord {
    /// The comment's thread, as logs and emails name it ([`thread_label`]).
    pub fn thread_label(&self) -> String {
        thread_label(&self.site, &self.thread_key)
    }

    /// The comment's thread.
    pub fn thread(&self) -> Result<ThreadRef, StoreError> {
        ThreadRef::stored(self.site.clone(), &self.thread_key)
    }
}

/// A stored language tag, read back (`None` for none, or one this release lacks).
pub fn lang_of(tag: Option<String>) -> Option<Lang> {
    tag.as_deref().and_then(Lang::from_tag)
}

/// A stored status column; anything else is the database's fault, not the caller's.
fn status_of(status: &str) -> Result<CommentStatus, StoreError> {
    CommentStatus::parse(status).ok_or_else(|| {
        StoreError::Backend(format!("unknown comment status {status:?} in database").into())
    })
}

/// The public view of a stored comment: no email, token hash or reader hash.
impl From<CommentRecord> for palabre_api::Comment {
    fn from(c: CommentRecord) -> Self {
        Self {
            id: c.id,
            parent: c.parent_id,
            author: c.author,
            website: c.website,
            avatar: c.avatar,
            html: c.html,
            created: c.created,
            edited: c.edited,
            likes: c.likes,
            dislikes: c.dislikes,
            status: c.status,
            role: c.role,
        }
    }
}

/// A stored role column.
fn role_of(role: &str) -> Result<Role, StoreError> {
    Role::parse(role)
        .ok_or_else(|| StoreError::Backend(format!("unknown role {role:?} in database").into()))
}

/// A comment ready to be stored: every field parsed, rendered and placed in the tree.
#[derive(Debug, Clone)]
pub struct NewCommentRecord {
    pub thread: ThreadRef,
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
    pub notify_lang: Option<Lang>,
    /// Recorded as spent with the comment, in the same transaction: both or neither.
    pub challenge: Option<SpentChallenge>,
    pub identity_id: Option<i64>,
    pub role: Role,
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

/// What [`ModerationStore::moderate_comments`] does to each comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentChange {
    /// Published, not spam.
    Publish,
    /// Held and flagged as spam.
    MarkSpam,
    /// As [`ThreadStore::delete_comment`].
    Delete,
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
    pub thread: ThreadRef,
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
    /// Every site's when `None`.
    pub site: Option<SiteName>,
    pub thread: Option<String>,
    pub status: Option<ListedStatus>,
    /// Only the comments of this identity (signed in when they posted).
    pub identity: Option<i64>,
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
    pub site: SiteName,
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
    pub role: Role,
    /// What the source said of the comment (its date and raw text), hashed: how a later run
    /// tells that the ledger's comment is this one (see [`LedgerEntry`]).
    pub fingerprint: [u8; 32],
}

/// What the import ledger holds under one source id, and the comment it names as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub comment_id: i64,
    pub thread_id: i64,
    pub created: Timestamp,
    pub status: CommentStatus,
    pub body: String,
    /// `None` for entries written before fingerprints were kept.
    pub fingerprint: Option<Vec<u8>>,
}

/// A ledger row as both backends select it: the comment's id, thread, creation (ms), status
/// and body, then the entry's fingerprint.
type LedgerRow = (i64, i64, i64, String, String, Option<Vec<u8>>);

fn ledger_entry(row: LedgerRow) -> Result<LedgerEntry, StoreError> {
    let (comment_id, thread_id, created, status, body, fingerprint) = row;
    Ok(LedgerEntry {
        comment_id,
        thread_id,
        created: Timestamp::from_millis(created),
        status: status_of(&status)?,
        body,
        fingerprint,
    })
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
        thread: &ThreadRef,
        title: Option<&str>,
        created: Timestamp,
        locked: bool,
        hidden: bool,
    ) -> Result<i64, StoreError>;
    /// What the ledger holds under this source id: the comment an earlier run (or this one)
    /// made of it.
    async fn ledger(
        &mut self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<LedgerEntry>, StoreError>;
    /// Moves a ledger entry to another id (an entry written before ids named their origin),
    /// with its parent's id and the fingerprint it lacked.
    async fn rekey(
        &mut self,
        source: &str,
        from: &str,
        to: &str,
        parent: Option<&str>,
        fingerprint: &[u8; 32],
    ) -> Result<(), StoreError>;
    /// Stores the comment and its ledger entry (which, if the id had one, now names this
    /// comment).
    async fn comment(&mut self, source: &str, c: &ImportedComment) -> Result<i64, StoreError>;
    async fn vote(&mut self, comment_id: i64, voter: &str, value: i64) -> Result<(), StoreError>;
    /// Places this source's replies under their parents, computes roots and depths.
    async fn link_parents(&mut self, source: &str) -> Result<LinkReport, StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Where an import puts the comments of the threads it touched; see [`import_placement`].
#[derive(Debug, Default, PartialEq, Eq)]
struct Placement {
    /// Comments whose parent link closes a cycle or leaves the threads (bad source data):
    /// they become top-level.
    cut: Vec<i64>,
    /// (id, root, depth) of each comment whose root or depth must change.
    moved: Vec<(i64, i64, i64)>,
}

/// Roots and depths from `(id, parent, root, depth)` rows: pure Rust, so every backend places
/// imported replies alike.
fn import_placement(rows: &[(i64, Option<i64>, i64, i64)]) -> Placement {
    let parent_of: HashMap<i64, Option<i64>> = rows
        .iter()
        .map(|(id, parent, _, _)| (*id, *parent))
        .collect();
    let mut placement = Placement::default();
    let mut placed: HashMap<i64, (i64, i64)> = HashMap::with_capacity(rows.len());
    for (id, _, _, _) in rows {
        // Walk up to a placed ancestor or a root; a cycle is cut where it closes, making
        // that comment a root.
        let mut chain = vec![*id];
        let mut seen = std::collections::HashSet::from([*id]);
        let mut base = None;
        while let Some(&top) = chain.last() {
            if let Some(&done) = placed.get(&top) {
                chain.pop();
                base = Some(done);
                break;
            }
            match parent_of.get(&top).copied().flatten() {
                Some(p) if parent_of.contains_key(&p) && seen.insert(p) => chain.push(p),
                parent => {
                    if parent.is_some() {
                        placement.cut.push(top);
                    }
                    placed.insert(top, (top, 0));
                    chain.pop();
                    base = Some((top, 0));
                    break;
                }
            }
        }
        let (root, mut depth) = base.unwrap_or((*id, 0));
        while let Some(node) = chain.pop() {
            depth += 1;
            placed.insert(node, (root, depth));
        }
    }
    for (id, _, root, depth) in rows {
        let (want_root, want_depth) = placed[id];
        if (want_root, want_depth) != (*root, *depth) {
            placement.moved.push((*id, want_root, want_depth));
        }
    }
    placement
}

/// A thread as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedThread {
    pub site: SiteName,
    pub key: String,
    pub title: Option<String>,
    pub locked: bool,
    pub hidden: bool,
    pub created: Timestamp,
}

impl ExportedThread {
    /// The exported thread.
    pub fn thread(&self) -> Result<ThreadRef, StoreError> {
        ThreadRef::stored(self.site.clone(), &self.key)
    }
}

/// Row counts, for tests and the admin overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub threads: u64,
    pub comments: u64,
    pub votes: u64,
}

/// Threads and their comments, votes, pages and the changes readers see.
#[async_trait]
pub trait ThreadStore: Send + Sync + 'static {
    async fn thread(&self, thread: &ThreadRef) -> Result<Option<ThreadRecord>, StoreError>;

    /// Returns false if the thread does not exist.
    async fn set_thread_locked(&self, thread: &ThreadRef, locked: bool)
    -> Result<bool, StoreError>;

    /// The site's known threads among `keys`, by key (with their published comments' count);
    /// unknown keys are absent.
    async fn threads(
        &self,
        site: &SiteName,
        keys: &[ThreadKey],
    ) -> Result<HashMap<String, ThreadRecord>, StoreError>;

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>, StoreError>;

    /// The comment posted with this challenge's nonce (its post key), if any.
    async fn comment_by_post_key(&self, key: &str) -> Result<Option<CommentRecord>, StoreError>;

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

    /// Published comments, newest first, of one thread or (None) of every visible thread
    /// of the site.
    async fn recent_comments(
        &self,
        site: &SiteName,
        thread: Option<&ThreadKey>,
        limit: u32,
    ) -> Result<Vec<CommentRecord>, StoreError>;

    /// A page of a thread; `None` for a thread that does not exist.
    async fn thread_page(&self, query: &PageQuery) -> Result<Option<Page>, StoreError>;

    /// The change sequence now, and the threads changed after `seen`: whatever changed what
    /// a reader sees of them, made by any process sharing the database.
    async fn changes_since(&self, seen: i64) -> Result<Changes, StoreError>;

    /// Ticks whenever another process may have changed something (a PostgreSQL notification,
    /// or a lost notification connection, when nothing can be known): a cue to call
    /// [`ThreadStore::changes_since`] now rather than at the next poll. `None` where the backend
    /// has no such signal (SQLite: other processes are found by polling).
    fn change_signal(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }

    /// Events after `after`, oldest first, at most `limit`: of these threads, or of every
    /// thread when `threads` is empty.
    async fn events_since(
        &self,
        after: i64,
        threads: &[ThreadRef],
        limit: u32,
    ) -> Result<Vec<ChangeEvent>, StoreError>;

    /// Which events can still be replayed: those after `pruned_through`, up to `now`.
    async fn event_window(&self) -> Result<EventWindow, StoreError>;

    /// Deletes the events recorded before `before`; returns how many went.
    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError>;

    /// These comments, in no particular order (absent ones are left out).
    async fn comments_by_id(&self, ids: &[i64]) -> Result<Vec<CommentRecord>, StoreError>;
}

/// Moderation: statuses, the queue, blocks, the gate before a post, and the log.
#[async_trait]
pub trait ModerationStore: Send + Sync + 'static {
    /// The identity's published comments (moderation of first-time commenters: a blog
    /// trusts those it has published; never by a typed email, which anyone can type).
    async fn published_by_identity(&self, identity: i64) -> Result<u64, StoreError>;

    async fn set_thread_hidden(&self, thread: &ThreadRef, hidden: bool)
    -> Result<bool, StoreError>;

    /// Threads (of one site, or of all) with their counts, most recently commented first.
    async fn threads_overview(
        &self,
        site: Option<&SiteName>,
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

    /// One moderator action on many comments, in one transaction with its log entries: done
    /// for all of them or, after a crash or an error, for none. `decide` sees each comment
    /// that exists and names the log entry of those the change applies to; the others are
    /// left alone. Returns the changed comments as they are after it (a deleted one as it was).
    async fn moderate_comments(
        &self,
        ids: &[i64],
        change: CommentChange,
        decide: &(dyn for<'c> Fn(&'c CommentRecord) -> Option<AuditEntry> + Send + Sync),
    ) -> Result<Vec<CommentRecord>, StoreError>;

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
        thread: &ThreadRef,
        email: Option<&str>,
        reader: &str,
    ) -> Result<PostGate, StoreError>;

    async fn blocks(&self) -> Result<Vec<Block>, StoreError>;

    async fn log_action(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// The latest entries, newest first.
    async fn admin_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Readers' data: what a reader may ask for or erase, and whole sites in and out (imports, exports).
#[async_trait]
pub trait ReaderDataStore: Send + Sync + 'static {
    /// Turns reply notifications off for every comment carrying this email
    /// (case-insensitive); returns how many changed.
    async fn unsubscribe_email(&self, email: &str) -> Result<u64, StoreError>;

    /// Every comment carrying this email (case-insensitive), of one site or of all, oldest
    /// first.
    async fn comments_by_email(
        &self,
        email: &str,
        site: Option<&SiteName>,
    ) -> Result<Vec<CommentRecord>, StoreError>;

    /// Removes a comment and every reply below it; returns how many rows went.
    async fn delete_subtree(&self, id: i64) -> Result<u64, StoreError>;

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, StoreError>;

    /// Every thread (of one site, or of all), in creation order.
    async fn export_threads(
        &self,
        site: Option<&SiteName>,
    ) -> Result<Vec<ExportedThread>, StoreError>;

    /// Every comment of a thread (all statuses), by id.
    async fn export_comments(&self, thread: &ThreadRef) -> Result<Vec<CommentRecord>, StoreError>;

    /// Every vote on the thread's comments: (comment id, voter, value), ordered.
    async fn export_votes(&self, thread: &ThreadRef)
    -> Result<Vec<(i64, String, i64)>, StoreError>;
}

/// Server-wide settings and the database itself: totals, sites, health, connections, backups.
#[async_trait]
pub trait SettingsStore: Send + Sync + 'static {
    /// A server-wide setting.
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Stores `value` unless the key already has one; returns the value that is stored.
    /// Race-free, so replicas starting together agree.
    async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError>;

    async fn totals(&self) -> Result<Totals, StoreError>;

    /// Every site that holds threads, with how many, by name.
    async fn sites_in_use(&self) -> Result<Vec<(SiteName, u64)>, StoreError>;

    /// Whether the database answers now (the health check).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Database connections open and idle now, for the metrics.
    fn connections(&self) -> (u32, u32);

    /// Writes a consistent snapshot of the whole database to a new file at `path`, while
    /// writes go on (`backup.rs`). Backends with tools of their own for this refuse.
    async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError>;
}

/// Who may act: admins, their passwords and sessions.
#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
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

    /// Every admin's sign-in name and display name (their names are reserved on every site).
    async fn admins(&self) -> Result<Vec<AdminName>, StoreError>;
    /// Returns false if there is no such admin.
    async fn set_admin_display_name(
        &self,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// The identity of `new.site`, `new.role` and `new.subject`, created if needed; a given
    /// name or email replaces the stored one.
    async fn identity_for(&self, new: &NewIdentity<'_>) -> Result<Identity, StoreError>;
    async fn identity(&self, id: i64) -> Result<Option<Identity>, StoreError>;
    /// Gives the identity the name its comments carry (and reserve), with its lookalike key.
    async fn set_identity_name(&self, id: i64, name: &str, key: &str) -> Result<(), StoreError>;
    /// The verified reader or author of the site whose name has this lookalike key.
    async fn name_holder(&self, site: &SiteName, key: &str)
    -> Result<Option<Identity>, StoreError>;
    /// Gives the identity the site's guest comments carrying this address (case-insensitive)
    /// that asked for reply notifications since `since`: the posts whose code was just typed
    /// (double opt-in). Returns how many.
    async fn claim_comments(
        &self,
        identity: i64,
        site: &SiteName,
        email: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError>;
    /// The identities that proved this address (case-insensitive), of one site or of all.
    async fn identities_by_email(
        &self,
        email: &str,
        site: Option<&SiteName>,
    ) -> Result<Vec<Identity>, StoreError>;
    /// Removes the identity, its sessions and its hold on its name; its comments stay, as a
    /// guest's. Returns false if there was none.
    async fn delete_identity(&self, id: i64) -> Result<bool, StoreError>;

    async fn create_identity_session(
        &self,
        token_hash: &[u8],
        identity: i64,
        at: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError>;
    /// The session's identity and expiry, unless absent or expired at `now`.
    async fn identity_session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(Identity, Timestamp)>, StoreError>;
    async fn delete_identity_session(&self, token_hash: &[u8]) -> Result<(), StoreError>;
    /// Ends every session of the identity; returns how many.
    async fn delete_identity_sessions(&self, identity: i64) -> Result<u64, StoreError>;
    /// The identity's sessions: (started, expires), oldest first.
    async fn identity_sessions(
        &self,
        identity: i64,
    ) -> Result<Vec<(Timestamp, Timestamp)>, StoreError>;

    /// Keeps a new passkey of the identity; false (and nothing kept) when its credential id is
    /// already someone's.
    async fn add_passkey(
        &self,
        identity: i64,
        credential_id: &[u8],
        passkey: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// The identity's passkeys, oldest first.
    async fn passkeys(&self, identity: i64) -> Result<Vec<StoredPasskey>, StoreError>;
    async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>, StoreError>;
    /// The passkey after a sign-in (its counter moves on).
    async fn passkey_used(&self, id: i64, passkey: &str, at: Timestamp) -> Result<(), StoreError>;
    async fn delete_passkey(&self, identity: i64, id: i64) -> Result<bool, StoreError>;
    /// Keeps a passkey ceremony until `expires` (and drops those expired by `now`).
    async fn put_ceremony(
        &self,
        id_hash: &[u8],
        ceremony: &Ceremony,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError>;
    /// Takes a ceremony once: gone after, and never one expired at `now`.
    async fn take_ceremony(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<Ceremony>, StoreError>;

    /// Replaces the address's sign-in code, unless `limit.max_sends` were sent in the current
    /// window: then nothing changes and this returns false.
    async fn new_email_code(&self, code: &NewEmailCode<'_>) -> Result<bool, StoreError>;
    /// Spends one try of the address's code: true if `code_hash` is its live code (which is
    /// then used up); false otherwise, the last try killing it.
    async fn try_email_code(
        &self,
        site: &SiteName,
        email: &str,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// A passkey as kept: the verifying crate's credential, serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    pub id: i64,
    pub identity: i64,
    pub credential_id: Vec<u8>,
    pub passkey: String,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
}

/// A passkey ceremony between its challenge and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub site: SiteName,
    /// Who adds a passkey; `None` for a sign-in (the passkey says who).
    pub identity: Option<i64>,
    /// The verifying crate's state, serialised.
    pub state: String,
}

/// An admin's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminName {
    pub name: String,
    pub display_name: Option<String>,
}

/// A proven identity of one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: i64,
    pub site: SiteName,
    /// Verified, member or author (never guest).
    pub role: Role,
    /// What proves it: the lower-cased email, the site's `sub`, the admin's name.
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub created: Timestamp,
}

#[derive(Debug, Clone, Copy)]
pub struct NewIdentity<'a> {
    pub site: &'a SiteName,
    pub role: Role,
    pub subject: &'a str,
    /// With its lookalike key.
    pub name: Option<(&'a str, &'a str)>,
    pub email: Option<&'a str>,
    pub at: Timestamp,
}

/// A sign-in code to keep for an address.
#[derive(Debug, Clone, Copy)]
pub struct NewEmailCode<'a> {
    pub site: &'a SiteName,
    /// Lower-cased.
    pub email: &'a str,
    pub code_hash: &'a [u8],
    pub now: Timestamp,
    pub expires: Timestamp,
    pub tries: u32,
    /// At most `max_sends` codes per address in `window`.
    pub window: Duration,
    pub max_sends: u32,
}

/// Everything stored, whatever the backend: the sum of the aggregates' traits, so callers that
/// need one aggregate take that trait and the others take `Store`.
pub trait Store:
    ThreadStore
    + ModerationStore
    + ReaderDataStore
    + SettingsStore
    + IdentityStore
    + federation::FederationStore
    + deliveries::DeliveryStore
{
}

impl<T> Store for T where
    T: ThreadStore
        + ModerationStore
        + ReaderDataStore
        + SettingsStore
        + IdentityStore
        + federation::FederationStore
        + deliveries::DeliveryStore
{
}

/// What a change was about (see the `events` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A comment was added or changed (text, status, votes).
    Comment,
    /// A comment's row is gone.
    Removed,
    /// The thread itself (locked, hidden, title).
    Thread,
}

impl EventKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "comment" => Some(Self::Comment),
            "removed" => Some(Self::Removed),
            "thread" => Some(Self::Thread),
            _ => None,
        }
    }
}

/// One recorded change a reader may see; what to send is read when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    pub seq: i64,
    pub thread: ThreadRef,
    pub kind: EventKind,
    pub comment_id: Option<i64>,
}

/// See [`ThreadStore::event_window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventWindow {
    /// Events up to this sequence number were pruned (0: none).
    pub pruned_through: i64,
    /// The change sequence now.
    pub now: i64,
}

/// An `events` row as both backends select it: (seq, site, thread key, kind, comment id).
fn change_event(
    (seq, site, key, kind, comment_id): (i64, String, String, String, Option<i64>),
) -> Result<ChangeEvent, StoreError> {
    Ok(ChangeEvent {
        seq,
        thread: ThreadRef::stored(SiteName::stored(&site), &key)?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown event kind {kind:?}").into()))?,
        comment_id,
    })
}

/// The settings key keeping [`EventWindow::pruned_through`].
pub const EVENTS_PRUNED_SETTING: &str = "events_pruned_through";

impl CommentRecord {
    /// The record of a comment just inserted from `new` under `id`, as the store holds it.
    pub fn inserted(new: NewCommentRecord, id: i64) -> Self {
        let (parent_id, root_id, depth) = post_batches::position(&new);
        Self {
            id,
            site: new.thread.site,
            thread_key: new.thread.key.into_string(),
            parent_id,
            root_id: if parent_id.is_some() { root_id } else { id },
            depth,
            status: new.status,
            author: new.author,
            email: new.email,
            website: new.website,
            avatar: new.avatar,
            body: new.body,
            html: new.html,
            created: new.created,
            edited: None,
            likes: 0,
            dislikes: 0,
            edit_token_hash: new.edit_token_hash,
            reader_hash: new.reader_hash,
            notify: new.notify,
            notify_lang: new.notify_lang,
            spam: false,
            identity_id: new.identity_id,
            role: new.role,
        }
    }
}

/// Waits for the store's next change signal ([`ThreadStore::change_signal`]); never, where there is
/// none. Once the signal is gone (its listener ended), `signal` becomes `None`: the caller's
/// poll goes on alone.
pub async fn next_change(signal: &mut Option<tokio::sync::watch::Receiver<u64>>) {
    if let Some(s) = signal {
        if s.changed().await.is_ok() {
            return;
        }
        *signal = None;
    }
    std::future::pending::<()>().await
}

/// See [`ThreadStore::changes_since`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    pub seq: i64,
    pub threads: Vec<ThreadRef>,
}

/// How the store talks to a database server (PostgreSQL); SQLite, embedded, ignores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections per process at most (each replica has its own pool).
    pub max_connections: u32,
    /// Longest a statement may run before the database cancels it.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            statement_timeout: Duration::from_secs(5),
        }
    }
}

impl PoolSettings {
    /// For the command line (imports, exports, a reader's data): there a long statement is
    /// the work itself, not a stuck request, so the database never cancels one.
    pub fn offline() -> Self {
        Self {
            statement_timeout: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// Opens the store named by `url` and brings its schema up to date.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, PoolSettings::default()).await
}

/// [`connect`] with pool settings. Errors never carry the URL (it may hold a password).
pub async fn connect_with(url: &str, pool: PoolSettings) -> Result<Arc<dyn Store>, StoreError> {
    #[cfg(feature = "sqlite")]
    if url.starts_with("sqlite:") {
        let _ = pool;
        return Ok(Arc::new(sqlite::SqliteStore::connect(url).await?));
    }
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(postgres::PostgresStore::connect(url, pool).await?));
    }
    let scheme = url.split(':').next().unwrap_or_default();
    let supported = [
        #[cfg(feature = "sqlite")]
        "sqlite:",
        #[cfg(feature = "postgres")]
        "postgres://",
    ];
    Err(StoreError::UnsupportedUrl(format!(
        "{scheme}: (this build supports {})",
        supported.join(", ")
    )))
}

/// A database URL as configured. It may hold a password, so `Debug` and `Display` show it
/// redacted; `&*url` is the real thing, for connecting.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        Self(url.to_owned())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redacted_url(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redacted_url(&self.0))
    }
}

/// `url` with its password (if any) replaced by `***`, for logs and messages.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The authority ends at the first '/', '?' or '#'; its userinfo at the last '@' in it.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let mut redacted = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => format!("{scheme}://{userinfo}@{host}{tail}"),
        },
        None => format!("{scheme}://{authority}{tail}"),
    };
    // A password may also come as a query parameter.
    if let Some(q) = redacted.find("password=") {
        let value_end = redacted[q..].find('&').map_or(redacted.len(), |i| q + i);
        redacted.replace_range(q + "password=".len()..value_end, "***");
    }
    redacted
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        if matches!(
            e,
            E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed
        ) {
            return Self::Unavailable(Box::new(e));
        }
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
    fn imported_replies_are_placed_and_cycles_cut() {
        // 1 <- 2 <- 3, and 4 <-> 5 a cycle; 6 points outside the threads.
        let rows = [
            (1, None, 1, 0),
            (2, Some(1), 0, 0),
            (3, Some(2), 0, 0),
            (4, Some(5), 0, 0),
            (5, Some(4), 0, 0),
            (6, Some(99), 6, 0),
        ];
        let p = import_placement(&rows);
        assert_eq!(p.cut, vec![5, 6]);
        assert_eq!(p.moved, vec![(2, 1, 1), (3, 1, 2), (4, 5, 1), (5, 5, 0)]);
    }

    #[test]
    fn a_configured_url_never_prints_its_password() {
        let url = DatabaseUrl::new("postgres://u:hunter2@h/db");
        assert_eq!(&*url, "postgres://u:hunter2@h/db");
        assert!(!format!("{url} {url:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn an_unknown_scheme_names_the_supported_ones() {
        let Err(e) = connect("mysql://u:pw@h/db").await else {
            panic!("connected")
        };
        let text = e.to_string();
        assert!(
            text.contains("mysql:") && text.contains("postgres://"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
    }

    #[test]
    fn urls_lose_their_password_only() {
        for (url, shown) in [
            (
                "postgres://palabre:s3cr%40t@db.example:5432/palabre",
                "postgres://palabre:***@db.example:5432/palabre",
            ),
            ("postgres://palabre@db/p", "postgres://palabre@db/p"),
            (
                "postgres://db/p?password=hunter2&sslmode=require",
                "postgres://db/p?password=***&sslmode=require",
            ),
            ("sqlite://palabre.db", "sqlite://palabre.db"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(redacted_url(url), shown);
        }
    }

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
