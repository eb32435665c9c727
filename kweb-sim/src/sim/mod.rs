//! Simulator-only state and machinery (`kweb-reference.md` §15): the world,
//! the clock, the transition engine, faults and effects, counters.
//!
//! - [`clock`]: the controllable clock and date formats.
//! - [`transitions`]: cluster stage planning.
//! - [`faults`]: fault rules and latency effects.
//! - [`control`]: the `/_sim/` JSON API.

pub mod clock;
pub mod control;
pub mod faults;
pub mod transitions;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::world::build::Built;
use crate::world::host::{HostOptions, IsoMode};
use crate::world::presets::{self, Options, Preset};
use crate::world::{ClusterDir, Flavour, Power, World};
use clock::Clock;
use faults::{Effects, Faults};
use transitions::{ClusterJob, Due, Stage, TransitionConfig, TransitionSet};

/// Everything the simulator holds; one per [`crate::Application`], behind a lock.
#[derive(Debug)]
pub struct Sim {
    /// The simulated backend.
    pub world: World,
    /// The clock.
    pub clock: Clock,
    /// Fault rules.
    pub faults: Faults,
    /// Latency effects.
    pub effects: Effects,
    /// Transition tunables.
    pub transitions: TransitionConfig,
    /// Cluster threads in flight.
    pub jobs: Vec<ClusterJob>,
    /// Read counters per route key (`GET /kubes`, `GET /vms/<n>`, ...).
    pub reads: BTreeMap<String, u64>,
    /// Host behaviour switches.
    pub options: HostOptions,
    /// Preset used by the last reset.
    pub preset: Preset,
    /// Preset options used by the last reset.
    pub preset_options: Options,
    /// Serial (wsgiref-like) serving.
    pub serial: bool,
    /// Bottle debug mode (`KWEB_DEBUG`): exception pages carry a traceback.
    pub debug: bool,
    /// Total requests served.
    pub requests: u64,
    /// Simulator time at start-up (static files' `Last-Modified`).
    pub started_at: f64,
    /// Bumped by every request that may change state and by applied
    /// stages; keys [`Sim::vms_cache`].
    pub version: u64,
    /// The last `GET /vms` body and the [`Sim::version`] it was built at.
    pub vms_cache: Option<(u64, String)>,
}

impl Sim {
    /// A fresh simulator.
    #[must_use]
    pub fn new(
        preset: Preset,
        seed: u64,
        options: Options,
        set: TransitionSet,
        start: Option<f64>,
    ) -> Self {
        let world = presets::build(preset, seed, &options);
        let clock = Clock::new(start);
        let started_at = clock.now();
        let mut sim = Self {
            world,
            clock,
            started_at,
            faults: Faults::default(),
            effects: Effects::default(),
            transitions: TransitionConfig::for_set(set),
            jobs: Vec::new(),
            reads: BTreeMap::new(),
            options: HostOptions::default(),
            preset,
            preset_options: options,
            serial: false,
            debug: false,
            requests: 0,
            version: 0,
            vms_cache: None,
        };
        sim.apply_preset_options();
        sim
    }

    /// Host switches implied by the preset.
    fn apply_preset_options(&mut self) {
        self.options.internet = self.preset == Preset::Homelab;
        self.options.memory_updates_visible = self.preset != Preset::Testdriver;
        self.options.cloudinit_iso = if self.preset == Preset::Testdriver {
            IsoMode::Unsupported
        } else {
            IsoMode::Ok
        };
    }

    /// Back to a preset: clears faults, effects, jobs, counters (§15).
    pub fn reset(
        &mut self,
        preset: Preset,
        seed: u64,
        options: Options,
        set: TransitionSet,
        flavour: Flavour,
    ) {
        let readonly = self.world.readonly;
        let kcli_release = self.world.kcli_release;
        self.world = presets::build(preset, seed, &options);
        self.world.flavour = flavour;
        self.world.readonly = readonly;
        self.world.kcli_release = kcli_release;
        self.faults = Faults::default();
        self.effects = Effects::default();
        self.transitions = TransitionConfig::for_set(set);
        self.jobs.clear();
        self.reads.clear();
        self.options = HostOptions::default();
        self.preset = preset;
        self.preset_options = options;
        self.apply_preset_options();
    }

    /// Counts one read of `route` (drives `after N reads` transitions).
    pub fn count_read(&mut self, route: &str) {
        *self.reads.entry(route.to_owned()).or_insert(0) += 1;
        for job in &mut self.jobs {
            if let Due::Reads {
                route: r,
                remaining,
            } = &mut job.due
                && r == route
            {
                *remaining = remaining.saturating_sub(1);
            }
        }
    }

