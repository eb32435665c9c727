//! Everything one run shares between scenarios: the target, the fake DCM,
//! NATS, the timeout table, the resource ledger (ORP-020 to ORP-022) and the
//! scenario results the reports are built from.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::dcm_sim::FakeDcm;
use crate::sp::nats::NatsServer;
use crate::sp::profile::Profile;
use crate::sp::target::{Capability, SpUnderTest};
use crate::sp::timeouts::TimeoutTable;

/// One service type under test.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Service {
    /// `vm`, `cluster`, ...
    pub service_type: String,
    /// Collection URL (from the registration, or `--sp-url`).
    pub endpoint: String,
    /// Registered provider name, when a registration arrived.
    pub provider_name: Option<String>,
}

/// State of a ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// Recorded, create not answered yet.
    Pending,
    /// The SP acknowledged the create (2xx) or the answer is unknown.
    Created,
    /// The SP refused the create (4xx): nothing to clean up.
    Refused,
    /// Deleted and verified gone.
    Deleted,
    /// Cleanup failed.
    Leftover(String),
}

/// One id the suite created or tried to create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LedgerEntry {
    /// Instance id.
    pub id: String,
    /// Service type.
    pub service_type: String,
    /// Scenario that created it.
    pub scenario: String,
    /// Current state.
    pub state: EntryState,
}

/// The run ledger (ORP-020).
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Mutex<Vec<LedgerEntry>>,
}

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, Vec<LedgerEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records `id` before its create is sent.
    pub fn record(&self, id: &str, service_type: &str, scenario: &str) {
        let mut entries = self.lock();
        if !entries
            .iter()
            .any(|e| e.id == id && e.service_type == service_type)
        {
            entries.push(LedgerEntry {
                id: id.into(),
                service_type: service_type.into(),
                scenario: scenario.into(),
                state: EntryState::Pending,
            });
        }
    }

    /// Updates the state of `id`.
    pub fn set(&self, id: &str, service_type: &str, state: EntryState) {
        for e in self
            .lock()
            .iter_mut()
            .filter(|e| e.id == id && e.service_type == service_type)
        {
            // A refusal never downgrades an acknowledged create (a replay may be refused).
            if !(state == EntryState::Refused && e.state == EntryState::Created) {
                e.state = state.clone();
            }
        }
    }

    /// A copy of every entry.
    #[must_use]
    pub fn entries(&self) -> Vec<LedgerEntry> {
        self.lock().clone()
    }

    /// Whether the suite created `id` (ORP-022: never touch anything else).
    #[must_use]
    pub fn owns(&self, id: &str) -> bool {
        self.lock().iter().any(|e| e.id == id)
    }
}

/// Outcome of one scenario.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every step passed and cleanup succeeded.
    Passed,
    /// A step or the cleanup failed.
    Failed,
    /// The target lacks a capability the scenario needs (`@cap:`): an
    /// untested MUST leaves its area `partial`.
    NotApplicable,
    /// The rule does not bind this target: `Ref` rows on another SP, or a
    /// target fact (`@fact:`) the target did not declare or declared
    /// otherwise (e.g. the `kcli` hint namespace). Never makes a run partial.
    NotBinding,
    /// The scenario belongs to another contract profile.
    OutOfProfile,
    /// Left out by a filter.
    Skipped,
}

/// One scenario's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioResult {
    /// Feature file stem, e.g. `vm_lifecycle`.
    pub feature: String,
    /// Scenario name.
    pub scenario: String,
    /// Tags without `@`.
    pub tags: Vec<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Why it failed / was not applicable.
    pub reason: Option<String>,
    /// Full detail for failures: HTTP exchanges, events, curl lines.
    pub detail: Option<String>,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl ScenarioResult {
    /// Requirement ids from `@req-XXX-NNN` tags.
    #[must_use]
    pub fn requirements(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("req-").map(str::to_owned))
            .collect()
    }
}

