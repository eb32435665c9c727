//! Contract profiles (§2, §3) and the status vocabularies they accept (§10.1).

use std::fmt;
use std::str::FromStr;

/// A contract profile, chosen with `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Profile {
    /// `dcm-v1alpha1`, the base and default profile.
    #[default]
    #[serde(rename = "dcm-v1alpha1")]
    V1alpha1,
    /// `dcm-v1alpha1-legacy`: pre-July-2026 vocabularies also accepted.
    #[serde(rename = "dcm-v1alpha1-legacy")]
    Legacy,
    /// `agent`: bare-spec creates with `Idempotency-Key` (§15).
    #[serde(rename = "agent")]
    Agent,
}

impl Profile {
    /// The profile's name as used on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Profile::V1alpha1 => "dcm-v1alpha1",
            Profile::Legacy => "dcm-v1alpha1-legacy",
            Profile::Agent => "agent",
        }
    }

    /// The tag a scenario carries when it applies only to this profile.
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Profile::V1alpha1 => "profile-dcm-v1alpha1",
            Profile::Legacy => "profile-legacy",
            Profile::Agent => "profile-agent",
        }
    }

    /// Accepted statuses for `service_type` (§10.1). Unknown service types
    /// get the empty set, so every status is refused.
    #[must_use]
    pub fn vocabulary(self, service_type: &str) -> Vec<&'static str> {
        let current: &[&str] = match service_type {
            "vm" => &[
                "PROVISIONING",
                "RUNNING",
                "STOPPED",
                "FAILED",
                "DELETED",
                "DELETING",
                "PAUSED",
                "STOPPING",
            ],
            "cluster" => &[
                "PROGRESSING",
                "ACTIVE",
                "DEGRADED",
                "UNAVAILABLE",
                "FAILED",
                "DELETING",
                "DELETED",
            ],
            "container" => &[
                "PENDING",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                "UNKNOWN",
                "DELETED",
            ],
            "storage" => &["PROVISIONING", "RUNNING", "FAILED", "DELETING", "DELETED"],
            "network" => &["PENDING", "READY", "DELETED"],
            _ => &[],
        };
        let mut out = current.to_vec();
        if self == Profile::Legacy {
            match service_type {
                "vm" => out.push("ERROR"),
                "cluster" => out.extend(["CREATING", "READY", "UPDATING", "ERROR"]),
                _ => {}
            }
        }
        out
    }

    /// The failure value of `service_type` under this profile.
    #[must_use]
    pub fn is_failure_status(self, status: &str) -> bool {
        status == "FAILED" || (self == Profile::Legacy && status == "ERROR")
    }

    /// Accepted health `status` values for (healthy, unhealthy) (HLT-002, HLT-015).
    #[must_use]
    pub fn health_values(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Profile::Legacy => (&["healthy", "pass"], &["unhealthy", "fail"]),
            _ => (&["healthy"], &["unhealthy"]),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dcm-v1alpha1" => Ok(Profile::V1alpha1),
            "dcm-v1alpha1-legacy" => Ok(Profile::Legacy),
            "agent" => Ok(Profile::Agent),
            other => Err(format!(
                "unknown profile `{other}`; expected dcm-v1alpha1, dcm-v1alpha1-legacy or agent"
            )),
        }
    }
}
