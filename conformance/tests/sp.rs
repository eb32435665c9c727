//! The control: the SP suite against the conformant fixture SP passes the
//! `dcm-v1alpha1` profile with no failure and no warning.
//!
//! Runs under plain `cargo test` (harness = false); prints
//! `sp: N passed, N failed, N skipped` and exits non-zero on failure.

mod fixture_sp;

use std::path::PathBuf;

use dcm_conformance::features::{FeatureSource, Suite};
use dcm_conformance::sp::profile::Profile;
use dcm_conformance::sp::report;
use dcm_conformance::sp::runner::{RunOptions, run};
use fixture_sp::FixtureLauncher;

fn options(profile: Profile, report_dir: PathBuf) -> RunOptions {
    RunOptions {
        // A fixed seed keeps cargo test deterministic; `dcm-conformance sp`
        // explores with a fresh seed each run.
        generated: dcm_conformance::sp::generated::GenSettings {
            seed: 9_098_168_561_979_597_482,
            cases: 12,
        },
        ..RunOptions::new(profile, FeatureSource::Embedded(Suite::Sp), report_dir)
            .with_timeouts(&[("poll_step", "100ms")])
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("sp: test");
        return;
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("sp: cannot create a temp dir: {e}");
            std::process::exit(2);
        }
    };
    // The two profiles are independent runs (each its own fixture, fake DCM
    // and NATS): run them at once, report them in order.
    let runs = [Profile::V1alpha1, Profile::Agent].map(|profile| {
        let launcher = FixtureLauncher {
            defects: Vec::new(),
        };
        let options = options(profile, dir.path().join(profile.name()));
        async move { (profile, run(options, &launcher).await) }
    });
    let mut failed = 0;
    let (mut passed_total, mut skipped_total) = (0, 0);
    for (profile, outcome) in futures::future::join_all(runs).await {
        let summary = match outcome {
            Ok(s) => s,
            Err(e) => {
                eprintln!("sp: the run against the conformant fixture could not start: {e:#}");
                std::process::exit(2);
            }
        };
        print!("{}", report::terminal(&summary.report, &summary.results));
        let r = &summary.report;
        if r.failed + r.warnings + r.not_implemented > 0
            || !r.leftovers.is_empty()
            || !r.claimable
            || r.result != "success"
        {
            eprintln!(
                "sp: the conformant fixture must pass {profile} cleanly: result {}, {} failed, {} warnings, {} not implemented, leftovers {:?}, claimable {}",
                r.result, r.failed, r.warnings, r.not_implemented, r.leftovers, r.claimable
            );
            failed += 1;
        }
        passed_total += r.passed;
        skipped_total += r.not_applicable + r.skipped;
    }
    println!("sp: {passed_total} passed, {failed} failed, {skipped_total} skipped");
    std::process::exit(i32::from(failed > 0));
}
