//! A small DCM service provider used to prove the suite both ways: with no
//! defect it is conformant (the control), and each [`Defect`] makes it break
//! one rule on purpose. It keeps its records in a store that survives
//! restarts and drives the in-memory [`backend::Backend`].

pub(crate) mod backend;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use dcm_conformance::sp::target::{
    BackendAction, Capability, LaunchEnv, Launcher, SpUnderTest, TargetIdentity,
};
use dcm_conformance::sp::timeouts::Declared;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use backend::{Backend, BackendError};

/// A deliberate contract violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Defect {
    /// 400 answers are `text/plain`, not problem details (ERR-001).
    PlainText400,
    /// Health answers 503 while the backend is down (HLT-003).
    Health503WhenDown,
    /// A crashed VM is `ERROR`, not `FAILED` (VOC-001 under dcm-v1alpha1).
    ErrorInsteadOfFailed,
    /// A new random registration id on every start (REG-009).
    RandomRegistrationId,
    /// `DELETED` is never published (EVT-022).
    NoDeletedEvent,
    /// A replayed create answers 409 (API-030).
    ConflictOnReplay,
    /// A replay answers 201 but builds the resource again: a fresh
    /// `create_time`, the initial status and its event (API-030).
    ReplayRecreates,
    /// A page token points at the last item of its page, so each page
    /// repeats the previous page's last item (API-051).
    OverlappingPages,
    /// A full page always carries a `next_page_token`, even when it holds
    /// the last items, so the walk ends on an empty page (API-051).
    TokenOnFullPage,
    /// A fresh random `?id=` on every registration attempt (REG-009).
    NewIdPerAttempt,
    /// One registration attempt per service type: no retry, no periodic
    /// re-registration (REG-021, REG-026).
    RegisterOnce,
    /// Top-level spec members the fixture does not know are dropped before
    /// the spec is stored (VAL-007, API-004).
    DropsUnknownMembers,
    /// Deleted records are kept as `DELETED` tombstones: GET answers 404,
    /// but the list still shows them and their id cannot be created again
    /// (API-050, API-032).
    KeepsDeletedRecords,
    /// Replays are compared as parsed JSON values without number
    /// normalisation, so `10` and `10.0` differ and the replay is a 409 (API-030).
    ReplayComparesNumberForms,
    /// A delete answers 204 at once and removes the backend object and the
    /// record half a second later (API-060).
    DeleteInBackground,
    /// A schema-valid `vcpu.count` above 64 crashes the create with a 500
    /// (ERR-009/ERR-010: no spec may cause a 5xx).
    Internal500OnManyCpus,
    /// A create whose backend call was cut after it was sent is read as a
    /// failure: answered 502 and its record dropped, although the backend
    /// created the VM (API-018).
    CutCreateFails,
}

const POLL: Duration = Duration::from_millis(100);
const DEBOUNCE: Duration = Duration::from_millis(200);
const SYNC_WAIT: Duration = Duration::from_millis(1000);
const REQUEST_TIMEOUT: Duration = Duration::from_millis(2000);
const CLUSTER_CREATE_TIMEOUT: Duration = Duration::from_secs(3);
const UNKNOWN_STATE_TIMEOUT: Duration = Duration::from_secs(30);
const RESYNC: Duration = Duration::from_secs(2);
const REREGISTER: Duration = Duration::from_secs(3);
const PREFIX: &str = "fx-";

#[derive(Debug, Clone)]
struct Record {
    id: String,
    service_type: String,
    spec: Value,
    status: String,
    status_message: String,
    create_time: String,
    update_time: String,
    backend_name: String,
    created: Instant,
    /// Creation time in nanoseconds since the epoch: the keyset sort key.
    created_ns: u128,
    seen_running: bool,
    creating: bool,
    previous: Option<String>,
    unknown_since: Option<Instant>,
    pending: Option<(String, String, Instant)>,
    published: Option<String>,
}

