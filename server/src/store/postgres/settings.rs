//! PostgreSQL: server-wide settings and the database itself ([`SettingsStore`]).

use super::PostgresStore;
use super::count;
use crate::store::SettingsStore;
use crate::store::SiteName;
use crate::store::StoreError;
use crate::store::Totals;
use async_trait::async_trait;

#[async_trait]
impl SettingsStore for PostgresStore {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        // Replicas starting together: the first insert wins, the others wait for it and read
        // its value (each statement of READ COMMITTED sees what committed before it).
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn totals(&self) -> Result<Totals, StoreError> {
        let (threads, comments, votes): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM threads), (SELECT COUNT(*) FROM comments), \
             (SELECT COUNT(*) FROM votes)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Totals {
            threads: count(threads),
            comments: count(comments),
            votes: count(votes),
        })
    }

    fn connections(&self) -> (u32, u32) {
        (
            self.pool.size(),
            u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
        )
    }

    async fn sites_in_use(&self) -> Result<Vec<(SiteName, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT site, COUNT(*) FROM threads GROUP BY site ORDER BY site")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(site, n)| (SiteName::stored(&site), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn backup_to(&self, _: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "palabre backup writes SQLite files; back up PostgreSQL with pg_dump (README, Backups)",
        ))
    }
}
