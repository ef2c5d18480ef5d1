//! SQLite's half of the post batches (`store/post_batches.rs`): one transaction per batch on
//! the single writer connection, one query of several statements per post.

use crate::store::post_batches::{BatchWriter, position};
use crate::store::{NewCommentRecord, StoreError};
use async_trait::async_trait;
use palabre_api::i18n::Lang;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

pub(super) struct SqlitePosts(pub(super) SqlitePool);

#[async_trait]
impl BatchWriter for SqlitePosts {
    async fn write(
        &self,
        posts: &[&NewCommentRecord],
        purge_before: Option<i64>,
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        let mut tx = self.0.begin().await?;
        if let Some(before) = purge_before {
            sqlx::query("DELETE FROM spent_challenges WHERE expires_at <= ?")
                .bind(before)
                .execute(&mut *tx)
                .await?;
        }
        let mut results = Vec::with_capacity(posts.len());
        for post in posts {
            let result = insert_one(&mut tx, post).await;
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
        "INSERT INTO threads (site, key, title, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (site, key) DO UPDATE SET title = COALESCE(excluded.title, threads.title);\n\
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
         website, avatar, body, html, created_at, edit_token_hash, reader_hash, notify, \
         notify_lang, post_key, identity_id, role) \
         VALUES ((SELECT id FROM threads WHERE site = ? AND key = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
         ?, ?, ?, ?, ?) RETURNING id;\n\
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
        .bind(new.thread.site.as_str())
        .bind(new.thread.key.as_str())
        .bind(&new.title)
        .bind(now)
        .bind(new.thread.site.as_str())
        .bind(new.thread.key.as_str())
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
        .bind(new.notify)
        .bind(new.notify_lang.map(Lang::tag))
        .bind(new.challenge.as_ref().map(|c| c.nonce.as_str()))
        .bind(new.identity_id)
        .bind(new.role.as_str());
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
