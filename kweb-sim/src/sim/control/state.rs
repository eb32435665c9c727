//! The simulator as a whole: `POST /_sim/reset`, `POST /_sim/seed`,
//! `GET /_sim/state`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::clock::clock_json;
use super::transitions::transitions_json;
use super::{Input, Reply, parse, seeded_start};
use crate::sim::Sim;
use crate::sim::transitions::TransitionSet;
use crate::world::Flavour;
use crate::world::presets::{Options, Preset};

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
struct SeedBody {
    seed: u64,
}

/// `POST /_sim/reset`: back to a preset; unset fields keep the last reset's.
pub(super) fn reset(sim: &mut Sim, input: &Input<'_>) -> Reply {
    let b: ResetBody = match parse(input.body) {
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

/// `POST /_sim/seed`: reseeds the generator and moves the clock to the
/// seeded start.
pub(super) fn seed(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<SeedBody>(input.body) {
        Ok(b) => {
            sim.world.reseed(b.seed);
            sim.clock.set(seeded_start(b.seed));
            (200, json!({"seed": b.seed, "clock": clock_json(sim)}))
        }
        Err(e) => e,
    }
}

/// `GET /_sim/state`: applies due stages, then shows everything.
pub(super) fn show(sim: &mut Sim, input: &Input<'_>) -> Reply {
    sim.tick(input.now);
    (200, state(sim))
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
