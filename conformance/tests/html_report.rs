//! `conformance-report.html` in a real browser: a run of the suite against
//! the fixture SP with one defect (so the page has failures, exchanges,
//! events and resource timelines) writes the three reports; headless
//! Chromium (Debian's `chromium`) loads the page from disk with the network
//! off; the page logs no console error, its script ran, and the verdict and
//! counts in the DOM equal the YAML report's. A screenshot is saved as
//! `target/conformance/html-report.png` (a CI artifact).

mod fixture_sp;

use std::path::{Path, PathBuf};
use std::process::Command;

use dcm_conformance::features::FeatureSource;
use dcm_conformance::sp::profile::Profile;
use dcm_conformance::sp::runner::{RunOptions, run};
use fixture_sp::{Defect, FixtureLauncher};

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// Runs headless Chromium on `page` with `extra` flags; returns (stdout, stderr).
fn browse(page: &Path, extra: &[&str]) -> (String, String) {
    let browser = chromium().expect("chromium on PATH (scripts/install-deps installs it)");
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            // The page must need nothing from the network.
            "--proxy-server=127.0.0.1:9",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console errors and failed loads Chromium logged for the page.
fn console_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("CONSOLE")
                || l.contains("Uncaught")
                || l.contains("net::ERR_")
                || l.contains("Refused to")
        })
        .map(str::to_owned)
        .collect()
}

fn dom_text(dom: &str, id: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"id="{id}"[^>]*>([^<]*)<"#)).ok()?;
    re.captures(dom).map(|c| c[1].to_owned())
}

fn yaml_count(yaml: &serde_yaml_ng::Value, key: &str) -> String {
    match &yaml[key] {
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        serde_yaml_ng::Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[test]
#[ignore = "needs Debian's chromium (scripts/install-deps installs it); scripts/test-all runs it with --ignored"]
fn the_console_check_catches_a_broken_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p id=x>x</p><script>nosuchfunction();</script></body></html>",
    )
    .expect("write page");
    let (_, stderr) = browse(&page, &["--dump-dom"]);
    assert!(
        !console_errors(&stderr).is_empty(),
        "a throwing script is reported: {stderr}"
    );
}

#[test]
#[ignore = "needs Debian's chromium (scripts/install-deps installs it); scripts/test-all runs it with --ignored"]
fn the_html_report_loads_cleanly_and_matches_the_yaml() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report_dir = dir.path().join("report");
    let features = dir.path().join("features");
    std::fs::create_dir_all(&features).expect("features dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/sp");
    for f in ["health", "vm_lifecycle", "events"] {
        std::fs::copy(
            src.join(format!("{f}.feature")),
            features.join(format!("{f}.feature")),
        )
        .expect("copy feature");
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let summary = rt
        .block_on(run(
            RunOptions::new(
                Profile::V1alpha1,
                FeatureSource::Dir(features),
                report_dir.clone(),
            )
            .with_timeouts(&[
                ("poll_step", "100ms"),
                ("deleted_event_after_delete", "3s"),
                ("status_change_event", "3s"),
                ("first_status_event", "3s"),
                ("redelivery_after_nats_recovery", "5s"),
                ("scenario_cleanup", "10s"),
            ]),
            &FixtureLauncher {
                defects: vec![Defect::Health503WhenDown],
            },
        ))
        .expect("the run starts");
    assert!(summary.report.failed > 0, "the defect is reported");
    assert!(
        !summary.report.timelines.is_empty(),
        "resources were created"
    );

    let page = report_dir.join("conformance-report.html");
    let html = std::fs::read_to_string(&page).expect("the HTML report is written");
    // SP text is escaped (`"` becomes `&quot;`), so these only match markup.
    for external in [" src=\"", "<link", "@import", "url("] {
        assert!(
            !html.contains(external),
            "the page loads nothing from outside ({external})"
        );
    }
    assert!(html.contains("<svg"), "timelines are drawn as inline SVG");

    let (dom, stderr) = browse(&page, &["--dump-dom"]);
    let errors = console_errors(&stderr);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    assert!(
        dom.contains("data-ready=\"1\""),
        "the inline script ran to its end"
    );

    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(report_dir.join("conformance-report.yaml")).expect("yaml"),
    )
    .expect("yaml parses");
    assert_eq!(
        dom_text(&dom, "verdict").as_deref(),
        yaml["result"].as_str()
    );
    for (id, key) in [
        ("count-passed", "passed"),
        ("count-failed", "failed"),
        ("count-warning", "warnings"),
        ("count-not-implemented", "not_implemented"),
        ("count-not-applicable", "not_applicable"),
        ("count-skipped", "skipped"),
    ] {
        assert_eq!(
            dom_text(&dom, id),
            Some(yaml_count(&yaml, key)),
            "{id} equals the YAML's {key}"
        );
    }
    let shown = dom_text(&dom, "shown").expect("filter count");
    assert_eq!(
        shown,
        summary.results.len().to_string(),
        "with no filter every scenario is shown"
    );
    let failed_rows = dom.matches("data-result=\"failed\"").count();
    assert!(
        failed_rows >= summary.report.failed,
        "each failure has a row"
    );

    let shot_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/conformance");
    std::fs::create_dir_all(&shot_dir).expect("artifact dir");
    let shot = shot_dir.join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, stderr) = browse(&page, &[&format!("--screenshot={}", shot.display())]);
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "a screenshot was written ({size} bytes): {stderr}"
    );
    std::fs::copy(&page, shot_dir.join("html-report.html")).expect("keep the page");
}
