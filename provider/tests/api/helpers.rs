//! Test harness: `spawn_app()` starts kweb-sim in-process, a real
//! `nats-server` on a free loopback port (optional), a fake DCM registry and
//! the provider, each on port 0 with a fresh state directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use clap::Parser as _;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Logs only when `TEST_LOG` is set.
pub(crate) fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        kcli_provider::telemetry::init("debug");
    }
}

/// A free loopback TCP port (bind 0, read, release).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A real `nats-server` child process, killed on drop.
pub(crate) struct NatsServer {
    pub(crate) port: u16,
    jetstream_dir: Option<PathBuf>,
    /// A configuration file (`-c`) instead of command-line flags.
    config: Option<PathBuf>,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts `nats-server -a 127.0.0.1 -p PORT` (with `-js -sd DIR` when
    /// `jetstream_dir` is given) and waits until it accepts connections.
    pub(crate) async fn start(jetstream_dir: Option<&Path>) -> Self {
        let mut server = Self {
            port: free_port(),
            jetstream_dir: jetstream_dir.map(Path::to_path_buf),
            config: None,
            child: None,
        };
        server.restart().await;
        server
    }

    /// A server that is not running yet (for "NATS down at startup").
    pub(crate) fn unstarted(jetstream_dir: &Path) -> Self {
        Self {
            port: free_port(),
            jetstream_dir: Some(jetstream_dir.to_path_buf()),
            config: None,
            child: None,
        }
    }

    /// Stops the server (SIGKILL).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// (Re)starts the server on the same port.
    pub(crate) async fn restart(&mut self) {
        self.stop();
        let mut command = Command::new("nats-server");
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        } else {
            command.args(["-a", "127.0.0.1", "-p", &self.port.to_string()]);
            if let Some(dir) = &self.jetstream_dir {
                command.arg("-js").arg("-sd").arg(dir);
            }
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server on PATH (apt-get install nats-server)");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nats-server did not start on port {}", self.port);
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A JetStream cluster of real `nats-server` processes on loopback: one
/// configuration file per node in `dir` (`server_name`, client, monitoring
/// and route ports, its own store directory), every node routing to the
/// others.
pub(crate) struct NatsCluster {
    pub(crate) nodes: Vec<NatsServer>,
    /// Monitoring (`/connz`) port of each node.
    monitor_ports: Vec<u16>,
    _dir: TempDir,
}

impl NatsCluster {
    /// Starts `size` clustered nodes and waits until each accepts clients.
    pub(crate) async fn start(size: usize) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let route_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let monitor_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for n in 0..size {
            let port = free_port();
            let routes: Vec<String> = route_ports
                .iter()
                .enumerate()
                .filter(|(m, _)| *m != n)
                .map(|(_, p)| format!("nats-route://127.0.0.1:{p}"))
                .collect();
            let store = dir.path().join(format!("n{n}"));
            let config = dir.path().join(format!("n{n}.conf"));
            std::fs::write(
                &config,
                format!(
                    "server_name: n{n}\nlisten: 127.0.0.1:{port}\nhttp: 127.0.0.1:{monitor}\n\
                     jetstream {{ store_dir: \"{store}\" }}\n\
                     cluster {{ name: dcm, listen: 127.0.0.1:{route}, routes: [{routes}] }}\n",
                    monitor = monitor_ports[n],
                    store = store.display(),
                    route = route_ports[n],
                    routes = routes.join(", "),
                ),
            )
            .expect("write node config");
            let mut node = Self::node(port, config);
            node.restart().await;
            nodes.push(node);
        }
        Self {
            nodes,
            monitor_ports,
            _dir: dir,
        }
    }

    fn node(port: u16, config: PathBuf) -> NatsServer {
        NatsServer {
            port,
            jetstream_dir: None,
            config: Some(config),
            child: None,
        }
    }

    /// Every node's URL, comma-separated, as `NATS_URL` takes them.
    pub(crate) fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The URLs of the nodes still running.
    pub(crate) fn running_urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(NatsServer::url)
            .collect()
    }

