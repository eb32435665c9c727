//! The outbox relay: delivers outbox entries to NATS at least once, in
//! order, and deletes an entry only after confirmation (EVT-040 to EVT-042).
//!
//! When a JetStream stream covers the subject the relay publishes through
//! JetStream (with `Nats-Msg-Id` = event id for de-duplication) and waits for
//! the ack; otherwise it publishes on core NATS and flushes. It checks for
//! a stream again after every (re)connect and every resync. The NATS client
//! reconnects without limit, including when the server is down at startup.
//!
//! `NATS_URL` may list several servers of one cluster, comma-separated, as
//! the Go provider's nats.go client takes them
//! (`nats://n1:4222,nats://n2:4222`): the client connects to one of them
//! and, when that server goes away, reconnects to another (or to a server
//! the cluster announced). Events stay in the outbox meanwhile, and
//! JetStream drops a re-sent event by its `Nats-Msg-Id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream;
use tokio::sync::watch;

use crate::app::App;
use crate::store::{OutboxEntry, StoreError};

/// Bound of one publish (ack or flush).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Entries read per batch.
const BATCH: usize = 256;
/// First wait after a failed publish, and again after a delivery.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between retries after a failed publish.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The wait before the next retry when the one after waiting `current`
/// failed too: doubled, at most [`MAX_BACKOFF`], without an attempt limit
/// (EVT-042).
fn next_backoff(current: Duration) -> Duration {
    current.saturating_mul(2).min(MAX_BACKOFF)
}

/// Why a `NATS_URL` is refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NatsUrlError {
    /// An entry is not a NATS URL; `position` counts from 1 (the entry
    /// itself is not repeated, as it may carry credentials).
    #[error("server {position} of the list is not a NATS URL: {source}")]
    NotNatsUrl {
        /// 1-based position in the comma-separated list.
        position: usize,
        /// The parse error of `async_nats::ServerAddr`.
        #[source]
        source: std::io::Error,
    },
    /// Only blanks and commas.
    #[error("names no server; leave it empty to disable publishing")]
    Empty,
}

