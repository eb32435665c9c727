//! Replaying every real-kweb capture against simulators.
//!
//! The captures came from several kweb instances (told apart by the port in
//! the captured URL, `kweb-captures/README.md`), and state carried over
//! between requests in time order. So each instance's captures are replayed,
//! in capture order, on one simulator configured like that instance:
//!
//! | Instance | Port | Simulator |
//! |---|---|---|
//! | normal, first run | 18000, up to 13:43:02 | testdriver world, no volumes |
//! | normal | 18000, later | testdriver world + `cirros.qcow2,ubuntu2404,boot.iso` |
//! | readonly | 18001 | `--readonly`, no volumes |
//! | backend unreachable | 18002 | `POST /_sim/backend {"reachable": false}` |
//! | debug | 18004 | like normal (the simulator has no debug pages) |
//! | `type: fake` | 18005 | like backend unreachable |
//!
//! Capture order is the `Date` header, which has one-second resolution.
//! Inside one second the order is reconstructed ([`order_key`]): state-changing
//! requests without a variant first (create before update before delete),
//! then the variants (failure cases), then variants that need an earlier
//! success (`duplicate`, `already`), then reads.
//!
//! Everything the harness needs to know beyond the captures lives in
//! `fixtures/kweb-replay-exceptions.yaml` ([`ReplayFile`]): same-second
//! sequences the heuristic gets wrong (`order`), requests the capture session
//! made without saving them, such as the kubeconfig file placed by hand
//! (`uncaptured`, in the scenario request language), and the captures that
//! cannot match, each with a reason (`exceptions`). An exception may ask the
//! harness to `emulate` the captured failure with a one-shot `/_sim/faults`
//! rule, so that a test-driver limitation (no device hot-plug, no ISO
//! upload) does not change the simulator's state where the real kweb's did
//! not change. Capture-host paths of plan files are mapped to this
//! repository's fixtures, and names kweb drew at random are mapped to the
//! simulator's (`fired-merletravis` → whatever the simulator drew).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::kweb::capture::Capture;
use crate::kweb::error::KwebError;
use crate::kweb::mask::{Normalized, is_ui_page};
use crate::kweb::release::{KcliRelease, OLDEST, PIN};
use crate::kweb::request_step::{Vars, parse_request};
use crate::kweb::target::{SEED_IMAGES, Target, spawn_release_simulator, spawn_simulator};
use crate::wire::Request;

/// A kweb instance of the capture session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Instance {
    /// Port 18000 before the volumes were seeded.
    FirstRun,
    /// Port 18000 with seeded volumes.
    Normal,
    /// Port 18001, `--readonly`.
    Readonly,
    /// Port 18002, backend unreachable.
    Unreachable,
    /// Port 18004, `KWEB_DEBUG`.
    Debug,
    /// Port 18005, a `type: fake` client.
    FakeType,
}

impl Instance {
    /// The instance a capture came from.
    #[must_use]
    pub fn of(capture: &Capture) -> Option<Self> {
        match capture.port {
            18000 if capture.time.as_str() <= "13:43:02" => Some(Self::FirstRun),
            18000 => Some(Self::Normal),
            18001 => Some(Self::Readonly),
            18002 => Some(Self::Unreachable),
            18004 => Some(Self::Debug),
            18005 => Some(Self::FakeType),
            _ => None,
        }
    }

