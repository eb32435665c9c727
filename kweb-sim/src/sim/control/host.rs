//! The simulated host and backend: `POST /_sim/backend`, `/readonly`,
//! `/serial`, `/debug`, `/flavour`, and `GET`/`POST /_sim/host` (the
//! [`HostOptions`] switches).

use serde::Deserialize;
use serde_json::json;

use super::{Input, Reply, parse};
use crate::sim::Sim;
use crate::world::Flavour;
use crate::world::host::{HostOptions, IsoMode};

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
struct FlavourBody {
    flavour: Flavour,
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

/// `POST /_sim/backend` `{"reachable": b}`: E4 on every K route when false.
pub(super) fn backend(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<Reachable>(input.body) {
        Ok(b) => {
            sim.world.reachable = b.reachable;
            (200, json!({"reachable": b.reachable}))
        }
        Err(e) => e,
    }
}

/// `POST /_sim/readonly` `{"enabled": b}`.
pub(super) fn readonly(sim: &mut Sim, input: &Input<'_>) -> Reply {
    toggle(sim, input, "readonly", |sim, on| sim.world.readonly = on)
}

/// `POST /_sim/serial` `{"enabled": b}`.
pub(super) fn serial(sim: &mut Sim, input: &Input<'_>) -> Reply {
    toggle(sim, input, "serial", |sim, on| sim.serial = on)
}

/// `POST /_sim/debug` `{"enabled": b}` (`KWEB_DEBUG` pages).
pub(super) fn debug(sim: &mut Sim, input: &Input<'_>) -> Reply {
    toggle(sim, input, "debug", |sim, on| sim.debug = on)
}

/// An `{"enabled": b}` switch: `set` applies it; the answer is `{key: b}`.
fn toggle(sim: &mut Sim, input: &Input<'_>, key: &str, set: fn(&mut Sim, bool)) -> Reply {
    match parse::<Toggle>(input.body) {
        Ok(b) => {
            set(sim, b.enabled);
            (200, json!({ (key): b.enabled }))
        }
        Err(e) => e,
    }
}

/// `POST /_sim/flavour` `{"flavour": f}`.
pub(super) fn flavour(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<FlavourBody>(input.body) {
        Ok(b) => {
            sim.world.flavour = b.flavour;
            (200, json!({"flavour": b.flavour}))
        }
        Err(e) => e,
    }
}

/// `GET /_sim/host`: the [`HostOptions`].
pub(super) fn show(sim: &mut Sim, _: &Input<'_>) -> Reply {
    (200, json!(sim.options))
}

/// `POST /_sim/host`: sets the given switches, keeps the others.
pub(super) fn update(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<HostBody>(input.body) {
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
    }
}
