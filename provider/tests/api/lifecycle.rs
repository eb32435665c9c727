//! Create, get, list, delete and the monitor against kweb-sim.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, sim_control, sim_state, spawn_app, spawn_with, vm_spec};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn api010_to_api063_vm_lifecycle() {
    let app = spawn_app().await;
    let created = app.create("vms", "vm-1", vm_spec("web-01")).await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["id"], "vm-1");
    assert_eq!(body["path"], "vms/vm-1");
    assert_eq!(body["status"], "PROVISIONING");
    assert_eq!(
        body["spec"],
        vm_spec("web-01"),
        "API-004: spec echoed verbatim"
    );
    assert!(
        body["create_time"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    // API-030: replay answers 200 from the store, no second backend create.
    let replay = app.create("vms", "vm-1", vm_spec("web-01")).await;
    assert_eq!(replay.status(), 200);
    // API-031: same id, different spec.
    let conflict = app.create("vms", "vm-1", vm_spec("web-02")).await;
    assert_eq!(conflict.status(), 409);
    // API-033: new id, same backend name.
    let name_clash = app.create("vms", "vm-2", vm_spec("web-01")).await;
    assert_eq!(name_clash.status(), 409);
    // API-031: same id under the other service type.
    let other_type = app
        .create("clusters", "vm-1", json!({"service_type": "cluster"}))
        .await;
    assert_eq!(other_type.status(), 409);

    let running = app
        .wait_status("/api/v1alpha1/vms/vm-1", "RUNNING", WAIT)
        .await;
    assert!(
        running["ip"].is_string(),
        "KCLI-017: ip from kweb: {running}"
    );
    app.events().wait_for("vm-1", "PROVISIONING", WAIT).await;
    app.events().wait_for("vm-1", "RUNNING", WAIT).await;

    let list: Value = app
        .get("/api/v1alpha1/vms")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["results"].as_array().map(Vec::len), Some(1));
    assert!(list.get("next_page_token").is_none());
    let clusters: Value = app
        .get("/api/v1alpha1/clusters")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        clusters["results"],
        json!([]),
        "API-050: only this endpoint's type"
    );

    let vms: Value = reqwest::get(format!("{}/vms", app.sim))
        .await
        .expect("sim")
        .json()
        .await
        .expect("json");
    assert!(
        vms["vms"]
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v["name"] == "dcm-web-01")),
        "KCLI-003 name: {vms}"
    );

    assert_eq!(app.delete("/api/v1alpha1/vms/vm-1").await.status(), 204);
    assert_eq!(app.get("/api/v1alpha1/vms/vm-1").await.status(), 404);
    assert_eq!(
        app.delete("/api/v1alpha1/vms/vm-1").await.status(),
        404,
        "API-061"
    );
    app.events().wait_for("vm-1", "DELETED", WAIT).await;
    let statuses = app.events().statuses("vm-1");
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("DELETED"),
        "EVT-027: {statuses:?}"
    );
    // The id may be reused once gone (API-032).
    assert_eq!(
        app.create("vms", "vm-1", vm_spec("web-01")).await.status(),
        201
    );
}

#[tokio::test]
async fn api063_delete_of_a_vm_gone_from_kweb_is_204_and_disappearance_publishes_deleted() {
    let app = spawn_with(Options {
        nats: true,
        args: vec!["--create-grace-period".into(), "1s".into()],
        ..Options::default()
    })
    .await;
    assert_eq!(app.create("vms", "a", vm_spec("a")).await.status(), 201);
    assert_eq!(app.create("vms", "b", vm_spec("b")).await.status(), 201);
    app.wait_status("/api/v1alpha1/vms/a", "RUNNING", WAIT)
        .await;
    // Out of band: kweb loses both VMs.
    for name in ["dcm-a", "dcm-b"] {
        let r = reqwest::Client::new()
            .delete(format!("{}/vms/{name}", app.sim))
            .send()
            .await
            .expect("sim delete");
        assert!(r.status().is_success());
    }
    assert_eq!(
        app.delete("/api/v1alpha1/vms/a").await.status(),
        204,
        "API-063"
    );
    // ORP-007: b disappears and is reported DELETED after the grace period.
    app.events().wait_for("b", "DELETED", WAIT).await;
    assert_eq!(app.get("/api/v1alpha1/vms/b").await.status(), 404);
}

