//! The monitor: polls kweb, maps states, debounces, detects orphans,
//! reconciles intents and republishes (contract §9.2, §10, §11, KCLI-026,
//! KCLI-030).
//!
//! Each cycle makes one `GET /vms`, one `GET /kubes`, the catalog refresh
//! (`GET /vmprofiles`, `GET /images`) and, per tracked non-terminal cluster,
//! one kubeconfig read and one `GET /kubes/{name}`. A failed list skips its
//! branch: it never reads as "everything disappeared" (ORP-007).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::app::{App, Orphan};
use crate::clock::{ms, rfc3339};
use crate::config::OrphanPolicy;
use crate::debounce::Debouncer;
use crate::kweb::{KubeEntry, VmEntry};
use crate::service::remove_deleted;
use crate::spec::vm::Catalog;
use crate::status::{VmState, cluster, is_terminal, map_vm, vm};
use crate::store::{BatchItem, Kind, OutboxEntry, Record};

#[derive(Debug)]
struct Seen {
    first_seen_ms: u64,
    polls: u32,
}

/// A status decision for one record.
struct Change {
    status: String,
    message: String,
    outputs: Option<Value>,
}

/// The monitor's in-memory state; persisted state lives in the store.
#[derive(Debug)]
pub struct Monitor {
    app: Arc<App>,
    debounce: Debouncer,
    writes: Vec<BatchItem>,
    seen_orphans: HashMap<(Kind, String), Seen>,
    last_resync: Instant,
    redelete_after: Duration,
}

impl Monitor {
    /// A monitor for `app`.
    #[must_use]
    pub fn new(app: Arc<App>) -> Self {
        let redelete_after = app.settings.raw.kweb_timeout;
        let debounce = Debouncer::new(app.settings.raw.debounce_window);
        Self {
            app,
            debounce,
            writes: Vec::new(),
            seen_orphans: HashMap::new(),
            last_resync: Instant::now(),
            redelete_after,
        }
    }

    /// Runs forever: polls at once, then every `POLL_INTERVAL`, flushing
    /// debounced statuses in between (KCLI-030, EVT-025).
    pub async fn run(mut self) {
        let poll = self.app.settings.raw.poll_interval;
        let mut next_poll = Instant::now();
        let mut first = true;
        loop {
            let next_flush = self.next_flush();
            let wake = next_flush.map_or(next_poll, |f| f.min(next_poll));
            tokio::time::sleep_until(wake).await;
            self.flush_due().await;
            if Instant::now() < next_poll {
                continue;
            }
            let started = Instant::now();
            self.poll_once().await;
            if first {
                // EVT-023: republish after the first reconcile pass.
                self.republish_all().await;
                self.app.readiness.polled.store(true, Ordering::SeqCst);
                first = false;
                self.last_resync = Instant::now();
            } else if self.last_resync.elapsed() >= self.app.settings.raw.resync_interval {
                self.republish_all().await;
                self.last_resync = Instant::now();
            }
            // Fixed rate: kweb is listed every POLL_INTERVAL whatever a poll
            // costs, so a change is seen within one interval.
            next_poll = (started + poll).max(Instant::now());
        }
    }

