//! The validating proxy (`dcm-conformance proxy`, issue 12 item 4) with a
//! real SP behind it and real NATS: the reference provider on kweb-sim is
//! judged clean, and fixture SPs with deliberate defects are reported with
//! the rules they break. Traffic is driven by a test client through the
//! proxy, as DCM would send it.

mod fixture_sp;

use std::time::{Duration, Instant};

use dcm_conformance::dcm_sim::{DcmConfig, FakeDcm};
use dcm_conformance::proxy::rules::{Bounds, Rule};
use dcm_conformance::proxy::{Proxy, ProxyConfig};
use dcm_conformance::sp::embedded::{Backend, Embedded};
use dcm_conformance::sp::nats::NatsServer;
use dcm_conformance::sp::profile::Profile;
use dcm_conformance::sp::target::{LaunchEnv, Launcher, SpUnderTest};
use fixture_sp::{Defect, FixtureLauncher};
use serde_json::{Value, json};

struct Rig {
    _nats: NatsServer,
    dcm: FakeDcm,
    sp: Box<dyn SpUnderTest>,
    proxy: Proxy,
    /// The VM collection path on the SP, e.g. `/api/v1alpha1/vms`.
    vms: String,
}

async fn rig(launcher: &dyn Launcher, bounds: Bounds) -> Rig {
    let nats = NatsServer::discover(None)
        .await
        .expect("nats-server on PATH");
    let dcm = FakeDcm::start(DcmConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        nats_url: Some(nats.url().to_owned()),
        health_interval: Duration::from_secs(1),
    })
    .await
    .expect("fake DCM");
    let sp = launcher
        .launch(LaunchEnv {
            dcm_base_url: dcm.base_url(),
            nats_url: nats.url().to_owned(),
            run_id: "proxy".into(),
        })
        .await
        .expect("SP launch");
    // Real sockets: the SP registers in the background.
    let deadline = Instant::now() + Duration::from_secs(20);
    let endpoint = loop {
        if let Some(p) = dcm.registry.provider_for("vm") {
            break p.endpoint;
        }
        assert!(Instant::now() < deadline, "the SP never registered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let after_scheme = endpoint.find("://").expect("absolute endpoint") + 3;
    let split = after_scheme + endpoint[after_scheme..].find('/').expect("path");
    let proxy = Proxy::start(ProxyConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: endpoint[..split].to_owned(),
        nats_url: Some(nats.url().to_owned()),
        profile: Profile::V1alpha1,
        bounds,
        upstream_timeout: Duration::from_secs(30),
        print: true,
    })
    .await
    .expect("proxy");
    Rig {
        _nats: nats,
        dcm,
        sp,
        proxy,
        vms: endpoint[split..].to_owned(),
    }
}

impl Rig {
    fn url(&self, rest: &str) -> String {
        format!("http://{}{}{rest}", self.proxy.local_addr(), self.vms)
    }
}

/// DCM's traffic for one VM: health, create, get, list, a bad create, an
/// unknown id, delete; then (`wait_deleted`) waits until the SP's
/// `DELETED` has arrived.
async fn drive(rig: &Rig, wait_deleted: bool) {
    let http = reqwest::Client::new();
    let id = format!("prx-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let send = |r: reqwest::RequestBuilder| async move { r.send().await.expect("proxy answered") };
    assert_eq!(send(http.get(rig.url("/health"))).await.status(), 200);
    let created = send(http.post(rig.url(&format!("?id={id}"))).json(
        &json!({"spec": {"service_type": "vm", "vcpu": {"count": 1}, "x_unknown": {"a": [1]}}}),
    ))
    .await;
    assert_eq!(created.status(), 201);
    let through: Value = send(http.get(rig.url(&format!("/{id}"))))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(through["spec"]["x_unknown"], json!({"a": [1]}));
    assert_eq!(
        send(http.get(rig.url("?max_page_size=10"))).await.status(),
        200
    );
    let bad = send(
        http.post(rig.url(""))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(send(http.get(rig.url("/prx-unknown"))).await.status(), 404);
    let deleted = send(http.delete(rig.url(&format!("/{id}")))).await;
    assert!(
        deleted.status().is_success() || deleted.status() == 504,
        "{}",
        deleted.status()
    );
    // Real NATS: wait (bounded) until the SP's events reached the fake DCM too.
    let deadline = Instant::now() + Duration::from_secs(15);
    while wait_deleted
        && Instant::now() < deadline
        && !rig
            .dcm
            .events
            .for_id(&id)
            .iter()
            .any(|e| e.status().as_deref() == Some("DELETED"))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_provider_behind_the_proxy_is_clean() {
    let bounds = Bounds::for_sp(Duration::from_millis(200), Duration::from_millis(100));
    let rig = rig(
        &Embedded {
            backend: Backend::Simulator,
        },
        bounds,
    )
    .await;
    drive(&rig, true).await;
    // Every status a read showed must have been published; wait out the bound.
    let deadline = Instant::now() + bounds.status_event + Duration::from_secs(1);
    while !rig.proxy.pending().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let violations = rig.proxy.violations();
    let pending = rig.proxy.pending();
    rig.sp.shutdown().await;
    let (report, results) = rig.proxy.finish();
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(pending.is_empty(), "{pending:?}");
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    assert!(
        report.passed >= 8,
        "only {} rules exercised: {results:#?}",
        report.passed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defects_of_a_fixture_sp_are_reported() {
    let launcher = FixtureLauncher {
        defects: vec![Defect::PlainText400, Defect::NoDeletedEvent],
    };
    let bounds = Bounds {
        status_event: Duration::from_secs(3),
        deleted_event: Duration::from_secs(2),
    };
    let rig = rig(&launcher, bounds).await;
    drive(&rig, false).await;
    // The DELETED that never comes becomes a violation once the bound passes.
    let deadline = Instant::now() + bounds.deleted_event + Duration::from_secs(2);
    while Instant::now() < deadline
        && !rig
            .proxy
            .violations()
            .iter()
            .any(|v| v.rule == Rule::DeletedAfterDelete)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    rig.sp.shutdown().await;
    let (report, _) = rig.proxy.finish();
    let failed: Vec<&str> = report
        .failures
        .iter()
        .map(|f| f.scenario.as_str())
        .collect();
    assert_eq!(
        failed,
        vec![
            "proxy: Every 4xx and 5xx answer is a problem document",
            "proxy: DELETED is published in time after a delete",
        ],
        "{:#?}",
        report.failures
    );
    assert!(
        report.failures[0].reason.starts_with("ERR-001"),
        "{}",
        report.failures[0].reason
    );
    assert!(
        report.failures[1].reason.starts_with("EVT-022"),
        "{}",
        report.failures[1].reason
    );
    assert!(!report.failures[0].reproduce.is_empty());
}
