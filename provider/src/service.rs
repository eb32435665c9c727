//! Resource operations behind the HTTP handlers: create, get, list, delete.
//!
//! Create: schema (400) → idempotency (replay 200 / 409) → resolution (422)
//! → intent + record in one transaction → kweb call in a task → commit +
//! event. The handler waits at most `CREATE_SYNC_TIMEOUT`; after that it
//! answers 201 and the task finishes in the background (API-014, API-017).
//! Delete: kweb first, then the store (API-060 to API-065).

use std::sync::Arc;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::app::{App, KUBECONFIG_TTL};
use crate::clock::rfc3339;
use crate::error::{ApiError, FieldError, Slug};
use crate::kweb::KwebError;
use crate::spec::{self, json_equal};
use crate::status::{cluster, vm};
use crate::store::{Admission, Intent, Kind, Record};

/// Ids that are literal path segments under `{endpoint}/` (API-012).
pub const RESERVED_IDS: &[&str] = &["health"];

/// Backend name length limits (KCLI-003).
#[must_use]
pub const fn name_limit(kind: Kind) -> usize {
    match kind {
        Kind::Vm => 63,
        Kind::Cluster => 50,
    }
}

/// The resource representation (API-003).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resource {
    /// Instance id.
    pub id: String,
    /// `{plural}/{id}`.
    pub path: String,
    /// Status from the profile vocabulary (API-005).
    pub status: String,
    /// Explanation of the status.
    pub status_message: String,
    /// The spec exactly as accepted (API-004).
    #[schema(value_type = Object)]
    pub spec: Value,
    /// RFC 3339 UTC.
    pub create_time: String,
    /// RFC 3339 UTC.
    pub update_time: String,
    /// VM IP address, when known (KCLI-017).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// VM login user, when known (KCLI-017).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_user: Option<String>,
    /// Cluster API endpoint, only while `ACTIVE` (KCLI-024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_endpoint: Option<String>,
    /// Base64 kubeconfig, only in GET of an `ACTIVE` cluster (SEC-003).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
}

/// A list page (API-050).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResourceList {
    /// Items, newest first.
    pub results: Vec<Resource>,
    /// Opaque keyset token; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

impl Resource {
    /// Representation of a stored record (no credentials).
    #[must_use]
    pub fn from_record(record: &Record) -> Self {
        Self {
            id: record.id.clone(),
            path: format!("{}/{}", record.kind.plural(), record.id),
            status: record.status.clone(),
            status_message: record.status_message.clone(),
            spec: record.spec.clone(),
            create_time: rfc3339(record.create_ms),
            update_time: rfc3339(record.update_ms),
            ip: record.ip.clone(),
            ssh_user: record.ssh_user.clone(),
            api_endpoint: None,
            kubeconfig: None,
        }
    }
}

/// Whether `id` is acceptable (API-012).
#[must_use]
pub fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    !b.is_empty()
        && b.len() <= 253
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(inner)
        && !RESERVED_IDS.contains(&id)
}

/// Outcome of a create.
#[derive(Debug)]
pub enum Created {
    /// A new resource (201).
    New(Resource),
    /// A replay (200, API-030).
    Replay(Resource),
}

