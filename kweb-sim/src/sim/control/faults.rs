//! Fault rules and latency effects: `GET`/`POST`/`DELETE /_sim/faults`,
//! `GET`/`PATCH`/`DELETE /_sim/faults/<id>`, `GET`/`POST /_sim/effects`.
//! The rules themselves are [`crate::sim::faults`].

use serde_json::{Map, Value, json};

use super::{Input, Reply, bad, parse};
use crate::sim::Sim;
use crate::sim::faults::{Effects, FaultRule};

/// `GET /_sim/effects`.
pub(super) fn effects(sim: &mut Sim, _: &Input<'_>) -> Reply {
    (200, json!(sim.effects))
}

/// `POST /_sim/effects`: replaces the effects.
pub(super) fn set_effects(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<Effects>(input.body) {
        Ok(e) => {
            sim.effects = e;
            (200, json!(sim.effects))
        }
        Err(e) => e,
    }
}

/// `GET /_sim/faults`: `{"faults": [rule...]}`.
pub(super) fn list(sim: &mut Sim, _: &Input<'_>) -> Reply {
    (200, json!({"faults": sim.faults.rules}))
}

/// `DELETE /_sim/faults`: removes every rule.
pub(super) fn clear(sim: &mut Sim, _: &Input<'_>) -> Reply {
    sim.faults.rules.clear();
    (200, json!({"faults": []}))
}

/// `POST /_sim/faults`: 201 with the added rule; 400 when it is invalid.
pub(super) fn add(sim: &mut Sim, input: &Input<'_>) -> Reply {
    match parse::<FaultRule>(input.body) {
        Ok(rule) => match rule.validate() {
            Ok(()) => {
                let id = sim.faults.add(rule);
                (201, json!(sim.faults.rules.iter().find(|r| r.id == id)))
            }
            Err(e) => bad(e),
        },
        Err(e) => e,
    }
}

/// The position and id of the rule `/_sim/faults/<id>` names.
///
/// # Errors
/// 404 `no fault <id>` when `id` is not a number or no rule has it.
pub(super) fn find(sim: &Sim, id: &str) -> Result<(usize, u64), Reply> {
    let Ok(id) = id.parse::<u64>() else {
        return Err((404, json!({"error": format!("no fault {id}")})));
    };
    match sim.faults.rules.iter().position(|r| r.id == id) {
        Some(pos) => Ok((pos, id)),
        None => Err((404, json!({"error": format!("no fault {id}")}))),
    }
}

/// `GET /_sim/faults/<id>`.
pub(super) fn get(sim: &mut Sim, pos: usize, _: &Input<'_>) -> Reply {
    (200, json!(sim.faults.rules[pos]))
}

/// `DELETE /_sim/faults/<id>`: the removed rule.
pub(super) fn delete(sim: &mut Sim, pos: usize, _: &Input<'_>) -> Reply {
    let r = sim.faults.rules.remove(pos);
    (200, json!(r))
}

/// `PATCH /_sim/faults/<id>`: merges the body's fields into the rule (not
/// `id`, `hits`, `fired`); 400 when the result is invalid.
pub(super) fn patch(sim: &mut Sim, pos: usize, input: &Input<'_>) -> Reply {
    let patch: Map<String, Value> = match parse(input.body) {
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
