//! SQLite: threads, comments, votes, pages, and the changes readers see ([`ThreadStore`]).

use super::COMMENT_COLUMNS;
use super::SqliteStore;
use super::THREAD_COLUMNS;
use super::VISIBLE;
use super::comment_in;
use super::delete_in;
use super::rows::comment_from_row;
use super::rows::thread_from_row;
use crate::store::ChangeEvent;
use crate::store::Changes;
use crate::store::CommentRecord;
use crate::store::Cursor;
use crate::store::Deletion;
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
use sqlx::QueryBuilder;
use sqlx::Sqlite;
use std::collections::HashMap;

#[async_trait]
impl ThreadStore for SqliteStore {
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
        rows.into_iter().map(crate::store::change_event).collect()
    }

    async fn event_window(&self) -> Result<crate::store::EventWindow, StoreError> {
        let (pruned, now): (Option<String>, i64) = sqlx::query_as(
            "SELECT (SELECT value FROM settings WHERE key = ?), seq FROM change_sequence",
        )
        .bind(crate::store::EVENTS_PRUNED_SETTING)
        .fetch_one(&self.reader)
        .await?;
        Ok(crate::store::EventWindow {
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
