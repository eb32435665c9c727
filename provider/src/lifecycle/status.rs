//! The fixed value sets of a resource's life: statuses per service type
//! (VOC-001), the furthest stage reached, where a record came from, and the
//! state of a create intent (ORP-009).
//!
//! Every enum is stored with the same text the provider wrote as strings
//! before (schema version 1), so the redb file stays readable.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::store::Kind;

/// VM statuses of `dcm-v1alpha1` (VOC-001, table §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmStatus {
    /// Being created (VOC-002, VOC-006).
    Provisioning,
    /// Powered on.
    Running,
    /// Powered off.
    Stopped,
    /// Suspended, paused or blocked.
    Paused,
    /// Shutting down.
    Stopping,
    /// Needs intervention (API-016).
    Failed,
    /// Delete accepted (VOC-004).
    Deleting,
    /// Gone: only ever published, never stored (EVT-022).
    Deleted,
}

/// Cluster statuses of `dcm-v1alpha1` (VOC-001, table §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterStatus {
    /// Provisioning; not yet usable (VOC-002, VOC-003).
    Progressing,
    /// Usable (VOC-003).
    Active,
    /// Was active; some nodes unhealthy (VOC-007).
    Degraded,
    /// Was active; unreachable (VOC-007).
    Unavailable,
    /// Provisioning failed or timed out (VOC-008, TMO-005).
    Failed,
    /// Delete accepted (VOC-004).
    Deleting,
    /// Gone: only ever published, never stored (EVT-022).
    Deleted,
}

/// A status of either service type; its variant fixes the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// A `vm` status.
    Vm(VmStatus),
    /// A `cluster` status.
    Cluster(ClusterStatus),
}

impl Status {
    /// The first status of a new resource of `kind` (VOC-002).
    #[must_use]
    pub const fn initial(kind: Kind) -> Self {
        match kind {
            Kind::Vm => Self::Vm(VmStatus::Provisioning),
            Kind::Cluster => Self::Cluster(ClusterStatus::Progressing),
        }
    }

    /// `FAILED` of `kind`.
    #[must_use]
    pub const fn failed(kind: Kind) -> Self {
        match kind {
            Kind::Vm => Self::Vm(VmStatus::Failed),
            Kind::Cluster => Self::Cluster(ClusterStatus::Failed),
        }
    }

    /// `DELETING` of `kind`.
    #[must_use]
    pub const fn deleting(kind: Kind) -> Self {
        match kind {
            Kind::Vm => Self::Vm(VmStatus::Deleting),
            Kind::Cluster => Self::Cluster(ClusterStatus::Deleting),
        }
    }

    /// `DELETED` of `kind` (events only).
    #[must_use]
    pub const fn deleted(kind: Kind) -> Self {
        match kind {
            Kind::Vm => Self::Vm(VmStatus::Deleted),
            Kind::Cluster => Self::Cluster(ClusterStatus::Deleted),
        }
    }

    /// The service type whose vocabulary this status belongs to.
    #[must_use]
    pub const fn kind(self) -> Kind {
        match self {
            Self::Vm(_) => Kind::Vm,
            Self::Cluster(_) => Kind::Cluster,
        }
    }

    /// Upper-case wire text (VOC-001), e.g. `PROVISIONING`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Vm(s) => match s {
                VmStatus::Provisioning => "PROVISIONING",
                VmStatus::Running => "RUNNING",
                VmStatus::Stopped => "STOPPED",
                VmStatus::Paused => "PAUSED",
                VmStatus::Stopping => "STOPPING",
                VmStatus::Failed => "FAILED",
                VmStatus::Deleting => "DELETING",
                VmStatus::Deleted => "DELETED",
            },
            Self::Cluster(s) => match s {
                ClusterStatus::Progressing => "PROGRESSING",
                ClusterStatus::Active => "ACTIVE",
                ClusterStatus::Degraded => "DEGRADED",
                ClusterStatus::Unavailable => "UNAVAILABLE",
                ClusterStatus::Failed => "FAILED",
                ClusterStatus::Deleting => "DELETING",
                ClusterStatus::Deleted => "DELETED",
            },
        }
    }

    /// Reads the wire text of a `kind` status; `None` outside the vocabulary.
    #[must_use]
    pub fn parse(kind: Kind, text: &str) -> Option<Self> {
        let all: &[Self] = match kind {
            Kind::Vm => &VM_ALL,
            Kind::Cluster => &CLUSTER_ALL,
        };
        all.iter().copied().find(|s| s.as_str() == text)
    }

    /// `DELETING` (VOC-004).
    #[must_use]
    pub const fn is_deleting(self) -> bool {
        matches!(
            self,
            Self::Vm(VmStatus::Deleting) | Self::Cluster(ClusterStatus::Deleting)
        )
    }

    /// `FAILED`.
    #[must_use]
    pub const fn is_failed(self) -> bool {
        matches!(
            self,
            Self::Vm(VmStatus::Failed) | Self::Cluster(ClusterStatus::Failed)
        )
    }

    /// `DELETED`.
    #[must_use]
    pub const fn is_deleted(self) -> bool {
        matches!(
            self,
            Self::Vm(VmStatus::Deleted) | Self::Cluster(ClusterStatus::Deleted)
        )
    }

    /// Terminal statuses (`DELETED`, `FAILED`) bypass debounce (EVT-026).
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        self.is_failed() || self.is_deleted()
    }
}

