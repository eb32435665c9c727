//! The `kweb-sim` binary: parse settings, bind, serve until Ctrl-C (then
//! save the state file, if any). Logs one access line per request on stderr
//! (`RUST_LOG`, default `info`).

use std::process::ExitCode;

use clap::Parser;
use kweb_sim::{Application, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let config = Config::parse();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("kweb-sim: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match app.local_addr() {
        Ok(addr) => println!("kweb-sim listening on http://{addr}"),
        Err(e) => {
            eprintln!("kweb-sim: {e}");
            return ExitCode::FAILURE;
        }
    }
    let served = app
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kweb-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
