//! The proxy's judgement: pure functions over one observed exchange or
//! event and the per-resource history built from earlier ones. Times are
//! offsets from the start of observation, so tests drive them directly.
//!
//! Judged on live traffic (contract rows in [`Rule::requirements`]):
//! problem documents on every 4xx/5xx, status codes per route, resource,
//! list, health and event shapes (the suite's own schemas), vocabularies, the
//! spec echoed on every read, an event after every status a read showed, and
//! `DELETED` after a completed delete.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::sp::checks;
use crate::sp::profile::Profile;
use crate::sp::schemas::{Shape, validate};
use crate::wire::Exchange;

/// A rule the proxy judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Every 4xx/5xx is an RFC 9457 problem with a matching `status`.
    Problem,
    /// The status code is one the contract allows on this route.
    StatusCode,
    /// Create and GET answers are valid resources of the route's type.
    Resource,
    /// The spec comes back JSON-equal to the one accepted at create.
    SpecEcho,
    /// List answers are valid pages of valid items.
    List,
    /// Health answers 200 with a valid body.
    Health,
    /// A completed delete answers 204 with an empty body.
    DeleteAnswer,
    /// Every event is a valid CloudEvent with a vocabulary status.
    Event,
    /// Nothing is published for an id after its `DELETED`.
    NothingAfterDeleted,
    /// A status a read showed is published within the bound.
    EventAfterStatus,
    /// `DELETED` is published within the bound after a 204 delete.
    DeletedAfterDelete,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 11] = [
        Rule::Problem,
        Rule::StatusCode,
        Rule::Resource,
        Rule::SpecEcho,
        Rule::List,
        Rule::Health,
        Rule::DeleteAnswer,
        Rule::Event,
        Rule::NothingAfterDeleted,
        Rule::EventAfterStatus,
        Rule::DeletedAfterDelete,
    ];

    /// A title for reports.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Rule::Problem => "Every 4xx and 5xx answer is a problem document",
            Rule::StatusCode => "Every answer uses a status code the contract allows on its route",
            Rule::Resource => "Create and get answers are valid resources",
            Rule::SpecEcho => "The spec comes back exactly as accepted",
            Rule::List => "List answers are valid pages",
            Rule::Health => "Health answers 200 with a valid body",
            Rule::DeleteAnswer => "A completed delete answers 204 with an empty body",
            Rule::Event => "Every status event is a valid CloudEvent from the vocabulary",
            Rule::NothingAfterDeleted => "Nothing is published for a resource after DELETED",
            Rule::EventAfterStatus => "A status shown by a read is published in time",
            Rule::DeletedAfterDelete => "DELETED is published in time after a delete",
        }
    }

    /// The contract rows the rule checks.
    #[must_use]
    pub fn requirements(self) -> &'static [&'static str] {
        match self {
            Rule::Problem => &["ERR-001", "ERR-002", "ERR-003"],
            Rule::StatusCode => &["API-011", "API-040", "API-050", "API-060", "ERR-011"],
            Rule::Resource => &["API-002", "API-003", "API-005", "VOC-001"],
            Rule::SpecEcho => &["API-004"],
            Rule::List => &["API-050", "API-051"],
            Rule::Health => &["HLT-002", "HLT-003", "HLT-004"],
            Rule::DeleteAnswer => &["API-060"],
            Rule::Event => &[
                "EVT-001", "EVT-002", "EVT-003", "EVT-005", "EVT-006", "VOC-001",
            ],
            Rule::NothingAfterDeleted => &["EVT-027"],
            Rule::EventAfterStatus => &["EVT-020", "EVT-021"],
            Rule::DeletedAfterDelete => &["EVT-022"],
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What happened, starting with the requirement ID.
    pub message: String,
    /// A curl line reproducing the exchange, when an exchange showed it.
    pub reproduce: Option<String>,
}

/// What a request was, from its method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST {endpoint}` (optional `?id=`).
    Create {
        /// Service type (`vms` → `vm`).
        service_type: String,
        /// `?id=`, when sent.
        id: Option<String>,
    },
    /// `GET {endpoint}`.
    List {
        /// Service type.
        service_type: String,
    },
    /// `GET {endpoint}/{id}`.
    Get {
        /// Service type.
        service_type: String,
        /// Instance id.
        id: String,
    },
    /// `DELETE {endpoint}/{id}`.
    Delete {
        /// Service type.
        service_type: String,
        /// Instance id.
        id: String,
    },
    /// `GET {endpoint}/health` (or a root health route).
    Health,
    /// Anything else (judged for problem documents only).
    Other,
}

