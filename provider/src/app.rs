//! The state every part of the provider shares: settings, store, kweb client,
//! caches, readiness flags and metrics. Built once by [`crate::startup`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
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
use crate::lifecycle::Status;
use crate::metrics::Metrics;
use crate::spec::hints::HintRules;
use crate::spec::vm::Catalog;
use crate::store::{Kind, OutboxEntry, Store};

/// How long a kubeconfig may stay in memory (SEC-004).
pub(crate) const KUBECONFIG_TTL: Duration = Duration::from_secs(300);

/// A prefixed backend resource the provider does not track (ORP-001, ORP-003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Orphan {
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
pub(crate) struct Readiness {
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
    pub(crate) fn registered(&self) -> bool {
        self.vm_registered.load(Ordering::SeqCst) && self.cluster_registered.load(Ordering::SeqCst)
    }
}

/// Shared application state.
#[derive(Debug)]
pub(crate) struct App {
    /// Effective settings.
    pub(crate) settings: Settings,
    /// The redb store.
    pub(crate) store: Store,
    /// The kweb client.
    pub(crate) kweb: KwebClient,
    /// Metrics registry.
    pub(crate) metrics: Arc<Metrics>,
    /// Wall clock that follows tokio time.
    pub(crate) clock: Clock,
    /// Profile and image cache (KCLI-012).
    pub(crate) catalog: RwLock<Catalog>,
    /// kweb's default client type from `GET /hosts` (KCLI-002).
    pub(crate) backend_type: RwLock<Option<String>>,
    /// Backend health.
    pub(crate) health: Arc<Health>,
    /// Readiness flags.
    pub(crate) readiness: Readiness,
    /// Hint allowlist and policy.
    pub(crate) hint_rules: HintRules,
    /// Wakes the relay when the outbox grows.
    pub(crate) outbox_notify: Notify,
    /// Wakes the monitor when a create's kweb call ends or a delete starts,
    /// so it polls at `TRANSITION_POLL_INTERVAL` at once ([`crate::cadence`]).
    pub(crate) transitions: Notify,
    /// Kubeconfig cache (SEC-004).
    pub(crate) kubeconfigs: KubeconfigCache,
    /// Current orphans (ORP-003).
    pub(crate) orphans: RwLock<Vec<Orphan>>,
    /// Backend calls that outlive their request (background creates,
    /// deletes, KCLI-005 updates); shutdown drains them.
    pub(crate) background: Background,
    /// Ids with a create or delete call running in this process.
    pub(crate) in_flight: InFlight,
    /// Process start, for `uptime` (HLT-004).
    pub(crate) started: Instant,
    /// Set at (re)connect and resync: the relay checks for a JetStream
    /// stream again (EVT-041).
    pub(crate) recheck_streams: AtomicBool,
}

/// Ids whose backend create (or re-delete) runs in this process: the
/// monitor leaves them alone and a delete waits for the create (API-034,
/// API-064).
#[derive(Debug, Default)]
pub(crate) struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding the lock leaves a plain set behind: keep it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `id`; `false` when it was already in flight.
    pub(crate) fn insert(&self, id: &str) -> bool {
        self.set().insert(id.to_owned())
    }

    /// Removes `id`.
    pub(crate) fn remove(&self, id: &str) {
        self.set().remove(id);
    }

    /// Whether `id` is in flight.
    #[must_use]
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.set().contains(id)
    }

    /// The ids in flight now.
    #[must_use]
    pub(crate) fn snapshot(&self) -> HashSet<String> {
        self.set().clone()
    }
}

/// Kubeconfigs of `ACTIVE` clusters, kept at most [`KUBECONFIG_TTL`] and
/// dropped on delete or when a cluster leaves `ACTIVE` (SEC-004).
#[derive(Debug, Default)]
pub(crate) struct KubeconfigCache(Mutex<HashMap<String, (String, Instant)>>);

impl KubeconfigCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached text for `id` while younger than [`KUBECONFIG_TTL`].
    #[must_use]
    pub(crate) fn get(&self, id: &str) -> Option<String> {
        self.map()
            .get(id)
            .filter(|(_, at)| at.elapsed() < KUBECONFIG_TTL)
            .map(|(text, _)| text.clone())
    }

    /// Caches `text` for `id` from now.
    pub(crate) fn put(&self, id: &str, text: String) {
        self.map().insert(id.to_owned(), (text, Instant::now()));
    }

    /// Drops the entry of `id`.
    pub(crate) fn evict(&self, id: &str) {
        self.map().remove(id);
    }
}

/// Background backend work that outlives the request that started it.
///
/// Every such task holds the [`App`] and so the redb file: shutdown waits for
/// them until `SHUTDOWN_TIMEOUT` and cancels the rest, so the store is closed
/// when [`crate::Application::run_until`] returns (TMO-007). A cancelled
/// create is reconciled from its intent at the next start, like a crash
/// (API-017).
#[derive(Debug, Default)]
pub(crate) struct Background {
    tracker: TaskTracker,
    stopping: CancellationToken,
    cancel: CancellationToken,
}

impl Background {
    /// Runs `work` in the background until it ends or shutdown cancels it.
    pub(crate) fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = work => {}
            }
        });
    }

    /// Completes once shutdown has begun: creates still waiting for a kweb
    /// slot stop there and stay pending for the next start (ORP-009), so
    /// that nothing is dispatched that shutdown may cut before it is sent.
    pub(crate) async fn stopping(&self) {
        self.stopping.cancelled().await;
    }

    /// Whether shutdown has begun.
    #[must_use]
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// Signals that shutdown has begun (see [`Self::stopping`]).
    pub(crate) fn begin_stop(&self) {
        self.stopping.cancel();
    }

    /// Stops taking new work, waits for the running tasks until `deadline`,
    /// then cancels those still running and waits for them to end.
    pub(crate) async fn drain(&self, deadline: Instant) {
        self.stopping.cancel();
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
    pub(crate) fn provider_name(&self, kind: Kind) -> &str {
        match kind {
            Kind::Vm => &self.settings.raw.provider_name_vm,
            Kind::Cluster => &self.settings.raw.provider_name_cluster,
        }
    }

    /// Builds an outbox entry for `kind`/`id` at the current time.
    #[must_use]
    pub(crate) fn event(
        &self,
        kind: Kind,
        id: &str,
        status: Status,
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
    pub(crate) fn outbox_changed(&self) {
        self.outbox_notify.notify_one();
    }

    /// Drops a cached kubeconfig (SEC-004).
    pub(crate) fn evict_kubeconfig(&self, id: &str) {
        self.kubeconfigs.evict(id);
    }

    /// Profile cache snapshot.
    #[must_use]
    pub(crate) fn catalog(&self) -> Catalog {
        self.catalog.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Backend type, `kvm` until known.
    #[must_use]
    pub(crate) fn backend(&self) -> String {
        self.backend_type
            .read()
            .ok()
            .and_then(|b| b.clone())
            .unwrap_or_else(|| "kvm".to_owned())
    }
}
