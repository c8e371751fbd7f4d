#![no_main]

// See haptix_fuzz::ffi_requests for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::ffi_requests::run(data));
