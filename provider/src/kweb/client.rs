//! The kweb HTTP client (reqwest).
//!
//! Every call is bounded by `KWEB_TIMEOUT` and, inside a request, by the
//! request's deadline, whichever ends first (TMO-003). Bodies are read up to
//! 10 MiB (SEC-008). Names are percent-encoded as one path segment (SEC-007).
//! Calls share a token bucket (10/s, burst 20 by default) and a small
//! concurrency cap because kweb serves one request at a time (KCLI-031); the
//! health probe bypasses both.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body as HttpBody, Bytes, Frame, SizeHint};

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::{KubeDetail, KubeEntry, KwebError, VmEntry, sanitise_reason};
use crate::metrics::Metrics;

/// Largest kweb body the client reads (SEC-008): 10 MiB.
pub(crate) const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How many kweb calls may be in flight at once (KCLI-031).
const MAX_CONCURRENT: usize = 4;

/// One place in the kweb call budget: a rate-limit token already spent and
/// one of the [`MAX_CONCURRENT`] call slots, held until dropped (KCLI-031).
///
/// A create takes its slot *before* it records the intent as dispatched, so
/// that "dispatched" means "sent now", not "queued" (ORP-009).
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// A future run when the HTTP client first asks for a request body, that
/// is once the connection to kweb is established and the head is being
/// written: `true` lets the body go out, `false` aborts the request before
/// kweb has a complete one (ORP-009: the dispatch is recorded here, so
/// kweb never acts on a create whose dispatch is not durable, and a crash
/// before the record leaves nothing sent).
pub(crate) type Gate = Pin<Box<dyn Future<Output = bool> + Send>>;

/// The request body was held back by its [`Gate`].
#[derive(Debug, thiserror::Error)]
#[error("request body withheld by its dispatch gate")]
struct GateClosed;

/// A JSON body released by a [`Gate`].
struct GatedBody {
    gate: Option<std::sync::Mutex<Gate>>,
    bytes: Option<Bytes>,
    len: u64,
}

