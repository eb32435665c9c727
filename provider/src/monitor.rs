//! The monitor: polls kweb, maps states, debounces, detects orphans,
//! reconciles intents and republishes (contract §9.2, §10, §11, KCLI-026,
//! KCLI-030).
//!
//! Each cycle makes one `GET /vms`, one `GET /kubes`, the catalog refresh
//! (`GET /vmprofiles`, `GET /images`) and, per tracked non-terminal cluster,
//! one kubeconfig read and one `GET /kubes/{name}`. A failed list skips its
//! branch: it never reads as "everything disappeared" (ORP-007). Between
//! full cycles, transition cycles cover only the lists and the resources in
//! transition ([`crate::cadence`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::app::{App, Orphan};
use crate::cadence::{Cadence, Cycle, Cycles, is_transient};
use crate::clock::rfc3339;
use crate::debounce::Debouncer;
use crate::kweb::{KubeEntry, VmEntry};
use crate::lifecycle::orphan::{OrphanAction, adopted, orphan_action};
use crate::lifecycle::reconcile::{self, ClusterProbe, ClusterStep};
use crate::lifecycle::{ClusterStatus, Decision, IntentState, Policy, Status};
use crate::service::{finish_delete, remove_observed};
use crate::spec::vm::Catalog;
use crate::status::{VmState, map_vm};
use crate::store::{BatchItem, Kind, OutboxEntry, Record};

#[derive(Debug)]
struct Seen {
    first_seen_ms: u64,
    polls: u32,
}

/// The monitor's in-memory state; persisted state lives in the store.
#[derive(Debug)]
pub(crate) struct Monitor {
    app: Arc<App>,
    debounce: Debouncer,
    writes: Vec<BatchItem>,
    seen_orphans: HashMap<(Kind, String), Seen>,
    last_resync: Instant,
    policy: Policy,
    /// What the running cycle covers ([`crate::cadence`]).
    cycle: Cycle,
    /// A tracked resource was transient at the start of the last poll.
    in_transition: bool,
}

impl Monitor {
    /// A monitor for `app`.
    #[must_use]
    pub(crate) fn new(app: Arc<App>) -> Self {
        let raw = &app.settings.raw;
        let policy = Policy {
            create_grace: raw.create_grace_period,
            cluster_create_timeout: raw.cluster_create_timeout,
            unknown_state_timeout: raw.unknown_state_timeout,
            redelete_after: raw.kweb_timeout,
            started_ms: app.clock.now_ms(),
        };
        let debounce = Debouncer::new(raw.debounce_window);
        Self {
            app,
            debounce,
            writes: Vec::new(),
            seen_orphans: HashMap::new(),
            last_resync: Instant::now(),
            policy,
            cycle: Cycle::Full,
            in_transition: false,
        }
    }

    /// Runs forever: polls at once, then every `POLL_INTERVAL`, or every
    /// `TRANSITION_POLL_INTERVAL` while a resource is in transition, flushing
    /// debounced statuses in between (KCLI-030, EVT-025); the timing is
    /// [`crate::cadence::run`]'s.
    pub(crate) async fn run(mut self) {
        let cadence = Cadence {
            poll: self.app.settings.raw.poll_interval,
            transition: self.app.settings.transition_poll_interval,
        };
        let app = Arc::clone(&self.app);
        crate::cadence::run(cadence, &app.transitions, &mut self).await;
    }

    /// Publishes pending statuses whose debounce window has ended.
    async fn flush_due(&mut self) {
        let due = self.debounce.take_due();
        let mut events = Vec::new();
        for id in due {
            if let Ok(Some(record)) = self.app.store.get(&id) {
                events.push(self.app.event(
                    record.kind,
                    &id,
                    record.status,
                    &record.status_message,
                    outputs(&record),
                ));
            }
        }
        self.push(events).await;
    }

