//! The HTTP/1 connection loop: hyper with the connection timeouts of
//! Appendix A.1 (`READ_TIMEOUT`, `WRITE_TIMEOUT`, `IDLE_TIMEOUT`), which
//! `axum::serve` cannot apply, and graceful shutdown (TMO-007).

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, ResponseBodyDeadlineLayer};

/// Connection timeouts of Appendix A.1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// Bound on receiving a request head and on any stall of its body.
    pub read: Duration,
    /// Bound on sending one response body.
    pub write: Duration,
    /// Bound on waiting for the next request on a keep-alive connection.
    pub idle: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and waits for open connections to finish their in-flight
/// request (idle connections are closed at once). When `cut` is cancelled
/// first (`SHUTDOWN_TIMEOUT` passed, TMO-007), the connections still open
/// are aborted and awaited: once this returns, no connection task holds
/// the router (and through it the store) any more.
///
/// hyper starts its header read timer as soon as a connection waits for a
/// request head, which covers both a slow head and an idle keep-alive
/// connection; it is therefore set to the shorter of `read` and `idle`.
/// Such a connection is closed without a response.
///
/// # Errors
/// Never in practice: accept errors (for example too many open files) are
/// logged and retried after a pause, as `axum::serve` does.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
    cut: CancellationToken,
) -> std::io::Result<()> {
    let service = ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(timeouts.read))
        .layer(ResponseBodyDeadlineLayer::new(timeouts.write))
        .service(router);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.read.min(timeouts.idle));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let conn = builder.serve_connection(
                        TokioIo::new(stream),
                        TowerToHyperService::new(service.clone()),
                    );
                    let conn = graceful.watch(conn);
                    connections.spawn(async move {
                        if let Err(err) = conn.await {
                            tracing::debug!(error = %err, "HTTP connection ended with an error");
                        }
                    });
                }
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a connection failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = cut.cancelled() => {
            tracing::warn!(connections = connections.len(), "connections still in flight at SHUTDOWN_TIMEOUT are cut");
        }
    }
    connections.shutdown().await;
    Ok(())
}
