//! The VM build engine: how kcli creates and deletes VMs (`kweb-reference.md`
//! §6.3, §6.4). `POST /vms`, `POST /plans` and the cluster stages build
//! through [`World::build_vm`]; `DELETE /vms`, `/plans` and `/kubes` delete
//! through [`World::delete_vm`].

use serde_json::{Map, Value, json};

use super::host::{HostOptions, IsoMode};
use super::profiles::{is_vm_profile_name, profile_chain};
use super::{Disk, Nic, Vm, Volume, World};
use crate::http::pyjson::truthy;
use crate::sim::clock::creation_date;

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

/// The outcome of [`World::build_vm`].
pub enum Built {
    /// Created; the VM is in the world.
    Created,
    /// A kcli failure dict (E1).
    Failure(String),
    /// An exception (500 E3).
    Exception,
    /// An exception with its traceback line (500 E3).
    Raise(String),
    /// A `sys.exit()` (E4).
    Exit,
}

/// kcli's `int()` of a body value: numbers (floats truncated, negatives
/// refused), digit strings, booleans; `None` otherwise.
#[must_use]
pub fn as_int(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

impl World {
    /// Resolves `profile` the way kcli's `create_vm` does (§6.3): a VM
    /// profile, a volume (by name or full path), a catalogue image or URL,
    /// or `kvirt`. Returns the profile name to record and its settings.
    ///
    /// # Errors
    /// [`Built::Failure`] `Image <profile> not found`.
    pub fn resolve_profile(&self, profile: &str) -> Result<(String, Map<String, Value>), Built> {
        if is_vm_profile_name(self, profile) {
            return Ok((
                profile.to_owned(),
                profile_chain(self, profile).unwrap_or_default(),
            ));
        }
        let full: Vec<String> = self
            .pools
            .iter()
            .flat_map(|p| {
                self.pool_volumes(&p.name)
                    .map(move |v| format!("{}/{}", p.path, v.name))
            })
            .collect();
        let base = profile.rsplit('/').next().unwrap_or(profile);
        let by_base = base == profile && self.volumes.iter().any(|v| v.name == profile);
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
    /// (§6.3). `settings` are the merged profile and overrides; `host`
    /// decides downloads, the cloud-init ISO and pool capacity; `now` is the
    /// creation time (Unix seconds).
    pub fn build_vm(
        &mut self,
        host: &HostOptions,
        now: f64,
        name: &str,
        profile_name: &str,
        settings: &Map<String, Value>,
        plan: &str,
    ) -> Built {
        let image = settings
            .get("image")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(img) = &image {
            let present = self
                .volumes
                .iter()
                .any(|v| v.name == *img || v.name == img.rsplit('/').next().unwrap_or(img));
            if !present {
                if CATALOGUE.contains(&img.as_str()) || img.starts_with("http") {
                    if !host.internet {
                        return Built::Exit;
                    }
                    let pool = self.default_pool();
                    let base = img.rsplit('/').next().unwrap_or(img).to_owned();
                    self.put_volume(&pool, &base, 10.0);
                } else {
                    return Built::Failure(format!("Image {img} not found"));
                }
            }
        }
        if self.vm(name).is_some() {
            return Built::Failure(format!("VM {name} already exists"));
        }
        let pool_name = settings
            .get("pool")
            .and_then(Value::as_str)
            .map_or_else(|| self.default_pool(), str::to_owned);
        let Some(pool) = self.pool(&pool_name).cloned() else {
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
            let kind = if self.network(&netname).is_some() {
                "routed"
            } else if self
                .host_ifaces
                .iter()
                .any(|i| i.name == netname && i.bridge)
            {
                "bridge"
            } else {
                return Built::Failure(format!("Invalid network {netname}"));
            };
            let mac = match n.get("mac").and_then(Value::as_str) {
                Some(m) => m.to_owned(),
                None => self.new_mac(),
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
        let cloudinit = settings.get("cloudinit").is_none_or(truthy);
        if image.is_some() && cloudinit {
            match host.cloudinit_iso {
                IsoMode::Ok => {}
                IsoMode::Unsupported => return Built::Exception,
                IsoMode::MissingTool => return Built::Exit,
            }
        }
        // One pass for all disks (a body may list thousands of them).
        let files: std::collections::HashSet<String> = (0..sizes.len())
            .map(|i| format!("{name}_{i}.img"))
            .collect();
        self.volumes
            .retain(|v| !(v.pool == pool.name && files.contains(&v.name)));
        // kvm defines the domain, then creates its volumes one by one; a pool
        // without room (the test driver counts capacity) raises at that volume and
        // leaves the domain defined and down.
        let mut used: f64 = self
            .pool_volumes(&pool.name)
            .fold(0.0, |acc, v| acc + v.size_gib);
        let mut full_at = None;
        for (i, size) in sizes.iter().enumerate() {
            let size = *size as f64;
            if host.pool_capacity && used + size > pool.capacity_gib {
                full_at = Some(i);
                break;
            }
            used += size;
            self.volumes.push(Volume {
                pool: pool.name.clone(),
                name: format!("{name}_{i}.img"),
                size_gib: size,
            });
        }
        let id = self.new_uuid();
        let mut vm = Vm::new(name, id);
        vm.nics = nics;
        vm.disks = disks;
        vm.numcpus = numcpus;
        vm.memory = memory;
        vm.autostart = settings.get("autostart").is_some_and(truthy);
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
        vm.meta
            .insert("creationdate".into(), json!(creation_date(now)));
        for key in ["owner", "domain", "user"] {
            if let Some(v) = settings.get(key).filter(|v| !v.is_null()) {
                vm.meta.insert(key.into(), v.clone());
            }
        }
        let start = settings.get("start").is_none_or(truthy);
        self.vms.push(vm);
        if let Some(i) = full_at {
            return Built::Raise(format!(
                "libvirt.libvirtError: Not enough free space in pool for volume '{name}_{i}.img'"
            ));
        }
        if start {
            let idx = self.vms.len() - 1;
            self.power_on(idx);
        }
        Built::Created
    }

    /// Deletes a VM and its disks (kvm `delete`); `keep_disks` keeps all
    /// but the first disk's volume.
    ///
    /// # Errors
    /// The E1 reason: `VM <name> not found`, or `VM <name> has snapshots`
    /// unless `snapshots` is set.
    pub fn delete_vm(
        &mut self,
        name: &str,
        snapshots: bool,
        keep_disks: bool,
    ) -> Result<(), String> {
        let Some(idx) = self.vm_index(name) else {
            return Err(format!("VM {name} not found"));
        };
        if !self.vms[idx].snapshots.is_empty() && !snapshots {
            return Err(format!("VM {name} has snapshots"));
        }
        let vm = self.vms.remove(idx);
        // keep_disks detaches every disk but the first, so they survive (§6.4).
        let doomed: std::collections::HashSet<&str> = vm
            .disks
            .iter()
            .enumerate()
            .filter(|(i, _)| !keep_disks || *i == 0)
            .map(|(_, d)| d.path.as_str())
            .collect();
        if !doomed.is_empty() {
            let paths: std::collections::HashMap<&str, &str> = self
                .pools
                .iter()
                .map(|p| (p.name.as_str(), p.path.as_str()))
                .collect();
            self.volumes.retain(|v| {
                paths
                    .get(v.pool.as_str())
                    .is_none_or(|p| !doomed.contains(format!("{p}/{}", v.name).as_str()))
            });
        }
        Ok(())
    }
}
