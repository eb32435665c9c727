//! Test helpers: an in-process simulator on port 0 and a raw TCP client.

use std::net::SocketAddr;
use std::time::Duration;

use kweb_sim::{Application, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running simulator.
pub(crate) struct TestApp {
    pub(crate) addr: SocketAddr,
}

/// Starts a simulator with `config` on `127.0.0.1:0`.
pub(crate) async fn spawn_app_with(mut config: Config) -> TestApp {
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let app = Application::build(config).await.expect("build simulator");
    let addr = app.local_addr().expect("local addr");
    tokio::spawn(app.run_until_stopped());
    TestApp { addr }
}

/// Starts a default (testdriver) simulator with a fixed seed and the seeded volumes.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(Config {
        seed: Some(7),
        seed_images: vec![
            "cirros.qcow2".into(),
            "ubuntu2404".into(),
            "boot.iso".into(),
        ],
        ..Config::default()
    })
    .await
}

/// A parsed response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status_line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Sends raw bytes, reads until the server closes, parses the response.
pub(crate) async fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let bytes = raw_bytes(addr, request).await;
    parse(&bytes)
}

pub(crate) async fn raw_bytes(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("server closed in time")
        .expect("read");
    out
}

pub(crate) fn parse(bytes: &[u8]) -> Reply {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Reply {
        status_line,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

/// One request with an optional JSON body.
pub(crate) async fn call(addr: SocketAddr, method: &str, path: &str, json: Option<&str>) -> Reply {
    let req = match json {
        Some(b) => format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        ),
        None => format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    };
    raw(addr, req.as_bytes()).await
}

/// One urlencoded form request.
pub(crate) async fn form(addr: SocketAddr, method: &str, path: &str, body: &str) -> Reply {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw(addr, req.as_bytes()).await
}
