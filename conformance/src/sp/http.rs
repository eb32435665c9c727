//! How the SP suite sends: the pooled [`crate::wire`] client, plus the run's
//! status log. Every exchange is recorded so a failure can print the whole
//! request and answer and a `curl` line that reproduces it (style.md,
//! cucumber section).

use std::time::Instant;

use crate::wire::{self, Exchange, Request};

/// Sends `req` (absolute URL) and records the exchange; never fails
/// (transport errors are recorded in the exchange). During a run, the
/// statuses the answer states go to the run's
/// [`StatusLog`](crate::sp::timeline::StatusLog).
pub async fn send(client: &reqwest::Client, req: Request) -> Exchange {
    let exchange = wire::send(client, req).await;
    if let Ok(ctx) = crate::sp::context::active() {
        ctx.statuses.record(&exchange, Instant::now());
    }
    exchange
}
