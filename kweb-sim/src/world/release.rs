//! The kcli release kweb-sim emulates (`--kcli-release`, default the pin).
//!
//! kcli has no semantic versions: PyPI carries one `99.0.YYYYMMDDhhmm` build
//! per commit. Between the oldest supported release and the pin, kweb's
//! answers drift in a few places; each drift is one row of [`DRIFTS`], found
//! by running the parity scenarios against the real kweb of each release
//! (`scripts/kweb-compat`) and located to the first build that shows it by
//! comparing the PyPI wheels. Routes consult [`Behaviour`], derived from the
//! table, instead of comparing releases themselves.
//!
//! The supported range is declared in `scripts/kweb-live/kcli-releases`
//! ([`OLDEST`] ..= [`PIN`]); a test keeps the two in step.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The pin: `scripts/kweb-live/kcli-version`, the newest supported release.
pub const PIN: KcliRelease = KcliRelease(2026_1025_1748);
/// The oldest supported release: the Go provider's validated build
/// (kcli commit 6534e7c, 2026-04-23).
pub const OLDEST: KcliRelease = KcliRelease(2026_0423_0911);

/// A kcli build from PyPI, `99.0.YYYYMMDDhhmm`, ordered by build time.
/// Serialised as the version string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KcliRelease(u64);

impl KcliRelease {
    /// Whether kweb-sim emulates this release: inside [`OLDEST`] ..= [`PIN`].
    #[must_use]
    pub fn is_supported(self) -> bool {
        (OLDEST..=PIN).contains(&self)
    }

    /// What kweb does in this release.
    #[must_use]
    pub fn behaviour(self) -> Behaviour {
        Behaviour::of(self)
    }
}

impl Default for KcliRelease {
    fn default() -> Self {
        PIN
    }
}

impl fmt::Display for KcliRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "99.0.{}", self.0)
    }
}

impl FromStr for KcliRelease {
    type Err = String;

    /// Parses `99.0.YYYYMMDDhhmm` (12 digits after `99.0.`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let stamp = s
            .strip_prefix("99.0.")
            .filter(|d| d.len() == 12 && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("{s:?} is not a kcli release (99.0.YYYYMMDDhhmm)"))?;
        stamp.parse().map(Self).map_err(|e| format!("{s:?}: {e}"))
    }
}

impl TryFrom<String> for KcliRelease {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<KcliRelease> for String {
    fn from(r: KcliRelease) -> Self {
        r.to_string()
    }
}

/// Parses a `--kcli-release` value: a release inside the supported range.
///
/// # Errors
/// A message for a malformed version or one outside [`OLDEST`] ..= [`PIN`].
pub fn parse_supported(s: &str) -> Result<KcliRelease, String> {
    let release: KcliRelease = s.parse()?;
    if release.is_supported() {
        Ok(release)
    } else {
        Err(format!(
            "kcli {release} is outside the supported range {OLDEST} ..= {PIN} (scripts/kweb-live/kcli-releases)"
        ))
    }
}

/// A behaviour of kweb that changed between supported releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// kcli's VM defaults gained `vncpassword: null` after `vnc`, so every
    /// `GET /vmprofiles` entry has one more key (`kweb-reference.md` §6.15).
    VmDefaultsVncpassword,
    /// The built-in cluster profile samples: `sample-openshift-contrail` was
    /// removed (five samples instead of six) and `sample-openshift-compact`
    /// became `numcpus: 32`, `bootstrap_memory: 8192`, with the
    /// `kubevirt-hyperconverged` app (`GET /kubeprofiles[/<p>]`, §6.15).
    KubeprofileSamples2026_08,
}

impl Change {
    /// One sentence saying what changed, for reports.
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::VmDefaultsVncpassword => {
                "kcli's VM defaults gain `vncpassword: null` after `vnc` (one more key in every GET /vmprofiles entry)"
            }
            Self::KubeprofileSamples2026_08 => {
                "the built-in cluster profile samples lose `sample-openshift-contrail` (6 -> 5) and `sample-openshift-compact` becomes numcpus 32, bootstrap_memory 8192, apps + kubevirt-hyperconverged"
            }
        }
    }
}

/// One row of the drift table: from which build on a change holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drift {
    /// What changed.
    pub change: Change,
    /// The first PyPI build with the new behaviour.
    pub since: KcliRelease,
    /// The last PyPI build with the old behaviour (the one before `since`).
    pub last_before: KcliRelease,
    /// The routes whose answers differ.
    pub routes: &'static str,
}

