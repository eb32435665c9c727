//! The simulated backend: what libvirt and `~/.kcli` hold for a real kweb.
//!
//! - [`build`]: the VM build engine: creating and deleting VMs the way
//!   kcli does (§6.3, §6.4).
//! - [`flavour`]: status vocabularies per provider (§7).
//! - [`host`]: the simulated host's behaviour switches (`/_sim/host`).
//! - [`vm`]: VM records (§6.1); their renderings are `kweb::vmjson`.
//! - [`presets`]: the `testdriver`, `homelab` and `empty` worlds (§11).
//! - [`profiles`]: `profiles.yml`, the VM profile defaults and the built-in
//!   cluster profiles (§6.15).
//!
//! Enumeration order (where libvirt uses hash order, §6.2): built-in objects
//! first, then creation order.

pub mod build;
pub mod flavour;
pub mod host;
pub mod presets;
pub mod profiles;
pub mod release;
pub mod vm;

use std::net::Ipv4Addr;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use flavour::{Flavour, Power};
pub use vm::{Disk, Nic, Snapshot, Vm};

/// A libvirt network (§6.10).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Network {
    /// Network name.
    pub name: String,
    /// CIDR such as `192.168.122.0/24`; `None` for a network without an IP
    /// element (`cidr: N/A`).
    pub cidr: Option<String>,
    /// Whether a DHCP range is defined.
    pub dhcp: bool,
    /// DNS domain; the name is shown when `None`.
    pub domain: Option<String>,
    /// libvirt forward mode (`nat`, `route`, `bridge`, ...) or `isolated`.
    pub mode: String,
    /// `plan` metadata; `N/A` is shown when `None`.
    pub plan: Option<String>,
    /// Whether DNS is enabled (`UPDATE` with `overrides: {"dns": false}`).
    #[serde(default = "yes")]
    pub dns: bool,
}

fn yes() -> bool {
    true
}

impl Network {
    /// Gateway (network address + 1) and the parsed prefix.
    #[must_use]
    pub fn parsed(&self) -> Option<(Ipv4Addr, u8)> {
        parse_cidr(self.cidr.as_deref()?)
    }

    /// First address the test driver's fake leases count from (§11): the
    /// DHCP range start (network + 2) when DHCP is on, else the gateway.
    #[must_use]
    pub fn lease_base(&self) -> Option<u32> {
        let (net, _) = self.parsed()?;
        let base = u32::from(net);
        Some(if self.dhcp {
            base.wrapping_add(2)
        } else {
            base.wrapping_add(1)
        })
    }
}

/// Parses `a.b.c.d/p` into the network address and prefix.
#[must_use]
pub fn parse_cidr(cidr: &str) -> Option<(Ipv4Addr, u8)> {
    let (ip, prefix) = cidr.split_once('/')?;
    let ip: Ipv4Addr = ip.trim().parse().ok()?;
    let prefix: u8 = prefix.trim().parse().ok()?;
    if prefix > 32 {
        return None;
    }
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    Some((Ipv4Addr::from(u32::from(ip) & mask), prefix))
}

/// A host interface listed by `/networks` and `/host` (§6.9, §6.10).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostIface {
    /// Interface name (`eth1`).
    pub name: String,
    /// `true` for a Linux bridge, `false` for a plain NIC.
    pub bridge: bool,
}

/// A storage pool (§6.11).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pool {
    /// Pool name.
    pub name: String,
    /// Target path.
    pub path: String,
    /// libvirt pool type (`dir`, `logical`, `zfs`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Capacity, GiB.
    pub capacity_gib: f64,
}

/// A volume in a pool: images, ISOs, VM disks (§6.12).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    /// Pool name.
    pub pool: String,
    /// Volume (file) name.
    pub name: String,
    /// Capacity, GiB.
    pub size_gib: f64,
}

/// A client entry of `config.yml` (§6.9).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    /// Client name.
    pub name: String,
    /// `type` (default `kvm`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `host`.
    pub host: String,
    /// `url`.
    pub url: Option<String>,
    /// Default `pool`.
    pub pool: Option<String>,
}

/// A cluster directory `~/.kcli/clusters/<name>` (§6.14, §8.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterDir {
    /// Cluster name.
    pub name: String,
    /// Contents of `kcli_parameters.yml` when written.
    pub params: Option<Map<String, Value>>,
    /// Contents of `auth/kubeconfig` when present.
    pub kubeconfig: Option<String>,
    /// Sim clock time (Unix seconds) when the kubeconfig appeared.
    pub kubeconfig_mtime: Option<f64>,
}

/// How long a started VM takes to look booted (sim-only transitions, §15).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct VmTiming {
    /// Seconds after a start during which the VM shows the flavour's
    /// pending status (kvm `nostate`, kubevirt `Scheduling`, aws `pending`, ...).
    pub boot_seconds: f64,
    /// Seconds after a start before its DHCP lease (and so `ip`) appears.
    pub lease_seconds: f64,
}