#[derive(Debug, Default)]
struct Store {
    records: BTreeMap<String, Record>,
    outbox: Vec<(String, String)>,
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    backend: Backend,
    defects: Arc<BTreeSet<Defect>>,
    services: Arc<Vec<String>>,
    started: Instant,
    healthy: Arc<AtomicBool>,
    shutting_down: Arc<AtomicBool>,
    names: Arc<BTreeMap<String, String>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn plural(st: &str) -> String {
    format!("{st}s")
}

fn problem(
    shared: &Shared,
    status: StatusCode,
    slug: &str,
    detail: &str,
    instance: &str,
    errors: Option<Value>,
) -> Response {
    if status == StatusCode::BAD_REQUEST && shared.has(Defect::PlainText400) {
        return (
            status,
            [(header::CONTENT_TYPE, "text/plain")],
            format!("bad request: {detail}"),
        )
            .into_response();
    }
    let title = match slug {
        "invalid-argument" => "Invalid argument",
        "not-found" => "Not found",
        "method-not-allowed" => "Method not allowed",
        "already-exists" => "Already exists",
        "payload-too-large" => "Payload too large",
        "unprocessable-entity" => "Unprocessable entity",
        "backend-unavailable" => "Backend unavailable",
        "backend-timeout" => "Backend timeout",
        _ => "Internal error",
    };
    let mut body = json!({
        "type": format!("https://dcm-project.github.io/problems/{slug}"),
        "title": title, "status": status.as_u16(), "detail": detail, "instance": instance,
    });
    if let Some(e) = errors {
        body["errors"] = e;
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn view(r: &Record, single: bool) -> Value {
    let mut v = json!({
        "id": r.id, "path": format!("{}/{}", plural(&r.service_type), r.id), "status": r.status,
        "status_message": r.status_message, "spec": r.spec, "create_time": r.create_time, "update_time": r.update_time,
    });
    if r.service_type == "cluster" && r.status == "ACTIVE" {
        v["api_endpoint"] = json!(format!("https://{}.example:6443", r.backend_name));
        if single {
            v["kubeconfig"] = json!("YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg==");
        }
    }
    v
}

fn enqueue(shared: &Shared, store: &mut Store, r: &mut Record, status: &str, message: &str) {
    if status == "DELETED" && shared.has(Defect::NoDeletedEvent) {
        return;
    }
    let name = shared
        .names
        .get(&r.service_type)
        .cloned()
        .unwrap_or_default();
    let event = json!({
        "specversion": "1.0", "id": uuid::Uuid::new_v4().to_string(), "source": format!("dcm/providers/{name}"),
        "type": format!("dcm.status.{}", r.service_type), "subject": format!("dcm.{}", r.service_type),
        "time": now(), "datacontenttype": "application/json",
        "data": {"id": r.id, "status": status, "message": message, "timestamp": now()},
    });
    store
        .outbox
        .push((format!("dcm.{}", r.service_type), event.to_string()));
    r.published = Some(status.into());
}

/// Sets a status; terminal statuses publish at once, others after the debounce window.
fn set_status(shared: &Shared, store: &mut Store, r: &mut Record, status: &str, message: &str) {
    if r.status != status || r.status_message != message {
        r.update_time = now();
    }
    r.status = status.into();
    r.status_message = message.into();
    if r.published.as_deref() == Some(status) {
        r.pending = None;
        return;
    }
    if matches!(status, "FAILED" | "ERROR" | "DELETED") {
        r.pending = None;
        enqueue(shared, store, r, status, message);
    } else if r.pending.as_ref().is_none_or(|p| p.0 != status) {
        r.pending = Some((status.into(), message.into(), Instant::now()));
    }
}

async fn read_body(body: Body) -> Result<Vec<u8>, ()> {
    axum::body::to_bytes(body, 1 << 20)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| ())
}

fn query(uri: &Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(
    shared: Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().to_owned();
    let rest = path.strip_prefix("/api/v1alpha1/").unwrap_or("");
    let mut parts = rest.splitn(2, '/');
    let collection = parts.next().unwrap_or("");
    let tail = parts.next();
    let Some(service_type) = shared
        .services
        .iter()
        .find(|s| plural(s) == collection)
        .cloned()
    else {
        return problem(
            &shared,
            StatusCode::NOT_FOUND,
            "not-found",
            "no such route",
            &path,
            None,
        );
    };
    match tail {
        None | Some("") => match method {
            Method::GET => list(&shared, &service_type, &uri).await,
            Method::POST => create(&shared, &service_type, &uri, &headers, body).await,
            _ => allow(&shared, "GET, POST", &path),
        },
        Some("health") => match method {
            Method::GET => health(&shared).await,
            _ => allow(&shared, "GET", &path),
        },
        Some(id) if id.contains('/') => problem(
            &shared,
            StatusCode::NOT_FOUND,
            "not-found",
            "no such route",
            &path,
            None,
        ),
        Some(raw_id) => {
            let id = percent_decode(raw_id);
            if !validate::id_ok(&id) {
                return problem(
                    &shared,
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "no such resource",
                    &path,
                    None,
                );
            }
            match method {
                Method::GET => get(&shared, &service_type, &id, &path),
                Method::DELETE => match tokio::time::timeout(
                    REQUEST_TIMEOUT,
                    delete(&shared, &service_type, &id, &path),
                )
                .await
                {
                    Ok(r) => r,
                    Err(_) => problem(
                        &shared,
                        StatusCode::GATEWAY_TIMEOUT,
                        "backend-timeout",
                        "the backend did not answer in time",
                        &path,
                        None,
                    ),
                },
                _ => allow(&shared, "DELETE, GET", &path),
            }
        }
    }
}

fn allow(shared: &Shared, methods: &str, path: &str) -> Response {
    let mut r = problem(
        shared,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "method not allowed",
        path,
        None,
    );
    if let Ok(v) = methods.parse() {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

async fn health(shared: &Shared) -> Response {
    let ok =
        shared.healthy.load(Ordering::Relaxed) && !shared.shutting_down.load(Ordering::Relaxed);
    let mut body = json!({"status": if ok { "healthy" } else { "unhealthy" }, "version": "0.0.1-fixture",
        "uptime": shared.started.elapsed().as_secs(), "type": "fixture.dcm.io/health", "path": "health"});
    if !ok {
        body["detail"] = json!("backend not reachable");
    }
    let code = if !ok && shared.has(Defect::Health503WhenDown) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    json_response(code, &body)
}

fn get(shared: &Shared, service_type: &str, id: &str, path: &str) -> Response {
    let store = shared.lock();
    match store
        .records
        .get(id)
        .filter(|r| r.service_type == service_type && r.status != "DELETED")
    {
        Some(r) => json_response(StatusCode::OK, &view(r, true)),
        None => problem(
            shared,
            StatusCode::NOT_FOUND,
            "not-found",
            "unknown id",
            path,
            None,
        ),
    }
}

async fn list(shared: &Shared, service_type: &str, uri: &Uri) -> Response {
    let q = query(uri);
    let path = uri.path();
    let size = match q.get("max_page_size").map(|s| s.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            let errors =
                json!([{"field": "max_page_size", "reason": "must be an integer from 1 to 100"}]);
            return problem(
                shared,
                StatusCode::BAD_REQUEST,
                "invalid-argument",
                "max_page_size must be 1..100",
                path,
                Some(errors),
            );
        }
    };
    let mut items: Vec<Record> = shared
        .lock()
        .records
        .values()
        .filter(|r| r.service_type == service_type)
        .cloned()
        .collect();
    // Keyset order: create_time descending, then id ascending (API-053).
    items.sort_by(|a, b| b.created_ns.cmp(&a.created_ns).then(a.id.cmp(&b.id)));
    let overlap = usize::from(shared.has(Defect::OverlappingPages));
    let start = match q.get("page_token") {
        None => 0,
        Some(t) => match decode_token(t) {
            Some((nanos, id)) => items
                .iter()
                .position(|r| r.created_ns < nanos || (r.created_ns == nanos && r.id > id))
                .unwrap_or(items.len())
                .saturating_sub(overlap),
            None => {
                let errors = json!([{"field": "page_token", "reason": "malformed or unknown"}]);
                return problem(
                    shared,
                    StatusCode::BAD_REQUEST,
                    "invalid-argument",
                    "page_token is not valid",
                    path,
                    Some(errors),
                );
            }
        },
    };
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(size)
        .map(|r| view(r, false))
        .collect();
    let mut body = json!({"results": page});
    if let Some(last) = items.iter().skip(start).take(size).next_back()
        && (start + size < items.len()
            || (shared.has(Defect::TokenOnFullPage) && items.len() - start >= size))
    {
        body["next_page_token"] = json!(format!("k{}.{}", last.created_ns, last.id));
    }
    json_response(StatusCode::OK, &body)
}

fn decode_token(t: &str) -> Option<(u128, String)> {
    let rest = t.strip_prefix('k')?;
    let (n, id) = rest.split_once('.')?;
    Some((n.parse().ok()?, id.to_owned()))
}

/// JSON value equality with numbers compared by value (API-030);
/// `exact` keeps serde's number-form-sensitive comparison (the defect).
fn equal_spec(a: &Value, b: &Value, exact: bool) -> bool {
    match (a, b) {
        _ if exact => a == b,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal_spec(p, q, false))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal_spec(v, w, false)))
        }
        _ => a == b,
    }
}

