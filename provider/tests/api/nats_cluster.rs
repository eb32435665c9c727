//! `NATS_URL` with a server list against a three-node JetStream cluster
//! (EVT-040 to EVT-042): the node the provider is connected to is killed
//! mid-run, and every status still reaches the R3 stream, once per event id.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Options, spawn_with, vm_spec};

const VMS: usize = 20;

/// Creates the R3 stream `dcm-status` on `dcm.*`, retrying while the
/// cluster elects its JetStream meta leader (real processes: wall clock).
async fn create_r3_stream(urls: &str) {
    let servers: Vec<String> = urls.split(',').map(str::to_owned).collect();
    let client = async_nats::connect(servers).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    testkit::eventually(Duration::from_secs(30), || async {
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "dcm-status".into(),
            subjects: vec!["dcm.*".into()],
            num_replicas: 3,
            ..Default::default()
        })
        .await
        .map(drop)
        .map_err(|err| format!("R3 stream not created: {err}"))
    })
    .await;
}

/// Every stored message as (Nats-Msg-Id, CloudEvent), read through the
/// nodes still running.
async fn stored(urls: Vec<String>) -> Vec<(String, Value)> {
    let client = async_nats::connect(urls).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    let Ok(mut stream) = js.get_stream("dcm-status").await else {
        return Vec::new();
    };
    let Ok(info) = stream.info().await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for seq in 1..=info.state.last_sequence {
        if let Ok(message) = stream.get_raw_message(seq).await {
            let msg_id = message
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            let event = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
            out.push((msg_id, event));
        }
    }
    out
}

#[tokio::test]
async fn evt042_nats_cluster_failover_loses_and_duplicates_no_event() {
    let mut cluster = testkit::cluster::Cluster::start(3).await;
    create_r3_stream(&cluster.urls()).await;
    let app = spawn_with(Options {
        args: vec!["--nats-url".into(), cluster.urls()],
        ..Options::default()
    })
    .await;
    // Real processes: wait (wall clock) until the provider's connection shows.
    let connected = testkit::eventually(Duration::from_secs(10), || async {
        cluster
            .node_with_client("kcli-provider")
            .await
            .ok_or("provider never connected")
    })
    .await;
    // EVT-023: after its first reconcile pass the provider republishes every
    // resource, so a VM created before that pass would rightly show a second
    // PROVISIONING under a new event id; create only once it is done.
    testkit::eventually(Duration::from_secs(10), || async {
        let ready = app.json("/ready").await;
        if ready["polled"] == true {
            Ok(())
        } else {
            Err(format!("first reconcile pass not done: {ready}"))
        }
    })
    .await;
    for i in 0..VMS {
        if i == VMS / 2 {
            // SIGKILL the node the provider publishes through, mid-run.
            cluster.nodes[connected].stop();
        }
        let id = format!("c-{i}");
        assert_eq!(app.create("vms", &id, vm_spec(&id)).await.status(), 201);
    }
    let ids: Vec<String> = (0..VMS).map(|i| format!("c-{i}")).collect();
    // Real processes: wait until every RUNNING status is stored.
    let messages = testkit::eventually(Duration::from_secs(60), || async {
        let messages = stored(cluster.running_urls()).await;
        let running: HashSet<&str> = messages
            .iter()
            .filter(|(_, e)| e["data"]["status"] == "RUNNING")
            .filter_map(|(_, e)| e["data"]["id"].as_str())
            .collect();
        let missing: Vec<&String> = ids
            .iter()
            .filter(|id| !running.contains(id.as_str()))
            .collect();
        if missing.is_empty() {
            Ok(messages)
        } else {
            Err(format!("missing RUNNING events: {missing:?}"))
        }
    })
    .await;
    assert_ne!(
        cluster.node_with_client("kcli-provider").await,
        None,
        "the provider reconnected to a surviving node"
    );
    // At least once: a re-sent event keeps its id (Nats-Msg-Id = event id).
    for (msg_id, event) in &messages {
        assert_eq!(Some(msg_id.as_str()), event["id"].as_str(), "{event}");
    }
    let mut by_event: HashMap<&str, usize> = HashMap::new();
    for (msg_id, _) in &messages {
        *by_event.entry(msg_id.as_str()).or_default() += 1;
    }
    let stored_duplicates: usize = by_event.values().map(|n| n - 1).sum();
    let mut seen = HashSet::new();
    let mut statuses: HashMap<&str, Vec<&str>> = HashMap::new();
    for (msg_id, event) in &messages {
        if seen.insert(msg_id.as_str()) {
            statuses
                .entry(event["data"]["id"].as_str().unwrap_or_default())
                .or_default()
                .push(event["data"]["status"].as_str().unwrap_or_default());
        }
    }
    println!(
        "nats cluster failover: {} stored events, {} distinct, {stored_duplicates} duplicates",
        messages.len(),
        seen.len()
    );
    for id in &ids {
        assert_eq!(
            statuses.get(id.as_str()).map(Vec::as_slice),
            Some(&["PROVISIONING", "RUNNING"][..]),
            "{id}: every status once, in order, after dedupe by event id"
        );
    }
    assert_eq!(
        stored_duplicates, 0,
        "JetStream drops a re-sent event by its Nats-Msg-Id"
    );
}
