//! Delete (API-060 to API-065): kweb first, then the store; the removals
//! the monitor observes.

use std::sync::Arc;

use tokio::time::Instant;

use super::{blocking, not_found, stored};
use crate::app::App;
use crate::error::ApiError;
use crate::id::InstanceId;
use crate::lifecycle::Status;
use crate::lifecycle::delete::{DeleteStart, delete_failed, mark_deleting, start_delete};
use crate::store::{Kind, Record};

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
    let record = stored(app, kind, id)?;
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
