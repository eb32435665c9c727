//! Reading `features/sp/*.feature` and deciding, per scenario, whether it
//! runs, is not applicable to the target, or is filtered out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cucumber::gherkin::{self, GherkinEnv};
use cucumber::tag::Ext as _;

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
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The directory could not be listed.
    #[error("cannot read feature directory {path}: {source}")]
    Dir {
        /// Directory.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A feature file does not parse.
    #[error("feature file {path} does not parse: {reason}")]
    Parse {
        /// File.
        path: String,
        /// Cause.
        reason: String,
    },
}

/// Feature files under `dir`, sorted.
///
/// # Errors
/// [`PlanError::Dir`].
pub fn feature_files(dir: &Path) -> Result<Vec<PathBuf>, PlanError> {
    let read = std::fs::read_dir(dir).map_err(|source| PlanError::Dir {
        path: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every scenario of every feature under `dir`.
///
/// # Errors
/// [`PlanError`].
pub fn scenarios(dir: &Path) -> Result<Vec<PlannedScenario>, PlanError> {
    let mut out = Vec::new();
    for path in feature_files(dir)? {
        let feature = gherkin::Feature::parse_path(&path, GherkinEnv::default()).map_err(|e| {
            PlanError::Parse {
                path: path.display().to_string(),
                reason: e.to_string(),
            }
        })?;
        let stem = path
            .file_stem()
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
}

/// The decision for one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run it.
    Run,
    /// Not applicable to this target (reason).
    NotApplicable(String),
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
            return Decision::NotApplicable("Ref rows apply to the reference provider only".into());
        }
        Decision::Run
    }
}
