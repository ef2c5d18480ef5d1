//! What every request handler shares.

use crate::config::Settings;
use crate::crypto::Keys;
use crate::rate_limit::RateLimiter;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<Keys>,
    pub settings: Arc<Settings>,
    pub write_limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, keys: Keys, settings: Settings) -> Self {
        Self {
            write_limiter: Arc::new(RateLimiter::new(settings.rate_limit)),
            store,
            keys: Arc::new(keys),
            settings: Arc::new(settings),
        }
    }
}
