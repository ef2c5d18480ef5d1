//! SQLite: statuses, the queue, blocks, the gate before a post, and the log ([`ModerationStore`]).

use super::COMMENT_COLUMNS;
use super::SqliteStore;
use super::comment_in;
use super::delete_in;
use super::log_in;
use super::rows::comment_from_row;
use super::set_status_in;
use crate::store::AuditEntry;
use crate::store::Block;
use crate::store::BlockKind;
use crate::store::CommentChange;
use crate::store::CommentFilter;
use crate::store::CommentRecord;
use crate::store::ListedStatus;
use crate::store::ModerationStore;
use crate::store::PostGate;
use crate::store::SiteName;
use crate::store::StoreError;
use crate::store::ThreadRef;
use crate::store::ThreadSummary;
use async_trait::async_trait;
use palabre_api::CommentStatus;
use palabre_api::Timestamp;
use sqlx::QueryBuilder;
use sqlx::Row;
use sqlx::Sqlite;

#[async_trait]
impl ModerationStore for SqliteStore {
    async fn published_by_identity(&self, identity: i64) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE status = 'published' AND identity_id = ?",
        )
        .bind(identity)
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
    }

    async fn set_thread_hidden(
        &self,
        thread: &ThreadRef,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE threads SET hidden = ? WHERE site = ? AND key = ?")
            .bind(hidden)
            .bind(thread.site.as_str())
            .bind(thread.key.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn threads_overview(
        &self,
        site: Option<&SiteName>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.site, t.key, t.title, t.locked, t.hidden, \
             SUM(c.status = 'published') AS published, \
             SUM(c.status = 'pending' AND c.spam = 0) AS pending, \
             MAX(c.created_at) AS last_comment \
             FROM threads t LEFT JOIN comments c ON c.thread_id = t.id \
             WHERE ? IS NULL OR t.site = ? \
             GROUP BY t.id ORDER BY COALESCE(MAX(c.created_at), t.created_at) DESC, t.id DESC \
             LIMIT ? OFFSET ?",
        )
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let n = |name: &str| -> Result<u64, StoreError> {
                    Ok(row
                        .try_get::<Option<i64>, _>(name)?
                        .unwrap_or(0)
                        .try_into()
                        .unwrap_or(0))
                };
                Ok(ThreadSummary {
                    site: SiteName::stored(row.try_get::<&str, _>("site")?),
                    key: row.try_get("key")?,
                    title: row.try_get("title")?,
                    locked: row.try_get("locked")?,
                    hidden: row.try_get("hidden")?,
                    published: n("published")?,
                    pending: n("pending")?,
                    last_comment: row
                        .try_get::<Option<i64>, _>("last_comment")?
                        .map(Timestamp::from_millis),
                })
            })
            .collect()
    }

    async fn set_comment_status(
        &self,
        id: i64,
        status: CommentStatus,
        spam: bool,
    ) -> Result<Option<CommentRecord>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let updated = set_status_in(&mut tx, id, status, spam).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn moderate_comments(
        &self,
        ids: &[i64],
        change: CommentChange,
        decide: &(dyn for<'c> Fn(&'c CommentRecord) -> Option<AuditEntry> + Send + Sync),
    ) -> Result<Vec<CommentRecord>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut changed = Vec::new();
        for &id in ids {
            let Some(comment) = comment_in(&mut tx, id).await? else {
                continue;
            };
            let Some(entry) = decide(&comment) else {
                continue;
            };
            let after = match change {
                CommentChange::Publish => {
                    set_status_in(&mut tx, id, CommentStatus::Published, false).await?
                }
                CommentChange::MarkSpam => {
                    set_status_in(&mut tx, id, CommentStatus::Pending, true).await?
                }
                CommentChange::Delete => delete_in(&mut tx, id).await?.map(|_| comment),
            };
            if let Some(after) = after {
                log_in(&mut tx, &entry).await?;
                changed.push(after);
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn list_comments(
        &self,
        filter: &CommentFilter,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(COMMENT_COLUMNS);
        q.push(" WHERE 1 = 1");
        if let Some(site) = &filter.site {
            q.push(" AND t.site = ").push_bind(site.as_str().to_owned());
        }
        if let Some(thread) = &filter.thread {
            q.push(" AND t.key = ").push_bind(thread.clone());
        }
        if let Some(identity) = filter.identity {
            q.push(" AND c.identity_id = ").push_bind(identity);
        }
        match filter.status {
            None => &mut q,
            Some(ListedStatus::Spam) => q.push(" AND c.spam = 1"),
            // A literal, not a bound value: the queue's partial index needs to see it.
            Some(status) => q.push(format!(
                " AND c.spam = 0 AND c.status = '{}'",
                status.as_str()
            )),
        };
        // instr() on lower(): a plain substring match, no LIKE wildcards to escape.
        if let Some(author) = filter.author.as_deref().filter(|a| !a.is_empty()) {
            let needle = author.to_lowercase();
            q.push(" AND (instr(lower(COALESCE(c.author, '')), ")
                .push_bind(needle.clone())
                .push(") > 0 OR instr(lower(COALESCE(c.email, '')), ")
                .push_bind(needle)
                .push(") > 0)");
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
            q.push(" AND instr(lower(c.body), ")
                .push_bind(text.to_lowercase())
                .push(") > 0");
        }
        q.push(if filter.oldest_first {
            " ORDER BY c.created_at, c.id"
        } else {
            " ORDER BY c.created_at DESC, c.id DESC"
        });
        q.push(" LIMIT ")
            .push_bind(filter.limit)
            .push(" OFFSET ")
            .push_bind(filter.offset);
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    async fn pending_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE status = 'pending' AND spam = 0",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
    }

    async fn posts_by_reader_since(
        &self,
        reader: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE reader_hash = ? AND created_at >= ?",
        )
        .bind(reader)
        .bind(since.as_millis())
        .fetch_one(&self.reader)
        .await?;
        Ok(n.try_into().unwrap_or(0))
    }

    async fn add_block(
        &self,
        kind: BlockKind,
        value: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO blocks (kind, value, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (kind, value) DO NOTHING",
        )
        .bind(kind.as_str())
        .bind(value)
        .bind(at.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn remove_block(&self, kind: BlockKind, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM blocks WHERE kind = ? AND value = ?")
            .bind(kind.as_str())
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn post_gate(
        &self,
        thread: &ThreadRef,
        email: Option<&str>,
        reader: &str,
    ) -> Result<PostGate, StoreError> {
        // Not THREAD_COLUMNS: its count scans the thread's comments, which a post does not need.
        // Blocked emails are stored lowercased by Rust; SQL's lower() folds ASCII only.
        let (thread_closed, blocked) = sqlx::query_as(
            "SELECT COALESCE((SELECT locked OR hidden FROM threads WHERE site = ? AND key = ?), 0), \
             EXISTS (SELECT 1 FROM blocks WHERE (kind = 'reader' AND value = ?) \
             OR (kind = 'email' AND value = ?))",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .bind(reader)
        .bind(email.map(palabre_api::unicode::lowercase))
        .fetch_one(&self.reader)
        .await?;
        Ok(PostGate {
            thread_closed,
            blocked,
        })
    }

    async fn blocks(&self) -> Result<Vec<Block>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, value, created_at FROM blocks ORDER BY created_at DESC, value",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(kind, value, at)| {
                Ok(Block {
                    kind: BlockKind::parse(&kind).ok_or_else(|| {
                        StoreError::Backend(format!("unknown block kind {kind:?}").into())
                    })?,
                    value,
                    created: Timestamp::from_millis(at),
                })
            })
            .collect()
    }

    async fn log_action(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        log_in(&mut *self.writer.acquire().await?, entry).await
    }

    async fn admin_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, target, detail FROM admin_log ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, target, detail)| AuditEntry {
                at: Timestamp::from_millis(at),
                actor,
                action,
                target,
                detail,
            })
            .collect())
    }
}
