//! The DCM service-provider conformance suite (issue 4).
//!
//! Read in this order:
//! - [`catalogue`]: the contract's requirement rows as data.
//! - [`profile`]: contract profiles and status vocabularies.
//! - [`shapes`] and [`schemas`]: the suite's own wire shapes and their JSON
//!   Schemas; every answer, registration and event is validated with them.
//! - [`timeouts`]: the single timeout table (§12.3).
//! - [`http`]: how steps send: the pooled [`crate::wire`] client plus the
//!   run's status log (exchange dump + curl line on failure).
//! - [`nats`]: finding or starting a NATS server.
//! - [`target`]: what the suite runs against ([`target::Launcher`],
//!   [`target::SpUnderTest`], capabilities, backend actions).
//! - [`context`] and [`world`]: run-wide and per-scenario state, the ledger.
//! - [`checks`]: plain judging functions; `steps` are thin wrappers.
//! - [`plan`], [`runner`], [`report`]: selecting, running, reporting;
//!   [`timeline`]: per-resource statuses over time; [`html`]: the HTML report;
//!   [`watchdog`]: per-scenario deadlines and the quiet-run heartbeat.
//! - [`matrix`], [`sweep`]: traceability and leftover removal.

pub mod catalogue;
pub mod checks;
pub mod cli;
pub mod context;
pub mod dcm_schemas;
pub mod embedded;
pub mod external;
pub mod generated;
pub mod html;
pub mod http;
pub mod matrix;
pub mod nats;
pub mod pagewalk;
pub mod plan;
pub mod profile;
pub mod report;
pub mod runner;
pub mod schemas;
pub mod shapes;
mod steps;
pub mod sweep;
pub mod target;
pub mod timeline;
pub mod timeouts;
pub mod watchdog;
pub mod world;
