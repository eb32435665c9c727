//! Backend health: a background probe of kweb `GET /host` (HLT-007 to
//! HLT-012). Handlers only read the latest result, so they answer at once
//! whatever kweb does.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::kweb::KwebClient;

/// Consecutive failed probes before `unhealthy` (HLT-011).
pub const FAILURE_THRESHOLD: u32 = 2;

#[derive(Debug, Default)]
struct ProbeState {
    last_success: Option<Instant>,
    consecutive_failures: u32,
    probed: bool,
}

/// The latest probe outcome plus the shutdown flag (HLT-012).
#[derive(Debug)]
pub struct Health {
    state: Mutex<ProbeState>,
    interval: Duration,
    shutting_down: AtomicBool,
}

/// What `{endpoint}/health` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `true` for `healthy`.
    pub healthy: bool,
    /// Short reason when unhealthy (HLT-006); no URL or backend output.
    pub detail: Option<&'static str>,
}

impl Health {
    /// A state with no probe yet (reports `unhealthy`, HLT-009).
    #[must_use]
    pub fn new(interval: Duration) -> Self {
        Self {
            state: Mutex::new(ProbeState::default()),
            interval,
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Records one probe result.
    pub fn record(&self, ok: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.probed = true;
            if ok {
                state.last_success = Some(Instant::now());
                state.consecutive_failures = 0;
            } else {
                state.consecutive_failures += 1;
            }
        }
    }

    /// Marks the start of graceful shutdown.
    pub fn shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// The current verdict (HLT-009): healthy only while the latest success
    /// is fresher than 3 × the probe interval and fewer than
    /// [`FAILURE_THRESHOLD`] probes failed in a row.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Verdict {
                healthy: false,
                detail: Some("shutting down"),
            };
        }
        let Ok(state) = self.state.lock() else {
            return Verdict {
                healthy: false,
                detail: Some("health state unavailable"),
            };
        };
        if !state.probed {
            return Verdict {
                healthy: false,
                detail: Some("backend not probed yet"),
            };
        }
        if state.consecutive_failures >= FAILURE_THRESHOLD {
            return Verdict {
                healthy: false,
                detail: Some("backend not reachable"),
            };
        }
        match state.last_success {
            Some(at) if at.elapsed() <= self.interval * 3 => Verdict {
                healthy: true,
                detail: None,
            },
            Some(_) => Verdict {
                healthy: false,
                detail: Some("backend probe result is stale"),
            },
            None => Verdict {
                healthy: false,
                detail: Some("backend not reachable"),
            },
        }
    }

    /// Whether kweb answered the latest probe window (`/ready`'s `kweb`).
    #[must_use]
    pub fn kweb_ok(&self) -> bool {
        self.verdict().healthy
    }
}

/// Probes forever every `interval`, each bounded by `timeout` (HLT-010).
pub async fn probe_loop(
    health: std::sync::Arc<Health>,
    kweb: KwebClient,
    interval: Duration,
    timeout: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let ok = kweb.probe_host(timeout).await.is_ok();
        health.record(ok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn hlt009_hlt011_unhealthy_before_probe_after_two_failures_and_when_stale() {
        let health = Health::new(Duration::from_secs(5));
        assert!(!health.verdict().healthy, "before the first probe");
        health.record(true);
        assert!(health.verdict().healthy);
        health.record(false);
        assert!(health.verdict().healthy, "one failure is tolerated");
        health.record(false);
        assert!(!health.verdict().healthy, "two failures");
        health.record(true);
        assert!(health.verdict().healthy);
        tokio::time::advance(Duration::from_secs(16)).await;
        assert_eq!(
            health.verdict().detail,
            Some("backend probe result is stale")
        );
        health.shutting_down();
        health.record(true);
        assert_eq!(health.verdict().detail, Some("shutting down"));
    }
}
