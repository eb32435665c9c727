//! What the SP said about each resource the suite created, over time: the
//! `status` of every resource body it answered (GET, POST, list pages) and
//! of every status event on NATS (EVT-001), for the report's per-resource
//! timelines.
//!
//! [`StatusLog`] is filled by the recording client ([`crate::sp::http::send`]
//! calls [`observe_exchange`]); [`timelines`] joins it with the fake DCM's
//! event log for the ledger's ids at the end of a run.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;

use crate::dcm_sim::consumer::ReceivedEvent;
use crate::wire::Exchange;

/// How a status was seen; in the YAML report a plain map
/// (`{kind: http, detail: GET 200}`), no YAML tags, so any YAML reader
/// loads the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum Via {
    /// In an HTTP answer: method and status code (`GET 200`).
    Http(String),
    /// In a status event on NATS (subject).
    Event(String),
}

/// One status seen at one moment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Observation {
    /// Seconds since the run's start.
    pub at_seconds: f64,
    /// The status value (`PENDING`, `RUNNING`, ...; `404` when a GET found nothing).
    pub status: String,
    /// Where it was seen.
    pub via: Via,
}

/// The observations of one resource, in time order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceTimeline {
    /// Service type (`vm`, `cluster`).
    pub service_type: String,
    /// Instance id (a ledger id, `cst-{run}-…`).
    pub id: String,
    /// Scenario that created it.
    pub scenario: String,
    /// Observations; consecutive equal answers from the same source are
    /// kept once (first sighting).
    pub observations: Vec<Observation>,
}

#[derive(Debug, Clone)]
struct Seen {
    id: String,
    at: Instant,
    status: String,
    via: Via,
}

/// Statuses seen in HTTP answers during a run.
#[derive(Debug, Default)]
pub struct StatusLog {
    seen: Mutex<Vec<Seen>>,
}

impl StatusLog {
    fn lock(&self) -> MutexGuard<'_, Vec<Seen>> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the statuses in `ex`'s answer at `at` (see [`statuses_in`]).
    pub fn record(&self, ex: &Exchange, at: Instant) {
        let found = statuses_in(ex);
        if found.is_empty() {
            return;
        }
        let via = Via::Http(format!(
            "{} {}",
            ex.request.method,
            ex.status()
                .map_or_else(|| "-".to_owned(), |s| s.to_string())
        ));
        let mut seen = self.lock();
        for (id, status) in found {
            seen.push(Seen {
                id,
                at,
                status,
                via: via.clone(),
            });
        }
    }
}

/// `(id, status)` pairs an answer states: a resource body, every item of a
/// list page, or `404` for a GET of one resource that found nothing.
#[must_use]
pub fn statuses_in(ex: &Exchange) -> Vec<(String, String)> {
    let Ok(body) = serde_json::from_slice::<Value>(ex.body()) else {
        if ex.request.method == "GET" && ex.status() == Some(404) {
            return id_from_url(&ex.request.url)
                .map(|id| vec![(id, "404".to_owned())])
                .unwrap_or_default();
        }
        return Vec::new();
    };
    let one = |v: &Value| -> Option<(String, String)> {
        Some((
            v.get("id")?.as_str()?.to_owned(),
            v.get("status")?.as_str()?.to_owned(),
        ))
    };
    if let Some(items) = body.get("results").and_then(Value::as_array) {
        return items.iter().filter_map(one).collect();
    }
    if let Some(pair) = one(&body) {
        return vec![pair];
    }
    if ex.request.method == "GET" && ex.status() == Some(404) {
        return id_from_url(&ex.request.url)
            .map(|id| vec![(id, "404".to_owned())])
            .unwrap_or_default();
    }
    Vec::new()
}

fn id_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty()).then(|| last.to_owned())
}

/// The timeline of each `(service type, id, scenario)` in `resources`, from
/// `log` and `events`, times relative to `start`.
#[must_use]
pub fn timelines(
    resources: &[(String, String, String)],
    log: &StatusLog,
    events: &[ReceivedEvent],
    start: Instant,
) -> Vec<ResourceTimeline> {
    let seen = log.lock().clone();
    let since = |at: Instant| at.saturating_duration_since(start).as_secs_f64();
    resources
        .iter()
        .map(|(service_type, id, scenario)| {
            let mut obs: Vec<Observation> = seen
                .iter()
                .filter(|s| &s.id == id)
                .map(|s| Observation {
                    at_seconds: since(s.at),
                    status: s.status.clone(),
                    via: s.via.clone(),
                })
                .collect();
            obs.extend(
                events
                    .iter()
                    .filter(|e| e.data_id().as_deref() == Some(id.as_str()))
                    .filter_map(|e| {
                        Some(Observation {
                            at_seconds: since(e.at),
                            status: e.status()?,
                            via: Via::Event(e.subject.clone()),
                        })
                    }),
            );
            obs.sort_by(|a, b| a.at_seconds.total_cmp(&b.at_seconds));
            ResourceTimeline {
                service_type: service_type.clone(),
                id: id.clone(),
                scenario: scenario.clone(),
                observations: dedup(obs),
            }
        })
        .collect()
}

