//! Status vocabularies and the kweb → DCM mappings (contract §10).

/// VM statuses of `dcm-v1alpha1` (VOC-001).
pub mod vm {
    /// Being created.
    pub const PROVISIONING: &str = "PROVISIONING";
    /// Powered on.
    pub const RUNNING: &str = "RUNNING";
    /// Powered off.
    pub const STOPPED: &str = "STOPPED";
    /// Suspended, paused or blocked.
    pub const PAUSED: &str = "PAUSED";
    /// Shutting down.
    pub const STOPPING: &str = "STOPPING";
    /// Needs intervention.
    pub const FAILED: &str = "FAILED";
    /// Delete accepted.
    pub const DELETING: &str = "DELETING";
    /// Gone.
    pub const DELETED: &str = "DELETED";
}

/// Cluster statuses of `dcm-v1alpha1` (VOC-001).
pub mod cluster {
    /// Provisioning; not yet usable.
    pub const PROGRESSING: &str = "PROGRESSING";
    /// Usable.
    pub const ACTIVE: &str = "ACTIVE";
    /// Was active; some nodes unhealthy.
    pub const DEGRADED: &str = "DEGRADED";
    /// Was active; unreachable.
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// Provisioning failed or timed out.
    pub const FAILED: &str = "FAILED";
    /// Delete accepted.
    pub const DELETING: &str = "DELETING";
    /// Gone.
    pub const DELETED: &str = "DELETED";
}

/// Whether a status is terminal (`DELETED`, `FAILED`): it bypasses debounce (EVT-026).
#[must_use]
pub fn is_terminal(status: &str) -> bool {
    matches!(status, "DELETED" | "FAILED")
}

/// What one kweb VM state means (contract §10.3), before the grace rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmState {
    /// `RUNNING`.
    Running,
    /// Powered off: `STOPPED`, or `PROVISIONING` within the grace period (VOC-006).
    Off,
    /// `PROVISIONING`.
    Provisioning,
    /// `PAUSED`.
    Paused,
    /// `STOPPING`.
    Stopping,
    /// `FAILED`.
    Failed,
    /// Unmappable: keep the last status and flag it (VOC-005).
    Unknown(String),
}

/// Maps a raw kweb VM status, compared case-insensitively (contract §10.3).
/// `backend` is the type of kweb's default client (`gcp` changes `terminated`).
#[must_use]
pub fn map_vm(raw: Option<&str>, backend: &str) -> VmState {
    let Some(raw) = raw else {
        return VmState::Unknown("null".into());
    };
    let lower = raw.to_ascii_lowercase();
    match lower.as_str() {
        "up" | "running" | "active" => VmState::Running,
        "down" | "shutoff" | "stopped" | "off" | "deallocated" | "succeeded" => VmState::Off,
        "terminated" if backend == "gcp" => VmState::Off,
        "pending" | "scheduling" | "scheduled" | "build" | "staging" | "starting"
        | "powering_up" | "creating" | "provisioning" => VmState::Provisioning,
        "paused" | "blocked" | "suspended" => VmState::Paused,
        "shuttingdown" | "stopping" | "powering-off" | "powering_down" => VmState::Stopping,
        "crashed" | "error" | "fault" | "failed" => VmState::Failed,
        _ => VmState::Unknown(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voc011_vm_table() {
        assert_eq!(map_vm(Some("up"), "kvm"), VmState::Running);
        assert_eq!(map_vm(Some("ACTIVE"), "openstack"), VmState::Running);
        assert_eq!(map_vm(Some("SHUTOFF"), "openstack"), VmState::Off);
        assert_eq!(map_vm(Some("TERMINATED"), "gcp"), VmState::Off);
        assert_eq!(
            map_vm(Some("terminated"), "aws"),
            VmState::Unknown("terminated".into())
        );
        assert_eq!(map_vm(Some("BUILD"), "openstack"), VmState::Provisioning);
        assert_eq!(map_vm(Some("blocked"), "kvm"), VmState::Paused);
        assert_eq!(map_vm(Some("shuttingdown"), "kvm"), VmState::Stopping);
        assert_eq!(map_vm(Some("crashed"), "kvm"), VmState::Failed);
        assert_eq!(
            map_vm(Some("nostate"), "kvm"),
            VmState::Unknown("nostate".into())
        );
        assert_eq!(map_vm(None, "kvm"), VmState::Unknown("null".into()));
    }
}
