//! A run against an SP that stops answering mid-run ends on its own, with
//! failures, within the limits of the timeout table, and writes its reports.
//! A second run has a step that outlasts its scenario's deadline (a wait
//! of one declared poll interval, 60 s, in a scenario whose deadline is
//! 19 s): the watchdog stops the run and reports it as "could not finish".
//!
//! The SP is a small axum server on loopback: for its first second it
//! answers health and a `404` problem to everything else; then it accepts
//! every connection and never answers. Runs under plain `cargo test`
//! (harness = false); prints `sp_hang: N passed, N failed, 0 skipped`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use dcm_conformance::features::FeatureSource;
use dcm_conformance::sp::context::Outcome;
use dcm_conformance::sp::external::External;
use dcm_conformance::sp::profile::Profile;
use dcm_conformance::sp::runner::{RunOptions, run};
use dcm_conformance::sp::timeouts::Declared;

/// How long the SP answers before it hangs.
const ANSWERS_FOR: Duration = Duration::from_secs(1);

async fn answer(started: Instant, uri: Uri) -> axum::response::Response {
    if started.elapsed() > ANSWERS_FOR {
        std::future::pending::<()>().await;
    }
    if uri.path().ends_with("/health") {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"healthy","version":"1","uptime":1,"type":"hang.test/health","path":"health"}"#,
        )
            .into_response();
    }
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/problem+json")],
        r#"{"type":"https://dcm.io/problems/not-found","title":"Not found","status":404,"detail":"nothing here"}"#,
    )
        .into_response()
}

async fn check() -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| format!("addr: {e}"))?;
    let started = Instant::now();
    let app = Router::new().fallback(move |uri: Uri| answer(started, uri));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let features = dir.path().join("features");
    std::fs::create_dir_all(&features).map_err(|e| format!("features dir: {e}"))?;
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/sp");
    for f in ["health", "vm_lifecycle", "pagination"] {
        std::fs::copy(
            src.join(format!("{f}.feature")),
            features.join(format!("{f}.feature")),
        )
        .map_err(|e| format!("copy {f}: {e}"))?;
    }
    let overrides = [
        ("http_response", "1s"),
        ("create_response", "1s"),
        ("health_response", "1s"),
        ("registration_first_attempt", "1s"),
        ("first_status_event", "2s"),
        ("status_change_event", "2s"),
        ("deleted_event_after_delete", "2s"),
        ("vm_running", "2s"),
        ("delete_complete", "2s"),
        ("scenario_cleanup", "2s"),
        ("poll_step", "200ms"),
    ];
    let report_dir = dir.path().join("report");
    let launcher = External {
        endpoints: BTreeMap::from([("vm".to_owned(), format!("http://{addr}/api/v1alpha1/vms"))]),
        declared: Declared {
            poll: Duration::from_secs(1),
            debounce: Duration::from_secs(1),
            cluster_create_timeout: Duration::from_secs(5),
        },
        is_ref: false,
        facts: BTreeMap::new(),
        announce: false,
    };
    let mut options = RunOptions::new(
        Profile::V1alpha1,
        FeatureSource::Dir(features),
        report_dir.clone(),
    )
    .with_timeouts(&overrides);
    // Every scenario waits for answers that never come: run them all at
    // once, so the run's length is a few scenario deadlines, not a queue.
    options.cucumber.runner.concurrency = Some(64);
    let wall = Instant::now();
    let summary = tokio::time::timeout(Duration::from_secs(300), run(options, &launcher))
        .await
        .map_err(|_| "the run did not end within 300 s: a scenario is unbounded".to_owned())?
        .map_err(|e| format!("the run could not start: {e:#}"))?;
    let secs = wall.elapsed().as_secs_f64();
    let r = &summary.report;
    if r.failed == 0 {
        return Err("a hung SP must fail MUST scenarios".into());
    }
    let no_answer = summary
        .results
        .iter()
        .filter(|x| x.outcome == Outcome::Failed)
        .filter(|x| {
            let text = format!(
                "{} {}",
                x.reason.as_deref().unwrap_or(""),
                x.detail.as_deref().unwrap_or("")
            );
            text.contains("no answer within") || text.contains("could not finish")
        })
        .count();
    if no_answer == 0 {
        return Err("no failure names the unanswered requests".into());
    }
    for f in [
        "conformance-report.yaml",
        "junit.xml",
        "conformance-report.html",
    ] {
        if !report_dir.join(f).is_file() {
            return Err(format!("{f} was not written"));
        }
    }
    Ok(format!(
        "ended by itself after {secs:.1} s: {} passed, {} failed ({no_answer} name unanswered requests or unfinished scenarios)",
        r.passed, r.failed
    ))
}

/// The watchdog stops a run whose only running scenario is past its deadline.
async fn stall() -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let features = dir.path().join("features");
    std::fs::create_dir_all(&features).map_err(|e| format!("features dir: {e}"))?;
    std::fs::write(
        features.join("stall.feature"),
        "Feature: Stall\n\n  @req-HLT-001 @must\n  Scenario: A wait longer than its deadline\n    When I wait for one poll interval\n",
    )
    .map_err(|e| format!("write feature: {e}"))?;
    let launcher = External {
        endpoints: BTreeMap::from([(
            "vm".to_owned(),
            "http://127.0.0.1:9/api/v1alpha1/vms".to_owned(),
        )]),
        declared: Declared {
            poll: Duration::from_secs(60),
            debounce: Duration::from_secs(1),
            cluster_create_timeout: Duration::from_secs(5),
        },
        is_ref: false,
        facts: BTreeMap::new(),
        announce: false,
    };
    let overrides = [
        ("http_response", "1s"),
        ("registration_first_attempt", "1s"),
        ("scenario_cleanup", "2s"),
    ];
    let wall = Instant::now();
    let summary = tokio::time::timeout(
        Duration::from_secs(50),
        run(
            RunOptions::new(
                Profile::V1alpha1,
                FeatureSource::Dir(features),
                dir.path().join("report"),
            )
            .with_timeouts(&overrides),
            &launcher,
        ),
    )
    .await
    .map_err(|_| "the watchdog did not stop the stalled run within 50 s".to_owned())?
    .map_err(|e| format!("the run could not start: {e:#}"))?;
    let unfinished: Vec<_> = summary
        .results
        .iter()
        .filter(|r| {
            r.outcome == Outcome::Failed
                && r.reason
                    .as_deref()
                    .is_some_and(|x| x.contains("could not finish"))
        })
        .collect();
    if unfinished.len() != 1 || summary.report.failed != 1 {
        return Err(format!(
            "expected one unfinished MUST failure: {:?}",
            summary.results
        ));
    }
    Ok(format!(
        "stalled run stopped after {:.1} s: {}",
        wall.elapsed().as_secs_f64(),
        unfinished[0].reason.as_deref().unwrap_or_default()
    ))
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("sp_hang: test");
        return;
    }
    let (mut passed, mut failed) = (0, 0);
    // Independent runs (own SP, fake DCM and NATS each): at once.
    let (hung, stalled) = tokio::join!(check(), stall());
    for outcome in [hung, stalled] {
        match outcome {
            Ok(line) => {
                println!("sp_hang: {line}");
                passed += 1;
            }
            Err(e) => {
                eprintln!("sp_hang: {e}");
                failed += 1;
            }
        }
    }
    println!("sp_hang: {passed} passed, {failed} failed, 0 skipped");
    std::process::exit(i32::from(failed > 0));
}
