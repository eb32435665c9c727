//! Reading kweb's answers and classifying them into [`KwebError`]
//! (API-018, KCLI-060 to KCLI-062, SEC-008).

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Map, Value};

use super::MAX_BODY_BYTES;
use crate::kweb::{KwebError, sanitise_reason};

/// What a successful read returned.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) bytes: Vec<u8>,
    pub(super) empty: bool,
    pub(super) html: bool,
}

impl Answer {
    /// The body as JSON, parsed on demand (`GET /vms` is parsed typed instead).
    pub(super) fn json(&self) -> Option<Value> {
        if self.empty {
            None
        } else {
            serde_json::from_slice(&self.bytes).ok()
        }
    }
}

/// API-018: a reqwest error before the request was written (connect, DNS,
/// TLS, building it) means nothing reached kweb; a timeout or any error
/// after that (reset, EOF before the answer) leaves the outcome unknown.
pub(super) fn transport_error(error: reqwest::Error, op: &str) -> KwebError {
    tracing::debug!(op, error = %error, "kweb transport error");
    let op = op.to_owned();
    if error.is_timeout() {
        KwebError::Timeout { op }
    } else if error.is_connect() || error.is_builder() {
        KwebError::Unreachable {
            op,
            source: Some(Arc::new(error)),
        }
    } else {
        KwebError::Interrupted {
            op,
            source: Some(Arc::new(error)),
        }
    }
}

pub(super) async fn read_capped(
    mut response: reqwest::Response,
    op: &str,
) -> Result<Vec<u8>, KwebError> {
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(KwebError::Unusable {
            op: op.into(),
            status,
            what: "body over 10 MiB",
        });
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(KwebError::Unusable {
                        op: op.into(),
                        status,
                        what: "body over 10 MiB",
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            // API-018: a truncated answer leaves the outcome unknown.
            Err(e) => return Err(transport_error(e, op)),
        }
    }
}

pub(super) async fn read_answer(
    response: reqwest::Response,
    op: &str,
) -> Result<Answer, KwebError> {
    let status = response.status();
    let html = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"));
    let bytes = read_capped(response, op).await?;
    let empty = bytes.iter().all(u8::is_ascii_whitespace);
    Ok(Answer {
        status,
        bytes,
        empty,
        html,
    })
}

pub(super) fn unusable(answer: &Answer, op: &str, fallback: &'static str) -> KwebError {
    let what = if answer.empty {
        "empty body"
    } else if answer.json().is_none() && answer.html {
        "HTML page"
    } else if answer.json().is_none() {
        "non-JSON body"
    } else {
        fallback
    };
    KwebError::Unusable {
        op: op.into(),
        status: answer.status.as_u16(),
        what,
    }
}

pub(super) fn failure_of(answer: &Answer, op: &str) -> KwebError {
    if answer.status == StatusCode::FORBIDDEN {
        return KwebError::ReadOnly { op: op.into() };
    }
    match &answer.json() {
        Some(Value::Object(obj)) => {
            let reason = obj
                .get("reason")
                .and_then(Value::as_str)
                .and_then(sanitise_reason);
            KwebError::Failure {
                op: op.into(),
                status: answer.status.as_u16(),
                reason,
            }
        }
        _ => unusable(answer, op, "unexpected JSON"),
    }
}

pub(super) fn expect_object(answer: Answer, op: &str) -> Result<Map<String, Value>, KwebError> {
    if answer.status == StatusCode::FORBIDDEN {
        return Err(KwebError::ReadOnly { op: op.into() });
    }
    if !answer.status.is_success() {
        return Err(failure_of(&answer, op));
    }
    match answer.json() {
        Some(Value::Object(obj)) => Ok(obj),
        _ => Err(unusable(&answer, op, "not a JSON object")),
    }
}

/// KCLI-060/061/062: classify the answer to a mutating call.
pub(super) fn classify_mutation(answer: Answer, op: &str) -> Result<Value, KwebError> {
    if answer.status == StatusCode::FORBIDDEN {
        return Err(KwebError::ReadOnly { op: op.into() });
    }
    let Some(Value::Object(obj)) = &answer.json() else {
        return Err(unusable(&answer, op, "not a JSON object"));
    };
    let result = obj.get("result").and_then(Value::as_str);
    if answer.status.is_success() && result == Some("success") {
        return Ok(Value::Object(obj.clone()));
    }
    let raw_reason = obj
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let lower = raw_reason.to_ascii_lowercase();
    let reason = sanitise_reason(raw_reason);
    if answer.status == StatusCode::BAD_REQUEST && raw_reason == "Invalid Data" {
        return Err(KwebError::BadRequest { op: op.into() });
    }
    if result == Some("failure") {
        if lower.contains("already exists") {
            return Err(KwebError::AlreadyExists {
                op: op.into(),
                reason: reason.unwrap_or_else(|| "already exists".into()),
            });
        }
        let client_error = (lower.starts_with("image ") && lower.ends_with(" not found"))
            || lower.contains("incorrect parameters found")
            || lower.contains("pull secret");
        if client_error {
            return Err(KwebError::Rejected {
                op: op.into(),
                reason: reason.unwrap_or_else(|| "request refused".into()),
            });
        }
        if lower.starts_with("vm ") && lower.ends_with(" not found") {
            return Err(KwebError::NotFound { op: op.into() });
        }
    }
    Err(KwebError::Failure {
        op: op.into(),
        status: answer.status.as_u16(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            bytes: body.as_bytes().to_vec(),
            empty: body.trim().is_empty(),
            html: body.contains('<'),
        }
    }

    #[test]
    fn kcli060_only_result_success_is_success() {
        assert!(
            classify_mutation(
                answer(200, r#"{"result": "success", "vm": "x"}"#),
                "POST /vms"
            )
            .is_ok()
        );
        for body in [
            r#"{"result": "failure"}"#,
            r#"{"result": "not found"}"#,
            "{}",
            "",
            "failure",
            "<html>x</html>",
        ] {
            assert!(
                classify_mutation(answer(200, body), "POST /vms").is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn kcli061_reasons_are_classified() {
        let exists = classify_mutation(
            answer(
                200,
                r#"{"result": "failure", "reason": "VM dcm-a already exists"}"#,
            ),
            "POST /vms",
        );
        assert!(matches!(exists, Err(KwebError::AlreadyExists { .. })));
        let image = classify_mutation(
            answer(
                200,
                r#"{"result": "failure", "reason": "Image foo not found"}"#,
            ),
            "POST /vms",
        );
        assert!(matches!(image, Err(KwebError::Rejected { .. })));
        let missing = classify_mutation(
            answer(
                200,
                r#"{"result": "failure", "reason": "VM dcm-a not found"}"#,
            ),
            "DELETE /vms/{name}",
        );
        assert!(matches!(missing, Err(KwebError::NotFound { .. })));
        let invalid = classify_mutation(
            answer(400, r#"{"result": "failure", "reason": "Invalid Data"}"#),
            "POST /vms",
        );
        assert!(matches!(invalid, Err(KwebError::BadRequest { .. })));
        let readonly = classify_mutation(answer(403, "{}"), "POST /vms");
        assert!(matches!(readonly, Err(KwebError::ReadOnly { .. })));
    }
}
