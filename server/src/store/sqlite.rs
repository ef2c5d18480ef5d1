//! SQLite backend: the default, embedded, zero-configuration store.
//!
//! Writes go through a pool of one connection: SQLite allows one writer at a time anyway, and
//! queueing writers in-process avoids `SQLITE_BUSY` on lock upgrades. Reads use their own pool
//! and, thanks to WAL, never wait for a writer.

use super::{
    CommentRecord, Cursor, Deletion, NewCommentRecord, Page, PageQuery, Store, StoreError,
    ThreadRecord,
};
use async_trait::async_trait;
use palabre_api::{CommentStatus, SortOrder, ThreadKey, Timestamp, VoteValue};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const COMMENT_COLUMNS: &str = "SELECT c.id, t.key AS thread_key, c.parent_id, c.root_id, c.depth, \
     c.status, c.author, c.email, c.website, c.avatar, c.body, c.html, c.created_at, \
     c.edited_at, c.likes, c.dislikes, c.edit_token_hash, c.reader_hash, c.notify \
     FROM comments c JOIN threads t ON t.id = c.thread_id";

const THREAD_COLUMNS: &str = "SELECT t.id, t.key, t.title, t.locked, \
     (SELECT COUNT(*) FROM comments c WHERE c.thread_id = t.id AND c.status = 'published') AS count \
     FROM threads t";

/// Statuses readers see in a thread (pending ones are shown only to their author).
const VISIBLE: &str = "c.status IN ('published', 'deleted')";

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
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
                .connect_with(options.read_only(true))
                .await?
        };
        Ok(Self { writer, reader })
    }
}

fn comment_from_row(row: &SqliteRow) -> Result<CommentRecord, StoreError> {
    let status: String = row.try_get("status")?;
    let status = CommentStatus::parse(&status).ok_or_else(|| {
        StoreError::Backend(format!("unknown comment status {status:?} in database").into())
    })?;
    Ok(CommentRecord {
        id: row.try_get("id")?,
        thread_key: row.try_get("thread_key")?,
        parent_id: row.try_get("parent_id")?,
        root_id: row.try_get("root_id")?,
        depth: row.try_get("depth")?,
        status,
        author: row.try_get("author")?,
        email: row.try_get("email")?,
        website: row.try_get("website")?,
        avatar: row.try_get("avatar")?,
        body: row.try_get("body")?,
        html: row.try_get("html")?,
        created: Timestamp::from_millis(row.try_get("created_at")?),
        edited: row
            .try_get::<Option<i64>, _>("edited_at")?
            .map(Timestamp::from_millis),
        likes: row.try_get("likes")?,
        dislikes: row.try_get("dislikes")?,
        edit_token_hash: row.try_get("edit_token_hash")?,
        reader_hash: row.try_get("reader_hash")?,
        notify: row.try_get("notify")?,
    })
}

fn thread_from_row(row: &SqliteRow) -> Result<ThreadRecord, StoreError> {
    Ok(ThreadRecord {
        id: row.try_get("id")?,
        key: row.try_get("key")?,
        title: row.try_get("title")?,
        locked: row.try_get("locked")?,
        count: row.try_get::<i64, _>("count")?.try_into().unwrap_or(0),
    })
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

    async fn thread(&self, key: &ThreadKey) -> Result<Option<ThreadRecord>, StoreError> {
        let row = sqlx::query(&format!("{THREAD_COLUMNS} WHERE t.key = ?"))
            .bind(key.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(thread_from_row).transpose()
    }

    async fn set_thread_locked(&self, key: &ThreadKey, locked: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE threads SET locked = ? WHERE key = ?")
            .bind(locked)
            .bind(key.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn counts(&self, keys: &[ThreadKey]) -> Result<HashMap<String, u64>, StoreError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new(THREAD_COLUMNS);
        q.push(" WHERE t.key IN (");
        let mut list = q.separated(", ");
        for key in keys {
            list.push_bind(key.as_str());
        }
        q.push(")");
        let rows = q.build().fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| thread_from_row(row).map(|t| (t.key, t.count)))
            .collect()
    }

    async fn comment(&self, id: i64) -> Result<Option<CommentRecord>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        comment_in(&mut conn, id).await
    }

    async fn published_by_email(&self, email: &str) -> Result<u64, StoreError> {
        // Emails are compared case-insensitively: that is how people type them.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE status = 'published' AND lower(email) = lower(?)",
        )
        .bind(email)
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
    }

    async fn insert_comment(&self, new: NewCommentRecord) -> Result<CommentRecord, StoreError> {
        let mut tx = self.writer.begin().await?;
        // A newer non-empty title wins: posts get renamed.
        let thread_id: i64 = sqlx::query_scalar(
            "INSERT INTO threads (key, title, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET title = COALESCE(excluded.title, threads.title) \
             RETURNING id",
        )
        .bind(new.thread.as_str())
        .bind(&new.title)
        .bind(new.created.as_millis())
        .fetch_one(&mut *tx)
        .await?;
        let (parent_id, root_id, depth) = match new.parent {
            Some(p) => (Some(p.id), p.root_id, p.depth + 1),
            None => (None, 0, 0),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
             website, avatar, body, html, created_at, edit_token_hash, reader_hash, notify) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(thread_id)
        .bind(parent_id)
        .bind(root_id)
        .bind(depth)
        .bind(new.status.as_str())
        .bind(&new.author)
        .bind(&new.email)
        .bind(&new.website)
        .bind(&new.avatar)
        .bind(&new.body)
        .bind(&new.html)
        .bind(new.created.as_millis())
        .bind(&new.edit_token_hash)
        .bind(&new.reader_hash)
        .bind(new.notify)
        .fetch_one(&mut *tx)
        .await?;
        if parent_id.is_none() {
            sqlx::query("UPDATE comments SET root_id = id WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let stored = comment_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("inserted comment vanished".into()))?;
        tx.commit().await?;
        Ok(stored)
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
        let Some(comment) = comment_in(&mut tx, id).await? else {
            return Ok(None);
        };
        let outcome = if has_replies(&mut tx, id).await? {
            sqlx::query(
                "UPDATE comments SET status = 'deleted', author = NULL, email = NULL, \
                 website = NULL, body = '', html = '', likes = 0, dislikes = 0, notify = 0 \
                 WHERE id = ?",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM votes WHERE comment_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let placeholder = comment_in(&mut tx, id)
                .await?
                .ok_or_else(|| StoreError::Backend("placeholder vanished".into()))?;
            Deletion::Placeholder(Box::new(placeholder))
        } else {
            sqlx::query("DELETE FROM comments WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // Placeholders exist only to hold replies: remove those this deletion emptied.
            let mut parent = comment.parent_id;
            while let Some(pid) = parent {
                let Some(p) = comment_in(&mut tx, pid).await? else {
                    break;
                };
                if p.status != CommentStatus::Deleted || has_replies(&mut tx, pid).await? {
                    break;
                }
                sqlx::query("DELETE FROM comments WHERE id = ?")
                    .bind(pid)
                    .execute(&mut *tx)
                    .await?;
                parent = p.parent_id;
            }
            Deletion::Removed
        };
        tx.commit().await?;
        Ok(Some(outcome))
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

    async fn thread_page(&self, query: &PageQuery) -> Result<Option<Page>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let row = sqlx::query(&format!("{THREAD_COLUMNS} WHERE t.key = ?"))
            .bind(query.thread.as_str())
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
