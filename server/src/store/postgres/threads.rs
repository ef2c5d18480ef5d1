//! PostgreSQL: threads, comments, votes, pages, and the changes readers see ([`ThreadStore`]).

use super::COMMENT_COLUMNS;
use super::PostgresStore;
use super::THREAD_COLUMNS;
use super::VISIBLE;
use super::comment_in;
use super::delete_in;
use super::limit;
use super::rows;
use super::rows::comment_from_row;
use super::rows::thread_from_row;
use crate::store::ChangeEvent;
use crate::store::Changes;
use crate::store::CommentRecord;
use crate::store::Cursor;
use crate::store::Deletion;
use crate::store::EventWindow;
use crate::store::NewCommentRecord;
use crate::store::Page;
use crate::store::PageQuery;
use crate::store::SiteName;
use crate::store::StoreError;
use crate::store::ThreadRecord;
use crate::store::ThreadRef;
use crate::store::ThreadStore;
use async_trait::async_trait;
use palabre_api::SortOrder;
use palabre_api::ThreadKey;
use palabre_api::Timestamp;
use palabre_api::VoteValue;
use sqlx::Postgres;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use tokio::sync::watch;

#[async_trait]
impl ThreadStore for PostgresStore {
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
        rows.into_iter().map(crate::store::change_event).collect()
    }

    async fn event_window(&self) -> Result<EventWindow, StoreError> {
        let (pruned, now): (Option<String>, i64) = sqlx::query_as(
            "SELECT (SELECT value FROM settings WHERE key = $1), seq FROM change_sequence",
        )
        .bind(crate::store::EVENTS_PRUNED_SETTING)
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
        .bind(crate::store::EVENTS_PRUNED_SETTING)
        .bind(last.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
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
