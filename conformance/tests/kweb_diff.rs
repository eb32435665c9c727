//! Self-test of the differential mode on two in-process simulators: equal
//! worlds give an all-equal table, and a difference (one simulator switched
//! to readonly) is reported.

use dcm_conformance::features::FeatureSource;
use dcm_conformance::kweb::diff;
use dcm_conformance::kweb::release::PIN;
use dcm_conformance::kweb::runner::{features_dir, run_vars};
use dcm_conformance::kweb::target::spawn_parity_simulator;
use dcm_conformance::wire::Request;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_equal_simulators_are_equal() {
    let (a, b) = (
        spawn_parity_simulator().await.expect("sim a"),
        spawn_parity_simulator().await.expect("sim b"),
    );
    let scratch = tempfile::tempdir().expect("scratch");
    let report = diff::run(
        &a,
        &b,
        &FeatureSource::Dir(features_dir()),
        Some("@pools or @profiles or @snapshots"),
        &run_vars(scratch.path()).expect("fixtures written"),
        PIN,
    )
    .await
    .expect("diff runs");
    assert!(report.rows.len() > 20, "{}", report.render(true));
    assert!(report.equal(), "{}", report.render(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readonly_simulator_differs() {
    let (a, b) = (
        spawn_parity_simulator().await.expect("sim a"),
        spawn_parity_simulator().await.expect("sim b"),
    );
    let readonly = Request::json("POST", "/_sim/readonly", r#"{"enabled": true}"#);
    assert_eq!(b.send(&readonly).await.expect("toggle").status(), Some(200));
    let scratch = tempfile::tempdir().expect("scratch");
    let report = diff::run(
        &a,
        &b,
        &FeatureSource::Dir(features_dir()),
        Some("@pools"),
        &run_vars(scratch.path()).expect("fixtures written"),
        PIN,
    )
    .await
    .expect("diff runs");
    assert!(!report.equal());
    let table = report.render(false);
    assert!(table.contains("200/403"), "{table}");
    assert!(table.contains("DIFFERENT"), "{table}");
}
