//! The registry layer: the provider's `SPM_URL` points here and it forwards
//! to the suite's fake DCM, committing the registration defects on the way
//! (`POST /providers?id=…`, `DELETE /providers/{id}`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};

use super::hop::{Hop, Message};
use super::{Defect, lock};

/// The registry layer's state; [`Registry::restart`] forgets what belongs
/// to one run of the provider.
pub(crate) struct Registry {
    defects: Arc<BTreeSet<Defect>>,
    dcm: Hop,
    /// The provider's id → the id sent instead, for this run
    /// ([`Defect::RandomRegistrationId`]).
    ids: Mutex<BTreeMap<String, String>>,
    /// Service types whose one attempt went out ([`Defect::RegisterOnce`]).
    attempted: Mutex<BTreeSet<String>>,
}

impl Registry {
    pub(crate) fn new(defects: Arc<BTreeSet<Defect>>, dcm: Hop) -> Self {
        Self {
            defects,
            dcm,
            ids: Mutex::default(),
            attempted: Mutex::default(),
        }
    }

    fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }

    /// The provider starts again: a new run, new random ids, one new attempt.
    pub(crate) fn restart(&self) {
        lock(&self.ids).clear();
        lock(&self.attempted).clear();
    }

    /// The id this run uses instead of the provider's `id`.
    fn random_for(&self, id: &str) -> String {
        lock(&self.ids)
            .entry(id.to_owned())
            .or_insert_with(|| uuid::Uuid::new_v4().to_string())
            .clone()
    }

    /// Handles one request of the provider.
    pub(crate) async fn handle(self: Arc<Self>, mut req: Message) -> Message {
        if req.method == Method::POST && req.path() == "/providers" {
            let service_type = req
                .json()
                .and_then(|v| v["service_type"].as_str().map(str::to_owned))
                .unwrap_or_default();
            if self.has(Defect::RegisterOnce) && !lock(&self.attempted).insert(service_type) {
                // The registry never hears of the retry; the provider hears a success.
                return Message::answer(StatusCode::CREATED, "application/json", "{}");
            }
            if let Some(id) = req.query("id") {
                if self.has(Defect::NewIdPerAttempt) {
                    req.set_query("id", &uuid::Uuid::new_v4().to_string());
                } else if self.has(Defect::RandomRegistrationId) {
                    req.set_query("id", &self.random_for(&id));
                }
            }
        } else if req.method == Method::DELETE
            && self.has(Defect::RandomRegistrationId)
            && let Some(id) = req.path().strip_prefix("/providers/").map(str::to_owned)
        {
            req.target = format!("/providers/{}", self.random_for(&id));
        }
        self.dcm.pass(&req).await
    }
}
