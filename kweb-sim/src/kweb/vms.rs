//! VM routes (`kweb-reference.md` §5.1, §6.1-§6.8): list, info, create,
//! delete, `UPDATE`, start, stop, disks, NICs, snapshots.

use serde_json::{Value, json};

use super::{Call, Handled, Out, pybool, text, vmjson};
use crate::http::body::{Data, flatten_parameters};
use crate::world::build::{Built, as_int};
use crate::world::{Disk, Nic, Power, Snapshot, Vm};

/// `GET /vms`: `{"vms": [VMLIST...]}` sorted by name.
pub fn list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    c.sim.count_read("GET /vms");
    c.sim.tick(c.now);
    // The body depends on the clock only through VM boot/lease delays.
    let timeless = c.sim.world.vm_timing == crate::world::VmTiming::default();
    if timeless
        && let Some((version, body)) = &c.sim.vms_cache
        && *version == c.sim.version
    {
        return Ok(Out::JsonText(200, body.clone()));
    }
    let w = &c.sim.world;
    let mut vms: Vec<&Vm> = w.vms.iter().collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::with_capacity(64 + vms.len() * 600);
    out.push_str("{\"vms\": [");
    for (i, vm) in vms.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        vmjson::write_vm_list_entry(w, vm, &mut out);
    }
    out.push_str("]}");
    c.sim.vms_cache = if timeless {
        Some((c.sim.version, out.clone()))
    } else {
        None
    };
    Ok(Out::JsonText(200, out))
}

/// `GET /vms/<name>`: VMINFO, `{}` when unknown, 500 for the test domain.
pub fn info(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let name = c.param(0).to_owned();
    c.sim.count_read(&format!("GET /vms/{name}"));
    c.sim.tick(c.now);
    let w = &c.sim.world;
    match w.vm(&name) {
        None => Ok(Out::ok(json!({}))),
        Some(vm) if vm.info_fails => Err(Out::exception()),
        Some(vm) => Ok(Out::ok(Value::Object(vmjson::render_vm(w, vm, true)))),
    }
}

/// `POST /vms` (§6.3).
pub fn create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("name")? {
        return Ok(Out::invalid_data());
    }
    let name = data.get("name")?;
    let profile = data.get("profile")?;
    let mut overrides = flatten_parameters(data.to_map()?);
    match overrides.get("nets") {
        Some(Value::String(s)) => {
            let v: Vec<Value> = s.split(',').map(|x| json!(x)).collect();
            overrides.insert("nets".into(), Value::Array(v));
        }
        Some(_) => {}
        None => {
            overrides.insert("nets".into(), json!([]));
        }
    }
    match overrides.get("disks") {
        Some(Value::String(s)) => {
            let v: Vec<Value> = s.split(',').map(|x| json!(x)).collect();
            overrides.insert("disks".into(), Value::Array(v));
        }
        Some(_) => {}
        None => {
            overrides.insert("disks".into(), json!([10]));
        }
    }
    let Value::String(mut name) = name else {
        return Err(Out::exception());
    };
    if name.is_empty() {
        name = c.sim.world.random_name();
    }
    if overrides.keys().any(|k| k.contains('-')) {
        return Ok(Out::failure("Incorrect parameters found"));
    }
    let profile = match &profile {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        _ => return Err(Out::exception()),
    };
    let profile = profile
        .or_else(|| {
            overrides
                .get("image")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "kvirt".into());
    let (profile_name, mut settings) = match c.sim.world.resolve_profile(&profile) {
        Ok(p) => p,
        Err(Built::Failure(r)) => return Ok(Out::failure(r)),
        Err(_) => return Err(Out::exception()),
    };
    for (k, v) in overrides {
        settings.insert(k, v);
    }
    let plan = settings
        .get("plan")
        .and_then(Value::as_str)
        .unwrap_or("kvirt")
        .to_owned();
    let built = c.sim.world.build_vm(
        &c.sim.options,
        c.now,
        &name,
        &profile_name,
        &settings,
        &plan,
    );
    match built {
        Built::Created => Ok(Out::ok(json!({"result": "success", "vm": name}))),
        Built::Failure(r) => Ok(Out::failure(r)),
        Built::Exception => Err(Out::exception()),
        Built::Raise(line) => Err(Out::raise(line)),
        Built::Exit => Err(Out::E4),
    }
}

fn w_pool_path_matches(pools: &[crate::world::Pool], pool: &str, path: &str) -> bool {
    pools
        .iter()
        .any(|p| p.name == pool && path.starts_with(&format!("{}/", p.path)))
}

