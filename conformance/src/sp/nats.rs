//! Finding a NATS server for the run (issue 4 "Targets"; design.md "NATS").
//!
//! Order: `--nats-url`; else `nats-server` on `PATH`, started on a free
//! loopback port with JetStream and a temporary store dir (killed on drop);
//! else a clear error that says how to install it. A Docker engine is only
//! mentioned in the error: this build does not link testcontainers.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Errors while finding or starting NATS.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// No URL given and no `nats-server` binary found.
    #[error(
        "no NATS server: pass --nats-url nats://host:4222, or install nats-server 2.9+ \
         (Debian/Ubuntu: `apt-get install -y nats-server`; or download it from \
         https://github.com/nats-io/nats-server/releases) so the suite can start one{docker}"
    )]
    NotFound {
        /// Extra hint when a Docker socket exists.
        docker: String,
    },
    /// The binary could not be started or never accepted connections.
    #[error("starting {binary} failed: {reason}")]
    Start {
        /// Path of the binary.
        binary: String,
        /// Cause.
        reason: String,
    },
}

/// A NATS server the suite uses; stops the process it started on drop.
#[derive(Debug)]
pub struct NatsServer {
    url: String,
    child: Option<Child>,
    binary: Option<PathBuf>,
    port: u16,
    _store: Option<tempfile::TempDir>,
}

impl NatsServer {
    /// Uses `url` when given, else starts `nats-server` from `PATH`.
    ///
    /// # Errors
    /// [`NatsError`] with an install hint.
    pub async fn discover(url: Option<&str>) -> Result<Self, NatsError> {
        if let Some(url) = url {
            return Ok(Self {
                url: url.to_owned(),
                child: None,
                binary: None,
                port: 0,
                _store: None,
            });
        }
        let Some(binary) = find_on_path("nats-server") else {
            let docker = if std::path::Path::new("/var/run/docker.sock").exists() {
                "; a Docker socket exists, so `docker run -d -p 4222:4222 nats:2.10 -js` and \
                 --nats-url nats://127.0.0.1:4222 also work"
                    .to_owned()
            } else {
                String::new()
            };
            return Err(NatsError::NotFound { docker });
        };
        Self::start(binary).await
    }

    async fn start(binary: PathBuf) -> Result<Self, NatsError> {
        let err = |reason: String| NatsError::Start {
            binary: binary.display().to_string(),
            reason,
        };
        let store = tempfile::tempdir().map_err(|e| err(format!("temp dir: {e}")))?;
        let port = free_port().map_err(|e| err(format!("no free port: {e}")))?;
        let child = spawn(&binary, port, store.path()).map_err(|e| err(e.to_string()))?;
        let mut server = Self {
            url: format!("nats://127.0.0.1:{port}"),
            child: Some(child),
            binary: Some(binary.clone()),
            port,
            _store: Some(store),
        };
        server.wait_ready().await.map_err(err)?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        for _ in 0..100 {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("nats-server exited with {status}"));
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "nats-server did not accept connections on {addr} within 5 s"
        ))
    }

    /// The client URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the suite started (and so can stop and restart) this server.
    #[must_use]
    pub fn is_managed(&self) -> bool {
        self.child.is_some() || self.binary.is_some()
    }

    /// Stops a managed server (for NATS-outage scenarios).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts a stopped managed server on the same port and store.
    ///
    /// # Errors
    /// A readable reason when the server cannot be started again.
    pub async fn restart(&mut self) -> Result<(), String> {
        let Some(binary) = self.binary.clone() else {
            return Err("the NATS server was not started by the suite".into());
        };
        self.stop();
        let store = self
            ._store
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default();
        self.child = Some(spawn(&binary, self.port, &store).map_err(|e| e.to_string())?);
        self.wait_ready().await
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn(binary: &PathBuf, port: u16, store: &std::path::Path) -> std::io::Result<Child> {
    Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
