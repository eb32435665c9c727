//! VM specs: schema checks and the kweb `POST /vms` body (KCLI-010 to KCLI-016).

use serde_json::{Map, Value, json};

use super::hints::{HintRules, kcli_hints};
use super::{Errors, check_metadata, check_service_type, gib_ceil, is_dns_label};
use crate::error::{ApiError, FieldError, Slug};

/// What kweb offers: `GET /vmprofiles` and the image basenames (KCLI-012, KCLI-013).
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Profile name → merged profile.
    pub(crate) profiles: Map<String, Value>,
    /// Image basenames, also accepted as profiles.
    pub(crate) images: Vec<String>,
    /// Whether the catalog was loaded at least once.
    pub(crate) loaded: bool,
}

impl Catalog {
    fn knows(&self, name: &str) -> bool {
        self.profiles.contains_key(name) || self.images.iter().any(|i| i == name)
    }

    /// Sorted accepted names.
    #[must_use]
    pub(crate) fn accepted(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .profiles
            .keys()
            .cloned()
            .chain(self.images.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// Schema checks of a VM spec (VAL-003 to VAL-009, SEC-010, KCLI-040).
///
/// # Errors
/// Every field error found.
pub(crate) fn validate(spec: &Map<String, Value>) -> Result<(), Vec<FieldError>> {
    let mut errors = Errors::default();
    check_service_type(&mut errors, spec, "vm");
    check_metadata(&mut errors, spec);
    if let Some(vcpu) = errors.object(spec, "vcpu", "spec") {
        errors.integer(vcpu, "count", "spec.vcpu", 1);
    }
    if let Some(memory) = errors.object(spec, "memory", "spec") {
        errors.size(memory, "size", "spec.memory");
    }
    if let Some(storage) = errors.object(spec, "storage", "spec") {
        match storage.get("disks") {
            None => {}
            Some(Value::Array(disks)) => {
                let mut names: Vec<&str> = Vec::new();
                for (i, disk) in disks.iter().enumerate() {
                    let path = format!("spec.storage.disks[{i}]");
                    let Some(disk) = disk.as_object() else {
                        errors.push(path, "must be an object");
                        continue;
                    };
                    match errors.string(disk, "name", &path) {
                        Some(name) if !is_dns_label(name) => {
                            errors.push(
                                format!("{path}.name"),
                                "must match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
                            );
                        }
                        Some(name) if names.contains(&name) => {
                            errors.push(format!("{path}.name"), "must be unique")
                        }
                        Some(name) => names.push(name),
                        None => errors.push(format!("{path}.name"), "is required"),
                    }
                    if disk.contains_key("capacity") {
                        errors.size(disk, "capacity", &path);
                    } else {
                        errors.push(format!("{path}.capacity"), "is required");
                    }
                }
                if names.iter().filter(|n| **n == "boot").count() != 1 {
                    errors.push(
                        "spec.storage.disks",
                        "must contain exactly one disk named boot",
                    );
                }
            }
            Some(_) => errors.push("spec.storage.disks", "must be an array"),
        }
    }
    if let Some(guest) = errors.object(spec, "guest_os", "spec") {
        errors.string(guest, "type", "spec.guest_os");
    }
    if let Some(access) = errors.object(spec, "access", "spec")
        && let Some(key) = errors.string(access, "ssh_public_key", "spec.access")
        && (key.trim().is_empty() || key.chars().any(char::is_control))
    {
        errors.push(
            "spec.access.ssh_public_key",
            "must be a single line without control characters",
        );
    }
    if let Some(hints) = kcli_hints(&mut errors, spec)
        && let Some(profile) = hints.get("profile")
        && !profile.is_string()
    {
        errors.push("spec.provider_hints.kcli.profile", "must be a string");
    }
    errors.finish()
}

/// Normalised profile form (KCLI-011): lower case without `-` and `.`.
#[must_use]
pub(crate) fn normalise_profile(name: &str) -> String {
    name.to_ascii_lowercase()
        .chars()
        .filter(|c| *c != '-' && *c != '.')
        .collect()
}

/// Picks and checks the profile (KCLI-010 to KCLI-013).
///
/// # Errors
/// 422 listing the accepted profiles when the catalog is loaded and knows
/// neither the name nor its normalised form.
pub(crate) fn choose_profile(
    spec: &Map<String, Value>,
    catalog: &Catalog,
    default: &str,
) -> Result<String, ApiError> {
    let hint = spec
        .get("provider_hints")
        .and_then(|h| h.get("kcli"))
        .and_then(|k| k.get("profile"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let guest = spec
        .get("guest_os")
        .and_then(|g| g.get("type"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let wanted = hint.or(guest).unwrap_or(default);
    if !catalog.loaded || catalog.accepted().is_empty() || catalog.knows(wanted) {
        return Ok(wanted.to_owned());
    }
    let normalised = normalise_profile(wanted);
    if catalog.knows(&normalised) {
        return Ok(normalised);
    }
    Err(ApiError::new(
        Slug::UnprocessableEntity,
        format!(
            "unknown profile {wanted:?}; accepted profiles: {}",
            catalog.accepted().join(", ")
        ),
    ))
}

/// The kweb `POST /vms` body and notes for `status_message` (KCLI-014, KCLI-015).
///
/// # Errors
/// 422 for an unknown profile, a disallowed hint or a conflicting hint.
pub(crate) fn resolve(
    spec: &Map<String, Value>,
    id: &str,
    name: &str,
    catalog: &Catalog,
    default_profile: &str,
    rules: &HintRules,
) -> Result<(Value, Vec<String>), ApiError> {
    let profile = choose_profile(spec, catalog, default_profile)?;
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("profile".into(), json!(profile));
    if let Some(count) = spec
        .get("vcpu")
        .and_then(|v| v.get("count"))
        .and_then(Value::as_i64)
    {
        body.insert("numcpus".into(), json!(count));
    }
    if let Some(mib) = spec
        .get("memory")
        .and_then(|m| m.get("size"))
        .and_then(Value::as_str)
        .and_then(super::size_mib)
    {
        body.insert("memory".into(), json!(mib));
    }
    if let Some(disks) = spec
        .get("storage")
        .and_then(|s| s.get("disks"))
        .and_then(Value::as_array)
    {
        let size = |d: &Value| {
            d.get("capacity")
                .and_then(Value::as_str)
                .and_then(super::size_mib)
                .map(gib_ceil)
        };
        let is_boot = |d: &&Value| d.get("name").and_then(Value::as_str) == Some("boot");
        let boot = disks.iter().filter(is_boot).filter_map(size);
        let others = disks.iter().filter(|d| !is_boot(d)).filter_map(size);
        body.insert(
            "disks".into(),
            Value::Array(boot.chain(others).map(Value::from).collect()),
        );
    }
    if let Some(key) = spec
        .get("access")
        .and_then(|a| a.get("ssh_public_key"))
        .and_then(Value::as_str)
    {
        body.insert("keys".into(), json!([key.trim()]));
    }
    let hints = spec
        .get("provider_hints")
        .and_then(|h| h.get("kcli"))
        .and_then(Value::as_object);
    let mut notes = Vec::new();
    rules.apply(hints, &["profile"], &mut body, &mut notes)?;
    // The DCM id travels in kcli's `owner` metadata so adoption can read it
    // back from `GET /vms` (ORP-005, KCLI-005).
    body.insert(
        "owner".into(),
        json!(format!("{}{id}", crate::kweb::OWNER_PREFIX)),
    );
    if let Some(entry) = catalog.profiles.get(&profile) {
        for key in ["nets", "disks"] {
            if !body.contains_key(key)
                && let Some(value) = entry.get(key).filter(|v| !v.is_null())
            {
                body.insert(key.into(), value.clone());
            }
        }
    }
    Ok((Value::Object(body), notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HintsPolicy;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn val005_val006_bad_values_are_reported_by_field() {
        let errors = validate(&obj(json!({
            "service_type": "vm", "vcpu": {"count": 0}, "memory": {"size": "0GB"},
            "storage": {"disks": [{"name": "data", "capacity": "1XB"}]},
            "access": {"ssh_public_key": "ssh-rsa AAA\nrm -rf"}
        })))
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"spec.vcpu.count"), "{fields:?}");
        assert!(fields.contains(&"spec.memory.size"), "{fields:?}");
        assert!(
            fields.contains(&"spec.storage.disks[0].capacity"),
            "{fields:?}"
        );
        assert!(fields.contains(&"spec.storage.disks"), "{fields:?}");
        assert!(fields.contains(&"spec.access.ssh_public_key"), "{fields:?}");
    }

    #[test]
    fn kcli014_body_maps_units_and_boot_first() {
        let spec = obj(json!({
            "service_type": "vm", "vcpu": {"count": 2}, "memory": {"size": "4GB"},
            "storage": {"disks": [{"name": "data", "capacity": "1025MB"}, {"name": "boot", "capacity": "20GB"}]},
            "guest_os": {"type": "fedora-41"}, "access": {"ssh_public_key": "ssh-ed25519 AAAA x"},
            "metadata": {"labels": {"a": "b"}}
        }));
        validate(&spec).expect("valid");
        let mut catalog = Catalog {
            loaded: true,
            ..Catalog::default()
        };
        catalog.profiles.insert(
            "fedora41".into(),
            json!({"nets": ["default"], "disks": [10]}),
        );
        let rules = HintRules::new(HintsPolicy::Reject, &[]);
        let (body, _) =
            resolve(&spec, "x", "dcm-x", &catalog, "fedora41", &rules).expect("resolves");
        assert_eq!(
            body,
            json!({"name": "dcm-x", "profile": "fedora41", "numcpus": 2, "memory": 4096, "disks": [20, 2],
                   "keys": ["ssh-ed25519 AAAA x"], "owner": "dcm:x", "nets": ["default"]})
        );
    }

    #[test]
    fn kcli012_unknown_profile_lists_accepted_sorted() {
        let spec = obj(json!({"service_type": "vm", "guest_os": {"type": "plan9"}}));
        let mut catalog = Catalog {
            loaded: true,
            images: vec!["cirros.qcow2".into()],
            ..Catalog::default()
        };
        catalog.profiles.insert("small".into(), json!({}));
        let err = choose_profile(&spec, &catalog, "fedora41").expect_err("unknown");
        assert_eq!(err.slug, Slug::UnprocessableEntity);
        assert!(
            err.detail
                .as_deref()
                .is_some_and(|d| d.contains("cirros.qcow2, small")),
            "{err:?}"
        );
    }
}
