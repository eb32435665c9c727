//! What the suite runs against (issue 4 "Targets").
//!
//! A [`Launcher`] starts (or attaches to) the SP once the fake DCM and NATS
//! are up, and returns a [`SpUnderTest`]: its identity, the capabilities it
//! offers (`@cap:...` tags) and, when it has them, backend control and an
//! in-process restart. Scenarios needing a capability the target lacks are
//! reported as not applicable, never as passed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::sp::timeouts::Declared;

/// The target facts scenarios may require (`@fact:NAME[=VALUE]`), with
/// what each means:
/// - `name-prefix`: the setting that sets the backend name prefix, e.g.
///   `NAME_PREFIX (dcm-)` (ORP-010);
/// - `resync-interval`: the period of the re-publication of every status,
///   a duration like `10m` (EVT-024; sets the `periodic_republish` timeout);
/// - `hint-namespace`: the `provider_hints` key the SP reads, e.g. `kcli`
///   (SEC-005; `kcli`-only rules such as KCLI-020 need `hint-namespace=kcli`).
pub const FACTS: [&str; 3] = ["name-prefix", "resync-interval", "hint-namespace"];

/// A capability a scenario may need (`@cap:<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The SP registered the `cluster` service type.
    Clusters,
    /// The suite can drive the SP's backend (faults, out-of-band changes).
    BackendControl,
    /// The suite can restart the SP on the same state.
    Restart,
    /// The suite can stop and restart NATS.
    NatsControl,
    /// The target is the reference provider (`Ref` rows apply).
    Ref,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 5] = [
        Capability::Clusters,
        Capability::BackendControl,
        Capability::Restart,
        Capability::NatsControl,
        Capability::Ref,
    ];

    /// The tag suffix (`clusters` for `@cap:clusters`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Capability::Clusters => "clusters",
            Capability::BackendControl => "backend-control",
            Capability::Restart => "restart",
            Capability::NatsControl => "nats-control",
            Capability::Ref => "ref",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown capability `{s}`; known: clusters, backend-control, restart, nats-control, ref"))
    }
}

/// A change the suite asks the SP's backend to make.
///
/// Global changes (down, a hang of every call) touch every scenario, which
/// therefore runs `@serial`. Scoped ones carry a `scope`, the scenario's
/// unique metadata name (`{name}`): they touch only backend objects whose
/// name contains it (the scenario's specs set `metadata.name` to `{name}`,
/// KCLI-003), so the scenario runs concurrently with the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendAction {
    /// The backend stops answering (connection refused).
    Down,
    /// The backend answers again.
    Up,
    /// Every backend call hangs for this long.
    Hang(Duration),
    /// Every backend call on the scenario's objects takes this long, their
    /// creates included; ended by [`BackendAction::Release`].
    HangScoped {
        /// The scenario's metadata name.
        scope: String,
        /// How long each call takes.
        duration: Duration,
    },
    /// Only the backend delete of this resource's object takes this long;
    /// ended by [`BackendAction::Release`] of the same scope.
    HangDelete {
        /// The scenario's metadata name.
        scope: String,
        /// Service type.
        service_type: String,
        /// DCM id.
        id: String,
        /// How long the delete takes.
        duration: Duration,
    },
    /// Backend calls answer at normal speed again: the global hang and the
    /// scope's slow calls end.
    Release {
        /// The scenario's metadata name.
        scope: String,
    },
    /// Creates of the scenario's objects are refused by the backend
    /// (synchronously, API-015).
    RejectCreates {
        /// The scenario's metadata name.
        scope: String,
    },
    /// Creates of the scenario's objects work again (and a pending
    /// [`BackendAction::CutNextCreate`] ends).
    AcceptCreates {
        /// The scenario's metadata name.
        scope: String,
    },
    /// The backend applies the SP's next create of one of the scenario's
    /// objects of this service type (the resource comes into being), then
    /// cuts the connection without answering: the SP cannot know the
    /// outcome (API-018). Ended by [`BackendAction::AcceptCreates`] if it
    /// has not fired.
    CutNextCreate {
        /// The scenario's metadata name.
        scope: String,
        /// Service type.
        service_type: String,
    },
    /// Deletes of the scenario's objects fail in the backend (API-065).
    FailDeletes {
        /// The scenario's metadata name.
        scope: String,
    },
    /// Deletes of the scenario's objects work again (and a pending
    /// [`BackendAction::CutDelete`] ends).
    AcceptDeletes {
        /// The scenario's metadata name.
        scope: String,
    },
    /// The backend applies the next delete of this resource's object, then
    /// cuts the connection without answering (API-018, TMO-002). Ended by
    /// [`BackendAction::AcceptDeletes`] if it has not fired.
    CutDelete {
        /// Service type.
        service_type: String,
        /// DCM id.
        id: String,
    },
    /// The resource disappears out of band (ORP-007, API-063).
    Remove {
        /// Service type.
        service_type: String,
        /// DCM instance id.
        id: String,
    },
    /// The backend shows the resource in a raw state (VOC-005, VOC-011).
    SetRawState {
        /// Service type.
        service_type: String,
        /// DCM instance id.
        id: String,
        /// Raw backend state, e.g. `crashed` or `nostate`.
        state: String,
    },
    /// Removes a resource made by [`BackendAction::InjectOrphan`] (suite cleanup).
    RemoveOrphan {
        /// Service type.
        service_type: String,
        /// Name given to `InjectOrphan` (without the SP's prefix).
        name: String,
    },
    /// A backend resource with the SP's prefix that the SP does not track (ORP-001).
    InjectOrphan {
        /// Service type.
        service_type: String,
        /// Backend name.
        name: String,
    },
}

