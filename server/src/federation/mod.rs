//! The sites' accounts on the fediverse (ActivityPub): an actor per site that turns it on,
//! its followers, replies from other servers taken in as comments, and what we send back.
//! The HTTP edge only routes here; storage is the fediverse's own aggregate
//! ([`crate::store::federation`]) and the delivery queue ([`crate::store::deliveries`]).
//!
//! - [`articles`]: the blog's feed announced; threads as `Article` objects.
//! - [`keys`]: the account's RSA key (generated once, shared by replicas) and remote keys.
//! - [`notes`]: comments as `Note`s: replies taken in, ours served.
//! - [`outgoing`]: answers to fediverse comments sent to their writers.
//! - [`signatures`]: HTTP signatures, draft-cavage and RFC 9421.
//! - [`fetch`]: every request to another server, SSRF-proof.
//! - [`documents`]: what we serve: WebFinger, the actor, its collections, its icon.
//! - [`inbox`]: activities coming in, verified and dispatched.
//! - [`delivery`]: the queue's worker: activities going out, retried, paced.

pub mod articles;
pub mod delivery;
pub mod documents;
pub mod fetch;
pub mod inbox;
pub mod keys;
pub mod notes;
pub mod outgoing;
pub mod signatures;

use crate::config::{Settings, Site};
use crate::store::{SiteName, Store};
use anyhow::Context;
use keys::ActorKey;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Activities one network may POST to our inboxes (a big instance's shared inbox is one
/// sender: generous, but bounded).
pub const INBOX_PER_NETWORK: crate::rate_limit::RateLimit = crate::rate_limit::RateLimit {
    burst: 300,
    per_minute: 1200,
};

/// Activities one remote instance may have us verify: its actors' keys cost fetches.
pub const INBOX_PER_INSTANCE: crate::rate_limit::RateLimit = crate::rate_limit::RateLimit {
    burst: 300,
    per_minute: 1200,
};

/// The settings key under which a site account's private key is kept.
fn key_setting(site: &SiteName) -> String {
    format!("fediverse_key:{site}")
}

/// Activities sent and given up since start (the metrics).
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub received: AtomicU64,
    pub refused: AtomicU64,
}

