//! Out-of-band upserts: `POST /_sim/populate` adds or replaces pools,
//! networks, volumes, VMs and cluster directories without kweb's side
//! effects (`kweb-sim/README.md`, "Control API").

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Input, Reply, bad, parse};
use crate::sim::Sim;
use crate::world::{ClusterDir, Disk, Network, Nic, Pool, Power, Snapshot, Vm};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PopulateBody {
    #[serde(default)]
    vms: Vec<VmSpec>,
    #[serde(default)]
    networks: Vec<NetSpec>,
    #[serde(default)]
    pools: Vec<PoolSpec>,
    #[serde(default)]
    volumes: Vec<VolSpec>,
    #[serde(default)]
    clusters: Vec<ClusterSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VmSpec {
    name: String,
    #[serde(default = "up")]
    status: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    numcpus: Option<u64>,
    #[serde(default)]
    memory: Option<u64>,
    #[serde(default)]
    autostart: bool,
    #[serde(default)]
    nets: Vec<Value>,
    #[serde(default)]
    disks: Vec<Value>,
    #[serde(default)]
    snapshots: Vec<String>,
    #[serde(default = "yes")]
    kcli_metadata: bool,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    kube: Option<String>,
    #[serde(default)]
    kubetype: Option<String>,
    #[serde(default)]
    creationdate: Option<String>,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    info_fails: bool,
}

fn up() -> Option<String> {
    Some("up".into())
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetSpec {
    name: String,
    #[serde(default)]
    cidr: Option<String>,
    #[serde(default = "yes")]
    dhcp: bool,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    plan: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolSpec {
    name: String,
    path: String,
    #[serde(default)]
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    capacity_gib: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VolSpec {
    pool: String,
    name: String,
    #[serde(default)]
    size_gib: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterSpec {
    name: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    #[serde(default)]
    kubeconfig: Option<Value>,
}

/// `POST /_sim/populate`: `{"upserted": {"vms": n, "networks": n, ...}}`;
/// 400 for an invalid CIDR, an unknown pool, a malformed `nets`/`disks`
/// entry or `kubeconfig` (what came before it stays upserted).
pub(super) fn upsert(sim: &mut Sim, input: &Input<'_>) -> Reply {
    let now = input.now;
    let b: PopulateBody = match parse(input.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let mut counts = json!({"vms": 0, "networks": 0, "pools": 0, "volumes": 0, "clusters": 0});
    for p in b.pools {
        let pool = Pool {
            name: p.name.clone(),
            path: p.path,
            kind: p.kind.unwrap_or_else(|| "dir".into()),
            capacity_gib: p.capacity_gib.unwrap_or(100.0),
        };
        match sim.world.pools.iter_mut().find(|x| x.name == p.name) {
            Some(x) => *x = pool,
            None => sim.world.pools.push(pool),
        }
        counts["pools"] = json!(counts["pools"].as_u64().unwrap_or(0) + 1);
    }
    for n in b.networks {
        if let Some(c) = &n.cidr
            && crate::world::parse_cidr(c).is_none()
        {
            return bad(format!("network {}: invalid cidr {c}", n.name));
        }
        let net = Network {
            name: n.name.clone(),
            cidr: n.cidr,
            dhcp: n.dhcp,
            domain: n.domain,
            mode: n.mode.unwrap_or_else(|| "nat".into()),
            plan: n.plan,
            dns: true,
        };
        match sim.world.networks.iter_mut().find(|x| x.name == n.name) {
            Some(x) => *x = net,
            None => sim.world.networks.push(net),
        }
        counts["networks"] = json!(counts["networks"].as_u64().unwrap_or(0) + 1);
    }
    for v in b.volumes {
        if sim.world.pool(&v.pool).is_none() {
            return bad(format!("volume {}: unknown pool {}", v.name, v.pool));
        }
        sim.world
            .put_volume(&v.pool, &v.name, v.size_gib.unwrap_or(1.0));
        counts["volumes"] = json!(counts["volumes"].as_u64().unwrap_or(0) + 1);
    }
    let mut index: std::collections::HashMap<String, usize> = sim
        .world
        .vms
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.clone(), i))
        .collect();
    for spec in b.vms {
        let existing = index.get(&spec.name).copied();
        let existing_id = existing.map(|i| sim.world.vms[i].id.clone());
        let vm = match vm_from_spec(sim, spec, existing_id, now) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let active = vm.power.is_active() && vm.domain_id.is_none();
        let i = match existing {
            Some(i) => {
                sim.world.vms[i] = vm;
                i
            }
            None => {
                index.insert(vm.name.clone(), sim.world.vms.len());
                sim.world.vms.push(vm);
                sim.world.vms.len() - 1
            }
        };
        if active {
            let power = sim.world.vms[i].power.clone();
            sim.world.power_on(i);
            sim.world.vms[i].power = power;
        }
        counts["vms"] = json!(counts["vms"].as_u64().unwrap_or(0) + 1);
    }
    for c in b.clusters {
        let kubeconfig = match c.kubeconfig {
            None | Some(Value::Null) | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(crate::sim::kubeconfig_yaml(&c.name, "127.0.0.1")),
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                return bad(format!(
                    "cluster {}: kubeconfig must be a string or a boolean",
                    c.name
                ));
            }
        };
        let dir = ClusterDir {
            name: c.name.clone(),
            params: c.parameters,
            kubeconfig_mtime: kubeconfig.as_ref().map(|_| now),
            kubeconfig,
        };
        match sim.world.clusters.iter_mut().find(|x| x.name == c.name) {
            Some(x) => *x = dir,
            None => sim.world.clusters.push(dir),
        }
        counts["clusters"] = json!(counts["clusters"].as_u64().unwrap_or(0) + 1);
    }
    (200, json!({"upserted": counts}))
}

fn vm_from_spec(
    sim: &mut Sim,
    s: VmSpec,
    existing_id: Option<String>,
    now: f64,
) -> Result<Vm, Reply> {
    let id = match (s.id, existing_id) {
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => sim.world.new_uuid(),
    };
    let mut vm = Vm::new(&s.name, id);
    vm.power = Power::from_word(s.status.as_deref());
    vm.numcpus = s.numcpus.unwrap_or(2);
    vm.memory = s.memory.unwrap_or(512);
    vm.autostart = s.autostart;
    vm.info_fails = s.info_fails;
    vm.created_at = now;
    for n in s.nets {
        let (net, mac, kind) = match n {
            Value::String(net) => (net, None, None),
            Value::Object(o) => (
                o.get("net")
                    .or_else(|| o.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_owned(),
                o.get("mac").and_then(Value::as_str).map(str::to_owned),
                o.get("type").and_then(Value::as_str).map(str::to_owned),
            ),
            _ => {
                return Err(bad(format!(
                    "vm {}: nets entries are names or objects",
                    s.name
                )));
            }
        };
        let mac = mac.unwrap_or_else(|| sim.world.new_mac());
        vm.nics.push(Nic {
            mac,
            net,
            kind: kind.unwrap_or_else(|| "routed".into()),
        });
    }
    let pool = sim.world.default_pool();
    let pool_path = sim
        .world
        .pool(&pool)
        .map_or_else(|| format!("/{pool}"), |p| p.path.clone());
    for (i, d) in s.disks.into_iter().enumerate() {
        let (size, path) = match d {
            Value::Number(n) => (json!(n), None),
            Value::Object(o) => (
                o.get("size").cloned().unwrap_or(json!(10)),
                o.get("path").and_then(Value::as_str).map(str::to_owned),
            ),
            _ => {
                return Err(bad(format!(
                    "vm {}: disks entries are sizes or objects",
                    s.name
                )));
            }
        };
        vm.disks.push(Disk {
            size,
            bus: "virtio".into(),
            format: "qcow2".into(),
            path: path.unwrap_or_else(|| format!("{pool_path}/{}_{i}.img", s.name)),
        });
    }
    let n = s.snapshots.len();
    for (i, name) in s.snapshots.into_iter().enumerate() {
        vm.snapshots.push(Snapshot {
            name,
            current: i + 1 == n,
        });
    }
    if s.kcli_metadata {
        if let Some(img) = s.image {
            vm.meta.insert("image".into(), json!(img));
        }
        vm.meta.insert(
            "plan".into(),
            json!(s.plan.unwrap_or_else(|| "kvirt".into())),
        );
        vm.meta.insert(
            "profile".into(),
            json!(s.profile.unwrap_or_else(|| "kvirt".into())),
        );
        if let (Some(k), Some(t)) = (s.kube, s.kubetype) {
            vm.meta.insert("kube".into(), json!(k));
            vm.meta.insert("kubetype".into(), json!(t));
        }
        vm.meta.insert(
            "creationdate".into(),
            json!(
                s.creationdate
                    .unwrap_or_else(|| crate::sim::clock::creation_date(now))
            ),
        );
    }
    for (k, v) in s.metadata {
        vm.meta.insert(k, v);
    }
    Ok(vm)
}