async fn create(
    shared: &Shared,
    service_type: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().to_owned();
    let Ok(bytes) = read_body(body).await else {
        return problem(
            shared,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "body over 1 MiB",
            &path,
            None,
        );
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return problem(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            "Content-Type must be application/json",
            &path,
            None,
        );
    }
    let Ok(doc) = serde_json::from_slice::<Value>(&bytes) else {
        return problem(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            "body is not valid JSON",
            &path,
            None,
        );
    };
    let q = query(uri);
    let wrapped =
        doc.get("spec").is_some_and(Value::is_object) && doc.get("service_type").is_none();
    let spec = if wrapped {
        doc["spec"].clone()
    } else if doc.get("service_type").is_some() && doc.is_object() {
        doc.clone()
    } else {
        let errors = json!([{"field": "spec", "reason": "must be a JSON object"}]);
        return problem(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            "spec is missing or not an object",
            &path,
            Some(errors),
        );
    };
    // The defect sits in the request parsing, before any validation.
    if shared.has(Defect::Internal500OnManyCpus)
        && spec
            .pointer("/vcpu/count")
            .and_then(Value::as_u64)
            .is_some_and(|n| n > 64)
    {
        return problem(
            shared,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred",
            &path,
            None,
        );
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let id = match (q.get("id").filter(|s| !s.is_empty()), key) {
        (Some(id), _) => id.clone(),
        (None, Some(k)) => uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("urn:dcm:idempotency-key:{k}").as_bytes(),
        )
        .to_string(),
        (None, None) => uuid::Uuid::new_v4().to_string(),
    };
    if !validate::id_ok(&id) {
        let errors = json!([{"field": "id", "reason": "invalid or reserved id"}]);
        return problem(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            "id is invalid or reserved",
            &path,
            Some(errors),
        );
    }
    let findings = validate::spec(&spec, service_type);
    if !findings.is_empty() {
        let detail = findings
            .iter()
            .map(|(f, r)| format!("{f} {r}"))
            .collect::<Vec<_>>()
            .join("; ");
        let errors = Value::Array(
            findings
                .iter()
                .map(|(f, r)| json!({"field": f, "reason": r}))
                .collect(),
        );
        return problem(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid-argument",
            &detail,
            &path,
            Some(errors),
        );
    }
    let mut spec = spec;
    if shared.has(Defect::DropsUnknownMembers)
        && let Some(members) = spec.as_object_mut()
    {
        const KNOWN: &[&str] = &[
            "service_type",
            "metadata",
            "provider_hints",
            "vcpu",
            "memory",
            "storage",
            "guest_os",
            "access",
            "version",
            "nodes",
        ];
        members.retain(|k, _| KNOWN.contains(&k.as_str()));
    }
    let base = spec
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map_or_else(|| id.to_ascii_lowercase(), str::to_owned);
    let backend_name = format!("{PREFIX}{}", base.replace(['.', '_'], "-"));
    if let Some(reason) = validate::semantic(&spec) {
        return problem(
            shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable-entity",
            &reason,
            &path,
            None,
        );
    }
    let initial = if service_type == "vm" {
        "PROVISIONING"
    } else {
        "PROGRESSING"
    };
    let record = Record {
        id: id.clone(),
        service_type: service_type.into(),
        spec: spec.clone(),
        status: initial.into(),
        status_message: format!("creating {backend_name}"),
        create_time: now(),
        update_time: now(),
        backend_name: backend_name.clone(),
        created: Instant::now(),
        created_ns: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
        seen_running: false,
        creating: true,
        previous: None,
        unknown_since: None,
        pending: None,
        published: None,
    };
    {
        let mut store = shared.lock();
        if let Some(r) = store.records.get(&id) {
            if r.status == "DELETING" {
                return problem(
                    shared,
                    StatusCode::CONFLICT,
                    "already-exists",
                    "the id is being deleted",
                    &path,
                    None,
                );
            }
            if r.service_type == service_type
                && equal_spec(
                    &r.spec,
                    &spec,
                    shared.has(Defect::ReplayComparesNumberForms),
                )
                && shared.has(Defect::ReplayRecreates)
            {
                let mut fresh = record.clone();
                fresh.backend_name.clone_from(&r.backend_name);
                fresh.creating = false;
                store.records.insert(id.clone(), fresh.clone());
                return json_response(StatusCode::CREATED, &view(&fresh, true));
            }
            if r.service_type == service_type
                && equal_spec(
                    &r.spec,
                    &spec,
                    shared.has(Defect::ReplayComparesNumberForms),
                )
                && !shared.has(Defect::ConflictOnReplay)
            {
                return json_response(StatusCode::OK, &view(r, true));
            }
            return problem(
                shared,
                StatusCode::CONFLICT,
                "already-exists",
                "the id exists with another spec",
                &path,
                None,
            );
        }
        if store
            .records
            .values()
            .any(|r| r.backend_name == backend_name)
        {
            return problem(
                shared,
                StatusCode::CONFLICT,
                "already-exists",
                "the backend name is taken",
                &path,
                None,
            );
        }
        // Check and insert under one lock: at most one create per id (API-034).
        store.records.insert(id.clone(), record);
    }
    let task = {
        let shared = shared.clone();
        let (name, st, id) = (backend_name.clone(), service_type.to_owned(), id.clone());
        tokio::spawn(async move {
            let result = shared.backend.create(&name, &st).await;
            finish_create(&shared, &id, result).await
        })
    };
    match tokio::time::timeout(SYNC_WAIT, task).await {
        Ok(Ok(Err(e))) => {
            let (code, slug, detail) = match e {
                BackendError::Refused(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unprocessable-entity",
                    "the backend refused the create",
                ),
                BackendError::Down | BackendError::Cut => (
                    StatusCode::BAD_GATEWAY,
                    "backend-unavailable",
                    "the backend is unreachable",
                ),
                BackendError::Timeout => (
                    StatusCode::GATEWAY_TIMEOUT,
                    "backend-timeout",
                    "the backend did not answer in time",
                ),
            };
            problem(shared, code, slug, detail, &path, None)
        }
        _ => {
            let mut store = shared.lock();
            let mut r = match store.records.get(&id) {
                Some(r) => r.clone(),
                None => {
                    return problem(
                        shared,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "an internal error occurred",
                        &path,
                        None,
                    );
                }
            };
            if r.published.is_none() {
                let (st, msg) = (r.status.clone(), r.status_message.clone());
                enqueue(shared, &mut store, &mut r, &st, &msg);
                store.records.insert(id, r.clone());
            }
            json_response(StatusCode::CREATED, &view(&r, true))
        }
    }
}

