//! Create decisions: admission (API-030 to API-034, ORP-005), dispatch
//! (ORP-009, API-064), commit (API-014, API-064) and failure (API-015,
//! API-016, API-018, TMO-004).

use super::{IntentState, Origin};
use crate::kweb::Delivery;
use crate::spec::json_equal;
use crate::store::Record;

/// Result of admitting a create against what the store holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Admission {
    /// New: write the record and its intent; the caller calls kweb.
    Admitted,
    /// Same id, same type, JSON-equal spec (API-030): answer from the store.
    Replay(Box<Record>),
    /// A replay of an adopted resource: its spec is now known and stored
    /// (ORP-005); answered like a replay.
    SpecRecorded(Box<Record>),
    /// Different spec or type, `DELETING`, or a taken backend name
    /// (API-031 to API-034, KCLI-004): 409 with this reason.
    Conflict(String),
}

/// Decides a create for `incoming` given the record stored under its id and
/// the id owning its backend name, if any.
pub(crate) fn admit(
    existing: Option<Record>,
    name_owner: Option<&str>,
    incoming: &Record,
) -> Admission {
    let Some(existing) = existing else {
        return match name_owner {
            Some(owner) => Admission::Conflict(format!(
                "backend name {} is already used by {owner}",
                incoming.name
            )),
            None => Admission::Admitted,
        };
    };
    if existing.kind != incoming.kind {
        Admission::Conflict(format!(
            "id {} is already used by a {}",
            incoming.id,
            existing.kind.service_type()
        ))
    } else if existing.status.is_deleting() {
        Admission::Conflict(format!(
            "{} {} is being deleted",
            existing.kind.service_type(),
            incoming.id
        ))
    } else if json_equal(&existing.spec, &incoming.spec) {
        Admission::Replay(Box::new(existing))
    } else if existing.origin == Origin::Adopted {
        let mut updated = existing;
        updated.spec = incoming.spec.clone();
        updated.origin = Origin::Created;
        updated.status_message = "spec recorded from a create replay".into();
        Admission::SpecRecorded(Box::new(updated))
    } else {
        Admission::Conflict(format!(
            "id {} already exists with a different spec",
            incoming.id
        ))
    }
}

/// Whether a queued create is sent now that it has a kweb slot (ORP-009).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dispatch {
    /// Mark the intent dispatched and send the create.
    Send,
    /// A delete arrived while it waited: nothing was sent, so remove the
    /// record and publish `DELETED` (API-064: the create is cancelled).
    Cancel,
    /// Already dispatched once: never re-issued automatically (ORP-009);
    /// the monitor decides.
    Skip,
    /// The record is gone: drop the intent, send nothing.
    Forget,
}

/// Decides a dispatch from the record and intent as they are now.
pub(crate) fn dispatch(record: Option<&Record>, intent: Option<IntentState>) -> Dispatch {
    match (record, intent) {
        (None, _) => Dispatch::Forget,
        (Some(_), Some(IntentState::Dispatched { .. }) | None) => Dispatch::Skip,
        (Some(r), Some(IntentState::Pending)) if r.status.is_deleting() => Dispatch::Cancel,
        (Some(_), Some(IntentState::Pending)) => Dispatch::Send,
    }
}

/// What follows kweb's acceptance of a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Commit {
    /// Publish the first status (EVT-020) and track it.
    Track,
    /// A delete arrived meanwhile: delete the backend resource now (API-064).
    DeleteNow,
}

/// Applies kweb's acceptance to the stored record (clears nothing itself;
/// the caller drops the intent in the same write).
pub(crate) fn commit(record: &mut Record, now: u64) -> Commit {
    if record.status.is_deleting() {
        return Commit::DeleteNow;
    }
    record.status_message = format!("created {}, waiting for it to come up", record.name);
    record.update_ms = now;
    Commit::Track
}

/// What a failed create call leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CreateFailure {
    /// API-015: refused within the synchronous wait: remove record and
    /// intent without an event and answer the mapped problem.
    Reject,
    /// API-016: refused after the 201: `FAILED` with this message and an
    /// event; the record stays until deleted.
    Fail {
        /// `status_message` and event message.
        message: String,
    },
    /// API-018, TMO-004: kweb may still complete it: keep record and
    /// intent, publish the current status with this message, answer 201;
    /// the monitor decides.
    Undecided {
        /// `status_message` and event message.
        message: String,
    },
    /// API-064: deleted meanwhile and nothing was created: remove the
    /// record and publish `DELETED`.
    Cancelled,
}

