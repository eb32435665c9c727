//! Reading a create body in the order of VAL-015: size (413) → media type
//! (400, VAL-002) → JSON syntax (400, VAL-001).

use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::MAX_BODY_BYTES;
use crate::error::{ApiError, Slug};

/// How much of an over-limit body is read and discarded before the 413 is
/// sent (VAL-012): 8 MiB past the 1 MiB limit.
pub(crate) const DRAIN_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// How long an over-limit body is drained at most: 5 s.
pub(crate) const DRAIN_MAX_TIME: Duration = Duration::from_secs(5);

/// Reads at most 1 MiB (with or without `Content-Length`, VAL-012), checks
/// the media type and parses JSON.
///
/// An over-limit body is read to its end and discarded, up to
/// [`DRAIN_MAX_BYTES`] and [`DRAIN_MAX_TIME`], before the 413 is answered,
/// as nginx's lingering close does: a client that writes the whole body
/// before reading (Python's `http.client`, many scripts) then reads the
/// problem instead of failing with `EPIPE` on a connection closed under it.
/// The 413 comes at once, without draining, when the declared length is past
/// that bound or the client sent `Expect: 100-continue` (it then sends no
/// body at all, as hyper sends no `100 Continue` for an unread body).
///
/// # Errors
/// 413 `payload-too-large`, or 400 `invalid-argument` for an unreadable
/// body, a non-JSON media type or invalid JSON.
pub(crate) async fn read_json(headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let expects_continue = headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    let limit = MAX_BODY_BYTES as u64;
    let bytes = match declared {
        Some(n) if n > limit && (expects_continue || n > limit + DRAIN_MAX_BYTES) => {
            return Err(too_large());
        }
        Some(n) if n > limit => {
            drain(body, 0).await;
            return Err(too_large());
        }
        _ => read_limited(body, declared).await?,
    };
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

/// The next data chunk; `None` at the end, trailers skipped.
async fn next_chunk(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(err) => return Some(Err(err)),
        }
    }
}

/// Reads the whole body if it fits in [`MAX_BODY_BYTES`]; drains it and
/// answers 413 when it does not.
async fn read_limited(mut body: Body, declared: Option<u64>) -> Result<Vec<u8>, ApiError> {
    let mut bytes =
        Vec::with_capacity(declared.map_or(0, |n| n.min(MAX_BODY_BYTES as u64) as usize));
    while let Some(chunk) = next_chunk(&mut body).await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(Slug::InvalidArgument, "the request body could not be read")
        })?;
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            drain(body, (bytes.len() + chunk.len()) as u64).await;
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads and discards the rest of `body` until its end, until
/// `MAX_BODY_BYTES + DRAIN_MAX_BYTES` bytes were seen in all (`seen` so far),
/// until [`DRAIN_MAX_TIME`] or until the body fails (for example a stall past
/// `READ_TIMEOUT`), whichever comes first.
async fn drain(mut body: Body, seen: u64) {
    let bound = MAX_BODY_BYTES as u64 + DRAIN_MAX_BYTES;
    let discard = async {
        let mut seen = seen;
        while seen <= bound {
            match next_chunk(&mut body).await {
                Some(Ok(chunk)) => seen += chunk.len() as u64,
                Some(Err(_)) | None => return,
            }
        }
    };
    if tokio::time::timeout(DRAIN_MAX_TIME, discard).await.is_err() {
        tracing::debug!("over-limit request body still arriving after 5 s; answering 413 now");
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        Slug::PayloadTooLarge,
        format!("the request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}
