//! What the suite talks to: a kweb URL, or `kweb-sim` started in-process.
//!
//! Scenarios tagged `@instance-readonly` or `@instance-unreachable` need a
//! kweb started differently (`kweb --readonly`, or a backend kcli cannot
//! reach, `kweb-reference.md` §9 and §10). On the simulator the same
//! instance is switched on and off through its control API
//! (`POST /_sim/readonly {"enabled": bool}`, `POST /_sim/backend
//! {"reachable": bool}`); on a real kweb each needs its own URL, and without
//! one those scenarios are reported as not applicable.

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use crate::kweb::error::KwebError;
use crate::wire::{Exchange, Request, WireError};

/// Volumes the live launcher seeds (`KWEB_SEED_IMAGES`, `kweb-live.md` §5.2)
/// and the embedded simulator therefore seeds too.
pub const SEED_IMAGES: &str = "cirros.qcow2,ubuntu2404,boot.iso";

/// A special kweb instance a scenario can ask for with a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instance {
    /// `@instance-readonly`: `kweb --readonly`.
    Readonly,
    /// `@instance-unreachable`: every backend (`Kconfig`) route answers E4.
    Unreachable,
}

impl Instance {
    /// The instance a scenario's tags ask for (tags without the `@`).
    #[must_use]
    pub fn from_tags(tags: &[String]) -> Option<Self> {
        tags.iter().find_map(|tag| match tag.as_str() {
            "instance-readonly" => Some(Self::Readonly),
            "instance-unreachable" => Some(Self::Unreachable),
            _ => None,
        })
    }

    /// The simulator control call that turns this instance on or off.
    #[must_use]
    pub fn sim_toggle(self, on: bool) -> Request {
        match self {
            Self::Readonly => {
                Request::json("POST", "/_sim/readonly", &format!(r#"{{"enabled": {on}}}"#))
            }
            Self::Unreachable => Request::json(
                "POST",
                "/_sim/backend",
                &format!(r#"{{"reachable": {}}}"#, !on),
            ),
        }
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Readonly => "readonly",
            Self::Unreachable => "unreachable",
        })
    }
}

/// Where requests go: a kweb (real or simulated) on a TCP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The base URL as given, without a trailing slash.
    pub base: String,
    /// The resolved socket address.
    pub addr: SocketAddr,
}

impl Target {
    /// Parses `http://HOST:PORT` (no path, no TLS; kweb has neither).
    ///
    /// # Errors
    /// [`KwebError::Config`] for anything else.
    pub fn parse(url: &str) -> Result<Self, KwebError> {
        let base = url.trim_end_matches('/');
        let authority = base.strip_prefix("http://").ok_or_else(|| {
            KwebError::Config(format!("kweb URL {url:?} must start with http://"))
        })?;
        if authority.contains('/') {
            return Err(KwebError::Config(format!(
                "kweb URL {url:?} must not have a path"
            )));
        }
        let addr = std::net::ToSocketAddrs::to_socket_addrs(authority)
            .map_err(|e| KwebError::Config(format!("kweb URL {url:?}: {e}")))?
            .next()
            .ok_or_else(|| KwebError::Config(format!("kweb URL {url:?} resolves to nothing")))?;
        Ok(Self {
            base: base.to_owned(),
            addr,
        })
    }

    /// The target for a simulator bound at `addr`.
    #[must_use]
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            addr,
        }
    }

    /// `request` with a path URL made absolute against [`Target::base`].
    #[must_use]
    pub fn resolve(&self, request: &Request) -> Request {
        let mut request = request.clone();
        if request.url.starts_with('/') {
            request.url = format!("{}{}", self.base, request.url);
        }
        request
    }

    /// Sends one request with the raw client ([`crate::wire::send_raw`]) to
    /// [`Target::addr`] and reads the whole response; the exchange records
    /// the absolute URL.
    ///
    /// # Errors
    /// [`KwebError::Io`] on connection problems, [`KwebError::Timeout`] after
    /// the request's timeout, [`KwebError::Protocol`] on a malformed answer.
    pub async fn send(&self, request: &Request) -> Result<Exchange, KwebError> {
        let request = self.resolve(request);
        let started = Instant::now();
        let response = crate::wire::send_raw(&self.addr.to_string(), &request)
            .await
            .map_err(|e| match e {
                WireError::Timeout(_) => {
                    KwebError::Timeout(format!("{} {}", request.method, request.path()))
                }
                WireError::Io(e) => KwebError::Io(format!(
                    "{} {} to {}: {e}",
                    request.method,
                    request.path(),
                    self.base
                )),
                WireError::Protocol(e) => KwebError::Protocol(e),
            })?;
        Ok(Exchange {
            request,
            response: Some(response),
            error: None,
            elapsed: started.elapsed(),
        })
    }
}

/// Where each kind of scenario runs.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The read-write kweb every untagged scenario uses.
    pub main: Target,
    /// `true` when `main` is a simulator: special instances are control-API
    /// toggles on `main`.
    pub simulator: bool,
    /// A real `kweb --readonly` (ignored for a simulator).
    pub readonly: Option<Target>,
    /// A real kweb whose backend is unreachable (ignored for a simulator).
    pub unreachable: Option<Target>,
}

/// How a scenario reaches the instance it needs.
#[derive(Debug, Clone)]
pub enum Route {
    /// Send everything to this URL.
    Direct(Target),
    /// Send to the simulator after switching the instance on; switch it off
    /// afterwards.
    SimToggle(Target, Instance),
    /// The scenario does not apply to this target; the text says why.
    NotApplicable(String),
}

