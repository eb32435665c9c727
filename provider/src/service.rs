//! Resource operations behind the HTTP handlers: create, get, list, delete.
//!
//! Create: schema (400) → idempotency (replay 200 / 409) → resolution (422)
//! → intent + record in one transaction → a kweb slot → intent marked
//! dispatched from inside the request (the body goes out only once the mark
//! is durable, so a crash before it leaves a pending intent kweb never saw)
//! → commit + event (ORP-009). The handler waits at most
//! `CREATE_SYNC_TIMEOUT`; after that it answers 201 and the task finishes in
//! the background (API-014, API-017). A call whose outcome is unknown keeps
//! the record for the monitor (API-018, TMO-004).
//! Delete: kweb first, then the store (API-060 to API-065).
//!
//! Every decision is made by [`crate::lifecycle`]; this module reads the
//! store and kweb and applies the decision with one store call.

use std::sync::Arc;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::app::App;
use crate::clock::rfc3339;
use crate::error::{ApiError, FieldError, Slug};
use crate::id::InstanceId;
use crate::kweb::KwebError;
use crate::kweb::client::Slot;
use crate::lifecycle::create::{Commit, commit};
use crate::lifecycle::delete::{DeleteStart, delete_failed, mark_deleting, start_delete};
use crate::lifecycle::{
    Admission, CreateFailure, Dispatch, IntentState, Origin, Status, create_failed,
};
use crate::spec::{self, json_equal};
use crate::store::{Intent, Kind, Record};

/// Backend name length limits (KCLI-003).
#[must_use]
pub(crate) const fn name_limit(kind: Kind) -> usize {
    match kind {
        Kind::Vm => 63,
        Kind::Cluster => 50,
    }
}

/// The resource representation (API-003).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct Resource {
    /// Instance id.
    pub(crate) id: String,
    /// `{plural}/{id}`.
    pub(crate) path: String,
    /// Status from the profile vocabulary (API-005).
    pub(crate) status: String,
    /// Explanation of the status.
    pub(crate) status_message: String,
    /// The spec exactly as accepted (API-004).
    #[schema(value_type = Object)]
    pub(crate) spec: Value,
    /// RFC 3339 UTC.
    pub(crate) create_time: String,
    /// RFC 3339 UTC.
    pub(crate) update_time: String,
    /// VM IP address, when known (KCLI-017).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ip: Option<String>,
    /// VM login user, when known (KCLI-017).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ssh_user: Option<String>,
    /// Cluster API endpoint, only while `ACTIVE` (KCLI-024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) api_endpoint: Option<String>,
    /// Base64 kubeconfig, only in GET of an `ACTIVE` cluster (SEC-003).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kubeconfig: Option<String>,
}

/// A list page (API-050).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ResourceList {
    /// Items, newest first.
    pub(crate) results: Vec<Resource>,
    /// Opaque keyset token; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_page_token: Option<String>,
}

