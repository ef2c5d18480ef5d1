use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("palabre: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let matches = palabre_server::cli::command().get_matches();
    let result = runtime.block_on(palabre_server::cli::run(&matches));
    // Requests in flight are finished by now; what may still run is background work whose
    // result is only a cache (the widget's files compressed ahead of time): not worth waiting
    // for at a stop, which a deploy or a supervisor is waiting on.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line, for a person; no backtrace.
            eprintln!("palabre: {e:#}");
            ExitCode::FAILURE
        }
    }
}
