//! Prometheus text-format metrics (HLT-013; names from contract Appendix A.1).
//!
//! A small registry: every series is a `(name, labels)` key holding an `f64`.
//! The metric table [`METRICS`] fixes name, type and help text; writing an
//! unknown name is a programming error caught by the unit test below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// `(name, type, help)` of every metric the provider exposes.
pub(crate) const METRICS: &[(&str, &str, &str)] = &[
    (
        "dcm_kcli_registration_status",
        "gauge",
        "1 when the provider's last registration succeeded",
    ),
    (
        "dcm_kcli_registration_attempts_total",
        "counter",
        "Registration attempts by result (success, retry, rejected)",
    ),
    (
        "dcm_kcli_kweb_requests_total",
        "counter",
        "kweb requests by operation and result",
    ),
    (
        "dcm_kcli_monitor_poll_duration_seconds",
        "summary",
        "Duration of one monitor poll cycle",
    ),
    (
        "dcm_kcli_monitor_last_poll_duration_seconds",
        "gauge",
        "Duration of the latest monitor poll cycle",
    ),
    (
        "dcm_kcli_monitor_status_changes_total",
        "counter",
        "Status changes observed by the monitor",
    ),
    (
        "dcm_kcli_nats_events_published_total",
        "counter",
        "CloudEvents confirmed by NATS, by event type",
    ),
    (
        "dcm_kcli_nats_publishing_enabled",
        "gauge",
        "0 when NATS_URL is empty and publishing is disabled (EVT-043)",
    ),
    (
        "dcm_kcli_resources_managed",
        "gauge",
        "Managed resources by type",
    ),
    (
        "dcm_kcli_orphans",
        "gauge",
        "Backend resources with the name prefix that the provider does not track",
    ),
    (
        "dcm_kcli_outbox_pending",
        "gauge",
        "Events waiting in the outbox",
    ),
    (
        "dcm_kcli_outbox_oldest_age_seconds",
        "gauge",
        "Age of the oldest outbox event",
    ),
];

type Key = (&'static str, String);

/// The registry; cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    series: Mutex<BTreeMap<Key, f64>>,
}

fn label_text(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl Metrics {
    /// Adds `value` to a counter (or summary part).
    pub(crate) fn add(&self, name: &'static str, labels: &[(&str, &str)], value: f64) {
        if let Ok(mut series) = self.series.lock() {
            *series.entry((name, label_text(labels))).or_insert(0.0) += value;
        }
    }

    /// Increments a counter by one.
    pub(crate) fn inc(&self, name: &'static str, labels: &[(&str, &str)]) {
        self.add(name, labels, 1.0);
    }

    /// Sets a gauge.
    pub(crate) fn set(&self, name: &'static str, labels: &[(&str, &str)], value: f64) {
        if let Ok(mut series) = self.series.lock() {
            series.insert((name, label_text(labels)), value);
        }
    }

    /// Records one observation of a summary (`_sum` and `_count`).
    pub(crate) fn observe(&self, name: &'static str, seconds: f64) {
        if let Ok(mut series) = self.series.lock() {
            *series.entry((name, "_sum".to_owned())).or_insert(0.0) += seconds;
            *series.entry((name, "_count".to_owned())).or_insert(0.0) += 1.0;
        }
    }

    /// Prometheus text exposition format 0.0.4.
    #[must_use]
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let Ok(series) = self.series.lock() else {
            return out;
        };
        for (name, kind, help) in METRICS {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for ((series_name, labels), value) in series.range((*name, String::new())..) {
                if series_name != name {
                    break;
                }
                // Summary parts are stored with `_sum` / `_count` as their label text.
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_labels_and_groups_by_name() {
        let metrics = Metrics::default();
        metrics.inc(
            "dcm_kcli_kweb_requests_total",
            &[("operation", "GET /vms"), ("result", "ok")],
        );
        metrics.inc(
            "dcm_kcli_kweb_requests_total",
            &[("operation", "GET /vms"), ("result", "ok")],
        );
        metrics.set("dcm_kcli_orphans", &[("type", "vm\"x")], 3.0);
        metrics.observe("dcm_kcli_monitor_poll_duration_seconds", 0.5);
        let text = metrics.render();
        assert!(
            text.contains("dcm_kcli_kweb_requests_total{operation=\"GET /vms\",result=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("dcm_kcli_orphans{type=\"vm\\\"x\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("dcm_kcli_monitor_poll_duration_seconds_sum 0.5\n"),
            "{text}"
        );
        assert!(
            text.contains("dcm_kcli_monitor_poll_duration_seconds_count 1\n"),
            "{text}"
        );
    }
}
