//! VM routes (`kweb-reference.md` §5.1, §6.1-§6.8): list, info, create,
//! delete, `UPDATE`, start, stop, disks, NICs, snapshots.

use serde_json::{Map, Value, json};

use super::{Call, Handled, Out, pybool, text};
use crate::http::body::{Data, flatten_parameters};
use crate::world::profiles::{is_vm_profile_name, profile_chain};
use crate::world::{Disk, Nic, Power, Snapshot, Vm, World};

/// kcli's built-in image catalogue names (`kvirt/defaults.py` `IMAGES`):
/// kcli downloads these when no volume has the name.
pub const CATALOGUE: &[&str] = &[
    "almalinux10",
    "almalinux8",
    "almalinux9",
    "arch",
    "centos10stream",
    "centos7",
    "centos8stream",
    "centos9stream",
    "cirros",
    "debian10",
    "debian11",
    "debian12",
    "debian13",
    "fcos",
    "fedora39",
    "fedora40",
    "fedora41",
    "fedora42",
    "fedora43",
    "fedora44",
    "fedoralatest",
    "freebsd122",
    "freebsd130",
    "gentoo",
    "netbsd82",
    "netbsd92",
    "openbsd71",
    "openbsd72",
    "opensuse155",
    "opensuse156",
    "opensuse160",
    "rhcoslatest",
    "rhel10",
    "rhel7",
    "rhel8",
    "rhel9",
    "rockylinux10",
    "rockylinux8",
    "rockylinux9",
    "ubuntu1804",
    "ubuntu2004",
    "ubuntu2204",
    "ubuntu2304",
    "ubuntu2310",
    "ubuntu2404",
    "ubuntu2410",
    "ubuntu2504",
    "ubuntu2510",
    "ubuntu2604",
];

/// `GET /vms`: `{"vms": [VMLIST...]}` sorted by name.
pub fn list(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    c.sim.count_read("GET /vms");
    c.sim.tick(c.now);
    let w = &c.sim.world;
    let mut vms: Vec<&Vm> = w.vms.iter().collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    let list: Vec<Value> = vms.into_iter().map(|v| w.render_vm_list_entry(v)).collect();
    Ok(Out::ok(json!({ "vms": list })))
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
        Some(vm) => Ok(Out::ok(Value::Object(w.render_vm(vm, true)))),
    }
}

/// Parameters of a VM to build, resolved from profile and overrides.
#[derive(Debug, Clone)]
pub struct VmSpec {
    /// VM name.
    pub name: String,
    /// Profile name recorded as metadata.
    pub profile: String,
    /// Merged settings (profile, then overrides).
    pub settings: Map<String, Value>,
}

/// The outcome of [`build_vm`].
pub enum Built {
    /// Created; the VM is in the world.
    Created,
    /// A kcli failure dict (E1).
    Failure(String),
    /// An exception (500 E3).
    Exception,
    /// A `sys.exit()` (E4).
    Exit,
}

