#![no_main]

// See haptix_fuzz::client_server for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::client_server::run(data));
