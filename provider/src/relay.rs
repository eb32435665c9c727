//! The outbox relay: delivers outbox entries to NATS at least once, in
//! order, and deletes an entry only after confirmation (EVT-040 to EVT-042).
//!
//! When a JetStream stream covers the subject the relay publishes through
//! JetStream (with `Nats-Msg-Id` = event id for de-duplication) and waits for
//! the ack; otherwise it publishes on core NATS and flushes. It checks for
//! a stream again after every (re)connect and every resync. The NATS client
//! reconnects without limit, including when the server is down at startup.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream;
use tokio::sync::watch;

use crate::app::App;
use crate::store::OutboxEntry;

/// Bound of one publish (ack or flush).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Entries read per batch.
const BATCH: usize = 256;
/// Longest wait between retries after a failed publish.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Connects lazily: returns at once and keeps retrying in the background
/// (EVT-042).
///
/// # Errors
/// The connect error when the URL itself is invalid.
pub async fn connect(
    app: &Arc<App>,
    url: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let flag = Arc::clone(app);
    async_nats::ConnectOptions::new()
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
        .connect(url)
        .await
}

/// Publishes one entry and waits for confirmation.
async fn publish(
    client: &async_nats::Client,
    js: &jetstream::Context,
    streams: &mut HashMap<String, bool>,
    entry: &OutboxEntry,
) -> Result<(), String> {
    let payload = serde_json::to_vec(&entry.event).map_err(|e| e.to_string())?;
    let covered = match streams.get(&entry.subject) {
        Some(covered) => *covered,
        None => {
            let covered =
                tokio::time::timeout(PUBLISH_TIMEOUT, js.stream_by_subject(entry.subject.clone()))
                    .await
                    .map_err(|_| "stream lookup timed out".to_owned())?
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
                .map_err(|e| e.to_string())?;
            ack.await.map(drop).map_err(|e| e.to_string())
        } else {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Content-Type", "application/cloudevents+json");
            client
                .publish_with_headers(entry.subject.clone(), headers, payload.into())
                .await
                .map_err(|e| e.to_string())?;
            client.flush().await.map_err(|e| e.to_string())
        }
    };
    tokio::time::timeout(PUBLISH_TIMEOUT, send)
        .await
        .map_err(|_| "publish timed out".to_owned())?
}

/// Delivers one batch; returns how many were delivered, or the error that stopped it.
async fn drain_batch(
    app: &App,
    client: &async_nats::Client,
    js: &jetstream::Context,
    streams: &mut HashMap<String, bool>,
) -> Result<usize, String> {
    let store = app.store.clone();
    let head = tokio::task::spawn_blocking(move || store.outbox_head(BATCH))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let mut delivered = Vec::with_capacity(head.len());
    let mut failure = None;
    for (seq, entry) in &head {
        if client.connection_state() != async_nats::connection::State::Connected {
            failure = Some("not connected".to_owned());
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
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
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
pub async fn run(app: Arc<App>, client: async_nats::Client, mut stop: watch::Receiver<bool>) {
    let js = jetstream::new(client.clone());
    let mut streams: HashMap<String, bool> = HashMap::new();
    let mut backoff = Duration::from_millis(100);
    loop {
        if app.recheck_streams.swap(false, Ordering::SeqCst) {
            streams.clear();
        }
        let result = drain_batch(&app, &client, &js, &mut streams).await;
        update_gauges(&app);
        match result {
            Ok(n) if n > 0 => {
                backoff = Duration::from_millis(100);
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
                tracing::debug!(error = %err, "outbox delivery paused");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = app.outbox_notify.notified() => {}
                    _ = stop.changed() => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}
