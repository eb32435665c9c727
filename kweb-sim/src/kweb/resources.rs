//! Host, client, network, pool and image routes (`kweb-reference.md`
//! §5.1, §6.9-§6.12).

use serde_json::{Map, Value, json};

use super::{Call, Handled, Out, pybool, text};
use crate::http::pyjson::float_repr;
use crate::world::presets::connection;
use crate::world::{Network, Pool, parse_cidr};

/// `GET /host` (§6.9).
pub fn host_info(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let w = &c.sim.world;
    let running: Vec<_> = w.vms.iter().filter(|v| v.power.is_active()).collect();
    let cpus_used: u64 = running.iter().map(|v| v.numcpus).sum();
    let memory_used: u64 = running.iter().map(|v| v.memory).sum();
    let storage: Vec<String> = w
        .pools
        .iter()
        .map(|p| {
            let used: f64 = w.pool_volumes(&p.name).fold(0.0, |acc, v| acc + v.size_gib);
            let used = (used * 100.0).round() / 100.0;
            let avail = ((p.capacity_gib - used) * 100.0).round() / 100.0 + 0.0;
            format!(
                "storage: {}, type: {}, path: {}, used_space: {}GB, available_space: {}GB",
                p.name,
                p.kind,
                p.path,
                float_repr(used),
                float_repr(avail)
            )
        })
        .collect();
    let mut networks: Vec<String> = w
        .host_ifaces
        .iter()
        .map(|i| format!("name: {}, type: bridged", i.name))
        .collect();
    for n in &w.networks {
        networks.push(format!(
            "name: {}, type: routed, cidr: {}, dhcp: {}",
            n.name,
            n.cidr.as_deref().unwrap_or("N/A"),
            if n.dhcp { "True" } else { "False" }
        ));
    }
    Ok(Out::ok(json!({
        "connection": connection(w),
        "host": w.node.hostname,
        "vms_running": running.len(),
        "cpus_total": w.node.cpus,
        "cpus_used": cpus_used,
        "memory_used": memory_used,
        "memory_total": w.node.memory_mib,
        "storage": storage,
        "networks": networks,
    })))
}

/// `GET /hosts` (§6.9): clients sorted by name.
pub fn host_list(c: &mut Call<'_>) -> Handled {
    let w = &c.sim.world;
    let mut clients: Vec<_> = w.clients.iter().collect();
    clients.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<Value> = clients
        .into_iter()
        .map(|cl| {
            json!([
                cl.name,
                cl.kind,
                cl.enabled,
                if cl.name == w.default_client { "X" } else { "" }
            ])
        })
        .collect();
    Ok(Out::ok(json!({ "clients": rows })))
}

fn host_action(c: &mut Call<'_>, action: &str) -> Handled {
    c.guard()?;
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let is_default = w.default_client == name;
    let Some(client) = w.clients.iter_mut().find(|cl| cl.name == name) else {
        return Ok(Out::failure(format!("Client {name} not found in config")));
    };
    match action {
        "enable" => client.enabled = true,
        "disable" => {
            if is_default {
                return Ok(Out::failure(format!("Client {name} currently default")));
            }
            client.enabled = false;
        }
        _ => {
            if !client.enabled {
                return Ok(Out::failure(format!("Client {name} is disabled")));
            }
            w.default_client = name;
        }
    }
    Ok(Out::success())
}

/// `POST /hosts/<client>/enable`.
pub fn host_enable(c: &mut Call<'_>) -> Handled {
    host_action(c, "enable")
}

/// `POST /hosts/<client>/disable`.
pub fn host_disable(c: &mut Call<'_>) -> Handled {
    host_action(c, "disable")
}

/// `POST /hosts/<client>/switch`.
pub fn host_switch(c: &mut Call<'_>) -> Handled {
    host_action(c, "switch")
}

fn network_json(n: &Network) -> Value {
    let mut o = Map::new();
    o.insert("cidr".into(), json!(n.cidr.as_deref().unwrap_or("N/A")));
    o.insert("dhcp".into(), json!(n.dhcp));
    o.insert(
        "domain".into(),
        json!(n.domain.as_deref().unwrap_or(&n.name)),
    );
    o.insert("type".into(), json!("routed"));
    o.insert("mode".into(), json!(n.mode));
    o.insert("plan".into(), json!(n.plan.as_deref().unwrap_or("N/A")));
    Value::Object(o)
}

