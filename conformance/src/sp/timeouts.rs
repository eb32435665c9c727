//! The suite's single timeout table (§12.3, TMO-020 to TMO-022).
//!
//! Every wait of the suite names an entry here. Each entry has a default and
//! the documented maximum a conformant SP may need; both may depend on the
//! SP's declared poll interval and debounce window. Entries can be overridden
//! from a YAML/JSON options file (`key: 5s`); overriding an entry beyond its
//! maximum marks the run not claimable (TMO-021).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The table's keys, in the contract's order.
pub const KEYS: &[&str] = &[
    "health_response",
    "http_response",
    "create_response",
    "registration_first_attempt",
    "registration_retry_gap",
    "reregistration",
    "first_status_event",
    "status_change_event",
    "deleted_event_after_delete",
    "deleted_event_after_disappearance",
    "startup_republish",
    "periodic_republish",
    "redelivery_after_nats_recovery",
    "vm_running",
    "cluster_active",
    "cluster_failed_after_timeout",
    "delete_complete",
    "orphan_reported",
    "scenario_cleanup",
    "poll_step",
];

/// One entry: effective value, default and documented maximum.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// What the suite waits (after overrides), in seconds.
    #[serde(with = "secs")]
    pub effective: Duration,
    /// The contract default, in seconds.
    #[serde(with = "secs")]
    pub default: Duration,
    /// The documented maximum for a conformant SP, in seconds (`None`: unbounded).
    #[serde(with = "opt_secs")]
    pub maximum: Option<Duration>,
    /// Whether the entry was overridden.
    pub overridden: bool,
}

mod secs {
    pub(super) fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

mod opt_secs {
    pub(super) fn serialize<S: serde::Serializer>(
        d: &Option<std::time::Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_f64(d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
}

/// What the SP declares about itself (`--sp-poll-interval`, `--sp-debounce`,
/// `--sp-cluster-create-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// The SP's poll interval (default 30 s).
    pub poll: Duration,
    /// The SP's debounce window (default 5 s).
    pub debounce: Duration,
    /// The SP's `CLUSTER_CREATE_TIMEOUT` (default 30 min).
    pub cluster_create_timeout: Duration,
}

impl Default for Declared {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(30),
            debounce: Duration::from_secs(5),
            cluster_create_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// The effective table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimeoutTable {
    entries: BTreeMap<String, Entry>,
    /// Required consecutive successes of an eventual check (TMO-022).
    pub consecutive_successes: u32,
}

/// Errors of the overrides file.
#[derive(Debug, thiserror::Error)]
pub enum TimeoutError {
    /// The file could not be read.
    #[error("cannot read timeouts file {path}: {source}")]
    Read {
        /// File path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a YAML/JSON mapping of key to duration.
    #[error("timeouts file {path} is not a mapping of key to duration: {reason}")]
    Format {
        /// File path.
        path: String,
        /// Cause.
        reason: String,
    },
    /// An unknown key.
    #[error("unknown timeout key `{0}`; known keys: {known}", known = KEYS.join(", "))]
    UnknownKey(String),
    /// A value that is not a duration.
    #[error("timeout `{key}`: `{value}` is not a duration like 500ms, 5s or 2m")]
    BadValue {
        /// Entry key.
        key: String,
        /// Offending value.
        value: String,
    },
}

impl TimeoutTable {
    /// The contract's defaults for an SP that declares `d`.
    #[must_use]
    pub fn defaults(d: Declared) -> Self {
        let s = Duration::from_secs;
        let poll = d.poll;
        let rows: Vec<(&str, Duration, Option<Duration>)> = vec![
            ("health_response", s(1), Some(s(1))),
            ("http_response", s(25), Some(s(30))),
            ("create_response", s(25), Some(s(30))),
            ("registration_first_attempt", s(10), Some(s(30))),
            ("registration_retry_gap", s(65), Some(s(300))),
            ("reregistration", s(360), Some(s(1800))),
            ("first_status_event", poll + s(5), Some(poll + s(5))),
            (
                "status_change_event",
                poll + d.debounce + s(5),
                Some(poll + d.debounce + s(5)),
            ),
            ("deleted_event_after_delete", s(10), Some(poll + s(5))),
            (
                "deleted_event_after_disappearance",
                poll + s(5),
                Some(poll * 2 + s(5)),
            ),
            ("startup_republish", poll + s(30), Some(poll + s(30))),
            // Until a resync interval is declared (`declare_resync`), the
            // EVT-024 scenario does not bind and this row is unused.
            ("periodic_republish", poll + s(30), Some(poll + s(30))),
            ("redelivery_after_nats_recovery", s(60), Some(poll + s(60))),
            ("vm_running", s(300), Some(s(900))),
            ("cluster_active", s(1800), Some(d.cluster_create_timeout)),
            (
                "cluster_failed_after_timeout",
                d.cluster_create_timeout + poll + s(5),
                Some(d.cluster_create_timeout + poll + s(5)),
            ),
            ("delete_complete", s(60), Some(s(300))),
            ("orphan_reported", poll + s(5), Some(poll * 2 + s(5))),
            ("scenario_cleanup", s(300), Some(s(900))),
            ("poll_step", s(1), None),
        ];
        let entries = rows
            .into_iter()
            .map(|(k, def, max)| {
                (
                    k.to_owned(),
                    Entry {
                        effective: def,
                        default: def,
                        maximum: max,
                        overridden: false,
                    },
                )
            })
            .collect();
        Self {
            entries,
            consecutive_successes: 3,
        }
    }

