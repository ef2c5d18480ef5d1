//! Captcha-free spam defence: a proof-of-work challenge (see `palabre_api::pow`) whose
//! difficulty rises for readers who post fast, spent once (replay protection); a minimum time
//! between the form opening (the challenge) and the post; a cap on links; blocked words.

use crate::clock::now;
use crate::config::MAX_POW_DIFFICULTY;
use crate::error::{Error, Result};
use crate::services::Services;
use crate::store::SpentChallenge;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use palabre_api::{Challenge, ErrorCode, ProofOfWork, Timestamp};

/// How long a challenge stays valid: long enough to write a long comment. The widget fetches
/// a new one when it is older than that.
pub const CHALLENGE_LIFETIME_MS: i64 = 2 * 3600 * 1000;
/// The window in which a network's earlier posts raise its difficulty.
const RECENT_MS: i64 = 10 * 60 * 1000;
/// Posts from one network in that window before its difficulty rises. Readers behind one
/// address (a carrier's NAT, a campus, an office) share the count: twenty of them may each
/// post once in ten minutes at the base difficulty. A script goes past it within a minute,
/// and from there every post doubles its work, up to the cap.
pub const SHARED_ADDRESS_POSTS: u64 = 20;
const VERSION: &str = "v1";

/// A new challenge for this reader, its difficulty raised by one bit (double the work) for
/// every post from their network in the last ten minutes beyond [`SHARED_ADDRESS_POSTS`].
pub async fn issue(services: &Services, reader: &str) -> Result<Challenge> {
    let rules = &services.settings.spam;
    let issued = now();
    let mut difficulty = rules.pow_difficulty;
    if difficulty > 0 {
        let recent = services
            .store
            .posts_by_reader_since(
                reader,
                Timestamp::from_millis(issued.as_millis() - RECENT_MS),
            )
            .await?;
        let extra = u8::try_from(recent.saturating_sub(SHARED_ADDRESS_POSTS)).unwrap_or(u8::MAX);
        difficulty = difficulty.saturating_add(extra).min(MAX_POW_DIFFICULTY);
    }
    let nonce = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<12>());
    let unsigned = format!("{VERSION}.{}.{difficulty}.{nonce}", issued.as_millis());
    let signature = services.keys.sign("pow", &format!("{unsigned}|{reader}"));
    Ok(Challenge {
        challenge: format!("{unsigned}.{signature}"),
        difficulty,
        wait_ms: u64::try_from(rules.min_post_delay.as_millis()).unwrap_or(u64::MAX),
        expires_in_ms: CHALLENGE_LIFETIME_MS as u64,
    })
}

/// Checks a post's proof of work. The store records the challenge as spent with the comment
/// (see [`SpentChallenge`]), so a refused post leaves it usable: a reader who fixes a typo
/// reuses their solution.
pub fn check(
    services: &Services,
    pow: Option<&ProofOfWork>,
    reader: &str,
) -> Result<SpentChallenge> {
    let pow = pow.ok_or(Error::Refused(ErrorCode::ChallengeRequired))?;
    let invalid = Error::Refused(ErrorCode::ChallengeInvalid);
    let signed = signed_parts(services, pow, reader).ok_or(invalid)?;
    let now = now().as_millis();
    if now >= signed.issued.saturating_add(CHALLENGE_LIFETIME_MS) {
        return Err(Error::Refused(ErrorCode::ChallengeInvalid));
    }
    let min_delay = i64::try_from(services.settings.spam.min_post_delay.as_millis()).unwrap_or(0);
    if now < signed.issued.saturating_add(min_delay) {
        return Err(Error::Refused(ErrorCode::TooFast));
    }
    Ok(SpentChallenge {
        nonce: signed.nonce.to_owned(),
        expires: Timestamp::from_millis(signed.issued + CHALLENGE_LIFETIME_MS),
    })
}

/// The nonce of a post's challenge, as sent (checked by nothing: a key to look up, no more).
pub fn nonce_of(pow: &ProofOfWork) -> Option<&str> {
    pow.challenge.split('.').nth(3)
}

/// Whether `pow` is a solved challenge this server issued to `reader`, however old: a post
/// sent again (its answer lost) proves with it that it is the same reader's same post.
pub fn solved_by(services: &Services, pow: &ProofOfWork, reader: &str) -> bool {
    signed_parts(services, pow, reader).is_some()
}

struct Signed<'a> {
    issued: i64,
    nonce: &'a str,
}

/// The challenge's parts, if it is ours, signed for `reader`, and solved.
fn signed_parts<'a>(services: &Services, pow: &'a ProofOfWork, reader: &str) -> Option<Signed<'a>> {
    let parts: Vec<&str> = pow.challenge.split('.').collect();
    let [version, issued, difficulty, nonce, signature] = parts[..] else {
        return None;
    };
    let unsigned = format!("{version}.{issued}.{difficulty}.{nonce}");
    // Signed for this reader: a challenge solved elsewhere (a bot farm) is worth nothing.
    if version != VERSION
        || !services
            .keys
            .verify("pow", &format!("{unsigned}|{reader}"), signature)
    {
        return None;
    }
    let (Ok(issued), Ok(difficulty)) = (issued.parse::<i64>(), difficulty.parse::<u8>()) else {
        return None;
    };
    palabre_api::pow::verify(&pow.challenge, pow.counter, difficulty)
        .then_some(Signed { issued, nonce })
}

/// Links in rendered comment HTML (Markdown links and linkified bare addresses alike).
pub fn count_links(html: &str) -> usize {
    html.matches("<a ").count()
}

/// Whether any of `texts` contains one of the (lowercased) blocked words.
pub fn has_blocked_word(words: &[String], texts: &[&str]) -> bool {
    texts.iter().any(|t| {
        let t = t.to_lowercase();
        words.iter().any(|w| t.contains(w.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_anchors() {
        assert_eq!(count_links("<p>no links</p>"), 0);
        assert_eq!(
            count_links(r#"<p><a href="https://a">a</a> and <a href="https://b">b</a></p>"#),
            2
        );
    }

    #[test]
    fn blocked_words_match_case_insensitively_anywhere() {
        let words = vec!["casino".to_owned(), "cheap pills".to_owned()];
        assert!(has_blocked_word(&words, &["Best CASINO bonus"]));
        assert!(has_blocked_word(&words, &["", "Cheap Pills here"]));
        assert!(!has_blocked_word(&words, &["A calm comment", "Ana"]));
        assert!(!has_blocked_word(&[], &["casino"]));
    }
}