fn singular(plural: &str) -> String {
    match plural {
        "storage" => "storage".into(),
        p => p.strip_suffix('s').unwrap_or(p).to_owned(),
    }
}

fn query_id(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "id" && !v.is_empty()).then(|| v.to_owned())
    })
}

/// Classifies a request. The collection is the segment after the last
/// `v1alpha1` (or the last one or two segments when there is none).
#[must_use]
pub fn classify(method: &str, path: &str, query: Option<&str>) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest: &[&str] = match segs.iter().rposition(|s| *s == "v1alpha1") {
        Some(i) => &segs[i + 1..],
        None if segs.len() >= 2 => &segs[segs.len() - 2..],
        None => &segs[..],
    };
    match (method, rest) {
        ("GET", [.., "health"]) | ("GET", []) if path.ends_with("health") => Route::Health,
        ("POST", [plural]) => Route::Create {
            service_type: singular(plural),
            id: query_id(query),
        },
        ("GET", [plural]) => Route::List {
            service_type: singular(plural),
        },
        ("GET", [plural, id]) => Route::Get {
            service_type: singular(plural),
            id: (*id).to_owned(),
        },
        ("DELETE", [plural, id]) => Route::Delete {
            service_type: singular(plural),
            id: (*id).to_owned(),
        },
        _ => Route::Other,
    }
}

/// Status codes the contract allows per route (§6 to §8).
fn allowed(route: &Route) -> &'static [u16] {
    match route {
        Route::Create { .. } => &[
            200, 201, 400, 401, 404, 409, 413, 415, 422, 500, 502, 503, 504,
        ],
        Route::List { .. } => &[200, 400, 401, 500, 502, 503, 504],
        Route::Get { .. } => &[200, 401, 404, 500, 502, 503, 504],
        Route::Delete { .. } => &[204, 401, 404, 500, 502, 503, 504],
        Route::Health => &[200],
        Route::Other => &[],
    }
}

/// An event the proxy waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expectation {
    rule: Rule,
    /// `DELETED`, or the status a read showed.
    status: String,
    /// Observed at (offset).
    since: Duration,
    /// Overdue after (offset).
    due: Duration,
    reproduce: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct ResourceHistory {
    spec: Option<Value>,
    last_event: Option<String>,
    last_event_at: Option<Duration>,
    deleted_published: bool,
    waiting: Vec<Expectation>,
}

/// Where a representation came from.
#[derive(Debug, Clone)]
enum Origin {
    /// A create answer, with the spec the request sent.
    Create(Option<Value>),
    /// A GET or list answer.
    Read,
}

/// How long a conformant SP may take to publish (the documented maxima of
/// the timeout table, §12.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// A status a read showed (`status_change_event`: poll + debounce + 5 s).
    pub status_event: Duration,
    /// `DELETED` after a 204 delete (`deleted_event_after_delete`: poll + 5 s).
    pub deleted_event: Duration,
}

impl Bounds {
    /// The bounds for an SP with this poll interval and debounce window.
    #[must_use]
    pub fn for_sp(poll: Duration, debounce: Duration) -> Self {
        Self {
            status_event: poll + debounce + Duration::from_secs(5),
            deleted_event: poll + Duration::from_secs(5),
        }
    }
}

/// The judge: history per resource, counts of exercised rules, violations.
#[derive(Debug, Clone)]
pub struct Judge {
    profile: Profile,
    bounds: Bounds,
    history: BTreeMap<(String, String), ResourceHistory>,
    exercised: BTreeMap<Rule, usize>,
    violations: Vec<Violation>,
}

