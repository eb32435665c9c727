//! The declarative transition engine (`kweb-reference.md` §8.2, §15):
//! cluster creation runs as a chain of stages, each becoming visible
//! `immediate`ly, `after` a delay (± seeded jitter) on the simulator clock,
//! or after N counted reads of a route. Any stage can be made to fail
//! silently, as a dying kweb thread would.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The built-in transition sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransitionSet {
    /// What a real kweb on libvirt's test driver shows (§8.2): k3s passes
    /// its stages right after the 200 but never gets a kubeconfig; generic
    /// (no SSH key), microshift, openshift, hypershift leave nothing visible.
    #[default]
    Testdriver,
    /// Every type passes every stage in order, including a kubeconfig.
    Complete,
}

/// One stage of cluster creation (§8.2 numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 1: `~/.kcli/clusters/<c>/` exists (listed as generic).
    Directory,
    /// 1+4 together (microshift): directory and `kcli_parameters.yml`.
    DirectoryWithParameters,
    /// 2: the bootstrap node `<c>-ctlplane-0` (running).
    Bootstrap,
    /// 2, failed: the bootstrap node is defined but down, then the thread dies.
    BootstrapDown,
    /// 3: `auth/kubeconfig` appears.
    Kubeconfig,
    /// 4: `kcli_parameters.yml` is written.
    Parameters,
    /// 5: further control planes and workers.
    Nodes,
    /// 6: done (`K3s cluster <c> deployed!!!`).
    Done,
}

impl Stage {
    /// The §8.2 stage number.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Stage::Directory | Stage::DirectoryWithParameters => 1,
            Stage::Bootstrap | Stage::BootstrapDown => 2,
            Stage::Kubeconfig => 3,
            Stage::Parameters => 4,
            Stage::Nodes => 5,
            Stage::Done => 6,
        }
    }
}

/// When the next stage becomes visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// At this simulator time (Unix seconds).
    At(f64),
    /// After this many more reads of the route key (`GET /kubes`, `GET /vms`, ...).
    Reads {
        /// Route key as counted by the simulator.
        route: String,
        /// Reads still needed.
        remaining: u64,
    },
}

/// Tunables of the engine, settable at reset or with `POST /_sim/transitions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransitionConfig {
    /// Built-in set.
    pub set: TransitionSet,
    /// Delay between cluster stages, seconds (testdriver: 0; complete: 1).
    pub stage_delay_seconds: f64,
    /// Uniform jitter added to each delay, seconds (drawn from the seed).
    pub jitter_seconds: f64,
    /// When set, each stage waits for this many reads of `reads_route`
    /// instead of a delay.
    pub after_reads: Option<u64>,
    /// Route key counted by `after_reads` (default `GET /kubes`).
    pub reads_route: String,
    /// Stage number (0-6) at which every new cluster thread dies silently.
    pub fail_stage: Option<u8>,
    /// Whether the server user has an SSH public key (generic needs one).
    pub ssh_key: bool,
}

impl TransitionConfig {
    /// The defaults of a set.
    #[must_use]
    pub fn for_set(set: TransitionSet) -> Self {
        Self {
            set,
            stage_delay_seconds: if set == TransitionSet::Complete {
                1.0
            } else {
                0.0
            },
            jitter_seconds: 0.0,
            after_reads: None,
            reads_route: "GET /kubes".into(),
            fail_stage: None,
            ssh_key: set == TransitionSet::Complete,
        }
    }
}

/// A cluster-creation thread in flight.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterJob {
    /// Cluster name.
    pub cluster: String,
    /// Cluster type (`k3s`, `generic`, ...).
    pub kubetype: String,
    /// Parameters as kweb passed them (after coercion, §8.1).
    pub params: Map<String, Value>,
    /// Stages still to run, in order.
    pub pending: Vec<Stage>,
    /// When the first pending stage runs.
    pub due: Due,
    /// Last stage that became visible.
    pub reached: Option<Stage>,
    /// Why the thread stopped early, if it did.
    pub failed: Option<String>,
}

