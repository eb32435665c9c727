//! Cluster specs: schema checks and the kweb `POST /kubes` body (KCLI-020 to KCLI-023).

use serde_json::{Map, Value, json};

use super::hints::{HintRules, kcli_hints};
use super::{Errors, check_metadata, check_service_type, gib_ceil, json_equal};
use crate::error::{ApiError, FieldError, Slug};

/// Cluster types the provider accepts (KCLI-020), sorted.
pub(crate) const CLUSTER_TYPES: &[&str] =
    &["generic", "hypershift", "k3s", "microshift", "openshift"];

/// `nodes.workers`, or the `nodes.worker` alias (VAL-010).
fn workers(nodes: &Map<String, Value>) -> Option<&Value> {
    nodes.get("workers").or_else(|| nodes.get("worker"))
}

/// Schema checks of a cluster spec (VAL-003 to VAL-010, KCLI-040).
///
/// # Errors
/// Every field error found.
pub(crate) fn validate(spec: &Map<String, Value>) -> Result<(), Vec<FieldError>> {
    let mut errors = Errors::default();
    check_service_type(&mut errors, spec, "cluster");
    check_metadata(&mut errors, spec);
    errors.string(spec, "version", "spec");
    if let Some(nodes) = errors.object(spec, "nodes", "spec") {
        if let (Some(a), Some(b)) = (nodes.get("workers"), nodes.get("worker"))
            && !json_equal(a, b)
        {
            errors.push("spec.nodes.worker", "conflicts with spec.nodes.workers");
        }
        if let Some(cp) = errors.object(nodes, "control_plane", "spec.nodes") {
            if let Some(count) = errors.integer(cp, "count", "spec.nodes.control_plane", 1)
                && ![1, 3, 5].contains(&count)
            {
                errors.push("spec.nodes.control_plane.count", "must be 1, 3 or 5");
            }
            errors.integer(cp, "cpu", "spec.nodes.control_plane", 2);
            errors.size(cp, "memory", "spec.nodes.control_plane");
            errors.size(cp, "storage", "spec.nodes.control_plane");
        }
        let key = if nodes.contains_key("workers") {
            "workers"
        } else {
            "worker"
        };
        if let Some(w) = errors.object(nodes, key, "spec.nodes") {
            let path = format!("spec.nodes.{key}");
            errors.integer(w, "count", &path, 1);
            errors.integer(w, "cpu", &path, 1);
            errors.size(w, "memory", &path);
            errors.size(w, "storage", &path);
        }
    }
    if let Some(hints) = kcli_hints(&mut errors, spec)
        && let Some(t) = hints.get("cluster_type")
        && !t.is_string()
    {
        errors.push("spec.provider_hints.kcli.cluster_type", "must be a string");
    }
    errors.finish()
}

