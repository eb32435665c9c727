//! Reports (issue 4 "Reports"): `conformance-report.yaml`, JUnit XML, and
//! the terminal summary with failure details and the closing line
//! `conformance: N passed, N failed, N skipped`.
//!
//! Grading (§1.3): a failed scenario is a *failure* when one of its
//! requirements is a MUST for this target (`SHOULD (Ref: MUST)` rows count
//! as MUST against the reference provider), a *warning* when its strongest
//! requirement is a SHOULD, and *not implemented* when only MAY rows are
//! involved. An area is `failure` with a failed MUST, `partial` when a MUST
//! scenario was not run, `success` otherwise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::features::Provenance;
use crate::sp::catalogue::{self, AREAS, CONTRACT_REVISION, Grade, Subject};
use crate::sp::context::{EntryState, Outcome, RunContext, ScenarioResult};
use crate::sp::target::{Capability, TargetIdentity};
use crate::sp::timeline::{self, ResourceTimeline};
use crate::sp::timeouts::Entry;

/// How a failed scenario is graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// MAY rows only.
    May,
    /// SHOULD rows at most.
    Should,
    /// A MUST row for this target.
    Must,
}

/// The severity of `result` for a target (`is_ref`): the strongest grade of
/// its requirements (Ref rows count only against the reference provider),
/// or its level tag when it cites no known requirement.
#[must_use]
pub fn severity(result: &ScenarioResult, is_ref: bool) -> Severity {
    let graded: Vec<Severity> = result
        .requirements()
        .iter()
        .filter_map(|r| catalogue::requirements().get(r))
        .filter(|r| is_ref || r.subject != Subject::Ref)
        .map(|r| match r.grade {
            Grade::Must => Severity::Must,
            Grade::ShouldRefMust if is_ref => Severity::Must,
            Grade::ShouldRefMust | Grade::Should => Severity::Should,
            Grade::May => Severity::May,
        })
        .collect();
    if let Some(max) = graded.into_iter().max() {
        return max;
    }
    if result.tags.iter().any(|t| t == "must") {
        Severity::Must
    } else if result.tags.iter().any(|t| t == "should") {
        Severity::Should
    } else {
        Severity::May
    }
}

/// Result of one area.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AreaResult {
    /// `success`, `partial` or `failure`.
    pub result: String,
    /// Scenarios passed.
    pub passed: usize,
    /// MUST failures.
    pub failed: usize,
    /// SHOULD failures.
    pub warnings: usize,
    /// MAY failures.
    pub not_implemented: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Filtered out.
    pub skipped: usize,
    /// Sum of the wall times of the area's scenarios, in seconds (scenarios
    /// run concurrently, so areas overlap; a scenario citing two areas counts
    /// in both).
    pub seconds: f64,
}

/// One failed scenario in the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailureEntry {
    /// `feature: scenario`.
    pub scenario: String,
    /// `failure`, `warning` or `not-implemented`.
    pub grade: String,
    /// Requirement ids.
    pub requirements: Vec<String>,
    /// Why.
    pub reason: String,
    /// `curl` lines of the scenario's last exchanges.
    pub reproduce: Vec<String>,
}

