//! What can go wrong on the wire.

use thiserror::Error;

/// A failed exchange: no (complete) HTTP answer came back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The connection failed or broke before an answer arrived.
    #[error("{0}")]
    Io(String),
    /// No complete answer within the request's timeout.
    #[error("{0}")]
    Timeout(String),
    /// The bytes that came back are not an HTTP answer.
    #[error("{0}")]
    Protocol(String),
}