/// Decides a failed create from the stored record, whether kweb may have
/// acted ([`Delivery`]) and whether the 201 has already been sent.
pub(crate) fn create_failed(
    record: &Record,
    delivery: Delivery,
    answered: bool,
    reason: &str,
) -> CreateFailure {
    match delivery {
        Delivery::Unknown => CreateFailure::Undecided {
            message: format!(
                "kweb may still be creating {} ({reason}); the monitor decides",
                record.name
            ),
        },
        Delivery::NotSent | Delivery::Refused if record.status.is_deleting() => {
            CreateFailure::Cancelled
        }
        Delivery::NotSent | Delivery::Refused if answered => CreateFailure::Fail {
            message: format!("creation failed: {reason}"),
        },
        Delivery::NotSent | Delivery::Refused => CreateFailure::Reject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Status;
    use crate::lifecycle::fixtures::{NOW, record};
    use crate::store::Kind;

    fn vm(status: Status) -> Record {
        record(Kind::Vm, status, 1)
    }

    #[test]
    fn admission_table() {
        let new = vm(Status::initial(Kind::Vm));
        let mut other_spec = new.clone();
        other_spec.spec = serde_json::json!({"service_type": "vm", "vcpu": {"count": 2}});
        let mut adopted = new.clone();
        adopted.origin = Origin::Adopted;
        adopted.spec = serde_json::json!({"service_type": "vm"});
        let mut cluster = new.clone();
        cluster.kind = Kind::Cluster;
        cluster.status = Status::initial(Kind::Cluster);
        let deleting = vm(Status::deleting(Kind::Vm));
        let rows = [
            ("API-010 new id", None, None, &new, "admitted"),
            (
                "KCLI-004 backend name taken",
                None,
                Some("x"),
                &new,
                "conflict",
            ),
            (
                "API-030 same spec is a replay",
                Some(new.clone()),
                None,
                &new,
                "replay",
            ),
            (
                "API-031 other spec",
                Some(new.clone()),
                None,
                &other_spec,
                "conflict",
            ),
            ("API-032 other type", Some(cluster), None, &new, "conflict"),
            (
                "API-062 being deleted",
                Some(deleting),
                None,
                &new,
                "conflict",
            ),
            (
                "ORP-005 adopted gets its spec",
                Some(adopted),
                None,
                &other_spec,
                "spec",
            ),
        ];
        for (id, existing, owner, incoming, want) in rows {
            let got = match admit(existing, owner, incoming) {
                Admission::Admitted => "admitted",
                Admission::Replay(_) => "replay",
                Admission::SpecRecorded(r) => {
                    assert_eq!(r.spec, other_spec.spec, "{id}");
                    assert_eq!(r.origin, Origin::Created, "{id}");
                    "spec"
                }
                Admission::Conflict(_) => "conflict",
            };
            assert_eq!(got, want, "{id}");
        }
    }

    #[test]
    fn orp009_dispatch_table() {
        let live = vm(Status::initial(Kind::Vm));
        let deleting = vm(Status::deleting(Kind::Vm));
        let sent = Some(IntentState::Dispatched { at_ms: NOW });
        let pending = Some(IntentState::Pending);
        let rows = [
            (
                "ORP-009 pending intent is sent",
                Some(&live),
                pending,
                Dispatch::Send,
            ),
            (
                "ORP-009 dispatched is never re-issued",
                Some(&live),
                sent,
                Dispatch::Skip,
            ),
            (
                "API-064 deleted while queued: cancelled",
                Some(&deleting),
                pending,
                Dispatch::Cancel,
            ),
            (
                "API-064 deleted after dispatch: monitor decides",
                Some(&deleting),
                sent,
                Dispatch::Skip,
            ),
            ("record gone: forget", None, pending, Dispatch::Forget),
            (
                "no intent: nothing to send",
                Some(&live),
                None,
                Dispatch::Skip,
            ),
        ];
        for (id, r, intent, want) in rows {
            assert_eq!(dispatch(r, intent), want, "{id}");
        }
    }

    #[test]
    fn api014_api064_commit_table() {
        let mut live = vm(Status::initial(Kind::Vm));
        assert_eq!(commit(&mut live, NOW), Commit::Track, "API-014");
        assert_eq!(live.status, Status::initial(Kind::Vm), "VOC-002");
        assert_eq!(live.update_ms, NOW);
        let mut deleting = vm(Status::deleting(Kind::Vm));
        assert_eq!(commit(&mut deleting, NOW), Commit::DeleteNow, "API-064");
        assert!(deleting.status.is_deleting());
    }

    #[test]
    fn api015_to_api018_create_failure_table() {
        let live = vm(Status::initial(Kind::Vm));
        let deleting = vm(Status::deleting(Kind::Vm));
        let rows = [
            (
                "API-015 refused in the wait",
                &live,
                Delivery::Refused,
                false,
                "reject",
            ),
            (
                "API-018 not sent is a rejection",
                &live,
                Delivery::NotSent,
                false,
                "reject",
            ),
            (
                "API-018 unknown outcome in the wait",
                &live,
                Delivery::Unknown,
                false,
                "undecided",
            ),
            (
                "API-016 refused after the 201",
                &live,
                Delivery::Refused,
                true,
                "fail",
            ),
            (
                "API-016 not sent after the 201",
                &live,
                Delivery::NotSent,
                true,
                "fail",
            ),
            (
                "TMO-004 unknown outcome after the 201",
                &live,
                Delivery::Unknown,
                true,
                "undecided",
            ),
            (
                "API-064 deleted, nothing created",
                &deleting,
                Delivery::Refused,
                true,
                "cancelled",
            ),
            (
                "API-064 deleted, maybe created",
                &deleting,
                Delivery::Unknown,
                true,
                "undecided",
            ),
        ];
        for (id, r, delivery, answered, want) in rows {
            let got = match create_failed(r, delivery, answered, "x") {
                CreateFailure::Reject => "reject",
                CreateFailure::Fail { .. } => "fail",
                CreateFailure::Undecided { .. } => "undecided",
                CreateFailure::Cancelled => "cancelled",
            };
            assert_eq!(got, want, "{id}");
        }
    }
}
