//! The kweb suite's machine-readable report (`dcm-conformance kweb --report
//! FILE`): the exact kcli build judged, the counts and every failure with its
//! message (expected vs observed, as the failed check printed it).
//! `scripts/kweb-compat` reads these reports to build its matrix.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::kweb::error::KwebError;

/// One failed scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `feature file: scenario name` (outline rows expanded).
    pub scenario: String,
    /// The failed check's message: what was expected and what was observed.
    pub message: String,
}

/// The report of one `dcm-conformance kweb` run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteReport {
    /// Always `kweb`.
    pub suite: String,
    /// The kcli build judged (`99.0.YYYYMMDDhhmm`).
    pub kcli_release: String,
    /// How the build is known: `declared`, `assumed-pin` or `emulated`.
    pub kcli_release_source: String,
    /// The read-write kweb's base URL, or `in-process kweb-sim`.
    pub target: String,
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed (and parse or hook errors).
    pub failed: usize,
    /// Scenarios skipped: not applicable to the target or not for this release.
    pub skipped: usize,
    /// Every failed scenario.
    pub failures: Vec<Failure>,
    /// Scenarios left out because their `@kcli-since-`/`@kcli-before-` tags
    /// exclude this release.
    pub not_for_release: Vec<String>,
}

impl SuiteReport {
    /// Writes the report as YAML.
    ///
    /// # Errors
    /// [`KwebError::Io`] when the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), KwebError> {
        let text =
            serde_yaml_ng::to_string(self).map_err(|e| KwebError::Io(format!("report: {e}")))?;
        std::fs::write(path, text).map_err(|e| KwebError::Io(format!("{}: {e}", path.display())))
    }

    /// Reads a report written by [`SuiteReport::write`].
    ///
    /// # Errors
    /// [`KwebError::Io`] or [`KwebError::Parse`].
    pub fn read(path: &Path) -> Result<Self, KwebError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KwebError::Io(format!("{}: {e}", path.display())))?;
        serde_yaml_ng::from_str(&text)
            .map_err(|e| KwebError::Parse(format!("{}: {e}", path.display())))
    }
}

/// The message of a failed step: the panic payload up to the exchange dump
/// (the request and response follow in the console output).
#[must_use]
pub fn failure_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    let text = text.split("--- exchange ---").next().unwrap_or(text);
    text.strip_prefix("Step panicked. Captured output: ")
        .unwrap_or(text)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stop_at_the_exchange_dump() {
        let payload: Box<dyn std::any::Any + Send> =
            Box::new("expected keys [a], got [a, b]\n--- exchange ---\nrequest: GET /x".to_owned());
        assert_eq!(failure_message(&*payload), "expected keys [a], got [a, b]");
        let payload: Box<dyn std::any::Any + Send> = Box::new("status 500, want 200");
        assert_eq!(failure_message(&*payload), "status 500, want 200");
        let payload: Box<dyn std::any::Any + Send> = Box::new(7_u8);
        assert_eq!(failure_message(&*payload), "(no message)");
    }

    #[test]
    fn reports_round_trip_through_yaml() {
        let report = SuiteReport {
            suite: "kweb".into(),
            kcli_release: "99.0.202604230911".into(),
            kcli_release_source: "declared".into(),
            target: "http://127.0.0.1:18200".into(),
            passed: 1,
            failed: 1,
            skipped: 0,
            failures: vec![Failure {
                scenario: "profiles.feature: x".into(),
                message: "got 6 keys".into(),
            }],
            not_for_release: vec!["profiles.feature: y".into()],
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.yaml");
        report.write(&path).expect("write");
        assert_eq!(SuiteReport::read(&path).expect("read"), report);
    }
}
