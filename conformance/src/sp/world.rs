//! The cucumber `World` of the SP suite: one per scenario. It holds the
//! scenario's exchanges, the resources it created (mirrored in the run
//! ledger) and a few remembered values; everything shared lives in
//! [`RunContext`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::sp::context::{EntryState, RunContext};
use crate::sp::http;
use crate::wire::{Exchange, Request, truncate};

/// A resource the scenario created or tried to create.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// Instance id.
    pub id: String,
    /// Service type.
    pub service_type: String,
    /// Spec as sent (what API-004 compares against).
    pub spec: Value,
}

/// Per-scenario state.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct SpWorld {
    /// The run's shared context.
    pub ctx: Arc<RunContext>,
    /// Scenario name (set by the before hook).
    pub scenario: String,
    /// Current service type (`Given the service type "vm"`).
    pub service: String,
    /// Every exchange of this scenario, in order.
    pub exchanges: Vec<Exchange>,
    /// Tracked resources in creation order; the last is "the resource".
    pub resources: Vec<Tracked>,
    /// Values remembered by steps (health bodies, titles, marks).
    pub memory: BTreeMap<String, Value>,
    /// Several answers at once (concurrent creates, health of every type).
    pub batch: Vec<Exchange>,
    /// Pages of the last collection walk.
    pub pages: Vec<Value>,
    /// The scenario changed the backend; the after hook restores it.
    pub backend_dirty: bool,
    /// A unique metadata name for `{name}` in this scenario.
    pub name: String,
    /// Requests still running in the background (delete without waiting).
    pub background: Vec<tokio::task::JoinHandle<Exchange>>,
    /// When the scenario started.
    pub started: std::time::Instant,
    /// Backend objects the scenario injected out of band, as (service type, name).
    pub injected: Vec<(String, String)>,
}

impl std::fmt::Debug for SpWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpWorld")
            .field("scenario", &self.scenario)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// A step result: `Err` fails the step with the message.
pub type StepResult = Result<(), String>;

