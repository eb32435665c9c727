//! Start-up settings of the simulator (clap `long, env`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::sim::transitions::TransitionSet;
use crate::world::Flavour;
use crate::world::presets::Preset;
use crate::world::release::{self, KcliRelease};

/// Settings for one simulator instance.
///
/// Programmatic use: `Config { bind: "127.0.0.1:0".parse()?, ..Config::default() }`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kweb-sim",
    version,
    about = "A faithful, controllable simulator of kweb (kcli's HTTP API)"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port). `KWEB_PORT`, when
    /// set, replaces the port.
    #[arg(long, env = "KWEB_SIM_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// kweb's `KWEB_PORT`: overrides the port of `--bind`.
    #[arg(long, env = "KWEB_PORT")]
    pub port: Option<u16>,
    /// Readonly mode (`kweb --readonly`, §9).
    #[arg(long, env = "KWEB_SIM_READONLY")]
    pub readonly: bool,
    /// Seed for ids, MACs, names, jitter; also fixes the clock start.
    #[arg(long, env = "KWEB_SIM_SEED")]
    pub seed: Option<u64>,
    /// Backend flavour (status vocabulary, §7).
    #[arg(long, env = "KWEB_SIM_FLAVOUR", value_enum, default_value = "kvm")]
    pub flavour: Flavour,
    /// World preset.
    #[arg(
        long,
        env = "KWEB_SIM_PRESET",
        value_enum,
        default_value = "testdriver"
    )]
    pub preset: Preset,
    /// Comma-separated volumes to create in the default pool (1 GiB each),
    /// like the live launcher's `KWEB_SEED_IMAGES`.
    #[arg(long, env = "KWEB_SEED_IMAGES", value_delimiter = ',')]
    pub seed_images: Vec<String>,
    /// kcli `profiles.yml` to use instead of the preset's.
    #[arg(long, env = "KWEB_SIM_PROFILES")]
    pub profiles: Option<PathBuf>,
    /// kcli `clusterprofiles.yml` added to the five built-in samples.
    #[arg(long, env = "KWEB_SIM_KUBEPROFILES")]
    pub kubeprofiles: Option<PathBuf>,
    /// State file: loaded at start when present, saved after every change
    /// and on shutdown.
    #[arg(long, env = "KWEB_SIM_STATE_FILE")]
    pub state_file: Option<PathBuf>,
    /// Bottle debug mode, like kweb's `KWEB_DEBUG`: 500 pages carry the
    /// exception and a (simulated) traceback.
    #[arg(long, env = "KWEB_DEBUG")]
    pub debug: bool,
    /// Serve one request at a time, like wsgiref.
    #[arg(long, env = "KWEB_SIM_SERIAL")]
    pub serial: bool,
    /// `Server` header value.
    #[arg(
        long,
        env = "KWEB_SIM_SERVER_HEADER",
        default_value = "WSGIServer/0.2 CPython/3.11.7"
    )]
    pub server_header: String,
    /// Transition set.
    #[arg(
        long,
        env = "KWEB_SIM_TRANSITIONS",
        value_enum,
        default_value = "testdriver"
    )]
    pub transitions: TransitionSet,
    /// Strict mode: no `/_sim/` control API (it answers kweb's 404).
    #[arg(long, env = "KWEB_SIM_STRICT")]
    pub strict: bool,
    /// The kcli release to emulate, `99.0.YYYYMMDDhhmm`, inside the supported
    /// range of `scripts/kweb-live/kcli-releases`; default the pin. The known
    /// differences between releases are the drift table of
    /// `kweb_sim::world::release`.
    #[arg(long, env = "KWEB_SIM_KCLI_RELEASE", default_value_t = release::PIN, value_parser = release::parse_supported)]
    pub kcli_release: KcliRelease,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            port: None,
            readonly: false,
            seed: None,
            flavour: Flavour::Kvm,
            preset: Preset::Testdriver,
            seed_images: Vec::new(),
            profiles: None,
            kubeprofiles: None,
            state_file: None,
            debug: false,
            serial: false,
            server_header: "WSGIServer/0.2 CPython/3.11.7".into(),
            transitions: TransitionSet::Testdriver,
            strict: false,
            kcli_release: release::PIN,
        }
    }
}