fn path_and_query(url: &str) -> (String, Option<String>) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let pq = &url[path_start..];
    match pq.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (pq.to_owned(), None),
    }
}

impl Judge {
    /// A judge for `profile` with publication `bounds`.
    #[must_use]
    pub fn new(profile: Profile, bounds: Bounds) -> Self {
        Self {
            profile,
            bounds,
            history: BTreeMap::new(),
            exercised: BTreeMap::new(),
            violations: Vec::new(),
        }
    }

    /// How often each rule was exercised.
    #[must_use]
    pub fn exercised(&self) -> &BTreeMap<Rule, usize> {
        &self.exercised
    }

    /// Every violation so far.
    #[must_use]
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Expectations not yet met nor overdue (reported as unresolved at exit).
    #[must_use]
    pub fn pending(&self) -> Vec<String> {
        self.history
            .iter()
            .flat_map(|((st, id), h)| {
                h.waiting
                    .iter()
                    .map(move |e| format!("{st} {id}: waiting for {}", e.status))
            })
            .collect()
    }

    fn hit(&mut self, rule: Rule) {
        *self.exercised.entry(rule).or_default() += 1;
    }

    fn record(&mut self, out: &mut Vec<Violation>, v: Violation) {
        self.violations.push(v.clone());
        out.push(v);
    }

    /// Judges one forwarded exchange observed at `now`; returns the new violations.
    pub fn exchange(&mut self, ex: &Exchange, now: Duration) -> Vec<Violation> {
        let mut out = Vec::new();
        let (path, query) = path_and_query(&ex.request.url);
        let route = classify(&ex.request.method, &path, query.as_deref());
        let curl = Some(ex.curl());
        let fail = |rule: Rule, message: String| Violation {
            rule,
            message,
            reproduce: curl.clone(),
        };
        let Some(status) = ex.status() else {
            let v = fail(
                Rule::StatusCode,
                format!(
                    "TMO-001: the SP did not answer {} {path}: {}",
                    ex.request.method,
                    ex.error.clone().unwrap_or_default()
                ),
            );
            self.record(&mut out, v);
            return out;
        };
        if route != Route::Other {
            self.hit(Rule::StatusCode);
            if !allowed(&route).contains(&status) {
                let v = fail(
                    Rule::StatusCode,
                    format!(
                        "{}: {} {path} answered {status}, which the contract does not allow there \
                         (allowed: {:?})",
                        if route == Route::Health {
                            "HLT-003"
                        } else {
                            "API-001"
                        },
                        ex.request.method,
                        allowed(&route)
                    ),
                );
                self.record(&mut out, v);
            }
        }
        if status >= 400 {
            self.hit(Rule::Problem);
            if let Err(e) = checks::problem(ex, &[status], None, false) {
                let v = fail(Rule::Problem, e);
                self.record(&mut out, v);
            }
            return out;
        }
        match route {
            Route::Create { service_type, id } if matches!(status, 200 | 201) => {
                let sent = serde_json::from_slice::<Value>(&ex.request.body)
                    .ok()
                    .map(|b| {
                        if self.profile == Profile::Agent {
                            b
                        } else {
                            b["spec"].clone()
                        }
                    });
                let origin = Origin::Create(sent);
                self.resource(ex, &service_type, id.as_deref(), origin, now, &mut out);
            }
            Route::Get { service_type, id } if status == 200 => {
                self.resource(ex, &service_type, Some(&id), Origin::Read, now, &mut out);
            }
            Route::List { service_type } if status == 200 => {
                self.list(ex, &service_type, now, &mut out);
            }
            Route::Delete { service_type, id } if status == 204 => {
                self.hit(Rule::DeleteAnswer);
                if !ex.body().is_empty() {
                    let v = fail(
                        Rule::DeleteAnswer,
                        format!("API-060: the 204 to DELETE {path} has a body"),
                    );
                    self.record(&mut out, v);
                }
                let h = self.history.entry((service_type, id)).or_default();
                if !h.deleted_published {
                    h.waiting.push(Expectation {
                        rule: Rule::DeletedAfterDelete,
                        status: "DELETED".into(),
                        since: now,
                        due: now + self.bounds.deleted_event,
                        reproduce: curl.clone(),
                    });
                }
            }
            Route::Health => {
                self.hit(Rule::Health);
                let verdict = checks::json_body(ex).and_then(|b| {
                    validate(Shape::Health, &b).map_err(|e| {
                        format!("HLT-002: health breaks the schema: {}", e.join("; "))
                    })?;
                    let s = b["status"].as_str().unwrap_or_default();
                    let ok = matches!(s, "healthy" | "unhealthy")
                        || (self.profile == Profile::Legacy && matches!(s, "pass" | "fail"));
                    if ok {
                        Ok(())
                    } else {
                        Err(format!(
                            "HLT-002: health status `{s}` is not healthy/unhealthy"
                        ))
                    }
                });
                if let Err(e) = verdict {
                    let v = fail(Rule::Health, e);
                    self.record(&mut out, v);
                }
            }
            _ => {}
        }
        if (200..300).contains(&status) && ex.json().is_ok_and(|b| b["result"] == "failure") {
            let v = fail(
                Rule::StatusCode,
                "ERR-011: a 2xx answer carries a failure body".into(),
            );
            self.record(&mut out, v);
        }
        out
    }

