//! The `embedded` and `live-kweb` targets: the reference provider
//! (`kcli-provider`) started in-process by the suite, on kweb-sim (embedded,
//! with backend control through `/_sim/`) or on a real kweb (live-kweb:
//! `--kweb-url`, or the pinned launcher `scripts/kweb-live/start`).
//!
//! The suite only *launches* these crates; it never uses their types to judge
//! answers (design.md). A restart drops the provider and builds it again on
//! the same state file and port (`@cap:restart`). The provider runs with
//! short intervals so the whole suite stays fast; they are declared to the
//! timeout table.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::sp::target::{
    BackendAction, Capability, LaunchEnv, Launcher, SpUnderTest, TargetIdentity,
};
use crate::sp::timeouts::Declared;

const POLL: Duration = Duration::from_millis(200);
/// Long enough that the EVT-025 flap (6 flips 50 ms apart plus their backend
/// requests, about 0.3 s) falls inside one window also on a loaded machine;
/// with a window shorter than the flap every flip may be published, rightly.
const DEBOUNCE: Duration = Duration::from_secs(1);
const CLUSTER_CREATE_TIMEOUT: Duration = Duration::from_secs(3);
const NAME_PREFIX: &str = "dcm-";

/// Where the provider's kweb comes from.
#[derive(Debug, Clone)]
pub enum Backend {
    /// kweb-sim in-process.
    Simulator,
    /// A real kweb at this URL.
    RealUrl(String),
    /// A real kweb started with `scripts/kweb-live/start --port PORT`.
    RealLauncher {
        /// The launcher script.
        script: PathBuf,
        /// Port in the suite's range.
        port: u16,
    },
}

/// Launcher for the embedded and live-kweb targets.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The backend.
    pub backend: Backend,
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

struct EmbeddedSp {
    env: LaunchEnv,
    /// kweb (or kweb-sim) itself: backend control and inspection.
    kweb_url: String,
    /// The kweb URL the provider calls (`KWEB_URL`): `kweb_url`, or a layer
    /// in front of it ([`Interposed`]).
    provider_kweb_url: String,
    /// The URL the provider registers (`ADVERTISE_URL`).
    advertise_url: String,
    simulated: bool,
    live_run_dir: Option<String>,
    /// live-kweb: the kcli build behind the real kweb ([`kcli_build`]).
    kweb_build: Option<String>,
    state: tempfile::TempDir,
    addr: SocketAddr,
    http: reqwest::Client,
    /// Fault rules the suite added to kweb-sim, by `{scope}/{purpose}`, with
    /// their ids.
    faults: tokio::sync::Mutex<BTreeMap<String, u64>>,
    running: tokio::sync::Mutex<Option<Running>>,
    _sim: Option<JoinHandle<()>>,
}

fn provider_args(
    env: &LaunchEnv,
    kweb: &str,
    addr: SocketAddr,
    advertise_url: &str,
    state: &std::path::Path,
    probe_timeout: &str,
) -> Vec<String> {
    let s = |v: &str| v.to_owned();
    vec![
        s("kcli-provider"),
        s("--kweb-url"),
        s(kweb),
        s("--spm-url"),
        env.dcm_base_url.clone(),
        s("--listen-address"),
        addr.to_string(),
        s("--advertise-url"),
        s(advertise_url),
        s("--nats-url"),
        env.nats_url.clone(),
        s("--state-store-path"),
        state.join("state.db").display().to_string(),
        s("--poll-interval"),
        humantime::format_duration(POLL).to_string(),
        s("--debounce-window"),
        humantime::format_duration(DEBOUNCE).to_string(),
        s("--health-probe-interval"),
        s("100ms"),
        s("--health-probe-timeout"),
        s(probe_timeout),
        s("--create-sync-timeout"),
        s("1s"),
        s("--request-timeout"),
        s("2s"),
        s("--shutdown-timeout"),
        s("1s"),
        s("--cluster-create-timeout"),
        s("3s"),
        s("--create-grace-period"),
        s("1s"),
        s("--resync-interval"),
        s("2s"),
        s("--reregister-interval"),
        s("3s"),
        s("--registration-timeout"),
        s("2s"),
        s("--kweb-rate-limit"),
        s("0"),
        s("--default-profile"),
        s("small"),
        s("--deregister-on-shutdown"),
        s("true"),
        s("--log-level"),
        s("error"),
    ]
}

