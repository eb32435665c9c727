//! `settings-doc`: the operator guide's settings table, generated from the
//! provider's clap definitions so that it cannot drift.
//!
//! Modules, in reading order:
//! - [`setting`]: one [`Setting`] per `clap::Arg` of `kcli_provider::Config`
//!   (environment variable, flag, default, kind and units, help text).
//! - [`markdown`]: renders settings as a Markdown table.
//! - [`document`]: replaces the table between two marker comments in a
//!   Markdown file, and reports whether a committed file is current.
//!
//! Data flow: `Config::command()` → [`settings`] → [`markdown::table`] →
//! [`document::splice`] → `docs/operator-guide.md`. The binary exposes the
//! same steps as `json`, `table`, `write PATH` and `check PATH`;
//! `scripts/check-deploy` runs `json` (to learn every setting name) and
//! `check docs/operator-guide.md`, and `tests/guide_is_current.rs` runs the
//! check under `cargo test`.
//!
//! The crate's tests also tie the deploy examples to the provider's real
//! behaviour: `tests/registration_examples.rs` runs kcli-provider against
//! kweb-sim and a recording registry and requires the requests to equal
//! `deploy/examples/registration/*.json`; `tests/catalog_examples.rs`
//! resolves the catalog items as DCM does, creates them on the provider
//! over kweb-sim and checks that kweb was asked for the cluster type and
//! profile the items name (the Go provider's cluster item was not);
//! `tests/shipped_configs.rs` runs the provider's startup validation on
//! every configuration shipped under deploy/ (image, compose, Quadlet,
//! Kubernetes overlays).

pub mod document;
pub mod markdown;
pub mod setting;

pub use document::{DocumentError, splice};
pub use setting::{Kind, Setting};

use clap::CommandFactory;

/// Every setting of the reference provider, in declaration order.
///
/// Source: `kcli_provider::Config` (clap `long, env`), which follows
/// dcm-sp-contract.md §12.2 and Appendix A.1.
pub fn provider_settings() -> Vec<Setting> {
    settings(&kcli_provider::Config::command())
}

/// The settings of any clap command: every argument that has an environment
/// variable, in declaration order. Arguments without one (`--help`,
/// `--version`) are not settings.
pub fn settings(command: &clap::Command) -> Vec<Setting> {
    command
        .get_arguments()
        .filter_map(Setting::from_arg)
        .collect()
}
