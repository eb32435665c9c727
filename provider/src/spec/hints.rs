//! Provider hints (`spec.provider_hints.kcli`): allowlist (SEC-005, SEC-006,
//! contract §14.5) and conflicts with spec-derived parameters (KCLI-041).

use serde_json::{Map, Value};

use super::{Errors, json_equal};
use crate::config::HintsPolicy;
use crate::error::{ApiError, Slug};

/// Default allowlist (contract §14.5): the Go provider's list without the
/// host-exposing keys of SEC-006.
pub(crate) const DEFAULT_ALLOWED: &[&str] = &[
    "image",
    "network",
    "pool",
    "numcpus",
    "memory",
    "disks",
    "nets",
    "dns",
    "domain",
    "reservedns",
    "reservehost",
    "start",
    "keys",
    "cloudinit",
    "autostart",
    "flavor",
    "storemetadata",
    "placement",
    "cpuhotplug",
    "memoryhotplug",
    "numa",
    "tpm",
    "rng",
    "zerotier_net",
    "virttype",
    "tags",
    "ctlplanes",
    "workers",
    "version",
    "sdn",
    "network_type",
    "api_ip",
];

/// Keys that may never be added, even through `HINTS_EXTRA_ALLOWED` (SEC-006).
pub(crate) const FORBIDDEN: &[&str] = &[
    "cmds",
    "scripts",
    "files",
    "rootpassword",
    "enableroot",
    "rhnregister",
    "sharedfolders",
    "kernel",
    "initrd",
    "cmdline",
    "iso",
    "yamlinventory",
    "pcidevices",
];

/// Reads `spec.provider_hints.kcli` (KCLI-040): other providers' hints are
/// ignored; a non-object `kcli` is a 400.
pub(crate) fn kcli_hints<'a>(
    errors: &mut Errors,
    spec: &'a Map<String, Value>,
) -> Option<&'a Map<String, Value>> {
    let hints = errors.object(spec, "provider_hints", "spec")?;
    errors.object(hints, "kcli", "spec.provider_hints")
}

/// The hint policy and the effective allowlist.
#[derive(Debug, Clone)]
pub(crate) struct HintRules {
    /// Reject or drop unknown keys.
    pub(crate) policy: HintsPolicy,
    /// Allowed keys, sorted.
    pub(crate) allowed: Vec<String>,
}

impl HintRules {
    /// Default allowlist plus `extra` (forbidden keys are never added).
    #[must_use]
    pub(crate) fn new(policy: HintsPolicy, extra: &[String]) -> Self {
        let mut allowed: Vec<String> = DEFAULT_ALLOWED.iter().map(|s| (*s).to_owned()).collect();
        for key in extra {
            let key = key.trim();
            if !key.is_empty() && !FORBIDDEN.contains(&key) && !allowed.iter().any(|k| k == key) {
                allowed.push(key.to_owned());
            }
        }
        allowed.sort();
        Self { policy, allowed }
    }

    /// Merges the hints into `body`, skipping `consumed` keys. A key outside
    /// the allowlist is a 422 (or dropped with a note); a hint that repeats a
    /// parameter already in `body` with another value is a 422 (KCLI-041).
    ///
    /// # Errors
    /// 422 `unprocessable-entity` naming the key and the accepted keys.
    pub(crate) fn apply(
        &self,
        hints: Option<&Map<String, Value>>,
        consumed: &[&str],
        body: &mut Map<String, Value>,
        notes: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let Some(hints) = hints else { return Ok(()) };
        let mut dropped = Vec::new();
        for (key, value) in hints {
            if consumed.contains(&key.as_str()) {
                continue;
            }
            if !self.allowed.iter().any(|k| k == key) {
                match self.policy {
                    HintsPolicy::Reject => {
                        return Err(ApiError::new(
                            Slug::UnprocessableEntity,
                            format!(
                                "provider hint {key:?} is not allowed; accepted hints: {}",
                                self.allowed.join(", ")
                            ),
                        ));
                    }
                    HintsPolicy::Drop => {
                        dropped.push(key.clone());
                        continue;
                    }
                }
            }
            match body.get(key) {
                Some(existing) if !json_equal(existing, value) => {
                    return Err(ApiError::new(
                        Slug::UnprocessableEntity,
                        format!(
                            "provider hint {key:?} conflicts with the value derived from the spec"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    body.insert(key.clone(), value.clone());
                }
            }
        }
        if !dropped.is_empty() {
            notes.push(format!(
                "dropped provider hints not on the allowlist: {}",
                dropped.join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sec006_forbidden_keys_stay_out() {
        let rules = HintRules::new(HintsPolicy::Reject, &["iso".into(), "color".into()]);
        assert!(!rules.allowed.iter().any(|k| k == "iso"));
        assert!(rules.allowed.iter().any(|k| k == "color"));
        for key in FORBIDDEN {
            assert!(!DEFAULT_ALLOWED.contains(key), "{key}");
        }
    }

    #[test]
    fn sec005_and_kcli041() {
        let rules = HintRules::new(HintsPolicy::Reject, &[]);
        let mut body = json!({"numcpus": 2}).as_object().cloned().expect("object");
        let mut notes = Vec::new();
        let bad = json!({"cmds": ["rm -rf /"]});
        assert!(
            rules
                .apply(bad.as_object(), &[], &mut body, &mut notes)
                .is_err()
        );
        let conflict = json!({"numcpus": 4});
        assert!(
            rules
                .apply(conflict.as_object(), &[], &mut body, &mut notes)
                .is_err()
        );
        let same = json!({"numcpus": 2, "image": "x"});
        rules
            .apply(same.as_object(), &[], &mut body, &mut notes)
            .expect("equal value is fine");
        assert_eq!(body.get("image"), Some(&json!("x")));
        let drop_rules = HintRules::new(HintsPolicy::Drop, &[]);
        drop_rules
            .apply(bad.as_object(), &[], &mut body, &mut notes)
            .expect("dropped");
        assert!(!body.contains_key("cmds"));
        assert_eq!(notes.len(), 1);
    }
}
