//! Start-up settings: one clap struct, every field `long, env`.
//!
//! Environment names follow the Go provider (contract Appendix A.1, KCLI-070)
//! plus the contract's new ones. Every duration is humantime (`500ms`, `30s`,
//! `5m`); zero is refused (TMO-006). Cross-field rules (REG-010, REG-011,
//! TMO-001) are checked by [`Config::validate`], which turns the raw settings
//! into [`Settings`].

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use uuid::Uuid;

use crate::error::StartupError;

/// What the monitor does with prefixed backend resources it does not track
/// (ORP-004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrphanPolicy {
    /// Log, count and list them only (default).
    Report,
    /// Re-create records for orphans that carry a `dcm_id` (ORP-005).
    Adopt,
    /// Delete them after two polls and `CREATE_GRACE_PERIOD` (ORP-006).
    Delete,
}

/// What happens to a provider-hint key outside the allowlist (SEC-005).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HintsPolicy {
    /// 422 `unprocessable-entity` (default).
    Reject,
    /// Drop the key and say so in `status_message`.
    Drop,
}

/// Raw settings as given on the command line or in the environment.
///
/// Programmatic use: `Config::try_parse_from(["kcli-provider", "--kweb-url", url, ...])`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kcli-provider",
    version,
    about = "DCM service provider for VMs and clusters on kweb",
    args_override_self = true
)]
pub struct Config {
    /// Base URL of kweb, e.g. `http://kweb:8000`; a trailing `/` is trimmed.
    #[arg(long, env = "KWEB_URL")]
    pub kweb_url: String,
    /// DCM base URL including the API version; `/providers` is appended (REG-001).
    #[arg(long, env = "SPM_URL")]
    pub spm_url: String,
    /// Bind address (`:8080` means every interface).
    #[arg(long, env = "LISTEN_ADDRESS", default_value = ":8080")]
    pub listen_address: String,
    /// `scheme://host[:port]` under which DCM reaches this provider (REG-011).
    #[arg(long, env = "ADVERTISE_URL")]
    pub advertise_url: Option<String>,
    /// NATS server URL, or several servers of one cluster comma-separated
    /// (`nats://n1:4222,nats://n2:4222`); empty disables publishing
    /// explicitly (EVT-043).
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
    /// Backend poll interval (KCLI-030).
    #[arg(long, env = "POLL_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Backend poll interval while a tracked resource is `PROVISIONING`,
    /// `PROGRESSING` or `DELETING` (KCLI-030): still one `GET /vms` and one
    /// `GET /kubes` per cycle. Unset: `1s`, or `POLL_INTERVAL` when that is
    /// shorter; a value longer than `POLL_INTERVAL` is refused.
    #[arg(long, env = "TRANSITION_POLL_INTERVAL", value_parser = parse_duration)]
    pub transition_poll_interval: Option<Duration>,
    /// Per-resource debounce window (EVT-025).
    #[arg(long, env = "DEBOUNCE_WINDOW", default_value = "5s", value_parser = parse_duration)]
    pub debounce_window: Duration,
    /// `PROGRESSING` → `FAILED` after this long (TMO-005).
    #[arg(long, env = "CLUSTER_CREATE_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    pub cluster_create_timeout: Duration,
    /// Path of the redb state file (created with mode 0600, SEC-011).
    #[arg(long, env = "STATE_STORE_PATH", default_value = "/data/state.db")]
    pub state_store_path: std::path::PathBuf,
    /// Registration id of the VM provider; UUIDv5 of the name when unset (REG-010).
    #[arg(long, env = "PROVIDER_ID_VM")]
    pub provider_id_vm: Option<String>,
    /// Registration id of the cluster provider; UUIDv5 of the name when unset (REG-010).
    #[arg(long, env = "PROVIDER_ID_CLUSTER")]
    pub provider_id_cluster: Option<String>,
    /// Registered name of the VM provider; also the event `source` (EVT-004).
    #[arg(long, env = "PROVIDER_NAME_VM", default_value = "kcli-vm")]
    pub provider_name_vm: String,
    /// Registered name of the cluster provider.
    #[arg(long, env = "PROVIDER_NAME_CLUSTER", default_value = "kcli-cluster")]
    pub provider_name_cluster: String,
    /// Registration `schema_version` (REG-003).
    #[arg(long, env = "SCHEMA_VERSION", default_value = "v1alpha1")]
    pub schema_version: String,
    /// Upper bound of every request handler (TMO-001).
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "25s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Upper bound of one kweb call (TMO-003).
    #[arg(long, env = "KWEB_TIMEOUT", default_value = "120s", value_parser = parse_duration)]
    pub kweb_timeout: Duration,
    /// How long a create waits for kweb before answering 201 (API-014).
    #[arg(long, env = "CREATE_SYNC_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub create_sync_timeout: Duration,
    /// New-resource grace period (VOC-006, ORP-006, ORP-007).
    #[arg(long, env = "CREATE_GRACE_PERIOD", default_value = "10m", value_parser = parse_duration)]
    pub create_grace_period: Duration,
    /// Unmappable backend state → `FAILED` after this long (VOC-005).
    #[arg(long, env = "UNKNOWN_STATE_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    pub unknown_state_timeout: Duration,
    /// Full re-publish of every status (EVT-024).
    #[arg(long, env = "RESYNC_INTERVAL", default_value = "10m", value_parser = parse_duration)]
    pub resync_interval: Duration,
    /// Periodic re-registration (REG-026).
    #[arg(long, env = "REREGISTER_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub reregister_interval: Duration,
    /// Bound of one registration attempt (REG-021).
    #[arg(long, env = "REGISTRATION_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub registration_timeout: Duration,
    /// Background kweb probe interval (HLT-010).
    #[arg(long, env = "HEALTH_PROBE_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub health_probe_interval: Duration,
    /// Bound of one kweb probe (HLT-010).
    #[arg(long, env = "HEALTH_PROBE_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub health_probe_timeout: Duration,
    /// Bound of graceful shutdown (TMO-007).
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// Time allowed to receive a request (HTTP/1, Appendix A.1), in seconds
    /// or a humantime duration (`15s`). The request head must arrive within
    /// it (hyper's header read timeout; otherwise the connection is closed
    /// without a response), and the body may not stall longer than it between
    /// frames (the request then fails with an error response).
    #[arg(long, env = "READ_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub read_timeout: Duration,
    /// Upper bound on sending one response body (Appendix A.1); a body still
    /// streaming after it is aborted and the connection closed. Handlers are
    /// separately bounded by `REQUEST_TIMEOUT`.
    #[arg(long, env = "WRITE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub write_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request before
    /// the server closes it (Appendix A.1). hyper runs one timer while waiting
    /// for a request head, so an idle connection is closed after the shorter
    /// of `IDLE_TIMEOUT` and `READ_TIMEOUT`.
    #[arg(long, env = "IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// `debug`, `info`, `warn` or `error`; JSON logs on stdout.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Prefix of every backend name (KCLI-003, ORP-010).
    #[arg(long, env = "NAME_PREFIX", default_value = "dcm-")]
    pub name_prefix: String,
    /// `report`, `adopt` or `delete` (ORP-004).
    #[arg(long, env = "ORPHAN_POLICY", value_enum, default_value = "report")]
    pub orphan_policy: OrphanPolicy,
    /// `reject` or `drop` for hint keys outside the allowlist (SEC-005).
    #[arg(long, env = "HINTS_POLICY", value_enum, default_value = "reject")]
    pub hints_policy: HintsPolicy,
    /// Comma-separated hint keys added to the default allowlist (SEC-006).
    #[arg(long, env = "HINTS_EXTRA_ALLOWED", value_delimiter = ',')]
    pub hints_extra_allowed: Vec<String>,
    /// Optional bearer token for every non-health route (SEC-001).
    #[arg(long, env = "SP_AUTH_TOKEN", hide_env_values = true)]
    pub sp_auth_token: Option<String>,
    /// Profile when neither hint nor `guest_os.type` names one (KCLI-010).
    #[arg(long, env = "DEFAULT_PROFILE", default_value = "fedora41")]
    pub default_profile: String,
    /// Cluster type when no hint names one (KCLI-020).
    #[arg(long, env = "DEFAULT_CLUSTER_TYPE", default_value = "generic")]
    pub default_cluster_type: String,
    /// Accept the environment-agent variant (bare spec + `Idempotency-Key`, AGT-001).
    #[arg(long, env = "AGENT_COMPAT", default_value = "true", action = clap::ArgAction::Set)]
    pub agent_compat: bool,
    /// Sent as `metadata.region_code` when set (KCLI-002).
    #[arg(long, env = "REGION")]
    pub region: Option<String>,
    /// Sent as `metadata.zone` when set (KCLI-002).
    #[arg(long, env = "ZONE")]
    pub zone: Option<String>,
    /// Deregister both providers on graceful shutdown (REG-027).
    #[arg(long, env = "DEREGISTER_ON_SHUTDOWN", default_value = "false", action = clap::ArgAction::Set)]
    pub deregister_on_shutdown: bool,
    /// kweb request rate (requests per second; 0 disables the limiter, KCLI-031).
    #[arg(long, env = "KWEB_RATE_LIMIT", default_value = "10")]
    pub kweb_rate_limit: u32,
    /// kweb request burst (KCLI-031).
    #[arg(long, env = "KWEB_BURST", default_value = "20")]
    pub kweb_burst: u32,
}

