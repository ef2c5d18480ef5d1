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
//! others' caches in milliseconds ([`ThreadStore::change_signal`](super::ThreadStore::change_signal)); the poll stays as the fallback.

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
use super::{AuditEntry, CommentRecord, Deletion, PoolSettings, StoreError};

use palabre_api::CommentStatus;
use rows::comment_from_row;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Transaction};
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
     c.spam, c.identity_id, c.role FROM comments c JOIN threads t ON t.id = c.thread_id";

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
