//! Route semantics against the simulated world: networks, plans, hosts,
//! images, flavours, state file, serial mode, transport faults, effects.

use std::time::Duration;

use tokio::time::Instant;

use kweb_sim::Config;
use serde_json::json;

use crate::support::{call, form, raw_bytes, spawn_app, spawn_app_with};

#[tokio::test]
async fn network_in_use_check_reproduces_the_last_nic_bug() {
    let app = spawn_app().await;
    // Enumeration order: test (NIC on default), then creation order.
    call(
        app.addr,
        "POST",
        "/networks",
        Some(r#"{"network":"net1","cidr":"10.10.0.0/24","dhcp":true,"isolated":false}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"a","profile":"kvirt","nets":["net1","default"]}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"b","profile":"kvirt"}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"c","profile":"kvirt","nets":["default","net1"]}"#),
    )
    .await;
    let r = call(app.addr, "DELETE", "/networks/default", None).await;
    assert_eq!(
        r.text(),
        r#"{"result": "failure", "reason": "Network default is being used by the following vms: test,a,b"}"#
    );
    let r = call(app.addr, "DELETE", "/networks/net1", None).await;
    assert_eq!(
        r.text(),
        r#"{"result": "failure", "reason": "Network net1 is being used by the following vms: c"}"#
    );
    let dup = call(
        app.addr,
        "POST",
        "/networks",
        Some(r#"{"network":"net1","cidr":"10.11.0.0/24","dhcp":true,"isolated":false}"#),
    )
    .await;
    assert_eq!(
        dup.text(),
        r#"{"result": "failure", "reason": "Network net1 already exists"}"#
    );
    let bad = call(
        app.addr,
        "POST",
        "/networks",
        Some(r#"{"network":"net2","cidr":"10.10.0.1/24","dhcp":true,"isolated":false}"#),
    )
    .await;
    assert_eq!(
        bad.text(),
        r#"{"result": "failure", "reason": "Invalid Cidr 10.10.0.1/24"}"#
    );
    let missing = call(
        app.addr,
        "POST",
        "/networks",
        Some(r#"{"network":"net2","cidr":"10.12.0.0/24"}"#),
    )
    .await;
    assert_eq!(missing.status(), 500);
    let forms = form(
        app.addr,
        "POST",
        "/networks",
        "network=net4&cidr=10.12.0.0/24&dhcp=false&isolated=false",
    )
    .await;
    assert_eq!(forms.text(), r#"{"result": "success"}"#);
    let nets = call(app.addr, "GET", "/networks", None).await.json();
    assert_eq!(
        nets["networks"]["net4"],
        json!({"cidr": "10.12.0.0/24", "dhcp": true, "domain": "net4", "type": "routed", "mode": "isolated", "plan": "kvirt"})
    );
    assert_eq!(
        nets["networks"]["eth1"],
        json!({"cidr": "N/A", "dhcp": "N/A", "type": "nic", "mode": "N/A"})
    );
    let upd = call(
        app.addr,
        "UPDATE",
        "/networks/net4",
        Some(r#"{"dhcp": true}"#),
    )
    .await;
    assert_eq!(
        upd.text(),
        r#"{"result": "failure", "reason": "No changes needed"}"#
    );
    let upd = call(
        app.addr,
        "UPDATE",
        "/networks/nonet",
        Some(r#"{"dhcp": true}"#),
    )
    .await;
    assert_eq!(upd.text(), r#"{"result": "not found"}"#);
}

#[tokio::test]
async fn second_nic_on_a_network_without_dhcp_gets_the_gateway_based_lease() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/networks",
        Some(r#"{"network":"net1","cidr":"10.10.0.0/24","dhcp":true,"isolated":false}"#),
    )
    .await;
    call(
        app.addr,
        "UPDATE",
        "/networks/net1",
        Some(r#"{"dhcp": false}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"vm13","profile":"kvirt","nets":"default,net1","disks":"1,2"}"#),
    )
    .await;
    let info = call(app.addr, "GET", "/vms/vm13", None).await.json();
    // Domain id 2: default 192.168.122.2 + 21, net1 (no DHCP) 10.10.0.1 + 22.
    assert_eq!(info["ip"], "192.168.122.23");
    assert_eq!(info["ips"], json!(["192.168.122.23", "10.10.0.23"]));
    assert_eq!(
        info["disks"][1],
        json!({"device": "vdb", "size": 2, "format": "virtio", "type": "qcow2", "path": "/default-pool/vm13_1.img"})
    );
    let list = call(app.addr, "GET", "/vms", None).await.json();
    let entry = &list["vms"][1];
    assert_eq!(entry["disks"], json!([]));
    let info = entry["info"].as_str().unwrap_or_default();
    assert!(
        info.contains("\nip: 192.168.122.23\nips: ['192.168.122.23', '10.10.0.23']"),
        "{info}"
    );
}

#[tokio::test]
async fn plans_create_list_stop_and_delete() {
    let app = spawn_app().await;
    let plan = std::fs::canonicalize("tests/fixtures/myplan.yml").expect("fixture");
    let body = json!({"name": "plan1", "url": plan.to_string_lossy()}).to_string();
    let r = call(app.addr, "POST", "/plans", Some(&body)).await;
    assert_eq!(
        r.text(),
        r#"{"result": "success", "plan": "plan1", "newvms": ["pvm1", "pvm2"], "existingvms": [], "failedvms": [], "assets": []}"#
    );
    let again = call(app.addr, "POST", "/plans", Some(&body)).await.json();
    assert_eq!(again["existingvms"], json!(["pvm1", "pvm2"]));
    assert_eq!(
        call(app.addr, "GET", "/plans", None).await.text(),
        r#"{"plans": [["plan1", "pvm1,pvm2"]]}"#
    );
    let pvm1 = call(app.addr, "GET", "/vms/pvm1", None).await.json();
    assert_eq!(pvm1["plan"], "plan1");
    assert_eq!(pvm1["profile"], "kvirt");
    assert_eq!(pvm1["user"], "cirros");
    let stop = call(
        app.addr,
        "POST",
        "/plan/other/stop",
        Some(r#"{"name":"plan1"}"#),
    )
    .await;
    assert_eq!(stop.text(), r#"{"result": "success"}"#);
    assert_eq!(
        call(app.addr, "GET", "/vms/pvm1", None).await.json()["status"],
        "down"
    );
    assert_eq!(
        call(app.addr, "POST", "/plan/plan1/stop", None)
            .await
            .status(),
        500
    );
    let missing = call(
        app.addr,
        "POST",
        "/plans",
        Some(r#"{"name":"p2","url":"/nonexistent/plan.yml"}"#),
    )
    .await;
    assert_eq!(
        missing.text(),
        "A server error occurred.  Please contact the administrator."
    );
    let del = call(app.addr, "DELETE", "/plans/plan1", None).await;
    assert_eq!(
        del.text(),
        r#"{"result": "success", "deletedvm": ["pvm1", "pvm2"]}"#
    );
    assert_eq!(
        call(app.addr, "DELETE", "/plans/plan1", None).await.text(),
        r#"{"result": "failure"}"#
    );
}

#[tokio::test]
async fn hosts_enable_disable_switch() {
    let app = spawn_app().await;
    let hosts = call(app.addr, "GET", "/hosts", None).await;
    assert_eq!(
        hosts.text(),
        r#"{"clients": [["fakeclient", "fake", false, ""], ["testlv", "kvm", true, "X"]]}"#
    );
    let r = call(app.addr, "POST", "/hosts/fakeclient/switch", None).await;
    assert_eq!(
        r.text(),
        r#"{"result": "failure", "reason": "Client fakeclient is disabled"}"#
    );
    let r = call(app.addr, "POST", "/hosts/testlv/disable", None).await;
    assert_eq!(
        r.text(),
        r#"{"result": "failure", "reason": "Client testlv currently default"}"#
    );
    let r = call(app.addr, "POST", "/hosts/nosuch/enable", None).await;
    assert_eq!(
        r.text(),
        r#"{"result": "failure", "reason": "Client nosuch not found in config"}"#
    );
    call(app.addr, "POST", "/hosts/fakeclient/enable", None).await;
    call(app.addr, "POST", "/hosts/fakeclient/switch", None).await;
    let hosts = call(app.addr, "GET", "/hosts", None).await;
    assert_eq!(
        hosts.text(),
        r#"{"clients": [["fakeclient", "fake", true, "X"], ["testlv", "kvm", true, ""]]}"#
    );
    let page = call(app.addr, "GET", "/", None).await;
    assert!(page.text().contains("Current Client: fakeclient</p>"));
}

#[tokio::test]
async fn images_isos_and_profiles() {
    let app = spawn_app().await;
    assert_eq!(
        call(app.addr, "GET", "/images", None).await.text(),
        r#"{"images": ["/default-pool/cirros.qcow2", "/default-pool/ubuntu2404"]}"#
    );
    assert_eq!(
        call(app.addr, "GET", "/isos", None).await.text(),
        r#"{"isos": ["/default-pool/boot.iso"]}"#
    );
    let del = call(
        app.addr,
        "DELETE",
        "/images/boot.iso",
        Some(r#"{"pool":"default-pool"}"#),
    )
    .await;
    assert_eq!(del.text(), r#"{"result": "success"}"#);
    let del = call(app.addr, "DELETE", "/images/nosuch.qcow2", None).await;
    assert_eq!(
        del.text(),
        r#"{"result": "failure", "reason": "Image nosuch.qcow2 not found"}"#
    );
    let post = call(
        app.addr,
        "POST",
        "/images",
        Some(r#"{"pool":"default-pool","image":"cirros","url":""}"#),
    )
    .await;
    assert_eq!(post.status(), 500);
    let sno = call(app.addr, "GET", "/kubeprofiles/sample-openshift-sno", None).await;
    assert_eq!(
        sno.text(),
        r#"{"ctlplanes": 1, "workers": 0, "sslip": true, "numcpus": 16, "memory": 32768, "disk_size": 100, "extra_disks": [100], "apps": ["lvms-operator", "users"], "ovn_hostrouting": true}"#
    );
    let unknown = call(app.addr, "GET", "/kubeprofiles/nosuch", None).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.text(),
        r#"{"result": "failure", "reason": "Clusterprofile {profile} not found"}"#
    );
    let vmp = call(app.addr, "GET", "/vmprofiles", None).await.json();
    assert_eq!(vmp["profiles"]["small"]["memory"], 1024);
    assert_eq!(vmp["profiles"]["small"]["client"], "testlv");
}

#[tokio::test]
async fn flavour_changes_the_status_vocabulary() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/_sim/populate",
        Some(r#"{"vms":[{"name":"p","status":"paused"},{"name":"d","status":"down"}]}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/_sim/flavour",
        Some(r#"{"flavour":"vsphere"}"#),
    )
    .await;
    let vms = call(app.addr, "GET", "/vms", None).await.json();
    let status: Vec<&str> = vms["vms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["status"].as_str())
        .collect();
    assert_eq!(status, vec!["down", "suspended", "up"]);
    let bad = call(
        app.addr,
        "POST",
        "/_sim/flavour",
        Some(r#"{"flavour":"nosuch"}"#),
    )
    .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let config = Config {
        state_file: Some(path.clone()),
        ..Config::default()
    };
    let app = spawn_app_with(config.clone()).await;
    call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"keep","profile":"kvirt"}"#),
    )
    .await;
    assert!(path.exists());
    let again = spawn_app_with(config).await;
    let info = call(again.addr, "GET", "/vms/keep", None).await.json();
    assert_eq!(info["name"], "keep");
    assert_eq!(info["status"], "up");
}

/// Paused tokio time: the delays pass on the virtual clock, exactly.
#[tokio::test(start_paused = true)]
async fn serial_mode_blocks_other_clients_during_a_slow_request() {
    let app = spawn_app_with(Config {
        serial: true,
        ..Config::default()
    })
    .await;
    call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"path":"/host","delay_ms":400,"response":{"shape":"E5"}}"#),
    )
    .await;
    let addr = app.addr;
    let slow = tokio::spawn(async move { call(addr, "GET", "/host", None).await });
    // Virtual time: the slow request holds the gate from 0 to 400 ms.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let fast = call(app.addr, "GET", "/pools", None).await;
    assert_eq!(fast.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the second request waited for the first: {:?}",
        started.elapsed()
    );
    assert_eq!(
        slow.await.expect("join").header("Content-Length"),
        Some("0")
    );
}

/// Paused tokio time: the delays pass on the virtual clock, exactly.
#[tokio::test(start_paused = true)]
async fn transport_faults_reset_and_hang() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"path":"/pools","transport":"reset"}"#),
    )
    .await;
    assert!(
        unanswered(app.addr, b"GET /pools HTTP/1.1\r\nHost: x\r\n\r\n").await,
        "reset without a response"
    );
    call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"path":"/host","transport":"hang","hang_seconds":1}"#),
    )
    .await;
    let started = Instant::now();
    let out = raw_bytes(app.addr, b"GET /host HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(out.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// Sends `request` on a fresh connection; true when the server closed or
/// reset it without sending a byte.
async fn unanswered(addr: std::net::SocketAddr, request: &[u8]) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let r = s.read_to_end(&mut out).await;
    r.is_err() || out.is_empty()
}

#[tokio::test]
async fn cut_after_applies_the_create_then_resets() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/_sim/faults",
        Some(r#"{"method":"POST","path":"/vms","transport":"cut_after","max_count":1}"#),
    )
    .await;
    let body = r#"{"name":"cut1","profile":"kvirt"}"#;
    let request = format!(
        "POST /vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert!(
        unanswered(app.addr, request.as_bytes()).await,
        "the client gets no answer"
    );
    let vm = call(app.addr, "GET", "/vms/cut1", None).await;
    assert_eq!(vm.status(), 200);
    assert_eq!(vm.json()["name"], "cut1", "the VM was created anyway");
    let rules = call(app.addr, "GET", "/_sim/faults", None).await.json();
    assert_eq!(rules["faults"][0]["fired"], 1, "{rules}");
    let next = call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"cut2","profile":"kvirt"}"#),
    )
    .await;
    assert_eq!(
        next.text(),
        r#"{"result": "success", "vm": "cut2"}"#,
        "max_count ends the cut"
    );
}

/// Paused tokio time: the delays pass on the virtual clock, exactly.
#[tokio::test(start_paused = true)]
async fn explicit_fault_response_and_latency_effect() {
    let app = spawn_app().await;
    call(app.addr, "POST", "/_sim/faults", Some(r#"{"path":"/kubes","response":{"status":502,"content_type":"text/plain","body":"bad gateway"}}"#)).await;
    let r = call(app.addr, "GET", "/kubes", None).await;
    assert_eq!(r.status_line, "HTTP/1.0 502 Bad Gateway");
    assert_eq!(r.text(), "bad gateway");
    call(
        app.addr,
        "POST",
        "/_sim/effects",
        Some(r#"{"rules":[{"path":"/pools","latency_ms":300}]}"#),
    )
    .await;
    let started = Instant::now();
    assert_eq!(call(app.addr, "GET", "/pools", None).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    call(app.addr, "GET", "/isos", None).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn vm_list_follows_every_kind_of_change() {
    let app = spawn_app().await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v["vms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        names(call(app.addr, "GET", "/vms", None).await.json()),
        vec!["test"]
    );
    call(app.addr, "POST", "/vms/test/stop", None).await;
    assert_eq!(
        call(app.addr, "GET", "/vms", None).await.json()["vms"][0]["status"],
        "down"
    );
    call(
        app.addr,
        "POST",
        "/_sim/populate",
        Some(r#"{"vms":[{"name":"p1"}]}"#),
    )
    .await;
    assert_eq!(
        names(call(app.addr, "GET", "/vms", None).await.json()),
        vec!["p1", "test"]
    );
    call(
        app.addr,
        "POST",
        "/_sim/reset",
        Some(r#"{"transitions":"complete"}"#),
    )
    .await;
    call(app.addr, "POST", "/_sim/clock/pause", None).await;
    call(
        app.addr,
        "POST",
        "/kubes",
        Some(r#"{"type":"k3s","cluster":"k5"}"#),
    )
    .await;
    assert_eq!(
        names(call(app.addr, "GET", "/vms", None).await.json()),
        vec!["test"]
    );
    call(
        app.addr,
        "POST",
        "/_sim/clock/advance",
        Some(r#"{"seconds": 1}"#),
    )
    .await;
    assert_eq!(
        names(call(app.addr, "GET", "/vms", None).await.json()),
        vec!["k5-ctlplane-0", "test"]
    );
    call(
        app.addr,
        "POST",
        "/_sim/flavour",
        Some(r#"{"flavour":"aws"}"#),
    )
    .await;
    assert_eq!(
        call(app.addr, "GET", "/vms", None).await.json()["vms"][1]["status"],
        "running"
    );
}

#[tokio::test]
async fn keep_disks_leaves_the_secondary_volumes() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"kd","profile":"kvirt","disks":[1,2,3]}"#),
    )
    .await;
    call(
        app.addr,
        "POST",
        "/disks/kd",
        Some(r#"{"size":4,"pool":"default-pool"}"#),
    )
    .await;
    assert_eq!(
        call(app.addr, "GET", "/vms/kd", None).await.json()["disks"][3]["device"],
        "vdd"
    );
    let r = call(
        app.addr,
        "DELETE",
        "/vms/kd",
        Some(r#"{"keep_disks":true}"#),
    )
    .await;
    assert_eq!(r.text(), r#"{"result": "success"}"#);
    let state = call(app.addr, "GET", "/_sim/state", None).await.json();
    let mut left: Vec<&str> = state["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .filter(|n| n.starts_with("kd_"))
        .collect();
    left.sort_unstable();
    assert_eq!(left, vec!["kd_1.img", "kd_2.img", "kd_3.img"]);
    let host = call(app.addr, "GET", "/host", None).await.json();
    assert_eq!(
        host["storage"][0],
        "storage: default-pool, type: dir, path: /default-pool, used_space: 12.0GB, available_space: 88.0GB"
    );
}

#[tokio::test]
async fn a_full_pool_fails_like_the_test_driver_when_enabled() {
    let app = spawn_app().await;
    call(
        app.addr,
        "POST",
        "/_sim/host",
        Some(r#"{"pool_capacity": true}"#),
    )
    .await;
    // 3 GiB of seeded images + 90 GiB fit in the 100 GiB pool; the second 10 GiB disk does not.
    let ok = call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"big1","profile":"kvirt","disks":[90]}"#),
    )
    .await;
    assert_eq!(ok.text(), r#"{"result": "success", "vm": "big1"}"#);
    let full = call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"big2","profile":"kvirt","disks":[5,10]}"#),
    )
    .await;
    assert_eq!(full.status(), 500);
    let info = call(app.addr, "GET", "/vms/big2", None).await.json();
    assert_eq!(info["status"], "down", "the domain stays defined and down");
    let host = call(app.addr, "GET", "/host", None).await.json();
    assert_eq!(
        host["storage"][0],
        "storage: default-pool, type: dir, path: /default-pool, used_space: 98.0GB, available_space: 2.0GB"
    );
    call(
        app.addr,
        "POST",
        "/_sim/host",
        Some(r#"{"pool_capacity": false}"#),
    )
    .await;
    let ok = call(
        app.addr,
        "POST",
        "/vms",
        Some(r#"{"name":"big3","profile":"kvirt","disks":[500]}"#),
    )
    .await;
    assert_eq!(ok.status(), 200);
}
