//! The provider registry with the control plane's semantics
//! ([cp-provider-svc], [cp-provider-handler], contract §4).
//!
//! Upsert keyed on `name`: a new name gets 201; the same name gets 200 and an
//! update in place; a name registered under another id, or an id used by
//! another name, gets 409. Bodies are validated against the suite's
//! registration schema (400 problem on failure, as the control plane does).
//! A script of canned answers (status + delay) is served first, one per
//! attempt, for retry scenarios (REG-021, REG-024). A first-attempt answer
//! can be set before the SP starts: the first registration of every name is
//! then answered with it, so retries are observable on any target, even one
//! the suite cannot restart (REG-021, REG-009).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sp::schemas::{Shape, validate};

/// A canned answer served before normal processing.
#[derive(Debug, Clone, Copy)]
pub struct Scripted {
    /// HTTP status to answer.
    pub status: u16,
    /// Delay before answering.
    pub delay: Duration,
}

/// One request the SP sent to the registry.
#[derive(Debug, Clone)]
pub struct RegistrationAttempt {
    /// When it arrived.
    pub at: Instant,
    /// HTTP method.
    pub method: String,
    /// Request path (without query).
    pub path: String,
    /// `?id=` value, if any.
    pub id_query: Option<String>,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Raw body text.
    pub body: String,
    /// HTTP status answered.
    pub answer: u16,
    /// Whether the answer came from the script.
    pub scripted: bool,
}

impl RegistrationAttempt {
    /// The body parsed as JSON, if it is JSON.
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The registered `name`, when the body has one.
    #[must_use]
    pub fn name(&self) -> Option<String> {
        self.json()
            .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
    }
}

/// A stored provider.
#[derive(Debug, Clone)]
pub struct ProviderRecord {
    /// Registry id.
    pub id: String,
    /// Natural key.
    pub name: String,
    /// Service type.
    pub service_type: String,
    /// Collection URL.
    pub endpoint: String,
    /// Last accepted body.
    pub body: Value,
    /// Successful registrations (create + updates).
    pub registrations: u32,
}

#[derive(Debug, Default)]
struct State {
    providers: BTreeMap<String, ProviderRecord>,
    attempts: Vec<RegistrationAttempt>,
    script: VecDeque<Scripted>,
    first_answer: Option<Scripted>,
    names_seen: BTreeSet<String>,
    first_restart: Option<usize>,
    deregistrations: Vec<String>,
}

/// The registry's shared state.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    state: Arc<Mutex<State>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues canned answers for the next attempts.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.lock().script.extend(answers);
    }

    /// Answers the first registration attempt of every provider name not
    /// seen before with `answer` (the SP must retry it, REG-021); later
    /// attempts of that name are processed normally.
    pub fn answer_first_attempt_of_each_name(&self, answer: Scripted) {
        self.lock().first_answer = Some(answer);
    }

    /// Drops queued canned answers.
    pub fn clear_script(&self) {
        self.lock().script.clear();
    }

    /// Every attempt so far.
    #[must_use]
    pub fn attempts(&self) -> Vec<RegistrationAttempt> {
        self.lock().attempts.clone()
    }

    /// The `POST` attempts (registrations) so far, in arrival order.
    #[must_use]
    pub fn posts(&self) -> Vec<RegistrationAttempt> {
        self.lock()
            .attempts
            .iter()
            .filter(|a| a.method == "POST")
            .cloned()
            .collect()
    }

    /// Notes that the suite is restarting the SP: attempts from here on
    /// belong to a later start than the first.
    pub fn note_restart(&self) {
        let mut st = self.lock();
        if st.first_restart.is_none() {
            st.first_restart = Some(st.attempts.len());
        }
    }

    /// The attempts of the SP's first start (before the suite first
    /// restarted it).
    #[must_use]
    pub fn first_start_attempts(&self) -> Vec<RegistrationAttempt> {
        let st = self.lock();
        let end = st.first_restart.unwrap_or(st.attempts.len());
        st.attempts[..end].to_vec()
    }

    /// Stored providers keyed by name.
    #[must_use]
    pub fn providers(&self) -> BTreeMap<String, ProviderRecord> {
        self.lock().providers.clone()
    }

    /// The provider registered for `service_type`, if any.
    #[must_use]
    pub fn provider_for(&self, service_type: &str) -> Option<ProviderRecord> {
        self.lock()
            .providers
            .values()
            .find(|p| p.service_type == service_type)
            .cloned()
    }

    /// Ids deregistered with `DELETE {base}/providers/{id}`.
    #[must_use]
    pub fn deregistrations(&self) -> Vec<String> {
        self.lock().deregistrations.clone()
    }

    /// Forgets every stored provider (a registry that lost its records).
    pub fn forget_providers(&self) {
        self.lock().providers.clear();
    }

    /// Registers a provider directly (conflict scenarios).
    pub fn insert(&self, record: ProviderRecord) {
        self.lock().providers.insert(record.name.clone(), record);
    }
}

