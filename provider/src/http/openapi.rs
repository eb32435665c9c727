//! `GET /api/v1alpha1/openapi.json`, generated from the handlers with utoipa.

use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToResponse, ToSchema};

use crate::error::FieldError;
use crate::service::{Resource, ResourceList};

/// Create body of the direct profile (API-010).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreateRequest {
    /// The service-type spec (`service_type` `vm` or `cluster`); unknown members are kept.
    #[schema(value_type = Object)]
    pub spec: Value,
}

/// RFC 9457 problem details (contract §8).
#[derive(Debug, Serialize, ToSchema, ToResponse)]
#[response(
    description = "Problem details",
    content_type = "application/problem+json"
)]
pub(crate) struct ProblemResponse {
    /// `https://dcm-project.github.io/problems/{slug}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Fixed per type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Readable detail.
    pub detail: Option<String>,
    /// Request path.
    pub instance: Option<String>,
    /// Field errors of 400 validation problems.
    pub errors: Option<Vec<FieldError>>,
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "kcli-provider",
        description = "DCM service provider for VMs and clusters on kweb (profile dcm-v1alpha1)"
    ),
    paths(
        super::resources::create_vm,
        super::resources::list_vms,
        super::resources::get_vm,
        super::resources::delete_vm,
        super::resources::create_cluster,
        super::resources::list_clusters,
        super::resources::get_cluster,
        super::resources::delete_cluster,
        super::probes::health,
        super::probes::ready,
        super::probes::metrics,
        super::probes::orphans
    ),
    components(
        schemas(CreateRequest, Resource, ResourceList, FieldError, ProblemResponse),
        responses(ProblemResponse)
    )
)]
pub(crate) struct ApiDoc;

/// Serves the generated document.
pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
