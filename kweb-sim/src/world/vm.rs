//! VM records and how kweb renders them (`kweb-reference.md` §6.1).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Power, World};
use crate::http::pyjson::py_str;

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

/// kcli's `get_user`: the login user for an image name (§6.1).
#[must_use]
pub fn user_for_image(image: &str) -> &'static str {
    let l = image.to_lowercase();
    const UBUNTU: &[&str] = &[
        "utopic", "vivid", "wily", "xenial", "yakkety", "zesty", "artful", "bionic", "cosmic",
        "disco", "eoan", "focal", "groovy", "hirsute", "impish", "jammy", "kinetic", "ubuntu",
    ];
    if l.contains("gke") {
        "root"
    } else if l.contains("rhel") && !image.starts_with("RHEL-") {
        "cloud-user"
    } else if image.contains("CentOS Stream") {
        "ec2-user"
    } else if l.contains("centos9stream") || l.contains("centos10stream") {
        "cloud-user"
    } else if l.contains("centos") && !l.starts_with("ibm") {
        "centos"
    } else if ["coreos", "rhcos", "fcos", "scos"]
        .iter()
        .any(|w| l.contains(w))
        || image.contains("ocp-v4")
    {
        "core"
    } else if l.contains("debian") {
        "debian"
    } else if UBUNTU.iter().any(|w| l.contains(w)) {
        "ubuntu"
    } else if l.contains("fedora") {
        "fedora"
    } else if l.contains("arch") {
        "arch"
    } else if l.contains("freebsd") {
        "freebsd"
    } else if l.contains("netbsd") {
        "netbsd"
    } else if l.contains("openbsd") {
        "openbsd"
    } else if l.contains("cirros") {
        "cirros"
    } else {
        "root"
    }
}

impl World {
    /// The VM object in kcli's key order; `full` adds the VMINFO-only keys
    /// (§6.1). List mode has `disks: []`.
    #[must_use]
    pub fn render_vm(&self, vm: &Vm, full: bool) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("name".into(), json!(vm.name));
        let nets: Vec<Value> = vm
            .nics
            .iter()
            .enumerate()
            .map(|(i, n)| json!({"device": format!("eth{i}"), "mac": n.mac, "net": n.net, "type": n.kind}))
            .collect();
        o.insert("nets".into(), Value::Array(nets));
        let disks: Vec<Value> = if full {
            vm.disks
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    json!({"device": disk_device(&d.bus, i), "size": d.size, "format": d.bus, "type": d.format, "path": d.path})
                })
                .collect()
        } else {
            Vec::new()
        };
        o.insert("disks".into(), Value::Array(disks));
        o.insert("id".into(), json!(vm.id));
        let m = &vm.meta;
        if let Some(image) = m.get("image").and_then(Value::as_str) {
            o.insert("user".into(), json!(user_for_image(image)));
        }
        for key in ["ip", "owner", "redfish_iso", "user", "domain", "userport"] {
            if let Some(v) = m.get(key) {
                o.insert(key.into(), v.clone());
            }
        }
        if let Some(v) = m.get("image") {
            o.insert("image".into(), v.clone());
        }
        o.insert(
            "plan".into(),
            m.get("plan").cloned().unwrap_or_else(|| json!("")),
        );
        if let Some(v) = m.get("profile") {
            o.insert("profile".into(), v.clone());
        }
        if let (Some(k), Some(t)) = (m.get("kube"), m.get("kubetype")) {
            o.insert("kube".into(), k.clone());
            o.insert("kubetype".into(), t.clone());
        }
        if let Some(v) = m.get("creationdate") {
            o.insert("creationdate".into(), v.clone());
        }
        let ips: Vec<String> = (0..vm.nics.len())
            .filter_map(|i| self.nic_ip(vm, i))
            .map(|ip| ip.to_string())
            .collect();
        if !o.contains_key("ip")
            && let Some(first) = ips.first()
        {
            o.insert("ip".into(), json!(first));
        }
        if ips.len() > 1 {
            o.insert("ips".into(), json!(ips));
        }
        if let Some(v) = m.get("pcidevices") {
            o.insert("pcidevices".into(), v.clone());
        }
        o.insert("status".into(), self.flavour.status(&vm.power));
        if full {
            o.insert("autostart".into(), json!(vm.autostart));
            o.insert("numcpus".into(), json!(vm.numcpus));
            o.insert("memory".into(), json!(vm.memory));
            if let Some(iso) = &vm.iso {
                o.insert("iso".into(), json!(iso));
            }
            if !vm.snapshots.is_empty() {
                let s: Vec<Value> = vm
                    .snapshots
                    .iter()
                    .map(|s| json!({"snapshot": s.name, "current": s.current}))
                    .collect();
                o.insert("snapshots".into(), Value::Array(s));
            }
        }
        o
    }

    /// A VMLIST element: the list-mode object plus its `info` text.
    #[must_use]
    pub fn render_vm_list_entry(&self, vm: &Vm) -> Value {
        let mut o = self.render_vm(vm, false);
        let info = info_text(&o);
        o.insert("info".into(), Value::String(info));
        Value::Object(o)
    }
}

