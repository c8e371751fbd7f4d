#![no_main]

// See haptix_fuzz::device_config for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::device_config::run(data));
