//! Status codes and the thread-local last-error message.
//!
//! [`haptix_status`] is the only error vocabulary of the C ABI. Values are grouped in ranges
//! (argument/handle 100s, runtime/lifecycle 200s, protocol 300s, device 400s, transport 500s,
//! internal 600s) and are never renumbered or reused. The mapping from the crate's errors to
//! codes lives in one place: `impl From<&Error> for haptix_status`.

use std::cell::RefCell;
use std::ffi::c_char;

use crate::core::types::{ErrorCode, ErrorKind};
use crate::error::{ConfigError, DeviceError, Error, ProtocolError, RuntimeError, TransportError};

/// Result of every fallible function. 0 is success; values below 100 are outcomes a caller
/// branches on; values from 100 up are errors, with a message from
/// `haptix_last_error_message`. Bindings treat values they do not know as generic errors.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum haptix_status {
    /// Success.
    Ok = 0,
    /// A wait ended without an event.
    Timeout = 1,
    /// The handle's event stream has ended (client disconnected, context shut down) and no
    /// queued event is left.
    Closed = 2,
    /// The output buffer was too small; the result was truncated.
    BufferTooSmall = 3,

    /// A required pointer was NULL (or NULL data with a non-zero length).
    ErrorNullPointer = 100,
    /// An argument is invalid (a request without a kind, an unknown enum value, a bad value).
    ErrorInvalidArgument = 101,
    /// The handle is not a live handle of the expected type (freed, stale, foreign).
    ErrorInvalidHandle = 102,
    /// A string is not valid UTF-8.
    ErrorInvalidUtf8 = 103,
    /// Bytes are not a valid protobuf message of the expected type.
    ErrorInvalidProtobuf = 104,
    /// The caller was built for another ABI version.
    ErrorAbiMismatch = 105,
    /// A device configuration could not be loaded.
    ErrorInvalidConfig = 106,

    /// The handle (or its context) has been shut down.
    ErrorShutDown = 200,
    /// The call would wait for the thread it runs on (a blocking call inside a callback, or a
    /// blocking call on a library thread).
    ErrorWouldDeadlock = 201,
    /// The handle's internals panicked earlier; only `_free` is allowed.
    ErrorPoisoned = 202,
    /// The runtime failed (threads could not be started, a task ended unexpectedly).
    ErrorRuntime = 203,
    /// The request was cancelled (its client was freed or disconnected first).
    ErrorCancelled = 204,
    /// The request did not complete in time.
    ErrorTimedOut = 205,
    /// The client is not connected.
    ErrorNotConnected = 206,

    /// A protocol message was invalid.
    ErrorProtocol = 300,
    /// The handshake failed.
    ErrorHandshake = 301,
    /// The server's ping timeout expired.
    ErrorPing = 302,
    /// The server answered with an error of no more specific kind.
    ErrorServer = 303,

    /// No connected device has this index.
    ErrorDeviceNotFound = 400,
    /// The device has no feature with this index.
    ErrorFeatureNotFound = 401,
    /// The device or feature does not support the command.
    ErrorNotSupported = 402,
    /// A value is outside its allowed range.
    ErrorOutOfRange = 403,
    /// The device failed (protocol or hardware error).
    ErrorDevice = 404,
    /// The device disconnected.
    ErrorDeviceDisconnected = 405,
    /// A hardware operation timed out.
    ErrorDeviceTimeout = 406,

    /// A connection or listener could not be opened.
    ErrorConnect = 500,
    /// The transport failed.
    ErrorTransport = 501,

    /// A panic was caught inside the library.
    ErrorPanic = 600,
    /// An internal invariant failed.
    ErrorInternal = 601,
}

