//! What every request handler shares.

use crate::cache::ResponseCache;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::live::LiveHub;
use crate::notify::Notifier;
use crate::rate_limit::RateLimiter;
use crate::store::Store;
use crate::widget_bundle::WidgetBundle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<Keys>,
    pub settings: Arc<Settings>,
    pub write_limiter: Arc<RateLimiter>,
    /// Admin sign-in attempts per network: guessing passwords gets slow fast.
    pub login_limiter: Arc<RateLimiter>,
    /// Emails and webhooks, sent in the background.
    pub notifier: Notifier,
    /// The widget's files, when `--widget-dir` is set.
    pub widget: Option<Arc<WidgetBundle>>,
    /// Thread pages and counts, as served.
    pub cache: Arc<ResponseCache>,
    /// Readers' live-update streams.
    pub live: Arc<LiveHub>,
    /// Counters for `/metrics` (`--metrics-listen`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// What `/metrics` reads from the parts that keep it.
    pub fn gauges(&self) -> crate::metrics::Gauges {
        let (cache_hits, cache_misses) = self.cache.hits_and_misses();
        crate::metrics::Gauges {
            cache_hits,
            cache_misses,
            cache_bytes: self.cache.bytes() as u64,
            pool: Some(self.store.connections()),
            notifications_queued: self.notifier.queued(),
            notifications_failed: self.notifier.failed(),
            live_streams: self.live.open_streams() as u64,
        }
    }

    pub fn new(store: Arc<dyn Store>, keys: Keys, settings: Settings) -> Self {
        Self {
            widget: None,
            notifier: Notifier::disabled(),
            write_limiter: Arc::new(RateLimiter::new(settings.rate_limit)),
            login_limiter: Arc::new(RateLimiter::new(crate::rate_limit::RateLimit {
                burst: 5,
                per_minute: 5,
            })),
            cache: Arc::new(ResponseCache::new(settings.response_cache_bytes)),
            live: LiveHub::new(Arc::clone(&store), settings.live),
            metrics: Arc::default(),
            store,
            keys: Arc::new(keys),
            settings: Arc::new(settings),
        }
    }
}
