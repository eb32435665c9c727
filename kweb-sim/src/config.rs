//! Start-up settings of the simulator.

use std::net::SocketAddr;

use clap::Parser;

/// Settings for one simulator instance.
#[derive(Debug, Clone, Parser)]
#[command(name = "kweb-sim", version, about = "A faithful, controllable kweb simulator")]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, env = "KWEB_SIM_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
}

impl Default for Config {
    fn default() -> Self {
        Self { bind: SocketAddr::from(([127, 0, 0, 1], 8000)) }
    }
}
