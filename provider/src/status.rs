//! The kweb → DCM state mapping (contract §10.3); the vocabularies are
//! [`crate::lifecycle::Status`].

/// What one kweb VM state means (contract §10.3), before the grace rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VmState {
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
pub(crate) fn map_vm(raw: Option<&str>, backend: &str) -> VmState {
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
