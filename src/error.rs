//! Error types, one per layer, and the crate-wide [`Error`].
//!
//! Messages are lower case without a trailing period and name the identifiers involved.

use crate::core::types::{ErrorCode, ErrorKind};

/// A failure while parsing or validating a Buttplug message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The frame or message is not valid for the negotiated version.
    #[error("{0}")]
    Message(String),
    /// Handshake missing, repeated or refused.
    #[error("{0}")]
    Handshake(String),
    /// The session pinged out.
    #[error("{0}")]
    Ping(String),
}

/// A failure at device level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// No connected device has this index.
    #[error("device index {0} is not connected")]
    NotConnected(u32),
    /// The device has no feature with this index.
    #[error("device {device} has no feature with index {feature}")]
    NoFeature {
        /// Device index.
        device: u32,
        /// Feature index.
        feature: u32,
    },
    /// The device or feature does not support what was asked.
    #[error("{0}")]
    NotSupported(String),
    /// A value is outside its range.
    #[error("{0}")]
    OutOfRange(String),
    /// The protocol could not encode or decode something.
    #[error("protocol {protocol}: {message}")]
    Protocol {
        /// Protocol name.
        protocol: String,
        /// What went wrong.
        message: String,
    },
    /// A hardware operation failed.
    #[error("hardware: {0}")]
    Hardware(String),
    /// A hardware operation timed out.
    #[error("hardware operation timed out: {0}")]
    Timeout(String),
    /// The device disconnected.
    #[error("device disconnected: {0}")]
    Disconnected(String),
}

impl DeviceError {
    /// The detailed kind of this error, as a server reports it in process.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DeviceError::NotConnected(_) => ErrorKind::DeviceNotFound,
            DeviceError::NoFeature { .. } => ErrorKind::FeatureNotFound,
            DeviceError::NotSupported(_) => ErrorKind::NotSupported,
            DeviceError::OutOfRange(_) => ErrorKind::OutOfRange,
            DeviceError::Protocol { .. } | DeviceError::Hardware(_) => ErrorKind::DeviceFailed,
            DeviceError::Timeout(_) => ErrorKind::DeviceTimeout,
            DeviceError::Disconnected(_) => ErrorKind::DeviceDisconnected,
        }
    }

    /// Shorthand for a protocol error.
    pub fn protocol(protocol: &str, message: impl Into<String>) -> DeviceError {
        DeviceError::Protocol {
            protocol: protocol.to_string(),
            message: message.into(),
        }
    }
}

/// A failure while loading device configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not JSON, or not the expected structure.
    #[error("invalid device configuration: {0}")]
    Invalid(String),
    /// Unsupported major version.
    #[error("unsupported device configuration major version {0} (expected 4 or 5)")]
    Version(u32),
    /// The file could not be read.
    #[error("cannot read device configuration {path}: {message}")]
    Io {
        /// Path given.
        path: String,
        /// OS message.
        message: String,
    },
}

/// A failure of a transport (WebSocket, in-process pipe).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Could not connect or bind.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
    /// Anything else.
    #[error("transport: {0}")]
    Other(String),
}

/// A failure of the runtime (start-up, shutdown, tasks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// A background task ended unexpectedly.
    #[error("internal task failed: {0}")]
    Task(String),
    /// The component has been shut down.
    #[error("{0} has been shut down")]
    ShutDown(&'static str),
    /// An operation did not complete in time.
    #[error("timed out: {0}")]
    Timeout(String),
}

/// The crate-wide error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Message-level error.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// Device-level error.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Configuration error.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Transport error.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Runtime error.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// An `Error` message received from a server.
    #[error("the server refused the request ({}): {message}", code.describe())]
    Server {
        /// Error class.
        code: ErrorCode,
        /// Server's message.
        message: String,
        /// The detailed kind, when the server is in the same process (see [`ErrorKind`]).
        kind: Option<ErrorKind>,
    },
}

impl Error {
    /// The Buttplug error code a server reports for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Protocol(ProtocolError::Handshake(_)) => ErrorCode::Handshake,
            Error::Protocol(ProtocolError::Ping(_)) => ErrorCode::Ping,
            Error::Protocol(ProtocolError::Message(_)) => ErrorCode::Message,
            Error::Device(_) => ErrorCode::Device,
            Error::Config(_) | Error::Transport(_) | Error::Runtime(_) => ErrorCode::Unknown,
            Error::Server { code, .. } => *code,
        }
    }
}

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
