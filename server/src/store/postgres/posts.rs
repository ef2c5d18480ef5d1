//! PostgreSQL's half of the post batches (`store/post_batches.rs`): one transaction per batch,
//! the change sequence locked first like every other write, one statement per post inside
//! its own savepoint.

use super::lock_changes;
use crate::store::post_batches::{BatchWriter, position};
use crate::store::{NewCommentRecord, StoreError};
use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};

pub(super) struct PgPosts(pub(super) PgPool);

#[async_trait]
impl BatchWriter for PgPosts {
    async fn write(
        &self,
        posts: &[&NewCommentRecord],
        purge_before: Option<i64>,
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        let mut tx = self.0.begin().await?;
        lock_changes(&mut tx).await?;
        if let Some(before) = purge_before {
            sqlx::query("DELETE FROM spent_challenges WHERE expires_at <= $1")
                .bind(before)
                .execute(&mut *tx)
                .await?;
        }
        let mut results = Vec::with_capacity(posts.len());
        for post in posts {
            sqlx::query("SAVEPOINT post").execute(&mut *tx).await?;
            let result = insert_one(&mut tx, post).await;
            // A failed statement aborts the transaction up to the savepoint: undo this post.
            let end = if result.is_ok() {
                "RELEASE post"
            } else {
                "ROLLBACK TO post"
            };
            sqlx::query(end).execute(&mut *tx).await?;
            results.push(result);
        }
        tx.commit().await?;
        Ok(results)
    }
}

/// One statement: spend the challenge (a replay fails here, the nonce is unique), create or
/// rename the thread, insert the comment.
async fn insert_one(conn: &mut PgConnection, new: &NewCommentRecord) -> Result<i64, StoreError> {
    // A newer non-empty title wins: posts get renamed. An unchanged title writes nothing
    // (no new row version, no change stamp), so `upsert` may return no row: the thread then
    // exists already, committed before this statement's snapshot (writers are serialised).
    let spend = if new.challenge.is_some() {
        "spent AS (INSERT INTO spent_challenges (nonce, expires_at) VALUES ($17, $18)), "
    } else {
        ""
    };
    let sql = format!(
        "WITH {spend}upsert AS (INSERT INTO threads (key, title, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET title = excluded.title \
         WHERE excluded.title IS NOT NULL AND threads.title IS DISTINCT FROM excluded.title \
         RETURNING id) \
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
         website, avatar, body, html, created_at, edit_token_hash, reader_hash, notify) \
         VALUES (COALESCE((SELECT id FROM upsert), (SELECT id FROM threads WHERE key = $1)), \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $3, $14, $15, $16) RETURNING id"
    );
    let (parent_id, root_id, depth) = position(new);
    let mut query = sqlx::query_scalar(&sql)
        .bind(new.thread.as_str())
        .bind(&new.title)
        .bind(new.created.as_millis())
        .bind(parent_id)
        .bind(root_id)
        .bind(i32::try_from(depth).unwrap_or(i32::MAX))
        .bind(new.status.as_str())
        .bind(&new.author)
        .bind(&new.email)
        .bind(&new.website)
        .bind(&new.avatar)
        .bind(&new.body)
        .bind(&new.html)
        .bind(&new.edit_token_hash)
        .bind(&new.reader_hash)
        .bind(new.notify);
    if let Some(challenge) = &new.challenge {
        query = query
            .bind(&challenge.nonce)
            .bind(challenge.expires.as_millis());
    }
    query.fetch_one(conn).await.map_err(|e| {
        let spent = e
            .as_database_error()
            .and_then(|d| d.constraint())
            .is_some_and(|c| c == "spent_challenges_pkey");
        if spent {
            StoreError::ChallengeSpent
        } else {
            StoreError::from(e)
        }
    })
}
