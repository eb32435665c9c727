//! Reading `features/sp/*.feature` and deciding, per scenario, whether it
//! runs, is not applicable to the target, or is filtered out.

use std::collections::{BTreeMap, BTreeSet};

use cucumber::gherkin;
use cucumber::tag::Ext as _;

use crate::features::FeatureSource;
use crate::sp::catalogue::{Subject, requirements};
use crate::sp::profile::Profile;
use crate::sp::target::Capability;

/// One scenario (an outline counts once) with its merged tags.
#[derive(Debug, Clone)]
pub struct PlannedScenario {
    /// Feature file stem (`vm_lifecycle`).
    pub feature: String,
    /// Scenario name.
    pub name: String,
    /// Line in the feature file.
    pub line: usize,
    /// Feature, rule and scenario tags without `@`.
    pub tags: Vec<String>,
}

impl PlannedScenario {
    /// Requirement ids from `@req-...` tags.
    #[must_use]
    pub fn requirements(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("req-").map(str::to_owned))
            .collect()
    }

    /// Capabilities from `@cap:...` tags (unknown names are returned as errors).
    #[must_use]
    pub fn capabilities(&self) -> Vec<Result<Capability, String>> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("cap:"))
            .map(str::parse)
            .collect()
    }
}

/// Errors reading features.
pub type PlanError = crate::features::SourceError;

/// Every scenario of every feature of `source`.
///
/// # Errors
/// [`PlanError`].
pub fn scenarios(source: &FeatureSource) -> Result<Vec<PlannedScenario>, PlanError> {
    let mut out = Vec::new();
    for feature in source.parse()? {
        let stem = feature
            .path
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut push = |sc: &gherkin::Scenario, rule_tags: &[String]| {
            let mut tags: Vec<String> = feature.tags.clone();
            tags.extend(rule_tags.iter().cloned());
            tags.extend(sc.tags.iter().cloned());
            out.push(PlannedScenario {
                feature: stem.clone(),
                name: sc.name.clone(),
                line: sc.position.line,
                tags,
            });
        };
        for sc in &feature.scenarios {
            push(sc, &[]);
        }
        for rule in &feature.rules {
            for sc in &rule.scenarios {
                push(sc, &rule.tags);
            }
        }
    }
    Ok(out)
}

/// What the run allows.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Active profile.
    pub profile: Profile,
    /// Target capabilities (after `--supported-features`/`--exempt-features`).
    pub caps: BTreeSet<Capability>,
    /// `--tags` expression.
    pub tags: Option<gherkin::tagexpr::TagOperation>,
    /// `--name` regex.
    pub name: Option<cucumber::codegen::Regex>,
    /// Facts the target declared ([`crate::sp::target::SpUnderTest::facts`]).
    pub facts: BTreeMap<String, String>,
}

/// Decides a `@fact:NAME` or `@fact:NAME=VALUE` tag against the declared
/// `facts`: `None` when it holds, else why the scenario does not bind.
#[must_use]
pub fn fact_unmet(tag: &str, facts: &BTreeMap<String, String>) -> Option<String> {
    let (name, want) = match tag.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (tag, None),
    };
    match (facts.get(name), want) {
        (None, _) => Some(format!(
            "the target declares no {name} (--sp-{name}); the scenario checks a declared fact"
        )),
        (Some(have), Some(want)) if have != want => Some(format!(
            "binds {name} {want} only; the target declares {name} {have}"
        )),
        _ => None,
    }
}

/// The decision for one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run it.
    Run,
    /// Not applicable to this target: a capability is missing (reason).
    NotApplicable(String),
    /// The rule does not bind this target (reason): `Ref` rows, or a
    /// target fact not declared (`@fact:NAME`) or declared with another
    /// value (`@fact:NAME=VALUE`).
    NotBinding(String),
    /// Part of another profile.
    OutOfProfile(String),
    /// Filtered out by `--tags` / `--name`.
    Filtered,
}

