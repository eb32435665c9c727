//! Backend health: background checks of kweb (HLT-007 to HLT-012). Handlers
//! only read the latest verdict, so they answer at once whatever kweb does.
//!
//! Two checks feed one tally:
//! - the **probe**, kweb `GET /host` every `HEALTH_PROBE_INTERVAL`, bounded by
//!   `HEALTH_PROBE_TIMEOUT` (HLT-010). Only a probe changes the verdict.
//! - the **listening check** between probes: a TCP connect to kweb's port
//!   every [`LISTEN_CHECK_PERIOD`], half-closed at once, no HTTP request. The
//!   kernel completes the handshake even while single-threaded kweb is busy
//!   with a long call, so the check neither waits on kweb nor costs it a
//!   request; at most one such connection is open at a time. A refused
//!   connect brings the next probe forward to [`CONFIRM_DELAY`]; an accepted
//!   connect after kweb was found not listening brings it forward to now.
//!
//! A probe that fails definitely (nothing listening, or an answer other than
//! 200) is confirmed by another probe [`CONFIRM_DELAY`] later, and two in a
//! row turn the verdict `unhealthy` (HLT-011). When kweb's process dies, with
//! the defaults: at most 500 ms to the next listening check, 250 ms to a probe
//! (failure 1), 250 ms to the confirming probe (failure 2): about 1 s.
//!
//! A *slow* probe (connected, no answer within `HEALTH_PROBE_TIMEOUT`) is not
//! counted as a failure: kweb serves one request at a time, and a long
//! synchronous call the provider itself made delays the probe (HLT-011's
//! rationale). A hung kweb turns `unhealthy` through staleness instead: no
//! answer for 3 × `HEALTH_PROBE_INTERVAL` (HLT-009).
//!
//! The listening check is off when an HTTP proxy variable is set
//! (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, either case): the kweb client
//! then goes through the proxy, and a direct connect proves nothing. Detection
//! then takes up to `HEALTH_PROBE_INTERVAL` plus one [`CONFIRM_DELAY`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::kweb::{KwebClient, KwebError};

/// Consecutive definitely failed probes before `unhealthy` (HLT-011).
pub(crate) const FAILURE_THRESHOLD: u32 = 2;

/// How often the listening check runs between probes: 500 ms.
pub(crate) const LISTEN_CHECK_PERIOD: Duration = Duration::from_millis(500);

/// Delay of the probe that confirms a failure signal: 250 ms.
pub(crate) const CONFIRM_DELAY: Duration = Duration::from_millis(250);

/// Refused listening checks contradicted by a 200 probe, in a row, before
/// the listening check is switched off: 3.
pub(crate) const MAX_CONTRADICTIONS: u32 = 3;

/// How long the listening check waits for kweb to accept and close its
/// half-closed connection before calling kweb busy (still listening).
const ACCEPT_WAIT: Duration = Duration::from_millis(50);

/// What one `GET /host` probe found (HLT-010).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeOutcome {
    /// HTTP 200.
    Answered,
    /// Nothing took the connection (refused, reset, DNS): kweb is gone.
    NotListening,
    /// kweb answered, but not 200 (e.g. the text/plain 500 of a backend it
    /// cannot reach): impaired.
    Failed,
    /// No answer within `HEALTH_PROBE_TIMEOUT`: kweb is busy or hung.
    Slow,
}

impl ProbeOutcome {
    /// Classifies the kweb client's probe result by its API-018 class: not
    /// sent ([`KwebError::Unreachable`]) and a connection cut mid-call
    /// ([`KwebError::Interrupted`]) mean nothing serves the port; a read
    /// timeout ([`KwebError::Timeout`]) means kweb is slow; any answer other
    /// than 200 is a failure.
    #[must_use]
    pub(crate) fn of(result: &Result<(), KwebError>) -> Self {
        match result {
            Ok(()) => Self::Answered,
            Err(KwebError::Unreachable { .. } | KwebError::Interrupted { .. }) => {
                Self::NotListening
            }
            Err(KwebError::Timeout { .. }) => Self::Slow,
            Err(_) => Self::Failed,
        }
    }

    fn counts_as_failure(self) -> bool {
        matches!(self, Self::NotListening | Self::Failed)
    }
}

