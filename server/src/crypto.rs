//! Everything derived from the server's secret key: keyed hashes that tell readers apart
//! without storing their address, avatar seeds that don't reveal emails, and edit tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A new secret key, as stored in the settings table when none is configured.
pub fn generate_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

pub struct Keys {
    secret: SecretSlice<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec().into(),
        }
    }

    /// HMAC-SHA256 of `purpose` and `data`, hex-encoded and cut to `hex_len` characters.
    /// The purpose separates uses so one hash can't stand in for another.
    fn keyed_hex(&self, purpose: &str, data: &[u8], hex_len: usize) -> String {
        let mut mac = HmacSha256::new_from_slice(self.secret.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        let digest = mac.finalize().into_bytes();
        let mut hex = hex_encode(&digest);
        hex.truncate(hex_len);
        hex
    }

    /// A signature over `data` for `purpose`: challenges, signed links, form tokens.
    pub fn sign(&self, purpose: &str, data: &str) -> String {
        self.keyed_hex(purpose, data.as_bytes(), 64)
    }

    /// Constant-time check of a [`Keys::sign`] signature.
    pub fn verify(&self, purpose: &str, data: &str, signature: &str) -> bool {
        let expected = self.sign(purpose, data);
        expected.len() == signature.len()
            && bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
    }

    /// Tells readers apart (one vote per reader, blocking later) without storing addresses.
    pub fn reader_hash(&self, ip: IpAddr) -> String {
        self.keyed_hex("reader", network_identity(ip).as_bytes(), 32)
    }

    /// The edit token of the comment posted with `post_key` (its challenge's nonce), and the
    /// hash to store: the same each time, so a post sent again (its answer lost) gets its
    /// token back. As unguessable as a random one without the secret and the nonce, which
    /// only the reader who solved the challenge and the server hold.
    pub fn edit_token(&self, post_key: &str) -> (String, Vec<u8>) {
        let token = self.keyed_hex("edit-token", post_key.as_bytes(), 64);
        let hash = token_hash(&token);
        (token, hash)
    }

    /// What stands for a fediverse actor where a reader's network would (blocks, trust).
    pub fn actor_hash(&self, actor_id: &str) -> String {
        self.keyed_hex("fediverse-actor", actor_id.as_bytes(), 32)
    }

    /// Seed of a comment's identicon: stable for one commenter, reveals nothing about them.
    pub fn avatar_seed(&self, identity: &str) -> String {
        self.keyed_hex("avatar", identity.as_bytes(), 16)
    }
}

/// The part of an address that identifies one reader: the whole IPv4 address, or the /64
/// network of an IPv6 address (one subscriber gets a whole /64 and can rotate inside it).
pub fn network_identity(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

pub fn hex_encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A fresh edit token and the hash to store: 256 random bits, so a plain SHA-256 is enough
/// (nothing to brute-force).
pub fn new_edit_token() -> (String, Vec<u8>) {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

/// What is stored of a random token (an edit token, a session): its SHA-256. The token holds
/// 256 random bits, so there is nothing to brute-force and no salt or slow hash is needed.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether two secrets' bytes are equal, in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Checks a presented token against the stored hash in constant time.
pub fn edit_token_matches(presented: &str, stored_hash: &[u8]) -> bool {
    constant_time_eq(&token_hash(presented), stored_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_tokens_are_unique_and_verify() {
        let (a, hash_a) = new_edit_token();
        let (b, hash_b) = new_edit_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(edit_token_matches(&a, &hash_a));
        assert!(!edit_token_matches(&b, &hash_a));
        assert!(!edit_token_matches(&a, &hash_b));
        assert!(!edit_token_matches("", &hash_a));
        assert!(!edit_token_matches(&a, &[]));
    }

    #[test]
    fn keyed_hashes_depend_on_key_and_purpose() {
        let k1 = Keys::new(b"one secret key of enough length!");
        let k2 = Keys::new(b"another secret key, also longish");
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(k1.reader_hash(ip), k1.reader_hash(ip));
        assert_ne!(k1.reader_hash(ip), k2.reader_hash(ip));
        assert_ne!(
            k1.avatar_seed("203.0.113.7")[..16],
            k1.reader_hash(ip)[..16]
        );
        assert!(!k1.reader_hash(ip).contains("203"));
        assert_eq!(k1.avatar_seed("ana@example.org").len(), 16);
    }

    #[test]
    fn ipv6_readers_are_told_apart_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_identity(a), network_identity(b));
        assert_ne!(network_identity(a), network_identity(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(network_identity(mapped), "192.0.2.1");
    }

    #[test]
    fn debug_hides_the_key() {
        let k = Keys::new(b"super secret value here 12345678");
        assert!(!format!("{k:?}").contains("super"));
    }
}
