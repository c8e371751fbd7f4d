//! The C ABI: the only place with `extern "C"`.
//!
//! Three opaque handles: `haptix_context` (runtime, embedded server, comm managers, dispatcher
//! thread, log sink), `haptix_client` and `haptix_server`, created from a context. Handles are
//! keys into a registry of live objects ([`handles`]), so NULL, freed, foreign or wrong-typed
//! handles are refused with a status. Every export runs inside [`boundary`], which turns a
//! panic into `HAPTIX_STATUS_ERROR_PANIC`. Options, requests and events are protobuf messages
//! of package `haptix.v1` ([`proto`], compiled from `proto/haptix/v1` by the build script).
//! The header `include/haptix.h` is generated from this module by cbindgen.
//!
//! This module depends on the client, server and hardware layers; nothing depends on it.

mod boundary;
mod buffer;
mod client;
mod context;
mod convert;
mod events;
mod handles;
mod log;
mod server;
mod status;

use std::ffi::c_char;

pub use buffer::{haptix_buffer, haptix_buffer_free};
pub use client::{
    haptix_client, haptix_client_call, haptix_client_free, haptix_client_new,
    haptix_client_next_event, haptix_client_send, haptix_client_set_event_callback,
    haptix_client_set_wakeup_callback,
};
pub use context::{
    haptix_context, haptix_context_free, haptix_context_new, haptix_context_next_event,
    haptix_context_set_event_callback, haptix_context_shutdown,
};
pub use events::{haptix_event_callback, haptix_user_data_free, haptix_wakeup_callback};
pub use server::{
    haptix_server, haptix_server_free, haptix_server_new, haptix_server_port, haptix_server_stop,
};
pub use status::{haptix_last_error_message, haptix_status};

/// The protobuf messages of the C ABI (package `haptix.v1`), generated from `proto/haptix/v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/haptix.v1.rs"));
}

/// ABI version of this library. A binding built against another ABI version must refuse to use
/// the library; `haptix_context_new` checks it.
///
/// Version 2 added `haptix_client_call` and made registrations own their user data from the
/// call on (released even when the call is refused), which a binding written for version 1
/// would free a second time.
pub const HAPTIX_ABI_VERSION: u32 = 2;

/// NUL-terminated package version.
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Returns the ABI version number this library implements (`HAPTIX_ABI_VERSION` of its
/// header). Never fails; any thread.
#[no_mangle]
pub extern "C" fn haptix_abi_version() -> u32 {
    HAPTIX_ABI_VERSION
}

/// Returns the library version as a static NUL-terminated UTF-8 string. The pointer is owned by
/// the library, valid for the life of the process, and must not be freed. Never fails; any
/// thread.
#[no_mangle]
pub extern "C" fn haptix_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// Rust-only access for the benchmark in `benches/compare`: not part of the C ABI, not
/// covered by its stability promise.
#[doc(hidden)]
#[cfg(feature = "sim")]
pub mod bench_support {
    use std::sync::Arc;

    use super::context::{haptix_context, ContextInner};
    use super::handles;
    use crate::hwmgr::sim::SimHardware;

    /// The simulated device with this address in a context's embedded server.
    #[cfg(feature = "sim")]
    pub fn simulated_device(
        context: *mut haptix_context,
        address: &str,
    ) -> Option<Arc<SimHardware>> {
        let ctx = handles::get::<ContextInner>(context).ok()?;
        ctx.server.simulated_device(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_nul_terminated() {
        assert_eq!(haptix_abi_version(), HAPTIX_ABI_VERSION);
        // SAFETY: haptix_version returns a pointer to a static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(haptix_version()) };
        assert_eq!(s.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
