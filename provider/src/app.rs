//! The state every part of the provider shares: settings, store, kweb client,
//! caches, readiness flags and metrics. Built once by [`crate::startup`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;
use crate::config::Settings;
use crate::events::status_event;
use crate::health::Health;
use crate::kweb::KwebClient;
use crate::metrics::Metrics;
use crate::spec::hints::HintRules;
use crate::spec::vm::Catalog;
use crate::store::{Kind, OutboxEntry, Store};

/// How long a kubeconfig may stay in memory (SEC-004).
pub const KUBECONFIG_TTL: Duration = Duration::from_secs(300);

/// A prefixed backend resource the provider does not track (ORP-001, ORP-003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Orphan {
    /// kcli name.
    pub name: String,
    /// `vm` or `cluster`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Raw backend status, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_status: Option<String>,
    /// First time seen, RFC 3339.
    pub first_seen: String,
    /// DCM id from kcli VM metadata, when known (ORP-005).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dcm_id: Option<String>,
}

/// Readiness inputs (HLT-014).
#[derive(Debug, Default)]
pub struct Readiness {
    /// The VM registration succeeded.
    pub vm_registered: AtomicBool,
    /// The cluster registration succeeded.
    pub cluster_registered: AtomicBool,
    /// The first reconcile pass finished.
    pub polled: AtomicBool,
}

impl Readiness {
    /// Both registrations succeeded.
    #[must_use]
    pub fn registered(&self) -> bool {
        self.vm_registered.load(Ordering::SeqCst) && self.cluster_registered.load(Ordering::SeqCst)
    }
}

/// Shared application state.
#[derive(Debug)]
pub struct App {
    /// Effective settings.
    pub settings: Settings,
    /// The redb store.
    pub store: Store,
    /// The kweb client.
    pub kweb: KwebClient,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Wall clock that follows tokio time.
    pub clock: Clock,
    /// Profile and image cache (KCLI-012).
    pub catalog: RwLock<Catalog>,
    /// kweb's default client type from `GET /hosts` (KCLI-002).
    pub backend_type: RwLock<Option<String>>,
    /// Backend health.
    pub health: Arc<Health>,
    /// Readiness flags.
    pub readiness: Readiness,
    /// Hint allowlist and policy.
    pub hint_rules: HintRules,
    /// Wakes the relay when the outbox grows.
    pub outbox_notify: Notify,
    /// Kubeconfig cache: id → (text, fetched at) (SEC-004).
    pub kubeconfigs: Mutex<HashMap<String, (String, Instant)>>,
    /// Current orphans (ORP-003).
    pub orphans: RwLock<Vec<Orphan>>,
    /// Backend calls that outlive their request (background creates,
    /// deletes, KCLI-005 updates); shutdown drains them.
    pub background: Background,
    /// Ids whose create is running in this process (API-034, API-064).
    pub creating: Mutex<std::collections::HashSet<String>>,
    /// Process start, for `uptime` (HLT-004).
    pub started: Instant,
    /// Set at (re)connect and resync: the relay checks for a JetStream
    /// stream again (EVT-041).
    pub recheck_streams: AtomicBool,
}

/// Background backend work that outlives the request that started it.
///
/// Every such task holds the [`App`] and so the redb file: shutdown waits for
/// them until `SHUTDOWN_TIMEOUT` and cancels the rest, so the store is closed
/// when [`crate::Application::run_until`] returns (TMO-007). A cancelled
/// create is reconciled from its intent at the next start, like a crash
/// (API-017).
#[derive(Debug, Default)]
pub struct Background {
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Background {
    /// Runs `work` in the background until it ends or shutdown cancels it.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = work => {}
            }
        });
    }

    /// Stops taking new work, waits for the running tasks until `deadline`,
    /// then cancels those still running and waits for them to end.
    pub async fn drain(&self, deadline: Instant) {
        self.tracker.close();
        if tokio::time::timeout_at(deadline, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = self.tracker.len(),
                "background backend calls cancelled at SHUTDOWN_TIMEOUT; intents are reconciled at the next start"
            );
            self.cancel.cancel();
            self.tracker.wait().await;
        }
    }
}

impl App {
    /// Registered provider name for `kind` (the event `source`, EVT-004).
    #[must_use]
    pub fn provider_name(&self, kind: Kind) -> &str {
        match kind {
            Kind::Vm => &self.settings.raw.provider_name_vm,
            Kind::Cluster => &self.settings.raw.provider_name_cluster,
        }
    }

    /// Builds an outbox entry for `kind`/`id` at the current time.
    #[must_use]
    pub fn event(
        &self,
        kind: Kind,
        id: &str,
        status: &str,
        message: &str,
        outputs: Option<serde_json::Value>,
    ) -> OutboxEntry {
        status_event(
            kind,
            self.provider_name(kind),
            id,
            status,
            message,
            outputs,
            self.clock.now_ms(),
        )
    }

    /// Wakes the relay.
    pub fn outbox_changed(&self) {
        self.outbox_notify.notify_one();
    }

    /// Drops a cached kubeconfig (SEC-004).
    pub fn evict_kubeconfig(&self, id: &str) {
        if let Ok(mut cache) = self.kubeconfigs.lock() {
            cache.remove(id);
        }
    }

    /// Profile cache snapshot.
    #[must_use]
    pub fn catalog(&self) -> Catalog {
        self.catalog.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Backend type, `kvm` until known.
    #[must_use]
    pub fn backend(&self) -> String {
        self.backend_type
            .read()
            .ok()
            .and_then(|b| b.clone())
            .unwrap_or_else(|| "kvm".to_owned())
    }
}