impl haptix_status {
    /// The numeric value carried in protobuf events.
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl From<&Error> for haptix_status {
    fn from(e: &Error) -> haptix_status {
        match e {
            Error::Protocol(p) => match p {
                ProtocolError::Message(_) => haptix_status::ErrorProtocol,
                ProtocolError::Handshake(_) => haptix_status::ErrorHandshake,
                ProtocolError::Ping(_) => haptix_status::ErrorPing,
            },
            Error::Device(d) => match d {
                DeviceError::NotConnected(_) => haptix_status::ErrorDeviceNotFound,
                DeviceError::NoFeature { .. } => haptix_status::ErrorFeatureNotFound,
                DeviceError::NotSupported(_) => haptix_status::ErrorNotSupported,
                DeviceError::OutOfRange(_) => haptix_status::ErrorOutOfRange,
                DeviceError::Protocol { .. } | DeviceError::Hardware(_) => {
                    haptix_status::ErrorDevice
                }
                DeviceError::Timeout(_) => haptix_status::ErrorDeviceTimeout,
                DeviceError::Disconnected(_) => haptix_status::ErrorDeviceDisconnected,
            },
            Error::Config(c) => match c {
                ConfigError::Invalid(_) | ConfigError::Version(_) | ConfigError::Io { .. } => {
                    haptix_status::ErrorInvalidConfig
                }
            },
            Error::Transport(t) => match t {
                TransportError::Connect(_) => haptix_status::ErrorConnect,
                TransportError::Closed => haptix_status::ErrorNotConnected,
                TransportError::Other(_) => haptix_status::ErrorTransport,
            },
            Error::Runtime(r) => match r {
                RuntimeError::Task(_) => haptix_status::ErrorRuntime,
                RuntimeError::ShutDown(_) => haptix_status::ErrorShutDown,
                RuntimeError::Timeout(_) => haptix_status::ErrorTimedOut,
            },
            Error::Server { code, kind, .. } => match kind {
                Some(kind) => kind_status(*kind),
                None => code_status(*code),
            },
        }
    }
}

/// The status of a device error a server in the same process reported with its kind.
fn kind_status(kind: ErrorKind) -> haptix_status {
    match kind {
        ErrorKind::DeviceNotFound => haptix_status::ErrorDeviceNotFound,
        ErrorKind::FeatureNotFound => haptix_status::ErrorFeatureNotFound,
        ErrorKind::NotSupported => haptix_status::ErrorNotSupported,
        ErrorKind::OutOfRange => haptix_status::ErrorOutOfRange,
        ErrorKind::DeviceFailed => haptix_status::ErrorDevice,
        ErrorKind::DeviceTimeout => haptix_status::ErrorDeviceTimeout,
        ErrorKind::DeviceDisconnected => haptix_status::ErrorDeviceDisconnected,
    }
}

/// The status of an `Error` message that carries only its class (a remote server's): the
/// message text is for people and never chooses the status.
fn code_status(code: ErrorCode) -> haptix_status {
    match code {
        ErrorCode::Handshake => haptix_status::ErrorHandshake,
        ErrorCode::Ping => haptix_status::ErrorPing,
        ErrorCode::Message => haptix_status::ErrorProtocol,
        ErrorCode::Device => haptix_status::ErrorDevice,
        ErrorCode::Unknown => haptix_status::ErrorServer,
    }
}

/// A status with its message: what a failing operation reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The code.
    pub status: haptix_status,
    /// Human-readable detail.
    pub message: String,
}

