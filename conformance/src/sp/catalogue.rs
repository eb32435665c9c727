//! The requirement catalogue of `dcm-sp-contract.md` (revision 2), as data.
//!
//! Source: `conformance/contract/requirements.tsv`, one row per requirement
//! extracted from the contract's tables (id, grade, subject, profile,
//! summary: the first sentence, cut short with `...` when long). The suite
//! grades only `SP` rows; `Ref` rows are checked when the target is the
//! reference provider; `Suite` rows bind the suite itself.
//!
//! Revision 2 added API-018 (no failure answer while the backend may still
//! complete a create) and revised the text of ORP-009; the first sentence
//! of ORP-009, and so its summary, did not change.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Contract revision the catalogue was taken from.
pub const CONTRACT_REVISION: &str = "2";

const TABLE: &str = include_str!("../../contract/requirements.tsv");

/// RFC 2119 grade of a requirement row, as the suite grades it (§1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// MUST / MUST NOT: a broken row is a failure.
    Must,
    /// SHOULD / SHOULD NOT: a broken row is a warning.
    Should,
    /// `SHOULD (Ref: MUST)`: a warning for other SPs, a failure for Ref.
    ShouldRefMust,
    /// MAY: absence is "not implemented", never a failure.
    May,
}

/// Who a requirement binds (§1.3 "Subjects").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Subject {
    /// Any SP under test.
    #[serde(rename = "SP")]
    Sp,
    /// The reference provider only.
    Ref,
    /// The conformance suite itself.
    Suite,
}

/// One requirement row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Requirement {
    /// `AREA-NNN`, e.g. `API-031`.
    pub id: String,
    /// Grade of the row.
    pub grade: Grade,
    /// Who is bound.
    pub subject: Subject,
    /// `all`, `legacy` or `agent` (rows starting with `[legacy]`/`[agent]`).
    pub profile: String,
    /// First sentence of the requirement text.
    pub summary: String,
}

impl Requirement {
    /// The area prefix (`REG`, `HLT`, `API`, ...).
    #[must_use]
    pub fn area(&self) -> &str {
        self.id.split('-').next().unwrap_or(&self.id)
    }
}

/// Human names of the areas, in contract order (Appendix C).
pub const AREAS: &[(&str, &str)] = &[
    ("REG", "Registration"),
    ("HLT", "Health"),
    ("API", "Resource protocol"),
    ("VAL", "Request validation"),
    ("ERR", "Problem details"),
    ("EVT", "Status events"),
    ("VOC", "Status vocabularies"),
    ("ORP", "Orphans and reconciliation"),
    ("TMO", "Timeouts"),
    ("SEC", "Security"),
    ("KCLI", "kcli-provider specifics"),
    ("AGT", "Agent-mode variant"),
];

/// Every requirement of the catalogue, keyed by id.
///
/// # Panics
/// Never at run time for a well-formed committed table; a malformed row is a
/// build defect caught by the catalogue unit test.
pub fn requirements() -> &'static BTreeMap<String, Requirement> {
    static CELL: OnceLock<BTreeMap<String, Requirement>> = OnceLock::new();
    CELL.get_or_init(|| {
        TABLE
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(parse_row)
            .map(|r| (r.id.clone(), r))
            .collect()
    })
}

fn parse_row(line: &str) -> Option<Requirement> {
    let mut cols = line.split('\t');
    let id = cols.next()?.to_owned();
    let grade = match cols.next()? {
        "must" => Grade::Must,
        "should" => Grade::Should,
        "should-ref-must" => Grade::ShouldRefMust,
        "may" => Grade::May,
        _ => return None,
    };
    let subject = match cols.next()? {
        "SP" => Subject::Sp,
        "Ref" => Subject::Ref,
        "Suite" => Subject::Suite,
        _ => return None,
    };
    let profile = cols.next()?.to_owned();
    let summary = cols.next()?.to_owned();
    Some(Requirement {
        id,
        grade,
        subject,
        profile,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_appendix_c_counts() {
        let reqs = requirements();
        assert_eq!(reqs.len(), 201, "Appendix C lists 201 rows");
        let must = reqs.values().filter(|r| r.grade == Grade::Must).count();
        assert_eq!(must, 149 + 12, "Appendix C: 149 MUST and 12 MUST NOT rows");
        let may = reqs.values().filter(|r| r.grade == Grade::May).count();
        assert_eq!(may, 6);
        let ref_must = reqs
            .values()
            .filter(|r| r.grade == Grade::ShouldRefMust)
            .count();
        assert_eq!(ref_must, 11);
        let should = reqs.values().filter(|r| r.grade == Grade::Should).count();
        assert_eq!(should, 23);
        for (prefix, _) in AREAS {
            assert!(
                reqs.values().any(|r| r.area() == *prefix),
                "area {prefix} has rows"
            );
        }
    }
}