/// The kweb `POST /kubes` body and notes for `status_message`.
///
/// # Errors
/// 422 for an unsupported type or version, a disallowed or conflicting hint.
pub(crate) fn resolve(
    spec: &Map<String, Value>,
    name: &str,
    default_type: &str,
    rules: &HintRules,
) -> Result<(Value, Vec<String>), ApiError> {
    let hints = spec
        .get("provider_hints")
        .and_then(|h| h.get("kcli"))
        .and_then(Value::as_object);
    let kind = hints
        .and_then(|h| h.get("cluster_type"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(default_type);
    if !CLUSTER_TYPES.contains(&kind) {
        return Err(ApiError::new(
            Slug::UnprocessableEntity,
            format!(
                "unsupported cluster type {kind:?}; accepted cluster types: {}",
                CLUSTER_TYPES.join(", ")
            ),
        ));
    }
    let mut body = Map::new();
    let mut notes = Vec::new();
    body.insert("cluster".into(), json!(name));
    body.insert("kubetype".into(), json!(kind));
    let nodes = spec.get("nodes").and_then(Value::as_object);
    let cp = nodes
        .and_then(|n| n.get("control_plane"))
        .and_then(Value::as_object);
    let wk = nodes.and_then(workers).and_then(Value::as_object);
    let int =
        |o: Option<&Map<String, Value>>, k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_i64);
    let mib = |o: Option<&Map<String, Value>>, k: &str| {
        o.and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .and_then(super::size_mib)
    };
    for (key, value) in [
        ("ctlplanes", int(cp, "count")),
        ("workers", int(wk, "count")),
        ("ctlplane_numcpus", int(cp, "cpu")),
        ("worker_numcpus", int(wk, "cpu")),
    ] {
        if let Some(v) = value {
            body.insert(key.into(), json!(v));
        }
    }
    for (key, value) in [
        ("ctlplane_memory", mib(cp, "memory")),
        ("worker_memory", mib(wk, "memory")),
    ] {
        if let Some(v) = value {
            body.insert(key.into(), json!(v));
        }
    }
    if let Some(disk) = [mib(cp, "storage"), mib(wk, "storage")]
        .into_iter()
        .flatten()
        .max()
    {
        body.insert("disk_size".into(), json!(gib_ceil(disk)));
    }
    if let Some(version) = spec
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
    {
        map_version(kind, version, &mut body, &mut notes)?;
    }
    rules.apply(hints, &["cluster_type"], &mut body, &mut notes)?;
    Ok((Value::Object(body), notes))
}

/// KCLI-022 / KCLI-023.
fn map_version(
    kind: &str,
    version: &str,
    body: &mut Map<String, Value>,
    notes: &mut Vec<String>,
) -> Result<(), ApiError> {
    let trimmed = version.trim_start_matches('v');
    let parts: Vec<&str> = trimmed.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match kind {
        "generic" => {
            if !numeric || !(2..=3).contains(&parts.len()) {
                return Err(ApiError::new(
                    Slug::UnprocessableEntity,
                    format!(
                        "unsupported version {version:?} for generic clusters; accepted forms: x.yy, x.yy.z"
                    ),
                ));
            }
            body.insert("version".into(), json!(trimmed));
        }
        "k3s" => {
            if !numeric || parts.len() != 2 {
                return Err(ApiError::new(
                    Slug::UnprocessableEntity,
                    format!(
                        "unsupported version {version:?} for k3s clusters; accepted form: x.yy (a k3s channel)"
                    ),
                ));
            }
            body.insert("install_k3s_channel".into(), json!(format!("v{trimmed}")));
        }
        other => notes.push(format!(
            "version {version} is not forwarded for {other} clusters"
        )),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HintsPolicy;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn kcli021_body_uses_kcli_parameter_names() {
        let spec = obj(json!({
            "service_type": "cluster", "version": "1.31",
            "nodes": {"control_plane": {"count": 3, "cpu": 4, "memory": "8GB", "storage": "40GB"},
                      "worker": {"count": 2, "cpu": 2, "memory": "4GB", "storage": "60GB"}},
            "provider_hints": {"kcli": {"cluster_type": "k3s", "image": "ubuntu2404"}}
        }));
        validate(&spec).expect("valid");
        let rules = HintRules::new(HintsPolicy::Reject, &[]);
        let (body, notes) = resolve(&spec, "dcm-c", "generic", &rules).expect("resolves");
        assert_eq!(
            body,
            json!({"cluster": "dcm-c", "kubetype": "k3s", "ctlplanes": 3, "workers": 2, "ctlplane_numcpus": 4,
                   "worker_numcpus": 2, "ctlplane_memory": 8192, "worker_memory": 4096, "disk_size": 60,
                   "install_k3s_channel": "v1.31", "image": "ubuntu2404"})
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn kcli020_kind_is_refused_with_accepted_list() {
        let spec = obj(
            json!({"service_type": "cluster", "provider_hints": {"kcli": {"cluster_type": "kind"}}}),
        );
        let rules = HintRules::new(HintsPolicy::Reject, &[]);
        let err = resolve(&spec, "dcm-c", "generic", &rules).expect_err("kind");
        assert_eq!(err.slug, Slug::UnprocessableEntity);
        assert!(
            err.detail
                .as_deref()
                .is_some_and(|d| d.contains("generic, hypershift, k3s, microshift, openshift"))
        );
    }

    #[test]
    fn val005_control_plane_count_and_worker_alias_conflict() {
        let spec = obj(json!({"service_type": "cluster", "nodes": {
            "control_plane": {"count": 2, "cpu": 1}, "workers": {"count": 1}, "worker": {"count": 2}}}));
        let errors = validate(&spec).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"spec.nodes.control_plane.count"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"spec.nodes.control_plane.cpu"),
            "{fields:?}"
        );
        assert!(fields.contains(&"spec.nodes.worker"), "{fields:?}");
    }
}
