//! Normalising kweb answers so two runs can be compared.
//!
//! Masked (`kweb-live.md` §11): `Date`, `Etag`, `Last-Modified` values, the
//! Python version in `Server`, UUIDs, libvirt MACs, `creationdate`, fake
//! DHCP addresses (IPv4 addresses that are not part of a CIDR), the `host`
//! of `/host`, the used and available space of pools, and the host and port
//! echoed inside HTML error pages. Lists that follow libvirt's hash order
//! (`/networks` keys, `/pools`, `/host` lines, snapshots, the VMs of a
//! network-in-use message) compare as sets (`kweb-reference.md` §6.2, quirk 33).

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::Value;

use crate::wire::{Request, Response};

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("valid regex")
});
static MAC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"52:54:00(?::[0-9a-f]{2}){3}").expect("valid regex"));
static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{2}-\d{2}-\d{4} \d{2}:\d{2}\b").expect("valid regex"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(/\d+)?").expect("valid regex")
});
static HOST_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""host": "[^"]*""#).expect("valid regex"));
static SPACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(used_space|available_space): -?[0-9.]+GB").expect("valid regex")
});
static PAGE_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(&#039;|&quot;)http://[^/&]*").expect("valid regex"));
static PYTHON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"CPython/\d+\.\d+\.\d+").expect("valid regex"));
static IN_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(is being used by the following vms: )([^\x22]*)").expect("valid regex")
});

/// UI pages (`kweb-reference.md` §5.2) render state as HTML; parity compares
/// them by status line, content type and header order, not bytes. Their
/// Bottle error pages (500) still compare byte for byte.
#[must_use]
pub fn is_ui_page(request: &Request, expected: &Response) -> bool {
    static UI: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^/(|repos|[a-z]+(index|table|form)|kubeinfo/[^/]+|kubecreateform/[^/]+|productcreateform/[^/]+)$")
            .expect("valid regex")
    });
    let path = request.path();
    UI.is_match(path.split('?').next().unwrap_or_default())
        && matches!(expected.status, 200 | 400)
        && expected.content_type().starts_with("text/html")
}

static RANDOM_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""(?:vm|plan)": "([a-z0-9]+-[a-z0-9]+)""#).expect("valid regex"));

/// The VM or plan name kweb drew at random, when the request asked for one
/// with `"name": ""` (`kweb-reference.md` §6.3, §6.13).
#[must_use]
pub fn random_name(request: &Request, response: &Response) -> Option<String> {
    let asked = String::from_utf8_lossy(&request.body)
        .replace(' ', "")
        .contains(r#""name":"""#);
    if !asked {
        return None;
    }
    RANDOM_NAME
        .captures(&response.text())
        .map(|c| c[1].to_owned())
}

/// Headers whose values are never compared.
const VOLATILE_HEADERS: [&str; 3] = ["Date", "Etag", "Last-Modified"];

/// Replaces volatile values in a body with placeholders.
#[must_use]
pub fn mask_text(text: &str) -> String {
    let text = UUID.replace_all(text, "<uuid>");
    let text = MAC.replace_all(&text, "<mac>");
    let text = DATE.replace_all(&text, "<date>");
    let text = IPV4.replace_all(&text, |c: &Captures<'_>| {
        if c.get(2).is_some() {
            c[0].to_owned()
        } else {
            "<ip>".to_owned()
        }
    });
    let text = HOST_FIELD.replace_all(&text, r#""host": "<host>""#);
    let text = SPACE.replace_all(&text, "$1: <n>GB");
    let text = PAGE_URL.replace_all(&text, "${1}http://<host>");
    let text = IN_USE.replace_all(&text, |c: &Captures<'_>| {
        let mut vms: Vec<&str> = c[2].split(',').collect();
        vms.sort_unstable();
        format!("{}{}", &c[1], vms.join(","))
    });
    text.into_owned()
}

