//! The workspace's test kit (dev-dependency only; never shipped).
//!
//! One place for what the crates' tests share, all real components on
//! loopback:
//! - [`nats`]: `nats-server` from `PATH` with JetStream, a
//!   temporary store and a free port ([`NatsServer`], the suite's own
//!   launcher, re-exported from `dcm-conformance`); [`cluster`] for a
//!   JetStream cluster.
//! - [`dcm`] / [`event_log`]: the fake DCM ([`dcm_sim`], the suite's,
//!   re-exported) and its status consumer.
//! - [`kweb_sim`] / [`kweb_sim_with`]: kweb-sim in-process on port 0.
//! - [`create_stream`] / [`stream_events`]: the `dcm-status` JetStream stream
//!   and the events read back from it.
//! - [`eventually`]: polls a probe until it succeeds or a timeout passes.
//! - [`free_port`].
//!
//! Missing `nats-server`: every helper panics with one hint,
//! [`INSTALL_HINT`].

pub mod cluster;

use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinHandle;

pub use dcm_conformance::dcm_sim;
pub use dcm_conformance::sp::nats::NatsServer;

/// What to run when a real component is missing.
pub const INSTALL_HINT: &str =
    "run scripts/install-deps (installs nats-server and the other test dependencies)";

/// Interval between two probes of [`eventually`].
const POLL: Duration = Duration::from_millis(20);

/// A free loopback TCP port for a server started later
/// ([`dcm_conformance::sp::nats::free_port`]: below the ephemeral range).
///
/// # Panics
/// When loopback cannot be bound.
#[must_use]
pub fn free_port() -> u16 {
    dcm_conformance::sp::nats::free_port().unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// A running `nats-server` from `PATH`: JetStream on, a temporary store dir
/// (kept across [`NatsServer::restart`]), a free loopback port; killed on drop.
///
/// # Panics
/// Without `nats-server` on `PATH` (with [`INSTALL_HINT`]) or when it does
/// not start.
pub async fn nats() -> NatsServer {
    NatsServer::start_local()
        .await
        .unwrap_or_else(|e| panic!("{e}; {INSTALL_HINT}"))
}

/// Creates the `dcm-status` stream on `dcm.*` at `url` (what DCM's control
/// plane does) unless it exists.
///
/// # Panics
/// When NATS or JetStream is unreachable.
pub async fn create_stream(url: &str) {
    let client = async_nats::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to NATS at {url}: {e}"));
    dcm_sim::consumer::ensure_stream(&client)
        .await
        .unwrap_or_else(|e| panic!("stream {}: {e}", dcm_sim::consumer::STREAM));
}

/// Every event stored in the `dcm-status` stream at `url`, oldest first, as
/// JSON (`null` for a payload that is not JSON).
///
/// # Panics
/// When NATS or the stream is unavailable.
pub async fn stream_events(url: &str) -> Vec<Value> {
    dcm_sim::consumer::stream_messages(url)
        .await
        .unwrap_or_else(|e| panic!("read stream {}: {e}", dcm_sim::consumer::STREAM))
        .iter()
        .map(|m| m.json().unwrap_or(Value::Null))
        .collect()
}

/// The fake DCM's status consumer on `url` (the `dcm-status` stream plus a
/// subscription on `dcm.>`), recording every event as it arrives.
///
/// # Panics
/// When NATS is unreachable.
pub async fn event_log(url: &str) -> dcm_sim::EventLog {
    let log = dcm_sim::EventLog::default();
    dcm_sim::consumer::start(url, log.clone())
        .await
        .unwrap_or_else(|e| panic!("status consumer on {url}: {e}"));
    log
}

/// The fake DCM on a free loopback port, without a status consumer and with
/// a health poll far beyond any test (tests ask the registry directly).
///
/// # Panics
/// When loopback cannot be bound.
pub async fn dcm() -> dcm_sim::FakeDcm {
    dcm_sim::FakeDcm::start(dcm_sim::DcmConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        nats_url: None,
        health_interval: Duration::from_secs(3600),
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// An in-process kweb-sim: its base URL (`http://127.0.0.1:PORT`) and its
/// task; aborting the task closes the listener, as when kweb's process dies.
#[derive(Debug)]
pub struct Sim {
    /// Base URL without a trailing slash.
    pub url: String,
    /// The server task.
    pub task: JoinHandle<std::io::Result<()>>,
}

/// kweb-sim in-process on port 0 with seed 7 and the defaults.
///
/// # Panics
/// When the simulator does not start.
pub async fn kweb_sim() -> Sim {
    kweb_sim_with(kweb_sim::Config {
        seed: Some(7),
        ..kweb_sim::Config::default()
    })
    .await
}

/// kweb-sim in-process with `config`, bound to `127.0.0.1:0` whatever
/// `config.bind` says.
///
/// # Panics
/// When the simulator does not start.
pub async fn kweb_sim_with(config: kweb_sim::Config) -> Sim {
    let config = kweb_sim::Config {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..config
    };
    let app = kweb_sim::Application::build(config)
        .await
        .unwrap_or_else(|e| panic!("kweb-sim does not start: {e}"));
    let addr = app
        .local_addr()
        .unwrap_or_else(|e| panic!("kweb-sim address: {e}"));
    Sim {
        url: format!("http://{addr}"),
        task: tokio::spawn(app.run_until_stopped()),
    }
}

/// Polls `probe` every 20 ms until it returns `Ok`, for at most `within`
/// (tokio time: under paused time the wait advances the mock clock).
///
/// `probe` answers `Err(what it saw)`, which the panic message shows.
///
/// # Panics
/// When `within` passes without an `Ok`.
pub async fn eventually<T, E, F, Fut>(within: Duration, mut probe: F) -> T
where
    E: Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) if tokio::time::Instant::now() >= deadline => {
                panic!("not within {within:?}; last seen: {seen:?}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
