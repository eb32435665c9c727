//! The operator's bad day (API-018, ORP-009): kweb connections cut
//! mid-request, restarts with creates still queued behind the kweb
//! concurrency limit, and restarts with a delete under way. Real sockets
//! and real timers: kweb-sim's latency and the proxy's cut are wall-clock
//! events, so these tests wait on wall time with generous bounds.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cut_proxy::CutProxy;
use crate::helpers::{Options, sim_control, sim_state, spawn_with, vm_spec};

const WAIT: Duration = Duration::from_secs(20);

/// Observation 1: a create whose kweb connection is cut after the request
/// was written answers 201 `PROVISIONING` (not 502), keeps its record, and
/// is tracked once kweb finishes the VM; no orphan is left (API-018,
/// API-017, TMO-004).
#[tokio::test]
async fn api018_create_cut_mid_request_is_acknowledged_and_tracked() {
    let sim = testkit::kweb_sim().await.url;
    sim_control(
        &sim,
        "effects",
        json!({"rules": [{"method": "POST", "path": "/vms", "latency_ms": 2000}]}),
    )
    .await;
    let proxy = CutProxy::start(&sim, "POST /vms ", Duration::from_millis(500), 1).await;
    let app = spawn_with(Options {
        nats: true,
        kweb_url: Some(proxy.url.clone()),
        ..Options::default()
    })
    .await;
    let response = app.create("vms", "cut-1", vm_spec("cut-1")).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(
        status, 201,
        "API-018: never a failure while kweb may still create: {body}"
    );
    assert_eq!(body["status"], "PROVISIONING", "{body}");
    assert_eq!(proxy.cut_count(), 1, "the create's connection was cut");
    app.wait_status("/api/v1alpha1/vms/cut-1", "RUNNING", WAIT)
        .await;
    app.events().wait_for("cut-1", "RUNNING", WAIT).await;
    let orphans: Value = app
        .get("/api/v1alpha1/orphans")
        .await
        .json()
        .await
        .expect("orphans");
    assert_eq!(orphans["results"], json!([]), "ORP-001: nothing untracked");
}

/// API-018: a create that never reached kweb (connection refused) is still
/// a rejection: 502 and no record (API-015).
#[tokio::test]
async fn api018_create_that_never_reached_kweb_is_rejected_without_a_record() {
    let closed = format!("http://127.0.0.1:{}", testkit::free_port());
    let app = spawn_with(Options {
        kweb_url: Some(closed),
        ..Options::default()
    })
    .await;
    let response = app.create("vms", "refused-1", vm_spec("refused-1")).await;
    // The catalog is empty with kweb down, so the VM spec may be refused
    // before any kweb call (422); either way no record may remain.
    assert!(
        matches!(response.status().as_u16(), 422 | 502),
        "{}",
        response.status()
    );
    assert_eq!(
        app.get("/api/v1alpha1/vms/refused-1").await.status(),
        404,
        "API-015: no record after a rejection"
    );
}

/// Observation 2: creates queued behind the kweb concurrency limit when the
/// provider stops are sent after the restart and reach RUNNING; none fails
/// (ORP-009: a crash alone never fails a create). The default
/// CREATE_GRACE_PERIOD (10m) is kept, so a create left undispatched would
/// sit in PROVISIONING far beyond the wait. Paused tokio time: kweb-sim's
/// latency, the create timeout and SHUTDOWN_TIMEOUT run on the virtual clock.
#[tokio::test(start_paused = true)]
async fn orp009_creates_queued_at_shutdown_are_dispatched_after_restart() {
    let sim = testkit::kweb_sim().await.url;
    sim_control(
        &sim,
        "effects",
        json!({"rules": [{"method": "POST", "path": "/vms", "latency_ms": 1500}]}),
    )
    .await;
    let args = vec![
        "--create-sync-timeout".to_owned(),
        "200ms".to_owned(),
        "--poll-interval".to_owned(),
        "200ms".to_owned(),
    ];
    let first = spawn_with(Options {
        kweb_url: Some(sim.clone()),
        args: args.clone(),
        ..Options::default()
    })
    .await;
    let ids: Vec<String> = (0..10).map(|i| format!("queued-{i}")).collect();
    let creates = ids.iter().map(|id| first.create("vms", id, vm_spec(id)));
    for response in futures_util::future::join_all(creates).await {
        assert_eq!(response.status(), 201);
    }
    // Six of the ten wait for one of kweb's four call slots; shutdown
    // cancels them after SHUTDOWN_TIMEOUT (2s), leaving pending intents.
    let dir = first.stop().await;
    let second = spawn_with(Options {
        kweb_url: Some(sim.clone()),
        state_dir: Some(Arc::clone(&dir)),
        args,
        ..Options::default()
    })
    .await;
    for id in &ids {
        let got = second
            .wait_status(&format!("/api/v1alpha1/vms/{id}"), "RUNNING", WAIT)
            .await;
        assert_eq!(got["id"], id.as_str());
    }
    let state = sim_state(&sim).await;
    let created = state["vms"]
        .as_array()
        .map(|vms| {
            vms.iter()
                .filter(|v| {
                    v["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("dcm-queued-"))
                })
                .count()
        })
        .unwrap_or_default();
    assert_eq!(created, ids.len(), "each create reached kweb exactly once");
}

/// Observation 3: a `DELETING` record found at start-up has its backend
/// delete resumed at once, not after KWEB_TIMEOUT (ORP-009). The first
/// delete hangs in kweb until the handler gives up (504, TMO-002).
#[tokio::test]
async fn orp009_deleting_record_found_at_startup_resumes_its_delete_at_once() {
    let sim = testkit::kweb_sim().await.url;
    let args = vec![
        "--request-timeout".to_owned(),
        "1s".to_owned(),
        "--create-sync-timeout".to_owned(),
        "500ms".to_owned(),
    ];
    let first = spawn_with(Options {
        kweb_url: Some(sim.clone()),
        args: args.clone(),
        ..Options::default()
    })
    .await;
    assert_eq!(
        first
            .create("vms", "del-1", vm_spec("del-1"))
            .await
            .status(),
        201
    );
    first
        .wait_status("/api/v1alpha1/vms/del-1", "RUNNING", WAIT)
        .await;
    sim_control(
        &sim,
        "faults",
        json!({"method": "DELETE", "path": "/vms/*", "transport": "hang", "hang_seconds": 30, "max_count": 1}),
    )
    .await;
    assert_eq!(first.delete("/api/v1alpha1/vms/del-1").await.status(), 504);
    let dir = first.stop().await;
    let second = spawn_with(Options {
        nats: true,
        kweb_url: Some(sim.clone()),
        state_dir: Some(dir),
        args,
        ..Options::default()
    })
    .await;
    // KWEB_TIMEOUT keeps its default (120s): only a resumed delete is fast.
    // Resumed at start-up, else still there after 10 s.
    second
        .wait_gone("/api/v1alpha1/vms/del-1", Duration::from_secs(10))
        .await;
    second.events().wait_for("del-1", "DELETED", WAIT).await;
}