impl Resource {
    /// Representation of a stored record (no credentials).
    #[must_use]
    pub(crate) fn from_record(record: &Record) -> Self {
        Self {
            id: record.id.clone(),
            path: format!("{}/{}", record.kind.plural(), record.id),
            status: record.status.as_str().to_owned(),
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

/// Outcome of a create.
#[derive(Debug)]
pub(crate) enum Created {
    /// A new resource (201).
    New(Resource),
    /// A replay (200, API-030).
    Replay(Resource),
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

/// What became of a create's kweb call.
#[derive(Debug)]
enum Sent {
    /// kweb was called; its answer.
    Answered(Result<(), KwebError>),
    /// Not sent, and the record already handled (cancelled by a delete,
    /// gone, or dispatched before).
    Nothing,
    /// Marking the intent dispatched failed: not sent (ORP-009).
    StoreFailed(ApiError),
}

/// The create of `id` no longer runs in this process; the monitor may
/// observe it from now on.
fn forget_creating(app: &App, id: &str) {
    app.in_flight.remove(id);
    // The monitor may observe the resource now (KCLI-030 transition cycles).
    app.transitions.notify_one();
}

/// Creates a resource (API-010 to API-034). `spec` is already known to be an object.
///
/// # Errors
/// 400 for schema violations, 409 for conflicts, 422 for unsupported
/// values, and the mapped kweb problem when kweb refuses within the wait.
pub(crate) async fn create(
    app: &Arc<App>,
    kind: Kind,
    id: InstanceId,
    spec: Map<String, Value>,
) -> Result<Created, ApiError> {
    let checked = match kind {
        Kind::Vm => spec::vm::validate(&spec),
        Kind::Cluster => spec::cluster::validate(&spec),
    };
    checked.map_err(ApiError::validation)?;
    let spec_value = Value::Object(spec.clone());
    let id = id.as_str().to_owned();
    // VAL-015: idempotency is decided before semantic support.
    if let Some(existing) = app.store.get(&id)?
        && existing.kind == kind
        && !existing.status.is_deleting()
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
        Origin::Created,
        message,
        &app.clock,
    );
    // ORP-009: the intent is written pending with the record; the kweb
    // call marks it dispatched just before its body goes out.
    let slot = app.kweb.try_slot();
    let intent = Intent {
        id: id.clone(),
        kind,
        name: name.clone(),
        created_ms: record.create_ms,
        state: IntentState::Pending,
        body: Some(body.clone()),
    };
    let store = app.store.clone();
    let admitted = {
        let record = record.clone();
        blocking(move || store.admit(&record, &intent)).await??
    };
    match admitted {
        Admission::Replay(existing) | Admission::SpecRecorded(existing) => {
            return Ok(Created::Replay(Resource::from_record(&existing)));
        }
        Admission::Conflict(reason) => return Err(ApiError::new(Slug::AlreadyExists, reason)),
        Admission::Admitted => {}
    }
    app.in_flight.insert(&id);
    let (tx, rx) = oneshot::channel();
    let task_app = Arc::clone(app);
    let task_record = record.clone();
    app.background.spawn(async move {
        let sent = send_create(&task_app, &task_record, slot, &body).await;
        if let Err(sent) = tx.send(sent) {
            finish_background(&task_app, &task_record, sent).await;
        }
    });
    let mut rx = rx;
    let wait = tokio::time::timeout(app.settings.raw.create_sync_timeout, &mut rx).await;
    match wait {
        Ok(Ok(sent)) => finish_in_wait(app, &record, sent).await,
        Ok(Err(_)) => Err(ApiError::internal("create task ended without a result")),
        Err(_) => {
            // Past the synchronous wait: a result that raced the timeout is
            // finished in the background like any later one.
            rx.close();
            if let Ok(sent) = rx.try_recv() {
                let task_app = Arc::clone(app);
                let record = record.clone();
                app.background
                    .spawn(async move { finish_background(&task_app, &record, sent).await });
            }
            Ok(Created::New(Resource::from_record(&record)))
        }
    }
}

/// Sends the create on `slot`, or on the next free slot, and records the
/// dispatch from inside the request: the body goes out only once the intent
/// is durably marked dispatched, so a crash before that (while connecting,
/// or waiting for a slot) leaves a pending intent that kweb never acted on,
/// and a delete that came meanwhile cancels the create (ORP-009, API-064).
async fn send_create(app: &Arc<App>, record: &Record, slot: Option<Slot>, body: &Value) -> Sent {
    let op = match record.kind {
        Kind::Vm => "POST /vms",
        Kind::Cluster => "POST /kubes",
    };
    let slot = match slot {
        Some(slot) => slot,
        None => tokio::select! {
            slot = app.kweb.slot(op) => match slot {
                Ok(slot) => slot,
                Err(err) => return Sent::Answered(Err(err)),
            },
            // TMO-007: shutting down; the intent stays pending.
            () = app.background.stopping() => return Sent::Nothing,
        },
    };
    if app.background.is_stopping() {
        return Sent::Nothing;
    }
    let decided: Arc<std::sync::Mutex<Option<Result<Dispatch, ApiError>>>> = Arc::default();
    let store = app.store.clone();
    let id = record.id.clone();
    let clock = app.clock;
    let outcome = Arc::clone(&decided);
    let gate: crate::kweb::client::Gate = Box::pin(async move {
        let marked = blocking(move || store.mark_dispatched(&id, clock.now_ms())).await;
        let result = match marked {
            Ok(Ok((dispatch, _))) => Ok(dispatch),
            Ok(Err(err)) => Err(err.into()),
            Err(err) => Err(err),
        };
        let open = matches!(result, Ok(Dispatch::Send));
        *outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
        open
    });
    let result = match record.kind {
        Kind::Vm => app.kweb.create_vm(slot, body, gate).await,
        Kind::Cluster => app.kweb.create_kube(slot, body, gate).await,
    };
    let decided = decided
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match decided {
        // The body went out (or its connection failed after the mark).
        Some(Ok(Dispatch::Send)) => Sent::Answered(result),
        // The connection failed before the body was asked for: nothing
        // was sent and the intent is still pending.
        None => Sent::Answered(result),
        Some(Ok(Dispatch::Cancel)) => {
            if let Err(err) =
                remove_deleted(app, &record.id, &format!("{} deleted", record.name)).await
            {
                tracing::warn!(id = %record.id, error = ?err, "could not remove a create cancelled by a delete");
            }
            Sent::Nothing
        }
        Some(Ok(Dispatch::Skip | Dispatch::Forget)) => Sent::Nothing,
        Some(Err(err)) => Sent::StoreFailed(err),
    }
}

/// The create's outcome arrived within `CREATE_SYNC_TIMEOUT`.
async fn finish_in_wait(app: &Arc<App>, record: &Record, sent: Sent) -> Result<Created, ApiError> {
    let result = match sent {
        Sent::Answered(result) => result,
        Sent::Nothing => {
            forget_creating(app, &record.id);
            return Ok(Created::New(Resource::from_record(record)));
        }
        Sent::StoreFailed(err) => {
            // Not sent: answer the failure and leave nothing behind.
            let store = app.store.clone();
            let id = record.id.clone();
            if !matches!(blocking(move || store.remove(&id, None)).await, Ok(Ok(_))) {
                tracing::error!(id = %record.id, "could not remove a create whose dispatch was not recorded; it is dispatched at the next start");
            }
            forget_creating(app, &record.id);
            return Err(err);
        }
    };
    let err = match result {
        Ok(()) => {
            let committed = commit_created(app, record).await;
            forget_creating(app, &record.id);
            return Ok(Created::New(Resource::from_record(&committed?)));
        }
        Err(err) => err,
    };
    let outcome = apply_failure(app, record, &err, false).await;
    forget_creating(app, &record.id);
    match outcome? {
        Some(kept) => Ok(Created::New(Resource::from_record(&kept))),
        None => Err(err.into()),
    }
}

/// Applies [`create_failed`] with one store call. Returns the kept record
/// when the create stays (API-018 answers 201 with it), `None` when it was
/// rejected, failed or cancelled.
async fn apply_failure(
    app: &Arc<App>,
    record: &Record,
    err: &KwebError,
    answered: bool,
) -> Result<Option<Record>, ApiError> {
    // A failed read decides nothing destructive: the error is answered and
    // the intent stays for the monitor.
    let current = app.store.get(&record.id)?;
    let Some(current) = current else {
        return Ok(None);
    };
    let decision = create_failed(&current, err.delivery(), answered, &err.to_string());
    let store = app.store.clone();
    let id = record.id.clone();
    let now = app.clock.now_ms();
    match decision {
        CreateFailure::Reject => {
            // API-015: refused within the wait → no record, no event.
            blocking(move || store.remove(&id, None)).await??;
            Ok(None)
        }
        CreateFailure::Cancelled => {
            remove_deleted(app, &record.id, &format!("{} deleted", record.name)).await?;
            Ok(None)
        }
        CreateFailure::Fail { message } => {
            tracing::warn!(id = %record.id, error = %err, "create failed after the answer");
            let event = app.event(
                record.kind,
                &record.id,
                Status::failed(record.kind),
                &message,
                None,
            );
            blocking(move || {
                store.update(&id, true, |r| {
                    r.status = Status::failed(r.kind);
                    r.status_message = message;
                    r.update_ms = now;
                    Some(event)
                })
            })
            .await??;
            app.outbox_changed();
            Ok(None)
        }
        CreateFailure::Undecided { message } => {
            // API-018, TMO-004: the intent stays; the monitor decides. The
            // current status is published now (EVT-020).
            tracing::warn!(id = %record.id, error = %err, "create outcome unknown; the monitor decides");
            let event = app.event(record.kind, &record.id, current.status, &message, None);
            let kept = blocking(move || {
                store.update(&id, false, |r| {
                    r.status_message = message;
                    r.update_ms = now;
                    Some(event)
                })
            })
            .await??;
            app.outbox_changed();
            Ok(kept)
        }
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
        Status::initial(record.kind),
        &format!("created {}", record.name),
        None,
    );
    let now = app.clock.now_ms();
    let updated = blocking(move || {
        store.update(&id, true, |r| match commit(r, now) {
            Commit::Track => Some(event),
            Commit::DeleteNow => None,
        })
    })
    .await??;
    app.outbox_changed();
    let updated = updated.unwrap_or_else(|| record.clone());
    if updated.status.is_deleting() {
        let task_app = Arc::clone(app);
        let record = updated.clone();
        app.background.spawn(async move {
            if let Err(err) = finish_delete(&task_app, &record, None, false).await {
                tracing::warn!(id = %record.id, error = ?err, "delete after create failed; the monitor retries it");
            }
        });
    } else if record.kind == Kind::Vm {
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
    Ok(updated)
}

/// The create finished after the handler answered (API-014, API-016, TMO-004).
async fn finish_background(app: &Arc<App>, record: &Record, sent: Sent) {
    let outcome = match sent {
        Sent::Answered(Ok(())) => commit_created(app, record).await.map(drop),
        Sent::Answered(Err(err)) => apply_failure(app, record, &err, true).await.map(drop),
        Sent::Nothing => Ok(()),
        Sent::StoreFailed(err) => Err(err),
    };
    forget_creating(app, &record.id);
    if let Err(err) = outcome {
        tracing::error!(id = %record.id, error = ?err, "could not record a background create's outcome; the monitor decides");
    }
}

/// ORP-009 at start-up: sends every create that was still waiting for a
/// kweb slot when the provider stopped (kweb never saw it). Dispatched
/// intents are left to the monitor. A failed intents read changes nothing.
pub(crate) async fn resume_intents(app: &Arc<App>) {
    let store = app.store.clone();
    let intents = match blocking(move || store.intents()).await {
        Ok(Ok(intents)) => intents,
        Ok(Err(err)) => {
            tracing::error!(error = %err, "could not read create intents; pending creates wait for the next start");
            return;
        }
        Err(err) => {
            tracing::error!(error = ?err, "intent read task failed");
            return;
        }
    };
    for intent in intents {
        let (IntentState::Pending, Some(body)) = (intent.state, intent.body) else {
            continue;
        };
        let record = match app.store.get(&intent.id) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(err) => {
                tracing::error!(id = %intent.id, error = %err, "could not read the record of a pending create");
                continue;
            }
        };
        if !app.in_flight.insert(&record.id) {
            continue;
        }
        tracing::info!(id = %record.id, "dispatching a create queued before the restart");
        let task_app = Arc::clone(app);
        app.background.spawn(async move {
            let sent = send_create(&task_app, &record, None, &body).await;
            finish_background(&task_app, &record, sent).await;
        });
    }
}

/// One resource (API-040). Clusters that are `ACTIVE` get `api_endpoint`
/// and `kubeconfig` (KCLI-024, SEC-003).
///
/// # Errors
/// 404 when the id is unknown to this endpoint.
pub(crate) async fn get(
    app: &Arc<App>,
    kind: Kind,
    id: &InstanceId,
    deadline: Instant,
) -> Result<Resource, ApiError> {
    let id = id.as_str();
    let record = app
        .store
        .get(id)?
        .filter(|r| r.kind == kind)
        .ok_or_else(|| not_found(kind, id))?;
    let mut resource = Resource::from_record(&record);
    if record.status == Status::Cluster(crate::lifecycle::ClusterStatus::Active)
        && let Some(text) = cached_kubeconfig(app, &record, deadline).await
        && let Some((reduced, server)) = crate::kubeconfig::reduce(&text)
    {
        resource.api_endpoint = Some(server);
        resource.kubeconfig = Some(base64::engine::general_purpose::STANDARD.encode(reduced));
    }
    Ok(resource)
}

async fn cached_kubeconfig(app: &App, record: &Record, deadline: Instant) -> Option<String> {
    if let Some(text) = app.kubeconfigs.get(&record.id) {
        return Some(text);
    }
    match app.kweb.kubeconfig(&record.name, Some(deadline)).await {
        Ok(Some(text)) => {
            app.kubeconfigs.put(&record.id, text.clone());
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
pub(crate) fn encode_token(key: &[u8], position: &str) -> String {
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
pub(crate) fn list(
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
pub(crate) async fn delete(
    app: &Arc<App>,
    kind: Kind,
    id: &InstanceId,
    deadline: Instant,
) -> Result<(), ApiError> {
    let id = id.as_str();
    let record = app
        .store
        .get(id)?
        .filter(|r| r.kind == kind)
        .ok_or_else(|| not_found(kind, id))?;
    if start_delete(&record) == DeleteStart::AlreadyDeleting {
        return Ok(());
    }
    app.evict_kubeconfig(id);
    let store = app.store.clone();
    let rid = id.to_owned();
    let now = app.clock.now_ms();
    let marked = blocking(move || {
        store.update(&rid, false, |r| {
            mark_deleting(r, now);
            None
        })
    })
    .await??
    .ok_or_else(|| not_found(kind, id))?;
    app.transitions.notify_one();
    if app.in_flight.contains(id) {
        // API-064: the create task deletes the backend resource once it
        // exists, or cancels the create if it was not sent yet.
        return Ok(());
    }
    finish_delete(app, &marked, Some(deadline), true).await
}

/// Deletes in kweb, then removes the record and publishes `DELETED`. A
/// failure is applied by [`delete_failed`] (`by_request`: a DCM delete
/// request, which restores the status after a definite failure).
pub(crate) async fn finish_delete(
    app: &Arc<App>,
    record: &Record,
    deadline: Option<Instant>,
    by_request: bool,
) -> Result<(), ApiError> {
    let result = match record.kind {
        Kind::Vm => app.kweb.delete_vm(&record.name, deadline).await,
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
        Err(err) => {
            tracing::warn!(id = %record.id, error = %err, "kweb delete failed");
            let store = app.store.clone();
            let id = record.id.clone();
            let now = app.clock.now_ms();
            let reason = err.to_string();
            let delivery = err.delivery();
            blocking(move || {
                store.update(&id, false, |r| {
                    delete_failed(r, delivery, by_request, &reason, now);
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
pub(crate) async fn remove_deleted(
    app: &Arc<App>,
    id: &str,
    message: &str,
) -> Result<(), ApiError> {
    let Some(record) = app.store.get(id)? else {
        return Ok(());
    };
    let event = app.event(record.kind, id, Status::deleted(record.kind), message, None);
    let store = app.store.clone();
    let rid = id.to_owned();
    blocking(move || store.remove(&rid, Some(&event))).await??;
    app.evict_kubeconfig(id);
    app.outbox_changed();
    Ok(())
}

/// Removes a record the monitor found gone and publishes `DELETED`, in one
/// transaction and only if the record is still as the poll read it (a
/// create that committed meanwhile keeps it, ORP-007).
///
/// # Errors
/// 503 when the store fails.
pub(crate) async fn remove_observed(
    app: &Arc<App>,
    seen: &Record,
    message: &str,
) -> Result<(), ApiError> {
    let event = app.event(
        seen.kind,
        &seen.id,
        Status::deleted(seen.kind),
        message,
        None,
    );
    let store = app.store.clone();
    let base = seen.clone();
    if blocking(move || store.remove_if_unchanged(&base, &event)).await?? {
        app.evict_kubeconfig(&seen.id);
        app.outbox_changed();
    }
    Ok(())
}

/// Field errors for a spec that is missing or not an object (VAL-003).
#[must_use]
pub(crate) fn spec_missing() -> ApiError {
    ApiError::validation(vec![FieldError {
        field: "spec".into(),
        reason: "is required and must be an object".into(),
    }])
}
