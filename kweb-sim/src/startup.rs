//! Building and running the HTTP server.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;

/// A bound, not yet serving, simulator.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds `config.bind` and builds the routes.
    ///
    /// # Errors
    /// Returns the I/O error when the address cannot be bound.
    pub async fn build(config: Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.bind).await?;
        Ok(Self { listener, router: Router::new() })
    }

    /// The bound address (useful after binding port 0).
    ///
    /// # Errors
    /// Returns the I/O error of the underlying socket.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process stops.
    ///
    /// # Errors
    /// Returns the I/O error that ended the accept loop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).await
    }
}
