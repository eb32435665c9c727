//! The kweb HTTP client (reqwest).
//!
//! Every call is bounded by `KWEB_TIMEOUT` and, inside a request, by the
//! request's deadline, whichever ends first (TMO-003). Bodies are read up to
//! 10 MiB (SEC-008). Names are percent-encoded as one path segment (SEC-007).
//! Calls share a token bucket (10/s, burst 20 by default) and a small
//! concurrency cap because kweb serves one request at a time (KCLI-031); the
//! health probe bypasses both.
//!
//! Modules: `gate` holds the dispatch gate of a create body, `answer` reads
//! and classifies kweb's answers, `vms` and `kubes` the calls per route.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::KwebError;
use crate::metrics::Metrics;

mod answer;
mod gate;
mod kubes;
mod vms;

use answer::{Answer, classify_mutation, expect_object, read_answer, transport_error};
pub(crate) use gate::Gate;
use gate::GatedBody;

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec007_names_are_one_encoded_segment() {
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("dcm-x.y_z"), "dcm-x.y_z");
    }
}
