//! SQLite backend: the default, embedded, zero-configuration store.
//!
//! Writes go through a pool of one connection: SQLite allows one writer at a time anyway, and
//! queueing writers in-process avoids `SQLITE_BUSY` on lock upgrades. Reads use their own pool
//! and, thanks to WAL, never wait for a writer.

use super::{
    AdminSession, AuditEntry, Block, BlockKind, ChangeEvent, Changes, CommentChange, CommentFilter,
    CommentRecord, Cursor, Deletion, ExportedThread, ImportTx, ListedStatus, NewCommentRecord,
    Page, PageQuery, PostGate, SiteName, Store, StoreError, ThreadRecord, ThreadRef, ThreadSummary,
};
mod import;
mod posts;
mod rows;

use super::post_batches::PostBatches;
use import::SqliteImport;
use rows::{comment_from_row, thread_from_row};

use async_trait::async_trait;
use palabre_api::{CommentStatus, SortOrder, ThreadKey, Timestamp, VoteValue};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

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

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    posts: PostBatches,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across application crashes; a power cut may lose the
            // last transactions but never corrupts the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // No ping before each acquire: a local file does not hang up, and for SQLite a ping
        // is one more round trip to the connection's thread on every query.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATIONS
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let reader = if in_memory {
            // Every connection to an in-memory database is a database of its own.
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .connect_with(options.read_only(true))
                .await?
        };
        Ok(Self {
            posts: PostBatches::start(posts::SqlitePosts(writer.clone())),
            writer,
            reader,
        })
    }
}

