//! The simulated kweb host's behaviour switches that are not kweb state
//! (downloads, cloud-init ISO tools, pool capacity, `PULL_SECRET`, ...):
//! set with `/_sim/host` (`kweb-reference.md` §15), held in
//! `Sim::options`, read by the build engine and some handlers.

use serde::{Deserialize, Serialize};

/// How VM creation treats the cloud-init ISO an image-based VM needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IsoMode {
    /// The ISO is built and uploaded: creation succeeds (a working host).
    #[default]
    Ok,
    /// The backend cannot upload volumes (libvirt test driver): 500 E3.
    Unsupported,
    /// No `mkisofs`/`genisoimage`/`xorrisofs` on the kweb host: E4.
    MissingTool,
}

/// Behaviour switches of the simulated host that are not kweb state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostOptions {
    /// Whether image downloads work (catalogue images, `http` URLs).
    pub internet: bool,
    /// Cloud-init ISO handling on `POST /vms`.
    pub cloudinit_iso: IsoMode,
    /// Whether `UPDATE` memory changes show in VMINFO (kvm: at next start;
    /// the test driver never shows them).
    pub memory_updates_visible: bool,
    /// Whether `POST /pools` creates the pool directory on this machine.
    pub create_pool_dirs: bool,
    /// The server's `PULL_SECRET` file, when set and existing (§8.1).
    pub pull_secret: Option<String>,
    /// Whether volume sizes count against pool capacity (the test driver's
    /// "Not enough free space in pool"). Off by default, like the other
    /// test-driver limits: thin qcow2 pools on kvm do not fill up this way.
    #[serde(default)]
    pub pool_capacity: bool,
}

impl Default for HostOptions {
    fn default() -> Self {
        Self {
            internet: false,
            cloudinit_iso: IsoMode::Ok,
            memory_updates_visible: false,
            create_pool_dirs: false,
            pull_secret: None,
            pool_capacity: false,
        }
    }
}