fn as_int(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

/// Resolves `profile` the way kcli's `create_vm` does (§6.3). Returns the
/// profile name to record and its settings, or the E1 reason.
pub fn resolve_profile(w: &World, profile: &str) -> Result<(String, Map<String, Value>), Built> {
    if is_vm_profile_name(w, profile) {
        return Ok((
            profile.to_owned(),
            profile_chain(w, profile).unwrap_or_default(),
        ));
    }
    let full: Vec<String> = w
        .pools
        .iter()
        .flat_map(|p| {
            w.pool_volumes(&p.name)
                .map(move |v| format!("{}/{}", p.path, v.name))
        })
        .collect();
    let base = profile.rsplit('/').next().unwrap_or(profile);
    let by_base = base == profile && w.volumes.iter().any(|v| v.name == profile);
    if by_base || full.iter().any(|f| f == profile) {
        let mut m = Map::new();
        m.insert("image".into(), json!(base));
        return Ok((base.to_owned(), m));
    }
    if CATALOGUE.contains(&profile) || profile.starts_with("http") {
        let mut m = Map::new();
        m.insert("image".into(), json!(base));
        return Ok((base.to_owned(), m));
    }
    if profile == "kvirt" {
        return Ok(("kvirt".into(), Map::new()));
    }
    Err(Built::Failure(format!("Image {profile} not found")))
}

/// Builds a VM: kcli's `create_vm` followed by the provider's `create`
/// (§6.3). `settings` are the merged profile and overrides.
pub fn build_vm(
    sim: &mut crate::sim::Sim,
    now: f64,
    name: &str,
    profile_name: &str,
    settings: &Map<String, Value>,
    plan: &str,
) -> Built {
    let w = &mut sim.world;
    let image = settings
        .get("image")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(img) = &image {
        let present = w
            .volumes
            .iter()
            .any(|v| v.name == *img || v.name == img.rsplit('/').next().unwrap_or(img));
        if !present {
            if CATALOGUE.contains(&img.as_str()) || img.starts_with("http") {
                if !sim.options.internet {
                    return Built::Exit;
                }
                let pool = w.default_pool();
                let base = img.rsplit('/').next().unwrap_or(img).to_owned();
                w.put_volume(&pool, &base, 10.0);
            } else {
                return Built::Failure(format!("Image {img} not found"));
            }
        }
    }
    if w.vm(name).is_some() {
        return Built::Failure(format!("VM {name} already exists"));
    }
    let pool_name = settings
        .get("pool")
        .and_then(Value::as_str)
        .map_or_else(|| w.default_pool(), str::to_owned);
    let Some(pool) = w.pool(&pool_name).cloned() else {
        return Built::Failure(format!("Pool {pool_name} not found"));
    };
    let numcpus = match settings.get("numcpus") {
        None | Some(Value::Null) => 2,
        Some(v) => match as_int(v) {
            Some(n) => n,
            None => return Built::Exception,
        },
    };
    let memory = match settings.get("memory") {
        None | Some(Value::Null) => 512,
        Some(v) => match as_int(v) {
            Some(n) => n,
            None => return Built::Exception,
        },
    };
    // Networks.
    let nets = match settings.get("nets") {
        None | Some(Value::Null) => vec![json!("default")],
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => s.split(',').map(|x| json!(x)).collect(),
        Some(_) => return Built::Exception,
    };
    let mut nics = Vec::new();
    for n in &nets {
        let netname = match n {
            Value::String(s) => s.clone(),
            Value::Object(o) => match o.get("name").and_then(Value::as_str) {
                Some(s) => s.to_owned(),
                None => return Built::Exception,
            },
            _ => return Built::Exception,
        };
        let kind = if w.network(&netname).is_some() {
            "routed"
        } else if w.host_ifaces.iter().any(|i| i.name == netname && i.bridge) {
            "bridge"
        } else {
            return Built::Failure(format!("Invalid network {netname}"));
        };
        let mac = match n.get("mac").and_then(Value::as_str) {
            Some(m) => m.to_owned(),
            None => w.new_mac(),
        };
        nics.push(Nic {
            mac,
            net: netname,
            kind: kind.into(),
        });
    }
    // Disks.
    let disk_list = match settings.get("disks") {
        None | Some(Value::Null) => vec![json!(
            settings.get("disksize").cloned().unwrap_or(json!(10))
        )],
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => s.split(',').map(|x| json!(x)).collect(),
        Some(_) => return Built::Exception,
    };
    let mut disks = Vec::new();
    let mut sizes = Vec::new();
    for d in &disk_list {
        let size = match d {
            Value::Object(o) => o.get("size").and_then(as_int).unwrap_or(10),
            other => match as_int(other) {
                Some(s) => s,
                None => return Built::Exception,
            },
        };
        sizes.push(size);
    }
    for (i, size) in sizes.iter().enumerate() {
        let file = format!("{name}_{i}.img");
        disks.push(Disk {
            size: json!(size),
            bus: settings
                .get("diskinterface")
                .and_then(Value::as_str)
                .unwrap_or("virtio")
                .to_owned(),
            format: "qcow2".into(),
            path: format!("{}/{file}", pool.path),
        });
    }
    let cloudinit = settings.get("cloudinit").is_none_or(pybool);
    if image.is_some() && cloudinit {
        match sim.options.cloudinit_iso {
            crate::sim::IsoMode::Ok => {}
            crate::sim::IsoMode::Unsupported => return Built::Exception,
            crate::sim::IsoMode::MissingTool => return Built::Exit,
        }
    }
    let w = &mut sim.world;
    for (i, size) in sizes.iter().enumerate() {
        w.put_volume(&pool.name, &format!("{name}_{i}.img"), *size as f64);
    }
    let id = w.new_uuid();
    let mut vm = Vm::new(name, id);
    vm.nics = nics;
    vm.disks = disks;
    vm.numcpus = numcpus;
    vm.memory = memory;
    vm.autostart = settings.get("autostart").is_some_and(pybool);
    vm.created_at = now;
    if let Some(img) = &image {
        vm.meta
            .insert("image".into(), json!(img.rsplit('/').next().unwrap_or(img)));
    }
    vm.meta.insert("plan".into(), json!(plan));
    vm.meta.insert("profile".into(), json!(profile_name));
    if let (Some(k), Some(t)) = (settings.get("kube"), settings.get("kubetype")) {
        vm.meta.insert("kube".into(), k.clone());
        vm.meta.insert("kubetype".into(), t.clone());
    }
    vm.meta.insert(
        "creationdate".into(),
        json!(crate::sim::clock::creation_date(now)),
    );
    for key in ["owner", "domain", "user"] {
        if let Some(v) = settings.get(key).filter(|v| !v.is_null()) {
            vm.meta.insert(key.into(), v.clone());
        }
    }
    let start = settings.get("start").is_none_or(pybool);
    w.vms.push(vm);
    if start {
        let idx = w.vms.len() - 1;
        w.power_on(idx);
    }
    Built::Created
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
    let (profile_name, mut settings) = match resolve_profile(&c.sim.world, &profile) {
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
    match build_vm(c.sim, c.now, &name, &profile_name, &settings, &plan) {
        Built::Created => Ok(Out::ok(json!({"result": "success", "vm": name}))),
        Built::Failure(r) => Ok(Out::failure(r)),
        Built::Exception => Err(Out::exception()),
        Built::Exit => Err(Out::E4),
    }
}

/// Deletes a VM and its disks (kvm `delete`): E1 unless found; refuses a VM
/// with snapshots unless `snapshots` is set.
pub fn delete_vm(w: &mut World, name: &str, snapshots: bool, keep_disks: bool) -> Out {
    let Some(idx) = w.vm_index(name) else {
        return Out::failure(format!("VM {name} not found"));
    };
    if !w.vms[idx].snapshots.is_empty() && !snapshots {
        return Out::failure(format!("VM {name} has snapshots"));
    }
    let vm = w.vms.remove(idx);
    for (i, d) in vm.disks.iter().enumerate() {
        if keep_disks && i > 0 {
            continue;
        }
        let file = d.path.rsplit('/').next().unwrap_or("").to_owned();
        w.volumes
            .retain(|v| v.name != file || !w_pool_path_matches(&w.pools, &v.pool, &d.path));
    }
    Out::success()
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
    Ok(delete_vm(&mut c.sim.world, &name, snapshots, keep_disks))
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