impl Targets {
    /// The route for a scenario with these tags.
    ///
    /// `@target-real` marks behaviour of a real kweb on libvirt's test driver
    /// that the reference tells the simulator not to copy (device hot-plug
    /// fails there, `kweb-reference.md` §6.7); `@target-sim` marks the
    /// simulator's side of the same behaviour.
    #[must_use]
    pub fn route(&self, tags: &[String]) -> Route {
        let has = |tag: &str| tags.iter().any(|t| t == tag);
        if has("target-real") && self.simulator {
            return Route::NotApplicable("real-kweb behaviour (@target-real)".into());
        }
        if has("target-sim") && !self.simulator {
            return Route::NotApplicable("simulator behaviour (@target-sim)".into());
        }
        match Instance::from_tags(tags) {
            None => Route::Direct(self.main.clone()),
            Some(instance) if self.simulator => Route::SimToggle(self.main.clone(), instance),
            Some(instance) => {
                let url = match instance {
                    Instance::Readonly => &self.readonly,
                    Instance::Unreachable => &self.unreachable,
                };
                url.clone().map_or_else(
                    || Route::NotApplicable(format!("no {instance} instance")),
                    Route::Direct,
                )
            }
        }
    }
}

/// Starts `kweb-sim` in-process on `127.0.0.1:0`, configured with the given
/// extra command-line flags (e.g. `--seed-images ...`, `--readonly`), and
/// serves it on the current tokio runtime until the process ends.
///
/// # Errors
/// [`KwebError::Simulator`] when the flags are rejected or binding fails.
pub async fn spawn_simulator(extra_args: &[&str]) -> Result<Target, KwebError> {
    use clap::Parser as _;
    let mut argv = vec!["kweb-sim", "--bind", "127.0.0.1:0"];
    argv.extend_from_slice(extra_args);
    let config = kweb_sim::Config::try_parse_from(&argv)
        .map_err(|e| KwebError::Simulator(format!("flags {argv:?}: {e}")))?;
    let app = kweb_sim::Application::build(config)
        .await
        .map_err(|e| KwebError::Simulator(format!("build: {e}")))?;
    let addr = app
        .local_addr()
        .map_err(|e| KwebError::Simulator(format!("address: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = app.run_until_stopped().await {
            eprintln!("kweb-sim stopped: {e}");
        }
    });
    Ok(Target::from_addr(addr))
}

/// Starts the default parity simulator: the `testdriver` world with the three
/// seeded volumes of the live launcher, emulating the pinned kcli release.
///
/// # Errors
/// As [`spawn_simulator`].
pub async fn spawn_parity_simulator() -> Result<Target, KwebError> {
    spawn_release_simulator(crate::kweb::release::PIN).await
}

/// Starts the parity simulator emulating kcli `release`
/// (`kweb-sim --kcli-release`).
///
/// # Errors
/// As [`spawn_simulator`]; a release outside kweb-sim's supported range is
/// rejected by its flag parser.
pub async fn spawn_release_simulator(
    release: crate::kweb::release::KcliRelease,
) -> Result<Target, KwebError> {
    let release = release.to_string();
    spawn_simulator(&["--seed-images", SEED_IMAGES, "--kcli-release", &release]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(port: u16) -> Target {
        Target::parse(&format!("http://127.0.0.1:{port}")).expect("valid")
    }

    #[test]
    fn routes_follow_tags_and_availability() {
        let real = Targets {
            main: target(1),
            simulator: false,
            readonly: Some(target(2)),
            unreachable: None,
        };
        let ro = vec!["ref-9".to_owned(), "instance-readonly".to_owned()];
        let un = vec!["instance-unreachable".to_owned()];
        assert!(matches!(real.route(&[]), Route::Direct(t) if t.addr.port() == 1));
        assert!(matches!(real.route(&ro), Route::Direct(t) if t.addr.port() == 2));
        assert!(matches!(real.route(&un), Route::NotApplicable(_)));
        assert!(matches!(
            real.route(&["target-sim".to_owned()]),
            Route::NotApplicable(_)
        ));
        let sim = Targets {
            simulator: true,
            ..real
        };
        assert!(matches!(
            sim.route(&un),
            Route::SimToggle(_, Instance::Unreachable)
        ));
        assert!(matches!(
            sim.route(&["target-real".to_owned()]),
            Route::NotApplicable(_)
        ));
        assert!(matches!(
            sim.route(&["target-sim".to_owned()]),
            Route::Direct(_)
        ));
    }

    #[test]
    fn target_rejects_paths_and_other_schemes() {
        assert!(Target::parse("https://127.0.0.1:1").is_err());
        assert!(Target::parse("http://127.0.0.1:1/x").is_err());
        let target = Target::parse("http://127.0.0.1:1/").expect("ok");
        assert_eq!(target.base, "http://127.0.0.1:1");
        assert_eq!(
            target.resolve(&Request::new("GET", "/vms")).url,
            "http://127.0.0.1:1/vms"
        );
    }

    #[test]
    fn toggles_use_the_control_api() {
        let on = Instance::Unreachable.sim_toggle(true);
        assert_eq!(on.url, "/_sim/backend");
        assert_eq!(on.body, br#"{"reachable": false}"#);
        assert_eq!(
            Instance::Readonly.sim_toggle(false).body,
            br#"{"enabled": false}"#
        );
    }
}
