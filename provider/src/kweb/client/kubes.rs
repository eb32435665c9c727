//! The cluster routes of kweb: `GET/POST /kubes`, `GET/DELETE /kubes/{name}`,
//! the kubeconfig.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use super::answer::{read_capped, transport_error};
use super::{Gate, KwebClient, Limit, Payload, Slot, segment};
use crate::kweb::{KubeDetail, KubeEntry, KwebError};

impl KwebClient {
    /// `GET /kubes`.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn list_kubes(&self) -> Result<Vec<KubeEntry>, KwebError> {
        let obj = self.get_object("/kubes", "GET /kubes", None).await?;
        let kubes = obj
            .get("kubes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Ok(kubes
            .iter()
            .map(|(name, v)| KubeEntry::from_json(name, v))
            .collect())
    }

    /// `GET /kubes/{name}`; `None` for `{}`. Runs `kubectl` on kweb: call it
    /// from the monitor only (KCLI-026).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn get_kube(&self, name: &str) -> Result<Option<KubeDetail>, KwebError> {
        let obj = self
            .get_object(
                &format!("/kubes/{}", segment(name)),
                "GET /kubes/{name}",
                None,
            )
            .await?;
        Ok(KubeDetail::from_json(&obj))
    }

    /// `GET /kubes/{name}/kubeconfig`: the text, or `None` for 404 `{}`.
    ///
    /// # Errors
    /// [`KwebError`] for other failures.
    pub(crate) async fn kubeconfig(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<String>, KwebError> {
        let op = "GET /kubes/{name}/kubeconfig";
        let path = format!("/kubes/{}/kubeconfig", segment(name));
        let start = Instant::now();
        let budget = deadline.map_or(self.timeout, |d| {
            d.saturating_duration_since(start).min(self.timeout)
        });
        self.take_token().await;
        let send = self.http.get(format!("{}{path}", self.base)).send();
        let response = match tokio::time::timeout(budget, send).await {
            Err(_) => return Err(KwebError::Timeout { op: op.into() }),
            Ok(Err(e)) => return Err(transport_error(e, op)),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let bytes = match tokio::time::timeout(budget, read_capped(response, op)).await {
            Err(_) => return Err(KwebError::Timeout { op: op.into() }),
            Ok(r) => r?,
        };
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(KwebError::Unusable {
                op: op.into(),
                status: status.as_u16(),
                what: "error page",
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| KwebError::Unusable {
            op: op.into(),
            status: 200,
            what: "not UTF-8",
        })?;
        Ok((!text.trim().is_empty()).then_some(text))
    }

    /// `POST /kubes` (KCLI-021) on a slot the caller holds (ORP-009). kweb
    /// answers at once; the build runs in a thread.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6; [`KwebError::delivery`] per API-018.
    /// The body goes out only once `gate` opens (ORP-009).
    pub(crate) async fn create_kube(
        &self,
        slot: Slot,
        body: &Value,
        gate: Gate,
    ) -> Result<(), KwebError> {
        self.mutate(
            Method::POST,
            "/kubes",
            "POST /kubes",
            Payload::Gated(body, gate),
            None,
            Limit::Held(slot),
        )
        .await
        .map(drop)
    }

    /// `DELETE /kubes/{name}`; kweb answers success even for unknown names.
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn delete_kube(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<(), KwebError> {
        let path = format!("/kubes/{}", segment(name));
        self.mutate(
            Method::DELETE,
            &path,
            "DELETE /kubes/{name}",
            Payload::Json(&serde_json::json!({})),
            deadline,
            Limit::Take,
        )
        .await
        .map(drop)
    }
}
