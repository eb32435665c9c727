//! The kcli compatibility matrix (`scripts/kweb-compat`, rendered by
//! `dcm-conformance kweb-compat-report`): for each kcli release, the outcome
//! of every check, every difference spelled out, and the verdict.
//!
//! `scripts/kweb-compat` runs the checks and leaves, per release, a
//! directory `<results>/<release>/` with `<check>.status` (the exit code),
//! `<check>.log` (the output) and, for the suite checks, `<check>.yaml`
//! (a [`SuiteReport`] or a `kweb-diff --report`). This module reads them
//! ([`load_release`]), decides ([`regressions`], [`bump`]) with pure
//! functions, and renders `kweb-compat.md` and `kweb-compat.yaml`.
//!
//! The verdict: a release inside the declared supported range
//! (`scripts/kweb-live/kcli-releases`) that fails a check the pin passes is a
//! regression, and the command exits 1.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::kweb::error::KwebError;
use crate::kweb::release::KcliRelease;
use crate::kweb::report::SuiteReport;

/// One column of the matrix, in run order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// `scripts/kweb-live/install <release>`: the cached venv.
    Install,
    /// `dcm-conformance kweb` against the release's real kweb (read-write,
    /// readonly and unreachable instances): expected = the scenario,
    /// observed = the real kweb.
    Parity,
    /// `dcm-conformance kweb-diff` real kweb vs kweb-sim emulating the
    /// release: expected = the real kweb, observed = the simulator.
    SimEmulation,
    /// `dcm-conformance kweb` against kweb-sim emulating the release.
    SimScenarios,
    /// `conformance/tests/kweb_kcli.rs`: the release's own `kcli` CLI against
    /// its real kweb.
    KcliCli,
    /// `scripts/provider-live-kweb`: the provider's VM lifecycle, adoption and
    /// k3s run against the release's real kweb.
    ProviderVm,
}

impl Check {
    /// Every check, in column order.
    pub const ALL: [Check; 6] = [
        Check::Install,
        Check::Parity,
        Check::SimEmulation,
        Check::SimScenarios,
        Check::KcliCli,
        Check::ProviderVm,
    ];

    /// The file stem in the results directory and the column name.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Check::Install => "install",
            Check::Parity => "parity",
            Check::SimEmulation => "sim-emulation",
            Check::SimScenarios => "sim-scenarios",
            Check::KcliCli => "kcli-cli",
            Check::ProviderVm => "provider-vm",
        }
    }

    /// What the check runs, and which side is expected and which observed.
    #[must_use]
    pub fn meaning(self) -> &'static str {
        match self {
            Check::Install => "scripts/kweb-live/install RELEASE (cached venv)",
            Check::Parity => {
                "parity scenarios for the release on its real kweb (expected: scenario; observed: real kweb)"
            }
            Check::SimEmulation => {
                "kweb-diff real kweb vs kweb-sim --kcli-release (a: real kweb, b: simulator)"
            }
            Check::SimScenarios => "parity scenarios for the release on kweb-sim --kcli-release",
            Check::KcliCli => "the release's kcli CLI against its real kweb (tests/kweb_kcli.rs)",
            Check::ProviderVm => {
                "kcli-provider VM lifecycle, adoption, k3s against the real kweb (scripts/provider-live-kweb)"
            }
        }
    }
}

/// One difference: where, and expected vs observed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Difference {
    /// Scenario (`feature: name`), exchange (`scenario | METHOD /path`) or test.
    pub at: String,
    /// Expected vs observed, as the check printed it.
    pub detail: String,
}

/// The outcome of one check for one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed, with every difference.
    Fail {
        /// The differences (at least one).
        differences: Vec<Difference>,
    },
    /// Not run, and why (an earlier step failed, or `--skip`).
    NotRun {
        /// Why.
        reason: String,
    },
}

impl Outcome {
    fn cell(&self) -> String {
        match self {
            Outcome::Pass => "pass".into(),
            Outcome::Fail { differences } => format!("**FAIL** ({})", differences.len()),
            Outcome::NotRun { .. } => "not run".into(),
        }
    }
}