impl EmbeddedSp {
    async fn start(&self) -> anyhow::Result<Running> {
        // kweb serves one request at a time: on a real kweb the health probe
        // needs the contract's default budget.
        let probe_timeout = if self.simulated { "1s" } else { "3s" };
        let args = provider_args(
            &self.env,
            &self.provider_kweb_url,
            self.addr,
            &self.advertise_url,
            self.state.path(),
            probe_timeout,
        );
        let config = <kcli_provider::Config as clap::Parser>::try_parse_from(&args)
            .context("kcli-provider settings")?;
        let app = kcli_provider::Application::build(config)
            .await
            .map_err(|e| anyhow::anyhow!("kcli-provider: {e}"))?;
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = app
                .run_until(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Running { stop, task })
    }

    /// Graceful stop, bounded: a provider that has not ended 10 s after
    /// its stop signal (`SHUTDOWN_TIMEOUT` is 1 s, so a restart spends
    /// 250 ms in lame duck) is aborted and awaited, so the next start never
    /// meets a previous instance still holding the state file or the port.
    async fn stop(&self) {
        if let Some(run) = self.running.lock().await.take() {
            let _ = run.stop.send(());
            let mut task = run.task;
            if tokio::time::timeout(Duration::from_secs(10), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
    }

    async fn sim(&self, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        anyhow::ensure!(
            self.simulated,
            "backend control needs kweb-sim (the embedded target)"
        );
        let url = format!("{}/_sim/{path}", self.kweb_url);
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let resp = self
            .http
            .request(m, &url)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        anyhow::ensure!(
            status.is_success(),
            "{method} {url} answered {status}: {text}"
        );
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn add_fault(&self, key: &str, rule: Value) -> anyhow::Result<()> {
        self.remove_fault(key).await?;
        let answer = self.sim("POST", "faults", rule).await?;
        let id = answer["id"]
            .as_u64()
            .or_else(|| answer["rule"]["id"].as_u64())
            .unwrap_or(0);
        self.faults.lock().await.insert(key.to_owned(), id);
        Ok(())
    }

    /// Removes every fault added under a key that starts with `prefix`.
    async fn remove_faults_under(&self, prefix: &str) -> anyhow::Result<()> {
        let scoped: Vec<String> = self
            .faults
            .lock()
            .await
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        for key in scoped {
            self.remove_fault(&key).await?;
        }
        Ok(())
    }

    async fn remove_fault(&self, key: &str) -> anyhow::Result<()> {
        if let Some(id) = self.faults.lock().await.remove(key) {
            self.sim("DELETE", &format!("faults/{id}"), json!({}))
                .await?;
        }
        Ok(())
    }

    /// Removes the scope's fault rules whose purpose starts with `purpose`.
    async fn remove_faults(&self, scope: &str, purpose: &str) -> anyhow::Result<()> {
        self.remove_faults_under(&format!("{scope}/{purpose}"))
            .await
    }

    /// The kweb-sim name glob of a scope's objects (their backend names
    /// contain the scenario's metadata name, KCLI-003).
    fn scope_glob(scope: &str) -> String {
        format!("*{scope}*")
    }

    /// Backend name per KCLI-003 for `base`: the id of a spec without
    /// `metadata.name`, else that name.
    fn name_of(base: &str) -> anyhow::Result<String> {
        let mut clean = String::new();
        for c in base.to_ascii_lowercase().chars() {
            let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            };
            if !(c == '-' && clean.ends_with('-')) {
                clean.push(c);
            }
        }
        let name = format!("{NAME_PREFIX}{}", clean.trim_matches('-'));
        anyhow::ensure!(
            name.len() <= 50,
            "backend name of {base} would be truncated (KCLI-003); not derived here"
        );
        Ok(name)
    }

    fn kweb_collection(service_type: &str) -> &'static str {
        if service_type == "cluster" {
            "kubes"
        } else {
            "vms"
        }
    }
}

impl SpUnderTest for EmbeddedSp {
    fn identity(&self) -> TargetIdentity {
        TargetIdentity {
            kind: if self.simulated {
                "embedded".into()
            } else {
                "live-kweb".into()
            },
            product: "kcli-provider".into(),
            version: format!("workspace {}", env!("CARGO_PKG_VERSION")),
            services: BTreeMap::new(),
        }
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        let mut caps: BTreeSet<Capability> =
            [Capability::Restart, Capability::Ref, Capability::Clusters]
                .into_iter()
                .collect();
        if self.simulated {
            caps.insert(Capability::BackendControl);
        }
        caps
    }

