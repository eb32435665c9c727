//! The `external` target: an SP the operator runs, configured to register
//! with the suite's fake DCM and publish to the suite's NATS. The suite has
//! no backend control and cannot restart it, so scenarios needing that are
//! not applicable.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::BoxFuture;

use crate::sp::target::{Capability, LaunchEnv, Launcher, SpUnderTest, TargetIdentity};
use crate::sp::timeouts::Declared;

/// Launcher for `--target external`.
#[derive(Debug, Clone)]
pub struct External {
    /// `--sp-url service_type=URL` values.
    pub endpoints: BTreeMap<String, String>,
    /// What the operator declares about the SP's timing.
    pub declared: Declared,
    /// `--ref`: the SP is the reference provider.
    pub is_ref: bool,
    /// Declared facts ([`crate::sp::target::FACTS`]): `--sp-name-prefix`,
    /// `--sp-resync-interval`, `--sp-hint-namespace`.
    pub facts: BTreeMap<String, String>,
    /// How long to wait for the SP's first registration before starting.
    pub announce: bool,
}

struct ExternalSp {
    cfg: External,
}

impl SpUnderTest for ExternalSp {
    fn identity(&self) -> TargetIdentity {
        TargetIdentity {
            kind: "external".into(),
            product: if self.cfg.is_ref {
                "kcli-provider".into()
            } else {
                "unknown".into()
            },
            version: "unknown".into(),
            services: self.cfg.endpoints.clone(),
        }
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        let mut caps = BTreeSet::new();
        if self.cfg.is_ref {
            caps.insert(Capability::Ref);
        }
        caps
    }

    fn service_types(&self) -> Vec<String> {
        self.cfg.endpoints.keys().cloned().collect()
    }

    fn declared_endpoints(&self) -> BTreeMap<String, String> {
        self.cfg.endpoints.clone()
    }

    fn declared(&self) -> Declared {
        self.cfg.declared
    }

    fn facts(&self) -> BTreeMap<String, String> {
        self.cfg.facts.clone()
    }
}

impl Launcher for External {
    fn launch(&self, env: LaunchEnv) -> BoxFuture<'static, anyhow::Result<Box<dyn SpUnderTest>>> {
        let cfg = self.clone();
        Box::pin(async move {
            if cfg.announce {
                eprintln!(
                    "dcm-conformance: configure the SP under test with SPM_URL={} NATS_URL={} and (re)start it now",
                    env.dcm_base_url, env.nats_url
                );
            }
            Ok(Box::new(ExternalSp { cfg }) as Box<dyn SpUnderTest>)
        })
    }
}
