//! Per-resource debounce (EVT-025, EVT-026): within `DEBOUNCE_WINDOW` of the
//! last publish only the latest status is published, at the window's end;
//! terminal statuses (`DELETED`, `FAILED`) bypass the window and cancel any
//! pending earlier status.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::lifecycle::Status;

#[derive(Debug, Default)]
struct Entry {
    last_published: Option<Instant>,
    pending: bool,
}

/// Debounce bookkeeping keyed by resource id (in memory only).
#[derive(Debug)]
pub(crate) struct Debouncer {
    window: Duration,
    entries: HashMap<String, Entry>,
}

impl Debouncer {
    /// A debouncer with `window`.
    #[must_use]
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            entries: HashMap::new(),
        }
    }

    /// Records a status change of `id` to `status`; `true` means publish now,
    /// `false` means it is pending until [`Self::take_due`] returns it.
    pub(crate) fn on_change(&mut self, id: &str, status: Status) -> bool {
        let window = self.window;
        let entry = self.entries.entry(id.to_owned()).or_default();
        let now = Instant::now();
        let publish = status.is_terminal()
            || entry
                .last_published
                .is_none_or(|t| now.duration_since(t) >= window);
        if publish {
            entry.last_published = Some(now);
            entry.pending = false;
        } else {
            entry.pending = true;
        }
        if status.is_deleted() {
            self.entries.remove(id);
        }
        publish
    }

    /// When the earliest pending status is due.
    #[must_use]
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter(|e| e.pending)
            .filter_map(|e| e.last_published.map(|t| t + self.window))
            .min()
    }

    /// Ids whose pending status is due now; they count as published.
    pub(crate) fn take_due(&mut self) -> Vec<String> {
        let now = Instant::now();
        let window = self.window;
        let mut due = Vec::new();
        for (id, entry) in &mut self.entries {
            if entry.pending && entry.last_published.is_none_or(|t| t + window <= now) {
                entry.pending = false;
                entry.last_published = Some(now);
                due.push(id.clone());
            }
        }
        due
    }

    /// Drops a pending status (a full republish just covered it).
    pub(crate) fn clear_pending(&mut self, id: &str) {
        if let Some(entry) = self.entries.get_mut(id) {
            entry.pending = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{VmStatus, VmStatus::*};

    const fn vm(s: VmStatus) -> Status {
        Status::Vm(s)
    }

    #[tokio::test(start_paused = true)]
    async fn evt025_only_the_latest_status_within_the_window() {
        let mut d = Debouncer::new(Duration::from_secs(5));
        assert!(
            d.on_change("a", vm(Provisioning)),
            "first change is published at once"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(!d.on_change("a", vm(Stopped)), "inside the window: pending");
        assert!(
            !d.on_change("a", vm(Running)),
            "still pending; the latest wins"
        );
        assert_eq!(d.next_due(), Some(Instant::now() + Duration::from_secs(4)));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(d.take_due().is_empty(), "not yet due");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(d.take_due(), vec!["a".to_owned()]);
        assert!(d.take_due().is_empty(), "published once");
        assert_eq!(d.next_due(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn evt026_terminal_statuses_bypass_and_cancel_pending() {
        let mut d = Debouncer::new(Duration::from_secs(5));
        assert!(d.on_change("a", vm(Running)));
        assert!(!d.on_change("a", vm(Stopped)));
        assert!(
            d.on_change("a", vm(Failed)),
            "terminal status is never held back"
        );
        assert!(
            d.take_due().is_empty(),
            "the earlier pending status is dropped, not published after FAILED"
        );
        tokio::time::advance(Duration::from_millis(10)).await;
        assert!(
            d.on_change("a", vm(Deleted)),
            "DELETED bypasses even right after FAILED"
        );
        assert!(d.on_change("b", vm(Running)), "other ids are independent");
    }
}
