//! Poll decisions: one tracked record against one kweb observation
//! (contract §10, ORP-007, ORP-009, TMO-004, TMO-005).

use serde_json::{Value, json};

use super::{ClusterStatus, Decision, IntentState, Policy, Stage, Status, VmStatus, passed};
use crate::kweb::VmEntry;
use crate::status::{VmState, map_vm};
use crate::store::Record;

/// Since when a create counts for its grace period or timeout: the
/// dispatch of a still-open intent (ORP-009), else the record's creation.
const fn create_base(record: &Record, intent: Option<IntentState>) -> u64 {
    match intent {
        Some(IntentState::Dispatched { at_ms }) => at_ms,
        _ => record.create_ms,
    }
}

/// A `DELETING` resource still listed: resume its delete at once when the
/// delete began before this process started (nothing is running it),
/// otherwise once `KWEB_TIMEOUT` has passed (ORP-009, TMO-002).
fn redelete_due(record: &Record, now: u64, policy: &Policy) -> bool {
    record.update_ms < policy.started_ms || passed(now, record.update_ms, policy.redelete_after)
}

/// Stores `new` when it differs from `old` or the intent is to be cleared;
/// `update_ms` moves only with the status.
fn write(
    old: &Record,
    mut new: Record,
    outputs: Option<Value>,
    clear_intent: bool,
    now: u64,
) -> Decision {
    new.update_ms = if new.status == old.status {
        old.update_ms
    } else {
        now
    };
    if new == *old && !clear_intent {
        return Decision::Keep;
    }
    Decision::Write {
        record: Box::new(new),
        outputs,
        clear_intent,
    }
}

/// Refuses a removal decided from a kweb list that may predate the record's
/// last change (`listed_ms`: when the list request started): a create
/// that committed, or a delete that began, after the list was taken may
/// have a resource the list does not show. The next poll decides.
pub(crate) fn not_stale(decision: Decision, record: &Record, listed_ms: u64) -> Decision {
    match decision {
        Decision::Remove { .. } if record.update_ms >= listed_ms => Decision::Keep,
        other => other,
    }
}

/// One poll's decision for a tracked VM. `entry` is its `GET /vms` row
/// (`None`: not listed, with the list itself known good), `backend` the
/// kweb client type (contract §10.3).
pub(crate) fn vm(
    record: &Record,
    intent: Option<IntentState>,
    entry: Option<&VmEntry>,
    backend: &str,
    now: u64,
    policy: &Policy,
) -> Decision {
    let dispatched = matches!(intent, Some(IntentState::Dispatched { .. }));
    let Some(entry) = entry else {
        return vm_missing(record, intent, now, policy);
    };
    if record.status.is_deleting() {
        return if redelete_due(record, now, policy) {
            Decision::Redelete
        } else {
            Decision::Keep
        };
    }
    if intent == Some(IntentState::Pending) {
        // Its create has not been sent by this process yet.
        return Decision::Keep;
    }
    let young = !passed(now, create_base(record, intent), policy.create_grace);
    let mut seen_running = record.seen_running;
    let mut unknown_since = None;
    let (status, message) = match map_vm(entry.status.as_deref(), backend) {
        VmState::Running => {
            seen_running = true;
            (VmStatus::Running, "VM is running".to_owned())
        }
        // VOC-006: off and never seen running within the grace period.
        VmState::Off if !record.seen_running && young => {
            (VmStatus::Provisioning, "VM is being provisioned".to_owned())
        }
        VmState::Off => (VmStatus::Stopped, "VM is powered off".to_owned()),
        VmState::Provisioning => (VmStatus::Provisioning, "VM is being provisioned".to_owned()),
        VmState::Paused => (VmStatus::Paused, "VM is paused".to_owned()),
        VmState::Stopping => (VmStatus::Stopping, "VM is shutting down".to_owned()),
        VmState::Failed => (
            VmStatus::Failed,
            format!(
                "backend reports the VM as {}",
                entry.status.as_deref().unwrap_or("failed")
            ),
        ),
        VmState::Unknown(raw) => {
            // VOC-005: keep the last status and flag the raw state, then
            // FAILED after UNKNOWN_STATE_TIMEOUT.
            let since = record.unknown_since_ms.unwrap_or(now);
            unknown_since = Some(since);
            if passed(now, since, policy.unknown_state_timeout) {
                (
                    VmStatus::Failed,
                    format!(
                        "backend state {raw:?} could not be mapped for longer than UNKNOWN_STATE_TIMEOUT"
                    ),
                )
            } else {
                let keep = match record.status {
                    Status::Vm(s) => s,
                    Status::Cluster(_) => VmStatus::Provisioning,
                };
                let text = format!(
                    "backend reports unmappable state {raw:?}; keeping {}",
                    Status::Vm(keep)
                );
                (keep, text)
            }
        }
    };
    let status = Status::Vm(status);
    // Steady state (the common case at 10 000 VMs): nothing changed, no
    // clone, no write.
    let unchanged = !dispatched
        && record.status == status
        && record.status_message == message
        && record.seen_running == seen_running
        && record.unknown_since_ms == unknown_since
        && record.ip == entry.ip
        && record.ssh_user == entry.user;
    if unchanged {
        return Decision::Keep;
    }
    let mut new = record.clone();
    new.status = status;
    new.status_message = message;
    new.seen_running = seen_running;
    new.unknown_since_ms = unknown_since;
    new.ip.clone_from(&entry.ip);
    new.ssh_user.clone_from(&entry.user);
    let outputs = new.ip.as_ref().map(|ip| json!({"ip": ip}));
    write(record, new, outputs, dispatched, now)
}

