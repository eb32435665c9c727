//! Against the pinned REAL kweb (libvirt test driver). Ignored by default;
//! `scripts/provider-live-kweb` starts kweb and runs it with `--ignored`
//! and `KWEB_LIVE_URL`.

use std::time::Duration;

use clap::Parser as _;
use serde_json::{Value, json};

async fn start_provider(
    kweb: &str,
    nats: &str,
    dir: &std::path::Path,
    extra: &[&str],
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let state = dir.join("state.db").display().to_string();
    let mut args = vec![
        "kcli-provider",
        "--kweb-url",
        kweb,
        "--spm-url",
        "http://127.0.0.1:9/api/v1alpha1",
        "--listen-address",
        "127.0.0.1:0",
        "--nats-url",
        nats,
        "--state-store-path",
        &state,
        "--poll-interval",
        "500ms",
        "--debounce-window",
        "100ms",
        "--default-profile",
        "small",
        "--create-grace-period",
        "5s",
    ];
    args.extend_from_slice(extra);
    let app = kcli_provider::Application::build(
        kcli_provider::Config::try_parse_from(args).expect("args"),
    )
    .await
    .expect("build");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = rx.await;
            })
            .await;
    });
    (base, tx, handle)
}

async fn wait_status(http: &reqwest::Client, url: &str, status: &str, within: Duration) -> Value {
    testkit::eventually(within, || async {
        let body: Value = http
            .get(url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .unwrap_or(Value::Null);
        if body["status"] == status {
            Ok(body)
        } else {
            Err(format!("{url} never {status}: {body}"))
        }
    })
    .await
}

/// Waits until `events` holds a `status` event for `id`.
async fn wait_event(events: &testkit::dcm_sim::EventLog, id: &str, status: &str) {
    testkit::eventually(Duration::from_secs(15), || async {
        let statuses: Vec<Option<String>> = events.for_id(id).iter().map(|e| e.status()).collect();
        if statuses.iter().any(|s| s.as_deref() == Some(status)) {
            Ok(())
        } else {
            Err(format!("no {status} event for {id}: {statuses:?}"))
        }
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a real kweb: run scripts/provider-live-kweb"]
async fn live_vm_and_k3s_cluster_on_real_kweb() {
    let kweb = std::env::var("KWEB_LIVE_URL").expect("KWEB_LIVE_URL");
    let nats = testkit::nats().await;
    let nats_url = nats.url().to_owned();
    let events = testkit::event_log(&nats_url).await;
    let seen = |id: &str, status: &str| {
        events
            .for_id(id)
            .iter()
            .any(|e| e.status().as_deref() == Some(status))
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let http = reqwest::Client::new();
    let (base, stop, handle) = start_provider(
        &kweb,
        &nats_url,
        dir.path(),
        &["--cluster-create-timeout", "20s"],
    )
    .await;

    // VM: create, get, list, RUNNING event, delete, DELETED event.
    let spec = json!({"service_type": "vm", "metadata": {"name": "live-1"}, "vcpu": {"count": 1}, "memory": {"size": "512MB"},
                      "guest_os": {"type": "small"}});
    let r = http
        .post(format!("{base}/api/v1alpha1/vms?id=live-vm-1"))
        .json(&json!({"spec": spec}))
        .send()
        .await
        .expect("create");
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    println!("create VM: {status} {body}");
    assert_eq!(status.as_u16(), 201);
    let running = wait_status(
        &http,
        &format!("{base}/api/v1alpha1/vms/live-vm-1"),
        "RUNNING",
        Duration::from_secs(30),
    )
    .await;
    println!("GET VM: {running}");
    let list: Value = http
        .get(format!("{base}/api/v1alpha1/vms"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["results"].as_array().map(Vec::len), Some(1));
    let kweb_vm: Value = http
        .get(format!("{kweb}/vms/dcm-live-1"))
        .send()
        .await
        .expect("kweb")
        .json()
        .await
        .expect("json");
    println!("kweb GET /vms/dcm-live-1: {kweb_vm}");
    assert_eq!(
        kweb_vm["owner"], "dcm:live-vm-1",
        "the DCM id is readable back from real kweb (ORP-005)"
    );
    wait_event(&events, "live-vm-1", "RUNNING").await;

    // Adoption round trip: a provider with an empty store adopts the VM by its DCM id.
    let _ = stop.send(());
    let _ = handle.await;
    let fresh = tempfile::tempdir().expect("tempdir");
    let (base2, stop2, handle2) = start_provider(
        &kweb,
        &nats_url,
        fresh.path(),
        &["--orphan-policy", "adopt"],
    )
    .await;
    let adopted = wait_status(
        &http,
        &format!("{base2}/api/v1alpha1/vms/live-vm-1"),
        "RUNNING",
        Duration::from_secs(30),
    )
    .await;
    println!("adopted after store loss: {adopted}");
    let _ = stop2.send(());
    let _ = handle2.await;
    let (base, stop, handle) = start_provider(
        &kweb,
        &nats_url,
        dir.path(),
        &["--cluster-create-timeout", "20s"],
    )
    .await;

    let r = http
        .delete(format!("{base}/api/v1alpha1/vms/live-vm-1"))
        .send()
        .await
        .expect("delete");
    println!("delete VM: {}", r.status());
    assert_eq!(r.status().as_u16(), 204);
    wait_event(&events, "live-vm-1", "DELETED").await;
    let gone: Value = http
        .get(format!("{kweb}/vms/dcm-live-1"))
        .send()
        .await
        .expect("kweb")
        .json()
        .await
        .expect("json");
    assert_eq!(gone, json!({}), "the VM is gone from kweb");

    // k3s cluster on the test driver: it gets a node VM but never a
    // kubeconfig, so PROGRESSING is the furthest honest status; after
    // CLUSTER_CREATE_TIMEOUT it becomes FAILED naming the stage.
    let spec = json!({"service_type": "cluster", "metadata": {"name": "lk3"},
                      "nodes": {"control_plane": {"count": 1, "cpu": 2, "memory": "1GB", "storage": "1GB"}},
                      "provider_hints": {"kcli": {"cluster_type": "k3s", "image": "cirros.qcow2", "cloudinit": false}}});
    let r = http
        .post(format!("{base}/api/v1alpha1/clusters?id=live-c-1"))
        .json(&json!({"spec": spec}))
        .send()
        .await
        .expect("create");
    let status = r.status();
    println!(
        "create cluster: {status} {}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(status.as_u16(), 201);
    // Real kweb (a process with its own clock): 3 s of wall clock, well
    // inside CLUSTER_CREATE_TIMEOUT (20 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let progressing: Value = http
        .get(format!("{base}/api/v1alpha1/clusters/live-c-1"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    println!("cluster after 3s: {progressing}");
    assert_eq!(progressing["status"], "PROGRESSING");
    let kubes: Value = http
        .get(format!("{kweb}/kubes"))
        .send()
        .await
        .expect("kubes")
        .json()
        .await
        .expect("json");
    println!("kweb GET /kubes: {kubes}");
    assert!(
        kubes["kubes"]["dcm-lk3"].is_object(),
        "kweb lists the cluster"
    );
    let failed = wait_status(
        &http,
        &format!("{base}/api/v1alpha1/clusters/live-c-1"),
        "FAILED",
        Duration::from_secs(40),
    )
    .await;
    println!("cluster after CLUSTER_CREATE_TIMEOUT: {failed}");
    assert!(
        !seen("live-c-1", "ACTIVE"),
        "never ACTIVE without a kubeconfig (VOC-003)"
    );
    let r = http
        .delete(format!("{base}/api/v1alpha1/clusters/live-c-1"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 204);
    let kubes: Value = http
        .get(format!("{kweb}/kubes"))
        .send()
        .await
        .expect("kubes")
        .json()
        .await
        .expect("json");
    assert!(
        kubes["kubes"].get("dcm-lk3").is_none(),
        "kweb no longer lists the cluster: {kubes}"
    );
    let _ = stop.send(());
    let _ = handle.await;
}
