#![no_main]

// See haptix_fuzz::ws_announcement for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::ws_announcement::run(data));
