//! The health poller ([cp-health-monitor], contract §5): polls
//! `{endpoint}/health` of every registered provider. 200 with `healthy` is
//! *ready*, 200 with `unhealthy` is *unhealthy*, and three failed probes in a
//! row (non-200, non-JSON, no answer within 5 s) make it *unavailable*.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::dcm_sim::registry::Registry;

/// The three-state model of DCM's health monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Not polled yet.
    Unknown,
    /// 200 and `healthy`.
    Ready,
    /// 200 and `unhealthy`.
    Unhealthy,
    /// Three failed probes in a row.
    Unavailable,
}

#[derive(Debug, Default)]
struct Book {
    state: BTreeMap<String, (HealthState, u32)>,
    history: Vec<(String, HealthState)>,
}

/// Poll results per provider name.
#[derive(Debug, Clone, Default)]
pub struct HealthBook {
    inner: Arc<Mutex<Book>>,
}

impl HealthBook {
    fn lock(&self) -> MutexGuard<'_, Book> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current state of `name`.
    #[must_use]
    pub fn state(&self, name: &str) -> HealthState {
        self.lock()
            .state
            .get(name)
            .map_or(HealthState::Unknown, |s| s.0)
    }

    /// Every state change, in order, as (provider name, new state).
    #[must_use]
    pub fn history(&self) -> Vec<(String, HealthState)> {
        self.lock().history.clone()
    }

    fn record(&self, name: &str, ok: Option<HealthState>) {
        let mut book = self.lock();
        let (prev, fails) = book
            .state
            .get(name)
            .copied()
            .unwrap_or((HealthState::Unknown, 0));
        let (next, fails) = match ok {
            Some(s) => (s, 0),
            None if fails + 1 >= 3 => (HealthState::Unavailable, fails + 1),
            None => (prev, fails + 1),
        };
        book.state.insert(name.to_owned(), (next, fails));
        if next != prev {
            book.history.push((name.to_owned(), next));
        }
    }
}

/// Starts the poller.
pub fn start(registry: Registry, book: HealthBook, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            for p in registry.providers().into_values() {
                let url = format!("{}/health", p.endpoint.trim_end_matches('/'));
                let outcome = probe(&client, &url).await;
                book.record(&p.name, outcome);
            }
        }
    })
}

async fn probe(client: &reqwest::Client, url: &str) -> Option<HealthState> {
    let resp = client
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if resp.status() != reqwest::StatusCode::OK {
        return None;
    }
    let body: serde_json::Value = resp.json().await.ok()?;
    match body.get("status")?.as_str()?.to_ascii_lowercase().as_str() {
        "healthy" | "pass" => Some(HealthState::Ready),
        "unhealthy" | "fail" => Some(HealthState::Unhealthy),
        _ => None,
    }
}
