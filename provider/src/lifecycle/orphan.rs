//! Orphan policy and adoption (ORP-004 to ORP-006).

use std::time::Duration;

use serde_json::json;

use super::{Origin, passed};
use crate::clock::Clock;
use crate::config::OrphanPolicy;
use crate::id::InstanceId;
use crate::store::{Kind, Record};

/// What to do with one orphan this poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrphanAction {
    /// Keep it in the report only (ORP-003, ORP-004 `report`).
    Report,
    /// Re-create its record under the DCM id it carries (ORP-005).
    Adopt(InstanceId),
    /// Delete it in kweb (ORP-006).
    Delete,
}

/// Decides for an orphan seen on `polls` consecutive polls since
/// `first_seen_ms`, carrying `dcm_id` when kweb lists one.
pub(crate) fn orphan_action(
    policy: OrphanPolicy,
    dcm_id: Option<&str>,
    polls: u32,
    first_seen_ms: u64,
    now: u64,
    create_grace: Duration,
) -> OrphanAction {
    match policy {
        OrphanPolicy::Report => OrphanAction::Report,
        // ORP-005: only orphans carrying a valid instance id.
        OrphanPolicy::Adopt => dcm_id
            .and_then(|id| InstanceId::parse(id).ok())
            .map_or(OrphanAction::Report, OrphanAction::Adopt),
        // ORP-006: two consecutive polls and older than CREATE_GRACE_PERIOD.
        OrphanPolicy::Delete if polls >= 2 && passed(now, first_seen_ms, create_grace) => {
            OrphanAction::Delete
        }
        OrphanPolicy::Delete => OrphanAction::Report,
    }
}

/// The record of an adopted orphan (ORP-005): `spec` holds only
/// `service_type` and `metadata.name` (its name without `prefix`), and the
/// message says it was adopted.
pub(crate) fn adopted(
    kind: Kind,
    name: &str,
    id: &InstanceId,
    prefix: &str,
    clock: &Clock,
) -> Record {
    let base = name.strip_prefix(prefix).unwrap_or(name);
    Record::new(
        id.as_str().to_owned(),
        kind,
        name.to_owned(),
        json!({"service_type": kind.service_type(), "metadata": {"name": base}}),
        Origin::Adopted,
        format!("adopted {name}: the original spec is unknown"),
        clock,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 10_000_000;
    const GRACE: Duration = Duration::from_secs(600);

    #[test]
    fn orp004_to_orp006_policy_table() {
        let old = NOW - 700_000;
        let young = NOW - 1_000;
        let id = InstanceId::parse("vm-1").ok();
        let rows = [
            (
                "ORP-004 report never acts",
                OrphanPolicy::Report,
                Some("vm-1"),
                5,
                old,
                OrphanAction::Report,
            ),
            (
                "ORP-005 adopt with an id",
                OrphanPolicy::Adopt,
                Some("vm-1"),
                1,
                young,
                id.clone().map_or(OrphanAction::Report, OrphanAction::Adopt),
            ),
            (
                "ORP-005 no id stays in the report",
                OrphanPolicy::Adopt,
                None,
                5,
                old,
                OrphanAction::Report,
            ),
            (
                "ORP-005 invalid id stays in the report",
                OrphanPolicy::Adopt,
                Some("-bad"),
                5,
                old,
                OrphanAction::Report,
            ),
            (
                "ORP-006 delete after two polls and grace",
                OrphanPolicy::Delete,
                None,
                2,
                old,
                OrphanAction::Delete,
            ),
            (
                "ORP-006 one poll is not enough",
                OrphanPolicy::Delete,
                None,
                1,
                old,
                OrphanAction::Report,
            ),
            (
                "ORP-006 younger than grace is kept",
                OrphanPolicy::Delete,
                None,
                3,
                young,
                OrphanAction::Report,
            ),
        ];
        for (row, policy, dcm_id, polls, first, want) in rows {
            assert_eq!(
                orphan_action(policy, dcm_id, polls, first, NOW, GRACE),
                want,
                "{row}"
            );
        }
    }

    #[test]
    fn orp005_adopted_record() {
        let id = InstanceId::parse("vm-1").expect("id");
        let r = adopted(Kind::Vm, "dcm-web", &id, "dcm-", &Clock::new());
        assert_eq!(r.origin, Origin::Adopted);
        assert_eq!(
            r.spec,
            json!({"service_type": "vm", "metadata": {"name": "web"}})
        );
        assert!(r.status_message.starts_with("adopted dcm-web"));
        assert_eq!(r.status.as_str(), "PROVISIONING");
    }
}