/// A response reduced to what parity compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// Status line, exact.
    pub status_line: String,
    /// `Content-Type`, exact (empty when absent).
    pub content_type: String,
    /// Header names in order; volatile values are not part of this.
    pub header_names: Vec<String>,
    /// Masked body; for hash-ordered listings, a canonical JSON form.
    pub body: String,
    /// `Server` with the Python version masked.
    pub server: String,
}

impl Normalized {
    /// Normalises a response.
    #[must_use]
    pub fn of(response: &Response) -> Self {
        let text = mask_text(&response.text());
        let body = canonical_sets(&text).unwrap_or(text);
        Self {
            status_line: response.status_line.clone(),
            content_type: response.content_type().to_owned(),
            header_names: response.headers.iter().map(|(n, _)| n.clone()).collect(),
            body,
            server: PYTHON
                .replace_all(response.header("Server").unwrap_or(""), "CPython/<v>")
                .into_owned(),
        }
    }

    /// For UI pages: drop the body from the comparison (status line,
    /// content type and header order still count).
    #[must_use]
    pub fn with_ui(mut self, ui_page: bool) -> Self {
        if ui_page {
            self.body = "(UI page: body not compared)".to_owned();
        }
        self
    }

    /// The names of the fields that differ, with both values.
    #[must_use]
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        if self.status_line != other.status_line {
            out.push(format!(
                "status line: {:?} vs {:?}",
                self.status_line, other.status_line
            ));
        }
        if self.content_type != other.content_type {
            out.push(format!(
                "content type: {:?} vs {:?}",
                self.content_type, other.content_type
            ));
        }
        if self.header_names != other.header_names {
            out.push(format!(
                "header names: {:?} vs {:?}",
                self.header_names, other.header_names
            ));
        }
        if self.server != other.server {
            out.push(format!("server: {:?} vs {:?}", self.server, other.server));
        }
        if self.body != other.body {
            out.push(format!(
                "body (masked):\n  {}\n  vs\n  {}",
                shorten(&self.body),
                shorten(&other.body)
            ));
            if let (Ok(a), Ok(b)) = (
                serde_json::from_str::<Value>(&self.body),
                serde_json::from_str::<Value>(&other.body),
            ) {
                let mut paths = Vec::new();
                json_paths(&a, &b, "", &mut paths);
                out.extend(paths.into_iter().take(JSON_PATHS_SHOWN));
            }
        }
        out
    }
}