    fn next_flush(&self) -> Option<Instant> {
        self.debounce.next_due()
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
                    &record.status,
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
    pub async fn republish_all(&mut self) {
        let Ok(records) = self.app.store.all() else {
            return;
        };
        let events: Vec<OutboxEntry> = records
            .iter()
            .filter(|r| !self.app.creating.lock().is_ok_and(|c| c.contains(&r.id)))
            .map(|r| {
                self.app
                    .event(r.kind, &r.id, &r.status, &r.status_message, outputs(r))
            })
            .collect();
        for r in &records {
            self.debounce.clear_pending(&r.id);
        }
        self.push(events).await;
        self.app.recheck_streams.store(true, Ordering::SeqCst);
    }

    /// One poll cycle.
    pub async fn poll_once(&mut self) {
        let started = Instant::now();
        let vms = self.app.kweb.list_vms().await;
        let kubes = self.app.kweb.list_kubes().await;
        let Ok(records) = self.app.store.all() else {
            return;
        };
        let intents: HashSet<String> = self
            .app
            .store
            .intents()
            .map(|i| i.into_iter().map(|i| i.id).collect())
            .unwrap_or_default();
        let creating: HashSet<String> = self
            .app
            .creating
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        let tracked_names: HashSet<&str> = records.iter().map(|r| r.name.as_str()).collect();
        let tracked_clusters: HashSet<&str> = records
            .iter()
            .filter(|r| r.kind == Kind::Cluster)
            .map(|r| r.name.as_str())
            .collect();
        let mut orphans = Vec::new();
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
                    self.reconcile_vm(
                        record,
                        by_name.get(record.name.as_str()).copied(),
                        intents.contains(&record.id),
                    )
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
                for record in records
                    .iter()
                    .filter(|r| r.kind == Kind::Cluster && !creating.contains(&r.id))
                {
                    self.reconcile_cluster(
                        record,
                        by_name.get(record.name.as_str()).copied(),
                        vm_list,
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
        // The catalog refresh follows the lists so status changes leave first.
        refresh_catalog(&self.app).await;
        self.handle_orphans(orphans, vms.is_ok(), kubes.is_ok())
            .await;
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

    async fn reconcile_vm(&mut self, record: &Record, entry: Option<&VmEntry>, has_intent: bool) {
        let now = self.app.clock.now_ms();
        let age = now.saturating_sub(record.create_ms);
        let grace = ms(self.app.settings.raw.create_grace_period);
        let Some(entry) = entry else {
            if record.status == vm::DELETING {
                let _ = remove_deleted(&self.app, &record.id, &format!("{} deleted", record.name))
                    .await;
            } else if has_intent && age >= grace {
                // ORP-009 / TMO-004: the create never produced a VM.
                self.apply(record, Change { status: vm::FAILED.into(), message: "creation interrupted by a provider restart or a kweb timeout; no VM appeared within CREATE_GRACE_PERIOD".into(), outputs: None }, |r| r.stage = Some("never created".into()), true).await;
            } else if age < grace
                || (record.status == vm::FAILED && record.stage.as_deref() == Some("never created"))
            {
                // ORP-007 exception: a young VM may not be listed yet.
            } else {
                let _ = remove_deleted(
                    &self.app,
                    &record.id,
                    &format!("{} disappeared from the backend", record.name),
                )
                .await;
            }
            return;
        };
        if record.status == vm::DELETING {
            if now.saturating_sub(record.update_ms) >= ms(self.redelete_after) {
                self.redelete(record).await;
            }
            return;
        }
        let backend = self.app.backend();
        let mut seen_running = record.seen_running;
        let mut unknown_since = None;
        let (status, message) = match map_vm(entry.status.as_deref(), &backend) {
            VmState::Running => {
                seen_running = true;
                (vm::RUNNING, "VM is running".to_owned())
            }
            VmState::Off if !record.seen_running && age < grace => {
                (vm::PROVISIONING, "VM is being provisioned".to_owned())
            }
            VmState::Off => (vm::STOPPED, "VM is powered off".to_owned()),
            VmState::Provisioning => (vm::PROVISIONING, "VM is being provisioned".to_owned()),
            VmState::Paused => (vm::PAUSED, "VM is paused".to_owned()),
            VmState::Stopping => (vm::STOPPING, "VM is shutting down".to_owned()),
            VmState::Failed => (
                vm::FAILED,
                format!(
                    "backend reports the VM as {}",
                    entry.status.as_deref().unwrap_or("failed")
                ),
            ),
            VmState::Unknown(raw) => {
                let since = record.unknown_since_ms.unwrap_or(now);
                unknown_since = Some(since);
                if now.saturating_sub(since) >= ms(self.app.settings.raw.unknown_state_timeout) {
                    (
                        vm::FAILED,
                        format!(
                            "backend state {raw:?} could not be mapped for longer than UNKNOWN_STATE_TIMEOUT"
                        ),
                    )
                } else {
                    let keep = if record.status.is_empty() {
                        vm::PROVISIONING
                    } else {
                        record.status.as_str()
                    };
                    let text = format!("backend reports unmappable state {raw:?}; keeping {keep}");
                    let ip = entry.ip.clone();
                    let user = entry.user.clone();
                    self.apply(
                        record,
                        Change {
                            status: keep.to_owned(),
                            message: text,
                            outputs: None,
                        },
                        move |r| {
                            r.unknown_since_ms = Some(since);
                            r.ip = ip;
                            r.ssh_user = user;
                        },
                        has_intent,
                    )
                    .await;
                    return;
                }
            }
        };
        // Steady state (the common case at 10 000 VMs): nothing changed, no
        // clone, no write.
        let unchanged = !has_intent
            && record.status == status
            && record.status_message == message
            && record.seen_running == seen_running
            && record.unknown_since_ms == unknown_since
            && record.ip == entry.ip
            && record.ssh_user == entry.user;
        if unchanged {
            return;
        }
        let ip = entry.ip.clone();
        let user = entry.user.clone();
        let change = Change {
            status: status.to_owned(),
            message,
            outputs: None,
        };
        self.apply(
            record,
            change,
            move |r| {
                r.seen_running = seen_running;
                r.unknown_since_ms = unknown_since;
                r.ip = ip;
                r.ssh_user = user;
            },
            has_intent,
        )
        .await;
    }

    async fn reconcile_cluster(
        &mut self,
        record: &Record,
        entry: Option<&KubeEntry>,
        vms: Option<&Vec<VmEntry>>,
    ) {
        let now = self.app.clock.now_ms();
        let age = now.saturating_sub(record.create_ms);
        let timeout = self.app.settings.raw.cluster_create_timeout;
        let nodes: Vec<&VmEntry> = vms
            .map(|l| {
                l.iter()
                    .filter(|v| v.kube.as_deref() == Some(record.name.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let listed = entry.is_some() || !nodes.is_empty();
        if record.status == cluster::DELETING {
            if !listed && vms.is_some() {
                let _ = remove_deleted(&self.app, &record.id, &format!("{} deleted", record.name))
                    .await;
            } else if listed && now.saturating_sub(record.update_ms) >= ms(self.redelete_after) {
                self.redelete(record).await;
            }
            return;
        }
        if !listed {
            if vms.is_none() {
                return;
            }
            let progressing = record.status == cluster::PROGRESSING;
            if progressing && age >= ms(timeout) {
                let message = format!(
                    "cluster not listed by kweb after {}",
                    humantime::format_duration(timeout)
                );
                self.apply(
                    record,
                    Change {
                        status: cluster::FAILED.into(),
                        message,
                        outputs: None,
                    },
                    |r| r.stage = Some("never listed".into()),
                    true,
                )
                .await;
            } else if progressing
                || (record.status == cluster::FAILED
                    && record.stage.as_deref() == Some("never listed"))
            {
                // ORP-007 exception: still within CLUSTER_CREATE_TIMEOUT (or it never existed).
            } else {
                self.app.evict_kubeconfig(&record.id);
                let _ = remove_deleted(
                    &self.app,
                    &record.id,
                    &format!("{} disappeared from the backend", record.name),
                )
                .await;
            }
            return;
        }
        if record.status == cluster::FAILED {
            return;
        }
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
        let node_rows = detail.as_ref().map(|d| d.nodes.clone()).unwrap_or_default();
        let all_ready = !node_rows.is_empty()
            && node_rows
                .iter()
                .all(|(_, s)| s.eq_ignore_ascii_case("Ready"));
        let vms_up = nodes
            .iter()
            .all(|v| matches!(map_vm(v.status.as_deref(), "kvm"), VmState::Running));
        let (status, message, stage) = if endpoint.is_some() && all_ready && vms_up {
            (
                cluster::ACTIVE,
                format!("cluster is active: {} nodes Ready", node_rows.len()),
                "active",
            )
        } else if record.ever_active {
            if endpoint.is_none() || node_rows.is_empty() {
                (
                    cluster::UNAVAILABLE,
                    "cluster API does not answer or lists no nodes".to_owned(),
                    "unavailable",
                )
            } else {
                let not_ready = node_rows
                    .iter()
                    .filter(|(_, s)| !s.eq_ignore_ascii_case("Ready"))
                    .count();
                (
                    cluster::DEGRADED,
                    format!(
                        "{not_ready} of {} nodes not Ready or a node VM is not up",
                        node_rows.len()
                    ),
                    "degraded",
                )
            }
        } else {
            let stage = if endpoint.is_none() {
                "no kubeconfig"
            } else if node_rows.is_empty() {
                "no nodes listed"
            } else {
                "nodes not Ready"
            };
            if age >= ms(timeout) {
                let msg = format!("{stage} after {}", humantime::format_duration(timeout));
                (cluster::FAILED, msg, stage)
            } else {
                (
                    cluster::PROGRESSING,
                    format!("cluster is being provisioned: {stage}"),
                    stage,
                )
            }
        };
        if status != cluster::ACTIVE {
            self.app.evict_kubeconfig(&record.id);
        }
        let outputs = endpoint
            .filter(|_| status == cluster::ACTIVE)
            .map(|e| json!({"api_endpoint": e}));
        let stage = stage.to_owned();
        let active = status == cluster::ACTIVE;
        self.apply(
            record,
            Change {
                status: status.to_owned(),
                message,
                outputs,
            },
            move |r| {
                r.stage = Some(stage);
                r.ever_active |= active;
            },
            false,
        )
        .await;
    }

    async fn redelete(&self, record: &Record) {
        let app = Arc::clone(&self.app);
        let record = record.clone();
        self.app.background.spawn(async move {
            let result = match record.kind {
                Kind::Vm => app.kweb.delete_vm(&record.name, None).await.map(drop),
                Kind::Cluster => app.kweb.delete_kube(&record.name, None).await,
            };
            match result {
                Ok(()) => {
                    let _ =
                        remove_deleted(&app, &record.id, &format!("{} deleted", record.name)).await;
                }
                Err(err) => tracing::warn!(id = %record.id, error = %err, "repeated delete failed"),
            }
        });
    }

    /// Writes a status decision: terminal statuses at once (EVT-026), others
    /// through the debounce window (EVT-025). Field changes without a status
    /// change are stored without an event.
    async fn apply(
        &mut self,
        record: &Record,
        change: Change,
        fields: impl FnOnce(&mut Record) + Send + 'static,
        clear_intent: bool,
    ) {
        let changed = change.status != record.status;
        let mut probe = record.clone();
        let fields_fn = fields;
        fields_fn(&mut probe);
        probe.status = change.status.clone();
        probe.status_message = change.message.clone();
        if !changed && probe == *record && !clear_intent {
            return;
        }
        let publish_now = changed && self.debounce.on_change(&record.id, &change.status);
        if changed {
            self.app
                .metrics
                .inc("dcm_kcli_monitor_status_changes_total", &[]);
        }
        if is_terminal(&change.status) {
            self.app.evict_kubeconfig(&record.id);
        }
        let event = publish_now.then(|| {
            self.app.event(
                record.kind,
                &record.id,
                &change.status,
                &change.message,
                change.outputs.clone(),
            )
        });
        let now = self.app.clock.now_ms();
        let status_changed = record.status != probe.status;
        let stored = Record {
            update_ms: if status_changed {
                now
            } else {
                record.update_ms
            },
            ..probe
        };
        self.writes.push(BatchItem {
            id: record.id.clone(),
            base_status: record.status.clone(),
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
            let dcm_id = listed_id;
            match self.app.settings.raw.orphan_policy {
                OrphanPolicy::Adopt if dcm_id.is_some() => {
                    if let Some(id) = dcm_id.as_deref()
                        && self.adopt(kind, &name, id).await
                    {
                        continue;
                    }
                }
                OrphanPolicy::Delete
                    if polls >= 2
                        && now.saturating_sub(first_seen_ms)
                            >= ms(self.app.settings.raw.create_grace_period) =>
                {
                    tracing::warn!(name = %name, kind = kind.service_type(), reason = "ORPHAN_POLICY=delete: untracked prefixed resource seen on two polls and older than CREATE_GRACE_PERIOD", "deleting orphan");
                    let result = match kind {
                        Kind::Vm => self.app.kweb.delete_vm(&name, None).await.map(drop),
                        Kind::Cluster => self.app.kweb.delete_kube(&name, None).await,
                    };
                    if let Err(err) = result {
                        tracing::warn!(name = %name, error = %err, "orphan delete failed");
                    }
                }
                _ => {}
            }
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
    async fn adopt(&mut self, kind: Kind, name: &str, id: &str) -> bool {
        if !crate::service::valid_id(id) {
            return false;
        }
        let status = crate::service::initial_status(kind);
        let base = name
            .strip_prefix(&self.app.settings.raw.name_prefix)
            .unwrap_or(name);
        let spec = json!({"service_type": kind.service_type(), "metadata": {"name": base}});
        let record = Record::new(
            id.to_owned(),
            kind,
            name.to_owned(),
            spec,
            status,
            format!("adopted {name}: the original spec is unknown"),
            &self.app.clock,
        );
        let event = self
            .app
            .event(kind, id, status, &record.status_message, None);
        let store = self.app.store.clone();
        let inserted =
            tokio::task::spawn_blocking(move || store.insert_adopted(&record, Some(&event))).await;
        let ok = matches!(inserted, Ok(Ok(true)));
        if ok {
            tracing::info!(name, id, "adopted orphan");
            self.app.outbox_changed();
        }
        ok
    }
}

/// Refreshes the profile/image cache and learns the backend type (KCLI-012,
/// KCLI-013, KCLI-002). Failures keep the previous cache.
pub async fn refresh_catalog(app: &App) {
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

fn outputs(record: &Record) -> Option<Value> {
    match record.kind {
        Kind::Vm => record.ip.as_ref().map(|ip| json!({"ip": ip})),
        Kind::Cluster => None,
    }
}
