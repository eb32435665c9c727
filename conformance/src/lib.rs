//! `dcm-conformance`: Gherkin suites that judge wire behaviour.
//!
//! Module map:
//! - [`kweb`]: the kweb parity suite (`features/kweb`): scenarios checked
//!   against a real kweb and `kweb-sim`, capture replay, differential mode.
//!
//! Data flow of the kweb suite: feature files → cucumber runner → raw HTTP
//! exchanges with the target → checks; see [`kweb`] for the details.

pub mod kweb;
