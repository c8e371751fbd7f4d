//! The C ABI: the only place with `extern "C"`. This first part exports the version queries a
//! binding calls before anything else; contexts, clients and servers follow (see the C ABI
//! design in the project documentation).

use std::ffi::c_char;

/// ABI version of this library. A binding built against another ABI version must refuse to use
/// the library.
pub const HAPTIX_ABI_VERSION: u32 = 1;

/// NUL-terminated package version.
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Returns the ABI version number ([`HAPTIX_ABI_VERSION`]). Never fails; callable from any
/// thread at any time.
#[no_mangle]
pub extern "C" fn haptix_abi_version() -> u32 {
    HAPTIX_ABI_VERSION
}

/// Returns the library version as a static NUL-terminated UTF-8 string. The pointer is owned by
/// the library, valid for the life of the process, and must not be freed. Callable from any
/// thread at any time.
#[no_mangle]
pub extern "C" fn haptix_version() -> *const c_char {
    VERSION.as_ptr().cast()
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
