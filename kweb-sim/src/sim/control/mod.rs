//! The `/_sim/` control API (`kweb-reference.md` §15): JSON in, JSON out;
//! errors are JSON 4xx `{"error": "..."}`. Documented with examples in
//! `kweb-sim/README.md`.
//!
//! [`handle`] looks the request up in a route table (method and path to a
//! handler function); 404 `no control route <path>` for unknown paths, 405
//! `method <m> not allowed on <path>` for known paths and other methods.
//! The handlers live in modules named for what they control:
//!
//! - `state`: reset, reseed, the whole-state view.
//! - `clock`: the simulator clock.
//! - `host`: backend reachability, readonly, serial, debug, flavour and the
//!   host behaviour switches.
//! - `transitions`: transition engine tunables and VM boot/lease delays.
//! - `faults`: fault rules (`/_sim/faults[/<id>]`) and latency effects.
//! - `populate`: out-of-band upserts.

mod clock;
mod faults;
mod host;
mod populate;
mod state;
mod transitions;

use serde::Deserialize;
use serde_json::{Value, json};

use super::Sim;

/// A control API answer: status and JSON body.
pub type Reply = (u16, Value);

/// A control request as handlers see it.
struct Input<'a> {
    /// Request body (JSON; empty or blank means `{}`).
    body: &'a [u8],
    /// Simulator time when the request arrived, Unix seconds.
    now: f64,
}

