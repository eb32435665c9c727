//! `/api/v1alpha1/vms` and `/api/v1alpha1/clusters` (contract §6, §15).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, routing};
use serde_json::Value;
use tokio::time::Instant;
use uuid::Uuid;

use super::body::read_json;
use crate::app::App;
use crate::error::ApiError;
use crate::id::InstanceId;
use crate::service::{self, Created};
use crate::store::Kind;

/// Margin kept from `REQUEST_TIMEOUT` so a handler answers its own 504.
const ANSWER_MARGIN: std::time::Duration = std::time::Duration::from_millis(250);

/// Routes of both collections.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1alpha1/vms", routing::post(create_vm).get(list_vms))
        .route("/api/v1alpha1/vms/{id}", get(get_vm).delete(delete_vm))
        .route(
            "/api/v1alpha1/clusters",
            routing::post(create_cluster).get(list_clusters),
        )
        .route(
            "/api/v1alpha1/clusters/{id}",
            get(get_cluster).delete(delete_cluster),
        )
}

fn deadline(app: &App) -> Instant {
    Instant::now()
        + app
            .settings
            .raw
            .request_timeout
            .saturating_sub(ANSWER_MARGIN)
}

/// The id of a create: `?id=`, else derived from `Idempotency-Key` (agent
/// variant, AGT-003), else a fresh UUID v4 (API-010, AGT-006).
fn create_id(
    query: &HashMap<String, String>,
    key: Option<&str>,
    agent: bool,
) -> Result<InstanceId, ApiError> {
    match query
        .get("id")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
    {
        Some(text) => {
            let id = InstanceId::parse(text).map_err(|_| {
                ApiError::field(
                    "id",
                    "must match ^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$, be at most 253 characters and not be a reserved name (health)",
                )
            })?;
            if let Some(key) = key {
                tracing::info!(
                    idempotency_key = key,
                    %id,
                    "both ?id= and Idempotency-Key given; using ?id="
                );
            }
            Ok(id)
        }
        None => InstanceId::parse(&match key.filter(|_| agent) {
            Some(key) => Uuid::new_v5(
                &Uuid::NAMESPACE_URL,
                format!("urn:dcm:idempotency-key:{key}").as_bytes(),
            )
            .to_string(),
            None => Uuid::new_v4().to_string(),
        })
        // A UUID always matches the pattern; the check stays in one place.
        .map_err(|_| ApiError::internal("generated id rejected")),
    }
}

async fn create(
    app: Arc<App>,
    kind: Kind,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let value = read_json(&headers, body).await?;
    let Value::Object(mut object) = value else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let wrapped = matches!(object.get("spec"), Some(Value::Object(_)))
        && !object.contains_key("service_type");
    let agent = app.settings.raw.agent_compat;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty());
    let spec = if wrapped {
        match object.remove("spec") {
            Some(Value::Object(spec)) => spec,
            _ => return Err(service::spec_missing()),
        }
    } else if agent && !object.contains_key("spec") {
        object
    } else {
        return Err(service::spec_missing());
    };
    let id = create_id(&query, key, agent)?;
    match service::create(&app, kind, id, spec).await? {
        Created::New(resource) => Ok((StatusCode::CREATED, Json(resource)).into_response()),
        Created::Replay(resource) => Ok((StatusCode::OK, Json(resource)).into_response()),
    }
}

async fn list(
    app: &App,
    kind: Kind,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let page = service::list(
        app,
        kind,
        query.get("max_page_size").map(String::as_str),
        query.get("page_token").map(String::as_str),
    )?;
    Ok(Json(page).into_response())
}

/// A path id; one that cannot be valid names no resource (404).
fn path_id(kind: Kind, id: &str) -> Result<InstanceId, ApiError> {
    InstanceId::parse(id)
        .map_err(|_| ApiError::not_found(format!("{} {id} not found", kind.service_type())))
}

async fn read(app: &Arc<App>, kind: Kind, id: &str) -> Result<Response, ApiError> {
    let id = path_id(kind, id)?;
    Ok(Json(service::get(app, kind, &id, deadline(app)).await?).into_response())
}

