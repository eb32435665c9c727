//! How kweb renders a VM (`kweb-reference.md` §6.1): the VMINFO object of
//! `GET /vms/<name>`, the VMLIST elements of `GET /vms` (with a fast
//! writer for the list) and kcli's plain `info` text. The VM model is
//! [`crate::world::vm`].

use serde_json::{Map, Value, json};

use crate::http::pyjson::{py_str, write_str, write_value};
use crate::world::{Vm, World};

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

/// A rendered VM: `(key, value)` pairs in kcli's key order.
pub type Fields = Vec<(&'static str, Value)>;

/// The metadata keys kcli's `info` copies, in its order (§6.1).
const META_KEYS: [&str; 6] = ["ip", "owner", "redfish_iso", "user", "domain", "userport"];

fn put(fields: &mut Fields, key: &'static str, value: Value) {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => fields.push((key, value)),
    }
}

/// The VM object in kcli's key order as `(key, value)` pairs; `full`
/// adds the VMINFO-only keys (§6.1). List mode has `disks: []`.
#[must_use]
pub fn vm_fields(w: &World, vm: &Vm, full: bool) -> Fields {
    let mut o: Fields = Vec::with_capacity(20);
    o.push(("name", Value::String(vm.name.clone())));
    let nets: Vec<Value> = vm
        .nics
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"device": format!("eth{i}"), "mac": n.mac, "net": n.net, "type": n.kind}))
        .collect();
    o.push(("nets", Value::Array(nets)));
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
    o.push(("disks", Value::Array(disks)));
    o.push(("id", Value::String(vm.id.clone())));
    let m = &vm.meta;
    if let Some(image) = m.get("image").and_then(Value::as_str) {
        o.push(("user", json!(user_for_image(image))));
    }
    for key in META_KEYS {
        if let Some(v) = m.get(key) {
            put(&mut o, key, v.clone());
        }
    }
    if let Some(v) = m.get("image") {
        o.push(("image", v.clone()));
    }
    o.push(("plan", m.get("plan").cloned().unwrap_or_else(|| json!(""))));
    if let Some(v) = m.get("profile") {
        o.push(("profile", v.clone()));
    }
    if let (Some(k), Some(t)) = (m.get("kube"), m.get("kubetype")) {
        o.push(("kube", k.clone()));
        o.push(("kubetype", t.clone()));
    }
    if let Some(v) = m.get("creationdate") {
        o.push(("creationdate", v.clone()));
    }
    let ips: Vec<String> = (0..vm.nics.len())
        .filter_map(|i| w.nic_ip(vm, i))
        .map(|ip| ip.to_string())
        .collect();
    if !o.iter().any(|(k, _)| *k == "ip")
        && let Some(first) = ips.first()
    {
        o.push(("ip", json!(first)));
    }
    if ips.len() > 1 {
        o.push(("ips", json!(ips)));
    }
    if let Some(v) = m.get("pcidevices") {
        o.push(("pcidevices", v.clone()));
    }
    o.push(("status", w.status_of(vm)));
    if full {
        o.push(("autostart", json!(vm.autostart)));
        o.push(("numcpus", json!(vm.numcpus)));
        o.push(("memory", json!(vm.memory)));
        if let Some(iso) = &vm.iso {
            o.push(("iso", json!(iso)));
        }
        if !vm.snapshots.is_empty() {
            let s: Vec<Value> = vm
                .snapshots
                .iter()
                .map(|s| json!({"snapshot": s.name, "current": s.current}))
                .collect();
            o.push(("snapshots", Value::Array(s)));
        }
    }
    o
}

