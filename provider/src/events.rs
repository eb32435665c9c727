//! CloudEvents 1.0 status events (contract §9) in structured JSON mode.
//!
//! The envelope is written out as JSON directly (construction cannot
//! fail); the tests read it back with cloudevents-sdk's `Event` to check it
//! is a valid CloudEvents 1.0 event.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::rfc3339_millis;
use crate::lifecycle::Status;
use crate::store::{Kind, OutboxEntry};

/// Builds the outbox entry for one status observation.
///
/// Envelope: fresh UUID `id` (EVT-003), `source` `dcm/providers/{name}`
/// (EVT-004), `type` `dcm.status.{service_type}` and `subject`
/// `dcm.{service_type}` (EVT-002), `time` and `datacontenttype` (EVT-005).
/// `data` is `{id, status, message, timestamp}` (EVT-006, EVT-007), plus
/// `output_spec` with non-secret outputs when given (EVT-008). `time` is
/// RFC 3339 UTC with milliseconds only when they are not zero (the form
/// cloudevents-sdk writes); `data.timestamp` always has milliseconds.
#[must_use]
pub fn status_event(
    kind: Kind,
    provider_name: &str,
    resource_id: &str,
    status: Status,
    message: &str,
    output_spec: Option<Value>,
    at_ms: u64,
) -> OutboxEntry {
    let timestamp = rfc3339_millis(at_ms);
    let subject = format!("dcm.{}", kind.service_type());
    let mut data = json!({"id": resource_id, "status": status.as_str(), "message": message, "timestamp": timestamp});
    if let (Some(outputs), Some(obj)) = (output_spec, data.as_object_mut()) {
        obj.insert("output_spec".into(), outputs);
    }
    let at = UNIX_EPOCH + Duration::from_millis(at_ms);
    let time = if at_ms.is_multiple_of(1000) {
        humantime::format_rfc3339_seconds(at).to_string()
    } else {
        timestamp
    };
    // The attribute order is the SDK's (serde_json keeps insertion order).
    let event = json!({
        "specversion": "1.0",
        "id": Uuid::new_v4().to_string(),
        "type": format!("dcm.status.{}", kind.service_type()),
        "source": format!("dcm/providers/{provider_name}"),
        "datacontenttype": "application/json",
        "subject": subject,
        "time": time,
        "data": data,
    });
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
            Status::Cluster(crate::lifecycle::ClusterStatus::Active),
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

    /// EVT-001, EVT-005: the envelope reads back as a CloudEvents 1.0 event
    /// with the same attributes, at whole seconds and with milliseconds.
    #[test]
    fn evt001_envelope_is_a_cloudevent() {
        use cloudevents::{AttributesReader, Event};
        for (at_ms, time) in [
            (1_788_256_800_000, "2026-09-01T10:00:00Z"),
            (1_788_256_800_123, "2026-09-01T10:00:00.123Z"),
        ] {
            let entry = status_event(
                Kind::Vm,
                "kcli-vm",
                "v1",
                Status::Vm(crate::lifecycle::VmStatus::Running),
                "VM is running",
                Some(json!({"ip": "192.168.122.10"})),
                at_ms,
            );
            assert_eq!(entry.event["time"], time);
            let event: Event = serde_json::from_value(entry.event.clone()).expect("a CloudEvent");
            assert_eq!(event.specversion().as_str(), "1.0");
            assert_eq!(event.ty(), "dcm.status.vm");
            assert_eq!(event.source().as_str(), "dcm/providers/kcli-vm");
            assert_eq!(event.subject(), Some("dcm.vm"));
            assert_eq!(event.datacontenttype(), Some("application/json"));
            assert_eq!(
                event.time().map(|t| t.timestamp_millis()),
                Some(i64::try_from(at_ms).expect("fits"))
            );
            assert_eq!(
                serde_json::to_string(&event).expect("serialises"),
                serde_json::to_string(&entry.event).expect("serialises"),
                "the SDK writes the same JSON back, attribute order included"
            );
        }
    }
}
