//! The binary is self-contained: copied out of the build tree and run with
//! the source tree out of reach (a private mount namespace lays an empty
//! tmpfs over the workspace), it still finds every SP and kweb scenario in
//! its embedded copy, runs them against the embedded target and writes the
//! reports, which say the features were embedded and give their hash; the
//! kweb plan scenarios find their `${FIXTURES}` files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, hidden from the copied binary.
fn workspace() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Runs the copied binary with `args` in `cwd`, the workspace hidden.
fn run_hidden(binary: &Path, cwd: &Path, args: &[&str]) -> std::process::Output {
    let script = format!(
        "mount -t tmpfs none '{}' && exec \"$0\" \"$@\"",
        workspace().display()
    );
    Command::new("unshare")
        .arg("--mount")
        .arg("sh")
        .arg("-c")
        .arg(script)
        .arg(binary)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("unshare runs (util-linux)")
}

fn copy_binary(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let copy = bin.join("dcm-conformance");
    std::fs::copy(env!("CARGO_BIN_EXE_dcm-conformance"), &copy).expect("copy the binary");
    copy
}

#[test]
#[ignore = "needs root for `unshare --mount` (hiding the source tree); scripts/test-all runs it with --ignored"]
fn a_copied_binary_runs_the_suite_without_the_source_tree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = copy_binary(dir.path());
    let cwd = dir.path().join("elsewhere");
    std::fs::create_dir_all(&cwd).expect("cwd");

    let probe = run_hidden(&binary, &cwd, &["matrix"]);
    let text = String::from_utf8_lossy(&probe.stdout);
    assert!(
        text.contains("HLT-001") && text.contains("health:"),
        "the matrix lists embedded scenarios: {text}\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );

    let hidden = Command::new("unshare")
        .args(["--mount", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs none '{}' && ls -A '{}' | wc -l",
            workspace().display(),
            workspace().display()
        ))
        .output()
        .expect("unshare");
    assert_eq!(
        String::from_utf8_lossy(&hidden.stdout).trim(),
        "0",
        "the workspace is hidden inside the namespace"
    );

    let out = run_hidden(
        &binary,
        &cwd,
        &[
            "sp",
            "--quiet",
            "--report-dir",
            "reports",
            "--tags",
            "@req-HLT-001 or @req-HLT-005",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the run passes: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("conformance: 2 passed, 0 failed"),
        "two scenarios ran: {stdout}"
    );
    let yaml = std::fs::read_to_string(cwd.join("reports/conformance-report.yaml"))
        .expect("the YAML report is written relative to the cwd");
    assert!(yaml.contains("source: embedded"), "{yaml}");
    assert!(yaml.contains("location: features/sp"), "{yaml}");
    assert!(cwd.join("reports/junit.xml").is_file());
    assert!(cwd.join("reports/conformance-report.html").is_file());

    // The plan scenarios read `${FIXTURES}/kweb-configs/myplan.yml`: the
    // copy written from the binary, the source tree being out of reach.
    let out = run_hidden(&binary, &cwd, &["kweb", "--tags", "@plans"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" 0 failed"),
        "the plan scenarios pass: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn features_dir_overrides_the_embedded_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let features = dir.path().join("features");
    std::fs::create_dir_all(&features).expect("features dir");
    std::fs::write(
        features.join("only.feature"),
        "Feature: Only\n\n  @req-HLT-001 @must\n  Scenario: One health check\n    When I get the health of every service type\n    Then every health answer is 200 application/json with a valid health body\n",
    )
    .expect("write feature");
    let out = Command::new(env!("CARGO_BIN_EXE_dcm-conformance"))
        .args(["matrix", "--features"])
        .arg(&features)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("only: One health check"), "{text}");
    assert!(!text.contains("vm_lifecycle"), "{text}");
}
