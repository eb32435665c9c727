//! deploy/examples/registration/*.json are what kcli-provider really sends.
//!
//! The provider runs against kweb-sim (preset `empty`, the VM profiles of
//! deploy/kweb-sim/profiles.yml, no images) and registers with a recording
//! registry on loopback (testkit's fake DCM); the recorded requests must equal the examples
//! (path, `?id=` and body; the examples' host is DCM's, ours is loopback).

use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use testkit::dcm_sim::{RegistrationAttempt, Registry};

async fn spawn_kweb_sim() -> String {
    let profiles = concat!(env!("CARGO_MANIFEST_DIR"), "/../kweb-sim/profiles.yml");
    let config =
        kweb_sim::Config::try_parse_from(["kweb-sim", "--preset", "empty", "--profiles", profiles])
            .expect("kweb-sim settings");
    testkit::kweb_sim_with(config).await.url
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
fn latest(registry: &Registry, name: &str, metadata_key: &str) -> Option<RegistrationAttempt> {
    registry.posts().into_iter().rev().find(|r| {
        r.json()
            .is_some_and(|b| b["name"] == name && b["metadata"].get(metadata_key).is_some())
    })
}

/// Paused tokio time: the re-registrations and the shutdown's lame-duck
/// window pass on the virtual clock.
#[tokio::test(start_paused = true)]
async fn the_registration_examples_are_what_the_provider_sends() {
    let dcm = testkit::dcm().await;
    let kweb = spawn_kweb_sim().await;
    let state = tempfile::tempdir().expect("state dir");
    let store = state.path().join("state.db");
    let config = kcli_provider::Config::try_parse_from([
        "kcli-provider",
        "--kweb-url",
        &kweb,
        "--spm-url",
        &dcm.base_url(),
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
    let (vm, cluster) = testkit::eventually(Duration::from_secs(20), || async {
        match (
            latest(&dcm.registry, "kcli-vm", "supported_profiles"),
            latest(&dcm.registry, "kcli-cluster", "supported_cluster_types"),
        ) {
            (Some(vm), Some(cluster)) => Ok((vm, cluster)),
            _ => Err(dcm.registry.posts()),
        }
    })
    .await;
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
        assert_eq!(recorded.id_query, id, "{file}: ?id= differs");
        assert_eq!(
            recorded.content_type.as_deref(),
            expected["headers"]["Content-Type"].as_str(),
            "{file}: Content-Type differs"
        );
        assert_eq!(
            recorded.json().unwrap_or(Value::Null),
            expected["body"],
            "{file}: body differs"
        );
    }
}
