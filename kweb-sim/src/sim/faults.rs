//! Fault rules and latency effects (`kweb-reference.md` §15).
//!
//! Rules are ordered; the first enabled rule that matches a request fires.
//! A rule matches on method, path glob and resource-name glob (the route's
//! first `<name>` parameter, or for a create the name in its body:
//! [`create_name`]), then passes `skip_count` matches through,
//! fires at most `max_count` times and only with `probability`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a firing rule answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultResponse {
    /// A kweb shape: `E1` (with `reason`), `E2`, `E3` (with `status`,
    /// default 500, and optional `body` text), `E4`, `E5`, `E6`, `E7`.
    #[serde(default)]
    pub shape: Option<String>,
    /// Status for explicit responses and `E3`.
    #[serde(default)]
    pub status: Option<u16>,
    /// Content type of an explicit response (default `application/json`).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Explicit body: a string is sent as is, anything else as `json.dumps`.
    #[serde(default)]
    pub body: Option<Value>,
    /// Reason text of `E1`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A transport-level fault.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Read the request, never answer (the connection stays open until the
    /// client gives up, at most `hang_seconds`).
    Hang,
    /// Read the request, then reset the connection (RST, no response); the
    /// request is not applied.
    Reset,
    /// `cut_after`: apply the request as kweb would (a `POST /vms` creates
    /// the VM), then reset the connection without answering. Models kweb
    /// going on with a create after the client's connection was cut, the
    /// unknown outcome of contract API-018 and TMO-002.
    #[serde(rename = "cut_after")]
    CutAfter,
}

/// One fault rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Identifier assigned by the simulator.
    #[serde(default)]
    pub id: u64,
    /// Method glob (case-insensitive), e.g. `POST`; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Path glob (`*` any run, `?` one character), e.g. `/vms/*`; any when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// Resource-name glob on the route's `<name>` parameter, or on the name
    /// a create carries in its body ([`create_name`]).
    #[serde(default)]
    pub name: Option<String>,
    /// Probability of firing once matched, 0..1 (seeded generator).
    #[serde(default = "one")]
    pub probability: f64,
    /// Let this many matches through first.
    #[serde(default)]
    pub skip_count: u64,
    /// Fire at most this many times.
    #[serde(default)]
    pub max_count: Option<u64>,
    /// Whether the rule is active.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Response to send.
    #[serde(default)]
    pub response: Option<FaultResponse>,
    /// Transport fault instead of a response.
    #[serde(default)]
    pub transport: Option<Transport>,
    /// Delay before answering (or before the transport fault), ms.
    #[serde(default)]
    pub delay_ms: u64,
    /// How long a `hang` lasts at most, seconds (default 300).
    #[serde(default)]
    pub hang_seconds: Option<u64>,
    /// Requests that matched method/path/name.
    #[serde(default)]
    pub hits: u64,
    /// Times the rule fired.
    #[serde(default)]
    pub fired: u64,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

impl FaultRule {
    /// Checks the rule's own consistency.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err("probability must be between 0 and 1".into());
        }
        if self.response.is_none() && self.transport.is_none() && self.delay_ms == 0 {
            return Err("a fault needs a response, a transport fault or a delay_ms".into());
        }
        if let Some(r) = &self.response {
            if let Some(shape) = &r.shape
                && !["E1", "E2", "E3", "E4", "E5", "E6", "E7"].contains(&shape.as_str())
            {
                return Err(format!("unknown shape {shape:?}: use E1..E7"));
            }
            if r.shape.is_none() && r.status.is_none() {
                return Err("an explicit response needs a status (or use a shape)".into());
            }
            if let Some(s) = r.status
                && !(100..=599).contains(&s)
            {
                return Err(format!("status {s} out of range"));
            }
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str, name: Option<&str>) -> bool {
        self.enabled
            && self
                .method
                .as_deref()
                .is_none_or(|m| glob(&m.to_ascii_uppercase(), &method.to_ascii_uppercase()))
            && self.path.as_deref().is_none_or(|p| glob(p, path))
            && self
                .name
                .as_deref()
                .is_none_or(|n| name.is_some_and(|x| glob(n, x)))
    }
}

/// The ordered fault rules.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Faults {
    /// Rules in evaluation order.
    pub rules: Vec<FaultRule>,
    next_id: u64,
}

impl Faults {
    /// Adds a rule and returns its id.
    pub fn add(&mut self, mut rule: FaultRule) -> u64 {
        self.next_id += 1;
        rule.id = self.next_id;
        rule.hits = 0;
        rule.fired = 0;
        self.rules.push(rule);
        self.next_id
    }

    /// The first rule that fires for this request, counting hits. `draw`
    /// yields uniform numbers in `[0, 1)` for the probability check.
    pub fn check(
        &mut self,
        method: &str,
        path: &str,
        name: Option<&str>,
        mut draw: impl FnMut() -> f64,
    ) -> Option<FaultRule> {
        for rule in &mut self.rules {
            if !rule.matches(method, path, name) {
                continue;
            }
            rule.hits += 1;
            if rule.hits <= rule.skip_count {
                continue;
            }
            if rule.max_count.is_some_and(|m| rule.fired >= m) {
                continue;
            }
            if rule.probability < 1.0 && draw() >= rule.probability {
                continue;
            }
            rule.fired += 1;
            return Some(rule.clone());
        }
        None
    }
}

