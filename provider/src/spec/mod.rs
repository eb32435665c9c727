//! Spec handling: schema checks (400, VAL-003 to VAL-010), resolution against
//! kweb (422, VAL-011, KCLI-010 to KCLI-023) and the kcli name (KCLI-003).
//!
//! [`vm`] and [`cluster`] each have `validate` (pure, schema only) and
//! `resolve` (needs the profile catalog and settings; builds the kweb body).

pub(crate) mod cluster;
pub(crate) mod hints;
pub(crate) mod vm;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::FieldError;

/// JSON value equality for replays (API-030): member order is ignored and
/// numbers compare by value (`1` equals `1.0`).
#[must_use]
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Collects field errors while walking a spec.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub Vec<FieldError>);

impl Errors {
    /// Records one problem.
    pub(crate) fn push(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
    }

    /// `Ok` when nothing was recorded.
    ///
    /// # Errors
    /// The recorded field errors.
    pub(crate) fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }

    /// The member `key` of `obj` as an object, recording a type error.
    pub(crate) fn object<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a Map<String, Value>> {
        match obj.get(key) {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                self.push(format!("{path}.{key}"), "must be an object");
                None
            }
        }
    }

    /// The member `key` as a string, recording a type error.
    pub(crate) fn string<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a str> {
        match obj.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.push(format!("{path}.{key}"), "must be a string");
                None
            }
        }
    }

    /// The member `key` as an integer ≥ `min`, recording problems.
    pub(crate) fn integer(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        min: i64,
    ) -> Option<i64> {
        match obj.get(key) {
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if v >= min => Some(v),
                _ => {
                    self.push(
                        format!("{path}.{key}"),
                        format!("must be an integer >= {min}"),
                    );
                    None
                }
            },
            Some(_) => {
                self.push(
                    format!("{path}.{key}"),
                    format!("must be an integer >= {min}"),
                );
                None
            }
        }
    }

    /// The member `key` as a size (`^[0-9]+(MB|GB|TB)$`, non-zero, VAL-005,
    /// VAL-006), returned in MiB.
    pub(crate) fn size(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<u64> {
        let text = self.string(obj, key, path)?;
        match size_mib(text) {
            Some(0) => {
                self.push(format!("{path}.{key}"), "must not be zero");
                None
            }
            Some(v) => Some(v),
            None => {
                self.push(format!("{path}.{key}"), "must match ^[0-9]+(MB|GB|TB)$");
                None
            }
        }
    }
}

/// Parses a DCM size in binary units (KCLI-016): `MB` = MiB, `GB` = GiB,
/// `TB` = TiB. Returns MiB; `None` when the text breaks the pattern or overflows.
#[must_use]
pub(crate) fn size_mib(text: &str) -> Option<u64> {
    let (digits, factor) = if let Some(d) = text.strip_suffix("MB") {
        (d, 1)
    } else if let Some(d) = text.strip_suffix("GB") {
        (d, 1024)
    } else {
        (text.strip_suffix("TB")?, 1024 * 1024)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// MiB → whole GiB, rounded up (KCLI-016 disk capacities).
#[must_use]
pub(crate) const fn gib_ceil(mib: u64) -> u64 {
    mib.div_ceil(1024)
}

/// Whether `name` matches `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` and is at most 63 long.
#[must_use]
pub(crate) fn is_dns_label(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Checks `metadata` (optional, API-013) and returns `metadata.name`.
pub(crate) fn check_metadata<'a>(
    errors: &mut Errors,
    spec: &'a Map<String, Value>,
) -> Option<&'a str> {
    let metadata = errors.object(spec, "metadata", "spec")?;
    let name = errors.string(metadata, "name", "spec.metadata")?;
    if !is_dns_label(name) {
        errors.push(
            "spec.metadata.name",
            "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ and be at most 63 characters",
        );
        return None;
    }
    if let Some(labels) = metadata.get("labels")
        && !labels.is_object()
    {
        errors.push("spec.metadata.labels", "must be an object");
    }
    Some(name)
}

/// Checks `service_type` against the endpoint's (VAL-004).
pub(crate) fn check_service_type(errors: &mut Errors, spec: &Map<String, Value>, expected: &str) {
    match spec.get("service_type") {
        Some(Value::String(s)) if s == expected => {}
        Some(Value::String(s)) => errors.push(
            "spec.service_type",
            format!("must be \"{expected}\", got {s:?}"),
        ),
        Some(_) => errors.push(
            "spec.service_type",
            format!("must be the string \"{expected}\""),
        ),
        None => errors.push(
            "spec.service_type",
            format!("is required and must be \"{expected}\""),
        ),
    }
}

/// The kcli name (KCLI-003): prefix + sanitised base, shortened with a hash
/// suffix when longer than `limit` (63 for VMs, 50 for clusters).
#[must_use]
pub(crate) fn kcli_name(prefix: &str, base: &str, limit: usize) -> String {
    let mut sanitised = String::with_capacity(base.len());
    for c in base.chars() {
        let c = c.to_ascii_lowercase();
        let keep = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if keep == '-' && sanitised.ends_with('-') {
            continue;
        }
        sanitised.push(keep);
    }
    let full = format!("{prefix}{}", sanitised.trim_matches('-'));
    if full.len() <= limit {
        return full;
    }
    let digest = Sha256::digest(base.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", &full[..limit - 9])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api030_json_equality_ignores_order_and_number_form() {
        assert!(json_equal(
            &json!({"a": 1, "b": [1, 2]}),
            &json!({"b": [1, 2.0], "a": 1.0})
        ));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 2})));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": null})));
    }

    #[test]
    fn kcli016_sizes_are_binary() {
        assert_eq!(size_mib("4GB"), Some(4096));
        assert_eq!(size_mib("512MB"), Some(512));
        assert_eq!(size_mib("1TB"), Some(1_048_576));
        assert_eq!(size_mib("4G"), None);
        assert_eq!(size_mib("GB"), None);
        assert_eq!(size_mib("-1GB"), None);
        assert_eq!(gib_ceil(1025), 2);
    }

    #[test]
    fn kcli003_names_are_sanitised_and_bounded() {
        assert_eq!(kcli_name("dcm-", "Web_01.Prod", 63), "dcm-web-01-prod");
        assert_eq!(kcli_name("dcm-", "a..__b", 63), "dcm-a-b");
        let long = "x".repeat(100);
        let name = kcli_name("dcm-", &long, 50);
        assert_eq!(name.len(), 50);
        assert_eq!(&name[..41], &format!("dcm-{}", "x".repeat(37)));
        let digest = Sha256::digest(long.as_bytes());
        let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        assert!(name.ends_with(&format!("-{hex}")));
        assert_eq!(kcli_name("dcm-", &long, 50), name, "deterministic");
    }
}