/// `conformance-report.yaml`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// `dcm-conformance` version.
    pub suite_version: String,
    /// Contract revision.
    pub contract_revision: String,
    /// Profile name.
    pub profile: String,
    /// The target.
    pub target: TargetIdentity,
    /// Capabilities the target offered.
    pub capabilities: Vec<Capability>,
    /// Facts the target declared that the wire cannot show (`name-prefix`,
    /// `resync-interval`, `hint-namespace`; `@fact:` tags), as declared.
    pub facts: BTreeMap<String, String>,
    /// Whether the result can be claimed (no filters, no timeouts beyond maximum).
    pub claimable: bool,
    /// `success`, `partial` or `failure` for the whole profile.
    pub result: String,
    /// Why the run is not claimable.
    pub not_claimable_because: Vec<String>,
    /// Per area.
    pub areas: BTreeMap<String, AreaResult>,
    /// Scenarios passed.
    pub passed: usize,
    /// MUST failures.
    pub failed: usize,
    /// SHOULD failures.
    pub warnings: usize,
    /// MAY not implemented.
    pub not_implemented: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Filtered out.
    pub skipped: usize,
    /// Failures, warnings and MAY gaps.
    pub failures: Vec<FailureEntry>,
    /// Ledger ids still present at the end (ORP-021).
    pub leftovers: Vec<String>,
    /// ORP-024 finding, if any.
    pub orphans: Option<String>,
    /// The effective timeout table (TMO-020).
    pub timeouts: BTreeMap<String, Entry>,
    /// Wall time in seconds.
    pub duration_seconds: f64,
    /// For each resource the suite created: its statuses over time, from
    /// the SP's answers and its status events.
    pub timelines: Vec<ResourceTimeline>,
    /// The feature files run: embedded (with their hash) or a directory;
    /// `None` for reports of traffic not driven by the scenarios.
    pub features: Option<Provenance>,
}

fn area_of(result: &ScenarioResult) -> String {
    result
        .requirements()
        .first()
        .and_then(|r| r.split('-').next().map(str::to_owned))
        .unwrap_or_else(|| "OTHER".into())
}

/// What a report says besides the results: who was judged, how, and the
/// run's circumstances. The suite ([`build`]) and the proxy
/// ([`crate::proxy`]) fill it in; [`assemble`] grades.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Profile name.
    pub profile: String,
    /// The target.
    pub target: TargetIdentity,
    /// Capabilities the target offered (`ref` grades `Ref` rows).
    pub capabilities: Vec<Capability>,
    /// Facts the target declared.
    pub facts: BTreeMap<String, String>,
    /// Why the result cannot be claimed (none: claimable).
    pub not_claimable_because: Vec<String>,
    /// Ledger ids still present at the end (ORP-021).
    pub leftovers: Vec<String>,
    /// ORP-024 finding, if any.
    pub orphans: Option<String>,
    /// The effective timeout table.
    pub timeouts: BTreeMap<String, Entry>,
    /// Status timelines of the resources the suite created.
    pub timelines: Vec<ResourceTimeline>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// Builds the report of a suite run from its context: the filters, the
/// timeouts beyond their maximum (TMO-021) and leftovers (ORP-021) make it
/// not claimable.
#[must_use]
pub fn build(
    ctx: &RunContext,
    results: &[ScenarioResult],
    filtered: bool,
    leftovers: Vec<String>,
    orphans: Option<String>,
    elapsed: Duration,
) -> Report {
    let mut not_claimable = Vec::new();
    if filtered {
        not_claimable.push("scenario filters were applied".to_owned());
    }
    for k in ctx.timeouts.beyond_maximum() {
        not_claimable.push(format!(
            "timeout {k} overridden beyond its documented maximum (TMO-021)"
        ));
    }
    if !leftovers.is_empty() {
        not_claimable.push("resources were left behind (ORP-021)".into());
    }
    let mut target = ctx.sp.identity();
    target.services = ctx
        .services
        .iter()
        .map(|(k, v)| (k.clone(), v.endpoint.clone()))
        .collect();
    let inputs = Inputs {
        profile: ctx.profile.name().into(),
        target,
        capabilities: ctx.caps.iter().copied().collect(),
        facts: ctx.sp.facts(),
        not_claimable_because: not_claimable,
        leftovers,
        orphans,
        timeouts: ctx.timeouts.entries().clone(),
        timelines: timeline::timelines(
            &ctx.ledger
                .entries()
                .into_iter()
                .filter(|e| e.state != EntryState::Refused)
                .map(|e| (e.service_type, e.id, e.scenario))
                .collect::<Vec<_>>(),
            &ctx.statuses,
            &ctx.dcm.events.all(),
            ctx.launched_at,
        ),
        elapsed,
    };
    assemble(inputs, results)
}

