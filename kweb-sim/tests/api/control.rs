//! The `/_sim/` control API and the behaviours it drives (§9, §10, §15).

use crate::support::{call, spawn_app};
use serde_json::json;

#[tokio::test]
async fn readonly_and_backend_toggles() {
    let app = spawn_app().await;
    let r = call(
        app.addr,
        "POST",
        "/_sim/readonly",
        Some(r#"{"enabled": true}"#),
    )
    .await;
    assert_eq!(r.json(), json!({"readonly": true}));
    let e6 = call(app.addr, "GET", "/vms/test", None).await;
    assert_eq!(e6.status_line, "HTTP/1.0 403 Forbidden");
    assert_eq!(e6.text(), "{}");
    let e6 = call(app.addr, "POST", "/vms", Some("{not json")).await;
    assert_eq!(e6.status(), 403);
    assert_eq!(call(app.addr, "GET", "/vms", None).await.status(), 200);
    call(
        app.addr,
        "POST",
        "/_sim/readonly",
        Some(r#"{"enabled": false}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/_sim/backend",
        Some(r#"{"reachable": false}"#),
    )
    .await;
    let e4 = call(app.addr, "GET", "/vms", None).await;
    assert_eq!(e4.status_line, "HTTP/1.0 500 Internal Server Error");
    assert_eq!(
        e4.header_names(),
        vec!["Date", "Server", "Content-Type", "Content-Length"]
    );
    assert_eq!(
        e4.text(),
        "A server error occurred.  Please contact the administrator."
    );
    assert_eq!(call(app.addr, "GET", "/hosts", None).await.status(), 200);
    assert_eq!(call(app.addr, "GET", "/", None).await.status(), 200);
    assert_eq!(
        call(app.addr, "GET", "/vmprofiles", None).await.status(),
        200
    );
}

#[tokio::test]
async fn vm_lifecycle_and_fake_lease_ips() {
    let app = spawn_app().await;
    let r = call(app.addr, "POST", "/vms", Some(r#"{"name":"vm2","profile":"cirros.qcow2","nets":["default"],"memory":2048,"numcpus":4,"cloudinit":false}"#)).await;
    assert_eq!(r.text(), r#"{"result": "success", "vm": "vm2"}"#);
    let info = call(app.addr, "GET", "/vms/vm2", None).await.json();
    // Domain id 2 (the test domain has 1): 192.168.122.2 + 20*(2-1) + 0 + 1.
    assert_eq!(info["ip"], "192.168.122.23");
    assert_eq!(info["user"], "cirros");
    assert_eq!(info["disks"][0]["path"], "/default-pool/vm2_0.img");
    assert_eq!(
        call(app.addr, "POST", "/vms/vm2/stop", None).await.text(),
        r#"{"result": "success"}"#
    );
    let info = call(app.addr, "GET", "/vms/vm2", None).await.json();
    assert_eq!(info["status"], "down");
    assert!(info.get("ip").is_none());
    call(app.addr, "POST", "/vms/vm2/start", None).await;
    let info = call(app.addr, "GET", "/vms/vm2", None).await.json();
    assert_eq!(info["ip"], "192.168.122.43");
    let dup = call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"vm2","profile":"kvirt"}"#),
    )
    .await;
    assert_eq!(
        dup.text(),
        r#"{"result": "failure", "reason": "VM vm2 already exists"}"#
    );
    let iso = call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"vm5","profile":"cirros.qcow2"}"#),
    )
    .await;
    assert_eq!(
        iso.status(),
        500,
        "testdriver cannot upload the cloud-init ISO"
    );
    call(
        app.addr,
        "POST",
        "/snapshots/vm2",
        Some(r#"{"snapshot":"s1"}"#),
    )
    .await;
    let del = call(app.addr, "DELETE", "/vms/vm2", None).await;
    assert_eq!(
        del.text(),
        r#"{"result": "failure", "reason": "VM vm2 has snapshots"}"#
    );
    let del = call(
        app.addr,
        "DELETE",
        "/vms/vm2",
        Some(r#"{"snapshots": true}"#),
    )
    .await;
    assert_eq!(del.text(), r#"{"result": "success"}"#);
    assert_eq!(call(app.addr, "GET", "/vms/vm2", None).await.text(), "{}");
}

#[tokio::test]
async fn faults_fire_in_order_with_counters() {
    let app = spawn_app().await;
    let r = call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"method":"GET","path":"/vms","response":{"shape":"E4"},"max_count":1}"#),
    )
    .await;
    assert_eq!(r.status(), 201);
    let id = r.json()["id"].as_u64().unwrap_or(0);
    assert_eq!(call(app.addr, "GET", "/vms", None).await.status(), 500);
    assert_eq!(call(app.addr, "GET", "/vms", None).await.status(), 200);
    let rule = call(app.addr, "GET", &format!("/_sim/faults/{id}"), None)
        .await
        .json();
    assert_eq!(rule["hits"], 2);
    assert_eq!(rule["fired"], 1);
    call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"path":"/vms/*","name":"dcm-*","response":{"shape":"E1","reason":"boom"}}"#),
    )
    .await;
    let hit = call(app.addr, "POST", "/vms/dcm-1/start", None).await;
    assert_eq!(hit.text(), r#"{"result": "failure", "reason": "boom"}"#);
    let miss = call(app.addr, "POST", "/vms/other/start", None).await;
    assert_eq!(
        miss.text(),
        r#"{"result": "failure", "reason": "VM other not found"}"#
    );
    let bad = call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"path":"/vms","probability":2,"response":{"shape":"E4"}}"#),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.json()["error"].as_str().is_some());
}

#[tokio::test]
async fn complete_cluster_passes_stages_only_when_the_clock_advances() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/_sim/reset",
        Some(r#"{"transitions":"complete"}"#),
    )
    .await;
    call(app.addr, "POST", "/_sim/clock/pause", None).await;
    let r = call(
        app.addr,
        "POST",
        "/kubes",
        Some(r#"{"type":"k3s","cluster":"k1","workers":1}"#),
    )
    .await;
    assert_eq!(r.text(), r#"{"result": "success"}"#);
    let kubes = call(app.addr, "GET", "/kubes", None).await.json();
    assert_eq!(
        kubes["kubes"]["k1"],
        json!({"type": "generic", "plan": "k1", "vms": []})
    );
    assert_eq!(
        call(app.addr, "GET", "/kubes/k1/kubeconfig", None)
            .await
            .status(),
        404
    );
    call(
        app.addr,
        "POST",
        "/_sim/clock/advance",
        Some(r#"{"seconds": 1}"#),
    )
    .await;
    let kubes = call(app.addr, "GET", "/kubes", None).await.json();
    assert_eq!(
        kubes["kubes"]["k1"],
        json!({"type": "k3s", "plan": "k1", "vms": "k1-ctlplane-0"})
    );
    call(
        app.addr,
        "POST",
        "/_sim/clock/advance",
        Some(r#"{"seconds": 10}"#),
    )
    .await;
    let kc = call(app.addr, "GET", "/kubes/k1/kubeconfig", None).await;
    assert_eq!(kc.status(), 200);
    assert_eq!(kc.header("Content-Type"), Some("text/html; charset=UTF-8"));
    assert!(kc.text().contains("server: https://192.168.122."));
    assert!(kc.text().contains("current-context: admin@k1"));
    let kubes = call(app.addr, "GET", "/kubes", None).await.json();
    assert_eq!(kubes["kubes"]["k1"]["vms"], "k1-ctlplane-0,k1-worker-0");
    let info = call(app.addr, "GET", "/kubes/k1", None).await.json();
    assert_eq!(info["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(info["nodes"][0].as_array().map(Vec::len), Some(6));
    assert_eq!(info["version"], "v1.31.4+k3s1");
    assert_eq!(
        call(app.addr, "DELETE", "/kubes/k1", None).await.text(),
        r#"{"result": "success"}"#
    );
    assert_eq!(
        call(app.addr, "GET", "/kubes", None).await.text(),
        r#"{"kubes": {}}"#
    );
}

#[tokio::test]
async fn testdriver_k3s_without_cloudinit_matches_the_capture() {
    let app = spawn_app().await;
    call(app.addr, "POST", "/kubes", Some(r#"{"type":"k3s","cluster":"k3","image":"cirros.qcow2","cloudinit":false,"disk_size":1}"#)).await;
    let kubes = call(app.addr, "GET", "/kubes", None).await;
    assert_eq!(
        kubes.text(),
        r#"{"kubes": {"k3": {"type": "k3s", "plan": "k3", "vms": "k3-ctlplane-0"}}}"#
    );
    let node = call(app.addr, "GET", "/vms/k3-ctlplane-0", None)
        .await
        .json();
    assert_eq!(node["disks"][0]["size"], 1);
    assert_eq!(node["memory"], 1024);
    assert_eq!(
        call(app.addr, "GET", "/kubes/k3/kubeconfig", None)
            .await
            .status(),
        404
    );
    assert_eq!(
        call(app.addr, "GET", "/kubes/k3", None).await.text(),
        r#"{"nodes": [], "version": "N/A"}"#
    );
    call(
        app.addr,
        "POST",
        "/kubes",
        Some(r#"{"type":"k3s","cluster":"k1"}"#),
    )
    .await;
    let kubes = call(app.addr, "GET", "/kubes", None).await.json();
    assert_eq!(
        kubes["kubes"]["k1"],
        json!({"type": "generic", "plan": "k1", "vms": []})
    );
}

#[tokio::test]
async fn populate_upserts_out_of_band_resources() {
    let app = spawn_app().await;
    let body = r#"{"vms":[{"name":"dcm-1","status":"crashed","nets":["default"],"metadata":{"dcm_id":"abc"}},{"name":"raw","status":null,"kcli_metadata":false}],"clusters":[{"name":"orphan"}],"volumes":[{"pool":"default-pool","name":"stray.qcow2"}]}"#;
    let r = call(app.addr, "POST", "/_sim/populate", Some(body)).await;
    assert_eq!(r.status(), 200);
    call(app.addr, "POST", "/_sim/populate", Some(body)).await;
    let vms = call(app.addr, "GET", "/vms", None).await.json();
    let names: Vec<&str> = vms["vms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, vec!["dcm-1", "raw", "test"]);
    assert_eq!(vms["vms"][0]["status"], "crashed");
    assert_eq!(vms["vms"][1]["status"], serde_json::Value::Null);
    assert_eq!(vms["vms"][1]["plan"], "");
    let kubes = call(app.addr, "GET", "/kubes", None).await.json();
    assert_eq!(kubes["kubes"]["orphan"]["vms"], json!([]));
    let images = call(app.addr, "GET", "/images", None).await.json();
    assert!(
        images["images"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("/default-pool/stray.qcow2")))
    );
    let state = call(app.addr, "GET", "/_sim/state", None).await.json();
    assert_eq!(state["vms"][1]["meta"]["dcm_id"], "abc");
    let bad = call(
        app.addr,
        "POST",
        "/_sim/populate",
        Some(r#"{"vms":[{"nom":"x"}]}"#),
    )
    .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn seed_makes_ids_and_macs_reproducible() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    for app in [&a, &b] {
        call(
            app.addr,
            "POST",
            "/vms",
            Some(r#"{"name":"x","profile":"kvirt","nets":["default"]}"#),
        )
        .await;
    }
    let ia = call(a.addr, "GET", "/vms/x", None).await.json();
    let ib = call(b.addr, "GET", "/vms/x", None).await.json();
    assert_eq!(ia["id"], ib["id"]);
    assert_eq!(ia["nets"][0]["mac"], ib["nets"][0]["mac"]);
    assert_eq!(ia["creationdate"], ib["creationdate"]);
}
