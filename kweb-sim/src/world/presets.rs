//! World presets (`kweb-reference.md` §11): `testdriver` reproduces the real
//! oracle's libvirt test-driver world, `homelab` a small realistic kcli
//! host, `empty` nothing but one client.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::profiles::{TESTDRIVER_PROFILES_YML, parse_profiles_yaml};
use super::{Client, HostIface, Network, Nic, Pool, Power, Vm, World};

/// Which world to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The captured test-driver world (default).
    #[default]
    Testdriver,
    /// A small home lab: images, profiles, a default network and pool.
    Homelab,
    /// One client, nothing else.
    Empty,
}

impl Preset {
    /// The preset's name as used on the command line and in `/_sim/reset`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Preset::Testdriver => "testdriver",
            Preset::Homelab => "homelab",
            Preset::Empty => "empty",
        }
    }
}

/// Preset options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Options {
    /// Volumes to create in the default pool, 1 GiB each
    /// (like the live launcher's `KWEB_SEED_IMAGES=cirros.qcow2,ubuntu2404,boot.iso`).
    #[serde(default)]
    pub seed_images: Vec<String>,
    /// `profiles.yml` contents replacing the preset's.
    #[serde(default)]
    pub profiles_yaml: Option<String>,
    /// `clusterprofiles.yml` contents.
    #[serde(default)]
    pub kubeprofiles_yaml: Option<String>,
}

/// Builds the world of `preset` with generator `seed`.
#[must_use]
pub fn build(preset: Preset, seed: u64, options: &Options) -> World {
    let mut w = World::blank(seed);
    w.preset = preset.name().into();
    match preset {
        Preset::Testdriver => testdriver(&mut w),
        Preset::Homelab => homelab(&mut w),
        Preset::Empty => {
            w.clients.push(Client {
                name: "local".into(),
                kind: "kvm".into(),
                enabled: true,
                host: "127.0.0.1".into(),
                url: None,
                pool: None,
            });
            w.default_client = "local".into();
        }
    }
    if let Some(text) = &options.profiles_yaml {
        w.profiles = parse_profiles_yaml(text).unwrap_or_default();
    }
    if let Some(text) = &options.kubeprofiles_yaml {
        w.kubeprofiles = parse_profiles_yaml(text).unwrap_or_default();
    }
    let pool = w.default_pool();
    if w.pool(&pool).is_some() {
        for image in &options.seed_images {
            w.put_volume(&pool, image, 1.0);
        }
    }
    w
}

fn default_network() -> Network {
    Network {
        name: "default".into(),
        cidr: Some("192.168.122.0/24".into()),
        dhcp: true,
        domain: None,
        mode: "nat".into(),
        plan: None,
        dns: true,
    }
}

fn testdriver(w: &mut World) {
    let mut test = Vm::new("test", "6695eb01-f6a4-8304-79aa-97f2502e193f".into());
    test.domain_id = Some(1);
    test.power = Power::Running;
    test.numcpus = 2;
    test.memory = 2048;
    test.nics.push(Nic {
        mac: "aa:bb:cc:dd:ee:ff".into(),
        net: "default".into(),
        kind: "routed".into(),
    });
    test.disks.push(super::Disk {
        size: json!("N/A"),
        bus: "virtio".into(),
        format: "raw".into(),
        path: "/guest/diskimage1".into(),
    });
    test.info_fails = true;
    w.vms.push(test);
    w.next_domain_id = 2;
    w.networks.push(default_network());
    w.host_ifaces.push(HostIface {
        name: "eth1".into(),
        bridge: false,
    });
    w.pools.push(Pool {
        name: "default-pool".into(),
        path: "/default-pool".into(),
        kind: "dir".into(),
        capacity_gib: 100.0,
    });
    w.clients.push(Client {
        name: "testlv".into(),
        kind: "kvm".into(),
        enabled: true,
        host: "127.0.0.1".into(),
        url: Some("test:///default".into()),
        pool: Some("default-pool".into()),
    });
    w.clients.push(Client {
        name: "fakeclient".into(),
        kind: "fake".into(),
        enabled: false,
        host: "127.0.0.1".into(),
        url: Some("test:///default".into()),
        pool: None,
    });
    w.default_client = "testlv".into();
    w.profiles = parse_profiles_yaml(TESTDRIVER_PROFILES_YML).unwrap_or_default();
    w.node = super::Node {
        hostname: "vm".into(),
        cpus: 8,
        memory_mib: 3072,
    };
}

const HOMELAB_PROFILES: &str = "\
small:
  numcpus: 1
  memory: 1024
  disks:
  - 10
  nets:
  - default
medium:
  numcpus: 2
  memory: 4096
  disks:
  - 20
  nets:
  - default
large:
  numcpus: 8
  memory: 16384
  disks:
  - 100
  nets:
  - default
ubuntu:
  image: ubuntu2404
  numcpus: 2
  memory: 2048
  disks:
  - 20
  nets:
  - default
fedora:
  image: fedora40
  numcpus: 2
  memory: 2048
  disks:
  - 20
  nets:
  - default
centos:
  image: centos9stream
  numcpus: 2
  memory: 2048
  disks:
  - 20
  nets:
  - default
webserver:
  base: ubuntu
  memory: 4096
  cmds:
  - apt-get -y install nginx
nginx:
  type: container
  image: nginx
  ports:
  - 8080
";

fn homelab(w: &mut World) {
    w.networks.push(default_network());
    w.host_ifaces.push(HostIface {
        name: "eno1".into(),
        bridge: false,
    });
    w.host_ifaces.push(HostIface {
        name: "br0".into(),
        bridge: true,
    });
    w.pools.push(Pool {
        name: "default".into(),
        path: "/var/lib/libvirt/images".into(),
        kind: "dir".into(),
        capacity_gib: 500.0,
    });
    for (image, size) in [
        ("ubuntu2404", 3.5),
        ("fedora40", 5.0),
        ("centos9stream", 10.0),
        ("debian12", 2.0),
        ("cirros.qcow2", 1.0),
        ("rhel-9.4-x86_64-kvm.qcow2", 10.0),
        ("Fedora-Server-dvd-x86_64-40.iso", 2.5),
    ] {
        w.put_volume("default", image, size);
    }
    w.clients.push(Client {
        name: "local".into(),
        kind: "kvm".into(),
        enabled: true,
        host: "127.0.0.1".into(),
        url: Some("qemu:///system".into()),
        pool: Some("default".into()),
    });
    w.default_client = "local".into();
    w.profiles = parse_profiles_yaml(HOMELAB_PROFILES).unwrap_or_default();
    w.node = super::Node {
        hostname: "homelab".into(),
        cpus: 16,
        memory_mib: 65536,
    };
    w.next_domain_id = 1;
}

/// The `/host` connection string of the default client.
#[must_use]
pub fn connection(w: &World) -> String {
    w.client()
        .and_then(|c| c.url.clone())
        .unwrap_or_else(|| "qemu:///system".into())
}

/// `config.yml` as kweb would rewrite it (for the state dump).
#[must_use]
pub fn config_yml(w: &World) -> Value {
    let mut m = Map::new();
    m.insert("default".into(), json!({"client": w.default_client}));
    for c in &w.clients {
        m.insert(c.name.clone(), json!({"type": c.kind, "host": c.host, "url": c.url, "pool": c.pool, "enabled": c.enabled}));
    }
    Value::Object(m)
}