/// The probe history the verdict and the schedule are decided from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// The latest probe's outcome; `None` before the first probe.
    pub last: Option<ProbeOutcome>,
    /// Definite failures in a row (slow probes neither add nor reset).
    pub consecutive_failures: u32,
    /// When the latest probe answered 200.
    pub last_success: Option<Instant>,
}

impl Tally {
    /// The tally after a probe that ended at `now`.
    #[must_use]
    pub(crate) fn after(self, outcome: ProbeOutcome, now: Instant) -> Self {
        let (consecutive_failures, last_success) = match outcome {
            ProbeOutcome::Answered => (0, Some(now)),
            ProbeOutcome::NotListening | ProbeOutcome::Failed => {
                (self.consecutive_failures + 1, self.last_success)
            }
            ProbeOutcome::Slow => (self.consecutive_failures, self.last_success),
        };
        Self {
            last: Some(outcome),
            consecutive_failures,
            last_success,
        }
    }

    /// Whether the listening check runs: while kweb answered (to see it go
    /// away) and while it was not listening (to see it come back). Not while
    /// it is slow or failing: it is listening then, and busy.
    #[must_use]
    pub(crate) fn listen_checks(&self) -> bool {
        matches!(
            self.last,
            Some(ProbeOutcome::Answered | ProbeOutcome::NotListening)
        )
    }

    /// Delay from a probe's start to the next probe: [`CONFIRM_DELAY`] while
    /// a failure is not yet confirmed (HLT-011), else `interval` (HLT-010).
    #[must_use]
    pub(crate) fn next_probe(&self, interval: Duration) -> Duration {
        let unconfirmed = self.last.is_some_and(ProbeOutcome::counts_as_failure)
            && self.consecutive_failures < FAILURE_THRESHOLD;
        if unconfirmed {
            CONFIRM_DELAY.min(interval)
        } else {
            interval
        }
    }

    /// How soon to probe after a listening check, `None` to keep the
    /// schedule: a refused connect while kweb answered brings a probe to
    /// [`CONFIRM_DELAY`]; an accepted one while it was not listening, to now.
    #[must_use]
    pub(crate) fn probe_sooner(&self, listening: bool) -> Option<Duration> {
        match (self.last, listening) {
            (Some(ProbeOutcome::Answered), false) => Some(CONFIRM_DELAY),
            (Some(ProbeOutcome::NotListening), true) => Some(Duration::ZERO),
            _ => None,
        }
    }

    /// The verdict at `now` (HLT-009): healthy only while fewer than
    /// [`FAILURE_THRESHOLD`] probes failed in a row and the latest success is
    /// at most 3 × `interval` old.
    #[must_use]
    pub(crate) fn verdict(&self, now: Instant, interval: Duration) -> Verdict {
        let unhealthy = |detail| Verdict {
            healthy: false,
            detail: Some(detail),
        };
        let Some(last) = self.last else {
            return unhealthy("backend not probed yet");
        };
        if self.consecutive_failures >= FAILURE_THRESHOLD {
            return unhealthy(match last {
                ProbeOutcome::Failed => "backend answers with errors",
                _ => "backend not reachable",
            });
        }
        match self.last_success {
            Some(at) if now.saturating_duration_since(at) <= interval * 3 => Verdict {
                healthy: true,
                detail: None,
            },
            Some(_) => unhealthy("backend probe result is stale"),
            None => unhealthy(match last {
                ProbeOutcome::Slow => "backend did not answer in time",
                ProbeOutcome::Failed => "backend answers with errors",
                _ => "backend not reachable",
            }),
        }
    }
}

/// The latest tally plus the shutdown flag (HLT-012).
#[derive(Debug)]
pub(crate) struct Health {
    tally: Mutex<Tally>,
    interval: Duration,
    shutting_down: AtomicBool,
}

/// What `{endpoint}/health` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// `true` for `healthy`.
    pub healthy: bool,
    /// Short reason when unhealthy (HLT-006); no URL or backend output.
    pub detail: Option<&'static str>,
}

