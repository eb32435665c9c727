//! The traceability matrix: requirement → scenarios (§1.3). `dcm-conformance
//! matrix` fails when an `SP` MUST row has no scenario. `Ref` rows are listed
//! with their scenarios when they have some (the reference provider's own
//! tests cover the rest); `Suite` rows name the module that implements them.

use crate::features::FeatureSource;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::sp::catalogue::{Grade, Subject, requirements};
use crate::sp::plan::{self, PlanError};

/// Where the suite itself satisfies its `Suite` rows.
pub const SUITE_ROWS: &[(&str, &str)] = &[
    (
        "HLT-015",
        "sp::profile::Profile::health_values (legacy accepts pass/fail)",
    ),
    (
        "ORP-020",
        "sp::world::SpWorld::track + sp::context::Ledger (ids cst-{run}-…)",
    ),
    (
        "ORP-021",
        "sp::runner::cleanup (per scenario) + sp::runner::verify_ledger (end of run)",
    ),
    (
        "ORP-022",
        "sp::context::Ledger::owns; the suite deletes only ledger ids",
    ),
    (
        "ORP-023",
        "dcm-conformance sweep --prefix (dry run unless --yes)",
    ),
    (
        "ORP-024",
        "sp::runner::check_orphans (reference provider only)",
    ),
    (
        "TMO-020",
        "sp::timeouts::TimeoutTable (+ --timeouts-file / --timeout key=value)",
    ),
    (
        "TMO-021",
        "sp::timeouts::TimeoutTable::beyond_maximum → report not claimable",
    ),
    (
        "TMO-022",
        "sp::context::RunContext::eventually (poll_step, consecutive_successes)",
    ),
];

/// One matrix row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// Requirement id.
    pub id: String,
    /// Grade.
    pub grade: Grade,
    /// Subject.
    pub subject: Subject,
    /// `feature: scenario` entries that cite it.
    pub scenarios: Vec<String>,
    /// Implementation note for `Suite` rows.
    pub implemented_by: Option<String>,
}

/// Builds the matrix from the feature files of `source`.
///
/// # Errors
/// [`PlanError`].
pub fn build(source: &FeatureSource) -> Result<Vec<Row>, PlanError> {
    let scenarios = plan::scenarios(source)?;
    let mut by_req: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sc in &scenarios {
        for r in sc.requirements() {
            by_req
                .entry(r)
                .or_default()
                .push(format!("{}: {}", sc.feature, sc.name));
        }
    }
    let suite: BTreeMap<&str, &str> = SUITE_ROWS.iter().copied().collect();
    Ok(requirements()
        .values()
        .map(|r| Row {
            id: r.id.clone(),
            grade: r.grade,
            subject: r.subject,
            scenarios: by_req.get(&r.id).cloned().unwrap_or_default(),
            implemented_by: suite.get(r.id.as_str()).map(|s| (*s).to_owned()),
        })
        .collect())
}

/// Tags citing ids that are not in the catalogue.
///
/// # Errors
/// [`PlanError`].
pub fn unknown_ids(source: &FeatureSource) -> Result<Vec<String>, PlanError> {
    let mut out: Vec<String> = plan::scenarios(source)?
        .iter()
        .flat_map(plan::PlannedScenario::requirements)
        .filter(|r| !requirements().contains_key(r))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// `SP` MUST rows without a scenario (the matrix's failure condition).
#[must_use]
pub fn uncovered_must(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.subject == Subject::Sp && r.grade == Grade::Must && r.scenarios.is_empty())
        .map(|r| r.id.clone())
        .collect()
}

/// `SP` SHOULD rows without a scenario.
#[must_use]
pub fn uncovered_should(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| {
            r.subject == Subject::Sp
                && matches!(r.grade, Grade::Should | Grade::ShouldRefMust)
                && r.scenarios.is_empty()
        })
        .map(|r| r.id.clone())
        .collect()
}

/// The matrix as text.
#[must_use]
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows {
        let grade = format!("{:?}", r.grade);
        let subject = format!("{:?}", r.subject);
        let cover = if let Some(imp) = &r.implemented_by {
            format!("suite: {imp}")
        } else if r.scenarios.is_empty() {
            "— no scenario".to_owned()
        } else {
            r.scenarios.join("; ")
        };
        let _ = writeln!(out, "{:<9} {:<13} {:<6} {cover}", r.id, grade, subject);
    }
    let sp_rows = rows.iter().filter(|r| r.subject == Subject::Sp).count();
    let covered = rows
        .iter()
        .filter(|r| r.subject == Subject::Sp && !r.scenarios.is_empty())
        .count();
    let _ = writeln!(out, "\nSP rows covered: {covered}/{sp_rows}");
    let _ = writeln!(
        out,
        "SP MUST rows without a scenario: {:?}",
        uncovered_must(rows)
    );
    let _ = writeln!(
        out,
        "SP SHOULD rows without a scenario: {:?}",
        uncovered_should(rows)
    );
    out
}
