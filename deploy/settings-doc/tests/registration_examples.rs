//! deploy/examples/registration/*.json are what kcli-provider really sends.
//!
//! The provider runs against kweb-sim (preset `empty`, the VM profiles of
//! deploy/kweb-sim/profiles.yml, no images) and registers with a recording
//! registry on loopback; the recorded requests must equal the examples
//! (path, `?id=` and body; the examples' host is DCM's, ours is loopback).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use clap::Parser;
use serde_json::Value;

#[derive(Debug, Clone)]
struct Recorded {
    query_id: Option<String>,
    content_type: Option<String>,
    body: Value,
}

type Log = Arc<Mutex<Vec<Recorded>>>;

async fn record(
    State(log): State<Log>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let entry = Recorded {
        query_id: query.get("id").cloned(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.clone(),
    };
    log.lock().expect("log lock").push(entry);
    (StatusCode::CREATED, Json(body))
}

async fn spawn_registry(log: Log) -> SocketAddr {
    let app = Router::new()
        .route("/api/v1alpha1/providers", post(record))
        .with_state(log);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind registry");
    let addr = listener.local_addr().expect("registry address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn spawn_kweb_sim() -> SocketAddr {
    let profiles = concat!(env!("CARGO_MANIFEST_DIR"), "/../kweb-sim/profiles.yml");
    let config = kweb_sim::Config::try_parse_from([
        "kweb-sim",
        "--bind",
        "127.0.0.1:0",
        "--preset",
        "empty",
        "--profiles",
        profiles,
    ])
    .expect("kweb-sim settings");
    let app = kweb_sim::Application::build(config)
        .await
        .expect("kweb-sim starts");
    let addr = app.local_addr().expect("kweb-sim address");
    tokio::spawn(app.run_until_stopped());
    addr
}

fn example(name: &str) -> Value {
    let path = format!(
        "{}/../examples/registration/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The latest registration for `name` that carries `metadata_key`.
fn latest(log: &Log, name: &str, metadata_key: &str) -> Option<Recorded> {
    log.lock()
        .expect("log lock")
        .iter()
        .rev()
        .find(|r| r.body["name"] == name && r.body["metadata"].get(metadata_key).is_some())
        .cloned()
}

#[tokio::test]
async fn the_registration_examples_are_what_the_provider_sends() {
    let log: Log = Arc::default();
    let registry = spawn_registry(Arc::clone(&log)).await;
    let kweb = spawn_kweb_sim().await;
    let state = tempfile::tempdir().expect("state dir");
    let store = state.path().join("state.db");
    let config = kcli_provider::Config::try_parse_from([
        "kcli-provider",
        "--kweb-url",
        &format!("http://{kweb}"),
        "--spm-url",
        &format!("http://{registry}/api/v1alpha1"),
        "--listen-address",
        "127.0.0.1:0",
        "--advertise-url",
        "http://kcli-sp.lab:8080",
        "--state-store-path",
        store.to_str().expect("utf-8 path"),
        "--poll-interval",
        "200ms",
        "--reregister-interval",
        "200ms",
    ])
    .expect("provider settings");
    let provider = kcli_provider::startup::Application::build(config)
        .await
        .expect("provider starts");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(provider.run_until(async move {
        let _ = stopped.await;
    }));

    // The VM body carries supported_profiles only once kweb's profiles are
    // loaded, so wait for a registration that has them (bounded).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (vm, cluster) = loop {
        if let (Some(vm), Some(cluster)) = (
            latest(&log, "kcli-vm", "supported_profiles"),
            latest(&log, "kcli-cluster", "supported_cluster_types"),
        ) {
            break (vm, cluster);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no complete registrations within 20 s; recorded: {:?}",
            log.lock().expect("log lock")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = stop.send(());
    running
        .await
        .expect("provider task")
        .expect("provider stops cleanly");

    for (recorded, file) in [(vm, "kcli-vm.json"), (cluster, "kcli-cluster.json")] {
        let expected = example(file);
        let url = expected["url"].as_str().expect("example url");
        let id = url.split_once("?id=").map(|(_, id)| id.to_owned());
        assert!(
            url.contains("/api/v1alpha1/providers?id="),
            "{file}: url {url}"
        );
        assert_eq!(recorded.query_id, id, "{file}: ?id= differs");
        assert_eq!(
            recorded.content_type.as_deref(),
            expected["headers"]["Content-Type"].as_str(),
            "{file}: Content-Type differs"
        );
        assert_eq!(recorded.body, expected["body"], "{file}: body differs");
    }
}