/// Completes a create: a synchronous failure removes the record (API-015);
/// a late failure keeps it as FAILED (API-016); a delete that arrived
/// meanwhile deletes the new backend object (API-064).
async fn finish_create(
    shared: &Shared,
    id: &str,
    result: Result<(), BackendError>,
) -> Result<(), BackendError> {
    // API-018: a cut call has an unknown outcome; the record stays and the
    // monitor finds the object (or its absence).
    let result = match result {
        Err(BackendError::Cut) if !shared.has(Defect::CutCreateFails) => Ok(()),
        other => other,
    };
    let (deleting, created, name) = {
        let store = shared.lock();
        let Some(r) = store.records.get(id) else {
            return result;
        };
        (r.status == "DELETING", r.created, r.backend_name.clone())
    };
    match &result {
        Err(_) if created.elapsed() < SYNC_WAIT => {
            shared.lock().records.remove(id);
        }
        Err(_) => {
            let mut store = shared.lock();
            if let Some(mut r) = store.records.remove(id) {
                r.creating = false;
                if deleting {
                    set_status(shared, &mut store, &mut r, "DELETED", "deleted");
                } else {
                    let failed = if shared.has(Defect::ErrorInsteadOfFailed) {
                        "ERROR"
                    } else {
                        "FAILED"
                    };
                    set_status(
                        shared,
                        &mut store,
                        &mut r,
                        failed,
                        "the backend create failed",
                    );
                    store.records.insert(id.into(), r);
                }
            }
        }
        Ok(()) => {
            if let Some(r) = shared.lock().records.get_mut(id) {
                r.creating = false;
            }
            if deleting && shared.backend.delete(&name).await.is_ok() {
                let mut store = shared.lock();
                if let Some(mut r) = store.records.remove(id) {
                    set_status(shared, &mut store, &mut r, "DELETED", "deleted");
                }
            }
        }
    }
    result
}

