//! VM records (`kweb-reference.md` §6.1): devices, power, kcli metadata.
//! How kweb renders them is `kweb::vmjson`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Power;

/// A network interface.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Nic {
    /// MAC address.
    pub mac: String,
    /// Network, bridge or host device name.
    pub net: String,
    /// `routed`, `bridge`, `direct` or `user`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Disk {
    /// Size in GiB (int) or `"N/A"`.
    pub size: Value,
    /// Bus (`virtio`, `scsi`, ...), shown as `format`.
    pub bus: String,
    /// Driver format (`qcow2`, `raw`), shown as `type`.
    pub format: String,
    /// Volume path.
    pub path: String,
}

/// A snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    /// Snapshot name.
    pub name: String,
    /// Whether it is the current snapshot.
    pub current: bool,
}

/// A libvirt domain with kcli metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vm {
    /// Name.
    pub name: String,
    /// UUID (lower-case).
    pub id: String,
    /// libvirt domain id of the current run (drives fake lease IPs, §11).
    pub domain_id: Option<u32>,
    /// Power state.
    pub power: Power,
    /// NICs in device order (`eth0`, `eth1`, ...).
    pub nics: Vec<Nic>,
    /// Disks in device order (`vda`, `vdb`, ...).
    pub disks: Vec<Disk>,
    /// vCPUs.
    pub numcpus: u64,
    /// Current memory, MiB.
    pub memory: u64,
    /// Autostart flag.
    pub autostart: bool,
    /// Attached CD-ROM path, if any.
    pub iso: Option<String>,
    /// Snapshots.
    pub snapshots: Vec<Snapshot>,
    /// kcli metadata (`plan`, `profile`, `image`, `kube`, `kubetype`,
    /// `creationdate`, `user`, `ip`, `owner`, `domain`, ... and arbitrary
    /// keys stored by `UPDATE`).
    pub meta: Map<String, Value>,
    /// VMINFO raises for this domain (the test driver's built-in `test`).
    #[serde(default)]
    pub info_fails: bool,
    /// vCPUs set by `UPDATE`, applied at the next start (§6.5).
    #[serde(default)]
    pub pending_numcpus: Option<u64>,
    /// Memory (MiB) set by `UPDATE`, applied at the next start when the
    /// backend shows memory changes (kvm; never on the test driver).
    #[serde(default)]
    pub pending_memory: Option<u64>,
    /// Simulator time of the last start, Unix seconds.
    #[serde(default)]
    pub started_at: Option<f64>,
    /// Simulator time of creation, Unix seconds (node `AGE`).
    #[serde(default)]
    pub created_at: f64,
}

impl Vm {
    /// A shut-off VM with no devices and no metadata.
    #[must_use]
    pub fn new(name: &str, id: String) -> Self {
        Self {
            name: name.to_owned(),
            id,
            domain_id: None,
            power: Power::Off,
            nics: Vec::new(),
            disks: Vec::new(),
            numcpus: 2,
            memory: 512,
            autostart: false,
            iso: None,
            snapshots: Vec::new(),
            meta: Map::new(),
            info_fails: false,
            pending_numcpus: None,
            started_at: None,
            pending_memory: None,
            created_at: 0.0,
        }
    }

    /// The `plan` metadata (`""` when absent).
    #[must_use]
    pub fn plan(&self) -> &str {
        self.meta.get("plan").and_then(Value::as_str).unwrap_or("")
    }

    /// `kube` and `kubetype` when both are recorded.
    #[must_use]
    pub fn kube(&self) -> Option<(&str, &str)> {
        Some((
            self.meta.get("kube")?.as_str()?,
            self.meta.get("kubetype")?.as_str()?,
        ))
    }
}