/// The `/networks` map: libvirt networks, then host interfaces.
#[must_use]
pub fn networks_map(w: &crate::world::World) -> Map<String, Value> {
    let mut out = Map::new();
    for n in &w.networks {
        out.insert(n.name.clone(), network_json(n));
    }
    for i in &w.host_ifaces {
        if out.contains_key(&i.name) {
            continue;
        }
        let v = if i.bridge {
            json!({"cidr": "N/A", "dhcp": "N/A", "type": "bridged", "mode": "N/A", "plan": "N/A"})
        } else {
            json!({"cidr": "N/A", "dhcp": "N/A", "type": "nic", "mode": "N/A"})
        };
        out.insert(i.name.clone(), v);
    }
    out
}

/// `GET /networks` (§6.10).
pub fn network_list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    Ok(Out::ok(json!({ "networks": networks_map(&c.sim.world) })))
}

/// `POST /networks` (§6.10).
pub fn network_create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("network")? {
        return Ok(Out::invalid_data());
    }
    let name = text(&data.get("network")?);
    let cidr = data.get("cidr")?;
    let dhcp = pybool(&data.get("dhcp")?);
    let isolated = pybool(&data.get("isolated")?);
    let w = &mut c.sim.world;
    if networks_map(w).contains_key(&name) {
        return Ok(Out::failure(format!("Network {name} already exists")));
    }
    let Value::String(cidr) = cidr else {
        return Ok(if cidr.is_null() {
            Out::failure("Missing Cidr")
        } else {
            Out::failure(format!("Invalid Cidr {}", text(&cidr)))
        });
    };
    let strict = parse_cidr(&cidr)
        .filter(|(net, p)| format!("{net}/{p}") == cidr.trim() || cidr.trim() == net.to_string());
    let Some((net, prefix)) = strict else {
        return Ok(Out::failure(format!("Invalid Cidr {cidr}")));
    };
    let canonical = format!("{net}/{prefix}");
    if w.networks
        .iter()
        .any(|n| n.cidr.as_deref() == Some(cidr.as_str()))
    {
        return Ok(Out::failure(format!("Cidr {cidr} already exists")));
    }
    if name.len() >= 16 {
        return Ok(Out::failure(format!(
            "network {name} is more than 16 characters"
        )));
    }
    w.networks.push(Network {
        name: name.clone(),
        cidr: Some(canonical),
        dhcp,
        domain: None,
        mode: if isolated {
            "isolated".into()
        } else {
            "nat".into()
        },
        plan: Some("kvirt".into()),
        dns: true,
    });
    Ok(Out::success())
}

/// kcli's buggy in-use check (§6.10): each VM is judged by its last NIC; a
/// NIC-less VM inherits the previous verdict; a NIC-less first VM raises.
fn network_users(w: &crate::world::World, name: &str) -> Result<Vec<String>, Out> {
    let mut users = Vec::new();
    let mut last: Option<String> = None;
    for vm in &w.vms {
        if let Some(nic) = vm.nics.last() {
            last = Some(nic.net.clone());
        }
        match &last {
            None => return Err(Out::exception()),
            Some(n) if n == name => users.push(vm.name.clone()),
            Some(_) => {}
        }
    }
    Ok(users)
}

/// `DELETE /networks/<network>` (§6.10).
pub fn network_delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    if w.network(&name).is_none() {
        return Ok(Out::failure(format!("Network {name} not found")));
    }
    let users = network_users(w, &name)?;
    if !users.is_empty() {
        return Ok(Out::failure(format!(
            "Network {name} is being used by the following vms: {}",
            users.join(",")
        )));
    }
    w.networks.retain(|n| n.name != name);
    Ok(Out::success())
}

/// `UPDATE /networks/<network>` (§6.10).
pub fn network_update(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    let dhcp = if data.contains("dhcp")? {
        Some(pybool(&data.get("dhcp")?))
    } else {
        None
    };
    let nat = if data.contains("nat")? {
        Some(pybool(&data.get("nat")?))
    } else if data.contains("isolated")? {
        Some(!pybool(&data.get("isolated")?))
    } else {
        None
    };
    let domain = if data.contains("domain")? {
        Some(data.get("domain")?)
    } else {
        None
    };
    let plan = if data.contains("plan")? {
        Some(data.get("plan")?)
    } else {
        None
    };
    let overrides = if data.contains("overrides")? {
        Some(data.get("overrides")?)
    } else {
        None
    };
    c.backend()?;
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(net) = w.networks.iter_mut().find(|n| n.name == name) else {
        return Ok(Out::ok(json!({"result": "not found"})));
    };
    if net.cidr.is_none() {
        return Err(Out::exception());
    }
    let mut changed = false;
    if let Some(d) = dhcp
        && d != net.dhcp
    {
        net.dhcp = d;
        changed = true;
    }
    if let Some(n) = nat {
        let mode = if n { "nat" } else { "isolated" };
        if net.mode != mode {
            net.mode = mode.into();
            changed = true;
        }
    }
    if let Some(d) = domain {
        let d = text(&d);
        if net.domain.as_deref().unwrap_or(&net.name) != d {
            net.domain = Some(d);
            changed = true;
        }
    }
    if let Some(p) = plan {
        let p = text(&p);
        if net.plan.as_deref() != Some(p.as_str()) {
            net.plan = Some(p);
            changed = true;
        }
    }
    if let Some(o) = overrides
        && let Some(dns) = o.get("dns")
    {
        let dns = pybool(dns);
        if dns != net.dns {
            net.dns = dns;
            changed = true;
        }
    }
    if changed {
        Ok(Out::success())
    } else {
        Ok(Out::failure("No changes needed"))
    }
}

