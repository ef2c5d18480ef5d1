//! SQLite backend: the default, embedded, zero-configuration store.
//!
//! Writes go through a pool of one connection: SQLite allows one writer at a time anyway, and
//! queueing writers in-process avoids `SQLITE_BUSY` on lock upgrades. Reads use their own pool
//! and, thanks to WAL, never wait for a writer.

use super::{AuditEntry, CommentRecord, Deletion, StoreError};
mod federation;
mod identities;
mod import;
mod moderation;
mod posts;
mod reader_data;
mod rows;
mod settings;
mod threads;

use super::post_batches::PostBatches;
use rows::comment_from_row;

use palabre_api::CommentStatus;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const COMMENT_COLUMNS: &str = "SELECT c.id, t.site, t.key AS thread_key, c.parent_id, c.root_id, c.depth, \
     c.status, c.author, c.email, c.website, c.avatar, c.body, c.html, c.created_at, \
     c.edited_at, c.likes, c.dislikes, c.edit_token_hash, c.reader_hash, c.notify, c.notify_lang, \
     c.spam, c.identity_id, c.role FROM comments c JOIN threads t ON t.id = c.thread_id";

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
