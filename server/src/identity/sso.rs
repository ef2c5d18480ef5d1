//! Single sign-on: a site with its own accounts vouches for a member with a short-lived
//! HS256 JWT signed by its backend with the site's key. Only HS256 is accepted (`none`, RS256
//! and the rest are refused before anything else is read), the signature is checked before the
//! claims, and a token may live at most ten minutes.

use hmac::{Hmac, Mac};
use palabre_api::{AuthorName, Email, Timestamp};
use serde::Deserialize;
use sha2::Sha256;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Longest token read.
const MAX_TOKEN_BYTES: usize = 4096;
/// Longest life from now a token may claim.
pub const MAX_LIFETIME_SECS: i64 = 600;
/// Clocks of the two servers may disagree by this much.
const SKEW_SECS: i64 = 60;

/// Who the site says the member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The site's own, stable id of the account.
    pub sub: String,
    pub name: String,
    pub email: Option<String>,
}

/// Why a token was refused (logged, never told to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Shape,
    Algorithm,
    Signature,
    Claims,
    Expired,
    TooLong,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    name: String,
    #[serde(default)]
    email: Option<String>,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

pub fn verify(key: &[u8], token: &str, now: Timestamp) -> Result<Member, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Shape);
    }
    let mut parts = token.split('.');
    let (Some(head), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Shape);
    };
    let header: Header = decode_json(head)?;
    if header.alg != "HS256" || header.crit.is_some() {
        return Err(Refusal::Algorithm);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refusal::Shape)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| Refusal::Signature)?;
    mac.update(&token.as_bytes()[..head.len() + 1 + payload.len()]);
    mac.verify_slice(&signature)
        .map_err(|_| Refusal::Signature)?;
    let claims: Claims = decode_json(payload)?;
    let now_secs = now.as_millis().div_euclid(1000);
    if claims.exp <= now_secs - SKEW_SECS
        || claims.nbf.is_some_and(|nbf| nbf > now_secs + SKEW_SECS)
    {
        return Err(Refusal::Expired);
    }
    if claims.exp > now_secs + MAX_LIFETIME_SECS + SKEW_SECS {
        return Err(Refusal::TooLong);
    }
    let sub = claims.sub.trim();
    if sub.is_empty() || sub.len() > 255 || sub.chars().any(char::is_control) {
        return Err(Refusal::Claims);
    }
    let name = AuthorName::parse(&claims.name)
        .ok()
        .flatten()
        .ok_or(Refusal::Claims)?;
    let email = match claims.email.as_deref() {
        Some(e) => Some(
            Email::parse(e)
                .ok()
                .flatten()
                .ok_or(Refusal::Claims)?
                .into_string(),
        ),
        None => None,
    };
    Ok(Member {
        sub: sub.to_owned(),
        name: name.into_string(),
        email,
    })
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, Refusal> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| Refusal::Shape)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::Claims)
}

/// A token as a site's backend makes one (tests, and the documentation's example).
pub fn sign(key: &[u8], header: &serde_json::Value, claims: &serde_json::Value) -> String {
    let body = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(body.as_bytes());
    format!(
        "{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"a site's key of at least thirty-two characters";
    const NOW: i64 = 1_800_000_000;

    fn token(header: serde_json::Value, exp: i64) -> String {
        sign(
            KEY,
            &header,
            &json!({"sub": "42", "name": "Ann", "email": "ann@example.org", "exp": exp}),
        )
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_millis(secs * 1000)
    }

    #[test]
    fn a_good_token_names_the_member() {
        let t = token(json!({"alg": "HS256", "typ": "JWT"}), NOW + 300);
        let m = verify(KEY, &t, at(NOW)).unwrap();
        assert_eq!((m.sub.as_str(), m.name.as_str()), ("42", "Ann"));
        assert_eq!(m.email.as_deref(), Some("ann@example.org"));
    }

    #[test]
    fn bad_tokens_are_refused() {
        let good = token(json!({"alg": "HS256"}), NOW + 300);
        assert_eq!(
            verify(b"another site's key, also long enough!!", &good, at(NOW)),
            Err(Refusal::Signature)
        );
        assert_eq!(verify(KEY, &good, at(NOW + 2000)), Err(Refusal::Expired));
        let long = token(json!({"alg": "HS256"}), NOW + 3600);
        assert_eq!(verify(KEY, &long, at(NOW)), Err(Refusal::TooLong));
        for alg in ["none", "None", "RS256", "HS512", "hs256"] {
            let t = token(json!({"alg": alg}), NOW + 300);
            assert_eq!(verify(KEY, &t, at(NOW)), Err(Refusal::Algorithm), "{alg}");
        }
        // `none` with the signature left off.
        let unsigned = good.rsplit_once('.').unwrap().0.replace(
            &URL_SAFE_NO_PAD.encode(json!({"alg": "HS256"}).to_string()),
            &URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
        ) + ".";
        assert!(verify(KEY, &unsigned, at(NOW)).is_err());
        // A claim changed after signing.
        let (head, rest) = good.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged = format!(
            "{head}.{}.{sig}",
            URL_SAFE_NO_PAD
                .encode(json!({"sub": "1", "name": "Admin", "exp": NOW + 300}).to_string())
        );
        assert_eq!(verify(KEY, &forged, at(NOW)), Err(Refusal::Signature));
        let nameless = sign(
            KEY,
            &json!({"alg": "HS256"}),
            &json!({"sub": "42", "name": " ", "exp": NOW + 300}),
        );
        assert_eq!(verify(KEY, &nameless, at(NOW)), Err(Refusal::Claims));
        assert_eq!(verify(KEY, "a.b", at(NOW)), Err(Refusal::Shape));
    }
}