/// The hypervisor node (§6.9).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    /// Host name (`vm` in the captures).
    pub hostname: String,
    /// CPUs.
    pub cpus: u64,
    /// Memory, MiB.
    pub memory_mib: u64,
}

/// The whole simulated backend state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    /// Domains in enumeration order.
    pub vms: Vec<Vm>,
    /// libvirt networks in enumeration order.
    pub networks: Vec<Network>,
    /// Host interfaces.
    pub host_ifaces: Vec<HostIface>,
    /// Active pools in enumeration order.
    pub pools: Vec<Pool>,
    /// Volumes of all pools.
    pub volumes: Vec<Volume>,
    /// `config.yml` clients.
    pub clients: Vec<Client>,
    /// Name of the default client.
    pub default_client: String,
    /// `profiles.yml` as parsed (VM and container profiles).
    pub profiles: Map<String, Value>,
    /// `clusterprofiles.yml` entries added to the built-in samples.
    pub kubeprofiles: Map<String, Value>,
    /// Cluster directories in creation order.
    pub clusters: Vec<ClusterDir>,
    /// Next libvirt domain id handed out on start.
    pub next_domain_id: u32,
    /// Node info.
    pub node: Node,
    /// Backend flavour.
    pub flavour: Flavour,
    /// Readonly mode (§9).
    pub readonly: bool,
    /// Whether `Kconfig()` can reach the backend (§10).
    pub reachable: bool,
    /// Seed of the generator.
    pub seed: u64,
    /// Simulator time of the request being served, Unix seconds.
    #[serde(default)]
    pub now: f64,
    /// VM boot and lease delays.
    #[serde(default)]
    pub vm_timing: VmTiming,
    /// Name of the preset the world was built from.
    pub preset: String,
    /// The kcli release whose behaviour is emulated (`--kcli-release`).
    #[serde(default)]
    pub kcli_release: release::KcliRelease,
    #[serde(skip, default = "unseeded")]
    rng: ChaCha8Rng,
}

fn unseeded() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(0)
}

