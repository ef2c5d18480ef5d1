//! Palabre's comment server. `main.rs` only parses the command line and calls in here; tests
//! drive the same [`http::router`] and [`startup::Application`].

pub mod admin;
pub mod backup;
pub mod cache;
pub mod comments;
pub mod config;
pub mod crypto;
pub mod error;
pub mod first_paint;
pub mod http;
pub mod import;
pub mod live;
pub mod moderation;
pub mod notify;
pub mod rate_limit;
pub mod readers;
pub mod render;
pub mod spam;
pub mod startup;
pub mod state;
pub mod store;
pub mod widget_bundle;

/// Logs to stderr; `RUST_LOG` overrides the default level.
pub fn init_tracing(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