/// VMINFO (`GET /vms/<name>`) as a JSON object.
#[must_use]
pub fn render_vm(w: &World, vm: &Vm, full: bool) -> Map<String, Value> {
    vm_fields(w, vm, full)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// A VMLIST element: the list-mode object plus its `info` text.
#[must_use]
pub fn render_vm_list_entry(w: &World, vm: &Vm) -> Value {
    let mut o = render_vm(w, vm, false);
    let fields = vm_fields(w, vm, false);
    o.insert("info".into(), Value::String(info_text(&fields)));
    Value::Object(o)
}

/// Appends the `json.dumps` text of a VMLIST element to `out` without
/// building a JSON tree (the fast path of `GET /vms`; same bytes as
/// `json.dumps(render_vm_list_entry(vm))`).
pub fn write_vm_list_entry(w: &World, vm: &Vm, out: &mut String) {
    let m = &vm.meta;
    let mut f: Vec<(&'static str, Lv<'_>)> = Vec::with_capacity(16);
    f.push(("name", Lv::Text(&vm.name)));
    f.push(("nets", Lv::Nets));
    f.push(("disks", Lv::EmptyList));
    f.push(("id", Lv::Text(&vm.id)));
    if let Some(image) = m.get("image").and_then(Value::as_str) {
        f.push(("user", Lv::Text(user_for_image(image))));
    }
    for key in META_KEYS {
        if let Some(v) = m.get(key) {
            match f.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = Lv::Val(v),
                None => f.push((key, Lv::Val(v))),
            }
        }
    }
    if let Some(v) = m.get("image") {
        f.push(("image", Lv::Val(v)));
    }
    f.push(("plan", m.get("plan").map_or(Lv::Text(""), Lv::Val)));
    if let Some(v) = m.get("profile") {
        f.push(("profile", Lv::Val(v)));
    }
    if let (Some(k), Some(t)) = (m.get("kube"), m.get("kubetype")) {
        f.push(("kube", Lv::Val(k)));
        f.push(("kubetype", Lv::Val(t)));
    }
    if let Some(v) = m.get("creationdate") {
        f.push(("creationdate", Lv::Val(v)));
    }
    let ips: Vec<String> = (0..vm.nics.len())
        .filter_map(|i| w.nic_ip(vm, i))
        .map(|ip| ip.to_string())
        .collect();
    if !f.iter().any(|(k, _)| *k == "ip")
        && let Some(first) = ips.first()
    {
        f.push(("ip", Lv::Owned(Value::String(first.clone()))));
    }
    if ips.len() > 1 {
        f.push((
            "ips",
            Lv::Owned(Value::Array(ips.into_iter().map(Value::String).collect())),
        ));
    }
    if let Some(v) = m.get("pcidevices") {
        f.push(("pcidevices", Lv::Val(v)));
    }
    f.push(("status", Lv::Owned(w.status_of(vm))));

    out.push('{');
    for (k, v) in &f {
        write_str(out, k);
        out.push_str(": ");
        match v {
            Lv::Nets => {
                out.push('[');
                for (i, n) in vm.nics.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str("{\"device\": \"eth");
                    out.push_str(&i.to_string());
                    out.push_str("\", \"mac\": ");
                    write_str(out, &n.mac);
                    out.push_str(", \"net\": ");
                    write_str(out, &n.net);
                    out.push_str(", \"type\": ");
                    write_str(out, &n.kind);
                    out.push('}');
                }
                out.push(']');
            }
            Lv::EmptyList => out.push_str("[]"),
            Lv::Text(t) => write_str(out, t),
            Lv::Val(v) => write_value(out, v),
            Lv::Owned(v) => write_value(out, v),
        }
        out.push_str(", ");
    }
    out.push_str("\"info\": ");
    let mut info = String::with_capacity(256);
    let line = |key: &str, v: &Lv<'_>, info: &mut String| match v {
        Lv::Nets => {
            if vm.nics.is_empty() {
                info.push('\n');
            }
            for (i, n) in vm.nics.iter().enumerate() {
                info.push_str(&format!(
                    "net interface: eth{i} mac: {} net: {} type: {}\n",
                    n.mac, n.net, n.kind
                ));
            }
        }
        Lv::EmptyList => info.push('\n'),
        Lv::Text(t) => {
            info.push_str(key);
            info.push_str(": ");
            info.push_str(t);
            info.push('\n');
        }
        Lv::Val(v) => {
            info.push_str(key);
            info.push_str(": ");
            info.push_str(&py_str(v));
            info.push('\n');
        }
        Lv::Owned(v) => {
            info.push_str(key);
            info.push_str(": ");
            info.push_str(&py_str(v));
            info.push('\n');
        }
    };
    for key in INFO_ORDER {
        if let Some((k, v)) = f.iter().find(|(k, _)| *k == key) {
            line(k, v, &mut info);
        }
    }
    let mut rest: Vec<&(&'static str, Lv<'_>)> =
        f.iter().filter(|(k, _)| !INFO_ORDER.contains(k)).collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in rest {
        line(k, v, &mut info);
    }
    write_str(out, info.trim_end());
    out.push('}');
}

