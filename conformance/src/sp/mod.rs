//! The DCM service-provider conformance suite (issue 4).
//!
//! Read in this order:
//! - [`catalogue`]: the contract's requirement rows as data.
//! - [`profile`]: contract profiles and status vocabularies.
//! - [`wire`] and [`schemas`]: the suite's own wire shapes and their JSON
//!   Schemas; every answer, registration and event is validated with them.
//! - [`timeouts`]: the single timeout table (§12.3).
//! - [`http`]: the recording HTTP client (exchange dump + curl line).
//! - [`nats`]: finding or starting a NATS server.

pub mod catalogue;
pub mod http;
pub mod nats;
pub mod profile;
pub mod schemas;
pub mod timeouts;
pub mod wire;
