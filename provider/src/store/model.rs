//! The stored types: records, intents, outbox entries and monitor batch
//! items, with the conversion between the typed and the stored record.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;
use crate::lifecycle::{IntentState, Origin, Stage, Status};

/// Service type of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A VM (`/api/v1alpha1/vms`).
    Vm,
    /// A Kubernetes cluster (`/api/v1alpha1/clusters`).
    Cluster,
}

impl Kind {
    /// `vm` or `cluster`: the DCM service type.
    #[must_use]
    pub const fn service_type(self) -> &'static str {
        match self {
            Self::Vm => "vm",
            Self::Cluster => "cluster",
        }
    }

    /// Collection segment: `vms` or `clusters`.
    #[must_use]
    pub const fn plural(self) -> &'static str {
        match self {
            Self::Vm => "vms",
            Self::Cluster => "clusters",
        }
    }
}

/// One managed resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredRecord", into = "StoredRecord")]
pub struct Record {
    /// Instance id (API-010).
    pub id: String,
    /// Service type.
    pub kind: Kind,
    /// The spec exactly as accepted (API-004).
    pub spec: Value,
    /// kcli name (KCLI-003).
    pub name: String,
    /// Current DCM status (API-005), from the vocabulary of `kind`.
    pub status: Status,
    /// Explanation of the status.
    pub status_message: String,
    /// Creation time, Unix milliseconds.
    pub create_ms: u64,
    /// Last change, Unix milliseconds.
    pub update_ms: u64,
    /// Ordering key component: creation time in nanoseconds (unique per store).
    pub create_ns: u128,
    /// VM `ip` from kweb (KCLI-017).
    pub ip: Option<String>,
    /// VM `ssh_user` from kweb `user` (KCLI-017).
    pub ssh_user: Option<String>,
    /// The VM was seen running at least once (VOC-006).
    pub seen_running: bool,
    /// The cluster was `ACTIVE` at least once (VOC-007).
    pub ever_active: bool,
    /// When the backend state became unmappable, Unix ms (VOC-005).
    pub unknown_since_ms: Option<u64>,
    /// Status before `DELETING`, restored after a definite delete failure (API-065).
    pub previous_status: Option<Status>,
    /// Furthest stage reached (TMO-005, ORP-009).
    pub stage: Option<Stage>,
    /// Created through the API or adopted (ORP-005).
    pub origin: Origin,
}

/// The stored JSON shape of a [`Record`] (statuses as their wire text).
#[derive(Clone, Serialize, Deserialize)]
struct StoredRecord {
    id: String,
    kind: Kind,
    spec: Value,
    name: String,
    status: String,
    status_message: String,
    create_ms: u64,
    update_ms: u64,
    create_ns: u128,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ssh_user: Option<String>,
    #[serde(default)]
    seen_running: bool,
    #[serde(default)]
    ever_active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unknown_since_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stage: Option<Stage>,
    #[serde(default)]
    origin: Origin,
}

/// A stored status outside the vocabulary of its record's service type.
#[derive(Debug, thiserror::Error)]
#[error("stored status {text:?} is not a {} status", kind.service_type())]
pub struct UnknownStatus {
    kind: Kind,
    text: String,
}

fn parse_status(kind: Kind, text: String) -> Result<Status, UnknownStatus> {
    Status::parse(kind, &text).ok_or(UnknownStatus { kind, text })
}

impl TryFrom<StoredRecord> for Record {
    type Error = UnknownStatus;

    fn try_from(r: StoredRecord) -> Result<Self, Self::Error> {
        Ok(Self {
            status: parse_status(r.kind, r.status)?,
            previous_status: r
                .previous_status
                .map(|p| parse_status(r.kind, p))
                .transpose()?,
            id: r.id,
            kind: r.kind,
            spec: r.spec,
            name: r.name,
            status_message: r.status_message,
            create_ms: r.create_ms,
            update_ms: r.update_ms,
            create_ns: r.create_ns,
            ip: r.ip,
            ssh_user: r.ssh_user,
            seen_running: r.seen_running,
            ever_active: r.ever_active,
            unknown_since_ms: r.unknown_since_ms,
            stage: r.stage,
            origin: r.origin,
        })
    }
}

impl From<Record> for StoredRecord {
    fn from(r: Record) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            spec: r.spec,
            name: r.name,
            status: r.status.as_str().to_owned(),
            status_message: r.status_message,
            create_ms: r.create_ms,
            update_ms: r.update_ms,
            create_ns: r.create_ns,
            ip: r.ip,
            ssh_user: r.ssh_user,
            seen_running: r.seen_running,
            ever_active: r.ever_active,
            unknown_since_ms: r.unknown_since_ms,
            previous_status: r.previous_status.map(|p| p.as_str().to_owned()),
            stage: r.stage,
            origin: r.origin,
        }
    }
}

impl Record {
    /// A resource the monitor has not observed yet (no address, stage or
    /// status history) at the initial status of `kind` (VOC-002), created
    /// now by `clock`.
    #[must_use]
    pub fn new(
        id: String,
        kind: Kind,
        name: String,
        spec: Value,
        origin: Origin,
        status_message: String,
        clock: &Clock,
    ) -> Self {
        let now = clock.now_ms();
        Self {
            id,
            kind,
            spec,
            name,
            status: Status::initial(kind),
            status_message,
            create_ms: now,
            update_ms: now,
            create_ns: clock.now_ns(),
            ip: None,
            ssh_user: None,
            seen_running: false,
            ever_active: false,
            unknown_since_ms: None,
            previous_status: None,
            stage: None,
            origin,
        }
    }
}

/// A create in progress (API-017, ORP-009): written with the record before
/// the kweb call, removed once kweb's outcome is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Instance id.
    pub id: String,
    /// Service type.
    pub kind: Kind,
    /// kcli name.
    pub name: String,
    /// When the intent was written, Unix ms.
    pub created_ms: u64,
    /// Pending or dispatched (ORP-009).
    pub state: IntentState,
    /// The kweb request body (`POST /vms` or `POST /kubes`), so a pending
    /// intent can be dispatched after a restart. `None` only for intents
    /// migrated from schema 1, which are all dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// One event waiting for delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// NATS subject (`dcm.vm`, `dcm.cluster`).
    pub subject: String,
    /// Resource id (per-resource order, EVT-027).
    pub resource_id: String,
    /// The whole CloudEvent (structured JSON, EVT-001).
    pub event: Value,
    /// When the entry was written, Unix ms.
    pub created_ms: u64,
}

/// One monitor decision for [`Store::apply_batch`].
#[derive(Debug, Clone)]
pub struct BatchItem {
    /// Resource id.
    pub id: String,
    /// Status the decision was based on.
    pub base_status: Status,
    /// `update_ms` the decision was based on.
    pub base_update_ms: u64,
    /// The record to store.
    pub record: Record,
    /// The event for the change, if it is published now.
    pub event: Option<OutboxEntry>,
    /// Remove the create intent (ORP-009).
    pub clear_intent: bool,
}
