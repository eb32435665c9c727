//! Time source: wall-clock Unix milliseconds that advance with tokio's clock.
//!
//! Persisted deadlines (grace periods, cluster timeouts) need wall time;
//! tests need to control it with `tokio::time::pause`/`advance`. The clock
//! reads the system time once at start and adds tokio's elapsed time, so
//! both hold.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A monotonic wall clock; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base_ms: u64,
    start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A clock starting at the current system time.
    #[must_use]
    pub fn new() -> Self {
        let base_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            base_ms,
            start: Instant::now(),
        }
    }

    /// Now, Unix milliseconds.
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        self.base_ms + u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX / 2)
    }

    /// Now, Unix nanoseconds (ordering keys).
    #[must_use]
    pub fn now_ns(&self) -> u128 {
        u128::from(self.base_ms) * 1_000_000 + self.start.elapsed().as_nanos()
    }
}

/// RFC 3339 UTC with a `Z` suffix, second precision (API-002).
#[must_use]
pub(crate) fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// RFC 3339 UTC with millisecond precision (event times, EVT-005).
#[must_use]
pub(crate) fn rfc3339_millis(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// Milliseconds of a duration, saturating.
#[must_use]
pub(crate) fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
