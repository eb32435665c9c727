//! Differential mode: the scenario requests against two kwebs, compared.
//!
//! Each scenario of `features/kweb` runs completely against kweb A (its
//! requests, set-up and clean-up, in order), then against kweb B; never
//! concurrently, since kweb is single-threaded and scenarios share state.
//! The n-th exchange on A is compared with the n-th on B after [`mask`]ing:
//! status line, content type, header order and masked body (UI pages by
//! status and content type only; names drawn at random are masked). Checks (`Then` steps) are not
//! evaluated here; the parity table is the result. Scenarios tagged for a
//! special instance or one kind of target are not applicable.
//!
//! [`mask`]: crate::kweb::mask

use std::sync::LazyLock;

use cucumber::gherkin::{Scenario, Step};
use regex::Regex;

use crate::features::FeatureSource;
use crate::kweb::error::KwebError;
use crate::kweb::mask::{Normalized, is_ui_page, random_name};
use crate::kweb::release::{KcliRelease, holds_for};
use crate::kweb::request_step::Vars;
use crate::kweb::runner::parse_tags;
use crate::kweb::session::Session;
use crate::kweb::steps::docstring;
use crate::kweb::target::{Instance, Target};
use crate::wire::{Request, Response};
use cucumber::tag::Ext as _;

static SEND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(?:I send|the kweb accepted) (".*)$"#).expect("valid regex"));
static DEFER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^afterwards I send (".*)$"#).expect("valid regex"));
static POLL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^within (\d+) seconds? "GET ([^"]+)" answers JSON containing:$"#)
        .expect("valid regex")
});

/// One compared exchange.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// `feature file: scenario name`.
    pub scenario: String,
    /// The request, `METHOD /path`.
    pub request: String,
    /// Status codes on A and B.
    pub status: (u16, u16),
    /// Content types on A and B.
    pub content_type: (String, String),
    /// What differs after masking; empty when equal.
    pub differences: Vec<String>,
}

/// The whole comparison.
#[derive(Debug, Default)]
pub struct Report {
    /// What A and B are, with their kcli builds (e.g.
    /// `http://127.0.0.1:18200, kcli 99.0.202604230911 (declared)`), printed
    /// above the table; empty when the caller does not say.
    pub labels: (String, String),
    /// Every compared exchange.
    pub rows: Vec<Row>,
    /// Scenarios whose exchanges could not be paired (different counts or a
    /// transport error), with the reason.
    pub broken: Vec<(String, String)>,
    /// Scenarios not applicable to a plain A/B comparison.
    pub not_applicable: usize,
    /// Scenarios whose `@kcli-since-`/`@kcli-before-` tags exclude the
    /// compared release.
    pub not_for_release: Vec<String>,
}

/// The YAML form of a [`Report`] (`kweb-diff --report FILE`): only the
/// differing exchanges, each with what A and B answered.
#[derive(Debug, serde::Serialize)]
struct YamlReport<'a> {
    a: &'a str,
    b: &'a str,
    exchanges: usize,
    equal: usize,
    different: Vec<&'a Row>,
    broken: Vec<Broken<'a>>,
    not_applicable: usize,
    not_for_release: &'a [String],
}

#[derive(Debug, serde::Serialize)]
struct Broken<'a> {
    scenario: &'a str,
    reason: &'a str,
}

impl Report {
    /// Rows that differ.
    #[must_use]
    pub fn different(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| !r.differences.is_empty())
            .count()
    }

    /// `true` when every exchange is equal and every scenario ran on both.
    #[must_use]
    pub fn equal(&self) -> bool {
        self.different() == 0 && self.broken.is_empty()
    }

    /// The report as YAML (the differing exchanges only).
    ///
    /// # Errors
    /// [`KwebError::Io`] when serialisation fails.
    pub fn to_yaml(&self) -> Result<String, KwebError> {
        let report = YamlReport {
            a: &self.labels.0,
            b: &self.labels.1,
            exchanges: self.rows.len(),
            equal: self.rows.len() - self.different(),
            different: self
                .rows
                .iter()
                .filter(|r| !r.differences.is_empty())
                .collect(),
            broken: self
                .broken
                .iter()
                .map(|(scenario, reason)| Broken { scenario, reason })
                .collect(),
            not_applicable: self.not_applicable,
            not_for_release: &self.not_for_release,
        };
        serde_yaml_ng::to_string(&report).map_err(|e| KwebError::Io(format!("report: {e}")))
    }

    /// The parity table, one line per exchange, and the summary line.
    #[must_use]
    pub fn render(&self, verbose: bool) -> String {
        let mut out = String::new();
        if !self.labels.0.is_empty() {
            out.push_str(&format!("a: {}\nb: {}\n", self.labels.0, self.labels.1));
        }
        out.push_str(&format!(
            "{:<60} {:<44} {:>7} {:<50} body\n",
            "scenario", "request", "status", "content type a | b"
        ));
        for row in &self.rows {
            let equal = row.differences.is_empty();
            if !verbose && equal {
                continue;
            }
            let ct = if row.content_type.0 == row.content_type.1 {
                row.content_type.0.clone()
            } else {
                format!("{} | {}", row.content_type.0, row.content_type.1)
            };
            out.push_str(&format!(
                "{:<60} {:<44} {:>3}/{:<3} {:<50} {}\n",
                clip(&row.scenario, 60),
                clip(&row.request, 44),
                row.status.0,
                row.status.1,
                clip(&ct, 50),
                if equal { "equal" } else { "DIFFERENT" }
            ));
            for d in &row.differences {
                out.push_str(&format!("    {d}\n"));
            }
        }
        for (scenario, why) in &self.broken {
            out.push_str(&format!("BROKEN {scenario}: {why}\n"));
        }
        for name in &self.not_for_release {
            out.push_str(&format!("not for this kcli release: {name}\n"));
        }
        out.push_str(&format!(
            "kweb-diff: {} exchanges, {} equal, {} different, {} scenarios broken, {} not applicable, {} not for this release\n",
            self.rows.len(),
            self.rows.len() - self.different(),
            self.different(),
            self.broken.len(),
            self.not_applicable,
            self.not_for_release.len()
        ));
        out
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('~');
        s
    }
}

