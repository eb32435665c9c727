//! Running the SP suite: NATS → fake DCM → target → registrations →
//! cucumber over `features/sp` → cleanup verification → reports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cucumber::event::ScenarioFinished;
use cucumber::{World as _, WriterExt as _};

use crate::dcm_sim::{DcmConfig, FakeDcm};
use crate::features::{FeatureSource, SourceParser};
use crate::sp::context::{
    self, ContextParts, EntryState, Outcome, RunContext, ScenarioResult, Service,
};
use crate::sp::nats::NatsServer;
use crate::sp::plan::{self, Decision, Selection};
use crate::sp::profile::Profile;
use crate::sp::report::{self, Report};
use crate::sp::target::{Capability, LaunchEnv, Launcher};
use crate::sp::timeouts::TimeoutTable;
use crate::sp::watchdog;
use crate::sp::world::{SpWorld, urlencode};

/// The cucumber command-line options merged into `dcm-conformance sp`
/// (`--tags`, `--name`, `--concurrency`, `--fail-fast`, `-v`, `--color`).
pub type CucumberCli = cucumber::cli::Opts<
    cucumber::parser::basic::Cli,
    cucumber::runner::basic::Cli,
    cucumber::writer::basic::Cli,
>;

/// Everything a run needs besides the target.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Contract profile.
    pub profile: Profile,
    /// The feature files: embedded or `--features DIR`.
    pub features: FeatureSource,
    /// Cucumber options (filters, concurrency).
    pub cucumber: CucumberCli,
    /// Only these capabilities count as supported (`--supported-features`), if set.
    pub supported_features: Option<Vec<Capability>>,
    /// Capabilities declared exempt (`--exempt-features`).
    pub exempt_features: Vec<Capability>,
    /// Timeout table overrides file.
    pub timeouts_file: Option<PathBuf>,
    /// Inline overrides (`key=duration`).
    pub timeout_overrides: Vec<(String, String)>,
    /// `--nats-url`.
    pub nats_url: Option<String>,
    /// Where to write `conformance-report.yaml` and `junit.xml`.
    pub report_dir: PathBuf,
    /// The fake DCM's health poll period.
    pub health_interval: Duration,
    /// Print cucumber's progress.
    pub progress: bool,
    /// Seed and case count of the generated checks (`--seed`).
    pub generated: crate::sp::generated::GenSettings,
}

impl RunOptions {
    /// A quiet run of `features` under `profile` with its reports in
    /// `report_dir`, everything else as a caller with no flags gets it:
    /// cucumber's defaults, no capability filter, the default timeout table,
    /// NATS found or launched by the suite, the fake DCM polling health every
    /// `health_interval` (200 ms: library runs are tests) and the generated
    /// checks with a fresh seed, 12 cases.
    #[must_use]
    pub fn new(profile: Profile, features: FeatureSource, report_dir: PathBuf) -> Self {
        Self {
            profile,
            features,
            cucumber: CucumberCli::default(),
            supported_features: None,
            exempt_features: Vec::new(),
            timeouts_file: None,
            timeout_overrides: Vec::new(),
            nats_url: None,
            report_dir,
            health_interval: Duration::from_millis(200),
            progress: false,
            generated: crate::sp::generated::GenSettings::default(),
        }
    }