/// Grades `results` (§1.3) into the report: per-area and total counts,
/// the failure list, and the verdict (`failure` with a failed MUST,
/// `partial` when a MUST scenario was not run or the run is not claimable,
/// `success` otherwise).
#[must_use]
pub fn assemble(inputs: Inputs, results: &[ScenarioResult]) -> Report {
    let is_ref = inputs.capabilities.contains(&Capability::Ref);
    let mut areas: BTreeMap<String, AreaResult> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut passed, mut failed, mut warnings, mut not_impl, mut na, mut skipped) =
        (0, 0, 0, 0, 0, 0);
    for r in results {
        let sev = severity(r, is_ref);
        for area in areas_of(r) {
            let a = areas.entry(area).or_insert_with(|| AreaResult {
                result: String::new(),
                passed: 0,
                failed: 0,
                warnings: 0,
                not_implemented: 0,
                not_applicable: 0,
                skipped: 0,
                seconds: 0.0,
            });
            a.seconds += r.seconds;
            match (&r.outcome, sev) {
                (Outcome::Passed, _) => a.passed += 1,
                (Outcome::Failed, Severity::Must) => a.failed += 1,
                (Outcome::Failed, Severity::Should) => a.warnings += 1,
                (Outcome::Failed, Severity::May) => a.not_implemented += 1,
                (Outcome::NotApplicable | Outcome::OutOfProfile | Outcome::NotBinding, _) => {
                    a.not_applicable += 1;
                }
                (Outcome::Skipped, _) => a.skipped += 1,
            }
            if sev == Severity::Must
                && matches!(r.outcome, Outcome::NotApplicable | Outcome::Skipped)
            {
                a.result = "partial".into();
            }
        }
        match (&r.outcome, sev) {
            (Outcome::Passed, _) => passed += 1,
            (Outcome::Failed, s) => {
                match s {
                    Severity::Must => failed += 1,
                    Severity::Should => warnings += 1,
                    Severity::May => not_impl += 1,
                }
                failures.push(FailureEntry {
                    scenario: format!("{}: {}", r.feature, r.scenario),
                    grade: match s {
                        Severity::Must => "failure",
                        Severity::Should => "warning",
                        Severity::May => "not-implemented",
                    }
                    .into(),
                    requirements: r.requirements(),
                    reason: r.reason.clone().unwrap_or_default(),
                    reproduce: r
                        .detail
                        .as_deref()
                        .unwrap_or_default()
                        .lines()
                        .filter_map(|l| l.strip_prefix("reproduce: ").map(str::to_owned))
                        .collect(),
                });
            }
            (Outcome::NotApplicable | Outcome::OutOfProfile | Outcome::NotBinding, _) => na += 1,
            (Outcome::Skipped, _) => skipped += 1,
        }
    }
    for a in areas.values_mut() {
        a.result = if a.failed > 0 {
            "failure".into()
        } else if a.result == "partial" {
            "partial".into()
        } else {
            "success".into()
        };
    }
    let result = if failed > 0 {
        "failure"
    } else if !inputs.not_claimable_because.is_empty()
        || areas.values().any(|a| a.result == "partial")
    {
        "partial"
    } else {
        "success"
    };
    Report {
        suite_version: env!("CARGO_PKG_VERSION").into(),
        contract_revision: CONTRACT_REVISION.into(),
        profile: inputs.profile,
        target: inputs.target,
        capabilities: inputs.capabilities,
        facts: inputs.facts,
        claimable: inputs.not_claimable_because.is_empty(),
        result: result.into(),
        not_claimable_because: inputs.not_claimable_because,
        areas,
        passed,
        failed,
        warnings,
        not_implemented: not_impl,
        not_applicable: na,
        skipped,
        failures,
        leftovers: inputs.leftovers,
        orphans: inputs.orphans,
        timeouts: inputs.timeouts,
        duration_seconds: inputs.elapsed.as_secs_f64(),
        timelines: inputs.timelines,
        features: None,
    }
}

