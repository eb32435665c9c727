//! The `dcm-conformance` command line.

fn main() {}