// Real time: under paused time every create gets the same create time, and
// ties are ordered by id, so "newest first" needs a clock that moves.
#[tokio::test]
async fn api053_keyset_pages_return_every_item_once() {
    let app = spawn_with(Options::default()).await;
    for i in 0..7 {
        assert_eq!(
            app.create("vms", &format!("p{i}"), vm_spec(&format!("p{i}")))
                .await
                .status(),
            201
        );
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = "/api/v1alpha1/vms?max_page_size=3".to_owned();
        if let Some(t) = &token {
            url.push_str(&format!("&page_token={t}"));
        }
        let page: Value = app.get(&url).await.json().await.expect("json");
        let items = page["results"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned()),
        );
        pages += 1;
        if pages == 1 {
            // Created between pages: must not disturb the traversal.
            assert_eq!(
                app.create("vms", "late", vm_spec("late")).await.status(),
                201
            );
        }
        match page["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    let mut expected: Vec<String> = (0..7).rev().map(|i| format!("p{i}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    expected.sort();
    let tampered = token_of(&app).await.replace('.', "x.");
    assert_eq!(
        app.get(&format!("/api/v1alpha1/vms?page_token={tampered}"))
            .await
            .status(),
        400
    );
    for bad in ["0", "101", "abc", "1.5"] {
        assert_eq!(
            app.get(&format!("/api/v1alpha1/vms?max_page_size={bad}"))
                .await
                .status(),
            400,
            "{bad}"
        );
    }
}

async fn token_of(app: &crate::helpers::TestApp) -> String {
    let page: Value = app
        .get("/api/v1alpha1/vms?max_page_size=1")
        .await
        .json()
        .await
        .expect("json");
    page["next_page_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn voc003_kcli024_k3s_cluster_becomes_active_with_kubeconfig() {
    let app = spawn_app().await;
    sim_control(
        &app.sim,
        "transitions",
        json!({"set": "complete", "stage_delay_seconds": 0.05}),
    )
    .await;
    let spec = json!({"service_type": "cluster", "metadata": {"name": "k1"}, "version": "1.31",
                      "nodes": {"control_plane": {"count": 1, "cpu": 2, "memory": "2GB"}},
                      "provider_hints": {"kcli": {"cluster_type": "k3s", "image": "small"}}});
    let created = app.create("clusters", "c1", spec).await;
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let active = app
        .wait_status(
            "/api/v1alpha1/clusters/c1",
            "ACTIVE",
            Duration::from_secs(20),
        )
        .await;
    assert!(
        active["api_endpoint"]
            .as_str()
            .is_some_and(|e| e.starts_with("https://")),
        "{active}"
    );
    assert!(active["kubeconfig"].is_string(), "KCLI-024: {active}");
    let list: Value = app
        .get("/api/v1alpha1/clusters")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        list["results"][0].get("kubeconfig").is_none(),
        "API-054: no credentials in lists"
    );
    let statuses = app.events().statuses("c1");
    assert_eq!(statuses.first().map(String::as_str), Some("PROGRESSING"));
    let active_event = app.events().wait_for("c1", "ACTIVE", WAIT).await;
    assert!(
        active_event.to_string().find("apiVersion").is_none(),
        "SEC-003: no kubeconfig in events"
    );
    assert_eq!(app.delete("/api/v1alpha1/clusters/c1").await.status(), 204);
    app.events().wait_for("c1", "DELETED", WAIT).await;
}

#[tokio::test]
async fn tmo005_cluster_that_never_gets_a_kubeconfig_fails_after_the_timeout() {
    let app = spawn_with(Options {
        nats: true,
        args: vec!["--cluster-create-timeout".into(), "1s".into()],
        ..Options::default()
    })
    .await;
    // testdriver transitions: k3s nodes appear but no kubeconfig ever does.
    let spec = json!({"service_type": "cluster", "metadata": {"name": "k2"},
                      "provider_hints": {"kcli": {"cluster_type": "k3s", "image": "small"}}});
    assert_eq!(app.create("clusters", "c2", spec).await.status(), 201);
    let failed = app
        .wait_status("/api/v1alpha1/clusters/c2", "FAILED", WAIT)
        .await;
    assert!(
        failed["status_message"]
            .as_str()
            .is_some_and(|m| m.contains("after 1s")),
        "{failed}"
    );
    assert!(
        !app.events().statuses("c2").iter().any(|s| s == "ACTIVE"),
        "VOC-003"
    );
    app.events().wait_for("c2", "FAILED", WAIT).await;
}

/// On paused time: `path` still shows `before` 1 ms before `due` has passed
/// since `since`, and shows `after` at most one transition poll (100 ms)
/// plus one probe of `wait_status` (20 ms) and a tick later.
async fn changes_at(
    app: &crate::helpers::TestApp,
    path: &str,
    since: tokio::time::Instant,
    due: Duration,
    (before, after): (&str, &str),
) {
    tokio::time::sleep_until(since + due - Duration::from_millis(1)).await;
    let early = app.json(path).await;
    assert_eq!(early["status"], before, "before {due:?}: {early}");
    app.wait_status(path, after, WAIT).await;
    let took = since.elapsed();
    assert!(
        took <= due + Duration::from_millis(125),
        "{after} after {took:?}, not at {due:?}"
    );
}

/// TMO-005 on paused time (no NATS; the events are checked above): the
/// cluster turns `FAILED` once CLUSTER_CREATE_TIMEOUT has passed since the
/// create, not before, and at the next poll after.
#[tokio::test(start_paused = true)]
async fn tmo005_cluster_create_timeout_fires_at_the_timeout_not_before() {
    let app = spawn_with(Options {
        args: vec!["--cluster-create-timeout".into(), "1s".into()],
        ..Options::default()
    })
    .await;
    let spec = json!({"service_type": "cluster", "metadata": {"name": "k3"},
                      "provider_hints": {"kcli": {"cluster_type": "k3s", "image": "small"}}});
    let created = tokio::time::Instant::now();
    assert_eq!(app.create("clusters", "c3", spec).await.status(), 201);
    let path = "/api/v1alpha1/clusters/c3";
    let due = Duration::from_secs(1);
    changes_at(&app, path, created, due, ("PROGRESSING", "FAILED")).await;
}

/// VOC-006 on paused time (no NATS; the events are checked above): a
/// powered-off new VM stays `PROVISIONING` for the whole
/// CREATE_GRACE_PERIOD and is `STOPPED` at the next poll after it.
#[tokio::test(start_paused = true)]
async fn voc006_grace_period_keeps_provisioning_until_it_ends() {
    let app = spawn_with(Options {
        args: vec!["--create-grace-period".into(), "1500ms".into()],
        ..Options::default()
    })
    .await;
    let mut spec = vm_spec("cold2");
    spec["provider_hints"] = json!({"kcli": {"start": false}});
    let created = tokio::time::Instant::now();
    assert_eq!(app.create("vms", "cold2", spec).await.status(), 201);
    let path = "/api/v1alpha1/vms/cold2";
    let due = Duration::from_millis(1_500);
    changes_at(&app, path, created, due, ("PROVISIONING", "STOPPED")).await;
}

#[tokio::test(start_paused = true)]
async fn api041_hlt003_backend_down_keeps_reads_and_health_200() {
    let app = spawn_with(Options::default()).await;
    assert_eq!(app.create("vms", "x", vm_spec("x")).await.status(), 201);
    let healthy = app
        .wait_status("/api/v1alpha1/vms/health", "healthy", WAIT)
        .await;
    assert_eq!(healthy["type"], "kcli-provider.dcm.io/health");
    sim_control(&app.sim, "backend", json!({"reachable": false})).await;
    let unhealthy = app
        .wait_status("/api/v1alpha1/clusters/health", "unhealthy", WAIT)
        .await;
    assert!(unhealthy["uptime"].is_u64(), "HLT-004 integer uptime");
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/api/v1alpha1/vms/x").await.status(), 200);
    assert_eq!(app.get("/api/v1alpha1/vms").await.status(), 200);
    // A create now gets a 502 problem and leaves nothing behind (API-015).
    let refused = app.create("vms", "y", vm_spec("y")).await;
    assert_eq!(refused.status(), 502);
    assert_eq!(app.get("/api/v1alpha1/vms/y").await.status(), 404);
}

#[tokio::test]
async fn orp003_orphans_are_listed_and_adopted_with_their_dcm_id() {
    let app = spawn_with(Options {
        nats: true,
        args: vec!["--orphan-policy".into(), "adopt".into()],
        ..Options::default()
    })
    .await;
    sim_control(&app.sim, "populate", json!({"vms": [
        {"name": "dcm-stray", "status": "up", "nets": ["default"], "plan": "kvirt", "profile": "small"},
        {"name": "dcm-lost", "status": "up", "nets": ["default"], "plan": "kvirt", "profile": "small", "metadata": {"owner": "dcm:lost-1"}},
        {"name": "not-ours", "status": "up", "plan": "kvirt"}],
        "clusters": [{"name": "dcm-ghost"}]})).await;
    testkit::eventually(WAIT, || async {
        let orphans: Value = app
            .get("/api/v1alpha1/orphans")
            .await
            .json()
            .await
            .expect("json");
        let names: Vec<&str> = orphans["results"]
            .as_array()
            .map(|l| l.iter().filter_map(|o| o["name"].as_str()).collect())
            .unwrap_or_default();
        if names == ["dcm-stray", "dcm-ghost"] {
            Ok(())
        } else {
            Err(format!("orphans: {orphans}"))
        }
    })
    .await;
    let adopted = app
        .wait_status("/api/v1alpha1/vms/lost-1", "RUNNING", WAIT)
        .await;
    assert_eq!(
        adopted["spec"],
        json!({"service_type": "vm", "metadata": {"name": "lost"}}),
        "ORP-005"
    );
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains("dcm_kcli_orphans{type=\"vm\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn voc006_powered_off_new_vm_is_provisioning_then_stopped() {
    let app = spawn_with(Options {
        nats: true,
        args: vec!["--create-grace-period".into(), "1500ms".into()],
        ..Options::default()
    })
    .await;
    let mut spec = vm_spec("cold");
    spec["provider_hints"] = json!({"kcli": {"start": false}});
    let lists_before = vm_lists(&app.sim).await;
    assert_eq!(app.create("vms", "cold", spec).await.status(), 201);
    // Five polls after the create (100 ms apart, so about 1 s before the
    // grace period ends) have seen the VM powered off.
    testkit::eventually(WAIT, || async {
        match vm_lists(&app.sim).await - lists_before {
            n if n >= 5 => Ok(()),
            n => Err(format!("{n} GET /vms since the create")),
        }
    })
    .await;
    let early: Value = app
        .get("/api/v1alpha1/vms/cold")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        early["status"], "PROVISIONING",
        "never seen running and inside the grace period: {early}"
    );
    app.wait_status("/api/v1alpha1/vms/cold", "STOPPED", WAIT)
        .await;
    app.events().wait_for("cold", "STOPPED", WAIT).await;
}

/// How many `GET /vms` kweb-sim at `sim` has answered (`/_sim/state` reads).
async fn vm_lists(sim: &str) -> u64 {
    sim_state(sim).await["reads"]["GET /vms"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn voc005_unmappable_state_keeps_status_then_fails() {
    let app = spawn_with(Options {
        nats: true,
        args: vec!["--unknown-state-timeout".into(), "1s".into()],
        ..Options::default()
    })
    .await;
    assert_eq!(app.create("vms", "odd", vm_spec("odd")).await.status(), 201);
    app.wait_status("/api/v1alpha1/vms/odd", "RUNNING", WAIT)
        .await;
    sim_control(
        &app.sim,
        "populate",
        json!({"vms": [{"name": "dcm-odd", "status": "nostate"}]}),
    )
    .await;
    let got: Value = testkit::eventually(WAIT, || async {
        let got: Value = app
            .get("/api/v1alpha1/vms/odd")
            .await
            .json()
            .await
            .expect("json");
        if got["status_message"]
            .as_str()
            .is_some_and(|m| m.contains("nostate"))
        {
            Ok(got)
        } else {
            Err(got)
        }
    })
    .await;
    assert_eq!(
        got["status"], "RUNNING",
        "VOC-005 keeps the last known status: {got}"
    );
    let failed = app
        .wait_status("/api/v1alpha1/vms/odd", "FAILED", WAIT)
        .await;
    assert!(
        failed["status_message"]
            .as_str()
            .is_some_and(|m| m.contains("UNKNOWN_STATE_TIMEOUT")),
        "{failed}"
    );
    app.events().wait_for("odd", "FAILED", WAIT).await;
}

#[tokio::test(start_paused = true)]
async fn evt043_without_nats_the_outbox_keeps_only_the_latest_status() {
    let app = spawn_with(Options::default()).await;
    assert_eq!(
        app.create("vms", "quiet", vm_spec("quiet")).await.status(),
        201
    );
    app.wait_status("/api/v1alpha1/vms/quiet", "RUNNING", WAIT)
        .await;
    // PROVISIONING, RUNNING and the startup republish were written; one remains.
    testkit::eventually(WAIT, || async {
        let metrics = app.get("/metrics").await.text().await.expect("metrics");
        assert!(
            metrics.contains("dcm_kcli_nats_publishing_enabled 0"),
            "{metrics}"
        );
        if metrics.contains("dcm_kcli_resources_managed{type=\"vm\"} 1") {
            Ok(())
        } else {
            Err(metrics)
        }
    })
    .await;
    let dir = app.stop().await;
    let store = kcli_provider::store::Store::open(&dir.path().join("state.db"), true)
        .expect("store reopens after shutdown");
    let (pending, _) = store.outbox_stats().expect("stats");
    assert_eq!(pending, 1, "EVT-043: one entry per resource");
}

#[tokio::test(start_paused = true)]
async fn orp006_delete_policy_removes_only_old_prefixed_orphans() {
    let app = spawn_with(Options {
        args: vec![
            "--orphan-policy".into(),
            "delete".into(),
            "--create-grace-period".into(),
            "300ms".into(),
        ],
        ..Options::default()
    })
    .await;
    sim_control(
        &app.sim,
        "populate",
        json!({"vms": [
        {"name": "dcm-junk", "status": "up", "plan": "kvirt"},
        {"name": "keep-me", "status": "up", "plan": "kvirt"}]}),
    )
    .await;
    testkit::eventually(WAIT, || async {
        let vms: Value = reqwest::get(format!("{}/vms", app.sim))
            .await
            .expect("sim")
            .json()
            .await
            .expect("json");
        let names: Vec<String> = vms["vms"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            names.iter().any(|n| n == "keep-me"),
            "never touches names without the prefix"
        );
        if names.iter().any(|n| n == "dcm-junk") {
            Err(format!("orphan not deleted: {names:?}"))
        } else {
            Ok(())
        }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn orp008_unreadable_store_is_a_startup_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("state.db"), b"not a redb file at all").expect("write");
    let args = crate::helpers::provider_args(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/api/v1alpha1",
        dir.path(),
        None,
        &[],
    );
    let config = <kcli_provider::Config as clap::Parser>::try_parse_from(&args).expect("args");
    let err = kcli_provider::Application::build(config)
        .await
        .expect_err("must not replace the file");
    assert!(err.to_string().starts_with("STATE_STORE_PATH"), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("state.db")).expect("read"),
        b"not a redb file at all"
    );
}

#[tokio::test(start_paused = true)]
async fn api034_concurrent_creates_with_one_id_make_one_backend_create() {
    let app = spawn_with(Options::default()).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let http = app.http.clone();
        let url = app.url("/api/v1alpha1/vms?id=same");
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({"spec": vm_spec("same")}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("join"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    let vms: Value = reqwest::get(format!("{}/vms", app.sim))
        .await
        .expect("sim")
        .json()
        .await
        .expect("json");
    let count = vms["vms"]
        .as_array()
        .map(|l| l.iter().filter(|v| v["name"] == "dcm-same").count());
    assert_eq!(count, Some(1));
}

#[tokio::test(start_paused = true)]
async fn kcli012_profile_cache_is_filled_before_the_first_request() {
    let app = spawn_with(Options::default()).await;
    let response = app
        .create(
            "vms",
            "first",
            json!({"service_type": "vm", "guest_os": {"type": "plan9"}}),
        )
        .await;
    assert_eq!(
        response.status(),
        422,
        "the very first create already checks profiles"
    );
}

#[tokio::test(start_paused = true)]
async fn reg023_starts_serves_and_registers_with_kweb_down() {
    let app = spawn_with(Options {
        kweb_url: Some("http://127.0.0.1:9".into()),
        ..Options::default()
    })
    .await;
    let health: Value = app
        .get("/api/v1alpha1/vms/health")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "unhealthy");
    assert_eq!(app.get("/api/v1alpha1/vms").await.status(), 200);
    testkit::eventually(WAIT, || async {
        let posts = app.dcm.registry.posts().len();
        if posts >= 2 {
            Ok(())
        } else {
            Err(format!("did not register: {posts} registrations"))
        }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn hlt012_health_is_unhealthy_once_graceful_shutdown_starts() {
    // SHUTDOWN_TIMEOUT 8s: health stays reachable and unhealthy for 2 s.
    let mut app = spawn_with(Options {
        args: vec!["--shutdown-timeout".into(), "8s".into()],
        ..Options::default()
    })
    .await;
    app.wait_status("/api/v1alpha1/vms/health", "healthy", WAIT)
        .await;
    app.begin_shutdown();
    // Paused time: 200 ms of virtual time, well past the moment the listener
    // would close without the lame-duck window, well inside that window.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A new connection, as a poller opens one: a refused connection fails.
    let poller = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let body: Value = poller
        .get(app.url("/api/v1alpha1/vms/health"))
        .send()
        .await
        .expect("HLT-012: health still answers after shutdown starts")
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "unhealthy", "HLT-012: {body}");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn hlt007_health_answers_within_1s_while_kweb_hangs() {
    let app = spawn_with(Options::default()).await;
    app.wait_status("/health", "healthy", WAIT).await;
    sim_control(
        &app.sim,
        "faults",
        json!({"path": "/host", "transport": "hang", "hang_seconds": 30}),
    )
    .await;
    for _ in 0..10 {
        let started = tokio::time::Instant::now();
        let response = app.get("/api/v1alpha1/vms/health").await;
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1), "HLT-007");
        // Paused time: the ten calls spread over 3 s of virtual time, past
        // the hung probe's timeout.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let body: Value = app
        .get("/api/v1alpha1/vms/health")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["status"], "unhealthy",
        "a hung probe turns unhealthy: {body}"
    );
}

#[tokio::test(start_paused = true)]
async fn hlt011_kweb_going_away_is_unhealthy_within_2s_with_default_probe_settings() {
    let testkit::Sim {
        url: sim,
        task: sim_task,
    } = testkit::kweb_sim().await;
    let app = spawn_with(Options {
        kweb_url: Some(sim),
        // The defaults (the harness shortens them): GET /host every 5 s.
        args: [
            "--health-probe-interval",
            "5s",
            "--health-probe-timeout",
            "3s",
        ]
        .map(str::to_owned)
        .to_vec(),
        ..Options::default()
    })
    .await;
    app.wait_status("/api/v1alpha1/vms/health", "healthy", WAIT)
        .await;
    // Paused time: 1.5 s of virtual time put the loss between two GET /host
    // probes, where only the listening check sees it.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    sim_task.abort();
    let gone = tokio::time::Instant::now();
    let body = app
        .wait_status(
            "/api/v1alpha1/vms/health",
            "unhealthy",
            Duration::from_secs(10),
        )
        .await;
    let took = gone.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "HLT-011: unhealthy after {took:?}: {body}"
    );
    assert_eq!(body["detail"], "backend not reachable", "HLT-006");
}