    fn service_types(&self) -> Vec<String> {
        vec!["cluster".into(), "vm".into()]
    }

    fn declared(&self) -> Declared {
        Declared {
            poll: POLL,
            debounce: DEBOUNCE,
            cluster_create_timeout: CLUSTER_CREATE_TIMEOUT,
        }
    }

    fn timeout_overrides(&self) -> Vec<(String, String)> {
        // The provider runs with REQUEST_TIMEOUT=2s and a 200 ms poll: every
        // answer is due within 3 s, and the hung-backend scenarios (TMO-001,
        // TMO-002) hang the backend for 5 s instead of 8 s.
        [
            ("create_response", "3s"),
            ("http_response", "3s"),
            ("redelivery_after_nats_recovery", "15s"),
            ("poll_step", "100ms"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    fn backend(&self, action: BackendAction) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            match action {
                BackendAction::Down => self
                    .sim("POST", "backend", json!({"reachable": false}))
                    .await
                    .map(drop),
                BackendAction::Up => self
                    .sim("POST", "backend", json!({"reachable": true}))
                    .await
                    .map(drop),
                // Latency, not a transport hang: kweb-sim drops a hung connection
                // after `hang_seconds`, which is a failure rather than a slow backend.
                BackendAction::Hang(d) => {
                    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                    self.sim("POST", "effects", json!({"latency_ms": ms}))
                        .await
                        .map(drop)
                }
                BackendAction::HangScoped { scope, duration } => {
                    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
                    let rule = json!({"name": Self::scope_glob(&scope), "delay_ms": ms});
                    self.add_fault(&format!("{scope}/slow"), rule).await
                }
                BackendAction::HangDelete {
                    scope,
                    service_type,
                    id,
                    duration,
                } => {
                    let name = Self::name_of(&id)?;
                    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
                    let path = format!("/{}/{name}", Self::kweb_collection(&service_type));
                    let rule = json!({"method": "DELETE", "path": path, "delay_ms": ms});
                    self.add_fault(&format!("{scope}/slow-delete:{id}"), rule)
                        .await
                }
                BackendAction::Release { scope } => {
                    self.remove_faults(&scope, "slow").await?;
                    self.sim("POST", "effects", json!({"latency_ms": 0}))
                        .await
                        .map(drop)
                }
                BackendAction::RejectCreates { scope } => {
                    let rule = json!({"method": "POST", "path": "/vms", "name": Self::scope_glob(&scope), "response": {"shape": "E1", "reason": "Image cst-missing not found"}});
                    self.add_fault(&format!("{scope}/reject-creates"), rule)
                        .await
                }
                BackendAction::AcceptCreates { scope } => {
                    self.remove_faults(&scope, "reject-creates").await?;
                    self.remove_faults(&scope, "cut-create").await
                }
                // kweb-sim's `cut_after` runs the create, then resets the
                // connection; the rule matches the scenario's names only.
                BackendAction::CutNextCreate {
                    scope,
                    service_type,
                } => {
                    let path = format!("/{}", Self::kweb_collection(&service_type));
                    let rule = json!({"method": "POST", "path": path, "name": Self::scope_glob(&scope), "transport": "cut_after", "max_count": 1});
                    self.add_fault(&format!("{scope}/cut-create"), rule).await
                }
                BackendAction::FailDeletes { scope } => {
                    let rule = json!({"method": "DELETE", "path": "/vms/*", "name": Self::scope_glob(&scope), "response": {"shape": "E3", "status": 500}});
                    self.add_fault(&format!("{scope}/fail-deletes"), rule).await
                }
                BackendAction::AcceptDeletes { scope } => {
                    self.remove_faults(&scope, "fail-deletes").await?;
                    self.remove_faults_under("cut-delete:").await
                }
                BackendAction::CutDelete { service_type, id } => {
                    let name = Self::name_of(&id)?;
                    let path = format!("/{}/{name}", Self::kweb_collection(&service_type));
                    let rule = json!({"method": "DELETE", "path": path, "transport": "cut_after", "max_count": 1});
                    self.add_fault(&format!("cut-delete:{id}"), rule).await
                }
                BackendAction::Remove { service_type, id } => {
                    let name = Self::name_of(&id)?;
                    let url = format!(
                        "{}/{}/{name}",
                        self.kweb_url,
                        Self::kweb_collection(&service_type)
                    );
                    let resp = self
                        .http
                        .delete(&url)
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await?;
                    anyhow::ensure!(
                        resp.status().is_success(),
                        "kweb DELETE {url} answered {}",
                        resp.status()
                    );
                    Ok(())
                }
                BackendAction::SetRawState {
                    service_type,
                    id,
                    state,
                } => {
                    let name = Self::name_of(&id)?;
                    if service_type == "cluster" {
                        // With the `testdriver` transition set a generic cluster never
                        // gets past kweb's build thread: it is already stuck.
                        anyhow::ensure!(
                            state == "stuck",
                            "clusters only support the `stuck` state here"
                        );
                        return Ok(());
                    }
                    let body = json!({"vms": [{"name": name, "status": state, "plan": "kvirt", "profile": "small"}]});
                    self.sim("POST", "populate", body).await.map(drop)
                }
                BackendAction::RemoveOrphan { service_type, name } => {
                    let url = format!(
                        "{}/{}/{NAME_PREFIX}{name}",
                        self.kweb_url,
                        Self::kweb_collection(&service_type)
                    );
                    self.http
                        .delete(&url)
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await?;
                    Ok(())
                }
                BackendAction::InjectOrphan { name, .. } => {
                    let body = json!({"vms": [{"name": format!("{NAME_PREFIX}{name}"), "status": "up", "plan": "kvirt"}]});
                    self.sim("POST", "populate", body).await.map(drop)
                }
            }
        })
    }