impl Health {
    /// A state with no probe yet (reports `unhealthy`, HLT-009).
    /// `interval` is `HEALTH_PROBE_INTERVAL`.
    #[must_use]
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            tally: Mutex::new(Tally::default()),
            interval,
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Records one probe outcome and returns the new tally.
    pub(crate) fn record(&self, outcome: ProbeOutcome) -> Tally {
        match self.tally.lock() {
            Ok(mut tally) => {
                *tally = tally.after(outcome, Instant::now());
                *tally
            }
            Err(_) => Tally::default(),
        }
    }

    /// The current tally.
    #[must_use]
    pub(crate) fn tally(&self) -> Tally {
        self.tally.lock().map(|t| *t).unwrap_or_default()
    }

    /// Marks the start of graceful shutdown.
    pub(crate) fn shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// The current verdict (HLT-009, HLT-012); see [`Tally::verdict`].
    #[must_use]
    pub(crate) fn verdict(&self) -> Verdict {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Verdict {
                healthy: false,
                detail: Some("shutting down"),
            };
        }
        match self.tally.lock() {
            Ok(tally) => tally.verdict(Instant::now(), self.interval),
            Err(_) => Verdict {
                healthy: false,
                detail: Some("health state unavailable"),
            },
        }
    }

    /// Whether kweb answered the latest probe window (`/ready`'s `kweb`).
    #[must_use]
    pub(crate) fn kweb_ok(&self) -> bool {
        self.verdict().healthy
    }
}

/// The two checks the probe loop runs; [`KwebChecks`] is the real one.
pub(crate) trait Checks {
    /// One `GET /host` probe.
    fn probe(&mut self) -> impl Future<Output = ProbeOutcome> + Send;
    /// One listening check; `None` when the check is off.
    fn listening(&mut self) -> impl Future<Output = Option<bool>> + Send;
}

/// Probe timing (HLT-010).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probing {
    /// `HEALTH_PROBE_INTERVAL` (the checks hold `HEALTH_PROBE_TIMEOUT`).
    pub(crate) interval: Duration,
}

/// The checks against a real kweb: [`KwebClient::probe_host`] and a TCP
/// connect to the host and port of `KWEB_URL`.
#[derive(Debug)]
pub(crate) struct KwebChecks {
    kweb: KwebClient,
    timeout: Duration,
    /// `(host, port)` of kweb; `None` turns the listening check off.
    target: Option<(String, u16)>,
    /// A connection kweb has not accepted and closed yet (it is busy).
    pending: Option<TcpStream>,
}

const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

impl KwebChecks {
    /// Checks for the kweb at `kweb_url` (already validated).
    #[must_use]
    pub(crate) fn new(kweb: KwebClient, kweb_url: &str, timeout: Duration) -> Self {
        let proxied = PROXY_VARIABLES
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        if proxied {
            tracing::info!(
                "an HTTP proxy variable is set: the kweb listening check is off; a kweb outage is seen at the next health probe"
            );
        }
        let target = reqwest::Url::parse(kweb_url).ok().and_then(|url| {
            let host = url.host_str()?.trim_matches(['[', ']']).to_owned();
            Some((host, url.port_or_known_default()?))
        });
        Self {
            kweb,
            timeout,
            target: target.filter(|_| !proxied),
            pending: None,
        }
    }
}

impl Checks for KwebChecks {
    async fn probe(&mut self) -> ProbeOutcome {
        ProbeOutcome::of(&self.kweb.probe_host(self.timeout).await)
    }

    async fn listening(&mut self) -> Option<bool> {
        let (host, port) = self.target.clone()?;
        let mut buf = [0_u8; 64];
        if let Some(stream) = self.pending.as_mut() {
            // Still queued: kweb is busy but its socket is there. Read
            // returning (EOF, data or reset) means kweb took it, or died.
            if tokio::time::timeout(ACCEPT_WAIT, stream.read(&mut buf))
                .await
                .is_err()
            {
                return Some(true);
            }
            self.pending = None;
        }
        match tokio::time::timeout(self.timeout, TcpStream::connect((host.as_str(), port))).await {
            Ok(Ok(mut stream)) => {
                // Half-close: kweb reads an empty request and closes.
                let _ = stream.shutdown().await;
                let closed = tokio::time::timeout(ACCEPT_WAIT, stream.read(&mut buf)).await;
                if closed.is_err() {
                    self.pending = Some(stream);
                }
                Some(true)
            }
            Ok(Err(_)) | Err(_) => Some(false),
        }
    }
}

