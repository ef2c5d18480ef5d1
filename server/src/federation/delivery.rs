//! The delivery queue's worker, one per replica: claims due deliveries (one per instance at a
//! time, so a fan-out to many followers is paced per server), sends them signed, and on
//! failure tries again later: after 1, 5 and 15 minutes, 1, 3, 6 and 12 hours, then a day,
//! about two days in all before giving up. An instance whose deliveries fail five times in a
//! row is paused (the circuit breaker) so that a dead server costs one attempt per pause, not
//! one per queued activity.

use super::Federation;
use super::fetch::{FetchError, Signer};
use crate::store::deliveries::Delivery;
use palabre_api::Timestamp;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Waits between attempts; the last one is the last attempt.
const RETRIES: [Duration; 8] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(3 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(24 * 3600),
];

/// Failures in a row after which an instance is paused.
const BREAKER: u32 = 5;

/// How long a claimed delivery stays this replica's: past it, another replica may send it.
const LEASE: Duration = Duration::from_secs(120);

/// Deliveries in flight at once per replica, each to another instance: waiting on the network,
/// not working, so a few slow servers must not hold them all (bench/fediverse.mjs).
const PARALLEL: u32 = 64;

/// How often an idle worker looks for work queued by another replica.
const POLL: Duration = Duration::from_secs(2);

fn after(at: Timestamp, wait: Duration) -> Timestamp {
    Timestamp::from_millis(at.as_millis() + wait.as_millis() as i64)
}

/// When to try again after `attempts` failed attempts (`None`: give up).
pub fn retry_after(attempts: u32) -> Option<Duration> {
    RETRIES.get(attempts as usize).copied()
}

/// How long an instance is paused after `failures` in a row: 10 minutes, doubling, at most
/// 6 hours.
pub fn pause_for(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(BREAKER).min(6);
    Duration::from_secs(600 * (1 << doublings)).min(Duration::from_secs(6 * 3600))
}

/// Starts this replica's worker.
pub fn spawn(fed: Arc<Federation>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Each send holds a slot; new ones are claimed as slots free up, so a slow server
        // holds one slot, never the others' turn.
        let slots = Arc::new(tokio::sync::Semaphore::new(PARALLEL as usize));
        loop {
            let free = slots.available_permits() as u32;
            if free == 0 {
                // Wait for one send to end.
                drop(slots.clone().acquire_owned().await);
                continue;
            }
            let now = crate::clock::now();
            let claimed = match fed
                .store
                .claim_deliveries(now, after(now, LEASE), free)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "fediverse: cannot read the delivery queue");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                // Woken by a new delivery here, or a send ending (its instance may have
                // more), or the poll for other replicas' work.
                let _ = tokio::time::timeout(POLL, fed.wake.notified()).await;
                continue;
            }
            for d in claimed {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let fed = Arc::clone(&fed);
                tokio::spawn(async move {
                    fed.send(d).await;
                    drop(permit);
                    fed.wake.notify_one();
                });
            }
        }
    })
}

impl Federation {
    async fn send(&self, d: Delivery) {
        let outcome = self.attempt(&d).await;
        let result = match outcome {
            Ok(()) => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
                self.store.delivered(&d).await
            }
            Err((error, permanent)) => {
                let retry = if permanent {
                    None
                } else {
                    retry_after(d.attempts)
                };
                tracing::info!(
                    instance = %d.instance,
                    attempt = d.attempts + 1,
                    gave_up = retry.is_none(),
                    error = %error,
                    "fediverse: a delivery failed"
                );
                if retry.is_none() {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                }
                let now = crate::clock::now();
                match self
                    .store
                    .delivery_failed(&d, retry.map(|w| after(now, w)))
                    .await
                {
                    Ok(failures) if failures >= BREAKER => {
                        self.store
                            .pause_instance(&d.instance, after(now, pause_for(failures)))
                            .await
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "fediverse: cannot record a delivery");
        }
    }

    /// One attempt; on failure, the error and whether trying again is pointless.
    async fn attempt(&self, d: &Delivery) -> Result<(), (String, bool)> {
        let site = self
            .settings
            .site(&d.site)
            .filter(|s| s.fediverse.is_some())
            .ok_or_else(|| {
                (
                    "the site no longer has a fediverse account".to_owned(),
                    true,
                )
            })?;
        let key = self
            .key(&site.name)
            .await
            .map_err(|e| (e.to_string(), false))?;
        let key_id = format!("{}#main-key", self.actor_id(site).unwrap_or_default());
        match self
            .fetcher
            .post_activity(
                &d.target,
                d.payload.as_bytes(),
                Signer {
                    key: &key,
                    key_id: &key_id,
                },
            )
            .await
        {
            Ok(status) if (200..300).contains(&status) => Ok(()),
            // Gone, or refused for good: no retry changes that. 408 and 429 are worth one.
            Ok(status) if (400..500).contains(&status) && status != 408 && status != 429 => {
                Err((format!("answered {status}"), true))
            }
            Ok(status) => Err((format!("answered {status}"), false)),
            Err(FetchError::Refused(why)) => Err((format!("refused address: {why}"), true)),
            Err(e) => Err((e.to_string(), false)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_span_about_two_days_then_stop() {
        let total: Duration = (0..).map_while(retry_after).sum();
        assert!(
            total > Duration::from_secs(40 * 3600) && total < Duration::from_secs(56 * 3600),
            "{total:?}"
        );
        assert_eq!(retry_after(RETRIES.len() as u32), None);
        assert_eq!(pause_for(BREAKER), Duration::from_secs(600));
        assert_eq!(pause_for(100), Duration::from_secs(6 * 3600));
    }
}
