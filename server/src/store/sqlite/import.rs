//! An import's writes: one transaction, committed whole or not at all.

use crate::store::{
    ImportTx, ImportedComment, LedgerEntry, LedgerRow, LinkReport, StoreError, ThreadRef,
    ledger_entry,
};
use async_trait::async_trait;
use palabre_api::Timestamp;
use sqlx::Sqlite;

pub(super) struct SqliteImport {
    pub(super) tx: sqlx::Transaction<'static, Sqlite>,
}

#[async_trait]
impl ImportTx for SqliteImport {
    async fn thread(
        &mut self,
        thread: &ThreadRef,
        title: Option<&str>,
        created: Timestamp,
        locked: bool,
        hidden: bool,
    ) -> Result<i64, StoreError> {
        // An existing thread keeps its settings; it only gains a title it lacked.
        Ok(sqlx::query_scalar(
            "INSERT INTO threads (site, key, title, created_at, locked, hidden) \
             VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (site, key) DO UPDATE SET title = COALESCE(threads.title, excluded.title) \
             RETURNING id",
        )
        .bind(thread.site.as_str())
        .bind(thread.key.as_str())
        .bind(title)
        .bind(created.as_millis())
        .bind(locked)
        .bind(hidden)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    async fn ledger(
        &mut self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let row: Option<LedgerRow> = sqlx::query_as(
            "SELECT c.id, c.thread_id, c.created_at, c.status, c.body, i.fingerprint \
             FROM imports i JOIN comments c ON c.id = i.comment_id \
             WHERE i.source = ? AND i.external_id = ?",
        )
        .bind(source)
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(ledger_entry).transpose()
    }

    async fn rekey(
        &mut self,
        source: &str,
        from: &str,
        to: &str,
        parent: Option<&str>,
        fingerprint: &[u8; 32],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE imports SET external_id = ?, external_parent = ?, fingerprint = ? \
             WHERE source = ? AND external_id = ?",
        )
        .bind(to)
        .bind(parent)
        .bind(&fingerprint[..])
        .bind(source)
        .bind(from)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn comment(&mut self, source: &str, c: &ImportedComment) -> Result<i64, StoreError> {
        let id_free = match c.wanted_id {
            Some(id) => {
                !sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM comments WHERE id = ?)",
                )
                .bind(id)
                .fetch_one(&mut *self.tx)
                .await?
            }
            None => false,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (id, thread_id, parent_id, root_id, depth, status, author, \
             email, website, avatar, body, html, created_at, edited_at, likes, dislikes, \
             edit_token_hash, reader_hash, notify, spam, role) \
             VALUES (?, ?, NULL, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(c.wanted_id.filter(|_| id_free))
        .bind(c.thread_id)
        .bind(c.status.as_str())
        .bind(&c.author)
        .bind(&c.email)
        .bind(&c.website)
        .bind(&c.avatar)
        .bind(&c.body)
        .bind(&c.html)
        .bind(c.created.as_millis())
        .bind(c.edited.map(Timestamp::as_millis))
        .bind(c.likes)
        .bind(c.dislikes)
        .bind(&c.edit_token_hash)
        .bind(&c.reader_hash)
        .bind(c.notify)
        .bind(c.spam)
        .bind(c.role.as_str())
        .fetch_one(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO imports (source, external_id, comment_id, external_parent, fingerprint) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (source, external_id) DO UPDATE SET comment_id = excluded.comment_id, \
             external_parent = excluded.external_parent, fingerprint = excluded.fingerprint",
        )
        .bind(source)
        .bind(&c.external_id)
        .bind(id)
        .bind(&c.external_parent)
        .bind(&c.fingerprint[..])
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
    }

    async fn vote(&mut self, comment_id: i64, voter: &str, value: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO votes (comment_id, voter, value) VALUES (?, ?, ?) \
             ON CONFLICT (comment_id, voter) DO NOTHING",
        )
        .bind(comment_id)
        .bind(voter)
        .bind(value)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn link_parents(&mut self, source: &str) -> Result<LinkReport, StoreError> {
        let mut report = LinkReport::default();
        let pending: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT i.comment_id, c.thread_id, p.comment_id, pc.thread_id \
             FROM imports i JOIN comments c ON c.id = i.comment_id \
             LEFT JOIN imports p ON p.source = i.source AND p.external_id = i.external_parent \
             LEFT JOIN comments pc ON pc.id = p.comment_id \
             WHERE i.source = ? AND i.external_parent IS NOT NULL AND c.parent_id IS NULL",
        )
        .bind(source)
        .fetch_all(&mut *self.tx)
        .await?;
        for (id, thread, parent, parent_thread) in pending {
            match parent {
                Some(p) if p != id && parent_thread == Some(thread) => {
                    sqlx::query("UPDATE comments SET parent_id = ? WHERE id = ?")
                        .bind(p)
                        .bind(id)
                        .execute(&mut *self.tx)
                        .await?;
                    report.linked += 1;
                }
                _ => report.orphans += 1,
            }
        }

        // Roots and depths of every comment in the threads this source touched.
        let rows: Vec<(i64, Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT id, parent_id, root_id, depth FROM comments WHERE thread_id IN \
             (SELECT DISTINCT c.thread_id FROM imports i JOIN comments c ON c.id = i.comment_id \
              WHERE i.source = ?)",
        )
        .bind(source)
        .fetch_all(&mut *self.tx)
        .await?;
        let placement = crate::store::import_placement(&rows);
        for id in &placement.cut {
            sqlx::query("UPDATE comments SET parent_id = NULL WHERE id = ?")
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        for (id, root, depth) in &placement.moved {
            sqlx::query("UPDATE comments SET root_id = ?, depth = ? WHERE id = ?")
                .bind(root)
                .bind(depth)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }

        // Deleted comments are kept only as placeholders holding replies.
        loop {
            let done = sqlx::query(
                "DELETE FROM comments WHERE status = 'deleted' \
                 AND id IN (SELECT comment_id FROM imports WHERE source = ?) \
                 AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)",
            )
            .bind(source)
            .execute(&mut *self.tx)
            .await?;
            if done.rows_affected() == 0 {
                break;
            }
            report.dropped_placeholders += done.rows_affected();
        }
        Ok(report)
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
