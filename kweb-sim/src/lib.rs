//! `kweb-sim`: a simulator of kweb, the HTTP API of kcli.
//!
//! Module map (read in this order):
//! - [`config`]: start-up settings (clap `long, env`).
//! - [`startup`]: binds the listener and builds the application; tests use
//!   [`startup::Application`] with port 0.
#![doc = "Specification: `shared/docs/kweb-reference.md`."]

pub mod config;
pub mod startup;

pub use config::Config;
pub use startup::Application;
