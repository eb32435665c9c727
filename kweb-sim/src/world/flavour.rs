//! Backend flavours and their status vocabularies (`kweb-reference.md` §7).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The provider kweb's default client uses; selects status words, the
/// `/host` connection string and the default client type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// libvirt (`up`, `down`, `paused`, ...), the default.
    #[default]
    Kvm,
    /// VMware vSphere (`up`, `down`, `suspended`).
    Vsphere,
    /// KubeVirt (`down`, or the VMI phase with `Running` → `up`).
    Kubevirt,
    /// Proxmox (`up`, `down`, `unk`).
    Proxmox,
    /// oVirt (`up`, `down`, `powering_up`, ...).
    Ovirt,
    /// OpenStack (raw Nova status `ACTIVE`, `SHUTOFF`, ...).
    Openstack,
    /// AWS (`running`, `stopped`, ...).
    Aws,
    /// GCP (`RUNNING`, `TERMINATED`, ...).
    Gcp,
    /// Azure (`running`, `deallocated`, ...).
    Azure,
    /// Hetzner Cloud (`running`, `off`, ...).
    Hcloud,
}

/// A VM power state, independent of the flavour's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Power {
    /// Running (libvirt active).
    Running,
    /// Shut off.
    Off,
    /// Paused.
    Paused,
    /// Blocked on a resource.
    Blocked,
    /// Shutting down.
    Shuttingdown,
    /// Crashed.
    Crashed,
    /// No state.
    Nostate,
    /// libvirt pmsuspended: kcli maps nothing, so `status` is `null`.
    Pmsuspended,
    /// Being created or scheduled (cloud providers' pending phase).
    Pending,
    /// A raw status value shown as is (`null` when `None`).
    Raw(Option<String>),
}

impl Power {
    /// Whether the domain counts as active (leases, `/host` counters).
    #[must_use]
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Power::Running | Power::Paused | Power::Blocked | Power::Shuttingdown
        )
    }

    /// Parses a status word from any vocabulary (`up`, `running`, `ACTIVE`,
    /// `down`, `crashed`, ...); unknown words become [`Power::Raw`].
    #[must_use]
    pub fn from_word(word: Option<&str>) -> Self {
        let Some(w) = word else {
            return Power::Raw(None);
        };
        match w.to_ascii_lowercase().as_str() {
            "up" | "running" | "active" => Power::Running,
            "down" | "off" | "stopped" | "shutoff" | "terminated" | "deallocated" => Power::Off,
            "paused" | "suspended" => Power::Paused,
            "blocked" => Power::Blocked,
            "shuttingdown" | "stopping" => Power::Shuttingdown,
            "crashed" => Power::Crashed,
            "nostate" => Power::Nostate,
            "pmsuspended" => Power::Pmsuspended,
            "pending" | "build" | "staging" | "scheduling" | "starting" => Power::Pending,
            _ => Power::Raw(Some(w.to_owned())),
        }
    }
}

impl Flavour {
    /// The `status` value this flavour's provider reports.
    #[must_use]
    pub fn status(self, power: &Power) -> Value {
        let s = |t: &str| Value::String(t.to_owned());
        match (self, power) {
            (_, Power::Raw(r)) => r.clone().map_or(Value::Null, Value::String),
            (Flavour::Kvm, p) => match p {
                Power::Running => s("up"),
                Power::Off => s("down"),
                Power::Paused => s("paused"),
                Power::Blocked => s("blocked"),
                Power::Shuttingdown => s("shuttingdown"),
                Power::Crashed => s("crashed"),
                Power::Nostate | Power::Pending => s("nostate"),
                _ => Value::Null,
            },
            (Flavour::Vsphere, p) => match p {
                Power::Running | Power::Blocked | Power::Shuttingdown => s("up"),
                Power::Paused | Power::Pmsuspended => s("suspended"),
                _ => s("down"),
            },
            (Flavour::Proxmox, p) => match p {
                Power::Running => s("up"),
                Power::Off | Power::Crashed => s("down"),
                _ => s("unk"),
            },
            (Flavour::Kubevirt, p) => match p {
                Power::Running | Power::Blocked => s("up"),
                Power::Pending => s("Scheduling"),
                Power::Paused => s("Paused"),
                Power::Crashed => s("Failed"),
                Power::Off => s("down"),
                _ => s("Unknown"),
            },
            (Flavour::Ovirt, p) => match p {
                Power::Running => s("up"),
                Power::Pending => s("powering_up"),
                Power::Paused | Power::Pmsuspended => s("suspended"),
                Power::Shuttingdown => s("powering_down"),
                Power::Off => s("down"),
                _ => s("unknown"),
            },
            (Flavour::Openstack, p) => match p {
                Power::Running => s("ACTIVE"),
                Power::Pending => s("BUILD"),
                Power::Paused => s("PAUSED"),
                Power::Crashed => s("ERROR"),
                _ => s("SHUTOFF"),
            },
            (Flavour::Aws, p) => match p {
                Power::Running => s("running"),
                Power::Pending => s("pending"),
                Power::Shuttingdown => s("stopping"),
                _ => s("stopped"),
            },
            (Flavour::Gcp, p) => match p {
                Power::Running => s("RUNNING"),
                Power::Pending => s("STAGING"),
                Power::Shuttingdown => s("STOPPING"),
                Power::Paused => s("SUSPENDED"),
                _ => s("TERMINATED"),
            },
            (Flavour::Azure, p) => match p {
                Power::Running => s("running"),
                Power::Pending => s("starting"),
                Power::Shuttingdown => s("stopping"),
                Power::Off => s("deallocated"),
                _ => s("stopped"),
            },
            (Flavour::Hcloud, p) => match p {
                Power::Running => s("running"),
                Power::Pending => s("starting"),
                Power::Shuttingdown => s("stopping"),
                _ => s("off"),
            },
        }
    }

    /// The client `type` shown by `/hosts` and `/vmprofiles`.
    #[must_use]
    pub fn client_type(self) -> &'static str {
        match self {
            Flavour::Kvm => "kvm",
            Flavour::Vsphere => "vsphere",
            Flavour::Kubevirt => "kubevirt",
            Flavour::Proxmox => "proxmox",
            Flavour::Ovirt => "ovirt",
            Flavour::Openstack => "openstack",
            Flavour::Aws => "aws",
            Flavour::Gcp => "gcp",
            Flavour::Azure => "azure",
            Flavour::Hcloud => "hcloud",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvm_vocabulary() {
        assert_eq!(Flavour::Kvm.status(&Power::Running), Value::from("up"));
        assert_eq!(Flavour::Kvm.status(&Power::Off), Value::from("down"));
        assert_eq!(Flavour::Kvm.status(&Power::Pmsuspended), Value::Null);
        assert_eq!(
            Flavour::Vsphere.status(&Power::Paused),
            Value::from("suspended")
        );
        assert_eq!(Flavour::Kubevirt.status(&Power::Off), Value::from("down"));
    }
}
