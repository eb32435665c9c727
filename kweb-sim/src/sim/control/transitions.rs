//! The transition engine's tunables and the VM boot/lease delays:
//! `GET`/`POST /_sim/transitions`. Every answer is [`transitions_json`].

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Input, Reply, bad, parse};
use crate::sim::Sim;
use crate::sim::transitions::{TransitionConfig, TransitionSet};

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

/// The [`TransitionConfig`] plus `vm_boot_seconds` and `vm_lease_seconds`.
pub(super) fn transitions_json(sim: &Sim) -> Value {
    let mut v = json!(sim.transitions);
    v["vm_boot_seconds"] = json!(sim.world.vm_timing.boot_seconds);
    v["vm_lease_seconds"] = json!(sim.world.vm_timing.lease_seconds);
    v
}

/// `GET /_sim/transitions`.
pub(super) fn show(sim: &mut Sim, _: &Input<'_>) -> Reply {
    (200, transitions_json(sim))
}

/// `POST /_sim/transitions`: `set` starts from that set's defaults (else
/// the current tunables); the other fields override. 400 for negative or
/// non-finite delays and `fail_stage` > 6; nothing changes then.
pub(super) fn update(sim: &mut Sim, input: &Input<'_>) -> Reply {
    let b = match parse::<TransitionsBody>(input.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
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
