//! Delete decisions (API-060 to API-065, TMO-002, VOC-004).

use super::Status;
use crate::kweb::Delivery;
use crate::store::Record;

/// What a delete request does first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteStart {
    /// Already `DELETING`: 204 without a second backend delete (API-062).
    AlreadyDeleting,
    /// Mark it `DELETING` ([`mark_deleting`]) and delete in kweb.
    Mark,
}

/// Decides a delete request for `record`.
pub(crate) fn start_delete(record: &Record) -> DeleteStart {
    if record.status.is_deleting() {
        DeleteStart::AlreadyDeleting
    } else {
        DeleteStart::Mark
    }
}

/// Marks `record` `DELETING`, keeping the status to restore (VOC-004, API-065).
pub(crate) fn mark_deleting(record: &mut Record, now: u64) {
    if !record.status.is_deleting() {
        record.previous_status = Some(record.status);
    }
    record.status = Status::deleting(record.kind);
    record.status_message = format!("deleting {}", record.name);
    record.update_ms = now;
}

/// What a failed backend delete leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteFailure {
    /// A definite failure: back to the previous status (API-065).
    Restore,
    /// kweb may still delete it (timeout, cut connection): stays `DELETING`
    /// and the monitor re-checks (TMO-002, API-018).
    StayDeleting,
}

/// Applies a failed delete of a request (`by_request`) or of the monitor to
/// `record` and says which way it went. The monitor's own re-deletes never
/// restore: DCM was told the delete is under way, so it keeps retrying.
pub(crate) fn delete_failed(
    record: &mut Record,
    delivery: Delivery,
    by_request: bool,
    reason: &str,
    now: u64,
) -> DeleteFailure {
    record.update_ms = now;
    match delivery {
        Delivery::NotSent | Delivery::Refused if by_request && record.status.is_deleting() => {
            record.status = record
                .previous_status
                .take()
                .unwrap_or_else(|| Status::initial(record.kind));
            record.status_message = format!("delete failed: {reason}");
            DeleteFailure::Restore
        }
        Delivery::NotSent | Delivery::Refused => {
            record.status_message = format!("delete failed: {reason}; retried after KWEB_TIMEOUT");
            DeleteFailure::StayDeleting
        }
        Delivery::Unknown => {
            record.status_message = format!(
                "delete of {} sent, outcome unknown ({reason}); re-checked by the monitor",
                record.name
            );
            DeleteFailure::StayDeleting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fixtures::{NOW, record};
    use crate::lifecycle::{ClusterStatus, VmStatus};
    use crate::store::Kind;

    #[test]
    fn api062_voc004_start_table() {
        let running = record(Kind::Vm, Status::Vm(VmStatus::Running), 60);
        assert_eq!(start_delete(&running), DeleteStart::Mark, "API-060");
        let deleting = record(Kind::Vm, Status::deleting(Kind::Vm), 60);
        assert_eq!(
            start_delete(&deleting),
            DeleteStart::AlreadyDeleting,
            "API-062"
        );
        let mut marked = running;
        mark_deleting(&mut marked, NOW);
        assert!(marked.status.is_deleting(), "VOC-004");
        assert_eq!(marked.previous_status, Some(Status::Vm(VmStatus::Running)));
        assert_eq!(marked.update_ms, NOW);
    }

    #[test]
    fn api065_tmo002_failure_table() {
        let active = Status::Cluster(ClusterStatus::Active);
        let rows = [
            (
                "API-065 definite failure restores",
                Delivery::Refused,
                true,
                DeleteFailure::Restore,
                Some(active),
            ),
            (
                "API-065 not sent restores",
                Delivery::NotSent,
                true,
                DeleteFailure::Restore,
                Some(active),
            ),
            (
                "TMO-002 timeout stays DELETING",
                Delivery::Unknown,
                true,
                DeleteFailure::StayDeleting,
                None,
            ),
            (
                "TMO-002 monitor re-delete keeps DELETING",
                Delivery::Refused,
                false,
                DeleteFailure::StayDeleting,
                None,
            ),
        ];
        for (id, delivery, by_request, want, restored) in rows {
            let mut r = record(Kind::Cluster, active, 60);
            mark_deleting(&mut r, NOW - 10);
            assert_eq!(
                delete_failed(&mut r, delivery, by_request, "x", NOW),
                want,
                "{id}"
            );
            match restored {
                Some(status) => assert_eq!(r.status, status, "{id}"),
                None => assert!(r.status.is_deleting(), "{id}"),
            }
            assert_eq!(r.update_ms, NOW, "{id}");
        }
    }
}