    /// Starts a simulator configured like this instance.
    ///
    /// # Errors
    /// The simulator does not start or refuses the control call.
    pub async fn simulator(self) -> Result<Target, KwebError> {
        let target = match self {
            Self::Normal | Self::Debug => spawn_simulator(&["--seed-images", SEED_IMAGES]).await?,
            Self::Readonly => spawn_simulator(&["--readonly"]).await?,
            Self::FirstRun | Self::Unreachable | Self::FakeType => spawn_simulator(&[]).await?,
        };
        if matches!(self, Self::Unreachable | Self::FakeType) {
            let off = Request::json("POST", "/_sim/backend", r#"{"reachable": false}"#);
            let exchange = target.send(&off).await?;
            if exchange.status() != Some(200) {
                return Err(KwebError::Simulator(format!(
                    "backend toggle refused:\n{exchange}"
                )));
            }
        }
        Ok(target)
    }
}

/// Sort key that reconstructs the order of captures taken in the same second.
#[must_use]
pub fn order_key(capture: &Capture) -> (String, u8, u8, String) {
    let method = capture.request.method.to_ascii_uppercase();
    let variant = capture
        .file
        .split_once("__")
        .map(|(_, v)| v.trim_end_matches(".txt").to_owned());
    let reads = method == "GET" || method == "HEAD";
    let rank = match (&variant, reads) {
        (None, false) => 0,
        (Some(v), false) if v.contains("duplicate") || v.contains("already") => 2,
        (Some(_), false) => 1,
        (_, true) => 3,
    };
    let method_rank = match method.as_str() {
        "POST" => 0,
        "UPDATE" | "PATCH" | "PUT" => 1,
        "DELETE" => 2,
        _ => 3,
    };
    (
        capture.time.clone(),
        rank,
        method_rank,
        capture.file.clone(),
    )
}

/// What replaying one capture showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Capture file name.
    pub file: String,
    /// The instance it was replayed on.
    pub instance: Instance,
    /// Empty when the answers match; else one line per differing field.
    pub differences: Vec<String>,
    /// The answer came from an emulation fault (counts as excepted).
    pub emulated: bool,
}

/// Rewrites capture-host paths to this repository's fixtures.
fn localise(request: &mut Request, fixtures: &Path) {
    let text = String::from_utf8_lossy(&request.body).into_owned();
    if text.contains("/srv/kweb-plans/") {
        let local = format!("{}/kweb-configs/", fixtures.display());
        request.body = text.replace("/srv/kweb-plans/", &local).into_bytes();
    }
}

/// Applies the random-name aliases learnt so far to a request.
fn apply_aliases(request: &mut Request, aliases: &BTreeMap<String, String>) {
    for (captured, simulated) in aliases {
        request.url = request.url.replace(captured.as_str(), simulated);
        let body = String::from_utf8_lossy(&request.body).replace(captured.as_str(), simulated);
        request.body = body.into_bytes();
    }
}

/// Learns `captured → simulated` when kweb answered a random VM name.
fn learn_alias(capture: &Capture, answer: &str, aliases: &mut BTreeMap<String, String>) {
    let vm_of = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("vm").and_then(|n| n.as_str()).map(str::to_owned))
    };
    let asked_random = String::from_utf8_lossy(&capture.request.body).contains(r#""name":"""#);
    if let (true, Some(captured), Some(simulated)) =
        (asked_random, vm_of(&capture.response.text()), vm_of(answer))
        && captured != simulated
    {
        aliases.insert(captured, simulated);
    }
}

/// Puts the files of each `order` sequence into the sequence's order,
/// keeping the positions the heuristic gave them.
fn apply_order(group: &mut [&Capture], sequences: &[Vec<String>]) {
    for sequence in sequences {
        let positions: Vec<usize> = group
            .iter()
            .enumerate()
            .filter(|(_, c)| sequence.contains(&c.file))
            .map(|(i, _)| i)
            .collect();
        let mut ordered: Vec<&Capture> = positions.iter().map(|&i| group[i]).collect();
        ordered.sort_by_key(|c| sequence.iter().position(|f| *f == c.file));
        for (slot, capture) in positions.into_iter().zip(ordered) {
            group[slot] = capture;
        }
    }
}

/// A one-shot fault answering the captured failure shape for this request.
fn emulation(request: &Request, shape: &str) -> Request {
    let status = if shape == "E3" {
        r#", "status": 500"#
    } else {
        ""
    };
    let body = format!(
        r#"{{"method": "{}", "path": "{}", "max_count": 1, "response": {{"shape": "{shape}"{status}}}}}"#,
        request.method,
        request.path().split('?').next().unwrap_or_default()
    );
    Request::json("POST", "/_sim/faults", &body)
}

