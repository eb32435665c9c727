//! The `/_sim/` control API (`kweb-reference.md` §15): JSON in, JSON out;
//! errors are JSON 4xx `{"error": "..."}`. Documented with examples in
//! `kweb-sim/README.md`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::clock::iso8601;
use super::faults::{Effects, FaultRule};
use super::transitions::{TransitionConfig, TransitionSet};
use super::{HostOptions, IsoMode, Sim};
use crate::world::presets::{Options, Preset};
use crate::world::{ClusterDir, Disk, Flavour, Network, Nic, Pool, Power, Snapshot, Vm};

/// A control API answer: status and JSON body.
pub type Reply = (u16, Value);

fn bad(msg: impl Into<String>) -> Reply {
    (400, json!({"error": msg.into()}))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Reply> {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|e| bad(format!("invalid JSON body: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    #[serde(default)]
    preset: Option<Preset>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    transitions: Option<TransitionSet>,
    #[serde(default)]
    flavour: Option<Flavour>,
    #[serde(default)]
    seed_images: Option<Vec<String>>,
    #[serde(default)]
    profiles_yaml: Option<String>,
    #[serde(default)]
    kubeprofiles_yaml: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Toggle {
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reachable {
    reachable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedBody {
    seed: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlavourBody {
    flavour: Flavour,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionsBody {
    #[serde(default)]
    set: Option<TransitionSet>,
    #[serde(default)]
    stage_delay_seconds: Option<f64>,
    #[serde(default)]
    jitter_seconds: Option<f64>,
    #[serde(default)]
    after_reads: Option<Option<u64>>,
    #[serde(default)]
    reads_route: Option<String>,
    #[serde(default)]
    fail_stage: Option<Option<u8>>,
    #[serde(default)]
    ssh_key: Option<bool>,
    #[serde(default)]
    vm_boot_seconds: Option<f64>,
    #[serde(default)]
    vm_lease_seconds: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostBody {
    #[serde(default)]
    internet: Option<bool>,
    #[serde(default)]
    cloudinit_iso: Option<IsoMode>,
    #[serde(default)]
    memory_updates_visible: Option<bool>,
    #[serde(default)]
    create_pool_dirs: Option<bool>,
    #[serde(default)]
    pull_secret: Option<Option<String>>,
    #[serde(default)]
    pool_capacity: Option<bool>,
}

/// A fixed clock origin (2026-11-21T13:42:00Z, the captures' day) so that
/// seeded runs have reproducible timestamps.
pub const SEED_EPOCH: f64 = 1_795_268_520.0;

/// The clock start a seed implies: [`SEED_EPOCH`] plus `seed % 3600` seconds.
#[must_use]
pub fn seeded_start(seed: u64) -> f64 {
    SEED_EPOCH + (seed % 3600) as f64
}

/// Handles one `/_sim/...` request.
pub fn handle(sim: &mut Sim, method: &str, path: &str, body: &[u8]) -> Reply {
    let m = method.to_ascii_uppercase();
    let now = sim.clock.now();
    sim.world.now = now;
    match (m.as_str(), path) {
        ("POST", "/_sim/reset") => {
            let b: ResetBody = match parse(body) {
                Ok(b) => b,
                Err(e) => return e,
            };
            let preset = b.preset.unwrap_or(sim.preset);
            let seed = b.seed.unwrap_or(sim.world.seed);
            let options = Options {
                seed_images: b
                    .seed_images
                    .unwrap_or_else(|| sim.preset_options.seed_images.clone()),
                profiles_yaml: b
                    .profiles_yaml
                    .or_else(|| sim.preset_options.profiles_yaml.clone()),
                kubeprofiles_yaml: b
                    .kubeprofiles_yaml
                    .or_else(|| sim.preset_options.kubeprofiles_yaml.clone()),
            };
            let set = b.transitions.unwrap_or(sim.transitions.set);
            let flavour = b.flavour.unwrap_or(sim.world.flavour);
            sim.reset(preset, seed, options, set, flavour);
            if b.seed.is_some() {
                sim.clock.set(seeded_start(seed));
            }
            (200, summary(sim))
        }
        ("POST", "/_sim/seed") => match parse::<SeedBody>(body) {
            Ok(b) => {
                sim.world.reseed(b.seed);
                sim.clock.set(seeded_start(b.seed));
                (200, json!({"seed": b.seed, "clock": clock_json(sim)}))
            }
            Err(e) => e,
        },
        ("GET", "/_sim/state") => {
            sim.tick(now);
            (200, state(sim))
        }
        ("GET", "/_sim/clock") => (200, clock_json(sim)),
        ("POST", "/_sim/clock/pause") => {
            sim.clock.pause();
            (200, clock_json(sim))
        }
        ("POST", "/_sim/clock/resume") => {
            sim.clock.resume();
            (200, clock_json(sim))
        }
        ("POST", "/_sim/clock/advance") => match parse::<Advance>(body) {
            Ok(a) if a.seconds.is_finite() && a.seconds >= 0.0 => {
                sim.clock.advance(a.seconds);
                let now = sim.clock.now();
                sim.tick(now);
                (200, clock_json(sim))
            }
            Ok(_) => bad("seconds must be a finite number >= 0"),
            Err(e) => e,
        },
        ("POST", "/_sim/backend") => match parse::<Reachable>(body) {
            Ok(b) => {
                sim.world.reachable = b.reachable;
                (200, json!({"reachable": b.reachable}))
            }
            Err(e) => e,
        },
        ("POST", "/_sim/readonly") => match parse::<Toggle>(body) {
            Ok(b) => {
                sim.world.readonly = b.enabled;
                (200, json!({"readonly": b.enabled}))
            }
            Err(e) => e,
        },
        ("POST", "/_sim/serial") => match parse::<Toggle>(body) {
            Ok(b) => {
                sim.serial = b.enabled;
                (200, json!({"serial": b.enabled}))
            }
            Err(e) => e,
        },
        ("POST", "/_sim/debug") => match parse::<Toggle>(body) {
            Ok(b) => {
                sim.debug = b.enabled;
                (200, json!({"debug": b.enabled}))
            }
            Err(e) => e,
        },
        ("POST", "/_sim/flavour") => match parse::<FlavourBody>(body) {
            Ok(b) => {
                sim.world.flavour = b.flavour;
                (200, json!({"flavour": b.flavour}))
            }
            Err(e) => e,
        },
        ("GET", "/_sim/transitions") => (200, transitions_json(sim)),
        ("POST", "/_sim/transitions") => match parse::<TransitionsBody>(body) {
            Ok(b) => {
                let mut t = b
                    .set
                    .map_or_else(|| sim.transitions.clone(), TransitionConfig::for_set);
                if let Some(v) = b.stage_delay_seconds {
                    if !v.is_finite() || v < 0.0 {
                        return bad("stage_delay_seconds must be >= 0");
                    }
                    t.stage_delay_seconds = v;
                }
                if let Some(v) = b.jitter_seconds {
                    if !v.is_finite() || v < 0.0 {
                        return bad("jitter_seconds must be >= 0");
                    }
                    t.jitter_seconds = v;
                }
                if let Some(v) = b.after_reads {
                    t.after_reads = v;
                }
                if let Some(v) = b.reads_route {
                    t.reads_route = v;
                }
                if let Some(v) = b.fail_stage {
                    if v.is_some_and(|s| s > 6) {
                        return bad("fail_stage must be 0..=6");
                    }
                    t.fail_stage = v;
                }
                if let Some(v) = b.ssh_key {
                    t.ssh_key = v;
                }
                let mut timing = sim.world.vm_timing;
                for (value, slot, name) in [
                    (
                        b.vm_boot_seconds,
                        &mut timing.boot_seconds,
                        "vm_boot_seconds",
                    ),
                    (
                        b.vm_lease_seconds,
                        &mut timing.lease_seconds,
                        "vm_lease_seconds",
                    ),
                ] {
                    if let Some(v) = value {
                        if !v.is_finite() || v < 0.0 {
                            return bad(format!("{name} must be >= 0"));
                        }
                        *slot = v;
                    }
                }
                sim.transitions = t;
                sim.world.vm_timing = timing;
                (200, transitions_json(sim))
            }
            Err(e) => e,
        },
        ("GET", "/_sim/host") => (200, json!(sim.options)),
        ("POST", "/_sim/host") => match parse::<HostBody>(body) {
            Ok(b) => {
                let o: &mut HostOptions = &mut sim.options;
                if let Some(v) = b.internet {
                    o.internet = v;
                }
                if let Some(v) = b.cloudinit_iso {
                    o.cloudinit_iso = v;
                }
                if let Some(v) = b.memory_updates_visible {
                    o.memory_updates_visible = v;
                }
                if let Some(v) = b.create_pool_dirs {
                    o.create_pool_dirs = v;
                }
                if let Some(v) = b.pull_secret {
                    o.pull_secret = v;
                }
                if let Some(v) = b.pool_capacity {
                    o.pool_capacity = v;
                }
                (200, json!(sim.options))
            }
            Err(e) => e,
        },
        ("GET", "/_sim/effects") => (200, json!(sim.effects)),
        ("POST", "/_sim/effects") => match parse::<Effects>(body) {
            Ok(e) => {
                sim.effects = e;
                (200, json!(sim.effects))
            }
            Err(e) => e,
        },
        ("GET", "/_sim/faults") => (200, json!({"faults": sim.faults.rules})),
        ("DELETE", "/_sim/faults") => {
            sim.faults.rules.clear();
            (200, json!({"faults": []}))
        }
        ("POST", "/_sim/faults") => match parse::<FaultRule>(body) {
            Ok(rule) => match rule.validate() {
                Ok(()) => {
                    let id = sim.faults.add(rule);
                    (201, json!(sim.faults.rules.iter().find(|r| r.id == id)))
                }
                Err(e) => bad(e),
            },
            Err(e) => e,
        },
        ("POST", "/_sim/populate") => populate(sim, body, now),
        _ => {
            if let Some(id) = path.strip_prefix("/_sim/faults/") {
                return fault_item(sim, &m, id, body);
            }
            let known = [
                "/_sim/reset",
                "/_sim/seed",
                "/_sim/state",
                "/_sim/clock",
                "/_sim/clock/pause",
                "/_sim/clock/resume",
                "/_sim/clock/advance",
                "/_sim/backend",
                "/_sim/readonly",
                "/_sim/serial",
                "/_sim/flavour",
                "/_sim/transitions",
                "/_sim/host",
                "/_sim/effects",
                "/_sim/faults",
                "/_sim/populate",
            ];
            if known.contains(&path) {
                (
                    405,
                    json!({"error": format!("method {method} not allowed on {path}")}),
                )
            } else {
                (404, json!({"error": format!("no control route {path}")}))
            }
        }
    }
}

fn fault_item(sim: &mut Sim, method: &str, id: &str, body: &[u8]) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return (404, json!({"error": format!("no fault {id}")}));
    };
    let Some(pos) = sim.faults.rules.iter().position(|r| r.id == id) else {
        return (404, json!({"error": format!("no fault {id}")}));
    };
    match method {
        "GET" => (200, json!(sim.faults.rules[pos])),
        "DELETE" => {
            let r = sim.faults.rules.remove(pos);
            (200, json!(r))
        }
        "PATCH" => {
            let patch: Map<String, Value> = match parse(body) {
                Ok(p) => p,
                Err(e) => return e,
            };
            let mut current = match serde_json::to_value(&sim.faults.rules[pos]) {
                Ok(Value::Object(m)) => m,
                _ => return (500, json!({"error": "cannot serialise fault"})),
            };
            for (k, v) in patch {
                if k == "id" || k == "hits" || k == "fired" {
                    continue;
                }
                current.insert(k, v);
            }
            let rule: FaultRule = match serde_json::from_value(Value::Object(current)) {
                Ok(r) => r,
                Err(e) => return bad(format!("invalid fault: {e}")),
            };
            if let Err(e) = rule.validate() {
                return bad(e);
            }
            sim.faults.rules[pos] = rule;
            (200, json!(sim.faults.rules[pos]))
        }
        _ => (
            405,
            json!({"error": format!("method {method} not allowed on /_sim/faults/{id}")}),
        ),
    }
}

fn transitions_json(sim: &Sim) -> Value {
    let mut v = json!(sim.transitions);
    v["vm_boot_seconds"] = json!(sim.world.vm_timing.boot_seconds);
    v["vm_lease_seconds"] = json!(sim.world.vm_timing.lease_seconds);
    v
}

fn clock_json(sim: &Sim) -> Value {
    let now = sim.clock.now();
    json!({"now": iso8601(now), "unix": now, "paused": sim.clock.paused()})
}

fn summary(sim: &Sim) -> Value {
    json!({
        "preset": sim.preset,
        "seed": sim.world.seed,
        "flavour": sim.world.flavour,
        "kcli_release": sim.world.kcli_release,
        "transitions": sim.transitions.set,
        "readonly": sim.world.readonly,
        "reachable": sim.world.reachable,
        "clock": clock_json(sim),
    })
}

fn state(sim: &Sim) -> Value {
    let w = &sim.world;
    json!({
        "preset": sim.preset,
        "seed": w.seed,
        "flavour": w.flavour,
        "kcli_release": w.kcli_release,
        "readonly": w.readonly,
        "reachable": w.reachable,
        "serial": sim.serial,
        "debug": sim.debug,
        "clock": clock_json(sim),
        "default_client": w.default_client,
        "clients": w.clients,
        "node": w.node,
        "next_domain_id": w.next_domain_id,
        "vms": w.vms,
        "networks": w.networks,
        "host_interfaces": w.host_ifaces,
        "pools": w.pools,
        "volumes": w.volumes,
        "plans": plan_names(sim),
        "clusters": w.clusters,
        "cluster_jobs": sim.jobs,
        "profiles": w.profiles,
        "kubeprofiles": w.kubeprofiles,
        "transitions": transitions_json(sim),
        "host": sim.options,
        "faults": sim.faults.rules,
        "effects": sim.effects,
        "reads": sim.reads,
        "requests": sim.requests,
    })
}

fn plan_names(sim: &Sim) -> Vec<String> {
    let mut plans: Vec<String> = sim
        .world
        .vms
        .iter()
        .map(|v| v.plan().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    plans.sort();
    plans.dedup();
    plans
}

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

fn populate(sim: &mut Sim, body: &[u8], now: f64) -> Reply {
    let b: PopulateBody = match parse(body) {
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
            Some(Value::Bool(true)) => Some(super::kubeconfig_yaml(&c.name, "127.0.0.1")),
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
                    .unwrap_or_else(|| super::clock::creation_date(now))
            ),
        );
    }
    for (k, v) in s.metadata {
        vm.meta.insert(k, v);
    }
    Ok(vm)
}
