//! The `kweb-sim` binary: parse settings, bind, serve.

use clap::Parser;
use kweb_sim::{Application, Config};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::parse();
    let app = Application::build(config).await?;
    println!("kweb-sim listening on http://{}", app.local_addr()?);
    app.run_until_stopped().await
}