/// The run's shared context.
pub struct RunContext {
    /// Run id (lower-case hex, 8 characters).
    pub run_id: String,
    /// Active profile.
    pub profile: Profile,
    /// Effective timeout table.
    pub timeouts: TimeoutTable,
    /// HTTP client for the SP.
    pub http: reqwest::Client,
    /// The fake DCM.
    pub dcm: FakeDcm,
    /// The NATS server.
    pub nats: tokio::sync::Mutex<NatsServer>,
    /// The SP under test.
    pub sp: Box<dyn SpUnderTest>,
    /// Capabilities of the target.
    pub caps: BTreeSet<Capability>,
    /// Services under test by service type.
    pub services: BTreeMap<String, Service>,
    /// The resource ledger.
    pub ledger: Ledger,
    /// When the SP was launched.
    pub launched_at: Instant,
    /// Generated checks' seed and case count (`--seed`, `--generated-cases`).
    pub generated: crate::sp::generated::GenSettings,
    /// Statuses seen in HTTP answers, for the report's timelines.
    pub statuses: crate::sp::timeline::StatusLog,
    /// The running scenarios and their deadlines.
    pub watch: crate::sp::watchdog::Watch,
    results: Mutex<Vec<ScenarioResult>>,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("run_id", &self.run_id)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// Parts from which the runner builds a [`RunContext`].
pub struct ContextParts {
    /// Run id.
    pub run_id: String,
    /// Profile.
    pub profile: Profile,
    /// Timeouts.
    pub timeouts: TimeoutTable,
    /// Fake DCM.
    pub dcm: FakeDcm,
    /// NATS.
    pub nats: NatsServer,
    /// Target.
    pub sp: Box<dyn SpUnderTest>,
    /// Services.
    pub services: BTreeMap<String, Service>,
    /// Launch time.
    pub launched_at: Instant,
    /// Generated checks' seed and case count.
    pub generated: crate::sp::generated::GenSettings,
}

impl RunContext {
    /// Builds the context.
    #[must_use]
    pub fn new(parts: ContextParts) -> Self {
        let mut caps = parts.sp.capabilities();
        if parts.services.contains_key("cluster") {
            caps.insert(Capability::Clusters);
        } else {
            caps.remove(&Capability::Clusters);
        }
        if parts.nats.is_managed() {
            caps.insert(Capability::NatsControl);
        }
        Self {
            run_id: parts.run_id,
            profile: parts.profile,
            timeouts: parts.timeouts,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(4)
                .build()
                .unwrap_or_default(),
            dcm: parts.dcm,
            nats: tokio::sync::Mutex::new(parts.nats),
            sp: parts.sp,
            caps,
            services: parts.services,
            ledger: Ledger::default(),
            launched_at: parts.launched_at,
            generated: parts.generated,
            statuses: crate::sp::timeline::StatusLog::default(),
            watch: crate::sp::watchdog::Watch::default(),
            results: Mutex::new(Vec::new()),
        }
    }

    /// A fresh run-prefixed id, `cst-{run}-{n}` style (ORP-020): lower case,
    /// at most 63 characters, valid under every id pattern of the contract.
    #[must_use]
    pub fn new_id(&self) -> String {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        format!("cst-{}-{}", self.run_id, &suffix[..12])
    }

    /// The prefix every id of this run carries.
    #[must_use]
    pub fn id_prefix(&self) -> String {
        format!("cst-{}-", self.run_id)
    }

    /// Records a scenario result.
    pub fn push_result(&self, result: ScenarioResult) {
        self.results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(result);
    }

    /// Every result so far.
    #[must_use]
    pub fn results(&self) -> Vec<ScenarioResult> {
        self.results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Polls `check` every `poll_step` until it succeeds `consecutive_successes`
    /// times in a row, within the table entry `key` (TMO-022).
    ///
    /// # Errors
    /// The last failure, prefixed with the timeout that ran out.
    pub async fn eventually<T, F, Fut>(&self, key: &str, check: F) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        self.eventually_n(key, self.timeouts.consecutive_successes, check)
            .await
    }

    /// As [`RunContext::eventually`] with an explicit success count (1 for
    /// one-shot observations such as "an event arrived").
    ///
    /// # Errors
    /// The last failure, prefixed with the timeout that ran out.
    pub async fn eventually_n<T, F, Fut>(
        &self,
        key: &str,
        needed: u32,
        mut check: F,
    ) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let limit = self.timeouts.get(key);
        let step = self.timeouts.get("poll_step");
        let deadline = Instant::now() + limit;
        let mut streak = 0;
        loop {
            match check().await {
                Ok(v) => {
                    streak += 1;
                    if streak >= needed.max(1) {
                        return Ok(v);
                    }
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "only {streak} of {needed} consecutive successes within {key} = {}",
                            humantime::format_duration(limit)
                        ));
                    }
                }
                Err(e) => {
                    streak = 0;
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "not true within {key} = {}: {e}",
                            humantime::format_duration(limit)
                        ));
                    }
                }
            }
            tokio::time::sleep(step.min(Duration::from_secs(5))).await;
        }
    }
}

tokio::task_local! {
    /// The context of the run whose scenarios this task polls (worlds read
    /// it at init). Task-local, so several runs in one process (the
    /// fixture tests) each see their own.
    static ACTIVE: Arc<RunContext>;
}

/// Runs `f` with `ctx` as the context of the scenarios it polls.
pub async fn scope<F: Future>(ctx: Arc<RunContext>, f: F) -> F::Output {
    ACTIVE.scope(ctx, f).await
}

/// The context of the run polling this task.
///
/// # Errors
/// When no run is active (a step definition used outside a run).
pub fn active() -> Result<Arc<RunContext>, String> {
    ACTIVE
        .try_with(Arc::clone)
        .map_err(|_| "no conformance run is active".to_owned())
}
