//! `dcm-conformance sweep --prefix`: deletes, through the SP API, resources
//! whose id starts with a prefix (ORP-023). Dry run unless `yes`.

use std::time::Duration;

use crate::sp::world::urlencode;
use crate::wire::{self, Request};

/// What a sweep found or did.
#[derive(Debug, Clone)]
pub struct SweepLine {
    /// Collection URL.
    pub endpoint: String,
    /// Instance id.
    pub id: String,
    /// `would delete`, `deleted`, or an error.
    pub action: String,
}

/// Errors of a sweep.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A refused, empty or too-short prefix (it could match resources the suite did not create).
    #[error(
        "refusing to sweep with prefix `{0}`: it must be at least 4 characters (e.g. `cst-` or `cst-1a2b3c4d-`)"
    )]
    Prefix(String),
    /// Listing failed.
    #[error("listing {endpoint} failed: {reason}")]
    List {
        /// Collection URL.
        endpoint: String,
        /// Cause.
        reason: String,
    },
}

/// Lists every page of `endpoint` and returns the ids starting with `prefix`.
///
/// # Errors
/// [`SweepError::List`].
pub async fn matching_ids(
    client: &reqwest::Client,
    endpoint: &str,
    prefix: &str,
) -> Result<Vec<String>, SweepError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut url = format!("{}?max_page_size=100", endpoint.trim_end_matches('/'));
        if let Some(t) = &token {
            url.push_str(&format!("&page_token={}", urlencode(t)));
        }
        let ex = wire::send(
            client,
            Request::new("GET", url).with_timeout(Duration::from_secs(30)),
        )
        .await;
        if ex.status() != Some(200) {
            return Err(SweepError::List {
                endpoint: endpoint.into(),
                reason: format!("HTTP {:?} {}", ex.status(), ex.text()),
            });
        }
        let page = ex.json().map_err(|reason| SweepError::List {
            endpoint: endpoint.into(),
            reason,
        })?;
        for item in page["results"].as_array().cloned().unwrap_or_default() {
            if let Some(id) = item["id"].as_str().filter(|id| id.starts_with(prefix)) {
                ids.push(id.to_owned());
            }
        }
        token = page["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(ids)
}

/// Sweeps `endpoints`; deletes only with `yes`.
///
/// # Errors
/// [`SweepError`].
pub async fn sweep(
    endpoints: &[String],
    prefix: &str,
    yes: bool,
) -> Result<Vec<SweepLine>, SweepError> {
    if prefix.trim().len() < 4 {
        return Err(SweepError::Prefix(prefix.into()));
    }
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for ep in endpoints {
        for id in matching_ids(&client, ep, prefix).await? {
            let action = if yes {
                let url = format!("{}/{}", ep.trim_end_matches('/'), urlencode(&id));
                let del = wire::send(
                    &client,
                    Request::new("DELETE", url.clone()).with_timeout(Duration::from_secs(60)),
                )
                .await;
                match del.status() {
                    Some(204 | 404) => {
                        let get = wire::send(
                            &client,
                            Request::new("GET", url).with_timeout(Duration::from_secs(30)),
                        )
                        .await;
                        if get.status() == Some(404) {
                            "deleted".into()
                        } else {
                            format!("delete accepted, GET still {:?}", get.status())
                        }
                    }
                    other => format!(
                        "delete failed: HTTP {other:?} {}",
                        wire::truncate(&del.text(), 200)
                    ),
                }
            } else {
                "would delete (dry run; pass --yes)".into()
            };
            out.push(SweepLine {
                endpoint: ep.clone(),
                id,
                action,
            });
        }
    }
    Ok(out)
}