/// A list-mode field borrowed from the VM where possible.
enum Lv<'a> {
    /// The VM's NICs.
    Nets,
    /// `[]` (list-mode disks).
    EmptyList,
    /// A string.
    Text(&'a str),
    /// A metadata value.
    Val(&'a Value),
    /// A computed value.
    Owned(Value),
}

/// kcli's `print_info` key order (§6.1); other keys follow in code-point order.
const INFO_ORDER: [&str; 24] = [
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
pub fn info_text(o: &[(&str, Value)]) -> String {
    const ORDER: [&str; 24] = INFO_ORDER;
    let mut lines: Vec<String> = Vec::new();
    let get = |key: &str| o.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
    let render = |key: &str, value: &Value, lines: &mut Vec<String>| match key {
        "nets" => {
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
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
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
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
            for s in value.as_array().map(Vec::as_slice).unwrap_or_default() {
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
        if let Some(v) = get(key) {
            render(key, v, &mut lines);
        }
    }
    let mut rest: Vec<&(&str, Value)> = o
        .iter()
        .filter(|(k, _)| !ORDER.contains(k) && *k != "info")
        .collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in rest {
        render(key, value, &mut lines);
    }
    lines.join("\n").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::pyjson::dumps;
    use crate::world::presets::{Options, Preset, build};
    use crate::world::{Nic, Power};

    #[test]
    fn test_domain_list_entry_matches_capture() {
        let w = build(Preset::Testdriver, 0, &Options::default());
        let vm = w.vm("test").cloned();
        let entry = vm.as_ref().map(|v| dumps(&render_vm_list_entry(&w, v)));
        let mut fast = String::new();
        if let Some(v) = &vm {
            write_vm_list_entry(&w, v, &mut fast);
        }
        assert_eq!(entry.as_deref(), Some(fast.as_str()));
        assert_eq!(
            entry.as_deref(),
            Some(
                r#"{"name": "test", "nets": [{"device": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "net": "default", "type": "routed"}], "disks": [], "id": "6695eb01-f6a4-8304-79aa-97f2502e193f", "plan": "", "ip": "192.168.122.3", "status": "up", "info": "name: test\nid: 6695eb01-f6a4-8304-79aa-97f2502e193f\nstatus: up\nplan: \nnet interface: eth0 mac: aa:bb:cc:dd:ee:ff net: default type: routed\nip: 192.168.122.3"}"#
            )
        );
    }

    #[test]
    fn fast_list_writer_equals_the_tree_rendering() {
        let mut w = build(Preset::Testdriver, 3, &Options::default());
        let mut vm = Vm::new("k1-ctlplane-0", "id-1".into());
        vm.nics.push(Nic {
            mac: "52:54:00:00:00:01".into(),
            net: "default".into(),
            kind: "routed".into(),
        });
        vm.nics.push(Nic {
            mac: "52:54:00:00:00:02".into(),
            net: "default".into(),
            kind: "routed".into(),
        });
        for (k, v) in [
            ("image", json!("ubuntu2404")),
            ("plan", json!("k1")),
            ("profile", json!("kvirt")),
            ("kube", json!("k1")),
            ("kubetype", json!("k3s")),
            ("creationdate", json!("21-11-2026 13:44")),
            ("owner", json!("é")),
            ("domain", json!("lab.local")),
            ("pcidevices", json!(["00:01.0"])),
            ("user", json!("admin")),
        ] {
            vm.meta.insert(k.into(), v);
        }
        w.vms.push(vm);
        w.power_on(1);
        let mut bare = Vm::new("bare", "id-2".into());
        bare.power = Power::Raw(None);
        w.vms.push(bare);
        for vm in &w.vms {
            let mut fast = String::new();
            write_vm_list_entry(&w, vm, &mut fast);
            assert_eq!(fast, dumps(&render_vm_list_entry(&w, vm)), "{}", vm.name);
        }
    }

    #[test]
    fn stopped_cluster_node_info_has_blank_disks_line() {
        let o: Fields = vec![
            ("name", json!("k2-ctlplane-0")),
            (
                "nets",
                json!([{"device": "eth0", "mac": "m", "net": "default", "type": "routed"}]),
            ),
            ("disks", json!([])),
            ("plan", json!("k2")),
            ("kube", json!("k2")),
            ("kubetype", json!("k3s")),
            ("status", json!("down")),
        ];
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
