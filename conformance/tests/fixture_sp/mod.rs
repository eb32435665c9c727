//! Deliberately non-conformant DCM service providers that prove the suite
//! can fail. Each is the reference provider (`kcli-provider` on kweb-sim,
//! launched as the embedded target does) wrapped in small layers, one per
//! direction, that commit one [`Defect`]; with no defect the layers pass
//! everything through and the SP is the conformant control.
//!
//! Read in this order: [`hop`] (one forwarding HTTP hop), [`front`] (the SP
//! URL the suite sees), [`registry`] (between the provider and the fake
//! DCM), [`tap`] (between the provider's NATS and the suite's), [`kweb`]
//! (between the provider and kweb-sim). The spec rules, problem documents,
//! store and monitor are the provider's own; none is copied here.

mod front;
mod hop;
mod kweb;
mod registry;
mod tap;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use dcm_conformance::sp::embedded::{Embedded, Interposed, Simulator};
use dcm_conformance::sp::nats::NatsServer;
use dcm_conformance::sp::target::{
    BackendAction, Capability, LaunchEnv, Launcher, SpUnderTest, TargetIdentity,
};
use dcm_conformance::sp::timeouts::Declared;
use futures::future::BoxFuture;
use tokio::task::JoinHandle;

use front::Front;
use hop::{Hop, serve};
use registry::Registry;

/// Locks `m`; a panicked holder left nothing half-written worth refusing.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A deliberate contract violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Defect {
    /// 400 answers are `text/plain`, not problem details (ERR-001).
    PlainText400,
    /// Health answers 503 while the backend is down (HLT-003).
    Health503WhenDown,
    /// A crashed VM is `ERROR`, not `FAILED` (VOC-001 under dcm-v1alpha1).
    ErrorInsteadOfFailed,
    /// A new random registration id on every start (REG-009).
    RandomRegistrationId,
    /// `DELETED` is never published (EVT-022).
    NoDeletedEvent,
    /// A replayed create answers 409 (API-030).
    ConflictOnReplay,
    /// A replay answers 201 but builds the resource again: a fresh
    /// `create_time`, the initial status and its event (API-030).
    ReplayRecreates,
    /// A page token points at the last item of its page, so each page
    /// repeats the previous page's last item (API-051).
    OverlappingPages,
    /// A full page always carries a `next_page_token`, even when it holds
    /// the last items, so the walk ends on an empty page (API-051).
    TokenOnFullPage,
    /// A fresh random `?id=` on every registration attempt (REG-009).
    NewIdPerAttempt,
    /// One registration attempt per service type: no retry, no periodic
    /// re-registration (REG-021, REG-026).
    RegisterOnce,
    /// Top-level spec members the fixture does not know are dropped before
    /// the spec is stored (VAL-007, API-004).
    DropsUnknownMembers,
    /// Deleted records are kept as `DELETED` tombstones: GET answers 404,
    /// but the list still shows them and their id cannot be created again
    /// (API-050, API-032).
    KeepsDeletedRecords,
    /// Replays are compared as parsed JSON values without number
    /// normalisation, so `10` and `10.0` differ and the replay is a 409 (API-030).
    ReplayComparesNumberForms,
    /// A delete answers 204 at once and removes the backend object and the
    /// record half a second later (API-060).
    DeleteInBackground,
    /// A schema-valid `vcpu.count` above 64 crashes the create with a 500
    /// (ERR-009/ERR-010: no spec may cause a 5xx).
    Internal500OnManyCpus,
    /// A create whose backend call was cut after it was sent is read as a
    /// failure: answered 502 and its record dropped, although the backend
    /// created the VM (API-018).
    CutCreateFails,
}

impl Defect {
    /// Whether the defect lives in the events, so the provider publishes to
    /// a private NATS behind the [`tap`].
    fn needs_tap(self) -> bool {
        matches!(
            self,
            Defect::NoDeletedEvent | Defect::ErrorInsteadOfFailed | Defect::ReplayRecreates
        )
    }
}

/// The wrapped provider: the embedded target seen through the layers, but
/// presented as a non-reference SP (no `Ref` capability, a `fixture`
/// identity), so `Ref` rows never judge it (issue 12 item 5).
pub(crate) struct FixtureSp {
    inner: Box<dyn SpUnderTest>,
    defects: Arc<BTreeSet<Defect>>,
    registry: Arc<Registry>,
    layers: Vec<JoinHandle<()>>,
    _nats: Option<NatsServer>,
}