impl Selection {
    /// Decides for `sc`.
    #[must_use]
    pub fn decide(&self, sc: &PlannedScenario) -> Decision {
        if let Some(op) = &self.tags
            && !op.eval(sc.tags.iter())
        {
            return Decision::Filtered;
        }
        if let Some(re) = &self.name
            && !re.is_match(&sc.name)
        {
            return Decision::Filtered;
        }
        for cap in sc.capabilities() {
            match cap {
                Ok(c) if !self.caps.contains(&c) => {
                    return Decision::NotApplicable(format!("the target lacks @cap:{c}"));
                }
                Err(e) => return Decision::NotApplicable(e),
                Ok(_) => {}
            }
        }
        let profile_tags: Vec<&String> = sc
            .tags
            .iter()
            .filter(|t| t.starts_with("profile-"))
            .collect();
        if !profile_tags.is_empty() && !profile_tags.iter().any(|t| *t == self.profile.tag()) {
            return Decision::OutOfProfile(format!("not part of the {} profile", self.profile));
        }
        let reqs = sc.requirements();
        let all_ref = !reqs.is_empty()
            && reqs.iter().all(|r| {
                requirements()
                    .get(r)
                    .is_some_and(|q| q.subject == Subject::Ref)
            });
        if all_ref && !self.caps.contains(&Capability::Ref) {
            return Decision::NotBinding("Ref rows apply to the reference provider only".into());
        }
        for tag in sc.tags.iter().filter_map(|t| t.strip_prefix("fact:")) {
            if let Some(why) = fact_unmet(tag, &self.facts) {
                return Decision::NotBinding(why);
            }
        }
        Decision::Run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(caps: &[Capability], facts: &[(&str, &str)]) -> Selection {
        Selection {
            profile: Profile::V1alpha1,
            caps: caps.iter().copied().collect(),
            tags: None,
            name: None,
            facts: facts
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn scenario(tags: &[&str]) -> PlannedScenario {
        PlannedScenario {
            feature: "f".into(),
            name: "s".into(),
            line: 1,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn facts_and_ref_rows_decide_whether_a_rule_binds() {
        let kcli = [("hint-namespace", "kcli"), ("resync-interval", "10m")];
        let acme = [("hint-namespace", "acme")];
        let binds = |d: &Decision| matches!(d, Decision::Run);
        let not_binding = |d: &Decision| matches!(d, Decision::NotBinding(_));
        type Expect = fn(&Decision) -> bool;
        let table: Vec<(PlannedScenario, Selection, Expect)> = vec![
            (
                scenario(&["req-SEC-005", "fact:hint-namespace"]),
                selection(&[], &acme),
                binds,
            ),
            (
                scenario(&["req-SEC-005", "fact:hint-namespace"]),
                selection(&[], &[]),
                not_binding,
            ),
            (
                scenario(&["req-VAL-011", "fact:hint-namespace=kcli"]),
                selection(&[], &acme),
                not_binding,
            ),
            (
                scenario(&["req-VAL-011", "fact:hint-namespace=kcli"]),
                selection(&[], &kcli),
                binds,
            ),
            (
                scenario(&["req-EVT-024", "fact:resync-interval"]),
                selection(&[], &acme),
                not_binding,
            ),
            (
                scenario(&["req-EVT-024", "fact:resync-interval"]),
                selection(&[], &kcli),
                binds,
            ),
            (
                scenario(&["req-KCLI-020"]),
                selection(&[], &kcli),
                not_binding,
            ),
            (
                scenario(&["req-KCLI-020"]),
                selection(&[Capability::Ref], &kcli),
                binds,
            ),
            (
                scenario(&["req-HLT-003", "cap:backend-control"]),
                selection(&[], &kcli),
                |d| matches!(d, Decision::NotApplicable(_)),
            ),
        ];
        for (sc, sel, want) in table {
            let got = sel.decide(&sc);
            assert!(
                want(&got),
                "{:?} with facts {:?}: {got:?}",
                sc.tags,
                sel.facts
            );
        }
    }
}
