use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let matches = palabre_server::cli::command().get_matches();
    match palabre_server::cli::run(&matches).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line, for a person; no backtrace.
            eprintln!("palabre: {e:#}");
            ExitCode::FAILURE
        }
    }
}