/// Drops an observation equal (status and source kind) to the previous one
/// from the same kind of source: a poll that keeps answering `PENDING` is one
/// sighting. Events are all kept (each is a publication).
fn dedup(obs: Vec<Observation>) -> Vec<Observation> {
    let mut out: Vec<Observation> = Vec::with_capacity(obs.len());
    let mut last_http: Option<String> = None;
    for o in obs {
        match &o.via {
            Via::Http(_) => {
                if last_http.as_deref() == Some(o.status.as_str()) {
                    continue;
                }
                last_http = Some(o.status.clone());
            }
            Via::Event(_) => {}
        }
        out.push(o);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn observations_serialise_as_plain_yaml_maps() {
        let o = Observation {
            at_seconds: 1.5,
            status: "RUNNING".into(),
            via: Via::Http("GET 200".into()),
        };
        let yaml = serde_yaml_ng::to_string(&o).expect("yaml");
        assert!(!yaml.contains('!'), "a YAML tag in the report: {yaml}");
        let back: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).expect("parse");
        assert_eq!(back["via"]["kind"], "http", "{yaml}");
        assert_eq!(back["via"]["detail"], "GET 200", "{yaml}");
    }

    fn ex(method: &str, url: &str, status: u16, body: &str) -> Exchange {
        Exchange {
            request: crate::wire::Request::new(method, url),
            response: Some(crate::wire::Response {
                status_line: format!("HTTP/1.1 {status}"),
                status,
                headers: Vec::new(),
                body: body.as_bytes().to_vec(),
            }),
            error: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn statuses_come_from_bodies_pages_and_404s() {
        let table = [
            (
                ex(
                    "GET",
                    "http://x/vms/a",
                    200,
                    r#"{"id":"a","status":"RUNNING"}"#,
                ),
                vec![("a", "RUNNING")],
            ),
            (
                ex(
                    "GET",
                    "http://x/vms?max_page_size=2",
                    200,
                    r#"{"results":[{"id":"a","status":"PENDING"},{"id":"b","status":"FAILED"}]}"#,
                ),
                vec![("a", "PENDING"), ("b", "FAILED")],
            ),
            (
                ex(
                    "GET",
                    "http://x/vms/a",
                    404,
                    r#"{"type":"about:blank","status":404}"#,
                ),
                vec![("a", "404")],
            ),
            (ex("GET", "http://x/vms/a?x=1", 404, ""), vec![("a", "404")]),
            (ex("DELETE", "http://x/vms/a", 404, ""), vec![]),
            (ex("POST", "http://x/vms", 400, r#"{"status":400}"#), vec![]),
        ];
        for (exchange, want) in table {
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect();
            assert_eq!(
                statuses_in(&exchange),
                want,
                "{} {}",
                exchange.request.method,
                exchange.request.url
            );
        }
    }

    #[test]
    fn a_timeline_merges_answers_and_events_in_time_order() {
        let start = Instant::now();
        let log = StatusLog::default();
        let body = |s: &str| format!(r#"{{"id":"a","status":"{s}"}}"#);
        log.record(
            &ex("POST", "http://x/vms", 201, &body("PENDING")),
            start + Duration::from_secs(1),
        );
        log.record(
            &ex("GET", "http://x/vms/a", 200, &body("PENDING")),
            start + Duration::from_secs(2),
        );
        log.record(
            &ex("GET", "http://x/vms/a", 200, &body("RUNNING")),
            start + Duration::from_secs(4),
        );
        log.record(
            &ex(
                "GET",
                "http://x/vms/b",
                200,
                r#"{"id":"b","status":"RUNNING"}"#,
            ),
            start,
        );
        let events = vec![ReceivedEvent {
            at: start + Duration::from_secs(3),
            subject: "dcm.vm".into(),
            payload: r#"{"data":{"id":"a","status":"RUNNING"}}"#.into(),
        }];
        let t = timelines(
            &[("vm".into(), "a".into(), "s".into())],
            &log,
            &events,
            start,
        );
        let got: Vec<(f64, &str, bool)> = t[0]
            .observations
            .iter()
            .map(|o| {
                (
                    o.at_seconds,
                    o.status.as_str(),
                    matches!(o.via, Via::Event(_)),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1.0, "PENDING", false),
                (3.0, "RUNNING", true),
                (4.0, "RUNNING", false)
            ]
        );
    }
}
