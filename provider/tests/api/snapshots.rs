//! insta snapshots: every problem type, every CloudEvent shape, openapi.json.

use kcli_provider::error::{ALL_SLUGS, ApiError};
use kcli_provider::events::status_event;
use kcli_provider::lifecycle::Status;
use kcli_provider::store::Kind;
use serde_json::{Value, json};

use crate::helpers::{Options, spawn_with};

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../../../snapshots/provider", prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!($name, $value);
        })
    };
}

#[test]
fn err004_every_problem_type() {
    let all: Vec<Value> = ALL_SLUGS
        .iter()
        .map(|slug| ApiError::new(*slug, "example detail").body(Some("/api/v1alpha1/vms")))
        .collect();
    snap!("problem_types", all);
}

#[test]
fn evt001_every_event_shape() {
    let shapes: Vec<Value> = [
        (Kind::Vm, "kcli-vm", "PROVISIONING", None),
        (
            Kind::Vm,
            "kcli-vm",
            "RUNNING",
            Some(json!({"ip": "192.168.122.2"})),
        ),
        (Kind::Vm, "kcli-vm", "DELETED", None),
        (Kind::Cluster, "kcli-cluster", "PROGRESSING", None),
        (
            Kind::Cluster,
            "kcli-cluster",
            "ACTIVE",
            Some(json!({"api_endpoint": "https://192.168.122.3:6443"})),
        ),
        (Kind::Cluster, "kcli-cluster", "FAILED", None),
    ]
    .into_iter()
    .map(|(kind, provider, status, outputs)| {
        status_event(
            kind,
            provider,
            "id-1",
            Status::parse(kind, status).expect("a vocabulary status"),
            "message",
            outputs,
            1_788_256_800_000,
        )
        .event
    })
    .collect();
    insta::with_settings!({snapshot_path => "../../../snapshots/provider", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("event_shapes", shapes, {"[].id" => "[uuid]"});
    });
}

#[tokio::test]
async fn openapi_document() {
    let app = spawn_with(Options::default()).await;
    let response = app.get("/api/v1alpha1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.expect("json");
    assert!(doc["paths"]["/api/v1alpha1/vms"]["post"].is_object());
    snap!("openapi", doc);
}
