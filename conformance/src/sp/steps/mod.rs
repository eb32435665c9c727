//! Step definitions, one module per area. Steps parse their text and call
//! the plain functions of [`crate::sp::checks`] and [`crate::sp::world`].

mod backend;
mod events;
mod generated;
mod health;
mod registration;
mod resources;
