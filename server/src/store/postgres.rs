//! PostgreSQL backend: for a site that outgrows one machine, with several stateless replicas
//! sharing one database.
//!
//! Every write that changes what readers see goes through [`PostgresStore::begin_write`],
//! which first locks the change sequence's one row: writers queue there rather than
//! deadlocking on it inside the triggers (migrations/postgres/0001_initial.sql), and their
//! stamps commit in order. Posts are written in batches (`store/post_batches.rs`) so that
//! this queue holds one transaction per batch, not per post.
//!
//! Each replica listens on `palabre_changes`: a change committed by any replica reaches the
//! others' caches in milliseconds ([`Store::change_signal`]); the poll stays as the fallback.

mod posts;
mod rows;

use super::post_batches::PostBatches;
use super::{
    AdminSession, AuditEntry, Block, BlockKind, ChangeEvent, Changes, CommentChange, CommentFilter,
    CommentRecord, Cursor, Deletion, EventWindow, ExportedThread, ImportTx, ImportedComment,
    LedgerEntry, LedgerRow, LinkReport, ListedStatus, NewCommentRecord, Page, PageQuery,
    PoolSettings, PostGate, SiteName, Store, StoreError, ThreadRecord, ThreadRef, ThreadSummary,
    Totals,
};
use async_trait::async_trait;
use palabre_api::{CommentStatus, SortOrder, ThreadKey, Timestamp, VoteValue};
use rows::{comment_from_row, thread_from_row};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{
    ConnectOptions, Connection, PgConnection, PgPool, Postgres, QueryBuilder, Row, Transaction,
};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel the change triggers notify.
const CHANGES_CHANNEL: &str = "palabre_changes";

/// How long a request waits for a pooled connection: a database that went away answers 503
/// after this, rather than holding readers for the driver's default 30 s.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

const COMMENT_COLUMNS: &str = "SELECT c.id, t.site, t.key AS thread_key, c.parent_id, c.root_id, c.depth, \
     c.status, c.author, c.email, c.website, c.avatar, c.body, c.html, c.created_at, \
     c.edited_at, c.likes, c.dislikes, c.edit_token_hash, c.reader_hash, c.notify, c.notify_lang, \
     c.spam FROM comments c JOIN threads t ON t.id = c.thread_id";

const THREAD_COLUMNS: &str = "SELECT t.id, t.site, t.key, t.title, t.locked, t.hidden, \
     CASE WHEN t.hidden THEN 0 ELSE \
     (SELECT COUNT(*) FROM comments c WHERE c.thread_id = t.id AND c.status = 'published') END AS count \
     FROM threads t";

/// Statuses readers see in a thread (pending ones are shown only to their author).
const VISIBLE: &str = "c.status IN ('published', 'deleted')";

pub struct PostgresStore {
    pool: PgPool,
    posts: PostBatches,
    changes: watch::Receiver<u64>,
}

impl PostgresStore {
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        // 0 is PostgreSQL's "no timeout".
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)?
            .application_name("palabre")
            .options([("statement_timeout", timeout_ms.as_str())]);
        // One plain connection first: the pool would retry until its timeout and then say
        // only that it timed out, hiding the reason (refused, wrong password, no database).
        options.connect().await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        // sqlx holds an advisory lock while it migrates: replicas starting together take
        // turns, and the later ones find the schema done.
        MIGRATIONS
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        // The listener has a connection of its own, outside the pool it would starve.
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        // Listening before the store is handed out: a replica that answers hears the others'
        // writes from its first request (a later LISTEN missed those made meanwhile, which
        // then waited for the next poll). Should it fail, the task tries again.
        let first = match PgListener::connect_with(&listen_pool).await {
            Ok(mut l) => l.listen(CHANGES_CHANNEL).await.ok().map(|()| l),
            Err(_) => None,
        };
        let (signal, changes) = watch::channel(0);
        tokio::spawn(listen(listen_pool, signal, first));
        Ok(Self {
            posts: PostBatches::start(posts::PgPosts(pool.clone())),
            pool,
            changes,
        })
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        begin_write(&self.pool).await
    }
}