/// One runnable scenario: name, tags and steps (background first, outline
/// examples expanded).
#[derive(Debug, Clone)]
pub struct Plan {
    /// `file: scenario name`.
    pub name: String,
    /// All tags, without `@`.
    pub tags: Vec<String>,
    /// Step texts and doc strings.
    pub steps: Vec<(String, Option<String>)>,
}

fn expand(
    scenario: &Scenario,
    background: &[Step],
    file: &str,
    feature_tags: &[String],
) -> Vec<Plan> {
    let mut tags = feature_tags.to_vec();
    tags.extend(scenario.tags.iter().cloned());
    let steps: Vec<(String, Option<String>)> = background
        .iter()
        .chain(&scenario.steps)
        .map(|s| (s.value.clone(), docstring(s)))
        .collect();
    let tables: Vec<_> = scenario
        .examples
        .iter()
        .filter_map(|e| e.table.as_ref())
        .collect();
    if tables.is_empty() {
        return vec![Plan {
            name: format!("{file}: {}", scenario.name),
            tags,
            steps,
        }];
    }
    let mut plans = Vec::new();
    for table in tables {
        let Some((header, rows)) = table.rows.split_first() else {
            continue;
        };
        for row in rows {
            let fill = |text: &str| {
                header.iter().zip(row).fold(text.to_owned(), |acc, (k, v)| {
                    acc.replace(&format!("<{k}>"), v)
                })
            };
            plans.push(Plan {
                name: fill(&format!("{file}: {}", scenario.name)),
                tags: tags.clone(),
                steps: steps
                    .iter()
                    .map(|(t, d)| (fill(t), d.as_deref().map(fill)))
                    .collect(),
            });
        }
    }
    plans
}

/// Reads every feature of `source` (sorted by name) into runnable plans.
///
/// # Errors
/// Unreadable directories or feature files that do not parse.
pub fn load_plans(source: &FeatureSource) -> Result<Vec<Plan>, KwebError> {
    let features = source
        .parse()
        .map_err(|e| KwebError::Parse(e.to_string()))?;
    let mut plans = Vec::new();
    for feature in features {
        let file = feature
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let background = feature
            .background
            .as_ref()
            .map(|b| b.steps.clone())
            .unwrap_or_default();
        for scenario in &feature.scenarios {
            plans.extend(expand(scenario, &background, &file, &feature.tags));
        }
        for rule in &feature.rules {
            let mut tags = feature.tags.clone();
            tags.extend(rule.tags.iter().cloned());
            for scenario in &rule.scenarios {
                plans.extend(expand(scenario, &background, &file, &tags));
            }
        }
    }
    Ok(plans)
}