fn disk_device(bus: &str, i: usize) -> String {
    let prefix = match bus {
        "scsi" => "sd",
        "ide" => "hd",
        "nvme" => "nvme",
        _ => "vd",
    };
    if prefix == "nvme" {
        return format!("nvme{i}n1");
    }
    let letter = (b'a' + (i % 26) as u8) as char;
    format!("{prefix}{letter}")
}

/// kcli's `print_info` in plain mode (§6.1, "The `info` text").
#[must_use]
pub fn info_text(o: &Map<String, Value>) -> String {
    const ORDER: &[&str] = &[
        "debug",
        "name",
        "project",
        "namespace",
        "id",
        "instanceid",
        "creationdate",
        "owner",
        "host",
        "status",
        "description",
        "autostart",
        "image",
        "user",
        "plan",
        "profile",
        "flavor",
        "numcpus",
        "memory",
        "nets",
        "ip",
        "ips",
        "disks",
        "snapshots",
    ];
    let mut lines: Vec<String> = Vec::new();
    let render = |key: &str, value: &Value, lines: &mut Vec<String>| match key {
        "nets" => {
            let items = value.as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                lines.push(String::new());
            }
            for n in items {
                lines.push(format!(
                    "net interface: {} mac: {} net: {} type: {}",
                    py_str(&n["device"]),
                    py_str(&n["mac"]),
                    py_str(&n["net"]),
                    py_str(&n["type"])
                ));
            }
        }
        "disks" => {
            let items = value.as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                lines.push(String::new());
            }
            for d in items {
                let size = py_str(&d["size"]);
                let unit = if !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()) {
                    "GB"
                } else {
                    ""
                };
                lines.push(format!(
                    "diskname: {} disksize: {size}{unit} diskformat: {} type: {} path: {}",
                    py_str(&d["device"]),
                    py_str(&d["format"]),
                    py_str(&d["type"]),
                    py_str(&d["path"])
                ));
            }
        }
        "snapshots" => {
            lines.push("snapshots: ".into());
            for s in value.as_array().cloned().unwrap_or_default() {
                let cur = if s["current"].as_bool().unwrap_or(false) {
                    "True"
                } else {
                    "False"
                };
                lines.push(format!(
                    "snapshot: {} current: {cur}",
                    py_str(&s["snapshot"])
                ));
            }
        }
        _ => lines.push(format!("{key}: {}", py_str(value))),
    };
    for key in ORDER {
        if let Some(v) = o.get(*key) {
            render(key, v, &mut lines);
        }
    }
    let mut rest: Vec<&String> = o
        .keys()
        .filter(|k| !ORDER.contains(&k.as_str()) && *k != "info")
        .collect();
    rest.sort();
    for key in rest {
        render(key, &o[key.as_str()], &mut lines);
    }
    lines.join("\n").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::pyjson::dumps;
    use crate::world::presets::{Options, Preset, build};

    #[test]
    fn test_domain_list_entry_matches_capture() {
        let w = build(Preset::Testdriver, 0, &Options::default());
        let vm = w.vm("test").cloned();
        let entry = vm.map(|v| dumps(&w.render_vm_list_entry(&v)));
        assert_eq!(
            entry.as_deref(),
            Some(
                r#"{"name": "test", "nets": [{"device": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "net": "default", "type": "routed"}], "disks": [], "id": "6695eb01-f6a4-8304-79aa-97f2502e193f", "plan": "", "ip": "192.168.122.3", "status": "up", "info": "name: test\nid: 6695eb01-f6a4-8304-79aa-97f2502e193f\nstatus: up\nplan: \nnet interface: eth0 mac: aa:bb:cc:dd:ee:ff net: default type: routed\nip: 192.168.122.3"}"#
            )
        );
    }

    #[test]
    fn stopped_cluster_node_info_has_blank_disks_line() {
        let mut o = Map::new();
        o.insert("name".into(), json!("k2-ctlplane-0"));
        o.insert(
            "nets".into(),
            json!([{"device": "eth0", "mac": "m", "net": "default", "type": "routed"}]),
        );
        o.insert("disks".into(), json!([]));
        o.insert("plan".into(), json!("k2"));
        o.insert("kube".into(), json!("k2"));
        o.insert("kubetype".into(), json!("k3s"));
        o.insert("status".into(), json!("down"));
        assert_eq!(
            info_text(&o),
            "name: k2-ctlplane-0\nstatus: down\nplan: k2\nnet interface: eth0 mac: m net: default type: routed\n\nkube: k2\nkubetype: k3s"
        );
    }

    #[test]
    fn users_from_image_names() {
        assert_eq!(user_for_image("cirros.qcow2"), "cirros");
        assert_eq!(user_for_image("ubuntu2404"), "ubuntu");
        assert_eq!(user_for_image("rhel-9.4.qcow2"), "cloud-user");
        assert_eq!(user_for_image("fedora40"), "fedora");
        assert_eq!(user_for_image("foo.img"), "root");
    }
}