/// Sends a control or set-up request and requires a 2xx answer.
async fn must(target: &Target, request: &Request, why: &str) -> Result<(), KwebError> {
    let exchange = target.send(request).await?;
    if exchange.status().is_none_or(|s| s / 100 != 2) {
        return Err(KwebError::Simulator(format!("{why} refused:\n{exchange}")));
    }
    Ok(())
}

/// Replays `captures` (any order; they are grouped and sorted here) using the
/// replay file's order hints, uncaptured requests and emulations.
///
/// # Errors
/// A simulator that cannot be started or reached, or a replay file entry
/// that cannot be used. Mismatches are outcomes.
pub async fn replay(
    captures: &[Capture],
    fixtures: &Path,
    file: &ReplayFile,
) -> Result<Vec<Outcome>, KwebError> {
    let vars = Vars::from([("FIXTURES".to_owned(), fixtures.display().to_string())]);
    let mut groups: BTreeMap<Instance, Vec<&Capture>> = BTreeMap::new();
    for capture in captures {
        let instance = Instance::of(capture).ok_or_else(|| {
            KwebError::Parse(format!(
                "capture {}: unknown port {}",
                capture.file, capture.port
            ))
        })?;
        groups.entry(instance).or_default().push(capture);
    }
    let mut outcomes = Vec::new();
    for (instance, mut group) in groups {
        group.sort_by_key(|c| order_key(c));
        apply_order(&mut group, &file.order);
        let target = instance.simulator().await?;
        let mut aliases = BTreeMap::new();
        for capture in group {
            for step in file.uncaptured.iter().filter(|u| u.before == capture.file) {
                for spec in &step.send {
                    let mut request = parse_request(spec, None, &vars)?;
                    if let Some(host) = capture.request.header("Host") {
                        request.set_header("Host", host);
                    }
                    must(
                        &target,
                        &request,
                        &format!("uncaptured request before {}", capture.file),
                    )
                    .await?;
                }
            }
            let mut request = capture.request.clone();
            localise(&mut request, fixtures);
            apply_aliases(&mut request, &aliases);
            let emulated = file
                .exception(&capture.file)
                .and_then(|e| e.emulate.as_deref());
            if let Some(shape) = emulated {
                must(
                    &target,
                    &emulation(&request, shape),
                    &format!("emulation for {}", capture.file),
                )
                .await?;
            }
            let exchange = target.send(&request).await?;
            let answer = exchange.answer().map_err(KwebError::Protocol)?;
            learn_alias(capture, &answer.text(), &mut aliases);
            let mut expected = capture.response.clone();
            for (captured, simulated) in &aliases {
                expected.body = String::from_utf8_lossy(&expected.body)
                    .replace(captured.as_str(), simulated)
                    .into_bytes();
            }
            let ui = is_ui_page(&request, &expected);
            let mut differences = Normalized::of(&expected)
                .with_ui(ui)
                .differences(&Normalized::of(answer).with_ui(ui));
            let declared = answer
                .header("Content-Length")
                .and_then(|v| v.parse::<usize>().ok());
            if request.method != "HEAD" && declared != Some(answer.body.len()) {
                differences.push(format!(
                    "simulator Content-Length {declared:?} but {} body bytes",
                    answer.body.len()
                ));
            }
            outcomes.push(Outcome {
                file: capture.file.clone(),
                instance,
                differences,
                emulated: emulated.is_some(),
            });
        }
    }
    Ok(outcomes)
}

/// One entry of the `exceptions` list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Capture file name.
    pub file: String,
    /// Why this capture cannot match on the simulator.
    pub reason: String,
    /// `E3` or `E4`: answer the request with a one-shot fault of that shape
    /// instead of letting the simulator change its state.
    #[serde(default)]
    pub emulate: Option<String>,
}

/// Requests the capture session made without saving them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uncaptured {
    /// Send them right before replaying this capture.
    pub before: String,
    /// Requests in the scenario request language (`"POST /vms" with JSON '...'`).
    pub send: Vec<String>,
}

