//! Get (API-040) and list with keyset page tokens (API-050 to API-053).

use std::sync::Arc;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::{Resource, ResourceList, stored};
use crate::app::App;
use crate::error::ApiError;
use crate::id::InstanceId;
use crate::lifecycle::Status;
use crate::store::{Kind, Record};

/// One resource (API-040). Clusters that are `ACTIVE` get `api_endpoint`
/// and `kubeconfig` (KCLI-024, SEC-003).
///
/// # Errors
/// 404 when the id is unknown to this endpoint.
pub(crate) async fn get(
    app: &Arc<App>,
    kind: Kind,
    id: &InstanceId,
    deadline: Instant,
) -> Result<Resource, ApiError> {
    let id = id.as_str();
    let record = stored(app, kind, id)?;
    let mut resource = Resource::from_record(&record);
    if record.status == Status::Cluster(crate::lifecycle::ClusterStatus::Active)
        && let Some(text) = cached_kubeconfig(app, &record, deadline).await
        && let Some((reduced, server)) = crate::kubeconfig::reduce(&text)
    {
        resource.api_endpoint = Some(server);
        resource.kubeconfig = Some(base64::engine::general_purpose::STANDARD.encode(reduced));
    }
    Ok(resource)
}

async fn cached_kubeconfig(app: &App, record: &Record, deadline: Instant) -> Option<String> {
    if let Some(text) = app.kubeconfigs.get(&record.id) {
        return Some(text);
    }
    match app.kweb.kubeconfig(&record.name, Some(deadline)).await {
        Ok(Some(text)) => {
            app.kubeconfigs.put(&record.id, text.clone());
            Some(text)
        }
        Ok(None) | Err(_) => None,
    }
}

fn token_mac(key: &[u8], position: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(position.as_bytes());
    hasher
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Encodes a keyset position as an opaque, authenticated token (API-053).
#[must_use]
pub(crate) fn encode_token(key: &[u8], position: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position);
    format!("{b64}.{}", token_mac(key, position))
}

fn decode_token(key: &[u8], kind: Kind, token: &str) -> Option<String> {
    let (b64, mac) = token.split_once('.')?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    let position = String::from_utf8(raw).ok()?;
    let expected = token_mac(key, &position);
    let equal: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()).into();
    (equal && crate::store::Store::is_order_key(kind, &position)).then_some(position)
}

/// One list page (API-050 to API-054).
///
/// # Errors
/// 400 for a bad `max_page_size` or `page_token`.
pub(crate) fn list(
    app: &App,
    kind: Kind,
    max_page_size: Option<&str>,
    page_token: Option<&str>,
) -> Result<ResourceList, ApiError> {
    let size = match max_page_size {
        None => 50,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::field(
                    "max_page_size",
                    "must be an integer from 1 to 100",
                ));
            }
        },
    };
    let key = app.store.token_key()?;
    let after = match page_token.filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => Some(decode_token(&key, kind, token).ok_or_else(|| {
            ApiError::field("page_token", "is malformed, tampered with or unknown")
        })?),
    };
    let (records, next) = app.store.page(kind, after.as_deref(), size)?;
    Ok(ResourceList {
        results: records.iter().map(Resource::from_record).collect(),
        next_page_token: next.map(|position| encode_token(&key, &position)),
    })
}