    /// The delay before the next stage (seconds), with seeded jitter.
    fn next_due(&mut self, from: f64) -> Due {
        if let Some(n) = self.transitions.after_reads {
            return Due::Reads {
                route: self.transitions.reads_route.clone(),
                remaining: n,
            };
        }
        let jitter = self.transitions.jitter_seconds;
        let j = if jitter > 0.0 {
            self.world.draw(1_000_000) as f64 / 1_000_000.0 * jitter
        } else {
            0.0
        };
        Due::At(from + self.transitions.stage_delay_seconds.max(0.0) + j)
    }

    /// Starts a cluster thread (`POST /kubes` after its checks, §8.1).
    pub fn start_cluster(
        &mut self,
        cluster: &str,
        kubetype: &str,
        params: Map<String, Value>,
        now: f64,
    ) {
        let dir_exists = self.world.cluster(cluster).is_some();
        let image = params
            .get("image")
            .and_then(Value::as_str)
            .map_or_else(|| default_image(kubetype), str::to_owned);
        let image_present =
            self.world.volumes.iter().any(|v| v.name == image) || self.options.internet;
        let (pending, failed) = transitions::plan_stages(
            &self.transitions,
            kubetype,
            &params,
            dir_exists,
            image_present,
        );
        self.jobs
            .retain(|j| j.cluster != cluster || !j.pending.is_empty());
        let due = if self.transitions.after_reads.is_some() {
            self.next_due(now)
        } else {
            Due::At(now)
        };
        self.jobs.push(ClusterJob {
            cluster: cluster.to_owned(),
            kubetype: kubetype.to_owned(),
            params,
            pending,
            due,
            reached: None,
            failed,
        });
        self.tick(now);
    }

