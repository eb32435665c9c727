//! JSON Schemas derived from [`crate::sp::shapes`] and the validators built
//! from them. The schemas are snapshot-tested (`snapshots/`), so any change
//! to a wire shape is reviewed like code.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde_json::Value;

use crate::sp::shapes;

/// The wire shapes the suite validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// [`shapes::Resource`].
    Resource,
    /// [`shapes::ResourceList`].
    ResourceList,
    /// [`shapes::Problem`].
    Problem,
    /// [`shapes::Health`].
    Health,
    /// [`shapes::Registration`].
    Registration,
    /// [`shapes::CloudEvent`].
    CloudEvent,
}

impl Shape {
    /// Every shape, in a fixed order.
    pub const ALL: [Shape; 6] = [
        Shape::Resource,
        Shape::ResourceList,
        Shape::Problem,
        Shape::Health,
        Shape::Registration,
        Shape::CloudEvent,
    ];

    /// Stable lower-case name (`resource`, `resource-list`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Shape::Resource => "resource",
            Shape::ResourceList => "resource-list",
            Shape::Problem => "problem",
            Shape::Health => "health",
            Shape::Registration => "registration",
            Shape::CloudEvent => "cloud-event",
        }
    }

    /// The JSON Schema (draft 2020-12) of this shape.
    #[must_use]
    pub fn schema(self) -> Value {
        match self {
            Shape::Resource => schema_of::<shapes::Resource>(),
            Shape::ResourceList => schema_of::<shapes::ResourceList>(),
            Shape::Problem => schema_of::<shapes::Problem>(),
            Shape::Health => schema_of::<shapes::Health>(),
            Shape::Registration => schema_of::<shapes::Registration>(),
            Shape::CloudEvent => schema_of::<shapes::CloudEvent>(),
        }
    }
}

fn schema_of<T: JsonSchema>() -> Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

fn validators() -> &'static BTreeMap<Shape, jsonschema::Validator> {
    static CELL: OnceLock<BTreeMap<Shape, jsonschema::Validator>> = OnceLock::new();
    CELL.get_or_init(|| {
        Shape::ALL
            .into_iter()
            .filter_map(|shape| {
                jsonschema::options()
                    .should_validate_formats(true)
                    .build(&shape.schema())
                    .ok()
                    .map(|v| (shape, v))
            })
            .collect()
    })
}

/// Validates `instance` against `shape`.
///
/// # Errors
/// Returns one readable line per violation (`/path: message`).
pub fn validate(shape: Shape, instance: &Value) -> Result<(), Vec<String>> {
    let Some(validator) = validators().get(&shape) else {
        return Err(vec![format!(
            "internal: the {} schema does not compile",
            shape.name()
        )]);
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| {
            let path = e.instance_path().to_string();
            format!("{}: {e}", if path.is_empty() { "/" } else { &path })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles() {
        assert_eq!(validators().len(), Shape::ALL.len());
    }

    #[test]
    fn schemas_are_snapshotted() {
        for shape in Shape::ALL {
            insta::with_settings!({snapshot_path => "../../../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_json_snapshot!(format!("sp_schema_{}", shape.name()), shape.schema());
            });
        }
    }

    #[test]
    fn float_uptime_and_string_data_are_refused() {
        let health = serde_json::json!({"status": "healthy", "version": "1", "uptime": 1.5});
        assert!(validate(Shape::Health, &health).is_err());
        let event = serde_json::json!({"specversion": "1.0", "id": "5f0c2c1e-8a3b-4c55-9a57-0d2f3f1e7b21",
            "source": "dcm/providers/x", "type": "dcm.status.vm", "subject": "dcm.vm",
            "time": "2026-09-01T10:05:00Z", "datacontenttype": "application/json", "data": "{}"});
        assert!(validate(Shape::CloudEvent, &event).is_err());
    }

    #[test]
    fn registration_with_read_only_member_is_refused() {
        let ok = serde_json::json!({"name": "kcli-vm", "service_type": "vm", "schema_version": "v1alpha1",
            "endpoint": "http://kcli-sp:8080/api/v1alpha1/vms"});
        assert!(validate(Shape::Registration, &ok).is_ok());
        let mut bad = ok.clone();
        bad["id"] = serde_json::json!("x");
        assert!(validate(Shape::Registration, &bad).is_err());
    }
}