/// Whether a header's value is compared at all.
#[must_use]
pub fn is_volatile_header(name: &str) -> bool {
    VOLATILE_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// How many differing JSON paths [`Normalized::differences`] lists.
const JSON_PATHS_SHOWN: usize = 12;

/// The JSON pointers where `a` and `b` differ, each with both values
/// (`absent` for a missing key), and key-order differences of objects whose
/// keys are otherwise equal.
fn json_paths(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let path = format!("{at}/{k}");
                match y.get(k) {
                    Some(w) => json_paths(v, w, &path, out),
                    None => out.push(format!("json {path}: {} vs absent", compact(v))),
                }
            }
            for (k, w) in y {
                if !x.contains_key(k) {
                    out.push(format!("json {at}/{k}: absent vs {}", compact(w)));
                }
            }
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            if x.len() == y.len() && x.keys().all(|k| y.contains_key(k)) && kx != ky {
                out.push(format!("json {at}: key order {kx:?} vs {ky:?}"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                json_paths(v, w, &format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(format!(
            "json {}: {} vs {}",
            if at.is_empty() { "/" } else { at },
            compact(a),
            compact(b)
        )),
        _ => {}
    }
}

fn compact(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 200 {
        format!("{}...", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

fn shorten(text: &str) -> String {
    let shown: String = text.chars().take(1500).collect();
    if shown.len() < text.len() {
        format!("{shown}...")
    } else {
        shown
    }
}

/// Canonical text of JSON listings in libvirt hash order: `/networks` keys
/// sorted, `/pools` rows sorted, the `networks` and `storage` lines of
/// `/host` sorted, snapshots (VMINFO objects or `/snapshots/<vm>` names)
/// sorted. `None` for every other body.
fn canonical_sets(text: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object_mut()?;
    if let Some(Value::Array(snapshots)) = object.get_mut("snapshots") {
        snapshots.sort_by_key(ToString::to_string);
    } else if object.contains_key("connection") {
        for key in ["networks", "storage"] {
            if let Some(Value::Array(lines)) = object.get_mut(key) {
                lines.sort_by_key(ToString::to_string);
            }
        }
    } else if object.len() != 1 {
        return None;
    } else if let Some(Value::Object(networks)) = object.get_mut("networks") {
        let mut entries: Vec<(String, Value)> = std::mem::take(networks).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        networks.extend(entries);
    } else if let Some(Value::Array(pools)) = object.get_mut("pools") {
        pools.sort_by_key(ToString::to_string);
    } else {
        return None;
    }
    Some(format!("(as set) {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_differences_name_each_path() {
        let parse = |s: &str| serde_json::from_str::<Value>(s).expect("json");
        let mut out = Vec::new();
        json_paths(
            &parse(r#"{"p": {"vnc": true, "c": 1}, "l": [1, 2], "k": {"a": 1, "b": 2}}"#),
            &parse(
                r#"{"p": {"vnc": true, "vncpassword": null, "c": 2}, "l": [1, 3], "k": {"b": 2, "a": 1}}"#,
            ),
            "",
            &mut out,
        );
        assert_eq!(
            out,
            [
                "json /p/c: 1 vs 2",
                "json /p/vncpassword: absent vs null",
                "json /l/1: 2 vs 3",
                r#"json /k: key order ["a", "b"] vs ["b", "a"]"#,
            ]
        );
        let mut none = Vec::new();
        json_paths(&parse("[1]"), &parse("[1]"), "", &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn masks_volatile_values_but_keeps_cidrs() {
        let text = r#"{"id": "066b9c0b-80b0-4ef5-9dde-f18f5c942354", "mac": "52:54:00:be:07:c0", "creationdate": "21-11-2026 13:47", "ip": "192.168.123.87", "cidr": "10.10.0.0/24"}"#;
        assert_eq!(
            mask_text(text),
            r#"{"id": "<uuid>", "mac": "<mac>", "creationdate": "<date>", "ip": "<ip>", "cidr": "10.10.0.0/24"}"#
        );
    }

    #[test]
    fn in_use_lists_and_listings_compare_as_sets() {
        assert_eq!(
            mask_text("is being used by the following vms: vm3,test,vm1\""),
            mask_text("is being used by the following vms: test,vm1,vm3\"")
        );
        let a = r#"{"pools": [["pool1", "/p"], ["default-pool", "/default-pool"]]}"#;
        let b = r#"{"pools": [["default-pool", "/default-pool"], ["pool1", "/p"]]}"#;
        assert_eq!(canonical_sets(a), canonical_sets(b));
        assert_ne!(
            canonical_sets(a),
            canonical_sets(r#"{"pools": [["default-pool", "/default-pool"]]}"#)
        );
        assert!(canonical_sets(r#"{"vms": []}"#).is_none());
        assert_eq!(
            canonical_sets(
                r#"{"name": "a", "snapshots": [{"snapshot": "s2"}, {"snapshot": "s1"}]}"#
            ),
            canonical_sets(
                r#"{"name": "a", "snapshots": [{"snapshot": "s1"}, {"snapshot": "s2"}]}"#
            )
        );
    }

    #[test]
    fn error_page_hosts_are_masked() {
        assert_eq!(
            mask_text("<tt>&#039;http://127.0.0.1:18000/x&#039;</tt>"),
            "<tt>&#039;http://<host>/x&#039;</tt>"
        );
    }
}