/// Every check of one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseResult {
    /// The kcli build.
    pub release: KcliRelease,
    /// Inside the declared supported range.
    pub in_range: bool,
    /// The release kweb-sim emulated for it (the nearest supported one).
    pub emulation: KcliRelease,
    /// Outcome per check.
    pub checks: BTreeMap<Check, Outcome>,
}

/// The declared range (`scripts/kweb-live/kcli-releases`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    /// Oldest supported release.
    pub oldest: KcliRelease,
    /// Newest supported release (the pin).
    pub newest: KcliRelease,
    /// Releases `scripts/kweb-compat` checks by default.
    pub checked: Vec<KcliRelease>,
    /// Releases `scripts/test-all` checks.
    pub ci: Vec<KcliRelease>,
}

impl Range {
    /// Parses the `key: value` lines of `kcli-releases` (`#` comments).
    ///
    /// # Errors
    /// [`KwebError::Parse`] for a missing key or a malformed release.
    pub fn parse(text: &str) -> Result<Self, KwebError> {
        let value = |key: &str| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .map(str::trim)
                .ok_or_else(|| KwebError::Parse(format!("kcli-releases: no `{key}:` line")))
        };
        let list = |key: &str| -> Result<Vec<KcliRelease>, KwebError> {
            value(key)?
                .split_whitespace()
                .map(|r| {
                    r.parse()
                        .map_err(|e| KwebError::Parse(format!("kcli-releases {key}: {e}")))
                })
                .collect()
        };
        let one = |key: &str| -> Result<KcliRelease, KwebError> {
            value(key)?
                .parse()
                .map_err(|e| KwebError::Parse(format!("kcli-releases {key}: {e}")))
        };
        Ok(Self {
            oldest: one("oldest")?,
            newest: one("newest")?,
            checked: list("checked")?,
            ci: list("ci")?,
        })
    }

    /// Whether `release` is inside the range.
    #[must_use]
    pub fn contains(&self, release: KcliRelease) -> bool {
        (self.oldest..=self.newest).contains(&release)
    }

    /// The release kweb-sim emulates for `release`: itself inside the
    /// range, else the nearer bound.
    #[must_use]
    pub fn emulation(&self, release: KcliRelease) -> KcliRelease {
        release.clamp(self.oldest, self.newest)
    }
}

/// A check a supported release fails while the pin passes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Regression {
    /// The release.
    pub release: KcliRelease,
    /// The check.
    pub check: Check,
}

/// The verdict: every (release in range, check) that fails where the pin
/// (`pin`, which must be one of `results`) passes. Without a pin result,
/// every failure inside the range counts.
#[must_use]
pub fn regressions(results: &[ReleaseResult], pin: KcliRelease) -> Vec<Regression> {
    let pin_result = results.iter().find(|r| r.release == pin);
    let mut out = Vec::new();
    for result in results.iter().filter(|r| r.in_range && r.release != pin) {
        for (check, outcome) in &result.checks {
            let pin_passes = pin_result.is_none_or(|p| p.checks.get(check) == Some(&Outcome::Pass));
            if matches!(outcome, Outcome::Fail { .. }) && pin_passes {
                out.push(Regression {
                    release: result.release,
                    check: *check,
                });
            }
        }
    }
    out
}

/// What moving the pin to a newer release would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bump {
    /// The pin.
    pub from: KcliRelease,
    /// The candidate.
    pub to: KcliRelease,
    /// Differences the candidate has and the pin has not.
    pub new: Vec<(Check, Difference)>,
    /// Differences the pin has and the candidate has not.
    pub removed: Vec<(Check, Difference)>,
    /// Checks that pass on one and do not run or fail on the other.
    pub changed_checks: Vec<(Check, String, String)>,
}

static HOST_PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"127\.0\.0\.1:\d+").expect("valid regex"));

fn differences_of(result: &ReleaseResult) -> Vec<(Check, Difference)> {
    let mut out = Vec::new();
    for (check, outcome) in &result.checks {
        if let Outcome::Fail { differences } = outcome {
            for d in differences {
                out.push((
                    *check,
                    Difference {
                        at: d.at.clone(),
                        detail: HOST_PORT.replace_all(&d.detail, "<host>").into_owned(),
                    },
                ));
            }
        }
    }
    out
}

