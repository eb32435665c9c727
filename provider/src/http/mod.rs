//! The HTTP API (axum).
//!
//! Read in this order: [`router`] (routes and layers) → [`resources`] (the
//! `vms` and `clusters` collections) → [`body`] (request body reading:
//! 413, media type, JSON) → [`probes`] (health, ready, metrics, orphans) →
//! [`problems`] (turns every error answer into problem+json) → [`openapi`]
//! → [`server`] (the connection loop with the Appendix A.1 timeouts).

pub(crate) mod body;
pub(crate) mod openapi;
pub(crate) mod probes;
pub(crate) mod problems;
pub(crate) mod resources;
pub(crate) mod server;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::error::{ApiError, Slug};

/// Largest accepted request body (VAL-012): 1 MiB.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Paths that never need the bearer token (SEC-001, HLT-008).
fn is_open_path(path: &str) -> bool {
    matches!(
        path,
        "/health"
            | "/ready"
            | "/api/v1alpha1/health"
            | "/api/v1alpha1/vms/health"
            | "/api/v1alpha1/clusters/health"
    )
}

async fn auth(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(token) = app.settings.auth_token.as_deref() else {
        return next.run(request).await;
    };
    if is_open_path(request.uri().path()) {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let equal: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into();
    if equal {
        next.run(request).await
    } else {
        ApiError::new(Slug::Unauthenticated, "a valid bearer token is required")
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            .into_response()
    }
}

async fn request_budget(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let budget: Duration = app.settings.raw.request_timeout;
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            Slug::BackendTimeout,
            "the request did not complete within REQUEST_TIMEOUT",
        )
        .into_response(),
    }
}

/// The whole router with every layer (ERR-001, ERR-007, SEC-001, TMO-001).
pub(crate) fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .merge(resources::routes())
        .merge(probes::routes())
        .route("/api/v1alpha1/openapi.json", get(openapi::serve))
        .fallback(problems::fallback)
        .method_not_allowed_fallback(problems::method_not_allowed)
        .with_state(Arc::clone(&app));
    let x_request_id = header::HeaderName::from_static("x-request-id");
    api.layer(middleware::from_fn_with_state(Arc::clone(&app), request_budget))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(Arc::clone(&app), auth))
        .layer(middleware::from_fn(problems::render))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}