/// `fixtures/kweb-replay-exceptions.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayFile {
    /// Same-second sequences, each a list of capture files in true order.
    #[serde(default)]
    pub order: Vec<Vec<String>>,
    /// Requests to send before some captures.
    #[serde(default)]
    pub uncaptured: Vec<Uncaptured>,
    /// Every capture allowed to differ, with its justification.
    pub exceptions: Vec<Exception>,
    /// Captures of behaviour that changed between supported kcli releases,
    /// with the release range they hold for.
    #[serde(default)]
    pub releases: Vec<ReleaseRange>,
}

/// A capture whose answer holds only for some kcli releases (kweb-sim's
/// drift table). Every capture was taken on the pin, so the range must
/// contain the pin; [`check_release_ranges`] also proves that kweb-sim
/// emulating the oldest release outside the range answers differently.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRange {
    /// Capture file name.
    pub file: String,
    /// The first release the capture holds for (`@kcli-since-` of the scenarios).
    pub since: KcliRelease,
    /// What changed in that release.
    pub reason: String,
}

impl ReplayFile {
    /// Reads and validates the YAML file (non-empty reasons, no duplicates,
    /// known emulation shapes).
    ///
    /// # Errors
    /// [`KwebError::Parse`] for unreadable or invalid files.
    pub fn load(path: &Path) -> Result<Self, KwebError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KwebError::Io(format!("{}: {e}", path.display())))?;
        let file: Self = serde_yaml_ng::from_str(&text)
            .map_err(|e| KwebError::Parse(format!("{}: {e}", path.display())))?;
        let mut seen = std::collections::BTreeSet::new();
        for e in &file.exceptions {
            if e.reason.trim().is_empty() {
                return Err(KwebError::Parse(format!(
                    "exception {} has no reason",
                    e.file
                )));
            }
            if !seen.insert(e.file.as_str()) {
                return Err(KwebError::Parse(format!(
                    "exception {} is listed twice",
                    e.file
                )));
            }
            if e.emulate.as_deref().is_some_and(|s| s != "E3" && s != "E4") {
                return Err(KwebError::Parse(format!(
                    "exception {}: emulate must be E3 or E4",
                    e.file
                )));
            }
        }
        Ok(file)
    }

    /// The exception entry for a capture, if any.
    #[must_use]
    pub fn exception(&self, file: &str) -> Option<&Exception> {
        self.exceptions.iter().find(|e| e.file == file)
    }

    /// Every file name the replay file mentions, for the unknown-name check.
    #[must_use]
    pub fn mentioned(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.exceptions.iter().map(|e| e.file.as_str()).collect();
        names.extend(self.order.iter().flatten().map(String::as_str));
        names.extend(self.uncaptured.iter().map(|u| u.before.as_str()));
        names.extend(self.releases.iter().map(|r| r.file.as_str()));
        names
    }
}

/// Checks the `releases` entries: each range contains the pin (the captures
/// were taken on it) and kweb-sim emulating the oldest supported release,
/// which lies outside the range, does not reproduce the capture. Returns one
/// problem per entry that fails; the captures must be read-only requests on
/// the normal instance.
///
/// # Errors
/// A simulator that does not start or a transport failure.
pub async fn check_release_ranges(
    captures: &[Capture],
    file: &ReplayFile,
) -> Result<Vec<String>, KwebError> {
    let mut problems = Vec::new();
    for range in &file.releases {
        if range.since > PIN {
            problems.push(format!(
                "{}: since {} is after the pin {PIN}, where it was captured",
                range.file, range.since
            ));
            continue;
        }
        if range.since <= OLDEST {
            problems.push(format!(
                "{}: since {} leaves no supported release outside the range",
                range.file, range.since
            ));
            continue;
        }
        let Some(capture) = captures.iter().find(|c| c.file == range.file) else {
            continue;
        };
        let target = spawn_release_simulator(OLDEST).await?;
        let exchange = target.send(&capture.request).await?;
        let answer = exchange.answer().map_err(KwebError::Protocol)?;
        let ui = is_ui_page(&capture.request, &capture.response);
        let differences = Normalized::of(&capture.response)
            .with_ui(ui)
            .differences(&Normalized::of(answer).with_ui(ui));
        if differences.is_empty() {
            problems.push(format!(
                "{}: kweb-sim emulating kcli {OLDEST} reproduces it, so it does not depend on the release (since {}: {})",
                range.file, range.since, range.reason
            ));
        }
    }
    Ok(problems)
}