pub(crate) fn initial_status(kind: Kind) -> &'static str {
    match kind {
        Kind::Vm => vm::PROVISIONING,
        Kind::Cluster => cluster::PROGRESSING,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

/// Creates a resource (API-010 to API-034). `spec` is already known to be an object.
///
/// # Errors
/// 400 for schema violations, 409 for conflicts, 422 for unsupported
/// values, and the mapped kweb problem when kweb refuses within the wait.
pub async fn create(
    app: &Arc<App>,
    kind: Kind,
    id: String,
    spec: Map<String, Value>,
) -> Result<Created, ApiError> {
    let checked = match kind {
        Kind::Vm => spec::vm::validate(&spec),
        Kind::Cluster => spec::cluster::validate(&spec),
    };
    checked.map_err(ApiError::validation)?;
    let spec_value = Value::Object(spec.clone());
    // VAL-015: idempotency is decided before semantic support.
    if let Some(existing) = app.store.get(&id)?
        && existing.kind == kind
        && existing.status != "DELETING"
        && json_equal(&existing.spec, &spec_value)
    {
        return Ok(Created::Replay(Resource::from_record(&existing)));
    }
    let base = spec
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or(&id);
    let name = spec::kcli_name(&app.settings.raw.name_prefix, base, name_limit(kind));
    let (body, notes) = match kind {
        Kind::Vm => spec::vm::resolve(
            &spec,
            &id,
            &name,
            &app.catalog(),
            &app.settings.raw.default_profile,
            &app.hint_rules,
        )?,
        Kind::Cluster => spec::cluster::resolve(
            &spec,
            &name,
            &app.settings.raw.default_cluster_type,
            &app.hint_rules,
        )?,
    };
    let mut message = format!("creating {name}");
    for note in &notes {
        message.push_str("; ");
        message.push_str(note);
    }
    let record = Record::new(
        id.clone(),
        kind,
        name.clone(),
        spec_value,
        initial_status(kind),
        message,
        &app.clock,
    );
    let intent = Intent {
        id: id.clone(),
        kind,
        name: name.clone(),
        created_ms: record.create_ms,
    };
    let store = app.store.clone();
    let admitted = {
        let record = record.clone();
        blocking(move || store.admit(&record, &intent)).await??
    };
    match admitted {
        Admission::Replay(existing) => {
            return Ok(Created::Replay(Resource::from_record(&existing)));
        }
        Admission::Conflict(reason) => return Err(ApiError::new(Slug::AlreadyExists, reason)),
        Admission::Admitted => {}
    }
    if let Ok(mut creating) = app.creating.lock() {
        creating.insert(id.clone());
    }
    let (tx, rx) = oneshot::channel();
    let task_app = Arc::clone(app);
    let task_record = record.clone();
    app.background.spawn(async move {
        let result = match kind {
            Kind::Vm => task_app.kweb.create_vm(&body, None).await,
            Kind::Cluster => task_app.kweb.create_kube(&body, None).await,
        };
        if let Err(result) = tx.send(result) {
            finish_background(&task_app, &task_record, result).await;
        }
    });
    let mut rx = rx;
    let wait = tokio::time::timeout(app.settings.raw.create_sync_timeout, &mut rx).await;
    match wait {
        Ok(Ok(Ok(()))) => {
            let committed = commit_created(app, &record).await?;
            Ok(Created::New(Resource::from_record(&committed)))
        }
        Ok(Ok(Err(KwebError::Timeout { .. }))) if kind == Kind::Vm => {
            // TMO-004: kweb may still create it; the monitor decides.
            forget_creating(app, &id);
            Ok(Created::New(Resource::from_record(&record)))
        }
        Ok(Ok(Err(err))) => {
            // API-015: refused within the wait → no record, no event.
            let store = app.store.clone();
            let rid = id.clone();
            blocking(move || store.remove(&rid, None)).await??;
            forget_creating(app, &id);
            Err(err.into())
        }
        Ok(Err(_)) => Err(ApiError::internal("create task ended without a result")),
        Err(_) => {
            // Past the synchronous wait: a result that raced the timeout is
            // finished in the background like any later one.
            rx.close();
            if let Ok(result) = rx.try_recv() {
                let task_app = Arc::clone(app);
                let record = record.clone();
                app.background
                    .spawn(async move { finish_background(&task_app, &record, result).await });
            }
            Ok(Created::New(Resource::from_record(&record)))
        }
    }
}

fn forget_creating(app: &App, id: &str) {
    if let Ok(mut creating) = app.creating.lock() {
        creating.remove(id);
    }
}

/// kweb accepted the create: clear the intent, publish the first status
/// (EVT-020), record the DCM id on the VM (KCLI-005), and honour a delete
/// that arrived meanwhile (API-064).
async fn commit_created(app: &Arc<App>, record: &Record) -> Result<Record, ApiError> {
    let store = app.store.clone();
    let id = record.id.clone();
    let event = app.event(
        record.kind,
        &record.id,
        initial_status(record.kind),
        &format!("created {}", record.name),
        None,
    );
    let now = app.clock.now_ms();
    let name = record.name.clone();
    let updated = blocking(move || {
        store.update(&id, true, |r| {
            if r.status == "DELETING" {
                return None;
            }
            r.status_message = format!("created {name}, waiting for it to come up");
            r.update_ms = now;
            Some(event)
        })
    })
    .await??;
    forget_creating(app, &record.id);
    app.outbox_changed();
    let updated = updated.unwrap_or_else(|| record.clone());
    if record.kind == Kind::Vm && updated.status != "DELETING" {
        // KCLI-005, off the answer's path; `owner` already carries the id.
        let task_app = Arc::clone(app);
        let (id, name) = (record.id.clone(), record.name.clone());
        app.background.spawn(async move {
            let body = serde_json::json!({"dcm_id": id});
            if let Err(err) = task_app.kweb.update_vm(&name, &body).await {
                tracing::warn!(%id, %name, error = %err, "could not record dcm_id on the VM");
            }
        });
    }
    if updated.status == "DELETING" {
        let task_app = Arc::clone(app);
        let record = updated.clone();
        app.background.spawn(async move {
            if let Err(err) = finish_delete(&task_app, &record, None).await {
                tracing::warn!(id = %record.id, error = ?err, "delete after create failed; the monitor retries it");
            }
        });
    }
    Ok(updated)
}

/// The create finished after the handler answered (API-014, API-016, TMO-004).
async fn finish_background(app: &Arc<App>, record: &Record, result: Result<(), KwebError>) {
    match result {
        Ok(()) => {
            if let Err(err) = commit_created(app, record).await {
                tracing::error!(id = %record.id, error = ?err, "could not commit a background create");
            }
        }
        Err(KwebError::Timeout { .. }) if record.kind == Kind::Vm => {
            forget_creating(app, &record.id);
            tracing::warn!(id = %record.id, "kweb create timed out; the monitor decides after CREATE_GRACE_PERIOD");
        }
        Err(_)
            if app
                .store
                .get(&record.id)
                .ok()
                .flatten()
                .is_some_and(|r| r.status == "DELETING") =>
        {
            // API-064: deleted while the create ran, and nothing was created.
            let _ = remove_deleted(app, &record.id, &format!("{} deleted", record.name)).await;
        }
        Err(err) => {
            forget_creating(app, &record.id);
            let message = format!("creation failed: {err}");
            let event = app.event(record.kind, &record.id, "FAILED", &message, None);
            let now = app.clock.now_ms();
            let store = app.store.clone();
            let id = record.id.clone();
            let result = blocking(move || {
                store.update(&id, true, |r| {
                    r.status = "FAILED".into();
                    r.status_message = message;
                    r.update_ms = now;
                    Some(event)
                })
            })
            .await;
            if !matches!(result, Ok(Ok(_))) {
                tracing::error!(id = %record.id, "could not record a failed background create");
            }
            app.outbox_changed();
        }
    }
}

/// One resource (API-040). Clusters that are `ACTIVE` get `api_endpoint`
/// and `kubeconfig` (KCLI-024, SEC-003).
///
/// # Errors
/// 404 when the id is unknown to this endpoint.
pub async fn get(
    app: &Arc<App>,
    kind: Kind,
    id: &str,
    deadline: Instant,
) -> Result<Resource, ApiError> {
    let record = app
        .store
        .get(id)?
        .filter(|r| r.kind == kind)
        .ok_or_else(|| not_found(kind, id))?;
    let mut resource = Resource::from_record(&record);
    if kind == Kind::Cluster
        && record.status == cluster::ACTIVE
        && let Some(text) = cached_kubeconfig(app, &record, deadline).await
        && let Some((reduced, server)) = crate::kubeconfig::reduce(&text)
    {
        resource.api_endpoint = Some(server);
        resource.kubeconfig = Some(base64::engine::general_purpose::STANDARD.encode(reduced));
    }
    Ok(resource)
}

async fn cached_kubeconfig(app: &App, record: &Record, deadline: Instant) -> Option<String> {
    if let Some((text, at)) = app.kubeconfigs.lock().ok()?.get(&record.id).cloned()
        && at.elapsed() < KUBECONFIG_TTL
    {
        return Some(text);
    }
    match app.kweb.kubeconfig(&record.name, Some(deadline)).await {
        Ok(Some(text)) => {
            if let Ok(mut cache) = app.kubeconfigs.lock() {
                cache.insert(record.id.clone(), (text.clone(), Instant::now()));
            }
            Some(text)
        }
        Ok(None) | Err(_) => None,
    }
}

fn not_found(kind: Kind, id: &str) -> ApiError {
    ApiError::not_found(format!("{} {id} not found", kind.service_type()))
}

fn token_mac(key: &[u8], position: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(position.as_bytes());
    hasher
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Encodes a keyset position as an opaque, authenticated token (API-053).
#[must_use]
pub fn encode_token(key: &[u8], position: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position);
    format!("{b64}.{}", token_mac(key, position))
}

fn decode_token(key: &[u8], kind: Kind, token: &str) -> Option<String> {
    let (b64, mac) = token.split_once('.')?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    let position = String::from_utf8(raw).ok()?;
    let expected = token_mac(key, &position);
    let equal: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()).into();
    (equal && crate::store::Store::is_order_key(kind, &position)).then_some(position)
}

