//! Which kcli release a parity run is about, and which scenarios hold for it.
//!
//! kweb's answers drift between kcli builds (the drift table is
//! `kweb_sim::world::release::DRIFTS`). A scenario about behaviour that
//! changed carries the release range it holds for:
//!
//! - `@kcli-since-99.0.YYYYMMDDhhmm`: holds for that build and later ones;
//! - `@kcli-before-99.0.YYYYMMDDhhmm`: holds for builds before that one.
//!
//! Scenarios without such tags hold for every supported release. The runner
//! and `kweb-diff` leave out the scenarios that do not hold for the run's
//! release and list them as "not for this release".

use std::fmt;

pub use kweb_sim::world::release::{KcliRelease, OLDEST, PIN};

/// Where the run's kcli release comes from (recorded in the reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseSource {
    /// Given with `--kcli-release` for a real kweb (e.g. by the launcher,
    /// which writes the venv's release to `<run dir>/kcli-release`).
    Declared,
    /// A real kweb without `--kcli-release`: assumed to run the pin.
    AssumedPin,
    /// The in-process simulator, emulating this release.
    Emulated,
}

impl ReleaseSource {
    /// The report spelling: `declared`, `assumed-pin`, `emulated`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Declared => "declared",
            Self::AssumedPin => "assumed-pin",
            Self::Emulated => "emulated",
        }
    }
}

impl fmt::Display for ReleaseSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Declared => "declared",
            Self::AssumedPin => "assumed: the pin; pass --kcli-release",
            Self::Emulated => "emulated by kweb-sim",
        })
    }
}

/// The release a run judges, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunRelease {
    /// The kcli build.
    pub release: KcliRelease,
    /// How it is known.
    pub source: ReleaseSource,
}

impl RunRelease {
    /// The release of a run against a real kweb (`simulator == false`) or
    /// the simulator, from an optional `--kcli-release`.
    #[must_use]
    pub fn resolve(declared: Option<KcliRelease>, simulator: bool) -> Self {
        let source = match (declared, simulator) {
            (_, true) => ReleaseSource::Emulated,
            (Some(_), false) => ReleaseSource::Declared,
            (None, false) => ReleaseSource::AssumedPin,
        };
        Self {
            release: declared.unwrap_or(PIN),
            source,
        }
    }
}

impl fmt::Display for RunRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kcli {} ({})", self.release, self.source)
    }
}

/// A release-range tag that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTag(pub String);

impl fmt::Display for BadTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "@{}: want @kcli-since-99.0.YYYYMMDDhhmm or @kcli-before-99.0.YYYYMMDDhhmm",
            self.0
        )
    }
}

/// Whether a scenario with `tags` (without `@`) holds for `release`.
///
/// # Errors
/// [`BadTag`] for a `kcli-since-`/`kcli-before-` tag without a valid release.
pub fn holds_for(tags: &[String], release: KcliRelease) -> Result<bool, BadTag> {
    let mut holds = true;
    for tag in tags {
        let (bound, since) = if let Some(r) = tag.strip_prefix("kcli-since-") {
            (r, true)
        } else if let Some(r) = tag.strip_prefix("kcli-before-") {
            (r, false)
        } else {
            continue;
        };
        let bound: KcliRelease = bound.parse().map_err(|_| BadTag(tag.clone()))?;
        holds &= if since {
            release >= bound
        } else {
            release < bound
        };
    }
    Ok(holds)
}

/// The release of a kweb's `kcli` build given on the command line.
///
/// # Errors
/// A message for a malformed release.
pub fn parse_release(s: &str) -> Result<KcliRelease, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kweb::diff::load_plans;
    use crate::kweb::runner::features_dir;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn range_tags_select_releases() {
        let r = |s: &str| s.parse::<KcliRelease>().expect("release");
        let since = tags(&["obs", "kcli-since-99.0.202608141013"]);
        let before = tags(&["kcli-before-99.0.202608141013"]);
        let window = tags(&[
            "kcli-since-99.0.202607171017",
            "kcli-before-99.0.202608141013",
        ]);
        let table = [
            ("99.0.202604230911", true, false, true, false),
            ("99.0.202607200632", true, false, true, true),
            ("99.0.202608141013", true, true, false, false),
            ("99.0.202610251748", true, true, false, false),
        ];
        for (release, plain, s, b, w) in table {
            let release = r(release);
            assert_eq!(holds_for(&tags(&["obs"]), release), Ok(plain));
            assert_eq!(holds_for(&since, release), Ok(s), "{release}");
            assert_eq!(holds_for(&before, release), Ok(b), "{release}");
            assert_eq!(holds_for(&window, release), Ok(w), "{release}");
        }
        assert!(holds_for(&tags(&["kcli-since-2026"]), PIN).is_err());
    }

    #[test]
    fn every_release_tag_of_the_repository_parses() {
        let plans = load_plans(&crate::features::FeatureSource::Dir(features_dir()))
            .expect("features parse");
        let mut tagged = 0;
        for plan in &plans {
            holds_for(&plan.tags, PIN).unwrap_or_else(|e| panic!("{}: {e}", plan.name));
            tagged += usize::from(plan.tags.iter().any(|t| t.starts_with("kcli-")));
        }
        assert!(tagged >= 4, "{tagged} release-tagged scenarios");
    }

    #[test]
    fn the_release_source_is_explicit() {
        let declared = RunRelease::resolve(Some(OLDEST), false);
        assert_eq!(declared.source, ReleaseSource::Declared);
        assert_eq!(declared.release, OLDEST);
        assert_eq!(RunRelease::resolve(None, false).release, PIN);
        assert_eq!(
            RunRelease::resolve(None, false).source,
            ReleaseSource::AssumedPin
        );
        assert_eq!(
            RunRelease::resolve(Some(OLDEST), true).source,
            ReleaseSource::Emulated
        );
    }
}