/// Compares the candidate's differences with the pin's.
#[must_use]
pub fn bump(pin: &ReleaseResult, candidate: &ReleaseResult) -> Bump {
    let (a, b) = (differences_of(pin), differences_of(candidate));
    let changed_checks = Check::ALL
        .iter()
        .filter_map(|check| {
            let cell = |r: &ReleaseResult| {
                r.checks
                    .get(check)
                    .map_or_else(|| "absent".to_owned(), Outcome::cell)
            };
            let (x, y) = (cell(pin), cell(candidate));
            (x != y).then_some((*check, x, y))
        })
        .collect();
    Bump {
        from: pin.release,
        to: candidate.release,
        new: b.iter().filter(|d| !a.contains(d)).cloned().collect(),
        removed: a.iter().filter(|d| !b.contains(d)).cloned().collect(),
        changed_checks,
    }
}

/// The failures of a libtest run: one per `---- NAME stdout ----` block,
/// with the panic message (backtrace notes dropped).
#[must_use]
pub fn libtest_failures(log: &str) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in log.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            if let Some((at, lines)) = current.take() {
                out.push(libtest_difference(at, &lines));
            }
            current = Some((name.to_owned(), Vec::new()));
        } else if line == "failures:" || line.starts_with("test result:") {
            if let Some((at, lines)) = current.take() {
                out.push(libtest_difference(at, &lines));
            }
        } else if let Some((_, lines)) = current.as_mut()
            && !line.starts_with("note: run with `RUST_BACKTRACE")
        {
            lines.push(line);
        }
    }
    if let Some((at, lines)) = current {
        out.push(libtest_difference(at, &lines));
    }
    out
}