    /// The index of the running node that holds a client connection named
    /// `name` (from its `/connz` monitoring page).
    pub(crate) async fn node_with_client(&self, name: &str) -> Option<usize> {
        for (n, node) in self.nodes.iter().enumerate() {
            if node.child.is_none() {
                continue;
            }
            let url = format!("http://127.0.0.1:{}/connz", self.monitor_ports[n]);
            let Ok(response) = reqwest::get(&url).await else {
                continue;
            };
            let connz: Value = response.json().await.unwrap_or(Value::Null);
            let found = connz["connections"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["name"] == name));
            if found {
                return Some(n);
            }
        }
        None
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
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(e) = self
                .all()
                .into_iter()
                .find(|e| e["data"]["id"] == id && e["data"]["status"] == status)
            {
                return e;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {status} event for {id}; seen: {:?}",
                self.statuses(id)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Creates the JetStream stream `dcm-status` on `dcm.*` (what DCM's
/// control plane does); it persists in the server's store dir across restarts.
pub(crate) async fn create_stream(url: &str) {
    let client = async_nats::connect(url).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "dcm-status".into(),
        subjects: vec!["dcm.*".into()],
        ..Default::default()
    })
    .await
    .expect("stream");
}

/// Every event stored in the `dcm-status` stream, in order.
pub(crate) async fn stream_events(url: &str) -> Vec<Value> {
    let client = async_nats::connect(url).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream("dcm-status").await.expect("stream");
    let last = stream.info().await.expect("info").state.last_sequence;
    let mut out = Vec::new();
    for seq in 1..=last {
        if let Ok(message) = stream.get_raw_message(seq).await {
            out.push(serde_json::from_slice(&message.payload).unwrap_or(Value::Null));
        }
    }
    out
}

/// Waits until the stream holds an event `status` for `id`; returns all events.
pub(crate) async fn wait_stream(url: &str, id: &str, status: &str, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let events = stream_events(url).await;
        if events
            .iter()
            .any(|e| e["data"]["id"] == id && e["data"]["status"] == status)
        {
            return events;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {status} event for {id} in the stream"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fake DCM registry recording `POST /providers?id=` calls.
#[derive(Clone)]
pub(crate) struct Registry {
    pub(crate) base: String,
    pub(crate) calls: Arc<Mutex<Vec<(String, Value)>>>,
    pub(crate) deletes: Arc<Mutex<Vec<String>>>,
    pub(crate) answer: Arc<AtomicU16>,
}

#[derive(Clone)]
struct RegistryState {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
    deletes: Arc<Mutex<Vec<String>>>,
    answer: Arc<AtomicU16>,
}

async fn register(
    State(state): State<RegistryState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: axum::Json<Value>,
) -> (StatusCode, axum::Json<Value>) {
    state
        .calls
        .lock()
        .expect("lock")
        .push((q.get("id").cloned().unwrap_or_default(), body.0.clone()));
    let status =
        StatusCode::from_u16(state.answer.load(Ordering::SeqCst)).unwrap_or(StatusCode::CREATED);
    (
        status,
        axum::Json(json!({"id": q.get("id"), "status": "registered"})),
    )
}

async fn deregister(
    State(state): State<RegistryState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> StatusCode {
    state.deletes.lock().expect("lock").push(id);
    StatusCode::NO_CONTENT
}

impl Registry {
    pub(crate) async fn start() -> Self {
        let state = RegistryState {
            calls: Arc::default(),
            deletes: Arc::default(),
            answer: Arc::new(AtomicU16::new(201)),
        };
        let router = Router::new()
            .route("/api/v1alpha1/providers", post(register))
            .route("/api/v1alpha1/providers/{id}", delete(deregister))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            base: format!("http://{addr}/api/v1alpha1"),
            calls: state.calls,
            deletes: state.deletes,
            answer: state.answer,
        }
    }

    pub(crate) fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().expect("lock").clone()
    }
}

/// Starts kweb-sim in-process on port 0 and returns its base URL.
pub(crate) async fn start_sim() -> String {
    start_sim_task().await.0
}

/// An in-process kweb-sim and its task: aborting the task closes the
/// listener, so new connections are refused as when kweb's process dies.
pub(crate) async fn start_sim_task() -> (String, JoinHandle<std::io::Result<()>>) {
    let config = kweb_sim::Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        seed: Some(7),
        ..kweb_sim::Config::default()
    };
    let app = kweb_sim::Application::build(config)
        .await
        .expect("kweb-sim builds");
    let addr = app.local_addr().expect("sim addr");
    let task = tokio::spawn(app.run_until_stopped());
    (format!("http://{addr}"), task)
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

/// What a test wants besides the defaults.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) nats: bool,
    pub(crate) jetstream: bool,
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
    pub(crate) registry: Registry,
    pub(crate) nats: Option<NatsServer>,
    pub(crate) events: Option<Events>,
    pub(crate) dir: Arc<TempDir>,
    _jetstream_dir: Option<TempDir>,
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
    let sim = start_sim().await;
    let registry = Registry::start().await;
    if let Some(status) = options.registry_status {
        registry.answer.store(status, Ordering::SeqCst);
    }
    let jetstream_dir = options
        .jetstream
        .then(|| tempfile::tempdir().expect("tempdir"));
    let nats = if options.nats || options.jetstream {
        Some(NatsServer::start(jetstream_dir.as_ref().map(TempDir::path)).await)
    } else {
        None
    };
    let events = match &nats {
        Some(server) => Some(Events::subscribe(&server.url()).await),
        None => None,
    };
    let dir = options
        .state_dir
        .unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("tempdir")));
    let kweb = options.kweb_url.clone().unwrap_or_else(|| sim.clone());
    let args = provider_args(
        &kweb,
        &registry.base,
        dir.path(),
        nats.as_ref().map(NatsServer::url).as_deref(),
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
        sim,
        http: reqwest::Client::new(),
        registry,
        nats,
        events,
        dir,
        _jetstream_dir: jetstream_dir,
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
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let body: Value = self.get(path).await.json().await.unwrap_or(Value::Null);
            if body["status"] == status {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never became {status}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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
