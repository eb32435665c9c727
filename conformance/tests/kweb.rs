//! The kweb parity scenarios (`features/kweb`) as a test target.
//!
//! Default: against `kweb-sim` started in-process on port 0 (testdriver
//! world, volumes cirros.qcow2, ubuntu2404, boot.iso). With `KWEB_URL` set:
//! against that kweb, with `KWEB_READONLY_URL` / `KWEB_UNREACHABLE_URL` for
//! the special instances. `KWEB_TAGS` selects scenarios by tag expression;
//! `KWEB_KCLI_RELEASE` names the kweb's kcli build (or the release the
//! simulator emulates), selecting the scenarios tagged for it.
//! Prints `kweb: N passed, N failed, N skipped` and exits non-zero on failure.

use std::process::ExitCode;

use dcm_conformance::kweb::runner::{self, RunOptions};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--list") {
        // nextest discovery: this target is one test.
        println!("kweb: test");
        return ExitCode::SUCCESS;
    }
    let options = RunOptions {
        kweb_url: env("KWEB_URL"),
        readonly_url: env("KWEB_READONLY_URL"),
        unreachable_url: env("KWEB_UNREACHABLE_URL"),
        tags: env("KWEB_TAGS"),
        features: None,
        kcli_release: env("KWEB_KCLI_RELEASE")
            .map(|r| r.parse().expect("KWEB_KCLI_RELEASE is a kcli release")),
        report: None,
    };
    match runner::run(options).await {
        Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kweb: {e}");
            println!("kweb: 0 passed, 1 failed, 0 skipped");
            ExitCode::FAILURE
        }
    }
}