/// Who the target is, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetIdentity {
    /// `embedded`, `live-kweb`, `external` or a test fixture name.
    pub kind: String,
    /// Product name (`kcli-provider`, a fixture name, or `unknown`).
    pub product: String,
    /// Version string, if known.
    pub version: String,
    /// Service types under test and their endpoints.
    pub services: BTreeMap<String, String>,
}

/// A running SP under test.
pub trait SpUnderTest: Send + Sync {
    /// Identity for the report (`services` may be filled in by the runner).
    fn identity(&self) -> TargetIdentity;

    /// Capabilities this target offers.
    fn capabilities(&self) -> BTreeSet<Capability>;

    /// Service types the SP is expected to register (empty: whatever registers).
    fn service_types(&self) -> Vec<String>;

    /// Endpoints declared on the command line (`--sp-url`), by service type.
    fn declared_endpoints(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// What the SP declares about its timing.
    fn declared(&self) -> Declared;

    /// Timeout-table overrides the target brings (`key`, duration), applied
    /// before the user's; a target that knows its SP is faster may tighten
    /// entries (tightening never makes a run unclaimable, TMO-021).
    fn timeout_overrides(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Applies a backend change.
    fn backend(&self, action: BackendAction) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            anyhow::bail!("this target has no backend control (asked for {action:?})")
        })
    }

    /// Stops the SP process (first half of a restart).
    fn halt(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { anyhow::bail!("this target cannot be restarted by the suite") })
    }

    /// Starts the SP again on the same state and address (second half of a restart).
    fn resume(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { anyhow::bail!("this target cannot be restarted by the suite") })
    }

    /// Restarts the SP on the same state.
    fn restart(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.halt().await?;
            self.resume().await
        })
    }

    /// Whether the backend still holds anything for the instance `id`,
    /// created with the spec given as sent (a target may name backend
    /// objects after it, e.g. after `spec.metadata.name`, KCLI-003).
    fn backend_holds(
        &self,
        service_type: &str,
        id: &str,
        _spec: &serde_json::Value,
    ) -> BoxFuture<'_, anyhow::Result<bool>> {
        let what = format!("{service_type} {id}");
        Box::pin(async move {
            anyhow::bail!("this target cannot inspect its backend (asked about {what})")
        })
    }

    /// Facts the target declares about its configuration, for rows a
    /// black-box test cannot observe; scenarios tagged `@fact:NAME` do not
    /// bind a target that does not declare NAME (see [`FACTS`]). Recorded in
    /// the report.
    fn facts(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// Stops the SP.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// What a launcher gets: where the fake DCM and NATS are.
#[derive(Debug, Clone)]
pub struct LaunchEnv {
    /// DCM base URL, ends in `/api/v1alpha1` (`SPM_URL`).
    pub dcm_base_url: String,
    /// NATS URL (`NATS_URL`).
    pub nats_url: String,
    /// The run id (for names and temp dirs).
    pub run_id: String,
}

/// Starts or attaches to the SP.
pub trait Launcher: Send + Sync {
    /// Launches the SP in `env`.
    fn launch(&self, env: LaunchEnv) -> BoxFuture<'static, anyhow::Result<Box<dyn SpUnderTest>>>;
}
