//! The simulator clock: `GET /_sim/clock`, `POST /_sim/clock/pause`,
//! `/resume`, `/advance`. Every answer is [`clock_json`].

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Input, Reply, bad, parse};
use crate::sim::Sim;
use crate::sim::clock::iso8601;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

/// `{"now": "<ISO 8601>", "unix": <seconds>, "paused": <bool>}`.
pub(super) fn clock_json(sim: &Sim) -> Value {
    let now = sim.clock.now();
    json!({"now": iso8601(now), "unix": now, "paused": sim.clock.paused()})
}

/// `GET /_sim/clock`.
pub(super) fn show(sim: &mut Sim, _: &Input<'_>) -> Reply {
    (200, clock_json(sim))
}

/// `POST /_sim/clock/pause`.
pub(super) fn pause(sim: &mut Sim, _: &Input<'_>) -> Reply {
    sim.clock.pause();
    (200, clock_json(sim))
}

/// `POST /_sim/clock/resume`.
pub(super) fn resume(sim: &mut Sim, _: &Input<'_>) -> Reply {
    sim.clock.resume();
    (200, clock_json(sim))
}

/// `POST /_sim/clock/advance` `{"seconds": s}` (finite, >= 0): moves the
/// clock and applies the stages due by then.
pub(super) fn advance(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<Advance>(input.body) {
        Ok(a) if a.seconds.is_finite() && a.seconds >= 0.0 => {
            sim.clock.advance(a.seconds);
            let now = sim.clock.now();
            sim.tick(now);
            (200, clock_json(sim))
        }
        Ok(_) => bad("seconds must be a finite number >= 0"),
        Err(e) => e,
    }
}
