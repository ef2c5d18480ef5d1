use clap::Parser;
use palabre_server::config::{Cli, Command};
use palabre_server::startup::{Application, shutdown_signal};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    palabre_server::init_tracing("palabre=info,palabre_server=info,tower_http=warn");
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
            let app = Application::build(settings).await?;
            tracing::info!(address = %app.local_addr(), "Palabre is listening");
            app.run_until(shutdown_signal()).await
        }
        Command::Admin(command) => palabre_server::admin::cli::run(command).await,
        Command::Import(args) => palabre_server::import::cli::import(args).await,
        Command::Export { file, db } => palabre_server::import::cli::export(&file, db).await,
        Command::Backup { file, db } => palabre_server::backup::command(&file, db).await,
        Command::Reader(command) => palabre_server::import::cli::reader(command).await,
    }
}
