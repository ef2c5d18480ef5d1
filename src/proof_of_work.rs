//! The anti-spam proof of work, browser side: a challenge fetched when a form opens, solved in
//! slices (the page stays responsive) just before posting. The hashing itself is
//! `palabre_api::pow`, the very code the server verifies with.

use crate::client::{ApiClient, ApiError};
use leptos::prelude::{GetValue, SetValue, StoredValue};
use palabre_api::{Challenge, CreatedComment, ErrorCode, NewComment, ProofOfWork};

/// Counters tried between two yields to the browser: a few milliseconds of work.
const SLICE: u64 = 4_000;
/// A challenge older than its lifetime minus this margin is replaced before use.
const EXPIRY_MARGIN_MS: i64 = 60_000;

/// A challenge and when (page clock, ms) it was fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldChallenge {
    pub challenge: Challenge,
    pub fetched_ms: i64,
    /// Sent with a post whose answer never came. The challenge is the post's idempotency key:
    /// sent again, however old, it gets the comment the server may have stored, not a second.
    pub sent: bool,
}

impl HeldChallenge {
    /// Whether the next post uses this challenge rather than a fresh one.
    pub fn reusable_at(&self, now_ms: i64) -> bool {
        self.sent || self.usable_at(now_ms)
    }

    pub fn usable_at(&self, now_ms: i64) -> bool {
        let lifetime = i64::try_from(self.challenge.expires_in_ms).unwrap_or(i64::MAX);
        now_ms < self.fetched_ms.saturating_add(lifetime - EXPIRY_MARGIN_MS)
    }

    /// Milliseconds still to wait before the server accepts a post with it.
    pub fn wait_left(&self, now_ms: i64) -> i64 {
        let wait = i64::try_from(self.challenge.wait_ms).unwrap_or(i64::MAX);
        (self.fetched_ms.saturating_add(wait) - now_ms).max(0)
    }
}

pub async fn fetch(client: &ApiClient) -> Result<HeldChallenge, ApiError> {
    let challenge = client.challenge().await?;
    Ok(HeldChallenge {
        challenge,
        fetched_ms: crate::context::now_ms(),
        sent: false,
    })
}

/// Solves `held`, then waits out the rest of its minimum delay (a person never notices it).
/// `progress` hears, after each slice, the share of the expected work done (percent, at
/// most 99): a reader on a slow device behind a busy address sees it move.
pub async fn solve(held: &HeldChallenge, progress: &dyn Fn(u64)) -> ProofOfWork {
    let c = &held.challenge;
    let expected = 1u64 << c.difficulty.min(63);
    let mut from = 0;
    let counter = loop {
        if let Some(found) = palabre_api::pow::search(&c.challenge, c.difficulty, from, SLICE) {
            break found;
        }
        from += SLICE;
        progress((from * 100 / expected).min(99));
        sleep_ms(0).await;
    };
    let wait = held.wait_left(crate::context::now_ms());
    if wait > 0 {
        // A little past the server's bound: the two clocks started a round trip apart.
        sleep_ms(wait + 250).await;
    }
    ProofOfWork {
        challenge: c.challenge.clone(),
        counter,
    }
}

/// Posts `input` with a solved challenge: the one `held` (fetched when the form opened) if
/// still good or sent with an unanswered post, else a fresh one. A challenge the server refuses (expired, network changed,
/// too early) is replaced once, transparently. A refusal for another reason (a field to fix)
/// leaves the unspent challenge held for the next try.
pub async fn post_comment(
    client: &ApiClient,
    held: StoredValue<Option<HeldChallenge>>,
    mut input: NewComment,
    session: Option<&str>,
    progress: &dyn Fn(u64),
) -> Result<CreatedComment, ApiError> {
    let mut result = Err(ApiError::Unreachable);
    for attempt in 0..2 {
        let current = match held.get_value() {
            Some(h) if h.reusable_at(crate::context::now_ms()) => h,
            _ => fetch(client).await?,
        };
        held.set_value(None);
        input.pow = Some(solve(&current, progress).await);
        result = client.post(&input, session).await;
        let challenge_refused = matches!(
            result.as_ref().err().and_then(ApiError::code),
            Some(ErrorCode::ChallengeInvalid | ErrorCode::ChallengeRequired | ErrorCode::TooFast)
        );
        match (&result, challenge_refused) {
            (_, true) if attempt == 0 => continue,
            (Ok(_), _) => {
                // The next comment's clock starts now, as if its form had just opened.
                let client = client.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(next) = fetch(&client).await {
                        held.set_value(Some(next));
                    }
                });
            }
            (Err(e), false) if !matches!(e, ApiError::Refused { status: 429, .. }) => {
                let sent = e.is_transient();
                held.set_value(Some(HeldChallenge { sent, ..current }));
            }
            _ => {}
        }
        break;
    }
    result
}

/// Yields to the browser for `ms` milliseconds.
pub async fn sleep_ms(ms: i64) {
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(wait_ms: u64, expires_in_ms: u64) -> HeldChallenge {
        HeldChallenge {
            challenge: Challenge {
                challenge: "c".into(),
                difficulty: 0,
                wait_ms,
                expires_in_ms,
            },
            fetched_ms: 1_000_000,
            sent: false,
        }
    }

    #[test]
    fn waits_only_what_is_left_of_the_delay() {
        let h = held(3_000, 7_200_000);
        assert_eq!(h.wait_left(1_000_000), 3_000);
        assert_eq!(h.wait_left(1_002_500), 500);
        assert_eq!(h.wait_left(1_010_000), 0);
    }

    #[test]
    fn a_challenge_is_replaced_a_minute_before_it_expires() {
        let h = held(0, 7_200_000);
        assert!(h.usable_at(1_000_000 + 7_200_000 - 60_001));
        assert!(!h.usable_at(1_000_000 + 7_200_000 - 60_000));
        assert!(!h.reusable_at(1_000_000 + 7_200_000 - 60_000));
    }

    #[test]
    fn a_challenge_sent_with_an_unanswered_post_is_sent_again_however_old() {
        let h = HeldChallenge {
            sent: true,
            ..held(0, 7_200_000)
        };
        assert!(h.reusable_at(1_000_000 + 7_200_000 * 5));
    }
}
