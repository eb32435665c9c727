//! Reading a create body in the order of VAL-015: size (413) → media type
//! (400, VAL-002) → JSON syntax (400, VAL-001).

use axum::body::Body;
use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::MAX_BODY_BYTES;
use crate::error::{ApiError, Slug};

/// Reads at most 1 MiB (with or without `Content-Length`, VAL-012), checks
/// the media type and parses JSON.
///
/// # Errors
/// 413 `payload-too-large`, or 400 `invalid-argument` for a non-JSON media
/// type or invalid JSON.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|err| {
            if std::error::Error::source(&err)
                .is_some_and(|s| s.to_string().contains("length limit"))
                || err.to_string().contains("length limit")
            {
                too_large()
            } else {
                ApiError::new(Slug::InvalidArgument, "the request body could not be read")
            }
        })?;
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if media.as_deref() != Some("application/json") {
        return Err(ApiError::field("Content-Type", "must be application/json"));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::field("body", format!("is not valid JSON: {e}")))
}

fn too_large() -> ApiError {
    ApiError::new(
        Slug::PayloadTooLarge,
        format!("the request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}
