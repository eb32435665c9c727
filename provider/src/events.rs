//! CloudEvents 1.0 status events (contract §9), built with cloudevents-sdk's
//! `EventBuilderV10` and serialised with serde in structured JSON mode.

use cloudevents::{EventBuilder, EventBuilderV10};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::rfc3339_millis;
use crate::store::{Kind, OutboxEntry};

/// Builds the outbox entry for one status observation.
///
/// Envelope: fresh UUID `id` (EVT-003), `source` `dcm/providers/{name}`
/// (EVT-004), `type` `dcm.status.{service_type}` and `subject`
/// `dcm.{service_type}` (EVT-002), `time` and `datacontenttype` (EVT-005).
/// `data` is `{id, status, message, timestamp}` (EVT-006, EVT-007), plus
/// `output_spec` with non-secret outputs when given (EVT-008).
#[must_use]
pub fn status_event(
    kind: Kind,
    provider_name: &str,
    resource_id: &str,
    status: &str,
    message: &str,
    output_spec: Option<Value>,
    at_ms: u64,
) -> OutboxEntry {
    let time = rfc3339_millis(at_ms);
    let subject = format!("dcm.{}", kind.service_type());
    let mut data =
        json!({"id": resource_id, "status": status, "message": message, "timestamp": time});
    if let (Some(outputs), Some(obj)) = (output_spec, data.as_object_mut()) {
        obj.insert("output_spec".into(), outputs);
    }
    let built = EventBuilderV10::new()
        .id(Uuid::new_v4().to_string())
        .source(format!("dcm/providers/{provider_name}"))
        .ty(format!("dcm.status.{}", kind.service_type()))
        .subject(subject.clone())
        .time(time.clone())
        .data("application/json", data.clone())
        .build();
    let event = match built.map(|e| serde_json::to_value(&e)) {
        Ok(Ok(value)) => value,
        // The builder only fails on a missing or unparsable attribute, which
        // the values above cannot produce; fall back to the same shape by hand.
        _ => json!({"specversion": "1.0", "id": Uuid::new_v4().to_string(),
                    "source": format!("dcm/providers/{provider_name}"),
                    "type": format!("dcm.status.{}", kind.service_type()), "subject": subject,
                    "time": time, "datacontenttype": "application/json", "data": data}),
    };
    OutboxEntry {
        subject,
        resource_id: resource_id.to_owned(),
        event,
        created_ms: at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evt001_to_evt007_envelope() {
        let entry = status_event(
            Kind::Cluster,
            "kcli-cluster",
            "c1",
            "ACTIVE",
            "ok",
            None,
            1_788_256_800_000,
        );
        let e = &entry.event;
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["source"], "dcm/providers/kcli-cluster");
        assert_eq!(e["type"], "dcm.status.cluster");
        assert_eq!(e["subject"], "dcm.cluster");
        assert_eq!(e["datacontenttype"], "application/json");
        assert_eq!(e["data"]["id"], "c1");
        assert_eq!(e["data"]["status"], "ACTIVE");
        assert!(
            e["time"]
                .as_str()
                .is_some_and(|t| t.starts_with("2026-09-01T10:00:00") && t.ends_with('Z')),
            "{e}"
        );
        assert_ne!(e["id"], "c1");
        assert!(Uuid::parse_str(e["id"].as_str().unwrap_or_default()).is_ok());
        assert_eq!(entry.subject, "dcm.cluster");
    }
}