    fn backend_holds(
        &self,
        service_type: &str,
        id: &str,
        spec: &Value,
    ) -> BoxFuture<'_, anyhow::Result<bool>> {
        // KCLI-003: the base is `spec.metadata.name` when present, else the id.
        let base = spec
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(id);
        let url = Self::name_of(base).map(|n| {
            format!(
                "{}/{}/{n}",
                self.kweb_url,
                Self::kweb_collection(service_type)
            )
        });
        Box::pin(async move {
            let url = url?;
            let resp = self
                .http
                .get(&url)
                .timeout(Duration::from_secs(10))
                .send()
                .await?;
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            Ok(status.is_success() && body.as_object().is_some_and(|o| !o.is_empty()))
        })
    }

    fn facts(&self) -> BTreeMap<String, String> {
        [
            ("name-prefix", format!("NAME_PREFIX ({NAME_PREFIX})")),
            ("resync-interval", "2s".to_owned()),
            ("hint-namespace", "kcli".to_owned()),
        ]
        .into_iter()
        .chain(self.kweb_build.clone().map(|b| ("kweb-build", b)))
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn halt(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.stop().await;
            Ok(())
        })
    }

    fn resume(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let run = self.start().await?;
            *self.running.lock().await = Some(run);
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.stop().await;
            if let Some(dir) = &self.live_run_dir
                && let Some(stop) = std::env::current_dir()
                    .ok()
                    .map(|d| d.join("scripts/kweb-live/stop"))
            {
                let _ = tokio::process::Command::new(stop).arg(dir).status().await;
            }
        })
    }
}