/// A tracked VM that `GET /vms` does not list.
fn vm_missing(record: &Record, intent: Option<IntentState>, now: u64, policy: &Policy) -> Decision {
    if record.status.is_deleting() {
        return Decision::Remove {
            message: format!("{} deleted", record.name),
        };
    }
    match intent {
        // ORP-009, TMO-004: sent, and no VM within the grace period.
        Some(IntentState::Dispatched { at_ms }) if passed(now, at_ms, policy.create_grace) => {
            let mut new = record.clone();
            new.status = Status::failed(record.kind);
            new.status_message = "creation interrupted by a provider restart or a kweb timeout; no VM appeared within CREATE_GRACE_PERIOD".into();
            new.stage = Some(Stage::NeverCreated);
            write(record, new, None, true, now)
        }
        // Sent and still young, or not sent yet: wait.
        Some(_) => Decision::Keep,
        None if !passed(now, record.create_ms, policy.create_grace) => Decision::Keep,
        None if record.status.is_failed() && record.stage == Some(Stage::NeverCreated) => {
            Decision::Keep
        }
        // ORP-007: a tracked VM that is gone.
        None => Decision::Remove {
            message: format!("{} disappeared from the backend", record.name),
        },
    }
}

/// The first step for a tracked cluster.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClusterStep {
    /// Decided from the listing alone.
    Decided(Decision),
    /// Listed: read its kubeconfig and nodes, then [`cluster_probed`].
    Probe,
}

/// A tracked cluster against `GET /kubes` (`listed`: in the list or with
/// node VMs in `GET /vms`; `vms_known`: `GET /vms` answered this cycle).
pub(crate) fn cluster_listed(
    record: &Record,
    intent: Option<IntentState>,
    listed: bool,
    vms_known: bool,
    now: u64,
    policy: &Policy,
) -> ClusterStep {
    let decided = ClusterStep::Decided;
    if record.status.is_deleting() {
        return if !listed && vms_known {
            decided(Decision::Remove {
                message: format!("{} deleted", record.name),
            })
        } else if listed && redelete_due(record, now, policy) {
            decided(Decision::Redelete)
        } else {
            decided(Decision::Keep)
        };
    }
    if intent == Some(IntentState::Pending) {
        return decided(Decision::Keep);
    }
    if listed {
        return if record.status.is_failed() {
            decided(Decision::Keep)
        } else {
            ClusterStep::Probe
        };
    }
    if !vms_known {
        // ORP-007: a failed list is not "everything disappeared".
        return decided(Decision::Keep);
    }
    let progressing = record.status == Status::Cluster(ClusterStatus::Progressing);
    let timeout = policy.cluster_create_timeout;
    if progressing && passed(now, create_base(record, intent), timeout) {
        // TMO-005, ORP-009.
        let mut new = record.clone();
        new.status = Status::failed(record.kind);
        new.status_message = format!(
            "cluster not listed by kweb after {}",
            humantime::format_duration(timeout)
        );
        new.stage = Some(Stage::NeverListed);
        return decided(write(record, new, None, true, now));
    }
    if progressing || (record.status.is_failed() && record.stage == Some(Stage::NeverListed)) {
        // ORP-007 exception: still within CLUSTER_CREATE_TIMEOUT (or it never existed).
        return decided(Decision::Keep);
    }
    decided(Decision::Remove {
        message: format!("{} disappeared from the backend", record.name),
    })
}

