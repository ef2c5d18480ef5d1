//! SQLite: what a reader may ask for or erase, and sites in and out ([`ReaderDataStore`]).

use super::COMMENT_COLUMNS;
use super::SqliteStore;
use super::import::SqliteImport;
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
impl ReaderDataStore for SqliteStore {
    async fn unsubscribe_email(&self, email: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET notify = 0 WHERE notify = 1 AND lower(email) = lower(?)",
        )
        .bind(email)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn comments_by_email(
        &self,
        email: &str,
        site: Option<&SiteName>,
    ) -> Result<Vec<CommentRecord>, StoreError> {
        sqlx::query(&format!(
            "{COMMENT_COLUMNS} WHERE lower(c.email) = lower(?) AND (? IS NULL OR t.site = ?) \
             ORDER BY c.created_at, c.id"
        ))
        .bind(email)
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn delete_subtree(&self, id: i64) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        // Children before parents (the parent_id foreign key has no cascade, on purpose).
        let ids: Vec<i64> = sqlx::query_scalar(
            "WITH RECURSIVE below(id, level) AS (SELECT id, 0 FROM comments WHERE id = ? \
             UNION ALL SELECT c.id, b.level + 1 FROM comments c JOIN below b ON c.parent_id = b.id) \
             SELECT id FROM below ORDER BY level DESC",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for child in &ids {
            sqlx::query("DELETE FROM comments WHERE id = ?")
                .bind(child)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    async fn begin_import(&self) -> Result<Box<dyn ImportTx>, StoreError> {
        Ok(Box::new(SqliteImport {
            tx: self.writer.begin().await?,
        }))
    }

    async fn export_threads(
        &self,
        site: Option<&SiteName>,
    ) -> Result<Vec<ExportedThread>, StoreError> {
        let rows: Vec<(String, String, Option<String>, bool, bool, i64)> = sqlx::query_as(
            "SELECT site, key, title, locked, hidden, created_at FROM threads \
             WHERE ? IS NULL OR site = ? ORDER BY id",
        )
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.reader)
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
            "{COMMENT_COLUMNS} WHERE t.site = ? AND t.key = ? ORDER BY c.id"
        ))
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(comment_from_row)
        .collect()
    }

    async fn export_votes(
        &self,
        thread: &ThreadRef,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT v.comment_id, v.voter, v.value FROM votes v \
             JOIN comments c ON c.id = v.comment_id JOIN threads t ON t.id = c.thread_id \
             WHERE t.site = ? AND t.key = ? ORDER BY v.comment_id, v.voter",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .fetch_all(&self.reader)
        .await?)
    }
}