async fn delete(shared: &Shared, service_type: &str, id: &str, path: &str) -> Response {
    let name = {
        let mut store = shared.lock();
        let Some(r) = store
            .records
            .get_mut(id)
            .filter(|r| r.service_type == service_type && r.status != "DELETED")
        else {
            return problem(
                shared,
                StatusCode::NOT_FOUND,
                "not-found",
                "unknown id",
                path,
                None,
            );
        };
        if r.status == "DELETING" {
            return StatusCode::NO_CONTENT.into_response();
        }
        let mut r = r.clone();
        r.previous = Some(r.status.clone());
        let msg = format!("deleting {}", r.backend_name);
        set_status(shared, &mut store, &mut r, "DELETING", &msg);
        let creating = r.creating;
        store.records.insert(id.into(), r.clone());
        if creating { None } else { Some(r.backend_name) }
    };
    let Some(name) = name else {
        // The background create deletes the object once it exists (API-064).
        return problem(
            shared,
            StatusCode::GATEWAY_TIMEOUT,
            "backend-timeout",
            "the create is still running; the delete continues",
            path,
            None,
        );
    };
    let shared2 = shared.clone();
    let id2 = id.to_owned();
    let background = shared.has(Defect::DeleteInBackground);
    let work = tokio::spawn(async move {
        if background {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let result = shared2.backend.delete(&name).await;
        let mut store = shared2.lock();
        let Some(mut r) = store.records.remove(&id2) else {
            return result;
        };
        match &result {
            Ok(_) => {
                set_status(&shared2, &mut store, &mut r, "DELETED", "deleted");
                if shared2.has(Defect::KeepsDeletedRecords) {
                    store.records.insert(id2.clone(), r);
                }
            }
            // TMO-002: a cut delete stays DELETING; the monitor finds the
            // object gone.
            Err(BackendError::Cut) => {
                store.records.insert(id2.clone(), r);
            }
            Err(_) => {
                let prev = r.previous.take().unwrap_or_else(|| "RUNNING".into());
                set_status(
                    &shared2,
                    &mut store,
                    &mut r,
                    &prev,
                    "the backend delete failed",
                );
                store.records.insert(id2.clone(), r);
            }
        }
        result
    });
    if background {
        return StatusCode::NO_CONTENT.into_response();
    }
    match work.await {
        Ok(Ok(_)) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(BackendError::Timeout)) => problem(
            shared,
            StatusCode::GATEWAY_TIMEOUT,
            "backend-timeout",
            "the backend did not answer in time",
            path,
            None,
        ),
        Ok(Err(_)) | Err(_) => problem(
            shared,
            StatusCode::BAD_GATEWAY,
            "backend-unavailable",
            "the backend delete failed",
            path,
            None,
        ),
    }
}

