//! Runs `features/kweb` with cucumber against the configured targets.
//!
//! Used by the `kweb` test target and by `dcm-conformance kweb`. Scenarios run
//! one at a time (kweb is single-threaded and scenarios share its state), in
//! file order; each sets up and cleans up its own objects.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::Stats as _;
use cucumber::{World as _, cli};

use crate::kweb::error::KwebError;
use crate::kweb::http::Target;
use crate::kweb::request_step::Vars;
use crate::kweb::target::{Route, Targets, spawn_parity_simulator};
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
    /// The features directory; default [`features_dir`].
    pub features: Option<PathBuf>,
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/kweb")
}

/// The crate's `fixtures` directory (`${FIXTURES}` in scenarios).
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

/// The substitution variables of a run; `scratch` backs `${TMP}`.
#[must_use]
pub fn run_vars(scratch: &Path) -> Vars {
    let fixtures = fixtures_dir();
    let fixtures = fixtures.canonicalize().unwrap_or(fixtures);
    Vars::from([
        ("FIXTURES".to_owned(), fixtures.display().to_string()),
        ("TMP".to_owned(), scratch.display().to_string()),
    ])
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
            main: spawn_parity_simulator().await?,
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
    let features = options.features.clone().unwrap_or_else(features_dir);
    println!(
        "kweb parity suite: {} against {}{}",
        features.display(),
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
            vars: run_vars(scratch.path()),
        })
        .map_err(|_| KwebError::Config("the kweb suite runs once per process".into()))?;

    let not_applicable = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&not_applicable);
    let filter = move |feature: &cucumber::gherkin::Feature,
                       rule: Option<&cucumber::gherkin::Rule>,
                       scenario: &cucumber::gherkin::Scenario| {
        let all = scenario_tags(feature, rule, scenario);
        if tags.as_ref().is_some_and(|op| !op.eval(all.iter())) {
            return false;
        }
        if let Route::NotApplicable(why) = targets.route(&all) {
            println!("not applicable ({why}): {}", scenario.name);
            counter.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        true
    };

    let writer = KwebWorld::cucumber()
        .max_concurrent_scenarios(1)
        .before(|feature, rule, scenario, world| {
            let tags = scenario_tags(feature, rule, scenario);
            Box::pin(async move {
                if let Err(e) = world.prepare(&tags).await {
                    panic!("scenario set-up: {e}");
                }
            })
        })
        .after(|_, _, scenario, _, world| {
            Box::pin(async move {
                if let Some(world) = world {
                    for problem in world.finish().await {
                        eprintln!("clean-up after {:?}: {problem}", scenario.name);
                    }
                }
            })
        })
        .fail_on_skipped()
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
        .filter_run(features, filter)
        .await;

    let stats = writer.scenarios_stats();
    let summary = Summary {
        passed: stats.passed,
        failed: stats.failed + writer.parsing_errors() + writer.hook_errors(),
        skipped: stats.skipped + not_applicable.load(Ordering::SeqCst),
    };
    println!("{}", summary.line());
    Ok(summary)
}
