//! deploy/examples/catalog-items/*.json resolve to specs the real provider
//! accepts, and the cluster item really asks kweb for a k3s cluster.
//!
//! Each item is resolved the way DCM's catalog manager does (every field
//! default set at its dot path in the spec), once as is and once per value a
//! user may pick from an `enum`, and created on kcli-provider running
//! against kweb-sim with the compose stack's world (deploy/compose.yaml:
//! preset `homelab`, `complete` transitions, deploy/kweb-sim/profiles.yml,
//! the seeded images). Then kweb-sim is asked what was built.

use std::time::Duration;

use clap::Parser;
use serde_json::{Map, Value, json};

const SEED_IMAGES: &str =
    "Fedora-Cloud-Base-Generic-41.x86_64.qcow2,CentOS-Stream-GenericCloud-9.x86_64.qcow2";
/// What a user types into the one editable field without a default.
const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGVrZXlmb3J0ZXN0aW5nb25seQ user@lab";

fn item(name: &str) -> Value {
    let path = format!(
        "{}/../examples/catalog-items/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn set_path(spec: &mut Value, path: &str, value: Value) {
    let mut node = spec;
    let parts: Vec<&str> = path.split('.').collect();
    for key in &parts[..parts.len() - 1] {
        let object = node.as_object_mut().expect("object on the path");
        node = object
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    node.as_object_mut()
        .expect("object on the path")
        .insert(parts[parts.len() - 1].to_owned(), value);
}

/// The resolved spec, then one variant per enum value of each editable field.
fn resolutions(item: &Value, user_values: &[(&str, Value)]) -> Vec<(String, Value)> {
    let fields = item["spec"]["fields"].as_array().expect("fields");
    let mut base = json!({"service_type": item["spec"]["service_type"]});
    for field in fields {
        if let Some(default) = field.get("default") {
            set_path(
                &mut base,
                field["path"].as_str().expect("path"),
                default.clone(),
            );
        }
    }
    for (path, value) in user_values {
        set_path(&mut base, path, value.clone());
    }
    let mut out = vec![("defaults".to_owned(), base.clone())];
    for field in fields {
        let path = field["path"].as_str().expect("path");
        for choice in field["validation_schema"]["enum"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let mut variant = base.clone();
            set_path(&mut variant, path, choice.clone());
            out.push((format!("{path}={choice}"), variant));
        }
    }
    out
}

/// The value of any `cluster_type` member in the spec, at any depth.
fn requested_cluster_type(spec: &Value) -> Option<String> {
    match spec {
        Value::Object(map) => map.iter().find_map(|(key, value)| match value {
            Value::String(text) if key == "cluster_type" => Some(text.clone()),
            _ => requested_cluster_type(value),
        }),
        _ => None,
    }
}

async fn spawn_kweb_sim() -> String {
    let profiles = concat!(env!("CARGO_MANIFEST_DIR"), "/../kweb-sim/profiles.yml");
    let config = kweb_sim::Config::try_parse_from([
        "kweb-sim",
        "--preset",
        "homelab",
        "--transitions",
        "complete",
        "--profiles",
        profiles,
        "--seed-images",
        SEED_IMAGES,
    ])
    .expect("kweb-sim settings");
    testkit::kweb_sim_with(config).await.url
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    let answer = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    answer
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// Paused tokio time: the registration retries, kweb-sim's cluster stages
/// and the shutdown's lame-duck window pass on the virtual clock.
#[tokio::test(start_paused = true)]
async fn catalog_items_resolve_to_specs_the_provider_creates() {
    let kweb = spawn_kweb_sim().await;
    let state = tempfile::tempdir().expect("state dir");
    let store = state.path().join("state.db");
    let config = kcli_provider::Config::try_parse_from([
        "kcli-provider",
        "--kweb-url",
        &kweb,
        // Registration is not under test here: nothing listens on port 9,
        // and the provider keeps serving while it retries (REG-022).
        "--spm-url",
        "http://127.0.0.1:9/api/v1alpha1",
        "--listen-address",
        "127.0.0.1:0",
        "--advertise-url",
        "http://kcli-sp.test:8080",
        "--state-store-path",
        store.to_str().expect("utf-8 path"),
    ])
    .expect("provider settings");
    let provider = kcli_provider::Application::build(config)
        .await
        .expect("provider starts");
    let base = format!("http://{}", provider.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(provider.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();

    let mut created: Vec<(String, String, Value)> = Vec::new();
    let cases = [
        (
            "vm-fedora.json",
            "vms",
            vec![("access.ssh_public_key", json!(SSH_KEY))],
        ),
        ("cluster-k3s.json", "clusters", vec![]),
    ];
    for (file, plural, user_values) in cases {
        for (index, (label, spec)) in resolutions(&item(file), &user_values)
            .into_iter()
            .enumerate()
        {
            let id = format!("catalog-{plural}-{index}");
            let url = format!("{base}/api/v1alpha1/{plural}?id={id}");
            let answer = client
                .post(&url)
                .json(&json!({"spec": spec}))
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            let status = answer.status();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            assert_eq!(
                status.as_u16(),
                201,
                "{file} ({label}): spec {spec} was refused: {body}"
            );
            created.push((id, plural.to_owned(), spec));
        }
    }

    // What kweb was asked to build: the cluster item's type reached kweb as
    // k3s (provider_hints.kcli.cluster_type, KCLI-020), and the VM's
    // guest_os.type became the kcli profile (KCLI-010, KCLI-011).
    // kweb lists a new cluster as `generic` until its parameters are written
    // (kweb-reference.md §6.14), so wait for the expected value, bounded
    // (paused time: the in-process kweb-sim's clock moves with tokio's).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    for (id, plural, spec) in &created {
        let name = format!("dcm-{id}");
        let expected = if plural == "clusters" {
            // Whatever path the item used: the Go provider's example put it
            // at the top level, where no provider reads it.
            requested_cluster_type(spec).expect("the cluster item names a cluster type")
        } else {
            spec["guest_os"]["type"]
                .as_str()
                .expect("guest os")
                .replace(['-', '.'], "")
        };
        let within = deadline.saturating_duration_since(tokio::time::Instant::now());
        testkit::eventually(within, || async {
            let seen = if plural == "clusters" {
                let kubes = get(&client, &format!("{kweb}/kubes")).await;
                kubes["kubes"][&name]["type"].as_str().map(str::to_owned)
            } else {
                let vm = get(&client, &format!("{kweb}/vms/{name}")).await;
                vm["profile"].as_str().map(str::to_owned)
            };
            if seen.as_deref() == Some(expected.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "{name}: kweb-sim shows {seen:?}, the catalog asked for {expected}"
                ))
            }
        })
        .await;
    }
    let _ = stop.send(());
    running
        .await
        .expect("provider task")
        .expect("provider stops cleanly");
}
