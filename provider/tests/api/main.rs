//! Integration tests of kcli-provider against kweb-sim, a real nats-server
//! and a fake DCM registry (one test binary; see `helpers`).

mod cut_proxy;
mod events;
mod helpers;
mod hostile;
mod kubeconfig_cache;
mod lifecycle;
mod nats_cluster;
mod problems;
mod recovery;
mod registration;
mod snapshots;
mod timeouts;