/// What the monitor read about a listed cluster (KCLI-024, KCLI-026).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClusterProbe {
    /// API endpoint from the kubeconfig, when one was read.
    pub(crate) endpoint: Option<String>,
    /// `(name, status)` rows of `GET /kubes/{name}`.
    pub(crate) nodes: Vec<(String, String)>,
    /// Every node VM of the cluster is up in `GET /vms`.
    pub(crate) vms_up: bool,
}

/// A listed cluster's status from its probe (VOC-003, VOC-007, VOC-008, TMO-005).
pub(crate) fn cluster_probed(
    record: &Record,
    intent: Option<IntentState>,
    probe: &ClusterProbe,
    now: u64,
    policy: &Policy,
) -> Decision {
    let rows = &probe.nodes;
    let all_ready = !rows.is_empty() && rows.iter().all(|(_, s)| s.eq_ignore_ascii_case("Ready"));
    let timeout = policy.cluster_create_timeout;
    let (status, message, stage) = if probe.endpoint.is_some() && all_ready && probe.vms_up {
        (
            ClusterStatus::Active,
            format!("cluster is active: {} nodes Ready", rows.len()),
            Stage::Active,
        )
    } else if record.ever_active {
        if probe.endpoint.is_none() || rows.is_empty() {
            (
                ClusterStatus::Unavailable,
                "cluster API does not answer or lists no nodes".to_owned(),
                Stage::Unavailable,
            )
        } else {
            let not_ready = rows
                .iter()
                .filter(|(_, s)| !s.eq_ignore_ascii_case("Ready"))
                .count();
            (
                ClusterStatus::Degraded,
                format!(
                    "{not_ready} of {} nodes not Ready or a node VM is not up",
                    rows.len()
                ),
                Stage::Degraded,
            )
        }
    } else {
        let stage = if probe.endpoint.is_none() {
            Stage::NoKubeconfig
        } else if rows.is_empty() {
            Stage::NoNodesListed
        } else {
            Stage::NodesNotReady
        };
        if passed(now, create_base(record, intent), timeout) {
            let msg = format!("{stage} after {}", humantime::format_duration(timeout));
            (ClusterStatus::Failed, msg, stage)
        } else {
            (
                ClusterStatus::Progressing,
                format!("cluster is being provisioned: {stage}"),
                stage,
            )
        }
    };
    let active = status == ClusterStatus::Active;
    let outputs = probe
        .endpoint
        .clone()
        .filter(|_| active)
        .map(|e| json!({"api_endpoint": e}));
    let mut new = record.clone();
    new.status = Status::Cluster(status);
    new.status_message = message;
    new.stage = Some(stage);
    new.ever_active |= active;
    let dispatched = matches!(intent, Some(IntentState::Dispatched { .. }));
    write(record, new, outputs, dispatched, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fixtures::{NOW, STARTED, policy, record};
    use crate::store::Kind;

    fn entry(status: &str) -> VmEntry {
        VmEntry {
            name: "dcm-r1".into(),
            status: Some(status.into()),
            ip: Some("10.0.0.5".into()),
            user: Some("cloud-user".into()),
            kube: None,
            dcm_id: Some("r1".into()),
        }
    }

    fn status_of(d: &Decision) -> String {
        match d {
            Decision::Keep => "keep".into(),
            Decision::Write { record, .. } => record.status.as_str().into(),
            Decision::Remove { .. } => "remove".into(),
            Decision::Redelete => "redelete".into(),
        }
    }

    const VM_PROV: Status = Status::Vm(VmStatus::Provisioning);
    const VM_RUN: Status = Status::Vm(VmStatus::Running);
    const VM_DEL: Status = Status::Vm(VmStatus::Deleting);
    const VM_FAIL: Status = Status::Vm(VmStatus::Failed);

    #[test]
    fn vm_poll_table() {
        let sent_now = Some(IntentState::Dispatched { at_ms: NOW - 1000 });
        let sent_old = Some(IntentState::Dispatched {
            at_ms: NOW - 700_000,
        });
        let pending = Some(IntentState::Pending);
        // (id, status, age s, intent, kweb state, expected)
        let rows = [
            (
                "VOC-011 up is RUNNING",
                VM_PROV,
                30,
                None,
                Some("up"),
                "RUNNING",
            ),
            (
                "VOC-006 off and young is PROVISIONING",
                VM_PROV,
                30,
                None,
                Some("down"),
                "keep",
            ),
            (
                "VOC-006 off and old is STOPPED",
                VM_PROV,
                900,
                None,
                Some("down"),
                "STOPPED",
            ),
            (
                "VOC-011 paused",
                VM_RUN,
                900,
                None,
                Some("paused"),
                "PAUSED",
            ),
            (
                "VOC-011 crashed is FAILED",
                VM_RUN,
                900,
                None,
                Some("crashed"),
                "FAILED",
            ),
            (
                "VOC-005 unmappable keeps the status",
                VM_RUN,
                900,
                None,
                Some("nostate"),
                "RUNNING",
            ),
            (
                "ORP-007 young and not listed: wait",
                VM_PROV,
                30,
                None,
                None,
                "keep",
            ),
            ("ORP-007 gone: DELETED", VM_RUN, 900, None, None, "remove"),
            (
                "EVT-022 DELETING and gone: DELETED",
                VM_DEL,
                900,
                None,
                None,
                "remove",
            ),
            (
                "ORP-009 dispatched, VM listed: tracked",
                VM_PROV,
                30,
                sent_now,
                Some("up"),
                "RUNNING",
            ),
            (
                "ORP-009 dispatched, young, absent: wait",
                VM_PROV,
                900,
                sent_now,
                None,
                "keep",
            ),
            (
                "ORP-009 TMO-004 dispatched, absent past grace: FAILED",
                VM_PROV,
                900,
                sent_old,
                None,
                "FAILED",
            ),
            (
                "ORP-009 pending (not sent) never fails",
                VM_PROV,
                900,
                pending,
                None,
                "keep",
            ),
            (
                "ORP-009 FAILED never-created stays",
                VM_FAIL,
                900,
                None,
                None,
                "keep",
            ),
        ];
        for (id, status, age, intent, kweb, want) in rows {
            let mut r = record(Kind::Vm, status, age);
            if id.contains("never-created") {
                r.stage = Some(Stage::NeverCreated);
            }
            if status == VM_PROV && want == "keep" && kweb == Some("down") {
                r.status_message = "VM is being provisioned".into();
                r.ip = Some("10.0.0.5".into());
                r.ssh_user = Some("cloud-user".into());
            }
            let e = kweb.map(entry);
            let d = vm(&r, intent, e.as_ref(), "kvm", NOW, &policy());
            assert_eq!(status_of(&d), want, "{id}: {d:?}");
            if let Decision::Write { clear_intent, .. } = &d {
                assert_eq!(
                    *clear_intent,
                    intent.is_some(),
                    "{id}: ORP-009 intent resolved"
                );
            }
        }
    }

    #[test]
    fn voc005_unmappable_state_turns_failed_after_the_timeout() {
        let mut r = record(Kind::Vm, VM_RUN, 900);
        r.unknown_since_ms = Some(NOW - 301_000);
        let d = vm(&r, None, Some(&entry("nostate")), "kvm", NOW, &policy());
        assert_eq!(status_of(&d), "FAILED", "VOC-005");
    }

    #[test]
    fn orp009_tmo002_deleting_vm_still_listed() {
        let p = policy();
        let mut r = record(Kind::Vm, VM_DEL, 10);
        let up = entry("up");
        assert_eq!(
            vm(&r, None, Some(&up), "kvm", NOW, &p),
            Decision::Keep,
            "TMO-002: a delete of this process is still running"
        );
        r.update_ms = NOW - 121_000;
        assert_eq!(
            vm(&r, None, Some(&up), "kvm", NOW, &p),
            Decision::Redelete,
            "TMO-002: re-sent after KWEB_TIMEOUT"
        );
        r.update_ms = STARTED - 1;
        let fresh = Policy {
            started_ms: STARTED,
            ..p
        };
        assert_eq!(
            vm(&r, None, Some(&up), "kvm", STARTED + 1, &fresh),
            Decision::Redelete,
            "ORP-009: a DELETING record found at start-up resumes at once"
        );
    }

    #[test]
    fn orp007_a_removal_from_a_list_older_than_the_record_waits() {
        let r = record(Kind::Vm, VM_DEL, 1);
        let remove = Decision::Remove {
            message: "x".into(),
        };
        assert_eq!(
            not_stale(remove.clone(), &r, r.update_ms),
            Decision::Keep,
            "ORP-007, API-064: changed after the list started"
        );
        assert_eq!(not_stale(remove.clone(), &r, r.update_ms + 1), remove);
        assert_eq!(not_stale(Decision::Redelete, &r, 0), Decision::Redelete);
    }

    #[test]
    fn steady_state_is_no_write() {
        let mut r = record(Kind::Vm, VM_RUN, 900);
        r.status_message = "VM is running".into();
        r.seen_running = true;
        r.ip = Some("10.0.0.5".into());
        r.ssh_user = Some("cloud-user".into());
        assert_eq!(
            vm(&r, None, Some(&entry("up")), "kvm", NOW, &policy()),
            Decision::Keep
        );
    }

    const CL_PROG: Status = Status::Cluster(ClusterStatus::Progressing);
    const CL_ACTIVE: Status = Status::Cluster(ClusterStatus::Active);
    const CL_DEL: Status = Status::Cluster(ClusterStatus::Deleting);

    #[test]
    fn cluster_listing_table() {
        let sent_old = Some(IntentState::Dispatched {
            at_ms: NOW - 1_900_000,
        });
        // (id, status, age s, intent, listed, vms known, expected)
        let rows = [
            (
                "ORP-007 list failed: no change",
                CL_ACTIVE,
                9000,
                None,
                false,
                false,
                "keep",
            ),
            (
                "ORP-007 progressing within timeout waits",
                CL_PROG,
                60,
                None,
                false,
                true,
                "keep",
            ),
            (
                "TMO-005 never listed within timeout: FAILED",
                CL_PROG,
                2000,
                None,
                false,
                true,
                "FAILED",
            ),
            (
                "ORP-009 dispatched, never listed: FAILED",
                CL_PROG,
                2000,
                sent_old,
                false,
                true,
                "FAILED",
            ),
            (
                "ORP-007 active cluster gone: DELETED",
                CL_ACTIVE,
                9000,
                None,
                false,
                true,
                "remove",
            ),
            (
                "EVT-022 DELETING and gone: DELETED",
                CL_DEL,
                10,
                None,
                false,
                true,
                "remove",
            ),
            (
                "TMO-002 DELETING, listed, delete running",
                CL_DEL,
                10,
                None,
                true,
                true,
                "keep",
            ),
            (
                "VOC-003 listed: probe",
                CL_PROG,
                60,
                None,
                true,
                true,
                "probe",
            ),
        ];
        for (id, status, age, intent, listed, known, want) in rows {
            let r = record(Kind::Cluster, status, age);
            let got = match cluster_listed(&r, intent, listed, known, NOW, &policy()) {
                ClusterStep::Probe => "probe".to_owned(),
                ClusterStep::Decided(d) => status_of(&d),
            };
            assert_eq!(got, want, "{id}");
        }
    }

    #[test]
    fn cluster_probe_table() {
        let ready = vec![("n1".to_owned(), "Ready".to_owned())];
        let not_ready = vec![("n1".to_owned(), "NotReady".to_owned())];
        let ep = Some("https://10.0.0.9:6443".to_owned());
        // (id, ever active, age s, endpoint, nodes, vms up, expected)
        let rows = [
            (
                "VOC-003 usable is ACTIVE",
                false,
                60,
                ep.clone(),
                ready.clone(),
                true,
                "ACTIVE",
            ),
            (
                "VOC-003 no kubeconfig is PROGRESSING",
                false,
                60,
                None,
                vec![],
                true,
                "PROGRESSING",
            ),
            (
                "VOC-007 partial before ACTIVE is PROGRESSING",
                false,
                60,
                ep.clone(),
                not_ready.clone(),
                true,
                "PROGRESSING",
            ),
            (
                "VOC-007 DEGRADED after ACTIVE",
                true,
                60,
                ep.clone(),
                not_ready.clone(),
                true,
                "DEGRADED",
            ),
            (
                "VOC-007 UNAVAILABLE after ACTIVE",
                true,
                60,
                None,
                vec![],
                true,
                "UNAVAILABLE",
            ),
            (
                "VOC-008 TMO-005 not ACTIVE in time: FAILED",
                false,
                2000,
                None,
                vec![],
                true,
                "FAILED",
            ),
            (
                "VOC-003 node VM down is not ACTIVE",
                false,
                60,
                ep.clone(),
                ready.clone(),
                false,
                "PROGRESSING",
            ),
        ];
        for (id, ever, age, endpoint, nodes, vms_up, want) in rows {
            let mut r = record(Kind::Cluster, CL_PROG, age);
            r.ever_active = ever;
            let probe = ClusterProbe {
                endpoint,
                nodes,
                vms_up,
            };
            let d = cluster_probed(&r, None, &probe, NOW, &policy());
            assert_eq!(status_of(&d), want, "{id}");
            if let Decision::Write {
                record, outputs, ..
            } = &d
            {
                assert_eq!(
                    outputs.is_some(),
                    want == "ACTIVE",
                    "{id}: KCLI-024 endpoint only while ACTIVE"
                );
                if want == "FAILED" {
                    assert!(
                        record.status_message.contains("no kubeconfig after 30m"),
                        "{id}: TMO-005 names the stage"
                    );
                }
            }
        }
    }
}