/// A handler of a fixed control path.
type Handler = fn(&mut Sim, &Input<'_>) -> Reply;

/// A handler of `/_sim/faults/<id>`, given the rule's position in
/// `sim.faults.rules`.
type FaultHandler = fn(&mut Sim, usize, &Input<'_>) -> Reply;

/// One fixed control route: method (upper case), path, handler.
struct Route {
    method: &'static str,
    path: &'static str,
    handler: Handler,
}

const fn r(method: &'static str, path: &'static str, handler: Handler) -> Route {
    Route {
        method,
        path,
        handler,
    }
}

/// Every fixed control route, in `kweb-sim/README.md` order.
static ROUTES: &[Route] = &[
    r("POST", "/_sim/reset", state::reset),
    r("POST", "/_sim/seed", state::seed),
    r("GET", "/_sim/state", state::show),
    r("GET", "/_sim/clock", clock::show),
    r("POST", "/_sim/clock/pause", clock::pause),
    r("POST", "/_sim/clock/resume", clock::resume),
    r("POST", "/_sim/clock/advance", clock::advance),
    r("POST", "/_sim/backend", host::backend),
    r("POST", "/_sim/readonly", host::readonly),
    r("POST", "/_sim/serial", host::serial),
    r("POST", "/_sim/debug", host::debug),
    r("POST", "/_sim/flavour", host::flavour),
    r("GET", "/_sim/host", host::show),
    r("POST", "/_sim/host", host::update),
    r("GET", "/_sim/transitions", transitions::show),
    r("POST", "/_sim/transitions", transitions::update),
    r("GET", "/_sim/effects", faults::effects),
    r("POST", "/_sim/effects", faults::set_effects),
    r("GET", "/_sim/faults", faults::list),
    r("DELETE", "/_sim/faults", faults::clear),
    r("POST", "/_sim/faults", faults::add),
    r("POST", "/_sim/populate", populate::upsert),
];

/// Path prefix of one fault rule, `/_sim/faults/<id>`.
const FAULT_PREFIX: &str = "/_sim/faults/";

/// The routes of one fault rule: method (upper case), handler.
static FAULT_ROUTES: &[(&str, FaultHandler)] = &[
    ("GET", faults::get),
    ("DELETE", faults::delete),
    ("PATCH", faults::patch),
];

/// Where a control request goes.
enum Target<'a> {
    /// A fixed route.
    Route(&'static Route),
    /// `/_sim/faults/<id>` with the id text after the prefix (any method:
    /// an unknown id is 404 before the method is looked at).
    Fault(&'a str),
    /// A fixed path without a route for this method: 405.
    NotAllowed,
    /// No such control path: 404.
    Unknown,
}

/// Resolves an upper-case `method` and a decoded `path` against the tables.
fn target<'a>(method: &str, path: &'a str) -> Target<'a> {
    let mut known = false;
    for route in ROUTES.iter().filter(|r| r.path == path) {
        if route.method == method {
            return Target::Route(route);
        }
        known = true;
    }
    if known {
        Target::NotAllowed
    } else if let Some(id) = path.strip_prefix(FAULT_PREFIX) {
        Target::Fault(id)
    } else {
        Target::Unknown
    }
}

/// Handles one `/_sim/...` request: `method` in any case, `path` decoded,
/// `body` JSON. Sets the world's time to the clock first.
pub fn handle(sim: &mut Sim, method: &str, path: &str, body: &[u8]) -> Reply {
    let m = method.to_ascii_uppercase();
    let now = sim.clock.now();
    sim.world.now = now;
    let input = Input { body, now };
    match target(&m, path) {
        Target::Route(route) => (route.handler)(sim, &input),
        Target::Fault(id) => match faults::find(sim, id) {
            Err(reply) => reply,
            Ok((pos, id)) => match FAULT_ROUTES.iter().find(|(fm, _)| *fm == m) {
                Some((_, handler)) => handler(sim, pos, &input),
                None => (
                    405,
                    json!({"error": format!("method {m} not allowed on {FAULT_PREFIX}{id}")}),
                ),
            },
        },
        Target::NotAllowed => (
            405,
            json!({"error": format!("method {method} not allowed on {path}")}),
        ),
        Target::Unknown => (404, json!({"error": format!("no control route {path}")})),
    }
}

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

/// A fixed clock origin (2026-11-21T13:42:00Z, the captures' day) so that
/// seeded runs have reproducible timestamps.
pub const SEED_EPOCH: f64 = 1_795_268_520.0;

/// The clock start a seed implies: [`SEED_EPOCH`] plus `seed % 3600` seconds.
#[must_use]
pub fn seeded_start(seed: u64) -> f64 {
    SEED_EPOCH + (seed % 3600) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`target`] decided, without function pointers.
    fn decision(method: &str, path: &str) -> String {
        match target(method, path) {
            Target::Route(r) => format!("route {} {}", r.method, r.path),
            Target::Fault(id) => format!("fault {id:?}"),
            Target::NotAllowed => "405".into(),
            Target::Unknown => "404".into(),
        }
    }

    #[test]
    fn requests_resolve_by_method_and_path() {
        for (method, path, expected) in [
            ("POST", "/_sim/reset", "route POST /_sim/reset"),
            ("GET", "/_sim/reset", "405"),
            ("GET", "/_sim/faults", "route GET /_sim/faults"),
            ("DELETE", "/_sim/faults", "route DELETE /_sim/faults"),
            ("PUT", "/_sim/faults", "405"),
            ("GET", "/_sim/host", "route GET /_sim/host"),
            ("POST", "/_sim/host", "route POST /_sim/host"),
            ("GET", "/_sim/faults/3", "fault \"3\""),
            ("PUT", "/_sim/faults/x/y", "fault \"x/y\""),
            ("GET", "/_sim/faults/", "fault \"\""),
            ("GET", "/_sim/nothing", "404"),
            ("GET", "/_sim", "404"),
        ] {
            assert_eq!(decision(method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn every_fixed_route_is_registered_once() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(a.path.starts_with("/_sim/"), "{}", a.path);
            assert!(!a.path.starts_with(FAULT_PREFIX), "{}", a.path);
            for b in &ROUTES[i + 1..] {
                assert!(
                    (a.method, a.path) != (b.method, b.path),
                    "{} {}",
                    a.method,
                    a.path
                );
            }
        }
    }
}
