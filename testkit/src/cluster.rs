//! A JetStream cluster of real `nats-server` processes on loopback: one
//! configuration file per node (`server_name`, client, monitoring and route
//! ports, its own store dir), every node routing to the others.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::{INSTALL_HINT, free_port};

/// One node: its client port, monitoring port, configuration and process.
#[derive(Debug)]
pub struct Node {
    port: u16,
    monitor_port: u16,
    config: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// The client URL `nats://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Whether the process runs.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Stops the node (SIGKILL).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn start(&mut self) {
        self.stop();
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("nats-server: {e}; {INSTALL_HINT}"));
        self.child = Some(child);
        // A real process: wall-clock wait until it accepts clients.
        crate::eventually(Duration::from_secs(5), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .map(drop)
        })
        .await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running cluster; every node is killed on drop.
#[derive(Debug)]
pub struct Cluster {
    /// The nodes, in start order.
    pub nodes: Vec<Node>,
    _dir: TempDir,
}

impl Cluster {
    /// Starts `size` clustered nodes (cluster name `dcm`) and waits until
    /// each accepts clients.
    ///
    /// # Panics
    /// Without `nats-server` on `PATH`, or when a node does not start.
    pub async fn start(size: usize) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let route_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for (n, route) in route_ports.iter().enumerate() {
            let (port, monitor_port) = (free_port(), free_port());
            let routes: Vec<String> = route_ports
                .iter()
                .enumerate()
                .filter(|(m, _)| *m != n)
                .map(|(_, p)| format!("nats-route://127.0.0.1:{p}"))
                .collect();
            let store = dir.path().join(format!("n{n}"));
            let config = dir.path().join(format!("n{n}.conf"));
            std::fs::write(
                &config,
                format!(
                    "server_name: n{n}\nlisten: 127.0.0.1:{port}\nhttp: 127.0.0.1:{monitor_port}\n\
                     jetstream {{ store_dir: \"{store}\" }}\n\
                     cluster {{ name: dcm, listen: 127.0.0.1:{route}, routes: [{routes}] }}\n",
                    store = store.display(),
                    routes = routes.join(", "),
                ),
            )
            .unwrap_or_else(|e| panic!("write {}: {e}", config.display()));
            let mut node = Node {
                port,
                monitor_port,
                config,
                child: None,
            };
            node.start().await;
            nodes.push(node);
        }
        Self { nodes, _dir: dir }
    }

    /// Every node's URL, comma-separated, as `NATS_URL` takes them.
    #[must_use]
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(Node::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The URLs of the nodes still running.
    #[must_use]
    pub fn running_urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.is_running())
            .map(Node::url)
            .collect()
    }

    /// The index of the running node that holds a client connection named
    /// `name` (from its `/connz` monitoring page).
    pub async fn node_with_client(&self, name: &str) -> Option<usize> {
        for (n, node) in self.nodes.iter().enumerate() {
            if !node.is_running() {
                continue;
            }
            let url = format!("http://127.0.0.1:{}/connz", node.monitor_port);
            let Ok(response) = reqwest::get(&url).await else {
                continue;
            };
            let connz: Value = response.json().await.unwrap_or(Value::Null);
            let found = connz["connections"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["name"] == name));
            if found {
                return Some(n);
            }
        }
        None
    }
}
