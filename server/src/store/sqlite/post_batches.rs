//! New comments are written in batches ("group commit"). SQLite takes one writer at a time and
//! every statement is a round trip to the connection's thread, so under load posts spent more
//! time waiting for other posts' BEGIN and COMMIT than on their own inserts. Posts that arrive
//! while a batch is written go together into the next one: one transaction, one query per post,
//! each in a savepoint so that a refused post (a replayed challenge, a parent deleted meanwhile)
//! leaves the others in. A lone post is a batch of one: no waiting for company.

use crate::store::{NewCommentRecord, StoreError};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

/// Posts per transaction at most: bounds how long other writers wait.
const MAX_BATCH: usize = 64;
/// Posts waiting for their batch at most; more wait to enter the queue.
const QUEUE: usize = 1024;
/// Expired challenges are purged at most this often (in ms): a purge per post would be a
/// statement per post for nothing.
const PURGE_INTERVAL_MS: i64 = 60_000;

pub(super) struct PostBatches {
    queue: mpsc::Sender<Job>,
}

/// The post comes back with its id, so the caller builds the stored record without a copy.
type Done = oneshot::Sender<Result<(NewCommentRecord, i64), StoreError>>;

struct Job {
    post: NewCommentRecord,
    done: Done,
}

impl PostBatches {
    /// Starts the writing task; it ends once this is dropped and the queue is empty.
    pub(super) fn start(writer: SqlitePool) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, jobs));
        Self { queue }
    }

    /// Inserts the comment (and spends its challenge); returns the post and the new id.
    pub(super) async fn insert(
        &self,
        post: NewCommentRecord,
    ) -> Result<(NewCommentRecord, i64), StoreError> {
        let (done, result) = oneshot::channel();
        let job = Job { post, done };
        self.queue.send(job).await.map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the comment writer has stopped".into())
}

async fn run(writer: SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // When expired challenges were last purged, in the posts' own clock (Unix ms).
    let mut last_purge = 0;
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let now = batch
            .iter()
            .filter(|j| j.post.challenge.is_some())
            .map(|j| j.post.created.as_millis())
            .max();
        let purge_before = now.filter(|now| now - last_purge >= PURGE_INTERVAL_MS);
        match write(&writer, &batch, purge_before).await {
            Ok(results) => {
                last_purge = purge_before.unwrap_or(last_purge);
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.done.send(result.map(|id| (job.post, id)));
                }
            }
            Err(e) => {
                // Rolled back as a whole: every post of the batch gets the error.
                tracing::error!(error = %e, posts = batch.len(), "writing a batch of comments failed");
                for job in batch.drain(..) {
                    let failed = StoreError::Backend(format!("batch failed: {e}").into());
                    let _ = job.done.send(Err(failed));
                }
            }
        }
    }
}

/// One transaction for the whole batch; each post's own outcome in order.
async fn write(
    writer: &SqlitePool,
    batch: &[Job],
    purge_before: Option<i64>,
) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
    let mut tx = writer.begin().await?;
    if let Some(before) = purge_before {
        sqlx::query("DELETE FROM spent_challenges WHERE expires_at <= ?")
            .bind(before)
            .execute(&mut *tx)
            .await?;
    }
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let result = insert_one(&mut tx, &job.post).await;
        if result.is_err() {
            // The failing statement stopped the query inside its savepoint: undo this post.
            sqlx::query("ROLLBACK TO post; RELEASE post")
                .execute(&mut *tx)
                .await?;
        }
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

async fn insert_one(
    tx: &mut Transaction<'static, Sqlite>,
    new: &NewCommentRecord,
) -> Result<i64, StoreError> {
    // One query of several statements: one round trip. A replayed challenge fails the first
    // insert (the nonce is unique).
    let mut sql = String::from("SAVEPOINT post;\n");
    if new.challenge.is_some() {
        sql.push_str("INSERT INTO spent_challenges (nonce, expires_at) VALUES (?, ?);\n");
    }
    // A newer non-empty title wins: posts get renamed.
    sql.push_str(
        "INSERT INTO threads (key, title, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (key) DO UPDATE SET title = COALESCE(excluded.title, threads.title);\n\
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
         website, avatar, body, html, created_at, edit_token_hash, reader_hash, notify) \
         VALUES ((SELECT id FROM threads WHERE key = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
         ?) RETURNING id;\n\
         RELEASE post",
    );
    let (parent_id, root_id, depth) = position(new);
    let mut query = sqlx::query(&sql);
    if let Some(challenge) = &new.challenge {
        query = query
            .bind(&challenge.nonce)
            .bind(challenge.expires.as_millis());
    }
    let now = new.created.as_millis();
    let query = query
        .bind(new.thread.as_str())
        .bind(&new.title)
        .bind(now)
        .bind(new.thread.as_str())
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
        .bind(now)
        .bind(&new.edit_token_hash)
        .bind(&new.reader_hash)
        .bind(new.notify);
    // fetch_all, not fetch_one: the latter stops at the first row, before RELEASE.
    let rows = query
        .fetch_all(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Unique if new.challenge.is_some() => StoreError::ChallengeSpent,
            other => other,
        })?;
    Ok(rows
        .first()
        .ok_or_else(|| StoreError::Backend("insert returned no id".into()))?
        .try_get(0)?)
}

/// Parent, root and depth columns of a new comment. Root 0 for a top-level one: the
/// comments_own_root trigger makes it its own root.
pub(super) fn position(new: &NewCommentRecord) -> (Option<i64>, i64, u32) {
    match new.parent {
        Some(p) => (Some(p.id), p.root_id, p.depth + 1),
        None => (None, 0, 0),
    }
}