impl World {
    /// An empty world with the default node and one generator seed.
    #[must_use]
    pub fn blank(seed: u64) -> Self {
        Self {
            vms: Vec::new(),
            networks: Vec::new(),
            host_ifaces: Vec::new(),
            pools: Vec::new(),
            volumes: Vec::new(),
            clients: Vec::new(),
            default_client: "local".into(),
            profiles: Map::new(),
            kubeprofiles: Map::new(),
            clusters: Vec::new(),
            next_domain_id: 1,
            node: Node {
                hostname: "vm".into(),
                cpus: 8,
                memory_mib: 3072,
            },
            flavour: Flavour::Kvm,
            readonly: false,
            reachable: true,
            seed,
            now: 0.0,
            vm_timing: VmTiming::default(),
            preset: "empty".into(),
            kcli_release: release::PIN,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Re-seeds the generator (ids, MACs, names, jitter).
    pub fn reseed(&mut self, seed: u64) {
        self.seed = seed;
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    /// A random lower-case UUID from the seeded generator.
    pub fn new_uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// A libvirt-style MAC `52:54:00:xx:xx:xx`.
    pub fn new_mac(&mut self) -> String {
        let b: [u8; 3] = self.rng.random();
        format!("52:54:00:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
    }

    /// A uniform draw in `0..n` from the seeded generator.
    pub fn draw(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// A random `<word>-<word>` name (§6.3).
    pub fn random_name(&mut self) -> String {
        const A: &[&str] = &[
            "amazing", "brave", "calm", "daring", "eager", "fired", "gentle", "happy", "jolly",
            "keen", "lively", "mighty", "nimble", "proud", "quiet", "rapid", "silent", "tender",
            "upbeat", "vivid", "witty", "zesty",
        ];
        const B: &[&str] = &[
            "merletravis",
            "hopper",
            "lovelace",
            "turing",
            "knuth",
            "ritchie",
            "thompson",
            "torvalds",
            "hamilton",
            "liskov",
            "dijkstra",
            "backus",
            "mccarthy",
            "wirth",
            "kay",
            "lamport",
            "perlman",
            "allen",
            "goldberg",
        ];
        let a = A[self.draw(A.len() as u64) as usize];
        let b = B[self.draw(B.len() as u64) as usize];
        format!("{a}-{b}")
    }

    /// Index of the VM named `name`.
    #[must_use]
    pub fn vm_index(&self, name: &str) -> Option<usize> {
        self.vms.iter().position(|v| v.name == name)
    }

    /// The VM named `name`.
    #[must_use]
    pub fn vm(&self, name: &str) -> Option<&Vm> {
        self.vms.iter().find(|v| v.name == name)
    }

    /// The VM named `name`, mutable.
    pub fn vm_mut(&mut self, name: &str) -> Option<&mut Vm> {
        self.vms.iter_mut().find(|v| v.name == name)
    }

    /// The network named `name`.
    #[must_use]
    pub fn network(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }

    /// The pool named `name`.
    #[must_use]
    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.name == name)
    }

    /// The default client's entry.
    #[must_use]
    pub fn client(&self) -> Option<&Client> {
        self.clients.iter().find(|c| c.name == self.default_client)
    }

    /// The default client's pool (kcli's default is `default`).
    #[must_use]
    pub fn default_pool(&self) -> String {
        self.client()
            .and_then(|c| c.pool.clone())
            .unwrap_or_else(|| "default".into())
    }

    /// Starts a VM: assigns the next domain id (ids are never reused, §11).
    pub fn power_on(&mut self, idx: usize) {
        let id = self.next_domain_id;
        self.next_domain_id += 1;
        let now = self.now;
        if let Some(vm) = self.vms.get_mut(idx) {
            vm.domain_id = Some(id);
            vm.power = Power::Running;
            vm.started_at = Some(now);
            if let Some(n) = vm.pending_numcpus.take() {
                vm.numcpus = n;
            }
            if let Some(m) = vm.pending_memory.take() {
                vm.memory = m;
            }
        }
    }

    /// The fake lease address of NIC `i` of `vm` (§11), or `None` when the
    /// VM is not running.
    #[must_use]
    pub fn nic_ip(&self, vm: &Vm, i: usize) -> Option<Ipv4Addr> {
        if !vm.power.is_active() {
            return None;
        }
        if let Some(t) = vm.started_at
            && self.now < t + self.vm_timing.lease_seconds
        {
            return None;
        }
        let d = vm.domain_id?;
        let nic = vm.nics.get(i)?;
        if nic.kind == "user" {
            return None;
        }
        let offset = 20u32
            .wrapping_mul(d.saturating_sub(1))
            .wrapping_add(i as u32 + 1);
        match self.network(&nic.net) {
            Some(net) if nic.kind == "routed" => {
                Some(Ipv4Addr::from(net.lease_base()?.wrapping_add(offset)))
            }
            _ => Some(Ipv4Addr::new(192, 168, 0, (i as u8).wrapping_add(1))),
        }
    }

    /// The `status` value of `vm` now: the flavour's word for its power
    /// state, or the pending word while it boots.
    #[must_use]
    pub fn status_of(&self, vm: &Vm) -> Value {
        let booting = vm.power == Power::Running
            && vm
                .started_at
                .is_some_and(|t| self.now < t + self.vm_timing.boot_seconds);
        if booting {
            self.flavour.status(&Power::Pending)
        } else {
            self.flavour.status(&vm.power)
        }
    }

    /// Volumes of `pool` in the order `/images` classifies them.
    pub fn pool_volumes<'a>(&'a self, pool: &'a str) -> impl Iterator<Item = &'a Volume> + 'a {
        self.volumes.iter().filter(move |v| v.pool == pool)
    }

    /// Adds a volume (replacing one with the same pool and name).
    pub fn put_volume(&mut self, pool: &str, name: &str, size_gib: f64) {
        self.volumes.retain(|v| !(v.pool == pool && v.name == name));
        self.volumes.push(Volume {
            pool: pool.into(),
            name: name.into(),
            size_gib,
        });
    }

    /// The cluster directory named `name`.
    #[must_use]
    pub fn cluster(&self, name: &str) -> Option<&ClusterDir> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The cluster directory named `name`, mutable.
    pub fn cluster_mut(&mut self, name: &str) -> Option<&mut ClusterDir> {
        self.clusters.iter_mut().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_lease_rule_matches_captures() {
        let mut w = presets::build(presets::Preset::Testdriver, 1, &presets::Options::default());
        let test = w.vm("test").cloned();
        let test = test.as_ref().map(|t| w.nic_ip(t, 0));
        assert_eq!(test, Some(Some(Ipv4Addr::new(192, 168, 122, 3))));
        w.networks.push(Network {
            name: "net1".into(),
            cidr: Some("10.10.0.0/24".into()),
            dhcp: false,
            domain: None,
            mode: "nat".into(),
            plan: Some("kvirt".into()),
            dns: true,
        });
        let mut vm = Vm::new("vm13", "id".into());
        vm.nics.push(Nic {
            mac: "m0".into(),
            net: "default".into(),
            kind: "routed".into(),
        });
        vm.nics.push(Nic {
            mac: "m1".into(),
            net: "net1".into(),
            kind: "routed".into(),
        });
        vm.domain_id = Some(18);
        vm.power = Power::Running;
        assert_eq!(w.nic_ip(&vm, 0), Some(Ipv4Addr::new(192, 168, 123, 87)));
        assert_eq!(w.nic_ip(&vm, 1), Some(Ipv4Addr::new(10, 10, 1, 87)));
        vm.power = Power::Off;
        assert_eq!(w.nic_ip(&vm, 0), None);
    }

    #[test]
    fn seeded_ids_repeat() {
        let mut a = World::blank(7);
        let mut b = World::blank(7);
        assert_eq!(a.new_uuid(), b.new_uuid());
        assert_eq!(a.new_mac(), b.new_mac());
        assert_eq!(a.random_name(), b.random_name());
    }
}
