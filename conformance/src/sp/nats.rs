//! Finding a NATS server for the run (issue 4 "Targets"; design.md "NATS").
//!
//! Order ([`choose`]): `--nats-url`; else `nats-server` on `PATH`, started on a
//! free loopback port with JetStream and a temporary store dir (killed on
//! drop); else, when a Docker engine answers, the testcontainers NATS module
//! (`nats:2.10.14`, or the image named by [`NATS_IMAGE_ENV`]; JetStream on,
//! client port 4222 mapped to a random host port, removed on drop); else a
//! clear error that says how to install it.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ImageExt};
use testcontainers_modules::nats::{Nats, NatsServerCmd};

/// Where [`NatsServer::discover`] gets its server from, in order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatsSource {
    /// `--nats-url` was given: use it as is.
    Url(String),
    /// Start this `nats-server` binary (found on `PATH`).
    Binary(PathBuf),
    /// Start the testcontainers NATS module on the Docker engine.
    Docker,
    /// Nothing usable: report [`NatsError::NotFound`].
    Missing,
}

/// The discovery order: URL, then `nats-server` binary, then a Docker engine
/// that answers, else [`NatsSource::Missing`].
#[must_use]
pub fn choose(url: Option<&str>, binary: Option<PathBuf>, docker_answers: bool) -> NatsSource {
    match (url, binary) {
        (Some(url), _) => NatsSource::Url(url.to_owned()),
        (None, Some(binary)) => NatsSource::Binary(binary),
        (None, None) if docker_answers => NatsSource::Docker,
        (None, None) => NatsSource::Missing,
    }
}

/// Environment variable naming the image of the container path as
/// `NAME[:TAG]`, e.g. `localhost/nats-server:bookworm` (built from Debian's
/// `nats-server` by `deploy/local/base-images` where no registry can be
/// reached). Unset or empty: the testcontainers module's `nats:2.10.14`.
/// The image must behave like the official one: entrypoint `nats-server`,
/// flags as the command, "Server is ready" on stderr.
pub const NATS_IMAGE_ENV: &str = "DCM_CONFORMANCE_NATS_IMAGE";

/// A container image reference split the way testcontainers takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Repository, with registry host and port when given (`localhost/nats-server`).
    pub name: String,
    /// Tag; `latest` when the reference has none.
    pub tag: String,
}

/// Parses `NAME[:TAG]` ([`NATS_IMAGE_ENV`]). A `:` before the last `/`
/// belongs to a registry port (`registry:5000/nats`), not to the tag.
///
/// # Errors
/// A readable reason for an empty name or tag, or a digest (`@sha256:…`),
/// which testcontainers cannot take as a tag.
pub fn image_ref(value: &str) -> Result<ImageRef, String> {
    let value = value.trim();
    if value.contains('@') {
        return Err(format!(
            "{NATS_IMAGE_ENV}={value}: digests are not supported, use NAME:TAG"
        ));
    }
    let last_slash = value.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match value[last_slash..].rfind(':') {
        Some(i) => (&value[..last_slash + i], &value[last_slash + i + 1..]),
        None => (value, "latest"),
    };
    if name.is_empty() || name.ends_with('/') || tag.is_empty() {
        return Err(format!(
            "{NATS_IMAGE_ENV}={value:?} is not an image reference NAME[:TAG]"
        ));
    }
    Ok(ImageRef {
        name: name.to_owned(),
        tag: tag.to_owned(),
    })
}

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
        /// Extra hint about Docker (whether a socket exists but does not answer).
        docker: String,
    },
    /// A Docker engine answered but the NATS container did not start.
    #[error(
        "starting the NATS container ({image} via testcontainers) failed: {reason}; \
         pass --nats-url or install nats-server instead"
    )]
    Container {
        /// The image reference used (`nats:2.10.14` unless [`NATS_IMAGE_ENV`] is set).
        image: String,
        /// Cause.
        reason: String,
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
    _container: Option<ContainerAsync<Nats>>,
}