/// One list page (API-050 to API-054).
///
/// # Errors
/// 400 for a bad `max_page_size` or `page_token`.
pub fn list(
    app: &App,
    kind: Kind,
    max_page_size: Option<&str>,
    page_token: Option<&str>,
) -> Result<ResourceList, ApiError> {
    let size = match max_page_size {
        None => 50,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::field(
                    "max_page_size",
                    "must be an integer from 1 to 100",
                ));
            }
        },
    };
    let key = app.store.token_key()?;
    let after = match page_token.filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => Some(decode_token(&key, kind, token).ok_or_else(|| {
            ApiError::field("page_token", "is malformed, tampered with or unknown")
        })?),
    };
    let (records, next) = app.store.page(kind, after.as_deref(), size)?;
    Ok(ResourceList {
        results: records.iter().map(Resource::from_record).collect(),
        next_page_token: next.map(|position| encode_token(&key, &position)),
    })
}

/// Deletes a resource (API-060 to API-065).
///
/// # Errors
/// 404 for an unknown id; the mapped kweb problem when kweb fails (the
/// status goes back); 504 when kweb does not answer in time (stays `DELETING`).
pub async fn delete(
    app: &Arc<App>,
    kind: Kind,
    id: &str,
    deadline: Instant,
) -> Result<(), ApiError> {
    let record = app
        .store
        .get(id)?
        .filter(|r| r.kind == kind)
        .ok_or_else(|| not_found(kind, id))?;
    if record.status == "DELETING" {
        return Ok(());
    }
    app.evict_kubeconfig(id);
    let store = app.store.clone();
    let rid = id.to_owned();
    let now = app.clock.now_ms();
    let marked = blocking(move || {
        store.update(&rid, false, |r| {
            r.previous_status = Some(r.status.clone());
            r.status = "DELETING".into();
            r.status_message = format!("deleting {}", r.name);
            r.update_ms = now;
            None
        })
    })
    .await??
    .ok_or_else(|| not_found(kind, id))?;
    let in_flight = app.creating.lock().map(|c| c.contains(id)).unwrap_or(false);
    if in_flight {
        // API-064: the create task deletes the backend resource once it exists.
        return Ok(());
    }
    finish_delete(app, &marked, Some(deadline)).await
}

