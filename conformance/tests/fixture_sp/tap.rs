//! The NATS tap: the provider publishes to a private nats-server; the tap
//! subscribes to `dcm.>` there and republishes each event to the suite's
//! NATS, dropping or rewriting events for the event defects.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use serde_json::Value;

use super::front::error_for_failed;
use super::{Defect, lock};

/// What happens to one event on its way (a pure decision).
#[derive(Debug, PartialEq)]
enum Fate {
    Pass,
    Drop,
    Rewrite(Value),
}

fn fate(defects: &BTreeSet<Defect>, recreated: &Mutex<BTreeSet<String>>, event: &Value) -> Fate {
    let data = &event["data"];
    if data["status"] == "DELETED" {
        if defects.contains(&Defect::NoDeletedEvent) {
            return Fate::Drop;
        }
        let id = data["id"].as_str().unwrap_or_default();
        if lock(recreated).remove(id) {
            return Fate::Drop;
        }
    }
    if data["status"] == "FAILED" && defects.contains(&Defect::ErrorInsteadOfFailed) {
        let mut event = event.clone();
        error_for_failed(&mut event["data"]["status"]);
        return Fate::Rewrite(event);
    }
    Fate::Pass
}

/// Republishes `events` (the private `dcm.>` subscription) to `suite`
/// until aborted.
pub(crate) async fn run(
    mut events: async_nats::Subscriber,
    suite: async_nats::Client,
    defects: Arc<BTreeSet<Defect>>,
    recreated: Arc<Mutex<BTreeSet<String>>>,
) {
    while let Some(msg) = events.next().await {
        let event: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
        let payload = match fate(&defects, &recreated, &event) {
            Fate::Drop => continue,
            Fate::Pass => msg.payload,
            Fate::Rewrite(v) => v.to_string().into(),
        };
        let headers = msg.headers.unwrap_or_default();
        if suite
            .publish_with_headers(msg.subject, headers, payload)
            .await
            .is_ok()
        {
            let _ = suite.flush().await;
        }
    }
}

// Runs in the harnessed binaries that hold the fixture (proxy, html_report).
#[cfg(test)]
mod tests {
    #[test]
    fn events_are_dropped_or_rewritten_by_defect() {
        use super::{BTreeSet, Defect, Fate, Mutex, fate};
        let ev = |status: &str| serde_json::json!({"data": {"id": "a", "status": status}});
        let set = |d: &[Defect]| d.iter().copied().collect::<BTreeSet<_>>();
        let none = Mutex::new(BTreeSet::new());
        let rows = [
            (set(&[]), ev("DELETED"), Fate::Pass),
            (set(&[Defect::NoDeletedEvent]), ev("DELETED"), Fate::Drop),
            (set(&[Defect::NoDeletedEvent]), ev("RUNNING"), Fate::Pass),
            (
                set(&[Defect::ErrorInsteadOfFailed]),
                ev("FAILED"),
                Fate::Rewrite(ev("ERROR")),
            ),
        ];
        for (defects, event, want) in rows {
            assert_eq!(fate(&defects, &none, &event), want, "{defects:?} {event}");
        }
        let recreated = Mutex::new(["a".to_owned()].into_iter().collect());
        assert_eq!(fate(&set(&[]), &recreated, &ev("DELETED")), Fate::Drop);
        assert_eq!(fate(&set(&[]), &recreated, &ev("DELETED")), Fate::Pass);
    }
}