/// The queue and the inboxes, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFigures {
    pub queued: Vec<(&'static str, u64)>,
    pub sent: Vec<(&'static str, u64)>,
    pub failed: Vec<(&'static str, u64)>,
    pub received: u64,
    pub refused: u64,
}

/// What the fediverse parts share: storage, settings, the fetcher, the sites' keys.
pub struct Federation {
    /// What the rules run with: replies become comments through them.
    services: crate::services::Services,
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    fetcher: fetch::Fetcher,
    keys: tokio::sync::Mutex<HashMap<SiteName, Arc<ActorKey>>>,
    /// Activities taken in per remote instance.
    instance_limiter: crate::rate_limit::RateLimiter,
    /// Wakes this replica's delivery worker when something is queued.
    wake: tokio::sync::Notify,
    pub counters: Counters,
}

impl Federation {
    /// The fediverse parts, or `None` when no site has an account.
    pub fn new(services: &crate::services::Services) -> anyhow::Result<Option<Arc<Self>>> {
        let store = Arc::clone(&services.store);
        let settings = Arc::clone(&services.settings);
        if !settings.sites.iter().any(|s| s.fediverse.is_some()) {
            return Ok(None);
        }
        if settings.fediverse.allow_private {
            tracing::warn!(
                "fediverse_allow_private is on: fetching from and delivering to plain http and \
                 private addresses. This is for tests only; never run a public server so"
            );
        }
        let agent = format!(
            "Palabre/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.base_url()
        );
        let fetcher = fetch::Fetcher::new(settings.fediverse.allow_private, &agent)
            .context("building the fediverse client")?;
        Ok(Some(Arc::new(Self {
            services: services.clone(),
            store,
            settings,
            fetcher,
            keys: tokio::sync::Mutex::default(),
            instance_limiter: crate::rate_limit::RateLimiter::new(INBOX_PER_INSTANCE),
            wake: tokio::sync::Notify::new(),
            counters: Counters::default(),
        })))
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn base(&self) -> String {
        self.settings.base_url().trim_end_matches('/').to_owned()
    }

    /// The site's actor id: `{public_url}/ap/{account}`.
    pub fn actor_id(&self, site: &Site) -> Option<String> {
        let f = site.fediverse.as_ref()?;
        Some(format!("{}/ap/{}", self.base(), f.account))
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/ap/inbox", self.base())
    }

    /// `host[:port]` of the public URL: the handles' domain.
    pub fn domain(&self) -> String {
        url::Url::parse(&self.base())
            .map(|u| fetch::instance_of(&u))
            .unwrap_or_default()
    }

    /// The site whose account is `account`.
    pub fn site_of_account(&self, account: &str) -> Option<&Site> {
        self.settings.site_of_account(account)
    }

    /// The site whose actor id is `id`.
    pub fn site_of_actor(&self, id: &str) -> Option<&Site> {
        let account = id.strip_prefix(&format!("{}/ap/", self.base()))?;
        self.site_of_account(account)
    }

    /// The site's key: loaded, or generated and stored on first use (every replica then
    /// reads the one that was stored first).
    pub async fn key(&self, site: &SiteName) -> anyhow::Result<Arc<ActorKey>> {
        let mut keys = self.keys.lock().await;
        if let Some(k) = keys.get(site) {
            return Ok(Arc::clone(k));
        }
        let setting = key_setting(site);
        let stored = match self.store.setting(&setting).await? {
            Some(s) => s,
            None => {
                let fresh = tokio::task::spawn_blocking(keys::generate).await??;
                self.store.init_setting(&setting, &fresh).await?
            }
        };
        let key = Arc::new(ActorKey::from_stored(&stored)?);
        keys.insert(site.clone(), Arc::clone(&key));
        Ok(key)
    }

    /// Queues `activity` for each inbox, signed by `site`'s account when sent.
    pub async fn deliver(
        &self,
        site: &SiteName,
        activity: &serde_json::Value,
        inboxes: impl IntoIterator<Item = String>,
    ) -> Result<(), crate::store::StoreError> {
        use crate::store::deliveries::{DeliveryKind, NewDelivery};
        let payload = activity.to_string();
        let now = crate::clock::now();
        let mut seen = std::collections::HashSet::new();
        let jobs: Vec<NewDelivery> = inboxes
            .into_iter()
            .filter(|i| seen.insert(i.clone()))
            .filter_map(|inbox| {
                let url = url::Url::parse(&inbox).ok()?;
                Some(NewDelivery {
                    kind: DeliveryKind::Activity,
                    site: site.clone(),
                    instance: fetch::instance_of(&url),
                    target: inbox,
                    payload: payload.clone(),
                    due: now,
                })
            })
            .collect();
        if jobs.is_empty() {
            return Ok(());
        }
        self.store.enqueue(&jobs).await?;
        self.wake.notify_one();
        Ok(())
    }

    /// What `/metrics` shows of the queue (the waiting ones counted in the database, so every
    /// replica reports the same) and of this process's sends and inboxes.
    pub async fn queue_figures(&self) -> QueueFigures {
        use crate::store::deliveries::DeliveryKind;
        let queued = match self.store.queued().await {
            Ok(q) => q.into_iter().map(|(k, n)| (k.as_str(), n)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot count the delivery queue");
                Vec::new()
            }
        };
        let kind = DeliveryKind::Activity.as_str();
        QueueFigures {
            queued,
            sent: vec![(kind, self.counters.sent.load(Ordering::Relaxed))],
            failed: vec![(kind, self.counters.failed.load(Ordering::Relaxed))],
            received: self.counters.received.load(Ordering::Relaxed),
            refused: self.counters.refused.load(Ordering::Relaxed),
        }
    }
}
