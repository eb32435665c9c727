//! The kweb parity suite: Gherkin scenarios about kweb's wire behaviour,
//! run against a real kweb or `kweb-sim`, plus capture replay and a
//! differential mode.
//!
//! Data flow: `features/kweb/*.feature` → [`runner`] (cucumber) →
//! [`steps`] (thin) → [`session`] (requests via [`request_step`] and the
//! raw [`crate::wire`] client, checks via [`expect`]) → the target chosen
//! by [`target`].
//! [`diff`] sends the same scenario requests to two kwebs and compares the
//! answers after [`mask`]ing volatile values; [`replay`] sends every
//! captured real-kweb request ([`capture`]) to simulators and compares.
//!
//! Modules:
//! - [`request_step`]: the request language shared by steps and diff mode.
//! - [`expect`]: body patterns, JSON subsets, the Bottle error page.
//! - [`session`]: one scenario's requests, clean-up list and checks.
//! - [`target`]: real URLs or the in-process simulator; special instances.
//! - [`world`], [`steps`], [`runner`]: the cucumber side.
//! - [`mask`]: normalising volatile values (dates, ids, MACs, IPs, hosts).
//! - [`capture`]: the real-kweb capture file format.
//! - [`replay`]: replaying captures against simulators.
//! - [`diff`]: the differential mode.
//! - [`compat`]: the kcli release × check matrix of `scripts/kweb-compat`.
//! - [`release`]: the kcli release of a run; `@kcli-since-`/`@kcli-before-` tags.
//! - [`report`]: the kweb suite's YAML report.
//! - [`error`]: the error type.

pub mod capture;
pub mod compat;
pub mod diff;
pub mod error;
pub mod expect;
pub mod mask;
pub mod release;
pub mod replay;
pub mod report;
pub mod request_step;
pub mod runner;
pub mod session;
pub mod steps;
pub mod target;
pub mod world;