/// Runs one plan's requests on `target`; returns the requests and answers
/// to compare.
async fn run_plan(
    plan: &Plan,
    target: &Target,
    vars: &Vars,
) -> Result<Vec<(Request, Response)>, String> {
    let mut session = Session::new(target.clone(), vars.clone());
    let mut recorded = Vec::new();
    let mut outcome = Ok(());
    for (text, doc) in &plan.steps {
        let step = if let Some(c) = SEND.captures(text) {
            session.send(&c[1], doc.as_deref()).await
        } else if let Some(c) = DEFER.captures(text) {
            session.defer(&c[1], doc.as_deref())
        } else if let Some(c) = POLL.captures(text) {
            let seconds = c[1].parse().unwrap_or(5);
            // The verdict is irrelevant here; the last answer is compared.
            let _ = session
                .eventually_json(seconds, &c[2], doc.as_deref().unwrap_or("{}"))
                .await;
            Ok(())
        } else {
            continue;
        };
        if let Err(e) = step {
            outcome = Err(e);
            break;
        }
        if !DEFER.is_match(text) {
            recorded.extend(session.last_exchange().cloned());
        }
    }
    let before = session.history().len();
    let problems = session.clean_up().await;
    recorded.extend(session.history()[before..].iter().cloned());
    outcome?;
    if let Some(problem) = problems.into_iter().next() {
        return Err(problem);
    }
    recorded
        .into_iter()
        .map(|e| Ok((e.request.clone(), e.answer()?.clone())))
        .collect()
}

/// Runs the scenarios of `features` (optionally filtered by a tag
/// expression) that hold for kcli `release` against `a`, then `b`, one
/// scenario at a time.
///
/// # Errors
/// Bad tag expressions, malformed release tags and unreadable features.
/// Differences are in the report.
pub async fn run(
    a: &Target,
    b: &Target,
    features: &FeatureSource,
    tags: Option<&str>,
    vars: &Vars,
    release: KcliRelease,
) -> Result<Report, KwebError> {
    let filter = tags.map(parse_tags).transpose()?;
    let mut report = Report::default();
    for plan in load_plans(features)? {
        if filter.as_ref().is_some_and(|op| !op.eval(plan.tags.iter())) {
            continue;
        }
        if !holds_for(&plan.tags, release)
            .map_err(|e| KwebError::Parse(format!("{}: {e}", plan.name)))?
        {
            report.not_for_release.push(plan.name.clone());
            continue;
        }
        let special = plan
            .tags
            .iter()
            .any(|t| t == "target-real" || t == "target-sim");
        if special || Instance::from_tags(&plan.tags).is_some() {
            report.not_applicable += 1;
            continue;
        }
        let on_a = run_plan(&plan, a, vars).await;
        let on_b = run_plan(&plan, b, vars).await;
        match (on_a, on_b) {
            (Ok(xa), Ok(xb)) if xa.len() == xb.len() => {
                let names: Vec<String> = xa
                    .iter()
                    .chain(&xb)
                    .filter_map(|(request, response)| random_name(request, response))
                    .collect();
                for ((request, ra), (_, rb)) in xa.iter().zip(&xb) {
                    let ui = is_ui_page(request, ra);
                    let normalize = |response: &Response| {
                        let mut n = Normalized::of(response).with_ui(ui);
                        for name in &names {
                            n.body = n.body.replace(name.as_str(), "<random>");
                        }
                        n
                    };
                    let (na, nb) = (normalize(ra), normalize(rb));
                    report.rows.push(Row {
                        scenario: plan.name.clone(),
                        request: format!("{} {}", request.method, request.path()),
                        status: (ra.status, rb.status),
                        content_type: (na.content_type.clone(), nb.content_type.clone()),
                        differences: na.differences(&nb),
                    });
                }
            }
            (Ok(xa), Ok(xb)) => {
                report.broken.push((
                    plan.name.clone(),
                    format!("{} exchanges on a, {} on b", xa.len(), xb.len()),
                ));
            }
            (Err(e), _) => report
                .broken
                .push((plan.name.clone(), format!("on a: {e}"))),
            (_, Err(e)) => report
                .broken
                .push((plan.name.clone(), format!("on b: {e}"))),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kweb::runner::features_dir;
    use cucumber::gherkin::{Feature, GherkinEnv};

    #[test]
    fn outlines_are_expanded_and_backgrounds_prepended() {
        let feature = Feature::parse(
            "Feature: f\n  Background:\n    Given I send \"GET /hosts\"\n\n  @t\n  Scenario Outline: s <x>\n    When I send \"GET /<x>\"\n\n    Examples:\n      | x |\n      | a |\n      | b |\n",
            GherkinEnv::default(),
        )
        .expect("parses");
        let background = feature
            .background
            .as_ref()
            .map(|b| b.steps.clone())
            .unwrap_or_default();
        let plans = expand(&feature.scenarios[0], &background, "f.feature", &[]);
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[1].name, "f.feature: s b");
        assert_eq!(plans[1].steps[0].0, "I send \"GET /hosts\"");
        assert_eq!(plans[1].steps[1].0, "I send \"GET /b\"");
        assert_eq!(plans[0].tags, ["t"]);
    }

    #[test]
    fn the_repository_features_load() {
        let plans = load_plans(&crate::features::FeatureSource::Dir(features_dir()))
            .expect("features parse");
        assert!(plans.len() >= 100, "{} scenarios", plans.len());
    }
}
