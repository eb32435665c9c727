//! When the monitor polls next, and how much a cycle covers (KCLI-030).
//!
//! A *full* cycle runs every `POLL_INTERVAL` (default 30 s): both lists,
//! every record, the per-cluster detail reads, the catalog refresh and the
//! orphan policy. While a tracked resource is in a transient status
//! (`PROVISIONING`, `PROGRESSING`, `DELETING`), *transition* cycles run in
//! between, every `TRANSITION_POLL_INTERVAL` (default 1 s): still one
//! `GET /vms` and one `GET /kubes`, all VM records, only the transient
//! clusters (their detail reads), no catalog refresh and no orphan policy.
//! So a new VM shows `RUNNING` about a second after kweb reports it `up`,
//! and an idle provider loads kweb as before.

use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::lifecycle::{ClusterStatus, Status, VmStatus};

/// What one monitor cycle covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cycle {
    /// Everything, every `POLL_INTERVAL`.
    Full,
    /// The lists and the resources in transition only.
    Transition,
}

/// Whether `status` is transient: the monitor then polls every
/// `TRANSITION_POLL_INTERVAL` (VOC-001 vocabularies).
pub(crate) const fn is_transient(status: Status) -> bool {
    matches!(
        status,
        Status::Vm(VmStatus::Provisioning | VmStatus::Deleting)
            | Status::Cluster(ClusterStatus::Progressing | ClusterStatus::Deleting)
    )
}

/// The two poll intervals; `transition` ≤ `poll` (checked at start-up).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cadence {
    /// `POLL_INTERVAL`.
    pub(crate) poll: Duration,
    /// `TRANSITION_POLL_INTERVAL`.
    pub(crate) transition: Duration,
}

impl Cadence {
    /// The next cycle after one that started at `last_start`, when the last
    /// full cycle started at `last_full`: a transition cycle
    /// `TRANSITION_POLL_INTERVAL` after the last start while something is in
    /// transition and a full one is not due earlier, else the full cycle
    /// `POLL_INTERVAL` after the last full one. Fixed rate: a due time in
    /// the past means "now".
    pub(crate) fn next(
        &self,
        last_start: Instant,
        last_full: Instant,
        in_transition: bool,
    ) -> (Instant, Cycle) {
        let full = last_full + self.poll;
        let quick = last_start + self.transition;
        if in_transition && quick < full {
            (quick, Cycle::Transition)
        } else {
            (full, Cycle::Full)
        }
    }
}

/// The work [`run`] paces; [`crate::monitor::Monitor`] is the real one.
pub(crate) trait Cycles {
    /// When the earliest debounced status is due (EVT-025).
    fn next_flush(&self) -> Option<Instant>;
    /// Publishes the debounced statuses that are due.
    fn flush_due(&mut self) -> impl Future<Output = ()> + Send;
    /// Runs one cycle; answers whether a tracked resource is in transition.
    fn cycle(&mut self, cycle: Cycle) -> impl Future<Output = bool> + Send;
}