/// `DELETE /vms/<name>` (§6.4): `Kconfig()` comes before the body.
pub fn delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let data = c.data()?;
    let flag =
        |d: &Data, k: &str| -> Result<bool, Out> { Ok(d.contains(k)? && pybool(&d.get(k)?)) };
    let snapshots = flag(&data, "snapshots")?;
    let keep_disks = flag(&data, "keep_disks")?;
    let name = c.param(0).to_owned();
    Ok(match c.sim.world.delete_vm(&name, snapshots, keep_disks) {
        Ok(()) => Out::success(),
        Err(reason) => Out::failure(reason),
    })
}

/// `UPDATE /vms/<name>` (§6.5): success even for an unknown VM; E5 for a
/// truthy `dns` without `nets`.
pub fn update(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let params = flatten_parameters(data.to_map()?);
    let name = c.param(0).to_owned();
    if params.get("dns").is_some_and(pybool) && !params.contains_key("nets") {
        return Ok(Out::Html(200, String::new()));
    }
    let w = &mut c.sim.world;
    let Some(idx) = w.vm_index(&name) else {
        return Ok(Out::success());
    };
    const KNOWN: &[&str] = &[
        "dns",
        "ip",
        "cloudinit",
        "image",
        "memory",
        "numcpus",
        "autostart",
        "information",
        "iso",
        "flavor",
        "host",
        "disks",
        "nets",
        "domain",
        "name",
        "start",
        "plan",
        "profile",
    ];
    for (k, v) in &params {
        let vm = &mut w.vms[idx];
        match k.as_str() {
            "numcpus" => match as_int(v) {
                Some(n) if vm.power.is_active() => vm.pending_numcpus = Some(n),
                Some(n) => vm.numcpus = n,
                None => return Err(Out::exception()),
            },
            "memory" => {
                let Some(n) = as_int(v) else {
                    return Err(Out::exception());
                };
                // The test driver accepts memory changes without showing them;
                // on kvm they apply from the next start.
                if c.sim.options.memory_updates_visible {
                    if vm.power.is_active() {
                        vm.pending_memory = Some(n);
                    } else {
                        vm.memory = n;
                    }
                }
            }
            "autostart" => vm.autostart = pybool(v),
            "iso" => {
                let s = text(v);
                vm.iso = if s.is_empty() || s == "None" {
                    None
                } else {
                    Some(s)
                };
            }
            "information" => {
                vm.meta.insert("information".into(), v.clone());
            }
            "plan" | "domain" | "image" | "ip" => {
                vm.meta.insert(k.clone(), v.clone());
            }
            "start" => {
                if pybool(v) && !vm.power.is_active() {
                    w.power_on(idx);
                }
            }
            _ if KNOWN.contains(&k.as_str()) => {}
            _ => {
                vm.meta.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Out::success())
}

/// `POST /vms/<name>/start` (§6.6): idempotent.
pub fn start(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(idx) = w.vm_index(&name) else {
        return Ok(Out::failure(format!("VM {name} not found")));
    };
    match w.vms[idx].power {
        Power::Running => {}
        Power::Paused => w.vms[idx].power = Power::Running,
        _ => w.power_on(idx),
    }
    Ok(Out::success())
}

/// `POST /vms/<name>/stop` (§6.6): hard stop, idempotent.
pub fn stop(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(vm) = w.vm_mut(&name) else {
        return Ok(Out::failure(format!("VM {name} not found")));
    };
    vm.power = Power::Off;
    vm.domain_id = None;
    Ok(Out::success())
}

/// `POST /disks/<vm>` (§6.7): adds a disk (succeeds on the simulator).
pub fn disk_add(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let size_v = data.get("size")?;
    let size: i64 = match &size_v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(Out::exception)?,
        Value::String(s) => s.trim().parse().map_err(|_| Out::exception())?,
        Value::Bool(b) => i64::from(*b),
        _ => return Err(Out::exception()),
    };
    let pool_v = data.get("pool")?;
    if size < 1 {
        return Ok(Out::failure("Incorrect size"));
    }
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(idx) = w.vm_index(&name) else {
        return Ok(Out::failure(format!("VM {name} not found")));
    };
    let pool_name = text(&pool_v);
    let Some(pool) = w.pool(&pool_name).cloned() else {
        return Ok(Out::failure(format!("Pool {pool_name} not found")));
    };
    let mut i = w.vms[idx].disks.len();
    while w
        .volumes
        .iter()
        .any(|v| v.pool == pool.name && v.name == format!("{name}_{i}.img"))
    {
        i += 1;
    }
    let file = format!("{name}_{i}.img");
    w.put_volume(&pool.name, &file, size as f64);
    w.vms[idx].disks.push(Disk {
        size: json!(size),
        bus: "virtio".into(),
        format: "qcow2".into(),
        path: format!("{}/{file}", pool.path),
    });
    Ok(Out::success())
}

/// `DELETE /disks/<vm>` (§6.7): removes a disk by file name.
pub fn disk_delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let disk = text(&data.get("disk")?);
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(idx) = w.vm_index(&name) else {
        return Ok(Out::failure(format!("VM {name} not found")));
    };
    let pos = w.vms[idx]
        .disks
        .iter()
        .position(|d| d.path.rsplit('/').next() == Some(disk.as_str()) || d.path == disk);
    let Some(pos) = pos else {
        return Ok(Out::failure(format!("Disk {disk} not found in {name}")));
    };
    let d = w.vms[idx].disks.remove(pos);
    let file = d.path.rsplit('/').next().unwrap_or("").to_owned();
    let pools = w.pools.clone();
    w.volumes
        .retain(|v| !(v.name == file && w_pool_path_matches(&pools, &v.pool, &d.path)));
    Ok(Out::success())
}

