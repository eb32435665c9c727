//! SEC-004: the in-memory kubeconfig cache is evicted when a cluster is
//! deleted and when it leaves `ACTIVE`, so a GET never serves credentials of
//! a previous incarnation (the cache otherwise lives for 5 min).
//!
//! Paused tokio time, no NATS: the in-process kweb-sim's clock (and so its
//! cluster stages) moves with the virtual clock.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, sim_control, sim_state, spawn_with};

const WAIT: Duration = Duration::from_secs(20);

/// A k3s cluster spec named `name`.
fn cluster_spec(name: &str) -> Value {
    json!({"service_type": "cluster", "metadata": {"name": name}, "version": "1.31",
           "nodes": {"control_plane": {"count": 1, "cpu": 2, "memory": "2GB"}},
           "provider_hints": {"kcli": {"cluster_type": "k3s", "image": "small"}}})
}

/// The decoded kubeconfig of an `ACTIVE` cluster.
async fn kubeconfig(app: &TestApp, id: &str) -> String {
    let body = app
        .wait_status(&format!("/api/v1alpha1/clusters/{id}"), "ACTIVE", WAIT)
        .await;
    let encoded = body["kubeconfig"]
        .as_str()
        .expect("kubeconfig of an ACTIVE cluster");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64 kubeconfig");
    String::from_utf8(bytes).expect("UTF-8 kubeconfig")
}

/// The backend (kweb) name of the only cluster in the simulator.
async fn backend_name(app: &TestApp) -> String {
    let state = sim_state(&app.sim).await;
    state["clusters"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("one cluster in the sim: {state}"))
        .to_owned()
}

/// A kubeconfig for `cluster` whose API server is `server`.
fn kubeconfig_text(cluster: &str, server: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster:\n    server: {server}\ncontexts:\n- name: admin@{cluster}\n  context:\n    cluster: {cluster}\n    user: admin\ncurrent-context: admin@{cluster}\nusers:\n- name: admin\n  user:\n    token: t\n"
    )
}

/// Creates cluster `id` named `name` (201).
async fn create_cluster(app: &TestApp, id: &str, name: &str) {
    let response = app.create("clusters", id, cluster_spec(name)).await;
    assert_eq!(response.status(), 201, "create {id}");
}

async fn complete_transitions(app: &TestApp) {
    sim_control(
        &app.sim,
        "transitions",
        json!({"set": "complete", "stage_delay_seconds": 0.05}),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn sec004_kubeconfig_cache_is_evicted_when_the_cluster_leaves_active() {
    let app = spawn_with(Options::default()).await;
    complete_transitions(&app).await;
    create_cluster(&app, "kc1", "kc1").await;
    let first = kubeconfig(&app, "kc1").await;
    let name = backend_name(&app).await;
    assert!(!first.contains("https://10.77.0.1:6443"), "{first}");
    // The backend's kubeconfig changes while the cluster stays ACTIVE: the
    // cached copy is still served (the cache is in effect).
    let replaced = kubeconfig_text(&name, "https://10.77.0.1:6443");
    sim_control(
        &app.sim,
        "populate",
        json!({"clusters": [{"name": name, "kubeconfig": replaced}]}),
    )
    .await;
    // An absence, on paused time: 500 ms of virtual time are five 100 ms
    // polls in which a cache miss would show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kubeconfig(&app, "kc1").await, first, "cache not in effect");
    // The kubeconfig disappears: the cluster leaves ACTIVE.
    sim_control(
        &app.sim,
        "populate",
        json!({"clusters": [{"name": name, "kubeconfig": false}]}),
    )
    .await;
    app.wait_status("/api/v1alpha1/clusters/kc1", "UNAVAILABLE", WAIT)
        .await;
    // Back to ACTIVE with the new kubeconfig: the stale copy must be gone.
    sim_control(
        &app.sim,
        "populate",
        json!({"clusters": [{"name": name, "kubeconfig": replaced}]}),
    )
    .await;
    let after = kubeconfig(&app, "kc1").await;
    assert!(
        after.contains("https://10.77.0.1:6443"),
        "SEC-004: stale kubeconfig served after leaving ACTIVE: {after}"
    );
}

#[tokio::test(start_paused = true)]
async fn sec004_kubeconfig_cache_is_evicted_on_delete() {
    let app = spawn_with(Options::default()).await;
    complete_transitions(&app).await;
    create_cluster(&app, "kc2", "old").await;
    let first = kubeconfig(&app, "kc2").await;
    let old_name = backend_name(&app).await;
    assert!(first.contains(&old_name), "{first}");
    assert_eq!(app.delete("/api/v1alpha1/clusters/kc2").await.status(), 204);
    app.wait_gone("/api/v1alpha1/clusters/kc2", WAIT).await;
    // Same id, new cluster: its kubeconfig names the new backend cluster.
    create_cluster(&app, "kc2", "new").await;
    let second = kubeconfig(&app, "kc2").await;
    let new_name = backend_name(&app).await;
    assert_ne!(new_name, old_name);
    assert!(
        second.contains(&new_name) && !second.contains(&old_name),
        "SEC-004: the deleted cluster's kubeconfig was served for the new one: {second}"
    );
}

#[tokio::test(start_paused = true)]
async fn sec004_kubeconfig_cache_expires_after_5_min() {
    let app = spawn_with(Options {
        // Five virtual minutes pass: slow full polls and probes keep them cheap
        // (transition polls stay at 1 s while the cluster is created).
        args: ["--poll-interval", "30s", "--health-probe-interval", "30s"]
            .map(str::to_owned)
            .to_vec(),
        ..Options::default()
    })
    .await;
    complete_transitions(&app).await;
    create_cluster(&app, "kc3", "kc3").await;
    let first = kubeconfig(&app, "kc3").await;
    let cached_at = tokio::time::Instant::now();
    assert!(!first.contains("https://10.77.0.2:6443"), "{first}");
    let name = backend_name(&app).await;
    let replaced = kubeconfig_text(&name, "https://10.77.0.2:6443");
    sim_control(
        &app.sim,
        "populate",
        json!({"clusters": [{"name": name, "kubeconfig": replaced}]}),
    )
    .await;
    // Paused time: just inside the 5 min the cache lives, the cached copy.
    tokio::time::sleep_until(cached_at + Duration::from_secs(299)).await;
    assert_eq!(kubeconfig(&app, "kc3").await, first, "cached for 5 min");
    tokio::time::sleep_until(cached_at + Duration::from_secs(300)).await;
    let after = kubeconfig(&app, "kc3").await;
    assert!(
        after.contains("https://10.77.0.2:6443"),
        "re-read from kweb once the cache entry is 5 min old: {after}"
    );
}