/// Why a duration setting is refused (TMO-006).
#[derive(Debug, thiserror::Error)]
pub enum DurationError {
    /// Not a humantime duration.
    #[error("not a duration ({0}); use e.g. 500ms, 30s, 5m")]
    Syntax(#[from] humantime::DurationError),
    /// Zero.
    #[error("must be greater than zero")]
    Zero,
}

/// `TRANSITION_POLL_INTERVAL` when unset (and `POLL_INTERVAL` is not shorter): 1 s.
pub const DEFAULT_TRANSITION_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Parses a humantime duration and refuses zero (TMO-006).
///
/// # Errors
/// [`DurationError`] when the text is not a duration or is zero.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let value = humantime::parse_duration(text.trim())?;
    if value.is_zero() {
        return Err(DurationError::Zero);
    }
    Ok(value)
}

/// Settings after the cross-field checks: what the rest of the crate uses.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The raw settings.
    pub raw: Config,
    /// kweb base URL without a trailing `/`.
    pub kweb_url: String,
    /// DCM base URL without a trailing `/`.
    pub spm_url: String,
    /// Address the listener binds.
    pub bind: SocketAddr,
    /// `scheme://host[:port]` used in registered endpoints.
    pub advertise_url: String,
    /// `advertise_url` was derived from `LISTEN_ADDRESS` (its port is
    /// replaced by the bound one when `LISTEN_ADDRESS` asks for port 0).
    pub advertise_derived: bool,
    /// NATS URL, `None` when publishing is disabled.
    pub nats_url: Option<String>,
    /// Effective `TRANSITION_POLL_INTERVAL` (≤ `POLL_INTERVAL`).
    pub transition_poll_interval: Duration,
    /// Registration id of the VM provider.
    pub provider_id_vm: String,
    /// Registration id of the cluster provider.
    pub provider_id_cluster: String,
    /// Auth token, `None` when unset or empty.
    pub auth_token: Option<String>,
}

