//! Admins' passwords: argon2id hashes, checked in the same time for a known or an unknown name.

use crate::crypto;
use crate::error::Result;
use crate::store::IdentityStore;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The admin whose hash may come from the configuration (`PALABRE_ADMIN_PASSWORD_HASH`).
pub const CONFIGURED_ADMIN: &str = "admin";
/// Longest accepted password, so hashing cost stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&crypto::random_bytes::<16>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Checks a name and password; the hash comes from the database, or for
/// [`CONFIGURED_ADMIN`] from the configuration (`configured`). Hashing runs off the async
/// workers (it takes tens of milliseconds).
pub async fn check(
    store: &dyn IdentityStore,
    configured: Option<&str>,
    name: &str,
    password: &str,
) -> Result<bool> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    let stored = match store.admin_password_hash(name).await? {
        Some(h) => Some(h),
        None if name == CONFIGURED_ADMIN => configured.map(str::to_owned),
        None => None,
    };
    // An unknown name costs the same time as a wrong password: names are not revealed.
    let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let known = phc != DUMMY_HASH;
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || password_matches(&password, &phc))
        .await
        .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    Ok(ok && known)
}

/// A valid argon2id hash of a random string nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J2GlKdz1kUOH8SgHsufkWXoMaG0s7kZq0Wg5p8nqmYc";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &a));
        assert!(!password_matches("correct horse batterY", &a));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