impl HttpBody for GatedBody {
    type Data = Bytes;
    type Error = GateClosed;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, GateClosed>>> {
        let this = self.get_mut();
        if let Some(gate) = this.gate.as_mut() {
            let gate = gate.get_mut().unwrap_or_else(PoisonError::into_inner);
            match gate.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(open) => {
                    this.gate = None;
                    if !open {
                        this.bytes = None;
                        return Poll::Ready(Some(Err(GateClosed)));
                    }
                }
            }
        }
        Poll::Ready(this.bytes.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.gate.is_none() && self.bytes.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

/// A request body.
enum Payload<'a> {
    /// JSON, sent at once.
    Json(&'a Value),
    /// JSON released by a [`Gate`].
    Gated(&'a Value, Gate),
}

/// How a call gets its slot.
enum Limit {
    /// Wait for a token and a slot.
    Take,
    /// Use a slot the caller already holds.
    Held(Slot),
    /// Bypass the limiter (health probe).
    Bypass,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A cloneable kweb client.
#[derive(Clone, Debug)]
pub(crate) struct KwebClient {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    rate: f64,
    burst: f64,
    bucket: Arc<Mutex<Bucket>>,
    slots: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

/// What a successful read returned.
struct Answer {
    status: StatusCode,
    bytes: Vec<u8>,
    empty: bool,
    html: bool,
}

impl Answer {
    /// The body as JSON, parsed on demand (`GET /vms` is parsed typed instead).
    fn json(&self) -> Option<Value> {
        if self.empty {
            None
        } else {
            serde_json::from_slice(&self.bytes).ok()
        }
    }
}

/// `GET /vms` parsed straight into the fields the provider reads; kweb's
/// other members (`info`, `nets`, ...) are skipped without building values.
#[derive(serde::Deserialize)]
struct VmList {
    vms: Vec<RawVm>,
}

#[derive(serde::Deserialize)]
struct RawVm {
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    kube: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    dcm_id: Option<String>,
}

impl From<RawVm> for VmEntry {
    fn from(raw: RawVm) -> Self {
        let owner_id = raw
            .owner
            .as_deref()
            .and_then(|o| o.strip_prefix(super::OWNER_PREFIX))
            .map(str::to_owned);
        Self {
            name: raw.name,
            status: raw.status,
            ip: raw.ip.filter(|s| !s.is_empty()),
            user: raw.user.filter(|s| !s.is_empty()),
            kube: raw.kube,
            dcm_id: raw.dcm_id.or(owner_id),
        }
    }
}

fn segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl KwebClient {
    /// A client for `base` (no trailing `/`). `rate` is requests per second
    /// (0 disables the limiter).
    ///
    /// # Errors
    /// The reqwest builder error (TLS back-end initialisation).
    pub(crate) fn new(
        base: &str,
        timeout: Duration,
        rate: u32,
        burst: u32,
        metrics: Arc<Metrics>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(MAX_CONCURRENT)
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            timeout,
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            bucket: Arc::new(Mutex::new(Bucket {
                tokens: f64::from(burst.max(1)),
                last: Instant::now(),
            })),
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            metrics,
        })
    }

    /// A slot now, or `None` when the token bucket is empty or all
    /// [`MAX_CONCURRENT`] slots are taken (never waits).
    #[must_use]
    pub(crate) fn try_slot(&self) -> Option<Slot> {
        let permit = Arc::clone(&self.slots).try_acquire_owned().ok()?;
        if self.rate > 0.0 {
            let mut bucket = self.bucket.try_lock().ok()?;
            let now = Instant::now();
            let refill = now.duration_since(bucket.last).as_secs_f64() * self.rate;
            bucket.tokens = (bucket.tokens + refill).min(self.burst);
            bucket.last = now;
            if bucket.tokens < 1.0 {
                return None;
            }
            bucket.tokens -= 1.0;
        }
        Some(Slot { _permit: permit })
    }

    /// Waits for a rate-limit token and a call slot (KCLI-031).
    ///
    /// # Errors
    /// Never in practice: the slot semaphore is never closed.
    pub(crate) async fn slot(&self, op: &str) -> Result<Slot, KwebError> {
        self.take_token().await;
        let permit =
            Arc::clone(&self.slots)
                .acquire_owned()
                .await
                .map_err(|_| KwebError::Unreachable {
                    op: op.to_owned(),
                    source: None,
                })?;
        Ok(Slot { _permit: permit })
    }

    async fn take_token(&self) {
        if self.rate <= 0.0 {
            return;
        }
        loop {
            let wait = {
                let mut bucket = self.bucket.lock().await;
                let now = Instant::now();
                let refill = now.duration_since(bucket.last).as_secs_f64() * self.rate;
                bucket.tokens = (bucket.tokens + refill).min(self.burst);
                bucket.last = now;
                if bucket.tokens >= 1.0 {
                    bucket.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends one request and reads the body; classifies transport failures
    /// (API-018). The time budget starts once the slot is held, so waiting
    /// in the queue never turns into an "outcome unknown" timeout.
    async fn call(
        &self,
        method: Method,
        path: &str,
        op: &str,
        body: Option<Payload<'_>>,
        deadline: Option<Instant>,
        limit: Limit,
    ) -> Result<Answer, KwebError> {
        let queued = async {
            match limit {
                Limit::Take => self.slot(op).await.map(Some),
                Limit::Held(slot) => Ok(Some(slot)),
                Limit::Bypass => Ok(None),
            }
        };
        let slot = match deadline {
            Some(d) => match tokio::time::timeout_at(d, queued).await {
                Ok(slot) => slot,
                // Never sent: the request's deadline passed in the queue.
                Err(_) => Err(KwebError::Unreachable {
                    op: op.to_owned(),
                    source: None,
                }),
            },
            None => queued.await,
        };
        let start = Instant::now();
        let budget = deadline.map_or(self.timeout, |d| {
            d.saturating_duration_since(start).min(self.timeout)
        });
        let work = async {
            let _slot = slot?;
            let mut request = self
                .http
                .request(method, format!("{}{path}", self.base))
                .header("Accept", "application/json");
            match body {
                Some(Payload::Json(body)) => {
                    request = request
                        .header("Content-Type", "application/json")
                        .body(body.to_string());
                }
                Some(Payload::Gated(body, gate)) => {
                    let bytes = Bytes::from(body.to_string());
                    let len = bytes.len() as u64;
                    request = request
                        .header("Content-Type", "application/json")
                        .header("Content-Length", len)
                        .body(reqwest::Body::wrap(GatedBody {
                            gate: Some(std::sync::Mutex::new(gate)),
                            bytes: Some(bytes),
                            len,
                        }));
                }
                None => {}
            }
            let response = request.send().await.map_err(|e| transport_error(e, op))?;
            read_answer(response, op).await
        };
        let result = match tokio::time::timeout(budget, work).await {
            Ok(result) => result,
            Err(_) => Err(KwebError::Timeout { op: op.to_owned() }),
        };
        let label = match &result {
            Ok(a) if a.status.is_success() => "ok",
            Ok(_) => "http_error",
            Err(KwebError::Timeout { .. }) => "timeout",
            Err(KwebError::Interrupted { .. }) => "interrupted",
            Err(_) => "unreachable",
        };
        self.metrics.inc(
            "dcm_kcli_kweb_requests_total",
            &[("operation", op), ("result", label)],
        );
        result
    }

    /// A GET that must answer 2xx with a JSON object.
    async fn get_object(
        &self,
        path: &str,
        op: &str,
        deadline: Option<Instant>,
    ) -> Result<Map<String, Value>, KwebError> {
        let answer = self
            .call(Method::GET, path, op, None, deadline, Limit::Take)
            .await?;
        expect_object(answer, op)
    }

    /// A mutating call: success only on 2xx with `result: "success"` (KCLI-060).
    async fn mutate(
        &self,
        method: Method,
        path: &str,
        op: &str,
        body: Payload<'_>,
        deadline: Option<Instant>,
        limit: Limit,
    ) -> Result<Value, KwebError> {
        let answer = self
            .call(method, path, op, Some(body), deadline, limit)
            .await?;
        classify_mutation(answer, op)
    }

    /// `GET /host` probe (HLT-010): success is HTTP 200, body not read.
    /// Bypasses the rate limiter.
    ///
    /// # Errors
    /// Any transport failure or non-200 answer.
    pub(crate) async fn probe_host(&self, timeout: Duration) -> Result<(), KwebError> {
        let deadline = Instant::now() + timeout;
        let answer = self
            .call(
                Method::GET,
                "/host",
                "GET /host",
                None,
                Some(deadline),
                Limit::Bypass,
            )
            .await?;
        if answer.status == StatusCode::OK {
            Ok(())
        } else {
            Err(KwebError::Failure {
                op: "GET /host".into(),
                status: answer.status.as_u16(),
                reason: None,
            })
        }
    }

    /// Type of kweb's default client from `GET /hosts` (KCLI-002), e.g. `kvm`.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn default_client_type(&self) -> Result<Option<String>, KwebError> {
        let hosts = self.get_object("/hosts", "GET /hosts", None).await?;
        let clients = hosts
            .get("clients")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(clients.iter().filter_map(Value::as_array).find_map(|row| {
            (row.get(3).and_then(Value::as_str) == Some("X"))
                .then(|| row.get(1).and_then(Value::as_str).map(str::to_owned))?
        }))
    }

    /// `GET /vms`: every VM (KCLI-030).
    ///
    /// # Errors
    /// [`KwebError`]; a non-array `vms` is [`KwebError::Unusable`].
    pub(crate) async fn list_vms(&self) -> Result<Vec<VmEntry>, KwebError> {
        let answer = self
            .call(Method::GET, "/vms", "GET /vms", None, None, Limit::Take)
            .await?;
        if !answer.status.is_success() {
            return Err(failure_of(&answer, "GET /vms"));
        }
        if let Ok(list) = serde_json::from_slice::<VmList>(&answer.bytes) {
            return Ok(list.vms.into_iter().map(VmEntry::from).collect());
        }
        match &answer.json() {
            Some(Value::Array(items)) => Ok(items.iter().filter_map(VmEntry::from_json).collect()),
            Some(Value::Object(obj)) => match obj.get("vms") {
                Some(Value::Array(items)) => {
                    Ok(items.iter().filter_map(VmEntry::from_json).collect())
                }
                _ => Err(unusable(&answer, "GET /vms", "no vms list")),
            },
            _ => Err(unusable(&answer, "GET /vms", "not a JSON list")),
        }
    }

    /// `GET /vms/{name}`; `None` for kweb's `{}` (KCLI-060).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn get_vm(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<Map<String, Value>>, KwebError> {
        let obj = self
            .get_object(
                &format!("/vms/{}", segment(name)),
                "GET /vms/{name}",
                deadline,
            )
            .await?;
        Ok((!obj.is_empty()).then_some(obj))
    }

    /// `POST /vms` (KCLI-014) on a slot the caller holds (ORP-009), bounded
    /// by `KWEB_TIMEOUT` alone (TMO-003: creates finish in the background).
    ///
    /// # Errors
    /// [`KwebError::AlreadyExists`], [`KwebError::Rejected`] and the others of §14.6;
    /// [`KwebError::delivery`] tells whether kweb may still create it (API-018).
    /// The body goes out only once `gate` opens (ORP-009).
    pub(crate) async fn create_vm(
        &self,
        slot: Slot,
        body: &Value,
        gate: Gate,
    ) -> Result<(), KwebError> {
        self.mutate(
            Method::POST,
            "/vms",
            "POST /vms",
            Payload::Gated(body, gate),
            None,
            Limit::Held(slot),
        )
        .await
        .map(drop)
    }

    /// `UPDATE /vms/{name}` with metadata keys (KCLI-005).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn update_vm(&self, name: &str, body: &Value) -> Result<(), KwebError> {
        let method = Method::from_bytes(b"UPDATE").unwrap_or(Method::PUT);
        self.mutate(
            method,
            &format!("/vms/{}", segment(name)),
            "UPDATE /vms/{name}",
            Payload::Json(body),
            None,
            Limit::Take,
        )
        .await
        .map(drop)
    }

    /// `DELETE /vms/{name}`; a "not found" answer or an HTML 500 is resolved
    /// with `GET /vms/{name}` (KCLI-063, kcli#863).
    ///
    /// # Errors
    /// [`KwebError`] when the delete failed and the VM still exists or the
    /// check failed.
    pub(crate) async fn delete_vm(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<(), KwebError> {
        let path = format!("/vms/{}", segment(name));
        match self
            .mutate(
                Method::DELETE,
                &path,
                "DELETE /vms/{name}",
                Payload::Json(&serde_json::json!({"snapshots": true})),
                deadline,
                Limit::Take,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(
                err @ (KwebError::NotFound { .. }
                | KwebError::Unusable { .. }
                | KwebError::Failure { .. }),
            ) => match self.get_vm(name, deadline).await? {
                None => Ok(()),
                Some(_) => Err(err),
            },
            Err(err) => Err(err),
        }
    }

    /// `GET /vmprofiles`: profile name → merged profile (KCLI-012).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn vm_profiles(&self) -> Result<Map<String, Value>, KwebError> {
        let obj = self
            .get_object("/vmprofiles", "GET /vmprofiles", None)
            .await?;
        Ok(obj
            .get("profiles")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default())
    }

    /// Basenames of `GET /images` (KCLI-013).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn image_names(&self) -> Result<Vec<String>, KwebError> {
        let obj = self.get_object("/images", "GET /images", None).await?;
        Ok(obj
            .get("images")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|p| p.rsplit('/').next().unwrap_or(p).to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `GET /kubes`.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn list_kubes(&self) -> Result<Vec<KubeEntry>, KwebError> {
        let obj = self.get_object("/kubes", "GET /kubes", None).await?;
        let kubes = obj
            .get("kubes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Ok(kubes
            .iter()
            .map(|(name, v)| KubeEntry::from_json(name, v))
            .collect())
    }

    /// `GET /kubes/{name}`; `None` for `{}`. Runs `kubectl` on kweb: call it
    /// from the monitor only (KCLI-026).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn get_kube(&self, name: &str) -> Result<Option<KubeDetail>, KwebError> {
        let obj = self
            .get_object(
                &format!("/kubes/{}", segment(name)),
                "GET /kubes/{name}",
                None,
            )
            .await?;
        Ok(KubeDetail::from_json(&obj))
    }

    /// `GET /kubes/{name}/kubeconfig`: the text, or `None` for 404 `{}`.
    ///
    /// # Errors
    /// [`KwebError`] for other failures.
    pub(crate) async fn kubeconfig(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<String>, KwebError> {
        let op = "GET /kubes/{name}/kubeconfig";
        let path = format!("/kubes/{}/kubeconfig", segment(name));
        let start = Instant::now();
        let budget = deadline.map_or(self.timeout, |d| {
            d.saturating_duration_since(start).min(self.timeout)
        });
        self.take_token().await;
        let send = self.http.get(format!("{}{path}", self.base)).send();
        let response = match tokio::time::timeout(budget, send).await {
            Err(_) => return Err(KwebError::Timeout { op: op.into() }),
            Ok(Err(e)) => return Err(transport_error(e, op)),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let bytes = match tokio::time::timeout(budget, read_capped(response, op)).await {
            Err(_) => return Err(KwebError::Timeout { op: op.into() }),
            Ok(r) => r?,
        };
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(KwebError::Unusable {
                op: op.into(),
                status: status.as_u16(),
                what: "error page",
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| KwebError::Unusable {
            op: op.into(),
            status: 200,
            what: "not UTF-8",
        })?;
        Ok((!text.trim().is_empty()).then_some(text))
    }

    /// `POST /kubes` (KCLI-021) on a slot the caller holds (ORP-009). kweb
    /// answers at once; the build runs in a thread.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6; [`KwebError::delivery`] per API-018.
    /// The body goes out only once `gate` opens (ORP-009).
    pub(crate) async fn create_kube(
        &self,
        slot: Slot,
        body: &Value,
        gate: Gate,
    ) -> Result<(), KwebError> {
        self.mutate(
            Method::POST,
            "/kubes",
            "POST /kubes",
            Payload::Gated(body, gate),
            None,
            Limit::Held(slot),
        )
        .await
        .map(drop)
    }

    /// `DELETE /kubes/{name}`; kweb answers success even for unknown names.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn delete_kube(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<(), KwebError> {
        let path = format!("/kubes/{}", segment(name));
        self.mutate(
            Method::DELETE,
            &path,
            "DELETE /kubes/{name}",
            Payload::Json(&serde_json::json!({})),
            deadline,
            Limit::Take,
        )
        .await
        .map(drop)
    }
}

/// API-018: a reqwest error before the request was written (connect, DNS,
/// TLS, building it) means nothing reached kweb; a timeout or any error
/// after that (reset, EOF before the answer) leaves the outcome unknown.
fn transport_error(error: reqwest::Error, op: &str) -> KwebError {
    tracing::debug!(op, error = %error, "kweb transport error");
    let op = op.to_owned();
    if error.is_timeout() {
        KwebError::Timeout { op }
    } else if error.is_connect() || error.is_builder() {
        KwebError::Unreachable {
            op,
            source: Some(Arc::new(error)),
        }
    } else {
        KwebError::Interrupted {
            op,
            source: Some(Arc::new(error)),
        }
    }
}

async fn read_capped(mut response: reqwest::Response, op: &str) -> Result<Vec<u8>, KwebError> {
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(KwebError::Unusable {
            op: op.into(),
            status,
            what: "body over 10 MiB",
        });
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(KwebError::Unusable {
                        op: op.into(),
                        status,
                        what: "body over 10 MiB",
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            // API-018: a truncated answer leaves the outcome unknown.
            Err(e) => return Err(transport_error(e, op)),
        }
    }
}

async fn read_answer(response: reqwest::Response, op: &str) -> Result<Answer, KwebError> {
    let status = response.status();
    let html = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"));
    let bytes = read_capped(response, op).await?;
    let empty = bytes.iter().all(u8::is_ascii_whitespace);
    Ok(Answer {
        status,
        bytes,
        empty,
        html,
    })
}

fn unusable(answer: &Answer, op: &str, fallback: &'static str) -> KwebError {
    let what = if answer.empty {
        "empty body"
    } else if answer.json().is_none() && answer.html {
        "HTML page"
    } else if answer.json().is_none() {
        "non-JSON body"
    } else {
        fallback
    };
    KwebError::Unusable {
        op: op.into(),
        status: answer.status.as_u16(),
        what,
    }
}

fn failure_of(answer: &Answer, op: &str) -> KwebError {
    if answer.status == StatusCode::FORBIDDEN {
        return KwebError::ReadOnly { op: op.into() };
    }
    match &answer.json() {
        Some(Value::Object(obj)) => {
            let reason = obj
                .get("reason")
                .and_then(Value::as_str)
                .and_then(sanitise_reason);
            KwebError::Failure {
                op: op.into(),
                status: answer.status.as_u16(),
                reason,
            }
        }
        _ => unusable(answer, op, "unexpected JSON"),
    }
}

fn expect_object(answer: Answer, op: &str) -> Result<Map<String, Value>, KwebError> {
    if answer.status == StatusCode::FORBIDDEN {
        return Err(KwebError::ReadOnly { op: op.into() });
    }
    if !answer.status.is_success() {
        return Err(failure_of(&answer, op));
    }
    match answer.json() {
        Some(Value::Object(obj)) => Ok(obj),
        _ => Err(unusable(&answer, op, "not a JSON object")),
    }
}

/// KCLI-060/061/062: classify the answer to a mutating call.
fn classify_mutation(answer: Answer, op: &str) -> Result<Value, KwebError> {
    if answer.status == StatusCode::FORBIDDEN {
        return Err(KwebError::ReadOnly { op: op.into() });
    }
    let Some(Value::Object(obj)) = &answer.json() else {
        return Err(unusable(&answer, op, "not a JSON object"));
    };
    let result = obj.get("result").and_then(Value::as_str);
    if answer.status.is_success() && result == Some("success") {
        return Ok(Value::Object(obj.clone()));
    }
    let raw_reason = obj
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let lower = raw_reason.to_ascii_lowercase();
    let reason = sanitise_reason(raw_reason);
    if answer.status == StatusCode::BAD_REQUEST && raw_reason == "Invalid Data" {
        return Err(KwebError::BadRequest { op: op.into() });
    }
    if result == Some("failure") {
        if lower.contains("already exists") {
            return Err(KwebError::AlreadyExists {
                op: op.into(),
                reason: reason.unwrap_or_else(|| "already exists".into()),
            });
        }
        let client_error = (lower.starts_with("image ") && lower.ends_with(" not found"))
            || lower.contains("incorrect parameters found")
            || lower.contains("pull secret");
        if client_error {
            return Err(KwebError::Rejected {
                op: op.into(),
                reason: reason.unwrap_or_else(|| "request refused".into()),
            });
        }
        if lower.starts_with("vm ") && lower.ends_with(" not found") {
            return Err(KwebError::NotFound { op: op.into() });
        }
    }
    Err(KwebError::Failure {
        op: op.into(),
        status: answer.status.as_u16(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            bytes: body.as_bytes().to_vec(),
            empty: body.trim().is_empty(),
            html: body.contains('<'),
        }
    }

    #[test]
    fn kcli060_only_result_success_is_success() {
        assert!(
            classify_mutation(
                answer(200, r#"{"result": "success", "vm": "x"}"#),
                "POST /vms"
            )
            .is_ok()
        );
        for body in [
            r#"{"result": "failure"}"#,
            r#"{"result": "not found"}"#,
            "{}",
            "",
            "failure",
            "<html>x</html>",
        ] {
            assert!(
                classify_mutation(answer(200, body), "POST /vms").is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn kcli061_reasons_are_classified() {
        let exists = classify_mutation(
            answer(
                200,
                r#"{"result": "failure", "reason": "VM dcm-a already exists"}"#,
            ),
            "POST /vms",
        );
        assert!(matches!(exists, Err(KwebError::AlreadyExists { .. })));
        let image = classify_mutation(
            answer(
                200,
                r#"{"result": "failure", "reason": "Image foo not found"}"#,
            ),
            "POST /vms",
        );
        assert!(matches!(image, Err(KwebError::Rejected { .. })));
        let missing = classify_mutation(
            answer(
                200,
                r#"{"result": "failure", "reason": "VM dcm-a not found"}"#,
            ),
            "DELETE /vms/{name}",
        );
        assert!(matches!(missing, Err(KwebError::NotFound { .. })));
        let invalid = classify_mutation(
            answer(400, r#"{"result": "failure", "reason": "Invalid Data"}"#),
            "POST /vms",
        );
        assert!(matches!(invalid, Err(KwebError::BadRequest { .. })));
        let readonly = classify_mutation(answer(403, "{}"), "POST /vms");
        assert!(matches!(readonly, Err(KwebError::ReadOnly { .. })));
    }

    #[test]
    fn sec007_names_are_one_encoded_segment() {
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("dcm-x.y_z"), "dcm-x.y_z");
    }
}
