//! Library-owned byte buffers handed to C, and helpers for borrowed input bytes.

use super::status::{haptix_status, Failure};

/// Bytes owned by the library and lent to the caller until `haptix_buffer_free`.
///
/// Written by the library through an out-parameter; the caller reads `len` bytes at `data` and
/// releases them with `haptix_buffer_free` (never with its own allocator). An empty buffer has
/// `data == NULL` and `len == 0`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct haptix_buffer {
    /// First byte, or NULL when empty.
    pub data: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

impl haptix_buffer {
    /// An empty buffer.
    pub const EMPTY: haptix_buffer = haptix_buffer {
        data: std::ptr::null_mut(),
        len: 0,
    };

    /// Hands `bytes` over to C.
    pub(crate) fn from_boxed(bytes: Box<[u8]>) -> haptix_buffer {
        if bytes.is_empty() {
            return haptix_buffer::EMPTY;
        }
        let len = bytes.len();
        let data = Box::into_raw(bytes).cast::<u8>();
        haptix_buffer { data, len }
    }
}

/// Releases a buffer the library returned, and sets it to empty (NULL, 0) so that freeing it
/// twice is harmless.
///
/// `buffer` may be NULL, and may point to an empty buffer; both do nothing. Never blocks; any
/// thread. Only buffers this library filled may be passed.
///
/// # Safety
/// `buffer`, when not NULL, must point to a `haptix_buffer` filled by this library (or
/// zeroed), not freed since.
#[no_mangle]
pub unsafe extern "C" fn haptix_buffer_free(buffer: *mut haptix_buffer) {
    super::boundary::catch_or((), || {
        if buffer.is_null() {
            return;
        }
        // SAFETY: the caller guarantees `buffer` points to a valid haptix_buffer.
        let b = unsafe { &mut *buffer };
        if !b.data.is_null() && b.len != 0 {
            let slice = std::ptr::slice_from_raw_parts_mut(b.data, b.len);
            // SAFETY: data/len come from `from_boxed` (a leaked Box<[u8]> of exactly this
            // length) and the caller has not freed it since; we reset it below.
            drop(unsafe { Box::from_raw(slice) });
        }
        *b = haptix_buffer::EMPTY;
    })
}

/// Borrows `len` bytes at `data` for the duration of a call.
///
/// # Safety
/// `data` must be valid for reads of `len` bytes when non-null.
pub(crate) unsafe fn input<'a>(data: *const u8, len: usize) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Failure::new(
            haptix_status::ErrorNullPointer,
            format!("data is NULL but its length is {len}"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            haptix_status::ErrorInvalidArgument,
            "length is larger than any valid buffer",
        ));
    }
    // SAFETY: the caller guarantees `data` is valid for `len` bytes; checked non-null above.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Writes `value` through an out-pointer, refusing NULL.
///
/// # Safety
/// `out`, when non-null, must be valid for one write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure::new(
            haptix_status::ErrorNullPointer,
            format!("{what} is NULL"),
        ));
    }
    // SAFETY: non-null and valid per the caller's contract.
    unsafe { out.write(value) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_round_trip_and_double_free_is_harmless() {
        let mut b = haptix_buffer::from_boxed(vec![1u8, 2, 3].into_boxed_slice());
        assert_eq!(b.len, 3);
        // SAFETY: b was filled by from_boxed.
        unsafe {
            assert_eq!(std::slice::from_raw_parts(b.data, b.len), &[1, 2, 3]);
            haptix_buffer_free(&mut b);
            assert!(b.data.is_null());
            haptix_buffer_free(&mut b);
            haptix_buffer_free(std::ptr::null_mut());
        }
    }

    #[test]
    fn input_checks_null_and_length() {
        // SAFETY: null with length 0 is allowed; null with length > 0 is refused.
        unsafe {
            assert!(input(std::ptr::null(), 0).unwrap().is_empty());
            assert_eq!(
                input(std::ptr::null(), 4).unwrap_err().status,
                haptix_status::ErrorNullPointer
            );
        }
    }
}