fn areas_of(r: &ScenarioResult) -> Vec<String> {
    let mut out: Vec<String> = r
        .requirements()
        .iter()
        .filter_map(|id| id.split('-').next().map(str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        out.push(area_of(r));
    }
    out
}

/// Writes `conformance-report.yaml`, `junit.xml` and
/// `conformance-report.html` ([`crate::sp::html::render`]) into `dir`.
///
/// # Errors
/// I/O errors, with the path.
pub fn write(report: &Report, results: &[ScenarioResult], dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating report dir {}", dir.display()))?;
    let yaml = serde_yaml_ng::to_string(report).context("serialising the report")?;
    let path = dir.join("conformance-report.yaml");
    std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
    let path = dir.join("junit.xml");
    std::fs::write(&path, junit(report, results))
        .with_context(|| format!("writing {}", path.display()))?;
    let path = dir.join("conformance-report.html");
    std::fs::write(&path, crate::sp::html::render(report, results))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test case per scenario; MUST failures are `<failure>`,
/// SHOULD failures and MAY gaps are `<skipped>` with the grade in the
/// message, not-applicable and filtered scenarios are `<skipped>`.
/// This is the suite's only JUnit writer: cucumber's own cannot grade a
/// failure by requirement strength, so its `output-junit` feature is off.
#[must_use]
pub fn junit(report: &Report, results: &[ScenarioResult]) -> String {
    let is_ref = report.capabilities.contains(&Capability::Ref);
    let mut by_feature: BTreeMap<&str, Vec<&ScenarioResult>> = BTreeMap::new();
    for r in results {
        by_feature.entry(r.feature.as_str()).or_default().push(r);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"dcm-conformance {}\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
        xml_escape(&report.profile),
        results.len(),
        report.failed,
        report.duration_seconds
    );
    for (feature, rs) in by_feature {
        let fails = rs
            .iter()
            .filter(|r| r.outcome == Outcome::Failed && severity(r, is_ref) == Severity::Must)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">",
            xml_escape(feature),
            rs.len()
        );
        for r in rs {
            let _ = write!(
                out,
                "    <testcase classname=\"sp.{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(feature),
                xml_escape(&r.scenario),
                r.seconds
            );
            let reason = xml_escape(r.reason.as_deref().unwrap_or(""));
            match (&r.outcome, severity(r, is_ref)) {
                (Outcome::Passed, _) => out.push_str("/>\n"),
                (Outcome::Failed, Severity::Must) => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{reason}\">{}</failure>\n    </testcase>",
                        xml_escape(r.detail.as_deref().unwrap_or(""))
                    );
                }
                (Outcome::Failed, s) => {
                    let grade = if s == Severity::Should {
                        "warning"
                    } else {
                        "not implemented"
                    };
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{grade}: {reason}\"/>\n    </testcase>"
                    );
                }
                (
                    Outcome::NotApplicable
                    | Outcome::OutOfProfile
                    | Outcome::NotBinding
                    | Outcome::Skipped,
                    _,
                ) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{reason}\"/>\n    </testcase>"
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The terminal summary: failure details, per-area table, totals and the
/// closing line.
#[must_use]
pub fn terminal(report: &Report, results: &[ScenarioResult]) -> String {
    let is_ref = report.capabilities.contains(&Capability::Ref);
    let mut out = String::new();
    for r in results.iter().filter(|r| r.outcome == Outcome::Failed) {
        let grade = match severity(r, is_ref) {
            Severity::Must => "FAIL",
            Severity::Should => "WARN",
            Severity::May => "NOT IMPLEMENTED",
        };
        let _ = writeln!(
            out,
            "\n=== {grade} {}: {} [{}]",
            r.feature,
            r.scenario,
            r.requirements().join(" ")
        );
        let _ = writeln!(out, "{}", r.reason.as_deref().unwrap_or(""));
        if let Some(d) = &r.detail {
            let _ = writeln!(out, "{d}");
        }
    }
    let _ = writeln!(
        out,
        "\nprofile {} (contract revision {}) on {} target {}: {}{}",
        report.profile,
        report.contract_revision,
        report.target.kind,
        report.target.product,
        report.result,
        if report.claimable {
            ""
        } else {
            " (not claimable)"
        }
    );
    for reason in &report.not_claimable_because {
        let _ = writeln!(out, "  not claimable: {reason}");
    }
    for (code, name) in AREAS {
        if let Some(a) = report.areas.get(*code) {
            let _ = writeln!(
                out,
                "  {code:<5}{name:<28}{:<8} passed {:>3}  failed {:>2}  warnings {:>2}  n/a {:>2}  skipped {:>2}  {:>6.1} s",
                a.result, a.passed, a.failed, a.warnings, a.not_applicable, a.skipped, a.seconds
            );
        }
    }
    for l in &report.leftovers {
        let _ = writeln!(out, "  leftover: {l}");
    }
    if let Some(o) = &report.orphans {
        let _ = writeln!(out, "  {o}");
    }
    let _ = writeln!(
        out,
        "warnings: {}, not implemented (MAY): {}, not applicable: {}, duration: {:.1} s",
        report.warnings, report.not_implemented, report.not_applicable, report.duration_seconds
    );
    let _ = writeln!(
        out,
        "conformance: {} passed, {} failed, {} skipped",
        report.passed,
        report.failed,
        report.skipped + report.not_applicable
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(tags: &[&str], outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            feature: "f".into(),
            scenario: tags.join(" "),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            outcome,
            reason: None,
            detail: None,
            seconds: 1.5,
        }
    }

    fn inputs(notes: &[&str]) -> Inputs {
        Inputs {
            profile: "dcm-v1alpha1".into(),
            target: TargetIdentity {
                kind: "proxy".into(),
                product: "p".into(),
                version: String::new(),
                services: BTreeMap::new(),
            },
            capabilities: Vec::new(),
            facts: BTreeMap::new(),
            not_claimable_because: notes.iter().map(|n| (*n).to_owned()).collect(),
            leftovers: Vec::new(),
            orphans: None,
            timeouts: BTreeMap::new(),
            timelines: Vec::new(),
            elapsed: Duration::from_secs(2),
        }
    }

    /// (results, not-claimable notes, verdict, MUST failures, warnings)
    #[test]
    fn the_verdict_follows_musts_untested_musts_and_claimability() {
        let must_ok = || result(&["req-ERR-001", "must"], Outcome::Passed);
        let cases = [
            (vec![must_ok()], vec![], "success", 0, 0),
            (vec![must_ok()], vec!["filters"], "partial", 0, 0),
            (
                vec![must_ok(), result(&["req-ERR-002", "must"], Outcome::Failed)],
                vec![],
                "failure",
                1,
                0,
            ),
            (
                vec![
                    must_ok(),
                    result(&["req-API-041", "should"], Outcome::Failed),
                ],
                vec![],
                "success",
                0,
                1,
            ),
            (
                vec![result(&["req-ERR-002", "must"], Outcome::NotApplicable)],
                vec![],
                "partial",
                0,
                0,
            ),
        ];
        for (results, notes, verdict, failed, warnings) in cases {
            let report = assemble(inputs(&notes), &results);
            assert_eq!(report.result, verdict, "{notes:?} {results:?}");
            assert_eq!(report.claimable, notes.is_empty());
            assert_eq!((report.failed, report.warnings), (failed, warnings));
            assert_eq!(report.failures.len(), failed + warnings);
        }
        let report = assemble(inputs(&[]), &[must_ok(), must_ok()]);
        assert_eq!(report.areas["ERR"].passed, 2);
        assert!((report.areas["ERR"].seconds - 3.0).abs() < 1e-9);
    }
}
