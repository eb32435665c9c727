//! Crash test (API-017, ORP-009, EVT-042): SIGKILL the provider binary while
//! 200 creates are in flight, restart it on the same state file, and check
//! that every acknowledged resource is stored, no untracked `dcm-*` VM is
//! left on kweb-sim, and every acknowledged VM gets its RUNNING event.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::{Value, json};

const CREATES: usize = 200;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_port(port: u16) {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {port}");
}

fn provider(sim: &str, nats: &str, state: &Path, port: u16) -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_kcli-provider"))
        .env_clear()
        .env("KWEB_URL", sim)
        .env("SPM_URL", "http://127.0.0.1:1/api/v1alpha1")
        .env("LISTEN_ADDRESS", format!("127.0.0.1:{port}"))
        .env("NATS_URL", nats)
        .env("STATE_STORE_PATH", state.join("state.db"))
        .env("POLL_INTERVAL", "200ms")
        .env("DEBOUNCE_WINDOW", "50ms")
        .env("CREATE_GRACE_PERIOD", "3s")
        .env("KWEB_RATE_LIMIT", "0")
        .env("DEFAULT_PROFILE", "small")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("provider binary");
    Killed(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api017_sigkill_during_200_creates_loses_nothing() {
    let sim_config = kweb_sim::Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        seed: Some(3),
        ..kweb_sim::Config::default()
    };
    let sim_app = kweb_sim::Application::build(sim_config).await.expect("sim");
    let sim = format!("http://{}", sim_app.local_addr().expect("addr"));
    tokio::spawn(sim_app.run_until_stopped());

    let nats_port = free_port();
    let _nats = Killed(
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &nats_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server on PATH"),
    );
    wait_port(nats_port).await;
    let nats_url = format!("nats://127.0.0.1:{nats_port}");
    let client = async_nats::connect(&nats_url).await.expect("nats");
    let mut sub = client.subscribe("dcm.vm").await.expect("subscribe");
    client.flush().await.expect("flush");
    let events: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = Arc::clone(&events);
    tokio::spawn(async move {
        while let Some(message) = sub.next().await {
            if let Ok(value) = serde_json::from_slice::<Value>(&message.payload) {
                sink.lock().expect("lock").push(value);
            }
        }
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let first = provider(&sim, &nats_url, dir.path(), port);
    wait_port(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for i in 0..CREATES {
        let http = http.clone();
        let url = format!("{base}/api/v1alpha1/vms?id=crash-{i}");
        let acked = Arc::clone(&acked);
        tasks.push(tokio::spawn(async move {
            let spec =
                json!({"spec": {"service_type": "vm", "metadata": {"name": format!("crash-{i}")}}});
            if let Ok(response) = http.post(url).json(&spec).send().await {
                if response.status().as_u16() == 201 {
                    acked.lock().expect("lock").push(format!("crash-{i}"));
                }
            }
        }));
    }
    // Kill once part of the creates are acknowledged, with the rest in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().expect("lock").len() < CREATES / 4 {
        assert!(tokio::time::Instant::now() < deadline, "creates too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(first); // SIGKILL
    for task in tasks {
        let _ = task.await;
    }
    let acked: Vec<String> = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= CREATES / 4 && acked.len() < CREATES,
        "acknowledged {} of {CREATES}",
        acked.len()
    );

    let _second = provider(&sim, &nats_url, dir.path(), port);
    wait_port(port).await;
    // Every acknowledged resource is in the store and reaches RUNNING.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for id in &acked {
        loop {
            let got: Value = http
                .get(format!("{base}/api/v1alpha1/vms/{id}"))
                .send()
                .await
                .expect("get")
                .json()
                .await
                .unwrap_or(Value::Null);
            if got["status"] == "RUNNING" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} never RUNNING after restart: {got}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // No untracked dcm-* VM remains: every prefixed VM on kweb-sim has a record.
    let vms: Value = reqwest::get(format!("{sim}/vms"))
        .await
        .expect("sim")
        .json()
        .await
        .expect("json");
    let names: Vec<String> = vms["vms"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|v| v["name"].as_str())
                .filter(|n| n.starts_with("dcm-"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut tracked = HashSet::new();
    let mut token = String::new();
    loop {
        let page: Value = http
            .get(format!(
                "{base}/api/v1alpha1/vms?max_page_size=100&page_token={token}"
            ))
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        for item in page["results"].as_array().into_iter().flatten() {
            tracked.insert(format!(
                "dcm-{}",
                item["spec"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
            ));
        }
        match page["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => break,
        }
    }
    for name in &names {
        assert!(tracked.contains(name), "untracked VM {name} left on kweb");
    }
    let orphans: Value = http
        .get(format!("{base}/api/v1alpha1/orphans"))
        .send()
        .await
        .expect("orphans")
        .json()
        .await
        .expect("json");
    assert_eq!(orphans["results"], json!([]), "no orphans");
    // Every acknowledged VM gets its RUNNING event.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for id in &acked {
        loop {
            let seen = events
                .lock()
                .expect("lock")
                .iter()
                .any(|e| e["data"]["id"] == id.as_str() && e["data"]["status"] == "RUNNING");
            if seen {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no RUNNING event for {id}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    println!(
        "crash test: {} of {CREATES} creates acknowledged before SIGKILL, {} dcm- VMs on kweb-sim, all tracked",
        acked.len(),
        names.len()
    );
}
