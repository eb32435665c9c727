//! kweb, kcli's HTTP API: typed errors, the answer shapes the provider reads,
//! and the client ([`client::KwebClient`]) that normalises kweb's quirks
//! (`kweb-reference.md` §4, contract §14.6).

pub(crate) mod client;

pub(crate) use client::KwebClient;

use std::sync::Arc;

use serde_json::{Map, Value};

/// A kweb failure, already classified per contract §14.6 and API-018.
///
/// `op` is the method and route template, e.g. `POST /vms`; it never holds
/// the kweb URL (ERR-006, SEC-009). Transport failures keep their reqwest
/// source; whether kweb may have acted on the request is
/// [`KwebError::delivery`], never the message text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KwebError {
    /// The request never reached kweb: connection refused, DNS or TLS
    /// failure before the request was written (API-018: a rejection).
    #[error("kweb is unreachable ({op})")]
    Unreachable {
        /// Operation.
        op: String,
        /// The transport error, when reqwest gave one.
        #[source]
        source: Option<Arc<reqwest::Error>>,
    },
    /// The request was sent but no complete answer came back: connection
    /// reset or closed mid-request, or a truncated body (API-018: outcome
    /// unknown, kweb may still act on it).
    #[error("kweb connection ended before a complete answer to {op}; the outcome is unknown")]
    Interrupted {
        /// Operation.
        op: String,
        /// The transport error.
        #[source]
        source: Option<Arc<reqwest::Error>>,
    },
    /// No answer within the time budget (TMO-002, TMO-003). The request
    /// had been sent, so the outcome is unknown (API-018, TMO-004).
    #[error("kweb did not answer {op} in time")]
    Timeout {
        /// Operation.
        op: String,
    },
    /// `{"result": "failure", "reason": "...already exists..."}` (KCLI-061).
    #[error("kweb refused {op}: {reason}")]
    AlreadyExists {
        /// Operation.
        op: String,
        /// Sanitised reason.
        reason: String,
    },
    /// A reason that identifies a client error (KCLI-062): unknown image,
    /// incorrect parameters, missing pull secret.
    #[error("kweb refused {op}: {reason}")]
    Rejected {
        /// Operation.
        op: String,
        /// Sanitised reason.
        reason: String,
    },
    /// `VM ... not found` on a mutating call (KCLI-063 resolves it).
    #[error("kweb does not know the resource ({op})")]
    NotFound {
        /// Operation.
        op: String,
    },
    /// 400 `Invalid Data`: the provider sent a malformed request.
    #[error("kweb rejected the provider's request as invalid data ({op})")]
    BadRequest {
        /// Operation.
        op: String,
    },
    /// 403 `{}`: kweb runs with `--readonly`.
    #[error("backend is read-only ({op})")]
    ReadOnly {
        /// Operation.
        op: String,
    },
    /// A JSON failure answer, with the reason when it is plain text.
    #[error("kweb answered HTTP {status} to {op}{}", reason_suffix(.reason))]
    Failure {
        /// Operation.
        op: String,
        /// HTTP status kweb sent.
        status: u16,
        /// Sanitised reason, if any (KCLI-061).
        reason: Option<String>,
    },
    /// HTML page, text/plain 500, empty, non-JSON or oversized body (SEC-008).
    #[error("kweb answered HTTP {status} to {op} with an unusable body ({what})")]
    Unusable {
        /// Operation.
        op: String,
        /// HTTP status kweb sent.
        status: u16,
        /// What was wrong with the body, e.g. `HTML page`.
        what: &'static str,
    },
}

/// Whether kweb may have acted on a failed call (API-018).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The request never reached kweb: nothing happened there.
    NotSent,
    /// kweb answered with a definite failure: nothing was done.
    Refused,
    /// The request was sent and no complete answer came back: kweb may
    /// still complete it (TMO-004).
    Unknown,
}