fn map_state(shared: &Shared, r: &Record, state: &str) -> Option<(String, String)> {
    let failed = if shared.has(Defect::ErrorInsteadOfFailed) {
        "ERROR"
    } else {
        "FAILED"
    };
    let s = |a: &str, b: String| Some((a.to_owned(), b));
    if r.service_type == "vm" {
        match state {
            "up" => s("RUNNING", "vm is running".into()),
            "pending" => s("PROVISIONING", "vm is being created".into()),
            "down" if r.seen_running || r.created.elapsed() > Duration::from_secs(600) => {
                s("STOPPED", "vm is powered off".into())
            }
            "down" => s("PROVISIONING", "vm is starting".into()),
            "crashed" => s(failed, "vm crashed".into()),
            _ => None,
        }
    } else {
        match state {
            "ready" => s("ACTIVE", "cluster is active".into()),
            "progressing" | "stuck"
                if r.created.elapsed() > CLUSTER_CREATE_TIMEOUT && r.status != "ACTIVE" =>
            {
                s(
                    failed,
                    "no kubeconfig after 3s (cluster create timeout)".into(),
                )
            }
            "progressing" | "stuck" => s("PROGRESSING", "cluster is being built".into()),
            _ => None,
        }
    }
}

async fn monitor(shared: Shared) {
    let mut first = true;
    let mut last_resync = Instant::now();
    loop {
        tokio::time::sleep(POLL).await;
        let objects = shared.backend.list().await;
        let mut store = shared.lock();
        let ids: Vec<String> = store.records.keys().cloned().collect();
        for id in ids {
            let Some(mut r) = store.records.get(&id).cloned() else {
                continue;
            };
            if r.status == "DELETED" {
                continue;
            }
            if let Ok(objects) = &objects
                && !r.creating
            {
                match objects.get(&r.backend_name) {
                    None if r.status == "DELETING"
                        || r.created.elapsed() > Duration::from_millis(500) =>
                    {
                        store.records.remove(&id);
                        set_status(
                            &shared,
                            &mut store,
                            &mut r,
                            "DELETED",
                            "the backend resource disappeared",
                        );
                        continue;
                    }
                    None => {}
                    Some(_) if r.status == "DELETING" => {}
                    Some(o) => match map_state(&shared, &r, &o.state) {
                        Some((status, msg)) => {
                            r.seen_running |= status == "RUNNING";
                            r.unknown_since = None;
                            if !(r.status == "FAILED" || r.status == "ERROR")
                                || status != "PROVISIONING"
                            {
                                set_status(&shared, &mut store, &mut r, &status, &msg);
                            }
                        }
                        None => {
                            let since = *r.unknown_since.get_or_insert_with(Instant::now);
                            let msg = format!(
                                "backend state `{}` is not mappable; keeping {}",
                                o.state, r.status
                            );
                            if since.elapsed() > UNKNOWN_STATE_TIMEOUT {
                                set_status(&shared, &mut store, &mut r, "FAILED", &msg);
                            } else {
                                let st = r.status.clone();
                                set_status(&shared, &mut store, &mut r, &st, &msg);
                            }
                        }
                    },
                }
            }
            if let Some((status, msg, at)) = r.pending.clone()
                && at.elapsed() >= DEBOUNCE
            {
                r.pending = None;
                enqueue(&shared, &mut store, &mut r, &status, &msg);
            }
            if (first && objects.is_ok()) || last_resync.elapsed() >= RESYNC {
                let (st, msg) = (r.status.clone(), r.status_message.clone());
                enqueue(&shared, &mut store, &mut r, &st, &msg);
            }
            store.records.insert(id, r);
        }
        if last_resync.elapsed() >= RESYNC {
            last_resync = Instant::now();
        }
        if objects.is_ok() {
            first = false;
        }
    }
}