async fn comment_in(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<CommentRecord>, StoreError> {
    let row = sqlx::query(&format!("{COMMENT_COLUMNS} WHERE c.id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(comment_from_row).transpose()
}

/// [`Store::delete_comment`] within a transaction.
async fn delete_in(conn: &mut SqliteConnection, id: i64) -> Result<Option<Deletion>, StoreError> {
    let Some(comment) = comment_in(&mut *conn, id).await? else {
        return Ok(None);
    };
    let outcome = if has_replies(&mut *conn, id).await? {
        sqlx::query(
            "UPDATE comments SET status = 'deleted', author = NULL, email = NULL, \
                 website = NULL, body = '', html = '', likes = 0, dislikes = 0, notify = 0, notify_lang = NULL \
                 WHERE id = ?",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM votes WHERE comment_id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let placeholder = comment_in(&mut *conn, id)
            .await?
            .ok_or_else(|| StoreError::Backend("placeholder vanished".into()))?;
        Deletion::Placeholder(Box::new(placeholder))
    } else {
        sqlx::query("DELETE FROM comments WHERE id = ?")
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
            sqlx::query("DELETE FROM comments WHERE id = ?")
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
    conn: &mut SqliteConnection,
    id: i64,
    status: CommentStatus,
    spam: bool,
) -> Result<Option<CommentRecord>, StoreError> {
    sqlx::query("UPDATE comments SET status = ?, spam = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(spam)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    comment_in(conn, id).await
}

async fn log_in(conn: &mut SqliteConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO admin_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(entry.at.as_millis())
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.detail)
        .execute(conn)
        .await?;
    Ok(())
}

async fn has_replies(conn: &mut SqliteConnection, id: i64) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM comments WHERE parent_id = ?)")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

#[async_trait]
impl Store for SqliteStore {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        let stored = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn thread(&self, thread: &ThreadRef) -> Result<Option<ThreadRecord>, StoreError> {
        let row = sqlx::query(&format!("{THREAD_COLUMNS} WHERE t.site = ? AND t.key = ?"))
            .bind(thread.site.as_str())
            .bind(thread.key.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(thread_from_row).transpose()
    }

    async fn set_thread_locked(
        &self,
        thread: &ThreadRef,
        locked: bool,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE threads SET locked = ? WHERE site = ? AND key = ?")
            .bind(locked)
            .bind(thread.site.as_str())
            .bind(thread.key.as_str())
            .execute(&self.writer)
            .await?;
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
        let mut q = QueryBuilder::<Sqlite>::new(THREAD_COLUMNS);
        q.push(" WHERE t.site = ")
            .push_bind(site.as_str())
            .push(" AND t.key IN (");
        let mut list = q.separated(", ");
        for key in keys {
            list.push_bind(key.as_str());
        }
        q.push(")");
        let rows = q.build().fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| thread_from_row(row).map(|t| (t.key.clone(), t)))
            .collect()
    }

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        comment_in(&mut conn, id).await
    }

    async fn comment_by_post_key(&self, key: &str) -> Result<Option<CommentRecord>, StoreError> {
        let row = sqlx::query(&format!("{COMMENT_COLUMNS} WHERE c.post_key = ?"))
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(comment_from_row).transpose()
    }

    async fn published_by_email(&self, site: &SiteName, email: &str) -> Result<u64, StoreError> {
        // Emails are compared case-insensitively: that is how people type them.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments c JOIN threads t ON t.id = c.thread_id \
             WHERE c.status = 'published' AND lower(c.email) = lower(?) AND t.site = ?",
        )
        .bind(email)
        .bind(site.as_str())
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
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
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE comments SET body = ?, html = ?, edited_at = ? WHERE id = ?")
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
        let mut tx = self.writer.begin().await?;
        let outcome = delete_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn vote(&self, id: i64, voter: &str, value: VoteValue) -> Result<(u32, u32), StoreError> {
        let mut tx = self.writer.begin().await?;
        let old: i64 =
            sqlx::query_scalar("SELECT value FROM votes WHERE comment_id = ? AND voter = ?")
                .bind(id)
                .bind(voter)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(0);
        let new = value.as_i64();
        if old != new {
            if new == 0 {
                sqlx::query("DELETE FROM votes WHERE comment_id = ? AND voter = ?")
                    .bind(id)
                    .bind(voter)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO votes (comment_id, voter, value) VALUES (?, ?, ?) \
                     ON CONFLICT (comment_id, voter) DO UPDATE SET value = excluded.value",
                )
                .bind(id)
                .bind(voter)
                .bind(new)
                .execute(&mut *tx)
                .await?;
            }
            let likes = i64::from(new == 1) - i64::from(old == 1);
            let dislikes = i64::from(new == -1) - i64::from(old == -1);
            sqlx::query(
                "UPDATE comments SET likes = likes + ?, dislikes = dislikes + ? WHERE id = ?",
            )
            .bind(likes)
            .bind(dislikes)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let (likes, dislikes): (u32, u32) =
            sqlx::query_as("SELECT likes, dislikes FROM comments WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok((likes, dislikes))
    }

    async fn vote_of(&self, id: i64, voter: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM votes WHERE comment_id = ? AND voter = ?")
                .bind(id)
                .bind(voter)
                .fetch_optional(&self.reader)
                .await?
                .unwrap_or(0),
        )
    }

    async fn totals(&self) -> Result<super::Totals, StoreError> {
        let (threads, comments, votes): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM threads), (SELECT COUNT(*) FROM comments), \
             (SELECT COUNT(*) FROM votes)",
        )
        .fetch_one(&self.reader)
        .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(super::Totals {
            threads: n(threads),
            comments: n(comments),
            votes: n(votes),
        })
    }

    async fn set_thread_hidden(
        &self,
        thread: &ThreadRef,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE threads SET hidden = ? WHERE site = ? AND key = ?")
            .bind(hidden)
            .bind(thread.site.as_str())
            .bind(thread.key.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn threads_overview(
        &self,
        site: Option<&SiteName>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.site, t.key, t.title, t.locked, t.hidden, \
             SUM(c.status = 'published') AS published, \
             SUM(c.status = 'pending' AND c.spam = 0) AS pending, \
             MAX(c.created_at) AS last_comment \
             FROM threads t LEFT JOIN comments c ON c.thread_id = t.id \
             WHERE ? IS NULL OR t.site = ? \
             GROUP BY t.id ORDER BY COALESCE(MAX(c.created_at), t.created_at) DESC, t.id DESC \
             LIMIT ? OFFSET ?",
        )
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let n = |name: &str| -> Result<u64, StoreError> {
                    Ok(row
                        .try_get::<Option<i64>, _>(name)?
                        .unwrap_or(0)
                        .try_into()
                        .unwrap_or(0))
                };
                Ok(ThreadSummary {
                    site: SiteName::stored(row.try_get::<&str, _>("site")?),
                    key: row.try_get("key")?,
                    title: row.try_get("title")?,
                    locked: row.try_get("locked")?,
                    hidden: row.try_get("hidden")?,
                    published: n("published")?,
                    pending: n("pending")?,
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
        let mut tx = self.writer.begin().await?;
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
        let mut tx = self.writer.begin().await?;
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
        let mut q = QueryBuilder::<Sqlite>::new(COMMENT_COLUMNS);
        q.push(" WHERE 1 = 1");
        if let Some(site) = &filter.site {
            q.push(" AND t.site = ").push_bind(site.as_str().to_owned());
        }
        if let Some(thread) = &filter.thread {
            q.push(" AND t.key = ").push_bind(thread.clone());
        }
        match filter.status {
            None => &mut q,
            Some(ListedStatus::Spam) => q.push(" AND c.spam = 1"),
            // A literal, not a bound value: the queue's partial index needs to see it.
            Some(status) => q.push(format!(
                " AND c.spam = 0 AND c.status = '{}'",
                status.as_str()
            )),
        };
        // instr() on lower(): a plain substring match, no LIKE wildcards to escape.
        if let Some(author) = filter.author.as_deref().filter(|a| !a.is_empty()) {
            let needle = author.to_lowercase();
            q.push(" AND (instr(lower(COALESCE(c.author, '')), ")
                .push_bind(needle.clone())
                .push(") > 0 OR instr(lower(COALESCE(c.email, '')), ")
                .push_bind(needle)
                .push(") > 0)");
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            q.push(" AND instr(lower(c.body), ")
                .push_bind(text.to_lowercase())
                .push(") > 0");
        }
        q.push(if filter.oldest_first {
            " ORDER BY c.created_at, c.id"
        } else {
            " ORDER BY c.created_at DESC, c.id DESC"
        });
        q.push(" LIMIT ")
            .push_bind(filter.limit)
            .push(" OFFSET ")
            .push_bind(filter.offset);
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    async fn pending_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE status = 'pending' AND spam = 0",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
    }

    async fn posts_by_reader_since(
        &self,
        reader: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE reader_hash = ? AND created_at >= ?",
        )
        .bind(reader)
        .bind(since.as_millis())
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
    }

    async fn unsubscribe_email(&self, email: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET notify = 0 WHERE notify = 1 AND lower(email) = lower(?)",
        )
        .bind(email)
        .execute(&self.writer)
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
            "INSERT INTO blocks (kind, value, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (kind, value) DO NOTHING",
        )
        .bind(kind.as_str())
        .bind(value)
        .bind(at.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn remove_block(&self, kind: BlockKind, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM blocks WHERE kind = ? AND value = ?")
            .bind(kind.as_str())
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn post_gate(
        &self,
        thread: &ThreadRef,
        email: Option<&str>,
        reader: &str,
    ) -> Result<PostGate, StoreError> {
        // Not THREAD_COLUMNS: its count scans the thread's comments, which a post does not need.
        // Blocked emails are stored lowercased by Rust; SQL's lower() folds ASCII only.
        let (thread_closed, blocked) = sqlx::query_as(
            "SELECT COALESCE((SELECT locked OR hidden FROM threads WHERE site = ? AND key = ?), 0), \
             EXISTS (SELECT 1 FROM blocks WHERE (kind = 'reader' AND value = ?) \
             OR (kind = 'email' AND value = ?))",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .bind(reader)
        .bind(email.map(palabre_api::unicode::lowercase))
        .fetch_one(&self.reader)
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
        .fetch_all(&self.reader)
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
        log_in(&mut *self.writer.acquire().await?, entry).await
    }

    async fn admin_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, target, detail FROM admin_log ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO admins (name, password_hash, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(name)
        .bind(hash)
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await?;
        // A new password signs out every session of that admin.
        sqlx::query("DELETE FROM admin_sessions WHERE admin = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn admin_password_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM admins WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        session: &AdminSession,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= ?")
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, admin, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
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
             WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(admin, csrf_token, expires)| AdminSession {
            admin,
            csrf_token,
            expires: Timestamp::from_millis(expires),
        }))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn recent_comments(
        &self,
        site: &SiteName,
        thread: Option<&ThreadKey>,
        limit: u32,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(COMMENT_COLUMNS);
        q.push(" WHERE c.status = 'published' AND t.hidden = 0 AND t.site = ")
            .push_bind(site.as_str().to_owned());
        if let Some(key) = thread {
            q.push(" AND t.key = ").push_bind(key.as_str().to_owned());
        }
        q.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
            .push_bind(limit);
        q.build()
            .fetch_all(&self.reader)
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
            "{COMMENT_COLUMNS} WHERE lower(c.email) = lower(?) AND (? IS NULL OR t.site = ?) \
             ORDER BY c.created_at, c.id"
        ))
        .bind(email)
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn delete_subtree(&self, id: i64) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        // Children before parents (the parent_id foreign key has no cascade, on purpose).
        let ids: Vec<i64> = sqlx::query_scalar(
            "WITH RECURSIVE below(id, level) AS (SELECT id, 0 FROM comments WHERE id = ? \
             UNION ALL SELECT c.id, b.level + 1 FROM comments c JOIN below b ON c.parent_id = b.id) \
             SELECT id FROM below ORDER BY level DESC",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for child in &ids {
            sqlx::query("DELETE FROM comments WHERE id = ?")
                .bind(child)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, StoreError> {
        Ok(Box::new(SqliteImport {
            tx: self.writer.begin().await?,
        }))
    }

    async fn export_threads(
        &self,
        site: Option<&SiteName>,
    ) -> Result<Vec<ExportedThread>, StoreError> {
        let rows: Vec<(String, String, Option<String>, bool, bool, i64)> = sqlx::query_as(
            "SELECT site, key, title, locked, hidden, created_at FROM threads \
             WHERE ? IS NULL OR site = ? ORDER BY id",
        )
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.reader)
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
            "{COMMENT_COLUMNS} WHERE t.site = ? AND t.key = ? ORDER BY c.id"
        ))
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn export_votes(
        &self,
        thread: &ThreadRef,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT v.comment_id, v.voter, v.value FROM votes v \
             JOIN comments c ON c.id = v.comment_id JOIN threads t ON t.id = c.thread_id \
             WHERE t.site = ? AND t.key = ? ORDER BY v.comment_id, v.voter",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.reader)
        .await?)
    }

    fn connections(&self) -> (u32, u32) {
        let idle = |p: &SqlitePool| u32::try_from(p.num_idle()).unwrap_or(u32::MAX);
        (
            self.writer.size() + self.reader.size(),
            idle(&self.writer) + idle(&self.reader),
        )
    }

    async fn sites_in_use(&self) -> Result<Vec<(SiteName, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT site, COUNT(*) FROM threads GROUP BY site ORDER BY site")
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(site, n)| (SiteName::stored(&site), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn events_since(
        &self,
        after: i64,
        threads: &[ThreadRef],
        limit: u32,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT e.seq, t.site, t.key, e.kind, e.comment_id FROM events e \
             JOIN threads t ON t.id = e.thread_id WHERE e.seq > ",
        );
        q.push_bind(after);
        if !threads.is_empty() {
            q.push(" AND (t.site, t.key) IN (");
            let mut list = q.separated(", ");
            for thread in threads {
                list.push("(")
                    .push_bind_unseparated(thread.site.as_str())
                    .push_unseparated(", ")
                    .push_bind_unseparated(thread.key.as_str())
                    .push_unseparated(")");
            }
            q.push(")");
        }
        q.push(" ORDER BY e.seq LIMIT ").push_bind(limit);
        let rows: Vec<(i64, String, String, String, Option<i64>)> =
            q.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(super::change_event).collect()
    }

    async fn event_window(&self) -> Result<super::EventWindow, StoreError> {
        let (pruned, now): (Option<String>, i64) = sqlx::query_as(
            "SELECT (SELECT value FROM settings WHERE key = ?), seq FROM change_sequence",
        )
        .bind(super::EVENTS_PRUNED_SETTING)
        .fetch_one(&self.reader)
        .await?;
        Ok(super::EventWindow {
            pruned_through: pruned.and_then(|p| p.parse().ok()).unwrap_or(0),
            now,
        })
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE at < ?")
            .bind(before.as_millis())
            .fetch_one(&mut *tx)
            .await?;
        let Some(last) = last else {
            return Ok(0);
        };
        let done = sqlx::query("DELETE FROM events WHERE seq <= ?")
            .bind(last)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(super::EVENTS_PRUNED_SETTING)
        .bind(last.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let path = path
            .to_str()
            .ok_or_else(|| StoreError::Backend("the backup path is not valid UTF-8".into()))?;
        // On a read connection: a snapshot of one moment, without the write lock.
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    async fn comments_by_id(&self, ids: &[i64]) -> Result<Vec<CommentRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new(COMMENT_COLUMNS);
        q.push(" WHERE c.id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(")");
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    async fn changes_since(&self, seen: i64) -> Result<Changes, StoreError> {
        // One statement, so the sequence and the keys come from the same snapshot.
        let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT s.seq, t.site, t.key FROM change_sequence s \
             LEFT JOIN threads t ON t.changed_seq > ? AND t.changed_seq <= s.seq",
        )
        .bind(seen)
        .fetch_all(&self.reader)
        .await?;
        let seq = rows.first().map_or(seen, |(seq, _, _)| *seq);
        let threads = rows
            .into_iter()
            .filter_map(|(_, site, key)| Some(ThreadRef::stored(SiteName::stored(&site?), &key?)))
            .collect::<Result<_, _>>()?;
        Ok(Changes { seq, threads })
    }

    async fn thread_page(&self, query: &PageQuery) -> Result<Option<Page>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let row = sqlx::query(&format!("{THREAD_COLUMNS} WHERE t.site = ? AND t.key = ?"))
            .bind(query.thread.site.as_str())
            .bind(query.thread.key.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(thread) = row.as_ref().map(thread_from_row).transpose()? else {
            return Ok(None);
        };

        let mut q = QueryBuilder::<Sqlite>::new(COMMENT_COLUMNS);
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
            let mut q = QueryBuilder::<Sqlite>::new(COMMENT_COLUMNS);
            q.push(" WHERE c.root_id IN (");
            let mut ids = q.separated(", ");
            for root in &comments {
                ids.push_bind(root.id);
            }
            q.push(") AND c.parent_id IS NOT NULL AND ")
                .push(VISIBLE)
                .push(" ORDER BY c.created_at, c.id");
            let replies = q.build().fetch_all(&mut *conn).await?;
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