    /// Applies every stage that is due at `now`.
    pub fn tick(&mut self, now: f64) {
        self.world.now = now;
        loop {
            let mut progressed = false;
            for i in 0..self.jobs.len() {
                let ready = match &self.jobs[i].due {
                    Due::At(t) => *t <= now,
                    Due::Reads { remaining, .. } => *remaining == 0,
                };
                if !ready || self.jobs[i].pending.is_empty() {
                    continue;
                }
                let stage = self.jobs[i].pending.remove(0);
                let at = match self.jobs[i].due {
                    Due::At(t) => t,
                    Due::Reads { .. } => now,
                };
                let job = self.jobs[i].clone();
                self.apply_stage(&job, stage, at);
                self.version += 1;
                self.jobs[i].reached = Some(stage);
                self.jobs[i].due = self.next_due(at);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    fn apply_stage(&mut self, job: &ClusterJob, stage: Stage, at: f64) {
        let c = job.cluster.as_str();
        match stage {
            Stage::Directory => self.ensure_dir(c),
            Stage::DirectoryWithParameters => {
                self.ensure_dir(c);
                self.write_parameters(job);
            }
            Stage::Bootstrap => self.add_node(job, &format!("{c}-ctlplane-0"), true, at),
            Stage::BootstrapDown => self.add_node(job, &format!("{c}-ctlplane-0"), false, at),
            Stage::Kubeconfig => {
                let api = self.api_ip(c, &job.params);
                if let Some(dir) = self.world.cluster_mut(c) {
                    dir.kubeconfig = Some(kubeconfig_yaml(c, &api));
                    dir.kubeconfig_mtime = Some(at);
                }
            }
            Stage::Parameters => self.write_parameters(job),
            Stage::Nodes => {
                let ctlplanes = count(&job.params, "ctlplanes", 1);
                let workers = count(&job.params, "workers", 0);
                for i in 1..ctlplanes {
                    self.add_node(job, &format!("{c}-ctlplane-{i}"), true, at);
                }
                for i in 0..workers {
                    self.add_node(job, &format!("{c}-worker-{i}"), true, at);
                }
            }
            Stage::Done => {}
        }
    }

    fn ensure_dir(&mut self, c: &str) {
        if self.world.cluster(c).is_none() {
            self.world.clusters.push(ClusterDir {
                name: c.to_owned(),
                params: None,
                kubeconfig: None,
                kubeconfig_mtime: None,
            });
        }
    }

    fn api_ip(&self, c: &str, params: &Map<String, Value>) -> String {
        if let Some(ip) = params.get("api_ip").and_then(Value::as_str) {
            return ip.to_owned();
        }
        self.world
            .vm(&format!("{c}-ctlplane-0"))
            .and_then(|vm| self.world.nic_ip(vm, 0))
            .map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string())
    }

    fn write_parameters(&mut self, job: &ClusterJob) {
        let c = job.cluster.as_str();
        let api = self.api_ip(c, &job.params);
        let mut p = Map::new();
        p.insert("client".into(), json!(self.world.default_client));
        p.insert("cluster".into(), json!(c));
        p.insert("kubetype".into(), json!(job.kubetype));
        p.insert(
            "image".into(),
            job.params
                .get("image")
                .cloned()
                .unwrap_or_else(|| json!(default_image(&job.kubetype))),
        );
        p.insert(
            "plan".into(),
            job.params.get("plan").cloned().unwrap_or_else(|| json!(c)),
        );
        p.insert("first_ip".into(), json!(api));
        p.insert("api_ip".into(), json!(api));
        for (k, v) in &job.params {
            p.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if let Some(dir) = self.world.cluster_mut(c) {
            dir.params = Some(p);
        }
    }

    fn add_node(&mut self, job: &ClusterJob, name: &str, running: bool, at: f64) {
        if self.world.vm(name).is_some() {
            return;
        }
        let p = &job.params;
        let role = if name.contains("-worker-") {
            "worker"
        } else {
            "ctlplane"
        };
        let mut s = Map::new();
        let image = p
            .get("image")
            .and_then(Value::as_str)
            .map_or_else(|| default_image(&job.kubetype), str::to_owned);
        if !self.world.volumes.iter().any(|v| v.name == image) {
            let pool = self.world.default_pool();
            self.world.put_volume(&pool, &image, 10.0);
        }
        s.insert("image".into(), json!(image));
        let pick = |k: &str, d: Value| {
            p.get(&format!("{role}_{k}"))
                .filter(|v| !v.is_null())
                .or_else(|| p.get(k).filter(|v| !v.is_null()))
                .cloned()
                .unwrap_or(d)
        };
        s.insert("numcpus".into(), pick("numcpus", json!(2)));
        s.insert("memory".into(), pick("memory", json!(1024)));
        s.insert(
            "disks".into(),
            json!([p.get("disk_size").cloned().unwrap_or(json!(10))]),
        );
        let nets = match p.get("network") {
            Some(Value::String(n)) => json!([n]),
            _ => json!(["default"]),
        };
        s.insert("nets".into(), nets);
        s.insert("kube".into(), json!(job.cluster));
        s.insert("kubetype".into(), json!(job.kubetype));
        s.insert("cloudinit".into(), json!(false));
        s.insert("start".into(), json!(running));
        let plan = p
            .get("plan")
            .and_then(Value::as_str)
            .unwrap_or(&job.cluster)
            .to_owned();
        let now = self.world.now;
        self.world.now = at;
        if let Built::Created = self
            .world
            .build_vm(&self.options, at, name, "kvirt", &s, &plan)
            && let Some(vm) = self.world.vm_mut(name)
            && !running
        {
            vm.power = Power::Off;
            vm.domain_id = None;
        }
        self.world.now = now;
    }

    /// Kubeconfig of cluster `c` when present.
    #[must_use]
    pub fn kubeconfig(&self, c: &str) -> Option<(&str, f64)> {
        let dir = self.world.cluster(c)?;
        Some((
            dir.kubeconfig.as_deref()?,
            dir.kubeconfig_mtime.unwrap_or(0.0),
        ))
    }
}

fn count(p: &Map<String, Value>, key: &str, default: u64) -> u64 {
    match p.get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(default),
        Some(Value::String(s)) => s.parse().unwrap_or(default),
        _ => default,
    }
    .min(64)
}

/// kcli's default image per cluster type.
#[must_use]
pub fn default_image(kubetype: &str) -> String {
    match kubetype {
        "k3s" => "ubuntu2004",
        "generic" => "centos9stream",
        "microshift" => "rhel9",
        _ => "rhcoslatest",
    }
    .into()
}

/// A valid kubeconfig for cluster `c` with API server `https://<api>:6443`.
#[must_use]
pub fn kubeconfig_yaml(c: &str, api: &str) -> String {
    format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmtjbGktc2ltCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\n    server: https://{api}:6443\n  name: {c}\ncontexts:\n- context:\n    cluster: {c}\n    user: admin\n  name: admin@{c}\ncurrent-context: admin@{c}\nkind: Config\npreferences: {{}}\nusers:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmtjbGktc2ltLWFkbWluCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\n    client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmtjbGktc2ltCi0tLS0tRU5EIFBSSVZBVEUgS0VZLS0tLS0K\n"
    )
}
