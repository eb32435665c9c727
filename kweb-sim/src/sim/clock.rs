//! The simulator clock (`kweb-reference.md` §15): drives `Date` headers,
//! `creationdate`, `Last-Modified` and transition timers. It runs with real
//! time unless paused; `advance` moves it forward in both modes. Running, it
//! follows tokio's clock, which is real time except in a test that pauses
//! tokio time: an in-process simulator then moves with the test's virtual
//! time (`tokio::time::advance` or auto-advance).

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A controllable clock in Unix seconds.
#[derive(Debug, Clone)]
pub struct Clock {
    base: f64,
    since: Option<Instant>,
}

impl Clock {
    /// A running clock starting at `start` Unix seconds (the wall clock when
    /// `None`).
    #[must_use]
    pub fn new(start: Option<f64>) -> Self {
        let base = start.unwrap_or_else(wall_now);
        Self {
            base,
            since: Some(Instant::now()),
        }
    }

    /// Current simulated time, Unix seconds.
    #[must_use]
    pub fn now(&self) -> f64 {
        match self.since {
            Some(i) => self.base + i.elapsed().as_secs_f64(),
            None => self.base,
        }
    }

    /// Whether the clock is paused.
    #[must_use]
    pub fn paused(&self) -> bool {
        self.since.is_none()
    }

    /// Freezes the clock.
    pub fn pause(&mut self) {
        self.base = self.now();
        self.since = None;
    }

    /// Lets the clock run again from its current value.
    pub fn resume(&mut self) {
        if self.since.is_none() {
            self.since = Some(Instant::now());
        }
    }

    /// Moves the clock forward by `seconds` (negative values are ignored).
    pub fn advance(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.base += seconds;
        }
    }

    /// Sets the clock to `t` Unix seconds.
    pub fn set(&mut self, t: f64) {
        self.base = t;
        if self.since.is_some() {
            self.since = Some(Instant::now());
        }
    }
}

fn wall_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Civil date-time fields of a Unix time (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Weekday, 0 = Monday.
    pub weekday: u32,
}

/// Splits Unix seconds into UTC civil fields.
#[must_use]
pub fn civil(t: f64) -> Civil {
    let secs = t.floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = if m <= 2 { y + 1 } else { y };
    Civil {
        year,
        month: m,
        day: d,
        hour: (rem / 3600) as u32,
        minute: ((rem % 3600) / 60) as u32,
        second: (rem % 60) as u32,
        weekday: (days + 3).rem_euclid(7) as u32,
    }
}

/// RFC 7231 IMF-fixdate: `Sat, 21 Nov 2026 13:42:51 GMT`.
#[must_use]
pub fn http_date(t: f64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(t);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday as usize],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// kcli's `creationdate`: `dd-mm-YYYY HH:MM` (the simulator uses UTC as the
/// server's local time).
#[must_use]
pub fn creation_date(t: f64) -> String {
    let c = civil(t);
    format!(
        "{:02}-{:02}-{} {:02}:{:02}",
        c.day, c.month, c.year, c.hour, c.minute
    )
}

/// ISO-8601 UTC (`2026-11-21T13:42:51Z`) for the control API.
#[must_use]
pub fn iso8601(t: f64) -> String {
    let c = civil(t);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_captures() {
        // Sat, 21 Nov 2026 13:42:51 GMT
        let t = 1_795_268_571.0;
        assert_eq!(http_date(t), "Sat, 21 Nov 2026 13:42:51 GMT");
        assert_eq!(creation_date(t), "21-11-2026 13:42");
        assert_eq!(iso8601(t), "2026-11-21T13:42:51Z");
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_clock_follows_paused_tokio_time() {
        let c = Clock::new(Some(100.0));
        tokio::time::advance(std::time::Duration::from_millis(2_500)).await;
        assert!((c.now() - 102.5).abs() < 1e-9, "{}", c.now());
    }

    #[test]
    fn paused_clock_only_moves_by_advance() {
        let mut c = Clock::new(Some(100.0));
        c.pause();
        let a = c.now();
        c.advance(5.0);
        assert!((c.now() - a - 5.0).abs() < 1e-9);
        c.advance(-3.0);
        assert!((c.now() - a - 5.0).abs() < 1e-9);
    }
}
