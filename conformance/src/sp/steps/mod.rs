//! Step definitions, one module per feature file (`features/sp/*.feature`).
//! Steps parse their text and call the plain functions of
//! [`crate::sp::checks`] and [`crate::sp::world`]. The resource steps every
//! resource feature uses are in `crud`, step-argument parsing in `args`.

mod agent;
mod args;
mod backend;
mod cluster_lifecycle;
mod crud;
mod events;
mod generated;
mod health;
mod idempotency;
mod orphans;
mod pagination;
mod problem_details;
mod registration;
mod security;
mod status_vocabulary;
mod timeouts;
mod validation;
mod vm_lifecycle;
