//! Building and running the server: open the store, load the secret, bind, serve until told
//! to stop. The listener is bound before anything is served so tests can use port 0.

use crate::config::Settings;
use crate::crypto::Keys;
use crate::http::{self, state::AppState, widget_bundle::WidgetBundle};
use crate::outbox::Notifier;
use crate::services::{Services, load_secret};
use crate::store;
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    /// `--metrics-listen`: `/metrics` alone, never on the public address.
    metrics: Option<TcpListener>,
    router: axum::Router,
    state: AppState,
}

/// Threads of a site no `[[site]]` names are kept but served to no blog: say so at start
/// (typically `default`'s, after a single blog's server gets `[[site]]` tables).
async fn warn_of_unserved_sites(store: &dyn store::Store, settings: &Settings) {
    match store.sites_in_use().await {
        Ok(sites) => {
            for (site, threads) in sites {
                if settings.site(&site).is_none() {
                    tracing::warn!(
                        site = %site,
                        threads,
                        "threads of a site no [[site]] table names: no blog shows them \
                         (name a [[site]] so to serve them; the admin pages list them)"
                    );
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot list the sites in the database"),
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = store::connect_with(&settings.database, settings.pool)
            .await
            .with_context(|| format!("opening the database {}", settings.database))?;
        if let Some(schedule) = &settings.backup {
            std::fs::create_dir_all(&schedule.dir).with_context(|| {
                format!("creating the backup folder {}", schedule.dir.display())
            })?;
        }
        let secret = load_secret(store.as_ref(), &settings).await?;
        warn_of_unserved_sites(store.as_ref(), &settings).await;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let metrics = match settings.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening for metrics on {addr}"))?,
            ),
            None => None,
        };
        let widget = match &settings.widget_dir {
            Some(dir) => Some(Arc::new(WidgetBundle::load(dir)?)),
            None => None,
        };
        let notifier = Notifier::start(&settings.notify).context("setting up notifications")?;
        let mut services = Services::new(store, Keys::new(secret.as_bytes()), settings);
        services.notifier = notifier;
        let federation = crate::federation::Federation::new(&services)?;
        let mut state = AppState::new(services);
        state.widget = widget;
        state.federation = federation;
        let router = http::router(state.clone());
        Ok(Self {
            listener,
            metrics,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The metrics address, when `--metrics-listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if let Some(bundle) = &self.state.widget {
            bundle.compress_in_background();
        }
        let cache_sync = self
            .state
            .cache
            .spawn_sync(Arc::clone(&self.state.services.store));
        let live = Arc::clone(&self.state.live);
        let live_task = live.spawn();
        let metrics = self.metrics.map(|listener| {
            let router = http::metrics_router(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "serving metrics failed");
                }
            })
        });
        let deliveries = self
            .state
            .federation
            .clone()
            .map(crate::federation::delivery::spawn);
        let feeds = self
            .state
            .federation
            .clone()
            .map(crate::federation::articles::spawn_feed_reader);
        let answers = self
            .state
            .federation
            .clone()
            .map(crate::federation::outgoing::spawn);
        let backups =
            self.state.services.settings.backup.clone().map(|schedule| {
                crate::backup::spawn(Arc::clone(&self.state.services.store), schedule)
            });
        // Live-update streams never end by themselves: close them, or the graceful shutdown
        // would wait for them forever.
        let shutdown = async move {
            shutdown.await;
            live.close_all();
        };
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
        cache_sync.abort();
        live_task.abort();
        for task in [backups, metrics, deliveries, feeds, answers]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
        served
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
