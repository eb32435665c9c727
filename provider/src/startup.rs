//! Building and running the application (stable API: `Application::build`,
//! `local_addr`, `run_until`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::{App, Readiness};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::StartupError;
use crate::health::{self, Health};
use crate::kweb::KwebClient;
use crate::metrics::Metrics;
use crate::monitor::Monitor;
use crate::spec::hints::HintRules;
use crate::spec::vm::Catalog;
use crate::store::{Kind, Store};
use crate::{registrar, relay};

/// A built, bound, not yet serving provider.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    app: Arc<App>,
    local_addr: SocketAddr,
}

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP server failed.
    #[error("HTTP server: {0}")]
    Serve(std::io::Error),
}

impl Application {
    /// Validates the settings, opens the store, builds the kweb client and
    /// binds the listener. Nothing talks to kweb, NATS or DCM yet, so a down
    /// backend never prevents start-up (REG-023).
    ///
    /// # Errors
    /// [`StartupError`] naming the variable at fault.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let mut settings = config.validate()?;
        let path = settings.raw.state_store_path.clone();
        let keep_latest = settings.nats_url.is_none();
        let store = tokio::task::spawn_blocking(move || Store::open(&path, keep_latest))
            .await
            .map_err(StartupError::StoreTask)??;
        let metrics = Arc::new(Metrics::default());
        let kweb = KwebClient::new(
            &settings.kweb_url,
            settings.raw.kweb_timeout,
            settings.raw.kweb_rate_limit,
            settings.raw.kweb_burst,
            Arc::clone(&metrics),
        )
        .map_err(|e| StartupError::Config {
            variable: "KWEB_URL",
            problem: e.to_string(),
        })?;
        let listener = TcpListener::bind(settings.bind)
            .await
            .map_err(StartupError::Bind)?;
        let local_addr = listener.local_addr().map_err(StartupError::Bind)?;
        if settings.advertise_derived && settings.bind.port() == 0 {
            settings.advertise_url = format!("http://{local_addr}");
        }
        if settings.auth_token.is_none() {
            tracing::warn!(
                "SP_AUTH_TOKEN is not set: resource routes accept unauthenticated requests"
            );
        }
        if settings.raw.request_timeout > Duration::from_secs(30) {
            tracing::warn!("REQUEST_TIMEOUT is longer than DCM's 30 s client timeout");
        }
        metrics.set(
            "dcm_kcli_nats_publishing_enabled",
            &[],
            if settings.nats_url.is_some() {
                1.0
            } else {
                0.0
            },
        );
        if settings.nats_url.is_none() {
            tracing::warn!(
                "NATS_URL is empty: status events are NOT published; the outbox keeps only the latest status per resource"
            );
        }
        let app = Arc::new(App {
            hint_rules: HintRules::new(
                settings.raw.hints_policy,
                &settings.raw.hints_extra_allowed,
            ),
            health: Arc::new(Health::new(settings.raw.health_probe_interval)),
            settings,
            store,
            kweb,
            metrics,
            clock: Clock::new(),
            catalog: RwLock::new(Catalog::default()),
            backend_type: RwLock::new(None),
            readiness: Readiness::default(),
            outbox_notify: Notify::new(),
            transitions: Notify::new(),
            kubeconfigs: crate::app::KubeconfigCache::default(),
            orphans: RwLock::new(Vec::new()),
            background: crate::app::Background::default(),
            in_flight: crate::app::InFlight::default(),
            started: Instant::now(),
            recheck_streams: AtomicBool::new(true),
        });
        Ok(Self {
            listener,
            app,
            local_addr,
        })
    }

    /// The bound address (useful with port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then shuts down gracefully within
    /// `SHUTDOWN_TIMEOUT` (TMO-007): health turns `unhealthy` (HLT-012), the
    /// listener stops accepting, in-flight requests drain, the outbox is
    /// flushed best effort, both providers are deregistered when configured
    /// (REG-027), and every task holding the store ends so redb is closed.
    ///
    /// # Errors
    /// [`RunError`] when the HTTP server fails.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RunError> {
        let app = self.app;
        let shutdown_timeout = app.settings.raw.shutdown_timeout;
        // KCLI-012: fill the profile cache before serving, bounded so a down
        // kweb never delays start-up for long (REG-023).
        let _ = tokio::time::timeout(
            app.settings.raw.health_probe_timeout,
            crate::monitor::refresh_catalog(&app),
        )
        .await;
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(health::probe_loop(
            Arc::clone(&app.health),
            health::KwebChecks::new(
                app.kweb.clone(),
                &app.settings.kweb_url,
                app.settings.raw.health_probe_timeout,
            ),
            health::Probing {
                interval: app.settings.raw.health_probe_interval,
            },
        )));
        // ORP-009: intents kweb never saw are sent again before the first
        // poll, which resolves the dispatched ones and resumes deletes.
        crate::service::resume_intents(&app).await;
        tasks.push(tokio::spawn(Monitor::new(Arc::clone(&app)).run()));
        for kind in [Kind::Vm, Kind::Cluster] {
            tasks.push(tokio::spawn(registrar::run(Arc::clone(&app), kind)));
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let relay_task = match app.settings.nats_url.clone() {
            Some(url) => match relay::connect(&app, &url).await {
                Ok(client) => Some(tokio::spawn(relay::run(Arc::clone(&app), client, stop_rx))),
                Err(err) => {
                    tracing::error!(error = %err, "NATS_URL is not usable; events stay in the outbox");
                    None
                }
            },
            None => None,
        };
        let started_shutdown = Arc::new(Notify::new());
        let signal = Arc::clone(&started_shutdown);
        let health = Arc::clone(&app.health);
        let stopping = Arc::clone(&app);
        let lame_duck = lame_duck(shutdown_timeout);
        let graceful = async move {
            shutdown.await;
            health.shutting_down();
            stopping.background.begin_stop();
            drop(stopping);
            signal.notify_waiters();
            // HLT-012: keep accepting for a moment so that pollers read
            // `unhealthy` instead of a refused connection.
            tokio::time::sleep(lame_duck).await;
        };
        let router = crate::http::router(Arc::clone(&app));
        let timeouts = crate::http::server::Timeouts {
            read: app.settings.raw.read_timeout,
            write: app.settings.raw.write_timeout,
            idle: app.settings.raw.idle_timeout,
        };
        let cut = CancellationToken::new();
        let serve = tokio::spawn(crate::http::server::serve(
            self.listener,
            router,
            timeouts,
            graceful,
            cut.clone(),
        ));
        let notified = started_shutdown.notified();
        tokio::pin!(notified);
        let mut serve = serve;
        let deadline;
        let served = tokio::select! {
            result = &mut serve => { deadline = Instant::now() + shutdown_timeout; Some(result) }
            () = &mut notified => { deadline = Instant::now() + shutdown_timeout; None }
        };
        let served = match served {
            Some(result) => Some(result),
            None => match tokio::time::timeout_at(deadline, &mut serve).await {
                Ok(result) => Some(result),
                Err(_) => {
                    tracing::warn!("in-flight requests did not drain within SHUTDOWN_TIMEOUT");
                    cut.cancel();
                    // Returns once the cut connections are gone, so none of
                    // them keeps the store open past this function.
                    let _ = (&mut serve).await;
                    None
                }
            },
        };
        for task in &tasks {
            task.abort();
        }
        if let Some(relay_task) = relay_task {
            let _ = stop_tx.send(true);
            app.outbox_changed();
            let mut relay_task = relay_task;
            if tokio::time::timeout_at(deadline, &mut relay_task)
                .await
                .is_err()
            {
                tracing::warn!(
                    "outbox not fully flushed within SHUTDOWN_TIMEOUT; it is delivered after the next start"
                );
                relay_task.abort();
                let _ = relay_task.await;
            }
        }
        if app.settings.raw.deregister_on_shutdown {
            let _ = tokio::time::timeout_at(deadline, registrar::deregister(&app)).await;
        }
        for task in tasks {
            let _ = task.await;
        }
        app.background.drain(deadline).await;
        drop(app);
        match served {
            Some(Ok(Err(err))) => Err(RunError::Serve(err)),
            _ => Ok(()),
        }
    }
}

/// How long health answers `unhealthy` while connections are still accepted
/// after shutdown starts (HLT-012): a quarter of `SHUTDOWN_TIMEOUT`, at most
/// 2 s, so that draining keeps most of the budget (TMO-007).
fn lame_duck(shutdown_timeout: Duration) -> Duration {
    (shutdown_timeout / 4).min(Duration::from_secs(2))
}