/// The verdict over all outcomes.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Captures that matched.
    pub matched: Vec<String>,
    /// Listed captures that still differ.
    pub excepted: Vec<String>,
    /// Unlisted captures that differ, with their differences.
    pub failed: Vec<(String, Vec<String>)>,
    /// Listed captures that now match (the entry must go).
    pub stale: Vec<String>,
    /// Listed files that are not captures.
    pub unknown: Vec<String>,
}

impl Verdict {
    /// Judges outcomes against the replay file.
    #[must_use]
    pub fn judge(outcomes: &[Outcome], file: &ReplayFile) -> Self {
        let mut verdict = Self::default();
        for outcome in outcomes {
            let listed = file.exception(&outcome.file).is_some();
            match (outcome.differences.is_empty(), listed) {
                (_, true) if outcome.emulated => verdict.excepted.push(outcome.file.clone()),
                (true, false) => verdict.matched.push(outcome.file.clone()),
                (true, true) => verdict.stale.push(outcome.file.clone()),
                (false, true) => verdict.excepted.push(outcome.file.clone()),
                (false, false) => verdict
                    .failed
                    .push((outcome.file.clone(), outcome.differences.clone())),
            }
        }
        let mut unknown: Vec<String> = file
            .mentioned()
            .into_iter()
            .filter(|name| !outcomes.iter().any(|o| o.file == *name))
            .map(str::to_owned)
            .collect();
        unknown.dedup();
        verdict.unknown = unknown;
        verdict
    }

    /// `true` when nothing failed and the exceptions file is exact.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failed.is_empty() && self.stale.is_empty() && self.unknown.is_empty()
    }

    /// The closing line: `replay: N matched, N excepted, N failed`
    /// (stale and unknown exceptions count as failed).
    #[must_use]
    pub fn line(&self) -> String {
        format!(
            "replay: {} matched, {} excepted, {} failed",
            self.matched.len(),
            self.excepted.len(),
            self.failed.len() + self.stale.len() + self.unknown.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kweb::capture::{captures_dir, load_all};

    fn find<'a>(all: &'a [Capture], file: &str) -> &'a Capture {
        all.iter().find(|c| c.file == file).expect("capture exists")
    }

    #[test]
    fn instances_follow_ports_and_the_first_run_window() {
        let all = load_all(&captures_dir()).expect("captures");
        assert_eq!(
            Instance::of(find(&all, "GET_vms__after_create_vm1.txt")),
            Some(Instance::FirstRun)
        );
        assert_eq!(
            Instance::of(find(&all, "GET_vms__after_creates.txt")),
            Some(Instance::Normal)
        );
        assert_eq!(
            Instance::of(find(&all, "POST_vms__readonly.txt")),
            Some(Instance::Readonly)
        );
        let first = all
            .iter()
            .filter(|c| Instance::of(c) == Some(Instance::FirstRun))
            .count();
        assert_eq!(first, 17, "the README lists 17 first-run files");
        assert!(all.iter().all(|c| Instance::of(c).is_some()));
    }

    #[test]
    fn same_second_order_puts_creates_before_duplicates_and_reads_last() {
        let all = load_all(&captures_dir()).expect("captures");
        let key = |f: &str| order_key(find(&all, f));
        assert!(key("POST_vms__json_kvirt_profile.txt") < key("POST_vms__duplicate_name.txt"));
        assert!(key("POST_pools.txt") < key("DELETE_pools_pool1.txt"));
        assert!(key("POST_networks.txt") < key("GET_networks__after_create.txt"));
    }
}