    /// Adds inline timeout overrides, `(key, duration)` as `--timeout
    /// key=duration` takes them (e.g. `("poll_step", "100ms")`).
    #[must_use]
    pub fn with_timeouts(mut self, overrides: &[(&str, &str)]) -> Self {
        self.timeout_overrides.extend(
            overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }
}

/// A finished run.
#[derive(Debug)]
pub struct RunSummary {
    /// The machine-readable report.
    pub report: Report,
    /// Every scenario result.
    pub results: Vec<ScenarioResult>,
    /// Wall time.
    pub elapsed: Duration,
}

impl RunSummary {
    /// Whether a MUST failed (the process exits non-zero).
    #[must_use]
    pub fn must_failed(&self) -> bool {
        self.report.failed > 0
    }
}

/// Runs the suite against the SP `launcher` starts.
///
/// # Errors
/// Setup failures (NATS, fake DCM, launch, features, timeouts file); scenario
/// failures are results, not errors.
pub async fn run(opts: RunOptions, launcher: &dyn Launcher) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let scenarios = plan::scenarios(&opts.features)?;
    let provenance = opts.features.provenance()?;
    let nats = NatsServer::discover(opts.nats_url.as_deref()).await?;
    let dcm = FakeDcm::start(DcmConfig {
        bind: "127.0.0.1:0".parse()?,
        nats_url: Some(nats.url().to_owned()),
        health_interval: opts.health_interval,
    })
    .await?;
    // Every name's first registration gets a 503, so retrying is judged on
    // every target, restartable or not (REG-021).
    dcm.registry
        .answer_first_attempt_of_each_name(crate::dcm_sim::Scripted {
            status: 503,
            delay: Duration::ZERO,
        });
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let launched_at = Instant::now();
    let sp = launcher
        .launch(LaunchEnv {
            dcm_base_url: dcm.base_url(),
            nats_url: nats.url().to_owned(),
            run_id: run_id.clone(),
        })
        .await?;
    let mut timeouts = TimeoutTable::defaults(sp.declared());
    if let Some(resync) = sp.facts().get("resync-interval") {
        let resync = humantime::parse_duration(resync)
            .map_err(|e| anyhow::anyhow!("the declared resync-interval `{resync}`: {e}"))?;
        timeouts.declare_resync(resync, sp.declared().poll);
    }
    let target_overrides = sp.timeout_overrides();
    timeouts.apply(
        target_overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    if let Some(file) = &opts.timeouts_file {
        timeouts.apply_file(file)?;
    }
    timeouts.apply(
        opts.timeout_overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    let services = wait_for_services(&dcm, sp.as_ref(), &timeouts).await;
    let ctx = Arc::new(RunContext::new(ContextParts {
        run_id,
        profile: opts.profile,
        timeouts,
        dcm,
        nats,
        sp,
        services,
        launched_at,
        generated: opts.generated,
    }));
    let mut caps = ctx.caps.clone();
    if let Some(supported) = &opts.supported_features {
        caps.retain(|c| supported.contains(c));
    }
    for c in &opts.exempt_features {
        caps.remove(c);
    }
    let selection = Selection {
        profile: opts.profile,
        caps,
        tags: opts.cucumber.tags_filter.clone(),
        name: opts.cucumber.re_filter.clone(),
        facts: ctx.sp.facts(),
    };
    let mut filtered = false;
    for sc in &scenarios {
        let (outcome, reason) = match selection.decide(sc) {
            Decision::Run => continue,
            Decision::Filtered => {
                filtered = true;
                (Outcome::Skipped, "left out by --tags/--name".to_owned())
            }
            Decision::NotApplicable(reason) => (Outcome::NotApplicable, reason),
            Decision::OutOfProfile(reason) => (Outcome::OutOfProfile, reason),
            Decision::NotBinding(reason) => (Outcome::NotBinding, reason),
        };
        ctx.push_result(ScenarioResult {
            feature: sc.feature.clone(),
            scenario: sc.name.clone(),
            tags: sc.tags.clone(),
            outcome,
            reason: Some(reason),
            detail: None,
            seconds: 0.0,
        });
    }
    let planned: Vec<&plan::PlannedScenario> = scenarios
        .iter()
        .filter(|sc| selection.decide(sc) == Decision::Run)
        .collect();
    let heartbeat = (!opts.progress).then_some(Duration::from_secs(15));
    let stalled = context::scope(ctx.clone(), async {
        tokio::select! {
            () = run_cucumber(&opts, selection) => false,
            () = watchdog::guard(&ctx.watch, planned.len(), heartbeat, started) => true,
        }
    })
    .await;
    if stalled {
        record_unfinished(&ctx, &planned);
    }
    let leftovers = verify_ledger(&ctx).await;
    let orphan_note = check_orphans(&ctx).await;
    let results = ctx.results();
    let elapsed = started.elapsed();
    let mut report = report::build(&ctx, &results, filtered, leftovers, orphan_note, elapsed);
    report.features = Some(provenance);
    report::write(&report, &results, &opts.report_dir)?;
    ctx.sp.shutdown().await;
    Ok(RunSummary {
        report,
        results,
        elapsed,
    })
}

/// After the watchdog stopped the run: the scenarios still running failed
/// (past their deadline); the ones never started are reported as skipped.
fn record_unfinished(ctx: &RunContext, planned: &[&plan::PlannedScenario]) {
    let running = ctx.watch.running();
    for r in &running {
        ctx.push_result(ScenarioResult {
            feature: r.feature.clone(),
            scenario: r.scenario.clone(),
            tags: r.tags.clone(),
            outcome: Outcome::Failed,
            reason: Some(format!(
                "could not finish: still running after its deadline of {} s (the timeouts its steps name + scenario_cleanup); the run was stopped",
                r.deadline.as_secs()
            )),
            detail: None,
            seconds: r.started.elapsed().as_secs_f64(),
        });
    }
    let done: BTreeSet<(String, String)> = ctx
        .results()
        .into_iter()
        .map(|r| (r.feature, r.scenario))
        .collect();
    for sc in planned {
        if !done.contains(&(sc.feature.clone(), sc.name.clone())) {
            ctx.push_result(ScenarioResult {
                feature: sc.feature.clone(),
                scenario: sc.name.clone(),
                tags: sc.tags.clone(),
                outcome: Outcome::Skipped,
                reason: Some(format!(
                    "not started: the run was stopped when {} scenarios could not finish",
                    running.len()
                )),
                detail: None,
                seconds: 0.0,
            });
        }
    }
}

fn watch_key(
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
) -> String {
    format!(
        "{}:{}:{}",
        feature
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        scenario.position.line,
        scenario.name
    )
}

async fn wait_for_services(
    dcm: &FakeDcm,
    sp: &dyn crate::sp::target::SpUnderTest,
    timeouts: &TimeoutTable,
) -> BTreeMap<String, Service> {
    let declared = sp.declared_endpoints();
    let mut expected: BTreeSet<String> = sp.service_types().into_iter().collect();
    expected.extend(declared.keys().cloned());
    let deadline = Instant::now() + timeouts.get("registration_first_attempt");
    loop {
        let registered: BTreeSet<String> = dcm
            .registry
            .providers()
            .values()
            .map(|p| p.service_type.clone())
            .collect();
        let done = if expected.is_empty() {
            !registered.is_empty()
        } else {
            expected.is_subset(&registered)
        };
        if done || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut services = BTreeMap::new();
    for p in dcm.registry.providers().into_values() {
        if expected.is_empty() || expected.contains(&p.service_type) {
            services.insert(
                p.service_type.clone(),
                Service {
                    service_type: p.service_type.clone(),
                    endpoint: p.endpoint.clone(),
                    provider_name: Some(p.name),
                },
            );
        }
    }
    for (st, url) in declared {
        let entry = services.entry(st.clone()).or_insert(Service {
            service_type: st.clone(),
            endpoint: url.clone(),
            provider_name: None,
        });
        entry.endpoint = url;
    }
    services
}

async fn run_cucumber(opts: &RunOptions, selection: Selection) {
    let features = opts.features.clone();
    let cucumber = SpWorld::cucumber::<PathBuf>()
        .max_concurrent_scenarios(opts.cucumber.runner.concurrency.unwrap_or(8))
        .before(|feature, rule, scenario, world| {
            let key = watch_key(feature, scenario);
            let mut steps: Vec<&str> = Vec::new();
            if let Some(bg) = &feature.background {
                steps.extend(bg.steps.iter().map(|s| s.value.as_str()));
            }
            if let Some(bg) = rule.and_then(|r| r.background.as_ref()) {
                steps.extend(bg.steps.iter().map(|s| s.value.as_str()));
            }
            steps.extend(scenario.steps.iter().map(|s| s.value.as_str()));
            let deadline = watchdog::scenario_deadline(&steps, &world.ctx.timeouts);
            let mut tags = feature.tags.clone();
            if let Some(r) = rule {
                tags.extend(r.tags.iter().cloned());
            }
            tags.extend(scenario.tags.iter().cloned());
            let running = watchdog::Running {
                feature: feature
                    .path
                    .as_ref()
                    .and_then(|p| p.file_stem())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| feature.name.clone()),
                scenario: scenario.name.clone(),
                tags,
                started: std::time::Instant::now(),
                deadline,
                overdue: false,
            };
            Box::pin(async move {
                world.scenario = scenario.name.clone();
                world.ctx.watch.start(key, running);
            })
        })
        .after(|feature, _rule, scenario, finished, world| {
            let feature_name = feature
                .path
                .as_ref()
                .and_then(|p| p.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| feature.name.clone());
            let mut tags = feature.tags.clone();
            tags.extend(scenario.tags.iter().cloned());
            let name = scenario.name.clone();
            let key = watch_key(feature, scenario);
            let verdict: Result<(), String> = match finished {
                ScenarioFinished::StepPassed => Ok(()),
                ScenarioFinished::StepSkipped => Err("a step has no definition (skipped)".into()),
                ScenarioFinished::StepFailed(_, _, err) => Err(err.to_string()),
                ScenarioFinished::BeforeHookFailed(info) => {
                    Err(format!("before hook failed: {info:?}"))
                }
            };
            Box::pin(async move {
                let Some(w) = world else {
                    if let Ok(ctx) = context::active() {
                        ctx.watch.finish(&key);
                        ctx.push_result(ScenarioResult {
                            feature: feature_name,
                            scenario: name,
                            tags,
                            outcome: Outcome::Failed,
                            reason: Some(
                                verdict
                                    .err()
                                    .unwrap_or_else(|| "the scenario world did not start".into()),
                            ),
                            detail: None,
                            seconds: 0.0,
                        });
                    }
                    return;
                };
                let cleanup = cleanup(w).await;
                let seconds = w.started.elapsed().as_secs_f64();
                let (outcome, reason, detail) = match (verdict, cleanup) {
                    (Ok(()), Ok(())) => (Outcome::Passed, None, None),
                    (Err(e), _) => (Outcome::Failed, Some(e), Some(w.failure_detail())),
                    (Ok(()), Err(e)) => (
                        Outcome::Failed,
                        Some(format!("ORP-021 cleanup failed: {e}")),
                        Some(w.failure_detail()),
                    ),
                };
                w.ctx.push_result(ScenarioResult {
                    feature: feature_name,
                    scenario: name,
                    tags,
                    outcome,
                    reason,
                    detail,
                    seconds,
                });
                w.ctx.watch.finish(&key);
            })
        })
        .with_writer(
            cucumber::writer::Basic::new(
                if opts.progress {
                    Box::new(std::io::stdout()) as Box<dyn std::io::Write>
                } else {
                    Box::new(std::io::sink())
                },
                cucumber::writer::Coloring::Never,
                cucumber::writer::Verbosity::Default,
            )
            .summarized()
            .normalized(),
        )
        .fail_on_skipped()
        .with_parser(SourceParser)
        .with_cli(opts.cucumber.clone());
    cucumber
        .filter_run(features, move |feature, rule, scenario| {
            let stem = feature
                .path
                .as_ref()
                .and_then(|p| p.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut tags = feature.tags.clone();
            if let Some(r) = rule {
                tags.extend(r.tags.iter().cloned());
            }
            tags.extend(scenario.tags.iter().cloned());
            let planned = plan::PlannedScenario {
                feature: stem,
                name: scenario.name.clone(),
                line: scenario.position.line,
                tags,
            };
            selection.decide(&planned) == Decision::Run
        })
        .await;
}

/// Deletes the scenario's ledger entries and verifies they are gone (ORP-021).
async fn cleanup(w: &mut SpWorld) -> Result<(), String> {
    use crate::sp::target::BackendAction;
    if w.backend_dirty {
        let scope = w.name.clone();
        for a in [
            BackendAction::Up,
            BackendAction::Release {
                scope: scope.clone(),
            },
            BackendAction::AcceptCreates {
                scope: scope.clone(),
            },
            BackendAction::AcceptDeletes { scope },
        ] {
            let _ = w.ctx.sp.backend(a).await;
        }
    }
    // Canned registry answers never outlive their scenario.
    w.ctx.dcm.registry.clear_script();
    for (service_type, name) in w.injected.drain(..) {
        let _ = w
            .ctx
            .sp
            .backend(BackendAction::RemoveOrphan { service_type, name })
            .await;
    }
    for task in w.background.drain(..) {
        if let Ok(Ok(ex)) = tokio::time::timeout(Duration::from_secs(60), task).await {
            w.exchanges.push(ex);
        }
    }
    let ctx = w.ctx.clone();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for r in w.resources.clone() {
        if !seen.insert((r.service_type.clone(), r.id.clone())) || !ctx.ledger.owns(&r.id) {
            continue;
        }
        let state = ctx
            .ledger
            .entries()
            .into_iter()
            .find(|e| e.id == r.id && e.service_type == r.service_type)
            .map(|e| e.state);
        if matches!(state, Some(EntryState::Refused | EntryState::Deleted)) {
            continue;
        }
        let Ok(endpoint) = w.endpoint_of(&r.service_type) else {
            continue;
        };
        let url = format!("{endpoint}/{}", urlencode(&r.id));
        let del = w.request("DELETE", url.clone());
        let get = w.request("GET", url);
        let result = ctx
            .eventually_n("scenario_cleanup", 1, || {
                let ctx = ctx.clone();
                let del = del.clone();
                async move {
                    let ex = crate::sp::http::send(&ctx, del).await;
                    match ex.status() {
                        Some(204 | 404) => Ok(()),
                        other => Err(format!("DELETE answered {other:?}")),
                    }
                }
            })
            .await;
        let result = match result {
            Ok(()) => {
                ctx.eventually("scenario_cleanup", || {
                    let ctx = ctx.clone();
                    let get = get.clone();
                    async move {
                        let ex = crate::sp::http::send(&ctx, get).await;
                        if ex.status() == Some(404) {
                            Ok(())
                        } else {
                            Err(format!("GET still answers {:?}", ex.status()))
                        }
                    }
                })
                .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => ctx.ledger.set(&r.id, &r.service_type, EntryState::Deleted),
            Err(e) => {
                ctx.ledger
                    .set(&r.id, &r.service_type, EntryState::Leftover(e.clone()));
                errors.push(format!("{} {}: {e}", r.service_type, r.id));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// End of run: the SP lists no ledger id any more (ORP-021).
async fn verify_ledger(ctx: &RunContext) -> Vec<String> {
    // The timeout table bounds this walk too: a hung SP ends the run.
    let answer_bound = ctx.timeouts.answer_wait();
    let mut leftovers = Vec::new();
    let ledger_ids: BTreeSet<String> = ctx.ledger.entries().into_iter().map(|e| e.id).collect();
    for s in ctx.services.values() {
        let mut token: Option<String> = None;
        for _ in 0..1000 {
            let mut url = format!("{}?max_page_size=100", s.endpoint.trim_end_matches('/'));
            if let Some(t) = &token {
                url.push_str(&format!("&page_token={}", urlencode(t)));
            }
            let ex = crate::sp::http::send(
                ctx,
                crate::wire::Request::new("GET", url).with_timeout(answer_bound),
            )
            .await;
            let Ok(page) = ex.json() else { break };
            for item in page["results"].as_array().cloned().unwrap_or_default() {
                if let Some(id) = item["id"].as_str()
                    && ledger_ids.contains(id)
                {
                    leftovers.push(format!("{} {id}", s.service_type));
                }
            }
            token = page["next_page_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    for e in ctx.ledger.entries() {
        if let EntryState::Leftover(reason) = e.state {
            let line = format!("{} {}", e.service_type, e.id);
            if !leftovers.contains(&line) {
                leftovers.push(format!("{line} ({reason})"));
            }
        }
    }
    leftovers
}

/// ORP-024: the reference provider reports none of the run's names as
/// orphans (checked eventually: the provider refreshes its list every poll).
async fn check_orphans(ctx: &RunContext) -> Option<String> {
    if !ctx.caps.contains(&Capability::Ref) {
        return None;
    }
    let ep = ctx.services.values().next()?.endpoint.clone();
    let root = ep.split("/api/").next()?.to_owned();
    let prefix = ctx.id_prefix();
    let url = format!("{root}/api/v1alpha1/orphans");
    ctx.eventually("orphan_reported", || {
        let url = url.clone();
        let prefix = prefix.clone();
        async move {
            let ex = crate::sp::http::send(
                ctx,
                crate::wire::Request::new("GET", url).with_timeout(Duration::from_secs(10)),
            )
            .await;
            let body = ex
                .json()
                .map_err(|e| format!("ORP-024: GET /api/v1alpha1/orphans failed: {e}"))?;
            let mine: Vec<String> = body["results"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|o| o["name"].as_str().map(str::to_owned))
                .filter(|n| n.contains(&prefix))
                .collect();
            if mine.is_empty() {
                Ok(())
            } else {
                Err(format!("ORP-024: orphans left by this run: {mine:?}"))
            }
        }
    })
    .await
    .err()
}
