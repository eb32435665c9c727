//! kcli's own CLI as an external consumer of kweb (`kweb-live.md` §9,
//! `kweb-reference.md` §14): a `type: web` client pointed at an in-process
//! kweb-sim (or at `KWEB_URL`, to confirm the expectations on a real kweb).
//!
//! Needs the CLI binary in `KCLI_BIN` (e.g. `/srv/kweb/venv/bin/kcli`, or the
//! venv made by `scripts/kweb-live/install`), so every test is ignored in a
//! plain `cargo test`; `scripts/test-all` sets `KCLI_BIN` and runs them with
//! `-- --ignored` (a run without it fails, naming the variable). kcli parses every kweb reply as JSON, so an
//! HTML or empty reply where JSON belongs makes it crash: exit codes and
//! output therefore check the simulator's answers end to end.

use std::path::Path;
use std::sync::LazyLock;

use dcm_conformance::kweb::target::Target;
use dcm_conformance::kweb::target::spawn_parity_simulator;
use dcm_conformance::wire::Request;
use regex::Regex;
use tokio::process::Command;

static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;]*m").expect("valid regex"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r" {2,}").expect("valid regex"));

/// One CLI run: exit code and stdout + stderr without ANSI colours and with
/// runs of spaces collapsed (table column widths follow the content).
struct Run {
    code: Option<i32>,
    output: String,
}

/// A kcli client home configured for one kweb.
struct Client {
    bin: String,
    home: tempfile::TempDir,
}

impl Client {
    /// A client home and its kweb.
    ///
    /// # Panics
    /// When `KCLI_BIN` is not set (the test was run with `--ignored` outside
    /// `scripts/test-all`).
    async fn new() -> (Self, Target) {
        let bin = std::env::var("KCLI_BIN")
            .ok()
            .filter(|b| !b.is_empty())
            .expect("set KCLI_BIN to kcli's CLI (e.g. /srv/kweb/venv/bin/kcli)");
        let target = match std::env::var("KWEB_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => Target::parse(&url).expect("KWEB_URL is a kweb URL"),
            None => spawn_parity_simulator()
                .await
                .expect("the simulator starts"),
        };
        let home = tempfile::tempdir().expect("temporary HOME");
        let kcli = home.path().join(".kcli");
        std::fs::create_dir_all(&kcli).expect("create .kcli");
        // conformance/fixtures/kweb-configs/client-config.yml plus the pool line (kweb-live.md §9).
        let config = format!(
            "default:\n  client: kw\nkw:\n  type: web\n  host: {}\n  port: {}\n  pool: default-pool\n",
            target.addr.ip(),
            target.addr.port()
        );
        std::fs::write(kcli.join("config.yml"), config).expect("write config.yml");
        (Self { bin, home }, target)
    }

    async fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(&self.bin)
            .args(args)
            .env("HOME", self.home.path())
            .current_dir(self.home.path())
            .output()
            .await
            .unwrap_or_else(|e| panic!("cannot run {} {args:?}: {e}", self.bin));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let plain = ANSI.replace_all(&text, "");
        Run {
            code: out.status.code(),
            output: SPACES.replace_all(&plain, " ").into_owned(),
        }
    }

    /// Runs and requires exit code `code` and every `needle` in the output.
    async fn expect(&self, args: &[&str], code: i32, needles: &[&str]) -> String {
        let run = self.run(args).await;
        let shown = format!(
            "kcli {}\n--- exit {:?}, output ---\n{}",
            args.join(" "),
            run.code,
            run.output
        );
        assert_eq!(run.code, Some(code), "{shown}");
        assert!(!run.output.contains("Traceback"), "kcli crashed: {shown}");
        for needle in needles {
            assert!(run.output.contains(needle), "missing {needle:?} in {shown}");
        }
        run.output
    }
}

