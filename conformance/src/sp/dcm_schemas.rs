//! DCM's own service-type schemas (`dcm-project/control-plane`,
//! `api/catalog/v1alpha1/servicetypes/`; commits in
//! `conformance/contract/dcm-schemas/PROVENANCE`), embedded in the binary and
//! resolved into one self-contained JSON Schema per service type: every
//! `$ref` (local or `../common.yaml#/…`) inlined and every `allOf` merged.
//!
//! The generated checks ([`crate::sp::generated`]) build specs from these
//! resolved schemas; they are DCM's view of a spec, not the suite's own
//! wire schemas ([`crate::sp::schemas`]).

use serde_json::{Map, Value};

const COMMON: &str = include_str!("../../contract/dcm-schemas/servicetypes/common.yaml");
const VM: &str = include_str!("../../contract/dcm-schemas/servicetypes/vm/spec.yaml");
const CLUSTER: &str = include_str!("../../contract/dcm-schemas/servicetypes/cluster/spec.yaml");

/// The service types DCM publishes a vendored schema for.
pub const SERVICE_TYPES: &[&str] = &["vm", "cluster"];

/// The resolved JSON Schema of `service_type`'s spec (`VMSpec`,
/// `ClusterSpec`): an object schema with merged `properties`, `required` and
/// `additionalProperties`, no `$ref` and no `allOf` left.
///
/// # Errors
/// An unknown service type, a vendored file that does not parse, or a `$ref`
/// that does not resolve (a broken vendoring, reported, never a panic).
pub fn spec_schema(service_type: &str) -> Result<Value, String> {
    let (doc, name) = match service_type {
        "vm" => (VM, "VMSpec"),
        "cluster" => (CLUSTER, "ClusterSpec"),
        other => return Err(format!("DCM publishes no vendored schema for `{other}`")),
    };
    let docs = Docs {
        own: parse(doc)?,
        common: parse(COMMON)?,
    };
    let root = docs
        .own
        .pointer(&format!("/components/schemas/{name}"))
        .cloned()
        .ok_or_else(|| format!("{name} is missing from the vendored schema"))?;
    docs.resolve(&root, false, 0)
}

fn parse(text: &str) -> Result<Value, String> {
    serde_yaml_ng::from_str(text).map_err(|e| format!("vendored DCM schema does not parse: {e}"))
}

struct Docs {
    own: Value,
    common: Value,
}

impl Docs {
    /// Inlines `$ref`s (`in_common`: relative to common.yaml) and merges `allOf`.
    fn resolve(&self, schema: &Value, in_common: bool, depth: u32) -> Result<Value, String> {
        if depth > 32 {
            return Err("vendored DCM schema: $ref nesting deeper than 32".into());
        }
        let Some(obj) = schema.as_object() else {
            return Ok(schema.clone());
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
            let (doc, common) = match file {
                "" if in_common => (&self.common, true),
                "" => (&self.own, false),
                "../common.yaml" => (&self.common, true),
                other => return Err(format!("vendored DCM schema: unknown $ref file `{other}`")),
            };
            let target = doc
                .pointer(pointer)
                .ok_or_else(|| format!("vendored DCM schema: `{reference}` does not resolve"))?;
            return self.resolve(target, common, depth + 1);
        }
        let mut out = Map::new();
        for (k, v) in obj {
            let resolved = match k.as_str() {
                "properties" => Value::Object(
                    v.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(name, s)| Ok((name.clone(), self.resolve(s, in_common, depth + 1)?)))
                        .collect::<Result<Map<String, Value>, String>>()?,
                ),
                "items" | "additionalProperties" => self.resolve(v, in_common, depth + 1)?,
                "allOf" => continue,
                _ => v.clone(),
            };
            out.insert(k.clone(), resolved);
        }
        for part in obj
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let part = self.resolve(part, in_common, depth + 1)?;
            merge(&mut out, &part);
        }
        Ok(Value::Object(out))
    }
}

/// Merges an `allOf` member into `out`: properties and required lists are
/// united; `additionalProperties` stays allowed unless a member forbids it.
fn merge(out: &mut Map<String, Value>, part: &Value) {
    let Some(part) = part.as_object() else { return };
    for (k, v) in part {
        match k.as_str() {
            "properties" => {
                let props = out
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let (Some(dst), Some(src)) = (props.as_object_mut(), v.as_object()) {
                    for (name, s) in src {
                        dst.insert(name.clone(), s.clone());
                    }
                }
            }
            "required" => {
                let req = out
                    .entry("required")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let (Some(dst), Some(src)) = (req.as_array_mut(), v.as_array()) {
                    for r in src {
                        if !dst.contains(r) {
                            dst.push(r.clone());
                        }
                    }
                }
            }
            "additionalProperties" if v == &Value::Bool(false) => {
                out.insert(k.clone(), v.clone());
            }
            _ => {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vm_and_cluster_resolve_without_refs() {
        for st in SERVICE_TYPES {
            let schema = spec_schema(st).expect("resolves");
            let text = schema.to_string();
            assert!(!text.contains("$ref"), "{st}: {text}");
            assert!(!text.contains("allOf"), "{st}: {text}");
        }
    }

    /// (service type, spec, valid under DCM's schema)
    #[test]
    fn resolved_schemas_judge_like_dcm() {
        let boot = json!({"disks": [{"name": "boot", "capacity": "20GB"}]});
        let cases = [
            (
                "vm",
                json!({"service_type": "vm", "metadata": {"name": "a"}, "vcpu": {"count": 2},
                "memory": {"size": "4GB"}, "storage": boot, "guest_os": {"type": "rhel-9"},
                "extra": {"any": true}}),
                true,
            ),
            (
                "vm",
                json!({"service_type": "vm", "metadata": {"name": "a"}, "vcpu": {"count": 0},
                "memory": {"size": "4GB"}, "storage": boot, "guest_os": {"type": "rhel-9"}}),
                false,
            ),
            (
                "vm",
                json!({"service_type": "vm", "metadata": {"name": "a"}, "vcpu": {"count": 1},
                "memory": {"size": "4XB"}, "storage": boot, "guest_os": {"type": "rhel-9"}}),
                false,
            ),
            (
                "vm",
                json!({"service_type": "vm", "vcpu": {"count": 1}}),
                false,
            ),
            (
                "cluster",
                json!({"service_type": "cluster", "metadata": {"name": "c"}, "version": "1.30",
                "nodes": {"control_plane": {"count": 3}}}),
                true,
            ),
            (
                "cluster",
                json!({"service_type": "cluster", "metadata": {"name": "c"}, "version": "1.30",
                "nodes": {"control_plane": {"count": 2}}}),
                false,
            ),
            (
                "cluster",
                json!({"service_type": "cluster", "metadata": {"name": "c"}, "version": "1.30",
                "provider_hints": {"aws": "not an object"}}),
                false,
            ),
        ];
        for (st, spec, valid) in cases {
            let schema = spec_schema(st).expect("resolves");
            let validator = jsonschema::validator_for(&schema).expect("compiles");
            assert_eq!(validator.is_valid(&spec), valid, "{st}: {spec}");
        }
    }

    #[test]
    fn unknown_service_type_is_an_error() {
        assert!(spec_schema("database").is_err());
    }
}
