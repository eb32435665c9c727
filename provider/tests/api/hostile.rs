//! Hostile kweb answers (wiremock), contract §14.6.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Options, TestApp, spawn_with, vm_spec};

const HTML_500: &str = "\n<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head><title>Error: 500 Internal Server Error</title></head><body><pre>Traceback http://10.0.0.1:8000/secret</pre></body></html>\n";

async fn kweb() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/host"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/vmprofiles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"profiles": {"small": {}}})))
        .mount(&server)
        .await;
    server
}

async fn app_on(server: &MockServer) -> TestApp {
    spawn_with(Options {
        kweb_url: Some(server.uri()),
        ..Options::default()
    })
    .await
}

async fn post_vms_answer(template: ResponseTemplate) -> (MockServer, TestApp) {
    let server = kweb().await;
    Mock::given(method("POST"))
        .and(path("/vms"))
        .respond_with(template)
        .mount(&server)
        .await;
    let app = app_on(&server).await;
    (server, app)
}

/// How many `GET /vms` the mock kweb has received.
async fn vm_lists(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method == wiremock::http::Method::GET && r.url.path() == "/vms")
        .count()
}

async fn create_problem(app: &TestApp, id: &str) -> (u16, Value) {
    let response = app.create("vms", id, vm_spec(id)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn kcli061_html_500_is_a_sanitised_502() {
    let (_server, app) = post_vms_answer(
        ResponseTemplate::new(500).set_body_raw(HTML_500, "text/html; charset=UTF-8"),
    )
    .await;
    let (status, body) = create_problem(&app, "h1").await;
    assert_eq!(status, 502, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        !detail.contains('<') && !detail.contains("http://") && !detail.contains("Traceback"),
        "ERR-006: {detail}"
    );
    assert_eq!(
        app.get("/api/v1alpha1/vms/h1").await.status(),
        404,
        "API-015: no record kept"
    );
}

#[tokio::test]
async fn kcli061_already_exists_is_409() {
    let body = json!({"result": "failure", "reason": "VM dcm-h2 already exists"});
    let (_server, app) = post_vms_answer(ResponseTemplate::new(200).set_body_json(body)).await;
    assert_eq!(create_problem(&app, "h2").await.0, 409);
}

#[tokio::test]
async fn kcli062_image_not_found_is_422() {
    let body = json!({"result": "failure", "reason": "Image fedora41 not found"});
    let (_server, app) = post_vms_answer(ResponseTemplate::new(200).set_body_json(body)).await;
    assert_eq!(create_problem(&app, "h3").await.0, 422);
}

#[tokio::test]
async fn kcli060_failure_without_reason_empty_and_truncated_bodies_are_502() {
    for template in [
        ResponseTemplate::new(200).set_body_json(json!({"result": "failure"})),
        ResponseTemplate::new(200).set_body_raw("", "text/html; charset=UTF-8"),
        ResponseTemplate::new(200).set_body_raw("{\"result\": \"succ", "application/json"),
        ResponseTemplate::new(500).set_body_raw(
            "A server error occurred.  Please contact the administrator.",
            "text/plain",
        ),
        ResponseTemplate::new(200).set_body_json(json!({})),
    ] {
        let (_server, app) = post_vms_answer(template).await;
        let (status, body) = create_problem(&app, "h4").await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(
            body["type"],
            "https://dcm-project.github.io/problems/backend-unavailable"
        );
    }
}

#[tokio::test]
async fn kcli060_readonly_kweb_is_502_read_only() {
    let (_server, app) = post_vms_answer(ResponseTemplate::new(403).set_body_json(json!({}))).await;
    let (status, body) = create_problem(&app, "h5").await;
    assert_eq!(status, 502);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("read-only")),
        "{body}"
    );
}

#[tokio::test]
async fn api063_kcli063_delete_with_html_500_and_empty_get_is_204() {
    let server = kweb().await;
    Mock::given(method("POST"))
        .and(path("/vms"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/vms/dcm-d1"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(HTML_500, "text/html; charset=UTF-8"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/vms/dcm-d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let app = app_on(&server).await;
    assert_eq!(app.create("vms", "d1", vm_spec("d1")).await.status(), 201);
    assert_eq!(app.delete("/api/v1alpha1/vms/d1").await.status(), 204);
    assert_eq!(app.get("/api/v1alpha1/vms/d1").await.status(), 404);
}

#[tokio::test]
async fn sec008_orp007_oversized_vm_list_changes_nothing() {
    let server = kweb().await;
    Mock::given(method("POST"))
        .and(path("/vms"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .mount(&server)
        .await;
    let huge = format!("[{{\"name\": \"x\"}}]{}", " ".repeat(20 * 1024 * 1024));
    Mock::given(method("GET"))
        .and(path("/vms"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&server)
        .await;
    let app = spawn_with(Options {
        kweb_url: Some(server.uri()),
        args: vec!["--create-grace-period".into(), "100ms".into()],
        ..Options::default()
    })
    .await;
    let lists_before = vm_lists(&server).await;
    assert_eq!(app.create("vms", "big", vm_spec("big")).await.status(), 201);
    // An absence: nine lists after the create, each started at least 100 ms
    // (TRANSITION_POLL_INTERVAL) after the one before, so the first eight,
    // fully handled, reach past the 100 ms grace period.
    testkit::eventually(Duration::from_secs(20), || async {
        match vm_lists(&server).await - lists_before {
            n if n >= 9 => Ok(()),
            n => Err(format!("{n} GET /vms since the create")),
        }
    })
    .await;
    let got: Value = app
        .get("/api/v1alpha1/vms/big")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        got["status"], "PROVISIONING",
        "a failed list is not 'everything disappeared': {got}"
    );
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(metrics.contains("operation=\"GET /vms\""), "{metrics}");
}
