//! The VM routes of kweb: `GET/POST /vms`, `GET/PATCH/DELETE /vms/{name}`,
//! `GET /vmprofiles`, `GET /images`.

use reqwest::Method;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::answer::{failure_of, unusable};
use super::{Gate, KwebClient, Limit, Payload, Slot, segment};
use crate::kweb::{KwebError, OWNER_PREFIX, VmEntry};

/// `GET /vms` parsed straight into the fields the provider reads; kweb's
/// other members (`info`, `nets`, ...) are skipped without building values.
#[derive(serde::Deserialize)]
struct VmList {
    vms: Vec<RawVm>,
}

#[derive(serde::Deserialize)]
struct RawVm {
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    kube: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    dcm_id: Option<String>,
}

impl From<RawVm> for VmEntry {
    fn from(raw: RawVm) -> Self {
        let owner_id = raw
            .owner
            .as_deref()
            .and_then(|o| o.strip_prefix(OWNER_PREFIX))
            .map(str::to_owned);
        Self {
            name: raw.name,
            status: raw.status,
            ip: raw.ip.filter(|s| !s.is_empty()),
            user: raw.user.filter(|s| !s.is_empty()),
            kube: raw.kube,
            dcm_id: raw.dcm_id.or(owner_id),
        }
    }
}

impl KwebClient {
    /// `GET /vms`: every VM (KCLI-030).
    ///
    /// # Errors
    /// [`KwebError`]; a non-array `vms` is [`KwebError::Unusable`].
    pub(crate) async fn list_vms(&self) -> Result<Vec<VmEntry>, KwebError> {
        let answer = self
            .call(Method::GET, "/vms", "GET /vms", None, None, Limit::Take)
            .await?;
        if !answer.status.is_success() {
            return Err(failure_of(&answer, "GET /vms"));
        }
        if let Ok(list) = serde_json::from_slice::<VmList>(&answer.bytes) {
            return Ok(list.vms.into_iter().map(VmEntry::from).collect());
        }
        match &answer.json() {
            Some(Value::Array(items)) => Ok(items.iter().filter_map(VmEntry::from_json).collect()),
            Some(Value::Object(obj)) => match obj.get("vms") {
                Some(Value::Array(items)) => {
                    Ok(items.iter().filter_map(VmEntry::from_json).collect())
                }
                _ => Err(unusable(&answer, "GET /vms", "no vms list")),
            },
            _ => Err(unusable(&answer, "GET /vms", "not a JSON list")),
        }
    }

    /// `GET /vms/{name}`; `None` for kweb's `{}` (KCLI-060).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn get_vm(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<Map<String, Value>>, KwebError> {
        let obj = self
            .get_object(
                &format!("/vms/{}", segment(name)),
                "GET /vms/{name}",
                deadline,
            )
            .await?;
        Ok((!obj.is_empty()).then_some(obj))
    }

    /// `POST /vms` (KCLI-014) on a slot the caller holds (ORP-009), bounded
    /// by `KWEB_TIMEOUT` alone (TMO-003: creates finish in the background).
    ///
    /// # Errors
    /// [`KwebError::AlreadyExists`], [`KwebError::Rejected`] and the others of §14.6;
    /// [`KwebError::delivery`] tells whether kweb may still create it (API-018).
    /// The body goes out only once `gate` opens (ORP-009).
    pub(crate) async fn create_vm(
        &self,
        slot: Slot,
        body: &Value,
        gate: Gate,
    ) -> Result<(), KwebError> {
        self.mutate(
            Method::POST,
            "/vms",
            "POST /vms",
            Payload::Gated(body, gate),
            None,
            Limit::Held(slot),
        )
        .await
        .map(drop)
    }

    /// `UPDATE /vms/{name}` with metadata keys (KCLI-005).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn update_vm(&self, name: &str, body: &Value) -> Result<(), KwebError> {
        let method = Method::from_bytes(b"UPDATE").unwrap_or(Method::PUT);
        self.mutate(
            method,
            &format!("/vms/{}", segment(name)),
            "UPDATE /vms/{name}",
            Payload::Json(body),
            None,
            Limit::Take,
        )
        .await
        .map(drop)
    }

    /// `DELETE /vms/{name}`; a "not found" answer or an HTML 500 is resolved
    /// with `GET /vms/{name}` (KCLI-063, kcli#863).
    ///
    /// # Errors
    /// [`KwebError`] when the delete failed and the VM still exists or the
    /// check failed.
    pub(crate) async fn delete_vm(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<(), KwebError> {
        let path = format!("/vms/{}", segment(name));
        match self
            .mutate(
                Method::DELETE,
                &path,
                "DELETE /vms/{name}",
                Payload::Json(&serde_json::json!({"snapshots": true})),
                deadline,
                Limit::Take,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(
                err @ (KwebError::NotFound { .. }
                | KwebError::Unusable { .. }
                | KwebError::Failure { .. }),
            ) => match self.get_vm(name, deadline).await? {
                None => Ok(()),
                Some(_) => Err(err),
            },
            Err(err) => Err(err),
        }
    }

    /// `GET /vmprofiles`: profile name → merged profile (KCLI-012).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn vm_profiles(&self) -> Result<Map<String, Value>, KwebError> {
        let obj = self
            .get_object("/vmprofiles", "GET /vmprofiles", None)
            .await?;
        Ok(obj
            .get("profiles")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default())
    }

    /// Basenames of `GET /images` (KCLI-013).
    ///
    /// # Errors
    /// [`KwebError`] per contract §14.6.
    pub(crate) async fn image_names(&self) -> Result<Vec<String>, KwebError> {
        let obj = self.get_object("/images", "GET /images", None).await?;
        Ok(obj
            .get("images")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|p| p.rsplit('/').next().unwrap_or(p).to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }
}
