//! `kcli-provider` binary: parse settings, build, serve until SIGTERM/SIGINT.

use clap::Parser as _;
use kcli_provider::{Application, Config};

fn one_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid configuration")
        .trim()
        .to_owned()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::try_parse() {
        Ok(config) => config,
        Err(err)
            if matches!(
                err.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            let _ = err.print();
            return std::process::ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("kcli-provider: {}", one_line(&err.to_string()));
            return std::process::ExitCode::from(2);
        }
    };
    kcli_provider::telemetry::init(&config.log_level);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("kcli-provider: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    tracing::info!(addr = %app.local_addr(), "listening");
    match app.run_until(shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kcli-provider: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