/// A kweb-sim started in-process on a free loopback port (seed 7), for
/// [`Embedded::launch_interposed`].
pub struct Simulator {
    url: String,
    task: JoinHandle<()>,
}

impl Simulator {
    /// Starts kweb-sim.
    ///
    /// # Errors
    /// kweb-sim cannot bind or build.
    pub async fn start() -> anyhow::Result<Self> {
        let (url, task) = start_simulator().await?;
        Ok(Self { url, task })
    }

    /// Its base URL, `http://127.0.0.1:PORT` (kweb routes and `/_sim/`).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Where the provider of [`Embedded::launch_interposed`] sits when a test
/// puts layers between it and its neighbours (the fixture SPs of
/// `conformance/tests/fixture_sp`): the DCM and NATS URLs come from the
/// [`LaunchEnv`] it is given.
#[derive(Debug, Clone)]
pub struct Interposed {
    /// The kweb URL the provider calls (`KWEB_URL`): the simulator's or a
    /// layer in front of it. Backend control still goes to the simulator.
    pub provider_kweb_url: String,
    /// Where the provider listens (`LISTEN_ADDRESS`).
    pub listen: SocketAddr,
    /// The URL it registers with DCM (`ADVERTISE_URL`, REG-004).
    pub advertise_url: String,
}

impl Embedded {
    /// The embedded target on `sim`, wired as `wiring` says: the reference
    /// provider, started, with kweb-sim backend control.
    ///
    /// # Errors
    /// No state dir, or the provider does not start.
    pub async fn launch_interposed(
        sim: Simulator,
        env: LaunchEnv,
        wiring: Interposed,
    ) -> anyhow::Result<Box<dyn SpUnderTest>> {
        let state = tempfile::tempdir().context("provider state dir")?;
        let kweb = KwebSide {
            url: sim.url,
            provider_url: wiring.provider_kweb_url,
            simulated: true,
            live_run_dir: None,
            build: None,
            sim: Some(sim.task),
        };
        EmbeddedSp::started(env, state, kweb, wiring.listen, wiring.advertise_url).await
    }
}

/// The kweb an [`EmbeddedSp`] runs on.
struct KwebSide {
    /// kweb (or kweb-sim) itself: backend control and inspection.
    url: String,
    /// The kweb URL the provider calls (`url`, or a layer in front of it).
    provider_url: String,
    simulated: bool,
    live_run_dir: Option<String>,
    build: Option<String>,
    sim: Option<JoinHandle<()>>,
}

impl KwebSide {
    /// A kweb the provider calls directly, with no layer in between.
    fn direct(
        url: String,
        simulated: bool,
        build: Option<String>,
        sim: Option<JoinHandle<()>>,
    ) -> Self {
        Self {
            provider_url: url.clone(),
            url,
            simulated,
            live_run_dir: None,
            build,
            sim,
        }
    }
}

impl EmbeddedSp {
    /// The provider on `kweb`, listening on `addr` and registering
    /// `advertise_url`, started.
    ///
    /// # Errors
    /// The provider does not start.
    async fn started(
        env: LaunchEnv,
        state: tempfile::TempDir,
        kweb: KwebSide,
        addr: SocketAddr,
        advertise_url: String,
    ) -> anyhow::Result<Box<dyn SpUnderTest>> {
        let sp = Self {
            env,
            kweb_url: kweb.url,
            provider_kweb_url: kweb.provider_url,
            advertise_url,
            simulated: kweb.simulated,
            live_run_dir: kweb.live_run_dir,
            kweb_build: kweb.build,
            state,
            addr,
            http: reqwest::Client::new(),
            faults: tokio::sync::Mutex::new(BTreeMap::new()),
            running: tokio::sync::Mutex::new(None),
            _sim: kweb.sim,
        };
        let run = sp.start().await?;
        *sp.running.lock().await = Some(run);
        Ok(Box::new(sp))
    }
}

async fn start_simulator() -> anyhow::Result<(String, JoinHandle<()>)> {
    let config = kweb_sim::Config {
        bind: "127.0.0.1:0".parse()?,
        seed: Some(7),
        ..kweb_sim::Config::default()
    };
    let app = kweb_sim::Application::build(config)
        .await
        .context("starting kweb-sim")?;
    let addr = app.local_addr().context("kweb-sim address")?;
    let task = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    Ok((format!("http://{addr}"), task))
}

async fn start_real(
    script: &std::path::Path,
    port: u16,
    run_dir: &std::path::Path,
) -> anyhow::Result<String> {
    let out = tokio::process::Command::new(script)
        .args(["--port", &port.to_string(), "--run-dir"])
        .arg(run_dir)
        .output()
        .await
        .with_context(|| format!("running {}", script.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The exact kcli build behind a kweb started by `script`
/// (`scripts/kweb-live/start`): `kcli X` as installed in the launcher's venv
/// (`KWEB_VENV`, default `~/.cache/dcm-kcli/kweb-venv`, as
/// `scripts/kweb-live/install` creates it), else the pin file `kcli-version`
/// next to the launcher, marked as the pin.
async fn kcli_build(script: &std::path::Path) -> String {
    let venv = std::env::var_os("KWEB_VENV")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/dcm-kcli/kweb-venv"))
        });
    kcli_build_in(venv, script).await
}

async fn kcli_build_in(venv: Option<std::path::PathBuf>, script: &std::path::Path) -> String {
    if let Some(venv) = venv {
        let python = venv.join("bin/python");
        let out = tokio::process::Command::new(&python)
            .args([
                "-c",
                "import importlib.metadata as m; print(m.version('kcli'))",
            ])
            .output()
            .await;
        if let Ok(out) = out
            && out.status.success()
        {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if !version.is_empty() {
                return format!("kcli {version} (installed in {})", venv.display());
            }
        }
    }
    let pin = script.with_file_name("kcli-version");
    match tokio::fs::read_to_string(&pin).await {
        Ok(v) => format!(
            "kcli {} (the pin in {}; venv not found)",
            v.trim(),
            pin.display()
        ),
        Err(e) => format!("unknown: no venv and no pin file {} ({e})", pin.display()),
    }
}

impl Launcher for Embedded {
    fn launch(&self, env: LaunchEnv) -> BoxFuture<'static, anyhow::Result<Box<dyn SpUnderTest>>> {
        let backend = self.backend.clone();
        Box::pin(async move {
            let state = tempfile::tempdir().context("provider state dir")?;
            let kweb = match backend {
                Backend::Simulator => {
                    let (url, task) = start_simulator().await?;
                    KwebSide::direct(url, true, None, Some(task))
                }
                Backend::RealUrl(url) => {
                    let build = format!("unknown: a kweb the suite did not launch ({url})");
                    KwebSide::direct(
                        url.trim_end_matches('/').to_owned(),
                        false,
                        Some(build),
                        None,
                    )
                }
                Backend::RealLauncher { script, port } => {
                    let dir = state.path().join("kweb-live");
                    let url = start_real(&script, port, &dir).await?;
                    let mut kweb =
                        KwebSide::direct(url, false, Some(kcli_build(&script).await), None);
                    kweb.live_run_dir = Some(dir.display().to_string());
                    kweb
                }
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], crate::sp::nats::free_port()?));
            EmbeddedSp::started(env, state, kweb, addr, format!("http://{addr}")).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_kcli_build_comes_from_the_venv_else_from_the_pin() {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("start");
        std::fs::write(dir.path().join("kcli-version"), "99.0.1\n").expect("pin");
        let venv = dir.path().join("venv");
        let got = kcli_build_in(Some(venv.clone()), &script).await;
        assert!(got.starts_with("kcli 99.0.1 (the pin in"), "{got}");
        std::fs::create_dir_all(venv.join("bin")).expect("venv");
        let python = venv.join("bin/python");
        std::fs::write(&python, "#!/bin/sh\necho 99.0.202610251748\n").expect("python");
        let mut perms = std::fs::metadata(&python).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&python, perms).expect("chmod");
        let got = kcli_build_in(Some(venv), &script).await;
        assert!(
            got.starts_with("kcli 99.0.202610251748 (installed in"),
            "{got}"
        );
    }
}
