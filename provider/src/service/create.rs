//! Create (API-010 to API-034): admission, dispatch through the ORP-009 gate,
//! the bounded wait and the background finish, and the intents resumed at
//! start.

use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::delete::{finish_delete, remove_deleted};
use super::{Resource, blocking, name_limit};
use crate::app::App;
use crate::error::{ApiError, Slug};
use crate::id::InstanceId;
use crate::kweb::KwebError;
use crate::kweb::client::Slot;
use crate::lifecycle::create::{Commit, commit};
use crate::lifecycle::{
    Admission, CreateFailure, Dispatch, IntentState, Origin, Status, create_failed,
};
use crate::spec::{self, json_equal};
use crate::store::{Intent, Kind, Record};

/// Outcome of a create.
#[derive(Debug)]
pub(crate) enum Created {
    /// A new resource (201).
    New(Resource),
    /// A replay (200, API-030).
    Replay(Resource),
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