async fn prober(shared: Shared) {
    let mut failures = 0;
    loop {
        let ok = tokio::time::timeout(Duration::from_millis(200), shared.backend.probe())
            .await
            .is_ok_and(|r| r.is_ok());
        failures = if ok { 0 } else { failures + 1 };
        shared.healthy.store(
            ok || (failures < 2 && shared.healthy.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn relay(shared: Shared, nats_url: String) {
    let Ok(client) = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(&nats_url)
        .await
    else {
        return;
    };
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let batch: Vec<(String, String)> = shared.lock().outbox.clone();
        let mut sent = 0;
        for (subject, payload) in &batch {
            if client
                .publish(subject.clone(), payload.clone().into())
                .await
                .is_err()
            {
                break;
            }
            if !matches!(
                tokio::time::timeout(Duration::from_millis(500), client.flush()).await,
                Ok(Ok(()))
            ) {
                break;
            }
            sent += 1;
        }
        if sent > 0 {
            shared.lock().outbox.drain(..sent);
        }
    }
}

async fn registrar(
    shared: Shared,
    base: String,
    service_type: String,
    endpoint: String,
    id: String,
) {
    let name = shared.names.get(&service_type).cloned().unwrap_or_default();
    let body = json!({"name": name, "service_type": service_type, "schema_version": "v1alpha1", "endpoint": endpoint,
        "display_name": format!("fixture {service_type}"), "operations": ["CREATE", "DELETE", "READ"],
        "metadata": {"backend": "memory"}});
    let client = reqwest::Client::new();
    let fixed_url = format!("{base}/providers?id={id}");
    loop {
        let mut delay = Duration::from_millis(100);
        loop {
            let url = if shared.has(Defect::NewIdPerAttempt) {
                format!("{base}/providers?id={}", uuid::Uuid::new_v4())
            } else {
                fixed_url.clone()
            };
            let resp = client
                .post(&url)
                .json(&body)
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            match resp.map(|r| r.status().as_u16()) {
                Ok(200 | 201) => break,
                Ok(code) if (400..500).contains(&code) => {
                    eprintln!("fixture: registration of {name} rejected with {code}; not retrying");
                    break;
                }
                _ if shared.has(Defect::RegisterOnce) => return,
                _ => {
                    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0])
                        * delay.as_millis() as u64
                        / 255;
                    tokio::time::sleep(Duration::from_millis(jitter.max(20))).await;
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
            }
        }
        if shared.has(Defect::RegisterOnce) {
            return;
        }
        tokio::time::sleep(REREGISTER).await;
    }
}

struct Running {
    tasks: Vec<JoinHandle<()>>,
    shared: Shared,
    ids: BTreeMap<String, String>,
}

/// A fixture SP under test.
pub(crate) struct FixtureSp {
    env: LaunchEnv,
    defects: Arc<BTreeSet<Defect>>,
    services: Arc<Vec<String>>,
    store: Arc<Mutex<Store>>,
    backend: Backend,
    addr: SocketAddr,
    running: tokio::sync::Mutex<Option<Running>>,
}

impl FixtureSp {
    async fn start(&self) -> anyhow::Result<Running> {
        let names: BTreeMap<String, String> = self
            .services
            .iter()
            .map(|s| (s.clone(), format!("fixture-{s}")))
            .collect();
        let shared = Shared {
            store: self.store.clone(),
            backend: self.backend.clone(),
            defects: self.defects.clone(),
            services: self.services.clone(),
            started: Instant::now(),
            healthy: Arc::new(AtomicBool::new(false)),
            shutting_down: Arc::new(AtomicBool::new(false)),
            names: Arc::new(names.clone()),
        };
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let s = shared.clone();
        let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Body| {
            let s = s.clone();
            async move { route(s, m, u, h, b).await }
        });
        let mut tasks = vec![tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })];
        tasks.push(tokio::spawn(monitor(shared.clone())));
        tasks.push(tokio::spawn(prober(shared.clone())));
        tasks.push(tokio::spawn(relay(
            shared.clone(),
            self.env.nats_url.clone(),
        )));
        let mut ids = BTreeMap::new();
        for st in self.services.iter() {
            let name = &names[st];
            let id = if self.defects.contains(&Defect::RandomRegistrationId) {
                uuid::Uuid::new_v4().to_string()
            } else {
                uuid::Uuid::new_v5(
                    &uuid::Uuid::NAMESPACE_URL,
                    format!("urn:dcm:provider:{name}").as_bytes(),
                )
                .to_string()
            };
            let endpoint = format!("http://{}/api/v1alpha1/{}", self.addr, plural(st));
            ids.insert(st.clone(), id.clone());
            tasks.push(tokio::spawn(registrar(
                shared.clone(),
                self.env.dcm_base_url.clone(),
                st.clone(),
                endpoint,
                id,
            )));
        }
        Ok(Running { tasks, shared, ids })
    }

    async fn stop(&self) {
        if let Some(run) = self.running.lock().await.take() {
            run.shared.shutting_down.store(true, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(150)).await;
            let client = reqwest::Client::new();
            for id in run.ids.values() {
                let _ = client
                    .delete(format!("{}/providers/{id}", self.env.dcm_base_url))
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await;
            }
            for t in run.tasks {
                t.abort();
                let _ = t.await;
            }
        }
    }
}

impl SpUnderTest for FixtureSp {
    fn identity(&self) -> TargetIdentity {
        TargetIdentity {
            kind: "fixture".into(),
            product: format!("fixture-sp {:?}", self.defects.iter().collect::<Vec<_>>()),
            version: "0.0.1".into(),
            services: BTreeMap::new(),
        }
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        [
            Capability::BackendControl,
            Capability::Restart,
            Capability::Clusters,
        ]
        .into_iter()
        .collect()
    }

