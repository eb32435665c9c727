//! Errors at the crate boundaries and the one problem-slug table (contract §8.1).
//!
//! - [`StartupError`]: why [`crate::Application::build`] failed; its `Display`
//!   is one line naming the variable (TMO-006).
//! - [`ApiError`]: every 4xx/5xx answer of the HTTP API. It renders RFC 9457
//!   problem details whose `type`, `title` and `status` come from [`Slug`]
//!   (ERR-001 to ERR-004). The `instance` member is added by the HTTP layer
//!   ([`crate::http::problems`]), which also turns any other error response
//!   (routing, 405, body limit, panics) into a problem.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::kweb::KwebError;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is invalid; `variable` is its environment name.
    #[error("{variable}: {problem}")]
    Config {
        /// Environment variable name, e.g. `POLL_INTERVAL`.
        variable: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The state store exists but cannot be opened or read (ORP-008).
    #[error("STATE_STORE_PATH: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The task opening the store ended without a result.
    #[error("STATE_STORE_PATH: opening the store failed: {0}")]
    StoreTask(#[source] tokio::task::JoinError),
    /// The listener could not be bound.
    #[error("LISTEN_ADDRESS: cannot bind: {0}")]
    Bind(std::io::Error),
}

/// Problem type slugs; each row of contract §8.1 once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slug {
    /// 400: malformed request.
    InvalidArgument,
    /// 401: missing or wrong bearer token.
    Unauthenticated,
    /// 404: unknown id or route.
    NotFound,
    /// 405: method not served on an existing route.
    MethodNotAllowed,
    /// 409: id or backend-name conflict.
    AlreadyExists,
    /// 413: body over 1 MiB.
    PayloadTooLarge,
    /// 422: well-formed but unsupported.
    UnprocessableEntity,
    /// 500: unexpected failure of the provider itself.
    Internal,
    /// 502: backend unreachable or unusable answer.
    BackendUnavailable,
    /// 503: the provider cannot serve.
    ServiceUnavailable,
    /// 504: backend did not answer in time.
    BackendTimeout,
}

/// Every slug, for tests and snapshots.
pub const ALL_SLUGS: [Slug; 11] = [
    Slug::InvalidArgument,
    Slug::Unauthenticated,
    Slug::NotFound,
    Slug::MethodNotAllowed,
    Slug::AlreadyExists,
    Slug::PayloadTooLarge,
    Slug::UnprocessableEntity,
    Slug::Internal,
    Slug::BackendUnavailable,
    Slug::ServiceUnavailable,
    Slug::BackendTimeout,
];

/// Base of every problem `type` URI (ERR-003).
pub const PROBLEM_BASE: &str = "https://dcm-project.github.io/problems/";

impl Slug {
    /// `(slug, HTTP status, title)`: the table of contract §8.1.
    #[must_use]
    pub const fn row(self) -> (&'static str, u16, &'static str) {
        match self {
            Self::InvalidArgument => ("invalid-argument", 400, "Invalid argument"),
            Self::Unauthenticated => ("unauthenticated", 401, "Unauthenticated"),
            Self::NotFound => ("not-found", 404, "Not found"),
            Self::MethodNotAllowed => ("method-not-allowed", 405, "Method not allowed"),
            Self::AlreadyExists => ("already-exists", 409, "Already exists"),
            Self::PayloadTooLarge => ("payload-too-large", 413, "Payload too large"),
            Self::UnprocessableEntity => ("unprocessable-entity", 422, "Unprocessable entity"),
            Self::Internal => ("internal", 500, "Internal error"),
            Self::BackendUnavailable => ("backend-unavailable", 502, "Backend unavailable"),
            Self::ServiceUnavailable => ("service-unavailable", 503, "Service unavailable"),
            Self::BackendTimeout => ("backend-timeout", 504, "Backend timeout"),
        }
    }

    /// HTTP status of the slug.
    #[must_use]
    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.row().1).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The slug whose status is `status`; unknown 4xx map to `invalid-argument`,
    /// unknown 5xx to `internal`.
    #[must_use]
    pub fn for_status(status: StatusCode) -> Self {
        ALL_SLUGS
            .into_iter()
            .find(|s| s.row().1 == status.as_u16())
            .unwrap_or(if status.is_server_error() {
                Self::Internal
            } else {
                Self::InvalidArgument
            })
    }
}

