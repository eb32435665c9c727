//! Runs `features/kweb` with cucumber against the configured targets.
//!
//! Used by the `kweb` test target and by `dcm-conformance kweb`. Scenarios run
//! one at a time (kweb is single-threaded and scenarios share its state), in
//! file order; each sets up and cleans up its own objects.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::Stats as _;
use cucumber::{World as _, cli};

use crate::features::{FeatureSource, SourceParser, Suite as FeatureSuite};
use crate::kweb::error::KwebError;
use crate::kweb::release::{KcliRelease, RunRelease, holds_for};
use crate::kweb::report::{Failure, SuiteReport, failure_message};
use crate::kweb::request_step::Vars;
use crate::kweb::target::{Route, Target, Targets, spawn_release_simulator};
use crate::kweb::world::{KwebWorld, SUITE, Suite};

/// Where and what to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// A read-write kweb; `None` starts `kweb-sim` in-process.
    pub kweb_url: Option<String>,
    /// A `kweb --readonly` for `@instance-readonly` scenarios (real kweb only).
    pub readonly_url: Option<String>,
    /// A kweb with an unreachable backend for `@instance-unreachable`
    /// scenarios (real kweb only).
    pub unreachable_url: Option<String>,
    /// A cucumber tag expression (`@ref-6.3 and not @slow`).
    pub tags: Option<String>,
    /// A features directory instead of the copy embedded in the binary.
    pub features: Option<PathBuf>,
    /// The kcli release of the real kweb (as its launcher installed it), or
    /// the release the simulator emulates; default the pin. Scenarios whose
    /// `@kcli-since-`/`@kcli-before-` tags exclude it are left out.
    pub kcli_release: Option<KcliRelease>,
    /// Where to write the YAML report ([`SuiteReport`]).
    pub report: Option<PathBuf>,
}

/// Scenario counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed, plus feature parse errors and hook errors.
    pub failed: usize,
    /// Scenarios skipped, including those not applicable to the target.
    pub skipped: usize,
}