const VM_ALL: [Status; 8] = [
    Status::Vm(VmStatus::Provisioning),
    Status::Vm(VmStatus::Running),
    Status::Vm(VmStatus::Stopped),
    Status::Vm(VmStatus::Paused),
    Status::Vm(VmStatus::Stopping),
    Status::Vm(VmStatus::Failed),
    Status::Vm(VmStatus::Deleting),
    Status::Vm(VmStatus::Deleted),
];

const CLUSTER_ALL: [Status; 7] = [
    Status::Cluster(ClusterStatus::Progressing),
    Status::Cluster(ClusterStatus::Active),
    Status::Cluster(ClusterStatus::Degraded),
    Status::Cluster(ClusterStatus::Unavailable),
    Status::Cluster(ClusterStatus::Failed),
    Status::Cluster(ClusterStatus::Deleting),
    Status::Cluster(ClusterStatus::Deleted),
];

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The furthest stage a resource reached, kept for messages (TMO-005) and
/// for telling a create that never produced anything from a resource that
/// disappeared (ORP-007, ORP-009). Stored as its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// A VM create that no VM ever came out of (ORP-009, TMO-004).
    #[serde(rename = "never created")]
    NeverCreated,
    /// A cluster kweb never listed within `CLUSTER_CREATE_TIMEOUT`.
    #[serde(rename = "never listed")]
    NeverListed,
    /// Listed, but no kubeconfig yet.
    #[serde(rename = "no kubeconfig")]
    NoKubeconfig,
    /// Kubeconfig, but the API lists no nodes.
    #[serde(rename = "no nodes listed")]
    NoNodesListed,
    /// Nodes listed, not all `Ready`.
    #[serde(rename = "nodes not Ready")]
    NodesNotReady,
    /// `ACTIVE`.
    #[serde(rename = "active")]
    Active,
    /// `DEGRADED`.
    #[serde(rename = "degraded")]
    Degraded,
    /// `UNAVAILABLE`.
    #[serde(rename = "unavailable")]
    Unavailable,
}

impl Stage {
    /// The stored text, also used in messages (TMO-005).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NeverCreated => "never created",
            Self::NeverListed => "never listed",
            Self::NoKubeconfig => "no kubeconfig",
            Self::NoNodesListed => "no nodes listed",
            Self::NodesNotReady => "nodes not Ready",
            Self::Active => "active",
            Self::Degraded => "degraded",
            Self::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A create through the API (API-010).
    #[default]
    Created,
    /// Taken over from an orphan carrying its DCM id (ORP-005); its spec is
    /// not known until a create replay stores it.
    Adopted,
}

/// Where a create intent stands (ORP-009).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentState {
    /// Written, waiting for a kweb slot: kweb has not seen it, so it is
    /// dispatched at start-up after a crash.
    Pending,
    /// Recorded durably just before the kweb call was sent.
    Dispatched {
        /// When it was sent, Unix ms (the grace period counts from here).
        at_ms: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voc001_every_status_round_trips_through_its_wire_text() {
        for status in VM_ALL.iter().chain(CLUSTER_ALL.iter()) {
            assert_eq!(Status::parse(status.kind(), status.as_str()), Some(*status));
            assert_eq!(status.as_str(), status.as_str().to_ascii_uppercase());
        }
        assert_eq!(Status::parse(Kind::Cluster, "RUNNING"), None, "VOC-009");
        assert_eq!(Status::parse(Kind::Vm, "ACTIVE"), None);
        assert_eq!(Status::parse(Kind::Vm, "running"), None);
    }

    #[test]
    fn voc002_initial_statuses() {
        assert_eq!(Status::initial(Kind::Vm).as_str(), "PROVISIONING");
        assert_eq!(Status::initial(Kind::Cluster).as_str(), "PROGRESSING");
    }

    #[test]
    fn evt026_terminal_statuses() {
        assert!(Status::failed(Kind::Vm).is_terminal());
        assert!(Status::deleted(Kind::Cluster).is_terminal());
        assert!(!Status::deleting(Kind::Vm).is_terminal());
        assert!(!Status::initial(Kind::Cluster).is_terminal());
    }

    #[test]
    fn stored_texts_are_those_of_schema_1() {
        let stage = serde_json::to_value(Stage::NodesNotReady).expect("json");
        assert_eq!(stage, "nodes not Ready");
        let intent = serde_json::to_value(IntentState::Dispatched { at_ms: 5 }).expect("json");
        assert_eq!(intent, serde_json::json!({"dispatched": {"at_ms": 5}}));
        assert_eq!(
            serde_json::to_value(IntentState::Pending).expect("json"),
            "pending"
        );
    }
}
