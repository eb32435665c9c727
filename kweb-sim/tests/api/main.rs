//! Integration tests: an in-process simulator on a loopback port, driven
//! over real TCP with raw HTTP bytes.

mod control;
mod support;
mod transport;
