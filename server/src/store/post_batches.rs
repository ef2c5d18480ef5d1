//! New comments are written in batches ("group commit"), on every backend. Each post's
//! transaction ends with a commit that waits for the disk, and the change sequence (one row,
//! see the migrations) lets one writer at a time stamp its thread; so under load posts spent
//! more time waiting for other posts' BEGIN and COMMIT than on their own inserts. Posts that
//! arrive while a batch is written go together into the next one: one transaction, each post
//! in a savepoint so that a refused post (a replayed challenge, a parent deleted meanwhile)
//! leaves the others in. A lone post is a batch of one: no waiting for company.
//!
//! This module is the queue; each backend's [`BatchWriter`] writes one batch.

use crate::store::{NewCommentRecord, StoreError};
use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

/// Posts per transaction at most: bounds how long other writers wait.
const MAX_BATCH: usize = 64;
/// Posts waiting for their batch at most; more wait to enter the queue.
const QUEUE: usize = 1024;
/// Expired challenges are purged at most this often (in ms): a purge per post would be a
/// statement per post for nothing.
const PURGE_INTERVAL_MS: i64 = 60_000;

/// Writes one batch in one transaction.
#[async_trait]
pub(super) trait BatchWriter: Send + Sync + 'static {
    /// Each post's own outcome, in order; `Err` if the whole batch was rolled back. When
    /// `purge_before` is set, spent challenges expiring by then are deleted too.
    async fn write(
        &self,
        posts: &[&NewCommentRecord],
        purge_before: Option<i64>,
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError>;
}

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
    pub(super) fn start(writer: impl BatchWriter) -> Self {
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

async fn run(writer: impl BatchWriter, mut jobs: mpsc::Receiver<Job>) {
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
        let posts: Vec<&NewCommentRecord> = batch.iter().map(|j| &j.post).collect();
        let written = writer.write(&posts, purge_before).await;
        drop(posts);
        match written {
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
                    let failed = match &e {
                        StoreError::Unavailable(_) => {
                            StoreError::Unavailable(format!("batch failed: {e}").into())
                        }
                        _ => StoreError::Backend(format!("batch failed: {e}").into()),
                    };
                    let _ = job.done.send(Err(failed));
                }
            }
        }
    }
}

/// Parent, root and depth columns of a new comment. Root 0 for a top-level one: the
/// backend's `comments_own_root` trigger makes it its own root.
pub(super) fn position(new: &NewCommentRecord) -> (Option<i64>, i64, u32) {
    match new.parent {
        Some(p) => (Some(p.id), p.root_id, p.depth + 1),
        None => (None, 0, 0),
    }
}
