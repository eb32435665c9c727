//! The fake DCM the suite plays (issue 4 "The fake DCM").
//!
//! - [`registry`]: `POST {base}/providers` with control-plane semantics
//!   (201 new, 200 same name, 409 name/id clash, schema validation, scripted
//!   5xx and slow answers), recording every attempt.
//! - [`poller`]: polls `{endpoint}/health` of every registered provider and
//!   keeps the three-state model (ready / unhealthy / unavailable after three
//!   failed probes).
//! - [`consumer`]: the status consumer: a JetStream stream `dcm-status` on
//!   `dcm.*` (like the control plane's) plus a core subscription on `dcm.>`
//!   that records every event for assertions.
//!
//! `dcm-conformance dcm-sim` runs it standalone.

pub mod consumer;
pub mod poller;
pub mod registry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

pub use consumer::{EventLog, ReceivedEvent};
pub use poller::{HealthBook, HealthState};
pub use registry::{RegistrationAttempt, Registry, Scripted};

/// Settings of a fake DCM.
#[derive(Debug, Clone)]
pub struct DcmConfig {
    /// Where the registry listens (port 0 for a free port).
    pub bind: SocketAddr,
    /// NATS URL for the status consumer (`None`: no consumer).
    pub nats_url: Option<String>,
    /// Health poll period (the control plane uses 10 s).
    pub health_interval: Duration,
}

/// A running fake DCM; background tasks stop on drop.
pub struct FakeDcm {
    addr: SocketAddr,
    /// Provider registry.
    pub registry: Registry,
    /// Every status event received.
    pub events: EventLog,
    /// Health poller results.
    pub health: HealthBook,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeDcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDcm")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Errors starting the fake DCM.
#[derive(Debug, thiserror::Error)]
pub enum DcmError {
    /// The registry could not bind.
    #[error("fake DCM cannot listen on {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// NATS could not be reached.
    #[error("fake DCM cannot connect to NATS at {url}: {reason}")]
    Nats {
        /// NATS URL.
        url: String,
        /// Cause.
        reason: String,
    },
}

impl FakeDcm {
    /// Starts the registry, the health poller and (with a NATS URL) the consumer.
    ///
    /// # Errors
    /// [`DcmError`].
    pub async fn start(config: DcmConfig) -> Result<Self, DcmError> {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| DcmError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| DcmError::Bind {
            addr: config.bind,
            source,
        })?;
        let registry = Registry::default();
        let router = registry::router(registry.clone());
        let mut tasks = vec![tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        })];
        let events = EventLog::default();
        if let Some(url) = &config.nats_url {
            let handle = consumer::start(url, events.clone())
                .await
                .map_err(|reason| DcmError::Nats {
                    url: url.clone(),
                    reason,
                })?;
            tasks.push(handle);
        }
        let health = HealthBook::default();
        tasks.push(poller::start(
            registry.clone(),
            health.clone(),
            config.health_interval,
        ));
        Ok(Self {
            addr,
            registry,
            events,
            health,
            tasks,
        })
    }

    /// The DCM base URL to configure in SPs (`SPM_URL`), ending in `/api/v1alpha1`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1alpha1", self.addr)
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for FakeDcm {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Shared handle type used by the suite.
pub type SharedDcm = Arc<FakeDcm>;
