//! The front layer: the SP URL the suite sees, a reverse proxy to the
//! reference provider that commits the HTTP defects. Where a defect needs a
//! problem answer it makes the provider give its own (a mutated replay gets
//! the provider's 409), so no problem text is written here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::hop::{Hop, Message};
use super::{Defect, lock};

/// Top-level spec members [`Defect::DropsUnknownMembers`] keeps (the VM and
/// cluster members of DCM's schemas); every other member is dropped.
const KNOWN: [&str; 10] = [
    "service_type",
    "metadata",
    "provider_hints",
    "vcpu",
    "memory",
    "storage",
    "guest_os",
    "access",
    "version",
    "nodes",
];

/// The front layer's state.
pub(crate) struct Front {
    defects: Arc<BTreeSet<Defect>>,
    provider: Hop,
    /// Ids whose next `DELETED` event the tap drops ([`Defect::ReplayRecreates`]).
    recreated: Arc<Mutex<BTreeSet<String>>>,
    /// First accepted create body by `{collection}/{id}` (replay defects).
    created: Mutex<BTreeMap<String, Value>>,
    /// Deleted resources as last read, by `{collection}/{id}`.
    tombstones: Mutex<BTreeMap<String, Value>>,
    /// Page tokens this layer made up, each answered with an empty page.
    made_up_tokens: Mutex<BTreeSet<String>>,
}

/// What a request addresses: `(collection, id)` under `/api/v1alpha1/`.
fn route(path: &str) -> Option<(&str, Option<&str>)> {
    let rest = path.strip_prefix("/api/v1alpha1/")?;
    Some(match rest.split_once('/') {
        Some((coll, id)) => (coll, Some(id)),
        None => (rest, None),
    })
}

/// `FAILED` becomes `ERROR` in a resource ([`Defect::ErrorInsteadOfFailed`]).
pub(crate) fn error_for_failed(status: &mut Value) {
    if status == "FAILED" {
        *status = json!("ERROR");
    }
}

impl Front {
    pub(crate) fn new(
        defects: Arc<BTreeSet<Defect>>,
        provider: Hop,
        recreated: Arc<Mutex<BTreeSet<String>>>,
    ) -> Self {
        Self {
            defects,
            provider,
            recreated,
            created: Mutex::default(),
            tombstones: Mutex::default(),
            made_up_tokens: Mutex::default(),
        }
    }

    fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }

    /// Handles one request of the suite.
    pub(crate) async fn handle(self: Arc<Self>, req: Message) -> Message {
        let path = req.path().to_owned();
        let mut answer = match route(&path) {
            Some((coll, None)) if req.method == Method::POST => self.create(coll, req).await,
            Some((coll, None)) if req.method == Method::GET => self.list(coll, req).await,
            Some((_, Some("health"))) if req.method == Method::GET => self.health(req).await,
            Some((coll, Some(id))) if req.method == Method::DELETE => {
                self.delete(&format!("{coll}/{id}"), req).await
            }
            Some((_, Some(_))) if req.method == Method::GET => {
                let mut answer = self.provider.pass(&req).await;
                if self.has(Defect::ErrorInsteadOfFailed)
                    && let Some(mut v) = answer.json()
                    && let Some(status) = v.get_mut("status")
                {
                    error_for_failed(status);
                    answer.set_json(&v);
                }
                answer
            }
            _ => self.provider.pass(&req).await,
        };
        if answer.status == StatusCode::BAD_REQUEST && self.has(Defect::PlainText400) {
            let detail = answer
                .json()
                .and_then(|v| v["detail"].as_str().map(str::to_owned));
            answer = Message::answer(
                answer.status,
                "text/plain",
                format!("bad request: {}", detail.unwrap_or_default()),
            );
        }
        answer
    }

    async fn health(&self, req: Message) -> Message {
        let mut answer = self.provider.pass(&req).await;
        if self.has(Defect::Health503WhenDown)
            && answer.json().is_some_and(|v| v["status"] == "unhealthy")
        {
            answer.status = StatusCode::SERVICE_UNAVAILABLE;
        }
        answer
    }

    async fn create(&self, coll: &str, mut req: Message) -> Message {
        let Some(mut body) = req.json() else {
            return self.provider.pass(&req).await;
        };
        let sent = body.clone();
        if self.has(Defect::Internal500OnManyCpus)
            && body
                .pointer("/spec/vcpu/count")
                .and_then(Value::as_u64)
                .is_some_and(|n| n > 64)
        {
            return Message::answer(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", "crashed");
        }
        if self.has(Defect::DropsUnknownMembers)
            && let Some(spec) = body.get_mut("spec").and_then(Value::as_object_mut)
        {
            spec.retain(|k, _| KNOWN.contains(&k.as_str()));
            req.set_json(&body);
        }
        let key = req.query("id").map(|id| format!("{coll}/{id}"));
        if let Some(key) = &key {
            if self.has(Defect::KeepsDeletedRecords) && lock(&self.tombstones).contains_key(key) {
                // The provider forgot the id; only this layer's own 409 can refuse it.
                return Message::answer(
                    StatusCode::CONFLICT,
                    "application/problem+json",
                    json!({"status": 409, "detail": "a deleted record holds this id"}).to_string(),
                );
            }
            let first = lock(&self.created).get(key).cloned();
            if let Some(first) = first {
                let mutate = self.has(Defect::ConflictOnReplay)
                    || (self.has(Defect::ReplayComparesNumberForms) && first != sent);
                if mutate && let Some(spec) = body.get_mut("spec").and_then(Value::as_object_mut) {
                    // An unknown member is kept verbatim (VAL-007): the spec
                    // now differs and the provider answers its own 409.
                    spec.insert("x-fixture-replay".into(), json!(true));
                    req.set_json(&body);
                }
                if self.has(Defect::ReplayRecreates) && first == sent {
                    self.recreate(key, &req).await;
                }
            }
        }
        let answer = self.provider.pass(&req).await;
        if answer.status == StatusCode::CREATED
            && let Some(id) = answer
                .json()
                .and_then(|v| v["id"].as_str().map(str::to_owned))
        {
            lock(&self.created).insert(format!("{coll}/{id}"), sent);
        }
        answer
    }

    /// Deletes the resource behind a replay so the replay builds it again.
    async fn recreate(&self, key: &str, req: &Message) {
        let Some((_, id)) = key.split_once('/') else {
            return;
        };
        lock(&self.recreated).insert(id.to_owned());
        let mut delete = req.clone();
        delete.method = Method::DELETE;
        delete.target = format!("/api/v1alpha1/{key}");
        delete.body = axum::body::Bytes::new();
        let _ = self.provider.send(&delete).await;
    }

    async fn delete(&self, key: &str, req: Message) -> Message {
        lock(&self.created).remove(key);
        let mut get = req.clone();
        get.method = Method::GET;
        if self.has(Defect::DeleteInBackground)
            && self
                .provider
                .send(&get)
                .await
                .is_ok_and(|a| a.status == StatusCode::OK)
        {
            let provider = self.provider.clone();
            tokio::spawn(async move {
                // The defect is a delete that runs after its answer, seen by
                // the suite over real sockets: it needs real time to pass.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let _ = provider.send(&req).await;
            });
            return Message::answer(StatusCode::NO_CONTENT, "text/plain", "");
        }
        let before = if self.has(Defect::KeepsDeletedRecords) {
            let found = self.provider.send(&get).await.ok();
            found
                .filter(|a| a.status == StatusCode::OK)
                .and_then(|a| a.json())
        } else {
            None
        };
        let answer = self.provider.pass(&req).await;
        if answer.status == StatusCode::NO_CONTENT
            && let Some(mut item) = before
            && let Some(fields) = item.as_object_mut()
        {
            fields.insert("status".into(), json!("DELETED"));
            lock(&self.tombstones).insert(key.to_owned(), item);
        }
        answer
    }

    async fn list(&self, coll: &str, req: Message) -> Message {
        if req
            .query("page_token")
            .is_some_and(|t| lock(&self.made_up_tokens).contains(&t))
        {
            return Message::answer(
                StatusCode::OK,
                "application/json",
                json!({"results": []}).to_string(),
            );
        }
        let mut answer = self.provider.pass(&req).await;
        let Some(mut page) = answer.json().filter(|_| answer.status == StatusCode::OK) else {
            return answer;
        };
        let last_page = page.get("next_page_token").is_none();
        let Some(results) = page["results"].as_array_mut() else {
            return answer;
        };
        if self.has(Defect::ErrorInsteadOfFailed) {
            for status in results.iter_mut().filter_map(|item| item.get_mut("status")) {
                error_for_failed(status);
            }
        }
        let len = results.len();
        if self.has(Defect::KeepsDeletedRecords) && last_page {
            let prefix = format!("{coll}/");
            results.extend(
                lock(&self.tombstones)
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, v)| v.clone()),
            );
        }
        if self.has(Defect::OverlappingPages) && !last_page {
            let own = page["next_page_token"].clone();
            page["next_page_token"] = self.overlapping_token(&req, len, own).await;
        }
        let size = req
            .query("max_page_size")
            .map_or(Some(50), |s| s.parse().ok());
        if self.has(Defect::TokenOnFullPage) && last_page && len > 0 && Some(len) == size {
            let token = uuid::Uuid::new_v4().to_string();
            lock(&self.made_up_tokens).insert(token.clone());
            page["next_page_token"] = json!(token);
        }
        answer.set_json(&page);
        answer
    }

    /// A token whose page starts at the last item of this page of `len`
    /// items: the provider's token after the item before it, or the page's
    /// incoming token when the page holds one item (`own` on the first page).
    async fn overlapping_token(&self, req: &Message, len: usize, own: Value) -> Value {
        let incoming = req.query("page_token").map_or(own, Value::from);
        if len < 2 {
            return incoming;
        }
        let mut shorter = req.clone();
        shorter.set_query("max_page_size", &(len - 1).to_string());
        match self
            .provider
            .send(&shorter)
            .await
            .ok()
            .and_then(|a| a.json())
        {
            Some(v) => v["next_page_token"].clone(),
            None => incoming,
        }
    }
}