/// Deletes in kweb, then removes the record and publishes `DELETED`.
async fn finish_delete(
    app: &Arc<App>,
    record: &Record,
    deadline: Option<Instant>,
) -> Result<(), ApiError> {
    let result = match record.kind {
        Kind::Vm => app.kweb.delete_vm(&record.name, deadline).await.map(drop),
        Kind::Cluster => app.kweb.delete_kube(&record.name, deadline).await,
    };
    match result {
        Ok(()) => {
            if record.kind == Kind::Cluster {
                remove_leftover_nodes(app, &record.name, deadline).await;
            }
            remove_deleted(app, &record.id, &format!("{} deleted", record.name)).await?;
            Ok(())
        }
        Err(err @ KwebError::Timeout { .. }) => {
            tracing::warn!(id = %record.id, "kweb delete timed out; the monitor re-checks");
            Err(err.into())
        }
        Err(err) => {
            let store = app.store.clone();
            let id = record.id.clone();
            let now = app.clock.now_ms();
            let reason = err.to_string();
            blocking(move || {
                store.update(&id, false, |r| {
                    r.status = r.previous_status.take().unwrap_or_else(|| r.status.clone());
                    r.status_message = format!("delete failed: {reason}");
                    r.update_ms = now;
                    None
                })
            })
            .await??;
            Err(err.into())
        }
    }
}

/// KCLI-027: kweb's `DELETE /kubes/{name}` answers success even when it
/// left node VMs behind; delete any that remain, one by one.
async fn remove_leftover_nodes(app: &App, cluster: &str, deadline: Option<Instant>) {
    let Ok(vms) = app.kweb.list_vms().await else {
        return;
    };
    for node in vms.iter().filter(|v| v.kube.as_deref() == Some(cluster)) {
        tracing::warn!(cluster, node = %node.name, "deleting a node VM left behind by DELETE /kubes");
        if let Err(err) = app.kweb.delete_vm(&node.name, deadline).await {
            tracing::warn!(cluster, node = %node.name, error = %err, "node VM delete failed; the next poll retries");
        }
    }
}

/// Removes a record and publishes `DELETED` in one transaction (EVT-022).
///
/// # Errors
/// 503 when the store fails.
pub async fn remove_deleted(app: &Arc<App>, id: &str, message: &str) -> Result<(), ApiError> {
    let Some(record) = app.store.get(id)? else {
        return Ok(());
    };
    let event = app.event(record.kind, id, "DELETED", message, None);
    let store = app.store.clone();
    let rid = id.to_owned();
    blocking(move || store.remove(&rid, Some(&event))).await??;
    app.evict_kubeconfig(id);
    forget_creating(app, id);
    app.outbox_changed();
    Ok(())
}

/// Field errors for a spec that is missing or not an object (VAL-003).
#[must_use]
pub fn spec_missing() -> ApiError {
    ApiError::validation(vec![FieldError {
        field: "spec".into(),
        reason: "is required and must be an object".into(),
    }])
}