/// Why a relay batch stopped; the entries not delivered stay in the
/// outbox and are retried with backoff (EVT-042).
#[derive(Debug, thiserror::Error)]
enum RelayError {
    /// The event could not be serialised.
    #[error("could not encode the event")]
    Encode(#[source] serde_json::Error),
    /// `PUBLISH_TIMEOUT` passed looking up the stream of a subject.
    #[error("stream lookup timed out")]
    StreamLookupTimeout,
    /// `PUBLISH_TIMEOUT` passed before the ack or flush.
    #[error("publish timed out")]
    PublishTimeout,
    /// A JetStream publish or its ack failed.
    #[error("JetStream publish failed")]
    JetStream(#[source] jetstream::context::PublishError),
    /// A core NATS publish failed.
    #[error("NATS publish failed")]
    Publish(#[source] async_nats::PublishError),
    /// The flush after a core NATS publish failed.
    #[error("NATS flush failed")]
    Flush(#[source] async_nats::client::FlushError),
    /// The client is not connected.
    #[error("not connected")]
    NotConnected,
    /// Reading or trimming the outbox failed.
    #[error("outbox store")]
    Store(#[source] StoreError),
    /// The blocking store task failed.
    #[error("outbox store task")]
    Task(#[source] tokio::task::JoinError),
}

/// The servers of a `NATS_URL`: comma-separated URLs (`nats://host:4222`,
/// `tls://`, `ws://`; a bare `host:port` means `nats://`), blanks around
/// commas ignored.
///
/// # Errors
/// [`NatsUrlError::NotNatsUrl`] with the position of an entry that is not a
/// NATS URL, [`NatsUrlError::Empty`] when the list names no server.
pub(crate) fn nats_servers(text: &str) -> Result<Vec<async_nats::ServerAddr>, NatsUrlError> {
    let servers = text
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(n, entry)| {
            entry
                .parse::<async_nats::ServerAddr>()
                .map_err(|source| NatsUrlError::NotNatsUrl {
                    position: n + 1,
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if servers.is_empty() {
        return Err(NatsUrlError::Empty);
    }
    Ok(servers)
}

/// Connects lazily to the servers of `url` (see [`nats_servers`]): returns
/// at once and keeps retrying in the background (EVT-042). The connection is
/// named `kcli-provider` in the servers' monitoring (`/connz`).
///
/// # Errors
/// The connect error when `url` is not a list of NATS URLs.
pub(crate) async fn connect(
    app: &Arc<App>,
    url: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let servers = nats_servers(url).map_err(|problem| {
        async_nats::ConnectError::with_source(async_nats::ConnectErrorKind::ServerParse, problem)
    })?;
    let flag = Arc::clone(app);
    async_nats::ConnectOptions::new()
        .name("kcli-provider")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .event_callback(move |event| {
            let flag = Arc::clone(&flag);
            async move {
                match event {
                    async_nats::Event::Connected => {
                        tracing::info!("connected to NATS");
                        flag.recheck_streams.store(true, Ordering::SeqCst);
                        flag.outbox_changed();
                    }
                    async_nats::Event::Disconnected => {
                        tracing::warn!("disconnected from NATS; events stay in the outbox")
                    }
                    other => tracing::debug!(event = %other, "NATS event"),
                }
            }
        })
        .connect(servers)
        .await
}

/// Publishes one entry and waits for confirmation.
async fn publish(
    client: &async_nats::Client,
    js: &jetstream::Context,
    streams: &mut HashMap<String, bool>,
    entry: &OutboxEntry,
) -> Result<(), RelayError> {
    let payload = serde_json::to_vec(&entry.event).map_err(RelayError::Encode)?;
    let covered = match streams.get(&entry.subject) {
        Some(covered) => *covered,
        None => {
            let covered =
                tokio::time::timeout(PUBLISH_TIMEOUT, js.stream_by_subject(entry.subject.clone()))
                    .await
                    .map_err(|_| RelayError::StreamLookupTimeout)?
                    .is_ok();
            streams.insert(entry.subject.clone(), covered);
            covered
        }
    };
    let send = async {
        if covered {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                "Nats-Msg-Id",
                entry.event["id"].as_str().unwrap_or_default(),
            );
            headers.insert("Content-Type", "application/cloudevents+json");
            let ack = js
                .publish_with_headers(entry.subject.clone(), headers, payload.into())
                .await
                .map_err(RelayError::JetStream)?;
            ack.await.map(drop).map_err(RelayError::JetStream)
        } else {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Content-Type", "application/cloudevents+json");
            client
                .publish_with_headers(entry.subject.clone(), headers, payload.into())
                .await
                .map_err(RelayError::Publish)?;
            client.flush().await.map_err(RelayError::Flush)
        }
    };
    tokio::time::timeout(PUBLISH_TIMEOUT, send)
        .await
        .map_err(|_| RelayError::PublishTimeout)?
}

/// Delivers one batch; returns how many were delivered, or the error that stopped it.
async fn drain_batch(
    app: &App,
    client: &async_nats::Client,
    js: &jetstream::Context,
    streams: &mut HashMap<String, bool>,
) -> Result<usize, RelayError> {
    let store = app.store.clone();
    let head = tokio::task::spawn_blocking(move || store.outbox_head(BATCH))
        .await
        .map_err(RelayError::Task)?
        .map_err(RelayError::Store)?;
    let mut delivered = Vec::with_capacity(head.len());
    let mut failure = None;
    for (seq, entry) in &head {
        if client.connection_state() != async_nats::connection::State::Connected {
            failure = Some(RelayError::NotConnected);
            break;
        }
        match publish(client, js, streams, entry).await {
            Ok(()) => {
                delivered.push(*seq);
                let ty = entry.event["type"].as_str().unwrap_or("unknown");
                app.metrics.inc(
                    "dcm_kcli_nats_events_published_total",
                    &[("event_type", ty)],
                );
            }
            Err(err) => {
                streams.remove(&entry.subject);
                failure = Some(err);
                break;
            }
        }
    }
    let count = delivered.len();
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || store.outbox_delete(&delivered))
        .await
        .map_err(RelayError::Task)?
        .map_err(RelayError::Store)?;
    match failure {
        Some(err) => Err(err),
        None => Ok(count),
    }
}

fn update_gauges(app: &App) {
    if let Ok((pending, oldest)) = app.store.outbox_stats() {
        app.metrics
            .set("dcm_kcli_outbox_pending", &[], pending as f64);
        let age = oldest.map_or(0.0, |t| {
            app.clock.now_ms().saturating_sub(t) as f64 / 1000.0
        });
        app.metrics
            .set("dcm_kcli_outbox_oldest_age_seconds", &[], age);
    }
}

/// Runs until `stop` turns true and the outbox is drained (or forever).
pub(crate) async fn run(
    app: Arc<App>,
    client: async_nats::Client,
    mut stop: watch::Receiver<bool>,
) {
    let js = jetstream::new(client.clone());
    let mut streams: HashMap<String, bool> = HashMap::new();
    let mut backoff = FIRST_BACKOFF;
    loop {
        if app.recheck_streams.swap(false, Ordering::SeqCst) {
            streams.clear();
        }
        let result = drain_batch(&app, &client, &js, &mut streams).await;
        update_gauges(&app);
        match result {
            Ok(n) if n > 0 => {
                backoff = FIRST_BACKOFF;
                continue;
            }
            Ok(_) => {
                if *stop.borrow() {
                    return;
                }
                tokio::select! {
                    () = app.outbox_notify.notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(err) => {
                if *stop.borrow() {
                    return;
                }
                tracing::debug!(error = ?err, "outbox delivery paused");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = app.outbox_notify.notified() => {}
                    _ = stop.changed() => {}
                }
                backoff = next_backoff(backoff);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evt042_retry_wait_doubles_up_to_10s() {
        let ms = Duration::from_millis;
        for (current, next) in [
            (FIRST_BACKOFF, ms(200)),
            (ms(200), ms(400)),
            (ms(3_200), ms(6_400)),
            (ms(6_400), MAX_BACKOFF),
            (MAX_BACKOFF, MAX_BACKOFF),
            (Duration::MAX, MAX_BACKOFF),
        ] {
            assert_eq!(next_backoff(current), next, "after {current:?}");
        }
    }
}