async fn remove(app: &Arc<App>, kind: Kind, id: &str) -> Result<Response, ApiError> {
    let id = path_id(kind, id)?;
    service::delete(app, kind, &id, deadline(app)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Create a VM (API-010 to API-017, AGT-002).
#[utoipa::path(post, path = "/api/v1alpha1/vms", tag = "vms",
    params(("id" = Option<String>, Query, description = "Instance id; a UUID v4 is generated when absent",
            pattern = "^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$", max_length = 253),
           ("Idempotency-Key" = Option<String>, Header, description = "Agent variant: id derivation key")),
    request_body(content = super::openapi::CreateRequest, content_type = "application/json"),
    responses((status = 201, description = "Created", body = service::Resource),
              (status = 200, description = "Replay of an identical create", body = service::Resource),
              (status = 400, response = super::openapi::ProblemResponse), (status = 409, response = super::openapi::ProblemResponse),
              (status = 413, response = super::openapi::ProblemResponse), (status = 422, response = super::openapi::ProblemResponse),
              (status = 502, response = super::openapi::ProblemResponse), (status = 504, response = super::openapi::ProblemResponse)))]
pub(crate) async fn create_vm(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    create(app, Kind::Vm, q, headers, body).await
}

/// Create a cluster (API-010 to API-017, KCLI-020 to KCLI-023).
#[utoipa::path(post, path = "/api/v1alpha1/clusters", tag = "clusters",
    params(("id" = Option<String>, Query, description = "Instance id; a UUID v4 is generated when absent",
            pattern = "^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$", max_length = 253),
           ("Idempotency-Key" = Option<String>, Header, description = "Agent variant: id derivation key")),
    request_body(content = super::openapi::CreateRequest, content_type = "application/json"),
    responses((status = 201, description = "Created", body = service::Resource),
              (status = 200, description = "Replay of an identical create", body = service::Resource),
              (status = 400, response = super::openapi::ProblemResponse), (status = 409, response = super::openapi::ProblemResponse),
              (status = 413, response = super::openapi::ProblemResponse), (status = 422, response = super::openapi::ProblemResponse),
              (status = 502, response = super::openapi::ProblemResponse), (status = 504, response = super::openapi::ProblemResponse)))]
pub(crate) async fn create_cluster(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    create(app, Kind::Cluster, q, headers, body).await
}

/// List VMs, newest first, with keyset page tokens (API-050 to API-054).
#[utoipa::path(get, path = "/api/v1alpha1/vms", tag = "vms",
    params(("max_page_size" = Option<u32>, Query, minimum = 1, maximum = 100), ("page_token" = Option<String>, Query)),
    responses((status = 200, body = service::ResourceList), (status = 400, response = super::openapi::ProblemResponse)))]
pub(crate) async fn list_vms(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&app, Kind::Vm, &q).await
}

/// List clusters, newest first, with keyset page tokens (API-050 to API-054).
#[utoipa::path(get, path = "/api/v1alpha1/clusters", tag = "clusters",
    params(("max_page_size" = Option<u32>, Query, minimum = 1, maximum = 100), ("page_token" = Option<String>, Query)),
    responses((status = 200, body = service::ResourceList), (status = 400, response = super::openapi::ProblemResponse)))]
pub(crate) async fn list_clusters(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&app, Kind::Cluster, &q).await
}

/// Get one VM (API-040, KCLI-017).
#[utoipa::path(get, path = "/api/v1alpha1/vms/{id}", tag = "vms", params(("id" = String, Path)),
    responses((status = 200, body = service::Resource), (status = 404, response = super::openapi::ProblemResponse)))]
pub(crate) async fn get_vm(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    read(&app, Kind::Vm, &id).await
}

/// Get one cluster; `kubeconfig` and `api_endpoint` only while `ACTIVE` (KCLI-024).
#[utoipa::path(get, path = "/api/v1alpha1/clusters/{id}", tag = "clusters", params(("id" = String, Path)),
    responses((status = 200, body = service::Resource), (status = 404, response = super::openapi::ProblemResponse)))]
pub(crate) async fn get_cluster(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    read(&app, Kind::Cluster, &id).await
}

/// Delete a VM (API-060 to API-065).
#[utoipa::path(delete, path = "/api/v1alpha1/vms/{id}", tag = "vms", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, response = super::openapi::ProblemResponse),
              (status = 502, response = super::openapi::ProblemResponse), (status = 504, response = super::openapi::ProblemResponse)))]
pub(crate) async fn delete_vm(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    remove(&app, Kind::Vm, &id).await
}

/// Delete a cluster (API-060 to API-065).
#[utoipa::path(delete, path = "/api/v1alpha1/clusters/{id}", tag = "clusters", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, response = super::openapi::ProblemResponse),
              (status = 502, response = super::openapi::ProblemResponse), (status = 504, response = super::openapi::ProblemResponse)))]
pub(crate) async fn delete_cluster(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    remove(&app, Kind::Cluster, &id).await
}