/// Runs `work` forever: a full cycle at once, then as [`Cadence::next`]
/// says, with debounced statuses flushed when due in between. A signal on
/// `transitions` (a create's kweb call ended, a delete started) counts as
/// "in transition" until the next cycle says otherwise, so the first
/// transition cycle comes at most `TRANSITION_POLL_INTERVAL` after the last
/// start, or at once if that is past.
pub(crate) async fn run(cadence: Cadence, transitions: &Notify, work: &mut impl Cycles) {
    let mut next = (Instant::now(), Cycle::Full);
    let mut in_transition = false;
    let (mut last_start, mut last_full) = (Instant::now(), Instant::now());
    let mut first = true;
    loop {
        if !first {
            next = cadence.next(last_start, last_full, in_transition);
        }
        let (due, cycle) = next;
        let wake = work.next_flush().map_or(due, |f| f.min(due));
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            () = transitions.notified() => {
                in_transition = true;
                continue;
            }
        }
        work.flush_due().await;
        if Instant::now() < due {
            continue;
        }
        let started = Instant::now();
        in_transition = work.cycle(cycle).await;
        first = false;
        last_start = started;
        if cycle == Cycle::Full {
            last_full = started;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_statuses() {
        use crate::store::Kind;
        for (kind, transient) in [
            (Kind::Vm, &["PROVISIONING", "DELETING"][..]),
            (Kind::Cluster, &["PROGRESSING", "DELETING"][..]),
        ] {
            for text in [
                "PROVISIONING",
                "RUNNING",
                "STOPPED",
                "PAUSED",
                "STOPPING",
                "PROGRESSING",
                "ACTIVE",
                "DEGRADED",
                "UNAVAILABLE",
                "FAILED",
                "DELETING",
                "DELETED",
            ] {
                let Some(status) = Status::parse(kind, text) else {
                    continue;
                };
                assert_eq!(
                    is_transient(status),
                    transient.contains(&text),
                    "{kind:?} {text}"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn kcli030_next_cycle_table() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let cadence = Cadence {
            poll: s(30),
            transition: s(1),
        };
        // (last start, last full, in transition, due, cycle)
        let rows = [
            (s(0), s(0), false, s(30), Cycle::Full),
            (s(0), s(0), true, s(1), Cycle::Transition),
            (s(12), s(0), true, s(13), Cycle::Transition),
            (s(29), s(0), true, s(30), Cycle::Full),
            (ms(29_500), s(0), true, s(30), Cycle::Full),
            (s(12), s(0), false, s(30), Cycle::Full),
            (s(31), s(30), false, s(60), Cycle::Full),
        ];
        for (start, full, transition, due, cycle) in rows {
            assert_eq!(
                cadence.next(t0 + start, t0 + full, transition),
                (t0 + due, cycle),
                "start {start:?}, full {full:?}, in transition {transition}"
            );
        }
        let equal = Cadence {
            poll: s(5),
            transition: s(5),
        };
        assert_eq!(
            equal.next(t0, t0, true),
            (t0 + s(5), Cycle::Full),
            "equal intervals: every cycle is full"
        );
    }

    /// A scripted monitor on tokio time: resources are in transition during
    /// `[from, until)`; every cycle start is recorded.
    struct Script {
        start: Instant,
        transition: (Duration, Duration),
        cycles: Vec<(Duration, Cycle)>,
    }

    impl Cycles for Script {
        fn next_flush(&self) -> Option<Instant> {
            None
        }

        async fn flush_due(&mut self) {}

        async fn cycle(&mut self, cycle: Cycle) -> bool {
            let at = self.start.elapsed();
            self.cycles.push((at, cycle));
            // A poll takes 20 ms (two list calls).
            tokio::time::sleep(Duration::from_millis(20)).await;
            (self.transition.0..self.transition.1).contains(&at)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn kcli030_polls_fast_in_transition_and_falls_back_after() {
        let s = Duration::from_secs;
        let cadence = Cadence {
            poll: s(30),
            transition: s(1),
        };
        let transitions = Notify::new();
        let mut script = Script {
            start: Instant::now(),
            transition: (s(40), s(45)),
            cycles: Vec::new(),
        };
        let signal = async {
            // A create's kweb call ends at 40.3 s, between two full cycles.
            tokio::time::sleep(Duration::from_millis(40_300)).await;
            transitions.notify_one();
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = run(cadence, &transitions, &mut script) => {}
            () = signal => {}
            () = tokio::time::sleep(s(100)) => {}
        }
        let starts: Vec<(u64, Cycle)> = script
            .cycles
            .iter()
            .map(|(at, c)| (at.as_millis() as u64, *c))
            .collect();
        use Cycle::{Full, Transition};
        assert_eq!(
            starts,
            [
                (0, Full),
                (30_000, Full),
                // Signalled at 40.3 s: the last start is long past, so at once.
                (40_300, Transition),
                (41_300, Transition),
                (42_300, Transition),
                (43_300, Transition),
                (44_300, Transition),
                // Reported in transition at 44.3 s: one more fast cycle, then
                // the full cadence from the last full cycle (30 s) again.
                (45_300, Transition),
                (60_000, Full),
                (90_000, Full),
            ],
            "KCLI-030: fast cycles only while in transition"
        );
    }
}