/// Removes a VM left by an earlier, interrupted run against a long-lived kweb.
async fn preclean(target: &Target, vm: &str) {
    let request = Request::json("DELETE", format!("/vms/{vm}"), r#"{"snapshots": true}"#);
    target.send(&request).await.expect("kweb answers");
}

fn home_path(client: &Client) -> &Path {
    client.home.path()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs kcli (KCLI_BIN): scripts/test-all sets it"]
async fn lists_show_the_test_driver_world() {
    let (kcli, _target) = Client::new().await;
    kcli.expect(
        &["list", "vm"],
        0,
        &[
            "| Name | Status | Ip | Source | Plan | Profile |",
            "| test | up | 192.168.122.3 |",
        ],
    )
    .await;
    kcli.expect(
        &["list", "network"],
        0,
        &[
            "| default | routed | 192.168.122.0/24 | True | default | nat |",
            "eth1",
        ],
    )
    .await;
    kcli.expect(&["list", "pool"], 0, &["| default-pool | /default-pool |"])
        .await;
    kcli.expect(
        &["list", "image"],
        0,
        &["/default-pool/cirros.qcow2", "/default-pool/ubuntu2404"],
    )
    .await;
    kcli.expect(&["list", "kube"], 0, &["| Cluster | Type | Plan | Vms |"])
        .await;
    assert!(home_path(&kcli).join(".kcli/config.yml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs kcli (KCLI_BIN): scripts/test-all sets it"]
async fn a_vm_lives_through_create_stop_start_snapshot_delete() {
    let (kcli, target) = Client::new().await;
    let vm = "kc-life";
    preclean(&target, vm).await;
    kcli.expect(
        &[
            "create",
            "vm",
            "-P",
            "cloudinit=false",
            "-P",
            "nets=[]",
            "-P",
            "disks=[1]",
            vm,
        ],
        0,
        &["kc-life created on kw"],
    )
    .await;
    kcli.expect(
        &["list", "vm"],
        0,
        &["| kc-life | up | | | kvirt | kvirt |"],
    )
    .await;
    kcli.expect(
        &["info", "vm", vm],
        0,
        &["name: kc-life", "status: up", "plan: kvirt", "profile: kvirt", "numcpus: 2", "memory: 512", "diskname: vda disksize: 1GB diskformat: virtio type: qcow2 path: /default-pool/kc-life_0.img"],
    )
    .await;
    kcli.expect(&["stop", "vm", vm], 0, &["kc-life stopped"])
        .await;
    kcli.expect(&["info", "vm", vm], 0, &["status: down"]).await;
    kcli.expect(&["start", "vm", vm], 0, &["kc-life started"])
        .await;
    kcli.expect(&["info", "vm", vm], 0, &["status: up"]).await;
    kcli.expect(
        &["create", "snapshot", "-n", vm, "sn1"],
        0,
        &["kc-life snapshotted"],
    )
    .await;
    kcli.expect(&["list", "snapshot", vm], 0, &["sn1"]).await;
    kcli.expect(
        &["delete", "vm", "--yes", vm],
        1,
        &["Could not delete kc-life because VM kc-life has snapshots"],
    )
    .await;
    kcli.expect(
        &["delete", "snapshot", "-n", vm, "sn1"],
        0,
        &["sn1 snapshot deleted"],
    )
    .await;
    kcli.expect(&["delete", "vm", "--yes", vm], 0, &["kc-life deleted"])
        .await;
    let listed = kcli.expect(&["list", "vm"], 0, &["| test |"]).await;
    assert!(!listed.contains("kc-life"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs kcli (KCLI_BIN): scripts/test-all sets it"]
async fn an_image_vm_gets_its_user_and_a_fake_lease() {
    let (kcli, target) = Client::new().await;
    let vm = "kc-image";
    preclean(&target, vm).await;
    kcli.expect(
        &[
            "create",
            "vm",
            "-i",
            "cirros.qcow2",
            "-P",
            "cloudinit=false",
            "-P",
            "nets=[default]",
            "-P",
            "disks=[1]",
            vm,
        ],
        0,
        &["kc-image created on kw"],
    )
    .await;
    let info = kcli
        .expect(
            &["info", "vm", vm],
            0,
            &[
                "image: cirros.qcow2",
                "user: cirros",
                "net interface: eth0 mac: 52:54:00:",
                "net: default type: routed",
                "\nip: ",
            ],
        )
        .await;
    assert!(info.contains("profile: cirros.qcow2"), "{info}");
    kcli.expect(&["delete", "vm", "--yes", vm], 0, &["kc-image deleted"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs kcli (KCLI_BIN): scripts/test-all sets it"]
async fn failures_print_kwebs_reason_and_exit_1() {
    let (kcli, _target) = Client::new().await;
    kcli.expect(&["info", "vm", "kc-nosuch"], 1, &["VM kc-nosuch not found"])
        .await;
    kcli.expect(
        &["delete", "vm", "--yes", "kc-nosuch"],
        1,
        &["Could not delete kc-nosuch because VM kc-nosuch not found"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs kcli (KCLI_BIN): scripts/test-all sets it"]
async fn a_k3s_cluster_is_created_listed_and_deleted() {
    let (kcli, target) = Client::new().await;
    let cluster = "kc-k3";
    target
        .send(&Request::json("DELETE", "/kubes/kc-k3", "{}"))
        .await
        .expect("kweb answers");
    kcli.expect(
        &[
            "create",
            "kube",
            "k3s",
            "-P",
            "image=cirros.qcow2",
            "-P",
            "cloudinit=false",
            "-P",
            "disk_size=1",
            cluster,
        ],
        0,
        &[],
    )
    .await;
    // The cluster thread runs beside kweb's request worker (kweb-reference.md §8.2).
    let wanted = "| kc-k3 | k3s | kc-k3 | kc-k3-ctlplane-0 |";
    let mut listed = String::new();
    for _ in 0..100 {
        listed = kcli
            .expect(&["list", "kube"], 0, &["| Cluster | Type | Plan | Vms |"])
            .await;
        if listed.contains(wanted) {
            break;
        }
        // kcli is a child process, and KWEB_URL may name a real kweb: wall clock.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        listed.contains(wanted),
        "missing {wanted:?} in kcli list kube:\n{listed}"
    );
    kcli.expect(&["list", "plan"], 0, &["| kc-k3 | kc-k3-ctlplane-0 |"])
        .await;
    kcli.expect(
        &["delete", "kube", "--yes", cluster],
        0,
        &["Cluster kc-k3 deleted"],
    )
    .await;
    let listed = kcli.expect(&["list", "kube"], 0, &[]).await;
    assert!(!listed.contains("kc-k3"), "{listed}");
}