    fn service_types(&self) -> Vec<String> {
        self.services.to_vec()
    }

    fn declared(&self) -> Declared {
        Declared {
            poll: POLL,
            debounce: DEBOUNCE,
            cluster_create_timeout: CLUSTER_CREATE_TIMEOUT,
        }
    }

    fn timeout_overrides(&self) -> Vec<(String, String)> {
        [
            ("create_response", "5s"),
            ("http_response", "5s"),
            ("redelivery_after_nats_recovery", "10s"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    fn backend(&self, action: BackendAction) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let b = &self.backend;
            let name_of = |id: &str| -> Option<String> {
                self.store
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .records
                    .get(id)
                    .map(|r| r.backend_name.clone())
            };
            match action {
                BackendAction::Down => b.set_up(false),
                BackendAction::Up => b.set_up(true),
                BackendAction::Hang(d) => b.set_hang(Some(d)),
                BackendAction::HangScoped { scope, duration } => b.set_slow(&scope, Some(duration)),
                BackendAction::HangDelete { id, duration, .. } => b.hang_delete(
                    &name_of(&id).ok_or_else(|| anyhow::anyhow!("unknown id {id}"))?,
                    duration,
                ),
                BackendAction::Release { scope } => {
                    b.set_hang(None);
                    b.release_deletes();
                    b.set_slow(&scope, None);
                }
                BackendAction::RejectCreates { scope } => b.set_reject_creates(&scope, true),
                BackendAction::AcceptCreates { scope } => {
                    b.set_reject_creates(&scope, false);
                    b.set_cut_next_create(&scope, false);
                }
                BackendAction::CutNextCreate { scope, .. } => b.set_cut_next_create(&scope, true),
                BackendAction::FailDeletes { scope } => b.set_fail_deletes(&scope, true),
                BackendAction::AcceptDeletes { scope } => {
                    b.set_fail_deletes(&scope, false);
                    b.release_cut_deletes();
                }
                BackendAction::CutDelete { id, .. } => {
                    b.cut_delete(&name_of(&id).ok_or_else(|| anyhow::anyhow!("unknown id {id}"))?)
                }
                BackendAction::Remove { id, .. } => {
                    b.remove(&name_of(&id).ok_or_else(|| anyhow::anyhow!("unknown id {id}"))?)
                }
                BackendAction::SetRawState { id, state, .. } => {
                    b.set_state(
                        &name_of(&id).ok_or_else(|| anyhow::anyhow!("unknown id {id}"))?,
                        &state,
                    );
                }
                BackendAction::InjectOrphan { service_type, name } => {
                    b.inject(&format!("{PREFIX}{name}"), &service_type)
                }
                BackendAction::RemoveOrphan { name, .. } => b.remove(&format!("{PREFIX}{name}")),
            }
            Ok(())
        })
    }

    fn backend_holds(&self, _service_type: &str, id: &str) -> BoxFuture<'_, anyhow::Result<bool>> {
        let base = id.to_ascii_lowercase().replace(['.', '_'], "-");
        let name = format!("{PREFIX}{base}");
        Box::pin(async move { Ok(self.backend.holds(&name)) })
    }

    fn facts(&self) -> BTreeMap<String, String> {
        [
            ("name-prefix", "FIXTURE_PREFIX (fx-)".to_owned()),
            (
                "resync-interval",
                humantime::format_duration(RESYNC).to_string(),
            ),
            ("hint-namespace", "kcli".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn halt(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.stop().await;
            Ok(())
        })
    }

    fn resume(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let run = self.start().await?;
            *self.running.lock().await = Some(run);
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.stop())
    }
}

/// Launches a fixture SP with `defects`.
#[derive(Debug, Clone)]
pub(crate) struct FixtureLauncher {
    /// The violations to commit.
    pub(crate) defects: Vec<Defect>,
    /// Serve clusters as well as VMs.
    pub(crate) clusters: bool,
}

impl Launcher for FixtureLauncher {
    fn launch(&self, env: LaunchEnv) -> BoxFuture<'static, anyhow::Result<Box<dyn SpUnderTest>>> {
        let cfg = self.clone();
        Box::pin(async move {
            let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            let mut services = vec!["vm".to_owned()];
            if cfg.clusters {
                services.push("cluster".into());
            }
            let sp = FixtureSp {
                env,
                defects: Arc::new(cfg.defects.into_iter().collect()),
                services: Arc::new(services),
                store: Arc::default(),
                backend: Backend::default(),
                addr,
                running: tokio::sync::Mutex::new(None),
            };
            let run = sp.start().await?;
            *sp.running.lock().await = Some(run);
            Ok(Box::new(sp) as Box<dyn SpUnderTest>)
        })
    }
}