    fn resource(
        &mut self,
        ex: &Exchange,
        service_type: &str,
        id: Option<&str>,
        origin: Origin,
        now: Duration,
        out: &mut Vec<Violation>,
    ) {
        self.hit(Rule::Resource);
        let curl = Some(ex.curl());
        let body = match checks::json_body(ex) {
            Ok(b) => b,
            Err(e) => {
                let v = Violation {
                    rule: Rule::Resource,
                    message: e,
                    reproduce: curl,
                };
                self.record(out, v);
                return;
            }
        };
        if let Err(e) = checks::resource(&body, service_type, id, None, self.profile) {
            let v = Violation {
                rule: Rule::Resource,
                message: e,
                reproduce: curl.clone(),
            };
            self.record(out, v);
        }
        self.observe(service_type, &body, origin, now, curl, out);
    }

    /// Records what a representation shows: the spec to compare later reads
    /// with, and the status that must be (or have been) published.
    fn observe(
        &mut self,
        service_type: &str,
        body: &Value,
        origin: Origin,
        now: Duration,
        curl: Option<String>,
        out: &mut Vec<Violation>,
    ) {
        let Some(id) = body["id"].as_str().map(str::to_owned) else {
            return;
        };
        let bound = self.bounds.status_event;
        let key = (service_type.to_owned(), id.clone());
        let h = self.history.entry(key).or_default();
        let (create, sent) = match origin {
            Origin::Create(sent) => (true, sent),
            Origin::Read => (false, None),
        };
        if create && body["status"].is_string() && h.deleted_published {
            // The id was created again after its DELETED (EVT-027).
            *h = ResourceHistory::default();
        }
        let echo = match (&sent, &h.spec) {
            (Some(s), _) if create => {
                h.spec = Some(s.clone());
                Some(s.clone())
            }
            (_, Some(stored)) => Some(stored.clone()),
            _ => None,
        };
        let status = body["status"].as_str().unwrap_or_default().to_owned();
        if !status.is_empty()
            && h.last_event.as_deref() != Some(status.as_str())
            && !h.waiting.iter().any(|e| e.rule == Rule::EventAfterStatus)
        {
            h.waiting.push(Expectation {
                rule: Rule::EventAfterStatus,
                status: status.clone(),
                since: now,
                due: now + bound,
                reproduce: curl.clone(),
            });
        }
        if let Some(spec) = echo {
            self.hit(Rule::SpecEcho);
            if body["spec"] != spec {
                let v = Violation {
                    rule: Rule::SpecEcho,
                    message: format!(
                        "API-004: {service_type} {id} answered spec {}, but {} was accepted at create",
                        body["spec"], spec
                    ),
                    reproduce: curl,
                };
                self.record(out, v);
            }
        }
    }

