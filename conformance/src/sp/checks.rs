//! Plain judging functions the step definitions call (style.md: steps stay
//! thin). Each returns `Err` with a readable reason naming the requirement.

use serde_json::Value;

use crate::sp::profile::Profile;
use crate::sp::schemas::{Shape, validate};
use crate::wire::Exchange;

/// Problem `type` prefix for slug URIs (§8.1).
pub const PROBLEM_BASE: &str = "https://dcm-project.github.io/problems/";

/// The plural collection segment of a service type (`vm` → `vms`).
#[must_use]
pub fn plural(service_type: &str) -> String {
    match service_type {
        "storage" => "storage".into(),
        other => format!("{other}s"),
    }
}

/// The exchange got an HTTP answer with this status.
///
/// # Errors
/// When the status differs or there was no answer.
pub fn status_is(ex: &Exchange, expected: &[u16]) -> Result<(), String> {
    match ex.status() {
        Some(s) if expected.contains(&s) => Ok(()),
        Some(s) => Err(format!("expected HTTP {expected:?}, got {s}")),
        None => Err(format!(
            "expected HTTP {expected:?}, got no answer: {}",
            ex.error.clone().unwrap_or_default()
        )),
    }
}

/// The answer is `application/json` (parameters allowed) and parses (API-002).
///
/// # Errors
/// Wrong media type or unparsable body.
pub fn json_body(ex: &Exchange) -> Result<Value, String> {
    match ex.media_type().as_deref() {
        Some("application/json") => ex.json(),
        other => Err(format!(
            "API-002: success body must be application/json, Content-Type was {other:?}"
        )),
    }
}

/// A problem answer with `status` and, when given, the slug (ERR-001 to ERR-003).
/// `about:blank` is tolerated (§16 row 34) unless `strict_slug`.
///
/// # Errors
/// The first broken rule.
pub fn problem(
    ex: &Exchange,
    status: &[u16],
    slug: Option<&str>,
    strict_slug: bool,
) -> Result<Value, String> {
    status_is(ex, status)?;
    let media = ex.media_type();
    if media.as_deref() != Some("application/problem+json") {
        return Err(format!(
            "ERR-001: a {} answer must be application/problem+json, Content-Type was {media:?}; body: {}",
            ex.status().unwrap_or(0),
            crate::wire::truncate(&ex.text(), 200)
        ));
    }
    let body = ex.json().map_err(|e| format!("ERR-001: {e}"))?;
    validate(Shape::Problem, &body).map_err(|e| {
        format!(
            "ERR-002/ERR-003: problem body breaks the schema: {}",
            e.join("; ")
        )
    })?;
    let got = body["status"].as_u64().unwrap_or(0);
    if Some(got) != ex.status().map(u64::from) {
        return Err(format!(
            "ERR-002: problem status {got} differs from HTTP status {:?}",
            ex.status()
        ));
    }
    let ptype = body["type"].as_str().unwrap_or_default();
    if let Some(slug) = slug {
        let wanted = format!("{PROBLEM_BASE}{slug}");
        let tolerated = !strict_slug && ptype == "about:blank";
        if ptype != wanted && !tolerated {
            return Err(format!("problem type should be {wanted}, got {ptype}"));
        }
    }
    if let Some(detail) = body.get("detail").and_then(Value::as_str) {
        leak_free(detail).map_err(|e| format!("ERR-006: detail {e}"))?;
    }
    Ok(body)
}

/// Text carries no stack trace, HTML page, backend URL or credential (ERR-006, SEC-002).
///
/// # Errors
/// Names what leaked.
pub fn leak_free(text: &str) -> Result<(), String> {
    let lower = text.to_ascii_lowercase();
    let markers = [
        ("<html", "an HTML page"),
        ("<!doctype", "an HTML page"),
        ("panicked at", "a panic message"),
        ("stack backtrace", "a stack trace"),
        ("traceback (most recent call last)", "a Python traceback"),
        ("\n    at ", "a stack trace"),
        ("bearer ", "a bearer token"),
        ("apiversion: v1", "a kubeconfig"),
        ("client-key-data", "a kubeconfig"),
        ("http://127.0.0.1", "a backend URL"),
        ("http://localhost", "a backend URL"),
    ];
    for (needle, what) in markers {
        if lower.contains(needle) {
            return Err(format!(
                "contains {what}: {}",
                crate::wire::truncate(text, 200)
            ));
        }
    }
    Ok(())
}