impl SpUnderTest for FixtureSp {
    fn identity(&self) -> TargetIdentity {
        TargetIdentity {
            kind: "fixture".into(),
            product: format!(
                "fixture-sp {:?} around {}",
                self.defects.iter().collect::<Vec<_>>(),
                self.inner.identity().product
            ),
            ..self.inner.identity()
        }
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        let mut caps = self.inner.capabilities();
        caps.remove(&Capability::Ref);
        caps
    }

    fn service_types(&self) -> Vec<String> {
        self.inner.service_types()
    }

    fn declared(&self) -> Declared {
        self.inner.declared()
    }

    fn timeout_overrides(&self) -> Vec<(String, String)> {
        self.inner.timeout_overrides()
    }

    fn backend(&self, action: BackendAction) -> BoxFuture<'_, anyhow::Result<()>> {
        self.inner.backend(action)
    }

    fn backend_holds(
        &self,
        service_type: &str,
        id: &str,
        spec: &serde_json::Value,
    ) -> BoxFuture<'_, anyhow::Result<bool>> {
        self.inner.backend_holds(service_type, id, spec)
    }

    fn facts(&self) -> BTreeMap<String, String> {
        self.inner.facts()
    }

    fn halt(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        self.inner.halt()
    }

    fn resume(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        self.registry.restart();
        self.inner.resume()
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        self.inner.shutdown()
    }
}

impl Drop for FixtureSp {
    fn drop(&mut self) {
        for task in &self.layers {
            task.abort();
        }
    }
}

/// Launches the reference provider wrapped to commit `defects`.
#[derive(Debug, Clone)]
pub(crate) struct FixtureLauncher {
    /// The violations to commit (none: the conformant control).
    pub(crate) defects: Vec<Defect>,
}

async fn launch(defects: Arc<BTreeSet<Defect>>, env: LaunchEnv) -> anyhow::Result<FixtureSp> {
    let sim = Simulator::start().await?;
    let mut layers = Vec::new();
    let provider_kweb_url = if defects.contains(&Defect::CutCreateFails) {
        let hop = Hop::new(sim.url());
        let (addr, task) = serve(move |req| kweb::handle(hop.clone(), req)).await?;
        layers.push(task);
        format!("http://{addr}")
    } else {
        sim.url().to_owned()
    };
    let listen =
        std::net::SocketAddr::from(([127, 0, 0, 1], dcm_conformance::sp::nats::free_port()?));
    let recreated = Arc::new(Mutex::new(BTreeSet::new()));
    let front = Arc::new(Front::new(
        defects.clone(),
        Hop::new(&format!("http://{listen}")),
        recreated.clone(),
    ));
    let (front_addr, task) = serve(move |req| front.clone().handle(req)).await?;
    layers.push(task);
    let registry = Arc::new(Registry::new(defects.clone(), Hop::new(&env.dcm_base_url)));
    let r = registry.clone();
    let (registry_addr, task) = serve(move |req| r.clone().handle(req)).await?;
    layers.push(task);
    let mut nats = None;
    let mut nats_url = env.nats_url.clone();
    if defects.iter().any(|d| d.needs_tap()) {
        let private = NatsServer::start_local().await?;
        nats_url = private.url().to_owned();
        let events = async_nats::connect(private.url())
            .await?
            .subscribe("dcm.>")
            .await?;
        let suite = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(&env.nats_url)
            .await?;
        layers.push(tokio::spawn(tap::run(
            events,
            suite,
            defects.clone(),
            recreated,
        )));
        nats = Some(private);
    }
    let inner = Embedded::launch_interposed(
        sim,
        LaunchEnv {
            dcm_base_url: format!("http://{registry_addr}"),
            nats_url,
            run_id: env.run_id,
        },
        Interposed {
            provider_kweb_url,
            listen,
            advertise_url: format!("http://{front_addr}"),
        },
    )
    .await?;
    Ok(FixtureSp {
        inner,
        defects,
        registry,
        layers,
        _nats: nats,
    })
}

impl Launcher for FixtureLauncher {
    fn launch(&self, env: LaunchEnv) -> BoxFuture<'static, anyhow::Result<Box<dyn SpUnderTest>>> {
        let defects = Arc::new(self.defects.iter().copied().collect());
        Box::pin(async move { Ok(Box::new(launch(defects, env).await?) as Box<dyn SpUnderTest>) })
    }
}
