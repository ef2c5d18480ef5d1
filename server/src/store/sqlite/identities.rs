//! SQLite: who may act, how they prove it, and their sessions ([`IdentityStore`]).

use super::SqliteStore;
use crate::store::{
    AdminName, AdminSession, Ceremony, Identity, IdentityStore, NewEmailCode, NewIdentity,
    SiteName, StoreError, StoredPasskey, role_of,
};
use async_trait::async_trait;
use palabre_api::Timestamp;
use sqlx::Row;

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn set_admin_password(
        &self,
        name: &str,
        hash: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO admins (name, password_hash, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(name)
        .bind(hash)
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await?;
        // A new password signs out every session of that admin, in /admin and in the widgets.
        sqlx::query("DELETE FROM admin_sessions WHERE admin = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM identity_sessions WHERE identity_id IN \
             (SELECT id FROM identities WHERE kind = 'author' AND subject = ?)",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn admin_password_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM admins WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        session: &AdminSession,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= ?")
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, admin, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
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
             WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(admin, csrf_token, expires)| AdminSession {
            admin,
            csrf_token,
            expires: Timestamp::from_millis(expires),
        }))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn admins(&self) -> Result<Vec<AdminName>, StoreError> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT name, display_name FROM admins ORDER BY name")
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, display_name)| AdminName { name, display_name })
            .collect())
    }

    async fn set_admin_display_name(
        &self,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE admins SET display_name = ? WHERE name = ?")
            .bind(display_name)
            .bind(name)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn identity_for(&self, new: &NewIdentity<'_>) -> Result<Identity, StoreError> {
        let (name, key) = new.name.unzip();
        let row = sqlx::query(
            "INSERT INTO identities (site, kind, subject, name, name_key, email, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (site, kind, subject) DO UPDATE SET \
             name = COALESCE(excluded.name, identities.name), \
             name_key = COALESCE(excluded.name_key, identities.name_key), \
             email = COALESCE(excluded.email, identities.email) \
             RETURNING id, site, kind, subject, name, email, created_at",
        )
        .bind(new.site.as_str())
        .bind(new.role.as_str())
        .bind(new.subject)
        .bind(name)
        .bind(key)
        .bind(new.email)
        .bind(new.at.as_millis())
        .fetch_one(&self.writer)
        .await?;
        identity_from_row(&row)
    }

    async fn identity(&self, id: i64) -> Result<Option<Identity>, StoreError> {
        let row = sqlx::query(
            "SELECT id, site, kind, subject, name, email, created_at FROM identities WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    async fn set_identity_name(&self, id: i64, name: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE identities SET name = ?, name_key = ? WHERE id = ?")
            .bind(name)
            .bind(key)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn name_holder(
        &self,
        site: &SiteName,
        key: &str,
    ) -> Result<Option<Identity>, StoreError> {
        let row = sqlx::query(
            "SELECT id, site, kind, subject, name, email, created_at FROM identities \
             WHERE site = ? AND name_key = ? AND kind IN ('verified', 'author') \
             ORDER BY id LIMIT 1",
        )
        .bind(site.as_str())
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    async fn claim_comments(
        &self,
        identity: i64,
        site: &SiteName,
        email: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET identity_id = ? WHERE identity_id IS NULL AND notify \
             AND lower(email) = ? AND created_at >= ? \
             AND thread_id IN (SELECT id FROM threads WHERE site = ?)",
        )
        .bind(identity)
        .bind(email.to_lowercase())
        .bind(since.as_millis())
        .bind(site.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn identities_by_email(
        &self,
        email: &str,
        site: Option<&SiteName>,
    ) -> Result<Vec<Identity>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, site, kind, subject, name, email, created_at FROM identities \
             WHERE email = ? AND (? IS NULL OR site = ?) ORDER BY id",
        )
        .bind(email.to_lowercase())
        .bind(site.map(SiteName::as_str))
        .bind(site.map(SiteName::as_str))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn delete_identity(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM identities WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_identity_session(
        &self,
        token_hash: &[u8],
        identity: i64,
        at: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM identity_sessions WHERE expires_at <= ?")
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO identity_sessions (token_hash, identity_id, created_at, expires_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(identity)
        .bind(at.as_millis())
        .bind(expires.as_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn identity_session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(Identity, Timestamp)>, StoreError> {
        let row = sqlx::query(
            "SELECT i.id, i.site, i.kind, i.subject, i.name, i.email, i.created_at, \
             s.expires_at FROM identity_sessions s JOIN identities i ON i.id = s.identity_id \
             WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(row) => Ok(Some((
                identity_from_row(&row)?,
                Timestamp::from_millis(row.try_get("expires_at")?),
            ))),
            None => Ok(None),
        }
    }

    async fn delete_identity_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM identity_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_identity_sessions(&self, identity: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM identity_sessions WHERE identity_id = ?")
            .bind(identity)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn identity_sessions(
        &self,
        identity: i64,
    ) -> Result<Vec<(Timestamp, Timestamp)>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT created_at, expires_at FROM identity_sessions WHERE identity_id = ? \
             ORDER BY created_at",
        )
        .bind(identity)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(a, b)| (Timestamp::from_millis(a), Timestamp::from_millis(b)))
            .collect())
    }

    async fn add_passkey(
        &self,
        identity: i64,
        credential_id: &[u8],
        passkey: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO passkeys (identity_id, credential_id, passkey, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(identity)
        .bind(credential_id)
        .bind(passkey)
        .bind(at.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn passkeys(&self, identity: i64) -> Result<Vec<StoredPasskey>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, identity_id, credential_id, passkey, created_at, last_used_at FROM passkeys WHERE identity_id = ? ORDER BY id",
        )
        .bind(identity)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(passkey_from_row).collect()
    }

    async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>, StoreError> {
        let row = sqlx::query(
            "SELECT id, identity_id, credential_id, passkey, created_at, last_used_at FROM passkeys WHERE credential_id = ?",
        )
        .bind(credential_id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(passkey_from_row).transpose()
    }

    async fn passkey_used(&self, id: i64, passkey: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE passkeys SET passkey = ?, last_used_at = ? WHERE id = ?")
            .bind(passkey)
            .bind(at.as_millis())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_passkey(&self, identity: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM passkeys WHERE id = ? AND identity_id = ?")
            .bind(id)
            .bind(identity)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_ceremony(
        &self,
        id_hash: &[u8],
        ceremony: &Ceremony,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= ?")
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO passkey_ceremonies (id_hash, site, identity_id, state, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(ceremony.site.as_str())
        .bind(ceremony.identity)
        .bind(&ceremony.state)
        .bind(expires.as_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_ceremony(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<Ceremony>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM passkey_ceremonies WHERE id_hash = ? RETURNING site, identity_id, state, expires_at",
        )
        .bind(id_hash)
        .fetch_optional(&self.writer)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires: i64 = row.try_get("expires_at")?;
        if expires <= now.as_millis() {
            return Ok(None);
        }
        Ok(Some(Ceremony {
            site: SiteName::stored(row.try_get::<&str, _>("site")?),
            identity: row.try_get("identity_id")?,
            state: row.try_get("state")?,
        }))
    }

    async fn new_email_code(&self, code: &NewEmailCode<'_>) -> Result<bool, StoreError> {
        let window_ms = i64::try_from(code.window.as_millis()).unwrap_or(i64::MAX);
        let now = code.now.as_millis();
        // One statement: a new window when the last one is over, one more send in it when
        // under the limit, nothing when at it.
        let done = sqlx::query(
            "INSERT INTO email_codes (site, email, code_hash, expires_at, tries_left, \
             window_start, sends) VALUES (?, ?, ?, ?, ?, ?, 1) \
             ON CONFLICT (site, email) DO UPDATE SET code_hash = excluded.code_hash, \
             expires_at = excluded.expires_at, tries_left = excluded.tries_left, \
             window_start = CASE WHEN email_codes.window_start <= ? \
               THEN excluded.window_start ELSE email_codes.window_start END, \
             sends = CASE WHEN email_codes.window_start <= ? THEN 1 \
               ELSE email_codes.sends + 1 END \
             WHERE email_codes.window_start <= ? OR email_codes.sends < ?",
        )
        .bind(code.site.as_str())
        .bind(code.email)
        .bind(code.code_hash)
        .bind(code.expires.as_millis())
        .bind(i64::from(code.tries))
        .bind(now)
        .bind(now.saturating_sub(window_ms))
        .bind(now.saturating_sub(window_ms))
        .bind(now.saturating_sub(window_ms))
        .bind(i64::from(code.max_sends))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn try_email_code(
        &self,
        site: &SiteName,
        email: &str,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let live: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT code_hash FROM email_codes WHERE site = ? AND email = ? \
             AND tries_left > 0 AND expires_at > ?",
        )
        .bind(site.as_str())
        .bind(email)
        .bind(now.as_millis())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(live) = live else {
            return Ok(false);
        };
        let right = crate::crypto::constant_time_eq(&live, code_hash);
        // Right: used up. Wrong: one try less, and the last one clears it.
        sqlx::query(
            "UPDATE email_codes SET tries_left = CASE WHEN ? THEN 0 ELSE tries_left - 1 END, \
             code_hash = CASE WHEN ? OR tries_left <= 1 THEN X'' ELSE code_hash END \
             WHERE site = ? AND email = ?",
        )
        .bind(right)
        .bind(right)
        .bind(site.as_str())
        .bind(email)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(right)
    }
}

fn identity_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Identity, StoreError> {
    Ok(Identity {
        id: row.try_get("id")?,
        site: SiteName::stored(row.try_get::<&str, _>("site")?),
        role: role_of(row.try_get("kind")?)?,
        subject: row.try_get("subject")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        created: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn passkey_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<StoredPasskey, StoreError> {
    Ok(StoredPasskey {
        id: row.try_get("id")?,
        identity: row.try_get("identity_id")?,
        credential_id: row.try_get("credential_id")?,
        passkey: row.try_get("passkey")?,
        created: Timestamp::from_millis(row.try_get("created_at")?),
        last_used: row
            .try_get::<Option<i64>, _>("last_used_at")?
            .map(Timestamp::from_millis),
    })
}
