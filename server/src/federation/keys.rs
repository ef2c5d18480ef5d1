//! The site account's RSA key: generated once, kept in the settings table so that every
//! replica signs with the same key, and used through `ring` only. The `rsa` crate generates
//! it (ring cannot); it never signs, so RUSTSEC-2023-0071 (a timing leak when signing) does not
//! reach a key a remote server can make us use at will.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{self, RsaKeyPair};

/// A site account's key pair, ready to sign.
pub struct ActorKey {
    pair: RsaKeyPair,
    /// SubjectPublicKeyInfo, PEM: the actor document's `publicKeyPem`.
    public_pem: String,
}

impl std::fmt::Debug for ActorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActorKey([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("generating an RSA key failed: {0}")]
    Generate(String),
    #[error("the stored key is not a PKCS#8 RSA key ring accepts: {0}")]
    Stored(String),
}

/// A new RSA 2048 key, as the settings table keeps it (base64 of its PKCS#8 DER). Slow
/// (prime search): call it off the async threads.
pub fn generate() -> Result<String, KeyError> {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = getrandom04::rand_core::UnwrapErr(getrandom04::SysRng);
    let key =
        rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| KeyError::Generate(e.to_string()))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(STANDARD.encode(der.as_bytes()))
}

impl ActorKey {
    /// The key as [`generate`] wrote it.
    pub fn from_stored(stored: &str) -> Result<Self, KeyError> {
        let der = STANDARD
            .decode(stored.trim())
            .map_err(|e| KeyError::Stored(e.to_string()))?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| KeyError::Stored(e.to_string()))?;
        let public_pem = pem("PUBLIC KEY", &spki_of_rsa(pair.public().as_ref()));
        Ok(Self { pair, public_pem })
    }

    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message` (ring blinds the private operation).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut out = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut out,
            )
            .expect("signing with a valid RSA key and a buffer of the modulus' length");
        out
    }
}

/// A remote actor's public key, parsed from its `publicKeyPem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// PKCS#1 RSAPublicKey DER, as ring verifies with it.
    rsa: Vec<u8>,
}

impl PublicKey {
    /// An RSA SubjectPublicKeyInfo in PEM (what Mastodon, Fedify and we publish); anything
    /// else (another algorithm, a PKCS#1 PEM, garbage) is refused.
    pub fn from_pem(text: &str) -> Option<Self> {
        use spki::der::Decode;
        let der = unpem(text, "PUBLIC KEY")?;
        let info = spki::SubjectPublicKeyInfoRef::from_der(&der).ok()?;
        if info.algorithm.oid != RSA_ENCRYPTION {
            return None;
        }
        let rsa = info.subject_public_key.as_bytes()?.to_vec();
        Some(Self { rsa })
    }

    /// Whether `signature` is RSASSA-PKCS1-v1_5 SHA-256 of `message` by this key (2048 to
    /// 8192 bits).
    pub fn verify(&self, message: &[u8], signature_bytes: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.rsa)
            .verify(message, signature_bytes)
            .is_ok()
    }
}

const RSA_ENCRYPTION: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// SubjectPublicKeyInfo DER around a PKCS#1 RSAPublicKey.
fn spki_of_rsa(pkcs1: &[u8]) -> Vec<u8> {
    // AlgorithmIdentifier { rsaEncryption, NULL }
    const ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1);
    let bit_string = der_item(0x03, &bits);
    let mut body = ALGORITHM.to_vec();
    body.extend_from_slice(&bit_string);
    der_item(0x30, &body)
}

fn der_item(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn unpem(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let b64: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(b64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_and_its_published_key_verifies() {
        let stored = generate().unwrap();
        let key = ActorKey::from_stored(&stored).unwrap();
        let public = PublicKey::from_pem(key.public_pem()).expect("our own PEM parses");
        let sig = key.sign(b"hello");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellp", &sig));
        // The same stored text gives the same key (replicas share it).
        let again = ActorKey::from_stored(&stored).unwrap();
        assert_eq!(again.public_pem(), key.public_pem());
        assert!(
            key.public_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----\nMIIBIjAN")
        );
    }

    #[test]
    fn garbage_and_other_algorithms_are_refused() {
        assert!(ActorKey::from_stored("bm90IGEga2V5").is_err());
        assert!(PublicKey::from_pem("nothing").is_none());
        // An Ed25519 SubjectPublicKeyInfo.
        let ed = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        assert!(PublicKey::from_pem(ed).is_none());
    }
}
