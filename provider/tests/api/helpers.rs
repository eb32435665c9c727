//! Test harness: `spawn_app()` starts kweb-sim in-process, a real
//! `nats-server` with JetStream on a free loopback port (optional), the fake
//! DCM (those three from `testkit`) and the provider, each on port 0 with a
//! fresh state directory.
//!
//! Paused time: under `#[tokio::test(start_paused = true)]` everything
//! in-process (provider, kweb-sim and its clock, the fake DCM) runs on the
//! test's current-thread runtime over real loopback sockets, and the virtual
//! clock auto-advances only while every task waits (never during a
//! `spawn_blocking` store call). Such tests start without NATS: `nats-server`
//! is a separate process whose answers virtual time would outrun, as it would
//! wiremock's, which serves from its own thread.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser as _;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use testkit::NatsServer;
use testkit::dcm_sim::{FakeDcm, Scripted};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Logs only when `TEST_LOG` is set.
pub(crate) fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        kcli_provider::telemetry::init("debug");
    }
}

/// Events seen on `dcm.*`.
#[derive(Clone, Default)]
pub(crate) struct Events(pub Arc<Mutex<Vec<Value>>>);

impl Events {
    /// Subscribes to `dcm.*` on `url` and records every payload.
    pub(crate) async fn subscribe(url: &str) -> Self {
        let client = async_nats::connect(url).await.expect("connect to NATS");
        let mut sub = client.subscribe("dcm.*").await.expect("subscribe");
        client.flush().await.expect("flush");
        let events = Self::default();
        let sink = events.clone();
        tokio::spawn(async move {
            let _keep = client;
            while let Some(message) = sub.next().await {
                let value: Value = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
                let mut value = value;
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("_nats_subject".into(), json!(message.subject.as_str()));
                }
                sink.0.lock().expect("lock").push(value);
            }
        });
        events
    }

    pub(crate) fn all(&self) -> Vec<Value> {
        self.0.lock().expect("lock").clone()
    }

    /// Statuses published for `id`, in order.
    pub(crate) fn statuses(&self, id: &str) -> Vec<String> {
        self.all()
            .iter()
            .filter(|e| e["data"]["id"] == id)
            .filter_map(|e| e["data"]["status"].as_str().map(str::to_owned))
            .collect()
    }

    /// Waits until an event with `status` for `id` arrives.
    pub(crate) async fn wait_for(&self, id: &str, status: &str, within: Duration) -> Value {
        testkit::eventually(within, || async {
            self.all()
                .into_iter()
                .find(|e| e["data"]["id"] == id && e["data"]["status"] == status)
                .ok_or_else(|| format!("no {status} event for {id}; seen: {:?}", self.statuses(id)))
        })
        .await
    }
}

/// Waits until the `dcm-status` stream holds an event `status` for `id`;
/// returns all its events.
pub(crate) async fn wait_stream(url: &str, id: &str, status: &str, within: Duration) -> Vec<Value> {
    testkit::eventually(within, || async {
        let events = testkit::stream_events(url).await;
        if events
            .iter()
            .any(|e| e["data"]["id"] == id && e["data"]["status"] == status)
        {
            Ok(events)
        } else {
            Err(format!("no {status} event for {id} in the stream"))
        }
    })
    .await
}

