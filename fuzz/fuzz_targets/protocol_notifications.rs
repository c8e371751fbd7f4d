#![no_main]

// See haptix_fuzz::protocol_notifications for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::protocol_notifications::run(data));