/// A transaction that may change what readers see: the change sequence is locked first, so
/// such writers queue in one order (see the module's header).
async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT seq FROM change_sequence WHERE id = 1 FOR UPDATE")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Forwards change notifications to [`Store::change_signal`] until the store is dropped.
/// A lost connection is reconnected on the next receive; notifications sent meanwhile are
/// lost, so a reconnect ticks too (the receiver then asks for changes and misses nothing).
async fn listen(pool: PgPool, signal: watch::Sender<u64>, mut listener: Option<PgListener>) {
    let tick = |signal: &watch::Sender<u64>| signal.send_modify(|n| *n = n.wrapping_add(1));
    let mut failures = 0u32;
    loop {
        let step = async {
            let l = match listener.as_mut() {
                Some(l) => l,
                None => {
                    let mut l = PgListener::connect_with(&pool).await?;
                    l.listen(CHANGES_CHANNEL).await?;
                    listener.insert(l)
                }
            };
            l.try_recv().await
        };
        tokio::select! {
            _ = signal.closed() => return,
            received = step => match received {
                Ok(Some(_)) => {
                    failures = 0;
                    tick(&signal);
                }
                Ok(None) => {
                    tracing::warn!("database notifications: connection lost, reconnecting");
                    tick(&signal);
                }
                Err(e) => {
                    // Logged once an outage, not once a second.
                    if failures == 0 {
                        tracing::warn!(error = %e, "database notifications unavailable; polling meanwhile");
                    }
                    failures = failures.saturating_add(1);
                    listener = None;
                    let backoff = Duration::from_millis(250 * u64::from(failures.min(8)));
                    tokio::select! {
                        _ = signal.closed() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    tick(&signal);
                }
            },
        }
    }
}

async fn comment_in(conn: &mut PgConnection, id: i64) -> Result<Option<CommentRecord>, StoreError> {
    let row = sqlx::query(&format!("{COMMENT_COLUMNS} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(comment_from_row).transpose()
}

/// [`Store::delete_comment`] within a transaction.
async fn delete_in(conn: &mut PgConnection, id: i64) -> Result<Option<Deletion>, StoreError> {
    let Some(comment) = comment_in(&mut *conn, id).await? else {
        return Ok(None);
    };
    let outcome = if has_replies(&mut *conn, id).await? {
        sqlx::query(
            "UPDATE comments SET status = 'deleted', author = NULL, email = NULL, \
                 website = NULL, body = '', html = '', likes = 0, dislikes = 0, notify = FALSE, \
                 notify_lang = NULL \
                 WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM votes WHERE comment_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let placeholder = comment_in(&mut *conn, id)
            .await?
            .ok_or_else(|| StoreError::Backend("placeholder vanished".into()))?;
        Deletion::Placeholder(Box::new(placeholder))
    } else {
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        // Placeholders exist only to hold replies: remove those this deletion emptied.
        let mut parent = comment.parent_id;
        while let Some(pid) = parent {
            let Some(p) = comment_in(&mut *conn, pid).await? else {
                break;
            };
            if p.status != CommentStatus::Deleted || has_replies(&mut *conn, pid).await? {
                break;
            }
            sqlx::query("DELETE FROM comments WHERE id = $1")
                .bind(pid)
                .execute(&mut *conn)
                .await?;
            parent = p.parent_id;
        }
        Deletion::Removed
    };
    Ok(Some(outcome))
}

/// [`Store::set_comment_status`] within a transaction.
async fn set_status_in(
    conn: &mut PgConnection,
    id: i64,
    status: CommentStatus,
    spam: bool,
) -> Result<Option<CommentRecord>, StoreError> {
    sqlx::query("UPDATE comments SET status = $1, spam = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(spam)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    comment_in(conn, id).await
}

async fn log_in(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO admin_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.at.as_millis())
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(&entry.detail)
    .execute(conn)
    .await?;
    Ok(())
}

async fn has_replies(conn: &mut PgConnection, id: i64) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM comments WHERE parent_id = $1)")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

fn count(n: i64) -> u64 {
    n.try_into().unwrap_or(0)
}

fn limit(n: u32) -> i64 {
    i64::from(n)
}

#[async_trait]
impl Store for PostgresStore {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        // Replicas starting together: the first insert wins, the others wait for it and read
        // its value (each statement of READ COMMITTED sees what committed before it).
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn thread(&self, thread: &ThreadRef) -> Result<Option<ThreadRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "{THREAD_COLUMNS} WHERE t.site = $1 AND t.key = $2"
        ))
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(thread_from_row).transpose()
    }

    async fn set_thread_locked(
        &self,
        thread: &ThreadRef,
        locked: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE threads SET locked = $1 WHERE site = $2 AND key = $3")
            .bind(locked)
            .bind(thread.site.as_str())
            .bind(thread.key.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn threads(
        &self,
        site: &SiteName,
        keys: &[ThreadKey],
    ) -> Result<HashMap<String, ThreadRecord>, StoreError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<&str> = keys.iter().map(ThreadKey::as_str).collect();
        let rows = sqlx::query(&format!(
            "{THREAD_COLUMNS} WHERE t.site = $1 AND t.key = ANY($2)"
        ))
        .bind(site.as_str())
        .bind(keys)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| thread_from_row(row).map(|t| (t.key.clone(), t)))
            .collect()
    }

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        comment_in(&mut conn, id).await
    }

    async fn comment_by_post_key(&self, key: &str) -> Result<Option<CommentRecord>, StoreError> {
        let row = sqlx::query(&format!("{COMMENT_COLUMNS} WHERE c.post_key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(comment_from_row).transpose()
    }

    async fn published_by_email(&self, site: &SiteName, email: &str) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments c JOIN threads t ON t.id = c.thread_id \
             WHERE c.status = 'published' AND lower(c.email) = lower($1) AND t.site = $2",
        )
        .bind(email)
        .bind(site.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(count(n))
    }

    async fn insert_comment(&self, new: NewCommentRecord) -> Result<CommentRecord, StoreError> {
        let (new, id) = self.posts.insert(new).await?;
        Ok(CommentRecord::inserted(new, id))
    }

    async fn update_comment_body(
        &self,
        id: i64,
        body: &str,
        html: &str,
        edited: Timestamp,
    ) -> Result<Option<CommentRecord>, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE comments SET body = $1, html = $2, edited_at = $3 WHERE id = $4")
            .bind(body)
            .bind(html)
            .bind(edited.as_millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let updated = comment_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_comment(&self, id: i64) -> Result<Option<Deletion>, StoreError> {
        let mut tx = self.begin_write().await?;
        let outcome = delete_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn vote(&self, id: i64, voter: &str, value: VoteValue) -> Result<(u32, u32), StoreError> {
        let mut tx = self.begin_write().await?;
        let old: i16 =
            sqlx::query_scalar("SELECT value FROM votes WHERE comment_id = $1 AND voter = $2")
                .bind(id)
                .bind(voter)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(0);
        let new = i16::try_from(value.as_i64()).unwrap_or(0);
        if old != new {
            if new == 0 {
                sqlx::query("DELETE FROM votes WHERE comment_id = $1 AND voter = $2")
                    .bind(id)
                    .bind(voter)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO votes (comment_id, voter, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (comment_id, voter) DO UPDATE SET value = excluded.value",
                )
                .bind(id)
                .bind(voter)
                .bind(new)
                .execute(&mut *tx)
                .await?;
            }
            let likes = i32::from(new == 1) - i32::from(old == 1);
            let dislikes = i32::from(new == -1) - i32::from(old == -1);
            sqlx::query(
                "UPDATE comments SET likes = likes + $1, dislikes = dislikes + $2 WHERE id = $3",
            )
            .bind(likes)
            .bind(dislikes)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let (likes, dislikes): (i32, i32) =
            sqlx::query_as("SELECT likes, dislikes FROM comments WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok((rows::unsigned(likes), rows::unsigned(dislikes)))
    }

    async fn vote_of(&self, id: i64, voter: &str) -> Result<i64, StoreError> {
        let v: Option<i16> =
            sqlx::query_scalar("SELECT value FROM votes WHERE comment_id = $1 AND voter = $2")
                .bind(id)
                .bind(voter)
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.map_or(0, i64::from))
    }

    async fn totals(&self) -> Result<Totals, StoreError> {
        let (threads, comments, votes): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM threads), (SELECT COUNT(*) FROM comments), \
             (SELECT COUNT(*) FROM votes)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Totals {
            threads: count(threads),
            comments: count(comments),
            votes: count(votes),
        })
    }

    async fn set_thread_hidden(
        &self,
        thread: &ThreadRef,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE threads SET hidden = $1 WHERE site = $2 AND key = $3")
            .bind(hidden)
            .bind(thread.site.as_str())
            .bind(thread.key.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn threads_overview(
        &self,
        site: Option<&SiteName>,
        limit_: u32,
        offset: u32,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.site, t.key, t.title, t.locked, t.hidden, \
             COUNT(*) FILTER (WHERE c.status = 'published') AS published, \
             COUNT(*) FILTER (WHERE c.status = 'pending' AND NOT c.spam) AS pending, \
             MAX(c.created_at) AS last_comment \
             FROM threads t LEFT JOIN comments c ON c.thread_id = t.id \
             WHERE $3::TEXT IS NULL OR t.site = $3 \
             GROUP BY t.id ORDER BY COALESCE(MAX(c.created_at), t.created_at) DESC, t.id DESC \
             LIMIT $1 OFFSET $2",
        )
        .bind(limit(limit_))
        .bind(limit(offset))
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ThreadSummary {
                    site: SiteName::stored(row.try_get::<&str, _>("site")?),
                    key: row.try_get("key")?,
                    title: row.try_get("title")?,
                    locked: row.try_get("locked")?,
                    hidden: row.try_get("hidden")?,
                    published: count(row.try_get("published")?),
                    pending: count(row.try_get("pending")?),
                    last_comment: row
                        .try_get::<Option<i64>, _>("last_comment")?
                        .map(Timestamp::from_millis),
                })
            })
            .collect()
    }

    async fn set_comment_status(
        &self,
        id: i64,
        status: CommentStatus,
        spam: bool,
    ) -> Result<Option<CommentRecord>, StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = set_status_in(&mut tx, id, status, spam).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn moderate_comments(
        &self,
        ids: &[i64],
        change: CommentChange,
        decide: &(dyn for<'c> Fn(&'c CommentRecord) -> Option<AuditEntry> + Send + Sync),
    ) -> Result<Vec<CommentRecord>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut changed = Vec::new();
        for &id in ids {
            let Some(comment) = comment_in(&mut tx, id).await? else {
                continue;
            };
            let Some(entry) = decide(&comment) else {
                continue;
            };
            let after = match change {
                CommentChange::Publish => {
                    set_status_in(&mut tx, id, CommentStatus::Published, false).await?
                }
                CommentChange::MarkSpam => {
                    set_status_in(&mut tx, id, CommentStatus::Pending, true).await?
                }
                CommentChange::Delete => delete_in(&mut tx, id).await?.map(|_| comment),
            };
            if let Some(after) = after {
                log_in(&mut tx, &entry).await?;
                changed.push(after);
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn list_comments(
        &self,
        filter: &CommentFilter,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new(COMMENT_COLUMNS);
        q.push(" WHERE TRUE");
        if let Some(site) = &filter.site {
            q.push(" AND t.site = ").push_bind(site.as_str().to_owned());
        }
        if let Some(thread) = &filter.thread {
            q.push(" AND t.key = ").push_bind(thread.clone());
        }
        match filter.status {
            None => &mut q,
            Some(ListedStatus::Spam) => q.push(" AND c.spam"),
            // A literal, not a bound value: the queue's partial index needs to see it.
            Some(status) => q.push(format!(
                " AND NOT c.spam AND c.status = '{}'",
                status.as_str()
            )),
        };
        // strpos() on lower(): a plain substring match, no LIKE wildcards to escape.
        if let Some(author) = filter.author.as_deref().filter(|a| !a.is_empty()) {
            let needle = author.to_lowercase();
            q.push(" AND (strpos(lower(COALESCE(c.author, '')), ")
                .push_bind(needle.clone())
                .push(") > 0 OR strpos(lower(COALESCE(c.email, '')), ")
                .push_bind(needle)
                .push(") > 0)");
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            q.push(" AND strpos(lower(c.body), ")
                .push_bind(text.to_lowercase())
                .push(") > 0");
        }
        q.push(if filter.oldest_first {
            " ORDER BY c.created_at, c.id"
        } else {
            " ORDER BY c.created_at DESC, c.id DESC"
        });
        q.push(" LIMIT ")
            .push_bind(limit(filter.limit))
            .push(" OFFSET ")
            .push_bind(limit(filter.offset));
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    async fn pending_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE status = 'pending' AND NOT spam",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(count(n))
    }

    async fn posts_by_reader_since(
        &self,
        reader: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE reader_hash = $1 AND created_at >= $2",
        )
        .bind(reader)
        .bind(since.as_millis())
        .fetch_one(&self.pool)
        .await?;
        Ok(count(n))
    }

    async fn unsubscribe_email(&self, email: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET notify = FALSE WHERE notify AND lower(email) = lower($1)",
        )
        .bind(email)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn add_block(
        &self,
        kind: BlockKind,
        value: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO blocks (kind, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, value) DO NOTHING",
        )
        .bind(kind.as_str())
        .bind(value)
        .bind(at.as_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_block(&self, kind: BlockKind, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM blocks WHERE kind = $1 AND value = $2")
            .bind(kind.as_str())
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn post_gate(
        &self,
        thread: &ThreadRef,
        email: Option<&str>,
        reader: &str,
    ) -> Result<PostGate, StoreError> {
        // Blocked emails are stored lowercased by Rust, which folds every script.
        let (thread_closed, blocked) = sqlx::query_as(
            "SELECT COALESCE((SELECT locked OR hidden FROM threads WHERE site = $4 AND key = $1), \
             FALSE), EXISTS (SELECT 1 FROM blocks WHERE (kind = 'reader' AND value = $2) \
             OR (kind = 'email' AND value = $3))",
        )
        .bind(thread.key.as_str())
        .bind(reader)
        .bind(email.map(palabre_api::unicode::lowercase))
        .bind(thread.site.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(PostGate {
            thread_closed,
            blocked,
        })
    }

    async fn blocks(&self) -> Result<Vec<Block>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, value, created_at FROM blocks ORDER BY created_at DESC, value",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, value, at)| {
                Ok(Block {
                    kind: BlockKind::parse(&kind).ok_or_else(|| {
                        StoreError::Backend(format!("unknown block kind {kind:?}").into())
                    })?,
                    value,
                    created: Timestamp::from_millis(at),
                })
            })
            .collect()
    }

    async fn log_action(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        log_in(&mut *self.pool.acquire().await?, entry).await
    }

    async fn admin_log(&self, limit_: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, target, detail FROM admin_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit(limit_))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, target, detail)| AuditEntry {
                at: Timestamp::from_millis(at),
                actor,
                action,
                target,
                detail,
            })
            .collect())
    }

    async fn set_admin_password(
        &self,
        name: &str,
        hash: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO admins (name, password_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(name)
        .bind(hash)
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await?;
        // A new password signs out every session of that admin, on every replica.
        sqlx::query("DELETE FROM admin_sessions WHERE admin = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn admin_password_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM admins WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        session: &AdminSession,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1")
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, admin, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(&session.admin)
        .bind(&session.csrf_token)
        .bind(at.as_millis())
        .bind(session.expires.as_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<AdminSession>, StoreError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT admin, csrf_token, expires_at FROM admin_sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(admin, csrf_token, expires)| AdminSession {
            admin,
            csrf_token,
            expires: Timestamp::from_millis(expires),
        }))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn recent_comments(
        &self,
        site: &SiteName,
        thread: Option<&ThreadKey>,
        limit_: u32,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new(COMMENT_COLUMNS);
        q.push(" WHERE c.status = 'published' AND NOT t.hidden AND t.site = ")
            .push_bind(site.as_str().to_owned());
        if let Some(key) = thread {
            q.push(" AND t.key = ").push_bind(key.as_str().to_owned());
        }
        q.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
            .push_bind(limit(limit_));
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    async fn comments_by_email(
        &self,
        email: &str,
        site: Option<&SiteName>,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        sqlx::query(&format!(
            "{COMMENT_COLUMNS} WHERE lower(c.email) = lower($1) \
             AND ($2::TEXT IS NULL OR t.site = $2) ORDER BY c.created_at, c.id"
        ))
        .bind(email)
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn delete_subtree(&self, id: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        // Children before parents (the parent_id foreign key has no cascade, on purpose).
        let ids: Vec<i64> = sqlx::query_scalar(
            "WITH RECURSIVE below(id, level) AS (SELECT id, 0 FROM comments WHERE id = $1 \
             UNION ALL SELECT c.id, b.level + 1 FROM comments c JOIN below b ON c.parent_id = b.id) \
             SELECT id FROM below ORDER BY level DESC",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for child in &ids {
            sqlx::query("DELETE FROM comments WHERE id = $1")
                .bind(child)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, StoreError> {
        Ok(Box::new(PgImport {
            tx: self.begin_write().await?,
        }))
    }

    async fn export_threads(
        &self,
        site: Option<&SiteName>,
    ) -> Result<Vec<ExportedThread>, StoreError> {
        let rows: Vec<(String, String, Option<String>, bool, bool, i64)> = sqlx::query_as(
            "SELECT site, key, title, locked, hidden, created_at FROM threads \
             WHERE $1::TEXT IS NULL OR site = $1 ORDER BY id",
        )
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(site, key, title, locked, hidden, created)| ExportedThread {
                    site: SiteName::stored(&site),
                    key,
                    title,
                    locked,
                    hidden,
                    created: Timestamp::from_millis(created),
                },
            )
            .collect())
    }

    async fn export_comments(&self, thread: &ThreadRef) -> Result<Vec<CommentRecord>, StoreError> {
        sqlx::query(&format!(
            "{COMMENT_COLUMNS} WHERE t.site = $1 AND t.key = $2 ORDER BY c.id"
        ))
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn export_votes(
        &self,
        thread: &ThreadRef,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        // COLLATE "C": byte order, as SQLite sorts, so both backends export the same bytes.
        Ok(sqlx::query_as(
            "SELECT v.comment_id, v.voter, v.value::BIGINT FROM votes v \
             JOIN comments c ON c.id = v.comment_id JOIN threads t ON t.id = c.thread_id \
             WHERE t.site = $1 AND t.key = $2 ORDER BY v.comment_id, v.voter COLLATE \"C\"",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    async fn changes_since(&self, seen: i64) -> Result<Changes, StoreError> {
        // One statement, so the sequence and the keys come from the same snapshot.
        let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT s.seq, t.site, t.key FROM change_sequence s \
             LEFT JOIN threads t ON t.changed_seq > $1 AND t.changed_seq <= s.seq",
        )
        .bind(seen)
        .fetch_all(&self.pool)
        .await?;
        let seq = rows.first().map_or(seen, |(seq, _, _)| *seq);
        let threads = rows
            .into_iter()
            .filter_map(|(_, site, key)| Some(ThreadRef::stored(SiteName::stored(&site?), &key?)))
            .collect::<Result<_, _>>()?;
        Ok(Changes { seq, threads })
    }

    fn change_signal(&self) -> Option<watch::Receiver<u64>> {
        Some(self.changes.clone())
    }

    fn connections(&self) -> (u32, u32) {
        (
            self.pool.size(),
            u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        )
    }

    async fn sites_in_use(&self) -> Result<Vec<(SiteName, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT site, COUNT(*) FROM threads GROUP BY site ORDER BY site")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(site, n)| (SiteName::stored(&site), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn events_since(
        &self,
        after: i64,
        threads: &[ThreadRef],
        limit_: u32,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        let sites: Vec<&str> = threads.iter().map(|t| t.site.as_str()).collect();
        let keys: Vec<&str> = threads.iter().map(|t| t.key.as_str()).collect();
        let rows: Vec<(i64, String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT e.seq, t.site, t.key, e.kind, e.comment_id FROM events e \
             JOIN threads t ON t.id = e.thread_id \
             WHERE e.seq > $1 AND (cardinality($2::TEXT[]) = 0 \
             OR (t.site, t.key) IN (SELECT * FROM unnest($4::TEXT[], $2::TEXT[]))) \
             ORDER BY e.seq LIMIT $3",
        )
        .bind(after)
        .bind(keys)
        .bind(limit(limit_))
        .bind(sites)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(super::change_event).collect()
    }

    async fn event_window(&self) -> Result<EventWindow, StoreError> {
        let (pruned, now): (Option<String>, i64) = sqlx::query_as(
            "SELECT (SELECT value FROM settings WHERE key = $1), seq FROM change_sequence",
        )
        .bind(super::EVENTS_PRUNED_SETTING)
        .fetch_one(&self.pool)
        .await?;
        Ok(EventWindow {
            pruned_through: pruned.and_then(|p| p.parse().ok()).unwrap_or(0),
            now,
        })
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        // One pruner at a time across replicas; the others find nothing left to do.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('palabre_prune_events'))")
            .execute(&mut *tx)
            .await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE at < $1")
            .bind(before.as_millis())
            .fetch_one(&mut *tx)
            .await?;
        let Some(last) = last else {
            return Ok(0);
        };
        let done = sqlx::query("DELETE FROM events WHERE seq <= $1")
            .bind(last)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(super::EVENTS_PRUNED_SETTING)
        .bind(last.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn backup_to(&self, _: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "palabre backup writes SQLite files; back up PostgreSQL with pg_dump (README, Backups)",
        ))
    }

    async fn comments_by_id(&self, ids: &[i64]) -> Result<Vec<CommentRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query(&format!("{COMMENT_COLUMNS} WHERE c.id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    async fn thread_page(&self, query: &PageQuery) -> Result<Option<Page>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!(
            "{THREAD_COLUMNS} WHERE t.site = $1 AND t.key = $2"
        ))
        .bind(query.thread.site.as_str())
        .bind(query.thread.key.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(thread) = row.as_ref().map(thread_from_row).transpose()? else {
            return Ok(None);
        };

        let mut q = QueryBuilder::<Postgres>::new(COMMENT_COLUMNS);
        q.push(" WHERE c.thread_id = ")
            .push_bind(thread.id)
            .push(" AND c.parent_id IS NULL AND ")
            .push(VISIBLE);
        if let Some(after) = query.after {
            match query.sort {
                SortOrder::Oldest => q
                    .push(" AND (c.created_at, c.id) > (")
                    .push_bind(after.created)
                    .push(", ")
                    .push_bind(after.id)
                    .push(")"),
                SortOrder::Newest => q
                    .push(" AND (c.created_at, c.id) < (")
                    .push_bind(after.created)
                    .push(", ")
                    .push_bind(after.id)
                    .push(")"),
                SortOrder::Top => q
                    .push(" AND ((c.likes - c.dislikes) < ")
                    .push_bind(after.score)
                    .push(" OR ((c.likes - c.dislikes) = ")
                    .push_bind(after.score)
                    .push(" AND (c.created_at, c.id) > (")
                    .push_bind(after.created)
                    .push(", ")
                    .push_bind(after.id)
                    .push(")))"),
            };
        }
        q.push(match query.sort {
            SortOrder::Oldest => " ORDER BY c.created_at, c.id",
            SortOrder::Newest => " ORDER BY c.created_at DESC, c.id DESC",
            // Ties (same score) in chronological order, so pages are stable.
            SortOrder::Top => " ORDER BY (c.likes - c.dislikes) DESC, c.created_at, c.id",
        });
        // One extra row tells whether another page exists.
        q.push(" LIMIT ").push_bind(i64::from(query.limit) + 1);
        let mut roots = q
            .build()
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(comment_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if roots.len() > query.limit as usize {
            roots.truncate(query.limit as usize);
            roots.last().map(|last| Cursor::after(query.sort, last))
        } else {
            None
        };

        let mut comments = roots;
        if !comments.is_empty() {
            let ids: Vec<i64> = comments.iter().map(|c| c.id).collect();
            let replies = sqlx::query(&format!(
                "{COMMENT_COLUMNS} WHERE c.root_id = ANY($1) AND c.parent_id IS NOT NULL \
                 AND {VISIBLE} ORDER BY c.created_at, c.id"
            ))
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?;
            for row in &replies {
                comments.push(comment_from_row(row)?);
            }
        }
        Ok(Some(Page {
            thread,
            comments,
            next,
        }))
    }
}

struct PgImport {
    tx: Transaction<'static, Postgres>,
}

#[async_trait]
impl ImportTx for PgImport {
    async fn thread(
        &mut self,
        thread: &ThreadRef,
        title: Option<&str>,
        created: Timestamp,
        locked: bool,
        hidden: bool,
    ) -> Result<i64, StoreError> {
        // An existing thread keeps its settings; it only gains a title it lacked.
        Ok(sqlx::query_scalar(
            "INSERT INTO threads (site, key, title, created_at, locked, hidden) \
             VALUES ($6, $1, $2, $3, $4, $5) \
             ON CONFLICT (site, key) DO UPDATE SET title = COALESCE(threads.title, excluded.title) \
             RETURNING id",
        )
        .bind(thread.key.as_str())
        .bind(title)
        .bind(created.as_millis())
        .bind(locked)
        .bind(hidden)
        .bind(thread.site.as_str())
        .fetch_one(&mut *self.tx)
        .await?)
    }

    async fn ledger(
        &mut self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let row: Option<LedgerRow> = sqlx::query_as(
            "SELECT c.id, c.thread_id, c.created_at, c.status, c.body, i.fingerprint \
             FROM imports i JOIN comments c ON c.id = i.comment_id \
             WHERE i.source = $1 AND i.external_id = $2",
        )
        .bind(source)
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(super::ledger_entry).transpose()
    }

    async fn rekey(
        &mut self,
        source: &str,
        from: &str,
        to: &str,
        parent: Option<&str>,
        fingerprint: &[u8; 32],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE imports SET external_id = $1, external_parent = $2, fingerprint = $3 \
             WHERE source = $4 AND external_id = $5",
        )
        .bind(to)
        .bind(parent)
        .bind(&fingerprint[..])
        .bind(source)
        .bind(from)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn comment(&mut self, source: &str, c: &ImportedComment) -> Result<i64, StoreError> {
        let id_free = match c.wanted_id {
            Some(id) => {
                !sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM comments WHERE id = $1)",
                )
                .bind(id)
                .fetch_one(&mut *self.tx)
                .await?
            }
            None => false,
        };
        // The identity column takes a given id, or draws the next one (DEFAULT).
        let columns = "thread_id, parent_id, root_id, depth, status, author, email, website, \
             avatar, body, html, created_at, edited_at, likes, dislikes, edit_token_hash, \
             reader_hash, notify, spam";
        let values = "$1, NULL, 0, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16";
        let wanted = c.wanted_id.filter(|_| id_free);
        let sql = match wanted {
            Some(_) => {
                format!("INSERT INTO comments (id, {columns}) VALUES ($17, {values}) RETURNING id")
            }
            None => format!("INSERT INTO comments ({columns}) VALUES ({values}) RETURNING id"),
        };
        let mut q = sqlx::query_scalar(&sql)
            .bind(c.thread_id)
            .bind(c.status.as_str())
            .bind(&c.author)
            .bind(&c.email)
            .bind(&c.website)
            .bind(&c.avatar)
            .bind(&c.body)
            .bind(&c.html)
            .bind(c.created.as_millis())
            .bind(c.edited.map(Timestamp::as_millis))
            .bind(rows::signed(c.likes))
            .bind(rows::signed(c.dislikes))
            .bind(&c.edit_token_hash)
            .bind(&c.reader_hash)
            .bind(c.notify)
            .bind(c.spam);
        if let Some(id) = wanted {
            q = q.bind(id);
        }
        let id: i64 = q.fetch_one(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO imports (source, external_id, comment_id, external_parent, fingerprint) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (source, external_id) DO UPDATE SET comment_id = excluded.comment_id, \
             external_parent = excluded.external_parent, fingerprint = excluded.fingerprint",
        )
        .bind(source)
        .bind(&c.external_id)
        .bind(id)
        .bind(&c.external_parent)
        .bind(&c.fingerprint[..])
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
    }

    async fn vote(&mut self, comment_id: i64, voter: &str, value: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO votes (comment_id, voter, value) VALUES ($1, $2, $3) \
             ON CONFLICT (comment_id, voter) DO NOTHING",
        )
        .bind(comment_id)
        .bind(voter)
        .bind(i16::try_from(value).unwrap_or(0))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn link_parents(&mut self, source: &str) -> Result<LinkReport, StoreError> {
        let mut report = LinkReport::default();
        let pending: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT i.comment_id, c.thread_id, p.comment_id, pc.thread_id \
             FROM imports i JOIN comments c ON c.id = i.comment_id \
             LEFT JOIN imports p ON p.source = i.source AND p.external_id = i.external_parent \
             LEFT JOIN comments pc ON pc.id = p.comment_id \
             WHERE i.source = $1 AND i.external_parent IS NOT NULL AND c.parent_id IS NULL",
        )
        .bind(source)
        .fetch_all(&mut *self.tx)
        .await?;
        for (id, thread, parent, parent_thread) in pending {
            match parent {
                Some(p) if p != id && parent_thread == Some(thread) => {
                    sqlx::query("UPDATE comments SET parent_id = $1 WHERE id = $2")
                        .bind(p)
                        .bind(id)
                        .execute(&mut *self.tx)
                        .await?;
                    report.linked += 1;
                }
                _ => report.orphans += 1,
            }
        }

        // Roots and depths of every comment in the threads this source touched. The threads
        // are worked out once (MATERIALIZED): rows written by this very transaction have no
        // planner statistics yet, and the planner once re-ran that join for every comment
        // (10,000 imported comments: a query still running after 15 minutes).
        let rows: Vec<(i64, Option<i64>, i64, i32)> = sqlx::query_as(
            "WITH touched AS MATERIALIZED \
             (SELECT DISTINCT c.thread_id FROM imports i JOIN comments c ON c.id = i.comment_id \
              WHERE i.source = $1) \
             SELECT id, parent_id, root_id, depth FROM comments \
             WHERE thread_id IN (SELECT thread_id FROM touched)",
        )
        .bind(source)
        .fetch_all(&mut *self.tx)
        .await?;
        let tree: Vec<(i64, Option<i64>, i64, i64)> = rows
            .into_iter()
            .map(|(id, parent, root, depth)| (id, parent, root, i64::from(depth)))
            .collect();
        let placement = super::import_placement(&tree);
        for id in &placement.cut {
            sqlx::query("UPDATE comments SET parent_id = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        for (id, root, depth) in &placement.moved {
            sqlx::query("UPDATE comments SET root_id = $1, depth = $2 WHERE id = $3")
                .bind(root)
                .bind(i32::try_from(*depth).unwrap_or(i32::MAX))
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }

        // Deleted comments are kept only as placeholders holding replies.
        loop {
            let done = sqlx::query(
                "DELETE FROM comments WHERE status = 'deleted' \
                 AND id IN (SELECT comment_id FROM imports WHERE source = $1) \
                 AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)",
            )
            .bind(source)
            .execute(&mut *self.tx)
            .await?;
            if done.rows_affected() == 0 {
                break;
            }
            report.dropped_placeholders += done.rows_affected();
        }
        Ok(report)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        // Ids kept from an export do not advance the identity sequence: move it past them,
        // or the next post would collide with an imported comment. Never back: an id the
        // sequence gave once (since deleted) is never given again.
        sqlx::query(
            "SELECT setval(s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM comments), nextval(s))) \
             FROM pg_get_serial_sequence('comments', 'id') AS s",
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
