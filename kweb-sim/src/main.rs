//! The `kweb-sim` binary: parse settings, bind, serve until Ctrl-C (then
//! save the state file, if any).

use clap::Parser;
use kweb_sim::{Application, Config};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let config = Config::parse();
    let app = Application::build(config).await?;
    println!("kweb-sim listening on http://{}", app.local_addr()?);
    app.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
