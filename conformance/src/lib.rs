//! `dcm-conformance`: Gherkin suites that judge wire behaviour.
//!
//! Module map:
//! - [`kweb`]: the kweb parity suite (`features/kweb`): scenarios checked
//!   against a real kweb and `kweb-sim`, capture replay, differential mode.
//! - [`sp`]: the DCM service-provider contract suite (`features/sp/`).
//! - [`features`]: the feature files, embedded in the binary or read from
//!   `--features DIR`, fed to cucumber.
//! - [`dcm_sim`]: the fake DCM the SP suite plays (registry, health poller,
//!   NATS status consumer); also runnable alone as `dcm-conformance dcm-sim`.
//! - [`proxy`]: a validating proxy between DCM and an SP (`dcm-conformance proxy`).
//! - [`wire`]: the HTTP layer all of them share: requests, responses, the
//!   recorded exchange, its `curl` line, the raw and the pooled client.
//!
//! Data flow of the kweb suite: feature files → cucumber runner → raw HTTP
//! exchanges with the target → checks; see [`kweb`] for the details.
//!
//! Data flow of an SP run: find NATS → start the fake DCM → launch or attach
//! to the SP (target) → wait for its registrations → run the scenarios (each
//! step sends requests through the recording client and judges them with the
//! suite's own schemas) → clean up the ledger → write the reports.

pub mod dcm_sim;
pub mod features;
pub mod kweb;
pub mod proxy;
pub mod sp;
pub mod wire;
