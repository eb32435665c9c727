//! Every error is problem+json from the slug table (contract §7, §8).

use serde_json::{Value, json};

use crate::helpers::{Options, spawn_with, vm_spec};

async fn problem(response: reqwest::Response, status: u16, slug: &str) -> Value {
    assert_eq!(response.status(), status);
    let ct = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json", "ERR-001");
    assert!(response.headers().contains_key("x-request-id"), "ERR-007");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(
        body["type"],
        format!("https://dcm-project.github.io/problems/{slug}"),
        "{body}"
    );
    assert_eq!(body["status"], status);
    assert!(
        body["instance"]
            .as_str()
            .is_some_and(|i| i.starts_with('/')),
        "{body}"
    );
    body
}

#[tokio::test]
async fn val001_to_val015_rejections_are_problems() {
    let app = spawn_with(Options::default()).await;
    let url = app.url("/api/v1alpha1/vms?id=v1");
    let bad_json = app
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"spec\":")
        .send()
        .await
        .expect("send");
    problem(bad_json, 400, "invalid-argument").await;
    let wrong_type = app
        .http
        .post(&url)
        .header("content-type", "text/plain")
        .body("{\"spec\": {}}")
        .send()
        .await
        .expect("send");
    problem(wrong_type, 400, "invalid-argument").await;
    let no_spec = app
        .http
        .post(&url)
        .json(&json!({"spec": "x"}))
        .send()
        .await
        .expect("send");
    problem(no_spec, 400, "invalid-argument").await;
    let body = problem(
        app.create(
            "vms",
            "v1",
            json!({"service_type": "vm", "memory": {"size": "4G"}}),
        )
        .await,
        400,
        "invalid-argument",
    )
    .await;
    assert_eq!(
        body["errors"][0]["field"], "spec.memory.size",
        "ERR-008: {body}"
    );
    problem(
        app.create("vms", "v1", json!({"service_type": "cluster"}))
            .await,
        400,
        "invalid-argument",
    )
    .await;
    problem(
        app.create("vms", "bad%20id", vm_spec("a")).await,
        400,
        "invalid-argument",
    )
    .await;
    problem(
        app.create("vms", "health", vm_spec("a")).await,
        400,
        "invalid-argument",
    )
    .await;
    let huge = format!(
        "{{\"spec\": {{\"service_type\": \"vm\", \"x\": \"{}\"}}}}",
        "a".repeat(1_100_000)
    );
    let too_large = app
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("send");
    problem(too_large, 413, "payload-too-large").await;
    let method = app
        .http
        .put(app.url("/api/v1alpha1/vms"))
        .send()
        .await
        .expect("send");
    let allow = method
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        allow.contains("GET") && allow.contains("POST"),
        "VAL-013 Allow: {allow}"
    );
    problem(method, 405, "method-not-allowed").await;
    problem(app.get("/api/v1alpha1/nothing").await, 404, "not-found").await;
    problem(app.get("/api/v1alpha1/vms/-bad-").await, 404, "not-found").await;
    let unknown_profile = problem(
        app.create(
            "vms",
            "v2",
            json!({"service_type": "vm", "guest_os": {"type": "plan9"}}),
        )
        .await,
        422,
        "unprocessable-entity",
    )
    .await;
    assert!(
        unknown_profile["detail"]
            .as_str()
            .is_some_and(|d| d.contains("small")),
        "VAL-011 lists accepted: {unknown_profile}"
    );
    let kind =
        json!({"service_type": "cluster", "provider_hints": {"kcli": {"cluster_type": "kind"}}});
    problem(
        app.create("clusters", "c", kind).await,
        422,
        "unprocessable-entity",
    )
    .await;
    let hint = json!({"service_type": "vm", "provider_hints": {"kcli": {"cmds": ["id"]}}});
    problem(
        app.create("vms", "v3", hint).await,
        422,
        "unprocessable-entity",
    )
    .await;
    // VAL-015: nothing was created by any rejected request.
    let list: Value = app
        .get("/api/v1alpha1/vms")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["results"], json!([]));
}

#[tokio::test]
async fn sec001_bearer_token_guards_everything_but_health() {
    let app = spawn_with(Options {
        args: vec!["--sp-auth-token".into(), "s3cret".into()],
        ..Options::default()
    })
    .await;
    let denied = app.get("/api/v1alpha1/vms").await;
    assert_eq!(
        denied
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    problem(denied, 401, "unauthenticated").await;
    assert_eq!(
        app.get("/api/v1alpha1/vms/health").await.status(),
        200,
        "HLT-008"
    );
    assert_eq!(app.get("/health").await.status(), 200);
    let allowed = app
        .http
        .get(app.url("/api/v1alpha1/vms"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("send");
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn agt002_agt003_bare_spec_with_idempotency_key() {
    let app = spawn_with(Options::default()).await;
    let send = || {
        app.http
            .post(app.url("/api/v1alpha1/vms"))
            .header("Idempotency-Key", "evt-123")
            .json(&vm_spec("agent"))
            .send()
    };
    let first = send().await.expect("send");
    assert_eq!(first.status(), 201);
    let id = first.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let expected = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        b"urn:dcm:idempotency-key:evt-123",
    )
    .to_string();
    assert_eq!(id, expected);
    assert_eq!(send().await.expect("send").status(), 200, "AGT-004 replay");
}

/// Sends `head` and then all of `body` before reading anything, as Python's
/// `http.client` does, and returns what the provider answered.
async fn send_all_then_read(addr: std::net::SocketAddr, head: String, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The head goes first and the body 100 ms later, as from a client on a
    // real network: a server that answers and closes after the head (the old
    // behaviour) has done so by then (under paused time the server runs
    // before the virtual clock moves).
    let exchange = async {
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| format!("writing the head failed: {e}"))?;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        stream
            .write_all(&body)
            .await
            .map_err(|e| format!("writing the body failed: {e}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|e| format!("reading the answer failed: {e}"))?;
        Ok::<_, String>(String::from_utf8_lossy(&answer).into_owned())
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), exchange)
        .await
        .expect("answered within 20 s")
        .unwrap_or_else(|e| panic!("VAL-012: {e}"))
}

#[tokio::test(start_paused = true)]
async fn val012_a_client_that_sends_a_2_mib_body_first_reads_the_413() {
    let app = spawn_with(Options::default()).await;
    let payload = format!(
        "{{\"spec\": {{\"service_type\": \"vm\", \"x\": \"{}\"}}}}",
        "a".repeat(2 * 1024 * 1024)
    )
    .into_bytes();
    let host = app.addr;
    let with_length = format!(
        "POST /api/v1alpha1/vms?id=big HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    let mut chunked_body = Vec::new();
    for chunk in payload.chunks(64 * 1024) {
        chunked_body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked_body.extend_from_slice(chunk);
        chunked_body.extend_from_slice(b"\r\n");
    }
    chunked_body.extend_from_slice(b"0\r\n\r\n");
    let chunked = format!(
        "POST /api/v1alpha1/vms?id=big HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for (what, head, body) in [
        ("Content-Length", with_length, payload.clone()),
        ("chunked", chunked, chunked_body),
    ] {
        let answer = send_all_then_read(app.addr, head, body).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{what}: {}",
            &answer[..answer.len().min(300)]
        );
        assert!(
            answer.contains("application/problem+json")
                && answer.contains("https://dcm-project.github.io/problems/payload-too-large"),
            "{what}: {answer}"
        );
    }
    assert_eq!(
        app.get("/api/v1alpha1/vms/big").await.status(),
        404,
        "VAL-012: nothing was created"
    );
}