/// The stages a new cluster of `kubetype` goes through under `config`, and
/// why it stops early (if it does). `dir_exists`/`image_present` are the
/// facts stage 0 and the image download check depend on.
#[must_use]
pub fn plan_stages(
    config: &TransitionConfig,
    kubetype: &str,
    params: &Map<String, Value>,
    dir_exists: bool,
    image_present: bool,
) -> (Vec<Stage>, Option<String>) {
    if dir_exists {
        return (Vec::new(), Some("Remove existing directory".into()));
    }
    let mut stages = match config.set {
        TransitionSet::Testdriver => match kubetype {
            "k3s" => {
                if !image_present {
                    return (
                        vec![Stage::Directory],
                        Some("image download failed (offline)".into()),
                    );
                }
                let cloudinit = params
                    .get("cloudinit")
                    .is_none_or(crate::http::pyjson::truthy);
                if cloudinit {
                    return (
                        vec![Stage::Directory, Stage::BootstrapDown],
                        Some("cloud-init ISO upload unsupported by the test driver".into()),
                    );
                }
                vec![
                    Stage::Directory,
                    Stage::Bootstrap,
                    Stage::Parameters,
                    Stage::Nodes,
                    Stage::Done,
                ]
            }
            "generic" if config.ssh_key => {
                vec![
                    Stage::Directory,
                    Stage::Bootstrap,
                    Stage::Parameters,
                    Stage::Nodes,
                    Stage::Done,
                ]
            }
            "generic" => return (Vec::new(), Some("No usable public key found".into())),
            _ => {
                return (
                    Vec::new(),
                    Some("installer downloads unavailable on the test driver".into()),
                );
            }
        },
        TransitionSet::Complete => match kubetype {
            "generic" if !config.ssh_key => {
                return (Vec::new(), Some("No usable public key found".into()));
            }
            "microshift" => vec![
                Stage::DirectoryWithParameters,
                Stage::Bootstrap,
                Stage::Kubeconfig,
                Stage::Done,
            ],
            _ => vec![
                Stage::Directory,
                Stage::Bootstrap,
                Stage::Kubeconfig,
                Stage::Parameters,
                Stage::Nodes,
                Stage::Done,
            ],
        },
    };
    if let Some(n) = config.fail_stage {
        let before = stages.len();
        stages.retain(|s| s.number() < n);
        if stages.len() != before {
            return (
                stages,
                Some(format!("thread died at stage {n} (fault injected)")),
            );
        }
    }
    (stages, None)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn testdriver_k3s_without_cloudinit_never_gets_a_kubeconfig() {
        let cfg = TransitionConfig::for_set(TransitionSet::Testdriver);
        let (stages, failed) = plan_stages(
            &cfg,
            "k3s",
            &params(json!({"cloudinit": false})),
            false,
            true,
        );
        assert!(!stages.contains(&Stage::Kubeconfig));
        assert!(stages.contains(&Stage::Done));
        assert!(failed.is_none());
        let (stages, failed) = plan_stages(&cfg, "k3s", &params(json!({})), false, false);
        assert_eq!(stages, vec![Stage::Directory]);
        assert!(failed.is_some());
        let (stages, _) = plan_stages(&cfg, "openshift", &params(json!({})), false, true);
        assert!(stages.is_empty());
    }

    #[test]
    fn complete_set_and_failures() {
        let mut cfg = TransitionConfig::for_set(TransitionSet::Complete);
        let (stages, _) = plan_stages(&cfg, "openshift", &params(json!({})), false, true);
        assert!(stages.contains(&Stage::Kubeconfig));
        cfg.fail_stage = Some(3);
        let (stages, failed) = plan_stages(&cfg, "k3s", &params(json!({})), false, true);
        assert_eq!(stages, vec![Stage::Directory, Stage::Bootstrap]);
        assert!(failed.is_some());
        let (stages, _) = plan_stages(&cfg, "k3s", &params(json!({})), true, true);
        assert!(stages.is_empty());
    }
}
