//! What the rules (comments, moderation, spam, readers, imports, notifications) work with:
//! storage, keys, settings and the outbox. Never the HTTP state with its cache, limiters and
//! widget bundle, so the command line runs the same rules without a server.

use crate::config::Settings;
use crate::crypto::{self, Keys};
use crate::outbox::Notifier;
use crate::store::Store;
use anyhow::Context;
use secrecy::ExposeSecret;
use std::sync::Arc;

#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub keys: Arc<Keys>,
    pub settings: Arc<Settings>,
    /// Emails and webhooks, sent in the background.
    pub notifier: Notifier,
}

impl Services {
    /// Services that send nothing; [`Notifier::start`] gives a real outbox.
    pub fn new(store: Arc<dyn Store>, keys: Keys, settings: Settings) -> Self {
        Self {
            store,
            keys: Arc::new(keys),
            settings: Arc::new(settings),
            notifier: Notifier::disabled(),
        }
    }
}

/// The settings key under which a generated secret is kept.
pub const SECRET_SETTING: &str = "secret_key";

/// The configured secret key, or the one generated on first start and kept in the database
/// (shared by replicas and by the offline commands).
pub async fn load_secret(store: &dyn Store, settings: &Settings) -> anyhow::Result<String> {
    Ok(match &settings.secret {
        Some(s) => s.expose_secret().to_owned(),
        None => store
            .init_setting(SECRET_SETTING, &crypto::generate_secret())
            .await
            .context("loading the secret key")?,
    })
}