/// Latency for all requests or for matching ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Effects {
    /// Added to every kweb request, ms.
    #[serde(default)]
    pub latency_ms: u64,
    /// Uniform jitter added to `latency_ms`, ms.
    #[serde(default)]
    pub jitter_ms: u64,
    /// Extra latency for matching requests (all matching entries add up).
    #[serde(default)]
    pub rules: Vec<LatencyRule>,
}

/// Latency for requests matching method and path globs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LatencyRule {
    /// Method glob.
    #[serde(default)]
    pub method: Option<String>,
    /// Path glob.
    #[serde(default)]
    pub path: Option<String>,
    /// Latency, ms.
    #[serde(default)]
    pub latency_ms: u64,
    /// Jitter, ms.
    #[serde(default)]
    pub jitter_ms: u64,
}

impl Effects {
    /// Total delay for a request, ms; `draw(n)` yields a uniform value in `0..n`.
    pub fn delay_ms(&self, method: &str, path: &str, mut draw: impl FnMut(u64) -> u64) -> u64 {
        let mut total = self.latency_ms
            + if self.jitter_ms > 0 {
                draw(self.jitter_ms + 1)
            } else {
                0
            };
        for r in &self.rules {
            let m = r
                .method
                .as_deref()
                .is_none_or(|g| glob(&g.to_ascii_uppercase(), &method.to_ascii_uppercase()));
            let p = r.path.as_deref().is_none_or(|g| glob(g, path));
            if m && p {
                total += r.latency_ms
                    + if r.jitter_ms > 0 {
                        draw(r.jitter_ms + 1)
                    } else {
                        0
                    };
            }
        }
        total
    }
}

/// The name a create carries in its JSON body, for a route that has no
/// `<name>` parameter: `name` of `POST /vms` (§6.3), `cluster` of
/// `POST /kubes` (§6.14); `None` for other routes, form bodies and
/// non-string values.
#[must_use]
pub fn create_name(method: &str, pattern: &str, body: &[u8]) -> Option<String> {
    let member = match (method.to_ascii_uppercase().as_str(), pattern) {
        ("POST", "/vms") => "name",
        ("POST", "/kubes") => "cluster",
        _ => return None,
    };
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get(member)?
        .as_str()
        .map(str::to_owned)
}

/// Glob match: `*` matches any run (including `/`), `?` one character.
#[must_use]
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("/vms/*", "/vms/vm1"));
        assert!(glob("/vms*", "/vms"));
        assert!(!glob("/vms/*", "/vms"));
        assert!(glob("dcm-?", "dcm-1"));
        assert!(glob("*", ""));
    }

    /// (method, route pattern, body, name seen by the rules)
    #[test]
    fn creates_expose_the_name_in_their_body() {
        let cases: [(&str, &str, &[u8], Option<&str>); 7] = [
            (
                "POST",
                "/vms",
                br#"{"name": "dcm-a", "profile": "p"}"#,
                Some("dcm-a"),
            ),
            ("post", "/vms", br#"{"name": "dcm-a"}"#, Some("dcm-a")),
            (
                "POST",
                "/kubes",
                br#"{"cluster": "dcm-k", "kubetype": "generic"}"#,
                Some("dcm-k"),
            ),
            ("GET", "/vms", br#"{"name": "dcm-a"}"#, None),
            ("POST", "/vms", b"name=dcm-a", None),
            ("POST", "/vms", br#"{"name": 7}"#, None),
            ("POST", "/vms/<name>/start", br#"{"name": "dcm-a"}"#, None),
        ];
        for (method, pattern, body, want) in cases {
            assert_eq!(
                create_name(method, pattern, body).as_deref(),
                want,
                "{method} {pattern}"
            );
        }
    }

    #[test]
    fn skip_and_max_counts() {
        let mut f = Faults::default();
        f.add(FaultRule {
            id: 0,
            method: Some("get".into()),
            path: Some("/vms".into()),
            name: None,
            probability: 1.0,
            skip_count: 1,
            max_count: Some(2),
            enabled: true,
            response: Some(FaultResponse {
                shape: Some("E4".into()),
                ..FaultResponse::default()
            }),
            transport: None,
            delay_ms: 0,
            hang_seconds: None,
            hits: 0,
            fired: 0,
        });
        let fired: Vec<bool> = (0..5)
            .map(|_| f.check("GET", "/vms", None, || 0.0).is_some())
            .collect();
        assert_eq!(fired, vec![false, true, true, false, false]);
        assert_eq!(f.rules[0].hits, 5);
        assert_eq!(f.rules[0].fired, 2);
        assert!(f.check("POST", "/vms", None, || 0.0).is_none());
    }
}