/// `POST /nics/<vm>` (§6.7): adds a NIC.
pub fn nic_add(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let network = text(&data.get("network")?);
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(idx) = w.vm_index(&name) else {
        return Ok(Out::failure(format!("VM {name} not found")));
    };
    let kind = if w.network(&network).is_some() {
        "routed"
    } else if w.host_ifaces.iter().any(|i| i.name == network && i.bridge) {
        "bridge"
    } else {
        return Ok(Out::failure(format!("Network {network} not found")));
    };
    let mac = w.new_mac();
    w.vms[idx].nics.push(Nic {
        mac,
        net: network,
        kind: kind.into(),
    });
    Ok(Out::success())
}

/// `DELETE /nics/<vm>` (§6.7): removes a NIC by device name (`eth1`).
pub fn nic_delete(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    let nic = text(&data.get("nic")?);
    let name = c.param(0).to_owned();
    let w = &mut c.sim.world;
    let Some(idx) = w.vm_index(&name) else {
        return Ok(Out::failure(format!("VM {name} not found")));
    };
    let pos = nic
        .strip_prefix("eth")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|p| *p < w.vms[idx].nics.len());
    let Some(pos) = pos else {
        return Ok(Out::failure(format!("Interface {nic} not found")));
    };
    w.vms[idx].nics.remove(pos);
    Ok(Out::success())
}

/// `GET /snapshots/<vm>` (§6.8): names; unknown VM → `["result", "reason"]`.
pub fn snapshot_list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let name = c.param(0).to_owned();
    match c.sim.world.vm(&name) {
        None => Ok(Out::ok(json!({"snapshots": ["result", "reason"]}))),
        Some(vm) => {
            let names: Vec<&str> = vm.snapshots.iter().map(|s| s.name.as_str()).collect();
            Ok(Out::ok(json!({ "snapshots": names })))
        }
    }
}

fn snapshot_common(c: &mut Call<'_>) -> Result<Result<(String, usize), Out>, Out> {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("snapshot")? {
        return Ok(Err(Out::invalid_data()));
    }
    let snap = text(&data.get("snapshot")?);
    let name = c.param(0).to_owned();
    match c.sim.world.vm_index(&name) {
        None => Ok(Err(Out::failure(format!("VM {name} not found")))),
        Some(idx) => Ok(Ok((snap, idx))),
    }
}

/// `POST /snapshots/<vm>` (§6.8).
pub fn snapshot_create(c: &mut Call<'_>) -> Handled {
    let (snap, idx) = match snapshot_common(c)? {
        Ok(x) => x,
        Err(out) => return Ok(out),
    };
    let vm = &mut c.sim.world.vms[idx];
    if vm.snapshots.iter().any(|s| s.name == snap) {
        return Ok(Out::failure(format!("Snapshot {snap} already exists")));
    }
    for s in &mut vm.snapshots {
        s.current = false;
    }
    vm.snapshots.push(Snapshot {
        name: snap,
        current: true,
    });
    Ok(Out::success())
}

/// `DELETE /snapshots/<vm>` (§6.8).
pub fn snapshot_delete(c: &mut Call<'_>) -> Handled {
    let (snap, idx) = match snapshot_common(c)? {
        Ok(x) => x,
        Err(out) => return Ok(out),
    };
    let vm = &mut c.sim.world.vms[idx];
    let Some(pos) = vm.snapshots.iter().position(|s| s.name == snap) else {
        return Ok(Out::failure(format!("Snapshot {snap} doesn't exist")));
    };
    vm.snapshots.remove(pos);
    Ok(Out::success())
}

/// `POST /snapshots/<vm>/revert` (§6.8).
pub fn snapshot_revert(c: &mut Call<'_>) -> Handled {
    let (snap, idx) = match snapshot_common(c)? {
        Ok(x) => x,
        Err(out) => return Ok(out),
    };
    let vm = &mut c.sim.world.vms[idx];
    if !vm.snapshots.iter().any(|s| s.name == snap) {
        return Ok(Out::failure(format!("Snapshot {snap} doesn't exist")));
    }
    for s in &mut vm.snapshots {
        s.current = s.name == snap;
    }
    Ok(Out::success())
}