/// The registry's routes: every request is recorded and answered by [`handle`].
pub fn router(registry: Registry) -> axum::Router {
    axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let registry = registry.clone();
            async move { handle(&registry, method, uri, headers, body).await }
        },
    )
}

fn problem(status: StatusCode, slug: &str, detail: &str, instance: &str) -> Response {
    let body = json!({
        "type": format!("https://dcm-project.github.io/problems/{slug}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "instance": instance,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn query_id(uri: &Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "id").then(|| v.to_owned())
    })
}

async fn handle(
    registry: &Registry,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let mut attempt = RegistrationAttempt {
        at: Instant::now(),
        method: method.to_string(),
        path: path.clone(),
        id_query: query_id(&uri),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(&body).into_owned(),
        answer: 0,
        scripted: false,
    };
    let scripted = if method == Method::POST {
        let name = attempt.name();
        let mut st = registry.lock();
        let first = name.is_some_and(|n| st.names_seen.insert(n));
        st.script
            .pop_front()
            .or(if first { st.first_answer } else { None })
    } else {
        None
    };
    let response = if let Some(s) = scripted {
        tokio::time::sleep(s.delay).await;
        attempt.scripted = true;
        let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        problem(
            status,
            "internal",
            "scripted answer of the conformance suite",
            &path,
        )
    } else {
        answer(registry, &method, &path, &attempt)
    };
    attempt.answer = response.status().as_u16();
    registry.lock().attempts.push(attempt);
    response
}

fn answer(
    registry: &Registry,
    method: &Method,
    path: &str,
    attempt: &RegistrationAttempt,
) -> Response {
    const COLLECTION: &str = "/api/v1alpha1/providers";
    if path == COLLECTION && method == Method::GET {
        let list: Vec<Value> = registry
            .lock()
            .providers
            .values()
            .map(stored_view)
            .collect();
        return (StatusCode::OK, axum::Json(json!({"providers": list}))).into_response();
    }
    if let Some(id) = path.strip_prefix("/api/v1alpha1/providers/") {
        let mut st = registry.lock();
        let Some(name) = st
            .providers
            .values()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
        else {
            return problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "unknown provider id",
                path,
            );
        };
        return match *method {
            Method::GET => (
                StatusCode::OK,
                axum::Json(stored_view(&st.providers[&name])),
            )
                .into_response(),
            Method::DELETE => {
                st.providers.remove(&name);
                st.deregistrations.push(id.to_owned());
                StatusCode::NO_CONTENT.into_response()
            }
            _ => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "GET, DELETE",
                path,
            ),
        };
    }
    if path != COLLECTION {
        return problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "the registry serves POST /api/v1alpha1/providers",
            path,
        );
    }
    if method != Method::POST {
        return problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "GET, POST",
            path,
        );
    }
    let Some(body) = attempt.json() else {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            "body is not JSON",
            path,
        );
    };
    if let Err(errors) = validate(Shape::Registration, &body) {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            &errors.join("; "),
            path,
        );
    }
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    let service_type = body["service_type"].as_str().unwrap_or_default().to_owned();
    let endpoint = body["endpoint"].as_str().unwrap_or_default().to_owned();
    let mut st = registry.lock();
    if let Some(existing) = st.providers.get_mut(&name) {
        if attempt
            .id_query
            .as_ref()
            .is_some_and(|id| *id != existing.id)
        {
            return problem(
                StatusCode::CONFLICT,
                "already-exists",
                "provider name registered under another id",
                path,
            );
        }
        existing.body = body;
        existing.service_type = service_type;
        existing.endpoint = endpoint;
        existing.registrations += 1;
        return (StatusCode::OK, axum::Json(stored_view(existing))).into_response();
    }
    let id = attempt
        .id_query
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if st.providers.values().any(|p| p.id == id) {
        return problem(
            StatusCode::CONFLICT,
            "already-exists",
            "provider id used by another name",
            path,
        );
    }
    let record = ProviderRecord {
        id,
        name: name.clone(),
        service_type,
        endpoint,
        body,
        registrations: 1,
    };
    let view = stored_view(&record);
    st.providers.insert(name, record);
    (StatusCode::CREATED, axum::Json(view)).into_response()
}

fn stored_view(p: &ProviderRecord) -> Value {
    let mut v = p.body.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("id".into(), json!(p.id));
        obj.insert("path".into(), json!(format!("providers/{}", p.id)));
        obj.insert("status".into(), json!("registered"));
    }
    v
}
