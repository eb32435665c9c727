//! Plan routes (`kweb-reference.md` §6.13).

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::{Call, Handled, Out, text};
use crate::world::Network;
use crate::world::build::Built;

/// `GET /plans`: plans in order of first appearance in the sorted VM list.
pub fn list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    c.sim.tick(c.now);
    let mut vms: Vec<_> = c.sim.world.vms.iter().collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    let mut plans: Vec<(String, Vec<String>)> = Vec::new();
    for vm in vms {
        let plan = vm.plan();
        if plan.is_empty() || plan == "kvirt" {
            continue;
        }
        match plans.iter_mut().find(|(p, _)| p == plan) {
            Some((_, names)) => names.push(vm.name.clone()),
            None => plans.push((plan.to_owned(), vec![vm.name.clone()])),
        }
    }
    let rows: Vec<Value> = plans
        .into_iter()
        .map(|(p, n)| json!([p, n.join(",")]))
        .collect();
    Ok(Out::ok(json!({ "plans": rows })))
}

/// Where `url` points on the simulator's file system (§6.13): a path
/// starting with `/` or a `file://` URL; `/kcli_plan.yml` is appended
/// unless it ends in `.yml`/`.yaml`. Other schemes cannot be downloaded.
fn plan_path(url: &str) -> Option<PathBuf> {
    let path = if let Some(p) = url.strip_prefix("file://") {
        p.to_owned()
    } else if url.starts_with('/') {
        url.to_owned()
    } else {
        return None;
    };
    let path = if path.ends_with(".yml") || path.ends_with(".yaml") {
        path
    } else {
        format!("{path}/kcli_plan.yml")
    };
    Some(PathBuf::from(path))
}

/// `POST /plans` (§6.13): reads a kcli plan YAML and creates its networks
/// and VMs.
pub fn create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("name")? {
        return Ok(Out::invalid_data());
    }
    let name = data.get("name")?;
    let url = text(&data.get("url")?);
    let mut plan = text(&name);
    if plan.is_empty() {
        plan = c.sim.world.random_name();
    }
    let Some(path) = plan_path(&url) else {
        return Err(Out::E4);
    };
    let Ok(contents) = std::fs::read_to_string(&path) else {
        return Err(Out::E4);
    };
    let Ok(entries) = crate::world::profiles::parse_profiles_yaml(&contents) else {
        return Err(Out::E4);
    };
    let mut newvms = Vec::new();
    let mut existing = Vec::new();
    let mut failed = Vec::new();
    let mut local_profiles: Map<String, Value> = Map::new();
    for (entry, spec) in &entries {
        let Some(spec) = spec.as_object() else {
            continue;
        };
        let kind = spec.get("type").and_then(Value::as_str).unwrap_or("vm");
        match kind {
            "profile" => {
                local_profiles.insert(entry.clone(), Value::Object(spec.clone()));
            }
            "network" => {
                let w = &mut c.sim.world;
                if w.network(entry).is_none() {
                    w.networks.push(Network {
                        name: entry.clone(),
                        cidr: spec.get("cidr").and_then(Value::as_str).map(str::to_owned),
                        dhcp: spec.get("dhcp").is_none_or(super::pybool),
                        domain: spec
                            .get("domain")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        mode: if spec.get("nat").is_none_or(super::pybool) {
                            "nat".into()
                        } else {
                            "isolated".into()
                        },
                        plan: Some(plan.clone()),
                        dns: true,
                    });
                }
            }
            "vm" => {
                if c.sim.world.vm(entry).is_some() {
                    existing.push(entry.clone());
                    continue;
                }
                let profile = spec
                    .get("profile")
                    .and_then(Value::as_str)
                    .unwrap_or("kvirt")
                    .to_owned();
                let (profile_name, mut settings) =
                    if let Some(lp) = local_profiles.get(&profile).and_then(Value::as_object) {
                        (profile.clone(), lp.clone())
                    } else {
                        match c.sim.world.resolve_profile(&profile) {
                            Ok(p) => p,
                            Err(_) => {
                                failed.push(entry.clone());
                                continue;
                            }
                        }
                    };
                settings.remove("type");
                for (k, v) in spec {
                    if k != "profile" {
                        settings.insert(k.clone(), v.clone());
                    }
                }
                let built = c.sim.world.build_vm(
                    &c.sim.options,
                    c.now,
                    entry,
                    &profile_name,
                    &settings,
                    &plan,
                );
                match built {
                    Built::Created => newvms.push(entry.clone()),
                    _ => failed.push(entry.clone()),
                }
            }
            _ => {}
        }
    }
    Ok(Out::ok(json!({
        "result": "success",
        "plan": plan,
        "newvms": newvms,
        "existingvms": existing,
        "failedvms": failed,
        "assets": [],
    })))
}

/// Deletes every VM, cluster and network of `plan`; `None` when nothing matched.
pub fn delete_plan(w: &mut crate::world::World, plan: &str) -> Option<Vec<String>> {
    let mut names: Vec<String> = w
        .vms
        .iter()
        .filter(|v| v.plan() == plan)
        .map(|v| v.name.clone())
        .collect();
    names.sort();
    let clusters: Vec<String> = w
        .vms
        .iter()
        .filter(|v| v.plan() == plan)
        .filter_map(|v| v.kube().map(|(k, _)| k.to_owned()))
        .collect();
    let nets: Vec<String> = w
        .networks
        .iter()
        .filter(|n| n.plan.as_deref() == Some(plan))
        .map(|n| n.name.clone())
        .collect();
    if names.is_empty() && nets.is_empty() {
        return None;
    }
    let mut deleted = Vec::new();
    for n in names {
        let is_node = w.vm(&n).is_some_and(|v| v.kube().is_some());
        // Listed above and deleted with their snapshots: cannot fail.
        let _ = w.delete_vm(&n, true, false);
        if !is_node {
            deleted.push(n);
        }
    }
    w.clusters.retain(|cl| !clusters.contains(&cl.name));
    w.networks.retain(|n| !nets.contains(&n.name));
    Some(deleted)
}

/// `DELETE /plans/<plan>`.
pub fn delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    c.sim.tick(c.now);
    let plan = c.param(0).to_owned();
    match delete_plan(&mut c.sim.world, &plan) {
        Some(deleted) => Ok(Out::ok(json!({"result": "success", "deletedvm": deleted}))),
        None => Ok(Out::ok(json!({"result": "failure"}))),
    }
}

fn plan_power(c: &mut Call<'_>, plan: &str, on: bool) {
    let w = &mut c.sim.world;
    let mut idx: Vec<usize> = (0..w.vms.len())
        .filter(|i| w.vms[*i].plan() == plan)
        .collect();
    idx.sort_by(|a, b| w.vms[*a].name.cmp(&w.vms[*b].name));
    for i in idx {
        if on {
            if !w.vms[i].power.is_active() {
                w.power_on(i);
            }
        } else {
            w.vms[i].power = crate::world::Power::Off;
            w.vms[i].domain_id = None;
        }
    }
}

/// `POST /plan/<plan>/start`: success also for an unknown plan.
pub fn start(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let plan = c.param(0).to_owned();
    plan_power(c, &plan, true);
    Ok(Out::success())
}

/// `POST /plan/<plan>/stop`: stops the plan named in the body's `name`.
pub fn stop(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let plan = text(&data.get("name")?);
    plan_power(c, &plan, false);
    Ok(Out::success())
}
