//! The contract's wire shapes, defined by the suite itself (never imported
//! from the provider, design.md "Dependency direction").
//!
//! Each type derives a JSON Schema with schemars; [`crate::sp::schemas`]
//! compiles them and validates every response, registration and event.
//! Patterns come from the contract: ids (API-012), timestamps (API-002),
//! `schema_version` (REG-003), problem `type` (ERR-003).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A resource representation (API-003): `GET {endpoint}/{id}`, create answers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Resource {
    /// Instance id (API-012 pattern, at most 253 characters).
    #[schemars(
        regex(pattern = r"^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$"),
        length(max = 253)
    )]
    pub id: String,
    /// `{plural}/{id}`, no leading slash, no version prefix (API-003).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*/[^/]+$"))]
    pub path: String,
    /// Upper-case status from the profile vocabulary (API-005, VOC-001).
    #[schemars(regex(pattern = r"^[A-Z][A-Z_]*$"))]
    pub status: String,
    /// Explanation of the status, possibly empty (API-005).
    pub status_message: String,
    /// The spec exactly as accepted (API-004).
    pub spec: Map<String, Value>,
    /// RFC 3339 UTC with `Z` (API-002).
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"))]
    pub create_time: String,
    /// RFC 3339 UTC with `Z` (API-002).
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"))]
    pub update_time: String,
    /// Type-specific read-only outputs (`ip`, `ssh_user`, `api_endpoint`, `kubeconfig`).
    #[serde(flatten)]
    pub outputs: Map<String, Value>,
}

/// A list page (API-050, API-051).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ResourceList {
    /// Always an array, never null.
    pub results: Vec<Resource>,
    /// Absent or empty on the last page, non-empty when more items follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// One entry of a validation problem's `errors` extension (ERR-008).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FieldError {
    /// Dotted path into the request or a query parameter name.
    pub field: String,
    /// Why the value was refused.
    pub reason: String,
}

/// An RFC 9457 problem (ERR-001 to ERR-003).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// `about:blank` or an absolute URI (ERR-003).
    #[serde(rename = "type")]
    #[schemars(regex(pattern = r"^(about:blank|[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+)$"))]
    pub problem_type: String,
    /// Short, fixed per type (ERR-005).
    #[schemars(length(min = 1))]
    pub title: String,
    /// Equal to the HTTP status code (ERR-002).
    #[schemars(range(min = 400, max = 599))]
    pub status: u16,
    /// Readable text (ERR-006).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Request path or `urn:uuid:{request id}` (ERR-007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Validation details (ERR-008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Further extension members.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// The body of `GET {endpoint}/health` (HLT-002 to HLT-006).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// `healthy` / `unhealthy` (legacy also `pass` / `fail`, HLT-015).
    #[schemars(regex(pattern = r"^(healthy|unhealthy|pass|fail)$"))]
    pub status: String,
    /// The SP's build version.
    pub version: String,
    /// Whole seconds since process start, never decreasing (HLT-004).
    pub uptime: u64,
    /// Singleton type (HLT-005).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub health_type: Option<String>,
    /// `health` (HLT-005).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Short reason when unhealthy (HLT-006).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Further members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A registration body, `POST {base}/providers` (REG-002 to REG-008).
/// Unknown members are refused, which catches read-only members (REG-006).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Natural key of the registry, stable across restarts.
    #[schemars(length(min = 1))]
    pub name: String,
    /// `vm`, `cluster`, ...
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub service_type: String,
    /// `^v[0-9]+(alpha|beta)?[0-9]*$` (REG-003).
    #[schemars(regex(pattern = r"^v[0-9]+(alpha|beta)?[0-9]*$"))]
    pub schema_version: String,
    /// Absolute collection URL (REG-004).
    #[schemars(regex(pattern = r"^https?://[^/\s]+/\S*$"))]
    pub endpoint: String,
    /// Human name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Supported operations (REG-007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<String>>,
    /// Capabilities, snake_case keys (REG-008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Schema key of the registry (REG-008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// Schema key of the registry (REG-008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Schema key of the registry (REG-008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
}

/// `data` of a status event (EVT-006 to EVT-008).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EventData {
    /// The instance id.
    #[schemars(length(min = 1))]
    pub id: String,
    /// Non-empty, upper case, from the profile vocabulary.
    #[schemars(regex(pattern = r"^[A-Z][A-Z_]*$"))]
    pub status: String,
    /// Readable text, no credentials.
    pub message: String,
    /// Optional, RFC 3339 when present (EVT-007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
    ))]
    pub timestamp: Option<String>,
    /// Optional non-secret outputs (EVT-008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_spec: Option<Map<String, Value>>,
    /// Further members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A CloudEvents 1.0 envelope in structured JSON mode (EVT-001 to EVT-005).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CloudEvent {
    /// Always `1.0`.
    #[schemars(regex(pattern = r"^1\.0$"))]
    pub specversion: String,
    /// A fresh UUID per status change (EVT-003).
    #[schemars(regex(
        pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    ))]
    pub id: String,
    /// `dcm/providers/{name}` (EVT-004).
    #[schemars(regex(pattern = r"^dcm/providers/.+$"))]
    pub source: String,
    /// `dcm.status.{service_type}` (EVT-002).
    #[serde(rename = "type")]
    #[schemars(regex(pattern = r"^dcm\.status\.[a-z][a-z0-9_-]*$"))]
    pub event_type: String,
    /// `dcm.{service_type}` (EVT-002).
    pub subject: String,
    /// RFC 3339 UTC (EVT-005).
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"))]
    pub time: String,
    /// `application/json` (EVT-005).
    #[schemars(regex(pattern = r"^application/json$"))]
    pub datacontenttype: String,
    /// A JSON object, never a string (EVT-005).
    pub data: EventData,
}