/// URL namespace of RFC 9562 (REG-010).
const URL_NAMESPACE: Uuid = Uuid::NAMESPACE_URL;

/// The REG-010 id for a provider name: UUIDv5 over `urn:dcm:provider:{name}`.
#[must_use]
pub fn derived_provider_id(name: &str) -> String {
    Uuid::new_v5(
        &URL_NAMESPACE,
        format!("urn:dcm:provider:{name}").as_bytes(),
    )
    .to_string()
}

fn empty_to_none(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn valid_provider_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let ok_char = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    (1..=63).contains(&bytes.len())
        && bytes.iter().all(ok_char)
        && bytes.first().is_some_and(|c| *c != b'-')
        && bytes.last().is_some_and(|c| *c != b'-')
}

fn parse_listen(listen: &str) -> Result<(SocketAddr, Option<String>), StartupError> {
    let bad = |why: &str| StartupError::Config {
        variable: "LISTEN_ADDRESS",
        problem: format!("{listen:?}: {why}"),
    };
    let (host, port) = listen
        .rsplit_once(':')
        .ok_or_else(|| bad("expected host:port or :port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| bad("port is not a number 0-65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let wildcard = host.is_empty() || host == "0.0.0.0" || host == "::";
    let ip = if host.is_empty() {
        std::net::IpAddr::from([0, 0, 0, 0])
    } else if let Ok(ip) = host.parse() {
        ip
    } else if host == "localhost" {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        return Err(bad("host must be an IP address or localhost"));
    };
    let concrete = (!wildcard).then(|| {
        if ip.is_ipv6() {
            format!("http://[{host}]:{port}")
        } else {
            format!("http://{host}:{port}")
        }
    });
    Ok((SocketAddr::new(ip, port), concrete))
}

fn check_url(
    variable: &'static str,
    value: &str,
    allow_path: bool,
) -> Result<String, StartupError> {
    let trimmed = value.trim().trim_end_matches('/').to_owned();
    let parsed = reqwest::Url::parse(&trimmed).map_err(|e| StartupError::Config {
        variable,
        problem: format!("{value:?} is not a URL: {e}"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(StartupError::Config {
            variable,
            problem: format!("{value:?} must be an http(s) URL with a host"),
        });
    }
    if !allow_path && parsed.path() != "/" && !parsed.path().is_empty() {
        return Err(StartupError::Config {
            variable,
            problem: format!("{value:?} must not have a path"),
        });
    }
    Ok(trimmed)
}

impl Config {
    /// Applies the cross-field rules and derives the effective settings.
    ///
    /// # Errors
    /// [`StartupError::Config`] naming the variable: bad URLs, a wildcard
    /// `LISTEN_ADDRESS` without `ADVERTISE_URL` (REG-011), an invalid
    /// `PROVIDER_ID_*` (REG-009/REG-010), `CREATE_SYNC_TIMEOUT` ≥
    /// `REQUEST_TIMEOUT` (TMO-001), `TRANSITION_POLL_INTERVAL` >
    /// `POLL_INTERVAL`, an empty `NAME_PREFIX` or provider name.
    pub fn validate(self) -> Result<Settings, StartupError> {
        let kweb_url = check_url("KWEB_URL", &self.kweb_url, true)?;
        let spm_url = check_url("SPM_URL", &self.spm_url, true)?;
        let (bind, concrete) = parse_listen(self.listen_address.trim())?;
        let advertise_derived = empty_to_none(self.advertise_url.as_ref()).is_none();
        let advertise_url = match empty_to_none(self.advertise_url.as_ref()) {
            Some(url) => check_url("ADVERTISE_URL", &url, false)?,
            None => concrete.ok_or_else(|| StartupError::Config {
                variable: "ADVERTISE_URL",
                problem: format!(
                    "unset and LISTEN_ADDRESS {:?} names no concrete host; set ADVERTISE_URL to the URL DCM reaches this provider at",
                    self.listen_address
                ),
            })?,
        };
        for (variable, name) in [
            ("PROVIDER_NAME_VM", &self.provider_name_vm),
            ("PROVIDER_NAME_CLUSTER", &self.provider_name_cluster),
        ] {
            if name.trim().is_empty() {
                return Err(StartupError::Config {
                    variable,
                    problem: "must not be empty".into(),
                });
            }
        }
        let id =
            |variable: &'static str, configured: Option<&String>, name: &str| match empty_to_none(
                configured,
            ) {
                Some(id) if valid_provider_id(&id) => Ok(id),
                Some(id) => Err(StartupError::Config {
                    variable,
                    problem: format!("{id:?} must match ^[a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?$"),
                }),
                None => Ok(derived_provider_id(name)),
            };
        let provider_id_vm = id(
            "PROVIDER_ID_VM",
            self.provider_id_vm.as_ref(),
            &self.provider_name_vm,
        )?;
        let provider_id_cluster = id(
            "PROVIDER_ID_CLUSTER",
            self.provider_id_cluster.as_ref(),
            &self.provider_name_cluster,
        )?;
        if self.create_sync_timeout >= self.request_timeout {
            return Err(StartupError::Config {
                variable: "CREATE_SYNC_TIMEOUT",
                problem: format!(
                    "{} must be shorter than REQUEST_TIMEOUT {}",
                    humantime::format_duration(self.create_sync_timeout),
                    humantime::format_duration(self.request_timeout)
                ),
            });
        }
        let transition_poll_interval = match self.transition_poll_interval {
            Some(t) if t > self.poll_interval => {
                return Err(StartupError::Config {
                    variable: "TRANSITION_POLL_INTERVAL",
                    problem: format!(
                        "{} must not be longer than POLL_INTERVAL {}",
                        humantime::format_duration(t),
                        humantime::format_duration(self.poll_interval)
                    ),
                });
            }
            Some(t) => t,
            None => DEFAULT_TRANSITION_POLL_INTERVAL.min(self.poll_interval),
        };
        let prefix_ok = !self.name_prefix.is_empty()
            && self
                .name_prefix
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && self.name_prefix.len() <= 20;
        if !prefix_ok {
            return Err(StartupError::Config {
                variable: "NAME_PREFIX",
                problem: "must be 1-20 characters of [a-z0-9-]".into(),
            });
        }
        let nats_url = empty_to_none(self.nats_url.as_ref());
        if let Some(url) = &nats_url {
            crate::relay::nats_servers(url).map_err(|err| StartupError::Config {
                variable: "NATS_URL",
                problem: err.to_string(),
            })?;
        }
        let auth_token = empty_to_none(self.sp_auth_token.as_ref());
        if !matches!(
            self.log_level.as_str(),
            "debug" | "info" | "warn" | "error" | "trace"
        ) {
            return Err(StartupError::Config {
                variable: "LOG_LEVEL",
                problem: format!(
                    "{:?} is not one of debug, info, warn, error",
                    self.log_level
                ),
            });
        }
        Ok(Settings {
            raw: self,
            kweb_url,
            spm_url,
            bind,
            advertise_url,
            advertise_derived,
            nats_url,
            transition_poll_interval,
            provider_id_vm,
            provider_id_cluster,
            auth_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<&'static str> {
        vec![
            "kcli-provider",
            "--kweb-url",
            "http://k:8000/",
            "--spm-url",
            "http://dcm/api/v1alpha1",
        ]
    }

    #[test]
    fn reg010_derived_id_matches_contract_example() {
        assert_eq!(
            derived_provider_id("kcli-vm"),
            "94a87776-e87e-5321-a196-fcb56a9b59c1"
        );
    }

    #[test]
    fn reg011_wildcard_listen_without_advertise_is_refused() {
        let config = Config::try_parse_from(base()).expect("parse");
        let err = config.validate().expect_err("wildcard must be refused");
        assert!(err.to_string().contains("ADVERTISE_URL"), "{err}");
    }

    #[test]
    fn concrete_listen_gives_advertise_url() {
        let mut args = base();
        args.extend(["--listen-address", "127.0.0.1:9000"]);
        let settings = Config::try_parse_from(args)
            .expect("parse")
            .validate()
            .expect("valid");
        assert_eq!(settings.advertise_url, "http://127.0.0.1:9000");
        assert_eq!(settings.kweb_url, "http://k:8000");
    }

    #[test]
    fn tmo006_zero_and_garbage_durations_are_refused() {
        for bad in ["0s", "abc", "-5s"] {
            let mut args: Vec<String> = base().into_iter().map(str::to_owned).collect();
            args.push(format!("--poll-interval={bad}"));
            let err = Config::try_parse_from(args).expect_err("must fail");
            assert!(err.to_string().contains("POLL_INTERVAL"), "{err}");
        }
    }

    #[test]
    fn tmo001_sync_timeout_must_be_below_request_timeout() {
        let mut args = base();
        args.extend([
            "--advertise-url",
            "http://sp:8080",
            "--create-sync-timeout",
            "30s",
        ]);
        let err = Config::try_parse_from(args)
            .expect("parse")
            .validate()
            .expect_err("must fail");
        assert!(err.to_string().contains("CREATE_SYNC_TIMEOUT"), "{err}");
    }

    #[test]
    fn kcli030_transition_poll_interval_defaults_to_1s_and_may_not_exceed_poll_interval() {
        let mut args = base();
        args.extend(["--advertise-url", "http://sp:8080"]);
        let settings = Config::try_parse_from(args.clone())
            .expect("parse")
            .validate()
            .expect("valid");
        assert_eq!(settings.transition_poll_interval, Duration::from_secs(1));
        // (POLL_INTERVAL, TRANSITION_POLL_INTERVAL, effective or refused)
        let ms = Duration::from_millis;
        for (poll, transition, effective) in [
            ("30s", None, Some(ms(1_000))),
            ("100ms", None, Some(ms(100))),
            ("30s", Some("200ms"), Some(ms(200))),
            ("5s", Some("5s"), Some(ms(5_000))),
            ("2s", Some("3s"), None),
        ] {
            let mut args = args.clone();
            args.extend(["--poll-interval", poll]);
            if let Some(transition) = transition {
                args.extend(["--transition-poll-interval", transition]);
            }
            let result = Config::try_parse_from(args).expect("parse").validate();
            let valid = effective.is_some();
            match result {
                Ok(settings) => assert_eq!(
                    Some(settings.transition_poll_interval),
                    effective,
                    "{poll}/{transition:?}"
                ),
                Err(err) => {
                    assert!(!valid, "{poll}/{transition:?}: {err}");
                    assert!(
                        err.to_string().contains("TRANSITION_POLL_INTERVAL"),
                        "{err}"
                    );
                }
            }
        }
    }

    #[test]
    fn nats_url_takes_a_comma_separated_server_list() {
        let mut args = base();
        args.extend(["--advertise-url", "http://sp:8080"]);
        // (NATS_URL, servers or refused)
        for (url, servers) in [
            ("nats://127.0.0.1:4222", Some(1)),
            ("nats://a:4222, nats://b:4223 ,tls://c:4224", Some(3)),
            ("nats://a:4222,,nats://b:4222,", Some(2)),
            ("a:4222,b:4222", Some(2)),
            ("nats://a:4222,http://[::1", None),
            (" , ", None),
        ] {
            let mut args = args.clone();
            args.extend(["--nats-url", url]);
            let result = Config::try_parse_from(args).expect("parse").validate();
            match (result, servers) {
                (Ok(settings), Some(n)) => {
                    let listed = crate::relay::nats_servers(
                        settings.nats_url.as_deref().unwrap_or_default(),
                    );
                    assert_eq!(listed.ok().map(|l| l.len()), Some(n), "{url}");
                }
                (Err(err), None) => assert!(err.to_string().contains("NATS_URL"), "{err}"),
                (Ok(_), None) => panic!("{url} must be refused"),
                (Err(err), Some(_)) => panic!("{url}: {err}"),
            }
        }
    }

    #[test]
    fn reg010_bad_provider_id_is_a_startup_error() {
        let mut args = base();
        args.extend([
            "--advertise-url",
            "http://sp:8080",
            "--provider-id-vm",
            "Not_Valid",
        ]);
        let err = Config::try_parse_from(args)
            .expect("parse")
            .validate()
            .expect_err("must fail");
        assert!(err.to_string().contains("PROVIDER_ID_VM"), "{err}");
    }
}
