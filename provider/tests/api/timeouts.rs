//! Connection timeouts of Appendix A.1 (`READ_TIMEOUT`, `IDLE_TIMEOUT`),
//! checked with a raw TCP client against the real listener, and request
//! timeouts against a slow kweb-sim (TMO-002, TMO-007), on paused tokio time:
//! the timers fire at exact virtual times.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, sim_control, spawn_with, vm_spec};

/// Upper bound for the server to act (virtual time), far above the
/// configured timeouts.
const PATIENCE: Duration = Duration::from_secs(10);

/// How late (virtual time) the server may close after a timeout: a timer
/// fires on the next millisecond tick.
const TICK: Duration = Duration::from_millis(5);

/// Reads until the server closes the connection; returns what was read and
/// how long it took, or `None` if it stayed open for `PATIENCE`.
async fn read_until_closed(stream: &mut TcpStream) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some((received, started.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

fn with_timeouts(read: &str, idle: &str) -> Options {
    Options {
        args: vec![
            "--read-timeout".into(),
            read.into(),
            "--idle-timeout".into(),
            idle.into(),
        ],
        ..Options::default()
    }
}

/// Appendix A.1 READ_TIMEOUT: a client that sends half a request head is
/// disconnected once READ_TIMEOUT has passed, not before, and gets no answer.
#[tokio::test(start_paused = true)]
async fn read_timeout_closes_a_connection_with_half_a_request_head() {
    let app = spawn_with(with_timeouts("500ms", "60s")).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream
        .write_all(b"GET /api/v1alpha1/health HTTP/1.1\r\nHost: provider\r\n")
        .await
        .expect("write half a head");
    let (received, took) = read_until_closed(&mut stream)
        .await
        .expect("connection still open long after READ_TIMEOUT");
    assert!(received.is_empty(), "unexpected answer: {received:?}");
    let read = Duration::from_millis(500);
    assert!(
        took >= read && took <= read + TICK,
        "closed after {took:?}, not at READ_TIMEOUT"
    );
}

/// Appendix A.1 IDLE_TIMEOUT: a keep-alive connection that served one
/// request and then stays silent is closed after IDLE_TIMEOUT, not before.
#[tokio::test(start_paused = true)]
async fn idle_timeout_closes_an_idle_keep_alive_connection() {
    let app = spawn_with(with_timeouts("60s", "700ms")).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream
        .write_all(b"GET /api/v1alpha1/health HTTP/1.1\r\nHost: provider\r\n\r\n")
        .await
        .expect("write request");
    let mut buf = [0_u8; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
        .await
        .expect("response within PATIENCE")
        .expect("read response");
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 "), "not an HTTP answer: {head}");
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "server did not keep the connection alive: {head}"
    );
    let (_, took) = read_until_closed(&mut stream)
        .await
        .expect("idle connection still open long after IDLE_TIMEOUT");
    let idle = Duration::from_millis(700);
    assert!(
        took >= idle && took <= idle + TICK,
        "closed after {took:?}, not at IDLE_TIMEOUT"
    );
}

/// Makes kweb-sim answer `method` on `path` (a glob) after `seconds`.
async fn slow_kweb(app: &TestApp, method: &str, path: &str, seconds: u64) {
    sim_control(
        &app.sim,
        "effects",
        json!({"rules": [{"method": method, "path": path, "latency_ms": seconds * 1000}]}),
    )
    .await;
}

/// API-014: a create kweb answers after 3 s gets `201 PROVISIONING` at
/// CREATE_SYNC_TIMEOUT (2 s) and finishes in the background. kweb's VM list
/// fails meanwhile, so only the background create can change the record
/// (ORP-007: a failed list changes nothing).
#[tokio::test(start_paused = true)]
async fn api014_slow_create_answers_201_provisioning_and_finishes_in_background() {
    let sync = Duration::from_secs(2);
    let app = spawn_with(Options::default()).await;
    sim_control(
        &app.sim,
        "faults",
        json!({"method": "GET", "path": "/vms", "response": {"status": 500, "content_type": "text/plain", "body": "down"}}),
    )
    .await;
    slow_kweb(&app, "POST", "/vms", 3).await;
    let started = Instant::now();
    let response = app.create("vms", "slow", vm_spec("slow")).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 201);
    assert!(
        took >= sync && took <= sync + TICK,
        "answered after {took:?}, not at CREATE_SYNC_TIMEOUT (2s)"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "PROVISIONING");
    // The background create commits: the intent is cleared and the first event written.
    testkit::eventually(Duration::from_secs(10), || async {
        let got = app.json("/api/v1alpha1/vms/slow").await;
        if got["status_message"]
            .as_str()
            .is_some_and(|m| m.starts_with("created"))
        {
            Ok(())
        } else {
            Err(got)
        }
    })
    .await;
}

/// TMO-007: shutdown cancels a background create that outlives
/// CREATE_SYNC_TIMEOUT (2 s) and SHUTDOWN_TIMEOUT (2 s), and releases the
/// store for the next start.
#[tokio::test(start_paused = true)]
async fn tmo007_shutdown_cancels_a_hanging_background_create_and_releases_the_store() {
    let app = spawn_with(Options::default()).await;
    slow_kweb(&app, "POST", "/vms", 60).await;
    let response = app.create("vms", "hang", vm_spec("hang")).await;
    assert_eq!(response.status(), 201);
    let kweb = app.sim.clone();
    let stopping = Instant::now();
    let dir = app.stop().await;
    let took = stopping.elapsed();
    assert!(
        took <= Duration::from_secs(2) + TICK,
        "shutdown took {took:?}, more than SHUTDOWN_TIMEOUT"
    );
    // run_until has returned: the redb file must be free for the next start.
    let restarted = spawn_with(Options {
        kweb_url: Some(kweb),
        state_dir: Some(dir),
        ..Options::default()
    })
    .await;
    let got = restarted.get("/api/v1alpha1/vms/hang").await;
    assert_eq!(
        got.status(),
        200,
        "the acknowledged create survives the restart"
    );
}

/// TMO-007: a request whose body never arrives stays in flight until
/// READ_TIMEOUT (30 s), far past SHUTDOWN_TIMEOUT (1 s). Shutdown cuts its
/// connection with the rest, so the store is free the moment the provider
/// has stopped and the next start opens it (without the cut: the
/// connection task kept the router and the store, `DatabaseAlreadyOpen`).
#[tokio::test(start_paused = true)]
async fn tmo007_a_request_in_flight_at_shutdown_timeout_does_not_keep_the_store_open() {
    let app = spawn_with(Options {
        args: ["--shutdown-timeout", "1s", "--read-timeout", "30s"]
            .map(str::to_owned)
            .to_vec(),
        ..Options::default()
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    // A whole request first: its answer proves the connection is served.
    stream
        .write_all(b"GET /api/v1alpha1/vms/health HTTP/1.1\r\nHost: sp\r\n\r\n")
        .await
        .expect("write");
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).await.expect("health answer");
    assert_eq!(&head, b"HTTP/1.1 200", "health answered on the connection");
    // Then a create whose body stops after one byte of the announced 100.
    stream
        .write_all(
            b"POST /api/v1alpha1/vms?id=held HTTP/1.1\r\nHost: sp\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .expect("write");
    let kweb = app.sim.clone();
    let dir = app.stop().await;
    // Builds the provider on the same state file: panics while it is held.
    let restarted = spawn_with(Options {
        kweb_url: Some(kweb),
        state_dir: Some(dir),
        ..Options::default()
    })
    .await;
    assert_eq!(restarted.get("/health").await.status(), 200);
    drop(stream);
}

/// TMO-002: a delete kweb does not answer within REQUEST_TIMEOUT is a 504
/// (never 502) before REQUEST_TIMEOUT, and the resource stays `DELETING`.
#[tokio::test(start_paused = true)]
async fn tmo002_slow_delete_is_504_and_stays_deleting() {
    let request_timeout = Duration::from_millis(1_500);
    let app = spawn_with(Options {
        args: vec![
            "--request-timeout".into(),
            "1500ms".into(),
            "--create-sync-timeout".into(),
            "1s".into(),
        ],
        ..Options::default()
    })
    .await;
    assert_eq!(app.create("vms", "t1", vm_spec("t1")).await.status(), 201);
    slow_kweb(&app, "DELETE", "/vms/*", 30).await;
    let started = Instant::now();
    let response = app.delete("/api/v1alpha1/vms/t1").await;
    let took = started.elapsed();
    assert_eq!(response.status(), 504);
    assert!(took <= request_timeout, "answered after {took:?}");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["type"], "https://dcm-project.github.io/problems/backend-timeout",
        "never 502: {body}"
    );
    let got = app.json("/api/v1alpha1/vms/t1").await;
    assert_eq!(got["status"], "DELETING", "TMO-002: stays DELETING");
    assert_eq!(
        app.delete("/api/v1alpha1/vms/t1").await.status(),
        204,
        "API-062: a repeated delete is 204"
    );
}
