//! Health (HLT-001 to HLT-013), readiness (HLT-014), metrics and orphans (ORP-003).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Value, json};

use crate::app::{App, Orphan};
use crate::error::{ApiError, Slug};

/// The health body (HLT-002, HLT-004 to HLT-006).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct HealthBody {
    /// `healthy` or `unhealthy`.
    pub status: &'static str,
    /// Build version.
    pub version: &'static str,
    /// Whole seconds since start.
    pub uptime: u64,
    /// `kcli-provider.dcm.io/health`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `health`.
    pub path: &'static str,
    /// Short reason when unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
}

/// `{"results": [...]}` of `GET /api/v1alpha1/orphans`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct OrphanList {
    /// Current orphans.
    pub results: Vec<Orphan>,
}

/// Routes of this module.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/health", get(health))
        .route("/api/v1alpha1/health", get(health))
        .route("/api/v1alpha1/vms/health", get(health))
        .route("/api/v1alpha1/clusters/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/api/v1alpha1/orphans", get(orphans))
}

/// Health of the provider and its backend; always 200 (HLT-003).
#[utoipa::path(get, path = "/api/v1alpha1/vms/health", tag = "health", responses((status = 200, body = HealthBody)))]
pub(crate) async fn health(State(app): State<Arc<App>>) -> Json<HealthBody> {
    let verdict = app.health.verdict();
    Json(HealthBody {
        status: if verdict.healthy {
            "healthy"
        } else {
            "unhealthy"
        },
        version: env!("CARGO_PKG_VERSION"),
        uptime: app.started.elapsed().as_secs(),
        kind: "kcli-provider.dcm.io/health",
        path: "health",
        detail: verdict.detail,
    })
}

/// Readiness for orchestrators (HLT-014).
#[utoipa::path(get, path = "/ready", tag = "health",
    responses((status = 200, description = "Ready"), (status = 503, response = super::openapi::ProblemResponse)))]
pub(crate) async fn ready(State(app): State<Arc<App>>) -> Response {
    let kweb = app.health.kweb_ok();
    let registered = app.readiness.registered();
    let polled = app.readiness.polled.load(Ordering::SeqCst);
    let all = kweb && registered && polled;
    let flags = json!({"ready": all, "kweb": kweb, "registered": registered, "polled": polled});
    if all {
        return Json(flags).into_response();
    }
    let members = match flags {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    ApiError::new(Slug::ServiceUnavailable, "the provider is not ready")
        .with_extensions(members)
        .into_response()
}

/// Prometheus text format (HLT-013).
#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

/// Backend resources with the name prefix that the provider does not track (ORP-003).
#[utoipa::path(get, path = "/api/v1alpha1/orphans", tag = "orphans", responses((status = 200, body = OrphanList)))]
pub(crate) async fn orphans(State(app): State<Arc<App>>) -> Json<OrphanList> {
    Json(OrphanList {
        results: app.orphans.read().map(|o| o.clone()).unwrap_or_default(),
    })
}