fn libtest_difference(at: String, lines: &[&str]) -> Difference {
    let detail = lines
        .iter()
        .skip_while(|l| !l.starts_with("thread '"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let detail = if detail.is_empty() {
        lines.join("\n")
    } else {
        detail
    };
    Difference {
        at,
        detail: detail.trim().to_owned(),
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Reads one check's files: `<stem>.status`, `<stem>.log`, `<stem>.yaml`.
fn load_check(dir: &Path, check: Check) -> Outcome {
    let stem = check.key();
    let Some(status) = read(&dir.join(format!("{stem}.status"))) else {
        let reason =
            read(&dir.join(format!("{stem}.skipped"))).unwrap_or_else(|| "no result".into());
        return Outcome::NotRun {
            reason: reason.trim().to_owned(),
        };
    };
    let code = status.trim();
    if code == "0" {
        return Outcome::Pass;
    }
    let log = read(&dir.join(format!("{stem}.log"))).unwrap_or_default();
    let yaml = dir.join(format!("{stem}.yaml"));
    let mut differences = match check {
        Check::Parity | Check::SimScenarios => SuiteReport::read(&yaml)
            .map(|r| {
                r.failures
                    .into_iter()
                    .map(|f| Difference {
                        at: f.scenario,
                        detail: f.message,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Check::SimEmulation => diff_differences(&yaml),
        Check::KcliCli | Check::ProviderVm => libtest_failures(&log),
        Check::Install => Vec::new(),
    };
    if differences.is_empty() {
        differences.push(Difference {
            at: format!("{stem} (exit status {code})"),
            detail: tail(&log, 15),
        });
    }
    Outcome::Fail { differences }
}

/// The differing exchanges and broken scenarios of a `kweb-diff --report`.
fn diff_differences(path: &Path) -> Vec<Difference> {
    #[derive(serde::Deserialize)]
    struct Row {
        scenario: String,
        request: String,
        status: (u16, u16),
        differences: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct Broken {
        scenario: String,
        reason: String,
    }
    #[derive(serde::Deserialize)]
    struct File {
        different: Vec<Row>,
        broken: Vec<Broken>,
    }
    let Some(file) = read(path).and_then(|t| serde_yaml_ng::from_str::<File>(&t).ok()) else {
        return Vec::new();
    };
    let mut out: Vec<Difference> = file
        .different
        .into_iter()
        .map(|r| Difference {
            at: format!(
                "{} | {} ({}/{})",
                r.scenario, r.request, r.status.0, r.status.1
            ),
            detail: r.differences.join("\n"),
        })
        .collect();
    out.extend(file.broken.into_iter().map(|b| Difference {
        at: b.scenario,
        detail: format!("broken: {}", b.reason),
    }));
    out
}

/// Reads `<results>/<release>/` into a [`ReleaseResult`].
#[must_use]
pub fn load_release(results: &Path, release: KcliRelease, range: &Range) -> ReleaseResult {
    let dir = results.join(release.to_string());
    ReleaseResult {
        release,
        in_range: range.contains(release),
        emulation: range.emulation(release),
        checks: Check::ALL
            .iter()
            .map(|c| (*c, load_check(&dir, *c)))
            .collect(),
    }
}

/// Everything `kweb-compat.yaml` holds.
#[derive(Debug, Serialize)]
pub struct Matrix<'a> {
    /// The pin.
    pub pin: KcliRelease,
    /// The declared range.
    pub range: &'a Range,
    /// Known drift between supported releases (kweb-sim's table).
    pub drifts: Vec<DriftRow>,
    /// One entry per release, oldest first.
    pub releases: &'a [ReleaseResult],
    /// Failures of supported releases where the pin passes.
    pub regressions: Vec<Regression>,
    /// The pin-bump comparison (`--latest`).
    pub bump: Option<Bump>,
}

/// A row of kweb-sim's drift table as reported.
#[derive(Debug, Serialize)]
pub struct DriftRow {
    /// What changed.
    pub change: String,
    /// First build with the new behaviour.
    pub since: KcliRelease,
    /// Last build with the old behaviour.
    pub last_before: KcliRelease,
    /// Routes affected.
    pub routes: &'static str,
    /// How the project handles it.
    pub handled_by: String,
}

/// kweb-sim's drift table for reports.
#[must_use]
pub fn drift_rows() -> Vec<DriftRow> {
    kweb_sim::world::release::DRIFTS
        .iter()
        .map(|d| DriftRow {
            change: d.change.description().to_owned(),
            since: d.since,
            last_before: d.last_before,
            routes: d.routes,
            handled_by: format!(
                "kweb-sim --kcli-release emulates both sides; scenarios tagged @kcli-since-{0} / @kcli-before-{0}",
                d.since
            ),
        })
        .collect()
}

impl Matrix<'_> {
    /// Cells passed, failed and not run, over every release and check.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for outcome in self.releases.iter().flat_map(|r| r.checks.values()) {
            match outcome {
                Outcome::Pass => counts.0 += 1,
                Outcome::Fail { .. } => counts.1 += 1,
                Outcome::NotRun { .. } => counts.2 += 1,
            }
        }
        counts
    }

    /// `kweb-compat.yaml`.
    ///
    /// # Errors
    /// [`KwebError::Io`] when serialisation fails.
    pub fn to_yaml(&self) -> Result<String, KwebError> {
        serde_yaml_ng::to_string(self).map_err(|e| KwebError::Io(format!("kweb-compat.yaml: {e}")))
    }

    /// `kweb-compat.md`: the range, the matrix, the drift table, every
    /// difference, the verdict and the bump comparison.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut md = String::from("# kcli compatibility matrix\n\n");
        let _ = writeln!(
            md,
            "Supported range: **{} ..= {}** (pin {}; `scripts/kweb-live/kcli-releases`).\n",
            self.range.oldest, self.range.newest, self.pin
        );
        md.push_str("| release | range | emulation |");
        for check in Check::ALL {
            let _ = write!(md, " {} |", check.key());
        }
        md.push_str("\n|---|---|---|");
        md.push_str(&"---|".repeat(Check::ALL.len()));
        md.push('\n');
        for r in self.releases {
            let mark = if r.release == self.pin {
                "pin"
            } else if r.in_range {
                "supported"
            } else {
                "outside"
            };
            let _ = write!(md, "| {} | {mark} | {} |", r.release, r.emulation);
            for check in Check::ALL {
                let cell = r
                    .checks
                    .get(&check)
                    .map_or_else(|| "-".into(), Outcome::cell);
                let _ = write!(md, " {cell} |");
            }
            md.push('\n');
        }
        md.push_str("\nChecks:\n\n");
        for check in Check::ALL {
            let _ = writeln!(md, "- `{}`: {}", check.key(), check.meaning());
        }
        md.push_str("\n## Known differences between supported releases\n\n");
        md.push_str(
            "| since | last before | routes | change | handled by |\n|---|---|---|---|---|\n",
        );
        for d in &self.drifts {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                d.since, d.last_before, d.routes, d.change, d.handled_by
            );
        }
        md.push_str("\n## Differences\n\n");
        let mut any = false;
        for r in self.releases {
            for (check, outcome) in &r.checks {
                match outcome {
                    Outcome::Fail { differences } => {
                        any = true;
                        let _ = writeln!(md, "### {} {}\n", r.release, check.key());
                        for d in differences {
                            let _ = writeln!(
                                md,
                                "- **{}**\n\n  ```\n{}\n  ```\n",
                                d.at,
                                indent(&d.detail)
                            );
                        }
                    }
                    Outcome::NotRun { reason } => {
                        let _ = writeln!(md, "- {} {}: not run: {reason}", r.release, check.key());
                    }
                    Outcome::Pass => {}
                }
            }
        }
        if !any {
            md.push_str("None: every check that ran passed for every release.\n");
        }
        md.push_str("\n## Verdict\n\n");
        if self.regressions.is_empty() {
            md.push_str("No supported release fails a check the pin passes.\n");
        } else {
            for g in &self.regressions {
                let _ = writeln!(
                    md,
                    "- REGRESSION: {} fails `{}`, which the pin passes",
                    g.release,
                    g.check.key()
                );
            }
        }
        if let Some(b) = &self.bump {
            md.push('\n');
            md.push_str(&b.to_markdown());
        }
        md
    }
}

impl Bump {
    /// The "what a bump would change" section.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut md = format!("## Bumping the pin {} -> {}\n\n", self.from, self.to);
        if self.from == self.to {
            md.push_str("The newest kcli on PyPI is the pin: a bump changes nothing.\n");
            return md;
        }
        if self.new.is_empty() && self.removed.is_empty() && self.changed_checks.is_empty() {
            md.push_str("No check and no difference changes.\n");
            return md;
        }
        for (check, from, to) in &self.changed_checks {
            let _ = writeln!(md, "- `{}`: {from} -> {to}", check.key());
        }
        for (title, list) in [
            ("New differences", &self.new),
            ("Removed differences", &self.removed),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(md, "\n{title}:\n");
            for (check, d) in list {
                let _ = writeln!(
                    md,
                    "- `{}` **{}**\n\n  ```\n{}\n  ```\n",
                    check.key(),
                    d.at,
                    indent(&d.detail)
                );
            }
        }
        md
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `dcm-conformance kweb-compat-report`: reads the results of `releases`
/// under `results`, writes `kweb-compat.md` and `kweb-compat.yaml` into
/// `out`, prints the markdown and the closing line
/// `kweb-compat: N passed, N failed, N skipped` (cells). `Ok(false)` when a
/// supported release regresses against the pin (the range's `newest`).
///
/// # Errors
/// An unreadable or malformed range file, or unwritable outputs.
pub fn run_report(
    results: &Path,
    releases: &[KcliRelease],
    range_file: &Path,
    bump_to: Option<KcliRelease>,
    out: &Path,
) -> Result<bool, KwebError> {
    let text = std::fs::read_to_string(range_file)
        .map_err(|e| KwebError::Io(format!("{}: {e}", range_file.display())))?;
    let range = Range::parse(&text)?;
    let pin = range.newest;
    let mut releases = releases.to_vec();
    releases.sort();
    releases.dedup();
    let loaded: Vec<ReleaseResult> = releases
        .iter()
        .map(|r| load_release(results, *r, &range))
        .collect();
    let find = |r: KcliRelease| loaded.iter().find(|x| x.release == r);
    let bump = bump_to.and_then(|to| Some(bump(find(pin)?, find(to)?)));
    let matrix = Matrix {
        pin,
        range: &range,
        drifts: drift_rows(),
        releases: &loaded,
        regressions: regressions(&loaded, pin),
        bump,
    };
    write(&matrix, out)?;
    print!("{}", matrix.to_markdown());
    let (passed, failed, skipped) = matrix.counts();
    println!(
        "\nwritten: {}/kweb-compat.md, kweb-compat.yaml ({} releases, {} regressions)",
        out.display(),
        loaded.len(),
        matrix.regressions.len()
    );
    println!("kweb-compat: {passed} passed, {failed} failed, {skipped} skipped");
    Ok(matrix.regressions.is_empty())
}

/// Writes `kweb-compat.md` and `kweb-compat.yaml` into `out`.
///
/// # Errors
/// [`KwebError::Io`] when a file cannot be written.
pub fn write(matrix: &Matrix<'_>, out: &Path) -> Result<(), KwebError> {
    std::fs::create_dir_all(out).map_err(|e| KwebError::Io(format!("{}: {e}", out.display())))?;
    let md = out.join("kweb-compat.md");
    std::fs::write(&md, matrix.to_markdown())
        .map_err(|e| KwebError::Io(format!("{}: {e}", md.display())))?;
    let yaml = out.join("kweb-compat.yaml");
    std::fs::write(&yaml, matrix.to_yaml()?)
        .map_err(|e| KwebError::Io(format!("{}: {e}", yaml.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> KcliRelease {
        s.parse().expect("release")
    }

    fn range() -> Range {
        Range::parse(
            "# c\noldest: 99.0.202604230911\nnewest: 99.0.202610251748\nchecked: 99.0.202604230911 99.0.202610251748\nci: 99.0.202610251748\n",
        )
        .expect("parses")
    }

    /// The checks a test release fails, each with the place of its difference.
    type Fails<'a> = &'a [(Check, &'a str)];

    fn result(release: &str, fails: Fails<'_>) -> ReleaseResult {
        let range = range();
        let release = r(release);
        let mut checks: BTreeMap<Check, Outcome> =
            Check::ALL.iter().map(|c| (*c, Outcome::Pass)).collect();
        for (check, at) in fails {
            checks.insert(
                *check,
                Outcome::Fail {
                    differences: vec![Difference {
                        at: (*at).into(),
                        detail: "expected 5 keys, got 6 at 127.0.0.1:18200".into(),
                    }],
                },
            );
        }
        ReleaseResult {
            release,
            in_range: range.contains(release),
            emulation: range.emulation(release),
            checks,
        }
    }

    #[test]
    fn the_range_file_parses_and_clamps() {
        let range = range();
        assert!(range.contains(r("99.0.202607200632")));
        assert!(!range.contains(r("99.0.202611010000")));
        assert_eq!(range.emulation(r("99.0.202611010000")), range.newest);
        assert_eq!(range.emulation(r("99.0.202601010000")), range.oldest);
        assert!(Range::parse("oldest: 99.0.202604230911\n").is_err());
        let repo = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kweb-live/kcli-releases"),
        )
        .expect("kcli-releases");
        let declared = Range::parse(&repo).expect("the repository's range parses");
        assert!(declared.checked.len() >= 3 && declared.ci.len() >= 2);
    }

    #[test]
    fn a_supported_release_failing_what_the_pin_passes_is_a_regression() {
        let pin = r("99.0.202610251748");
        let table: [(Fails<'_>, Fails<'_>, &str, usize); 4] = [
            (&[], &[], "99.0.202604230911", 0),
            (&[], &[(Check::Parity, "s")], "99.0.202604230911", 1),
            // The pin fails the same check: not a regression of this release.
            (
                &[(Check::Parity, "s")],
                &[(Check::Parity, "s")],
                "99.0.202604230911",
                0,
            ),
            // Outside the range: reported, not a regression.
            (&[], &[(Check::Parity, "s")], "99.0.202604180816", 0),
        ];
        for (pin_fails, other_fails, release, want) in table {
            let results = [
                result("99.0.202610251748", pin_fails),
                result(release, other_fails),
            ];
            assert_eq!(
                regressions(&results, pin).len(),
                want,
                "{release} {other_fails:?}"
            );
        }
    }

    #[test]
    fn a_bump_lists_new_and_removed_differences() {
        let pin = result("99.0.202610251748", &[(Check::Parity, "old")]);
        let next = result(
            "99.0.202611010000",
            &[(Check::Parity, "new"), (Check::SimEmulation, "x")],
        );
        let b = bump(&pin, &next);
        assert_eq!(b.new.len(), 2);
        assert_eq!(b.removed.len(), 1);
        assert_eq!(b.removed[0].1.at, "old");
        assert!(b.removed[0].1.detail.contains("<host>"));
        assert_eq!(b.changed_checks.len(), 1);
        let same = bump(&pin, &pin);
        assert!(same.to_markdown().contains("changes nothing"));
    }

    #[test]
    fn libtest_failures_keep_the_panic_message() {
        let log = "running 2 tests\ntest a ... FAILED\n\nfailures:\n\n---- a stdout ----\nsome output\nthread 'a' panicked at x.rs:1:2:\nmissing \"sn1\" in kcli list\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n---- b stdout ----\nthread 'b' panicked at y.rs:3:4:\nassertion failed\n\nfailures:\n    a\n    b\n\ntest result: FAILED. 0 passed; 2 failed\n";
        let failures = libtest_failures(log);
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].at, "a");
        assert_eq!(
            failures[0].detail,
            "thread 'a' panicked at x.rs:1:2:\nmissing \"sn1\" in kcli list"
        );
        assert_eq!(failures[1].at, "b");
        assert!(libtest_failures("test result: ok. 3 passed").is_empty());
    }

    #[test]
    fn results_are_read_from_the_check_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let release = r("99.0.202604230911");
        let sub = dir.path().join(release.to_string());
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join("install.status"), "0\n").expect("write");
        std::fs::write(sub.join("kcli-cli.status"), "101\n").expect("write");
        std::fs::write(
            sub.join("kcli-cli.log"),
            "---- t stdout ----\nthread 't' panicked at a.rs:1:1:\nboom\n\nfailures:\n",
        )
        .expect("write");
        std::fs::write(sub.join("provider-vm.status"), "1\n").expect("write");
        std::fs::write(sub.join("provider-vm.log"), "error: could not compile\n").expect("write");
        std::fs::write(sub.join("parity.skipped"), "install failed\n").expect("write");
        let result = load_release(dir.path(), release, &range());
        assert_eq!(result.checks[&Check::Install], Outcome::Pass);
        assert!(matches!(&result.checks[&Check::KcliCli],
            Outcome::Fail { differences } if differences[0].detail.ends_with("boom")));
        assert!(matches!(&result.checks[&Check::ProviderVm],
            Outcome::Fail { differences } if differences[0].detail.contains("could not compile")));
        assert_eq!(
            result.checks[&Check::Parity],
            Outcome::NotRun {
                reason: "install failed".into()
            }
        );
        let results = [result];
        let matrix = Matrix {
            pin: r("99.0.202610251748"),
            range: &range(),
            drifts: drift_rows(),
            releases: &results,
            regressions: regressions(&results, r("99.0.202610251748")),
            bump: None,
        };
        assert_eq!(matrix.counts(), (1, 2, 3));
        let md = matrix.to_markdown();
        assert!(
            md.contains("| 99.0.202604230911 | supported | 99.0.202604230911 | pass | not run |"),
            "{md}"
        );
        assert!(
            md.contains("REGRESSION: 99.0.202604230911 fails `kcli-cli`"),
            "{md}"
        );
        assert!(md.contains("sample-openshift-contrail"), "{md}");
        assert!(matrix.to_yaml().expect("yaml").contains("outcome: fail"));
    }
}
