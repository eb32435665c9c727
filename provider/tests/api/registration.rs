//! Registration with the fake DCM registry (contract §4, KCLI-001, KCLI-002).
//!
//! Paused tokio time (no NATS): backoff, retry gaps and re-registration run
//! on the virtual clock, so absences are checked past the longest delay.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Options, spawn_with};

/// The registrations so far as (`?id=`, body).
fn calls(app: &crate::helpers::TestApp) -> Vec<(String, Value)> {
    app.dcm
        .registry
        .posts()
        .iter()
        .map(|a| {
            (
                a.id_query.clone().unwrap_or_default(),
                a.json().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Waits until `n` registrations arrived, for at most 5 min 10 s of (virtual)
/// time: one REREGISTER_INTERVAL plus a backoff-delayed attempt.
async fn wait_calls(app: &crate::helpers::TestApp, n: usize) -> Vec<(String, Value)> {
    testkit::eventually(Duration::from_secs(310), || async {
        let calls = calls(app);
        if calls.len() >= n {
            Ok(calls)
        } else {
            Err(calls)
        }
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn kcli001_two_registrations_with_stable_ids() {
    let app = spawn_with(Options::default()).await;
    let calls = wait_calls(&app, 2).await;
    let vm = calls
        .iter()
        .find(|(_, b)| b["service_type"] == "vm")
        .expect("vm registration");
    let cluster = calls
        .iter()
        .find(|(_, b)| b["service_type"] == "cluster")
        .expect("cluster registration");
    assert_eq!(vm.0, "94a87776-e87e-5321-a196-fcb56a9b59c1", "REG-010");
    assert_eq!(vm.1["name"], "kcli-vm");
    assert_eq!(
        vm.1["endpoint"],
        format!("http://{}/api/v1alpha1/vms", app.addr),
        "REG-011"
    );
    assert_eq!(
        cluster.1["endpoint"],
        format!("http://{}/api/v1alpha1/clusters", app.addr)
    );
    assert_eq!(
        vm.1["operations"],
        serde_json::json!(["CREATE", "DELETE", "READ"])
    );
    assert_eq!(vm.1["display_name"], "kcli Virtual Machines");
    assert!(
        vm.1.get("id").is_none() && vm.1.get("status").is_none(),
        "REG-006"
    );
    assert!(!vm.1.to_string().contains(&app.sim), "SEC-009: no kweb URL");
    assert_eq!(
        cluster.1["metadata"]["supported_cluster_types"][0],
        "generic"
    );
    let body: Value = testkit::eventually(Duration::from_secs(10), || async {
        let ready = app.get("/ready").await;
        match ready.status().as_u16() {
            200 => Ok(ready.json().await.expect("json")),
            status => Err(format!("never ready: {status}")),
        }
    })
    .await;
    assert_eq!(
        body,
        serde_json::json!({"ready": true, "kweb": true, "registered": true, "polled": true})
    );
}

#[tokio::test(start_paused = true)]
async fn reg024_a_4xx_stops_retries_and_is_surfaced() {
    let started = tokio::time::Instant::now();
    let app = spawn_with(Options {
        registry_status: Some(400),
        // Five virtual minutes pass: slow polls and probes keep them cheap.
        args: ["--poll-interval", "30s", "--health-probe-interval", "30s"]
            .map(str::to_owned)
            .to_vec(),
        ..Options::default()
    })
    .await;
    let _ = wait_calls(&app, 2).await;
    testkit::eventually(Duration::from_secs(10), || async {
        let metrics = app.get("/metrics").await.text().await.expect("metrics");
        if metrics.matches("result=\"rejected\"").count() == 2 {
            Ok(())
        } else {
            Err(metrics)
        }
    })
    .await;
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 503, "REG-024 readiness false");
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["registered"], false);
    let attempts = calls(&app).len();
    assert_eq!(attempts, 2, "one attempt per provider");
    // Paused time: 61 s of virtual time outlast the longest retry delay (the
    // 60 s cap, REG-021) and stay inside REREGISTER_INTERVAL (5 min).
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert_eq!(calls(&app).len(), attempts, "no retries after a 4xx");
    // REG-026: the next attempt is the re-registration, 5 min later.
    tokio::time::sleep_until(started + Duration::from_secs(299)).await;
    assert_eq!(calls(&app).len(), attempts, "no attempt before 5 min");
    let again = wait_calls(&app, attempts + 2).await;
    assert!(
        started.elapsed() >= Duration::from_secs(300),
        "re-registered {:?} after the start",
        started.elapsed()
    );
    assert_eq!(
        again.len(),
        attempts + 2,
        "one re-registration per provider"
    );
}

#[tokio::test(start_paused = true)]
async fn reg021_5xx_is_retried_until_success() {
    let app = spawn_with(Options {
        registry_status: Some(503),
        ..Options::default()
    })
    .await;
    let _ = wait_calls(&app, 2).await;
    app.dcm.registry.clear_script();
    let metrics = testkit::eventually(Duration::from_secs(15), || async {
        let metrics = app.get("/metrics").await.text().await.expect("metrics");
        if metrics.matches("result=\"success\"").count() == 2 {
            Ok(metrics)
        } else {
            Err(metrics)
        }
    })
    .await;
    assert!(metrics.contains("result=\"retry\""), "{metrics}");
}

#[tokio::test(start_paused = true)]
async fn reg027_deregistration_on_graceful_shutdown() {
    let app = spawn_with(Options {
        args: vec!["--deregister-on-shutdown".into(), "true".into()],
        ..Options::default()
    })
    .await;
    let _ = wait_calls(&app, 2).await;
    let registry = app.dcm.registry.clone();
    let health_url = app.url("/health");
    let _dir = app.stop().await;
    let mut deleted = registry.deregistrations();
    deleted.sort();
    let mut expected = vec![
        kcli_provider::config::derived_provider_id("kcli-vm"),
        kcli_provider::config::derived_provider_id("kcli-cluster"),
    ];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(
        reqwest::get(health_url).await.is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test(start_paused = true)]
async fn reg026_periodic_reregistration_with_the_same_id() {
    let app = spawn_with(Options {
        args: vec!["--reregister-interval".into(), "200ms".into()],
        ..Options::default()
    })
    .await;
    let calls = wait_calls(&app, 8).await;
    let vm_ids: Vec<&String> = calls
        .iter()
        .filter(|(_, b)| b["service_type"] == "vm")
        .map(|(id, _)| id)
        .collect();
    assert!(vm_ids.len() >= 3, "{vm_ids:?}");
    assert!(
        vm_ids.iter().all(|id| *id == vm_ids[0]),
        "same id every time"
    );
}
