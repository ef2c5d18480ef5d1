//! PostgreSQL's half of the post batches (`store/post_batches.rs`): one transaction per batch,
//! the change sequence locked first like every other write, one statement per post.

use super::begin_write;
use crate::store::post_batches::{BatchWriter, position};
use crate::store::{NewCommentRecord, StoreError};
use async_trait::async_trait;
use palabre_api::i18n::Lang;
use sqlx::{PgConnection, PgPool};

pub(super) struct PgPosts(pub(super) PgPool);

#[async_trait]
impl BatchWriter for PgPosts {
    async fn write(
        &self,
        posts: &[&NewCommentRecord],
        purge_before: Option<i64>,
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        // Optimistically, the whole batch in one statement: a refused post (a replayed
        // challenge, a parent deleted meanwhile) is rare. A refusal aborts the transaction;
        // the batch is then written again post by post, each in a savepoint, so that the
        // others still go in and the refused one gets its own error.
        match self.write_all(posts, purge_before).await {
            Ok(ids) => Ok(ids.into_iter().map(Ok).collect()),
            Err(StoreError::Unavailable(e)) => Err(StoreError::Unavailable(e)),
            Err(_) => self.write_one_by_one(posts, purge_before).await,
        }
    }
}

impl PgPosts {
    async fn begin(
        &self,
        purge_before: Option<i64>,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = begin_write(&self.0).await?;
        if let Some(before) = purge_before {
            sqlx::query("DELETE FROM spent_challenges WHERE expires_at <= $1")
                .bind(before)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    async fn write_all(
        &self,
        posts: &[&NewCommentRecord],
        purge_before: Option<i64>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin(purge_before).await?;
        let ids = insert_all(&mut tx, posts).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn write_one_by_one(
        &self,
        posts: &[&NewCommentRecord],
        purge_before: Option<i64>,
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        let mut tx = self.begin(purge_before).await?;
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

/// Every post of the batch in one statement (columns as arrays, `unnest`): spend the
/// challenges, create or rename the threads, insert the comments. The ids come back matched
/// by edit token hash, which is random and so unique to each post.
async fn insert_all(
    conn: &mut PgConnection,
    posts: &[&NewCommentRecord],
) -> Result<Vec<i64>, StoreError> {
    let mut site = Vec::with_capacity(posts.len());
    let mut thread = Vec::with_capacity(posts.len());
    let mut title = Vec::with_capacity(posts.len());
    let mut created = Vec::with_capacity(posts.len());
    let mut parent = Vec::with_capacity(posts.len());
    let mut root = Vec::with_capacity(posts.len());
    let mut depth = Vec::with_capacity(posts.len());
    let mut status = Vec::with_capacity(posts.len());
    let mut author = Vec::with_capacity(posts.len());
    let mut email = Vec::with_capacity(posts.len());
    let mut website = Vec::with_capacity(posts.len());
    let mut avatar = Vec::with_capacity(posts.len());
    let mut body = Vec::with_capacity(posts.len());
    let mut html = Vec::with_capacity(posts.len());
    let mut token = Vec::with_capacity(posts.len());
    let mut reader = Vec::with_capacity(posts.len());
    let mut notify = Vec::with_capacity(posts.len());
    let mut notify_lang = Vec::with_capacity(posts.len());
    let mut nonce = Vec::with_capacity(posts.len());
    let mut expires = Vec::with_capacity(posts.len());
    let mut identity = Vec::with_capacity(posts.len());
    let mut role = Vec::with_capacity(posts.len());
    for new in posts {
        let (p, r, d) = position(new);
        site.push(new.thread.site.as_str());
        thread.push(new.thread.key.as_str());
        title.push(new.title.as_deref());
        created.push(new.created.as_millis());
        parent.push(p);
        root.push(r);
        depth.push(i32::try_from(d).unwrap_or(i32::MAX));
        status.push(new.status.as_str());
        author.push(new.author.as_deref());
        email.push(new.email.as_deref());
        website.push(new.website.as_deref());
        avatar.push(new.avatar.as_str());
        body.push(new.body.as_str());
        html.push(new.html.as_str());
        token.push(new.edit_token_hash.as_slice());
        reader.push(new.reader_hash.as_str());
        notify.push(new.notify);
        notify_lang.push(new.notify_lang.map(Lang::tag));
        nonce.push(new.challenge.as_ref().map(|c| c.nonce.as_str()));
        expires.push(new.challenge.as_ref().map(|c| c.expires.as_millis()));
        identity.push(new.identity_id);
        role.push(new.role.as_str());
    }
    // Per thread, the latest non-empty title wins (posts get renamed), as one by one would.
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "WITH post AS (SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[], \
           $5::BIGINT[], $6::INTEGER[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], \
           $11::TEXT[], $12::TEXT[], $13::TEXT[], $14::BYTEA[], $15::TEXT[], $16::BOOLEAN[], \
           $17::TEXT[], $18::BIGINT[], $19::TEXT[], $20::TEXT[], $21::BIGINT[], $22::TEXT[]) \
           WITH ORDINALITY AS p(thread, title, created, parent, root, depth, status, author, \
           email, website, avatar, body, html, token, reader, notify, nonce, expires, \
           notify_lang, site, identity, role, n)), \
         spent AS (INSERT INTO spent_challenges (nonce, expires_at) \
           SELECT nonce, expires FROM post WHERE nonce IS NOT NULL), \
         upsert AS (INSERT INTO threads (site, key, title, created_at) \
           SELECT DISTINCT ON (site, thread) site, thread, title, created FROM post \
           ORDER BY site, thread, title IS NULL, n DESC \
           ON CONFLICT (site, key) DO UPDATE SET title = excluded.title \
           WHERE excluded.title IS NOT NULL AND threads.title IS DISTINCT FROM excluded.title \
           RETURNING id, site, key) \
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
           website, avatar, body, html, created_at, edit_token_hash, reader_hash, notify, \
           notify_lang, post_key, identity_id, role) \
         SELECT COALESCE(u.id, t.id), p.parent, p.root, p.depth, p.status, p.author, p.email, \
           p.website, p.avatar, p.body, p.html, p.created, p.token, p.reader, p.notify, \
           p.notify_lang, p.nonce, p.identity, p.role \
         FROM post p LEFT JOIN upsert u ON u.site = p.site AND u.key = p.thread \
           LEFT JOIN threads t ON t.site = p.site AND t.key = p.thread \
         ORDER BY p.n RETURNING id, edit_token_hash",
    )
    .bind(thread)
    .bind(title)
    .bind(created)
    .bind(parent)
    .bind(root)
    .bind(depth)
    .bind(status)
    .bind(author)
    .bind(email)
    .bind(website)
    .bind(avatar)
    .bind(body)
    .bind(html)
    .bind(token)
    .bind(reader)
    .bind(notify)
    .bind(nonce)
    .bind(expires)
    .bind(notify_lang)
    .bind(site)
    .bind(identity)
    .bind(role)
    .fetch_all(&mut *conn)
    .await?;
    let ids: std::collections::HashMap<Vec<u8>, i64> =
        rows.into_iter().map(|(id, token)| (token, id)).collect();
    posts
        .iter()
        .map(|p| {
            ids.get(&p.edit_token_hash)
                .copied()
                .ok_or_else(|| StoreError::Backend("a post of the batch got no id".into()))
        })
        .collect()
}

/// One statement: spend the challenge (a replay fails here, the nonce is unique), create or
/// rename the thread, insert the comment.
async fn insert_one(conn: &mut PgConnection, new: &NewCommentRecord) -> Result<i64, StoreError> {
    // A newer non-empty title wins: posts get renamed. An unchanged title writes nothing
    // (no new row version, no change stamp), so `upsert` may return no row: the thread then
    // exists already, committed before this statement's snapshot (writers are serialised).
    let (spend, key) = if new.challenge.is_some() {
        (
            "spent AS (INSERT INTO spent_challenges (nonce, expires_at) VALUES ($21, $22)), ",
            "$21",
        )
    } else {
        ("", "NULL")
    };
    let sql = format!(
        "WITH {spend}upsert AS (INSERT INTO threads (site, key, title, created_at) \
         VALUES ($18, $1, $2, $3) \
         ON CONFLICT (site, key) DO UPDATE SET title = excluded.title \
         WHERE excluded.title IS NOT NULL AND threads.title IS DISTINCT FROM excluded.title \
         RETURNING id) \
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
         website, avatar, body, html, created_at, edit_token_hash, reader_hash, notify, \
         notify_lang, post_key, identity_id, role) \
         VALUES (COALESCE((SELECT id FROM upsert), \
         (SELECT id FROM threads WHERE site = $18 AND key = $1)), \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $3, $14, $15, $16, $17, {key}, $19, $20) \
         RETURNING id"
    );
    let (parent_id, root_id, depth) = position(new);
    let mut query = sqlx::query_scalar(&sql)
        .bind(new.thread.key.as_str())
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
        .bind(new.notify)
        .bind(new.notify_lang.map(Lang::tag))
        .bind(new.thread.site.as_str())
        .bind(new.identity_id)
        .bind(new.role.as_str());
    if let Some(challenge) = &new.challenge {
        query = query
            .bind(&challenge.nonce)
            .bind(challenge.expires.as_millis());
    }
    query.fetch_one(conn).await.map_err(|e| {
        let spent = e
            .as_database_error()
            .and_then(|d| d.constraint())
            .is_some_and(|c| c == "spent_challenges_pkey" || c == "comments_post_key");
        if spent {
            StoreError::ChallengeSpent
        } else {
            StoreError::from(e)
        }
    })
}