/// Runs the checks forever (HLT-010, HLT-011): a probe at once, then every
/// `interval` (or [`CONFIRM_DELAY`] after an unconfirmed failure), with
/// listening checks every [`LISTEN_CHECK_PERIOD`] in between.
///
/// When [`MAX_CONTRADICTIONS`] refused listening checks in a row are each
/// contradicted by the probe they brought forward (it answered 200: kweb is
/// reached some other way, e.g. through a proxy the environment does not
/// name), the listening check is switched off, so kweb never gets extra probes.
pub(crate) async fn probe_loop(health: Arc<Health>, mut checks: impl Checks, probing: Probing) {
    let mut next_probe = Instant::now();
    let mut listen_checks = true;
    let mut brought_forward = false;
    let mut contradictions = 0;
    loop {
        let check_at = Instant::now() + LISTEN_CHECK_PERIOD;
        if listen_checks && health.tally().listen_checks() && check_at < next_probe {
            tokio::time::sleep_until(check_at).await;
            if let Some(listening) = checks.listening().await {
                if let Some(delay) = health.tally().probe_sooner(listening) {
                    next_probe = next_probe.min(Instant::now() + delay);
                    brought_forward = !listening;
                }
                continue;
            }
        }
        tokio::time::sleep_until(next_probe).await;
        let started = Instant::now();
        let outcome = checks.probe().await;
        if std::mem::take(&mut brought_forward) {
            contradictions = if outcome == ProbeOutcome::Answered {
                contradictions + 1
            } else {
                0
            };
            if contradictions >= MAX_CONTRADICTIONS {
                listen_checks = false;
                tracing::warn!(
                    "kweb's port refuses connections while GET /host answers; the listening check is off"
                );
            }
        }
        let tally = health.record(outcome);
        next_probe = (started + tally.next_probe(probing.interval)).max(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProbeOutcome::{Answered, Failed, NotListening, Slow};

    const INTERVAL: Duration = Duration::from_secs(5);

    fn tally_of(outcomes: &[ProbeOutcome], at: Instant) -> Tally {
        outcomes
            .iter()
            .fold(Tally::default(), |t, o| t.after(*o, at))
    }

    #[test]
    fn probe_outcome_follows_the_api018_error_classes() {
        let op = || "GET /host".to_owned();
        let rows = [
            (Ok(()), Answered),
            (
                Err(KwebError::Unreachable {
                    op: op(),
                    source: None,
                }),
                NotListening,
            ),
            (
                Err(KwebError::Interrupted {
                    op: op(),
                    source: None,
                }),
                NotListening,
            ),
            (Err(KwebError::Timeout { op: op() }), Slow),
            (Err(KwebError::BadRequest { op: op() }), Failed),
        ];
        for (result, outcome) in rows {
            assert_eq!(ProbeOutcome::of(&result), outcome, "{result:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hlt009_hlt011_verdict_table() {
        let now = Instant::now();
        // (probe outcomes in order, healthy?, detail, requirement)
        let rows: &[(&[ProbeOutcome], bool, Option<&str>, &str)] = &[
            (&[], false, Some("backend not probed yet"), "HLT-009"),
            (&[Answered], true, None, "HLT-009"),
            (&[Answered, NotListening], true, None, "HLT-011 one failure"),
            (&[Answered, Failed], true, None, "HLT-011 one failure"),
            (
                &[Answered, NotListening, NotListening],
                false,
                Some("backend not reachable"),
                "HLT-011",
            ),
            (
                &[Answered, Failed, Failed],
                false,
                Some("backend answers with errors"),
                "HLT-011",
            ),
            (
                &[Answered, NotListening, Answered, NotListening],
                true,
                None,
                "HLT-011 in a row",
            ),
            (
                &[Answered, Slow, Slow, Slow],
                true,
                None,
                "HLT-011 slow is not a failure",
            ),
            (
                &[Answered, NotListening, Slow, NotListening],
                false,
                Some("backend not reachable"),
                "slow does not reset",
            ),
            (
                &[Slow],
                false,
                Some("backend did not answer in time"),
                "HLT-009 no success yet",
            ),
            (
                &[NotListening],
                false,
                Some("backend not reachable"),
                "HLT-009 no success yet",
            ),
            (
                &[NotListening, NotListening, Answered],
                true,
                None,
                "recovery",
            ),
        ];
        for (outcomes, healthy, detail, id) in rows {
            let verdict = tally_of(outcomes, now).verdict(now, INTERVAL);
            assert_eq!(verdict.healthy, *healthy, "{id}: {outcomes:?}");
            assert_eq!(verdict.detail, *detail, "{id}: {outcomes:?}");
        }
        let stale = tally_of(&[Answered, Slow], now)
            .verdict(now + INTERVAL * 3 + Duration::from_millis(1), INTERVAL);
        assert_eq!(
            stale.detail,
            Some("backend probe result is stale"),
            "HLT-009 staleness"
        );
        let fresh = tally_of(&[Answered, Slow], now).verdict(now + INTERVAL * 3, INTERVAL);
        assert!(
            fresh.healthy,
            "HLT-009: exactly 3 x interval is still fresh"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn hlt010_hlt011_schedule_table() {
        let now = Instant::now();
        // (outcomes, next probe delay, check listening?, sooner if refused, sooner if accepted)
        type Row = (
            &'static [ProbeOutcome],
            Duration,
            bool,
            Option<Duration>,
            Option<Duration>,
        );
        let rows: &[Row] = &[
            (&[Answered], INTERVAL, true, Some(CONFIRM_DELAY), None),
            (
                &[Answered, NotListening],
                CONFIRM_DELAY,
                true,
                None,
                Some(Duration::ZERO),
            ),
            (
                &[Answered, NotListening, NotListening],
                INTERVAL,
                true,
                None,
                Some(Duration::ZERO),
            ),
            (&[Answered, Failed], CONFIRM_DELAY, false, None, None),
            (&[Answered, Failed, Failed], INTERVAL, false, None, None),
            (&[Answered, Slow], INTERVAL, false, None, None),
            (
                &[NotListening],
                CONFIRM_DELAY,
                true,
                None,
                Some(Duration::ZERO),
            ),
        ];
        for (outcomes, next, checks, refused, accepted) in rows {
            let tally = tally_of(outcomes, now);
            assert_eq!(tally.next_probe(INTERVAL), *next, "{outcomes:?}");
            assert_eq!(tally.listen_checks(), *checks, "{outcomes:?}");
            assert_eq!(tally.probe_sooner(false), *refused, "{outcomes:?}");
            assert_eq!(tally.probe_sooner(true), *accepted, "{outcomes:?}");
        }
        assert_eq!(
            tally_of(&[NotListening], now).next_probe(Duration::from_millis(100)),
            Duration::from_millis(100),
            "the confirming probe never comes later than the interval"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn hlt012_shutdown_overrides_a_healthy_tally() {
        let health = Health::new(INTERVAL);
        health.record(Answered);
        assert!(health.verdict().healthy);
        health.shutting_down();
        health.record(Answered);
        assert_eq!(health.verdict().detail, Some("shutting down"));
    }

    /// A scripted kweb on tokio time: `gone_at` onwards nothing listens;
    /// probes started in `[slow_from, slow_until)` take `slow_for` and
    /// answer late; otherwise probes take 5 ms.
    struct Script {
        start: Instant,
        gone_at: Option<Duration>,
        slow: Option<(Duration, Duration)>,
        /// Connects are refused although probes answer.
        refuses_connects: bool,
        probes: Vec<Duration>,
    }

    impl Script {
        fn gone(&self) -> bool {
            self.gone_at.is_some_and(|at| self.start.elapsed() >= at)
        }
    }

    impl Checks for &mut Script {
        async fn probe(&mut self) -> ProbeOutcome {
            self.probes.push(self.start.elapsed());
            if self.gone() {
                return NotListening;
            }
            let at = self.start.elapsed();
            if let Some((from, until)) = self.slow
                && (from..until).contains(&at)
            {
                // HEALTH_PROBE_TIMEOUT of 3 s runs out.
                tokio::time::sleep(Duration::from_secs(3)).await;
                return Slow;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            Answered
        }

        async fn listening(&mut self) -> Option<bool> {
            Some(!self.gone() && !self.refuses_connects)
        }
    }

    /// Runs the loop over `script` for `run_for` and returns the first
    /// moment (since start) the verdict was unhealthy after having been healthy.
    async fn first_unhealthy(script: &mut Script, run_for: Duration) -> Option<Duration> {
        let health = Arc::new(Health::new(INTERVAL));
        let probing = Probing { interval: INTERVAL };
        let start = script.start;
        let watcher = {
            let health = Arc::clone(&health);
            async move {
                let mut was_healthy = false;
                loop {
                    let healthy = health.verdict().healthy;
                    if was_healthy && !healthy {
                        return Some(start.elapsed());
                    }
                    was_healthy |= healthy;
                    if start.elapsed() >= run_for {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        tokio::select! {
            () = probe_loop(Arc::clone(&health), script, probing) => None,
            seen = watcher => seen,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hlt011_kweb_going_away_is_unhealthy_within_2s_with_default_settings() {
        // Every offset inside one probe interval, so the worst phase is covered.
        for gone_ms in (10_000..15_000).step_by(250) {
            let gone_at = Duration::from_millis(gone_ms);
            let mut script = Script {
                start: Instant::now(),
                gone_at: Some(gone_at),
                slow: None,
                refuses_connects: false,
                probes: Vec::new(),
            };
            let seen = first_unhealthy(&mut script, Duration::from_secs(30))
                .await
                .expect("turns unhealthy");
            let took = seen - gone_at;
            assert!(
                took <= Duration::from_millis(1_100),
                "gone at {gone_at:?}: unhealthy after {took:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hlt011_slow_probes_do_not_flip_until_the_result_is_stale() {
        // (probes slow from, until (ms), first unhealthy (s), why)
        let rows: &[(u64, u64, Option<u64>, &str)] = &[
            (4_900, 5_100, None, "HLT-011: one slow probe"),
            (4_900, 9_000, None, "HLT-011: a busy kweb delays two probes"),
            (
                4_900,
                40_000,
                Some(15),
                "HLT-009: no answer for 3 x HEALTH_PROBE_INTERVAL",
            ),
        ];
        for (from, until, flips_at, why) in rows {
            let mut script = Script {
                start: Instant::now(),
                gone_at: None,
                slow: Some((Duration::from_millis(*from), Duration::from_millis(*until))),
                refuses_connects: false,
                probes: Vec::new(),
            };
            let seen = first_unhealthy(&mut script, Duration::from_secs(30)).await;
            assert_eq!(seen.map(|d| d.as_secs()), *flips_at, "{why}");
            assert!(
                script.probes.len() >= 3,
                "{why}: the loop kept probing: {:?}",
                script.probes
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hlt010_an_answering_kweb_is_probed_every_interval_only() {
        let mut script = Script {
            start: Instant::now(),
            gone_at: None,
            slow: None,
            refuses_connects: false,
            probes: Vec::new(),
        };
        assert_eq!(
            first_unhealthy(&mut script, Duration::from_secs(21)).await,
            None
        );
        let secs: Vec<u64> = script.probes.iter().map(Duration::as_secs).collect();
        assert_eq!(
            secs,
            [0, 5, 10, 15, 20],
            "GET /host every HEALTH_PROBE_INTERVAL"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_listening_check_the_probes_contradict_is_switched_off() {
        let mut script = Script {
            start: Instant::now(),
            gone_at: None,
            slow: None,
            refuses_connects: true,
            probes: Vec::new(),
        };
        assert_eq!(
            first_unhealthy(&mut script, Duration::from_secs(31)).await,
            None
        );
        // 3 probes brought forward by refused connects, then every 5 s only.
        assert!(
            script.probes.len() <= 10,
            "kweb got extra probes: {:?}",
            script.probes
        );
        let late: Vec<u64> = script
            .probes
            .iter()
            .filter(|p| p.as_secs() >= 5)
            .map(|p| p.as_millis() as u64)
            .collect();
        assert!(
            late.windows(2).all(|w| w[1] - w[0] == 5_000),
            "probes every HEALTH_PROBE_INTERVAL after the switch-off: {late:?}"
        );
    }
}