    async fn push(&self, events: Vec<OutboxEntry>) {
        if events.is_empty() {
            return;
        }
        let store = self.app.store.clone();
        match tokio::task::spawn_blocking(move || store.push_events(&events)).await {
            Ok(Ok(())) => self.app.outbox_changed(),
            Ok(Err(err)) => tracing::error!(error = %err, "could not write events to the outbox"),
            Err(err) => tracing::error!(error = %err, "outbox write task failed"),
        }
    }

    /// Re-publishes the current status of every managed resource (EVT-023, EVT-024).
    pub(crate) async fn republish_all(&mut self) {
        let Ok(records) = self.app.store.all() else {
            return;
        };
        let events: Vec<OutboxEntry> = records
            .iter()
            .filter(|r| !self.app.in_flight.contains(&r.id))
            .map(|r| {
                self.app
                    .event(r.kind, &r.id, r.status, &r.status_message, outputs(r))
            })
            .collect();
        for r in &records {
            self.debounce.clear_pending(&r.id);
        }
        self.push(events).await;
        self.app.recheck_streams.store(true, Ordering::SeqCst);
    }

    /// One poll cycle.
    pub(crate) async fn poll_once(&mut self) {
        let started = Instant::now();
        // Read order matters: kweb first, then records, intents and the
        // in-flight creates, so a create still running is skipped and any
        // change made after the list started is seen by the decisions
        // (stale ones are refused, see `lifecycle::reconcile::not_stale`).
        // A failed store read skips the cycle: it never reads as "no
        // records" or "no intents" (which would fail or delete resources).
        let listed_ms = self.app.clock.now_ms();
        let vms = self.app.kweb.list_vms().await;
        let kubes = self.app.kweb.list_kubes().await;
        let records = match self.app.store.all() {
            Ok(records) => records,
            Err(err) => {
                tracing::error!(error = %err, "could not read the records; poll skipped");
                return;
            }
        };
        let intents: HashMap<String, IntentState> = match self.app.store.intents() {
            Ok(intents) => intents.into_iter().map(|i| (i.id, i.state)).collect(),
            Err(err) => {
                tracing::error!(error = %err, "could not read the create intents; poll skipped");
                return;
            }
        };
        let creating = self.app.in_flight.snapshot();
        self.in_transition = records.iter().any(|r| is_transient(r.status));
        let full = self.cycle == Cycle::Full;
        let tracked_names: HashSet<&str> = records.iter().map(|r| r.name.as_str()).collect();
        let tracked_clusters: HashSet<&str> = records
            .iter()
            .filter(|r| r.kind == Kind::Cluster)
            .map(|r| r.name.as_str())
            .collect();
        let mut orphans = Vec::new();
        let backend = self.app.backend();
        match &vms {
            Ok(list) => {
                let by_name: HashMap<&str, &VmEntry> =
                    list.iter().map(|e| (e.name.as_str(), e)).collect();
                for (n, record) in records
                    .iter()
                    .filter(|r| r.kind == Kind::Vm && !creating.contains(&r.id))
                    .enumerate()
                {
                    if n % 512 == 511 {
                        // Let request handlers run between slices of a large poll.
                        tokio::task::yield_now().await;
                    }
                    let decision = reconcile::vm(
                        record,
                        intents.get(&record.id).copied(),
                        by_name.get(record.name.as_str()).copied(),
                        &backend,
                        self.app.clock.now_ms(),
                        &self.policy,
                    );
                    self.apply(record, reconcile::not_stale(decision, record, listed_ms))
                        .await;
                }
                for entry in list {
                    let prefixed = entry.name.starts_with(&self.app.settings.raw.name_prefix);
                    if prefixed
                        && entry.kube.is_none()
                        && !tracked_names.contains(entry.name.as_str())
                    {
                        orphans.push((
                            Kind::Vm,
                            entry.name.clone(),
                            entry.status.clone(),
                            entry.dcm_id.clone(),
                        ));
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "GET /vms failed; VM statuses unchanged this cycle")
            }
        }
        match &kubes {
            Ok(list) => {
                let by_name: HashMap<&str, &KubeEntry> =
                    list.iter().map(|k| (k.name.as_str(), k)).collect();
                let vm_list = vms.as_ref().ok();
                for record in records.iter().filter(|r| {
                    r.kind == Kind::Cluster
                        && !creating.contains(&r.id)
                        && (full || is_transient(r.status))
                }) {
                    self.reconcile_cluster(
                        record,
                        intents.get(&record.id).copied(),
                        by_name.get(record.name.as_str()).copied(),
                        vm_list,
                        listed_ms,
                    )
                    .await;
                }
                for entry in list {
                    if entry.name.starts_with(&self.app.settings.raw.name_prefix)
                        && !tracked_clusters.contains(entry.name.as_str())
                    {
                        orphans.push((
                            Kind::Cluster,
                            entry.name.clone(),
                            Some(entry.kind.clone()),
                            None,
                        ));
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "GET /kubes failed; cluster statuses unchanged this cycle")
            }
        }
        self.flush_writes().await;
        if full {
            // The catalog refresh follows the lists so status changes leave first.
            refresh_catalog(&self.app).await;
            self.handle_orphans(orphans, vms.is_ok(), kubes.is_ok())
                .await;
        }
        for kind in [Kind::Vm, Kind::Cluster] {
            let n = self.app.store.count(kind).unwrap_or(0);
            self.app.metrics.set(
                "dcm_kcli_resources_managed",
                &[("type", kind.service_type())],
                n as f64,
            );
        }
        let took = started.elapsed().as_secs_f64();
        self.app
            .metrics
            .observe("dcm_kcli_monitor_poll_duration_seconds", took);
        self.app
            .metrics
            .set("dcm_kcli_monitor_last_poll_duration_seconds", &[], took);
    }

    async fn reconcile_cluster(
        &mut self,
        record: &Record,
        intent: Option<IntentState>,
        entry: Option<&KubeEntry>,
        vms: Option<&Vec<VmEntry>>,
        listed_ms: u64,
    ) {
        let nodes: Vec<&VmEntry> = vms
            .map(|l| {
                l.iter()
                    .filter(|v| v.kube.as_deref() == Some(record.name.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let listed = entry.is_some() || !nodes.is_empty();
        let now = self.app.clock.now_ms();
        let step =
            reconcile::cluster_listed(record, intent, listed, vms.is_some(), now, &self.policy);
        let decision = match step {
            ClusterStep::Decided(decision) => decision,
            ClusterStep::Probe => {
                let probe = self.probe_cluster(record, &nodes).await;
                let now = self.app.clock.now_ms();
                reconcile::cluster_probed(record, intent, &probe, now, &self.policy)
            }
        };
        self.apply(record, reconcile::not_stale(decision, record, listed_ms))
            .await;
    }

    /// Reads a listed cluster's kubeconfig and nodes (KCLI-024, KCLI-026).
    async fn probe_cluster(&self, record: &Record, nodes: &[&VmEntry]) -> ClusterProbe {
        let kubeconfig = self.app.kweb.kubeconfig(&record.name, None).await;
        let endpoint = match &kubeconfig {
            Ok(Some(text)) => crate::kubeconfig::reduce(text).map(|(_, server)| server),
            _ => None,
        };
        let detail = if endpoint.is_some() {
            self.app.kweb.get_kube(&record.name).await.ok().flatten()
        } else {
            None
        };
        ClusterProbe {
            endpoint,
            nodes: detail.map(|d| d.nodes).unwrap_or_default(),
            vms_up: nodes
                .iter()
                .all(|v| matches!(map_vm(v.status.as_deref(), "kvm"), VmState::Running)),
        }
    }

    /// Re-sends a backend delete in the background (ORP-009, TMO-002).
    fn redelete(&self, record: &Record) {
        if !self.app.in_flight.insert(&record.id) {
            return;
        }
        tracing::info!(id = %record.id, name = %record.name, "resuming the backend delete");
        let app = Arc::clone(&self.app);
        let record = record.clone();
        self.app.background.spawn(async move {
            if let Err(err) = finish_delete(&app, &record, None, false).await {
                tracing::warn!(id = %record.id, error = ?err, "repeated delete failed");
            }
            app.in_flight.remove(&record.id);
        });
    }

    /// Applies one [`Decision`]: a write is queued for the poll's single
    /// transaction; a status change publishes at once when terminal
    /// (EVT-026), else through the debounce window (EVT-025).
    async fn apply(&mut self, record: &Record, decision: Decision) {
        let (stored, outputs, clear_intent) = match decision {
            Decision::Keep => return,
            Decision::Redelete => {
                self.redelete(record);
                return;
            }
            Decision::Remove { message } => {
                // Only if nothing changed it since this poll read it.
                if let Err(err) = remove_observed(&self.app, record, &message).await {
                    tracing::warn!(id = %record.id, error = ?err, "could not remove a deleted resource; retried next poll");
                }
                return;
            }
            Decision::Write {
                record: stored,
                outputs,
                clear_intent,
            } => (*stored, outputs, clear_intent),
        };
        let changed = stored.status != record.status;
        if changed {
            self.app
                .metrics
                .inc("dcm_kcli_monitor_status_changes_total", &[]);
        }
        if stored.status != Status::Cluster(ClusterStatus::Active) {
            // SEC-004: a kubeconfig is cached only while ACTIVE.
            self.app.evict_kubeconfig(&record.id);
        }
        let publish_now = changed && self.debounce.on_change(&record.id, stored.status);
        let event = publish_now.then(|| {
            self.app.event(
                record.kind,
                &record.id,
                stored.status,
                &stored.status_message,
                outputs,
            )
        });
        self.writes.push(BatchItem {
            id: record.id.clone(),
            base_status: record.status,
            base_update_ms: record.update_ms,
            record: stored,
            event,
            clear_intent,
        });
    }

    /// Writes the poll's decisions in one transaction (a poll over 10 000
    /// VMs must not pay one fsync per change).
    async fn flush_writes(&mut self) {
        if self.writes.is_empty() {
            return;
        }
        let items = std::mem::take(&mut self.writes);
        let store = self.app.store.clone();
        match tokio::task::spawn_blocking(move || store.apply_batch(&items)).await {
            Ok(Ok(_)) => self.app.outbox_changed(),
            Ok(Err(err)) => {
                tracing::error!(error = %err, "could not store the poll's status changes")
            }
            Err(err) => tracing::error!(error = %err, "status write task failed"),
        }
    }

    async fn handle_orphans(
        &mut self,
        found: Vec<(Kind, String, Option<String>, Option<String>)>,
        vms_ok: bool,
        kubes_ok: bool,
    ) {
        let now = self.app.clock.now_ms();
        let current: HashSet<(Kind, String)> =
            found.iter().map(|(k, n, _, _)| (*k, n.clone())).collect();
        self.seen_orphans.retain(|(kind, name), _| {
            let listed = match kind {
                Kind::Vm => !vms_ok,
                Kind::Cluster => !kubes_ok,
            };
            listed || current.contains(&(*kind, name.clone()))
        });
        let mut report = Vec::new();
        for (kind, name, backend_status, listed_id) in found {
            let seen = self.seen_orphans.entry((kind, name.clone())).or_insert_with(|| {
                tracing::warn!(name = %name, kind = kind.service_type(), "orphan: prefixed backend resource not tracked");
                Seen { first_seen_ms: now, polls: 0 }
            });
            seen.polls += 1;
            let (first_seen_ms, polls) = (seen.first_seen_ms, seen.polls);
            let action = orphan_action(
                self.app.settings.raw.orphan_policy,
                listed_id.as_deref(),
                polls,
                first_seen_ms,
                now,
                self.app.settings.raw.create_grace_period,
            );
            match action {
                OrphanAction::Adopt(id) => {
                    if self.adopt(kind, &name, &id).await {
                        continue;
                    }
                }
                OrphanAction::Delete => {
                    tracing::warn!(name = %name, kind = kind.service_type(), reason = "ORPHAN_POLICY=delete: untracked prefixed resource seen on two polls and older than CREATE_GRACE_PERIOD", "deleting orphan");
                    let result = match kind {
                        Kind::Vm => self.app.kweb.delete_vm(&name, None).await,
                        Kind::Cluster => self.app.kweb.delete_kube(&name, None).await,
                    };
                    if let Err(err) = result {
                        tracing::warn!(name = %name, error = %err, "orphan delete failed");
                    }
                }
                OrphanAction::Report => {}
            }
            let dcm_id = listed_id;
            report.push(Orphan {
                name,
                kind: kind.service_type().to_owned(),
                backend_status,
                first_seen: rfc3339(first_seen_ms),
                dcm_id,
            });
        }
        for kind in [Kind::Vm, Kind::Cluster] {
            let n = report
                .iter()
                .filter(|o| o.kind == kind.service_type())
                .count();
            self.app.metrics.set(
                "dcm_kcli_orphans",
                &[("type", kind.service_type())],
                n as f64,
            );
        }
        if let Ok(mut orphans) = self.app.orphans.write() {
            *orphans = report;
        }
    }

    /// ORP-005: re-creates a record under the DCM id found on the VM.
    async fn adopt(&mut self, kind: Kind, name: &str, id: &crate::id::InstanceId) -> bool {
        let record = adopted(
            kind,
            name,
            id,
            &self.app.settings.raw.name_prefix,
            &self.app.clock,
        );
        let event = self.app.event(
            kind,
            id.as_str(),
            record.status,
            &record.status_message,
            None,
        );
        let store = self.app.store.clone();
        let inserted =
            tokio::task::spawn_blocking(move || store.insert_adopted(&record, Some(&event))).await;
        let ok = matches!(inserted, Ok(Ok(true)));
        if ok {
            tracing::info!(name, %id, "adopted orphan");
            self.app.outbox_changed();
        }
        ok
    }
}

/// Refreshes the profile/image cache and learns the backend type (KCLI-012,
/// KCLI-013, KCLI-002). Failures keep the previous cache.
pub(crate) async fn refresh_catalog(app: &App) {
    if let Ok(profiles) = app.kweb.vm_profiles().await {
        let images = app.kweb.image_names().await.unwrap_or_default();
        if let Ok(mut catalog) = app.catalog.write() {
            *catalog = Catalog {
                profiles,
                images,
                loaded: true,
            };
        }
    }
    let unknown = app
        .backend_type
        .read()
        .map(|b| b.is_none())
        .unwrap_or(false);
    if unknown
        && let Ok(Some(kind)) = app.kweb.default_client_type().await
        && let Ok(mut backend) = app.backend_type.write()
    {
        *backend = Some(kind);
    }
}

impl Cycles for Monitor {
    fn next_flush(&self) -> Option<Instant> {
        self.debounce.next_due()
    }

    async fn flush_due(&mut self) {
        Monitor::flush_due(self).await;
    }

    async fn cycle(&mut self, cycle: Cycle) -> bool {
        self.cycle = cycle;
        self.poll_once().await;
        if !self.app.readiness.polled.load(Ordering::SeqCst) {
            // EVT-023: republish after the first reconcile pass.
            self.republish_all().await;
            self.app.readiness.polled.store(true, Ordering::SeqCst);
            self.last_resync = Instant::now();
        } else if self.last_resync.elapsed() >= self.app.settings.raw.resync_interval {
            self.republish_all().await;
            self.last_resync = Instant::now();
        }
        self.in_transition
    }
}

fn outputs(record: &Record) -> Option<Value> {
    match record.kind {
        Kind::Vm => record.ip.as_ref().map(|ip| json!({"ip": ip})),
        Kind::Cluster => None,
    }
}
