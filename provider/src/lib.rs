//! `kcli-provider`: the reference DCM service provider for VMs and
//! Kubernetes clusters on kweb (kcli's HTTP API).
//!
//! Module map (read in this order):
//! - [`config`]: settings (clap `long, env`, humantime durations) and their
//!   cross-field checks; [`error`]: start-up errors and the problem table.
//! - [`startup`]: [`Application`] builds everything and runs it; [`app`]
//!   holds the shared state.
//! - [`http`]: the axum API; [`service`]: create/get/list/delete.
//! - [`spec`]: schema checks, profile/hint/unit resolution, kcli names.
//! - [`kweb`]: the kweb client that normalises kweb's quirks into
//!   [`kweb::KwebError`].
//! - [`store`]: redb tables (resources, names, order, intents, outbox).
//! - [`lifecycle`]: the typed statuses and the pure decisions every
//!   transition goes through (service and monitor only apply them).
//! - [`monitor`]: polls kweb, maps statuses ([`status`]), debounces, finds
//!   orphans, reconciles intents, with [`debounce`]; [`events`] builds CloudEvents; [`relay`]
//!   delivers the outbox to NATS; [`registrar`] registers with DCM;
//!   [`health`] probes kweb in the background; [`metrics`] renders
//!   Prometheus text.
//!
//! Data flow of a create: HTTP → [`service::create`] validates and resolves
//! the spec → the store writes record + intent in one transaction → kweb
//! `POST /vms` or `POST /kubes` → the store clears the intent and appends the
//! first status event to the outbox in one transaction → the relay publishes
//! it. The monitor then moves the status on (`RUNNING`, `ACTIVE`, ...) with
//! a status write and an outbox event in one transaction.
#![doc = "Contract: `shared/docs/dcm-sp-contract.md` (profile dcm-v1alpha1)."]

pub(crate) mod app;
pub(crate) mod cadence;
pub(crate) mod clock;
pub mod config;
pub(crate) mod debounce;
pub mod error;
pub mod events;
pub(crate) mod health;
pub(crate) mod http;
pub(crate) mod id;
pub(crate) mod kubeconfig;
pub(crate) mod kweb;
pub mod lifecycle;
pub(crate) mod metrics;
pub(crate) mod monitor;
pub(crate) mod registrar;
pub(crate) mod relay;
pub(crate) mod service;
pub(crate) mod spec;
pub mod startup;
pub(crate) mod status;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use error::StartupError;
pub use startup::Application;
