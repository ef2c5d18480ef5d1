//! SQLite: server-wide settings and the database itself ([`SettingsStore`]).

use super::SqliteStore;
use crate::store::SettingsStore;
use crate::store::SiteName;
use crate::store::StoreError;
use async_trait::async_trait;
use sqlx::SqlitePool;

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        let stored = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn totals(&self) -> Result<crate::store::Totals, StoreError> {
        let (threads, comments, votes): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM threads), (SELECT COUNT(*) FROM comments), \
             (SELECT COUNT(*) FROM votes)",
        )
        .fetch_one(&self.reader)
        .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(crate::store::Totals {
            threads: n(threads),
            comments: n(comments),
            votes: n(votes),
        })
    }

    fn connections(&self) -> (u32, u32) {
        let idle = |p: &SqlitePool| u32::try_from(p.num_idle()).unwrap_or(u32::MAX);
        (
            self.writer.size() + self.reader.size(),
            idle(&self.writer) + idle(&self.reader),
        )
    }

    async fn sites_in_use(&self) -> Result<Vec<(SiteName, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT site, COUNT(*) FROM threads GROUP BY site ORDER BY site")
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(site, n)| (SiteName::stored(&site), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let path = path
            .to_str()
            .ok_or_else(|| StoreError::Backend("the backup path is not valid UTF-8".into()))?;
        // On a read connection: a snapshot of one moment, without the write lock.
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.reader)
            .await?;
        Ok(())
    }
}