/// `GET /pools` (§6.11).
pub fn pool_list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Value> = c
        .sim
        .world
        .pools
        .iter()
        .map(|p| json!([p.name, p.path]))
        .collect();
    Ok(Out::ok(json!({ "pools": rows })))
}

/// `POST /pools` (§6.11): success also when the pool exists.
pub fn pool_create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let name = text(&data.get("pool")?);
    let path = text(&data.get("path")?);
    let kind = if data.contains("type")? {
        text(&data.get("type")?)
    } else {
        "dir".into()
    };
    let w = &mut c.sim.world;
    if w.pool(&name).is_some() {
        return Ok(Out::success());
    }
    let libvirt_type = match kind.as_str() {
        "dir" => "dir",
        "lvm" | "logical" => "logical",
        "zfs" => "zfs",
        other => {
            return Ok(Out::failure(format!(
                "Invalid pool type {other}.Leaving..."
            )));
        }
    };
    if libvirt_type == "dir"
        && c.sim.options.create_pool_dirs
        && std::fs::create_dir_all(&path).is_err()
    {
        return Ok(Out::failure(format!(
            "Couldn't create directory {path}.Leaving..."
        )));
    }
    c.sim.world.pools.push(Pool {
        name,
        path,
        kind: libvirt_type.into(),
        capacity_gib: 100.0,
    });
    Ok(Out::success())
}

/// `DELETE /pools/<pool>` (§6.11): volumes stay.
pub fn pool_delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    if w.pool(&name).is_none() {
        return Ok(Out::failure(format!("Pool {name} not found")));
    }
    w.pools.retain(|p| p.name != name);
    Ok(Out::success())
}

/// Volume paths of active pools classified as images (`iso == false`) or
/// ISOs, sorted case-insensitively (§6.12).
#[must_use]
pub fn volumes(w: &crate::world::World, iso: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &w.pools {
        for v in w.pool_volumes(&p.name) {
            let n = &v.name;
            let is_iso = n.ends_with("iso") || n.ends_with("fd");
            let is_image = n.ends_with("qcow2") || n.ends_with("qc2") || !n.contains('.');
            if (iso && is_iso) || (!iso && is_image && !is_iso) {
                out.push(format!("{}/{}", p.path, n));
            }
        }
    }
    out.sort_by_key(|s| s.to_lowercase());
    out
}

/// `GET /images`.
pub fn image_list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    Ok(Out::ok(json!({ "images": volumes(&c.sim.world, false) })))
}

/// `GET /isos`.
pub fn iso_list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    Ok(Out::ok(json!({ "isos": volumes(&c.sim.world, true) })))
}

/// `POST /images`: never succeeds in this kcli (§5.1).
pub fn image_create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("pool")? {
        return Ok(Out::invalid_data());
    }
    if !data.contains("image")? {
        return Ok(Out::Json(
            400,
            json!({"result": "failure", "reason": "Invalid Action"}),
        ));
    }
    data.get("url")?;
    Err(Out::exception())
}

/// `DELETE /images/<image>` (§6.12): `Kconfig()` before the body.
pub fn image_delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let data = c.data()?;
    let pool = match data.opt("pool")? {
        Some(v) if pybool(&v) => text(&v),
        _ => c.sim.world.default_pool(),
    };
    let image = c.param(0).to_owned();
    let w = &mut c.sim.world;
    if w.pool(&pool).is_none() {
        return Ok(Out::failure(format!("Pool {pool} not found")));
    }
    let base = image.rsplit('/').next().unwrap_or(&image).to_owned();
    let before = w.volumes.len();
    w.volumes.retain(|v| !(v.pool == pool && v.name == base));
    if w.volumes.len() == before {
        return Ok(Out::failure(format!("Image {image} not found")));
    }
    Ok(Out::success())
}
