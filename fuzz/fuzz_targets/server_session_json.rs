#![no_main]

// See haptix_fuzz::server_session for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::server_session::run(data));
