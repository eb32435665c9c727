//! Every 4xx/5xx answer leaves as `application/problem+json` (ERR-001).
//!
//! Handlers return [`ApiError`]; [`render`] re-renders it with `instance`
//! (the request path, ERR-007). Answers produced elsewhere (axum's path and
//! query rejections, 404 fallback, 405, panics) have no [`ApiError`] attached
//! and get the problem of their status from the slug table.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, PROBLEM_JSON, Slug};

fn default_problem(status: StatusCode) -> ApiError {
    let slug = Slug::for_status(status);
    let detail = match slug {
        Slug::NotFound => "no resource or route matches this path",
        Slug::MethodNotAllowed => "this method is not served on this route; see the Allow header",
        Slug::PayloadTooLarge => "the request body exceeds 1 MiB",
        Slug::Internal => "an internal error occurred",
        Slug::BackendTimeout => "the request did not complete in time",
        _ => "the request is invalid",
    };
    ApiError::new(slug, detail)
}

/// Middleware: renders every error answer as a problem with `instance`.
pub(crate) async fn render(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let problem = parts
        .extensions
        .remove::<ApiError>()
        .unwrap_or_else(|| default_problem(status));
    let text = problem.body(Some(&path)).to_string();
    parts.status = problem.slug.status();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

/// 404 for unknown routes (VAL-014).
pub(crate) async fn fallback() -> Response {
    default_problem(StatusCode::NOT_FOUND).into_response()
}

/// 405 for known routes with another method (VAL-013); axum adds `Allow`.
pub(crate) async fn method_not_allowed() -> Response {
    default_problem(StatusCode::METHOD_NOT_ALLOWED).into_response()
}
