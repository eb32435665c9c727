//! The typed, pure lifecycle core: what happens to a resource record, decided
//! from the record, an observation, the time and the settings, without I/O.
//!
//! [`crate::service`] (requests) and [`crate::monitor`] (polls) read the
//! store and kweb, call one decision function here, and apply its
//! [`Decision`] with one store call. Nothing here reads a clock or a
//! socket, so every transition the contract names is a row in a table test.
//!
//! - [`status`]: the enums ([`VmStatus`], [`ClusterStatus`], [`Status`],
//!   [`Stage`], [`Origin`], [`IntentState`]).
//! - [`create`]: admission (API-030 to API-034, ORP-005), dispatch
//!   (ORP-009, API-064), commit and failure of a create (API-014 to API-018,
//!   TMO-004).
//! - [`delete`]: delete requests and their outcome (API-060 to API-065,
//!   TMO-002).
//! - [`reconcile`]: one poll's observation of a tracked VM or cluster
//!   (VOC, ORP-007, ORP-009, TMO-004, TMO-005).
//! - [`orphan`]: orphan policy and adoption (ORP-004 to ORP-006).

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod orphan;
pub(crate) mod reconcile;
pub mod status;

use std::time::Duration;

pub(crate) use create::{Admission, CreateFailure, Dispatch, admit, create_failed, dispatch};
pub use status::{ClusterStatus, IntentState, Origin, Stage, Status, VmStatus};

use crate::clock::ms;
use crate::store::Record;

/// The settings decisions depend on (Ref defaults in parentheses).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// `CREATE_GRACE_PERIOD` (10m): VOC-006, ORP-007, ORP-009, TMO-004.
    pub(crate) create_grace: Duration,
    /// `CLUSTER_CREATE_TIMEOUT` (30m): VOC-008, TMO-005.
    pub(crate) cluster_create_timeout: Duration,
    /// `UNKNOWN_STATE_TIMEOUT` (5m): VOC-005.
    pub(crate) unknown_state_timeout: Duration,
    /// `KWEB_TIMEOUT` (120s): how long a backend delete may run before the
    /// monitor sends it again (TMO-002).
    pub(crate) redelete_after: Duration,
    /// When this process started, Unix ms: a `DELETING` record older than
    /// that has no delete running and is resumed at once (ORP-009).
    pub(crate) started_ms: u64,
}

/// What to do with one record; applied with one store call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    /// Nothing changes; no write.
    Keep,
    /// Store `record` (and clear the create intent when `clear_intent`).
    /// A status change publishes an event, through debounce unless terminal
    /// (EVT-021, EVT-025, EVT-026).
    Write {
        /// The record as it is to be stored.
        record: Box<Record>,
        /// Non-secret outputs for the event (EVT-008).
        outputs: Option<serde_json::Value>,
        /// The create's outcome is known: drop its intent (ORP-009).
        clear_intent: bool,
    },
    /// The resource is gone: remove the record and publish `DELETED` with
    /// `message` (EVT-022, ORP-007, API-060).
    Remove {
        /// The event message.
        message: String,
    },
    /// Send the backend delete (again): it was interrupted by a restart or
    /// has run longer than `KWEB_TIMEOUT` (ORP-009, TMO-002).
    Redelete,
}

/// Milliseconds elapsed from `since` to `now` (0 when the clock went back).
pub(crate) const fn elapsed(now: u64, since: u64) -> u64 {
    now.saturating_sub(since)
}

/// Whether `duration` has passed from `since` to `now`.
pub(crate) fn passed(now: u64, since: u64, duration: Duration) -> bool {
    elapsed(now, since) >= ms(duration)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Records and settings for the decision tables.

    use std::time::Duration;

    use serde_json::json;

    use super::{Origin, Policy, Status};
    use crate::store::{Kind, Record};

    /// "Now" in every table: 10 h after the epoch of the fixtures.
    pub(crate) const NOW: u64 = 36_000_000;
    /// Start of the process in the tables: 1 h before [`NOW`].
    pub(crate) const STARTED: u64 = NOW - 3_600_000;

    pub(crate) fn policy() -> Policy {
        Policy {
            create_grace: Duration::from_secs(600),
            cluster_create_timeout: Duration::from_secs(1800),
            unknown_state_timeout: Duration::from_secs(300),
            redelete_after: Duration::from_secs(120),
            started_ms: STARTED,
        }
    }

    /// A record of `kind` at `status`, created `age_s` seconds before [`NOW`]
    /// and last changed then.
    pub(crate) fn record(kind: Kind, status: Status, age_s: u64) -> Record {
        let at = NOW - age_s * 1000;
        Record {
            id: "r1".into(),
            kind,
            spec: json!({"service_type": kind.service_type()}),
            name: "dcm-r1".into(),
            status,
            status_message: "creating dcm-r1".into(),
            create_ms: at,
            update_ms: at,
            create_ns: u128::from(at) * 1_000_000,
            ip: None,
            ssh_user: None,
            seen_running: false,
            ever_active: false,
            unknown_since_ms: None,
            previous_status: None,
            stage: None,
            origin: Origin::Created,
        }
    }
}
