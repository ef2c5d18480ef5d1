use clap::Parser;
use palabre_server::config::{Cli, Command};
use palabre_server::startup::{Application, shutdown_signal};
use std::process::ExitCode;

const LOG_FILTER: &str = "palabre=info,palabre_server=info,tower_http=warn";

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line, for a person; no backtrace.
            eprintln!("palabre: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let settings = args.resolve()?;
            palabre_server::init_logs(LOG_FILTER, settings.log_format);
            let app = Application::build(settings).await?;
            tracing::info!(address = %app.local_addr(), "Palabre is listening");
            if let Some(metrics) = app.metrics_addr() {
                tracing::info!(metrics = %metrics, "Prometheus metrics at /metrics");
            }
            app.run_until(shutdown_signal()).await
        }
        other => {
            palabre_server::init_tracing(LOG_FILTER);
            offline(other).await
        }
    }
}

async fn offline(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) => unreachable!("served above"),
        Command::Admin(command) => palabre_server::admin::cli::run(command).await,
        Command::Import(args) => palabre_server::import::cli::import(args).await,
        Command::Export { file, db } => palabre_server::import::cli::export(&file, db).await,
        Command::Backup { file, db } => palabre_server::backup::command(&file, db).await,
        Command::Reader(command) => palabre_server::import::cli::reader(command).await,
    }
}