impl Summary {
    /// The closing line CI reads: `kweb: N passed, N failed, N skipped`.
    #[must_use]
    pub fn line(&self) -> String {
        format!(
            "kweb: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The repository's `features/kweb` directory.
#[must_use]
pub fn features_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/kweb");
    dir.canonicalize().unwrap_or(dir)
}

/// The crate's `fixtures` directory in the source tree (the kweb captures
/// the replay test reads); runs use an embedded copy ([`run_vars`]).
#[must_use]
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// All tags of a scenario: feature, rule and scenario tags, without `@`.
#[must_use]
pub fn scenario_tags(
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    scenario: &cucumber::gherkin::Scenario,
) -> Vec<String> {
    let mut tags = feature.tags.clone();
    if let Some(rule) = rule {
        tags.extend(rule.tags.iter().cloned());
    }
    tags.extend(scenario.tags.iter().cloned());
    tags
}

/// Parses a tag expression such as `@ref-6.3 and not @obs`.
///
/// # Errors
/// [`KwebError::Config`] when the expression is malformed.
pub fn parse_tags(expression: &str) -> Result<TagOperation, KwebError> {
    expression
        .parse()
        .map_err(|e| KwebError::Config(format!("tag expression {expression:?}: {e}")))
}

/// The substitution variables of a run: `${TMP}` is `scratch`, and
/// `${FIXTURES}` is `scratch/fixtures`, where the embedded fixture files are
/// written ([`crate::features::write_kweb_fixtures`]), so a copied binary
/// never points a kweb at the source tree.
///
/// # Errors
/// [`KwebError::Io`] when the fixtures cannot be written.
pub fn run_vars(scratch: &Path) -> Result<Vars, KwebError> {
    let fixtures =
        crate::features::write_kweb_fixtures(&scratch.join("fixtures")).map_err(|e| {
            KwebError::Io(format!(
                "writing the fixtures under {}: {e}",
                scratch.display()
            ))
        })?;
    Ok(Vars::from([
        ("FIXTURES".to_owned(), fixtures.display().to_string()),
        ("TMP".to_owned(), scratch.display().to_string()),
    ]))
}

/// Resolves the targets of `options`, starting the simulator when no URL is
/// given.
///
/// # Errors
/// Bad URLs, or a simulator that does not start.
pub async fn targets(options: &RunOptions) -> Result<Targets, KwebError> {
    let optional = |url: &Option<String>| url.as_deref().map(Target::parse).transpose();
    Ok(match &options.kweb_url {
        Some(url) => Targets {
            main: Target::parse(url)?,
            simulator: false,
            readonly: optional(&options.readonly_url)?,
            unreachable: optional(&options.unreachable_url)?,
        },
        None => Targets {
            main: spawn_release_simulator(
                options.kcli_release.unwrap_or(crate::kweb::release::PIN),
            )
            .await?,
            simulator: true,
            readonly: None,
            unreachable: None,
        },
    })
}

/// Runs the suite once in this process and prints the closing line.
///
/// # Errors
/// Configuration problems (bad URL or tags, simulator start failure, a
/// second run in the same process). Scenario failures are in the summary.
pub async fn run(options: RunOptions) -> Result<Summary, KwebError> {
    let targets = targets(&options).await?;
    let scratch =
        tempfile::tempdir().map_err(|e| KwebError::Config(format!("scratch directory: {e}")))?;
    let tags = options.tags.as_deref().map(parse_tags).transpose()?;
    let features = FeatureSource::from_option(options.features.clone(), FeatureSuite::Kweb);
    let release = RunRelease::resolve(options.kcli_release, targets.simulator);
    let target_name = if targets.simulator {
        "in-process kweb-sim".to_owned()
    } else {
        targets.main.base.clone()
    };
    println!(
        "kweb parity suite: {features} against {}{}, {release}",
        targets.main.base,
        if targets.simulator {
            " (in-process kweb-sim)"
        } else {
            ""
        }
    );
    SUITE
        .set(Suite {
            targets: targets.clone(),
            vars: run_vars(scratch.path())?,
        })
        .map_err(|_| KwebError::Config("the kweb suite runs once per process".into()))?;

    let not_applicable = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&not_applicable);
    let fidelity = Arc::new(Fidelity::default());
    let tally = Arc::clone(&fidelity);
    let not_for_release = Arc::new(Mutex::new(Vec::new()));
    let excluded = Arc::clone(&not_for_release);
    let failures = Arc::new(Mutex::new(Vec::new()));
    let failed_list = Arc::clone(&failures);
    let filter = move |feature: &cucumber::gherkin::Feature,
                       rule: Option<&cucumber::gherkin::Rule>,
                       scenario: &cucumber::gherkin::Scenario| {
        let all = scenario_tags(feature, rule, scenario);
        if tags.as_ref().is_some_and(|op| !op.eval(all.iter())) {
            return false;
        }
        match holds_for(&all, release.release) {
            Ok(true) => {}
            Ok(false) => {
                println!("not for kcli {}: {}", release.release, scenario.name);
                counter.fetch_add(1, Ordering::SeqCst);
                lock(&excluded).push(scenario_name(feature, scenario));
                return false;
            }
            // A malformed range tag runs the scenario, which then fails in
            // its before hook with the tag's message.
            Err(_) => return true,
        }
        if let Route::NotApplicable(why) = targets.route(&all) {
            println!("not applicable ({why}): {}", scenario.name);
            counter.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        tally.count(&all);
        true
    };

    let writer = KwebWorld::cucumber::<PathBuf>()
        .max_concurrent_scenarios(1)
        .before(move |feature, rule, scenario, world| {
            let tags = scenario_tags(feature, rule, scenario);
            Box::pin(async move {
                if let Err(e) = holds_for(&tags, release.release) {
                    panic!("scenario set-up: {e}");
                }
                if let Err(e) = world.prepare(&tags).await {
                    panic!("scenario set-up: {e}");
                }
            })
        })
        .after(move |feature, _, scenario, finished, world| {
            let failure = match finished {
                cucumber::event::ScenarioFinished::StepFailed(_, _, error) => Some(match error {
                    cucumber::event::StepError::Panic(info) => failure_message(&**info),
                    other => other.to_string(),
                }),
                cucumber::event::ScenarioFinished::BeforeHookFailed(info) => {
                    Some(failure_message(&**info))
                }
                _ => None,
            };
            if let Some(message) = failure {
                lock(&failed_list).push(Failure {
                    scenario: scenario_name(feature, scenario),
                    message,
                });
            }
            Box::pin(async move {
                if let Some(world) = world {
                    for problem in world.finish().await {
                        eprintln!("clean-up after {:?}: {problem}", scenario.name);
                    }
                }
            })
        })
        .fail_on_skipped()
        .with_parser(SourceParser)
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
        .filter_run(features, filter)
        .await;

    let stats = writer.scenarios_stats();
    let summary = Summary {
        passed: stats.passed,
        failed: stats.failed + writer.parsing_errors() + writer.hook_errors(),
        skipped: stats.skipped + not_applicable.load(Ordering::SeqCst),
    };
    println!("{}", fidelity.line());
    if let Some(path) = &options.report {
        let report = SuiteReport {
            suite: "kweb".into(),
            kcli_release: release.release.to_string(),
            kcli_release_source: release.source.as_str().into(),
            target: target_name,
            passed: summary.passed,
            failed: summary.failed,
            skipped: summary.skipped,
            failures: std::mem::take(&mut *lock(&failures)),
            not_for_release: std::mem::take(&mut *lock(&not_for_release)),
        };
        report.write(path)?;
        println!("kweb report: {}", path.display());
    }
    println!("{}", summary.line());
    Ok(summary)
}

/// `feature file: scenario name`, the name reports use.
fn scenario_name(
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
) -> String {
    let file = feature
        .path
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or(&feature.name);
    format!("{file}: {}", scenario.name)
}

/// Locks a report list; a poisoned lock still holds the entries so far.
fn lock<T>(list: &Mutex<Vec<T>>) -> std::sync::MutexGuard<'_, Vec<T>> {
    list.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts of the fidelity tags of the scenarios that ran (each outline row
/// counts), so the unverified surface stays visible.
#[derive(Debug, Default)]
struct Fidelity {
    obs: AtomicUsize,
    promoted: AtomicUsize,
    env: AtomicUsize,
    code: AtomicUsize,
}

impl Fidelity {
    fn count(&self, tags: &[String]) {
        for (tag, counter) in [
            ("obs", &self.obs),
            ("promoted", &self.promoted),
            ("env", &self.env),
            ("code", &self.code),
        ] {
            if tags.iter().any(|t| t == tag) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    fn line(&self) -> String {
        format!(
            "fidelity of the scenarios run: {} @obs ({} promoted from [code] or [obs, no capture]), {} @env, {} @code",
            self.obs.load(Ordering::SeqCst),
            self.promoted.load(Ordering::SeqCst),
            self.env.load(Ordering::SeqCst),
            self.code.load(Ordering::SeqCst)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closing_line_has_the_ci_format() {
        let summary = Summary {
            passed: 3,
            failed: 1,
            skipped: 2,
        };
        assert_eq!(summary.line(), "kweb: 3 passed, 1 failed, 2 skipped");
    }

    /// `${FIXTURES}` names a copy in the run's scratch directory, never
    /// the source tree, and the copy holds every file scenarios name.
    #[test]
    fn fixtures_are_written_into_the_scratch_directory() {
        let scratch = tempfile::tempdir().expect("scratch");
        let vars = run_vars(scratch.path()).expect("fixtures written");
        let fixtures = PathBuf::from(&vars["FIXTURES"]);
        assert!(
            fixtures.starts_with(scratch.path()),
            "{}",
            fixtures.display()
        );
        for name in ["myplan.yml", "config.yml", "profiles.yml"] {
            let copy = std::fs::read(fixtures.join("kweb-configs").join(name)).expect("copied");
            let source =
                std::fs::read(fixtures_dir().join("kweb-configs").join(name)).expect("source");
            assert_eq!(copy, source, "{name}");
        }
    }

    #[test]
    fn tag_expressions_parse_and_filter() {
        let op = parse_tags("@vms and not @env").expect("parses");
        assert!(op.eval(["vms", "obs"].iter()));
        assert!(!op.eval(["vms", "env"].iter()));
        assert!(parse_tags("@vms and (").is_err());
    }

    #[test]
    fn fidelity_counts_each_tag_once_per_scenario() {
        let fidelity = Fidelity::default();
        fidelity.count(&["obs".to_owned(), "promoted".to_owned()]);
        fidelity.count(&["code".to_owned()]);
        assert!(
            fidelity
                .line()
                .starts_with("fidelity of the scenarios run: 1 @obs (1 promoted")
        );
        assert!(fidelity.line().ends_with("0 @env, 1 @code"));
    }
}
