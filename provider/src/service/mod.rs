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
//! store and kweb and applies the decision with one store call. Modules:
//! `create`, `read` (get, list and page tokens), `delete`; the resource
//! representation and the shared helpers stay here.

use serde::Serialize;
use serde_json::Value;

use crate::app::App;
use crate::clock::rfc3339;
use crate::error::{ApiError, FieldError};
use crate::store::{Kind, Record};

mod create;
mod delete;
mod read;

pub(crate) use create::{Created, create, resume_intents};
pub(crate) use delete::{delete, finish_delete, remove_observed};
pub(crate) use read::{get, list};

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

pub(super) fn not_found(kind: Kind, id: &str) -> ApiError {
    ApiError::not_found(format!("{} {id} not found", kind.service_type()))
}

/// The stored record of `id` when it is of `kind`; an id of another
/// service type is unknown to this endpoint (404).
///
/// # Errors
/// 404, or the store's read failure.
pub(super) fn stored(app: &App, kind: Kind, id: &str) -> Result<Record, ApiError> {
    app.store
        .get(id)?
        .filter(|r| r.kind == kind)
        .ok_or_else(|| not_found(kind, id))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

/// Field errors for a spec that is missing or not an object (VAL-003).
#[must_use]
pub(crate) fn spec_missing() -> ApiError {
    ApiError::validation(vec![FieldError {
        field: "spec".into(),
        reason: "is required and must be an object".into(),
    }])
}
