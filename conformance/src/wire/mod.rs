//! The suite's HTTP wire layer, shared by the kweb suite, the SP suite and
//! the proxy: one request and response model, one recorded [`Exchange`],
//! one `curl` renderer and one raw HTTP/1.x client.
//!
//! Read in this order:
//! - [`message`]: [`Request`] as it goes on the wire (method token, URL,
//!   headers in order, body, HTTP/1.0, chunked framing, timeout) and
//!   [`Response`] as it came back (status line, headers as sent, body).
//! - [`exchange`]: a request with its answer or transport error and the
//!   time it took, rendered for failure reports.
//! - [`curl`]: the `curl` line that reproduces a request.
//! - [`client`]: the raw client (a hand-written request on a plain TCP
//!   stream, read until the server closes; kweb's fidelity and VAL-012's
//!   early 413 need it) and the pooled client (reqwest, for `https://` SPs),
//!   both recording an [`Exchange`].
//! - [`error`]: transport and protocol failures.

pub mod client;
pub mod curl;
pub mod error;
pub mod exchange;
pub mod message;

pub use client::{send, send_raw};
pub use error::WireError;
pub use exchange::{Exchange, truncate};
pub use message::{EXCHANGE_TIMEOUT, Request, Response};
