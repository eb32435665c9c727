//! How the SP suite sends: the pooled [`crate::wire`] client, plus the run's
//! status log. Every exchange is recorded so a failure can print the whole
//! request and answer and a `curl` line that reproduces it (style.md,
//! cucumber section).

use std::time::Instant;

use crate::sp::context::RunContext;
use crate::wire::{self, Exchange, Request};

/// Sends `req` (absolute URL) with the run's pooled client and records the
/// exchange; never fails (transport errors are recorded in the exchange).
/// The statuses the answer states go to the run's
/// [`StatusLog`](crate::sp::timeline::StatusLog).
pub async fn send(ctx: &RunContext, req: Request) -> Exchange {
    let exchange = wire::send(&ctx.http, req).await;
    ctx.statuses.record(&exchange, Instant::now());
    exchange
}
