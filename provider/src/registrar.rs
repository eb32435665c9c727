//! Registration with DCM (contract §4, KCLI-001, KCLI-002).
//!
//! One independent loop per service type (REG-025): `POST {SPM_URL}/providers?id=…`
//! with capped exponential backoff and full jitter on transport errors,
//! timeouts and 5xx, without an attempt limit (REG-021); a 4xx stops the
//! retries and is surfaced (REG-024); after success or rejection the loop
//! re-registers every `REREGISTER_INTERVAL` (REG-026). Serving never waits
//! for it (REG-022).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::Rng;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::spec::cluster::CLUSTER_TYPES;
use crate::store::Kind;

/// First retry delay (REG-021).
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Retry delay cap (REG-021).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Bound of the deregistration attempt (REG-027).
pub(crate) const DEREGISTER_TIMEOUT: Duration = Duration::from_secs(5);

/// `(name, id)` of the provider for `kind`.
#[must_use]
pub(crate) fn identity(app: &App, kind: Kind) -> (String, String) {
    match kind {
        Kind::Vm => (
            app.settings.raw.provider_name_vm.clone(),
            app.settings.provider_id_vm.clone(),
        ),
        Kind::Cluster => (
            app.settings.raw.provider_name_cluster.clone(),
            app.settings.provider_id_cluster.clone(),
        ),
    }
}

/// The registration body (REG-002 to REG-008, KCLI-002, SEC-009).
#[must_use]
pub(crate) fn body(app: &App, kind: Kind) -> Value {
    let (name, _) = identity(app, kind);
    let mut metadata = Map::new();
    metadata.insert("backend".into(), json!(app.backend()));
    match kind {
        Kind::Vm => {
            let catalog = app.catalog();
            if catalog.loaded {
                metadata.insert("supported_profiles".into(), json!(catalog.accepted()));
            }
        }
        Kind::Cluster => {
            metadata.insert("supported_cluster_types".into(), json!(CLUSTER_TYPES));
        }
    }
    if let Some(region) = app.settings.raw.region.as_ref().filter(|r| !r.is_empty()) {
        metadata.insert("region_code".into(), json!(region));
    }
    if let Some(zone) = app.settings.raw.zone.as_ref().filter(|z| !z.is_empty()) {
        metadata.insert("zone".into(), json!(zone));
    }
    json!({
        "name": name,
        "service_type": kind.service_type(),
        "schema_version": app.settings.raw.schema_version,
        "endpoint": format!("{}/api/v1alpha1/{}", app.settings.advertise_url, kind.plural()),
        "display_name": match kind { Kind::Vm => "kcli Virtual Machines", Kind::Cluster => "kcli Kubernetes Clusters" },
        "operations": ["CREATE", "DELETE", "READ"],
        "metadata": metadata,
    })
}

enum Attempt {
    Registered,
    Rejected,
    Retry,
}

fn set_registered(app: &App, kind: Kind, value: bool) {
    let flag = match kind {
        Kind::Vm => &app.readiness.vm_registered,
        Kind::Cluster => &app.readiness.cluster_registered,
    };
    flag.store(value, Ordering::SeqCst);
    let (name, _) = identity(app, kind);
    app.metrics.set(
        "dcm_kcli_registration_status",
        &[("provider", &name)],
        if value { 1.0 } else { 0.0 },
    );
}

async fn attempt(app: &App, http: &reqwest::Client, kind: Kind) -> Attempt {
    let (name, id) = identity(app, kind);
    let url = format!("{}/providers", app.settings.spm_url);
    let request = http
        .post(url)
        .query(&[("id", id.as_str())])
        .json(&body(app, kind));
    let result = tokio::time::timeout(app.settings.raw.registration_timeout, async {
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, text))
    })
    .await;
    let outcome = match result {
        Ok(Ok((status, _))) if status.is_success() => {
            tracing::info!(provider = %name, id = %id, status = status.as_u16(), "registered with DCM");
            Attempt::Registered
        }
        Ok(Ok((status, text))) if status.is_client_error() => {
            let problem: String = text.chars().take(500).collect();
            tracing::error!(provider = %name, id = %id, status = status.as_u16(), problem = %problem,
                "DCM rejected the registration; not retrying until the next re-registration");
            Attempt::Rejected
        }
        Ok(Ok((status, _))) => {
            tracing::warn!(provider = %name, status = status.as_u16(), "registration failed; retrying");
            Attempt::Retry
        }
        Ok(Err(err)) => {
            tracing::warn!(provider = %name, error = %err.without_url(), "registration transport error; retrying");
            Attempt::Retry
        }
        Err(_) => {
            tracing::warn!(provider = %name, "registration timed out; retrying");
            Attempt::Retry
        }
    };
    let label = match outcome {
        Attempt::Registered => "success",
        Attempt::Rejected => "rejected",
        Attempt::Retry => "retry",
    };
    app.metrics.inc(
        "dcm_kcli_registration_attempts_total",
        &[("provider", &name), ("result", label)],
    );
    outcome
}

/// Capped exponential backoff with full jitter (REG-021): the n-th delay is
/// uniform in `[0, min(1 s × 2^n, 60 s)]`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            cap: INITIAL_BACKOFF,
        }
    }
}

impl Backoff {
    /// The next jittered delay; doubles the cap up to 60 s.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let ms = u64::try_from(self.cap.as_millis()).unwrap_or(u64::MAX);
        let delay = Duration::from_millis(rand::rng().random_range(0..=ms));
        self.cap = (self.cap * 2).min(MAX_BACKOFF);
        delay
    }
}

/// Registers `kind` forever (until the task is aborted).
pub(crate) async fn run(app: Arc<App>, kind: Kind) {
    let http = reqwest::Client::new();
    loop {
        let mut backoff = Backoff::default();
        loop {
            match attempt(&app, &http, kind).await {
                Attempt::Registered => {
                    set_registered(&app, kind, true);
                    break;
                }
                Attempt::Rejected => {
                    set_registered(&app, kind, false);
                    break;
                }
                Attempt::Retry => tokio::time::sleep(backoff.next_delay()).await,
            }
        }
        tokio::time::sleep(app.settings.raw.reregister_interval).await;
    }
}

/// Best-effort `DELETE {base}/providers/{id}` for both providers (REG-027).
pub(crate) async fn deregister(app: &App) {
    let http = reqwest::Client::new();
    for kind in [Kind::Vm, Kind::Cluster] {
        let (name, id) = identity(app, kind);
        let url = format!("{}/providers/{id}", app.settings.spm_url);
        match tokio::time::timeout(DEREGISTER_TIMEOUT, http.delete(url).send()).await {
            Ok(Ok(response)) => {
                tracing::info!(provider = %name, status = response.status().as_u16(), "deregistered")
            }
            _ => tracing::warn!(provider = %name, "deregistration failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg021_backoff_doubles_to_a_60s_cap_with_full_jitter() {
        let mut backoff = Backoff::default();
        let mut caps = Vec::new();
        for _ in 0..10 {
            let cap = backoff.cap;
            caps.push(cap.as_secs());
            let delay = backoff.next_delay();
            assert!(delay <= cap, "{delay:?} > {cap:?}");
        }
        assert_eq!(caps, vec![1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }
}