/// POSTs to the simulator's control API.
pub(crate) async fn sim_control(sim: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{sim}/_sim/{path}"))
        .json(&body)
        .send()
        .await
        .expect("sim control");
    assert!(
        response.status().is_success(),
        "sim control {path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

/// The simulator's whole state (`GET /_sim/state`).
pub(crate) async fn sim_state(sim: &str) -> Value {
    reqwest::get(format!("{sim}/_sim/state"))
        .await
        .expect("sim state")
        .json()
        .await
        .expect("sim state json")
}

/// What a test wants besides the defaults.
#[derive(Default)]
pub(crate) struct Options {
    /// A `nats-server` (with JetStream) and an [`Events`] subscriber.
    pub(crate) nats: bool,
    pub(crate) kweb_url: Option<String>,
    pub(crate) args: Vec<String>,
    pub(crate) state_dir: Option<Arc<TempDir>>,
    pub(crate) registry_status: Option<u16>,
}

/// A running provider with its parts.
pub(crate) struct TestApp {
    pub(crate) addr: SocketAddr,
    pub(crate) base: String,
    pub(crate) sim: String,
    pub(crate) http: reqwest::Client,
    pub(crate) dcm: FakeDcm,
    pub(crate) nats: Option<NatsServer>,
    pub(crate) events: Option<Events>,
    pub(crate) dir: Arc<TempDir>,
    _sim: testkit::Sim,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// Arguments of the provider under test.
pub(crate) fn provider_args(
    kweb: &str,
    registry: &str,
    state: &Path,
    nats: Option<&str>,
    extra: &[String],
) -> Vec<String> {
    let mut args: Vec<String> = [
        "kcli-provider",
        "--kweb-url",
        kweb,
        "--spm-url",
        registry,
        "--listen-address",
        "127.0.0.1:0",
        "--poll-interval",
        "100ms",
        "--debounce-window",
        "50ms",
        "--health-probe-interval",
        "100ms",
        "--kweb-rate-limit",
        "0",
        "--default-profile",
        "small",
        "--create-sync-timeout",
        "2s",
        "--request-timeout",
        "5s",
        "--shutdown-timeout",
        "2s",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push("--state-store-path".into());
    args.push(state.join("state.db").display().to_string());
    args.push("--nats-url".into());
    args.push(nats.unwrap_or("").to_owned());
    args.extend(extra.iter().cloned());
    args
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(Options {
        nats: true,
        ..Options::default()
    })
    .await
}

pub(crate) async fn spawn_with(options: Options) -> TestApp {
    init_logs();
    let sim = testkit::kweb_sim().await;
    let dcm = testkit::dcm().await;
    if let Some(status) = options.registry_status {
        dcm.registry.script((0..100).map(|_| Scripted {
            status,
            delay: Duration::ZERO,
        }));
    }
    let nats = if options.nats {
        Some(testkit::nats().await)
    } else {
        None
    };
    let events = match &nats {
        Some(server) => Some(Events::subscribe(server.url()).await),
        None => None,
    };
    let dir = options
        .state_dir
        .unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("tempdir")));
    let kweb = options.kweb_url.clone().unwrap_or_else(|| sim.url.clone());
    let args = provider_args(
        &kweb,
        &dcm.base_url(),
        dir.path(),
        nats.as_ref().map(NatsServer::url),
        &options.args,
    );
    let config = kcli_provider::Config::try_parse_from(&args).expect("valid test arguments");
    let app = kcli_provider::Application::build(config)
        .await
        .expect("provider builds");
    let addr = app.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = rx.await;
            })
            .await;
    });
    TestApp {
        addr,
        base: format!("http://{addr}"),
        sim: sim.url.clone(),
        http: reqwest::Client::new(),
        dcm,
        nats,
        events,
        dir,
        _sim: sim,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn create(&self, plural: &str, id: &str, spec: Value) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/v1alpha1/{plural}?id={id}")))
            .json(&json!({"spec": spec}))
            .send()
            .await
            .expect("create")
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("get")
    }

    /// The JSON body GET of `path` answers.
    pub(crate) async fn json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("json")
    }

    pub(crate) async fn delete(&self, path: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .send()
            .await
            .expect("delete")
    }

    pub(crate) fn events(&self) -> &Events {
        self.events.as_ref().expect("test started with NATS")
    }

    /// Waits until GET of `path` shows `status`.
    pub(crate) async fn wait_status(&self, path: &str, status: &str, within: Duration) -> Value {
        testkit::eventually(within, || async {
            let body: Value = self.get(path).await.json().await.unwrap_or(Value::Null);
            if body["status"] == status {
                Ok(body)
            } else {
                Err(format!("{path} never became {status}: {body}"))
            }
        })
        .await
    }

    /// Waits until GET of `path` answers 404.
    pub(crate) async fn wait_gone(&self, path: &str, within: Duration) {
        testkit::eventually(within, || async {
            match self.get(path).await.status().as_u16() {
                404 => Ok(()),
                status => Err(format!("{path} still answers {status}")),
            }
        })
        .await;
    }

    /// Starts graceful shutdown without waiting for it to end.
    pub(crate) fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Graceful shutdown; waits for the provider to close the store.
    pub(crate) async fn stop(mut self) -> Arc<TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
        }
        Arc::clone(&self.dir)
    }
}

/// A VM spec on the simulator's `small` profile.
pub(crate) fn vm_spec(name: &str) -> Value {
    json!({"service_type": "vm", "metadata": {"name": name}, "vcpu": {"count": 1}, "memory": {"size": "1GB"},
           "guest_os": {"type": "small"}})
}