/// Keys outside `spec` are snake_case (API-002).
///
/// # Errors
/// Names the first offending key.
pub fn snake_case_keys(value: &Value, skip: &[&str]) -> Result<(), String> {
    let Some(obj) = value.as_object() else {
        return Ok(());
    };
    for (k, v) in obj {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let ok = k
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(format!("API-002: member `{k}` is not snake_case"));
        }
        snake_case_keys(v, &[])?;
    }
    Ok(())
}

/// A resource representation (API-003 to API-005, VOC-001).
///
/// # Errors
/// The first broken rule.
pub fn resource(
    body: &Value,
    service_type: &str,
    id: Option<&str>,
    sent_spec: Option<&Value>,
    profile: Profile,
) -> Result<(), String> {
    validate(Shape::Resource, body)
        .map_err(|e| format!("API-003: resource breaks the schema: {}", e.join("; ")))?;
    snake_case_keys(body, &["spec", "kubeconfig"])?;
    let got_id = body["id"].as_str().unwrap_or_default();
    if let Some(id) = id
        && got_id != id
    {
        return Err(format!("API-011: id should be {id}, got {got_id}"));
    }
    let path = body["path"].as_str().unwrap_or_default();
    let wanted_path = format!("{}/{got_id}", plural(service_type));
    if path != wanted_path {
        return Err(format!("API-003: path should be {wanted_path}, got {path}"));
    }
    status_in_vocabulary(
        body["status"].as_str().unwrap_or_default(),
        service_type,
        profile,
    )?;
    if let Some(spec) = sent_spec
        && &body["spec"] != spec
    {
        return Err(format!(
            "API-004: spec should be returned JSON-equal to {spec}, got {}",
            body["spec"]
        ));
    }
    for output in ["ip", "ssh_user", "api_endpoint", "kubeconfig"] {
        if body["spec"].get(output).is_some() && sent_spec.is_none_or(|s| s.get(output).is_none()) {
            return Err(format!(
                "API-003: read-only output `{output}` must be top level, not inside spec"
            ));
        }
    }
    Ok(())
}

/// A status from the profile vocabulary (VOC-001).
///
/// # Errors
/// The status and the accepted set.
pub fn status_in_vocabulary(
    status: &str,
    service_type: &str,
    profile: Profile,
) -> Result<(), String> {
    let vocab = profile.vocabulary(service_type);
    if vocab.contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "VOC-001: status `{status}` is not in the {profile} {service_type} vocabulary {vocab:?}"
        ))
    }
}

/// One status event (EVT-001 to EVT-007, VOC-001).
///
/// # Errors
/// The first broken rule.
pub fn event(
    subject: &str,
    payload: &str,
    service_type: &str,
    provider_name: Option<&str>,
    resource_id: &str,
    profile: Profile,
) -> Result<Value, String> {
    let v: Value = serde_json::from_str(payload).map_err(|e| {
        format!(
            "EVT-001: payload is not a structured-mode JSON CloudEvent ({e}): {}",
            crate::wire::truncate(payload, 200)
        )
    })?;
    validate(Shape::CloudEvent, &v).map_err(|e| {
        format!(
            "EVT-001..EVT-006: event breaks the schema: {}",
            e.join("; ")
        )
    })?;
    let wanted_subject = format!("dcm.{service_type}");
    if subject != wanted_subject {
        return Err(format!(
            "EVT-002: published on `{subject}`, expected `{wanted_subject}`"
        ));
    }
    if v["subject"] != wanted_subject.as_str() {
        return Err(format!(
            "EVT-002: CloudEvents subject should be {wanted_subject}, got {}",
            v["subject"]
        ));
    }
    if v["type"] != format!("dcm.status.{service_type}").as_str() {
        return Err(format!(
            "EVT-002: type should be dcm.status.{service_type}, got {}",
            v["type"]
        ));
    }
    if let Some(name) = provider_name
        && v["source"] != format!("dcm/providers/{name}").as_str()
    {
        return Err(format!(
            "EVT-004: source should be dcm/providers/{name}, got {}",
            v["source"]
        ));
    }
    if v["id"] == resource_id {
        return Err("EVT-003: the event id must be a fresh UUID, not the resource id".into());
    }
    let status = v["data"]["status"].as_str().unwrap_or_default();
    status_in_vocabulary(status, service_type, profile)?;
    if let Some(msg) = v["data"]["message"].as_str() {
        leak_free(msg).map_err(|e| format!("EVT-006/SEC-002: message {e}"))?;
    }
    if let Some(out) = v["data"].get("output_spec")
        && out.get("kubeconfig").is_some()
    {
        return Err("EVT-008/SEC-003: output_spec carries a kubeconfig".into());
    }
    Ok(v)
}

