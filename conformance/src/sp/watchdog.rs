//! Every scenario is bounded: a run against an SP that stops answering ends
//! on its own, with the scenarios that could not finish reported as failed.
//!
//! Each scenario gets a deadline derived from the timeout table
//! ([`scenario_deadline`]): the timeouts its steps name, two requests'
//! `http_response` for every other step, the literal waits, and
//! `scenario_cleanup` for the after hook. The [`Watch`] keeps the running
//! scenarios; [`guard`] ticks once a second, prints a heartbeat when the
//! run is quiet, reports a scenario the moment it passes its deadline, and
//! returns when every running scenario is past its deadline (nothing can
//! progress any more); the runner then stops cucumber and writes the report.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::sp::timeouts::TimeoutTable;

/// The deadline of a scenario whose steps read `steps` (step texts without
/// keywords): the sum over steps of the timeout a step names (`"key"` for a
/// table key) or else two requests' worth (`http_response` + 5 s each, the
/// timeout of [`SpWorld::request`](crate::sp::world::SpWorld::request)),
/// plus waits written in the step
/// (`500 milliseconds`, `4 seconds`), plus `scenario_cleanup` and 5 s slack.
#[must_use]
pub fn scenario_deadline(steps: &[&str], timeouts: &TimeoutTable) -> Duration {
    let literal = regex::Regex::new(r"(\d+) (milliseconds|seconds)\b").ok();
    let mut total = timeouts.get("scenario_cleanup") + Duration::from_secs(5);
    for step in steps {
        let named: Vec<Duration> = step
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|k| timeouts.has(k))
            .map(|k| timeouts.get(k))
            .collect();
        total += if named.is_empty() {
            2 * timeouts.answer_wait()
        } else {
            named.into_iter().sum()
        };
        if let Some(re) = &literal {
            for c in re.captures_iter(step) {
                let n: u64 = c[1].parse().unwrap_or(0);
                total += if &c[2] == "seconds" {
                    Duration::from_secs(n)
                } else {
                    Duration::from_millis(n)
                };
            }
        }
    }
    total
}

/// A scenario that is running.
#[derive(Debug, Clone)]
pub struct Running {
    /// Feature file stem.
    pub feature: String,
    /// Scenario name.
    pub scenario: String,
    /// Its tags (feature, rule, scenario).
    pub tags: Vec<String>,
    /// When it started.
    pub started: Instant,
    /// Its deadline, from its start.
    pub deadline: Duration,
    /// Already reported past its deadline.
    pub overdue: bool,
}

/// The running scenarios of a run, keyed by `feature:line`.
#[derive(Debug, Default)]
pub struct Watch {
    running: Mutex<BTreeMap<String, Running>>,
    finished: Mutex<usize>,
}

impl Watch {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Running>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A scenario started.
    pub fn start(&self, key: String, running: Running) {
        self.lock().insert(key, running);
    }

    /// A scenario finished (its result is recorded).
    pub fn finish(&self, key: &str) {
        self.lock().remove(key);
        *self
            .finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
    }

    /// Scenarios finished so far.
    #[must_use]
    pub fn finished(&self) -> usize {
        *self
            .finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks the scenarios past their deadline at `now` and returns the
    /// newly overdue ones, and whether every running scenario is overdue.
    pub fn tick(&self, now: Instant) -> (Vec<Running>, bool) {
        let mut running = self.lock();
        let mut newly = Vec::new();
        for r in running.values_mut() {
            if !r.overdue && now.saturating_duration_since(r.started) > r.deadline {
                r.overdue = true;
                newly.push(r.clone());
            }
        }
        let stalled = !running.is_empty() && running.values().all(|r| r.overdue);
        (newly, stalled)
    }

    /// The scenarios still running.
    #[must_use]
    pub fn running(&self) -> Vec<Running> {
        self.lock().values().cloned().collect()
    }
}

/// Watches `watch` until every running scenario is past its deadline;
/// prints a heartbeat every `heartbeat` (when set) with `total` planned
/// scenarios. Never returns while the run makes progress (the caller races
/// it against cucumber).
pub async fn guard(watch: &Watch, total: usize, heartbeat: Option<Duration>, started: Instant) {
    let mut last_beat = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = Instant::now();
        let (newly, stalled) = watch.tick(now);
        for r in &newly {
            eprintln!(
                "dcm-conformance: {}: {} has not finished within its deadline of {} s",
                r.feature,
                r.scenario,
                r.deadline.as_secs()
            );
        }
        if stalled {
            return;
        }
        if let Some(every) = heartbeat
            && now.duration_since(last_beat) >= every
        {
            last_beat = now;
            let running = watch.running();
            let names: Vec<String> = running
                .iter()
                .take(3)
                .map(|r| format!("{}: {}", r.feature, r.scenario))
                .collect();
            eprintln!(
                "dcm-conformance: {} of {total} scenarios finished after {} s; running {}{}",
                watch.finished(),
                started.elapsed().as_secs(),
                running.len(),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}{})",
                        names.join("; "),
                        if running.len() > 3 { "; …" } else { "" }
                    )
                }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sp::timeouts::Declared;

    #[test]
    fn a_deadline_adds_the_named_timeouts_the_requests_and_the_waits() {
        let mut t = TimeoutTable::defaults(Declared::default());
        t.apply([
            ("scenario_cleanup", "10s"),
            ("http_response", "2s"),
            ("delete_complete", "30s"),
        ])
        .expect("valid overrides");
        let s = Duration::from_secs;
        let table: [(&[&str], Duration); 4] = [
            (&[], s(15)),
            (&["I get the health of every service type"], s(29)),
            (
                &[r#"within "delete_complete" the backend holds nothing"#],
                s(45),
            ),
            (
                &[
                    "the backend hangs for 4 seconds on every call",
                    "I wait 1500 milliseconds",
                ],
                s(15 + 14 + 4 + 14) + Duration::from_millis(1500),
            ),
        ];
        for (steps, want) in table {
            assert_eq!(scenario_deadline(steps, &t), want, "{steps:?}");
        }
    }

    #[test]
    fn the_watch_reports_overdue_scenarios_once_and_stalls_when_all_are() {
        let w = Watch::default();
        let t0 = Instant::now();
        let run = |deadline: u64| Running {
            feature: "f".into(),
            scenario: "s".into(),
            tags: Vec::new(),
            started: t0,
            deadline: Duration::from_secs(deadline),
            overdue: false,
        };
        w.start("a".into(), run(5));
        w.start("b".into(), run(50));
        let (newly, stalled) = w.tick(t0 + Duration::from_secs(6));
        assert_eq!((newly.len(), stalled), (1, false));
        let (newly, stalled) = w.tick(t0 + Duration::from_secs(7));
        assert_eq!((newly.len(), stalled), (0, false));
        w.finish("b");
        let (newly, stalled) = w.tick(t0 + Duration::from_secs(8));
        assert_eq!((newly.len(), stalled), (0, true));
        assert_eq!(w.finished(), 1);
    }
}