impl KwebError {
    /// Whether kweb may have acted on the call that failed (API-018).
    #[must_use]
    pub const fn delivery(&self) -> Delivery {
        match self {
            Self::Unreachable { .. } => Delivery::NotSent,
            Self::Interrupted { .. } | Self::Timeout { .. } => Delivery::Unknown,
            Self::AlreadyExists { .. }
            | Self::Rejected { .. }
            | Self::NotFound { .. }
            | Self::BadRequest { .. }
            | Self::ReadOnly { .. }
            | Self::Failure { .. }
            | Self::Unusable { .. } => Delivery::Refused,
        }
    }
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map_or_else(String::new, |r| format!(": {r}"))
}

/// kweb's `reason`, kept only when it is one plain line of at most 200
/// characters (KCLI-061).
#[must_use]
pub(crate) fn sanitise_reason(reason: &str) -> Option<String> {
    let trimmed = reason.trim();
    let plain = !trimmed.is_empty()
        && trimmed.chars().count() <= 200
        && !trimmed.chars().any(char::is_control)
        && !trimmed.contains('<')
        && !trimmed.contains("://");
    plain.then(|| trimmed.to_owned())
}

/// Prefix of the `owner` metadata value that carries the DCM id. kcli
/// stores `owner` in the VM's metadata at creation and shows it in both
/// `GET /vms` and `GET /vms/{name}`; unknown keys such as `dcm_id` are stored
/// but never shown by kcli's kvm `info`, so they cannot be read back.
pub(crate) const OWNER_PREFIX: &str = "dcm:";

/// One entry of `GET /vms` (`kweb-reference.md` §6.1, list mode).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VmEntry {
    /// VM name.
    pub name: String,
    /// Raw status (`up`, `down`, ...), `None` when absent or null.
    pub status: Option<String>,
    /// First IP address, when known.
    pub ip: Option<String>,
    /// Login user.
    pub user: Option<String>,
    /// Cluster this VM is a node of (`kube` key).
    pub kube: Option<String>,
    /// The DCM id the provider recorded on the VM: kweb's `owner` metadata
    /// `dcm:{id}` (listed by `GET /vms` on every backend), or a `dcm_id` key
    /// when a backend lists it (KCLI-005, ORP-005).
    pub dcm_id: Option<String>,
}

impl VmEntry {
    /// Reads one list element; `None` when it has no string `name`.
    #[must_use]
    pub(crate) fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            name: text("name")?,
            status: text("status"),
            ip: text("ip").filter(|s| !s.is_empty()),
            user: text("user").filter(|s| !s.is_empty()),
            kube: text("kube"),
            dcm_id: text("dcm_id").or_else(|| {
                text("owner").and_then(|o| o.strip_prefix(OWNER_PREFIX).map(str::to_owned))
            }),
        })
    }
}

/// One entry of `GET /kubes` (`kweb-reference.md` §6.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KubeEntry {
    /// Cluster name.
    pub name: String,
    /// Cluster type as kweb reports it.
    pub kind: String,
    /// Node VM names (kweb sends a comma-joined string or an empty list).
    pub vms: Vec<String>,
}

impl KubeEntry {
    /// Reads one `name: {...}` member.
    #[must_use]
    pub(crate) fn from_json(name: &str, value: &Value) -> Self {
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("generic")
            .to_owned();
        let vms = match value.get("vms") {
            Some(Value::String(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Self {
            name: name.to_owned(),
            kind,
            vms,
        }
    }
}

/// `GET /kubes/{name}`: node rows and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KubeDetail {
    /// `(name, status)` of each node row (`Ready`, `NotReady`, ...).
    pub nodes: Vec<(String, String)>,
    /// Server version, `N/A` when unreachable.
    pub version: String,
}

impl KubeDetail {
    /// Reads the detail object; `None` for kweb's "not found" `{}`.
    #[must_use]
    pub(crate) fn from_json(value: &Map<String, Value>) -> Option<Self> {
        if value.is_empty() {
            return None;
        }
        let nodes = value
            .get("nodes")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(Value::as_array)
                    .filter_map(|row| {
                        let name = row.first()?.as_str()?.to_owned();
                        let status = row.get(1)?.as_str()?.to_owned();
                        Some((name, status))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let version = value
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("N/A")
            .to_owned();
        Some(Self { nodes, version })
    }
}
