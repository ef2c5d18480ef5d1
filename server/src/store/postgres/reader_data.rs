//! PostgreSQL: what a reader may ask for or erase, and sites in and out ([`ReaderDataStore`]).

use super::COMMENT_COLUMNS;
use super::PostgresStore;
use super::import::PgImport;
use super::rows::comment_from_row;
use crate::store::CommentRecord;
use crate::store::ExportedThread;
use crate::store::ImportTx;
use crate::store::ReaderDataStore;
use crate::store::SiteName;
use crate::store::StoreError;
use crate::store::ThreadRef;
use async_trait::async_trait;
use palabre_api::Timestamp;

#[async_trait]
impl ReaderDataStore for PostgresStore {
    async fn unsubscribe_email(&self, email: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET notify = FALSE WHERE notify AND lower(email) = lower($1)",
        )
        .bind(email)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn comments_by_email(
        &self,
        email: &str,
        site: Option<&SiteName>,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        sqlx::query(&format!(
            "{COMMENT_COLUMNS} WHERE lower(c.email) = lower($1) \
             AND ($2::TEXT IS NULL OR t.site = $2) ORDER BY c.created_at, c.id"
        ))
        .bind(email)
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn delete_subtree(&self, id: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        // Children before parents (the parent_id foreign key has no cascade, on purpose).
        let ids: Vec<i64> = sqlx::query_scalar(
            "WITH RECURSIVE below(id, level) AS (SELECT id, 0 FROM comments WHERE id = $1 \
             UNION ALL SELECT c.id, b.level + 1 FROM comments c JOIN below b ON c.parent_id = b.id) \
             SELECT id FROM below ORDER BY level DESC",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for child in &ids {
            sqlx::query("DELETE FROM comments WHERE id = $1")
                .bind(child)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, StoreError> {
        Ok(Box::new(PgImport {
            tx: self.begin_write().await?,
        }))
    }

    async fn export_threads(
        &self,
        site: Option<&SiteName>,
    ) -> Result<Vec<ExportedThread>, StoreError> {
        let rows: Vec<(String, String, Option<String>, bool, bool, i64)> = sqlx::query_as(
            "SELECT site, key, title, locked, hidden, created_at FROM threads \
             WHERE $1::TEXT IS NULL OR site = $1 ORDER BY id",
        )
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(site, key, title, locked, hidden, created)| ExportedThread {
                    site: SiteName::stored(&site),
                    key,
                    title,
                    locked,
                    hidden,
                    created: Timestamp::from_millis(created),
                },
            )
            .collect())
    }

    async fn export_comments(&self, thread: &ThreadRef) -> Result<Vec<CommentRecord>, StoreError> {
        sqlx::query(&format!(
            "{COMMENT_COLUMNS} WHERE t.site = $1 AND t.key = $2 ORDER BY c.id"
        ))
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn export_votes(
        &self,
        thread: &ThreadRef,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        // COLLATE "C": byte order, as SQLite sorts, so both backends export the same bytes.
        Ok(sqlx::query_as(
            "SELECT v.comment_id, v.voter, v.value::BIGINT FROM votes v \
             JOIN comments c ON c.id = v.comment_id JOIN threads t ON t.id = c.thread_id \
             WHERE t.site = $1 AND t.key = $2 ORDER BY v.comment_id, v.voter COLLATE \"C\"",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.pool)
        .await?)
    }
}