    fn list(&mut self, ex: &Exchange, service_type: &str, now: Duration, out: &mut Vec<Violation>) {
        self.hit(Rule::List);
        let curl = Some(ex.curl());
        let page = match checks::json_body(ex).and_then(|p| {
            validate(Shape::ResourceList, &p)
                .map(|()| p)
                .map_err(|e| format!("API-050: the list page breaks the schema: {}", e.join("; ")))
        }) {
            Ok(p) => p,
            Err(e) => {
                let v = Violation {
                    rule: Rule::List,
                    message: e,
                    reproduce: curl,
                };
                self.record(out, v);
                return;
            }
        };
        for item in page["results"].as_array().cloned().unwrap_or_default() {
            if let Err(e) = checks::resource(&item, service_type, None, None, self.profile) {
                let v = Violation {
                    rule: Rule::List,
                    message: format!("API-050: a list item: {e}"),
                    reproduce: curl.clone(),
                };
                self.record(out, v);
            }
            self.observe(service_type, &item, Origin::Read, now, curl.clone(), out);
        }
    }

    /// Judges one event received on `subject` at `now`.
    pub fn event(&mut self, subject: &str, payload: &str, now: Duration) -> Vec<Violation> {
        let mut out = Vec::new();
        self.hit(Rule::Event);
        let service_type = subject.strip_prefix("dcm.").unwrap_or(subject).to_owned();
        let parsed: Option<Value> = serde_json::from_str(payload).ok();
        let id = parsed
            .as_ref()
            .and_then(|v| v["data"]["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if let Err(e) = checks::event(subject, payload, &service_type, None, &id, self.profile) {
            let v = Violation {
                rule: Rule::Event,
                message: format!("{e} (event on {subject})"),
                reproduce: None,
            };
            self.record(&mut out, v);
        }
        let Some(status) = parsed
            .as_ref()
            .and_then(|v| v["data"]["status"].as_str().map(str::to_owned))
        else {
            return out;
        };
        let h = self
            .history
            .entry((service_type.clone(), id.clone()))
            .or_default();
        let after_deleted = h.deleted_published;
        h.last_event = Some(status.clone());
        h.last_event_at = Some(now);
        h.waiting.retain(|e| match e.rule {
            Rule::DeletedAfterDelete => status != "DELETED",
            _ => false,
        });
        if status == "DELETED" {
            h.deleted_published = true;
        }
        self.hit(Rule::NothingAfterDeleted);
        if after_deleted {
            let v = Violation {
                rule: Rule::NothingAfterDeleted,
                message: format!(
                    "EVT-027: {status} was published for {service_type} {id} after its DELETED"
                ),
                reproduce: None,
            };
            self.record(&mut out, v);
        }
        out
    }

    /// Reports expectations overdue at `now`.
    pub fn tick(&mut self, now: Duration) -> Vec<Violation> {
        let mut overdue = Vec::new();
        for ((st, id), h) in &mut self.history {
            let (late, keep): (Vec<Expectation>, Vec<Expectation>) =
                h.waiting.drain(..).partition(|e| e.due <= now);
            h.waiting = keep;
            for e in late {
                let message = match e.rule {
                    Rule::DeletedAfterDelete => format!(
                        "EVT-022: {st} {id} was deleted (204) but no DELETED event arrived within {}",
                        humantime::format_duration(e.due - e.since)
                    ),
                    _ => format!(
                        "EVT-020/EVT-021: a read showed {st} {id} as {}, but no event for it \
                         arrived within {} (last event: {})",
                        e.status,
                        humantime::format_duration(e.due - e.since),
                        h.last_event.as_deref().unwrap_or("none")
                    ),
                };
                overdue.push(Violation {
                    rule: e.rule,
                    message,
                    reproduce: e.reproduce,
                });
            }
        }
        for v in &overdue {
            self.hit(v.rule);
            self.violations.push(v.clone());
        }
        overdue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ex(method: &str, url: &str, req: Value, status: u16, ct: &str, body: &str) -> Exchange {
        let mut request = crate::wire::Request::new(method, url);
        if !req.is_null() {
            request.body = req.to_string().into_bytes();
        }
        Exchange {
            request,
            response: Some(crate::wire::Response {
                status_line: format!("HTTP/1.1 {status}"),
                status,
                headers: vec![("content-type".into(), ct.into())],
                body: body.as_bytes().to_vec(),
            }),
            error: None,
            elapsed: Duration::ZERO,
        }
    }

    const EP: &str = "http://sp/api/v1alpha1/vms";

    fn vm(id: &str, status: &str, spec: &Value) -> String {
        json!({"id": id, "path": format!("vms/{id}"), "status": status, "status_message": "",
               "spec": spec, "create_time": "2026-01-01T00:00:00Z", "update_time": "2026-01-01T00:00:00Z"})
        .to_string()
    }

    fn event(id: &str, status: &str) -> String {
        json!({"specversion": "1.0", "id": uuid::Uuid::new_v4().to_string(), "source": "dcm/providers/x",
               "type": "dcm.status.vm", "subject": "dcm.vm", "time": "2026-01-01T00:00:00Z",
               "datacontenttype": "application/json",
               "data": {"id": id, "status": status, "message": "m"}})
        .to_string()
    }

    #[test]
    fn routes_are_classified() {
        let cases = [
            (
                "POST",
                "/api/v1alpha1/vms",
                Some("id=a"),
                Route::Create {
                    service_type: "vm".into(),
                    id: Some("a".into()),
                },
            ),
            (
                "GET",
                "/api/v1alpha1/vms",
                None,
                Route::List {
                    service_type: "vm".into(),
                },
            ),
            (
                "GET",
                "/api/v1alpha1/clusters/c1",
                None,
                Route::Get {
                    service_type: "cluster".into(),
                    id: "c1".into(),
                },
            ),
            (
                "DELETE",
                "/api/v1alpha1/vms/a",
                None,
                Route::Delete {
                    service_type: "vm".into(),
                    id: "a".into(),
                },
            ),
            ("GET", "/api/v1alpha1/vms/health", None, Route::Health),
            ("GET", "/health", None, Route::Health),
            ("PUT", "/api/v1alpha1/vms/a", None, Route::Other),
        ];
        for (m, p, q, want) in cases {
            assert_eq!(classify(m, p, q), want, "{m} {p}");
        }
    }

    /// (exchange, rules that must be violated)
    #[test]
    fn exchanges_are_judged() {
        let spec = json!({"service_type": "vm"});
        let good = vm("a", "PROVISIONING", &spec);
        let cases: Vec<(Exchange, Vec<Rule>)> = vec![
            (
                ex(
                    "POST",
                    &format!("{EP}?id=a"),
                    json!({"spec": spec}),
                    201,
                    "application/json",
                    &good,
                ),
                vec![],
            ),
            (
                ex("POST", EP, json!({}), 400, "text/plain", "bad"),
                vec![Rule::Problem],
            ),
            (
                ex(
                    "POST",
                    EP,
                    json!({}),
                    400,
                    "application/problem+json",
                    r#"{"type":"about:blank","title":"Bad","status":422}"#,
                ),
                vec![Rule::Problem],
            ),
            (
                ex(
                    "GET",
                    &format!("{EP}/health"),
                    Value::Null,
                    503,
                    "application/problem+json",
                    r#"{"type":"about:blank","title":"Down","status":503}"#,
                ),
                vec![Rule::StatusCode],
            ),
            (
                ex(
                    "GET",
                    &format!("{EP}/health"),
                    Value::Null,
                    200,
                    "application/json",
                    r#"{"status":"ok","version":"1","uptime":1}"#,
                ),
                vec![Rule::Health],
            ),
            (
                ex(
                    "DELETE",
                    &format!("{EP}/a"),
                    Value::Null,
                    200,
                    "application/json",
                    "{}",
                ),
                vec![Rule::StatusCode],
            ),
            (
                ex(
                    "GET",
                    &format!("{EP}/a"),
                    Value::Null,
                    200,
                    "application/json",
                    &vm("a", "EXPLODED", &spec),
                ),
                vec![Rule::Resource],
            ),
            (
                ex(
                    "GET",
                    EP,
                    Value::Null,
                    200,
                    "application/json",
                    r#"{"results":null}"#,
                ),
                vec![Rule::List],
            ),
        ];
        for (i, (e, want)) in cases.into_iter().enumerate() {
            let mut j = Judge::new(
                Profile::V1alpha1,
                Bounds::for_sp(Duration::from_secs(1), Duration::ZERO),
            );
            let got: Vec<Rule> = j
                .exchange(&e, Duration::ZERO)
                .iter()
                .map(|v| v.rule)
                .collect();
            assert_eq!(got, want, "case {i}: {:?}", j.violations());
        }
    }

    #[test]
    fn a_changed_spec_on_read_breaks_api_004() {
        let mut j = Judge::new(
            Profile::V1alpha1,
            Bounds::for_sp(Duration::from_secs(1), Duration::ZERO),
        );
        let spec = json!({"service_type": "vm", "x": 1});
        j.exchange(
            &ex(
                "POST",
                &format!("{EP}?id=a"),
                json!({"spec": spec}),
                201,
                "application/json",
                &vm("a", "PROVISIONING", &spec),
            ),
            Duration::ZERO,
        );
        let got = j.exchange(
            &ex(
                "GET",
                &format!("{EP}/a"),
                Value::Null,
                200,
                "application/json",
                &vm("a", "PROVISIONING", &json!({"service_type": "vm"})),
            ),
            Duration::from_millis(10),
        );
        assert_eq!(
            got.iter().map(|v| v.rule).collect::<Vec<_>>(),
            vec![Rule::SpecEcho]
        );
    }

    /// (events after the create and the delete, tick time, overdue rules)
    #[test]
    fn events_are_expected_after_reads_and_deletes() {
        let s = Duration::from_secs;
        type Case = (Vec<(&'static str, Duration)>, Duration, Vec<Rule>);
        let cases: Vec<Case> = vec![
            (
                vec![("PROVISIONING", s(1)), ("DELETED", s(3))],
                s(100),
                vec![],
            ),
            (
                vec![("PROVISIONING", s(1))],
                s(100),
                vec![Rule::DeletedAfterDelete],
            ),
            (
                vec![],
                s(100),
                vec![Rule::EventAfterStatus, Rule::DeletedAfterDelete],
            ),
            (vec![], s(1), vec![]),
        ];
        for (i, (events, at, want)) in cases.into_iter().enumerate() {
            let mut j = Judge::new(Profile::V1alpha1, Bounds::for_sp(s(5), Duration::ZERO));
            let spec = json!({"service_type": "vm"});
            j.exchange(
                &ex(
                    "POST",
                    &format!("{EP}?id=a"),
                    json!({"spec": spec}),
                    201,
                    "application/json",
                    &vm("a", "PROVISIONING", &spec),
                ),
                Duration::ZERO,
            );
            j.exchange(
                &ex(
                    "DELETE",
                    &format!("{EP}/a"),
                    Value::Null,
                    204,
                    "application/json",
                    "",
                ),
                s(2),
            );
            for (status, t) in events {
                assert!(
                    j.event("dcm.vm", &event("a", status), t).is_empty(),
                    "case {i}"
                );
            }
            let mut got: Vec<Rule> = j.tick(at).iter().map(|v| v.rule).collect();
            got.sort();
            assert_eq!(got, want, "case {i}: {:?}", j.violations());
        }
    }

    #[test]
    fn an_event_after_deleted_breaks_evt_027() {
        let mut j = Judge::new(
            Profile::V1alpha1,
            Bounds::for_sp(Duration::from_secs(5), Duration::ZERO),
        );
        assert!(
            j.event("dcm.vm", &event("a", "DELETED"), Duration::ZERO)
                .is_empty()
        );
        let got = j.event("dcm.vm", &event("a", "RUNNING"), Duration::from_secs(1));
        assert_eq!(
            got.iter().map(|v| v.rule).collect::<Vec<_>>(),
            vec![Rule::NothingAfterDeleted]
        );
        let bad = j.event("dcm.vm", r#"{"specversion":"0.3"}"#, Duration::from_secs(2));
        assert_eq!(
            bad.iter().map(|v| v.rule).collect::<Vec<_>>(),
            vec![Rule::Event]
        );
    }
}
