//! The status consumer ([cp-consumer], contract §9): a JetStream stream
//! `dcm-status` on `dcm.*` (so SPs that publish through JetStream get acks,
//! EVT-041) and a core subscription on `dcm.>` that records every message,
//! including ones on wrong subjects, for assertions.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::StreamExt;
use serde_json::Value;
use tokio::task::JoinHandle;

/// One NATS message the consumer saw.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    /// Arrival time.
    pub at: Instant,
    /// NATS subject.
    pub subject: String,
    /// Raw payload.
    pub payload: String,
}

impl ReceivedEvent {
    /// The payload as JSON, if it parses.
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.payload).ok()
    }

    /// `data.id` of the event, if present.
    #[must_use]
    pub fn data_id(&self) -> Option<String> {
        self.json()?
            .get("data")?
            .get("id")?
            .as_str()
            .map(str::to_owned)
    }

    /// `data.status` of the event, if present.
    #[must_use]
    pub fn status(&self) -> Option<String> {
        self.json()?
            .get("data")?
            .get("status")?
            .as_str()
            .map(str::to_owned)
    }
}

/// Every event received, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    inner: Arc<Mutex<Vec<ReceivedEvent>>>,
}

impl EventLog {
    fn lock(&self) -> MutexGuard<'_, Vec<ReceivedEvent>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A copy of every event.
    #[must_use]
    pub fn all(&self) -> Vec<ReceivedEvent> {
        self.lock().clone()
    }

    /// Events whose `data.id` is `id`, in arrival order.
    #[must_use]
    pub fn for_id(&self, id: &str) -> Vec<ReceivedEvent> {
        self.lock()
            .iter()
            .filter(|e| e.data_id().as_deref() == Some(id))
            .cloned()
            .collect()
    }

    /// Records an event (used by the consumer and by tests).
    pub fn push(&self, event: ReceivedEvent) {
        self.lock().push(event);
    }
}

/// Connects, ensures the stream and starts recording.
///
/// # Errors
/// A readable reason when NATS is unreachable.
pub async fn start(url: &str, log: EventLog) -> Result<JoinHandle<()>, String> {
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(url)
        .await
        .map_err(|e| e.to_string())?;
    // The stream is best effort: a server without JetStream still serves core NATS.
    let _ = ensure_stream(&client).await;
    let mut sub = client.subscribe("dcm.>").await.map_err(|e| e.to_string())?;
    client.flush().await.map_err(|e| e.to_string())?;
    Ok(tokio::spawn(async move {
        let _keep = client;
        while let Some(msg) = sub.next().await {
            log.push(ReceivedEvent {
                at: Instant::now(),
                subject: msg.subject.to_string(),
                payload: String::from_utf8_lossy(&msg.payload).into_owned(),
            });
        }
    }))
}

/// Name of the JetStream stream the control plane keeps on `dcm.*`.
pub const STREAM: &str = "dcm-status";

/// Creates the JetStream stream [`STREAM`] on `dcm.*` unless it exists (what
/// DCM's control plane does); it lives in the server's store dir, so it
/// survives a server restart.
///
/// # Errors
/// A readable reason when JetStream is off or unreachable.
pub async fn ensure_stream(client: &async_nats::Client) -> Result<(), String> {
    async_nats::jetstream::new(client.clone())
        .get_or_create_stream(async_nats::jetstream::stream::Config {
            name: STREAM.into(),
            subjects: vec!["dcm.*".into()],
            ..Default::default()
        })
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The last (at most 2000) messages stored in the stream [`STREAM`] at `url`,
/// oldest first; `at` is the time of reading, not of publishing.
///
/// # Errors
/// A readable reason when NATS or the stream is unavailable.
pub async fn stream_messages(url: &str) -> Result<Vec<ReceivedEvent>, String> {
    let client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(STREAM).await.map_err(|e| e.to_string())?;
    let info = stream.info().await.map_err(|e| e.to_string())?;
    let (first, last) = (info.state.first_sequence, info.state.last_sequence);
    let mut out = Vec::new();
    for seq in last.saturating_sub(2000).max(first)..=last {
        let Ok(msg) = stream.get_raw_message(seq).await else {
            continue;
        };
        out.push(ReceivedEvent {
            at: Instant::now(),
            subject: msg.subject.to_string(),
            payload: String::from_utf8_lossy(&msg.payload).into_owned(),
        });
    }
    Ok(out)
}

/// Copies into `log` the messages of the JetStream stream `dcm-status` that
/// the core subscription missed (it cannot see what was published while its
/// own connection was reconnecting after a NATS outage). Returns how many
/// messages were added.
///
/// # Errors
/// A readable reason when NATS or the stream is unavailable.
pub async fn backfill_from_stream(url: &str, log: &EventLog) -> Result<usize, String> {
    let known: std::collections::BTreeSet<String> =
        log.all().into_iter().map(|e| e.payload).collect();
    let mut added = 0;
    for event in stream_messages(url).await? {
        if !known.contains(&event.payload) {
            log.push(event);
            added += 1;
        }
    }
    Ok(added)
}
