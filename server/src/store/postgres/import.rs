//! An import's writes: one transaction, committed whole or not at all.

use super::rows;
use crate::store::{
    ImportTx, ImportedComment, LedgerEntry, LedgerRow, LinkReport, StoreError, ThreadRef,
    ledger_entry,
};
use async_trait::async_trait;
use palabre_api::Timestamp;
use sqlx::{Postgres, Transaction};

pub(super) struct PgImport {
    pub(super) tx: Transaction<'static, Postgres>,
}

#[async_trait]
impl ImportTx for PgImport {
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
             VALUES ($6, $1, $2, $3, $4, $5) \
             ON CONFLICT (site, key) DO UPDATE SET title = COALESCE(threads.title, excluded.title) \
             RETURNING id",
        )
        .bind(thread.key.as_str())
        .bind(title)
        .bind(created.as_millis())
        .bind(locked)
        .bind(hidden)
        .bind(thread.site.as_str())
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
             WHERE i.source = $1 AND i.external_id = $2",
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
            "UPDATE imports SET external_id = $1, external_parent = $2, fingerprint = $3 \
             WHERE source = $4 AND external_id = $5",
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
                    "SELECT EXISTS (SELECT 1 FROM comments WHERE id = $1)",
                )
                .bind(id)
                .fetch_one(&mut *self.tx)
                .await?
            }
            None => false,
        };
        // The identity column takes a given id, or draws the next one (DEFAULT).
        let columns = "thread_id, parent_id, root_id, depth, status, author, email, website, \
             avatar, body, html, created_at, edited_at, likes, dislikes, edit_token_hash, \
             reader_hash, notify, spam, role";
        let values = "$1, NULL, 0, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17";
        let wanted = c.wanted_id.filter(|_| id_free);
        let sql = match wanted {
            Some(_) => {
                format!("INSERT INTO comments (id, {columns}) VALUES ($18, {values}) RETURNING id")
            }
            None => format!("INSERT INTO comments ({columns}) VALUES ({values}) RETURNING id"),
        };
        let mut q = sqlx::query_scalar(&sql)
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
            .bind(rows::signed(c.likes))
            .bind(rows::signed(c.dislikes))
            .bind(&c.edit_token_hash)
            .bind(&c.reader_hash)
            .bind(c.notify)
            .bind(c.spam)
            .bind(c.role.as_str());
        if let Some(id) = wanted {
            q = q.bind(id);
        }
        let id: i64 = q.fetch_one(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO imports (source, external_id, comment_id, external_parent, fingerprint) \
             VALUES ($1, $2, $3, $4, $5) \
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
            "INSERT INTO votes (comment_id, voter, value) VALUES ($1, $2, $3) \
             ON CONFLICT (comment_id, voter) DO NOTHING",
        )
        .bind(comment_id)
        .bind(voter)
        .bind(i16::try_from(value).unwrap_or(0))
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
             WHERE i.source = $1 AND i.external_parent IS NOT NULL AND c.parent_id IS NULL",
        )
        .bind(source)
        .fetch_all(&mut *self.tx)
        .await?;
        for (id, thread, parent, parent_thread) in pending {
            match parent {
                Some(p) if p != id && parent_thread == Some(thread) => {
                    sqlx::query("UPDATE comments SET parent_id = $1 WHERE id = $2")
                        .bind(p)
                        .bind(id)
                        .execute(&mut *self.tx)
                        .await?;
                    report.linked += 1;
                }
                _ => report.orphans += 1,
            }
        }

        // Roots and depths of every comment in the threads this source touched. The threads
        // are worked out once (MATERIALIZED): rows written by this very transaction have no
        // planner statistics yet, and the planner once re-ran that join for every comment
        // (10,000 imported comments: a query still running after 15 minutes).
        let rows: Vec<(i64, Option<i64>, i64, i32)> = sqlx::query_as(
            "WITH touched AS MATERIALIZED \
             (SELECT DISTINCT c.thread_id FROM imports i JOIN comments c ON c.id = i.comment_id \
              WHERE i.source = $1) \
             SELECT id, parent_id, root_id, depth FROM comments \
             WHERE thread_id IN (SELECT thread_id FROM touched)",
        )
        .bind(source)
        .fetch_all(&mut *self.tx)
        .await?;
        let tree: Vec<(i64, Option<i64>, i64, i64)> = rows
            .into_iter()
            .map(|(id, parent, root, depth)| (id, parent, root, i64::from(depth)))
            .collect();
        let placement = crate::store::import_placement(&tree);
        for id in &placement.cut {
            sqlx::query("UPDATE comments SET parent_id = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        for (id, root, depth) in &placement.moved {
            sqlx::query("UPDATE comments SET root_id = $1, depth = $2 WHERE id = $3")
                .bind(root)
                .bind(i32::try_from(*depth).unwrap_or(i32::MAX))
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }

        // Deleted comments are kept only as placeholders holding replies.
        loop {
            let done = sqlx::query(
                "DELETE FROM comments WHERE status = 'deleted' \
                 AND id IN (SELECT comment_id FROM imports WHERE source = $1) \
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

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        // Ids kept from an export do not advance the identity sequence: move it past them,
        // or the next post would collide with an imported comment. Never back: an id the
        // sequence gave once (since deleted) is never given again.
        sqlx::query(
            "SELECT setval(s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM comments), nextval(s))) \
             FROM pg_get_serial_sequence('comments', 'id') AS s",
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
