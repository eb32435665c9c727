//! `kweb-sim`: a byte-faithful, controllable simulator of kweb, the HTTP API
//! of kcli (specification: `shared/docs/kweb-reference.md`).
//!
//! Module map and data flow:
//!
//! ```text
//! TCP ─► startup (accept, one task per connection, serial gate, state file)
//!          │  http::wire reads one request; HTTP/1.0 answer; close
//!          ├─► /_sim/... ─► sim::control route table ─► handlers by what
//!          │                 they control (state, clock, host, transitions,
//!          │                 faults, populate); JSON in, JSON out
//!          └─► kweb::routes (404 / 405 + Allow / handler)
//!                 ├─ sim::faults (fault rules, latency effects)
//!                 └─ kweb::{vms,resources,plans,kubes,misc,ui} handlers
//!                      │  read/modify world::World under one lock
//!                      │  (VMs built and deleted by world::build,
//!                      │  rendered by kweb::vmjson),
//!                      │  sim::Sim::tick applies due cluster stages
//!                      ▼
//!                 kweb::Out ─► http::shapes (JSON / HTML / E3 page / E4 /
//!                              static) ─► http::wire::Response bytes
//! ```
//!
//! - [`config`]: start-up settings (clap `long, env`).
//! - [`startup`]: [`Application`]: bind, serve, shut down.
//! - [`http`]: wire format, Python-compatible encoders, body parsing.
//! - [`kweb`]: kweb's routes and handlers, and how they render state
//!   (`kweb::vmjson`: VMLIST, VMINFO, the `info` text).
//! - [`world`]: the simulated backend (VMs, networks, pools, volumes,
//!   clients, profiles, cluster directories, host switches), presets and
//!   the VM build engine.
//! - [`sim`]: clock, transition engine, faults, the `/_sim/` control API
//!   (a route table over handler modules).
//!
//! Layers: `kweb` and `sim` use `world`; `world` uses only `http` (Python
//! encoders) and `sim::clock` (date formats), never `kweb` or the rest of
//! `sim`.

pub mod config;
pub mod http;
pub mod kweb;
pub mod sim;
pub mod startup;
pub mod world;

pub use config::Config;
pub use startup::Application;
