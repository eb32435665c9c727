//! The wire layer: request reading, response shapes, Python-compatible
//! encodings, body parsing.
//!
//! - [`wire`]: HTTP/1.x reader and HTTP/1.0 writer over tokio.
//! - [`shapes`]: kweb's response kinds with their header orders (E1-E7).
//! - [`pyjson`]: `json.dumps`, `repr`, `str` as Python writes them.
//! - [`body`]: `request.json or request.forms`.

pub mod body;
pub mod pyjson;
pub mod shapes;
pub mod wire;