impl NatsServer {
    /// Finds a server in the order of [`choose`]: uses `url` when given,
    /// else starts `nats-server` from `PATH`, else starts a NATS container
    /// when a Docker engine answers (`DOCKER_HOST`, else the usual socket
    /// paths).
    ///
    /// # Errors
    /// [`NatsError::NotFound`] with an install hint when nothing is usable;
    /// [`NatsError::Start`] / [`NatsError::Container`] when starting fails.
    pub async fn discover(url: Option<&str>) -> Result<Self, NatsError> {
        let binary = if url.is_some() {
            None
        } else {
            find_on_path("nats-server")
        };
        let docker = url.is_none() && binary.is_none() && docker_answers().await;
        match choose(url, binary, docker) {
            NatsSource::Url(url) => Ok(Self {
                url,
                child: None,
                binary: None,
                port: 0,
                _store: None,
                _container: None,
            }),
            NatsSource::Binary(binary) => Self::start(binary).await,
            NatsSource::Docker => Self::start_container().await,
            NatsSource::Missing => {
                let docker = if docker_socket_candidates().iter().any(|p| p.exists()) {
                    "; a Docker socket exists but the engine did not answer: start Docker \
                     and the suite runs NATS in a container, or run \
                     `docker run -d -p 4222:4222 nats:2.10 -js` and pass \
                     --nats-url nats://127.0.0.1:4222"
                } else {
                    "; or start a Docker engine (or set DOCKER_HOST) and the suite runs \
                     NATS in a container"
                };
                Err(NatsError::NotFound {
                    docker: docker.to_owned(),
                })
            }
        }
    }