/// One entry of the `errors` extension member (ERR-008).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Dotted path into the request (`spec.memory.size`) or a query parameter name.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// An error answer of the HTTP API, rendered as `application/problem+json`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Which row of the slug table.
    pub slug: Slug,
    /// Readable detail; never backend bodies, URLs or credentials (ERR-006).
    pub detail: Option<String>,
    /// Field errors for 400 validation problems (ERR-008).
    pub errors: Vec<FieldError>,
    /// Extension members and extra headers, rarely used (boxed to keep the
    /// error small).
    pub extra: Option<Box<Extra>>,
}

/// Rarely used parts of an [`ApiError`].
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Extension members (e.g. the four booleans of `/ready`, HLT-014).
    pub extensions: Map<String, Value>,
    /// Extra headers (`WWW-Authenticate`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A problem of `slug` with a detail.
    pub fn new(slug: Slug, detail: impl Into<String>) -> Self {
        Self {
            slug,
            detail: Some(detail.into()),
            errors: Vec::new(),
            extra: None,
        }
    }

    /// 400 `invalid-argument` with field errors; the detail is the first error.
    #[must_use]
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors.first().map_or_else(
            || "the request is invalid".to_owned(),
            |e| format!("{} {}", e.field, e.reason),
        );
        Self {
            errors,
            ..Self::new(Slug::InvalidArgument, detail)
        }
    }

    /// 400 for one field.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }

    /// 404 `not-found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(Slug::NotFound, detail)
    }

    /// 500 with the generic detail (ERR-009); `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(Slug::Internal, "an internal error occurred")
    }

    /// Adds a header to the answer.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra
            .get_or_insert_with(Box::default)
            .headers
            .push((name, value));
        self
    }

    /// Adds extension members to the problem body.
    #[must_use]
    pub fn with_extensions(mut self, members: Map<String, Value>) -> Self {
        self.extra
            .get_or_insert_with(Box::default)
            .extensions
            .extend(members);
        self
    }

    /// The problem body; `instance` is the request path (ERR-007).
    #[must_use]
    pub fn body(&self, instance: Option<&str>) -> Value {
        let (slug, status, title) = self.slug.row();
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("{PROBLEM_BASE}{slug}")),
        );
        body.insert("title".into(), Value::String(title.into()));
        body.insert("status".into(), Value::from(status));
        if let Some(detail) = &self.detail {
            body.insert("detail".into(), Value::String(detail.clone()));
        }
        if let Some(instance) = instance {
            body.insert("instance".into(), Value::String(instance.into()));
        }
        if !self.errors.is_empty() {
            body.insert(
                "errors".into(),
                serde_json::to_value(&self.errors).unwrap_or(Value::Null),
            );
        }
        if let Some(extra) = &self.extra {
            for (k, v) in &extra.extensions {
                body.insert(k.clone(), v.clone());
            }
        }
        Value::Object(body)
    }
}

/// Media type of every error answer (ERR-001).
pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.slug.status(),
            [(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(PROBLEM_JSON),
            )],
            self.body(None).to_string(),
        )
            .into_response();
        if let Some(extra) = &self.extra {
            for (name, value) in &extra.headers {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
        // The problems middleware re-renders with `instance` from this copy.
        response.extensions_mut().insert(self);
        response
    }
}

impl From<KwebError> for ApiError {
    /// Contract §14.6 / KCLI-061 / KCLI-062 / TMO-002.
    fn from(err: KwebError) -> Self {
        match &err {
            KwebError::AlreadyExists { .. } => Self::new(Slug::AlreadyExists, err.to_string()),
            KwebError::Rejected { .. } => Self::new(Slug::UnprocessableEntity, err.to_string()),
            KwebError::Timeout { .. } => Self::new(Slug::BackendTimeout, err.to_string()),
            KwebError::BadRequest { .. } => Self::internal(&err),
            KwebError::NotFound { .. }
            | KwebError::Unreachable { .. }
            | KwebError::Interrupted { .. }
            | KwebError::Failure { .. }
            | KwebError::ReadOnly { .. }
            | KwebError::Unusable { .. } => Self::new(Slug::BackendUnavailable, err.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        tracing::error!(error = %err, "state store failure");
        Self::new(Slug::ServiceUnavailable, "the state store is unavailable")
    }
}
