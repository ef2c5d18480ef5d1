//! What every request handler shares: the rules' services, and what only the HTTP edge
//! keeps (limiters, the response cache, the widget's files, live streams, metrics).

use super::cache::ResponseCache;
use super::metrics::{Gauges, Metrics};
use super::widget_bundle::WidgetBundle;
use crate::live::LiveHub;
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::services::Services;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    /// Storage, keys, settings and the outbox: what the rules are called with.
    pub services: Services,
    pub write_limiter: Arc<RateLimiter>,
    /// Admin sign-in attempts per network: guessing passwords gets slow fast.
    pub login_limiter: Arc<RateLimiter>,
    /// Sign-in codes sent per network (each address has its own limit in the store).
    pub code_limiter: Arc<RateLimiter>,
    /// Activities POSTed to the fediverse inboxes per network.
    pub inbox_limiter: Arc<RateLimiter>,
    /// The widget's files, when `--widget-dir` is set.
    pub widget: Option<Arc<WidgetBundle>>,
    /// Thread pages and counts, as served.
    pub cache: Arc<ResponseCache>,
    /// Readers' live-update streams.
    pub live: Arc<LiveHub>,
    /// Counters for `/metrics` (`--metrics-listen`).
    pub metrics: Arc<Metrics>,
    /// The sites' fediverse accounts, when one site has one.
    pub federation: Option<Arc<crate::federation::Federation>>,
}

impl AppState {
    /// What `/metrics` reads from the parts that keep it.
    pub fn gauges(&self) -> Gauges {
        let (cache_hits, cache_misses) = self.cache.hits_and_misses();
        Gauges {
            cache_hits,
            cache_misses,
            cache_bytes: self.cache.bytes() as u64,
            pool: Some(self.services.store.connections()),
            notifications_queued: self.services.notifier.queued(),
            notifications_failed: self.services.notifier.failed(),
            live_streams: self.live.open_streams() as u64,
            fediverse: None,
        }
    }

    /// The HTTP state around `services`, with no widget files.
    pub fn new(services: Services) -> Self {
        let settings = &services.settings;
        Self {
            widget: None,
            write_limiter: Arc::new(RateLimiter::new(settings.rate_limit)),
            login_limiter: Arc::new(RateLimiter::new(RateLimit {
                burst: 5,
                per_minute: 5,
            })),
            code_limiter: Arc::new(RateLimiter::new(RateLimit {
                burst: 5,
                per_minute: 1,
            })),
            inbox_limiter: Arc::new(RateLimiter::new(crate::federation::INBOX_PER_NETWORK)),
            cache: Arc::new(ResponseCache::new(settings.response_cache_bytes)),
            live: LiveHub::new(Arc::clone(&services.store), settings.live),
            metrics: Arc::default(),
            federation: None,
            services,
        }
    }
}
