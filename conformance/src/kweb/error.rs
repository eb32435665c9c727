//! The one error type of the kweb parity suite.

use thiserror::Error;

use crate::wire::WireError;

/// What can go wrong while talking to a kweb or judging its answers.
#[derive(Debug, Error)]
pub enum KwebError {
    /// Bad configuration: an unusable URL, tag expression or option.
    #[error("configuration: {0}")]
    Config(String),
    /// The connection failed or broke.
    #[error("I/O: {0}")]
    Io(String),
    /// No complete answer within the exchange timeout.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The answer is not HTTP as kweb speaks it.
    #[error("protocol: {0}")]
    Protocol(String),
    /// A step, feature or capture file could not be understood.
    #[error("cannot parse {0}")]
    Parse(String),
    /// The in-process simulator could not be started or controlled.
    #[error("simulator: {0}")]
    Simulator(String),
}

impl From<WireError> for KwebError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Io(e) => Self::Io(e),
            WireError::Timeout(e) => Self::Timeout(e),
            WireError::Protocol(e) => Self::Protocol(e),
        }
    }
}