impl Failure {
    /// A failure with this code and message.
    pub fn new(status: haptix_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            status: haptix_status::from(&e),
            message: e.to_string(),
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Stores `message` as the calling thread's last error.
pub(crate) fn set_last_error(message: &str) {
    LAST_ERROR.with(|m| {
        let mut m = m.borrow_mut();
        m.clear();
        m.push_str(message);
    });
}

/// Records a failure for `haptix_last_error_message` and returns its status.
pub(crate) fn fail(failure: Failure) -> haptix_status {
    set_last_error(&failure.message);
    failure.status
}

/// Copies the calling thread's last error message into `buf` as NUL-terminated UTF-8.
///
/// The message describes the most recent failing call on this thread; successful calls do not
/// clear it, so read it right after a non-OK status. Asynchronous failures are reported inside
/// events, not here.
///
/// - `buf`: caller-owned storage of `cap` bytes, written up to `cap - 1` bytes plus a NUL. May
///   be NULL only when `cap` is 0 (to ask for the length).
/// - `out_len`: optional (may be NULL); receives the full message length in bytes, without the
///   NUL, even when the copy was truncated.
///
/// Returns `HAPTIX_STATUS_OK`, `HAPTIX_STATUS_BUFFER_TOO_SMALL` when the message was truncated
/// (a truncated copy never ends inside a UTF-8 sequence), or
/// `HAPTIX_STATUS_ERROR_NULL_POINTER` when `buf` is NULL with a non-zero `cap`. Never blocks;
/// any thread.
///
/// # Safety
/// `buf` must be valid for writes of `cap` bytes; `out_len`, when not NULL, must be valid for
/// one write.
#[no_mangle]
pub unsafe extern "C" fn haptix_last_error_message(
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> haptix_status {
    crate::ffi::boundary::export(|| {
        if buf.is_null() && cap != 0 {
            // returned without a Failure, to keep the previous message: this failure is about
            // the call itself
            return Ok(haptix_status::ErrorNullPointer);
        }
        LAST_ERROR.with(|m| {
            let m = m.borrow();
            let bytes = m.as_bytes();
            let mut n = bytes.len().min(cap.saturating_sub(1));
            while n < bytes.len() && n > 0 && !m.is_char_boundary(n) {
                n -= 1;
            }
            if cap > 0 {
                // SAFETY: the caller guarantees `buf` is valid for `cap` bytes and n < cap.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), n);
                    *buf.add(n) = 0;
                }
            }
            if !out_len.is_null() {
                // SAFETY: the caller guarantees `out_len` is valid for one write when non-null.
                unsafe { *out_len = bytes.len() };
            }
            Ok(if n < bytes.len() {
                haptix_status::BufferTooSmall
            } else {
                haptix_status::Ok
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_their_numbers() {
        assert_eq!(haptix_status::Ok.code(), 0);
        assert_eq!(haptix_status::ErrorInvalidHandle.code(), 102);
        assert_eq!(haptix_status::ErrorDeviceNotFound.code(), 400);
        assert_eq!(haptix_status::ErrorPanic.code(), 600);
    }

    #[test]
    fn errors_map_to_codes() {
        let e = Error::from(DeviceError::NotConnected(3));
        assert_eq!(haptix_status::from(&e), haptix_status::ErrorDeviceNotFound);
        // a server in the process says which device error it was
        let e = Error::Server {
            code: ErrorCode::Device,
            message: "device index 7 is not connected".into(),
            kind: Some(ErrorKind::DeviceNotFound),
        };
        assert_eq!(haptix_status::from(&e), haptix_status::ErrorDeviceNotFound);
        // a remote server's message text never chooses the status
        let e = Error::Server {
            code: ErrorCode::Device,
            message: "device index 7 is not connected".into(),
            kind: None,
        };
        assert_eq!(haptix_status::from(&e), haptix_status::ErrorDevice);
        let e = Error::from(TransportError::Closed);
        assert_eq!(haptix_status::from(&e), haptix_status::ErrorNotConnected);
    }

    #[test]
    fn last_error_copies_and_truncates() {
        set_last_error("héllo");
        let mut buf = [0 as c_char; 16];
        let mut len = 0usize;
        // SAFETY: buffers are valid for the sizes given.
        let st = unsafe { haptix_last_error_message(buf.as_mut_ptr(), buf.len(), &mut len) };
        assert_eq!(st, haptix_status::Ok);
        assert_eq!(len, "héllo".len());
        let mut small = [0 as c_char; 3];
        // SAFETY: as above.
        let st = unsafe { haptix_last_error_message(small.as_mut_ptr(), 3, &mut len) };
        assert_eq!(st, haptix_status::BufferTooSmall);
        // "h" then the first byte of "é" would split a character: only "h" is copied
        assert_eq!(small[0] as u8, b'h');
        assert_eq!(small[1], 0);
        // SAFETY: NULL with cap 0 only asks for the length.
        let st = unsafe { haptix_last_error_message(std::ptr::null_mut(), 0, &mut len) };
        assert_eq!(st, haptix_status::BufferTooSmall);
    }
}
