//! Graceful shutdown lets go of everything (TMO-007): a connection still
//! in flight at `SHUTDOWN_TIMEOUT` is cut with the rest, so the state file
//! is free the moment `run_until` returns and the next start opens it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Options, provider_args, spawn_with};

/// TMO-007: a request whose body never arrives stays in flight until
/// `READ_TIMEOUT` (30 s here), far past `SHUTDOWN_TIMEOUT` (1 s). Shutdown
/// must not leave its connection running with the store open: the same
/// state file opens again right after the provider stopped. On paused
/// time: the shutdown deadline passes in virtual time.
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
    let registry = app.dcm.base_url();
    let dir = app.stop().await;
    let args = provider_args(&kweb, &registry, dir.path(), None, &[]);
    let config = <kcli_provider::Config as clap::Parser>::try_parse_from(&args)
        .expect("valid test arguments");
    let reopened = tokio::time::timeout(
        Duration::from_secs(5),
        kcli_provider::Application::build(config),
    )
    .await
    .expect("build is bounded");
    assert!(
        reopened.is_ok(),
        "TMO-007: the state file is still held after shutdown: {:?}",
        reopened.err()
    );
    drop(stream);
}