    /// Starts the testcontainers NATS module with JetStream and returns its
    /// mapped client URL; the container lives as long as `self`. The image
    /// is the module's unless [`NATS_IMAGE_ENV`] names another.
    async fn start_container() -> Result<Self, NatsError> {
        let custom = std::env::var(NATS_IMAGE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let image = custom.clone().unwrap_or_else(|| "nats:2.10.14".to_owned());
        let failed = |reason: String| NatsError::Container {
            image: image.clone(),
            reason,
        };
        let err = |e: testcontainers::TestcontainersError| failed(e.to_string());
        let mut request = Nats::default()
            .with_cmd(&NatsServerCmd::default().with_jetstream())
            .with_host_config_modifier(loopback_client_port);
        if let Some(value) = custom.as_deref() {
            let reference = image_ref(value).map_err(failed)?;
            request = request.with_name(reference.name).with_tag(reference.tag);
        }
        let container = request.start().await.map_err(err)?;
        // The port is published on 127.0.0.1 only (`loopback_client_port`),
        // so the URL names that address, not testcontainers' guess of the
        // engine's host (the bridge gateway when the suite itself runs in a
        // container).
        let port = container
            .get_host_port_ipv4(4222.tcp())
            .await
            .map_err(err)?;
        Ok(Self {
            url: format!("nats://127.0.0.1:{port}"),
            child: None,
            binary: None,
            port,
            _store: None,
            _container: Some(container),
        })
    }

    async fn start(binary: PathBuf) -> Result<Self, NatsError> {
        let mut server = Self::stopped(binary.clone())?;
        server.restart().await.map_err(|reason| NatsError::Start {
            binary: binary.display().to_string(),
            reason,
        })?;
        Ok(server)
    }

    /// Starts `nats-server` from `PATH` only (no URL, no container): JetStream
    /// on, a temporary store dir, a free loopback port.
    ///
    /// # Errors
    /// [`NatsError::NotFound`] when no `nats-server` is on `PATH`;
    /// [`NatsError::Start`] when it does not start.
    pub async fn start_local() -> Result<Self, NatsError> {
        let binary = find_on_path("nats-server").ok_or_else(|| NatsError::NotFound {
            docker: String::new(),
        })?;
        Self::start(binary).await
    }

    fn stopped(binary: PathBuf) -> Result<Self, NatsError> {
        let err = |reason: String| NatsError::Start {
            binary: binary.display().to_string(),
            reason,
        };
        let store = tempfile::tempdir().map_err(|e| err(format!("temp dir: {e}")))?;
        let port = free_port().map_err(|e| err(format!("no free port: {e}")))?;
        Ok(Self {
            url: format!("nats://127.0.0.1:{port}"),
            child: None,
            binary: Some(binary),
            port,
            _store: Some(store),
            _container: None,
        })
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

    /// The client port on 127.0.0.1 (0 for a given URL).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the suite can stop and restart this server (a `nats-server`
    /// it started; not a given URL, not a container, whose mapped host port
    /// could change on restart).
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

/// Publishes only the client port 4222, on 127.0.0.1 and a host port the
/// engine picks (loopback only, like every server the suite starts). Naming
/// the host IP also makes the mapping readable on podman's Docker API, which
/// reports publish-all bindings with `HostIp ""` (testcontainers skips those).
fn loopback_client_port(host_config: &mut testcontainers::bollard::models::HostConfig) {
    host_config.publish_all_ports = Some(false);
    host_config.port_bindings = Some(
        [(
            "4222/tcp".to_owned(),
            Some(vec![testcontainers::bollard::models::PortBinding {
                host_ip: Some("127.0.0.1".to_owned()),
                host_port: Some(String::new()),
            }]),
        )]
        .into(),
    );
}

/// Where [`free_port`] looks: below Linux's default ephemeral range
/// (`net.ipv4.ip_local_port_range`, 32768-60999), where neither another
/// process's `bind(0)` nor an outgoing connection's local port can take a
/// port between the check and the real bind (with many test processes at
/// once, both did: "Address already in use"), and above the fixed ports of
/// the scripts (real kwebs on 18200-18499).
const PICK_RANGE: std::ops::Range<u16> = 20000..32768;

/// A free loopback TCP port for a server started later (a nats-server
/// process, a provider that is restarted on the same port): a random port of
/// [`PICK_RANGE`] that binds on `127.0.0.1`, released; after 64 taken ones,
/// whatever `127.0.0.1:0` gets.
///
/// # Errors
/// The bind error of `127.0.0.1:0`.
pub fn free_port() -> std::io::Result<u16> {
    use rand::Rng as _;
    let mut rng = rand::rng();
    for _ in 0..64 {
        let port = rng.random_range(PICK_RANGE);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Socket paths a local Docker engine listens on (testcontainers' order
/// after `DOCKER_HOST`).
fn docker_socket_candidates() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("/var/run/docker.sock")];
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        paths.push(PathBuf::from(dir).join(".docker/run/docker.sock"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        paths.push(home.join(".docker/run/docker.sock"));
        paths.push(home.join(".docker/desktop/docker.sock"));
    }
    paths
}

/// Whether a Docker engine accepts a connection: `DOCKER_HOST`
/// (`unix://PATH` or `tcp://HOST:PORT`) when set, else the first existing
/// socket of [`docker_socket_candidates`]. Waits at most 1 s per attempt.
pub async fn docker_answers() -> bool {
    let limit = Duration::from_secs(1);
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        if let Some(path) = host.strip_prefix("unix://") {
            return unix_answers(PathBuf::from(path), limit).await;
        }
        if let Some(addr) = host.strip_prefix("tcp://") {
            let addr = addr.trim_end_matches('/').to_owned();
            return matches!(
                tokio::time::timeout(limit, tokio::net::TcpStream::connect(addr)).await,
                Ok(Ok(_))
            );
        }
        return false;
    }
    match docker_socket_candidates().into_iter().find(|p| p.exists()) {
        Some(path) => unix_answers(path, limit).await,
        None => false,
    }
}

#[cfg(unix)]
async fn unix_answers(path: PathBuf, limit: Duration) -> bool {
    matches!(
        tokio::time::timeout(limit, tokio::net::UnixStream::connect(path)).await,
        Ok(Ok(_))
    )
}

#[cfg(not(unix))]
async fn unix_answers(_path: PathBuf, _limit: Duration) -> bool {
    false
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_picks_a_bindable_port_below_the_ephemeral_range() {
        let port = free_port().expect("a free port");
        assert!(PICK_RANGE.contains(&port), "port {port}");
        TcpListener::bind(("127.0.0.1", port)).expect("the port binds");
    }

    #[test]
    fn discovery_order_prefers_url_then_binary_then_docker() {
        let bin = PathBuf::from("/usr/bin/nats-server");
        let url = "nats://10.0.0.1:4222";
        let cases = [
            (
                Some(url),
                Some(bin.clone()),
                true,
                NatsSource::Url(url.to_owned()),
            ),
            (Some(url), None, false, NatsSource::Url(url.to_owned())),
            (
                None,
                Some(bin.clone()),
                true,
                NatsSource::Binary(bin.clone()),
            ),
            (
                None,
                Some(bin.clone()),
                false,
                NatsSource::Binary(bin.clone()),
            ),
            (None, None, true, NatsSource::Docker),
            (None, None, false, NatsSource::Missing),
        ];
        for (url, binary, docker, want) in cases {
            assert_eq!(
                choose(url, binary.clone(), docker),
                want,
                "url={url:?} binary={binary:?} docker={docker}"
            );
        }
    }

    #[test]
    fn not_found_error_says_how_to_install() {
        let msg = NatsError::NotFound {
            docker: String::new(),
        }
        .to_string();
        assert!(msg.contains("--nats-url"), "{msg}");
        assert!(msg.contains("apt-get install -y nats-server"), "{msg}");
    }

    #[test]
    fn image_references_split_into_name_and_tag() {
        let ok = |name: &str, tag: &str| {
            Ok(ImageRef {
                name: name.to_owned(),
                tag: tag.to_owned(),
            })
        };
        let cases = [
            ("nats:2.10.14", ok("nats", "2.10.14")),
            ("nats", ok("nats", "latest")),
            (
                "localhost/nats-server:bookworm",
                ok("localhost/nats-server", "bookworm"),
            ),
            ("registry:5000/nats", ok("registry:5000/nats", "latest")),
            ("registry:5000/nats:2.9", ok("registry:5000/nats", "2.9")),
            (" nats:2.9 ", ok("nats", "2.9")),
        ];
        for (value, want) in cases {
            assert_eq!(image_ref(value), want, "{value:?}");
        }
        for bad in ["", ":tag", "nats:", "registry/", "nats@sha256:abc"] {
            let err = image_ref(bad).expect_err(bad);
            assert!(err.contains(NATS_IMAGE_ENV), "{bad:?}: {err}");
        }
    }

    /// Runs where a Docker-API engine answers: Docker, or podman's
    /// `podman system service` with `DOCKER_HOST=unix://…` (scripts/deploy-podman
    /// does that, with `DCM_CONFORMANCE_NATS_IMAGE=localhost/nats-server:bookworm`).
    #[tokio::test]
    #[ignore = "requires a Docker-API engine (DOCKER_HOST); scripts/deploy-podman runs it on podman"]
    async fn container_path_starts_nats_with_jetstream() {
        assert!(
            docker_answers().await,
            "no Docker engine answers (DOCKER_HOST unset and no reachable docker.sock)"
        );
        let server = match NatsServer::start_container().await {
            Ok(server) => server,
            Err(e) => panic!("container start failed: {e}"),
        };
        assert!(!server.is_managed());
        let client = match async_nats::connect(server.url()).await {
            Ok(client) => client,
            Err(e) => panic!("connect {} failed: {e}", server.url()),
        };
        let js = async_nats::jetstream::new(client);
        let stream = js
            .create_stream(async_nats::jetstream::stream::Config {
                name: "DISCOVERY".into(),
                subjects: vec!["discovery.>".into()],
                ..Default::default()
            })
            .await;
        assert!(stream.is_ok(), "JetStream not enabled: {stream:?}");
    }
}