/// How an SP answered a create whose backend call was cut after the backend
/// applied it (API-018).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutCreate {
    /// 201 with a status that is not a failure, or 504 with the record
    /// kept: the resource must end tracked by the SP.
    Kept,
    /// A 4xx or 5xx other than 504 (or a 201 that is already `FAILED`):
    /// allowed only when nothing is left in the backend. Holds the status.
    Refused(u16),
}

/// Classifies the answer to a cut create from its HTTP status and the
/// `status` member of its body (API-018; no answer at all breaks API-014).
///
/// # Errors
/// No HTTP answer, or a status that is neither a 201/504 nor a 4xx/5xx.
pub fn cut_create_answer(http: Option<u16>, status: Option<&str>) -> Result<CutCreate, String> {
    match http {
        Some(201) if matches!(status, Some("FAILED" | "ERROR")) => Ok(CutCreate::Refused(201)),
        Some(201 | 504) => Ok(CutCreate::Kept),
        Some(code @ 400..=599) => Ok(CutCreate::Refused(code)),
        Some(code) => Err(format!(
            "API-018: a create the backend applied must be answered 201 or 504, got {code}"
        )),
        None => Err("API-014: the cut create got no answer".into()),
    }
}

/// A resource read after a delete whose backend call was cut once sent is
/// `DELETING` or gone (404), never back to its previous status (API-018,
/// TMO-002).
///
/// # Errors
/// Names the status the resource went back to, or the unexpected answer.
pub fn deleting_or_gone(ex: &Exchange) -> Result<(), String> {
    match ex.status() {
        Some(404) => Ok(()),
        Some(200) => {
            let body = ex.json()?;
            match body["status"].as_str() {
                Some("DELETING") => Ok(()),
                other => Err(format!(
                    "API-018/TMO-002: a delete cut after it was sent has an unknown outcome; the resource must stay DELETING, it shows {other:?}"
                )),
            }
        }
        other => Err(format!(
            "API-040: GET of the resource answered {other:?}, expected 200 DELETING or 404"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_error_is_not_a_problem() {
        let ex = Exchange {
            request: crate::wire::Request::new("POST", "http://x/api/v1alpha1/vms"),
            response: Some(crate::wire::Response {
                status_line: "HTTP/1.1 400 Bad Request".into(),
                status: 400,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: b"bad request".to_vec(),
            }),
            error: None,
            elapsed: std::time::Duration::ZERO,
        };
        let err = problem(&ex, &[400], Some("invalid-argument"), false)
            .expect_err("plain text must fail");
        assert!(err.starts_with("ERR-001"), "{err}");
    }

    #[test]
    fn legacy_accepts_error_but_current_does_not() {
        assert!(status_in_vocabulary("ERROR", "vm", Profile::V1alpha1).is_err());
        assert!(status_in_vocabulary("ERROR", "vm", Profile::Legacy).is_ok());
        assert!(status_in_vocabulary("RUNNING", "cluster", Profile::V1alpha1).is_err());
    }

    #[test]
    fn api018_cut_create_answers() {
        // (HTTP status, body status, classification; None: the answer is an error).
        let rows = [
            (Some(201), Some("PROVISIONING"), Some(CutCreate::Kept)),
            (Some(201), Some("PROGRESSING"), Some(CutCreate::Kept)),
            (Some(504), None, Some(CutCreate::Kept)),
            (Some(201), Some("FAILED"), Some(CutCreate::Refused(201))),
            (Some(502), None, Some(CutCreate::Refused(502))),
            (Some(422), None, Some(CutCreate::Refused(422))),
            (Some(200), Some("RUNNING"), None),
            (None, None, None),
        ];
        for (http, status, want) in rows {
            let got = cut_create_answer(http, status).ok();
            assert_eq!(got, want, "{http:?} {status:?}");
        }
    }

    #[test]
    fn leaks_are_found() {
        assert!(leak_free("<html><body>500</body></html>").is_err());
        assert!(leak_free("thread 'main' panicked at src/x.rs").is_err());
        assert!(leak_free("backend not reachable").is_ok());
    }
}
