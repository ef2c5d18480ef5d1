//! PostgreSQL: who may act, how they prove it, and their sessions ([`IdentityStore`]).

use super::PostgresStore;
use crate::store::AdminSession;
use crate::store::IdentityStore;
use crate::store::StoreError;
use async_trait::async_trait;
use palabre_api::Timestamp;

#[async_trait]
impl IdentityStore for PostgresStore {
    async fn set_admin_password(
        &self,
        name: &str,
        hash: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO admins (name, password_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(name)
        .bind(hash)
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await?;
        // A new password signs out every session of that admin, on every replica.
        sqlx::query("DELETE FROM admin_sessions WHERE admin = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn admin_password_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM admins WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        session: &AdminSession,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1")
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, admin, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(&session.admin)
        .bind(&session.csrf_token)
        .bind(at.as_millis())
        .bind(session.expires.as_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<AdminSession>, StoreError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT admin, csrf_token, expires_at FROM admin_sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(admin, csrf_token, expires)| AdminSession {
            admin,
            csrf_token,
            expires: Timestamp::from_millis(expires),
        }))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