impl SpWorld {
    async fn new() -> anyhow::Result<Self> {
        let ctx = crate::sp::context::active().map_err(anyhow::Error::msg)?;
        let name = format!(
            "cst-{}-{}",
            ctx.run_id,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Ok(Self {
            ctx,
            scenario: String::new(),
            service: "vm".into(),
            exchanges: Vec::new(),
            resources: Vec::new(),
            memory: BTreeMap::new(),
            batch: Vec::new(),
            pages: Vec::new(),
            backend_dirty: false,
            name,
            background: Vec::new(),
            started: std::time::Instant::now(),
            injected: Vec::new(),
        })
    }

    /// The collection URL of `service_type`.
    ///
    /// # Errors
    /// When the service type is not under test.
    pub fn endpoint_of(&self, service_type: &str) -> Result<String, String> {
        self.ctx
            .services
            .get(service_type)
            .map(|s| s.endpoint.trim_end_matches('/').to_owned())
            .ok_or_else(|| {
                format!(
                    "service type `{service_type}` is not under test (no registration or --sp-url)"
                )
            })
    }

    /// The current collection URL.
    ///
    /// # Errors
    /// When the current service type is not under test.
    pub fn endpoint(&self) -> Result<String, String> {
        self.endpoint_of(&self.service)
    }

    /// `scheme://host:port` of the current endpoint.
    ///
    /// # Errors
    /// When the endpoint is not an absolute URL.
    pub fn root(&self) -> Result<String, String> {
        let ep = self.endpoint()?;
        let after_scheme = ep
            .find("://")
            .map(|i| i + 3)
            .ok_or("endpoint has no scheme")?;
        let end = ep[after_scheme..]
            .find('/')
            .map_or(ep.len(), |i| after_scheme + i);
        Ok(ep[..end].to_owned())
    }

    /// Expands `{endpoint}`, `{root}`, `{id}`, `{name}` and the special ids.
    ///
    /// # Errors
    /// When a needed endpoint or resource is missing.
    pub fn expand(&self, template: &str) -> Result<String, String> {
        let mut out = template.replace("{name}", &self.name);
        if out.contains("{endpoint}") {
            out = out.replace("{endpoint}", &self.endpoint()?);
        }
        if out.contains("{root}") {
            out = out.replace("{root}", &self.root()?);
        }
        if out.contains("{id}") {
            out = out.replace("{id}", &self.current()?.id);
        }
        if out.contains("{too-long-id}") {
            out = out.replace(
                "{too-long-id}",
                &format!("{}{}", self.ctx.id_prefix(), "x".repeat(254)),
            );
        }
        if out.contains("{mixed-id}") {
            let base = format!("{}Mixed_Case.Dots-", self.ctx.id_prefix());
            out = out.replace(
                "{mixed-id}",
                &format!("{base}{}", "z".repeat(253 - base.len())),
            );
        }
        if out.contains("{dotted-id}") {
            out = out.replace(
                "{dotted-id}",
                &format!("{}{}", self.ctx.id_prefix(), "a.b_c"),
            );
        }
        Ok(out)
    }

    /// Expands `{name}` inside a JSON docstring and parses it.
    ///
    /// # Errors
    /// When the docstring is not JSON.
    pub fn spec_from(&self, docstring: Option<&String>) -> Result<Value, String> {
        let text = docstring.ok_or("this step needs a JSON docstring")?;
        serde_json::from_str(&text.replace("{name}", &self.name))
            .map_err(|e| format!("docstring is not JSON: {e}"))
    }

    /// The resource the scenario is talking about (the last tracked one).
    ///
    /// # Errors
    /// When the scenario created nothing yet.
    pub fn current(&self) -> Result<&Tracked, String> {
        self.resources
            .last()
            .ok_or_else(|| "the scenario has no resource yet".to_owned())
    }

    /// The URL of the current resource: its collection and its URL-encoded id.
    ///
    /// # Errors
    /// No resource yet, or its service type is not under test.
    pub fn current_url(&self) -> Result<String, String> {
        let cur = self.current()?;
        Ok(format!(
            "{}/{}",
            self.endpoint_of(&cur.service_type)?,
            urlencode(&cur.id)
        ))
    }

    /// The last exchange.
    ///
    /// # Errors
    /// When nothing was sent yet.
    pub fn last(&self) -> Result<&Exchange, String> {
        self.exchanges
            .last()
            .ok_or_else(|| "no request was sent yet".to_owned())
    }

    /// A request with the `http_response` timeout.
    #[must_use]
    pub fn request(&self, method: &str, url: impl Into<String>) -> Request {
        Request::new(method, url).with_timeout(self.ctx.timeouts.answer_wait())
    }

    /// Sends and records.
    pub async fn send(&mut self, req: Request) -> Exchange {
        let ex = http::send(&self.ctx, req).await;
        self.exchanges.push(ex.clone());
        ex
    }

    /// Records `id` in the ledger and as the current resource (ORP-020).
    pub fn track(&mut self, id: &str, service_type: &str, spec: Value) {
        self.ctx.ledger.record(id, service_type, &self.scenario);
        self.resources.push(Tracked {
            id: id.into(),
            service_type: service_type.into(),
            spec,
        });
    }

    /// Updates the ledger from a create answer.
    pub fn settle(&self, id: &str, service_type: &str, ex: &Exchange) {
        let state = match ex.status() {
            Some(s) if (400..500).contains(&s) => EntryState::Refused,
            _ => EntryState::Created,
        };
        self.ctx.ledger.set(id, service_type, state);
    }

    /// Creates a resource the DCM way (`POST {endpoint}?id=` with `{"spec": …}`,
    /// or under the agent profile a bare spec with `Idempotency-Key` plus `?id=`).
    ///
    /// # Errors
    /// When the service type is not under test.
    pub async fn create(
        &mut self,
        service_type: &str,
        id: Option<&str>,
        spec: Value,
    ) -> Result<Exchange, String> {
        let endpoint = self.endpoint_of(service_type)?;
        let url = match id {
            Some(id) => format!("{endpoint}?id={}", urlencode(id)),
            None => endpoint,
        };
        let agent = self.ctx.profile == crate::sp::profile::Profile::Agent;
        let body = if agent {
            spec.clone()
        } else {
            serde_json::json!({ "spec": spec })
        };
        let mut req = Request::new("POST", url)
            .with_timeout(self.ctx.timeouts.get("create_response") + Duration::from_secs(5))
            .with_json(&body);
        if agent && let Some(id) = id {
            req = req.with_header("Idempotency-Key", &format!("key-{id}"));
        }
        if let Some(id) = id {
            self.track(id, service_type, spec.clone());
        }
        let ex = self.send(req).await;
        match id {
            Some(id) => self.settle(id, service_type, &ex),
            None => {
                if let Some(new_id) = ex
                    .json()
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_owned))
                {
                    self.track(&new_id, service_type, spec);
                    self.settle(&new_id, service_type, &ex);
                }
            }
        }
        Ok(ex)
    }

    /// GET of the current resource.
    ///
    /// # Errors
    /// No resource or endpoint.
    pub async fn get_current(&mut self) -> Result<Exchange, String> {
        let url = self.current_url()?;
        Ok(self.send(self.request("GET", url)).await)
    }

    /// Text for failure reports: the exchanges and the NATS events of the
    /// scenario's resources.
    #[must_use]
    pub fn failure_detail(&self) -> String {
        let mut out = String::new();
        let shown = self.exchanges.len().saturating_sub(4);
        if shown > 0 {
            let _ = writeln!(out, "({shown} earlier HTTP exchanges not shown)");
        }
        for ex in &self.exchanges[shown..] {
            out.push_str(&ex.render());
            out.push('\n');
        }
        for r in &self.resources {
            let events = self.ctx.dcm.events.for_id(&r.id);
            let _ = writeln!(
                out,
                "NATS events for {} {} ({}):",
                r.service_type,
                r.id,
                events.len()
            );
            for e in events {
                let _ = writeln!(out, "  [{}] {}", e.subject, truncate(&e.payload, 400));
            }
        }
        out
    }
}

/// Percent-encodes a path segment or query value.
#[must_use]
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
