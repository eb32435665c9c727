//! Cluster routes (`kweb-reference.md` §6.14, §8): asynchronous creation,
//! list, info, kubeconfig (text and static download), delete.

use serde_json::{Map, Value, json};

use super::{Call, Handled, Out};
use crate::http::body::flatten_parameters;
use crate::sim::transitions::TransitionSet;

/// The `/kubes` map: clusters claimed by VMs (VM order), then directories.
#[must_use]
pub fn kubes_map(w: &crate::world::World) -> Map<String, Value> {
    let mut vms: Vec<_> = w.vms.iter().collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Map<String, Value> = Map::new();
    let mut order: Vec<(String, String, String, Vec<String>)> = Vec::new();
    for vm in vms {
        if let Some((k, t)) = vm.kube() {
            match order.iter_mut().find(|(name, ..)| name == k) {
                Some(entry) => entry.3.push(vm.name.clone()),
                None => order.push((
                    k.to_owned(),
                    t.to_owned(),
                    vm.plan().to_owned(),
                    vec![vm.name.clone()],
                )),
            }
        }
    }
    for (k, t, p, names) in order {
        out.insert(k, json!({"type": t, "plan": p, "vms": names.join(",")}));
    }
    for dir in &w.clusters {
        if out.contains_key(&dir.name) {
            continue;
        }
        let (t, p) = match &dir.params {
            Some(params) => (
                params
                    .get("kubetype")
                    .cloned()
                    .unwrap_or_else(|| json!("generic")),
                params
                    .get("plan")
                    .cloned()
                    .unwrap_or_else(|| json!(dir.name)),
            ),
            None => (json!("generic"), json!(dir.name)),
        };
        out.insert(dir.name.clone(), json!({"type": t, "plan": p, "vms": []}));
    }
    out
}

/// `GET /kubes`.
pub fn list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    c.sim.count_read("GET /kubes");
    c.sim.tick(c.now);
    Ok(Out::ok(json!({ "kubes": kubes_map(&c.sim.world) })))
}

/// kcli's string coercion of `POST /kubes` values (§8.1).
fn coerce(value: &str) -> Value {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
        if let Ok(n) = value.parse::<u64>() {
            return json!(n);
        }
        return json!(value);
    }
    match value.to_lowercase().as_str() {
        "true" => return json!(true),
        "false" => return json!(false),
        _ => {}
    }
    if value == "None" {
        return Value::Null;
    }
    if value == "[]" {
        return json!([]);
    }
    if value.starts_with('[') && value.ends_with(']') && value.len() >= 2 {
        if value.contains('{') {
            let json_like = value
                .replace('\'', "\"")
                .replace("True", "true")
                .replace("False", "false")
                .replace("None", "null");
            return serde_json::from_str(&json_like).unwrap_or_else(|_| json!(value));
        }
        let items: Vec<Value> = value[1..value.len() - 1]
            .split(',')
            .map(|s| json!(s.trim()))
            .collect();
        return Value::Array(items);
    }
    json!(value)
}

/// `POST /kubes` (§8.1): answers at once; stages run on the transition engine.
pub fn create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let kubetype = match data.opt("type")? {
        Some(v) if super::pybool(&v) => Some(v),
        _ => data.opt("kubetype")?,
    };
    let raw = data.to_map()?;
    let mut params = Map::new();
    for (k, v) in raw {
        match v {
            Value::String(s) => {
                let single = Map::from_iter([(k, coerce(&s))]);
                for (fk, fv) in flatten_parameters(single) {
                    params.insert(fk, fv);
                }
            }
            other => {
                params.insert(k, other);
            }
        }
    }
    let Some(cluster) = params.get("cluster").cloned() else {
        return Err(Out::exception());
    };
    if params.get("pull_secret").and_then(Value::as_str) == Some("openshift_pull.json") {
        match c.sim.options.pull_secret.clone() {
            Some(path) => {
                params.insert("pull_secret".into(), json!(path));
            }
            None => {
                return Ok(Out::Json(
                    400,
                    json!({"result": "failure", "reason": "Specify an absolute path to an existing pull secret"}),
                ));
            }
        }
    }
    let kubetype = match kubetype {
        Some(Value::String(t))
            if ["generic", "k3s", "openshift", "microshift", "hypershift"]
                .contains(&t.as_str()) =>
        {
            t
        }
        _ => return Err(Out::exception()),
    };
    if kubetype == "openshift" || kubetype == "hypershift" {
        params.insert("sno_wait".into(), json!(true));
        params.insert("async".into(), json!(true));
    }
    let cluster = super::text(&cluster);
    c.sim.start_cluster(&cluster, &kubetype, params, c.now);
    Ok(Out::success())
}

fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    if s < 120 {
        format!("{s}s")
    } else if s < 7200 {
        format!("{}m", s / 60)
    } else if s < 172_800 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// `GET /kubes/<kube>` (§6.14): nodes table and version when the cluster
/// answers (a kubeconfig exists and the complete transition set is active);
/// `{"nodes": [], "version": "N/A"}` otherwise; `{}` when unknown.
pub fn info(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let kube = c.param(0).to_owned();
    c.sim.count_read(&format!("GET /kubes/{kube}"));
    c.sim.tick(c.now);
    let kubes = kubes_map(&c.sim.world);
    let Some(entry) = kubes.get(&kube) else {
        return Ok(Out::ok(json!({})));
    };
    let answers =
        c.sim.transitions.set == TransitionSet::Complete && c.sim.kubeconfig(&kube).is_some();
    if !answers {
        return Ok(Out::ok(json!({"nodes": [], "version": "N/A"})));
    }
    let kubetype = entry["type"].as_str().unwrap_or("generic").to_owned();
    let version = match kubetype.as_str() {
        "k3s" => "v1.31.4+k3s1",
        "openshift" | "hypershift" => "4.17.10",
        "microshift" => "v1.31.3",
        _ => "v1.31.4",
    };
    let w = &c.sim.world;
    let mut nodes: Vec<_> = w
        .vms
        .iter()
        .filter(|v| v.kube().is_some_and(|(k, _)| k == kube))
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<Value> = nodes
        .into_iter()
        .map(|vm| {
            let ready = if vm.power.is_active() {
                "Ready"
            } else {
                "NotReady"
            };
            let roles = if vm.name.contains("-ctlplane-") {
                "control-plane,master"
            } else {
                "<none>"
            };
            let created = vm.created_at;
            let ip = w
                .nic_ip(vm, 0)
                .map_or_else(|| "<none>".to_owned(), |i| i.to_string());
            let node_version = if kubetype == "openshift" || kubetype == "hypershift" {
                "v1.30.7"
            } else {
                version
            };
            json!([
                vm.name,
                ready,
                roles,
                age(c.now - created),
                node_version,
                ip
            ])
        })
        .collect();
    Ok(Out::ok(json!({"nodes": rows, "version": version})))
}

/// `DELETE /kubes/<kube>` (§6.14): success also for an unknown cluster.
pub fn delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    c.sim.tick(c.now);
    let kube = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let nodes: Vec<String> = w
        .vms
        .iter()
        .filter(|v| v.kube().is_some_and(|(k, _)| k == kube))
        .map(|v| v.name.clone())
        .collect();
    for n in nodes {
        // Listed above and deleted with their snapshots: cannot fail.
        let _ = w.delete_vm(&n, true, false);
    }
    w.clusters.retain(|d| d.name != kube);
    c.sim.jobs.retain(|j| j.cluster != kube);
    Ok(Out::success())
}

/// `GET /kubes/<kube>/kubeconfig`: text as `text/html`, or E7.
pub fn kubeconfig_text(c: &mut Call<'_>) -> Handled {
    let kube = c.param(0).to_owned();
    c.sim.tick(c.now);
    match c.sim.kubeconfig(&kube) {
        Some((text, _)) => Ok(Out::Html(200, text.to_owned())),
        None => Ok(Out::Json(404, json!({}))),
    }
}

/// `GET /kubeconfig/kubeconfig.<kube>`: static download, or E7.
pub fn kubeconfig_file(c: &mut Call<'_>) -> Handled {
    let kube = c.param(0).to_owned();
    c.sim.tick(c.now);
    match c.sim.kubeconfig(&kube) {
        Some((text, mtime)) => Ok(Out::Static {
            content_type: "application/octet-stream".into(),
            body: text.as_bytes().to_vec(),
            mtime,
        }),
        None => Ok(Out::Json(404, json!({}))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_coercion() {
        assert_eq!(coerce("3"), json!(3));
        assert_eq!(coerce("TRUE"), json!(true));
        assert_eq!(coerce("None"), Value::Null);
        assert_eq!(coerce("[]"), json!([]));
        assert_eq!(coerce("[1, 2]"), json!(["1", "2"]));
        assert_eq!(coerce("[{'a': 1}]"), json!([{"a": 1}]));
        assert_eq!(coerce("no"), json!("no"));
        assert_eq!(coerce(""), json!(""));
    }
}
