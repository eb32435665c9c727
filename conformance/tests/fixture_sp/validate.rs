//! Spec validation of the fixture SP (contract §7), kept small but real.

use serde_json::Value;

/// A 400 finding: (field, reason).
pub(crate) type Finding = (String, String);

fn size_ok(s: &str) -> bool {
    let Some(unit_at) = s.find(|c: char| !c.is_ascii_digit()) else {
        return false;
    };
    unit_at > 0 && matches!(&s[unit_at..], "MB" | "GB" | "TB")
}

fn zero_size(s: &str) -> bool {
    s.trim_start_matches('0')
        .chars()
        .next()
        .is_none_or(|c| !c.is_ascii_digit())
}

fn dns_label(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn check_size(v: &Value, field: &str, out: &mut Vec<Finding>) {
    match v.as_str() {
        Some(s) if size_ok(s) && !zero_size(s) => {}
        Some(s) if size_ok(s) => out.push((field.into(), "must not be zero".into())),
        _ => out.push((field.into(), "must match ^[0-9]+(MB|GB|TB)$".into())),
    }
}

fn check_count(v: &Value, field: &str, min: u64, out: &mut Vec<Finding>) {
    if v.as_u64().is_none_or(|n| n < min) {
        out.push((field.into(), format!("must be an integer >= {min}")));
    }
}

/// Schema findings for `spec` of `service_type` (VAL-004 to VAL-006, VAL-010).
pub(crate) fn spec(spec: &Value, service_type: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    match spec.get("service_type").and_then(Value::as_str) {
        Some(s) if s == service_type => {}
        _ => out.push((
            "spec.service_type".into(),
            format!("must be `{service_type}`"),
        )),
    }
    if let Some(name) = spec.pointer("/metadata/name")
        && !name.as_str().is_some_and(|n| dns_label(n, 63))
    {
        out.push((
            "spec.metadata.name".into(),
            "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ (max 63)".into(),
        ));
    }
    if service_type == "vm" {
        if let Some(c) = spec.pointer("/vcpu/count") {
            check_count(c, "spec.vcpu.count", 1, &mut out);
        }
        if let Some(m) = spec.pointer("/memory/size") {
            check_size(m, "spec.memory.size", &mut out);
        }
        if let Some(disks) = spec.pointer("/storage/disks") {
            let list = disks.as_array().cloned().unwrap_or_default();
            let mut names = Vec::new();
            for (i, d) in list.iter().enumerate() {
                let name = d["name"].as_str().unwrap_or_default();
                if !dns_label(name, 63) || names.contains(&name) {
                    out.push((
                        format!("spec.storage.disks[{i}].name"),
                        "must be a unique lower-case label".into(),
                    ));
                }
                names.push(name);
                check_size(
                    &d["capacity"],
                    &format!("spec.storage.disks[{i}].capacity"),
                    &mut out,
                );
            }
            if names.iter().filter(|n| **n == "boot").count() != 1 {
                out.push((
                    "spec.storage.disks".into(),
                    "must contain exactly one disk named boot".into(),
                ));
            }
        }
    } else if service_type == "cluster" {
        let nodes = spec.get("nodes").cloned().unwrap_or(Value::Null);
        if let Some(cp) = nodes.get("control_plane") {
            if let Some(c) = cp.get("count")
                && !matches!(c.as_u64(), Some(1 | 3 | 5))
            {
                out.push((
                    "spec.nodes.control_plane.count".into(),
                    "must be 1, 3 or 5".into(),
                ));
            }
            if let Some(c) = cp.get("cpu") {
                check_count(c, "spec.nodes.control_plane.cpu", 2, &mut out);
            }
            for k in ["memory", "storage"] {
                if let Some(v) = cp.get(k) {
                    check_size(v, &format!("spec.nodes.control_plane.{k}"), &mut out);
                }
            }
        }
        match (nodes.get("workers"), nodes.get("worker")) {
            (Some(a), Some(b)) if a != b => out.push((
                "spec.nodes.worker".into(),
                "conflicts with nodes.workers".into(),
            )),
            (Some(w), _) | (None, Some(w)) => {
                for k in ["count", "cpu"] {
                    if let Some(c) = w.get(k) {
                        check_count(c, &format!("spec.nodes.workers.{k}"), 1, &mut out);
                    }
                }
                for k in ["memory", "storage"] {
                    if let Some(v) = w.get(k) {
                        check_size(v, &format!("spec.nodes.workers.{k}"), &mut out);
                    }
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// Known backend profiles of the fixture.
pub(crate) const PROFILES: &[&str] = &["centos9stream", "fedora41", "ubuntu2204"];
/// Allowed cluster types.
pub(crate) const CLUSTER_TYPES: &[&str] =
    &["generic", "hypershift", "k3s", "microshift", "openshift"];
/// Allowed hint keys (a subset of §14.5).
pub(crate) const HINTS: &[&str] = &[
    "image",
    "network",
    "pool",
    "profile",
    "cluster_type",
    "tags",
];

/// 422 findings: unsupported but well-formed (VAL-011, SEC-005).
pub(crate) fn semantic(spec: &Value) -> Option<String> {
    if let Some(os) = spec.pointer("/guest_os/type").and_then(Value::as_str) {
        let norm = os.to_ascii_lowercase().replace(['-', '.'], "");
        if !PROFILES.contains(&os) && !PROFILES.contains(&norm.as_str()) {
            return Some(format!(
                "unknown profile `{os}`; accepted: {}",
                PROFILES.join(", ")
            ));
        }
    }
    if let Some(hints) = spec
        .pointer("/provider_hints/kcli")
        .and_then(Value::as_object)
    {
        if let Some(t) = hints.get("cluster_type").and_then(Value::as_str)
            && !CLUSTER_TYPES.contains(&t)
        {
            return Some(format!(
                "unsupported cluster type `{t}`; accepted: {}",
                CLUSTER_TYPES.join(", ")
            ));
        }
        for k in hints.keys() {
            if !HINTS.contains(&k.as_str()) {
                return Some(format!(
                    "provider hint `{k}` is not allowed; accepted: {}",
                    HINTS.join(", ")
                ));
            }
        }
    }
    None
}

/// API-012 id rule plus reserved ids.
pub(crate) fn id_ok(id: &str) -> bool {
    let b = id.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    !b.is_empty()
        && b.len() <= 253
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(inner)
        && id != "health"
}