    /// Sets `periodic_republish` (default and maximum) to the declared
    /// re-publication interval plus one poll and 5 s (EVT-024: the contract
    /// sets no bound, so the SP's own declared interval is the bound).
    pub fn declare_resync(&mut self, resync: Duration, poll: Duration) {
        let bound = resync + poll + Duration::from_secs(5);
        if let Some(e) = self.entries.get_mut("periodic_republish") {
            *e = Entry {
                effective: bound,
                default: bound,
                maximum: Some(bound),
                overridden: false,
            };
        }
    }

    /// Applies `key: duration` overrides (TMO-020).
    ///
    /// # Errors
    /// [`TimeoutError::UnknownKey`] or [`TimeoutError::BadValue`].
    pub fn apply<'a>(
        &mut self,
        overrides: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), TimeoutError> {
        for (key, value) in overrides {
            if key == "consecutive_successes" {
                self.consecutive_successes = value.parse().map_err(|_| TimeoutError::BadValue {
                    key: key.into(),
                    value: value.into(),
                })?;
                continue;
            }
            let entry = self
                .entries
                .get_mut(key)
                .ok_or_else(|| TimeoutError::UnknownKey(key.into()))?;
            entry.effective =
                humantime::parse_duration(value.trim()).map_err(|_| TimeoutError::BadValue {
                    key: key.into(),
                    value: value.into(),
                })?;
            entry.overridden = true;
        }
        Ok(())
    }

    /// Reads overrides from a YAML (or JSON) mapping file.
    ///
    /// # Errors
    /// See [`TimeoutError`].
    pub fn apply_file(&mut self, path: &Path) -> Result<(), TimeoutError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TimeoutError::Read {
            path: display.clone(),
            source,
        })?;
        let map: BTreeMap<String, serde_yaml_ng::Value> =
            serde_yaml_ng::from_str(&text).map_err(|e| TimeoutError::Format {
                path: display.clone(),
                reason: e.to_string(),
            })?;
        let pairs: Vec<(String, String)> = map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_yaml_ng::Value::String(s) => s,
                    serde_yaml_ng::Value::Number(n) => n.to_string(),
                    other => format!("{other:?}"),
                };
                (k, v)
            })
            .collect();
        self.apply(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The effective value of `key`.
    ///
    /// # Panics
    /// Panics on a key outside [`KEYS`]: that is a defect in a step definition.
    #[must_use]
    pub fn get(&self, key: &str) -> Duration {
        match self.entries.get(key) {
            Some(e) => e.effective,
            None => panic!("timeout key `{key}` is not in the table (TMO-020)"),
        }
    }

    /// How long the suite's client waits for one answer: `http_response`
    /// plus 5 s, so an answer that comes late is still seen (and judged
    /// late) rather than lost.
    #[must_use]
    pub fn answer_wait(&self) -> Duration {
        self.get("http_response") + Duration::from_secs(5)
    }

    /// Whether `key` exists.
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Every entry, for the report.
    #[must_use]
    pub fn entries(&self) -> &BTreeMap<String, Entry> {
        &self.entries
    }

    /// Entries overridden beyond their documented maximum (TMO-021).
    #[must_use]
    pub fn beyond_maximum(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, e)| e.overridden && e.maximum.is_some_and(|m| e.effective > m))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_declared_poll_interval() {
        let t = TimeoutTable::defaults(Declared::default());
        assert_eq!(t.get("first_status_event"), Duration::from_secs(35));
        assert_eq!(
            t.get("deleted_event_after_disappearance"),
            Duration::from_secs(35)
        );
        assert_eq!(t.get("status_change_event"), Duration::from_secs(40));
        assert_eq!(t.entries().len(), KEYS.len());
    }

    #[test]
    fn a_declared_resync_interval_bounds_the_periodic_republish_wait() {
        let mut t = TimeoutTable::defaults(Declared::default());
        t.declare_resync(Duration::from_secs(600), Duration::from_secs(30));
        assert_eq!(t.get("periodic_republish"), Duration::from_secs(635));
        assert!(t.beyond_maximum().is_empty());
    }

    #[test]
    fn override_beyond_maximum_is_flagged() {
        let mut t = TimeoutTable::defaults(Declared::default());
        t.apply([("http_response", "20s")]).expect("valid override");
        assert!(t.beyond_maximum().is_empty());
        t.apply([("http_response", "31s")]).expect("valid override");
        assert_eq!(t.beyond_maximum(), vec!["http_response".to_owned()]);
        assert!(matches!(
            t.apply([("nope", "1s")]),
            Err(TimeoutError::UnknownKey(_))
        ));
        assert!(matches!(
            t.apply([("poll_step", "soon")]),
            Err(TimeoutError::BadValue { .. })
        ));
    }
}