/// Every known difference between supported releases, oldest first. The
/// parity scenarios for the changed behaviour carry `@kcli-since-<since>` /
/// `@kcli-before-<since>` tags with the same releases.
pub const DRIFTS: &[Drift] = &[
    Drift {
        change: Change::VmDefaultsVncpassword,
        since: KcliRelease(2026_0717_1017),
        last_before: KcliRelease(2026_0706_1954),
        routes: "GET /vmprofiles",
    },
    Drift {
        change: Change::KubeprofileSamples2026_08,
        since: KcliRelease(2026_0814_1013),
        last_before: KcliRelease(2026_0813_0753),
        routes: "GET /kubeprofiles, GET /kubeprofiles/<profile>, GET /kubeprofilestable",
    },
];

/// What kweb does in one release, as far as it differs between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// `vncpassword: null` follows `vnc` in the VM defaults.
    pub vm_defaults_vncpassword: bool,
    /// The August 2026 cluster profile samples (five, no contrail) instead of
    /// the six earlier ones.
    pub kubeprofile_samples_2026_08: bool,
}

impl Behaviour {
    /// The behaviour of `release`: every drift whose `since` is at or before it.
    #[must_use]
    pub fn of(release: KcliRelease) -> Self {
        let has = |change: Change| {
            DRIFTS
                .iter()
                .any(|d| d.change == change && d.since <= release)
        };
        Self {
            vm_defaults_vncpassword: has(Change::VmDefaultsVncpassword),
            kubeprofile_samples_2026_08: has(Change::KubeprofileSamples2026_08),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> KcliRelease {
        s.parse().expect("a release")
    }

    #[test]
    fn releases_parse_print_and_order() {
        assert_eq!(r("99.0.202610251748"), PIN);
        assert_eq!(PIN.to_string(), "99.0.202610251748");
        assert!(r("99.0.202604230911") < r("99.0.202607200632"));
        for bad in [
            "99.0.2026",
            "1.0.202610251748",
            "99.0.20261025174x",
            "",
            "99.0.",
        ] {
            assert!(bad.parse::<KcliRelease>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_supported_range_is_accepted() {
        assert_eq!(parse_supported("99.0.202604230911"), Ok(OLDEST));
        assert!(parse_supported("99.0.202604180816").is_err());
        let err = parse_supported("99.0.202611010000").expect_err("newer than the pin");
        assert!(err.contains("outside the supported range"), "{err}");
    }

    #[test]
    fn behaviour_follows_the_drift_table() {
        let table = [
            ("99.0.202604230911", false, false),
            ("99.0.202607061954", false, false),
            ("99.0.202607171017", true, false),
            ("99.0.202607200632", true, false),
            ("99.0.202608130753", true, false),
            ("99.0.202608141013", true, true),
            ("99.0.202610251748", true, true),
        ];
        for (release, vnc, samples) in table {
            let b = r(release).behaviour();
            assert_eq!(b.vm_defaults_vncpassword, vnc, "{release}");
            assert_eq!(b.kubeprofile_samples_2026_08, samples, "{release}");
        }
    }

    #[test]
    fn drift_rows_are_ordered_and_inside_the_range() {
        for d in DRIFTS {
            assert!(d.last_before < d.since, "{:?}", d.change);
            assert!(d.since.is_supported() && d.last_before >= OLDEST);
        }
        assert!(DRIFTS.windows(2).all(|w| w[0].since <= w[1].since));
    }

    #[test]
    fn the_flag_defaults_to_the_pin_and_rejects_releases_outside_the_range() {
        use clap::Parser as _;
        let config = crate::Config::try_parse_from(["kweb-sim"]).expect("defaults");
        assert_eq!(config.kcli_release, PIN);
        let config =
            crate::Config::try_parse_from(["kweb-sim", "--kcli-release", "99.0.202607200632"])
                .expect("inside the range");
        assert_eq!(config.kcli_release.to_string(), "99.0.202607200632");
        for bad in ["99.0.202604180816", "99.0.202611010000", "latest"] {
            let err = crate::Config::try_parse_from(["kweb-sim", "--kcli-release", bad])
                .expect_err(bad)
                .to_string();
            assert!(err.contains("kcli"), "{bad}: {err}");
        }
    }

    /// The declared range (`scripts/kweb-live/kcli-releases`) and the pin
    /// (`scripts/kweb-live/kcli-version`) are the ones this table emulates.
    #[test]
    fn the_declared_range_is_the_emulated_range() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kweb-live");
        let pin = std::fs::read_to_string(dir.join("kcli-version")).expect("kcli-version");
        assert_eq!(r(pin.trim()), PIN);
        let releases = std::fs::read_to_string(dir.join("kcli-releases")).expect("kcli-releases");
        let value = |key: &str| {
            releases
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no {key} in kcli-releases"))
        };
        assert_eq!(r(value("oldest")), OLDEST);
        assert_eq!(r(value("newest")), PIN);
        for key in ["checked", "ci"] {
            for release in value(key).split_whitespace() {
                assert!(parse_supported(release).is_ok(), "{key}: {release}");
            }
        }
    }
}
