//! The server's logs: text for people or JSON for collectors, on stderr.

/// How the server's logs are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One line a record, for people.
    #[default]
    Text,
    /// One JSON object a line, with the same fields, for log collectors.
    Json,
}

/// Logs to stderr as text; `RUST_LOG` overrides the default level.
pub fn init_tracing(default_filter: &str) {
    init_logs(default_filter, LogFormat::Text);
}

/// Logs to stderr in `format`; `RUST_LOG` overrides the default level.
pub fn init_logs(default_filter: &str, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
