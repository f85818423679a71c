//! The `eventail` binary: parse the command line, run, report errors readably.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = eventail::cli::parse();
    match eventail::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", eventail::cli::report(&err));
            std::process::ExitCode::FAILURE
        }
    }
}
